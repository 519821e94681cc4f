#!/bin/sh
# cli_linux.sh: static Linux programs under `kvmlet run`: tests/linux/lxtest.c
# (musl), tests/linux/lxthreads.c (musl and glibc, when LXTHREADS and
# LXTHREADS_GLIBC name them), tests/linux/lxgo.go (when LXGO names it) and
# Debian's busybox (glibc), each run natively
# too and compared byte for byte: stdout and exit status. Needs a trusted KVM
# (suite qemu runs it in a QEMU VM elsewhere), LXTEST and BUSYBOX.
. "$(dirname "$0")/lib.sh"
if ! why=$("$KVM_CHECK"); then
	echo "SKIP: $why: kvmlet run needs KVM (suite qemu runs it)"
	exit 77
fi
LXTEST=${LXTEST:-}
BUSYBOX=${BUSYBOX:-/bin/busybox}
[ -x "$LXTEST" ] || { echo "SKIP: no lxtest (musl-gcc missing: apt-get install musl-tools)"; exit 77; }
tmp=$(mktemp -d)
trap 'umount "$tmp/rotree" 2>/dev/null; chmod -R u+w "$tmp"; rm -rf "$tmp" "$out" "$err" "$wrapper_errors"' EXIT

# same NAME INPUT [KVMLET_OPTS... --] PROG ARGS...: kvmlet run (environment
# empty but for X=1) and the program run natively (env -i X=1) agree on
# stdout and status. INPUT is a file for stdin ("" for none).
same() {
	name=$1 input=${2:-/dev/null}
	shift 2
	opts=
	while [ "$1" != -- ]; do opts="$opts $1"; shift; done
	shift
	ns=0 ks=0
	env -i X=1 "$@" <"$input" >"$tmp/native" 2>/dev/null || ns=$?
	# shellcheck disable=SC2086
	"$KVMLET" run --env X=1 $opts "$@" <"$input" >"$tmp/kvmlet" 2>"$tmp/kerr" || ks=$?
	if [ "$ns" != "$ks" ] || ! cmp -s "$tmp/native" "$tmp/kvmlet"; then
		# The difference first: a CI log keeps only a few lines after FAIL.
		echo "FAIL: $name: native status $ns, kvmlet $ks; diff native kvmlet:"
		diff "$tmp/native" "$tmp/kvmlet" | head -40
		echo "--- kvmlet's errors:"; cat "$tmp/kerr"
		echo "--- native output:"; head -c 1000 "$tmp/native"
		echo "--- kvmlet output:"; head -c 1000 "$tmp/kvmlet"
		failures=$((failures + 1))
	else
		echo "ok: $name (status $ks, $(wc -c <"$tmp/kvmlet") bytes)"
	fi
}

# agree NAME: $tmp/native and $tmp/kvmlet hold the same output ($tmp/kerr:
# kvmlet's errors), for runs that same cannot make (stdin from a command).
agree() {
	if cmp -s "$tmp/native" "$tmp/kvmlet"; then
		echo "ok: $1"
	else
		echo "FAIL: $1:"; diff "$tmp/native" "$tmp/kvmlet"; cat "$tmp/kerr"
		failures=$((failures + 1))
	fi
}

printf 'pear\napple\nfig\nbanana\n' >"$tmp/fruit"
head -c 20000 "$BUSYBOX" >"$tmp/blob"
head -c 300000 "$BUSYBOX" >"$tmp/big"

same "printf: integers, %f, %e" "" -- "$LXTEST" printf
same "argv, environment, auxv" "" -- "$LXTEST" args one "two words" ''
same "stdin to stdout" "$tmp/fruit" -- "$LXTEST" upper
same "__thread variables" "" -- "$LXTEST" tls
same "setjmp/longjmp" "" -- "$LXTEST" jmp
same "malloc, mmap, mprotect, munmap" "" -- "$LXTEST" mem
same "exit status" "" -- "$LXTEST" exit 42
same "mmap's argument rules (raw system calls)" "" -- "$LXTEST" mmapabi
same "mmap places beside fixed mappings and reservations, takes free hints" "" -- "$LXTEST" mmapplace
same "timerfd: one-shot, periodic, blocking, absolute, poll/select/epoll wake for it" "" -- \
	"$LXTEST" timerfd
same "mremap grows in place, moves (MAYMOVE, FIXED, DONTUNMAP) and refuses as Linux's" "" -- \
	"$LXTEST" mremap
same "/proc/self/maps: the stack, the code, a mapping as it changes, reads in pieces" "" -- \
	"$LXTEST" maps
same "/proc/self/cmdline and environ: read whole, in pieces, after lseek, by pread" "" -- \
	"$LXTEST" procself one "two words" ""
same "/proc/meminfo, /proc/uptime, /proc/mounts, mountinfo: as sysinfo and statfs say" "" -- \
	"$LXTEST" procinfo
# execve: the program replaced by an allowed file with an x bit (itself, a
# script naming it, five scripts deep), what it keeps and drops; its errors.
self=$(readlink -f "$LXTEST")
printf 'just text\n' >"$tmp/garbage"
printf '#!%s execchild\n' "$self" >"$tmp/script"
printf '#!%s\n' "$tmp/s2" >"$tmp/s1"
printf '#!  %s  \n' "$tmp/s3" >"$tmp/s2"
printf '#!%s\n' "$tmp/s4" >"$tmp/s3"
printf '#!%s\n' "$tmp/s5" >"$tmp/s4"
printf '#!%s\n' "$tmp/s6" >"$tmp/s5"
printf '#!%s execchild\n' "$self" >"$tmp/s6"
chmod 755 "$tmp/garbage" "$tmp/script" "$tmp"/s[1-6]
exec_files="--file $self:$self --file $tmp/fruit:$tmp/fruit --file $tmp/garbage:$tmp/garbage
	--file $tmp/script:$tmp/script"
for i in 1 2 3 4 5 6; do exec_files="$exec_files --file $tmp/s$i:$tmp/s$i"; done
# shellcheck disable=SC2086
same "execve: argv, envp, descriptors, signals, ids, umask, nice, cwd, personality as Linux keeps them" "" \
	$exec_files -- "$LXTEST" execparent "$self" renamed execchild one "two words"
# shellcheck disable=SC2086
same "execve of a script: its #! line's interpreter and argument, then its path" "" \
	$exec_files -- "$LXTEST" execparent "$tmp/script" name x ""
