#!/bin/sh
# run_kvm_tests.sh SRC BUILD [--c-only]: run the KVM tests (suite kvm) and the
# CLI tests that need KVM inside a QEMU VM with nested KVM. Exit 77 (skip) when
# /dev/kvm exists here (suite kvm runs them directly) or the QEMU harness
# cannot be set up. --c-only (sanitizer builds, which have no static kvmlet):
# the C test programs only, no CLI scripts, no second run under shadow paging.
set -u
src=$1 build=$2 c_only=${3:-}
if "$src/scripts/kvm-check.sh" >/dev/null; then
	echo "SKIP: /dev/kvm is here and trusted: suites kvm and cli run these tests directly"
	exit 77
fi
if ! command -v qemu-system-x86_64 >/dev/null; then
	echo "SKIP: qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"
	exit 77
fi
set --
for f in "$build"/guest/*.elf "$build"/guest/*/*.elf "$build"/tests/guests/*.elf \
	"$build"/tests/hostile/*.elf "$build"/tests/linux/*.elf; do
	set -- "$@" -a "$f"
done
# Missing inputs are a build problem, not a reason to skip.
static="$build/vmm/kvmlet-static"
[ -n "$c_only" ] && static=
for f in $static "$build"/tests/kvm/test_* "$build/tests/hostile/test_hostile"; do
	case $f in *.p) continue ;; esac
	[ -x "$f" ] || { echo "FAIL: $f is missing"; exit 1; }
done
if [ -n "$c_only" ]; then
	linux=
	[ -x "$build/tests/linux/lxtest" ] && set -- "$@" -e LXTEST=/t/lxtest -a "$build/tests/linux/lxtest" &&
		linux="$build/tests/kvm/test_linux"
	set -- "$@" -e LXCALL=/t/lxcall_glibc.elf
	[ -e "$build/tests/linux/lxcall_musl.elf" ] || set -- "$@" -e LXCALL_NO_MUSL=1
	lang=
	for l in js lua; do
		[ -x "$build/tests/kvm/test_$l" ] && lang="$lang $build/tests/kvm/test_$l" &&
			set -- "$@" -e "$(echo "$l" | tr a-z A-Z)_ELF=/t/$l.elf"
	done
	"$src/scripts/qemu-kvm/run.sh" -T 1500 "$@" -e KVMLET_GUEST_DIR=/t -e CK_DEFAULT_TIMEOUT=300 \
		"$build/tests/kvm/test_run" "$build/tests/kvm/test_translate" "$build/tests/kvm/test_call" \
		"$build/tests/kvm/test_reset" "$build/tests/kvm/test_template" \
		"$build/tests/kvm/test_isolation" "$build/tests/kvm/test_syscalls" \
		"$build/tests/kvm/test_printf" "$build/tests/kvm/test_batch" "$build/tests/kvm/test_warm" "$build/tests/kvm/test_exitless" \
		"$build/tests/kvm/test_hardening" \
		"$build/tests/hostile/test_hostile" $linux "$build/tests/kvm/test_libc" $lang
	rc=$?
	[ "$rc" = 2 ] && { echo "SKIP: the QEMU harness could not be set up"; exit 77; }
	exit "$rc"
fi
cp "$build/vmm/kvmlet-static" "$build/tests/qemu/kvmlet"
# Guest functions in libc programs; the JavaScript and Lua guests when their
# Debian packages were there (else suite kvm shows test_js/test_lua skipped).
lang=
[ -x "$build/tests/kvm/test_libc" ] || { echo "FAIL: $build/tests/kvm/test_libc is missing"; exit 1; }
[ -e "$build/tests/linux/lxcall_musl.elf" ] || set -- "$@" -e LXCALL_NO_MUSL=1
set -- "$@" -e LXCALL=/t/lxcall_glibc.elf
for l in js lua; do
	if [ -x "$build/tests/kvm/test_$l" ]; then
		lang="$lang $build/tests/kvm/test_$l"
		set -- "$@" -e "$(echo "$l" | tr a-z A-Z)_ELF=/t/$l.elf"
	else
		echo "note: no $l guest (its Debian package is missing): test_$l does not run"
	fi
done
# The Linux-program tests: lxtest (musl, when musl-gcc was found) and busybox.
linux=
if [ -x "$build/tests/linux/lxtest" ] && [ -x /bin/busybox ]; then
	set -- "$@" -a "$build/tests/linux/lxtest" -a /bin/busybox -e LXTEST=/t/lxtest -e BUSYBOX=/t/busybox
	# The other Linux programs where they were built: each as its name's env variable.
	for p in lxtest_pie lxcpp lxavx lxbss lxthreads lxthreads_glibc lxgo lxrust; do
		[ -x "$build/tests/linux/$p" ] &&
			set -- "$@" -a "$build/tests/linux/$p" -e "$(echo "$p" | tr a-z A-Z)=/t/$p"
	done
	linux="$src/tests/cli/cli_linux.sh $build/tests/kvm/test_linux"
	# Static programs from Debian packages (.ci/run installs them).
	foreign=
	for f in /bin/bash-static /bin/zsh-static /usr/lib/klibc/bin/mksh /sbin/ldconfig; do
		if [ -x "$f" ]; then
			set -- "$@" -a "$f"
			foreign="$foreign /t/${f##*/}"
		else
			echo "note: no $f: cli_linux.sh does not run it"
		fi
	done
	set -- "$@" -e "FOREIGN=${foreign# }"
