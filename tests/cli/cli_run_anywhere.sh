#!/bin/sh
# cli_run_anywhere.sh SRC BUILD: README's first command (scripts/run-anywhere.sh)
# on this build. Directly, when /dev/kvm is usable: one line says so, the
# guest's output follows, the status is the guest's. Its QEMU path with a
# stand-in for scripts/qemu-kvm/run.sh that prints what the harness prints, so
# that the parsing is checked here (suite qemu runs the real one).
set -u
src=$1 build=$2
failures=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

if "$src/scripts/kvm-check.sh" >/dev/null; then
	st=0
	KVMLET_BUILD=$build "$src/scripts/run-anywhere.sh" run "$build/guest/hello.elf" >"$tmp/out" 2>"$tmp/err" || st=$?
	[ "$st" = 0 ] || fail "hello: status $st"
	grep -q 'hello from a kvmlet guest' "$tmp/out" || fail "hello: no guest output"
	[ "$(cat "$tmp/err")" = "run-anywhere: /dev/kvm is usable: running kvmlet directly" ] ||
		{ fail "hello: not the one line on stderr"; cat "$tmp/err"; }
	st=0
	KVMLET_BUILD=$build "$src/scripts/run-anywhere.sh" run "$build/tests/guests/exit_status.elf" >/dev/null 2>&1 || st=$?
	[ "$st" = 42 ] || fail "exit_status.elf: status $st, expected the guest's 42"
	echo "ok: directly"
else
	echo "note: $("$src/scripts/kvm-check.sh"): the direct path is not checked"
fi

# The QEMU path: a stand-in harness that checks what it is given.
cat >"$tmp/run.sh" <<'EOS'
#!/bin/sh
# Stand-in for scripts/qemu-kvm/run.sh: -T N, -a FILE..., then one command.
echo "qemu-kvm: booting" >&2
while [ $# -gt 1 ]; do shift; done
set -- $1
[ -x "$1" ] || { echo "not executable: $1"; exit 2; }
case $3 in /t/hello.elf) ;; *) echo "the guest file is not under /t: $3"; exit 2 ;; esac
printf '==== run: ./kvmlet %s %s\r\n' "$2" "$3"
printf 'hello from a kvmlet guest\r\n'
printf '==== exit 3: kvmlet %s %s (0.50s)\n' "$2" "$3"
echo "     dmesg: nothing"
echo "==== qemu-kvm results"
echo "0 passed, 1 failed, 0 skipped"
exit 1
EOS
chmod +x "$tmp/run.sh"
# (needs a static kvmlet: only builds without sanitizers have one)
if [ -x "$build/vmm/kvmlet-static" ] || meson compile -C "$build" vmm/kvmlet-static >/dev/null 2>&1; then
	st=0
	KVMLET_BUILD=$build RUN_ANYWHERE_QEMU=1 RUN_ANYWHERE_QEMU_SH=$tmp/run.sh \
		"$src/scripts/run-anywhere.sh" run "$build/guest/hello.elf" >"$tmp/out" 2>"$tmp/err" || st=$?
	[ "$st" = 3 ] || fail "qemu path: status $st, expected the guest's 3"
	[ "$(cat "$tmp/out")" = "hello from a kvmlet guest" ] || { fail "qemu path: output"; cat "$tmp/out"; }
	grep -qx 'run-anywhere: .*: running kvmlet inside a QEMU VM .*' "$tmp/err" ||
		{ fail "qemu path: no line saying so"; cat "$tmp/err"; }
	echo "ok: the QEMU path (stand-in harness)"
else
	echo "note: no static kvmlet in this build (sanitizers): the QEMU path is not checked"
fi
# README.md: the first command is this script, the second the test command.
blocks=$(awk '/^```sh$/ { on = 1; next } /^```$/ { on = 0 } on' "$src/README.md" | head -n 2)
[ "$blocks" = "./scripts/run-anywhere.sh
./scripts/test.sh" ] || fail "README.md's first two commands are not run-anywhere.sh and test.sh: $blocks"
[ "$failures" = 0 ] || exit 1
