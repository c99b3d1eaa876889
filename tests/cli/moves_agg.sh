#!/bin/sh
# moves_agg.sh — residents who move, at the aggregator (lumbung-agg serve on
# loopback, real pushes).  Village A marks a resident pindah to village B of
# the region: the aggregator offers A's signed entry to B at
# GET /v1/villages/B/datang (B's proof of its key or an office token
# covering B; 401/403 otherwise; logged); B's resident naming datang_dari A,
# datang_seq and datang_hash takes the offer; perkembangan counts one
# departure from A and one arrival in B; nik-ganda does not flag the NIK.
# A move out of the region is a departure only.  Known answers come from
# the villages' own logs, read by Python here, never from the aggregator's
# code.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR LUMBUNG_TOKEN LUMBUNG_NOW_MS LUMBUNG_AGG_NO_FIGURES
export TZ=UTC

TOOLS="$(cd "$(dirname "$0")/.." && pwd)/tools"
SIGN="$BUILD/sign-proof"
VA=33.24.01.2001
VB=33.24.02.2002
OUT=35.01.01.2001 # a village of another kabupaten
NIK=3324014101900001  # moves A -> B (a woman: 40 added to her birth day)
NIK2=3324010202910002 # moves out of the region
NIK3=3324014303920003 # lives in both A and B: a real double

