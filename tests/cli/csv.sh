#!/bin/sh
# csv.sh — `lumbung import` and `lumbung export` end to end on real node
# directories: what spreadsheets write (`,` `;` TAB, quotes, line breaks in
# cells, CRLF, a byte-order mark, empty and missing trailing cells, header
# case and blanks, Excel's ="..." cells, 1.500.000 rupiah, ya/tidak); the
# all-or-nothing default and --skip-invalid REJECTS.csv; duplicate ids;
# header and type errors; idempotent re-import; references to programs;
# 100,000 rows; SIGKILL during the write phase; export (BOM, CRLF, schema
# order, --sep, --excel) and export -> import -> export byte for byte.
#
# Inputs are written with printf (exact bytes) or with python3's csv module
# from lumbung-gen's records; python3 also parses the CSV lumbung writes.
. "$(dirname "$0")/lib.sh"
unset LUMBUNG_DIR LUMBUNG_MAP_SIZE

lb() { "$LUMBUNG" "$@"; }
# python3 is often a pyenv shim costing ~0.3 s a call: resolve it once
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || PY=python3
V=33.24.01.2001
H6=nik,no_kk,nama,tanggal_lahir,jenis_kelamin,status
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

newnode() { rm -rf "$1" && lb init -d "$1" --village "$V" >/dev/null 2>&1 || fail "init $1"; }
seq_of() { lb id -d "$1" --json 2>/dev/null | sed -n 's/.*"seq":\([0-9]*\).*/\1/p'; }
count_of() { lb ls -d "$1" "$2" 2>/dev/null | wc -l | tr -d ' '; }
# is_eq "description" GOT WANT
is_eq() { if [ "$2" = "$3" ]; then ok "$1"; else fail "$1 (got \"$2\", wanted \"$3\")"; fi; }
# record "description" NODE TYPE ID WANT — `get` prints exactly WANT
record() { is_eq "$1" "$(lb get -d "$2" "$3" "$4" 2>&1)" "$5"; }
# unchanged "description" NODE SEQ — the node still has seq SEQ and verifies
unchanged() {
	s=$(seq_of "$2")
	if [ "$s" = "$3" ] && lb verify -d "$2" >/dev/null 2>"$T/verr"; then ok "$1"; else
		fail "$1 (seq $s, wanted $3; $(head -c 200 "$T/verr"))"
	fi
}
# line_has FILE PATTERN "description" — some line matches the extended regex
line_has() {
	if grep -Eq -- "$2" "$1"; then ok "$3"; else fail "$3 (/$2/ not in: $(head -c 400 "$1"))"; fi
}

lb schema --json >"$T/schema.json" || fail "schema --json"

# tocsv.py SCHEMA TYPE [SEP] < gen JSON lines > CSV: header = (id) + fields
# in schema order, LF line ends, quoting only where needed
cat >"$T/tocsv.py" <<'EOF'
import csv, json, sys
t = [x for x in json.load(open(sys.argv[1]))["types"] if x["name"] == sys.argv[2]][0]
fields = [f["name"] for f in t["fields"]]
idcol = t["id_field"] is None
w = csv.writer(sys.stdout, delimiter=sys.argv[3] if len(sys.argv) > 3 else ",", lineterminator="\n")
w.writerow((["id"] if idcol else []) + fields)
def cell(v):
    return "true" if v is True else "false" if v is False else "" if v is None else str(v)
w.writerows(([r["id"]] if idcol else []) + [cell(r["body"].get(f)) for f in fields]
            for r in map(json.loads, sys.stdin) if r["type"] == t["name"])
EOF
# match.py LUMBUNG NODE JSONL FIRST LAST: `get` of gen lines FIRST..LAST
# gives exactly the generated bodies
cat >"$T/match.py" <<'EOF'
import json, subprocess, sys
lb, node, jsonl, first, last = sys.argv[1:6]
bad = []
for i, line in enumerate(open(jsonl), 1):
    if int(first) <= i <= int(last):
        r = json.loads(line)
        p = subprocess.run([lb, "get", "-d", node, r["type"], r["id"]], capture_output=True, text=True)
        if p.returncode or json.loads(p.stdout) != r["body"]:
            bad.append("%s: %s" % (r["id"], p.stderr.strip() or p.stdout.strip()))
if bad:
    sys.exit("records differ from the generator's: " + "; ".join(bad[:3]))
EOF

# the big file (300,000 residents, ~41 MB) is made in the background while
# the small cases run
("$GEN" --village "$V" --count 300000 --only penduduk |
	"$PY" "$T/tocsv.py" "$T/schema.json" penduduk >"$T/big.csv") 2>"$T/big.err" &
bigpid=$!

# ---- separators ---------------------------------------------------------------

D="$T/fmt"
newnode "$D"
"$GEN" --village "$V" --count 12 --only penduduk >"$T/g12.jsonl"
"$PY" "$T/tocsv.py" "$T/schema.json" penduduk <"$T/g12.jsonl" >"$T/g12.csv"
"$PY" "$T/tocsv.py" "$T/schema.json" penduduk ';' <"$T/g12.jsonl" >"$T/g12s.csv"
"$PY" "$T/tocsv.py" "$T/schema.json" penduduk "$(printf '\t')" <"$T/g12.jsonl" >"$T/g12t.csv"

sed -n '1,5p' "$T/g12.csv" >"$T/comma.csv"
expect_exit 0 "import a ,-separated file" lb import -d "$D" penduduk "$T/comma.csv"
contains "$T/out" "imported penduduk from $T/comma.csv: 4 written, 0 unchanged, 0 rejected (seq 1-4)" \
	"import reports 4 written, 0 unchanged, 0 rejected (seq 1-4)"
check "the , rows are the generator's records, field for field" \
	"$PY" "$T/match.py" "$LUMBUNG" "$D" "$T/g12.jsonl" 1 4

sed -n '1p;6,9p' "$T/g12s.csv" >"$T/semi.csv"
expect_exit 0 "import a ;-separated file (detected)" lb import -d "$D" penduduk "$T/semi.csv"
contains "$T/out" "4 written, 0 unchanged" "the ; file: 4 written"
check "the ; rows are the generator's records" "$PY" "$T/match.py" "$LUMBUNG" "$D" "$T/g12.jsonl" 5 8
expect_exit 0 "import the ; file again with --sep ';'" lb import -d "$D" penduduk "$T/semi.csv" --sep ';'
contains "$T/out" "0 written, 4 unchanged" "--sep ';' reads the same records (4 unchanged)"
expect_exit 10 "--sep , on the ; file: the header is one unknown column" \
	lb import -d "$D" penduduk "$T/semi.csv" --sep ,
