#!/bin/sh
# pdf.sh — the printed report (agg/pdf.h): a generated village is ingested
# into an aggregator, its four village reports are taken as JSON
# (`lumbung-agg report NAME --village CODE --json`) and drawn as A4 PDFs by
# tests/tools/pdf_report.c with a stamp line.  Read back with poppler-utils
# and zbar-tools (not our code): pdftotext finds the kop surat, the title,
# the period and every figure in its row with Indonesian digit grouping;
# zbarimg decodes the QR code to exactly the stamp, and the PDF's Keywords
# are the stamp; the short form is printed; a long report (penduduk) breaks
# across pages with the table header repeated and "Halaman n dari N";
# errors (an unwritable path, a JSON that is no report) are refused.  Page
# 1 of the bantuan report is kept as build/report-page1.png for a person.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR LUMBUNG_AGG_NOW_MS LUMBUNG_AGG_NO_FIGURES
PDF="$BUILD/pdf-report"
CODE=33.24.01.2001

for tool in pdftotext pdftoppm pdfinfo zbarimg; do
	command -v "$tool" >/dev/null 2>&1 || fail "$tool is installed (tools/deps.sh)"
done
[ -x "$PDF" ] || fail "$PDF is built (make binaries)"

# --- a village and an aggregator holding its log ----------------------------
"$LUMBUNG" init -d "$T/v" --village $CODE >/dev/null 2>&1 || fail "lumbung init"
"$GEN" --village $CODE --count 400 --seed 19 >"$T/gen.jsonl"
"$LUMBUNG" put -d "$T/v" --batch "$T/gen.jsonl" >/dev/null 2>&1 || fail "put --batch"
agg init -d "$T/a" --region 33.24 >/dev/null || fail "agg init"
agg enroll -d "$T/a" --village $CODE --key "$(origin "$T/v")" --name "Sukamaju" >/dev/null ||
	fail "enroll"
"$LUMBUNG" changeset -d "$T/v" --plain --since 1 >"$T/all.lcs" 2>/dev/null
agg ingest -d "$T/a" "$T/all.lcs" >/dev/null 2>&1 || fail "ingest"
for r in ringkasan penduduk bantuan; do
	agg report $r -d "$T/a" --village $CODE --per 2026-11-30 --json >"$T/$r.json" ||
		fail "report $r"
done
agg report perkembangan -d "$T/a" --village $CODE --month 2026-11 --json >"$T/perkembangan.json" ||
	fail "report perkembangan"

# a stamp line of the stamp's format (docs: LBR1 VILLAGE NAME PARAMS SEQ HASH
# DIGEST SIG); its hex is random: this test is about printing it
stamp() { # NAME PARAMS
	python3 -c 'import secrets, sys
print("LBR1 %s %s %s 447 %s %s %s" % (sys.argv[1], sys.argv[2], sys.argv[3], secrets.token_hex(32),
      secrets.token_hex(32), secrets.token_hex(64)))' $CODE "$1" "$2"
}

render() { # NAME PARAMS — $T/NAME.pdf, its text $T/NAME.txt, its stamp $T/NAME.stamp
	stamp "$1" "$2" >"$T/$1.stamp"
	"$PDF" "$T/$1.json" "$T/$1.pdf" --stamp "$(cat "$T/$1.stamp")" --kecamatan-name Kalibening \
		--kabupaten-name Banjarnegara --date "30 November 2026" >"$T/out" 2>"$T/err" &&
		pdftotext -layout "$T/$1.pdf" "$T/$1.txt" 2>/dev/null
}

for spec in ringkasan:- penduduk:per=2026-11-30 bantuan:- perkembangan:month=2026-11; do
	r=${spec%%:*}
	params=${spec#*:}
	if ! render $r "$params"; then
		fail "$r: the PDF is written and pdftotext reads it ($(head -c 300 "$T/err"))"
		continue
	fi
	ok "$r: the PDF is written and pdftotext reads it"
	# the kop surat, the title and the period, the place and date, the signature
	python3 - "$T/$r.txt" "$T/$r.json" <<'EOF' >"$T/kop.out" 2>&1
import json, re, sys
text = open(sys.argv[1]).read()
rep = json.load(open(sys.argv[2]))
bulan = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
         "September", "Oktober", "November", "Desember"]
want = ["PEMERINTAH KABUPATEN BANJARNEGARA", "KECAMATAN KALIBENING", "DESA SUKAMAJU",
        "33.24.01.2001", "LAPORAN " + rep["title"].upper(), "Sukamaju, 30 November 2026",
        "KEPALA DESA SUKAMAJU"]
