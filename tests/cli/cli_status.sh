#!/bin/sh
# cli_status.sh SRC: the exit statuses agree everywhere. Their one source is
# vmm/cli/status.h, printed by `kvmlet --help`; from that table this checks
# each `kvmlet COMMAND --help`, the table in docs/cli.md and the man page's
# EXIT STATUS section (no KVM needed).
. "$(dirname "$0")/lib.sh"
src=$1
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

table=$("$KVMLET" --help | sed -n '/^exit status:/,$p' | grep -E '^  1[0-9][0-9] ')
[ "$(printf '%s\n' "$table" | wc -l)" -ge 7 ] || fail "kvmlet --help has no status table"
man=$(sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' "$src/docs/kvmlet.1.in" | sed 's/\\-/-/g')
printf '%s\n' "$table" | while read -r n kind meaning; do
	grep -qxF "| $n | $kind | $meaning |" "$src/docs/cli.md" ||
		{ echo "FAIL: docs/cli.md lacks '| $n | $kind | $meaning |'"; exit 1; }
	printf '%s\n' "$man" | grep -A1 -xF ".B $n" | grep -qxF "$kind: $meaning" ||
		{ echo "FAIL: the man page's EXIT STATUS lacks $n '$kind: $meaning'"; exit 1; }
	echo "ok: $n $kind"
done || failures=$((failures + 1))
# Every status a command's --help names is in the table, under the same kind.
for c in run call inspect; do
	line=$("$KVMLET" "$c" --help | grep '^exit status:')
	for pair in $(printf '%s\n' "$line" | grep -oE '1[0-9][0-9] [a-z]+' | tr ' ' :); do
		printf '%s\n' "$table" | grep -qE "^  ${pair%%:*} ${pair#*:} " ||
			fail "$c --help says ${pair%%:*} ${pair#*:}, kvmlet --help does not"
	done
	[ "$("$KVMLET" help "$c")" = "$("$KVMLET" "$c" --help)" ] || fail "help $c differs from $c --help"
done
# The statuses the code returns for the cases the table names.
check 120 '' 'unknown option' -- run --bogus x
check 121 '' 'cannot read' -- inspect /nonexistent.elf
check 120 '' "unknown command 'frob'" -- help frob
finish
