#!/bin/sh
# docs.sh [DOC.md...]: compile, and run where possible, the code blocks of
# docs/*.md against a staged `meson install` of this build (lib.sh).
#
# Which blocks, and how (docs/README.md says the same for writers):
#
#   ```c {file=NAME}   written to NAME in the document's scratch directory,
#                      for the sh blocks after it to build and run.
#   ```c               a complete translation unit, compiled on its own
#                      (-Wno-unused-function: it may define helpers only):
#                      with kvmlet_guest.h it is a guest, linked into an ELF
#                      with kvmlet-guest.pc and loaded by `kvmlet inspect`;
#                      with kvmlet.h it is host code, compiled with kvmlet.pc
#                      and linked too if it has a main. Neither is an error.
#   ```sh              run with sh -e in the scratch directory; the staged
#                      kvmlet is first in PATH, pkg-config finds the staged
#                      .pc files, K is the kvmlet source tree. A build command
#                      and its checks, as a reader would type them.
#   ```sh {kvm}        the same, but it runs guests: only where /dev/kvm is
#                      usable (else reported as not run). With --qemu (suite
#                      qemu, for machines without /dev/kvm), these blocks run
#                      inside a QEMU VM with nested KVM (scripts/qemu-kvm)
#                      after all the others, each in its document's directory.
#   ```text {output}   the exact standard output of the sh block before it
#                      (checked whenever that block runs).
#   ```c or ```sh {skip: REASON}
#                      not run; the reason is printed. For what a test must
#                      not do (sudo, installing into /usr/local).
#   anything else      (```text, ```console, ``` alone) is not code: not run.
#
# Each document gets a fresh scratch directory; its blocks run in order.
# Every compile gets -Wall -Wextra -Werror (the cc in PATH adds them): code
# in the docs compiles without warnings.
# Sanitizer builds: the `cc` in PATH adds the build's -fsanitize flags to host
# programs (anything compiled without -ffreestanding), as install.sh does.
here=$(cd "$(dirname "$0")" && pwd)
qemu=false
[ "${1:-}" = --qemu ] && { qemu=true; shift; }
doc_args=$*
. "$here/lib.sh"
if $qemu; then
	kvm_usable && skip "/dev/kvm is usable here: suite docs ran the {kvm} blocks"
	[ -z "$SANFLAGS" ] || skip "sanitizer build: the QEMU VM has no sanitizer runtime"
	command -v qemu-system-x86_64 >/dev/null ||
		skip "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"
fi
stage_install

# The shims: pkg-config that knows where the staged prefix is, cc that is the
# build's compiler, strict about warnings (code in the docs must have none),
# plus the sanitizers for host programs.
DOC_CFLAGS="-Wall -Wextra -Werror"
shims=$WORK/shims
mkdir -p "$shims"
cat >"$shims/pkg-config" <<EOF
#!/bin/sh
exec $(command -v pkg-config) --define-variable=prefix=$STAGE$PREFIX "\$@"
EOF
# The real compiler by its full path: the shim is called cc too.
set -- $CC
real_cc="$(command -v "$1")"
shift
real_cc="$real_cc $*"
cat >"$shims/cc" <<EOF
#!/bin/sh
case " \$* " in
*" -ffreestanding "*) exec $real_cc "\$@" $DOC_CFLAGS ;;
*) exec $real_cc "\$@" $DOC_CFLAGS $SANFLAGS ;;
esac
EOF
chmod +x "$shims/pkg-config" "$shims/cc"
PATH=$shims:$BIN:$PATH
LD_LIBRARY_PATH=$LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
K=$SOURCE_ROOT
export PATH LD_LIBRARY_PATH K

# extract DOC DIR: each tested fenced block into DIR/NNN.body, and one line
# per block into DIR/index: "NNN LANG ATTRS" (ATTRS without the braces).
extract() {
	awk -v dir="$2" '
	/^```/ && !inblock {
		info = substr($0, 4)
		lang = info; sub(/[ {].*/, "", lang)
		attrs = ""
		if (match(info, /\{.*\}/)) attrs = substr(info, RSTART + 1, RLENGTH - 2)
		inblock = 1; n++
		body = sprintf("%s/%03d.body", dir, n)
		printf "" >body
		printf "%03d %s %s\n", n, (lang == "" ? "-" : lang), attrs >(dir "/index")
		next
	}
	/^```/ && inblock { inblock = 0; close(body); next }
	inblock { print >body }
	END { if (inblock) { print "unterminated code block" >"/dev/stderr"; exit 1 } }
	' "$1"
}

