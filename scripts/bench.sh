#!/bin/sh
# scripts/bench.sh: benchmarks, each printed with its ratio against a baseline
# measured in the same run. Usage: scripts/bench.sh [BUILD_DIR] (default build-bench,
# configured as a release build).
set -eu
cd "$(dirname "$0")/.."
dir=${1:-build-bench}
[ -d "$dir" ] || meson setup "$dir" --buildtype=release >/dev/null
meson compile -C "$dir" tests/bench/bench_pt >/dev/null
"$dir/tests/bench/bench_pt"
meson compile -C "$dir" tests/bench/bench_kvm guest/hello.elf tests/guests/call_types.elf >/dev/null
"$dir/tests/bench/bench_kvm" "$dir/guest/hello.elf" "$dir/tests/guests/call_types.elf"