if "bulan" in rep:
    y, m = rep["bulan"].split("-")
    want.append("Bulan %s %s" % (bulan[int(m) - 1], y))
else:
    y, m, d = rep["per"].split("-")
    want.append("Keadaan per tanggal %d %s %s" % (int(d), bulan[int(m) - 1], y))
flat = re.sub(r"\s+", " ", text)
missing = [w for w in want if w not in flat]
print("missing: %s" % missing if missing else "all there")
sys.exit(1 if missing else 0)
EOF
	check "$r: kop surat (kabupaten, kecamatan, desa, code), title, period, place and date" \
		grep -q "all there" "$T/kop.out" || cat "$T/kop.out" >&2

	# every figure of the village's rows, in its row, grouped the Indonesian way
	python3 - "$T/$r.txt" "$T/$r.json" <<'EOF' >"$T/fig.out" 2>&1
import json, re, sys
lines = [re.sub(r"\s+", " ", l).strip() for l in open(sys.argv[1])]
rep = json.load(open(sys.argv[2]))
rows = rep["villages"]
def g(n):  # 1234567 -> 1.234.567 (Indonesian digit grouping)
    return "{:,}".format(n).replace(",", ".")
bad = []
def line_with(*cells):
    pat = re.compile(r"(^| )" + r" ".join(re.escape(c) for c in cells) + r"( |$)")
    return any(pat.search(l) for l in lines)
if rep["report"] in ("ringkasan", "perkembangan"):  # one row, listed L / P / Jumlah
    r = rows[0]
    for k, v in r.items():
        if k in ("village", "name") or k.endswith("_l") or k.endswith("_p"):
            continue
        cells = [g(r[k + "_l"]), g(r[k + "_p"]), g(v)] if k + "_l" in r else [g(v)]
        if not line_with(*cells):
            bad.append((k, cells))
elif rep["report"] == "penduduk":  # the age bands: "0-4 L P Jumlah"
    for r in rows:
        if r["kategori"] == "umur" and not line_with(r["nilai"], g(r["l"]), g(r["p"]), g(r["jumlah"])):
            bad.append(r)
    if not any(r["kategori"] == "umur" for r in rows):
        bad.append("no age bands in the JSON")
else:  # bantuan: code, year and every count of the programme in one row
    for r in rows:
        nums = [g(r[k]) for k in ("anggaran", "target", "penerima", "disalurkan", "nik",
                                  "keluarga", "nilai", "nik_ganda")]
        if not line_with(r["program"]) or not line_with(r["tahun"], *nums):
            bad.append((r["program"], nums))
    if not any(r["anggaran"] >= 1000000 for r in rows):
        bad.append("no budget of a million or more: grouping not tested")
    for t in rep.get("tanda", []):
        if not line_with(t["nik"], g(t["jumlah"])):
            bad.append(t)
print("bad: %s" % bad[:3] if bad else "all figures")
sys.exit(1 if bad else 0)
EOF
	check "$r: every figure printed in its row with digit grouping 1.234.567" \
		grep -q "all figures" "$T/fig.out" || cat "$T/fig.out" >&2

	# the QR code: zbarimg (not our code) decodes it to exactly the stamp
	pdftoppm -png -r 200 -f "$(pdfinfo "$T/$r.pdf" | awk '$1 == "Pages:" { print $2 }')" \
		-singlefile "$T/$r.pdf" "$T/$r-last" 2>/dev/null
	zbarimg --raw -q "$T/$r-last.png" 2>/dev/null | sed '/^$/d' >"$T/$r.qr"
	if cmp -s "$T/$r.qr" "$T/$r.stamp"; then ok "$r: the QR code decodes to exactly the stamp"; else
		fail "$r: the QR code decodes to '$(head -c 200 "$T/$r.qr")', not the stamp"; fi
	pdfinfo "$T/$r.pdf" 2>/dev/null | sed -n 's/^Keywords: *//p' >"$T/$r.kw"
	if cmp -s "$T/$r.kw" "$T/$r.stamp"; then ok "$r: the PDF's Keywords are the stamp"; else
		fail "$r: Keywords '$(head -c 200 "$T/$r.kw")' are not the stamp"; fi
	# the printed short form: Desa V · NAME PARAMS · seq S · hash H16 · digest D16 · ttd S16
	python3 - "$T/$r.txt" "$T/$r.stamp" <<'EOF' >"$T/short.out" 2>&1
import re, sys
flat = re.sub(r"\s+", " ", open(sys.argv[1]).read())
f = open(sys.argv[2]).read().split()
name = f[2] + ("" if f[3] == "-" else " " + f[3])
want = ["Desa " + f[1], name, "seq " + f[4], "hash " + f[5][:16], "digest " + f[6][:16],
        "ttd " + f[7][:16], "Periksa: lumbung-audit check-report"]
