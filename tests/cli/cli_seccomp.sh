#!/bin/sh
# cli_seccomp.sh: kvmlet --seccomp=on|log|off on run and call. The option's
# parsing needs nothing; running guests under each mode needs /dev/kvm (suite
# qemu runs this under nested KVM). The filter killing a forbidden system call
# is tested by tests/kvm/test_hardening.c: a guest cannot make kvmlet do one.
. "$(dirname "$0")/lib.sh"
G=$GUEST_DIR T=$TEST_GUEST_DIR

check 120 '' "--seccomp: invalid mode 'strict': expected on, log or off" -- run --seccomp=strict "$G/hello.elf"
check 120 '' "--seccomp: invalid mode '': expected on, log or off" -- call --seccomp= "$G/calc.elf" add 1 2
check 120 '' "option '--seccomp' needs a value" -- run --seccomp
check 120 '' "unknown option '--seccomp'" -- inspect --seccomp=on "$G/hello.elf"
check 0 '--seccomp MODE' '' -- run --help
check 0 '--seccomp MODE' '' -- call --help
if ! why=$("$KVM_CHECK"); then
	echo "SKIP: $why: running under the filter needs KVM (suite qemu runs it)"
	finish
fi

# Built without libseccomp there is no filter to run under: say so, skip.
st=0
"$KVMLET" run --seccomp=on "$G/hello.elf" >/dev/null 2>"$err" || st=$?
if grep -q 'built without libseccomp' "$err"; then
	echo "SKIP: kvmlet was built without libseccomp (apt-get install libseccomp-dev): no filter"
	[ "$failures" = 0 ] || finish
	exit 77
fi

# Under valgrind (KVMLET_WRAPPER) there is no seccomp system call: "off" only.
modes="on log off"
[ -z "${KVMLET_WRAPPER:-}" ] || modes=off
tmp=$(mktemp)
printf 'abc' >"$tmp"
for mode in $modes; do
	check 0 'hello from a kvmlet guest' '' -- run --seccomp=$mode "$G/hello.elf"
	check 0 '42' '' -- call --seccomp $mode "$G/calc.elf" add 40 2
	# A host function that writes to stdout, and one that calls back.
	check 0 'hello, world' '' -- call --seccomp=$mode "$G/callback.elf" greet world
	check 0 '385' '' -- call --seccomp=$mode "$G/callback.elf" sum_of_squares 10
	# @FILE is read before the filter goes in.
	check 0 '{"type":"bytes","value":"414243"}' '' -- call --seccomp=$mode --json "$G/strings.elf" upper "@$tmp"
	# The run timer and the kick signal; a fault's registers; resets between runs.
	check 124 '' 'timed out' -- run --seccomp=$mode --timeout 300ms "$T/spin.elf"
	check 123 '' 'page fault at RIP 0x' -- run --seccomp=$mode "$T/fault_null.elf"
	check 42 '-7 7 ff str' '' -- run --seccomp=$mode --repeat 3 "$T/exit_status.elf"
	check 0 '101' '' -- call --seccomp=$mode --repeat 2 "$T/stateful.elf" count
done
rm -f "$tmp"
# The default is on: the same runs work without the option.
check 0 'hello from a kvmlet guest' '' -- run "$G/hello.elf"
finish
