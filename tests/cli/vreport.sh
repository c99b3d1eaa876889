#!/bin/sh
# vreport.sh — a village's own reports (lumbung report NAME -d DIR).  A
# kabupaten aggregator with a catalogue programme; a village that takes the
# catalogue with its push, names the programme in penerima records, writes
# in May and June 2026, and pushes; another village pushed to the same
# aggregator.  For ringkasan, penduduk --per, bantuan (with the catalogue
# programme) and perkembangan --month, the village's `report --json` is
# byte for byte the aggregator's `report NAME --village CODE --json`, and
# --csv the same; a few figures against answers computed here from the
# village's own export; the XLSX workbook read back.  Report names that
# make no sense for one village, --pdf stamped and checked by the kabupaten, misplaced
# --month / --per refused.  The temporary aggregator prints nothing and
# leaves nothing in $TMPDIR: after a report, after a failed one, and when
# killed (SIGTERM) while it computes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR LUMBUNG_AGG_NOW_MS LUMBUNG_NOW_MS LUMBUNG_AGG_NO_FIGURES
export TZ=UTC
lb() { "$LUMBUNG" "$@"; }
ms() { echo "$(($(date -u -d "$1" +%s) * 1000))"; }
RT="$T/rtmp" # the reports' TMPDIR, watched for leftovers
mkdir -p "$RT"
rep() { TMPDIR="$RT" "$LUMBUNG" report "$@"; }
empty_tmp() {
	if [ -z "$(ls -A "$RT")" ]; then ok "$1: nothing left in TMPDIR"; else
		fail "$1: left in TMPDIR: $(ls -A "$RT")"; rm -rf "${RT:?}"/*; fi
}

KAB="$T/kab"
KAB_KEY=$(agg init -d "$KAB" --region 33.24) || fail "agg init"
agg catalogue put -d "$KAB" program BLT-KAB-2026 kode=BLT-KAB-2026 \
	nama="Bantuan Kabupaten Sejahtera" bidang=sosial sumber_dana=bantuan_kabupaten \
	anggaran=900000000 tahun=2026 target_penerima=300 >/dev/null 2>"$T/cat.err" ||
	fail "catalogue put: $(cat "$T/cat.err")"
start_agg "$KAB" || exit 1

V=33.24.01.2001
N="$T/desa"
V2=33.24.02.2001
N2="$T/desa2"
lb init -d "$N" --village "$V" --name "Desa Sukamaju" >/dev/null 2>&1 || fail "init"
lb init -d "$N2" --village "$V2" --name "Desa Lain" >/dev/null 2>&1 || fail "init desa2"
for n in "$N" "$N2"; do
	agg enroll -d "$KAB" --village "$(village "$n")" --key "$(origin "$n")" >/dev/null ||
		fail "enroll $n"
	lb remote add -d "$n" kab "$URL" --key "$KAB_KEY" >/dev/null || fail "remote add $n"
done
"$GEN" --village "$V" --count 400 --seed 5 >"$T/g1.jsonl"
"$GEN" --village "$V2" --count 150 --seed 6 >"$T/g2.jsonl"
LUMBUNG_NOW_MS=$(ms 2026-05-10T08:00:00Z) lb put -d "$N" --batch "$T/g1.jsonl" >/dev/null 2>&1 ||
	fail "batch desa"
LUMBUNG_NOW_MS=$(ms 2026-05-11T08:00:00Z) lb put -d "$N2" --batch "$T/g2.jsonl" >/dev/null 2>&1 ||
	fail "batch desa2"
check "push takes the catalogue" sh -c '"$0" push -d "$1" --quiet >/dev/null' "$LUMBUNG" "$N"
# three beneficiaries of the kabupaten's programme, in May; a death in June
i=0
for nik in 3324014501900001 3324014501900002 3324015501900003; do
	i=$((i + 1))
	LUMBUNG_NOW_MS=$(ms "2026-05-2${i}T09:00:00Z") lb put -d "$N" penerima "PK-$i" \
		program=BLT-KAB-2026 nik=$nik tanggal=2026-05-20 bentuk=uang nilai=600000 \
		status=disalurkan >/dev/null 2>"$T/pen.err" || fail "penerima PK-$i: $(cat "$T/pen.err")"
done
DEAD=$(lb export -d "$N" penduduk | python3 -c '
import csv, sys
rows = [r for r in csv.DictReader(sys.stdin.read().lstrip("\ufeff").splitlines()) if r["status"] == "hidup"]
print(rows[-1]["nik"])')
LUMBUNG_NOW_MS=$(ms 2026-06-03T09:00:00Z) lb put -d "$N" penduduk "$DEAD" status=meninggal \
	--merge >/dev/null 2>"$T/dead.err" || fail "a death: $(cat "$T/dead.err")"
for n in "$N" "$N2"; do
	check "push ($n)" sh -c '"$0" push -d "$1" --quiet >/dev/null' "$LUMBUNG" "$n"
done

# ---- the village's JSON and CSV are the aggregator's
for spec in "ringkasan --per 2026-06-30" "penduduk --per 2026-06-30" "bantuan --per 2026-06-30" \
	"perkembangan --month 2026-05" "perkembangan --month 2026-06"; do
	# shellcheck disable=SC2086
	rep $spec -d "$N" --json >"$T/node.json" 2>"$T/node.err"
	rc=$?
	# shellcheck disable=SC2086
	agg report $spec -d "$KAB" --village "$V" --json >"$T/agg.json" 2>"$T/agg.err"
	if [ $rc -eq 0 ] && [ -s "$T/node.json" ] && cmp -s "$T/node.json" "$T/agg.json"; then
		ok "report $spec --json: the village's equals the aggregator's"
	else fail "report $spec --json (exit $rc): $(head -c 300 "$T/node.err"; diff "$T/node.json" "$T/agg.json" | head -8)"; fi
	if [ ! -s "$T/node.err" ]; then ok "report $spec: prints nothing else"; else
		fail "report $spec printed: $(head -c 300 "$T/node.err")"; fi
	# shellcheck disable=SC2086
	rep $spec -d "$N" --csv >"$T/node.csv" 2>&1
	# shellcheck disable=SC2086
	agg report $spec -d "$KAB" --village "$V" --csv >"$T/agg.csv" 2>&1
	if [ -s "$T/node.csv" ] && cmp -s "$T/node.csv" "$T/agg.csv"; then
		ok "report $spec --csv: the village's equals the aggregator's"
	else fail "report $spec --csv: $(diff "$T/node.csv" "$T/agg.csv" | head -6)"; fi
	cp "$T/node.json" "$T/$(echo "$spec" | cut -d' ' -f1)$(echo "$spec" | tr -dc 0-9).json"
done
empty_tmp "after the reports"

# ---- figures against answers computed here from the village's own export
lb export -d "$N" penduduk >"$T/penduduk.csv"
python3 - "$T/penduduk.csv" "$T/ringkasan20260630.json" "$T/bantuan20260630.json" \
	"$T/perkembangan202606.json" <<'EOF' && ok "figures: residents by sex, the catalogue programme's beneficiaries, June's death" || fail "figures differ from the export"
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8-sig")))
live = [r for r in rows if r["status"] == "hidup"]
r = json.load(open(sys.argv[2]))
v = r["villages"]
assert len(v) == 1 and v[0]["village"] == "33.24.01.2001" and v[0]["name"] == "Desa Sukamaju", v
assert v[0]["penduduk_l"] == sum(x["jenis_kelamin"] == "L" for x in live), v[0]
assert v[0]["penduduk_p"] == sum(x["jenis_kelamin"] == "P" for x in live), v[0]
assert v[0]["penduduk"] == len(live) > 100, v[0]
b = json.load(open(sys.argv[3]))
cat = [x for x in b["villages"] if x.get("program") == "BLT-KAB-2026"]
assert len(cat) == 1 and cat[0]["nama_program"] == "Bantuan Kabupaten Sejahtera", cat
assert cat[0]["penerima"] == 3 and cat[0]["nilai"] == 1800000, cat[0]
p = json.load(open(sys.argv[4]))["villages"][0]
assert p["mati_l"] + p["mati_p"] == 1, p
EOF

# ---- the report is the node's own: written after the push, not yet sent
LUMBUNG_NOW_MS=$(ms 2026-06-04T09:00:00Z) lb put -d "$N" penerima PK-9 program=BLT-KAB-2026 \
	nik=3324014501900009 tanggal=2026-06-04 bentuk=uang nilai=500000 status=disalurkan \
	>/dev/null 2>&1 || fail "penerima PK-9"
rep bantuan -d "$N" --per 2026-06-30 --json >"$T/b2.json" 2>&1
python3 -c '
import json, sys
c = [x for x in json.load(open(sys.argv[1]))["villages"] if x.get("program") == "BLT-KAB-2026"]
assert c[0]["penerima"] == 4 and c[0]["nilai"] == 2300000, c' "$T/b2.json" &&
	ok "an entry not pushed yet is in the village's report" || fail "bantuan after PK-9: $(head -c 300 "$T/b2.json")"

# ---- the table and the workbook
expect_exit 0 "the table" rep penduduk -d "$N" --per 2026-06-30
contains "$T/out" "Desa Sukamaju" "the table names the village"
expect_exit 0 "--xlsx writes a workbook" rep bantuan -d "$N" --per 2026-06-30 --xlsx "$T/b.xlsx"
python3 - "$T/b.xlsx" <<'EOF' && ok "XLSX: a workbook naming the catalogue programme" || fail "XLSX read back"
import sys, zipfile
import xml.etree.ElementTree as ET
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
names = [s.get("name") for s in ET.fromstring(z.read("xl/workbook.xml")).find("m:sheets", ns)]
assert names[:3] == ["Desa", "Kecamatan", "Total"], names
sst = [si.findtext("m:t", namespaces=ns) for si in
       ET.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", ns)]
assert "Bantuan Kabupaten Sejahtera" in sst and "Desa Sukamaju" in sst, sst[:20]
EOF
empty_tmp "after the table and the workbook"

# ---- refusals
for name in nik-ganda kelengkapan nonsense; do
	expect_exit 2 "report $name is refused" rep "$name" -d "$N" --json
	contains "$T/err" "ringkasan penduduk bantuan perkembangan" "report $name: the names listed"
done
# ---- --pdf: the printed report, stamped, checked by the kabupaten
expect_exit 0 "report bantuan --pdf" rep bantuan -d "$N" --per 2026-06-30 --pdf "$T/r.pdf"
stamp=$(sed -n 's/^stamp ([^)]*): //p' "$T/out")
case "$stamp" in "LBR1 33.24.01.2001 bantuan per=2026-06-30 "*) ok "it prints the stamp" ;;
*) fail "stamp: '$stamp'" ;; esac
pdftotext "$T/r.pdf" "$T/r.txt" && contains "$T/r.txt" "DESA SUKAMAJU" "the PDF's kop names the village" &&
	contains "$T/r.txt" "Sejahtera" "  and the catalogue programme"
check "the village pushes what it wrote since" sh -c '"$0" push -d "$1" --quiet >/dev/null' "$LUMBUNG" "$N"
expect_exit 0 "the kabupaten's check-report takes the PDF as genuine" \
	"$BUILD/lumbung-audit" check-report --pdf "$T/r.pdf" --agg "$KAB"
contains "$T/out" "GENUINE" "  it says so"
expect_exit 2 "--pdf with --json" rep ringkasan -d "$N" --json --pdf "$T/r2.pdf"
[ ! -e "$T/r2.pdf" ] && ok "  no file" || fail "--pdf with --json wrote a file"
empty_tmp "after the PDF"
expect_exit 2 "perkembangan without --month" rep perkembangan -d "$N" --json
contains "$T/err" "needs --month" "perkembangan without --month: says so"
expect_exit 2 "--month on ringkasan" rep ringkasan -d "$N" --month 2026-05
expect_exit 2 "a bad --month" rep perkembangan -d "$N" --month 2026-13
expect_exit 2 "a bad --per" rep penduduk -d "$N" --per 2026-02-30
expect_exit 2 "--per on perkembangan" rep perkembangan -d "$N" --month 2026-05 --per 2026-05-31
expect_exit 2 "two formats" rep ringkasan -d "$N" --json --csv
expect_exit 2 "no name" rep -d "$N"
expect_exit 1 "a directory that holds no node" rep ringkasan -d "$T/none"
empty_tmp "after the refusals"

# ---- a report that fails once the temporary aggregator is made
expect_exit 5 "an XLSX that cannot be written fails" \
	rep bantuan -d "$N" --per 2026-06-30 --xlsx "$T/no/such/dir/b.xlsx"
empty_tmp "after a failed report"

# ---- killed while it computes: a large village, SIGTERM once its
# temporary directory appears
B="$T/big"
lb init -d "$B" --village 33.24.01.2002 >/dev/null 2>&1
"$GEN" --village 33.24.01.2002 --count 60000 --seed 7 >"$T/big.jsonl"
lb put -d "$B" --batch "$T/big.jsonl" >/dev/null 2>&1 || fail "batch big"
caught=0
for try in 1 2 3 4 5; do
	# the program itself in the background (not a shell function: $! must be its pid)
	TMPDIR="$RT" "$LUMBUNG" report penduduk -d "$B" --per 2026-06-30 --json >/dev/null \
		2>"$T/big.err" &
	P=$!
	n=0
	while [ -z "$(ls -A "$RT")" ] && kill -0 "$P" 2>/dev/null && [ $n -lt 20000 ]; do
		n=$((n + 1))
	done
	if [ -n "$(ls -A "$RT")" ]; then
		kill -TERM "$P"
		wait "$P" 2>/dev/null
		rc=$?
		caught=1
		break
	fi
	wait "$P"
done
if [ $caught -eq 1 ]; then
	[ "$rc" -eq 143 ] && ok "killed while computing: ends by SIGTERM" ||
		fail "killed while computing: exit $rc ($(head -c 200 "$T/big.err"))"
	empty_tmp "killed while computing"
else fail "the report's temporary directory was never seen in $try tries"; fi

stop_agg
done_testing
