#!/bin/sh
# schema.sh — the built-in schema seen from outside: `lumbung schema` lists
# the types and rules (text and JSON); a put or a batch line that breaks a
# rule is refused with "TYPE ID: field ... rule", exit 10 (ESCHEMA), and
# writes nothing; field=value arguments are typed by the schema; references
# to programmes must name a live program, also one written earlier in the
# same batch transaction; 5,000 generated records import and verify; log
# entries carry the schema version they were checked under.
. "$(dirname "$0")/lib.sh"
unset LUMBUNG_DIR LUMBUNG_MAP_SIZE

lb() { "$LUMBUNG" "$@"; }
# python3 is often a pyenv shim costing ~0.3 s a call: resolve it once
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || PY=python3
V=33.24.01.2001
D="$T/node"

# seq DIR — the node's seq (from id --json)
seq_of() { "$LUMBUNG" id -d "$1" --json 2>/dev/null | sed -n 's/.*"seq":\([0-9]*\).*/\1/p'; }

# ---- lumbung schema --------------------------------------------------------

TYPES="penduduk keluarga program penerima kegiatan laporan aspirasi wilayah"
expect_exit 0 "schema lists the types" lb schema
contains "$T/out" "schema version 2: 8 record types" "schema names its version and counts 8 types"
for t in $TYPES; do
	if grep -Eq "^$t \(id" "$T/out"; then ok "schema lists type $t"; else fail "schema lists type $t"; fi
done
n=$(grep -Ec '^[a-z_]+ \(id' "$T/out")
if [ "$n" -eq 8 ]; then ok "schema lists exactly 8 types"; else fail "schema lists exactly 8 types (got $n)"; fi
contains "$T/out" "penduduk (id = nik)" "schema says penduduk's id is its nik"
contains "$T/out" "keluarga (id = no_kk)" "schema says keluarga's id is its no_kk"
contains "$T/out" "program (id = kode)" "schema says program's id is its kode"
if grep -Eq '^  tanggal_lahir +required +date YYYY-MM-DD' "$T/out"; then ok "schema shows a field, required and its rule"; else
	fail "schema shows a field, required and its rule ($(grep tanggal_lahir "$T/out"))"
fi
if grep -Eq '^  desil +integer 1\.\.10$' "$T/out"; then ok "schema shows an optional field's range"; else
	fail "schema shows an optional field's range ($(grep desil "$T/out"))"
fi

expect_exit 0 "schema penerima --json" lb schema penerima --json
if "$PY" -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["version"] == 2, j
assert [t["name"] for t in j["types"]] == ["penerima"], j
t = j["types"][0]
assert t["id_field"] is None, t
f = {x["name"]: x for x in t["fields"]}
assert list(f) == ["program", "nik", "no_kk", "tanggal", "bentuk", "nilai", "status"], list(f)
assert f["program"]["kind"] == "ref" and f["program"]["ref"] == "program" and f["program"]["required"] is True, f
assert f["nik"]["kind"] == "nik" and f["nik"]["required"] is True, f
assert f["no_kk"]["kind"] == "digits" and f["no_kk"]["required"] is False and f["no_kk"]["max"] == 16, f
assert f["tanggal"]["kind"] == "date", f
assert f["bentuk"]["kind"] == "enum" and f["bentuk"]["values"] == ["uang", "barang", "jasa"], f
assert f["nilai"]["kind"] == "rupiah" and f["nilai"]["required"] is False, f
assert "diusulkan" in f["status"]["values"] and f["status"]["required"] is True, f
assert all(isinstance(x["rule"], str) and x["rule"] for x in t["fields"]), t
' "$T/out" 2>"$T/py"; then ok "schema penerima --json is JSON with its 7 fields, kinds and rules"; else
	fail "schema penerima --json is JSON with its 7 fields, kinds and rules ($(cat "$T/py"))"