contains "$T/err" 'column 1 "nik;no_kk;nama' "--sep , is obeyed (names the whole ;-joined header)"

sed -n '1p;10,13p' "$T/g12t.csv" >"$T/tab.csv"
expect_exit 0 "import a TAB-separated file with --sep tab" lb import -d "$D" penduduk "$T/tab.csv" --sep tab
check "the TAB rows are the generator's records" "$PY" "$T/match.py" "$LUMBUNG" "$D" "$T/g12.jsonl" 9 12
expect_exit 2 "--sep x is a usage error" lb import -d "$D" penduduk "$T/comma.csv" --sep x
contains "$T/err" "--sep takes" "the usage error explains --sep"
is_eq "12 records, seq 12 after the separator cases" "$(count_of "$D" penduduk) $(seq_of "$D")" "12 12"

# ---- quotes, line breaks in cells ---------------------------------------------

printf '%s\n' "$H6" \
	'3324014101900001,3324010101150001,"Siti ""Ani"" Rahayu, S.Pd; M.Pd",1990-01-01,P,hidup' \
	'3324010202900001,3324010101150001,"Budi",1990-02-02,L,"hidup"' >"$T/quote.csv"
expect_exit 0 "import quoted cells with embedded quotes, commas and semicolons" \
	lb import -d "$D" penduduk "$T/quote.csv"
record "embedded \"\" is one quote; , and ; inside quotes are text" "$D" penduduk 3324014101900001 \
	'{"jenis_kelamin":"P","nama":"Siti \"Ani\" Rahayu, S.Pd; M.Pd","nik":"3324014101900001","no_kk":"3324010101150001","status":"hidup","tanggal_lahir":"1990-01-01"}'

printf 'id,tanggal,pengusul,usulan,status\nASP-1,2025-01-02,"Pak ""RT"" 01","Perbaikan jalan\nRT 01, RW 02",diusulkan\nASP-2,2025-01-03,Bu RW,Lampu,ditampung\n' \
	>"$T/asp.csv"
expect_exit 0 "import a text field (aspirasi.usulan) with a line break inside quotes" \
	lb import -d "$D" aspirasi "$T/asp.csv"
record "the line break and quotes are kept in usulan" "$D" aspirasi ASP-1 \
	'{"pengusul":"Pak \"RT\" 01","status":"diusulkan","tanggal":"2025-01-02","usulan":"Perbaikan jalan\nRT 01, RW 02"}'
is_eq "the row after the multi-line cell is its own record" "$(lb ls -d "$D" aspirasi | tr '\n' ' ')" "ASP-1 ASP-2 "
# row numbers count spreadsheet rows, not lines: ASP-9 is on line 4 but row 3
printf 'id,tanggal,pengusul,usulan,status\nASP-8,2025-01-02,Pak RT,"dua\nbaris",diusulkan\nASP-9,2025-02-30,Bu RW,Lampu,ditampung\n' \
	>"$T/asp-bad.csv"
s=$(seq_of "$D")
expect_exit 10 "an invalid row after a multi-line cell is refused" lb import -d "$D" aspirasi "$T/asp-bad.csv"
contains "$T/err" 'row 3: aspirasi ASP-9: tanggal "2025-02-30"' "the refusal counts the multi-line row as one row (row 3)"

printf '%s\n' "$H6" '3324010303900001,3324010101150001,Joko,1990-03-03,L,hidup' \
	'3324014404900001,3324010101150001,"Tini
Sutini",1990-04-04,P,hidup' >"$T/nl.csv"
expect_exit 10 "a line break in a string field (penduduk.nama) is refused" lb import -d "$D" penduduk "$T/nl.csv"
contains "$T/err" "row 3: penduduk 3324014404900001: nama" "the refusal names row 3, the id and the field"
contains "$T/err" "line breaks are not allowed" "the refusal says line breaks are not allowed"
unchanged "the refused file wrote nothing (not even its good row)" "$D" "$s"

# ---- CRLF, byte-order mark, booleans, header case -------------------------------

printf '\357\273\277nik;no_kk;nama;tanggal_lahir;jenis_kelamin;status;disabilitas\r\n3324010505900001;3324010101150001;Eko;1990-05-05;L;hidup;ya\r\n3324014606900001;3324010101150001;Rini;1990-06-06;P;hidup;TIDAK\r\n3324010707900001;3324010101150001;"Agus\r\nX";1990-07-07;L;hidup;Ya\r\n' \
	>"$T/crlf.csv"
expect_exit 10 "CRLF + BOM file: a CRLF inside a quoted nama is refused too" lb import -d "$D" penduduk "$T/crlf.csv"
contains "$T/err" "row 4: penduduk 3324010707900001: nama" "the CRLF-in-a-cell refusal names row 4"
printf '\357\273\277nik;no_kk;nama;tanggal_lahir;jenis_kelamin;status;disabilitas\r\n3324010505900001;3324010101150001;Eko;1990-05-05;L;hidup;ya\r\n3324014606900001;3324010101150001;Rini;1990-06-06;P;hidup;TIDAK\r\n3324010707900001;3324010101150001;Agus;1990-07-07;L;hidup;Ya\r\n3324010808900001;3324010101150001;Dedi;1990-08-08;L;hidup;tidak\r\n' \
	>"$T/crlf.csv"
expect_exit 0 "import a CRLF file with a UTF-8 BOM and ; separators" lb import -d "$D" penduduk "$T/crlf.csv"
contains "$T/out" "4 written" "the BOM+CRLF file: 4 written"
record "BOM not in the first column name, no CR in the last cell; ya -> true" "$D" penduduk 3324010505900001 \
	'{"disabilitas":true,"jenis_kelamin":"L","nama":"Eko","nik":"3324010505900001","no_kk":"3324010101150001","status":"hidup","tanggal_lahir":"1990-05-05"}'
record "TIDAK -> false" "$D" penduduk 3324014606900001 \
	'{"disabilitas":false,"jenis_kelamin":"P","nama":"Rini","nik":"3324014606900001","no_kk":"3324010101150001","status":"hidup","tanggal_lahir":"1990-06-06"}'
