#!/bin/sh
# scripts/fuzz.sh [SECONDS] [TARGET...]: run each libFuzzer target (default:
# all of them: elf msg exits pt) for SECONDS seconds (default 60), one after
# the other, from its seed corpus in tests/fuzz/corpus/TARGET.
#
# Builds build-fuzz with clang, ASan and UBSan if needed (only the fuzz
# targets: nothing else is needed). New inputs go to build-fuzz/corpus/TARGET,
# crashes to build-fuzz/artifacts/TARGET/; copy a crashing input into
# tests/fuzz/corpus/TARGET once it is fixed, so that `meson test --suite fuzz`
# replays it forever. Exits non-zero if any target crashed.
set -eu
cd "$(dirname "$0")/.."

secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-elf msg exits pt}
build="build-fuzz"

case $secs in
'' | *[!0-9]*)
	echo "usage: $0 [SECONDS] [TARGET...]" >&2
	exit 2
	;;
esac

if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false >/dev/null
else
	meson configure "$build" -Dfuzz=true >/dev/null
fi
names=
for t in $targets; do
	[ -d "tests/fuzz/corpus/$t" ] || {
		echo "$0: no target $t (no tests/fuzz/corpus/$t)" >&2
		exit 2
	}
	names="$names fuzz_$t"
done
# shellcheck disable=SC2086 # one word per target
meson compile -C "$build" $names >/dev/null

status=0
for t in $targets; do
	work=$build/corpus/$t
	art=$build/artifacts/$t
	log=$build/fuzz-$t.log
	mkdir -p "$work" "$art"
	echo "== fuzz_$t: $secs s (log $log)"
	rc=0
	"$build/tests/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$art/" "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
	grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true
	if [ "$rc" != 0 ]; then
		status=1
		echo "fuzz_$t FAILED (status $rc); crashing input in $art/:"
		ls "$art"
		grep -E 'ERROR|check failed|SUMMARY' "$log" | head -n 5
	fi
done
exit $status