# shellcheck disable=SC2086
same "execve through five scripts, each the next one's interpreter" "" \
	$exec_files -- "$LXTEST" execparent "$tmp/s2" s2 x
# shellcheck disable=SC2086
same "execve's errors (ENOENT, EACCES, ENOEXEC, EFAULT, E2BIG, ELOOP...), execveat of an fd" \
	"" $exec_files -- "$LXTEST" execerrors "$self" "$tmp/fruit" "$tmp/garbage" "$tmp/s1"
# Processes: fork, wait4/waitid, pipes both ways between processes, kill,
# SIGCHLD, exec and posix_spawn (musl's clone with CLONE_VM | CLONE_VFORK)
# in a child, vfork (the parent waits and sees the child's writes), an
# orphan, forty forks in a row; with glibc below too.
same "fork: waits, pipes, kill, SIGCHLD, exec, posix_spawn, vfork, orphans" "" \
	--file "$self:$self" -- "$LXTEST" fork "$self"
# Processes that never wait take turns by slices: a parent computing until
# its child's signal, a child computing until its sibling's.
same "fork: processes that compute take turns" "" -- "$LXTEST" preempt
# kvmlet's stdin from a writer that takes its time holds up only the thread
# that reads it: a poll of it times out, a child and a thread run meanwhile.
(sleep 3; echo late) | env -i X=1 "$LXTEST" stdinwait >"$tmp/native" 2>&1
(sleep 3; echo late) | "$KVMLET" run --env X=1 "$LXTEST" stdinwait >"$tmp/kvmlet" 2>"$tmp/kerr"
agree "a slow stdin holds up only its reader: poll times out, a child and a thread run"
# Shells' pipelines, command substitutions, subshells and background jobs,
# busybox's applets allowed under their names (natively: the same busybox).
mkdir "$tmp/bin"
bbin=
for a in sh tr cat wc sort head seq yes sleep true false expr timeout; do
	ln -s "$BUSYBOX" "$tmp/bin/$a"
	bbin="$bbin --file $BUSYBOX:$tmp/bin/$a"
done
pipeline='PATH='"$tmp/bin"'; echo hello | tr a-z A-Z; x=$(echo sub); echo "x=$x"; (exit 3)
echo "subshell $?"; seq 1 5 | sort -r | head -2; echo a b c | wc -w; sleep 0.1 & wait
echo "background done $?"; for i in 1 2 3; do echo $i; done | cat; false | true; echo "pipe $?"
echo $(expr 6 \* 7) "$(seq 1 100 | wc -l)"'
# shellcheck disable=SC2086
same "busybox sh: pipelines, \$(...), subshells, background jobs" "" $bbin -- \
	"$BUSYBOX" sh -c "$pipeline; yes | head -3"
# A shell reading its commands from a slow pipe: its background job runs
# while it waits for the next line.
slow_shell() {
	(echo 'sleep 0.2 && echo bg &'; sleep 2.5; echo 'echo fg'; echo 'wait; echo end') | "$@"
}
slow_shell env -i PATH="$tmp/bin" "$BUSYBOX" sh >"$tmp/native" 2>&1
# shellcheck disable=SC2086
slow_shell "$KVMLET" run --env PATH="$tmp/bin" $bbin "$BUSYBOX" sh >"$tmp/kvmlet" 2>"$tmp/kerr"
agree "busybox sh reading a slow pipe: its background job runs meanwhile"
# How many processes at once: --processes (VMs made before the seccomp filter).
# Default: 8 with the filter, 16 (VMs made on demand) without.
check 0 'forked 0, then EAGAIN' '' -- run --processes 1 "$LXTEST" forkhold 3
check 0 'forked 2, then EAGAIN' '' -- run --processes 3 "$LXTEST" forkhold 5
check 0 'forked 7, then EAGAIN' '' -- run "$LXTEST" forkhold 9
check 0 'forked 8, then EAGAIN' '' -- run --processes 9 "$LXTEST" forkhold 9
check 0 'forked 3, then EAGAIN' '' -- run --seccomp=off --processes 4 "$LXTEST" forkhold 9
check 0 'forked 15, then EAGAIN' '' -- run --seccomp=off "$LXTEST" forkhold 17
check 0 'forked 11, then EAGAIN' '' -- run --seccomp=off --processes 12 "$LXTEST" forkhold 17
check 120 '' '--processes: at most 9 with the seccomp filter' -- run --processes 10 "$LXTEST" forkhold 1
check 120 '' '--processes: expected 1 to 16' -- run --seccomp=off --processes 17 "$LXTEST" forkhold 1
# Three background subshells, each running a command: seven processes. Their
# statuses come back through wait PID, in a fixed order: the order in which
# they end is the machine's (a loaded one starts each later); then one more,
# and wait for all.
# shellcheck disable=SC2086
same "busybox sh: background subshells each running a command, then wait" "" $bbin -- \
	"$BUSYBOX" sh -c 'PATH='"$tmp/bin"'; for i in 1 2 3; do (sleep 0.$i; exit $i) & eval p$i=$!; done
		wait $p3; c=$?; wait $p1; a=$?; wait $p2; echo $a $? $c; (sleep 0.1; echo last) & wait; echo done'
# Commands share the shell's open file and its offset: each reads on from
# where the last one stopped (head reads a line; cat the rest; read, then cat).
# shellcheck disable=SC2086
same "busybox sh: commands read on from one open file" "" $bbin \
	--file "$tmp/fruit:$tmp/fruit" -- "$BUSYBOX" sh -c 'PATH='"$tmp/bin"'
exec 3<'"$tmp/fruit"'; head -n 1 <&3; echo --; cat <&3; { read a; echo "read $a"; cat; } <'"$tmp/fruit"
# stdin from a file: head gives back what it read past (lseek), cat the rest.
# shellcheck disable=SC2086
same "busybox sh: head, then cat, of kvmlet's stdin from a file" "$tmp/fruit" $bbin -- \
	"$BUSYBOX" sh -c 'PATH='"$tmp/bin"'; head -n 1; echo --; cat; x=$(head -n 1); echo "[$x]"'