CFLAGS="-Wno-unused-function" # plus the shim's
kvm=false
kvm_usable && kvm=true

# check_c DOC N BODY: a C block that is not a file=: compile it on its own.
check_c() {
	src=$scratch/block$2.c
	cp "$3" "$src"
	if grep -q 'kvmlet_guest\.h' "$src"; then
		if cc $CFLAGS "$src" $(pkg-config --cflags --libs kvmlet-guest) -o "$src.elf" >"$WORK/log" 2>&1 &&
			kvmlet inspect "$src.elf" </dev/null >>"$WORK/log" 2>&1; then
			echo "ok: $1 block $2: guest built and loaded"
		else
			fail "$1 block $2 (guest C)"
			cat "$WORK/log"
		fi
	elif grep -q 'kvmlet\.h' "$src"; then
		link="-c $(pkg-config --cflags kvmlet)"
		grep -qE '^int main\(' "$src" && link=$(pkg-config --cflags --libs kvmlet)
		if cc $CFLAGS "$src" $link -o "$src.o" >"$WORK/log" 2>&1; then
			case $link in -c*) echo "ok: $1 block $2: host code compiled" ;;
			*) echo "ok: $1 block $2: host program linked" ;; esac
		else
			fail "$1 block $2 (host C)"
			cat "$WORK/log"
		fi
	else
		fail "$1 block $2: C block that includes neither kvmlet.h nor kvmlet_guest.h (mark it {file=...})"
	fi
}

# run_sh DOC N BODY: a sh block; its stdout goes to $scratch/.out.N
run_sh() {
	if (cd "$scratch" && sh -e "$3") </dev/null >"$scratch/.out.$2" 2>"$WORK/log"; then
		echo "ok: $1 block $2: sh ran"
		last_out=$scratch/.out.$2
	else
		fail "$1 block $2 (sh) failed:"
		sed 's/^/    /' "$3"
		echo "--- stdout"; cat "$scratch/.out.$2"
		echo "--- stderr"; cat "$WORK/log"
		last_out=
	fi
}

# --qemu: queue_vm DOCBASE N BODY: run this block in the VM later.
vm=$WORK/vm
mkdir -p "$vm/blocks" "$vm/lib"
: >"$vm/queue"
queue_vm() {
	last_queued=$1-$2
	cp "$3" "$vm/blocks/$last_queued.sh"
	echo "$last_queued $1" >>"$vm/queue"
}

# run_vm: boot the VM once for all queued blocks; compare what they printed.
run_vm() {
	[ -s "$vm/queue" ] || return 0
	cp -L "$LIB/libkvmlet.so.0" "$vm/lib/"
	{
		echo '#!/bin/sh'
		while read -r id d; do
			echo "cd /t/doc-$d && sh -e /t/vm/blocks/$id.sh >/tmp/out; rc=\$?"
			echo "echo \"@@block $id \$rc\"; cat /tmp/out; echo \"@@end\""
		done <"$vm/queue"
	} >"$WORK/run_blocks.sh"
	chmod +x "$WORK/run_blocks.sh"
	set --
	for d in $(awk '{ print $2 }' "$vm/queue" | sort -u); do
		set -- "$@" -a "$WORK/doc-$d"
	done
	# The first command brings the installed kvmlet (and its libraries) into /t.
	"$SOURCE_ROOT/scripts/qemu-kvm/run.sh" -T 900 "$@" -a "$vm" -e PATH=/t:/bin:/sbin \
		-e LD_LIBRARY_PATH=/t/vm/lib "$BIN/kvmlet --version" "$WORK/run_blocks.sh" \
		>"$WORK/vm.log" 2>&1
	rc=$?
	cat "$WORK/vm.log"
	[ "$rc" = 2 ] && skip "the QEMU harness could not be set up"
	[ "$rc" = 0 ] || fail "the QEMU run failed (status $rc)"
	awk -v dir="$vm" '
	/^@@block / { f = dir "/got." $2; print $3 >(dir "/rc." $2); printf "" >f; on = 1; next }
	/^@@end$/ { on = 0; close(f); next }
	on { print >f }' "$WORK/vm.log"
	while read -r id d; do
		if [ ! -f "$vm/rc.$id" ]; then
			fail "docs/$d.md block ${id##*-}: did not run in the VM"
		elif [ "$(cat "$vm/rc.$id")" != 0 ]; then
			fail "docs/$d.md block ${id##*-}: failed in the VM (status $(cat "$vm/rc.$id"))"
		elif [ -f "$vm/expect.$id" ] && ! cmp -s "$vm/expect.$id" "$vm/got.$id"; then
			fail "docs/$d.md block ${id##*-}: printed in the VM something else than its output block:"
			diff "$vm/expect.$id" "$vm/got.$id"
		else
			echo "ok: docs/$d.md block ${id##*-}: ran in the VM$([ -f "$vm/expect.$id" ] && echo ', output as shown')"
		fi
	done <"$vm/queue"
}

