#!/bin/sh
# static_archive.sh OUT.a MAP IN.a: the installed libkvmlet.a. IN.a's objects
# are linked into one relocatable object in which only the API stays global:
# the kvmlet_* names, less those MAP (libkvmlet.map) keeps local; every other
# name (elf_parse, pt_map, msg_decode, guest_mem_*...) becomes local, so it
# can clash with no application's. LD, OBJCOPY and AR may name the tools.
set -eu
out=$1 map=$2 in=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"${LD:-ld}" -r -o "$tmp/libkvmlet.o" --whole-archive "$in"
# A link-time optimised build leaves its intermediate code in the object
# beside the machine code: drop it (it would still know the localised names).
set -- -w --keep-global-symbol='kvmlet_*' --localize-hidden --remove-section='.gnu.lto_*' \
	--remove-section='.gnu.debuglto_*'
for name in $(sed -n '/local:/,/}/p' "$map" | grep -oE '\<kvmlet_[a-z0-9_]+\>' || true); do
	set -- "$@" --localize-symbol="$name"
done
"${OBJCOPY:-objcopy}" "$@" "$tmp/libkvmlet.o"
rm -f "$out"
"${AR:-ar}" rcs "$out" "$tmp/libkvmlet.o"
