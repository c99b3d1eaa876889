#!/bin/sh
# hostile.sh — lumbung-agg serve in a hostile world (issue 05).
#
# Slow clients: 1,500 connections trickling one header byte every 2 s, from
# another loopback address and then from the honest village's own address,
# while the village pushes (real `lumbung push`, libcurl) and asks where the
# aggregator stands: both must get through.  One trickling connection is
# closed by its header deadline although it keeps sending.
# Memory: 16 POSTs of 63 MiB bodies with the last byte withheld, with an
# enrolled origin header, without one, and with an unknown one; the
# server's peak RSS (VmHWM) stays under 320, 128 and 64 MiB.
# Framing: duplicate Content-Length (400), Content-Length with
# Transfer-Encoding (400), wrong Content-Type (415), pipelined requests
# answered; no peer bytes reach the log raw (log injection).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR

HOSTILE="$(cd "$(dirname "$0")/.." && pwd)/tools/hostile.py"
# peak RSS bounds: the default budget for bodies in flight (256 MiB; a
# quarter of it for POSTs without an origin header; none for an unknown
# origin) plus 64 MiB for the server itself; AddressSanitizer's shadow
# memory and quarantine add up to half again (make test-asan)
MIB=1024
[ -n "${LUMBUNG_ASAN:-}" ] && MIB=1536
lb() { "$LUMBUNG" "$@"; }
hostile() { python3 "$HOSTILE" "$@"; }

A="$T/agg"
AK=$(agg init -d "$A" --region 33.24) || fail "agg init"
V="$T/v"
lb init -d "$V" --village 33.24.01.2001 >/dev/null 2>&1
"$GEN" --village 33.24.01.2001 --count 200 --seed 11 | lb put -d "$V" --batch >/dev/null 2>&1 ||
	fail "generate"
ORIGIN=$(origin "$V")
agg enroll -d "$A" --village 33.24.01.2001 --key "$ORIGIN" >/dev/null || fail "enroll"
lb remote add -d "$V" kab "http://127.0.0.1:1" --key "$AK" >/dev/null 2>&1
start_agg "$A" || exit 1

more() { # N new records for the village
	"$GEN" --village 33.24.01.2001 --count "$1" --seed "$2" | lb put -d "$V" --batch >/dev/null 2>&1
}

# honest SRC-DESCRIPTION — push and 5 GETs while the trickle runs
honest() {
	if timeout 30 "$LUMBUNG" push -d "$V" --to "$URL" --key "$AK" >"$T/push.out" 2>&1; then
		ok "$1: the village's push gets through"
	else
		fail "$1: push failed: $(tail -3 "$T/push.out")"
	fi
	same_as_agg "$V" "$1: the aggregator holds the village's tip"
	good=0
	for i in 1 2 3 4 5; do
		timeout 20 python3 "$HTTP" GET "$URL/v1/origins/$ORIGIN" >"$T/get" 2>&1 &&
			[ "$(head -1 "$T/get")" = 200 ] && good=$((good + 1))
	done
	[ $good -eq 5 ] && ok "$1: 5 of 5 GETs answered 200" || fail "$1: $good of 5 GETs answered"
}

# --- slow clients -----------------------------------------------------------
more 300 12
hostile trickle 127.0.0.1 "$PORT" 1500 2 9 127.0.0.2 >"$T/trickle" 2>&1 &
TR=$!
sleep 3
honest "1,500 trickling connections from 127.0.0.2"
wait $TR
contains "$T/trickle" "trickle:" "the trickler ran"
open=$(sed -n 's/.*open at the end \([0-9]*\)/\1/p' "$T/trickle")
if [ "${open:-9999}" -le 64 ]; then ok "at most 64 of them were open at once from that address ($open)"; else
	fail "${open:-?} trickling connections open from one address: $(cat "$T/trickle")"; fi

more 300 13
hostile trickle 127.0.0.1 "$PORT" 1500 2 9 >"$T/trickle" 2>&1 &
TR=$!
sleep 3
honest "1,500 trickling connections from the village's own address"
wait $TR
stop_agg

# many addresses: the total limit (200 here) fills, and still the village
# gets in
"$AGG_BIN" serve -d "$A" --listen 127.0.0.1:0 --max-connections 200 --max-per-address 1000 \
	>"$T/agg.out" 2>>"$T/agg.log" &
