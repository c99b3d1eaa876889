#!/bin/sh
# catalogue_agg.sh — the aggregator's catalogue (issue 11): written at the
# kabupaten with lumbung-agg catalogue put|rm|ls|import, served at
# GET /v1/catalogues and /v1/catalogues/{region}/log as a log that
# lumbung-audit verifies against the kabupaten's key; a kecamatan pulls it
# on its forward pass into a replica and serves it on; a rolled-back or
# forked upstream catalogue is refused there and the last good one kept;
# bantuan at the kabupaten adds a catalogue programme up across villages.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR
AUDIT="$BUILD/lumbung-audit"
lb() { "$LUMBUNG" "$@"; }
PIDS=""
cleanup() {
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

# serve NAME DIR — start `lumbung-agg serve`; sets NAME_URL
serve() {
	_sv=$1 _sd=$2
	shift 2
	: >"$T/$_sv.out"
	"$AGG_BIN" serve -d "$_sd" --listen 127.0.0.1:0 "$@" >"$T/$_sv.out" 2>>"$T/$_sv.log" &
	PIDS="$PIDS $!"
	wait_for 10 grep -q "listening on" "$T/$_sv.out" ||
		{ fail "$_sv did not start: $(tail -3 "$T/$_sv.log")"; exit 1; }
	eval "${_sv}_URL=http://127.0.0.1:$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$T/$_sv.out")"
}

# fetch URL FILE — GET into FILE; prints the status
fetch() {
	python3 - "$1" "$2" <<'EOF'
import sys, urllib.request, urllib.error
try:
    r = urllib.request.urlopen(sys.argv[1], timeout=30)
    code, body = r.status, r.read()
except urllib.error.HTTPError as e:
    code, body = e.code, e.read()
open(sys.argv[2], "wb").write(body)
print(code)
EOF
}

# listed FILE REGION FIELD — a field of a catalogue in a /v1/catalogues answer
listed() {
	python3 -c '
import json, sys
for c in json.load(open(sys.argv[1]))["catalogues"]:
    if c["region"] == sys.argv[2]: print(c[sys.argv[3]])' "$1" "$2" "$3"
}

KAB="$T/kab" KEC="$T/kec"
KABK=$(agg init -d "$KAB" --region 33.24) || fail "kabupaten init"
check "init makes the kabupaten's catalogue" test -s "$KAB/catalogue/data.mdb"

# --- writing the catalogue ------------------------------------------------
expect_exit 0 "catalogue put program" agg catalogue put -d "$KAB" program BLT-DD-2026 \
	kode=BLT-DD-2026 "nama=BLT Dana Desa 2026" bidang=sosial sumber_dana=apbn \
	anggaran:=300000000 tahun:=2026 target_penerima:=120
expect_exit 0 "catalogue put wilayah (a kecamatan of the region)" agg catalogue put -d "$KAB" \
	wilayah 33.24.01 kode=33.24.01 nama=Kaliwungu tingkat=kecamatan
expect_exit 3 "a wilayah outside the region is refused" agg catalogue put -d "$KAB" \
	wilayah 33.25.01 kode=33.25.01 nama=Lain tingkat=kecamatan
contains "$T/err" "33.25.01" "the refusal names the code"
expect_exit 2 "a type a catalogue does not hold is refused" agg catalogue put -d "$KAB" \
	penduduk 3324011503850001 nama=X
expect_exit 10 "the node's typing rules apply (a required field missing)" agg catalogue put \
	-d "$KAB" program X-1 kode=X-1 nama=X
printf 'kode,nama,bidang,anggaran,tahun,target_penerima\nPKH-2026,Program Keluarga Harapan,sosial,500000000,2026,200\nSEMBAKO-2026,Bantuan Sembako,sosial,150000000,2026,80\n' >"$T/prog.csv"
expect_exit 0 "catalogue import of a programme CSV" agg catalogue import -d "$KAB" program "$T/prog.csv"
printf 'kode,nama,tingkat\n33.24.01.2001,Desa Satu,desa\n33.99.01.2001,Desa Luar,desa\n' >"$T/wil.csv"
expect_exit 3 "a wilayah CSV with a row outside the region imports nothing" \
	agg catalogue import -d "$KAB" wilayah "$T/wil.csv"
