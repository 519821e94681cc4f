#!/bin/sh
# scripts/test.sh: the whole test suite, as README.md and CI run it.
# Builds twice (plain, and with AddressSanitizer + UndefinedBehaviorSanitizer),
# runs `meson test` in each, and ends with one line "N passed, N failed, N skipped"
# summed over both runs. Exits non-zero if anything failed.
set -eu
cd "$(dirname "$0")/.."

summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
status=0

run_suite() {
	dir=$1
	shift
	if [ -d "$dir" ]; then
		meson setup --reconfigure "$dir" "$@" >/dev/null
	else
		meson setup "$dir" "$@" >/dev/null
	fi
	echo "== $dir: meson test ($*)"
	rc=0
	meson test -C "$dir" --print-errorlogs --num-processes 2 >"$summary.out" 2>&1 || rc=$?
	cat "$summary.out"
	[ "$rc" = 0 ] || status=1
	# meson's summary lines: "Ok: N", "Expected Fail: N", "Fail: N", "Unexpected Pass: N",
	# "Skipped: N", "Timeout: N".
	awk '/^Ok:/ {p += $2} /^Expected Fail:/ {p += $3} /^Fail:/ {f += $2}
	     /^Unexpected Pass:/ {f += $3} /^Timeout:/ {f += $2} /^Skipped:/ {s += $2}
	     END {print p + 0, f + 0, s + 0}' "$summary.out" >>"$summary"
	rm -f "$summary.out"
}

run_suite build-test
run_suite build-asan -Db_sanitize=address,undefined -Db_lundef=false

awk '{p += $1; f += $2; s += $3} END {printf "%d passed, %d failed, %d skipped\n", p, f, s}' \
	"$summary"
exit $status
