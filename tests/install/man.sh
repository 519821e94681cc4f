#!/bin/sh
# man.sh KVMLET MANPAGE: the man page and --help agree.
#  - every command that `kvmlet --help` lists has a section (.SS) in the man
#    page, and every section but "Other options" is a command;
#  - per command, the options that `kvmlet COMMAND --help` lists are exactly
#    the options the man page's section gives as items (the .TP tags);
#  - every option and every exit status in `kvmlet --help` is in the page;
#  - the page names the version that `kvmlet --version` prints;
#  - groff, when installed, formats it without warnings.
# No KVM needed. The page is parsed as roff source: nothing to install.
set -u
kvmlet=$1 page=$2
failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# Options in help text: -x or --word at the start of a word.
help_opts() { grep -oE '(^|[ ,[])--?[A-Za-z][A-Za-z0-9-]*' | sed 's/^[ ,[]//' | sort -u; }
# The roff source of one .SS section as plain text (\- to -, fonts dropped).
section() {
	awk -v want="$1" '/^\.S[SH] / { on = ($0 == ".SS " want) ; next } on' "$page" |
		sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g'
}
# The option items of one section: the line after each .TP.
section_opts() { section "$1" | awk 'tp { print; tp = 0 } /^\.TP/ { tp = 1 }' | help_opts; }

main_help=$("$kvmlet" --help) || fail "kvmlet --help failed"
commands=$(printf '%s\n' "$main_help" |
	awk '/^commands:/ { on = 1; next } on && /^$/ { exit } on && /^  [a-z]/ { print $1 }')
[ -n "$commands" ] || fail "no commands found in kvmlet --help"
sections=$(sed -n 's/^\.SS //p' "$page")

for c in $commands; do
	if ! printf '%s\n' "$sections" | grep -qx "$c"; then
		fail "command $c has no .SS section in the man page"
		continue
	fi
	before=$failures
	help=$("$kvmlet" "$c" --help) || fail "kvmlet $c --help failed"
	# Option lines of the help: indented, starting with a dash.
	want=$(printf '%s\n' "$help" | grep -E '^ +-' | help_opts)
	have=$(section_opts "$c")
	for o in $want; do
		printf '%s\n' "$have" | grep -qx -- "$o" || fail "$c: option $o of --help is not in the man page"
	done
	for o in $have; do
		printf '%s\n' "$want" | grep -qx -- "$o" || fail "$c: the man page lists $o, --help does not"
	done
	[ "$failures" != "$before" ] || echo "ok: $c:" $want
done
for s in $(printf '%s\n' "$sections" | grep -v ' '); do
	printf '%s\n' "$commands" | grep -qx "$s" || fail "man page section $s is not a command of --help"
done

all_items=$(sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$page" |
	awk 'tp { print; tp = 0 } /^\.TP/ { tp = 1 }' | help_opts)
for o in $(printf '%s\n' "$main_help" | help_opts); do
	printf '%s\n' "$all_items" | grep -qx -- "$o" || fail "option $o of kvmlet --help is not an item in the man page"
done
statuses=$(printf '%s\n' "$main_help" | grep -oE '\<1[0-9][0-9]\>' | sort -u)
exit_section=$(awk '/^\.SH / { on = ($0 == ".SH EXIT STATUS"); next } on' "$page")
for n in $statuses; do
	printf '%s\n' "$exit_section" | grep -qx "\.B $n" || fail "exit status $n is not in the man page's EXIT STATUS"
done
echo "ok: exit statuses" $statuses

version=$("$kvmlet" --version)
grep -q "^\.TH KVMLET 1 .*\"$version\"" "$page" || fail ".TH does not say \"$version\""

if command -v groff >/dev/null; then
	warnings=$(groff -man -ww -z "$page" 2>&1)
	[ -z "$warnings" ] || fail "groff warns: $warnings"
else
	echo "note: groff not installed; formatting not checked"
fi

[ "$failures" = 0 ] || { echo "$failures failed"; exit 1; }
echo "man page and --help agree"
