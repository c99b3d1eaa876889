#!/bin/sh
# moves.sh — residents who move, on the village side: after a push the
# village asks the aggregator for the open offers of residents moving into
# it (GET /v1/villages/{code}/datang, proving its key), checks each entry
# (hash, seq, a valid penduduk put of that NIK, status pindah, pindah_ke
# this village) and keeps the good ones; `lumbung datang ls|terima|tolak`.
# First against a stub of the endpoint in front of a real aggregator
# (tests/tools/datangstub.py: offers built here from A's real entry, the
# hash computed with Python's hashlib), then end to end A -> B through the
# real aggregator: the move appears at B exactly once, is accepted, a second
# terima is refused, perkembangan counts it once each way; a move out of
# the region is a departure only.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR LUMBUNG_AGG_NOW_MS LUMBUNG_NOW_MS
TOOLS="$(cd "$(dirname "$0")/../tools" && pwd)"
export TZ=UTC
STUB_PID=""
trap '[ -n "$STUB_PID" ] && kill "$STUB_PID" 2>/dev/null; _agg_cleanup' EXIT

CA=33.24.01.2001
CB=33.24.01.2002
X=3324014101900001 # moves A -> B
Y=3324014101900002 # lives in B already
L() { "$LUMBUNG" "$@"; }
person() { # DIR NIK NAMA [field=value...]  (the NIKs here are women's born 01-01-1990)
	d=$1 nik=$2 nama=$3
	shift 3
	L put -d "$d" penduduk "$nik" nik="$nik" no_kk=3324010000000001 nama="$nama" \
		tanggal_lahir=1990-01-01 jenis_kelamin=P status=hidup "$@" >/dev/null
}

A="$T/agg"
AK=$(agg init -d "$A" --region 33.24) || fail "agg init"
start_agg "$A"
for v in a:$CA b:$CB; do
	L init -d "$T/${v%%:*}" --village "${v#*:}" >/dev/null 2>&1
	agg enroll -d "$A" --village "${v#*:}" --key "$(origin "$T/${v%%:*}")" >/dev/null
done

# --- the stub ------------------------------------------------------------------
echo '{}' >"$T/offers.json"
: >"$T/stub.log"
python3 "$TOOLS/datangstub.py" "$URL" "$T/offers.json" "$T/stub.log" >"$T/stub.out" 2>"$T/stub.err" &
STUB_PID=$!
wait_for 10 grep -q listening "$T/stub.out" || fail "stub did not start: $(cat "$T/stub.err")"
SURL="http://$(sed -n 's/^listening on //p' "$T/stub.out")"
L remote add -d "$T/a" kab "$SURL" --key "$AK" >/dev/null
L remote add -d "$T/b" kab "$SURL" --key "$AK" >/dev/null

person "$T/a" $X "Budi Santoso" dusun=Krajan
person "$T/b" $Y "Sri Wahyuni"
L put -d "$T/a" --merge penduduk $X status=pindah pindah_ke=$CB tanggal_pindah=2026-05-02 >/dev/null ||
	fail "A: the move"
L export-log -d "$T/a" >"$T/a.lla" || fail "A: export-log"

