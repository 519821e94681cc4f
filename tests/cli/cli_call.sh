#!/bin/sh
# cli_call.sh: kvmlet call, checked for status and output (needs /dev/kvm).
. "$(dirname "$0")/lib.sh"
if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
	echo "SKIP: /dev/kvm is missing or not accessible: kvmlet call needs KVM"
	exit 77
fi
G=$GUEST_DIR

check 0 '42' '' -- call "$G/calc.elf" add 40 2
check 0 '{"type":"i64","value":-5}' '' -- call --json "$G/calc.elf" add -7 2
check 0 '12586269025' '' -- call "$G/calc.elf" fib 50
check 126 '' 'fib(n) overflows 64 bits' -- call "$G/calc.elf" fib 94
check 0 '5' '' -- call "$G/calc.elf" hypot 3 4
check 0 'true' '' -- call "$G/calc.elf" is_even 10
check 0 '{"type":"void","value":null}' '' -- call --json "$G/calc.elf" nothing
check 0 'telmvk' '' -- call "$G/strings.elf" reverse kvmlet
check 0 '{"type":"str","value":"telmvk"}' '' -- call --json "$G/strings.elf" reverse s:kvmlet
check 0 'HELLO' '' -- call "$G/strings.elf" upper y:hello
check 0 '385' '' -- call "$G/callback.elf" sum_of_squares 10
check 0 'hello, world' '' -- call "$G/callback.elf" greet world
check 0 'no host function named no_such_function' '' -- call "$G/callback.elf" call_missing
tmp=$(mktemp)
printf 'abc\000def' >"$tmp"
check 0 '{"type":"bytes","value":"41424300444546"}' '' -- call --json "$G/strings.elf" upper "@$tmp"
rm -f "$tmp"
check 126 '' 'no function named frobnicate' -- call "$G/calc.elf" frobnicate
check 120 '' 'add: takes 2 arguments (`ii:i`), got 1' -- call "$G/calc.elf" add 1
check 120 '' "add: argument 1 is 'x'; \`ii:i\` wants an i64" -- call "$G/calc.elf" add x 1
check 120 '' "is_even: argument 1 is 'maybe'; \`i:b\` wants an i64" -- call "$G/calc.elf" is_even maybe
check 120 '' 'cannot read /nonexistent' -- call "$G/strings.elf" upper @/nonexistent
# --repeat resets between calls: the counter starts over every time.
check 0 '101' '' -- call --repeat 3 "$TEST_GUEST_DIR/stateful.elf" count
[ "$(grep -c '^101$' "$out")" = 3 ] || { echo "FAIL: --repeat 3 did not print 101 three times"; failures=$((failures + 1)); }
st=0
"$KVMLET" call --repeat 2 --time "$TEST_GUEST_DIR/stateful.elf" count >"$out" 2>"$err" || st=$?
if [ "$st" != 0 ] || ! grep -q '^kvmlet: call 2: .* us, reset .* us ([0-9]* pages)$' "$err"; then
	echo "FAIL: --time"; cat "$err"; failures=$((failures + 1))
else
	echo "ok: kvmlet call --repeat 2 --time"
fi
check 0 'h"i' '' -- call "$G/strings.elf" reverse '"i"h"'
finish