# timeout ends a command that computes (its watcher sleeps, then kills it).
# shellcheck disable=SC2086
same "busybox timeout ends a command that never waits" "" $bbin -- \
	"$BUSYBOX" sh -c 'PATH='"$tmp/bin"'; timeout 1 sh -c "while :; do :; done"; echo "status $?"'
# A signal from another process of the program ends it: the message says so.
# shellcheck disable=SC2086
check 125 '' 'killed by signal 15 (SIGTERM), sent by another of its processes' -- \
	run $bbin "$BUSYBOX" sh -c 'PATH='"$tmp/bin"'; sh -c "kill \$PPID"; sleep 5'
# busybox under an applet's name, as Linux systems link it: env runs sort
# from its PATH; sh runs a script whose #! line names /bin/sh, which execs
# /bin/sh again (natively: coreutils' sort, dash).
printf '#!/bin/sh\necho "script $1"\nexec /bin/sh -c "echo nested $0"\n' >"$tmp/s.sh"
chmod 755 "$tmp/s.sh"
same "busybox env runs sort from PATH (busybox as /bin/sort)" "" --file "$BUSYBOX:/bin/sort" \
	--file "$tmp/fruit:$tmp/fruit" -- "$BUSYBOX" env PATH=/bin sort "$tmp/fruit"
same "busybox sh execs a #! /bin/sh script, which execs /bin/sh" "" --file "$BUSYBOX:/bin/sh" \
	--file "$tmp/s.sh:$tmp/s.sh" -- "$BUSYBOX" sh -c "exec $tmp/s.sh arg"
# busybox free and df read /proc/meminfo and /proc/mounts: the guest's memory, the tree at /.
check 0 '' '' -- run -m 64M "$BUSYBOX" free
if awk '/^Mem:/ { exit !($2 == 65536 && $4 > 0 && $4 < 65536) }' "$out"; then
	echo "ok: busybox free: 65536 KiB in all, some of it free"
else
	echo "FAIL: busybox free: $(cat "$out")"
	failures=$((failures + 1))
fi
check 0 '' '' -- run "$BUSYBOX" df /
if tail -n 1 "$out" | grep -q '^kvmlet .* /$'; then
	echo "ok: busybox df /: the tree, mounted at /"
else
	echo "FAIL: busybox df /: $(cat "$out")"
	failures=$((failures + 1))
fi
for seed in 1 2 3 4; do
	same "600 random mmap, munmap, mprotect calls and accesses (seed $seed)" "" -- \
		"$LXTEST" mmaprandom $seed 600
done
same "the other system calls' argument rules (raw system calls)" "" --file "$tmp/fruit" -- \
	"$LXTEST" sysabi "$tmp/fruit"
# Again with a file as stdin: FIONREAD on it is kvmlet's own ioctl (seccomp allows it).
same "the same, stdin from a file" "$tmp/fruit" --file "$tmp/fruit" -- \
	"$LXTEST" sysabi "$tmp/fruit"
same "a file given with --file" "" --file "$tmp/fruit" -- "$LXTEST" cat "$tmp/fruit"
same "file locks: flock between descriptions, a waiting thread; record locks; fadvise" "" \
	--file "$tmp/fruit" -- "$LXTEST" locks "$tmp/fruit"
same "links to descriptors: /dev/stdout, /dev/fd/N, /proc/self/fd/N opened, followed, read" \
	"$tmp/fruit" --file "$tmp/fruit" -- "$LXTEST" fdlinks "$tmp/fruit"
same "descriptors: dup, dup2, dup3, F_DUPFD, closing 0-2, shared offsets, /dev/*" "" \
	--file "$tmp/fruit" -- "$LXTEST" fds "$tmp/fruit"
same "pipes, eventfds, epoll and poll inside the program (raw system calls)" "" -- \
	"$LXTEST" pipes
same "the process asks about itself: umask, prctl, sysinfo, times, getrusage, sockets" "" -- \
	"$LXTEST" proc
same "user and group ids: setgroups, setres[ug]id, setreuid, dropping root for good, si_uid" "" -- \
	"$LXTEST" creds
same "priorities, scheduling policies, affinity, mlock, membarrier (raw system calls)" "" -- \
	"$LXTEST" sched
same "one read or write of more than 64 KiB: files, stdin from a file, /dev/*, stdout, stderr" \
	"$tmp/big" --file "$tmp/big" -- "$LXTEST" bigio "$tmp/big"
same "readlink /proc/self/exe, fsync, syncfs, chdir, fchdir, statx" "" --file "$tmp/fruit" -- \
	"$LXTEST" files "$tmp/fruit"
# Directories: the tree the --file entries make (their guest paths are the
# host's) is natively a fresh read-only tree holding just them.
tree=$tmp/tree
mkdir -p "$tree/a" "$tree/b/c"
echo x >"$tree/a/x" && echo y >"$tree/a/y" && echo z >"$tree/b/c/z" && echo top >"$tree/top"
chmod 444 "$tree/a/x" "$tree/a/y" "$tree/b/c/z" "$tree/top"
chmod 555 "$tree/a" "$tree/b/c" "$tree/b" "$tree"
trees="--file $tree/a/x --file $tree/a/y --file $tree/b/c/z --file $tree/top"
# shellcheck disable=SC2086
same "directories: readdir, stat, realpath, chdir, fchdir, getcwd, getdents64, O_DIRECTORY" \
	"" $trees -- "$LXTEST" dirs "$tree"
# Calls that would change files. Natively the tree is a read-only bind mount
# (which needs root, as the QEMU runs have): each call's errno as Linux's.
rot=$tmp/rotree
mkdir -p "$rot/a" && echo x >"$rot/a/x" && echo top >"$rot/top"
if mount --bind "$rot" "$rot" 2>/dev/null && mount -o remount,ro,bind "$rot" 2>/dev/null; then
	same "a read-only tree: mkdir, unlink, rename, chmod, utimes, truncate, O_CREAT, statfs" \
		"" --file "$rot/a/x" --file "$rot/top" -- "$LXTEST" rofs "$rot"
	for cmd in "touch $rot/new" "touch $rot/top" "mkdir $rot/d" "rm $rot/top" "mv $rot/top $rot/t" \
		"chmod 600 $rot/top" "ln -s x $rot/l"; do
		# shellcheck disable=SC2086
		same "busybox $cmd on a read-only tree" "" --file "$rot/a/x" --file "$rot/top" -- \
			"$BUSYBOX" $cmd
	done
	# And the programs' own messages name the reason, as on Linux.
	for cmd in "touch $rot/new" "mkdir $rot/d" "rm $rot/top"; do
		# shellcheck disable=SC2086
		"$KVMLET" run --file "$rot/top" -- "$BUSYBOX" $cmd >/dev/null 2>"$tmp/ro.err"
		if grep -q "Read-only file system" "$tmp/ro.err"; then
			echo "ok: busybox $cmd says: $(cat "$tmp/ro.err")"
		else
			echo "FAIL: busybox $cmd under kvmlet said: $(cat "$tmp/ro.err")"
			failures=$((failures + 1))
		fi
	done
	umount "$rot"