is_eq "Ya -> true, tidak -> false" \
	"$(lb get -d "$D" penduduk 3324010707900001 | grep -o '"disabilitas":[a-z]*') $(lb get -d "$D" penduduk 3324010808900001 | grep -o '"disabilitas":[a-z]*')" \
	'"disabilitas":true "disabilitas":false'
printf '%s\n' "$H6,disabilitas" '3324010909900001,3324010101150001,Fajar,1990-09-09,L,hidup,mungkin' >"$T/bool.csv"
expect_exit 10 "disabilitas \"mungkin\" is refused" lb import -d "$D" penduduk "$T/bool.csv"
contains "$T/err" 'row 2: penduduk 3324010909900001: disabilitas "mungkin" is not true/false (or ya/tidak)' \
	"the boolean refusal names row, field and the accepted words"

printf '%s\n' '" NIK ",No_KK,  NAMA  ,"Tanggal_Lahir ",JENIS_KELAMIN,Status' \
	'3324011010900001,3324010101150001,Hadi,1990-10-10,L,hidup' >"$T/case.csv"
expect_exit 0 "header names in upper/mixed case with blanks around them" lb import -d "$D" penduduk "$T/case.csv"
record "the mixed-case header maps onto the fields" "$D" penduduk 3324011010900001 \
	'{"jenis_kelamin":"L","nama":"Hadi","nik":"3324011010900001","no_kk":"3324010101150001","status":"hidup","tanggal_lahir":"1990-10-10"}'

# ---- empty and missing trailing cells ------------------------------------------

printf '%s\n' 'nik,no_kk,nama,tanggal_lahir,jenis_kelamin,status,agama,pekerjaan,dusun' \
	'3324011111900001,3324010101150001,Iwan,1990-11-11,L,hidup,islam,,' \
	'3324011212900001,3324010101150001,Joni,1990-12-12,L,hidup,,,' \
	'3324011301900001,3324010101150001,Kiki,1990-01-13,L,hidup' \
	'3324011401900001,3324010101150001,Lala,1990-01-14,L' >"$T/short.csv"
s=$(seq_of "$D")
expect_exit 10 "a short row missing a required cell is refused" lb import -d "$D" penduduk "$T/short.csv"
contains "$T/err" "row 5: penduduk 3324011401900001: status is required" "the refusal names row 5 and the required field"
unchanged "nothing written for the file with the short row" "$D" "$s"
sed -i '$d' "$T/short.csv"
expect_exit 0 "empty optional cells and rows with fewer cells than the header import" \
	lb import -d "$D" penduduk "$T/short.csv"
contains "$T/out" "3 written" "3 rows with empty/missing trailing cells written"
record "empty trailing cells leave the fields out" "$D" penduduk 3324011111900001 \
	'{"agama":"islam","jenis_kelamin":"L","nama":"Iwan","nik":"3324011111900001","no_kk":"3324010101150001","status":"hidup","tanggal_lahir":"1990-11-11"}'
record "a row with fewer cells than the header" "$D" penduduk 3324011301900001 \
	'{"jenis_kelamin":"L","nama":"Kiki","nik":"3324011301900001","no_kk":"3324010101150001","status":"hidup","tanggal_lahir":"1990-01-13"}'

# ---- Excel's ="..." cells, blanks in quoted cells, rupiah ----------------------

printf '%s\n' "$H6,rt" '="3324015501900001",="3324010101150001",Mira,1990-01-15,P,hidup,="007"' >"$T/excel.csv"
expect_exit 0 "import Excel's =\"...\" text cells (nik, no_kk, rt)" lb import -d "$D" penduduk "$T/excel.csv"
record "=\"...\" cells are unwrapped to their digits" "$D" penduduk 3324015501900001 \
	'{"jenis_kelamin":"P","nama":"Mira","nik":"3324015501900001","no_kk":"3324010101150001","rt":"007","status":"hidup","tanggal_lahir":"1990-01-15"}'
printf '%s\n' "$H6" '3324011601900001,3324010101150001,"  Nana  ",1990-01-16,L,hidup' >"$T/blank.csv"
expect_exit 0 "import a quoted cell with blanks around the value" lb import -d "$D" penduduk "$T/blank.csv"
record "the blanks around a quoted value are trimmed" "$D" penduduk 3324011601900001 \
	'{"jenis_kelamin":"L","nama":"Nana","nik":"3324011601900001","no_kk":"3324010101150001","status":"hidup","tanggal_lahir":"1990-01-16"}'

printf '%s\n' 'kode,nama,bidang,anggaran,tahun,target_penerima' \
	'PRG-A,Bantuan A,sosial,1.500.000,2025,1.000' 'PRG-B,Bantuan B,ekonomi,"2,500,000",2025,' >"$T/rp.csv"
expect_exit 0 "import rupiah written as 1.500.000 and \"2,500,000\"" lb import -d "$D" program "$T/rp.csv"
record "1.500.000 -> 1500000 (a number), 1.000 -> 1000" "$D" program PRG-A \
	'{"anggaran":1500000,"bidang":"sosial","kode":"PRG-A","nama":"Bantuan A","tahun":2025,"target_penerima":1000}'
record "\"2,500,000\" -> 2500000" "$D" program PRG-B \
	'{"anggaran":2500000,"bidang":"ekonomi","kode":"PRG-B","nama":"Bantuan B","tahun":2025}'
printf '%s\n' 'kode;nama;bidang;anggaran;tahun' 'PRG-C;Bantuan C;sosial;1.500.000,50;2025' >"$T/rpdec.csv"
s=$(seq_of "$D")
expect_exit 10 "rupiah with decimals (1.500.000,50) is refused, not read as 150000050" \
	lb import -d "$D" program "$T/rpdec.csv"
contains "$T/err" "anggaran" "the decimal-rupiah refusal names anggaran"
unchanged "nothing written for the decimal rupiah" "$D" "$s"

# ---- broken files ---------------------------------------------------------------

printf 'id,tanggal,pengusul,status,usulan\nASP-7,2025-01-02,Pak RT,diusulkan,"lampu jalan\nASP-8,2025-01-03,Bu RW,diusulkan,perbaikan selokan\n' \
	>"$T/unclosed.csv"
s=$(seq_of "$D")
expect_exit 9 "an unclosed quote is refused as malformed (not read as one long cell)" \
	lb import -d "$D" aspirasi "$T/unclosed.csv"
