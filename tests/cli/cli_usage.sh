#!/bin/sh
# cli_usage.sh: usage errors, --help and --version (no KVM needed).
. "$(dirname "$0")/lib.sh"
H=$GUEST_DIR/hello.elf

check 120 '' 'missing command' --
check 0 'usage: kvmlet COMMAND' '' -- --help
check 0 'exit status' '' -- --help
check 0 'kvmlet 0.1.0' '' -- --version
check 120 '' "unknown command 'frob'" -- frob
check 0 'usage: kvmlet run' '' -- run --help
check 0 '--timeout DURATION' '' -- run --help
check 0 'usage: kvmlet inspect' '' -- inspect --help
check 120 '' 'expected PROGRAM [ARG...]' -- run
check 120 '' 'expected one GUEST file, got 2' -- inspect "$H" "$H"
check 120 '' "invalid size '12Q'" -- run --memory 12Q "$H"
check 120 '' 'too large' -- run --memory 99999999999999999999 "$H"
check 120 '' 'too large' -- run --memory 17179869184G "$H"
check 120 '' "invalid duration '0'" -- run --timeout 0 "$H"
check 120 '' "invalid duration '5parsecs'" -- run --timeout 5parsecs "$H"
check 120 '' "option '--memory' needs a value" -- run --memory
check 120 '' "unknown option '--bogus'" -- run --bogus "$H"
check 120 '' "unknown option '--timeout'" -- inspect --timeout 1s "$H"
check 120 '' '--memory 1M: outside 4M..65536M (4 MiB..64 GiB)' -- inspect --memory 1M "$H"
check 120 '' '--memory 5001K: not a multiple of 4K' -- inspect --memory 5001K "$H"
check 121 '' 'cannot read: No such file or directory' -- run /nonexistent/guest.elf
# `--` ends options: a guest file named like an option.
check 121 '' '--help: cannot read' -- run -- --help
check 120 '' "--repeat: invalid count '0'" -- run --repeat 0 "$H"
check 120 '' "--repeat: invalid count '-3'" -- call --repeat -3 "$H" f
check 120 '' "unknown option '--time'" -- inspect --time "$H"
check 120 '' "unknown option '--json'" -- run --json "$H"
check 120 '' "unknown option '--trace'" -- inspect --trace "$H"
check 0 '--trace' '' -- call --help
check 0 '--verbose' '' -- inspect --help
# -V, help COMMAND; options after the GUEST for inspect; a --json usage error
# is also JSON on stdout.
check 0 'kvmlet 0.1.0' '' -- -V
check 0 'usage: kvmlet call' '' -- help call
check 0 'exit status: 0, or 120 usage, 121 load' '' -- help inspect
check 120 '' "help: unknown command 'frob'" -- help frob
check 0 '"exports":[' '' -- inspect "$H" --json
check 0 'memory map:' '' -- inspect "$H" -q
check 120 '{"error":{"status":120,"kind":"usage","message":"--memory 1M: outside 4M..65536M' \
	'--memory 1M: outside' -- call --json --memory 1M "$H" f
check 121 '{"error":{"status":121,"kind":"load","message":"/nonexistent.elf: cannot read' \
	'cannot read' -- call /nonexistent.elf f --json
python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["error"]["status"] == 121' <"$out" ||
	{ echo "FAIL: the --json error is not one JSON object"; failures=$((failures + 1)); }
check 120 '' 'expected GUEST FUNCTION' -- call "$H" --json
# Sizes in the unit given; what the docs promise parses.
check 120 '' '--memory 1m: outside 4m..65536m' -- inspect --memory 1m "$H"
check 120 '' '--memory 1024K: outside 4096K..67108864K' -- inspect -m 1024K "$H"
check 120 '' '--stack 12M: more than half of --memory (8M)' -- inspect --stack 12M "$H"
check 120 '' '--stack 12288K: more than half of --memory (8192K)' -- inspect --stack 12288K "$H"
check 120 '' '--stack 0: must be at least 4 KiB' -- inspect --stack 0 "$H"
check 0 'memory map:' '' -- inspect --memory 16MiB --stack 64kb "$H"
check 0 'memory map:' '' -- inspect --memory 1g "$H"
check 120 '' "unknown option '--timeout'" -- inspect --timeout=1s "$H"
# --file: a guest path the directory tree cannot hold (before any VM exists).
check 120 '' "/dev/null: a device's path" -- run --file "$H:/dev/null" "$H"
check 120 '' "/dev/stdout: a link to a descriptor's path" -- run --file "$H:/dev/stdout" "$H"
check 120 '' "/proc/self/fd/3: a link to a descriptor's path" -- run --file "$H:/proc/self/fd/3" "$H"
check 120 '' "/proc/meminfo: a file of /proc that kvmlet provides" -- run --file "$H:/proc/meminfo" "$H"
check 120 "" "/proc/1//mounts: a file of /proc that kvmlet provides" -- run --file "$H:/proc/1//mounts" "$H"
check 120 '' "/d//: a directory of the guest's tree" -- run --file "$H:/d/f" --file "$H:/d//" "$H"
check 120 '' "/d/./f: under another file or a device" -- run --file "$H:/d" --file "$H:/d/./f" "$H"
check 120 '' "/: a directory of the guest's tree" -- run --file "$H:/" "$H"
finish