else
	umount "$rot" 2>/dev/null
	echo "SKIP: the read-only tree checks: cannot bind-mount $rot read-only (not root?)"
fi
same "signal handlers: raise, kill, masks, sigsuspend, an alternate stack, faults as signals" \
	"" -- "$LXTEST" signals
same "POSIX timers: SI_TIMER, periodic, SIGEV_NONE, absolute, overruns, a thread's, SIGEV_THREAD" \
	"" -- "$LXTEST" ptimers
same "mmap of a file: private and shared copies, an offset, refusals" "" --file "$tmp/blob" -- \
	"$LXTEST" mapfile "$tmp/blob"
same "mmap of a small file" "" --file "$tmp/fruit" -- "$LXTEST" mapfile "$tmp/fruit"
same "big mappings barely touched: 100 rounds of mmap 1-7 MiB, munmap" "" -- \
	"$LXTEST" mmapchurn 100
same "Linux's 8 MiB stack: a 1 MiB local array, deep recursion" "" -- "$LXTEST" bigstack
same "a signal its handler ignores, or whose default is to do nothing" "" -- "$LXTEST" signal 17
# sig_run native|kvmlet SIG MODE: lxtest outside MODE, stdin a pipe that never
# has data, sent SIG with kill(1) once it printed "ready" (kvmlet forwards it
# to the program); output in $tmp/sig.native or $tmp/sig.kvmlet, status in
# $sst, seconds in $ssecs.
sig_run() {
	rm -f "$tmp/fifo" "$tmp/sig.$1"
	mkfifo "$tmp/fifo"
	exec 9<>"$tmp/fifo"
	start=$(date +%s)
	if [ "$1" = native ]; then
		"$LXTEST" outside "$3" <"$tmp/fifo" >"$tmp/sig.$1" 2>/dev/null &
	else
		"$KVMLET" run --timeout 20s "$LXTEST" outside "$3" <"$tmp/fifo" >"$tmp/sig.$1" \
			2>"$tmp/sig.err" &
	fi
	pid=$!
	i=0
	while ! grep -q ready "$tmp/sig.$1" 2>/dev/null && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	sleep 0.2
	kill "-$2" "$pid"
	sst=0
	wait "$pid" || sst=$?
	ssecs=$(($(date +%s) - start))
	exec 9>&-
}
# Signals from outside: the shell's kill reaches the program as on Linux (a
# loop with no system call, a sleep, pause, a read of stdin), within seconds.
# Not SIGINT: a background job of a script starts with it ignored, and kvmlet
# leaves ignored what it was started with ignored.
for c in "TERM spin" "HUP sleep" "USR1 pause" "TERM read" "USR1 ignored"; do
	# shellcheck disable=SC2086
	set -- $c
	sig_run native "$1" "$2"
	ns=$sst
	sig_run kvmlet "$1" "$2"
	if [ "$ns" != "$sst" ] || [ "$ssecs" -gt 10 ] || ! cmp -s "$tmp/sig.native" "$tmp/sig.kvmlet"; then
		echo "FAIL: signal from outside: SIG$1 to $2: native status $ns, kvmlet $sst after ${ssecs} s; outputs:"
		cat "$tmp/sig.native"; echo "---"; cat "$tmp/sig.kvmlet"; echo "---"; cat "$tmp/sig.err"
		failures=$((failures + 1))
	else
		echo "ok: signal from outside: SIG$1 to $2 (status $sst, $(tail -1 "$tmp/sig.kvmlet"))"
	fi
done
# Signals kvmlet was started with ignored, the program starts with ignored
# too, as exec keeps them (nohup's SIGHUP, a background job's SIGINT).
nat=$(sh -c "trap '' HUP INT USR2; exec \"\$0\" sigign" "$LXTEST")
kv=$(sh -c "trap '' HUP INT USR2; exec \"\$0\" run \"\$1\" sigign" "$KVMLET" "$LXTEST")
natplain=$("$LXTEST" sigign)
kvplain=$("$KVMLET" run "$LXTEST" sigign)
if [ "$nat" = "$kv" ] && [ "$natplain" = "$kvplain" ] && [ "$nat" != "$natplain" ]; then
	echo "ok: signals ignored at start stay ignored in the program ($kv; without: $kvplain)"
else
	echo "FAIL: signals ignored at start: native '$nat' / '$natplain', kvmlet '$kv' / '$kvplain'"
	failures=$((failures + 1))
fi
# A read of stdin that would block for ever (a pipe nobody writes) ends with
# the time limit (status 124), and kvmlet_cancel's kick ends it the same way.
rm -f "$tmp/fifo"
mkfifo "$tmp/fifo"
exec 9<>"$tmp/fifo"
st=0 start=$(date +%s)
# (killed after 30 s if it hangs: status 137, a failure, not a hung suite)
timeout -s KILL 30 "$KVMLET" run --timeout 1s "$LXTEST" upper <"$tmp/fifo" >/dev/null \
	2>"$tmp/to.err" || st=$?
secs=$(($(date +%s) - start))
exec 9>&-
if [ "$st" = 124 ] && [ "$secs" -le 10 ]; then
	echo "ok: a blocked read of stdin ends at the time limit (status 124, ${secs} s)"
else
	echo "FAIL: a blocked read of stdin: status $st after ${secs} s (want 124 within 10 s)"
	cat "$tmp/to.err"
	failures=$((failures + 1))
fi
# One whose default action ends the program: kvmlet says so (status 125).
sig_run kvmlet TERM default
if [ "$sst" = 125 ] && grep -q "killed by signal 15 (SIGTERM), sent from outside" "$tmp/sig.err"; then
	echo "ok: signal from outside: SIGTERM with no handler ends the run ($(head -1 "$tmp/sig.err"))"
