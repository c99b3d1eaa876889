#!/bin/sh
# clerk_import.sh — `lumbung import` as a village clerk uses it, on an
# office's own penduduk sheet (tests/data/kantor.csv: `;`-separated, office
# column headers, the spellings Dukcapil and OpenSID use, day-first dates,
# "23 Agustus 2000", RT 1, two NIKs Excel turned into 3,32401E+15, a row
# with three bad fields, a month-first date and a duplicate NIK; and
# kantor-cp1252.csv, the same sheet saved as Windows-1252).
#
# What each row should become is worked out here by python3 from the
# sheet with its own tables (the spellings of the sheet written out by
# hand, its own date reader), never with lumbung's code: the import stores
# exactly that, refuses exactly the five wrong rows naming every bad field
# (in English and in Indonesian), explains each known trap once, the
# rejects file fixed by a script imports as it is, the Windows-1252 copy
# is refused with the hint and then read with --encoding cp1252, and the
# progress line shows only when asked for and never with --quiet.
. "$(dirname "$0")/lib.sh"
unset LUMBUNG_DIR LUMBUNG_MAP_SIZE LUMBUNG_PROGRESS

DATA=$(cd "$(dirname "$0")/../data" && pwd)
KANTOR=$DATA/kantor.csv
CP1252=$DATA/kantor-cp1252.csv
lb() { "$LUMBUNG" "$@"; }
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || PY=python3
V=33.24.01.2001
newnode() { rm -rf "$1" && lb init -d "$1" --village "$V" >/dev/null 2>&1 || fail "init $1"; }
seq_of() { lb id -d "$1" --json 2>/dev/null | sed -n 's/.*"seq":\([0-9]*\).*/\1/p'; }
count_of() { lb ls -d "$1" "$2" 2>/dev/null | wc -l | tr -d ' '; }
is_eq() { if [ "$2" = "$3" ]; then ok "$1"; else fail "$1 (got \"$2\", wanted \"$3\")"; fi; }
lacks() { if grep -qF -- "$2" "$1"; then fail "$3 (\"$2\" is in: $(head -c 300 "$1"))"; else ok "$3"; fi; }

# The five wrong rows (spreadsheet row numbers) and the fields each must
# name; row 43 repeats row 22's NIK.
BAD_ROWS="11 18 25 32 43"

# ---- all or nothing, every problem at once (English) ----------------------
A=$T/a
newnode "$A"
expect_exit 10 "the office sheet with 5 wrong rows is refused as a whole" \
	lb import -d "$A" penduduk "$KANTOR"
cp "$T/err" "$T/err.en"
is_eq "exactly the 5 wrong rows are listed" \
	"$(sed -n 's/^lumbung import: row \([0-9]*\): .*/\1/p' "$T/err.en" | tr '\n' ' ')" "$BAD_ROWS "
contains "$T/err.en" 'row 18: penduduk 3324011104400017: tanggal_lahir "31/02/1990"' \
	"row 18 names its bad date first (field order)"
line_18=$(grep 'row 18:' "$T/err.en")
is_eq "row 18 names all three bad fields in one message" \
	"$(echo "$line_18" | grep -c 'tanggal_lahir.*jenis_kelamin "X".*agama "Yahudi"')" 1
contains "$T/err.en" 'row 11: penduduk 3,32401E+15: nik "3,32401E+15"' "row 11: the NIK in scientific notation"
contains "$T/err.en" 'row 25: penduduk 3.32401E+15: nik "3.32401E+15"' "row 25: the NIK in scientific notation (dot)"
contains "$T/err.en" 'row 32: penduduk 3324010606410031: tanggal_lahir "12/31/1995"' "row 32: the month-first date"
contains "$T/err.en" 'row 43: penduduk 3324010303510021: the same id as row 22' "row 43: the duplicate NIK"
contains "$T/err.en" "5 invalid rows in $KANTOR; nothing was imported" "summary: 5 invalid rows, nothing imported"
is_eq "one hint each for scientific notation and month-first dates" \
	"$(grep -c '^lumbung import: hint: ' "$T/err.en") $(grep -c 'hint: .*3.32401E+15' "$T/err.en") $(grep -c 'hint: .*day first' "$T/err.en")" \
	"2 1 1"
is_eq "nothing was written" "$(seq_of "$A") $(count_of "$A" penduduk)" "0 0"