ms() { echo "$(($(date -u -d "$1" +%s) * 1000))"; }
# at TIME lumbung ARGS... — a node command whose entries are dated TIME (UTC)
at() {
	t=$(ms "$1")
	shift
	LUMBUNG_NOW_MS=$t "$LUMBUNG" "$@" >>"$T/node.log" 2>&1
}
person() { # DIR TIME NIK NAMA SEX [field=value...]
	p_dir=$1 p_at=$2 p_nik=$3 p_nama=$4 p_sex=$5
	shift 5
	# the birth date the NIK holds (digits 7-12 DDMMYY, 40 added to a woman's day)
	p_dd=$(echo "$p_nik" | cut -c7-8) p_mm=$(echo "$p_nik" | cut -c9-10) p_yy=$(echo "$p_nik" | cut -c11-12)
	[ "${p_dd#0}" -gt 40 ] && p_dd=$(printf '%02d' $((${p_dd#0} - 40)))
	at "$p_at" put -d "$p_dir" penduduk "$p_nik" nik="$p_nik" no_kk=3324010101900099 \
		nama="$p_nama" tanggal_lahir="19$p_yy-$p_mm-$p_dd" jenis_kelamin="$p_sex" status=hidup "$@" ||
		fail "put $p_nik in $p_dir: $(tail -2 "$T/node.log")"
}
push() { "$LUMBUNG" push -d "$1" >>"$T/node.log" 2>&1; }

A="$T/agg"
AK=$(agg init -d "$A" --region 33.24) || fail "agg init"
KAB=$(agg token add -d "$A" --name "Bu Sari" --role kabupaten) || fail "token add kabupaten"
KEC1=$(agg token add -d "$A" --name "Camat 01" --role kecamatan:33.24.01) || fail "token add kec"
start_agg "$A"

for v in a:$VA b:$VB; do
	n=${v%%:*} code=${v#*:}
	"$LUMBUNG" init -d "$T/$n" --village "$code" >/dev/null 2>&1 &&
		agg enroll -d "$A" --village "$code" --key "$(origin "$T/$n")" >/dev/null &&
		"$LUMBUNG" remote add -d "$T/$n" kab "$URL" --key "$AK" >/dev/null 2>&1 ||
		fail "village $code made and enrolled"
done
person "$T/a" 2026-04-10T08:00:00Z $NIK "Siti Aminah" P
person "$T/a" 2026-04-10T08:01:00Z $NIK2 "Budi Santoso" L
person "$T/a" 2026-04-10T08:02:00Z $NIK3 "Dewi Lestari" P
person "$T/b" 2026-04-11T08:00:00Z 3324020101850004 "Agus Salim" L
person "$T/b" 2026-04-11T08:01:00Z $NIK3 "Dewi Lestari" P
check "A pushes" push "$T/a"
check "B pushes" push "$T/b"

# --- May: A marks NIK pindah to B, NIK2 pindah out of the region ------------
at 2026-05-05T09:00:00Z put -d "$T/a" --merge penduduk $NIK status=pindah pindah_ke=$VB \
	tanggal_pindah=2026-05-05 || fail "A: $NIK pindah to B"
at 2026-05-06T09:00:00Z put -d "$T/a" --merge penduduk $NIK2 status=pindah pindah_ke=$OUT \
	tanggal_pindah=2026-05-06 || fail "A: $NIK2 pindah out of the region"
check "A pushes the departures" push "$T/a"
"$LUMBUNG" log -d "$T/a" --json >"$T/a.log.jsonl"
# the departure's entry, from A's own log
python3 - "$T/a.log.jsonl" $NIK $VB >"$T/dep" <<'EOF' || fail "the departure is in A's log"
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["id"] == sys.argv[2] and e["op"] == "put" and e["body"].get("pindah_ke") == sys.argv[3]:
        print(e["seq"], e["hash"])
EOF
read -r DSEQ DHASH <"$T/dep"

# --- the endpoint -------------------------------------------------------------
getdatang() { # VILLAGE [HEADER] — status, then the body
	python3 - "$URL/v1/villages/$1/datang" "${2:-}" <<'EOF'
import sys, urllib.request, urllib.error
h = {}
if sys.argv[2]:
    k, v = sys.argv[2].split(": ", 1)
    h[k] = v
r = urllib.request.Request(sys.argv[1], headers=h)
try:
    with urllib.request.urlopen(r, timeout=30) as f:
        print(f.status); print(f.read().decode())
except urllib.error.HTTPError as e:
    print(e.code); print(e.read().decode())
EOF
}
proof() { # NODE_DIR VILLAGE — a proof by the node's key for reading VILLAGE's data
	python3 "$HTTP" GET "$URL/v1/challenge" | sed -n 2p >"$T/ch.json"
	_ch=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["challenge"])' "$T/ch.json")
	"$SIGN" "$1" "$AK" "$2" "$_ch"
}
# offers OUTFILE — check the one open offer: NIK from A at the departure's
# seq, with A's entry whose BLAKE2b-256 is the departure's hash
offer_ok() {
	python3 - "$1" $NIK $VA "$DSEQ" "$DHASH" >"$T/cmp" 2>&1 <<'EOF'
import hashlib, json, sys
lines = open(sys.argv[1]).read().split("\n", 1)
assert lines[0] == "200", lines
o = json.loads(lines[1])["offers"]
assert len(o) == 1, o
o = o[0]
assert (o["nik"], o["from"], o["seq"], o["hash"]) == (sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]), o
assert hashlib.blake2b(bytes.fromhex(o["entry"]), digest_size=32).hexdigest() == sys.argv[5], o
EOF
}

getdatang $VB >"$T/out"
contains "$T/out" "401" "datang without proof or token: 401"
getdatang $VB "X-Lumbung-Proof: $(proof "$T/b" $VB)" >"$T/out"
offer_ok "$T/out" && ok "B's proof: the one open offer, NIK from A with A's signed entry" ||
	fail "B's offers: $(tail -3 "$T/cmp")"
getdatang $VB "X-Lumbung-Proof: $(proof "$T/a" $VB)" >"$T/out"
contains "$T/out" "403" "A's key proving for B: 403"
contains "$T/out" "enrolled for village $VA" "the 403 says whose key it is"
getdatang $VB "X-Lumbung-Proof: $(proof "$T/b" $VB | sed 's/^\(.\{70\}\)./\1f/')" >"$T/out"
head -1 "$T/out" | grep -q '^40[03]$' && ok "an altered proof: refused" || fail "altered proof: $(head -c 200 "$T/out")"
getdatang $VB "Authorization: Bearer $KEC1" >"$T/out"
contains "$T/out" "403" "a token of another kecamatan: 403"
getdatang $VB "Authorization: Bearer $KAB" >"$T/out"
offer_ok "$T/out" && ok "the kabupaten's token: the same offer" || fail "KAB: $(tail -3 "$T/cmp")"
getdatang $VA "X-Lumbung-Proof: $(proof "$T/a" $VA)" >"$T/out"
contains "$T/out" '{"offers":[]}' "nothing is offered to A"
agg access-log -d "$A" >"$T/out"
contains "$T/out" "/v1/villages/$VB/datang" "reading the offers is in the access log"
contains "$T/out" "village key $(origin "$T/b" | cut -c1-16)" "the access log names B's key"

agg moves -d "$A" --json >"$T/moves.json"
python3 - "$T/moves.json" $NIK $VA $VB "$DSEQ" >"$T/cmp" 2>&1 <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))["moves"]
assert [(x["nik"], x["from"], x["to"], x["seq"], x["state"]) for x in m] == \
    [(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), "open")], m