contains "$T/err" "row 3" "the refusal names the row"
agg catalogue ls -d "$KAB" wilayah >"$T/out"
[ "$(cat "$T/out")" = "33.24.01" ] && ok "nothing of the refused CSV was written" ||
	fail "wilayah after the refused import: $(cat "$T/out")"
expect_exit 0 "catalogue rm" agg catalogue rm -d "$KAB" program SEMBAKO-2026
agg catalogue ls -d "$KAB" program >"$T/out"
[ "$(tr '\n' ' ' <"$T/out")" = "BLT-DD-2026 PKH-2026 " ] && ok "catalogue ls lists the live programmes" ||
	fail "catalogue ls: $(cat "$T/out")"
expect_exit 0 "catalogue get" agg catalogue get -d "$KAB" program PKH-2026
contains "$T/out" '"anggaran":500000000' "get prints the typed body"
expect_exit 0 "catalogue export" sh -c "'$AGG_BIN' catalogue export -d '$KAB' >'$T/cat.lla'"
expect_exit 0 "lumbung-audit verifies the exported catalogue with the kabupaten's key" \
	"$AUDIT" verify "$T/cat.lla" --key "$KABK"
SEQ=5 # 2 puts, 2 imported, 1 rm

# a copy of the kabupaten as it is now: later served as a rolled-back upstream
cp -a "$KAB" "$T/kabold"
expect_exit 0 "one more programme" agg catalogue put -d "$KAB" program BSU-2026 kode=BSU-2026 \
	"nama=Bantuan Subsidi Upah" bidang=ekonomi anggaran:=90000000 tahun:=2026
SEQ=6

# --- the endpoints ------------------------------------------------------------
serve kab "$KAB"
[ "$(fetch "$kab_URL/v1/catalogues" "$T/list.json")" = 200 ] && ok "GET /v1/catalogues" ||
	fail "GET /v1/catalogues: $(cat "$T/list.json")"
[ "$(listed "$T/list.json" 33.24 key)" = "$KABK" ] && [ "$(listed "$T/list.json" 33.24 seq)" = $SEQ ] &&
	ok "it names the kabupaten's catalogue, its key and seq" || fail "list: $(cat "$T/list.json")"
[ "$(fetch "$kab_URL/v1/catalogues/33.24/log?from=1" "$T/served.lla")" = 200 ] &&
	ok "GET /v1/catalogues/33.24/log?from=1" || fail "log: $(cat "$T/served.lla")"
expect_exit 0 "the served log verifies with lumbung-audit against the kabupaten's key" \
	"$AUDIT" verify "$T/served.lla" --key "$KABK"
contains "$T/out" "entries   $SEQ, seq 1..$SEQ" "with every entry"
expect_exit 13 "and not against another key" "$AUDIT" verify "$T/served.lla" --key "$(agg init -d "$T/other" --region 33.24)"
[ "$(fetch "$kab_URL/v1/catalogues/33.24/log?from=$SEQ" "$T/tail.lla")" = 200 ] &&
	ok "a tail from the last seq" || fail "tail: $(cat "$T/tail.lla")"
[ "$(fetch "$kab_URL/v1/catalogues/33.24/log?from=$((SEQ + 2))" "$T/x")" = 400 ] &&
	ok "from past seq+1 is a 400" || fail "from past the end: $(cat "$T/x")"
[ "$(fetch "$kab_URL/v1/catalogues/33.25/log" "$T/x")" = 404 ] && ok "an unknown region is a 404" ||
	fail "unknown region: $(cat "$T/x")"
[ "$(fetch "$kab_URL/v1/catalogues/abc/log" "$T/x")" = 400 ] &&
	[ "$(fetch "$kab_URL/v1/catalogues/33.24.01.2001/log" "$T/y")" = 400 ] &&
	ok "a region that is no kabupaten or kecamatan code is a 400" ||
	fail "bad region: $(cat "$T/x" "$T/y")"
[ "$(fetch "$kab_URL/v1/catalogues/33.24/log?from=abc" "$T/x")" = 400 ] &&
	ok "from=abc is a 400" || fail "from=abc: $(cat "$T/x")"

# --- a kecamatan relays the kabupaten's catalogue ---------------------------------
KECK=$(agg init -d "$KEC" --region 33.24.01) || fail "kecamatan init"
check "the kecamatan names its own villages in its catalogue" agg catalogue put -d "$KEC" \
	wilayah 33.24.01.2001 kode=33.24.01.2001 "nama=Desa Satu" tingkat=desa