unchanged "the unclosed quote wrote nothing" "$D" "$s"
printf '%s\n' "$H6" '3324011701900001,3324010101150001,Oki,1990-01-17,L,hidup,x' >"$T/long.csv"
expect_exit 10 "a row with more cells than the header is refused" lb import -d "$D" penduduk "$T/long.csv"
line_has "$T/err" '^lumbung import: row 2: penduduk( 3324011701900001)?: the row has 7 cells but the header only 6$' \
	"the too-many-cells refusal names row 2 and no wrong id"
: >"$T/empty.csv"
expect_exit 9 "an empty file is refused" lb import -d "$D" penduduk "$T/empty.csv"
contains "$T/err" "expected a header row" "the empty file refusal asks for a header row"
expect_exit 5 "a missing file is refused (EIO)" lb import -d "$D" penduduk "$T/nosuch.csv"
contains "$T/err" "nosuch.csv" "the refusal names the missing file"
expect_exit 2 "import without FILE is a usage error" lb import -d "$D" penduduk

# ---- header and type errors ------------------------------------------------------

printf '%s\n' "$H6,umur" '3324011801900001,3324010101150001,Pia,1990-01-18,P,hidup,34' >"$T/h.csv"
s=$(seq_of "$D")
expect_exit 10 "an unknown column is refused" lb import -d "$D" penduduk "$T/h.csv"
contains "$T/err" 'column 7 "umur" is not a field of penduduk' "the refusal names the column and its position"
printf '%s\n' 'no_kk,nama,tanggal_lahir,jenis_kelamin,status' '3324010101150001,Pia,1990-01-18,P,hidup' >"$T/h.csv"
expect_exit 10 "a penduduk file without its nik column is refused" lb import -d "$D" penduduk "$T/h.csv"
contains "$T/err" "no nik column" "the refusal says the nik (id) column is missing"
printf '%s\n' 'tanggal,pengusul,usulan,status' '2025-01-02,Pak RT,Lampu,diusulkan' >"$T/h.csv"
expect_exit 10 "an aspirasi file without an id column is refused" lb import -d "$D" aspirasi "$T/h.csv"
contains "$T/err" "no id column" "the refusal says the id column is missing"
printf '%s\n' 'nik,nama,NIK' '3324011801900001,Pia,3324011801900001' >"$T/h.csv"
expect_exit 10 "a column given twice is refused" lb import -d "$D" penduduk "$T/h.csv"
contains "$T/err" '"nik" appears twice' "the refusal names the repeated column"
expect_exit 10 "an unknown type is refused" lb import -d "$D" warga "$T/comma.csv"
contains "$T/err" 'unknown record type "warga"' "the refusal names the unknown type"
unchanged "no header or type error wrote anything" "$D" "$s"

# ---- all or nothing, --skip-invalid, duplicates ----------------------------------

A="$T/aon"
newnode "$A"
"$GEN" --village "$V" --count 40 --seed 7 --only penduduk >"$T/g40.jsonl"
"$PY" "$T/tocsv.py" "$T/schema.json" penduduk <"$T/g40.jsonl" | sed -n '1,14p' >"$T/g13.csv"
# rows 4, 8 and 12 of 14 (13 records) made invalid, one rule each
"$PY" - "$T/g13.csv" "$T/bad.csv" "$T/bad.ids" <<'EOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
h = rows[0]
rows[3][h.index("jenis_kelamin")] = "X"
rows[7][h.index("tanggal_lahir")] = "1990-02-30"
rows[11][h.index("rt")] = "7a"  # "7" alone is read as 007
csv.writer(open(sys.argv[2], "w", newline=""), lineterminator="\r\n").writerows(rows)
open(sys.argv[3], "w").write(" ".join(rows[i][0] for i in (3, 7, 11)))
EOF
read -r b4 b8 b12 <"$T/bad.ids"
expect_exit 10 "a file with 3 bad rows among 10 good ones is refused" lb import -d "$A" penduduk "$T/bad.csv"
contains "$T/err" "row 4: penduduk $b4: jenis_kelamin \"X\" is not one of L, P" "row 4 listed: field and rule"
contains "$T/err" "row 8: penduduk $b8: tanggal_lahir \"1990-02-30\" is not a date" "row 8 listed: field and rule"
contains "$T/err" "row 12: penduduk $b12: rt \"7a\" is not exactly 3 digits" "row 12 listed: field and rule"
contains "$T/err" "3 invalid rows in $T/bad.csv; nothing was imported" "the summary says 3 invalid rows, nothing imported"
is_eq "exactly the 3 bad rows are listed" "$(grep -c ': row [0-9]*: ' "$T/err")" 3
unchanged "all or nothing: seq still 0" "$A" 0
is_eq "all or nothing: no penduduk records" "$(count_of "$A" penduduk)" 0

# a row left empty in the sheet (Excel writes it as ,,,,,) still counts as a row
printf '%s\n' "$H6" '3324011901900001,3324010101150001,Rudi,1990-01-19,L,hidup' ',,,,,' \
	'3324012001900001,3324010101150001,Sari,1990-01-20,X,hidup' >"$T/gap.csv"
expect_exit 10 "a bad row after an empty row is refused" lb import -d "$A" penduduk "$T/gap.csv"
contains "$T/err" "row 4: penduduk 3324012001900001" "the row number after an empty row is the spreadsheet's (row 4)"

expect_exit 0 "--skip-invalid imports the valid rows and exits 0" \
	lb import -d "$A" penduduk "$T/bad.csv" --skip-invalid "$T/rej.csv"
contains "$T/out" "10 written, 0 unchanged, 3 rejected (seq 1-10); rejected rows in $T/rej.csv" \
	"--skip-invalid reports 10 written, 3 rejected and the rejects file"
is_eq "--skip-invalid: seq 10 and 10 records" "$(seq_of "$A") $(count_of "$A" penduduk)" "10 10"
if "$PY" - "$T/rej.csv" "$T/bad.csv" "$T/fixed.csv" "$T/g13.csv" <<'EOF' 2>"$T/py"; then ok "REJECTS.csv: BOM, header + alasan_penolakan, the 3 rows with their cells, rows and reasons"; else
import csv, sys
raw = open(sys.argv[1], "rb").read()
assert raw.startswith(b"\xef\xbb\xbf"), raw[:20]
rej = list(csv.reader(open(sys.argv[1], encoding="utf-8-sig", newline="")))
src = list(csv.reader(open(sys.argv[2], newline="")))
assert rej[0] == src[0] + ["alasan_penolakan"], rej[0]
assert len(rej) == 4, rej
for r, n, field in zip(rej[1:], (4, 8, 12), ("jenis_kelamin", "tanggal_lahir", "rt")):
    assert r[-1].startswith("row %d: " % n), r
    assert r[:-1] == src[n - 1], (r, src[n - 1])
    assert field in r[-1] and src[n - 1][0] in r[-1], r
