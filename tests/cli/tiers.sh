#!/bin/sh
# tiers.sh — the whole tree on loopback (issue 08): one kabupaten (33.24),
# two kecamatan (33.24.01, 33.24.02) serving with --forward, six villages.
# The kabupaten knows the kecamatan aggregators only; every village is
# enrolled at its kecamatan, and the enrolment travels up as a statement
# signed by the kecamatan.  Villages 1, 2 and 4 push to their kecamatan;
# village 3 pushes to its kecamatan and straight to the kabupaten (two
# routes); village 6 pushes only straight to the kabupaten; village 5 has
# no link and sends a change set on a USB stick to its kecamatan, which
# hands back receipts on the stick.  At the end: everything arrived once at
# the kabupaten; its replica of each village holds the village's entries
# byte for byte and verifies with lumbung-audit against the village's key;
# every village holds a kabupaten receipt for its last seq, checked
# against the kabupaten key it pinned.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR
AUDIT="$BUILD/lumbung-audit"
LLA="$(cd "$(dirname "$0")/.." && pwd)/tools/llatool.py"
lb() { "$LUMBUNG" "$@"; }
PIDS=""
cleanup() {
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

# serve NAME DIR [ARGS] — start `lumbung-agg serve`; sets NAME_URL
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

# field AGGDIR VILLAGE FIELD — a field of the village's row in status --json
field() {
	"$AGG_BIN" status -d "$1" --json | python3 -c '
import json, sys
for v in json.load(sys.stdin)["villages"]:
    if v["village"] == sys.argv[1]:
        print(v[sys.argv[2]])' "$2" "$3"
}

# kab_receipt DIR — the highest seq the village holds a checked receipt for
# from the kabupaten key (as a remote's own key or as an upstream key)
kab_receipt() {
	lb id -d "$1" --json | python3 -c '
import json, sys
best = 0
for r in json.load(sys.stdin).get("remotes", []):
    if r.get("key") == sys.argv[1]:
        best = max(best, r.get("seq") or 0)
    for u in r.get("upstream", []):
        if u.get("key") == sys.argv[1] and u.get("pinned"):
            best = max(best, u.get("seq") or 0)
print(best)' "$KABK"
}

KAB="$T/kab" KEC1="$T/kec1" KEC2="$T/kec2"
KABK=$(agg init -d "$KAB" --region 33.24) || fail "kabupaten init"
K1=$(agg init -d "$KEC1" --region 33.24.01) || fail "kecamatan 1 init"
K2=$(agg init -d "$KEC2" --region 33.24.02) || fail "kecamatan 2 init"
check "the kabupaten trusts kecamatan 33.24.01's aggregator" \
	agg enroll-aggregator -d "$KAB" --region 33.24.01 --key "$K1"
check "the kabupaten trusts kecamatan 33.24.02's aggregator" \
	agg enroll-aggregator -d "$KAB" --region 33.24.02 --key "$K2"
serve kab "$KAB"
check "kecamatan 1 forwards to the kabupaten" agg upstream add -d "$KEC1" kab "$kab_URL" --key "$KABK"
check "kecamatan 2 forwards to the kabupaten" agg upstream add -d "$KEC2" kab "$kab_URL" --key "$KABK"
expect_exit 2 "\"relay\" is no command" agg relay -d "$KEC1"
contains "$T/err" "serve --forward" "but it points at upstream add and forward"

# six villages, each with two batches (two signed heads)
code() { case $1 in 1|2|3) echo "33.24.01.200$1" ;; *) echo "33.24.02.200$1" ;; esac; }
kec_of() { case $1 in 1|2|3) echo "$KEC1" ;; *) echo "$KEC2" ;; esac; }
for i in 1 2 3 4 5 6; do
	V="$T/v$i"
	lb init -d "$V" --village "$(code $i)" >/dev/null 2>&1 &&
		"$GEN" --village "$(code $i)" --count 150 --seed "$i" >"$T/g.jsonl" &&
		lb put -d "$V" --batch "$T/g.jsonl" >/dev/null 2>&1 &&
		"$GEN" --village "$(code $i)" --count 40 --seed "$((i + 10))" --only aspirasi >"$T/g.jsonl" &&
		lb put -d "$V" --batch "$T/g.jsonl" >/dev/null 2>&1 ||
		fail "village $i: init and records"
	agg enroll -d "$(kec_of $i)" --village "$(code $i)" --key "$(origin "$V")" >/dev/null ||
		fail "village $i: enrolled at its kecamatan"
