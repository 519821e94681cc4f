#!/bin/sh
# cli_lang.sh: kvmlet call on a libc guest (LXCALL, tests/linux/lxcall.c) and
# on the JavaScript and Lua guests (JS_ELF, LUA_ELF): results, output printed
# during the call, script errors, host functions, --file scripts, time limits.
# Needs a trusted KVM (suite qemu runs it in a QEMU VM elsewhere); a guest
# whose variable is empty (its Debian package missing) is skipped, saying so.
. "$(dirname "$0")/lib.sh"
if ! why=$("$KVM_CHECK"); then
	echo "SKIP: $why: kvmlet call needs KVM (suite qemu runs it)"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$out" "$err"' EXIT

if [ -n "${LXCALL:-}" ]; then
	check 0 '42' '' -- call "$LXCALL" add 40 2
	check 0 'hello from ' '' -- call "$LXCALL" hello
	check 0 'to stderr' '' -- call "$LXCALL" hello
	check 0 '49' '' -- call "$LXCALL" sq 7
else
	echo "SKIP (part): no LXCALL"
fi

if [ -n "${JS_ELF:-}" ]; then
	check 0 '[1,4,9]' '' -- call "$JS_ELF" eval '[1,2,3].map(function(x){return x*x})'
	check 0 '"ab"' '' -- call "$JS_ELF" eval "'a' + 'b'"
	check 0 'printed' '' -- call "$JS_ELF" eval "print('printed')"
	check 0 '50' '' -- call "$JS_ELF" eval "host.call('square', 7) + 1"
	check 126 '' 'Error: boom (line 1)' -- call "$JS_ELF" eval "throw new Error('boom')"
	check 126 '' 'no host function named nope' -- call "$JS_ELF" eval "host.call('nope')"
	printf 'function add(a, b) { return {sum: a + b}; }\n' >"$tmp/add.js"
	check 0 '{"sum":42}' '' -- call --file "$tmp/add.js:/init.js" "$JS_ELF" call add '[40, 2]'
	check 124 '' 'kvmlet: ' -- call -t 300ms "$JS_ELF" eval 'while (true) {}'
else
	echo "SKIP (part): no js.elf (apt-get install duktape-dev)"
fi

if [ -n "${LUA_ELF:-}" ]; then
	check 0 '[1,4,9]' '' -- call "$LUA_ELF" eval '{1, 4, 9}'
	check 0 'printed' '' -- call "$LUA_ELF" eval "print('printed')"
	check 0 '50' '' -- call "$LUA_ELF" eval 'host.square(7) + 1'
	check 126 '' 'eval:1: boom' -- call "$LUA_ELF" eval "error('boom')"
	printf 'function add(a, b) return {sum = a + b} end\n' >"$tmp/add.lua"
	check 0 '{"sum":42}' '' -- call --file "$tmp/add.lua:/init.lua" "$LUA_ELF" call add '[40, 2]'
	check 124 '' 'kvmlet: ' -- call -t 300ms "$LUA_ELF" eval 'while true do end'
else
	echo "SKIP (part): no lua.elf (apt-get install liblua5.4-dev)"
fi
finish