else
	echo "FAIL: signal from outside: SIGTERM with no handler: status $sst"; cat "$tmp/sig.err"
	failures=$((failures + 1))
fi
if [ -n "${LXTEST_PIE:-}" ] && [ -x "$LXTEST_PIE" ]; then
	same "static PIE (glibc): printf" "" -- "$LXTEST_PIE" printf
	same "static PIE (glibc): signal handlers" "" -- "$LXTEST_PIE" signals
	same "static PIE (glibc): POSIX timers, SIGEV_THREAD" "" -- "$LXTEST_PIE" ptimers
	same "static PIE (glibc): argv, environment, auxv" "" -- "$LXTEST_PIE" args x
	same "static PIE (glibc): __thread variables" "" -- "$LXTEST_PIE" tls
	same "static PIE (glibc): malloc, mmap, mprotect, munmap" "" -- "$LXTEST_PIE" mem
	same "static PIE (glibc): /proc/self/maps, pthread_getattr_np of the main thread" "" -- \
		"$LXTEST_PIE" maps
	# shellcheck disable=SC2086
	same "static PIE (glibc): directories, realpath, opendir" "" $trees -- \
		"$LXTEST_PIE" dirs "$tree"
	# glibc's posix_spawn learns a failed exec's errno from what its
	# CLONE_VM | CLONE_VFORK child wrote to their memory.
	same "static PIE (glibc): fork, posix_spawn (ENOENT through shared memory), vfork" "" \
		--file "$LXTEST_PIE:$LXTEST_PIE" -- "$LXTEST_PIE" fork "$LXTEST_PIE"
else
	echo "note: no LXTEST_PIE: the static-PIE checks do not run"
fi
same "busybox echo" "" -- "$BUSYBOX" echo hello world
same "busybox cat of stdin" "$tmp/fruit" -- "$BUSYBOX" cat
same "busybox wc of stdin" "$tmp/fruit" -- "$BUSYBOX" wc
same "busybox sort -r" "$tmp/fruit" -- "$BUSYBOX" sort -r
same "busybox sha256sum of stdin" "$tmp/blob" -- "$BUSYBOX" sha256sum
same "busybox sed" "$tmp/fruit" -- "$BUSYBOX" sed -e s/a/A/g -e 2d
same "busybox awk" "" -- "$BUSYBOX" awk 'BEGIN{print 6*7}'
same "busybox sort of a file" "" --file "$tmp/fruit" -- "$BUSYBOX" sort "$tmp/fruit"
# More of busybox's applets over stdin and allowed files, each against Linux
# (of 139 tried, these agree; the others need a writable tree, a process tree, or a
# /proc or /etc kvmlet does not have).
printf 'pear 3\napple 10\nfig 2\nbanana 7\napple 10\n' >"$tmp/counts"
printf 'a\nb\nc\n' >"$tmp/abc"
printf 'a\nB\nc\nd\n' >"$tmp/abd"
"$BUSYBOX" gzip -c "$tmp/counts" >"$tmp/counts.gz"
"$BUSYBOX" bzip2 -c "$tmp/counts" >"$tmp/counts.bz2"
(cd "$tmp" && "$BUSYBOX" tar -cf "$tmp/t.tar" counts abc)
bbf=
for f in blob counts abc abd counts.gz counts.bz2 t.tar; do bbf="$bbf --file $tmp/$f"; done
# bb INPUT ARGS...: busybox ARGS with INPUT as stdin and those files allowed.
bb() {
	input=$1
	shift
	# shellcheck disable=SC2086
	same "busybox $*" "$input" $bbf -- "$BUSYBOX" "$@"
}
set -f # the words below are not patterns
for a in md5sum sha512sum sha3sum crc32 base64 tac rev nl expand "sort -u" "uniq -c" \
	"tr a-z A-Z" "cut -d. -f1" "fold -w 7" "bzip2 -c" "gzip -c -n" "od -A x -t x1 -N 64" \
	"hexdump -C -n 64" "xxd -l 64" "grep -c apple" "grep -v -i APPLE" "sed -n 2,3p" \
	"sort -k2 -n" "tail -n 2" "head -c 100"; do
	in=$tmp/counts
	case $a in md5sum | sha* | crc32 | base* | od* | hex* | xxd* | head*) in=$tmp/blob ;; esac
	# shellcheck disable=SC2086
	bb "$in" $a
done
set +f
bb "" md5sum "$tmp/blob" "$tmp/counts"
bb "" wc -lwc "$tmp/counts" "$tmp/abc"
bb "" cat -n "$tmp/abc"
bb "" sort -m "$tmp/abc" "$tmp/abd"
bb "" cmp "$tmp/abc" "$tmp/abd"
bb "" diff "$tmp/abc" "$tmp/abd"
bb "" paste "$tmp/abc" "$tmp/abd"
bb "" dd "if=$tmp/blob" bs=100 count=3 skip=2
bb "" dd if=/dev/zero bs=1k count=4
bb "" gunzip -c "$tmp/counts.gz"
bb "" bunzip2 -c "$tmp/counts.bz2"
bb "" tar -tvf "$tmp/t.tar"
bb "" tar -xOf "$tmp/t.tar" counts
bb "" grep -r -n apple "$tmp/counts"
bb "" readlink -f "$tmp/./abc"
bb "" seq 3 2 11
bb "" factor 360 1001 4294967297
bb "" expr 6 \* 7
bb "" printf "%05.2f|%x|%s\n" 3.14159 255 hi
bb "" cal 1 2000
bb "" date -u -d @86400 +%Y-%m-%dT%H:%M:%S
same "busybox readlink /proc/self/exe (glibc)" "" -- "$BUSYBOX" readlink /proc/self/exe
# Directories (find: one entry per directory, so that readdir's order is Linux's too).
# shellcheck disable=SC2086
{
same "busybox ls -a of a directory" "" $trees -- "$BUSYBOX" ls -a "$tree"
same "busybox ls -R -p" "" $trees -- "$BUSYBOX" ls -R -p "$tree"
same "busybox ls -d of a file and a directory" "" $trees -- "$BUSYBOX" ls -d "$tree/a/x" "$tree/b/"
same "busybox find" "" $trees -- "$BUSYBOX" find "$tree/b"
same "busybox find -type f" "" $trees -- "$BUSYBOX" find "$tree/b" -type f
same "busybox realpath of a --file" "" $trees -- "$BUSYBOX" realpath "$tree/a/../b/./c//z"
same "busybox sh: cd, pwd, a relative read" "" $trees -- "$BUSYBOX" sh -c \
	"cd $tree/a && pwd && read l <x && echo \$l && cd ../b/c && pwd && read l <z && echo \$l"
}
# Shell redirections: dup2, F_DUPFD(_CLOEXEC), close and /dev/null (each
# prints to stdout only after a redirection worked; `same` compares stdout).
same "busybox sh: >&2" "" -- "$BUSYBOX" sh -c 'echo to-stderr >&2; echo after'
same "busybox sh: exec 2>&1, >&2" "" -- "$BUSYBOX" sh -c 'exec 2>&1; echo to-stderr >&2; echo after'
same "busybox sh: 2>/dev/null" "" -- "$BUSYBOX" sh -c 'echo quiet 2>/dev/null; echo after'
# A new child runs first, until it waits (with --seed: no slices, so every
# run the same): a shell's background job has set SIGINT ignored, as POSIX
# asks, before the shell's kill comes; before, the kill found the shell's copy.
# shellcheck disable=SC2086
check 0 'status 0' '' -- run --seed 1 $bbin "$BUSYBOX" sh -c \
	'PATH='"$tmp/bin"'; sleep 1 & kill -INT $!; wait $!; echo status $?'
