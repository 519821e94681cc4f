#!/bin/sh
# install.sh check|qemu: meson install (staged with DESTDIR, see lib.sh), then
# build an out-of-tree host program (host.c) and guest (guest.c) with nothing
# but cc and the installed pkg-config files, and run them.
#
#   check  suite install: what is installed where; builds; the programs start.
#          With a usable /dev/kvm, run_checks.sh runs them for real; without
#          one, the host program must stop cleanly: status 3 and one line
#          saying /dev/kvm is not there (or not permitted).
#   qemu   suite qemu: run_checks.sh inside a QEMU VM with nested KVM
#          (scripts/qemu-kvm/run.sh), for machines without /dev/kvm. Skipped
#          (77) where /dev/kvm is usable (check ran them), QEMU is missing or
#          in sanitizer builds (the VM has no sanitizer runtime; the host
#          program is linked -static, which the sanitizers do not support).
#
# Sanitizer builds: the installed libkvmlet is instrumented, so the host
# program is built with the same -fsanitize flags (lib.sh: SANFLAGS); the
# guest is freestanding and never gets them. Everything else is the same.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
mode=${1:-check}

if [ "$mode" = qemu ]; then
	kvm_usable && skip "/dev/kvm is usable here: suite install ran the programs"
	[ -z "$SANFLAGS" ] || skip "sanitizer build: the QEMU VM has no sanitizer runtime"
	command -v qemu-system-x86_64 >/dev/null ||
		skip "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"
fi
stage_install
# shellcheck disable=SC2086 # word splitting of CC and the flags is wanted
run_cc() { $CC "$@"; }
CFLAGS="-std=c11 -Wall -Wextra -Werror"

# --- what is installed where
v=$($PKG_CONFIG --modversion kvmlet)
for f in "$BIN/kvmlet" "$LIB/libkvmlet.so.$v" "$LIB/libkvmlet.so.0" "$LIB/libkvmlet.so" \
	"$LIB/libkvmlet.a" "$INC/kvmlet.h" "$LIB/pkgconfig/kvmlet.pc" \
	"$LIB/pkgconfig/kvmlet-guest.pc" "$LIB/kvmlet-guest/libkvmlet-guest.a" \
	"$LIB/kvmlet-guest/kvmlet.ld" "$INC/kvmlet-guest/kvmlet_guest.h" \
	"$INC/kvmlet-guest/kvmlet_abi.h" "$INC/kvmlet-guest/kvmlet_vectors.h" \
	"$INC/kvmlet-guest/pagetable.h" \
	"$INC/kvmlet-guest/pt_format.h" "$MAN/man1/kvmlet.1" "$INC/kvmlet-guest/kvmlet_call.h" \
	"$INC/kvmlet-guest/kvmlet_linux.h" "$LIB/kvmlet-guest/libkvmlet-guest-linux.a" \
	"$LIB/pkgconfig/kvmlet-guest-linux.pc"; do
	[ -e "$f" ] || fail "not installed: ${f#"$STAGE"}"
done
[ "$(readlink "$LIB/libkvmlet.so.0")" = "libkvmlet.so.$v" ] || fail "libkvmlet.so.0 does not point to libkvmlet.so.$v"
echo "ok: installed files"

# --- one version everywhere: meson (pc), kvmlet.h, kvmlet --version
[ "$($PKG_CONFIG --modversion kvmlet-guest)" = "$v" ] || fail "kvmlet-guest.pc version differs from kvmlet.pc's $v"
expect 0 "kvmlet $v" '' -- "$BIN/kvmlet" --version

# --- an out-of-tree guest: nothing but cc and kvmlet-guest.pc, in either order
run_cc $CFLAGS "$here/guest.c" $($PKG_CONFIG --cflags --libs kvmlet-guest) -o "$WORK/guest.elf" ||
	fail "building guest.c with kvmlet-guest.pc"
run_cc $($PKG_CONFIG --cflags --libs kvmlet-guest) $CFLAGS "$here/guest.c" -o "$WORK/guest2.elf" ||
	fail "building guest.c with the pkg-config flags first"
expect 0 'entry 0x200000' '' -- "$BIN/kvmlet" inspect "$WORK/guest.elf"
expect 0 'entry 0x200000' '' -- "$BIN/kvmlet" inspect "$WORK/guest2.elf"

# --- an out-of-tree libc guest: gcc -static (glibc), and musl-gcc when there
[ "$($PKG_CONFIG --modversion kvmlet-guest-linux)" = "$v" ] || fail "kvmlet-guest-linux.pc version differs"
# shellcheck disable=SC2046
gcc $CFLAGS "$here/guest_linux.c" $($PKG_CONFIG --cflags --libs kvmlet-guest-linux) \
	-o "$WORK/guest_linux.elf" || fail "building guest_linux.c with gcc and kvmlet-guest-linux.pc"
expect 0 '  join ss:s  (str, str) -> str' '' -- "$BIN/kvmlet" inspect "$WORK/guest_linux.elf"
if command -v musl-gcc >/dev/null; then
	# shellcheck disable=SC2046
	musl-gcc $CFLAGS "$here/guest_linux.c" $($PKG_CONFIG --cflags --libs kvmlet-guest-linux) \
		-o "$WORK/guest_musl.elf" || fail "building guest_linux.c with musl-gcc"
	expect 0 '  join ss:s  (str, str) -> str' '' -- "$BIN/kvmlet" inspect "$WORK/guest_musl.elf"
