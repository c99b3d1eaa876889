#!/bin/sh
# bahasa_node.sh — the village node speaks Indonesian (issue 12).
#
#   - `lumbung COMMAND --help` with LUMBUNG_BAHASA=id: every command's help
#     paragraph is translated (no line of the English paragraph is left in
#     it), the usage syntax stays as it is;
#   - refusals and summaries of the node in Indonesian, the same commands in
#     English when the language is not asked for;
#   - `lumbung log` and `lumbung verify` show times for people: local zone
#     (TZ), minutes, no HLC counter; --json keeps the machine form.  The
#     expected times are computed here with Python's zoneinfo from the
#     entries' HLC values, not with lumbung;
#   - tools/i18n_check.sh finds no untranslated message in schema/ and
#     node/ (except the files other work translates: see SKIP below).
. "$(dirname "$0")/lib.sh"
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || PY=python3
top=$(cd "$(dirname "$0")/../.." && pwd)
lb() { "$LUMBUNG" "$@"; }
lbid() { LUMBUNG_BAHASA=id "$LUMBUNG" "$@"; }
D="$T/desa"

# ---- --help of every command --------------------------------------------------

# the commands `lumbung --help` lists (node and sync commands alike)
lb --help >"$T/all" 2>&1
cmds=$(sed -n 's/^  lumbung \([a-z-]*\).*/\1/p' "$T/all" | sort -u)
[ "$(echo "$cmds" | wc -l)" -ge 20 ] && ok "lumbung --help lists the commands" ||
	fail "lumbung --help lists the commands ($cmds)"
lbid --help >"$T/all.id" 2>&1
contains "$T/all.id" "cara pakai: lumbung COMMAND" "lumbung --help in Indonesian"
contains "$T/all.id" "  lumbung put -d DIR [--merge] TYPE ID field=value" "usage syntax stays untranslated"

for c in $cmds; do
	lb "$c" --help >"$T/en" 2>&1
	lbid "$c" --help >"$T/id" 2>&1
	# the help paragraph: what follows the first empty line
	sed '1,/^$/d' "$T/en" >"$T/en.p"
	sed '1,/^$/d' "$T/id" >"$T/id.p"
	left=$(grep -Fx -f "$T/en.p" "$T/id.p" | awk 'length($0) >= 20' | head -n 2)
	if [ -s "$T/en.p" ] && [ -s "$T/id.p" ] && ! cmp -s "$T/en.p" "$T/id.p" && [ -z "$left" ]; then
		ok "$c --help is translated"
	else
		fail "$c --help is translated (English left: ${left:-$(head -n 1 "$T/id.p")})"
	fi
done

# ---- refusals and summaries ------------------------------------------------------

expect_exit 0 "init" lb init -d "$D" --village 33.24.01.2001 --name Sukamaju
expect_exit 1 "get of an absent record" lbid get -d "$D" aspirasi nope
contains "$T/err" "lumbung get: aspirasi nope: catatan tidak ditemukan" "absent record, in Indonesian"
expect_exit 1 "get of an absent record (English)" lb get -d "$D" aspirasi nope
contains "$T/err" "lumbung get: aspirasi nope: no such record" "absent record, in English"
expect_exit 2 "unknown option" lbid ls -d "$D" --frob
contains "$T/err" "opsi --frob tidak dikenal" "usage errors in Indonesian"
expect_exit 0 "put" lbid put -d "$D" aspirasi a1 tanggal=2026-01-02 pengusul=Ani usulan=jalan status=diusulkan
contains "$T/out" "aspirasi a1: ditulis sebagai seq 1" "put's summary in Indonesian"
expect_exit 0 "rm" lbid rm -d "$D" aspirasi a1
contains "$T/out" "aspirasi a1: dihapus sebagai seq 2" "rm's summary in Indonesian"
expect_exit 1 "rm again" lbid rm -d "$D" aspirasi a1
contains "$T/err" "sudah dihapus" "second rm says already deleted, in Indonesian"
expect_exit 0 "put again" lb put -d "$D" aspirasi a1 tanggal=2026-01-02 pengusul=Ani usulan=jalan status=diusulkan
expect_exit 0 "verify" lbid verify -d "$D"
contains "$T/out" "entri     3, rantai dan hash utuh" "verify's report in Indonesian"
expect_exit 0 "schema" lbid schema aspirasi
contains "$T/out" "aspirasi (id diberikan terpisah)" "schema in Indonesian"
LC_ALL=id_ID.UTF-8 "$LUMBUNG" verify -d "$D" >"$T/out" 2>&1
contains "$T/out" "rantai dan hash utuh" "the id_ID locale gives Indonesian"
LUMBUNG_BAHASA=en LC_ALL=id_ID.UTF-8 "$LUMBUNG" verify -d "$D" >"$T/out" 2>&1
contains "$T/out" "chain and hashes intact" "LUMBUNG_BAHASA=en wins over the locale"

# ---- times for people ------------------------------------------------------------

lb log -d "$D" --json >"$T/log.json" 2>&1
for tz in Asia/Jakarta:WIB Asia/Makassar:WITA Asia/Jayapura:WIT; do
	zone=${tz%%:*}
	expect_exit 0 "log in $zone" env TZ="$zone" "$LUMBUNG" log -d "$D"
	if "$PY" - "$T/log.json" "$T/out" "$zone" "${tz#*:}" 2>"$T/py" <<'EOF'
