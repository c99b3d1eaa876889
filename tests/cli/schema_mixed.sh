#!/bin/sh
# schema_mixed.sh — villages on different schema versions push to one
# aggregator.  Village 1's log is all schema version 1: written by
# tests/tools/v1log (entries naming version 1, each checked against it,
# signed with the village's own key, as software from before version 2
# wrote them) and taken into its node with `lumbung restore`, which checks
# every byte.  Village 2 writes version 2 (the pindah fields).  Both push;
# `lumbung verify` and `lumbung-audit verify` pass on both (the node's copy
# and the aggregator's); ringkasan and penduduk count both villages' records
# as worked out from the input with Python.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR LUMBUNG_AGG_NOW_MS LUMBUNG_NOW_MS
AUDIT="$BUILD/lumbung-audit"
C1=33.24.01.2001
C2=33.24.02.2001

A="$T/agg"
AK=$(agg init -d "$A" --region 33.24) || fail "agg init"
start_agg "$A"

# village 1: schema 1 only
"$LUMBUNG" init -d "$T/v1" --village $C1 >/dev/null 2>&1 || fail "init v1"
"$GEN" --village $C1 --count 40 --seed 31 >"$T/v1.jsonl"
expect_exit 0 "a schema 1 log signed with village 1's key" sh -c '"$1" "$2" <"$3" >"$4"' - \
	"$BUILD/v1log" "$T/v1" "$T/v1.jsonl" "$T/v1.lla"
expect_exit 0 "village 1 takes it in (restore checks every entry against its version)" \
	"$LUMBUNG" restore -d "$T/v1" --from "$T/v1.lla" --village $C1
"$LUMBUNG" log -d "$T/v1" --json >"$T/v1.log"
python3 - "$T/v1.log" "$T/v1.jsonl" <<'PY' && ok "village 1: every entry names schema version 1" || fail "village 1's versions"
import json, sys
log = [json.loads(l) for l in open(sys.argv[1])]
assert len(log) == sum(1 for _ in open(sys.argv[2])) and log, len(log)
assert {e["schema"] for e in log} == {1}, {e["schema"] for e in log}
PY

# village 2: schema 2, with a move out of the region (pindah_ke: a v2 field)
"$LUMBUNG" init -d "$T/v2" --village $C2 >/dev/null 2>&1 || fail "init v2"
"$GEN" --village $C2 --count 30 --seed 32 >"$T/v2.jsonl"
"$LUMBUNG" put -d "$T/v2" --batch "$T/v2.jsonl" >/dev/null || fail "v2 batch"
MOVER=$(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["type"] == "penduduk" and r["body"]["status"] == "hidup":
        print(r["id"]); break' "$T/v2.jsonl")
expect_exit 0 "village 2 writes a version 2 field" "$LUMBUNG" put -d "$T/v2" --merge penduduk "$MOVER" \
	status=pindah pindah_ke=35.01.01.2001 tanggal_pindah=2026-05-02
"$LUMBUNG" log -d "$T/v2" --json | tail -1 | grep -q '"schema":2' && ok "village 2's entries name version 2" ||
	fail "village 2's version"

for spec in v1:$C1 v2:$C2; do
	NM=${spec%%:*}
	ND="$T/$NM"
	KEY=$(origin "$ND")
	agg enroll -d "$A" --village "${spec#*:}" --key "$KEY" >/dev/null || fail "enroll $NM"
	"$LUMBUNG" remote add -d "$ND" kab "$URL" --key "$AK" >/dev/null
	expect_exit 0 "$NM pushes" "$LUMBUNG" push -d "$ND"
	same_as_agg "$ND" "the aggregator holds $NM's log"
	expect_exit 0 "lumbung verify $NM" "$LUMBUNG" verify -d "$ND"
	expect_exit 0 "lumbung-audit verify $NM's node" "$AUDIT" verify -d "$ND" --key "$KEY"
	contains "$T/out" "verify: OK" "the auditor says OK for $NM"
	expect_exit 0 "lumbung-audit export $NM from the aggregator" \
		sh -c '"$1" export -d "$2" --origin "$3" >"$4"' - "$AUDIT" "$A" "$KEY" "$T/agg-$NM.lla"
	expect_exit 0 "lumbung-audit verify: the aggregator's copy of $NM" \
		"$AUDIT" verify "$T/agg-$NM.lla" --key "$KEY"
	contains "$T/out" "verify: OK" "the auditor says OK for the aggregator's copy of $NM"
done

agg report ringkasan -d "$A" --json >"$T/ringkasan.json" || fail "report ringkasan"
agg report penduduk -d "$A" --json >"$T/penduduk.json" || fail "report penduduk"
python3 - "$T/ringkasan.json" "$T/penduduk.json" "$T/v1.jsonl" "$T/v2.jsonl" "$MOVER" $C1 $C2 <<'PY' >"$T/cmp" 2>&1 &&
import json, sys
rk, pd = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
mover, codes = sys.argv[5], sys.argv[6:8]
for f, code in zip(sys.argv[3:5], codes):
    recs = {}
    for l in open(f):
        r = json.loads(l)
        recs[(r["type"], r["id"])] = r["body"]
    if code == codes[1]:
        recs[("penduduk", mover)]["status"] = "pindah"
    pend = [b for (t, _), b in recs.items() if t == "penduduk"]
    hidup = [b for b in pend if b["status"] == "hidup"]
    row = [v for v in rk["villages"] if v["village"] == code][0]
    assert row["penduduk"] == len(hidup), (code, row["penduduk"], len(hidup))
    assert row["penduduk_l"] == sum(b["jenis_kelamin"] == "L" for b in hidup), code
    assert row["keluarga"] == sum(t == "keluarga" for (t, _) in recs), code
    rows = {r["nilai"]: r["jumlah"] for r in pd["villages"]
            if r["village"] == code and r["kategori"] == "status"}
    for s in ("hidup", "pindah", "meninggal"):
        assert rows.get(s, 0) == sum(b["status"] == s for b in pend), (code, s, rows)
assert rk["total"][0]["penduduk"] == sum(v["penduduk"] for v in rk["villages"])
PY
	ok "ringkasan and penduduk count both villages' residents and households as the input says" ||
	fail "reports: $(tail -5 "$T/cmp")"

done_testing