else
	echo "SKIP (part): musl-gcc is not installed (apt-get install musl-tools): no musl guest"
	cp "$WORK/guest_linux.elf" "$WORK/guest_musl.elf"
fi

# --- C++: a guest and a host program (the headers are extern "C")
if command -v g++ >/dev/null; then
	# shellcheck disable=SC2046
	g++ -std=c++17 -Wall -Wextra -Werror -fno-exceptions -fno-rtti "$here/guest_cxx.cpp" \
		$($PKG_CONFIG --cflags --libs kvmlet-guest) -o "$WORK/guest_cxx.elf" ||
		fail "building the C++ guest with kvmlet-guest.pc"
	expect 0 '  add ii:i  (i64, i64) -> i64' '' -- "$BIN/kvmlet" inspect "$WORK/guest_cxx.elf"
	if kvm_usable; then
		expect 0 'hello from a C++ guest, 2.50' '' -- "$BIN/kvmlet" run "$WORK/guest_cxx.elf"
		expect 0 '42' '' -- "$BIN/kvmlet" call "$WORK/guest_cxx.elf" add 40 2
	fi
	# shellcheck disable=SC2046
	g++ -std=c++17 -Wall -Wextra -Werror $SANFLAGS "$here/host_cxx.cpp" \
		$($PKG_CONFIG --cflags --libs kvmlet) -Wl,-rpath,"$($PKG_CONFIG --variable=libdir kvmlet)" \
		-o "$WORK/host_cxx" || fail "building the C++ host with kvmlet.pc"
	expect 0 'i64 1' '' -- "$WORK/host_cxx"
else
	echo "SKIP (part): g++ is not installed (apt-get install g++): the C++ guest and host are not built"
fi

# --- an out-of-tree host program: nothing but cc and kvmlet.pc
run_cc $CFLAGS $SANFLAGS "$here/host.c" $($PKG_CONFIG --cflags --libs kvmlet) \
	-Wl,-rpath,"$($PKG_CONFIG --variable=libdir kvmlet)" -o "$WORK/host" ||
	fail "building host.c with kvmlet.pc"
expect 0 "$v" '' -- "$WORK/host" --version
ldd "$WORK/host" | grep -qF "$LIB/libkvmlet.so.0" || fail "host does not load the staged libkvmlet.so.0"
# The static library is complete on its own (loader and page tables inside);
# --static adds what it needs (docs/embedding.md, Linking).
run_cc $CFLAGS $SANFLAGS "$here/host.c" $($PKG_CONFIG --cflags kvmlet) -o "$WORK/host-static" \
	-Wl,-Bstatic $($PKG_CONFIG --libs --static kvmlet) -Wl,-Bdynamic ||
	fail "linking host.c with libkvmlet.a"
if readelf -d "$WORK/host-static" | grep -q 'NEEDED.*libkvmlet'; then
	fail "host-static needs libkvmlet.so"
fi
expect 0 "$v" '' -- "$WORK/host-static" --version
[ "$failures" = 0 ] || finish

# --- run them
mkdir "$WORK/run"
cp "$WORK/guest.elf" "$WORK/guest_linux.elf" "$WORK/guest_musl.elf" "$WORK/run/"
if [ "$mode" = qemu ]; then
	# The VM has no /tmp of ours and no libkvmlet: a fully static host.
	run_cc $CFLAGS "$here/host.c" $($PKG_CONFIG --cflags kvmlet) -static \
		$($PKG_CONFIG --static --libs kvmlet) -o "$WORK/run/host" || fail "linking host.c -static"
	[ "$failures" = 0 ] || finish
	# The first command brings the installed kvmlet (and its libc) into /t.
	"$SOURCE_ROOT/scripts/qemu-kvm/run.sh" -T 900 -a "$WORK/run/host" -a "$WORK/run/guest.elf" \
		-a "$WORK/run/guest_linux.elf" -a "$WORK/run/guest_musl.elf" \
		"$BIN/kvmlet --version" "$here/run_checks.sh /t"
	rc=$?
	[ "$rc" = 2 ] && skip "the QEMU harness could not be set up"
	[ "$rc" = 0 ] || fail "run_checks.sh in QEMU"
elif kvm_usable; then
	cp "$WORK/host" "$BIN/kvmlet" "$WORK/run/"
	sh "$here/run_checks.sh" "$WORK/run" || fail "run_checks.sh"
elif [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	# An untrusted KVM (kvm_pvm): it runs guests, so the no-KVM path cannot be
	# seen here; suite qemu ran the programs (install_in_qemu).
	echo "note: $(scripts_kvm_check): the no-KVM messages are not checked here"
else
	# No KVM: the program starts, loads the guest, and says why it cannot run it.
	err=/dev/kvm
	[ -e /dev/kvm ] || err='/dev/kvm not found'
	expect 3 '' "host: $err" -- "$WORK/host" "$WORK/guest.elf"
	[ "$(wc -l <"$WORK/err")" = 1 ] || fail "host without KVM: stderr is not one line"
	# Its exports are listed from the file (no KVM needed); nothing else is printed.
	grep -q '^export add ' "$WORK/out" || fail "host without KVM: exports not listed"
	! grep -v '^export ' "$WORK/out" || fail "host without KVM: printed more than its exports"
	expect 3 '' "host: $err" -- "$WORK/host-static" "$WORK/guest.elf"
	expect 122 '' "kvmlet: $err" -- "$BIN/kvmlet" run "$WORK/guest.elf"
fi
finish
