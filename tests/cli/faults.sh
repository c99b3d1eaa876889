#!/bin/sh
# faults.sh — pushes over a bad link and into a dying aggregator.
#
# A TCP proxy (tests/tools/cutproxy.c) between the village and the
# aggregator drops the connection after N bytes of the requests, or of the
# replies, for many N; or lets it hang.  Every round pushes enough (nine
# change sets: ~220 KB of requests, ~3.5 KB of replies) for every N to fall
# inside the push, and the proxy's own report ("conn 1: cut up at byte N")
# must show that it broke the link exactly there.  The aggregator is also
# killed with SIGKILL in the middle of pushes: the proxy stalls the push at
# a request byte chosen from the seed, the kill lands while the push waits
# there, and the restarted aggregator must hold some but not all of that
# push.  After each fault the next push must bring the aggregator to
# exactly the village's tip: nothing lost (same seq and hash as the node,
# hash-chained), nothing duplicated (the replica holds exactly seq
# entries), and its store still opens.
#
# The random offsets come from a seed printed in the output;
# FAULTS_SEED=N repeats a run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR
SEED=${FAULTS_SEED:-$(($(date +%s) % 100000 + $$))}

lb() { "$LUMBUNG" "$@"; }
A="$T/agg"
AK=$(agg init -d "$A" --region 33.24) || fail "agg init"
start_agg "$A" || exit 1
V="$T/v"
lb init -d "$V" --village 33.24.01.2001 >/dev/null 2>&1 || fail "init the village"
"$GEN" --village 33.24.01.2001 --count 1500 --seed 7 >"$T/g.jsonl" || fail "generate"
lb put -d "$V" --batch "$T/g.jsonl" >/dev/null 2>&1 || fail "import the generated records"
agg enroll -d "$A" --village 33.24.01.2001 --key "$(origin "$V")" >/dev/null || fail "enroll"
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
	[ -n "$PROXY_PID" ] || return 0
	kill "$PROXY_PID" 2>/dev/null
	wait "$PROXY_PID" 2>/dev/null
	PROXY_PID=""
}

n=0
more() { # 2100 new records: nine signed heads, so nine change sets of ~24 KB
	n=$((n + 1))
	awk -v n=$n 'BEGIN { for (i = 1; i <= 2100; i++)
		printf "{\"type\":\"aspirasi\",\"id\":\"F%d-%d\",\"body\":{\"pengusul\":\"Warga %d\"," \
		       "\"usulan\":\"Usulan %d\",\"tanggal\":\"2026-01-05\",\"status\":\"diusulkan\"}}\n", n, i, n, i }' |
		lb put -d "$V" --batch >/dev/null 2>"$T/more.err" || fail "round $n: 2100 more records ($(cat "$T/more.err"))"
}

# broke "description" "conn 1: cut up at byte N" — the proxy broke the link there
broke() {
	if grep -qxF "$2" "$T/proxy.out"; then ok "$1: the proxy reports \"$2\""; else
		fail "$1: the proxy never reported \"$2\" (it said: $(grep -v listening "$T/proxy.out" | tr '\n' ' '))"
	fi
}

exact() { # description — the aggregator holds exactly the node's log
	same_as_agg "$V" "$1: same tip and hash as the node"
	e=$(agg_field 33.24.01.2001 entries)
	s=$(seq_of "$V")
	[ "$e" = "$s" ] && ok "$1: $e entries held, none twice" || fail "$1: $e entries held for seq $s"
}

# cut_round ROUND-NAME REPORT PROXY-ARGS... — push through a faulty link
# (the proxy must report REPORT), then a clean push
cut_round() {
	name=$1
	report=$2
	shift 2
	more
	proxy --first 1 "$@"
	lb push -d "$V" --to "$PURL" --key "$AK" --max-bytes 16k --no-compress --stall-timeout 2 >"$T/p1" 2>&1
	rc=$?
	unproxy
	broke "$name" "$report"
	case $rc in
	0 | 22) ;;
	*) fail "$name: push over the faulty link exited $rc: $(tail -2 "$T/p1")" ;;
	esac
	if lb push -d "$V" --to "$URL" --key "$AK" >"$T/p2" 2>&1; then :; else
		fail "$name: the clean push after it failed: $(cat "$T/p2")"
	fi
	exact "$name (first push exit $rc)"
}

