# lib.sh: tiny assertions for the CLI tests. Source it; call `check` per case.
# check STATUS 'stdout-substring' 'stderr-substring' -- kvmlet ARGS...
# An empty substring means "must be empty" for stderr and "anything" for stdout.
set -u
failures=0
# KVM_CHECK: scripts/kvm-check.sh (copied next to the scripts inside the QEMU VM).
KVM_CHECK=${KVM_CHECK:-$(cd "$(dirname "$0")/../.." && pwd)/scripts/kvm-check.sh}
out=$(mktemp)
err=$(mktemp)
wrapper_errors=$(mktemp)
trap 'rm -f "$out" "$err" "$wrapper_errors"' EXIT

# KVMLET_WRAPPER: a command that every "$KVMLET" of the scripts runs under,
# e.g. valgrind (scripts/test.sh). A function, so that "$KVMLET" still works.
# Status 99 means the wrapper found errors (valgrind --error-exitcode=99):
# noted even where a script ignores the status, and failed by finish.
if [ -n "${KVMLET_WRAPPER:-}" ]; then
	kvmlet_unwrapped=$KVMLET
	kvmlet_wrapped() {
		ws=0
		$KVMLET_WRAPPER "$kvmlet_unwrapped" "$@" || ws=$?
		[ "$ws" != 99 ] || echo "kvmlet $*" >>"$wrapper_errors"
		return "$ws"
	}
	KVMLET=kvmlet_wrapped
fi

check() {
	want_status=$1 want_out=$2 want_err=$3
	shift 4
	st=0
	"$KVMLET" "$@" >"$out" 2>"$err" || st=$?
	why=""
	[ "$st" = "$want_status" ] || why="status $st, expected $want_status"
	if [ -n "$want_out" ] && ! grep -qF -- "$want_out" "$out"; then
		why="$why; stdout lacks '$want_out'"
	fi
	if [ -z "$want_err" ]; then
		[ ! -s "$err" ] || why="$why; stderr not empty"
	else
		grep -qF -- "$want_err" "$err" || why="$why; stderr lacks '$want_err'"
		[ "$(wc -l <"$err")" = 1 ] || why="$why; stderr is not one line"
		grep -q '^kvmlet: ' "$err" || why="$why; stderr does not start with 'kvmlet: '"
	fi
	if [ -n "$why" ]; then
		echo "FAIL: kvmlet $*: $why"
		echo "--- stdout"; head -c 2000 "$out"
		echo "--- stderr"; cat "$err"
		failures=$((failures + 1))
	else
		echo "ok: kvmlet $*"
	fi
}

finish() {
	if [ -s "$wrapper_errors" ]; then
		echo "FAIL: $KVMLET_WRAPPER reported errors in:"; cat "$wrapper_errors"
		failures=$((failures + 1))
	fi
	[ "$failures" = 0 ] || { echo "$failures failed"; exit 1; }
	exit 0
}
