#!/bin/sh
# release.sh: a fresh copy of the source tree builds as scripts/bench.sh builds
# it (release, -O3, -Werror): the tree's files only (git ls-files when there
# is a git checkout), so nothing of a developer's build directories helps.
set -eu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$SOURCE_ROOT"
if git rev-parse --git-dir >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard | (tar --null -T - -cf -) | tar -xf - -C "$work"
else
	tar --exclude='./build*' -cf - . | tar -xf - -C "$work"
fi
cd "$work"
if ! scripts/bench.sh --build-only "$work/build-bench" >"$work/log" 2>&1; then
	tail -n 40 "$work/log"
	echo "FAIL: scripts/bench.sh --build-only: the release build fails"
	exit 1
fi
if grep -E 'warning:' "$work/log"; then
	echo "FAIL: the release build warns"
	exit 1
fi
echo "ok: the release build of a fresh tree (scripts/bench.sh --build-only) is warning-free"
