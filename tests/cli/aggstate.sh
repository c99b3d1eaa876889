#!/bin/sh
# aggstate.sh — the aggregator's store under a hostile world (issue 05):
#   - eight villages push at once into a map that starts at 64 KiB, five
#     rounds: the map grows under their feet, nothing crashes or is lost;
#   - `serve` and `ingest` work on one directory at once, each starting
#     with a 64 KiB map, each growing it under the other;
#   - replays: an old change set sent again does not move "last seen", the
#     same fork sent three times is one fork;
#   - one active key per village: a second key is refused until the first
#     is revoked.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR LUMBUNG_AGG_MAP_SIZE

lb() { "$LUMBUNG" "$@"; }

# mk_village DIR CODE COUNT SEED
mk_village() {
	lb init -d "$1" --village "$2" >/dev/null 2>&1 &&
		"$GEN" --village "$2" --count "$3" --seed "$4" >"$T/gen.jsonl" &&
		lb put -d "$1" --batch "$T/gen.jsonl" >/dev/null 2>&1 &&
		[ "$(seq_of "$1")" = "$3" ]
}

# more DIR CODE COUNT SEED — COUNT more records in the village
more() {
	"$GEN" --village "$2" --count "$3" --seed "$4" --only aspirasi | sed "s/\"id\":\"/\"id\":\"M$4-/" >"$T/gen.jsonl" &&
		lb put -d "$1" --batch "$T/gen.jsonl" >/dev/null 2>&1
}

# files DIR PREFIX — the node's log from seq 1 as change-set files of at
# most 16 KiB: PREFIX.1, PREFIX.2, ...; prints their names
files() {
	_from=1
	_k=0
	_tip=$(seq_of "$1")
	while [ "$_from" -le "$_tip" ]; do
		_k=$((_k + 1))
		lb changeset -d "$1" --plain --since "$_from" --max-bytes 16k >"$2.$_k" 2>"$T/cs.err" || return 1
		_to=$(sed -n 's/.*entries [0-9]*\.\.\([0-9]*\),.*/\1/p' "$T/cs.err")
		[ -n "$_to" ] || return 1
		echo "$2.$_k"
		_from=$((_to + 1))
	done
}

alive() { # description
	if kill -0 "$AGG_PID" 2>/dev/null; then ok "$1"; else
		wait "$AGG_PID"
		fail "$1 (the aggregator died: exit $?; $(tail -2 "$T/agg.log"))"
		AGG_PID=""
	fi
}

i=1
while [ $i -le 8 ]; do
	check "village $i has 300 records" mk_village "$T/v$i" "33.24.01.200$i" 300 "$i"
	i=$((i + 1))
done

# --- eight villages push at once into a 64 KiB map, five rounds --------------
round=1
while [ $round -le 5 ]; do
	A="$T/agg$round"
	export LUMBUNG_AGG_MAP_SIZE=65536 # every process on this store starts at 64 KiB
	AK=$(agg init -d "$A" --region 33.24) || fail "agg init"
	i=1
	while [ $i -le 8 ]; do
		agg enroll -d "$A" --village "33.24.01.200$i" --key "$(origin "$T/v$i")" >/dev/null ||
			fail "enroll $i"
		i=$((i + 1))
	done
	start_agg "$A"
	pids=""
	i=1
	while [ $i -le 8 ]; do
		lb push -d "$T/v$i" --to "$URL" --key "$AK" --max-bytes 16k >"$T/p$i.out" 2>&1 &
		pids="$pids $!"
		i=$((i + 1))
	done
	bad=""
	i=0
	for p in $pids; do
		i=$((i + 1))
		wait "$p" || bad="$bad village $i (exit $?: $(tail -1 "$T/p$i.out"))"
	done
	[ -z "$bad" ] && ok "round $round: eight pushes at once into a 64 KiB map exit 0" ||
		fail "round $round: eight pushes at once into a 64 KiB map:$bad"
	alive "round $round: the aggregator is still running"
	short=""
	i=1
	while [ $i -le 8 ]; do
		agg_has "$T/v$i" || short="$short $i"
		i=$((i + 1))
	done
	[ -z "$short" ] && ok "round $round: every village's replica is complete" ||
		fail "round $round: replicas incomplete for villages$short"
	stop_agg
	unset LUMBUNG_AGG_MAP_SIZE
	round=$((round + 1))