# fix the three cells and keep the reason column: import ignores it (the
# values the generator wrote: the sex and birth date must agree with the
# NIK, which the node checks)
h = rej[0]
good = list(csv.reader(open(sys.argv[4], newline="")))
out = [h] + rej[1:]
for r, n, k in zip(out[1:], (4, 8, 12), ("jenis_kelamin", "tanggal_lahir", "rt")):
    r[h.index(k)] = good[n - 1][src[0].index(k)]
csv.writer(open(sys.argv[3], "w", newline="")).writerows(out)
EOF
	fail "REJECTS.csv: BOM, header + alasan_penolakan, the 3 rows with their cells, rows and reasons ($(tail -n 3 "$T/py"))"
fi
expect_exit 0 "the corrected rejects import" lb import -d "$A" penduduk "$T/fixed.csv"
contains "$T/out" "3 written, 0 unchanged" "the corrected rejects: 3 written"
is_eq "all 13 records are in after the correction" "$(count_of "$A" penduduk)" 13

expect_exit 0 "--skip-invalid on a clean file" lb import -d "$A" penduduk "$T/fixed.csv" --skip-invalid "$T/rej0.csv"
contains "$T/out" "0 written, 3 unchanged, 0 rejected" "the clean re-import: 3 unchanged, 0 rejected"
is_eq "REJECTS.csv of a clean file is the header line only" "$(wc -l <"$T/rej0.csv" | tr -d ' ')" 1

# duplicates: rows 4 and 6 repeat row 2's id (with other names)
"$PY" "$T/tocsv.py" "$T/schema.json" penduduk <"$T/g40.jsonl" | sed -n '1p;15,18p' >"$T/dup4.csv"
"$PY" - "$T/dup4.csv" "$T/dup.csv" <<'EOF'
import csv, sys
h, r2, r3, r5, r7 = list(csv.reader(open(sys.argv[1], newline="")))
twin4, twin6 = list(r2), list(r2)
twin4[h.index("nama")], twin6[h.index("nama")] = "Kembar Satu", "Kembar Dua"
csv.writer(open(sys.argv[2], "w", newline="")).writerows([h, r2, r3, twin4, r5, twin6, r7])
EOF
dupid=$(sed -n '2s/,.*//p' "$T/dup.csv")
s=$(seq_of "$A")
expect_exit 10 "the same id on three rows is refused" lb import -d "$A" penduduk "$T/dup.csv"
contains "$T/err" "row 4: penduduk $dupid: the same id as row 2" "row 4 is reported as the same id as row 2"
contains "$T/err" "row 6: penduduk $dupid: the same id as row 2" "row 6 is reported as the same id as row 2"
contains "$T/err" "2 invalid rows" "2 invalid rows (the first occurrence is fine)"
unchanged "the duplicate ids wrote nothing" "$A" "$s"
expect_exit 0 "--skip-invalid with duplicate ids" lb import -d "$A" penduduk "$T/dup.csv" --skip-invalid "$T/rejd.csv"
contains "$T/out" "4 written, 0 unchanged, 2 rejected" "the first occurrence and the other rows are imported"
if lb get -d "$A" penduduk "$dupid" | grep -q Kembar; then fail "the first occurrence of the id wins"; else
	ok "the first occurrence of the id wins"
fi
if "$PY" - "$T/rejd.csv" "$dupid" <<'EOF' 2>"$T/py"; then ok "REJECTS.csv keeps the cells of the duplicate rows"; else
import csv, sys
rej = list(csv.reader(open(sys.argv[1], encoding="utf-8-sig", newline="")))
assert len(rej) == 3, rej
got = sorted((r[-1].split(":")[0], r[0], r[2]) for r in rej[1:])
assert got == [("row 4", sys.argv[2], "Kembar Satu"), ("row 6", sys.argv[2], "Kembar Dua")], got
assert all("the same id as row 2" in r[-1] for r in rej[1:]), rej
EOF
	fail "REJECTS.csv keeps the cells of the duplicate rows ($(tail -n 1 "$T/py"))"
fi

# ---- idempotent re-import --------------------------------------------------------