# offer FILE SEQ [how] — the offers file for B with A's entry SEQ as the
# offer of X; how: ok | badhash | seq | twice
offer() {
	python3 - "$T/a.lla" "$2" "${3:-ok}" "$CA" "$CB" "$X" >"$1" <<'PY'
import hashlib, json, os, sys
sys.path.insert(0, os.environ["TOOLS"])
import llatool
path, seq, how, ca, cb, nik = sys.argv[1], int(sys.argv[2]), sys.argv[3], *sys.argv[4:]
fr = llatool.read(path)
e = fr[llatool.entry_index(fr, seq)].data()
h = hashlib.blake2b(e, digest_size=32).hexdigest()
o = {"nik": nik, "from": ca, "seq": seq, "hash": h, "entry": e.hex()}
if how == "badhash":
    o["hash"] = hashlib.blake2b(e + b"x", digest_size=32).hexdigest()
if how == "seq":
    o["seq"] = seq + 1
offers = [o, dict(o)] if how == "twice" else [o]
print(json.dumps({cb: {"offers": offers}}))
PY
}
export TOOLS
SEQ_X=$(seq_of "$T/a")
H_X=$(python3 -c '
import hashlib, os, sys
sys.path.insert(0, os.environ["TOOLS"])
import llatool
fr = llatool.read(sys.argv[1])
print(hashlib.blake2b(fr[llatool.entry_index(fr, int(sys.argv[2]))].data(), digest_size=32).hexdigest())' "$T/a.lla" "$SEQ_X")

expect_exit 0 "B: push with no offers" L push -d "$T/b"
grep -q "^$CB proof$" "$T/stub.log" && ok "after the push B asked for its offers, proving its key" ||
	fail "B did not ask (stub log: $(cat "$T/stub.log"))"
expect_exit 0 "datang ls with nothing offered" L datang ls -d "$T/b"
contains "$T/out" "no residents moving here" "ls says nothing is offered"

# hostile offers: each refused with a warning, the push still succeeds
for how in badhash seq; do
	offer "$T/offers.json" "$SEQ_X" "$how"
	expect_exit 0 "an offer with a wrong $how: the push still succeeds" L push -d "$T/b"
	contains "$T/err" "refused" "an offer with a wrong $how is refused on stderr"
	L datang ls -d "$T/b" --json >"$T/ls.json"
	python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["offers"] == []' "$T/ls.json" &&
		ok "an offer with a wrong $how is not kept" || fail "an offer with a wrong $how was kept"
done
# A's entry 1 is X's record before the move: status hidup
python3 - "$T/a.lla" "$CA" "$CB" "$X" >"$T/offers.json" <<'PY'
import hashlib, json, os, sys
sys.path.insert(0, os.environ["TOOLS"])
import llatool
fr = llatool.read(sys.argv[1])
e = fr[llatool.entry_index(fr, 1)].data()
print(json.dumps({sys.argv[3]: {"offers": [{"nik": sys.argv[4], "from": sys.argv[2], "seq": 1,
      "hash": hashlib.blake2b(e, digest_size=32).hexdigest(), "entry": e.hex()}]}}))
PY
expect_exit 0 "an offered entry that is not a move: the push still succeeds" L push -d "$T/b"
contains "$T/err" "status is not pindah" "an entry that is not a move is refused, saying why"
echo "{\"$CB\": {\"status\": 500, \"message\": \"boom\"}}" >"$T/offers.json"
expect_exit 0 "the datang endpoint answering 500: the push still succeeds" L push -d "$T/b"
contains "$T/err" "not fetched" "a failed fetch is reported on stderr"
echo "{\"$CB\": \"{\\\"offers\\\": 7}\"}" >"$T/offers.json"
expect_exit 0 "a malformed datang answer: the push still succeeds" L push -d "$T/b"
contains "$T/err" "not {\"offers\"" "a malformed answer is named on stderr"

# the real offer
offer "$T/offers.json" "$SEQ_X" twice
expect_exit 0 "B: push with X offered (listed twice)" L push -d "$T/b"
contains "$T/out" "1 offered (1 new" "push says one resident is offered"
expect_exit 0 "datang ls" L datang ls -d "$T/b"
[ "$(grep -c "^$X " "$T/out")" -eq 1 ] && ok "X is listed exactly once" || fail "ls: $(cat "$T/out")"
grep "^$X " "$T/out" | grep -q "Budi Santoso .* $CA  2026-05-02" && ok "ls shows nama, the village left and tanggal_pindah" ||
	fail "ls row: $(cat "$T/out")"
L datang ls -d "$T/b" --json >"$T/ls.json"
python3 - "$T/ls.json" "$X" "$CA" "$SEQ_X" "$H_X" <<'PY' && ok "ls --json: nik, from, seq, hash and the record" || fail "ls --json: $(cat "$T/ls.json")"
import json, sys
o = json.load(open(sys.argv[1]))["offers"]
assert len(o) == 1 and o[0]["nik"] == sys.argv[2] and o[0]["from"] == sys.argv[3], o
assert o[0]["seq"] == int(sys.argv[4]) and o[0]["hash"] == sys.argv[5], o
assert o[0]["record"]["dusun"] == "Krajan" and o[0]["record"]["pindah_ke"] == "33.24.01.2002", o
PY
expect_exit 0 "a second push keeps the offer as it is" L push -d "$T/b"
[ "$(L datang ls -d "$T/b" | grep -c "^$X ")" -eq 1 ] && ok "still listed exactly once" || fail "listed again"

# terima: refused changes first
expect_exit 3 "terima refuses to change datang_dari" L datang terima -d "$T/b" $X datang_dari=33.24.01.2003
contains "$T/err" "comes from the offer" "the refusal says why"
expect_exit 10 "terima with a bad rt (schema) writes nothing" L datang terima -d "$T/b" $X rt=12345
[ "$(L datang ls -d "$T/b" | grep -c "^$X ")" -eq 1 ] && ok "the offer is still there after a refused terima" || fail "offer lost"
B_SEQ=$(seq_of "$T/b")
expect_exit 0 "datang terima X dusun=Sukamaju rt=003" L datang terima -d "$T/b" $X dusun=Sukamaju rt=003 rw=002
[ "$(seq_of "$T/b")" -eq $((B_SEQ + 1)) ] && ok "terima wrote one entry" || fail "seq $(seq_of "$T/b") after $B_SEQ"
L get -d "$T/b" penduduk $X >"$T/x.json"
python3 - "$T/x.json" "$CA" "$SEQ_X" "$H_X" <<'PY' && ok "the resident in B: offered body, status hidup, no pindah fields, the changes, datang_* naming A's entry" || fail "record: $(cat "$T/x.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["status"] == "hidup" and "pindah_ke" not in r and "tanggal_pindah" not in r, r
assert r["dusun"] == "Sukamaju" and r["rt"] == "003" and r["rw"] == "002", r
assert r["nama"] == "Budi Santoso" and r["tanggal_lahir"] == "1990-01-01", r
assert r["datang_dari"] == sys.argv[2] and r["datang_seq"] == int(sys.argv[3]), r
assert r["datang_hash"] == sys.argv[4], r
PY
expect_exit 0 "ls after terima" L datang ls -d "$T/b"
contains "$T/out" "no residents moving here" "the offer is dropped with the terima"
expect_exit 1 "a second terima is refused" L datang terima -d "$T/b" $X
contains "$T/err" "no offer" "the second terima says there is no offer"
# the stub still lists it (the aggregator has not seen B's entry): not offered again
expect_exit 0 "push while the aggregator still lists the taken offer" L push -d "$T/b"
expect_exit 0 "ls" L datang ls -d "$T/b"
contains "$T/out" "no residents moving here" "an offer taken here is not kept again"

# an offer of a NIK living here already: listed, terima refused, tolak drops it
L export-log -d "$T/b" >/dev/null
L put -d "$T/a" penduduk $Y nik=$Y no_kk=3324010000000001 nama="Sri Wahyuni" tanggal_lahir=1990-01-01 \
	jenis_kelamin=P status=pindah pindah_ke=$CB >/dev/null || fail "A: Y"
L export-log -d "$T/a" >"$T/a.lla"
SEQ_Y=$(seq_of "$T/a")
python3 - "$T/a.lla" "$SEQ_Y" "$CA" "$CB" "$Y" >"$T/offers.json" <<'PY'
import hashlib, json, os, sys
sys.path.insert(0, os.environ["TOOLS"])
import llatool
fr = llatool.read(sys.argv[1])
e = fr[llatool.entry_index(fr, int(sys.argv[2]))].data()
print(json.dumps({sys.argv[4]: {"offers": [{"nik": sys.argv[5], "from": sys.argv[3],
      "seq": int(sys.argv[2]), "hash": hashlib.blake2b(e, digest_size=32).hexdigest(),
      "entry": e.hex()}]}}))
PY
expect_exit 0 "push with an offer of a NIK already living here" L push -d "$T/b"
expect_exit 7 "terima of a NIK already living here is refused" L datang terima -d "$T/b" $Y
contains "$T/err" "already a resident" "the refusal names the reason"
L get -d "$T/b" penduduk $Y | grep -q '"status": *"hidup"' && ok "B's own record of that NIK is untouched" || fail "Y changed"
expect_exit 0 "datang tolak" L datang tolak -d "$T/b" $Y
expect_exit 0 "ls after tolak" L datang ls -d "$T/b"
contains "$T/out" "no residents moving here" "tolak dropped the offer"
expect_exit 1 "tolak of no offer" L datang tolak -d "$T/b" $Y
# an offer the aggregator no longer lists is dropped at the next push
expect_exit 0 "push: offered again" L push -d "$T/b"
echo '{}' >"$T/offers.json"
expect_exit 0 "push: no longer offered" L push -d "$T/b"
contains "$T/out" "1 no longer offered" "push says an offer was withdrawn"
expect_exit 0 "ls" L datang ls -d "$T/b"
contains "$T/out" "no residents moving here" "an offer no longer listed is dropped"
# sync asks after its rounds too
python3 - "$T/a.lla" "$SEQ_Y" "$CA" "$CB" "$Y" >"$T/offers.json" <<'PY'
import hashlib, json, os, sys
sys.path.insert(0, os.environ["TOOLS"])
import llatool
fr = llatool.read(sys.argv[1])
e = fr[llatool.entry_index(fr, int(sys.argv[2]))].data()
print(json.dumps({sys.argv[4]: {"offers": [{"nik": sys.argv[5], "from": sys.argv[3],
      "seq": int(sys.argv[2]), "hash": hashlib.blake2b(e, digest_size=32).hexdigest(),
      "entry": e.hex()}]}}))
PY
L sync -d "$T/b" --every 1 >"$T/sync.out" 2>&1 &
SYNC_PID=$!
wait_for 20 sh -c '"$1" datang ls -d "$2" | grep -q "^$3 "' - "$LUMBUNG" "$T/b" $Y &&
	ok "sync fetches the offers after its round" || fail "sync: $(tail -3 "$T/sync.out")"
kill "$SYNC_PID" 2>/dev/null
wait "$SYNC_PID" 2>/dev/null
expect_exit 0 "B verifies" L verify -d "$T/b"
kill "$STUB_PID" 2>/dev/null
wait "$STUB_PID" 2>/dev/null
STUB_PID=""

# --- end to end through the real aggregator ------------------------------------
CE=33.24.01.2003 # A
CF=33.24.01.2004 # B
CG=33.24.02.2001 # another village of the region
X2=3324014101900003 # moves A -> B
Z=3324014101900004  # moves out of the region
ms() { echo "$(($(date -u -d "$1" +%s) * 1000))"; }
at() { t=$(ms "$1"); shift; LUMBUNG_NOW_MS=$t "$LUMBUNG" "$@"; }
for v in e:$CE f:$CF g:$CG; do
	L init -d "$T/${v%%:*}" --village "${v#*:}" >/dev/null 2>&1
	agg enroll -d "$A" --village "${v#*:}" --key "$(origin "$T/${v%%:*}")" >/dev/null
	L remote add -d "$T/${v%%:*}" kab "$URL" --key "$AK" >/dev/null
done
export LUMBUNG_NOW_MS
LUMBUNG_NOW_MS=$(ms 2026-04-10T08:00:00Z)
person "$T/e" $X2 "Joko Widodo" dusun=Krajan
person "$T/e" $Z "Ani Lestari"
person "$T/f" 3324014101900005 "Wati"
person "$T/g" 3324024101900006 "Tono"
LUMBUNG_NOW_MS=$(ms 2026-05-05T08:00:00Z)
L put -d "$T/e" --merge penduduk $X2 status=pindah pindah_ke=$CF tanggal_pindah=2026-05-05 >/dev/null ||
	fail "A: X2 moves to B"
L put -d "$T/e" --merge penduduk $Z status=pindah pindah_ke=35.01.01.2001 tanggal_pindah=2026-05-05 >/dev/null ||
	fail "A: Z moves out of the region"
unset LUMBUNG_NOW_MS
for n in e f g; do expect_exit 0 "e2e: village $n pushes" L push -d "$T/$n"; done
L datang ls -d "$T/f" --json >"$T/f.json"
python3 - "$T/f.json" "$X2" "$CE" <<'PY' && ok "e2e: the move appears at B exactly once, from A" || fail "e2e: B's offers: $(cat "$T/f.json")"
import json, sys
o = json.load(open(sys.argv[1]))["offers"]
assert [x["nik"] for x in o] == [sys.argv[2]] and o[0]["from"] == sys.argv[3], o
PY
L datang ls -d "$T/g" --json >"$T/g.json"
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["offers"] == []' "$T/g.json" &&
	ok "e2e: nothing is offered to another village, nor the move out of the region" || fail "e2e: G: $(cat "$T/g.json")"
expect_exit 0 "e2e: B pushes again" L push -d "$T/f"
[ "$(L datang ls -d "$T/f" | grep -c "^$X2 ")" -eq 1 ] && ok "e2e: still exactly once" || fail "e2e: listed again"
expect_exit 0 "e2e: B accepts X2" at 2026-05-06T08:00:00Z datang terima -d "$T/f" $X2 rt=004
expect_exit 1 "e2e: a second terima is refused" L datang terima -d "$T/f" $X2
expect_exit 0 "e2e: B pushes the arrival" L push -d "$T/f"
expect_exit 0 "e2e: B pushes once more" L push -d "$T/f"
expect_exit 0 "e2e: ls" L datang ls -d "$T/f"
contains "$T/out" "no residents moving here" "e2e: the aggregator no longer offers the taken move"
expect_exit 0 "e2e: B verifies" L verify -d "$T/f"
agg report perkembangan -d "$A" --month 2026-05 --json >"$T/pk.json" || fail "e2e: perkembangan"
python3 - "$T/pk.json" "$CE" "$CF" "$CG" <<'PY' >"$T/cmp" 2>&1 && ok "e2e: perkembangan counts the move once as a departure from A and once as an arrival in B; the move out of the region a departure only" || fail "e2e: perkembangan: $(tail -3 "$T/cmp")"
import json, sys
v = {r["village"]: r for r in json.load(open(sys.argv[1]))["villages"]}
a, b, g = v[sys.argv[2]], v[sys.argv[3]], v[sys.argv[4]]
assert (a["pindah"], a["datang"]) == (2, 0), a
assert (b["pindah"], b["datang"]) == (0, 1), b
assert (g["pindah"], g["datang"]) == (0, 0), g
PY
agg report nik-ganda -d "$A" --json >"$T/ng.json" || fail "e2e: nik-ganda"
grep -q "$X2" "$T/ng.json" && fail "e2e: nik-ganda flags the completed move: $(cat "$T/ng.json")" ||
	ok "e2e: nik-ganda does not flag the completed move"

done_testing