done
msize=$(mdb_stat -e "$T/agg5" | awk '/Map size/ { print $3 }')
[ "${msize:-0}" -gt 1048576 ] && ok "the map grew from 64 KiB (to $msize bytes)" ||
	fail "the map grew from 64 KiB (map size ${msize:-?})"

# --- serve and ingest on one directory, each growing the map --------------
# Villages 1-4 push to `serve`, villages 5-8 arrive as change-set files
# through `ingest` processes: first ingest grows the map while serve sits
# idle on its 64 KiB, then serve grows it while a new ingest (64 KiB) runs,
# then both at once.
A="$T/both"
export LUMBUNG_AGG_MAP_SIZE=65536
AK=$(agg init -d "$A" --region 33.24) || fail "agg init"
i=1
while [ $i -le 8 ]; do
	agg enroll -d "$A" --village "33.24.01.200$i" --key "$(origin "$T/v$i")" >/dev/null
	i=$((i + 1))
done
start_agg "$A"
files "$T/v5" "$T/f5" >"$T/f5.list" || fail "change-set files of village 5"
expect_exit 0 "ingest grows the map while serve holds it at 64 KiB" \
	agg ingest -d "$A" $(cat "$T/f5.list")
msize=$(mdb_stat -e "$A" | awk '/Map size/ { print $3 }')
[ "${msize:-0}" -gt 65536 ] && ok "the ingest process grew the map (to $msize bytes)" ||
	fail "the ingest process grew the map (map size ${msize:-?})"
expect_exit 0 "then serve answers GETs and accepts a push (it adopts the larger map)" \
	lb push -d "$T/v1" --to "$URL" --key "$AK" --max-bytes 16k
alive "serve is still running after the other process grew the map"
check "village 1 is held" agg_has "$T/v1"
check "village 5 is held" agg_has "$T/v5"

# the reverse: serve grows the map, then an ingest process started with
# 64 KiB joins in
more "$T/v2" 33.24.01.2002 600 12
expect_exit 0 "serve grows the map further (a larger push)" \
	lb push -d "$T/v2" --to "$URL" --key "$AK" --max-bytes 16k
files "$T/v6" "$T/f6" >"$T/f6.list" || fail "change-set files of village 6"
expect_exit 0 "an ingest process with a 64 KiB map works on the map serve grew" \
	agg ingest -d "$A" $(cat "$T/f6.list")
check "village 2 is held" agg_has "$T/v2"
check "village 6 is held" agg_has "$T/v6"

# both at once, several rounds of each
for v in 3 4 7 8; do more "$T/v$v" "33.24.01.200$v" 400 $((30 + v)); done
files "$T/v7" "$T/f7" >"$T/f7.list" || fail "change-set files of village 7"
files "$T/v8" "$T/f8" >"$T/f8.list" || fail "change-set files of village 8"
(agg ingest -d "$A" $(cat "$T/f7.list") >"$T/i7.out" 2>&1; echo $? >"$T/i7.rc") &
ip1=$!
(agg ingest -d "$A" $(cat "$T/f8.list") >"$T/i8.out" 2>&1; echo $? >"$T/i8.rc") &
ip2=$!
lb push -d "$T/v3" --to "$URL" --key "$AK" --max-bytes 16k >"$T/p3.out" 2>&1 &
pp1=$!
lb push -d "$T/v4" --to "$URL" --key "$AK" --max-bytes 16k >"$T/p4.out" 2>&1 &
pp2=$!
wait $pp1
r3=$?
wait $pp2
r4=$?
wait $ip1 $ip2
[ $r3 -eq 0 ] && [ $r4 -eq 0 ] && ok "two pushes to serve while two ingests run exit 0" ||
	fail "two pushes to serve while two ingests run (exit $r3, $r4: $(tail -1 "$T/p3.out") $(tail -1 "$T/p4.out"))"