missing = [w for w in want if w not in flat]
print("missing: %s" % missing if missing else "short form printed")
EOF
	contains "$T/short.out" "short form printed" "$r: the stamp's short form is printed under the QR"
done

# --- a long report breaks across pages --------------------------------------
pages=$(pdfinfo "$T/penduduk.pdf" 2>/dev/null | awk '$1 == "Pages:" { print $2 }')
if [ "${pages:-0}" -ge 2 ]; then ok "penduduk ($pages pages) breaks across pages"; else
	fail "penduduk should take more than one page, has ${pages:-none}"; fi
pdftotext -layout -f 2 -l 2 "$T/penduduk.pdf" "$T/p2.txt" 2>/dev/null
if grep -q "Uraian.*L.*P.*Jumlah" "$T/p2.txt" && grep -q "Halaman 2 dari $pages" "$T/p2.txt" &&
	grep -q "(lanjutan)" "$T/p2.txt"; then
	ok "page 2 repeats the table header and says Halaman 2 dari $pages"
else
	fail "page 2 lacks the header or the page number: $(head -c 300 "$T/p2.txt")"
fi
pdftotext -layout -f 1 -l 1 "$T/penduduk.pdf" "$T/p1.txt" 2>/dev/null
contains "$T/p1.txt" "Halaman 1 dari $pages" "page 1 says Halaman 1 dari $pages"

# a report of hundreds of rows (many programmes) keeps every row
python3 - "$T/bantuan.json" >"$T/long.json" <<'EOF'
import json, sys
rep = json.load(open(sys.argv[1]))
row = rep["villages"][0]
rep["villages"] = [dict(row, program="PRG-X-%03d" % i, anggaran=1000 * i + 7) for i in range(1, 201)]
print(json.dumps(rep))
EOF
if "$PDF" "$T/long.json" "$T/long.pdf" --stamp "$(cat "$T/bantuan.stamp")" 2>"$T/err"; then
	pdftotext -layout "$T/long.pdf" "$T/long.txt" 2>/dev/null
	n=$(grep -c "PRG-X-[0-9][0-9][0-9]" "$T/long.txt")
	lp=$(pdfinfo "$T/long.pdf" | awk '$1 == "Pages:" { print $2 }')
	if [ "$n" -eq 200 ] && [ "$lp" -ge 4 ] && grep -q "PRG-X-200 .* 200.007 " "$T/long.txt"; then
		ok "200 programmes: every row printed once, over $lp pages"
	else
		fail "200 programmes: $n rows found over $lp pages"
	fi
else
	fail "the long report is written: $(cat "$T/err")"
fi

# --- no stamp: no QR code, no Keywords --------------------------------------
"$PDF" "$T/ringkasan.json" "$T/plain.pdf" >/dev/null 2>&1
pdftoppm -png -r 200 -singlefile "$T/plain.pdf" "$T/plain" 2>/dev/null
if ! zbarimg --raw -q "$T/plain.png" >/dev/null 2>&1 && ! pdfinfo "$T/plain.pdf" | grep -q "^Keywords"; then
	ok "without a stamp there is no QR code and no Keywords"
else
	fail "a PDF without a stamp has a QR code or Keywords"
fi

# --- refusals --------------------------------------------------------------
expect_exit 1 "an unwritable path is refused" "$PDF" "$T/ringkasan.json" "$T/no/such/dir/r.pdf"
contains "$T/err" "$T/no/such/dir/r.pdf" "and the message names the path"
echo '{"title": "x", "villages": []}' >"$T/notreport.json"
expect_exit 1 "a JSON that is not a report is refused" "$PDF" "$T/notreport.json" "$T/x.pdf"
contains "$T/err" "not a report" "and the message says so"
echo '{"report": "ringkasan", "villages": 5}' >"$T/badrows.json"
expect_exit 1 "rows that are not an array are refused" "$PDF" "$T/badrows.json" "$T/y.pdf"
[ ! -e "$T/y.pdf" ] && ok "and no PDF is left behind" || fail "a refused report left $T/y.pdf"

# --- page 1 for a person to look at ------------------------------------------
pdftoppm -png -r 60 -f 1 -l 1 -singlefile "$T/bantuan.pdf" "$BUILD/report-page1" 2>/dev/null
[ -s "$BUILD/report-page1.png" ] && ok "page 1 saved as $BUILD/report-page1.png" ||
	fail "page 1 could not be saved"
done_testing