# Limits: no core file is ever written (soft 0, as Debian starts programs).
check 0 'core 0 unlimited, files 64' '' -- run "$BUSYBOX" sh -c \
	'echo core $(ulimit -c) $(ulimit -Hc), files $(ulimit -n)'
same "busybox sh: exec 3>&1, >&3, 3>&-" "" -- "$BUSYBOX" sh -c \
	'exec 3>&1; echo via3 >&3; exec 3>&-; echo done; echo gone >&3; echo status $?'
# (read is a builtin: these need no process of their own.)
same "busybox sh: </dev/null, then stdin again" "$tmp/fruit" -- "$BUSYBOX" sh -c \
	'read x </dev/null; echo empty $?; read x; echo "$x"'
same "busybox sh: >/dev/null, </dev/zero, </dev/urandom" "" -- "$BUSYBOX" sh -c \
	'echo gone >/dev/null; read -n 4 z </dev/zero; echo "zero $? ${#z}"; read -n 3 r </dev/urandom; echo "urandom $?"'
if [ -n "${LXAVX:-}" ] && [ -x "$LXAVX" ]; then
	same "AVX2 and FMA, the XSAVE image of a signal frame, YMM kept across a handler" "" -- \
		"$LXAVX"
else
	echo "note: no LXAVX (gcc missing?): the AVX check does not run"
fi
# A 300 MiB .bss: without --memory, run grows the guest's memory to fit it.
if [ -n "${LXBSS:-}" ] && [ -x "$LXBSS" ]; then
	same "a 300 MiB .bss (run's memory grows to fit it)" "" -- "$LXBSS"
	check 0 '300 MiB of .bss: 1 0 2' '524288 KiB memory, 8192 KiB stack' -- run -v "$LXBSS"
	check 121 '' 'guest does not fit in guest memory' -- run -m 256M "$LXBSS"
else
	echo "note: no LXBSS (musl-gcc missing?): the big .bss check does not run"
fi
if [ -n "${LXCPP:-}" ] && [ -x "$LXCPP" ]; then
	same "C++ (libstdc++, static): exceptions, RTTI, containers, iostreams" "" -- "$LXCPP" one
else
	echo "note: no LXCPP (g++ missing?): the C++ check does not run"
fi

# POSIX threads (tests/linux/lxthreads.c; musl, and glibc with gcc -static
# -pthread): whatever the scheduling, the output is the same. --timeout: a
# scheduler that never comes back fails here instead of hanging the suite.
threads_ran=
for lxt in "${LXTHREADS:-}" "${LXTHREADS_GLIBC:-}"; do
	if [ -z "$lxt" ] || ! [ -x "$lxt" ]; then continue; fi
	threads_ran=1
	libc=musl
	case $lxt in *_glibc) libc=glibc ;; esac
	same "threads ($libc): join, mutex, cond, barrier, once, TLS, tids, sem, timedwait, sleep, rwlock, exit" \
		"" --timeout 120s -- "$lxt"
	same "threads ($libc): main calls pthread_exit, the last worker prints last" "" \
		--timeout 60s -- "$lxt" mainexit
	same "threads ($libc): exit(7) in a worker ends the blocked threads" "" \
		--timeout 60s -- "$lxt" exitgroup
	same "threads ($libc): code with no system call is interrupted: a timer's signal, threads spinning in turn, a sleep ending, each thread's FPU state" "" \
		--timeout 120s -- "$lxt" preempt
	# Two threads each holding the mutex the other wants (on Linux this hangs,
	# so it runs only here): the run must end with an error, not hang.
	st=0 start=$(date +%s)
	"$KVMLET" run --timeout 5s "$lxt" deadlock >"$tmp/dl.out" 2>"$tmp/dl.err" || st=$?
	secs=$(($(date +%s) - start))
	if [ "$st" != 0 ] && [ "$secs" -le 60 ] && grep -q '^kvmlet: ' "$tmp/dl.err" &&
		grep -q '^deadlock: two threads' "$tmp/dl.out"; then
		echo "ok: threads ($libc): a deadlock ends the run (status $st, ${secs} s: $(head -1 "$tmp/dl.err"))"
	else
		echo "FAIL: threads ($libc): deadlock: status $st after ${secs} s (want an error, within 60 s)"
		cat "$tmp/dl.out" "$tmp/dl.err"
		failures=$((failures + 1))
	fi
done
[ -n "$threads_ran" ] || echo "note: no LXTHREADS nor LXTHREADS_GLIBC: the threads checks do not run"