F="$T/idem"
newnode "$F"
expect_exit 0 "import 12 rows" lb import -d "$F" penduduk "$T/g12.csv"
s=$(seq_of "$F")
expect_exit 0 "import the same file again" lb import -d "$F" penduduk "$T/g12.csv"
contains "$T/out" "0 written, 12 unchanged, 0 rejected" "the second import: 0 written, 12 unchanged"
unchanged "the second import wrote no entry (seq $s)" "$F" "$s"
# the same records in another dress: ; separators, BOM, CRLF, columns reversed, upper-case header
"$PY" - "$T/g12.csv" "$T/dress.csv" <<'EOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
rows = [list(reversed(r)) for r in rows]
rows[0] = [c.upper() for c in rows[0]]
with open(sys.argv[2], "w", encoding="utf-8-sig", newline="") as f:
    csv.writer(f, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
EOF
expect_exit 0 "import the same records reformatted (;, BOM, CRLF, reversed, upper case, all quoted)" \
	lb import -d "$F" penduduk "$T/dress.csv"
contains "$T/out" "0 written, 12 unchanged" "reformatting alone writes nothing"
unchanged "seq still $s after the reformatted import" "$F" "$s"
"$PY" - "$T/g12.csv" "$T/one.csv" 5 nama "Nama Baru" <<'EOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
rows[int(sys.argv[3]) - 1][rows[0].index(sys.argv[4])] = sys.argv[5]
csv.writer(open(sys.argv[2], "w", newline="")).writerows(rows)
EOF
id5=$(sed -n '5s/,.*//p' "$T/g12.csv")
expect_exit 0 "import with one cell changed" lb import -d "$F" penduduk "$T/one.csv"
contains "$T/out" "1 written, 11 unchanged, 0 rejected (seq $((s + 1))-$((s + 1)))" "one changed cell: exactly 1 written"
is_eq "seq +1 after the one-cell change" "$(seq_of "$F")" $((s + 1))
if lb get -d "$F" penduduk "$id5" | grep -q '"nama":"Nama Baru"'; then ok "the changed cell is in the record"; else
	fail "the changed cell is in the record ($(lb get -d "$F" penduduk "$id5" 2>&1))"
fi
"$PY" - "$T/one.csv" "$T/emptied.csv" 6 pekerjaan "" <<'EOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
rows[int(sys.argv[3]) - 1][rows[0].index(sys.argv[4])] = sys.argv[5]
csv.writer(open(sys.argv[2], "w", newline="")).writerows(rows)
EOF
id6=$(sed -n '6s/,.*//p' "$T/g12.csv")
expect_exit 0 "import with one optional cell emptied" lb import -d "$F" penduduk "$T/emptied.csv"
contains "$T/out" "1 written, 11 unchanged" "emptying a cell: exactly 1 written"
if lb get -d "$F" penduduk "$id6" | grep -q '"pekerjaan"'; then
	fail "the emptied cell's field is gone from the record"
else ok "the emptied cell's field is gone from the record"; fi

# ---- references --------------------------------------------------------------------

R="$T/refs"
newnode "$R"
printf '%s\n' 'id,program,nik,no_kk,tanggal,bentuk,nilai,status' \
	'PNR-1,PRG-X,3324010202970001,3324010305120001,2024-04-13,uang,1.200.000,diusulkan' \
	'PNR-2,PRG-X,3324015102000001,3324010305120001,2024-04-13,barang,300.000,disalurkan' \
	'PNR-3,PRG-Y,3324014702160001,3324010305120001,2024-05-01,jasa,,diverifikasi' >"$T/pnr.csv"
expect_exit 10 "penerima rows whose program does not exist are refused" lb import -d "$R" penerima "$T/pnr.csv"
contains "$T/err" 'row 2: penerima PNR-1: program "PRG-X": no such program' "row 2 named with the missing program"
contains "$T/err" 'row 4: penerima PNR-3: program "PRG-Y": no such program' "row 4 named with the missing program"
unchanged "the refused penerima wrote nothing" "$R" 0
printf '%s\n' 'kode,nama,bidang,anggaran,tahun' 'PRG-X,Program X,sosial,10.000.000,2024' >"$T/prgx.csv"
expect_exit 0 "import program PRG-X" lb import -d "$R" program "$T/prgx.csv"
expect_exit 10 "with only PRG-X, the PRG-Y row is still refused" lb import -d "$R" penerima "$T/pnr.csv"
contains "$T/err" "1 invalid row" "only the PRG-Y row is refused now"
contains "$T/err" "row 4: penerima PNR-3" "the refusal names row 4"
printf '%s\n' 'kode,nama,bidang,anggaran,tahun' 'PRG-Y,Program Y,kesehatan,5.000.000,2024' >"$T/prgy.csv"
expect_exit 0 "import program PRG-Y" lb import -d "$R" program "$T/prgy.csv"
expect_exit 0 "after importing the programs the penerima import succeeds" lb import -d "$R" penerima "$T/pnr.csv"
contains "$T/out" "3 written" "3 penerima written"
record "a penerima record (rupiah 1.200.000 -> 1200000)" "$R" penerima PNR-1 \
	'{"bentuk":"uang","nik":"3324010202970001","nilai":1200000,"no_kk":"3324010305120001","program":"PRG-X","status":"diusulkan","tanggal":"2024-04-13"}'

# ---- 100,000 rows -----------------------------------------------------------------

wait "$bigpid"
if [ -s "$T/big.err" ] || [ "$(wc -l <"$T/big.csv")" -ne 300001 ]; then
	fail "generate the 300,000-row file ($(head -c 300 "$T/big.err"))"
fi
head -n 100001 "$T/big.csv" >"$T/h100.csv"
B="$T/big"
newnode "$B"
t0=$(now)
expect_exit 0 "import a 100,000-row penduduk file" lb import -d "$B" penduduk "$T/h100.csv"
echo "# 100,000 rows ($(wc -c <"$T/h100.csv") bytes) imported in $(since "$t0") s"
contains "$T/out" "100000 written, 0 unchanged, 0 rejected (seq 1-100000)" "100,000 written as seq 1-100000"
is_eq "seq 100000 and 100,000 ids in ls" "$(seq_of "$B") $(count_of "$B" penduduk)" "100000 100000"
t0=$(now)
expect_exit 0 "verify passes after the 100,000-row import" lb verify -d "$B"
echo "# verify of 100,000 entries: $(since "$t0") s"
contains "$T/out" "entries   100000, chain and hashes intact" "verify counts 100,000 entries"
contains "$T/out" "100000 records equal a replay of the log" "verify: 100,000 records equal the replay"

# ---- SIGKILL during the write phase ---------------------------------------------------
#
# The import reads the file twice: pass 1 checks every row, pass 2 writes them
# all in one transaction.  rchar in /proc/PID/io tells which pass it is in:
# past one file size, it is writing.  Each attempt kills it at a later point
# of pass 2; the last one once both passes have read everything (committing).

K="$T/kill"
newnode "$K"
printf '%s\n' 'kode,nama,bidang,anggaran,tahun' 'PRG-K1,Program K1,sosial,1.000.000,2025' \
	'PRG-K2,Program K2,ekonomi,2.000.000,2025' 'PRG-K3,Program K3,pemuda,3.000.000,2025' >"$T/prgk.csv"
lb import -d "$K" program "$T/prgk.csv" >/dev/null 2>&1 || fail "import the 3 programs before the kills"
seq0=$(seq_of "$K")
size=$(wc -c <"$T/big.csv")
killed=0
attempts=0
if [ -r /proc/self/io ]; then marks="1.02 1.3 1.6 1.9 2.0"; else marks="0.9 1.3 1.7 2.1 2.5"; fi
for mark in $marks; do
	attempts=$((attempts + 1))
	"$LUMBUNG" import -d "$K" penduduk "$T/big.csv" >"$T/k.out" 2>"$T/k.err" &
	pid=$!
	at=""
	if [ -r /proc/self/io ]; then
		lim=$(awk -v s="$size" -v m="$mark" 'BEGIN { printf "%d", s * m }')
		while r=$(sed -n 's/^rchar: //p' "/proc/$pid/io" 2>/dev/null) && [ -n "$r" ]; do
			if [ "$r" -ge "$lim" ]; then at=$r; break; fi
			sleep 0.01
		done
	else
		sleep "$mark" # no /proc/PID/io: seconds instead
	fi
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	st=$?
	case $st in
	137)
		if [ -z "$at" ] || [ "$at" -gt "$size" ]; then killed=$((killed + 1)); fi
		echo "# attempt $attempts: killed after reading ${at:-?} bytes (file $size; ${mark}x)"
		;;
	0) echo "# attempt $attempts: the import finished before the kill ($(cat "$T/k.out"))" ;;
	*) fail "attempt $attempts: the import failed by itself (exit $st: $(head -c 200 "$T/k.err"))" ;;
	esac
	if [ "$st" -eq 0 ]; then
		is_eq "attempt $attempts: a finished import wrote everything" "$(seq_of "$K")" $((seq0 + 300000))
		break
	fi
	unchanged "attempt $attempts (kill at ${mark}x the file read): seq still $seq0, verify passes" "$K" "$seq0"
	is_eq "attempt $attempts: no penduduk record is there" "$(count_of "$K" penduduk)" 0
