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
check 120 '' 'expected one GUEST file, got 0' -- run
check 120 '' 'expected one GUEST file, got 2' -- run "$H" "$H"
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
finish