fi
expect_exit 0 "schema --json (all types)" lb schema --json
if "$PY" -c '
import json, sys
j = json.load(open(sys.argv[1]))
names = [t["name"] for t in j["types"]]
assert names == sys.argv[2].split(), names
ids = {t["name"]: t["id_field"] for t in j["types"]}
assert ids["penduduk"] == "nik" and ids["keluarga"] == "no_kk" and ids["program"] == "kode", ids
assert ids["aspirasi"] is None and ids["wilayah"] == "kode", ids
' "$T/out" "$TYPES" 2>"$T/py"; then ok "schema --json has the 8 types and their id fields"; else
	fail "schema --json has the 8 types and their id fields ($(cat "$T/py"))"
fi
expect_exit 1 "schema of an unknown type exits 1" lb schema dokumen
contains "$T/err" 'unknown record type "dokumen"' "the refusal names the unknown type"
contains "$T/err" "penduduk, keluarga, program, penerima, kegiatan, laporan, aspirasi" "the refusal lists the known types"
if [ -s "$T/out" ]; then fail "schema of an unknown type prints nothing on stdout"; else
	ok "schema of an unknown type prints nothing on stdout"
fi
expect_exit 1 "schema --json of an unknown type exits 1" lb schema dokumen --json

# ---- put: a bad record is named and nothing is written ---------------------

lb init -d "$D" --village "$V" >/dev/null 2>&1 || fail "init"
NIK=3324014501900001 # a woman born 05-01-1990
KK=3324010101900001
PEN="nik=$NIK no_kk=$KK nama=Siti tanggal_lahir=1990-01-05 jenis_kelamin=P status=hidup"
# shellcheck disable=SC2086 # $PEN is meant to split into arguments
expect_exit 0 "a valid penduduk is written" lb put -d "$D" penduduk $NIK $PEN
before=$(seq_of "$D")
[ "$before" = 1 ] || fail "the valid put is seq 1 (got $before)"