# random offsets: two more request cuts, two more reply cuts, and the
# request bytes at which the SIGKILL rounds stall the push (past the first
# ~24 KB change set, before the end of the ~220 KB push)
set -- $(awk -v seed="$SEED" 'BEGIN { srand(seed)
	print 1 + int(rand() * 200000), 1 + int(rand() * 200000)
	print 1 + int(rand() * 3000), 1 + int(rand() * 3000)
	print 30000 + int(rand() * 170000), 30000 + int(rand() * 170000), 30000 + int(rand() * 170000) }')
rup="$1 $2"
rdown="$3 $4"
kills="$5 $6 $7"
echo "# seed $SEED (rerun with FAULTS_SEED=$SEED): request cuts at $rup, reply cuts at $rdown, kills at request bytes $kills"

# the first push's bytes: a GET (~150 bytes) then nine ~24 KB POSTs
for up in 0 1 40 120 200 600 3000 9000 16500 17000 40000 100000 $rup; do
	cut_round "request cut after $up bytes" "conn 1: cut up at byte $up" --up "$up"
done
# the replies: the GET's (~170 bytes) then ~380 bytes per POST
for down in 0 1 30 100 160 200 260 400 520 700 1000 2500 $rdown; do
	cut_round "reply cut after $down bytes" "conn 1: cut down at byte $down" --down "$down"
done
cut_round "link hangs after 300 request bytes (inside the first POST)" "conn 1: stall up at byte 300" --up 300 --stall
if grep -q "retrying" "$T/p1"; then ok "the hung request was abandoned and retried"; else
	fail "no retry after the stall: $(cat "$T/p1")"
fi
cut_round "link hangs after 200 reply bytes" "conn 1: stall down at byte 200" --down 200 --stall

# --- the aggregator dies mid-push (SIGKILL) and comes back --------------------
# The proxy stalls the push at request byte K; once it says so, the push is
# surely under way (change sets accepted, one half sent) and the aggregator
# is killed.  Closing the proxy then breaks the push's link.
for k in $kills; do
	more
	before=$(agg_field 33.24.01.2001 seq)
	tip=$(seq_of "$V")
	proxy --first 1 --up "$k" --stall
	lb push -d "$V" --to "$PURL" --key "$AK" --max-bytes 16k --no-compress --stall-timeout 20 >"$T/k1" 2>&1 &
	pusher=$!
	if wait_for 20 grep -qxF "conn 1: stall up at byte $k" "$T/proxy.out"; then
		stop_agg KILL
		ok "SIGKILL at request byte $k: the push was stalled there when the aggregator died"
	else
		stop_agg KILL
		fail "SIGKILL at request byte $k: the proxy never stalled there ($(cat "$T/proxy.out" "$T/k1"))"
	fi
	unproxy
	wait "$pusher"
	rc=$?
	[ $rc -eq 22 ] && ok "SIGKILL at request byte $k: the push fails with a network error (exit 22)" ||
		fail "SIGKILL at request byte $k: push exit $rc, wanted 22: $(tail -2 "$T/k1")"
	start_agg "$A" || exit 1
	mid=$(agg_field 33.24.01.2001 seq)
	if [ "$mid" -gt "$before" ] && [ "$mid" -lt "$tip" ]; then
		ok "SIGKILL at request byte $k landed mid-push: the restarted aggregator holds seq $mid of $before..$tip"
	else
		fail "SIGKILL at request byte $k landed mid-push: the restarted aggregator holds seq $mid, wanted between $before and $tip"
	fi
	expect_exit 0 "the restarted aggregator opens its store and the next push completes" \
		lb push -d "$V" --to "$URL" --key "$AK"
	exact "SIGKILL at request byte $k"
done
stop_agg

# --- a full map grows under concurrent pushes ---------------------------------
# An aggregator started with a 256 KiB map must double it many times while
# three villages push at once; nothing is refused and nothing lost.
A="$T/agg-small"
AK=$(agg init -d "$A" --region 33.24) || fail "agg init (small map)"
LUMBUNG_AGG_MAP_SIZE=262144 start_agg "$A" || exit 1
for i in 1 2 3; do
	lb init -d "$T/g$i" --village 33.24.01.200$i >/dev/null 2>&1 &&
		"$GEN" --village 33.24.01.200$i --count 2000 --seed $((20 + i)) >"$T/g.jsonl" &&
		lb put -d "$T/g$i" --batch "$T/g.jsonl" >/dev/null 2>&1 &&
		agg enroll -d "$A" --village 33.24.01.200$i --key "$(origin "$T/g$i")" >/dev/null ||
		fail "village $i: init, 2000 records, enroll"
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