done
check "the kabupaten enrolled no village itself" \
	sh -c "! '$AGG_BIN' status -d '$KAB' --json | grep -q '\"village\"'"

serve kec1 "$KEC1" --forward --every 1
serve kec2 "$KEC2" --forward --every 1

# the statements travel up with the kecamatan's first forward
enrolled_at_kab() { "$AGG_BIN" status -d "$KAB" --json | grep -q "\"$(code "$1")\""; }
for i in 1 2 3 4 5 6; do
	wait_for 20 enrolled_at_kab $i && ok "village $i is enrolled at the kabupaten through its kecamatan" ||
		fail "village $i never enrolled at the kabupaten: $(tail -3 "$T/kec1.log" "$T/kec2.log")"
done

# the routes: kecamatan (with the kabupaten pinned above it), straight, both
for i in 1 2 3 4; do
	eval "u=\$kec$( [ $i -le 3 ] && echo 1 || echo 2 )_URL"
	k=$( [ $i -le 3 ] && echo "$K1" || echo "$K2")
	lb remote -d "$T/v$i" add kec "$u" --key "$k" --upstream-key "$KABK" >/dev/null 2>&1 ||
		fail "village $i: remote kec"
done
for i in 3 6; do
	lb remote -d "$T/v$i" add kab "$kab_URL" --key "$KABK" >/dev/null 2>&1 || fail "village $i: remote kab"
done
for i in 1 2 3 4; do
	expect_exit 0 "village $i pushes to its kecamatan" lb push -d "$T/v$i" --to kec
done
expect_exit 0 "village 3 pushes the same entries straight to the kabupaten" lb push -d "$T/v3" --to kab
expect_exit 0 "village 6 pushes straight to the kabupaten" lb push -d "$T/v6" --to kab

# village 5: no link.  A change set on a stick to kecamatan 2; receipts back.
lb remote -d "$T/v5" add kec http://127.0.0.1:9 --key "$K2" --upstream-key "$KABK" >/dev/null 2>&1 ||
	fail "village 5: remote kec (never reached: the stick goes there)"
lb changeset -d "$T/v5" --plain >"$T/stick.lcs" 2>/dev/null || fail "village 5: changeset"
expect_exit 0 "kecamatan 2 ingests the stick" agg ingest -d "$KEC2" "$T/stick.lcs"
check "the stick comes back with a receipts file" test -s "$T/stick.lcs.receipts"
expect_exit 0 "village 5 imports the kecamatan's receipts" lb receipt import -d "$T/v5" "$T/stick.lcs.receipts"

# everything reaches the kabupaten, once, exactly as signed
at_kab() { [ "$(field "$KAB" "$(village "$1")" seq)" = "$(seq_of "$1")" ]; }
for i in 1 2 3 4 5 6; do
	V="$T/v$i"
	wait_for 30 at_kab "$V" || { fail "village $i never reached the kabupaten"; continue; }
	v=$(village "$V")
	[ "$(field "$KAB" "$v" hash)" = "$(head_of "$V")" ] &&
		[ "$(field "$KAB" "$v" entries)" = "$(seq_of "$V")" ] &&
		ok "village $i: the kabupaten holds its tip, hash and entry count, once" ||
		fail "village $i: kabupaten seq $(field "$KAB" "$v" seq) entries $(field "$KAB" "$v" entries), village $(seq_of "$V")"
	"$AUDIT" export -d "$KAB" --origin "$(origin "$V")" >"$T/kab$i.lla" 2>/dev/null
	lb export-log -d "$V" >"$T/v$i.lla" 2>/dev/null
	python3 "$LLA" dump "$T/kab$i.lla" entry >"$T/e.kab"
	python3 "$LLA" dump "$T/v$i.lla" entry >"$T/e.v"
	[ -s "$T/e.v" ] && cmp -s "$T/e.kab" "$T/e.v" &&
		ok "village $i: every entry at the kabupaten is byte for byte the village's" ||
		fail "village $i: the kabupaten's entries differ from the village's"
	check "village $i: the kabupaten's replica verifies with the village's key" \
		"$AUDIT" verify "$T/kab$i.lla" --key "$(origin "$V")"
done

