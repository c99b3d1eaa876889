#!/bin/sh
# manpages.sh — the man pages: every page in docs/ and docs/id/ renders
# without a warning; each Indonesian page documents exactly the commands,
# options and environment variables of its English page; `make install`
# puts both sets where man(1) looks for them.
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)

# ---- every page renders without warnings ------------------------------------------

if command -v groff >/dev/null 2>&1; then
	for page in "$top"/docs/*.1 "$top"/docs/id/*.1; do
		name=${page#"$top/"}
		LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$page" >"$T/groff" 2>&1
		if [ -s "$T/groff" ]; then
			fail "$name renders without warnings ($(head -n 3 "$T/groff" | tr '\n' ' '))"
		else
			ok "$name renders without warnings"
		fi
	done
else
	fail "groff is needed to render the man pages (make deps installs groff-base)"
fi

# ---- each Indonesian page names what its English page names --------------------

# names.py PAGE prints, sorted, one a line: "command: X" for each synopsis
# line ".B PROG X..." (the first section after the name), "option: --x" /
# "option: -x" for each option written anywhere in the page, and
# "env: LUMBUNG_X" for each variable.  Font escapes are dropped and \- is
# read as -, so ".BR \-\-json" and "\fB\-d\fP" both count.
cat >"$T/names.py" <<'EOF'
import re, sys
src = open(sys.argv[1], encoding="utf-8").read()
prog = None
names = set()
sections = 0
for line in src.splitlines():
    if line.startswith('.\\"'):
        continue
    if line.startswith(".TH "):
        prog = line.split()[1].lower()
    if line.startswith(".SH"):
        sections += 1
    text = re.sub(r'\\f(\[[^]]*\]|\(..|.)', "", line).replace("\\-", "-")
    if sections == 2 and prog:
        m = re.match(r'\.B\s+"?' + re.escape(prog) + r'\s+([a-z][a-z0-9-]*(?:\s+[a-z][a-z0-9-]*)*)"?\s*$', text)
        if m:
            names.add("command: " + " ".join(m.group(1).split()))
    for o in re.findall(r'(?<![\w-])(--?[A-Za-z][A-Za-z0-9-]*)', text):
        if o.startswith("--") or len(o) == 2:
            names.add("option: " + o)
    for v in re.findall(r'\bLUMBUNG_[A-Z0-9_]+\b', text):
        names.add("env: " + v)
for n in sorted(names):
    print(n)
EOF
pages=0
for idpage in "$top"/docs/id/*.1; do
	[ -f "$idpage" ] || continue
	pages=$((pages + 1))
	base=$(basename "$idpage")
	en="$top/docs/$base"
	if [ ! -f "$en" ]; then
		fail "docs/id/$base has an English page docs/$base"
		continue
	fi
	python3 "$T/names.py" "$en" >"$T/en.names" && python3 "$T/names.py" "$idpage" >"$T/id.names"
	# lumbung-gen has no commands, only options
	if { [ "$base" != lumbung-gen.1 ] && ! grep -q '^command: ' "$T/en.names"; } ||
		! grep -q '^option: ' "$T/en.names"; then
		fail "docs/$base: commands and options found ($(wc -l <"$T/en.names") names)"
		continue
	fi
	if diff "$T/en.names" "$T/id.names" >"$T/diff"; then
		ok "docs/id/$base names the same $(wc -l <"$T/en.names") commands, options and variables as docs/$base"
	else
		fail "docs/id/$base names the same commands, options and variables as docs/$base (< English only, > Indonesian only: $(grep '^[<>]' "$T/diff" | tr '\n' ' '))"
	fi
done
[ "$pages" -ge 2 ] && ok "docs/id holds Indonesian pages ($pages)" || fail "docs/id holds Indonesian pages ($pages)"

# the comparison itself can fail: a page without one option is caught
idagg="$top/docs/id/lumbung-agg.1"
if [ -f "$idagg" ]; then
	grep -v 'max\\-per\\-address' "$idagg" >"$T/cut.1"
	python3 "$T/names.py" "$T/cut.1" >"$T/cut.names"
	python3 "$T/names.py" "$top/docs/lumbung-agg.1" >"$T/en.names"
	if diff "$T/en.names" "$T/cut.names" | grep -q '^< option: --max-per-address$'; then
		ok "a page missing --max-per-address is told apart"
	else
		fail "a page missing --max-per-address is told apart"
	fi
fi

# ---- make install puts the pages where man looks -------------------------------

if make -s -C "$top" install BUILD="$BUILD" DESTDIR="$T/root" PREFIX=/usr >"$T/make" 2>&1; then
	ok "make install DESTDIR=... PREFIX=/usr"
else
	fail "make install DESTDIR=... PREFIX=/usr ($(tail -n 5 "$T/make" | tr '\n' ' '))"
fi
missing=""
for page in "$top"/docs/*.1; do
	cmp -s "$page" "$T/root/usr/share/man/man1/$(basename "$page")" || missing="$missing man1/$(basename "$page")"
done
for page in "$top"/docs/id/*.1; do
	cmp -s "$page" "$T/root/usr/share/man/id/man1/$(basename "$page")" || missing="$missing id/man1/$(basename "$page")"
done
[ -z "$missing" ] && ok "the pages are installed in share/man/man1 and share/man/id/man1" ||
	fail "the pages are installed in share/man/man1 and share/man/id/man1 (missing or different:$missing)"
if command -v man >/dev/null 2>&1; then
	got=$(MANPATH="$T/root/usr/share/man" man -L id -w lumbung-agg 2>&1)
	[ "$got" = "$T/root/usr/share/man/id/man1/lumbung-agg.1" ] && ok "man -L id finds the Indonesian lumbung-agg(1)" ||
		fail "man -L id finds the Indonesian lumbung-agg(1) (got: $got)"
else
	fail "man is needed to look the installed pages up (make deps installs man-db)"
fi

done_testing