# refused "what" TEXT put-arguments... — exit 10, TEXT on stderr, seq unchanged
refused() {
	what=$1
	text=$2
	shift 2
	expect_exit 10 "$what: refused with exit 10 (ESCHEMA)" lb put -d "$D" "$@"
	contains "$T/err" "$text" "$what: the message says \"$text\""
	got=$(seq_of "$D")
	if [ "$got" = "$before" ]; then ok "$what: nothing written (seq still $before)"; else
		fail "$what: nothing written (seq $got, was $before)"
	fi
}
# shellcheck disable=SC2086
{
	refused "impossible date" "lumbung put: penduduk $NIK: tanggal_lahir \"1990-02-30\" is not a date" \
		penduduk $NIK nik=$NIK no_kk=$KK nama=Siti tanggal_lahir=1990-02-30 jenis_kelamin=P status=hidup
	refused "enum value" "penduduk $NIK: jenis_kelamin \"W\" is not one of L, P" \
		penduduk $NIK nik=$NIK no_kk=$KK nama=Siti tanggal_lahir=1990-01-05 jenis_kelamin=W status=hidup
	refused "digits length" "penduduk $NIK: rt \"0001\" is not exactly 3 digits" penduduk $NIK $PEN rt=0001
	refused "string length in characters" "penduduk $NIK: nama is longer than 100 characters" \
		penduduk $NIK nik=$NIK no_kk=$KK tanggal_lahir=1990-01-05 jenis_kelamin=P status=hidup \
		nama="$(printf '%0101d' 0 | sed 's/0/é/g')"
	refused "line break in a string" "penduduk $NIK: dusun contains a control character" \
		penduduk $NIK $PEN dusun="$(printf 'Krajan\nLor')"
	refused "empty required string" "penduduk $NIK: nama is required and may not be empty" \
		penduduk $NIK nik=$NIK no_kk=$KK nama= tanggal_lahir=1990-01-05 jenis_kelamin=P status=hidup
	refused "missing required field" "penduduk $NIK: status is required" \
		penduduk $NIK nik=$NIK no_kk=$KK nama=Siti tanggal_lahir=1990-01-05 jenis_kelamin=P
	refused "unknown field" "penduduk $NIK: field \"umur\" is not part of penduduk" penduduk $NIK $PEN umur=34
	refused "null" "penduduk $NIK: agama is null" penduduk $NIK $PEN agama:=null
	refused "a list" "penduduk $NIK: agama must be a single value" penduduk $NIK $PEN agama:='["islam"]'
	refused "id differs from the nik" "penduduk 3324014501900002: the record id must equal its nik" \
		penduduk 3324014501900002 $PEN
	refused "bad NIK (province 95)" "penduduk 9524014501900001: nik \"9524014501900001\" does not start with a region code" \
		penduduk 9524014501900001 nik=9524014501900001 no_kk=$KK nama=Siti tanggal_lahir=1990-01-05 \
		jenis_kelamin=P status=hidup
	refused "bad NIK (day 72)" "does not hold a birth date" \
		penduduk 3324017201900001 nik=3324017201900001 no_kk=$KK nama=Siti tanggal_lahir=1990-01-05 \
		jenis_kelamin=P status=hidup
	refused "unknown type" 'dokumen x: unknown record type "dokumen"' dokumen x isi=y
	refused "integer out of range" "keluarga $KK: desil 11 is outside 1..10" \
		keluarga $KK no_kk=$KK kepala_keluarga=$NIK desil=11
	refused "not a whole number" "keluarga $KK: desil \"abc\" is not a whole number" \
		keluarga $KK no_kk=$KK kepala_keluarga=$NIK desil=abc
	refused "decimal rupiah" "keluarga $KK: penghasilan_bulanan \"1.500.000,50\" is not a whole number" \
		keluarga $KK no_kk=$KK kepala_keluarga=$NIK penghasilan_bulanan=1.500.000,50
	refused "negative rupiah" "keluarga $KK: penghasilan_bulanan -5 is outside 0..1000000000000000" \
		keluarga $KK no_kk=$KK kepala_keluarga=$NIK penghasilan_bulanan=-5
	refused "boolean word" "penduduk $NIK: disabilitas \"mungkin\" is not true/false" \
		penduduk $NIK $PEN disabilitas=mungkin
	refused ":= stays raw JSON (a string for an integer)" "keluarga $KK: desil must be a number" \
		keluarga $KK no_kk=$KK kepala_keluarga=$NIK desil:='"3"'
	refused "period" "laporan L1: periode \"2026-Q5\" is not a period" \
		laporan L1 periode=2026-Q5 bidang=sosial ringkasan=r
}
# a bad record in --merge is refused the same way
expect_exit 10 "put --merge with a bad value is refused" lb put -d "$D" --merge penduduk $NIK tanggal_lahir=2023-02-29
contains "$T/err" "penduduk $NIK: tanggal_lahir \"2023-02-29\" is not a date" "--merge names the field and rule"
expect_exit 0 "the refused puts left the record as it was" lb get -d "$D" penduduk $NIK
contains "$T/out" '"tanggal_lahir":"1990-01-05"' "the stored record is unchanged"

# ---- field=value is typed by the schema ------------------------------------

# shellcheck disable=SC2086
expect_exit 0 "field=value typed: rupiah 15.000.000, integer, boolean ya" lb put -d "$D" penduduk $NIK $PEN disabilitas=ya
expect_exit 0 "keluarga with rupiah and integer given as text" lb put -d "$D" keluarga $KK no_kk=$KK \
	kepala_keluarga=$NIK penghasilan_bulanan=15.000.000 desil=3 jumlah_anggota=4 rt=001
expect_exit 0 "get the keluarga" lb get -d "$D" keluarga $KK
if "$PY" -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["penghasilan_bulanan"] == 15000000 and type(j["penghasilan_bulanan"]) is int, j
assert j["desil"] == 3 and type(j["desil"]) is int, j
assert j["jumlah_anggota"] == 4, j
assert j["rt"] == "001", j        # digits stay a string
assert j["no_kk"] == sys.argv[2], j
' "$T/out" "$KK" 2>"$T/py"; then ok "rupiah and integers are stored as numbers, digits as strings"; else
	fail "rupiah and integers are stored as numbers, digits as strings ($(cat "$T/py" "$T/out"))"