# Go (tests/linux/lxgo.go, golang-go): goroutines on the runtime's threads,
# channels, timers (which sleep in epoll_pwait and wake through a pipe), the
# garbage collector, panics recovered, os.Exit.
if [ -n "${LXGO:-}" ] && [ -x "$LXGO" ]; then
	same "Go: goroutines, channels, timers, select, GC, recover (run's default memory)" "" \
		--timeout 120s -- "$LXGO"
	same "Go: os.Exit(3)" "" -m 64M --timeout 120s -- "$LXGO" exit3
	gself=$(readlink -f "$LXGO")
	same "Go: os/exec runs itself (fork and exec), output piped back, its status" "" -m 64M \
		--timeout 120s --file "$gself:$gself" -- "$LXGO" spawn "$gself"
	same "Go, with --seed (its fake clock)" "" -m 64M --seed 7 --timeout 120s -- "$LXGO"
else
	echo "note: no LXGO (golang-go missing: apt-get install golang-go): the Go checks do not run"
fi
# Rust (tests/linux/lxrust.rs, where rustc was found): std's threads, channels,
# a panic caught and one ending a thread, collections, formatting, exit.
if [ -n "${LXRUST:-}" ] && [ -x "$LXRUST" ]; then
	same "Rust: threads, channels, panics caught, collections" "" --timeout 120s -- "$LXRUST"
	same "Rust: process::exit(4)" "" --timeout 120s -- "$LXRUST" exit4
else
	echo "note: no LXRUST (rustc not found): the Rust checks do not run"
fi

# Programs nobody built for kvmlet, from Debian packages (FOREIGN: their paths;
# run_kvm_tests.sh passes those the host has): other libcs and start-up code,
# shells with their builtins, and pipelines of busybox's applets.
for prog in ${FOREIGN:-}; do
	case ${prog##*/} in
	bash-static)
		same "bash-static (glibc): builtins, arrays, functions" "" -- "$prog" -c \
			'a=(p q r); f() { echo "f $1 ${#a[@]} ${a[1]} $((6 * 7)) ${X:-no}"; }; f x; printf "%05d|%s\n" 42 "$BASH_VERSION"'
		same "bash-static: --version" "" -- "$prog" --version
		same "bash-static: redirections" "" -- "$prog" -c \
			'echo x >&2; echo y 2>/dev/null; { echo grouped; } >&2; exec 2>&1; echo z >&2'
		# shellcheck disable=SC2086
		same "bash-static: pipelines, \$(...), subshells, background jobs" "" $bbin -- \
			"$prog" -c "$pipeline"
		# read -t of a stdin that comes late: select times out (142), the next read waits.
		script='read -t 0.3 x; echo "status $? [$x]"; read y; echo "then [$y]"'
		(sleep 3; echo x) | env -i X=1 "$prog" -c "$script" >"$tmp/native" 2>&1
		(sleep 3; echo x) | "$KVMLET" run --env X=1 "$prog" -c "$script" >"$tmp/kvmlet" 2>"$tmp/kerr"
		agree "bash-static: read -t of a slow stdin times out, the next read waits" ;;
	zsh-static)
		same "zsh-static: builtins, arrays, expansions" "" -- "$prog" -f -c \
			'a=(1 2 3); print -l $#a ${(U)a:-x} $(( 2 ** 10 )); echo ${ZSH_VERSION%%.*}'
		# shellcheck disable=SC2086
		same "zsh-static: pipelines, \$(...), subshells, background jobs" "" $bbin -- \
			"$prog" -f -c "$pipeline" ;;
	mksh)
		same "mksh (klibc): arithmetic, typeset" "" -- "$prog" -c \
			'typeset -i n=5; n=n*7; echo mksh $n $((1 << 4)); set -- a b c; echo $# $2'
		# shellcheck disable=SC2086
		same "mksh: pipelines, \$(...), subshells, background jobs" "" $bbin -- \
			"$prog" -c "$pipeline" ;;
	ldconfig)
		same "ldconfig (glibc static PIE): --help" "" -- "$prog" --help ;;
	*) echo "FAIL: FOREIGN names $prog, which this script has no check for"
		failures=$((failures + 1)) ;;
	esac
done
[ -n "${FOREIGN:-}" ] || echo "note: FOREIGN is empty: no foreign programs checked"

# What differs from Linux on purpose.
check 0 'wx refused EACCES' '' -- run "$LXTEST" wx
check 0 'map32 ENOMEM' '' -- run "$LXTEST" map32
check 1 "open /etc/passwd: ENOENT" '' -- run "$LXTEST" cat /etc/passwd
check 1 "open $tmp/fruit: ENOENT" '' -- run "$LXTEST" cat "$tmp/fruit"
check 0 'lseek end 22' '' -- run --file "$tmp/fruit:/data/f" "$LXTEST" cat /data/f
# The tree from "/": the parents of the --file paths and /dev; the working
# directory "/" at start, and again after a reset.
top=$(echo "$tmp" | cut -d/ -f2)
root=$(printf '%s\n' '. (dir)' '.. (dir)' 'dev (dir)' "$top (dir)" | LC_ALL=C sort | tr '\n' ' ')
cat >"$tmp/dirtree" <<EOF
getcwd: 2
cwd /
getcwd, 1 byte: ERANGE
list /: ${root% }
list /dev: . (dir) .. (dir) fd (other) null (other) random (other) stderr (other) stdin (other) stdout (other) urandom (other) zero (other)
list /..: ${root% }
stat /: dir mode 555 nlink 4 size 0
stat /dev: dir mode 555 nlink 2 size 0
access / W_OK: EROFS
access /dev R_OK|X_OK: ok
access FILE W_OK: EROFS
access FILE X_OK: EACCES
access FILE R_OK: ok
chdir /dev/../dev: ok
getcwd: 5
cwd /dev
getcwd, 4 bytes: ERANGE
getcwd, 5 bytes: 5
stat null from /dev: other mode 666 nlink 1 size 0
chdir ../..: ok
getcwd: 2
cwd /
EOF
"$KVMLET" run --file "$tmp/fruit" "$LXTEST" dirtree "$tmp/fruit" >"$tmp/dirtree.out" 2>&1 || true
printf '%s\n' dev "$top" | LC_ALL=C sort >"$tmp/ls.want"
"$KVMLET" run --file "$tmp/fruit" "$BUSYBOX" ls / >"$tmp/ls.out" 2>&1 || true
"$KVMLET" run --repeat 2 --file "$tmp/fruit" "$BUSYBOX" sh -c "pwd; cd $tmp" >"$tmp/pwd.out" 2>&1 || true
if cmp -s "$tmp/dirtree" "$tmp/dirtree.out" && cmp -s "$tmp/ls.want" "$tmp/ls.out" &&
	[ "$(cat "$tmp/pwd.out")" = "$(printf '/\n/')" ]; then
	echo "ok: the tree from /, /dev, getcwd, W_OK (EROFS), ls /, the working directory after a reset"