done
if [ "$killed" -ge 3 ]; then ok "$killed of $attempts imports were killed during the write phase"; else
	fail "$killed of $attempts imports were killed during the write phase (too fast a machine?)"
fi
if [ "$(seq_of "$K")" = "$seq0" ]; then
	t0=$(now)
	expect_exit 0 "after the kills the whole file imports" lb import -d "$K" penduduk "$T/big.csv"
	echo "# 300,000 rows imported in $(since "$t0") s"
	contains "$T/out" "300000 written, 0 unchanged, 0 rejected (seq $((seq0 + 1))-$((seq0 + 300000)))" \
		"all 300,000 rows written in one go after the kills"
	is_eq "300,000 penduduk after the complete import" "$(count_of "$K" penduduk)" 300000
	unchanged "verify passes after the complete import" "$K" $((seq0 + 300000))
fi
rm -rf "$B" "$K" "$T/h100.csv" # 170 MB we no longer need

# ---- export -------------------------------------------------------------------------

E="$T/exp"
newnode "$E"
"$GEN" --village "$V" --count 3000 | lb put -d "$E" --batch - >/dev/null 2>"$T/err" ||
	fail "fill the export node with 3,000 generated records ($(cat "$T/err"))"
lb put -d "$E" aspirasi ASP-X tanggal=2025-05-01 pengusul='Bu "Sri", RT 02; RW 01' \
	usulan="$(printf 'Baris satu\nBaris "dua"; tiga, empat')" status=diusulkan >/dev/null 2>&1 &&
	lb put -d "$E" laporan LAP-1 periode=2025-Q1 bidang=sosial ringkasan="$(printf 'Ringkasan\r\ndua baris')" \
		capaian='Ñoño 日本 ✓' >/dev/null 2>&1 &&
	lb put -d "$E" penduduk 3324010101909999 nik=3324010101909999 no_kk=3324019999990001 nama=Kepala \
		tanggal_lahir=1990-01-01 jenis_kelamin=L status=hidup >/dev/null 2>&1 &&
	lb put -d "$E" keluarga 3324019999990001 no_kk=3324019999990001 kepala_keluarga=3324010101909999 \
		penghasilan_bulanan:=1500000 desil:=3 alamat="Jl. \"Kenanga\", Gg. 2; No. 5" >/dev/null 2>&1 ||
	fail "put the export node's tricky records"
TYPES="program penduduk keluarga penerima kegiatan laporan aspirasi" # references first (a keluarga names its head)
for t in $TYPES; do
	lb export -d "$E" "$t" >"$T/e1.$t.csv" 2>"$T/err" || fail "export $t ($(cat "$T/err"))"
	count_of "$E" "$t" >"$T/n.$t"
done
if "$PY" - "$T" "$TYPES" <<'EOF' 2>"$T/py"; then
import csv, io, json, sys
d, types = sys.argv[1], sys.argv[2].split()
schema = {t["name"]: t for t in json.load(open(d + "/schema.json"))["types"]}
for t in types:
    raw = open("%s/e1.%s.csv" % (d, t), "rb").read()
    assert raw.startswith(b"\xef\xbb\xbf"), (t, raw[:10])
    # outside quotes every line ends in CRLF
    q = False
    for i, c in enumerate(raw):
        if c == 0x22: q = not q
        elif not q and c == 0x0a: assert raw[i - 1] == 0x0d, (t, i)
        elif not q and c == 0x0d: assert raw[i + 1] == 0x0a, (t, i)
    assert not q and raw.endswith(b"\r\n"), t
    rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))
    s = schema[t]
    want = ([] if s["id_field"] else ["id"]) + [f["name"] for f in s["fields"]]
    assert rows[0] == want, (t, rows[0], want)
    n = int(open("%s/n.%s" % (d, t)).read())
    assert len(rows) == n + 1 and all(len(r) == len(want) for r in rows), (t, len(rows), n)
    assert n > 0, t
EOF
	ok "export of every type: BOM, CRLF, header = (id +) fields in schema order, parses, one row per record"
else fail "export of every type: BOM, CRLF, header in schema order, parses ($(tail -n 2 "$T/py"))"; fi
if "$PY" - "$T/e1.aspirasi.csv" "$T/e1.laporan.csv" <<'EOF' 2>"$T/py"; then
import csv, sys
a = {r[0]: r for r in csv.reader(open(sys.argv[1], encoding="utf-8-sig", newline=""))}
assert a["ASP-X"][3] == 'Bu "Sri", RT 02; RW 01', a["ASP-X"]
assert a["ASP-X"][5] == 'Baris satu\nBaris "dua"; tiga, empat', a["ASP-X"]
l = {r[0]: r for r in csv.reader(open(sys.argv[2], encoding="utf-8-sig", newline=""))}
assert l["LAP-1"][3] == "Ringkasan\r\ndua baris" and l["LAP-1"][4] == "Ñoño 日本 ✓", l["LAP-1"]
EOF
	ok "exported cells keep quotes, separators, line breaks and UTF-8"
else fail "exported cells keep quotes, separators, line breaks and UTF-8 ($(tail -n 2 "$T/py"))"; fi

