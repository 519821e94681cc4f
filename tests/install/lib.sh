# lib.sh: shared by install.sh and docs.sh. Source it.
#
# stage_install: `meson install --destdir` this build directory into a
# temporary directory (the build is not touched; nothing is rebuilt), then
# point pkg-config at the staged .pc files. The .pc files say the configured
# prefix (e.g. /usr/local), where nothing is installed yet, so pkg-config runs
# with --define-variable=prefix=STAGED-PREFIX: every other path in them is
# relative to ${prefix}, as for a package unpacked somewhere else.
#
# Environment (set by tests/install/meson.build): MESON, BUILD_ROOT,
# SOURCE_ROOT, PREFIX, LIBDIR, INCLUDEDIR, BINDIR, MANDIR, CC (the build's C
# compiler) and SANITIZE (b_sanitize: none, or e.g. address,undefined).
set -u
failures=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kvmlet-install.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

skip() {
	echo "SKIP: $*"
	exit 77
}

finish() {
	[ "$failures" = 0 ] || { echo "$failures failed"; exit 1; }
	exit 0
}

# Host programs of a sanitizer build must be built with the same sanitizers:
# the installed libkvmlet is instrumented and needs the sanitizer runtime,
# which only a program linked with -fsanitize brings in. Guests never get them.
# As in meson.build, a UBSan report ends the program.
SANFLAGS=
[ "${SANITIZE:-none}" = none ] || SANFLAGS="-fsanitize=$SANITIZE"
case ,${SANITIZE:-none}, in *,undefined,*) SANFLAGS="$SANFLAGS -fno-sanitize-recover=undefined" ;; esac

# The staged location of an install directory ($1 relative to the prefix, or absolute).
staged() {
	case $1 in
	/*) echo "$STAGE$1" ;;
	*) echo "$STAGE$PREFIX/$1" ;;
	esac
}

stage_install() {
	command -v pkg-config >/dev/null || skip "pkg-config is not installed (apt-get install pkg-config)"
	case $LIBDIR in
	/*) case $LIBDIR in "$PREFIX"/*) ;; *) skip "libdir $LIBDIR is outside the prefix: the .pc files cannot be relocated" ;; esac ;;
	esac
	STAGE=$WORK/stage
	if ! "$MESON" install -C "$BUILD_ROOT" --no-rebuild --destdir "$STAGE" >"$WORK/install.log" 2>&1; then
		cat "$WORK/install.log"
		echo "FAIL: meson install --destdir"
		exit 1
	fi
	BIN=$(staged "$BINDIR")
	LIB=$(staged "$LIBDIR")
	INC=$(staged "$INCLUDEDIR")
	MAN=$(staged "$MANDIR")
	# The staged .pc files first (before any system kvmlet.pc); the system's
	# for what kvmlet.pc requires (e.g. libseccomp).
	PKG_CONFIG_PATH=$LIB/pkgconfig
	export PKG_CONFIG_PATH
	unset PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR
	PKG_CONFIG="pkg-config --define-variable=prefix=$STAGE$PREFIX"
	# meson test points LD_LIBRARY_PATH at the build's libkvmlet: not ours.
	unset LD_LIBRARY_PATH
}

# expect STATUS 'stdout-substring' 'stderr-substring' -- COMMAND...: run it,
# check its status and that its output contains the substrings ('' = anything).
expect() {
	want_st=$1 want_out=$2 want_err=$3
	shift 4
	st=0
	"$@" >"$WORK/out" 2>"$WORK/err" || st=$?
	why=
	[ "$st" = "$want_st" ] || why="status $st, expected $want_st"
	[ -z "$want_out" ] || grep -qF -- "$want_out" "$WORK/out" || why="$why; stdout lacks '$want_out'"
	[ -z "$want_err" ] || grep -qF -- "$want_err" "$WORK/err" || why="$why; stderr lacks '$want_err'"
	if [ -n "$why" ]; then
		fail "$*: $why"
		echo "--- stdout"; head -c 2000 "$WORK/out"
		echo "--- stderr"; head -c 2000 "$WORK/err"
		return 1
	fi
	echo "ok: $*"
}

# kvm_usable: /dev/kvm is a KVM the tests trust (scripts/kvm-check.sh).
scripts_kvm_check() { "$(cd "$(dirname "$0")/../.." && pwd)/scripts/kvm-check.sh"; }
kvm_usable() { scripts_kvm_check >/dev/null; }