EOF
[ $? -eq 0 ] && ok "lumbung-agg moves: one open move A -> B, none out of the region" ||
	fail "moves: $(tail -3 "$T/cmp")"

# --- B takes the resident (written directly, with the reference) ------------
person "$T/b" 2026-05-10T09:00:00Z $NIK "Siti Aminah" P dusun=Krajan \
	datang_dari=$VA datang_seq="$DSEQ" datang_hash="$DHASH"
check "B pushes the arrival" push "$T/b"
getdatang $VB "X-Lumbung-Proof: $(proof "$T/b" $VB)" >"$T/out"
contains "$T/out" '{"offers":[]}' "the offer is taken: no longer offered to B"
agg moves -d "$A" --village $VB --json >"$T/moves.json"
python3 - "$T/moves.json" >"$T/cmp" 2>&1 <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))["moves"]
assert [x["state"] for x in m] == ["taken"], m
EOF
[ $? -eq 0 ] && ok "lumbung-agg moves: the move is taken" || fail "taken: $(tail -3 "$T/cmp")"
agg moves -d "$A" >"$T/out"
contains "$T/out" "taken" "the table lists it too"
expect_exit 2 "moves --village with a bad code: usage error" agg moves -d "$A" --village 33.24

# --- reports ----------------------------------------------------------------
"$LUMBUNG" log -d "$T/a" --json >"$T/a.log.jsonl"
"$LUMBUNG" log -d "$T/b" --json >"$T/b.log.jsonl"
expect_exit 0 "report perkembangan --month 2026-05" agg report perkembangan -d "$A" --month 2026-05 --json
cp "$T/out" "$T/may.json"
python3 "$TOOLS/perkembangan_expect.py" 33.24 2026-05 0 "$VA=$T/a.log.jsonl" "$VB=$T/b.log.jsonl" \
	>"$T/may.expect" 2>"$T/py.err" || fail "perkembangan_expect.py: $(tail -2 "$T/py.err")"
python3 - "$T/may.json" "$T/may.expect" $VA $VB >"$T/cmp" 2>&1 <<'EOF'
import json, sys
got, want = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
g = {r["village"]: r for r in got["villages"]}
w = {r["village"]: r for r in want["villages"]}
for code, row in w.items():
    for k, v in row.items():
        assert g[code][k] == v, (code, k, g[code][k], v)
a, b = g[sys.argv[3]], g[sys.argv[4]]
# by hand: A loses two (one to B, one out of the region), B gains one
assert (a["pindah_p"], a["pindah_l"], a["datang"], a["lahir"]) == (1, 1, 0, 0), a
assert (b["datang_p"], b["datang_l"], b["pindah"], b["lahir"]) == (1, 0, 0, 0), b
assert got["total"][0]["pindah"] == 2 and got["total"][0]["datang"] == 1, got["total"]
EOF
[ $? -eq 0 ] && ok "perkembangan: the move is one departure from A and one arrival in B; out of the region a departure only" ||
	fail "perkembangan: $(tail -3 "$T/cmp")"
expect_exit 0 "report nik-ganda" agg report nik-ganda -d "$A" --json
python3 - "$T/out" $NIK $NIK3 >"$T/cmp" 2>&1 <<'EOF'
import json, sys
rows = json.load(open(sys.argv[1]))["villages"]
niks = {r["nik"] for r in rows}
assert sys.argv[2] not in niks, rows
assert sys.argv[3] in niks, rows  # the report still sees a real double
EOF
[ $? -eq 0 ] && ok "nik-ganda: the completed move is not flagged (a real double still is)" ||
	fail "nik-ganda: $(tail -3 "$T/cmp")"
expect_exit 0 "the figures agree with the records" agg verify-figures -d "$A"

done_testing