# ---- the same in Indonesian -------------------------------------------------
LUMBUNG_BAHASA=id lb import -d "$A" penduduk "$KANTOR" >"$T/out" 2>"$T/err.id"
is_eq "Indonesian: exit 10 and the same 5 rows (baris ...)" \
	"$? $(sed -n 's/^lumbung import: baris \([0-9]*\): .*/\1/p' "$T/err.id" | tr '\n' ' ')" "10 $BAD_ROWS "
is_eq "Indonesian: row 18 names the same three fields" \
	"$(grep 'baris 18:' "$T/err.id" | grep -c 'tanggal_lahir.*jenis_kelamin.*agama')" 1
contains "$T/err.id" "5 baris tidak sah di $KANTOR; tidak ada yang diimpor" "Indonesian: the summary"
contains "$T/err.id" "baris 43: penduduk 3324010303510021: id yang sama dengan baris 22" "Indonesian: the duplicate"
is_eq "Indonesian: the two hints as petunjuk, no English hint word" \
	"$(grep -c '^lumbung import: petunjuk: ' "$T/err.id") $(grep -c 'hint:' "$T/err.id")" "2 0"

# ---- --skip-invalid: the right rows, stored in the standard form --------------
expect_exit 0 "--skip-invalid imports the 45 good rows" \
	lb import -d "$A" penduduk "$KANTOR" --skip-invalid "$T/rej.csv"
contains "$T/out" "45 written, 0 unchanged, 5 rejected (seq 1-45); rejected rows in $T/rej.csv" \
	"--skip-invalid: 45 written, 5 rejected"
lb export -d "$A" penduduk >"$T/a.csv" 2>"$T/experr" || fail "export A ($(cat "$T/experr"))"
if "$PY" - "$KANTOR" "$T/a.csv" "$T/out" <<'EOF' 2>"$T/py"; then ok "every good row stored as worked out independently; the summary counts each rewrite"; else
import csv, re, sys
from collections import Counter
# the sheet's spellings, written out by hand
ENUM = {
    "jenis_kelamin": {"l": "L", "p": "P", "laki-laki": "L", "perempuan": "P"},
    "agama": {"islam": "islam", "kristen": "kristen", "katholik": "katolik", "katolik": "katolik",
              "hindu": "hindu", "budha": "buddha", "buddha": "buddha", "konghucu": "khonghucu",
              "kepercayaan terhadap tuhan yme": "kepercayaan"},
    "status_perkawinan": {"kawin": "kawin", "belum kawin": "belum_kawin", "cerai hidup": "cerai_hidup",
                          "cerai mati": "cerai_mati"},
    "pendidikan": {"slta/sederajat": "slta", "tamat sd/sederajat": "tamat_sd", "sltp/sederajat": "sltp",
                   "diploma iv/strata i": "diploma_iv_s1", "tidak/belum sekolah": "tidak_belum_sekolah",
                   "belum tamat sd/sederajat": "belum_tamat_sd", "akademi/diploma iii/s. muda": "diploma_iii",
                   "diploma i/ii": "diploma_i_ii", "strata ii": "s2", "strata iii": "s3"},
    "status": {"hidup": "hidup"},
}
MONTHS = {m: i + 1 for i, m in enumerate(["januari", "februari", "maret", "april", "mei", "juni", "juli",
          "agustus", "september", "oktober", "november", "desember"])}
MONTHS.update({m: i + 1 for i, m in enumerate(["jan", "feb", "mar", "apr", "mei", "jun", "jul", "agu",
               "sep", "okt", "nov", "des"])})
def date(s):
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)", s)
    if m: return s
    m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", s) or \
        re.fullmatch(r"(\d{1,2}) ([A-Za-z]+) (\d{4})", s)
    d, mo, y = m.groups()
    mo = int(mo) if mo.isdigit() else MONTHS[mo.lower()]
    return "%s-%02d-%02d" % (y, mo, int(d))
HDR = {"NIK": "nik", "No. KK": "no_kk", "Nama": "nama", "Tempat Lahir": "tempat_lahir",
       "Tanggal Lahir": "tanggal_lahir", "Jenis Kelamin": "jenis_kelamin", "Agama": "agama",
       "Status Perkawinan": "status_perkawinan", "Pendidikan": "pendidikan", "Pekerjaan": "pekerjaan",
       "Dusun": "dusun", "RT": "rt", "RW": "rw", "Status": "status"}
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8", newline=""), delimiter=";"))
head = [HDR[h] for h in rows[0]]
want, rewrites = {}, Counter()
for n, r in enumerate(rows[1:], start=2):
    if n in (11, 18, 25, 32, 43):
        continue
    rec = {}
    for k, typed in zip(head, r):
        if typed == "":
            continue
        if k in ENUM: v = ENUM[k][typed.lower()]
        elif k == "tanggal_lahir": v = date(typed)
        elif k in ("rt", "rw"): v = typed.zfill(3)
        else: v = typed
        if v != typed:
            rewrites[(k, typed, v)] += 1
        rec[k] = v
    want[rec["nik"]] = rec