# receipts back down: the kecamatan hands the kabupaten's receipt to the
# village at its next contact; village 6 got it straight
kab_has() { [ "$(kab_receipt "$1")" = "$(seq_of "$1")" ] || { lb push -d "$1" --to "${2:-kec}" >/dev/null 2>&1; false; }; }
for i in 1 2 3 4; do
	wait_for 20 kab_has "$T/v$i" && ok "village $i holds a kabupaten receipt for its last seq" ||
		fail "village $i: kabupaten receipt up to $(kab_receipt "$T/v$i") of $(seq_of "$T/v$i")"
done
[ "$(kab_receipt "$T/v6")" = "$(seq_of "$T/v6")" ] &&
	ok "village 6 holds a kabupaten receipt for its last seq" ||
	fail "village 6: kabupaten receipt up to $(kab_receipt "$T/v6")"
# village 5's next stick brings the kabupaten's receipt back too
lb changeset -d "$T/v5" --plain >"$T/stick2.lcs" 2>/dev/null || fail "village 5: second changeset"
expect_exit 0 "kecamatan 2 ingests the second stick" agg ingest -d "$KEC2" "$T/stick2.lcs"
check "the second stick carries the kabupaten's receipts too" test -s "$T/stick2.lcs.kab.receipts"
expect_exit 0 "village 5 imports the kabupaten's receipts (signed by the key it pinned)" \
	lb receipt import -d "$T/v5" "$T/stick2.lcs.kab.receipts"
[ "$(kab_receipt "$T/v5")" = "$(seq_of "$T/v5")" ] &&
	ok "village 5 holds a kabupaten receipt for its last seq" ||
	fail "village 5: kabupaten receipt up to $(kab_receipt "$T/v5") of $(seq_of "$T/v5")"

lb remote -d "$T/v1" ls >"$T/ls" 2>&1
contains "$T/ls" "holds this village's log up to seq $(seq_of "$T/v1")" "remote ls says how far the kabupaten holds village 1"

# the kabupaten shows each village's route
"$AGG_BIN" status -d "$KAB" --json >"$T/kab.json"
route_of() {
	python3 -c '
import json, sys
for v in json.load(open(sys.argv[1]))["villages"]:
    if v["village"] == sys.argv[2]:
        r = v.get("route") or {}
        print(r.get("via") or "direct")' "$T/kab.json" "$1"
}
[ "$(route_of 33.24.01.2001)" != direct ] && ok "village 1 arrived via its kecamatan" ||
	fail "village 1's route: $(route_of 33.24.01.2001)"
[ "$(route_of 33.24.02.2006)" = direct ] && ok "village 6 arrived directly" ||
	fail "village 6's route: $(route_of 33.24.02.2006)"
# a kecamatan bundle on a stick to another kabupaten that knows only the
# kecamatan's key: its enrolment statements go first, then every village
KAB2="$T/kab2"
KAB2K=$(agg init -d "$KAB2" --region 33.24) || fail "kabupaten 2 init"
agg enroll-aggregator -d "$KAB2" --region 33.24.01 --key "$K1" >/dev/null || fail "kabupaten 2 trusts kecamatan 1"
agg bundle -d "$KEC1" --for "$KAB2K" >"$T/kec1.lcb" 2>"$T/bundle.err" || fail "bundle: $(cat "$T/bundle.err")"
contains "$T/bundle.err" "enrolment statements" "the bundle carries kecamatan 1's enrolment statements"
expect_exit 0 "kabupaten 2 ingests the bundle" agg ingest -d "$KAB2" "$T/kec1.lcb"
for i in 1 2 3; do
	v=$(village "$T/v$i")
	[ "$(field "$KAB2" "$v" hash)" = "$(head_of "$T/v$i")" ] &&
		ok "village $i reached kabupaten 2 by the bundle, enrolled by its statement" ||
		fail "village $i at kabupaten 2: seq $(field "$KAB2" "$v" seq)"
done
expect_exit 0 "kecamatan 1 keeps kabupaten 2's receipts from the stick" \
	agg receipt import -d "$KEC1" "$T/kec1.lcb.receipts" --key "$KAB2K"
agg bundle -d "$KEC1" --for "$KAB2K" >"$T/kec1b.lcb" 2>"$T/bundle.err"
contains "$T/bundle.err" "0 entries" "the next bundle holds no entry kabupaten 2 has proved it holds"
done_testing