# roundtrip NAME EXPORT-OPTIONS... — export with the options, import every
# type into a fresh node, export that with no options: byte for byte e1
roundtrip() {
	name=$1
	shift
	N="$T/rt-$name"
	newnode "$N"
	rt_ok=1
	for t in $TYPES; do
		if [ "$#" -gt 0 ]; then
			lb export -d "$E" "$t" "$@" >"$T/e-$name.$t.csv" 2>"$T/err" || { rt_ok=0; echo "# export $t $*: $(cat "$T/err")"; }
		else cp "$T/e1.$t.csv" "$T/e-$name.$t.csv"; fi
		lb import -d "$N" "$t" "$T/e-$name.$t.csv" >"$T/out" 2>"$T/err" || {
			rt_ok=0
			echo "# import $t ($name): $(head -c 300 "$T/err")"
		}
		lb export -d "$N" "$t" >"$T/e2.$t.csv" 2>/dev/null
		cmp -s "$T/e1.$t.csv" "$T/e2.$t.csv" || { rt_ok=0; echo "# $name: $t export differs after the round trip"; }
	done
	[ "$rt_ok" -eq 1 ]
}
check "export -> import into a fresh node -> export: identical bytes for every type" roundtrip plain
check "export --sep ';' -> import (detected) -> export: identical bytes" roundtrip semi --sep ';'
if "$PY" - "$T/e1.penduduk.csv" "$T/e-semi.penduduk.csv" <<'EOF' 2>"$T/py"; then
import csv, sys
a = list(csv.reader(open(sys.argv[1], encoding="utf-8-sig", newline="")))
raw = open(sys.argv[2], "rb").read()
assert raw.startswith(b'\xef\xbb\xbf"nik";"no_kk";'), raw[:30]
b = list(csv.reader(open(sys.argv[2], encoding="utf-8-sig", newline=""), delimiter=";"))
assert a == b, "the ; export holds other cells"
EOF
	ok "export --sep ';' holds the same cells, ;-separated"
else fail "export --sep ';' holds the same cells, ;-separated ($(tail -n 2 "$T/py"))"; fi
lb export -d "$E" penduduk --excel >"$T/x.penduduk.csv" 2>"$T/err" || fail "export --excel ($(cat "$T/err"))"
lb export -d "$E" keluarga --excel >"$T/x.keluarga.csv" 2>"$T/err" || fail "export --excel keluarga ($(cat "$T/err"))"
if "$PY" - "$T/x.penduduk.csv" "$T/e1.penduduk.csv" "$T/x.keluarga.csv" <<'EOF' 2>"$T/py"; then
import csv, sys
x = list(csv.reader(open(sys.argv[1], encoding="utf-8-sig", newline="")))
p = list(csv.reader(open(sys.argv[2], encoding="utf-8-sig", newline="")))
h = x[0]
assert h == p[0], h
for xr, pr in zip(x[1:], p[1:]):
    for k in ("nik", "no_kk"):
        assert xr[h.index(k)] == '="%s"' % pr[h.index(k)], (k, xr, pr)
    for k in ("nama", "tanggal_lahir", "status"):
        assert xr[h.index(k)] == pr[h.index(k)], (k, xr, pr)
k = list(csv.reader(open(sys.argv[3], encoding="utf-8-sig", newline="")))
kh = k[0]
assert all(r[kh.index("kepala_keluarga")].startswith('="') for r in k[1:]), k[1]
EOF
	ok "export --excel writes NIK and KK cells as =\"...\" and leaves other cells alone"
else fail "export --excel writes NIK and KK cells as =\"...\" ($(tail -n 2 "$T/py"))"; fi
check "export --excel -> import -> export: identical bytes" roundtrip excel --excel

Z="$T/empty-node"
newnode "$Z"
expect_exit 0 "export of a type with no records" lb export -d "$Z" kegiatan
if [ "$(cat "$T/out")" = "$(printf '\357\273\277"id","program","nama","tanggal_mulai","tanggal_selesai","lokasi","jumlah_peserta","realisasi_anggaran","keterangan"\r')" ]; then
	ok "an empty export is the BOM and the header line only"
else fail "an empty export is the BOM and the header line only (got: $(od -c "$T/out" | head -n 3))"; fi
expect_exit 10 "export of an unknown type is refused" lb export -d "$Z" warga
contains "$T/err" 'unknown record type "warga"' "the export refusal names the type"
expect_exit 2 "export --sep x is a usage error" lb export -d "$Z" penduduk --sep x

# ---- trailing empty cells, formula-like text, literal ="..." text ------------

W="$T/w"
newnode "$W"
printf 'id,tanggal,pengusul,usulan,status,,\n' >"$T/w.csv"
printf 'W1,2026-01-01,x,"=HYPERLINK(""http://contoh"")",diusulkan,,\n' >>"$T/w.csv"
printf 'W2,2026-01-01,x,"=""abc""",diusulkan,\n' >>"$T/w.csv"
printf 'W3,2026-01-01,x,- jalan desa,diusulkan\n' >>"$T/w.csv"
expect_exit 0 "empty trailing header and row cells are not columns" lb import -d "$W" aspirasi "$T/w.csv"
record "a literal =\"abc\" text is kept, not unwrapped" "$W" aspirasi W2 \
	'{"pengusul":"x","status":"diusulkan","tanggal":"2026-01-01","usulan":"=\"abc\""}'
expect_exit 0 "export formula-like text" lb export -d "$W" aspirasi
contains "$T/out" "\"'=HYPERLINK(" "export puts a ' before text a spreadsheet would run as a formula"
contains "$T/out" "\"'- jalan desa\"" "text starting with - is protected too"
cp "$T/out" "$T/w-exp.csv"
W2="$T/w2"
newnode "$W2"
expect_exit 0 "the protected export imports back" lb import -d "$W2" aspirasi "$T/w-exp.csv"
record "the ' is taken off again on import" "$W2" aspirasi W1 \
	'{"pengusul":"x","status":"diusulkan","tanggal":"2026-01-01","usulan":"=HYPERLINK(\"http://contoh\")"}'
lb export -d "$W2" aspirasi >"$T/w-exp2.csv" 2>&1
if cmp -s "$T/w-exp.csv" "$T/w-exp2.csv"; then ok "formula-protected export round trips byte for byte"; else
	fail "formula-protected export round trips byte for byte"
fi

done_testing
