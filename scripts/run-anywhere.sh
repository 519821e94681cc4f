#!/bin/sh
# scripts/run-anywhere.sh [KVMLET_ARGS...]: README's first command. On any
# x86-64 Debian 12 machine (as root, or with sudo): install what is missing,
# build, then run `kvmlet KVMLET_ARGS` (default: run build/guest/hello.elf)
# directly when /dev/kvm is usable (scripts/kvm-check.sh), otherwise inside a QEMU VM that has a
# nested /dev/kvm (scripts/qemu-kvm/run.sh, with a static kvmlet). One line on
# stderr says which; the guest's output follows; the exit status is kvmlet's.
#
# Environment: KVMLET_BUILD (default build), RUN_ANYWHERE_QEMU=1 to take the
# QEMU path even with /dev/kvm, RUN_ANYWHERE_QEMU_SH (default
# scripts/qemu-kvm/run.sh; tests put a stand-in there).
set -eu
cd "$(dirname "$0")/.."
build=${KVMLET_BUILD:-build}
qemu_sh=${RUN_ANYWHERE_QEMU_SH:-scripts/qemu-kvm/run.sh}
[ $# -gt 0 ] || set -- run "$build/guest/hello.elf"
say() { echo "run-anywhere: $*" >&2; }

direct=false
why=$(scripts/kvm-check.sh) && [ "${RUN_ANYWHERE_QEMU:-0}" != 1 ] && direct=true

# --- what is needed, installed if missing
pkgs="meson ninja-build gcc pkg-config check libseccomp-dev musl-tools"
$direct || pkgs="$pkgs qemu-system-x86 busybox-static cpio"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	sudo=
	[ "$(id -u)" = 0 ] || sudo=sudo
	say "installing$missing (apt-get)"
	# shellcheck disable=SC2086
	$sudo apt-get update -qq >&2 &&
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >&2 ||
		{ say "could not install$missing: install them, then run this again"; exit 1; }
fi

# --- build (the log only when it fails)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
targets=
$direct || targets="vmm/kvmlet-static"
if ! { [ -d "$build" ] || meson setup "$build"; } >"$log" 2>&1 ||
	! meson compile -C "$build" >>"$log" 2>&1 ||
	{ [ -n "$targets" ] && ! meson compile -C "$build" $targets >>"$log" 2>&1; }; then
	cat "$log" >&2
	say "the build failed (above)"
	exit 1
fi

if $direct; then
	say "/dev/kvm is usable: running kvmlet directly"
	exec "$build/vmm/kvmlet" "$@"
fi

# --- no usable /dev/kvm: the same command inside a QEMU VM with nested KVM.
# Files among the arguments go into the VM's /t; run.sh splits a command on
# whitespace, so arguments may not contain any.
say "${why:-QEMU asked for}: running kvmlet inside a QEMU VM with nested KVM (scripts/qemu-kvm/run.sh; slow: emulated)"
work=$(mktemp -d)
trap 'rm -rf "$log" "$work"' EXIT
cp "$build/vmm/kvmlet-static" "$work/kvmlet"
cmd="$work/kvmlet"
adds=
for a in "$@"; do
	case $a in *[[:space:]]*) say "an argument with white space cannot go into the VM: '$a'"; exit 120 ;; esac
	if [ -f "$a" ]; then
		cp "$a" "$work/$(basename "$a")"
		adds="$adds -a $work/$(basename "$a")"
		a=/t/$(basename "$a")
	fi
	cmd="$cmd $a"
done
qrc=0
# shellcheck disable=SC2086
"$qemu_sh" -T 900 $adds "$cmd" >"$work/out" 2>"$work/err" || qrc=$?
tr -d '\r' <"$work/out" >"$work/out.txt"
status=$(sed -n 's/^==== exit \([0-9]*\): .*/\1/p' "$work/out.txt" | head -n 1)
if [ -z "$status" ]; then
	cat "$work/out.txt" "$work/err" >&2
	say "the QEMU VM did not run kvmlet (run.sh status $qrc; above)"
	exit 1
fi
# What kvmlet printed inside the VM: between the harness's run and exit lines.
sed -n '/^==== run: /,/^==== exit /p' "$work/out.txt" | sed '1d;$d'
exit "$status"
