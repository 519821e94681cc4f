#!/bin/sh
# cli_call.sh: kvmlet call, checked for status and output (needs /dev/kvm).
. "$(dirname "$0")/lib.sh"
if ! why=$("$KVM_CHECK"); then
	echo "SKIP: $why: kvmlet call needs KVM (suite qemu runs it)"
	exit 77
fi
G=$GUEST_DIR
# The binary itself for script(1), which runs a shell command line (no wrapper function).
KVMLET_BIN_FOR_SCRIPT=${kvmlet_unwrapped:-$KVMLET}

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

P=$TEST_GUEST_DIR/printf_cases.elf
# Numbers are decimal unless 0x: 010 is ten.
check 0 '18' '' -- call "$G/calc.elf" add 010 0x08
check 0 '-5' '' -- call "$G/calc.elf" add -7 2
# What the guest prints during the call: stdout before the result; stderr with --json.
check 0 'guest says hi' '' -- call "$P" say hi
[ "$(cat "$out")" = "guest says hi
7" ] || { echo "FAIL: call's guest output then result"; failures=$((failures + 1)); }
st=0
"$KVMLET" call --json "$P" say hi >"$out" 2>"$err" || st=$?
if [ "$st" = 0 ] && [ "$(cat "$out")" = '{"type":"i64","value":7}' ] && [ "$(cat "$err")" = 'guest says hi' ]; then
	echo "ok: call --json: guest output on stderr, stdout one JSON document"
else
	echo "FAIL: call --json with guest output"; cat "$out" "$err"; failures=$((failures + 1))
fi
# Options after the arguments; after -- they are arguments.
check 0 '{"type":"i64","value":42}' '' -- call "$G/calc.elf" add 40 2 --json
check 0 '{"type":"str","value":"nosj--"}' '' -- call "$G/strings.elf" reverse --json -- --json
check 120 '' "add: argument 2 is '--json'; \`ii:i\` wants an i64" -- call "$G/calc.elf" add 1 -- --json
check 0 '-3' '' -- call -t 5s "$G/calc.elf" add -1 -2 --repeat 1
# An unknown function: the error lists what the guest exports; --json says it as JSON too.
check 126 '' 'no function named nosuch; it exports: nothing (:v), is_even (i:b), hypot (dd:d), fib (u:u), add (ii:i)' -- call "$G/calc.elf" nosuch
check 126 '{"error":{"status":126,"kind":"call","message":' 'no function named nosuch' -- call --json "$G/calc.elf" nosuch
check 126 '{"error":{"status":126,"kind":"call","message":"' 'fib(n) overflows 64 bits' -- call "$G/calc.elf" fib 94 --json
# Text from the guest cannot forge a line or move the cursor: escaped in messages...
esc=$(printf 'x\nkvmlet: forged\033[2J\302\233y')
check 126 '' 'fail_with: x\nkvmlet: forged\x1b[2J\u009by' -- call "$P" fail_with "$esc"
# (the library already turns C0 in abort text into '?'; C1 is escaped here)
check 125 '' 'guest aborted: x?kvmlet: forged?[2J\u009by' -- call "$P" abort_with "$esc"
check 126 '"message":"' 'forged' -- call --json "$P" fail_with "$esc"
if command -v python3 >/dev/null; then
	python3 -c 'import json,sys; d=json.load(sys.stdin); assert "\x1b[2J" in d["error"]["message"]' <"$out" ||
		{ echo "FAIL: the JSON error does not carry the escaped text"; failures=$((failures + 1)); }
else
	grep -qF '\u001b[2J' "$out" ||
		{ echo "FAIL: the JSON error does not carry the escaped text"; failures=$((failures + 1)); }
fi
# ...and in results printed to a terminal (script(1) gives one); into a pipe a
# result is byte-exact.
"$KVMLET" call "$G/strings.elf" reverse "$esc" >"$out" 2>"$err"
[ "$(head -c 3 "$out")" = "$(printf 'y\302\233')" ] ||
	{ echo "FAIL: a result into a pipe is not byte-exact"; failures=$((failures + 1)); }
if command -v script >/dev/null; then
	KV=$KVMLET_BIN_FOR_SCRIPT
	script -qec "$KV call '$G/strings.elf' echo '$esc'" /dev/null >"$out" 2>&1 || true
	if grep -qF 'x\nkvmlet: forged\x1b[2J\u009by' "$out" && ! grep -q "$(printf '\033')" "$out"; then
		echo "ok: a string result on a terminal has its control characters escaped"
	else
		echo "FAIL: a string result on a terminal is not escaped"; od -c "$out" | head; failures=$((failures + 1))
	fi
else
	echo "note: script(1) not installed: the terminal case is not checked"
fi
# --batch FILE: every line a call, all in one VM entry, one output line each.
bf=$(mktemp)
cat >"$bf" <<'BATCH'
# calc.elf, one call per line
add 40 2

fib 10
nothing
is_even 3
nosuch 1
fib 94
hypot 3 4
BATCH
check 126 '' '2 of 7 calls failed' -- call --batch "$bf" "$G/calc.elf"
printf '42\n55\n\nfalse\nerror: the guest has no function named nosuch\nerror: fib: fib(n) overflows 64 bits for n > 93\n5\n' >"$bf.want"
cmp -s "$out" "$bf.want" || { echo "FAIL: --batch output"; diff "$bf.want" "$out"; failures=$((failures + 1)); }
printf 'add 1 2\nadd -7 2\n' >"$bf"
check 0 '{"type":"i64","value":-5}' '' -- call --json --batch "$bf" "$G/calc.elf"
[ "$(wc -l <"$out")" = 2 ] || { echo "FAIL: --json --batch is not one line per call"; failures=$((failures + 1)); }
printf 'reverse "two words"\nlength kvmlet\n' >"$bf"
check 0 'sdrow owt' '' -- call --batch "$bf" "$G/strings.elf"
printf '6\n' >"$bf.want"; tail -n 1 "$out" | cmp -s - "$bf.want" || { echo "FAIL: --batch quoted string"; failures=$((failures + 1)); }
# --repeat with --batch: a reset before every batch but the first.
printf 'count\ncount\n' >"$bf"
check 0 '' '' -- call --repeat 2 --batch "$bf" "$TEST_GUEST_DIR/stateful.elf"
[ "$(sed -n 3p "$out")" = "$(sed -n 1p "$out")" ] || { echo "FAIL: --repeat --batch did not reset"; cat "$out"; failures=$((failures + 1)); }
printf 'add 1 x\n' >"$bf"
check 120 '' ":1: add: argument 2 is 'x'; \`ii:i\` wants an i64" -- call --batch "$bf" "$G/calc.elf"
printf 'add 1\n' >"$bf"
check 120 '' ':1: add: takes 2 arguments' -- call --batch "$bf" "$G/calc.elf"
check 120 '' 'expected only GUEST' -- call --batch "$bf" "$G/calc.elf" add
check 120 '' 'cannot read /nonexistent' -- call --batch /nonexistent "$G/calc.elf"
printf '# nothing\n\n' >"$bf"
check 120 '' 'has no calls' -- call --batch "$bf" "$G/calc.elf"
i=0; : >"$bf"; while [ $i -lt 1025 ]; do echo nothing >>"$bf"; i=$((i + 1)); done
check 120 '' ':1025: more than 1024 calls' -- call --batch "$bf" "$G/calc.elf"
rm -f "$bf" "$bf.want"
finish
