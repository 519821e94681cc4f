#!/bin/sh
# run_checks.sh DIR: what the out-of-tree programs do under KVM. DIR holds
# host (tests/install/host.c), kvmlet (the installed CLI), guest.elf
# (tests/install/guest.c), guest_linux.elf and guest_musl.elf (guest_linux.c,
# glibc and musl). install.sh runs it where /dev/kvm is usable, or in
# a QEMU VM with nested KVM (scripts/qemu-kvm/run.sh; busybox sh there).
d=$1
failures=0
check() { # check STATUS 'a line of the output contains this' COMMAND...
	want_st=$1 want=$2
	shift 2
	out=$("$@" 2>&1)
	st=$?
	if [ "$st" != "$want_st" ] || ! printf '%s\n' "$out" | grep -qF -- "$want"; then
		echo "FAIL: $*: status $st (expected $want_st), output:"
		printf '%s\n' "$out"
		failures=$((failures + 1))
	else
		echo "ok: $*"
	fi
}
check 0 'add(40, 2) = 42' "$d/host" "$d/guest.elf"
check 0 'greet: hello, kvmlet (KVMLET)' "$d/host" "$d/guest.elf"
check 0 'greet: hello, kvmlet (KVMLET)' "$d/host" --seccomp "$d/guest.elf"
check 7 'out-of-tree guest, ABI 2' "$d/kvmlet" run "$d/guest.elf"
check 0 '42' "$d/kvmlet" call "$d/guest.elf" add 40 2
check 126 'no host function named shout' \
	"$d/kvmlet" call "$d/guest.elf" greet x
check 0 'joining a and b' "$d/kvmlet" call "$d/guest_linux.elf" join a b
check 0 'a+b' "$d/kvmlet" call "$d/guest_musl.elf" join a b
check 0 'run, not called' "$d/kvmlet" run "$d/guest_linux.elf"
[ "$failures" = 0 ] || { echo "$failures failed"; exit 1; }