got = {}
for r in csv.DictReader(open(sys.argv[2], encoding="utf-8-sig", newline="")):
    got[r["nik"]] = {k: v for k, v in r.items() if v != ""}
assert set(got) == set(want), sorted(set(got) ^ set(want))
for nik in want:
    assert got[nik] == want[nik], (nik, got[nik], want[nik])
assert want["3324012308000001"]["tanggal_lahir"] == "2000-08-23"   # 23 Agustus 2000
assert want["3324014101950002"]["rt"] == "001"                      # RT 1
# the summary: the 20 most frequent rewrites with their counts, then the rest
out = open(sys.argv[3], encoding="utf-8").read()
shown = re.findall(r"^  (\w+): (.*) \u2192 (.*), (\d+) rows?$", out, re.M)
assert len(shown) == 20, shown
for k, typed, v, c in shown:
    assert rewrites[(k, typed, v)] == int(c), (k, typed, v, c, rewrites[(k, typed, v)])
assert sorted((int(c) for *_, c in shown), reverse=True) == [int(c) for *_, c in shown], shown
top = sorted(rewrites.values(), reverse=True)
assert [int(c) for *_, c in shown] == top[:20], (shown, top[:20])
m = re.search(r"^  \u2026 and (\d+) more \((\d+) rows\)$", out, re.M)
assert m and int(m.group(1)) == len(rewrites) - 20 and int(m.group(2)) == sum(top[20:]), (m and m.groups(), len(rewrites))
assert ("agama", "ISLAM", "islam") in rewrites
EOF
	fail "every good row stored as worked out independently; the summary counts each rewrite ($(tail -n 3 "$T/py"))"
fi
contains "$T/out" "agama: ISLAM $(printf '\342\206\222') islam, " "the summary: agama: ISLAM -> islam, N rows"
expect_exit 0 "the same sheet again: nothing new" lb import -d "$A" penduduk "$KANTOR" --skip-invalid "$T/rej2.csv"
contains "$T/out" "0 written, 45 unchanged, 5 rejected" "the same sheet again: 45 unchanged"

# ---- the rejects file, fixed by a script, imports as it is -----------------
if "$PY" - "$T/rej.csv" "$KANTOR" "$T/fixed.csv" <<'EOF' 2>"$T/py"; then ok "rejects file: the sheet's columns + alasan_penolakan, the 5 rows as they were, reasons naming row and fields"; else
import csv, sys
raw = open(sys.argv[1], "rb").read()
assert raw.startswith(b"\xef\xbb\xbf"), raw[:10]
src = list(csv.reader(open(sys.argv[2], encoding="utf-8", newline=""), delimiter=";"))
rej = list(csv.reader(open(sys.argv[1], encoding="utf-8-sig", newline=""), delimiter=";"))
assert rej[0] == src[0] + ["alasan_penolakan"], rej[0]
assert [r[:-1] for r in rej[1:]] == [src[n - 1] for n in (11, 18, 25, 32, 43)], rej
for r, n, fields in zip(rej[1:], (11, 18, 25, 32, 43), (["nik"], ["tanggal_lahir", "jenis_kelamin", "agama"],
                        ["nik"], ["tanggal_lahir"], ["the same id as row 22"])):
    assert r[-1].startswith("row %d: penduduk " % n), r[-1]
    assert all(f in r[-1] for f in fields), r[-1]
# the clerk's corrections, cell by cell; the reason column stays
h = rej[0]
fix = {
    1: {"NIK": "3324015407740091"},                                   # 14-07-1974, woman
    2: {"Tanggal Lahir": "11/04/1940", "Jenis Kelamin": "L", "Agama": "Islam"},
    3: {"NIK": "3324014206100092"},                                   # 02-06-2010, woman
    4: {"Tanggal Lahir": "06/06/1941"},
    5: {"NIK": "3324010303510099"},                                   # a new serial
}
for i, cells in fix.items():
    for k, v in cells.items():
        rej[i][h.index(k)] = v
