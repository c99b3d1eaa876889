#!/bin/sh
# find.sh — `lumbung find` on a real node (text, --json, --csv that imports
# again; = read as put reads it, ~ ignoring case, AND, nothing found exits
# 1, bad terms refused); `lumbung export --xlsx` read back with python3's
# zipfile and xml (text cells for NIK and RT, real dates, numbers,
# booleans); ls/get/rm/find/export of an unknown type name the types.
# Expected ids and cells are written out by hand.
. "$(dirname "$0")/lib.sh"
unset LUMBUNG_DIR LUMBUNG_MAP_SIZE

lb() { "$LUMBUNG" "$@"; }
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || PY=python3
V=33.24.01.2001
N=$T/desa
is_eq() { if [ "$2" = "$3" ]; then ok "$1"; else fail "$1 (got \"$2\", wanted \"$3\")"; fi; }

lb init -d "$N" --village "$V" >/dev/null 2>&1 || fail "init"
printf '%s\r\n' \
	'nik,no_kk,nama,tanggal_lahir,jenis_kelamin,agama,dusun,rt,disabilitas,status' \
	'3324011203800001,3324010101150001,Budi Santoso,1980-03-12,L,islam,Krajan,001,tidak,hidup' \
	'3324015507850002,3324010101150001,Siti Aminah Sari,1985-07-15,P,islam,Krajan,002,,hidup' \
	'3324012512750004,3324010202160002,Yohanes SARIMAN,1975-12-25,L,katolik,Sidomulyo,001,ya,hidup' \
	'3324011708880006,3324010303170003,I Wayan Sudarma,1988-08-17,L,,,,,pindah' >"$T/p.csv"
lb import -d "$N" penduduk "$T/p.csv" >/dev/null 2>"$T/ierr" || fail "import ($(head -c 300 "$T/ierr"))"
printf '%s\r\n' 'kode,nama,bidang,anggaran,tahun' 'PKH,Program Keluarga Harapan,sosial,1500000000,2026' >"$T/prog.csv"
lb import -d "$N" program "$T/prog.csv" >/dev/null 2>&1 || fail "import program"

# ---- find: text
expect_exit 0 "find nama~sari exits 0" lb find -d "$N" penduduk nama~sari
is_eq "nama~sari finds Siti Aminah Sari and Yohanes SARIMAN, in id order" \
	"$(cut -d' ' -f1 "$T/out" | tr '\n' ' ')" "3324012512750004 3324015507850002 "
contains "$T/err" "2 records found" "the count goes to stderr"
expect_exit 0 "two terms: nama~sari dusun=Krajan" lb find -d "$N" penduduk nama~sari dusun=Krajan
is_eq "both terms hold for one resident" "$(cut -d' ' -f1 "$T/out")" "3324015507850002"
expect_exit 0 "rt=001 jenis_kelamin=L" lb find -d "$N" penduduk rt=001 jenis_kelamin=L
is_eq "rt=001 jenis_kelamin=L" "$(cut -d' ' -f1 "$T/out" | tr '\n' ' ')" "3324011203800001 3324012512750004 "
expect_exit 0 "dusun= finds residents without a dusun" lb find -d "$N" penduduk dusun=
is_eq "dusun=" "$(cut -d' ' -f1 "$T/out")" "3324011708880006"
expect_exit 0 "disabilitas=ya is read as put reads it" lb find -d "$N" penduduk disabilitas=ya
is_eq "disabilitas=ya" "$(cut -d' ' -f1 "$T/out")" "3324012512750004"
expect_exit 1 "nothing found exits 1" lb find -d "$N" penduduk nama~joko
contains "$T/err" "0 records found" "and says so"
expect_exit 1 "in Indonesian too" env LUMBUNG_BAHASA=id "$LUMBUNG" find -d "$N" penduduk nama~joko
contains "$T/err" "0 catatan ditemukan" "the count in Indonesian"
expect_exit 2 "a bad term in Indonesian" env LUMBUNG_BAHASA=id "$LUMBUNG" find -d "$N" penduduk nama
contains "$T/err" "bukan kata pencarian" "names the term in Indonesian"
expect_exit 0 "--quiet drops the count" lb find -d "$N" penduduk nama~budi --quiet
is_eq "--quiet: stderr empty" "$(cat "$T/err")" ""

# ---- --json: one object per line
expect_exit 0 "find --json" lb find -d "$N" penduduk no_kk=3324010101150001 --json
is_eq "--json lines parse, ids and names" "$("$PY" -c '
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    print(o["id"], o["record"]["nama"])' "$T/out" | tr '\n' ';')" \
	"3324011203800001 Budi Santoso;3324015507850002 Siti Aminah Sari;"

# ---- --csv: what export writes, and it imports again
expect_exit 0 "find --csv --sep ;" lb find -d "$N" penduduk agama=islam --csv --sep ';'
cp "$T/out" "$T/found.csv"
is_eq "--csv: header and two rows" "$("$PY" -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8-sig"), delimiter=";"))
print(len(rows), rows[0][0], rows[1][2], rows[2][2])' "$T/found.csv")" \
	"3 nik Budi Santoso Siti Aminah Sari"
