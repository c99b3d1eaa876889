#!/bin/sh
# lossy.sh — a village syncs over a link that loses 30% of its packets both
# ways and delays them by 1 s; everything arrives exactly once.
#
# The link is real TCP/IP between two network namespaces this test makes
# (and removes on exit, also on failure): the aggregator (lumbung-agg
# serve) listens on 10.200.0.1 in one, the village's `lumbung sync` runs on
# 10.200.0.2 in the other, joined by a veth pair.  No traffic leaves the
# two namespaces.  The faults (the kernel has no netem):
#   - loss: in each namespace an iptables rule drops 30% of the packets
#     it sends on the veth (-m statistic --mode random --probability 0.3),
#     so requests, replies, handshakes and ACKs are all lost;
#   - delay: in the village's namespace every packet it sends on the veth
#     goes to an NFQUEUE held by tests/tools/nfdelay.c for 1000 ms before
#     it is let through: a real one-way delay of 1 s village->aggregator,
#     so every round trip takes at least 1 s (the mangle table queues, the
#     filter table drops afterwards, so each TCP segment is a packet).
# The village writes 120 small records in 3 transactions and syncs, then
# 80 more in 2 transactions, an update and a delete, and syncs again.
# `lumbung sync` is tuned as a village on such a link would run it:
# --every 1, --max-bytes 8k (the smallest change sets: one transaction,
# ~4.5 KB, four TCP segments) and --stall-timeout 8: with 30% loss TCP's
# retransmission timer backs off to many seconds, and a fresh connection
# gets through sooner than waiting on it (with 15 s, rounds often sat idle
# 15 s at a time).  TCP moves well under 1 KB/s over this link and a
# request often has to be abandoned and sent again, so the test keeps the
# data small and gives each round 75 s to catch up (in 10 runs rounds took
# 6..60 s, most under 40 s; the whole test 35..80 s).  The aggregator
# must then hold exactly the village's tip and hash, one entry per seq
# (nothing lost, nothing twice), the same live records, and its replica
# must verify with lumbung-audit and be byte for byte the village's own
# log.  The iptables counters and nfdelay's report prove that packets
# really were lost and delayed.
#
# Last, on loopback through tests/tools/cutproxy.c: after an outage has
# grown sync's backoff, a pass that gets entries through before the link
# fails again must be retried within 2 s, not after the outage's backoff.
#
# Needs root, `ip netns`, iptables with the statistic match and NFQUEUE
# (tools/deps.sh installs iproute2, iptables, libnetfilter-queue-dev); a
# machine without them FAILS this test.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR

lb() { "$LUMBUNG" "$@"; }
NFDELAY="$BUILD/nfdelay"
LLATOOL="$(dirname "$0")/../tools/llatool.py"
NA="lbagg$$"   # namespaces and veth ends, unique per run
NV="lbvil$$"
IA="lba$$"
IV="lbv$$"
DELAY_MS=1000
LOSS=0.3
ROUND_S=75   # each round must catch up within this
STALL_S=8    # sync --stall-timeout
DELAY_PID=""
SYNC_PID=""
PROXY_PID=""

_lossy_cleanup() {
	for p in $SYNC_PID $AGG_PID $DELAY_PID $PROXY_PID; do kill -KILL "$p" 2>/dev/null; done
	for p in $SYNC_PID $AGG_PID $DELAY_PID $PROXY_PID; do wait "$p" 2>/dev/null; done
	ip netns del "$NV" 2>/dev/null
	ip netns del "$NA" 2>/dev/null
	rm -rf "$T"
}
trap _lossy_cleanup EXIT
trap 'exit 1' INT TERM HUP

inv() { ip netns exec "$NV" "$@"; }   # run in the village's namespace
ina() { ip netns exec "$NA" "$@"; }   # run in the aggregator's namespace

