#!/bin/sh
# succession.sh — a village whose key is lost goes on under a new key
# (issue 10).  Part 1, one kabupaten: village A pushes, its PC dies with
# the key; a new node gets a new key, the office runs `lumbung-agg
# succeed`, the new node restores the village's chain from the kabupaten
# (`lumbung restore --from URL --agg-key`: the succession trusted because
# that key signed it), writes and pushes; the kabupaten takes the new key from N+1 and refuses the old
# key past N.  Part 2, tiers: village C is enrolled at its kecamatan, which
# forwarded only part of C's log before the succession; the kecamatan
# succeeds C, and one forwarding pass brings the rest of the old chain, the
# succession (as a statement) and the new key's entries to the kabupaten.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR
lb() { "$LUMBUNG" "$@"; }
PIDS=""
cleanup() {
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

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

# field AGGDIR ORIGIN FIELD — a field of that key's row in status --json
field() {
	"$AGG_BIN" status -d "$1" --json | python3 -c '
import json, sys
for v in json.load(sys.stdin)["villages"]:
    if v["origin"] == sys.argv[1]:
        print(v[sys.argv[2]])' "$2" "$3"
}

put() { # put DIR ID — one aspirasi record
	lb put -d "$1" aspirasi "$2" tanggal=2026-11-01 "pengusul=Warga $2" usulan=lampu \
		status=diusulkan >/dev/null 2>&1 ||
		fail "writing $2 in $1"
}

# ---- part 1: one kabupaten ----------------------------------------------
KAB="$T/kab"
KABK=$(agg init -d "$KAB" --region 33.24) || fail "kabupaten init"
serve kab "$KAB"
A="$T/a"
lb init -d "$A" --village 33.24.01.2001 >/dev/null 2>&1 || fail "village A init"
OLD=$(origin "$A")
agg enroll -d "$KAB" --village 33.24.01.2001 --key "$OLD" >/dev/null || fail "A enrolled"
lb remote -d "$A" add kab "$kab_URL" --key "$KABK" >/dev/null 2>&1 || fail "A: remote"
put "$A" A1
put "$A" A2
put "$A" A3
expect_exit 0 "village A pushes its three entries" lb push -d "$A" --to kab
N=$(seq_of "$A")
[ "$N" = 3 ] && ok "A is at seq 3" || fail "A is at seq $N, not 3"

# the PC dies with its key: a new node with a new key
B="$T/b"
lb init -d "$B" --village 33.24.01.2001 >/dev/null 2>&1 || fail "new node init"
NEW=$(origin "$B")
# refusals first: nothing changes
expect_exit 1 "succeed for a village not enrolled here is refused" \
	agg succeed -d "$KAB" --village 33.24.01.2009 --key "$NEW"
contains "$T/err" "no active key" "and says the village has no key here"
E="$T/e"
lb init -d "$E" --village 33.24.01.2002 >/dev/null 2>&1 || fail "village E init"
agg enroll -d "$KAB" --village 33.24.01.2002 --key "$(origin "$E")" >/dev/null || fail "E enrolled"
expect_exit 7 "succeed with a key already enrolled (for another village) is refused" \
	agg succeed -d "$KAB" --village 33.24.01.2001 --key "$(origin "$E")"
contains "$T/err" "already enrolled" "naming why"
expect_exit 3 "succeed for a village that sent nothing is refused (N = 0)" \
	agg succeed -d "$KAB" --village 33.24.01.2002 --key "$NEW"
contains "$T/err" "nothing to continue" "and says to enrol the new key instead"
expect_exit 2 "succeed with a key that is not 64 hex digits is a usage error" \
	agg succeed -d "$KAB" --village 33.24.01.2001 --key abc

expect_exit 0 "the office succeeds village A's key" \
	agg succeed -d "$KAB" --village 33.24.01.2001 --key "$NEW"
contains "$T/out" "origin $NEW continues 33.24.01.2001 after $OLD's seq 3" "it says what it did"
contains "$T/out" "$OLD is revoked" "and that the old key is revoked"
expect_exit 0 "status" agg status -d "$KAB"
contains "$T/out" "village 33.24.01.2001: key changed at seq 3" "status shows the key change"
[ "$(field "$KAB" "$NEW" base)" = 3 ] && [ "$(field "$KAB" "$NEW" seq)" = 3 ] &&
	ok "the new key starts at seq 3" || fail "the new key's state: $(field "$KAB" "$NEW" seq)"

# the new node takes the village's chain from the kabupaten's archive
expect_exit 0 "export-log of the village" sh -c "'$AGG_BIN' export-log -d '$KAB' --village 33.24.01.2001 >'$T/a.lla'"
expect_exit 0 "the new node restores from the kabupaten (its succession trusted)" \
	lb restore -d "$B" --from "$kab_URL" --village 33.24.01.2001 --agg-key "$KABK" --remote kab
contains "$T/out" "crossed 1 succession" "restore says the chain crossed a succession"
contains "$T/out" "1 receipt(s) kept" "and kept the kabupaten's receipt for seq 3"
[ "$(seq_of "$B")" = 3 ] && ok "the new node is at seq 3" || fail "new node at $(seq_of "$B")"
put "$B" B4
expect_exit 0 "the new node pushes entry 4 under the new key" lb push -d "$B" --to kab
[ "$(field "$KAB" "$NEW" seq)" = 4 ] && ok "the kabupaten holds the new key's seq 4" ||
	fail "kabupaten: new key at $(field "$KAB" "$NEW" seq)"
[ "$(field "$KAB" "$NEW" entries)" = 1 ] && ok "one entry held under the new key" ||
	fail "entries under the new key: $(field "$KAB" "$NEW" entries)"

# the old key (a copy of the dead PC's disk) writes on: refused past 3
put "$A" A5
expect_exit 18 "the old key's entries past seq 3 are refused" lb push -d "$A" --to kab
contains "$T/err" "retired at seq 3 by a succession" "naming the succession"
[ "$(field "$KAB" "$OLD" seq)" = 3 ] && ok "the old key stays at seq 3" ||
	fail "old key at $(field "$KAB" "$OLD" seq)"
# the retired key cannot come back, even with the new key revoked
expect_exit 0 "the office revokes the new key" agg revoke -d "$KAB" --key "$NEW"
expect_exit 7 "the retired key cannot be enrolled again" \
	agg enroll -d "$KAB" --village 33.24.01.2001 --key "$OLD"
contains "$T/err" "retired by a succession" "the refusal says why"
expect_exit 0 "the new key enrolled again" agg enroll -d "$KAB" --village 33.24.01.2001 --key "$NEW"
expect_exit 0 "export-log --from 4" sh -c "'$AGG_BIN' export-log -d '$KAB' --village 33.24.01.2001 --from 4 >'$T/tail.lla'"
expect_exit 3 "export-log past what is held is refused" \
	sh -c "'$AGG_BIN' export-log -d '$KAB' --village 33.24.01.2001 --from 9 >'$T/none.lla'"

# the auditor and the new node's own verify follow the chain across the change
AUDIT="$BUILD/lumbung-audit"
OTHER=$(origin "$E")
expect_exit 0 "export-log of the village with the new key's entry" \
	sh -c "'$AGG_BIN' export-log -d '$KAB' --village 33.24.01.2001 >'$T/a2.lla'"
expect_exit 0 "lumbung-audit verify passes across the succession" "$AUDIT" verify "$T/a2.lla"
contains "$T/out" "key changed at seq 3 by a succession signed by kabupaten 33.24 ($KABK)" \
	"and names the succession and its signer"
expect_exit 0 "--key OLD: the old key's history is verified and the change reported" \
	"$AUDIT" verify "$T/a2.lla" --key "$OLD"
contains "$T/out" "new key $NEW" "naming the new key"
expect_exit 0 "--key NEW --agg-key KAB: the new key is reached through the kabupaten's succession" \
	"$AUDIT" verify "$T/a2.lla" --key "$NEW" --agg-key "$KABK"
expect_exit 13 "--agg-key of another key: the succession is refused" \
	"$AUDIT" verify "$T/a2.lla" --agg-key "$OTHER"
contains "$T/err" "not signed by an aggregator given with --agg-key" "saying so"
expect_exit 13 "--key of another village's key is refused" "$AUDIT" verify "$T/a2.lla" --key "$OTHER"
expect_exit 3 "an archive of the log's tail is refused" "$AUDIT" verify "$T/tail.lla"
contains "$T/err" "a tail of a log from seq 4: an auditor needs the whole log" "plainly"
expect_exit 0 "lumbung verify on the new node passes across the succession" lb verify -d "$B"
contains "$T/out" "key changed at seq 3 by a succession signed by kabupaten 33.24 ($KABK)" \
	"and names it"
expect_exit 0 "lumbung export-log of the new node" sh -c "'$LUMBUNG' export-log -d '$B' >'$T/b.lla'"
expect_exit 0 "the node's archive verifies from the old key, the kabupaten's succession required" \
	"$AUDIT" verify "$T/b.lla" --key "$OLD" --agg-key "$KABK"

# ---- part 2: kecamatan succeeds, forwards; kabupaten accepts -----------
KAB2="$T/kab2" KEC="$T/kec"
KAB2K=$(agg init -d "$KAB2" --region 33.24) || fail "kabupaten 2 init"
KECK=$(agg init -d "$KEC" --region 33.24.01) || fail "kecamatan init"
agg enroll-aggregator -d "$KAB2" --region 33.24.01 --key "$KECK" >/dev/null || fail "kab trusts kec"
serve kab2 "$KAB2"
serve kec "$KEC"
agg upstream add -d "$KEC" kab "$kab2_URL" --key "$KAB2K" >/dev/null || fail "kec upstream"
C="$T/c"
lb init -d "$C" --village 33.24.01.2003 >/dev/null 2>&1 || fail "village C init"
OLD2=$(origin "$C")
agg enroll -d "$KEC" --village 33.24.01.2003 --key "$OLD2" >/dev/null || fail "C enrolled at kec"
lb remote -d "$C" add kec "$kec_URL" --key "$KECK" >/dev/null 2>&1 || fail "C: remote"
put "$C" C1
put "$C" C2
expect_exit 0 "C pushes 1..2 to its kecamatan" lb push -d "$C" --to kec
expect_exit 0 "the kecamatan forwards them" agg forward -d "$KEC"
[ "$(field "$KAB2" "$OLD2" seq)" = 2 ] && ok "the kabupaten holds C up to 2" ||
	fail "kabupaten holds C at $(field "$KAB2" "$OLD2" seq)"
put "$C" C3
expect_exit 0 "C pushes 3 to its kecamatan (not forwarded yet)" lb push -d "$C" --to kec
D="$T/d"
lb init -d "$D" --village 33.24.01.2003 >/dev/null 2>&1 || fail "new node D init"
NEW2=$(origin "$D")
expect_exit 0 "the kecamatan succeeds C's key at seq 3" \
	agg succeed -d "$KEC" --village 33.24.01.2003 --key "$NEW2"
expect_exit 0 "export-log at the kecamatan" sh -c "'$AGG_BIN' export-log -d '$KEC' --village 33.24.01.2003 >'$T/c.lla'"
expect_exit 0 "D restores from the kecamatan's archive on a stick" \
	lb restore -d "$D" --from "$T/c.lla" --village 33.24.01.2003 --agg-key "$KECK"
lb remote -d "$D" add kec "$kec_URL" --key "$KECK" >/dev/null 2>&1 || fail "D: remote"
put "$D" D4
expect_exit 0 "D pushes entry 4 to the kecamatan" lb push -d "$D" --to kec
expect_exit 0 "one forwarding pass" agg forward -d "$KEC"
[ "$(field "$KAB2" "$OLD2" seq)" = 3 ] && ok "the kabupaten got the old key's seq 3 first" ||
	fail "kabupaten: old key at $(field "$KAB2" "$OLD2" seq) ($(tail -3 "$T/kab2.log"))"
[ "$(field "$KAB2" "$NEW2" seq)" = 4 ] && ok "and accepted the new key's entry 4" ||
	fail "kabupaten: new key at $(field "$KAB2" "$NEW2" seq) ($(tail -3 "$T/kab2.log"))"
[ "$(field "$KAB2" "$OLD2" revoked)" = True ] && ok "the old key is revoked at the kabupaten" ||
	fail "old key revoked: $(field "$KAB2" "$OLD2" revoked)"
expect_exit 0 "status at the kabupaten" agg status -d "$KAB2"
contains "$T/out" "village 33.24.01.2003: key changed at seq 3" "shows the key change"
expect_exit 0 "the kabupaten's archive of C" sh -c "'$AGG_BIN' export-log -d '$KAB2' --village 33.24.01.2003 >'$T/c2.lla'"
E2="$T/e2"
lb init -d "$E2" --village 33.24.01.2003 >/dev/null 2>&1 || fail "E2 init"
expect_exit 13 "a node does not restore it trusting another aggregator's successions" \
	lb restore -d "$E2" --from "$T/c2.lla" --village 33.24.01.2003 --agg-key "$KECK"
contains "$T/err" "not the aggregator trusted here" "the message names the untrusted signer"
[ "$(seq_of "$E2")" = 0 ] && ok "the node it was given is left as it was" || fail "E2 at $(seq_of "$E2")"

done_testing