AGG_PID=$!
wait_for 10 grep -q "listening on" "$T/agg.out" || fail "aggregator did not start"
PORT=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$T/agg.out")
URL="http://127.0.0.1:$PORT"
more 300 14
hostile trickle 127.0.0.1 "$PORT" 1500 2 9 127.0.0.3 >"$T/trickle" 2>&1 &
TR=$!
sleep 3
honest "1,500 trickling connections with a total limit of 200"
wait $TR
open=$(sed -n 's/.*open at the end \([0-9]*\)/\1/p' "$T/trickle")
if [ "${open:-9999}" -le 200 ]; then ok "at most 200 of them were open at once ($open)"; else
	fail "${open:-?} trickling connections open with a limit of 200: $(cat "$T/trickle")"; fi

# one connection trickling a header byte every second: closed by the
# header deadline (2 s here), not kept alive by its bytes
stop_agg
: >"$T/agg.log"
"$AGG_BIN" serve -d "$A" --listen 127.0.0.1:0 --header-timeout 2 >"$T/agg.out" 2>>"$T/agg.log" &
AGG_PID=$!
wait_for 10 grep -q "listening on" "$T/agg.out" || fail "aggregator did not start"
PORT=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$T/agg.out")
URL="http://127.0.0.1:$PORT"
hostile trickle 127.0.0.1 "$PORT" 1 1 6 >"$T/trickle" 2>&1
if grep -q "closed by the server [1-9]" "$T/trickle"; then
	ok "a connection trickling a byte a second is closed by the 2 s header deadline"
else
	fail "the trickling connection was not closed: $(cat "$T/trickle")"
fi
contains "$T/agg.log" "without headers after 2 s" "and the log says why"
stop_agg

# --- memory: 16 withheld 63 MiB bodies ---------------------------------------
SIZE=$((63 * 1024 * 1024))
withheld() { # BOUND-MIB [ORIGIN]
	RSS_BOUND_KB=$(($1 * MIB))
	shift
	start_agg "$A" || return
	hostile withhold 127.0.0.1 "$PORT" 16 $SIZE 2 "$@" >"$T/withhold" 2>&1
	hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$AGG_PID/status")
	stop_agg
	if [ -n "$hwm" ] && [ "$hwm" -lt $RSS_BOUND_KB ]; then
		ok "16 withheld 63 MiB bodies, $desc: peak RSS $((hwm / 1024)) MiB < $((RSS_BOUND_KB / 1024)) MiB"
	else
		fail "16 withheld 63 MiB bodies, $desc: peak RSS ${hwm:-?} kB (bound $RSS_BOUND_KB kB): $(cat "$T/withhold")"
	fi
}
desc="enrolled origin header"
withheld 320 "$ORIGIN"
grep -q "^503 x" "$T/withhold" && ok "the bodies over the budget are answered 503" ||
	fail "no 503 for bodies over the budget: $(cat "$T/withhold")"
desc="no origin header"
withheld 128
desc="unknown origin header"
withheld 64 "$(printf 'ab%.0s' $(seq 32))"
grep -q "^403 x16" "$T/withhold" && ok "an unknown origin is refused 403 before its body" ||
	fail "unknown origin: $(cat "$T/withhold")"