check "the kabupaten trusts the kecamatan" agg enroll-aggregator -d "$KAB" --region 33.24.01 --key "$KECK"
check "upstream add kab" agg upstream add -d "$KEC" kab "$kab_URL" --key "$KABK"
expect_exit 0 "a forward pass" agg forward -d "$KEC"
contains "$T/out" "upstream catalogues updated ($SEQ entries)" "pulls the kabupaten's catalogue"
agg catalogue ls -d "$KEC" --region 33.24 program >"$T/out" 2>"$T/err"
[ "$(tr '\n' ' ' <"$T/out")" = "BLT-DD-2026 BSU-2026 PKH-2026 " ] &&
	ok "the kecamatan holds the kabupaten's programmes" || fail "relayed ls: $(cat "$T/out" "$T/err")"
check "the relayed replica holds no secret key" test ! -e "$KEC/catalogues/33.24/node.key"
expect_exit 0 "a second pass changes nothing" agg forward -d "$KEC"
serve kec "$KEC"
fetch "$kec_URL/v1/catalogues" "$T/klist.json" >/dev/null
[ "$(listed "$T/klist.json" 33.24 key)" = "$KABK" ] && [ "$(listed "$T/klist.json" 33.24.01 key)" = "$KECK" ] &&
	ok "the kecamatan lists its own catalogue and the kabupaten's" || fail "kecamatan list: $(cat "$T/klist.json")"
[ "$(fetch "$kec_URL/v1/catalogues/33.24/log?from=1" "$T/relayed.lla")" = 200 ] &&
	ok "the kecamatan serves the kabupaten's log" || fail "relayed log: $(cat "$T/relayed.lla")"
expect_exit 0 "which verifies against the kabupaten's key" "$AUDIT" verify "$T/relayed.lla" --key "$KABK"
check "byte for byte the kabupaten's log" cmp -s "$T/relayed.lla" "$T/served.lla"
[ "$(fetch "$kec_URL/v1/catalogues/33.24.01/log" "$T/own.lla")" = 200 ] &&
	"$AUDIT" verify "$T/own.lla" --key "$KECK" >/dev/null 2>&1 &&
	ok "and its own catalogue, signed by the kecamatan's key" || fail "kecamatan's own log"

# --- a rolled-back, a forked and a foreign upstream catalogue -----------------
serve old "$T/kabold"
agg upstream rm -d "$KEC" kab >/dev/null
check "the kecamatan now points at the old copy" agg upstream add -d "$KEC" kab "$old_URL" --key "$KABK"
expect_exit 0 "a forward pass to the rolled-back copy" agg forward -d "$KEC"
contains "$T/out" "rollback" "refuses the rolled-back catalogue"
contains "$T/out" "the last good one (seq $SEQ) is kept" "and says the last good one is kept"
[ "$(agg catalogue ls -d "$KEC" --region 33.24 program | tr '\n' ' ')" = "BLT-DD-2026 BSU-2026 PKH-2026 " ] &&
	ok "the kecamatan still holds the newer catalogue" || fail "after the rollback"
# the old copy writes on (the same key): another history from seq 6
kill -TERM $(echo "$PIDS" | awk '{print $NF}') 2>/dev/null
sleep 0.3
agg catalogue put -d "$T/kabold" program LAIN-1 kode=LAIN-1 nama=Lain bidang=sosial \
	anggaran:=1 tahun:=2026 >/dev/null &&
	agg catalogue put -d "$T/kabold" program LAIN-2 kode=LAIN-2 nama=Lain bidang=sosial \
		anggaran:=1 tahun:=2026 >/dev/null || fail "writing the fork"
serve old "$T/kabold"
agg upstream rm -d "$KEC" kab >/dev/null
agg upstream add -d "$KEC" kab "$old_URL" --key "$KABK" >/dev/null
expect_exit 0 "a forward pass to the forked copy" agg forward -d "$KEC"
contains "$T/out" "catalogue 33.24 refused" "refuses the forked catalogue"
[ "$(agg catalogue ls -d "$KEC" --region 33.24 program | tr '\n' ' ')" = "BLT-DD-2026 BSU-2026 PKH-2026 " ] &&
	ok "the kecamatan still holds the good catalogue after the fork" || fail "after the fork"
