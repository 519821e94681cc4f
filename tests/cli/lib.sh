# lib.sh: tiny assertions for the CLI tests. Source it; call `check` per case.
# check STATUS 'stdout-substring' 'stderr-substring' -- kvmlet ARGS...
# An empty substring means "must be empty" for stderr and "anything" for stdout.
set -u
failures=0
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

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
	[ "$failures" = 0 ] || { echo "$failures failed"; exit 1; }
	exit 0
}
