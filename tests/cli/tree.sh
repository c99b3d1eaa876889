#!/bin/sh
# tree.sh — enrolment through the tree with real processes on loopback: a
# kabupaten enrols a kecamatan aggregator, the kecamatan enrols villages,
# its signed statements travel up (lumbung-agg send-statements), and the
# kabupaten then accepts those villages' own pushes; a village outside the
# kecamatan's code is refused; a revocation travels up and the kabupaten
# then refuses that village; a revoked aggregator's statements are refused;
# status shows who enrolled each village, its route and lag.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR

lb() { "$LUMBUNG" "$@"; }

KAB="$T/kab"
KEC="$T/kec"
BAD="$T/bad"
AK=$(agg init -d "$KAB" --region 33.24) || fail "kab init"
KK=$(agg init -d "$KEC" --region 33.24.01) || fail "kec init"
# a misconfigured (or malicious) kecamatan store claiming the whole kabupaten
BK=$(agg init -d "$BAD" --region 33.24) || fail "bad init"
A="$KAB"
start_agg "$KAB"

mk() { lb init -d "$1" --village "$2" >/dev/null 2>&1 && lb put -d "$1" aspirasi ASP-1 tanggal=2026-01-02 pengusul=Warga usulan=lampu status=diusulkan \
	>/dev/null 2>&1; }
check "village 1 (33.24.01.2001)" mk "$T/v1" 33.24.01.2001
check "village 2 (33.24.01.2002)" mk "$T/v2" 33.24.01.2002
check "village 3 (33.24.02.2001, another kecamatan)" mk "$T/v3" 33.24.02.2001

# --- enroll-aggregator ----------------------------------------------------------
expect_exit 3 "an aggregator for a kecamatan outside the kabupaten is refused" \
	agg enroll-aggregator -d "$KAB" --region 33.25.01 --key "$KK"
expect_exit 2 "enroll-aggregator needs --region" agg enroll-aggregator -d "$KAB" --key "$KK"
expect_exit 0 "the kabupaten enrols the kecamatan aggregator" \
	agg enroll-aggregator -d "$KAB" --region 33.24.01 --key "$KK"
check "the bad aggregator is enrolled for kecamatan 33.24.03" \
	agg enroll-aggregator -d "$KAB" --region 33.24.03 --key "$BK"
curl -s "$URL/v1/aggregators/$KK" >"$T/get"
check "GET /v1/aggregators/KEY answers {region, seq: 0}" python3 -c '
import sys; b = open(sys.argv[1], "rb").read()
# {"region": "33.24.01", "seq": 0} in canonical msgpack
sys.exit(b != b"\x82\xa6region\xa833.24.01\xa3seq\x00")' "$T/get"
code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/v1/aggregators/$(origin "$T/v1")")
check "GET for a key that is no aggregator is 403" [ "$code" = 403 ]

# --- the kecamatan enrols its villages; statements travel up -------------------
for v in v1 v2; do
	check "the kecamatan enrols $v" agg enroll -d "$KEC" --village "$(village "$T/$v")" \
		--key "$(origin "$T/$v")"
done
expect_exit 18 "before the statements travel, the kabupaten refuses village 1" \
	lb push -d "$T/v1" --to "$URL" --key "$AK"
expect_exit 0 "send-statements" agg send-statements -d "$KEC" "$URL" --key "$AK"
contains "$T/out" "sent 2 statements" "two statements sent"
expect_exit 0 "send-statements again" agg send-statements -d "$KEC" "$URL"
contains "$T/out" "sent 0 statements" "nothing sent twice"
for v in v1 v2; do
	expect_exit 0 "the kabupaten accepts $v's own push" lb push -d "$T/$v" --to "$URL" --key "$AK"
	same_as_agg "$T/$v" "the kabupaten holds $v's log"
done

# --- a village outside the kecamatan's code ------------------------------------
check "the bad store enrols village 3 (outside its kecamatan 33.24.03)" \
	agg enroll -d "$BAD" --village 33.24.02.2001 --key "$(origin "$T/v3")"
expect_exit 0 "its statement is taken (refused inside the reply)" \
	agg send-statements -d "$BAD" "$URL"
contains "$T/agg.log" "wrong_village" "the refusal is logged with its reason"
expect_exit 18 "the kabupaten refuses village 3's push" lb push -d "$T/v3" --to "$URL" --key "$AK"

# --- status: who enrolled, route and lag ---------------------------------------
agg status -d "$KAB" >"$T/st"
check "status: village 1 enrolled by 33.24.01, direct, a lag" \
	awk '$1 == "route" && $2 == "33.24.01.2001" && $4 == "33.24.01" && $5 == "direct" &&
		$6 ~ /^-?[0-9]+$/ { f = 1 } END { exit !f }' "$T/st"