else
	echo "note: no lxtest (musl-tools) or /bin/busybox (busybox-static): the Linux-program tests do not run"
fi
"$src/scripts/qemu-kvm/run.sh" -T 1500 "$@" -a "$build/tests/qemu/kvmlet" \
	-a "$src/tests/cli/lib.sh" -a "$src/scripts/kvm-check.sh" -e KVM_CHECK=/t/kvm-check.sh -e KVMLET_GUEST_DIR=/t -e CK_DEFAULT_TIMEOUT=300 \
	-e KVMLET=/t/kvmlet -e GUEST_DIR=/t -e TEST_GUEST_DIR=/t \
	"$build/tests/kvm/test_run" "$build/tests/kvm/test_translate" \
	"$build/tests/kvm/test_call" "$build/tests/kvm/test_reset" "$build/tests/kvm/test_template" "$build/tests/kvm/test_isolation" "$build/tests/kvm/test_syscalls" "$build/tests/kvm/test_printf" "$build/tests/kvm/test_batch" "$build/tests/kvm/test_warm" "$build/tests/kvm/test_exitless" "$src/tests/cli/cli_run.sh" \
	"$src/tests/cli/cli_call.sh" "$build/tests/kvm/test_hardening" "$src/tests/cli/cli_seccomp.sh" \
	"$build/tests/hostile/test_hostile" $linux "$build/tests/kvm/test_libc" $lang \
	"$src/tests/cli/cli_lang.sh"
rc=$?
# run.sh: 0 passed, 1 a test failed or the VM died, 2 the harness could not be set up.
[ "$rc" = 2 ] && { echo "SKIP: the QEMU harness could not be set up"; exit 77; }
# The isolation, reset, template and warm-shell tests again under shadow paging
# (kvm-amd npt=0), which behaves like hardware for dirty tracking and stale
# translations; and the Linux-program ones, whose resets also drop ticks.
echo "== the same isolation tests under shadow paging (npt=0)"
"$src/scripts/qemu-kvm/run.sh" -T 900 -p npt=0 "$@" -e KVMLET_GUEST_DIR=/t -e CK_DEFAULT_TIMEOUT=300 \
	"$build/tests/kvm/test_isolation" "$build/tests/kvm/test_reset" \
	"$build/tests/kvm/test_template" "$build/tests/kvm/test_warm" \
	"$build/tests/hostile/test_hostile" ${linux:+"$build/tests/kvm/test_linux"}
rc2=$?
[ "$rc2" = 2 ] && { echo "FAIL: the shadow-paging run could not be set up"; exit 1; }
# Exit-less calls with two CPUs, where guest and host really poll at once.
echo "== exit-less calls with two CPUs (-smp 2)"
# (Its seven cases take seconds: a case stuck for a minute fails by its name
# instead of the VM's timeout hiding which.)
# A VM that stops making progress as a whole (no result at all, QEMU's own
# time limit; seen once under multi-threaded TCG on a loaded 2-core host,
# while a stuck case would have failed by its name after 60 s) is run once
# more, and says so; a test that fails is not.
smp2() {
	"$src/scripts/qemu-kvm/run.sh" -T 420 -s 2 "$@" -e KVMLET_GUEST_DIR=/t \
		-e CK_DEFAULT_TIMEOUT=60 "$build/tests/kvm/test_exitless" >"$tmp2" 2>&1
	r=$?
	cat "$tmp2"
	return $r
}
tmp2=$(mktemp)
smp2 "$@"
rc3=$?
if [ "$rc3" = 1 ] && grep -q 'QEMU timed out' "$tmp2" && grep -q '^VM ended after 0 of 1 ' "$tmp2"; then
	echo "RETRY: the two-CPU QEMU VM made no progress at all (no result from test_exitless, not a failed case): once more"
	smp2 "$@"
	rc3=$?
fi
rm -f "$tmp2"
[ "$rc3" = 2 ] && { echo "FAIL: the two-CPU run could not be set up"; exit 1; }
[ "$rc" = 0 ] && [ "$rc2" = 0 ] && [ "$rc3" = 0 ]
