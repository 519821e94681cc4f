#!/bin/sh
# check_exports.sh SHARED STATIC HEADER SOVERSION [PART.a...]: the symbol
# policy of libkvmlet.
#  - the shared library exports (defines) exactly the functions that kvmlet.h
#    declares: kvmlet_* and nothing else (vmm/libkvmlet.map);
#  - its soname is libkvmlet.so.SOVERSION;
#  - the static library defines every function kvmlet.h declares, and every
#    symbol of the PART libraries (ELF loader, page tables) that it uses: it
#    is complete without them;
#  - the static library's global defined names are exactly those functions
#    too (vmm/static_archive.sh makes every other name local), apart from
#    what a sanitizer adds in a sanitizer build (__asan_*, __odr_asan_*,
#    __ubsan_*, __sanitizer_*).
# Needs nm and readelf (binutils) and the C compiler (CC) to strip comments
# from the header.
set -u
so=$1 ar=$2 header=$3 soversion=$4
failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Functions kvmlet.h declares, without its static inline helpers.
# shellcheck disable=SC2086 # CC may be a command with arguments
${CC:-cc} -E -P "$header" -o "$tmp/h.i" || { echo "FAIL: cannot preprocess $header"; exit 1; }
tr '\n' ' ' <"$tmp/h.i" | sed 's/;/;\n/g; s/}/}\n/g' | grep -v 'static inline' |
	grep -oE '\<kvmlet_[a-z0-9_]+ *\(' | tr -d ' (' | sort -u >"$tmp/api"
[ -s "$tmp/api" ] || fail "no functions found in $header"

nm -D --defined-only "$so" | awk '{ print $NF }' | sed 's/@.*//' | sort -u >"$tmp/exported"
grep -v '^kvmlet_' "$tmp/exported" >"$tmp/extra" && fail "$so exports more than kvmlet_*:" $(cat "$tmp/extra")
comm -23 "$tmp/api" "$tmp/exported" >"$tmp/missing"
[ -s "$tmp/missing" ] && fail "kvmlet.h declares, $so does not export:" $(cat "$tmp/missing")
comm -13 "$tmp/api" "$tmp/exported" >"$tmp/internal"
[ -s "$tmp/internal" ] && fail "$so exports what kvmlet.h does not declare (make it local in vmm/libkvmlet.map):" $(cat "$tmp/internal")
[ "$failures" = 0 ] &&
	echo "ok: $(wc -l <"$tmp/exported") symbols exported, exactly the functions of kvmlet.h"

soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "libkvmlet.so.$soversion" ] || fail "soname is '$soname', expected libkvmlet.so.$soversion"
echo "ok: soname $soname"

nm --defined-only "$ar" 2>/dev/null | awk 'NF == 3 && $2 ~ /[TDBR]/ { print $3 }' | sort -u >"$tmp/defined"
nm --undefined-only "$ar" 2>/dev/null | awk 'NF == 2 { print $2 }' | sort -u >"$tmp/undefined"
comm -23 "$tmp/api" "$tmp/defined" >"$tmp/missing"
[ -s "$tmp/missing" ] && fail "$ar lacks:" $(cat "$tmp/missing")
# What the archive needs from the loader and page-table libraries (the rest
# of the tree's static libraries) it defines itself.
shift 4
for lib in "$@"; do
	nm --defined-only "$lib" 2>/dev/null | awk 'NF == 3 && $2 ~ /[TDBR]/ { print $3 }'
done | sort -u >"$tmp/ours"
comm -23 "$tmp/undefined" "$tmp/defined" | comm -12 - "$tmp/ours" >"$tmp/left" &&
	[ -s "$tmp/left" ] && fail "$ar leaves undefined:" $(cat "$tmp/left")
[ "$failures" = 0 ] && echo "ok: $ar is complete"

nm -g --defined-only "$ar" 2>/dev/null | awk 'NF == 3 { print $3 }' |
	grep -vE '^(__asan_|__odr_asan|__ubsan_|__sanitizer_)' | sort -u >"$tmp/global"
comm -13 "$tmp/api" "$tmp/global" >"$tmp/internal"
[ -s "$tmp/internal" ] && fail "$ar has global names kvmlet.h does not declare (internal ones must be local: vmm/static_archive.sh):" $(cat "$tmp/internal")
comm -23 "$tmp/api" "$tmp/global" >"$tmp/missing"
[ -s "$tmp/missing" ] && fail "$ar does not export:" $(cat "$tmp/missing")
[ -s "$tmp/internal" ] || [ -s "$tmp/missing" ] ||
	echo "ok: $ar exports $(wc -l <"$tmp/global") names, exactly the functions of kvmlet.h"

[ "$failures" = 0 ] || { echo "$failures failed"; exit 1; }
