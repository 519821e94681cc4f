#!/bin/sh
# scripts/bench.sh: benchmarks, each printed with its ratio against a baseline
# measured in the same run. Usage: scripts/bench.sh [BUILD_DIR] (default build-bench,
# configured as a release build with link-time optimisation, as docs/embedding.md
# recommends for production). scripts/bench.sh --build-only [BUILD_DIR]: build
# everything (release, LTO, -Werror) and the benchmarks, run nothing (suite
# install checks this from a fresh source tree).
set -eu
cd "$(dirname "$0")/.."
build_only=false
if [ "${1:-}" = --build-only ]; then
	build_only=true
	shift
fi
dir=${1:-build-bench}
if [ -d "$dir" ]; then
	meson configure "$dir" -Dbuildtype=release -Db_lto=true >/dev/null
else
	meson setup "$dir" --buildtype=release -Db_lto=true >/dev/null
fi
if $build_only; then
	meson compile -C "$dir"
	exit 0
fi
meson compile -C "$dir" tests/bench/bench_pt >/dev/null
"$dir/tests/bench/bench_pt"
meson compile -C "$dir" tests/bench/bench_kvm guest/hello.elf tests/guests/call_types.elf \
	tests/guests/stateful.elf >/dev/null
g="$dir/guest/hello.elf $dir/tests/guests/call_types.elf $dir/tests/guests/stateful.elf"
# The Linux-program rows need lxbench (musl-gcc); without it bench_kvm says they skip.
if meson compile -C "$dir" tests/linux/lxbench >/dev/null 2>&1; then
	g="$g $dir/tests/linux/lxbench"
else
	echo "note: tests/linux/lxbench not built (musl-gcc missing?): the Linux-program rows skip"
fi
if scripts/kvm-check.sh >/dev/null; then
	# shellcheck disable=SC2086
	"$dir/tests/bench/bench_kvm" $g && "$dir/tests/bench/bench_kvm" $g --exitless
elif command -v qemu-system-x86_64 >/dev/null; then
	# No KVM here: run the KVM benchmarks under nested KVM in QEMU. Absolute
	# times there are emulated; the ratios against the raw baselines still compare.
	echo "$(scripts/kvm-check.sh): KVM benchmarks run under nested KVM in a QEMU TCG VM"
	adds= args=
	for f in $g; do
		adds="$adds -a $f"
		args="$args /t/$(basename "$f")"
	done
	# Exit-less calls need two CPUs; everything else gets one (a second CPU
	# makes every RCU grace period in the nested kernel slower).
	# shellcheck disable=SC2086
	flock /tmp/kvmlet-qemu.lock scripts/qemu-kvm/run.sh $adds "$dir/tests/bench/bench_kvm$args"
	# shellcheck disable=SC2086
	flock /tmp/kvmlet-qemu.lock scripts/qemu-kvm/run.sh -s 2 $adds \
		"$dir/tests/bench/bench_kvm$args --exitless"
	# Creating a VM is mostly KVM's kernel thread per VM joining its parent's
	# cgroups, an RCU grace period. Two host settings (docs/embedding.md) take
	# it away: cgroup2 mounted with favordynmods (no grace period), and
	# kvm.nx_huge_pages=never where the CPU needs no iTLB multihit mitigation
	# (no thread). Cold start and templates under each.
	for setting in -g "-q nx_huge_pages=never"; do
		# shellcheck disable=SC2086
		flock /tmp/kvmlet-qemu.lock scripts/qemu-kvm/run.sh $setting \
			-e BENCH_KVM_ONLY=cold,template $adds "$dir/tests/bench/bench_kvm$args"
	done
else
	echo "KVM benchmarks skipped: no /dev/kvm and no qemu-system-x86_64"
fi
