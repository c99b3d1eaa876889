#!/bin/sh
# i18n_check.sh — is every message translated into Indonesian?
#
#   sh tools/i18n_check.sh [FILE.c ...]
#
# Extracts every lb_fail/lb_diag_prefix/lb_cli_usage_error format and every
# _()/N_() string (of the given sources, default all of them, as `make pot`
# does), and lists each one that po/id.po (with po/part-*.po) does not
# translate, or translates only as fuzzy.  Exit 0 when there is none.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/i18n.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if [ $# -gt 0 ]; then
	make --no-print-directory -s pot POT="$tmp/all.pot" POT_SRC="$*" >/dev/null
else
	make --no-print-directory -s pot POT="$tmp/all.pot" >/dev/null
fi
[ -f "$tmp/all.pot" ] || { echo "i18n: no messages found" >&2; exit 0; }
# shellcheck disable=SC2046
msgcat --force-po --use-first -o "$tmp/id.po" po/id.po $(ls po/part-*.po 2>/dev/null)
# the catalogue's entries for exactly the template's messages
msgmerge -q --no-fuzzy-matching -o "$tmp/merged.po" "$tmp/id.po" "$tmp/all.pot"
msgattrib --untranslated --no-obsolete -o "$tmp/untranslated.po" "$tmp/merged.po"
msgattrib --only-fuzzy --no-obsolete -o "$tmp/fuzzy.po" "$tmp/merged.po"
n=0
for f in "$tmp/untranslated.po" "$tmp/fuzzy.po"; do
	[ -s "$f" ] || continue
	c=$(grep -c '^msgid ' "$f" || true)
	c=$((c - 1)) # the header
	[ "$c" -gt 0 ] || continue
	n=$((n + c))
	cat "$f" | sed -n '/^#:/,/^$/p'
done
if [ "$n" -gt 0 ]; then
	echo "i18n: $n message(s) without an Indonesian translation (po/id.po)" >&2
	exit 1
fi
echo "i18n: every message has an Indonesian translation"