lb init -d "$T/dua" --village "$V" >/dev/null 2>&1
expect_exit 0 "the --csv output imports into another node" lb import -d "$T/dua" penduduk "$T/found.csv"
is_eq "with the same records" "$(lb get -d "$T/dua" penduduk 3324015507850002)" \
	"$(lb get -d "$N" penduduk 3324015507850002)"

# ---- refusals
expect_exit 2 "a term without = or ~ is a usage error" lb find -d "$N" penduduk nama
contains "$T/err" "is not a search term" "naming the term"
expect_exit 10 "an unknown field is refused" lb find -d "$N" penduduk hobi=bola
contains "$T/err" "\"hobi\" is not a field of penduduk" "naming the field"
expect_exit 2 "--json and --csv together" lb find -d "$N" penduduk --json --csv

# ---- an unknown type lists the types, for every command taking one
seq_before=$(lb log -d "$N" | wc -l)
for c in "ls -d $N warga" "get -d $N warga 1" "rm -d $N warga 1" "find -d $N warga" \
	"export -d $N warga"; do
	# shellcheck disable=SC2086
	lb $c >"$T/out" 2>"$T/err"
	rc=$?
	if [ $rc -ne 0 ] && grep -qF 'unknown record type "warga"' "$T/err" &&
		grep -qF 'penduduk, keluarga, program, penerima' "$T/err"; then
		ok "lumbung ${c%% *} of an unknown type names the types"
	else
		fail "lumbung ${c%% *} of an unknown type (exit $rc: $(head -c 200 "$T/err"))"
	fi
done
is_eq "and writes nothing" "$(lb log -d "$N" | wc -l)" "$seq_before"

# ---- export --xlsx
expect_exit 0 "export penduduk --xlsx" lb export -d "$N" penduduk --xlsx "$T/p.xlsx"
# Read sheet1 back: cells by reference, with their type and style's number format.
cat >"$T/xl.py" <<'EOF'
import sys, zipfile, xml.etree.ElementTree as ET
from datetime import date
ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
z = zipfile.ZipFile(sys.argv[1])
wb = ET.fromstring(z.read("xl/workbook.xml"))
sheet = wb.find("m:sheets/m:sheet", ns).get("name")
shared = []
if "xl/sharedStrings.xml" in z.namelist():
    for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", ns):
        shared.append("".join(t.text or "" for t in si.iter("{%s}t" % ns["m"])))
styles = ET.fromstring(z.read("xl/styles.xml"))
fmts = {f.get("numFmtId"): f.get("formatCode") for f in styles.iter("{%s}numFmt" % ns["m"])}
xfs = styles.find("m:cellXfs", ns).findall("m:xf", ns)
cells = {}
for c in ET.fromstring(z.read("xl/worksheets/sheet1.xml")).iter("{%s}c" % ns["m"]):
    t = c.get("t", "n")
    s = int(c.get("s", "0"))
    if t == "inlineStr":
        v = "".join(x.text or "" for x in c.iter("{%s}t" % ns["m"]))
        t = "str"
    elif t == "s":
        v = shared[int(c.find("m:v", ns).text)]
        t = "str"
    else:
        v = c.find("m:v", ns).text
    cells[c.get("r")] = (t, v, fmts.get(xfs[s].get("numFmtId"), ""))
out = [sheet]
for ref in sys.argv[2:]:
    t, v, f = cells.get(ref, ("-", "", ""))
    out.append("%s=%s:%s%s" % (ref, t, v, (":" + f) if f else ""))
print(" ".join(out))
EOF
# Columns (schema order): A nik B no_kk C nama D tempat_lahir E tanggal_lahir
# F jenis_kelamin G agama ... K dusun L rt M rw N disabilitas O status.
# Rows in id order: 2 = 3324011203800001 (Budi), 3 = ...880006 (I Wayan, no
# dusun), 4 = ...750004 (Yohanes), 5 = ...850002 (Siti).
# 1980-03-12 is day 29292 after 1899-12-30 (Excel's day 0 in practice).
serial=$("$PY" -c 'from datetime import date; print((date(1980, 3, 12) - date(1899, 12, 30)).days)')
is_eq "the workbook: sheet penduduk, header, NIK and RT as text, a real date, booleans" \
	"$("$PY" "$T/xl.py" "$T/p.xlsx" A1 E1 A2 E2 L2 N2 N4 C5 K3)" \
	"penduduk A1=str:nik E1=str:tanggal_lahir A2=str:3324011203800001:@ E2=n:$serial:dd/mm/yyyy L2=str:001:@ N2=b:0 N4=b:1 C5=str:Siti Aminah Sari K3=-:"
# program: A kode B nama C bidang D sumber_dana E anggaran F tahun
expect_exit 0 "export program --xlsx" lb export -d "$N" program --xlsx "$T/prog.xlsx"
is_eq "rupiah and integers are numbers" "$("$PY" "$T/xl.py" "$T/prog.xlsx" A2 E2 F2)" \
	"program A2=str:PKH E2=n:1500000000 F2=n:2026"
expect_exit 2 "--xlsx with --sep is a usage error" lb export -d "$N" penduduk --xlsx "$T/x.xlsx" --sep ';'
expect_exit 5 "an unwritable --xlsx path is an error" lb export -d "$N" penduduk --xlsx "$T/no/such/dir/p.xlsx"
check "and leaves no file" test ! -e "$T/no/such/dir/p.xlsx"

done_testing