docs=$doc_args
[ -n "$docs" ] || docs=$(ls "$SOURCE_ROOT"/docs/*.md)
notrun=0
for doc in $docs; do
	name=docs/$(basename "$doc")
	scratch=$WORK/doc-$(basename "$doc" .md)
	blocks=$scratch/.blocks
	mkdir -p "$blocks"
	: >"$blocks/index"
	extract "$doc" "$blocks" || { fail "$name: cannot read its code blocks"; continue; }
	last_out=
	last_queued=
	while read -r n lang attrs; do
		body=$blocks/$n.body
		[ "$lang" = text ] || last_queued=""
		case $attrs in
		skip*)
			reason=${attrs#skip}
			echo "not run: $name block $n ($lang): ${reason#: }"
			continue
			;;
		esac
		case $lang in
		c)
			case $attrs in
			file=*) cp "$body" "$scratch/${attrs#file=}" ;;
			'') check_c "$name" "$n" "$body" ;;
			*) fail "$name block $n: unknown attributes {$attrs}" ;;
			esac
			;;
		sh)
			case $attrs in
			kvm)
				if $kvm; then
					run_sh "$name" "$n" "$body"
				elif $qemu; then
					queue_vm "$(basename "$doc" .md)" "$n" "$body"
					last_out=
				else
					echo "not run (no usable /dev/kvm): $name block $n"
					notrun=$((notrun + 1))
					last_out=
				fi
				;;
			'') run_sh "$name" "$n" "$body" ;;
			*) fail "$name block $n: unknown attributes {$attrs}" ;;
			esac
			;;
		text)
			if [ "$attrs" = output ] && [ -n "$last_queued" ]; then
				cp "$body" "$vm/expect.$last_queued"
			elif [ "$attrs" = output ] && [ -n "$last_out" ]; then
				if cmp -s "$body" "$last_out"; then
					echo "ok: $name block $n: output as shown"
				else
					fail "$name block $n: the block before printed something else:"
					diff "$body" "$last_out"
				fi
			fi
			;;
		esac
	done <"$blocks/index"
done
[ "$notrun" = 0 ] || echo "$notrun blocks need /dev/kvm and were not run"
# A non-default prefix needs PATH too, beside PKG_CONFIG_PATH and LD_LIBRARY_PATH.
for v in PATH PKG_CONFIG_PATH LD_LIBRARY_PATH; do
	grep -q "export $v=" "$SOURCE_ROOT/docs/getting-started.md" ||
		fail "docs/getting-started.md does not set $v for a non-default prefix"
done
# Examples read guests with kvmlet_sandbox_new_from_file, not a copied helper.
if grep -l 'read_file' "$SOURCE_ROOT"/docs/*.md "$SOURCE_ROOT/tests/install/host.c"; then
	fail "an example still copies a read_file helper"
fi
$qemu && run_vm
finish