[ "$(cat "$T/i7.rc")" = 0 ] && [ "$(cat "$T/i8.rc")" = 0 ] &&
	ok "two ingests while serve takes pushes exit 0" ||
	fail "two ingests while serve takes pushes ($(tail -1 "$T/i7.out") $(tail -1 "$T/i8.out"))"
alive "serve is still running"
short=""
for v in 1 2 3 4 5 6 7 8; do agg_has "$T/v$v" || short="$short $v"; done
[ -z "$short" ] && ok "every village is held completely, whichever process took it" ||
	fail "incomplete after serve and ingest grew the map together:$short"
# and each replica is byte for byte the village's log: export and compare heads
for v in 1 4 7; do same_as_agg "$T/v$v" "village $v: the aggregator's hash is the village's"; done
unset LUMBUNG_AGG_MAP_SIZE
stop_agg

# --- replays: an old change set does not move "last seen" -------------------
A="$T/replay"
AK=$(agg init -d "$A" --region 33.24) || fail "agg init"
agg enroll -d "$A" --village 33.24.01.2001 --key "$(origin "$T/v1")" >/dev/null
lb changeset -d "$T/v1" --plain --since 1 --max-bytes 16k >"$T/old.cs" 2>/dev/null
lb changeset -d "$T/v1" --plain >"$T/all.cs" 2>/dev/null
expect_exit 0 "the village's log arrives by file" agg ingest -d "$A" "$T/old.cs" "$T/all.cs"
seen=$(agg_field 33.24.01.2001 last_seen_ms)
sleep 0.05
expect_exit 0 "a captured old change set is accepted again (a resend)" \
	agg ingest -d "$A" "$T/old.cs" "$T/all.cs" "$T/old.cs"
contains "$T/out" "accepted 0 new entries" "and adds nothing"
now=$(agg_field 33.24.01.2001 last_seen_ms)
[ "$now" = "$seen" ] && ok "replays do not move last seen ($seen)" ||
	fail "replays moved last seen from $seen to $now"
agg status -d "$A" >"$T/status"
contains "$T/status" "LAST_SEEN: when new entries from that key last arrived" \
	"status says what LAST_SEEN means"

# --- one active key per village ----------------------------------------------
K1=$(origin "$T/v1")
lb init -d "$T/laptop" --village 33.24.01.2001 >/dev/null 2>&1
K2=$(origin "$T/laptop")
expect_exit 7 "a second key for a village with an active key is refused" \
	agg enroll -d "$A" --village 33.24.01.2001 --key "$K2"
contains "$T/err" "$K1" "the refusal names the active key"
contains "$T/err" "revoke" "and says to revoke it first"
contains "$T/err" "succession" "and that key succession is the later way"
expect_exit 0 "after revoking the old key" agg revoke -d "$A" --key "$K1"
expect_exit 0 "the new key can be enrolled" agg enroll -d "$A" --village 33.24.01.2001 --key "$K2"
expect_exit 7 "and the old key cannot be enrolled again beside it" \
	agg enroll -d "$A" --village 33.24.01.2001 --key "$K1"
contains "$T/err" "$K2" "that refusal names the new key"
n=$(agg status -d "$A" --json | python3 -c '
import json, sys
print(sum(1 for v in json.load(sys.stdin)["villages"] if v["village"] == "33.24.01.2001" and not v["revoked"]))')
[ "$n" = 1 ] && ok "status shows one active key for the village" || fail "status shows $n active keys"

done_testing