fi
expect_exit 0 "get the penduduk" lb get -d "$D" penduduk $NIK
contains "$T/out" '"disabilitas":true' "disabilitas=ya is stored as true"
# shellcheck disable=SC2086
expect_exit 0 "boolean tidak" lb put -d "$D" penduduk $NIK $PEN disabilitas=tidak
expect_exit 0 "get after tidak" lb get -d "$D" penduduk $NIK
contains "$T/out" '"disabilitas":false' "disabilitas=tidak is stored as false"

# ---- field=value is read as a clerk types it (the same reader as import) -------

# shellcheck disable=SC2086
expect_exit 0 "office spellings, a day-first date, RT 1, blanks" lb put -d "$D" penduduk $NIK \
	nik=$NIK no_kk=$KK nama="  Siti Aminah  " tanggal_lahir=05/01/1990 jenis_kelamin=Perempuan \
	status=HIDUP agama=ISLAM status_perkawinan="BELUM KAWIN" pendidikan="SLTA/SEDERAJAT" rt=1 rw=02
expect_exit 0 "get the rewritten penduduk" lb get -d "$D" penduduk $NIK
if "$PY" -c '
import json, sys
j = json.load(open(sys.argv[1]))
want = {"nama": "Siti Aminah", "tanggal_lahir": "1990-01-05", "jenis_kelamin": "P",
        "status": "hidup", "agama": "islam", "status_perkawinan": "belum_kawin",
        "pendidikan": "slta", "rt": "001", "rw": "002"}
for k, v in want.items():
    assert j[k] == v, (k, j[k], v)
' "$T/out" 2>"$T/py"; then ok "put stores the canonical values (islam, belum_kawin, slta, 1990-01-05, 001)"; else
	fail "put stores the canonical values ($(cat "$T/py" "$T/out"))"
fi
expect_exit 0 "rupiah as written: Rp 1.500.000,00" lb put -d "$D" keluarga $KK no_kk=$KK \
	kepala_keluarga=$NIK penghasilan_bulanan="Rp 1.500.000,00"
expect_exit 0 "get the keluarga" lb get -d "$D" keluarga $KK
contains "$T/out" '"penghasilan_bulanan":1500000' "Rp 1.500.000,00 is stored as 1500000"
before=$(seq_of "$D")
# shellcheck disable=SC2086
expect_exit 10 "a month-first date is refused" lb put -d "$D" penduduk $NIK \
	nik=$NIK no_kk=$KK nama=Siti jenis_kelamin=P status=hidup tanggal_lahir=12/31/1990
contains "$T/err" 'tanggal_lahir "12/31/1990" is not a date read day first (DD/MM/YYYY)' \
	"the refusal says dates are read day first"
# shellcheck disable=SC2086
expect_exit 10 "a two-digit year is refused" lb put -d "$D" penduduk $NIK \
	nik=$NIK no_kk=$KK nama=Siti jenis_kelamin=P status=hidup tanggal_lahir=05/01/90
contains "$T/err" 'tanggal_lahir "05/01/90" has a two-digit year' "the refusal names the two-digit year"
expect_exit 10 "a NIK in scientific notation is refused" lb put -d "$D" penerima PNR-X program=X \
	nik=3,32401E+15 tanggal=2026-03-01 bentuk=uang status=diusulkan
contains "$T/err" 'nik "3,32401E+15" is a rounded number' "the refusal says the digits were lost"
got=$(seq_of "$D")
if [ "$got" = "$before" ]; then ok "the refused puts wrote nothing"; else
	fail "the refused puts wrote nothing (seq $got, was $before)"
fi

# ---- references: penerima.program and kegiatan.program ---------------------

PNR="nik=$NIK tanggal=2026-03-01 bentuk=uang status=diusulkan nilai=300.000"
before=$(seq_of "$D")
# shellcheck disable=SC2086
{
	refused "penerima of a missing program" 'penerima PNR-1: program "PKH-2026": no such program record' \
		penerima PNR-1 program=PKH-2026 $PNR
	refused "kegiatan of a missing program" 'kegiatan KGT-1: program "PKH-2026": no such program record' \
		kegiatan KGT-1 program=PKH-2026 nama=Sosialisasi tanggal_mulai=2026-03-02
	refused "program whose id is not its kode" "program PKH-2026: the record id must equal its kode" \
		program PKH-2026 kode=PKH nama="Program Keluarga Harapan" bidang=sosial anggaran=1.000.000 tahun=2026
}
expect_exit 0 "the program is put" lb put -d "$D" program PKH-2026 kode=PKH-2026 \
	nama="Program Keluarga Harapan" bidang=sosial anggaran=250.000.000 tahun=2026
