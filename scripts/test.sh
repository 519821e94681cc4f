#!/bin/sh
# scripts/test.sh: the whole test suite, as README.md and CI run it.
# Builds twice (plain, and with AddressSanitizer + UndefinedBehaviorSanitizer),
# runs `meson test` in each, then the CLI tests (suite cli) of the plain build
# again with every kvmlet under valgrind memcheck, fuzzes each libFuzzer target
# briefly, and ends with one line
# "N passed, N failed, N skipped" summed over the three runs. Exits non-zero if
# anything failed.
set -eu
cd "$(dirname "$0")/.."

summary=$(mktemp)
skips=$(mktemp)
vglogs=$(mktemp -d)
trap 'rm -rf "$summary" "$skips" "$vglogs"' EXIT
status=0

# run_tests DIR ARGS...: meson test in DIR; its counts go to $summary.
run_tests() {
	dir=$1
	shift
	rc=0
	meson test -C "$dir" --print-errorlogs --num-processes 2 "$@" >"$summary.out" 2>&1 || rc=$?
	cat "$summary.out"
	[ "$rc" = 0 ] || status=1
	# meson's summary lines: "Ok: N", "Expected Fail: N", "Fail: N", "Unexpected Pass: N",
	# "Skipped: N", "Timeout: N".
	awk '/^Ok:/ {p += $2} /^Expected Fail:/ {p += $3} /^Fail:/ {f += $2}
	     /^Unexpected Pass:/ {f += $3} /^Timeout:/ {f += $2} /^Skipped:/ {s += $2}
	     END {print p + 0, f + 0, s + 0}' "$summary.out" >>"$summary"
	rm -f "$summary.out"
	# Each skipped test with its reason (the first SKIP line it printed).
	python3 - "$dir/meson-logs/testlog.json" >>"$skips" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    t = json.loads(line)
    if t.get("result") == "SKIP":
        why = [l for l in (t.get("stdout") or "").splitlines() if "SKIP" in l]
        print("skipped: %s: %s" % (t["name"], why[0] if why else "(no reason printed)"))
EOF
}

run_suite() {
	dir=$1
	shift
	if [ -d "$dir" ]; then
		meson setup --reconfigure "$dir" "$@" >/dev/null
	else
		meson setup "$dir" "$@" >/dev/null
	fi
	echo "== $dir: meson test ($*)"
	run_tests "$dir"
}

# The CLI tests under valgrind (not with the sanitizers: the two do not mix).
# tests/cli/lib.sh runs every "$KVMLET" under $KVMLET_WRAPPER and fails a
# script when valgrind exits 99: an error or a definite or indirect leak.
# Suppressions: tests/valgrind.supp. Valgrind's reports go to logs, shown
# when the pass fails, so that kvmlet's own stderr stays checkable.
run_valgrind() {
	if ! command -v valgrind >/dev/null; then
		echo "== build-test: valgrind is not installed (apt-get install valgrind): skipped"
		echo "skipped: valgrind pass: valgrind is not installed (apt-get install valgrind)" >>"$skips"
		echo "0 0 1" >>"$summary"
		return
	fi
	echo "== build-test: meson test --suite cli, kvmlet under valgrind"
	KVMLET_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full"
	KVMLET_WRAPPER="$KVMLET_WRAPPER --errors-for-leak-kinds=definite,indirect"
	KVMLET_WRAPPER="$KVMLET_WRAPPER --suppressions=$PWD/tests/valgrind.supp"
	export KVMLET_WRAPPER="$KVMLET_WRAPPER --log-file=$vglogs/valgrind.%p.log"
	before=$status
	status=0
	# Valgrind runs kvmlet 20-50 times slower: scale the timeouts (2 cores, loaded).
	run_tests build-test --suite cli --timeout-multiplier 10
	unset KVMLET_WRAPPER
	if [ "$status" != 0 ]; then
		for f in "$vglogs"/*.log; do
			[ -s "$f" ] && { echo "--- $f"; cat "$f"; }
		done
	fi
	[ "$before" = 0 ] || status=1
}

# Each libFuzzer target for a short time (KVMLET_FUZZ_SECONDS, default 10): one
# test in the count. Needs clang with libFuzzer (libclang-rt-14-dev).
run_fuzz() {
	probe=$(mktemp -d)
	echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return d && n; }' \
		>"$probe/p.c"
	if ! clang -fsanitize=fuzzer "$probe/p.c" -o "$probe/p" >/dev/null 2>&1; then
		rm -rf "$probe"
		echo "== fuzz: clang with libFuzzer not installed: skipped"
		echo "skipped: fuzz: clang with libFuzzer is not installed (apt-get install clang libclang-rt-14-dev)" >>"$skips"
		echo "0 0 1" >>"$summary"
		return
	fi
	rm -rf "$probe"
	echo "== fuzz: every target for ${KVMLET_FUZZ_SECONDS:-10} s (scripts/fuzz.sh)"
	if scripts/fuzz.sh "${KVMLET_FUZZ_SECONDS:-10}"; then
		echo "1 0 0" >>"$summary"
	else
		echo "0 1 0" >>"$summary"
		status=1
	fi
}

run_suite build-test
run_suite build-asan -Db_sanitize=address,undefined -Db_lundef=false
run_valgrind
run_fuzz

cat "$skips"
awk '{p += $1; f += $2; s += $3} END {printf "%d passed, %d failed, %d skipped\n", p, f, s}' \
	"$summary"
exit $status
