#!/bin/sh
# cli_run.sh: kvmlet run, checked for status and output (needs /dev/kvm).
. "$(dirname "$0")/lib.sh"
if ! why=$("$KVM_CHECK"); then
	echo "SKIP: $why: kvmlet run needs KVM (suite qemu runs it)"
	exit 77
fi
T=$TEST_GUEST_DIR

check 0 'hello from a kvmlet guest' '' -- run "$GUEST_DIR/hello.elf"
check 0 'mapped 0x0000100000000000 -> ' '' -- run "$GUEST_DIR/ptwalk.elf"
check 42 '-7 7 ff str' '' -- run "$T/exit_status.elf"
check 123 '' 'page fault at RIP 0x' -- run "$T/fault_null.elf"
check 123 '' '(stack overflow into the guard page)' -- run "$T/fault_stack_overflow.elf"
check 123 '' 'invalid opcode' -- run "$T/fault_ud2.elf"
check 123 '' 'writing 0x60000: protection violation' -- run "$T/triple_fault.elf"
check 124 '' 'timed out' -- run --timeout 300ms "$T/spin.elf"
check 125 '' 'guest aborted: the guest gave up' -- run "$T/aborts.elf"
check 42 '-7 7 ff str' '' -- run --repeat 3 "$T/exit_status.elf"
[ "$(grep -c '^-7 7 ff str' "$out")" = 3 ] || { echo "FAIL: --repeat 3 did not run three times"; failures=$((failures + 1)); }
# A kvmlet guest keeps the 64 KiB stack (Linux programs get Linux's 8 MiB).
check 0 'hello' '262144 KiB memory, 64 KiB stack' -- run -v "$GUEST_DIR/hello.elf"
st=0
"$KVMLET" run --trace "$GUEST_DIR/hello.elf" >"$out" 2>"$err" || st=$?
if [ "$st" = 0 ] && grep -q '^kvmlet: trace: .* print  *port 0xe1  rip 0x' "$err" &&
	grep -q '^kvmlet: trace: .* exit  *port 0xe0  rip 0x' "$err" && grep -q 'hello' "$out"; then
	echo "ok: kvmlet run --trace"
else
	echo "FAIL: kvmlet run --trace"; cat "$err"; failures=$((failures + 1))
fi

# The memory map the guest walks itself equals the one inspect prints.
"$KVMLET" run -m 32M "$GUEST_DIR/ptwalk.elf" | sed -n '/^memory map:$/,/^mapped /p' | sed '$d' >"$out.guest"
"$KVMLET" inspect -m 32M "$GUEST_DIR/ptwalk.elf" | sed -n '/^memory map:$/,$p' >"$out.host"
if [ -s "$out.host" ] && cmp -s "$out.guest" "$out.host"; then
	echo "ok: ptwalk's map equals kvmlet inspect's ($(wc -l <"$out.host") lines)"
else
	echo "FAIL: ptwalk's map differs from kvmlet inspect's"; diff "$out.guest" "$out.host"
	failures=$((failures + 1))
fi
rm -f "$out.guest" "$out.host"
finish