else
	echo "FAIL: the tree from /:"; diff "$tmp/dirtree" "$tmp/dirtree.out"
	diff "$tmp/ls.want" "$tmp/ls.out"; cat "$tmp/pwd.out"
	failures=$((failures + 1))
fi
# Pipes, eventfds and timerfds share 8 slots (ENFILE past them); closing frees
# them, and so does a reset: the second run makes as many.
"$KVMLET" run --repeat 2 "$LXTEST" pipeslots >"$tmp/slots.out" 2>&1 || true
if [ "$(cat "$tmp/slots.out")" = "$(printf 'made 8, then Too many open files in system\n%.0s' 1 2 3 4)" ]; then
	echo "ok: 8 slots for pipes, eventfds and timerfds, freed by close and by a reset"
else
	echo "FAIL: pipe slots:"; cat "$tmp/slots.out"
	failures=$((failures + 1))
fi
# A reset disarms and forgets the POSIX timers: the second run sees none and
# gets the same id again.
"$KVMLET" run --repeat 2 "$LXTEST" ptimerfresh >"$tmp/pf.out" 2>&1 || true
"$LXTEST" ptimerfresh >"$tmp/pf.one" 2>&1
if [ "$(head -3 "$tmp/pf.one")" = "timer 0 before: Invalid argument
timer_create: ok, id 0
armed: ok" ] && cat "$tmp/pf.one" "$tmp/pf.one" | cmp -s - "$tmp/pf.out"; then
	echo "ok: POSIX timers do not survive a reset"
else
	echo "FAIL: POSIX timers across a reset:"; cat "$tmp/pf.one" "$tmp/pf.out"
	failures=$((failures + 1))
fi
# /proc/self/exe of a program started by a relative path: from the guest's
# working directory, "/" (Linux: from the caller's).
got=$(cd "$(dirname "$BUSYBOX")" && "$KVMLET" run "./$(basename "$BUSYBOX")" readlink /proc/self/exe)
if [ "$got" = "/$(basename "$BUSYBOX")" ]; then
	echo "ok: /proc/self/exe of ./$(basename "$BUSYBOX") is $got"
else
	echo "FAIL: /proc/self/exe of ./$(basename "$BUSYBOX") is '$got'"
	failures=$((failures + 1))
fi
check 123 '' 'divide error at RIP 0x' -- run "$LXTEST" div0
check 123 '' 'int $0x80, a 32-bit system call (kvmlet runs 64-bit code only' -- run "$LXTEST" int80
# The stack: Linux's 8 MiB for a Linux program, at most 1/32 of memory, or as given.
check 0 '' '262144 KiB memory, 8192 KiB stack' -- run -v "$LXTEST" exit 0
check 0 '' '65536 KiB memory, 2048 KiB stack' -- run -v -m 64M "$LXTEST" exit 0
check 0 '' '262144 KiB memory, 1024 KiB stack' -- run -v -s 1M "$LXTEST" exit 0
check 125 '' 'the program killed itself with signal 6 (SIGABRT)' -- run "$LXTEST" signal 6
check 125 '' 'the program killed itself with signal 10 (SIGUSR1)' -- run "$LXTEST" signal 10
check 125 '' 'the program killed itself with signal 13 (SIGPIPE)' -- run "$LXTEST" signal 13
check 0 'random' '' -- run "$LXTEST" clock
# --seed: the same clock and randomness every time; different seeds differ.
"$KVMLET" run --seed 7 "$LXTEST" clock >"$tmp/s1" 2>&1
"$KVMLET" run --seed 7 "$LXTEST" clock >"$tmp/s2" 2>&1
"$KVMLET" run --seed 8 "$LXTEST" clock >"$tmp/s3" 2>&1
if cmp -s "$tmp/s1" "$tmp/s2" && ! cmp -s "$tmp/s1" "$tmp/s3" && grep -q 'monotonic ok' "$tmp/s1"; then
	echo "ok: --seed makes runs reproducible"
else
	echo "FAIL: --seed: runs differ or seeds agree"; cat "$tmp/s1" "$tmp/s2" "$tmp/s3"
	failures=$((failures + 1))
fi
# ... and after a reset too: the fake clock goes back with the rest.
"$KVMLET" run --seed 7 --repeat 2 "$LXTEST" clock >"$tmp/s4" 2>&1
if [ "$(wc -l <"$tmp/s4")" = 8 ] && head -4 "$tmp/s4" | cmp -s - "$tmp/s1" &&
	tail -4 "$tmp/s4" | cmp -s - "$tmp/s1"; then
	echo "ok: --seed: a run after a reset reads the same clock and randomness"
else
	echo "FAIL: --seed --repeat 2: the second run differs from the first"; cat "$tmp/s4"
	failures=$((failures + 1))
fi
# --trace: every system call by name with its result, those served in the
# guest's kernel included; --strict names the call it refuses.
"$KVMLET" run --trace "$LXTEST" mem >"$tmp/t.out" 2>"$tmp/t.err" || true
if grep -q 'syscall   set_tid_address = 1  \[in the guest\]' "$tmp/t.err" &&
	grep -q 'syscall   mmap = [0-9]*  \[in the guest\]' "$tmp/t.err" &&
	grep -q 'syscall   munmap = 0  \[in the guest\]' "$tmp/t.err" &&
	grep -Eq 'syscall   (write|writev) = [0-9]+$' "$tmp/t.err" &&
	grep -q 'syscall   ioctl = -25 (error)$' "$tmp/t.err"; then
	echo "ok: --trace shows each system call with its result"
else
	echo "FAIL: --trace"; head -40 "$tmp/t.err"; failures=$((failures + 1))
fi
check 123 '' 'system call 162 (sync), which kvmlet does not provide (strict)' -- \
	run --strict "$BUSYBOX" sync
# A dynamically linked program is refused, naming its interpreter.
if [ -x /bin/true ] && ! [ -L /bin/true ]; then
	check 121 '' 'needs the interpreter /lib64/ld-linux-x86-64.so.2' -- run /bin/true
fi
finish