check "status: the kecamatan aggregator is listed" \
	awk -v k="$(echo "$KK" | cut -c1-16)" '$1 == "aggregator" && $2 == k && $3 == "33.24.01" &&
		$4 == 2 && $5 == "active" { f = 1 } END { exit !f }' "$T/st"
# a change set relayed by the kecamatan (X-Lumbung-Relay) shows its route
lb put -d "$T/v2" aspirasi ASP-2 tanggal=2026-01-03 pengusul=Warga usulan=jalan status=diusulkan >/dev/null
lb changeset -d "$T/v2" --plain --since 2 >"$T/cs2" 2>/dev/null
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Content-Type: application/x-msgpack" \
	-H "X-Lumbung-Origin: $(origin "$T/v2")" -H "X-Lumbung-Relay: $KK" \
	--data-binary @"$T/cs2" "$URL/v1/changesets")
check "a relayed change set is accepted" [ "$code" = 200 ]
agg region name -d "$KAB" 33.24.01 "Kecamatan Satu" >/dev/null
agg status -d "$KAB" --json >"$T/stj"
check "status --json: village 2 came via 33.24.01 (its name), with a lag" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
v = [v for v in d["villages"] if v["village"] == "33.24.01.2002"][0]
r = v["route"]
ok = (r["via"]["kecamatan"] == "33.24.01" and r["via"]["key"] == sys.argv[2] and
      r["via"]["name"] == "Kecamatan Satu" and r["lag_ms"] == r["received_ms"] - r["head_ms"] and
      v["enrolled_by"]["kecamatan"] == "33.24.01")
one = [v for v in d["villages"] if v["village"] == "33.24.01.2001"][0]
ok = ok and one["route"]["via"] is None
ok = ok and [a["kecamatan"] for a in d["aggregators"]] == sorted(
    ["33.24.01", "33.24.03"], key=lambda k: [a["key"] for a in d["aggregators"] if a["kecamatan"] == k][0])
sys.exit(not ok)' "$T/stj" "$KK"
# the bad aggregator relaying a village of another kecamatan is shown as direct
lb put -d "$T/v2" aspirasi ASP-3 tanggal=2026-01-04 pengusul=Warga usulan=air status=diusulkan >/dev/null
lb changeset -d "$T/v2" --plain --since 3 >"$T/cs3" 2>/dev/null
curl -s -o /dev/null -H "Content-Type: application/x-msgpack" \
	-H "X-Lumbung-Origin: $(origin "$T/v2")" -H "X-Lumbung-Relay: $BK" \
	--data-binary @"$T/cs3" "$URL/v1/changesets"
agg status -d "$KAB" >"$T/st"
check "a relay header of an aggregator of another kecamatan shows as direct" \
	awk '$1 == "route" && $2 == "33.24.01.2002" && $5 == "direct" { f = 1 } END { exit !f }' "$T/st"

# --- revocation travels --------------------------------------------------------
check "the kecamatan revokes village 2" agg revoke -d "$KEC" --key "$(origin "$T/v2")"
expect_exit 0 "send-statements after the revocation" agg send-statements -d "$KEC" "$URL"
contains "$T/out" "sent 1 statements" "one statement sent"
lb put -d "$T/v2" aspirasi ASP-4 tanggal=2026-01-05 pengusul=Warga usulan=pasar status=diusulkan >/dev/null
expect_exit 18 "the kabupaten now refuses village 2's push" \
	lb push -d "$T/v2" --to "$URL" --key "$AK"
check "village 1 still pushes" lb push -d "$T/v1" --to "$URL" --key "$AK"

# --- a revoked aggregator -------------------------------------------------------
check "the kabupaten revokes the kecamatan aggregator" \
	agg revoke-aggregator -d "$KAB" --key "$KK"
lb init -d "$T/v4" --village 33.24.01.2004 >/dev/null 2>&1
check "the kecamatan enrols village 4" agg enroll -d "$KEC" --village 33.24.01.2004 \
	--key "$(origin "$T/v4")"
expect_exit 18 "its statements are refused (unknown_origin)" agg send-statements -d "$KEC" "$URL"
contains "$T/err" "revoked" "the refusal says it was revoked"
agg status -d "$KAB" >"$T/st"
check "status shows it REVOKED" awk '$1 == "aggregator" && $3 == "33.24.01" && $5 == "REVOKED" {
	f = 1 } END { exit !f }' "$T/st"
check "village 4 is not enrolled at the kabupaten" sh -c "! grep -q 33.24.01.2004 '$T/st'"
stop_agg
done_testing