# --- the link ------------------------------------------------------------------
make_link() {
	ip netns add "$NA" && ip netns add "$NV" &&
		ip link add "$IA" netns "$NA" type veth peer name "$IV" netns "$NV" &&
		ip -n "$NA" addr add 10.200.0.1/24 dev "$IA" &&
		ip -n "$NV" addr add 10.200.0.2/24 dev "$IV" &&
		ip -n "$NA" link set lo up && ip -n "$NV" link set lo up &&
		ip -n "$NA" link set "$IA" up && ip -n "$NV" link set "$IV" up &&
		inv iptables -t mangle -A OUTPUT -o "$IV" -j NFQUEUE --queue-num 0 --queue-bypass &&
		inv iptables -A OUTPUT -o "$IV" -m statistic --mode random --probability "$LOSS" -j DROP &&
		ina iptables -A OUTPUT -o "$IA" -m statistic --mode random --probability "$LOSS" -j DROP
}
if make_link 2>"$T/link.err"; then ok "two namespaces joined by a veth, 30% loss each way"; else
	fail "cannot build the lossy link (root, ip netns, iptables statistic/NFQUEUE needed): $(head -c 300 "$T/link.err")"
	done_testing
	exit 1
fi
# background jobs run `ip netns exec` directly (it execs the program), so
# their $! is the program itself and the cleanup can stop it
ip netns exec "$NV" "$NFDELAY" --queue 0 --delay "$DELAY_MS" >"$T/delay.out" 2>"$T/delay.err" &
DELAY_PID=$!
if wait_for 10 grep -q "^nfdelay: queue" "$T/delay.out"; then ok "nfdelay holds the village's packets for $DELAY_MS ms"; else
	fail "nfdelay did not start: $(cat "$T/delay.err")"
	done_testing
	exit 1
fi

# --- aggregator and village ----------------------------------------------------
A="$T/agg"
AK=$(agg init -d "$A" --region 33.24) || fail "agg init"
AGG_NETNS="$NA"
AGG_HOST=10.200.0.1
start_agg "$A" || {
	done_testing
	exit 1
}
unset AGG_NETNS AGG_HOST # later aggregators run on loopback
V="$T/v"
lb init -d "$V" --village 33.24.01.2001 >/dev/null 2>&1 || fail "lumbung init"
agg enroll -d "$A" --village 33.24.01.2001 --key "$(origin "$V")" >/dev/null || fail "enroll"
lb remote add -d "$V" kab "$URL" --key "$AK" >/dev/null || fail "remote add"

# put_txns ROUND TXNS [DIR] — TXNS transactions of 40 new aspirasi records
# each (small records, ~110 bytes a change-set entry: the link is slow)
put_txns() {
	j=0
	while [ $j -lt "$2" ]; do
		j=$((j + 1))
		for i in $(seq 1 40); do
			echo "{\"type\":\"aspirasi\",\"id\":\"R$1-$j-$i\",\"body\":{\"pengusul\":\"Warga $i\",\"usulan\":\"Usulan $j.$i\",\"tanggal\":\"2026-01-05\",\"status\":\"diusulkan\"}}"
		done | lb put -d "${3:-$V}" --batch >/dev/null 2>&1 || fail "put transaction $j of round $1"
	done
}

exact() { # description — the aggregator holds exactly the node's log
	same_as_agg "$V" "$1: the aggregator holds the village's tip and hash"
	e=$(agg_field 33.24.01.2001 entries)
	s=$(seq_of "$V")
	if [ "$e" = "$s" ]; then ok "$1: $e entries held for seq $s, none lost, none twice"; else
		fail "$1: $e entries held for seq $s"; fi
	want=$(lb ls -d "$V" aspirasi | wc -l)
	got=$(agg_count aspirasi)
	if [ "$got" -eq "$want" ] && [ "$want" -gt 0 ]; then ok "$1: $got live records on both sides"; else
		fail "$1: the aggregator has $got live records, the village $want"; fi
}

