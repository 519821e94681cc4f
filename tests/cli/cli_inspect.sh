#!/bin/sh
# cli_inspect.sh: kvmlet inspect shows segments and the memory map (no KVM needed).
. "$(dirname "$0")/lib.sh"
H=$GUEST_DIR/hello.elf

check 0 'entry 0x200000' '' -- inspect "$H"
check 0 ' 0x0000000000200000 r-x-u 4K' '' -- inspect "$H"
check 0 '0x0000000000ff0000-0x0000000001000000 0x0000000000ff0000 rw--u 4K' '' -- inspect "$H"
check 0 '0x0000000003ff0000-0x0000000004000000 0x0000000003ff0000 rw--u 4K' '' \
	-- inspect --memory 64M "$H"
check 0 '0x0000000003fc0000-0x0000000004000000 0x0000000003fc0000 rw--u 4K' '' \
	-- inspect --memory 64M --stack 256K "$H"
check 0 '0x0000000000006000-0x0000000000007000 0x0000000000006000 r-x-s 4K' '' -- inspect "$H"

# Nothing at the null page; nothing writable and executable; a guard page below the stack.
"$KVMLET" inspect "$H" >"$out"
if grep -q '^0x0000000000000000-' "$out"; then echo "FAIL: null page mapped"; failures=$((failures + 1)); fi
if grep -q ' rwx-' "$out"; then echo "FAIL: a W+X mapping"; failures=$((failures + 1)); fi
if grep -q -- '-0x0000000000ff0000 ' "$out"; then echo "FAIL: no guard page"; failures=$((failures + 1)); fi
grep -q 'r-x file 0x1000+' "$out" || { echo "FAIL: no text segment line"; failures=$((failures + 1)); }

# Bad guests: each refused with status 121 and a message that says why.
tmp=$(mktemp -d)
head -c 40 "$H" >"$tmp/truncated.elf"
printf '#!/bin/sh\necho hi\n' >"$tmp/script.elf"
: >"$tmp/empty.elf"
check 121 '' 'dynamically linked, needs the interpreter /lib64/ld-linux-x86-64.so.2' -- inspect /bin/true
check 121 '' 'bad guest ELF: ' -- inspect "$tmp/truncated.elf"
check 121 '' 'not an ELF file' -- inspect "$tmp/script.elf"
check 121 '' 'bad guest ELF: ' -- inspect "$tmp/empty.elf"
check 121 '' 'does not fit in guest memory' -- inspect --memory 4M --stack 2M "$H"
rm -rf "$tmp"
# --json: one JSON object with the same content; -v says what was loaded.
check 0 '"entry":2097152,"segments":[{"vaddr":2097152,' '' -- inspect --json "$H"
if python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["map"] and d["segments"]' <"$out"; then
	echo "ok: inspect --json is valid JSON"
else
	echo "FAIL: inspect --json is not valid JSON"; failures=$((failures + 1))
fi
check 0 'memory map:' 'entry 0x200000, 3 segments, 16384 KiB memory' -- inspect -v "$H"
check 0 'memory map:' '' -- inspect -q "$H"
# Exported functions and signatures, from the image (no KVM), text and JSON.
C=$GUEST_DIR/calc.elf
check 0 '  add ii:i  (i64, i64) -> i64' '' -- inspect "$C"
check 0 '  hypot dd:d  (f64, f64) -> f64' '' -- inspect "$C"
check 0 'exports:
  (none)' '' -- inspect "$TEST_GUEST_DIR/spin.elf"
check 0 '{"name":"add","sig":"ii:i","args":["i64","i64"],"result":"i64"}' '' -- inspect --json "$C"
python3 -c 'import json,sys; d=json.load(sys.stdin); assert [e["name"] for e in d["exports"]][-1] == "add"' <"$out" ||
	{ echo "FAIL: inspect --json exports"; failures=$((failures + 1)); }
finish