# shellcheck disable=SC2086
expect_exit 0 "then the penerima is accepted" lb put -d "$D" penerima PNR-1 program=PKH-2026 $PNR
expect_exit 0 "and a kegiatan of it" lb put -d "$D" kegiatan KGT-1 program=PKH-2026 nama=Sosialisasi \
	tanggal_mulai=2026-03-02
expect_exit 0 "a kegiatan without a program is fine (optional)" lb put -d "$D" kegiatan KGT-2 \
	nama="Kerja bakti" tanggal_mulai=2026-03-03 keterangan="$(printf 'baris 1\nbaris 2')"
expect_exit 0 "get the penerima" lb get -d "$D" penerima PNR-1
contains "$T/out" '"nilai":300000' "penerima.nilai 300.000 is stored as 300000"
expect_exit 10 "rm of a program its penerima and kegiatan name is refused" lb rm -d "$D" program PKH-2026
contains "$T/err" "2 live record(s) refer to it: kegiatan KGT-1 (program), penerima PNR-1 (program)" \
	"the refusal lists them"
expect_exit 0 "rm --cascade deletes the program with them" lb rm -d "$D" program PKH-2026 --cascade
before=$(seq_of "$D")
# shellcheck disable=SC2086
refused "penerima of a deleted program" 'penerima PNR-2: program "PKH-2026": no such program record' \
	penerima PNR-2 program=PKH-2026 $PNR
expect_exit 1 "the penerima went with the program" lb get -d "$D" penerima PNR-1

# in one --batch transaction: the program first, then its penerima
B="$T/batch"
lb init -d "$B" --village "$V" >/dev/null 2>&1 || fail "init $B"
PRG='{"type":"program","id":"BLT-DD","body":{"kode":"BLT-DD","nama":"BLT Dana Desa","bidang":"sosial","anggaran":90000000,"tahun":2026}}'
PNRJ='{"type":"penerima","id":"BLT-1","body":{"program":"BLT-DD","nik":"3324014501900001","tanggal":"2026-02-01","bentuk":"uang","nilai":300000,"status":"disalurkan"}}'
printf '%s\n%s\n' "$PNRJ" "$PRG" >"$T/pnr-first.jsonl"
expect_exit 10 "a penerima before its program in one batch is refused" lb put -d "$B" --batch "$T/pnr-first.jsonl"
contains "$T/err" "line 1:" "the refusal names line 1"
contains "$T/err" 'penerima BLT-1: program "BLT-DD": no such program record' "the refusal names the reference"
if [ "$(seq_of "$B")" = 0 ]; then ok "the refused batch wrote nothing (not even the program)"; else
	fail "the refused batch wrote nothing (seq $(seq_of "$B"))"
fi
printf '%s\n%s\n' "$PRG" "$PNRJ" >"$T/prg-first.jsonl"
expect_exit 0 "program then penerima in one batch transaction is accepted" lb put -d "$B" --batch "$T/prg-first.jsonl"
contains "$T/out" "imported 2 records" "both lines imported"
lb verify -d "$B" --json >"$T/out" 2>&1
if grep -q '"ok":true,.*"entries":2,"heads":1,' "$T/out"; then ok "one transaction (one signed head) holds both"; else
	fail "one transaction (one signed head) holds both ($(cat "$T/out"))"