# an upstream serving a catalogue of 33.24 under another key: not taken
serve other "$T/other"
agg catalogue put -d "$T/other" program FAKE kode=FAKE nama=Palsu bidang=sosial anggaran:=1 \
	tahun:=2026 >/dev/null 2>&1
agg upstream rm -d "$KEC" kab >/dev/null
agg upstream add -d "$KEC" kab "$other_URL" --key "$KABK" >/dev/null
expect_exit 0 "a forward pass to an aggregator with another key" agg forward -d "$KEC"
[ "$(agg catalogue ls -d "$KEC" --region 33.24 program | tr '\n' ' ')" = "BLT-DD-2026 BSU-2026 PKH-2026 " ] &&
	ok "a catalogue not signed by the pinned key is not taken" || fail "after the foreign key"

# --- bantuan adds a catalogue programme up across villages ------------------
# Two villages' penerima name BLT-DD-2026.  Each village also holds a
# program record of that code (the village's reference check), yet the
# report counts the programme as the catalogue's.
for i in 1 2; do
	V="$T/v$i" C="33.24.0$i.2001"
	lb init -d "$V" --village "$C" >/dev/null 2>&1 || fail "village $i init"
	lb put -d "$V" program BLT-DD-2026 kode=BLT-DD-2026 "nama=BLT (desa $i)" bidang=sosial \
		anggaran:=1000 tahun:=2026 >/dev/null || fail "village $i program"
	agg enroll -d "$KAB" --village "$C" --key "$(origin "$V")" >/dev/null || fail "enrol $i"
	lb remote add -d "$V" kab "$kab_URL" --key "$KABK" >/dev/null || fail "remote $i"
done
lb put -d "$T/v1" penerima P1 program=BLT-DD-2026 nik=3324011503850001 tanggal=2026-03-01 \
	bentuk=uang nilai:=300000 status=disalurkan >/dev/null || fail "penerima 1"
lb put -d "$T/v1" penerima P2 program=BLT-DD-2026 nik=3324011604860002 tanggal=2026-03-01 \
	bentuk=uang nilai:=300000 status=diusulkan >/dev/null || fail "penerima 2"
lb put -d "$T/v2" penerima Q1 program=BLT-DD-2026 nik=3324021703870003 tanggal=2026-03-02 \
	bentuk=uang nilai:=250000 status=disalurkan >/dev/null || fail "penerima 3"
lb put -d "$T/v2" program DESA-2 kode=DESA-2 "nama=Program desa" bidang=sosial anggaran:=7 \
	tahun:=2026 >/dev/null && lb put -d "$T/v2" penerima Q2 program=DESA-2 \
	nik=3324021703870003 tanggal=2026-03-02 bentuk=barang status=disalurkan >/dev/null ||
	fail "village 2's own programme"
expect_exit 0 "village 1 pushes" lb push -d "$T/v1" --to kab
expect_exit 0 "village 2 pushes" lb push -d "$T/v2" --to kab
expect_exit 0 "report bantuan --json" agg report bantuan -d "$KAB" --json
python3 - "$T/out" <<'EOF' >"$T/check" 2>&1
import json, sys
d = json.load(open(sys.argv[1]))
tot = [r for r in d["total"] if r.get("program") == "BLT-DD-2026"]
assert len(tot) == 1, ("one total row for the catalogue programme", d["total"])
t = tot[0]
want = {"penerima": 3, "disalurkan": 2, "nik": 3, "nilai": 850000,
        "anggaran": 300000000, "target": 120, "nama_program": "BLT Dana Desa 2026", "tahun": "2026"}
for k, v in want.items():
    assert t[k] == v, (k, t[k], v)
rest = [r for r in d["total"] if "program" not in r]
assert len(rest) == 1 and rest[0]["penerima"] == 1, ("the village's own programmes apart", rest)
kec = [r for r in d["kecamatan"] if r.get("program") == "BLT-DD-2026"]
assert sorted(r["penerima"] for r in kec) == [1, 2], kec
print("ok")
EOF
[ "$(cat "$T/check")" = ok ] && ok "bantuan: one total row for BLT-DD-2026 adding up both villages, named and budgeted from the catalogue" ||
	fail "bantuan: $(cat "$T/check")"
expect_exit 0 "report bantuan as a table" agg report bantuan -d "$KAB"
contains "$T/out" "BLT Dana Desa 2026" "the table names the catalogue programme"

done_testing