import datetime, json, re, sys, zoneinfo
months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
entries = [json.loads(l) for l in open(sys.argv[1])]
lines = open(sys.argv[2]).read().splitlines()
assert len(lines) == len(entries) == 3, lines
z = zoneinfo.ZoneInfo(sys.argv[3])
for e, l in zip(entries, lines):
    t = datetime.datetime.fromtimestamp((e["hlc"] >> 16) / 1000, z)
    want = "%d  %d %s %d %02d:%02d %s  %s  aspirasi  a1" % (
        e["seq"], t.day, months[t.month - 1], t.year, t.hour, t.minute, sys.argv[4], e["op"])
    assert l.startswith(want), (l, want)
    assert not re.search(r"\d{4}-\d\d-\d\dT|\+\d+$|:\d\d\.\d{3}", l.split("  ")[1]), l
    assert e["time"].endswith("Z") and "T" in e["time"], e   # --json keeps the HLC form
EOF
	then ok "log shows $zone times in minutes, no HLC"; else fail "log shows $zone times ($(cat "$T/py"))"; fi
done
# the Indonesian month of the same time
TZ=Asia/Jakarta LUMBUNG_BAHASA=id "$LUMBUNG" log -d "$D" >"$T/out" 2>&1
if "$PY" - "$T/log.json" "$T/out" 2>"$T/py" <<'EOF'
import datetime, json, sys, zoneinfo
bulan = "Jan Feb Mar Apr Mei Jun Jul Agu Sep Okt Nov Des".split()
e = json.loads(open(sys.argv[1]).readline())
t = datetime.datetime.fromtimestamp((e["hlc"] >> 16) / 1000, zoneinfo.ZoneInfo("Asia/Jakarta"))
want = "1  %d %s %d %02d:%02d WIB  put" % (t.day, bulan[t.month - 1], t.year, t.hour, t.minute)
l = open(sys.argv[2]).readline()
assert l.startswith(want), (l, want)
EOF
then ok "log in Indonesian uses Indonesian month names"; else fail "log month names in Indonesian ($(cat "$T/py"))"; fi
TZ=Asia/Jakarta "$LUMBUNG" verify -d "$D" >"$T/out" 2>&1
if grep -qE '^  span      [0-9]+ [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2} WIB \.\. [0-9]+ [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2} WIB$' "$T/out"; then
	ok "verify's span in local time"
else
	fail "verify's span in local time ($(grep span "$T/out"))"
fi

# ---- the man pages --------------------------------------------------------------

# the Indonesian page renders without warnings, names every command and
# translates the operator parts; no page names a manual that is not shipped
if command -v groff >/dev/null 2>&1; then
	LC_ALL=C.UTF-8 groff -man -ww -z -Tutf8 "$top/docs/id/lumbung.1" >"$T/groff" 2>&1
	[ ! -s "$T/groff" ] && ok "docs/id/lumbung.1 renders without warnings" ||
		fail "docs/id/lumbung.1 renders without warnings ($(head -n 3 "$T/groff"))"
else
	fail "groff is needed to render the man pages (make deps)"
fi
missing=""
for c in $cmds; do
	grep -q "^\.B lumbung $c" "$top/docs/id/lumbung.1" || missing="$missing $c"
	grep -qE "^\.(B|BR) \"?$(echo "$c" | sed 's/-/\\\\-/g')" "$top/docs/id/lumbung.1" || missing="$missing $c(desc)"
done
[ -z "$missing" ] && ok "the Indonesian page covers every command" ||
	fail "the Indonesian page covers every command (missing:$missing)"
for sh in NAMA RINGKASAN DESKRIPSI PERINTAH OPSI CONTOH; do
	grep -q "^\.SH $sh" "$top/docs/id/lumbung.1" || missing="$missing $sh"
done
[ -z "$missing" ] && ok "the Indonesian page has its sections in Indonesian" ||
	fail "the Indonesian page has its sections in Indonesian (missing:$missing)"
bad=""
for page in "$top"/docs/*.1 "$top"/docs/id/*.1; do
	for ref in $(sed -n 's/^\.BR \(lumbung[-a-z]*\) (1).*/\1/p' "$page"); do
		[ -f "$top/docs/$ref.1" ] || bad="$bad $(basename "$page"):$ref"
	done
done
[ -z "$bad" ] && ok "every manual a page names exists" || fail "every manual a page names exists:$bad"

# ---- every message of schema/ and node/ has a translation ------------------------

# SKIP: files other work rewrites and translates (values, import, rules, find)
SKIP='schema/value.c node/csvio.c node/cli_import.c node/consistency.c node/find.c node/cli_find.c node/profile.c'
files=$(cd "$top" && for f in schema/*.c node/*.c; do
	case " $SKIP " in *" $f "*) ;; *) echo "$f" ;; esac
done)
# shellcheck disable=SC2086
if (cd "$top" && sh tools/i18n_check.sh $files) >"$T/out" 2>&1; then
	ok "i18n_check: schema/ and node/ messages translated"
else
	fail "i18n_check: schema/ and node/ messages translated ($(grep -c '^msgid' "$T/out") missing; $(grep '^msgid' "$T/out" | head -n 3 | tr '\n' ' '))"
fi

done_testing