fi
# a program deleted earlier in the same batch (its penerima first) no longer counts
{
	echo '{"op":"del","type":"penerima","id":"BLT-1"}'
	echo '{"op":"del","type":"program","id":"BLT-DD"}'
	echo '{"type":"penerima","id":"BLT-2","body":{"program":"BLT-DD","nik":"3324014501900001","tanggal":"2026-02-01","bentuk":"uang","status":"diusulkan"}}'
} >"$T/del-then-ref.jsonl"
expect_exit 10 "a penerima after its program's del in the same batch is refused" lb put -d "$B" --batch "$T/del-then-ref.jsonl"
contains "$T/err" "line 3:" "the refusal names line 3"
expect_exit 0 "the program is still there (the batch wrote nothing)" lb get -d "$B" program BLT-DD
# a bad line in the middle of a batch is named with its type, id, field and rule
{
	echo "$PRG"
	echo '{"type":"penduduk","id":"3324014501900001","body":{"nik":"3324014501900001","no_kk":"3324010101900001","nama":"Siti","tanggal_lahir":"1990-02-30","jenis_kelamin":"P","status":"hidup"}}'
} >"$T/bad-date.jsonl"
expect_exit 10 "a batch with an impossible date is refused" lb put -d "$B" --batch "$T/bad-date.jsonl"
contains "$T/err" 'line 2: penduduk 3324014501900001: tanggal_lahir "1990-02-30" is not a date' \
	"the batch refusal names line, type, id, field and rule"
if [ "$(seq_of "$B")" = 2 ]; then ok "the refused batch wrote nothing"; else fail "the refused batch wrote nothing (seq $(seq_of "$B"))"; fi

# ---- 5,000 generated records ------------------------------------------------

G="$T/gen"
lb init -d "$G" --village "$V" >/dev/null 2>&1 || fail "init $G"
if "$GEN" --village "$V" --count 5000 --seed 7 >"$T/gen.jsonl" 2>"$T/err"; then ok "lumbung-gen writes 5,000 records"; else
	fail "lumbung-gen writes 5,000 records ($(cat "$T/err"))"
fi
n=$(wc -l <"$T/gen.jsonl")
if [ "$n" -eq 5000 ]; then ok "lumbung-gen wrote 5,000 lines"; else fail "lumbung-gen wrote 5,000 lines (got $n)"; fi
ntypes=$(sed -n 's/^{"type":"\([a-z_]*\)".*/\1/p' "$T/gen.jsonl" | sort -u | wc -l)
if [ "$ntypes" -ge 6 ]; then ok "the generated records span $ntypes types"; else fail "the generated records span 6 types (got $ntypes)"; fi
expect_exit 0 "put --batch of 5,000 generated records passes the schema" lb put -d "$G" --batch "$T/gen.jsonl"
contains "$T/out" "imported 5000 records" "all 5,000 imported"
expect_exit 0 "verify passes (re-checks every entry against its schema)" lb verify -d "$G"
lb verify -d "$G" --json >"$T/out" 2>&1
if grep -q '"ok":true,.*"entries":5000,' "$T/out"; then ok "verify --json: ok, 5,000 entries"; else
	fail "verify --json: ok, 5,000 entries ($(cut -c1-300 "$T/out"))"
fi

# ---- log --json records the schema version -------------------------------------

lb log -d "$G" --json >"$T/log.json" 2>"$T/err"
if "$PY" -c '
import json, sys
n = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    assert e["schema"] == 2, e
    n += 1
assert n == 5000, n
' "$T/log.json" 2>"$T/py"; then ok "log --json shows \"schema\":2 (the newest) on all 5,000 entries"; else
	fail "log --json shows \"schema\":2 (the newest) on all 5,000 entries ($(cat "$T/py"))"
fi
lb log -d "$D" --json >"$T/log.json" 2>"$T/err"
if "$PY" -c '
import json, sys
es = [json.loads(l) for l in open(sys.argv[1])]
assert es and all(e["schema"] == 2 for e in es), es[:2]
dels = [e for e in es if e["op"] == "del"]
assert dels and all(e["schema"] == 2 for e in dels), dels
' "$T/log.json" 2>"$T/py"; then ok "log --json shows \"schema\":2 on puts and dels"; else
	fail "log --json shows \"schema\":2 on puts and dels ($(cat "$T/py"))"
fi
expect_exit 0 "final verify of the hand-written node" lb verify -d "$D"

done_testing