csv.writer(open(sys.argv[3], "w", encoding="utf-8", newline=""), delimiter=";").writerows(rej)
EOF
	fail "rejects file: the sheet's columns + alasan_penolakan, the 5 rows as they were, reasons naming row and fields ($(tail -n 3 "$T/py"))"
fi
expect_exit 0 "the fixed rejects file imports as it is (reason column and all)" \
	lb import -d "$A" penduduk "$T/fixed.csv"
contains "$T/out" "5 written, 0 unchanged, 0 rejected" "the fixed rejects: 5 written"
is_eq "all 50 residents are in" "$(count_of "$A" penduduk)" 50
is_eq "the fixed row 18 is stored in the standard form" \
	"$(lb get -d "$A" penduduk 3324011104400017 2>&1 | tr ',' '\n' | grep -E '"(tanggal_lahir|jenis_kelamin|agama)"' | tr -d ' {}\n')" \
	'"agama":"islam""jenis_kelamin":"L""tanggal_lahir":"1940-04-11"'

# ---- Windows-1252 -------------------------------------------------------------
B=$T/b
newnode "$B"
is_eq "the cp1252 copy really is not UTF-8 (and the UTF-8 one is)" \
	"$("$PY" -c 'import sys
for p in sys.argv[1:]:
    try: open(p, "rb").read().decode("utf-8"); print("utf8", end=" ")
    except UnicodeDecodeError: print("not", end=" ")' "$CP1252" "$KANTOR")" "not utf8 "
expect_exit 9 "a Windows-1252 file is refused" lb import -d "$B" penduduk "$CP1252"
contains "$T/err" 'row 4, column 3: "S\xeatiawan" is not UTF-8 text (byte 0xEA)' \
	"the refusal names row and column of the first bad byte"
contains "$T/err" "hint: " "the refusal comes with a hint"
contains "$T/err" "--encoding cp1252" "the hint names --encoding cp1252"
is_eq "nothing was written" "$(seq_of "$B")" 0
expect_exit 2 "an unknown --encoding is a usage error" lb import -d "$B" penduduk "$CP1252" --encoding ebcdic
expect_exit 0 "--encoding cp1252 reads it" \
	lb import -d "$B" penduduk "$CP1252" --encoding cp1252 --skip-invalid "$T/rejb.csv"
contains "$T/out" "45 written, 0 unchanged, 5 rejected" "--encoding cp1252: the same 45 rows"
lb export -d "$B" penduduk >"$T/b.csv" 2>/dev/null
if cmp -s "$T/a.csv" "$T/b.csv"; then ok "--encoding cp1252 stores exactly what the UTF-8 sheet stores"; else
	fail "--encoding cp1252 stores exactly what the UTF-8 sheet stores ($(diff "$T/a.csv" "$T/b.csv" | head -c 300))"
fi
is_eq "names with non-ASCII letters stored as UTF-8" \
	"$(grep -c -e 'Sêtiawan' -e 'Muhammad Ra’uf' -e 'Dédi Kurniawan' "$T/b.csv")" 3

# ---- --from ----------------------------------------------------------------
expect_exit 3 "--from with a profile that does not exist is refused" \
	lb import -d "$B" penduduk "$KANTOR" --from nosuch
contains "$T/err" '"nosuch"' "the refusal names the profile"

# ---- progress ------------------------------------------------------------------
C=$T/c
newnode "$C"
LUMBUNG_PROGRESS=1 lb import -d "$C" penduduk "$KANTOR" --skip-invalid "$T/rejc.csv" >"$T/out" 2>"$T/err"
contains "$T/err" "45 / 45 rows  100%" "LUMBUNG_PROGRESS=1: the write phase shows rows and percent"
contains "$T/err" "50 rows checked" "LUMBUNG_PROGRESS=1: the check phase counts rows"
newnode "$C"
lb import -d "$C" penduduk "$KANTOR" --skip-invalid "$T/rejc.csv" >"$T/out" 2>"$T/err"
lacks "$T/err" "100%" "not a terminal: no progress line"
newnode "$C"
LUMBUNG_PROGRESS=1 lb import -d "$C" penduduk "$KANTOR" --skip-invalid "$T/rejc.csv" --quiet >"$T/out" 2>"$T/err"
is_eq "--quiet: exit 0 and 45 records" "$? $(count_of "$C" penduduk)" "0 45"
lacks "$T/err" "100%" "--quiet: no progress line, even when forced"
is_eq "--quiet: no summary on stdout" "$(wc -c <"$T/out" | tr -d ' ')" 0
contains "$T/err" "row 18: " "--quiet: refusals still print"

done_testing