# --- framing ----------------------------------------------------------------
start_agg "$A" || exit 1
req() { # raw request from stdin -> $T/reply
	hostile raw 127.0.0.1 "$PORT" 3 >"$T/reply" 2>&1
}
# a valid change set (already held: accepted again if the framing passes)
lb changeset -d "$V" --plain >"$T/cs" 2>/dev/null
LEN=$(wc -c <"$T/cs")
{
	printf 'POST /v1/changesets HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Type: application/x-msgpack\r\nContent-Length: %s\r\nContent-Length: %s\r\n\r\n' "$LEN" "$LEN"
	cat "$T/cs"
} | req
grep -q "^HTTP/1.1 400" "$T/reply" && grep -q "Content-Length" "$T/reply" &&
	ok "a change set with a duplicate Content-Length is refused: 400" ||
	fail "duplicate Content-Length: $(head -c 300 "$T/reply")"
{
	printf 'POST /v1/changesets HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Type: application/x-msgpack\r\nContent-Length: %s\r\nTransfer-Encoding: chunked\r\n\r\n' "$LEN"
	python3 -c 'import sys; b = open(sys.argv[1], "rb").read(); sys.stdout.buffer.write(b"%x\r\n" % len(b) + b + b"\r\n0\r\n\r\n")' "$T/cs"
} | req
grep -q "^HTTP/1.1 400" "$T/reply" && grep -q "Transfer-Encoding" "$T/reply" &&
	ok "a change set with Content-Length and Transfer-Encoding is refused: 400" ||
	fail "Content-Length with Transfer-Encoding: $(head -c 300 "$T/reply")"
{
	printf 'POST /v1/changesets HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: %s\r\n\r\n' "$(wc -c <"$T/cs")"
	cat "$T/cs"
} | req
grep -q "^HTTP/1.1 415" "$T/reply" && ok "a change set sent as text/plain is refused: 415" ||
	fail "wrong Content-Type: $(head -c 300 "$T/reply")"
{
	printf 'POST /v1/changesets HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Type: application/x-msgpack\r\nX-Lumbung-Origin: %s\r\nContent-Length: %s\r\n\r\n' "$(printf 'cd%.0s' $(seq 32))" "$(wc -c <"$T/cs")"
	cat "$T/cs"
} | req
grep -q "^HTTP/1.1 403" "$T/reply" && grep -q unknown_origin "$T/reply" &&
	ok "an unknown X-Lumbung-Origin is refused: 403 unknown_origin" ||
	fail "unknown origin header: $(head -c 300 "$T/reply")"
lb init -d "$T/w" --village 33.24.01.2002 >/dev/null 2>&1
agg enroll -d "$A" --village 33.24.01.2002 --key "$(origin "$T/w")" >/dev/null
{
	printf 'POST /v1/changesets HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Type: application/x-msgpack\r\nX-Lumbung-Origin: %s\r\nContent-Length: %s\r\n\r\n' "$(origin "$T/w")" "$(wc -c <"$T/cs")"
	cat "$T/cs"
} | req
grep -q "^HTTP/1.1 400" "$T/reply" && grep -q "X-Lumbung-Origin" "$T/reply" &&
	ok "a change set from another origin than its header names is refused: 400" ||
	fail "origin header mismatch: $(head -c 300 "$T/reply")"
{
	printf 'GET /v1/origins/%s HTTP/1.1\r\nHost: a\r\n\r\n' "$ORIGIN"
	printf 'POST /v1/changesets HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-msgpack\r\nX-Lumbung-Origin: %s\r\nContent-Length: %s\r\n\r\n' "$ORIGIN" "$(wc -c <"$T/cs")"
	cat "$T/cs"
	printf 'GET /v1/nothing HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'
} | req
grep -ao "HTTP/1.1 [0-9]*" "$T/reply" | tr '\n' ' ' >"$T/codes"
if [ "$(cat "$T/codes")" = "HTTP/1.1 200 HTTP/1.1 200 HTTP/1.1 404 " ]; then
	ok "three pipelined requests get three answers"
else
	fail "pipelined requests: answers $(cat "$T/codes")"
fi

# --- log injection ----------------------------------------------------------
python3 - "$T/cs" "$T/inject" <<'EOF'
import sys
b = open(sys.argv[1], "rb").read()
i = b.rindex(b"33.24.01.2001")          # the change set's village, 13 bytes
open(sys.argv[2], "wb").write(b[:i] + b"\naccepted 99\n" + b[i + 13:])
EOF
python3 "$HTTP" POST "$URL/v1/changesets" "$T/inject" >"$T/reply" 2>&1
grep -q '^400' "$T/reply" && ok "a change set whose village holds newlines is refused (400)" ||
	fail "injection: $(head -c 300 "$T/reply")"
printf 'POST /v1/changesets HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Type: text/x\033[2J\r\nContent-Length: 1\r\n\r\nx' | req
sleep 0.5
if grep -q '^accepted 99$' "$T/agg.log" || grep -q "$(printf '\033')" "$T/agg.log"; then
	fail "peer bytes reached the log raw: $(grep -n -B1 -A1 'accepted 99' "$T/agg.log" | head -5)"
else
	ok "no forged log line and no raw control bytes in the server's log"
fi
contains "$T/agg.log" '\x0aaccepted 99\x0a' "the village's bytes are in the log, escaped"
contains "$T/reply" 'text/x\x1b[2J' "and a header value in an error message is escaped too"

stop_agg
done_testing
