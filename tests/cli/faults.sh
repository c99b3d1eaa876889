#!/bin/sh
# faults.sh — pushes over a bad link and into a dying aggregator.
#
# A TCP proxy (tests/tools/cutproxy.c) between the village and the
# aggregator drops the connection after N bytes of the requests, or of the
# replies, for many N; or lets it hang.  The aggregator is also killed with
# SIGKILL in the middle of pushes and restarted.  After each fault the next
# push must bring the aggregator to exactly the village's tip: nothing
# lost (same seq and hash as the node, hash-chained), nothing duplicated
# (the replica holds exactly seq entries), and its store still opens.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR

lb() { "$LUMBUNG" "$@"; }
A="$T/agg"
AK=$(agg init -d "$A" --region 33.24)
start_agg "$A"
V="$T/v"
lb init -d "$V" --village 33.24.01.2001 >/dev/null 2>&1
"$GEN" --village 33.24.01.2001 --count 1500 --seed 7 >"$T/g.jsonl"
lb put -d "$V" --batch "$T/g.jsonl" >/dev/null 2>&1 || fail "generate"
agg enroll -d "$A" --village 33.24.01.2001 --key "$(origin "$V")" >/dev/null
PROXY_PID=""

# proxy ARGS... — start cutproxy in front of the aggregator; sets PURL
proxy() {
	: >"$T/proxy.out"
	"$CUTPROXY" --listen 127.0.0.1:0 --to "127.0.0.1:$PORT" "$@" >"$T/proxy.out" 2>>"$T/proxy.log" &
	PROXY_PID=$!
	wait_for 10 grep -q "listening on" "$T/proxy.out" || fail "proxy did not start"
	PURL="http://127.0.0.1:$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$T/proxy.out")"
}
unproxy() {
	kill "$PROXY_PID" 2>/dev/null
	wait "$PROXY_PID" 2>/dev/null
}

n=0
more() { # a few new records, so every round has something to send
	n=$((n + 1))
	for i in 1 2 3 4 5 6 7 8; do
		echo "{\"type\":\"aspirasi\",\"id\":\"F$n-$i\",\"body\":{\"pengusul\":\"Warga $n\",\"usulan\":\"Usulan $i\",\"tanggal\":\"2026-01-05\",\"status\":\"diusulkan\"}}"
	done | lb put -d "$V" --batch >/dev/null 2>&1
}

exact() { # description — the aggregator holds exactly the node's log
	same_as_agg "$V" "$1: same tip and hash as the node"
	e=$(agg_field 33.24.01.2001 entries)
	s=$(seq_of "$V")
	[ "$e" = "$s" ] && ok "$1: $e entries held, none twice" || fail "$1: $e entries held for seq $s"
}

# cut ROUND-NAME PROXY-ARGS... — push through a faulty link, then a clean push
cut_round() {
	name=$1
	shift
	more
	proxy --first 1 "$@"
	lb push -d "$V" --to "$PURL" --key "$AK" --max-bytes 16k --stall-timeout 2 >"$T/p1" 2>&1
	rc=$?
	unproxy
	case $rc in
	0 | 22) ;;
	*) fail "$name: push over the faulty link exited $rc: $(tail -2 "$T/p1")" ;;
	esac
	if lb push -d "$V" --to "$URL" --key "$AK" >"$T/p2" 2>&1; then :; else
		fail "$name: the clean push after it failed: $(cat "$T/p2")"
	fi
	exact "$name (first push exit $rc)"
}

# the first push's bytes: a GET (~150 bytes) then 16 KiB POSTs
for up in 0 1 40 120 200 600 3000 9000 16500 17000 40000 100000; do
	cut_round "request cut after $up bytes" --up "$up"
done
# replies are small: the GET's (~170 bytes) then ~330 bytes per POST
for down in 0 1 30 100 160 200 260 400 520 700 1000 2500; do
	cut_round "reply cut after $down bytes" --down "$down"
done
cut_round "link hangs after 300 request bytes (inside the first POST)" --up 300 --stall
grep -q "retrying" "$T/p1" && ok "the hung request was abandoned and retried" ||
	fail "no retry after the stall: $(cat "$T/p1")"
cut_round "link hangs after 200 reply bytes" --down 200 --stall

# --- the aggregator dies mid-push (SIGKILL) and comes back --------------------
seed=8
for delay in 0.2 0.5 0.9; do
	# 3000 records in one transaction (a head every 256 entries): the
	# kill lands in the middle of a push of many change sets
	seed=$((seed + 1))
	"$GEN" --village 33.24.01.2001 --count 3000 --seed $seed >"$T/g2.jsonl"
	lb put -d "$V" --batch "$T/g2.jsonl" >/dev/null 2>&1 || fail "more records"
	lb push -d "$V" --to "$URL" --key "$AK" --max-bytes 8k >"$T/k1" 2>&1 &
	pusher=$!
	sleep "$delay"
	stop_agg KILL
	wait "$pusher"
	rc=$?
	case $rc in
	0 | 22) ok "push when the aggregator is killed after ${delay} s: exit $rc" ;;
	*) fail "push when the aggregator is killed: exit $rc: $(tail -2 "$T/k1")" ;;
	esac
	start_agg "$A"
	expect_exit 0 "the restarted aggregator opens its store and the next push completes" \
		lb push -d "$V" --to "$URL" --key "$AK"
	exact "SIGKILL after ${delay} s"
done
unproxy
stop_agg

# --- a full map grows under concurrent pushes ---------------------------------
# An aggregator started with a 256 KiB map must double it many times while
# three villages push at once; nothing is refused and nothing lost.
A="$T/agg-small"
AK=$(agg init -d "$A" --region 33.24)
LUMBUNG_AGG_MAP_SIZE=262144 start_agg "$A"
for i in 1 2 3; do
	lb init -d "$T/g$i" --village 33.24.01.200$i >/dev/null 2>&1
	"$GEN" --village 33.24.01.200$i --count 2000 --seed $((20 + i)) >"$T/g.jsonl"
	lb put -d "$T/g$i" --batch "$T/g.jsonl" >/dev/null 2>&1
	agg enroll -d "$A" --village 33.24.01.200$i --key "$(origin "$T/g$i")" >/dev/null
done
for i in 1 2 3; do
	lb push -d "$T/g$i" --to "$URL" --key "$AK" --max-bytes 32k >"$T/g$i.out" 2>&1 &
	eval "gp$i=\$!"
done
for i in 1 2 3; do
	eval "wait \$gp$i"
	rc=$?
	[ $rc -eq 0 ] && ok "push $i into a growing map exits 0" || fail "push $i into a growing map: exit $rc: $(tail -2 "$T/g$i.out")"
	same_as_agg "$T/g$i" "village $i is held exactly after the map grew"
done
size=$(stat -c %s "$A/data.mdb")
[ "$size" -gt 1048576 ] && ok "the map grew from 256 KiB (data file now $size bytes)" ||
	fail "data file is only $size bytes"
stop_agg
done_testing