t0=$(date +%s)
put_txns 1 3
LUMBUNG_PUSH_LOG=1 ip netns exec "$NV" "$LUMBUNG" sync -d "$V" --every 1 --max-bytes 8k --stall-timeout "$STALL_S" >"$T/sync.out" 2>&1 &
SYNC_PID=$!
if wait_for "$ROUND_S" agg_has "$V"; then ok "round 1: sync caught up with 120 records in $(($(date +%s) - t0)) s"; else
	fail "round 1: sync did not catch up in $ROUND_S s: $(tail -5 "$T/sync.out")"; fi
exact "round 1"

t1=$(date +%s)
put_txns 2 2
lb put -d "$V" --merge aspirasi R1-1-1 status=ditampung >/dev/null 2>&1 || fail "update"
lb rm -d "$V" aspirasi R1-1-2 >/dev/null 2>&1 || fail "delete"
if wait_for "$ROUND_S" agg_has "$V"; then ok "round 2: sync caught up with 80 more, an update and a delete in $(($(date +%s) - t1)) s"; else
	fail "round 2: sync did not catch up in $ROUND_S s: $(tail -5 "$T/sync.out")"; fi
exact "round 2"

# a TCP connect across the link: the SYN waits 1 s in the queue
c=$(inv python3 -c '
import socket, sys, time
t = time.monotonic()
socket.create_connection(("10.200.0.1", int(sys.argv[1])), timeout=30).close()
print("%.2f" % (time.monotonic() - t))' "$PORT" 2>&1)
if python3 -c 'import sys; sys.exit(not float(sys.argv[1]) >= 0.99)' "$c" 2>/dev/null; then
	ok "a TCP connect across the link takes $c s (at least the 1 s delay)"; else
	fail "a TCP connect across the link took $c s, less than the delay"; fi

kill -TERM "$SYNC_PID"
wait "$SYNC_PID"
rc=$?
SYNC_PID=""
[ $rc -eq 0 ] && ok "sync stops cleanly on SIGTERM" || fail "sync exit $rc: $(tail -3 "$T/sync.out")"
echo "# sync: $(grep -c '^push .*accepted$' "$T/sync.out") change sets accepted, $(grep '^push ' "$T/sync.out" | grep -vc 'accepted$') abandoned, $(grep -c 'next try' "$T/sync.out") failed passes"
if grep -q "needs attention" "$T/sync.out"; then fail "sync met an error other than the network: $(grep "needs attention" "$T/sync.out" | head -3)"; else
	ok "every failed pass was a network error, retried"; fi

# --- the replica is the village's log --------------------------------------------
o=$(origin "$V")
expect_exit 0 "the aggregator's replica verifies with lumbung-audit (village key pinned)" \
	"$BUILD/lumbung-audit" verify -d "$A" --origin "$o" --key "$o"
"$BUILD/lumbung-audit" export -d "$A" --origin "$o" >"$T/agg.lla" 2>/dev/null
lb export-log -d "$V" >"$T/node.lla" 2>/dev/null
if python3 "$LLATOOL" dump "$T/agg.lla" entry >"$T/a.txt" 2>&1 &&
	python3 "$LLATOOL" dump "$T/node.lla" entry >"$T/n.txt" 2>&1 &&
	[ -s "$T/a.txt" ] && cmp -s "$T/a.txt" "$T/n.txt"; then
	ok "the replica is byte for byte the village's log ($(wc -l <"$T/n.txt") entry lines)"
else
	fail "the replica differs from the village's log: $(head -c 200 "$T/a.txt")"
fi

# --- the link really was bad ----------------------------------------------------------
stop_agg
drops() { # NS IFACE — packets the loss rule dropped
	ip netns exec "$1" iptables -v -x -n -L OUTPUT | awk -v i="$2" '$3 == "DROP" && $7 == i { print $1 }'
}
dv=$(drops "$NV" "$IV")
da=$(drops "$NA" "$IA")
if [ "${dv:-0}" -gt 0 ]; then ok "$dv packets village->aggregator were dropped"; else
	fail "no packet village->aggregator was dropped (${dv:-no counter})"; fi
if [ "${da:-0}" -gt 0 ]; then ok "$da packets aggregator->village were dropped"; else
	fail "no packet aggregator->village was dropped (${da:-no counter})"; fi
kill -TERM "$DELAY_PID"
wait "$DELAY_PID"
DELAY_PID=""
d=$(sed -n 's/^nfdelay: delayed \([0-9]*\) packets.*/\1/p' "$T/delay.out")
if [ "${d:-0}" -gt 0 ]; then ok "nfdelay delayed $d packets by $DELAY_MS ms"; else
	fail "nfdelay delayed no packet: $(cat "$T/delay.out" "$T/delay.err")"; fi
echo "# $(tail -1 "$T/delay.out"); total $(($(date +%s) - t0)) s"
[ "$_failed" -gt 0 ] && sed 's/^/# /' "$T/sync.out" "$T/agg.log"

# --- after an outage, a pass that moves entries is retried soon -----------------
# Nothing listens at first: three passes fail and sync's backoff grows
# (waits of 1..2, 2..4, 4..8 s).  Then a proxy comes up that lets the
# pass's GET and first change set through and cuts the connection inside
# the reply to the second (--down 600: replies of ~170 bytes to the GET,
# ~360 to a POST; a cut request would be resent by libcurl on a fresh
# connection, a cut reply is not).  That pass moved entries, so the link
# works: the next try must come in 1..2 s, not after the 8..16 s the
# outage had built up (up to 15 min after a long one).
A="$T/agg2"
AK2=$(agg init -d "$A" --region 33.24)
start_agg "$A"
V2="$T/v2"
lb init -d "$V2" --village 33.24.01.2002 >/dev/null 2>&1
agg enroll -d "$A" --village 33.24.01.2002 --key "$(origin "$V2")" >/dev/null || fail "enroll v2"
put_txns 3 2 "$V2"
start_proxy() { # PORT — cutproxy in front of the aggregator; sets PROXY_PID, PP
	: >"$T/proxy.out"
	"$CUTPROXY" --listen "127.0.0.1:$1" --to "127.0.0.1:$PORT" --down 600 --first 1 \
		>"$T/proxy.out" 2>>"$T/proxy.log" &
	PROXY_PID=$!
	wait_for 10 grep -q "listening on" "$T/proxy.out" || fail "cutproxy did not start: $(cat "$T/proxy.log")"
	PP=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$T/proxy.out")
}
stop_proxy() { kill "$PROXY_PID" && wait "$PROXY_PID"; PROXY_PID=""; }
start_proxy 0
stop_proxy
# (--no-compress: uncompressed 8k change sets make the several requests
# whose replies the cut at reply byte 600 falls among)
"$LUMBUNG" sync -d "$V2" --to "http://127.0.0.1:$PP" --key "$AK2" --every 1 --max-bytes 8k \
	--no-compress >"$T/sync2.out" 2>&1 &
SYNC_PID=$!
failed_passes() { [ "$(grep -c 'next try' "$T/sync2.out")" -ge "$1" ]; }
wait_for 30 failed_passes 3 || fail "sync did not fail three times: $(cat "$T/sync2.out")"
start_proxy "$PP"
wait_for 40 agg_has "$V2" || fail "sync did not catch up through the proxy: $(tail -3 "$T/sync2.out")"
kill -TERM "$SYNC_PID"
wait "$SYNC_PID"
SYNC_PID=""
stop_proxy
stop_agg
line=$(grep 'sent [1-9][0-9]* entries first' "$T/sync2.out" | head -1)
w=$(echo "$line" | sed -n 's/.* next try in \([0-9]*\) s .*/\1/p')
if [ -n "$w" ] && [ "$w" -le 2 ]; then ok "after the outage, a pass that sent entries is retried in $w s"; else
	fail "after a pass that sent entries the next try is not within 2 s: ${line:-no such pass}: $(cat "$T/sync2.out")"; fi
same_as_agg "$V2" "and the aggregator then holds the village's tip"
done_testing
