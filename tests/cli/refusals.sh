#!/bin/sh
# refusals.sh — every refusal lumbung-agg serve makes at a POST's headers,
# before it reads the body (agg/http.c), each with its status, error
# code and the reason naming the problem, and then the aggregator's store
# unchanged; and the village's refusals before it sends anything, when the
# aggregator holds more than the node or another history (sync/push.c).  Fast (a few seconds), so `make mutate` can name it as the test
# that catches a switched-off header check; tests/cli/hostile.sh covers the
# same framing under load.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR

HOSTILE="$(cd "$(dirname "$0")/.." && pwd)/tools/hostile.py"
lb() { "$LUMBUNG" "$@"; }

A="$T/agg"
AK=$(agg init -d "$A" --region 33.24) || fail "agg init"
V="$T/v"
lb init -d "$V" --village 33.24.01.2001 >/dev/null 2>&1 || fail "init"
ORIGIN=$(origin "$V")
agg enroll -d "$A" --village 33.24.01.2001 --key "$ORIGIN" >/dev/null || fail "enroll"
lb init -d "$T/w" --village 33.24.01.2002 >/dev/null 2>&1
OTHER=$(origin "$T/w")
agg enroll -d "$A" --village 33.24.01.2002 --key "$OTHER" >/dev/null || fail "enroll w"
lb init -d "$T/r" --village 33.24.01.2003 >/dev/null 2>&1
REVOKED=$(origin "$T/r")
agg enroll -d "$A" --village 33.24.01.2003 --key "$REVOKED" >/dev/null || fail "enroll r"
agg revoke -d "$A" --key "$REVOKED" >/dev/null || fail "revoke"
cp -a "$V" "$T/v-empty" # an old backup, from before the first entry
cp -a "$V" "$T/v-other"
lb put -d "$V" aspirasi A-1 pengusul=Warga usulan="Air bersih" tanggal=2026-01-05 status=diusulkan >/dev/null 2>&1
lb put -d "$T/v-other" aspirasi A-1 pengusul=Lain usulan="Jalan" tanggal=2026-01-05 status=diusulkan >/dev/null 2>&1
lb changeset -d "$V" --plain >"$T/cs" 2>/dev/null || fail "changeset"
LEN=$(wc -c <"$T/cs")

# the budget for bodies in flight: 64 MiB, a quarter of it without an origin header
"$AGG_BIN" serve -d "$A" --listen 127.0.0.1:0 --max-buffered 64M >"$T/agg.out" 2>>"$T/agg.log" &
AGG_PID=$!
wait_for 10 grep -q "listening on" "$T/agg.out" || fail "aggregator did not start"
PORT=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$T/agg.out")

# post STATUS CODE TEXT "description" HEADER-LINES... — POST the change set
# with the request line, Host and Connection: close, then the given header
# lines (each ending in CRLF), then the body
post() {
	st=$1 code=$2 text=$3 d=$4
	shift 4
	{
		printf 'POST /v1/changesets HTTP/1.1\r\nHost: a\r\nConnection: close\r\n'
		for h in "$@"; do printf '%s\r\n' "$h"; done
		printf '\r\n'
		cat "$T/cs"
	} | python3 "$HOSTILE" raw 127.0.0.1 "$PORT" 3 >"$T/reply" 2>&1
	if grep -q "^HTTP/1.1 $st " "$T/reply" && grep -q "$code" "$T/reply" &&
		grep -qF -- "$text" "$T/reply"; then
		ok "$d: $st $code"
	else
		fail "$d: wanted $st $code \"$text\", got $(head -c 400 "$T/reply")"
	fi
}
MP="Content-Type: application/x-msgpack"
CL="Content-Length: $LEN"
post 200 receipt "" "control: the change set with right headers is accepted" "$MP" "$CL"
before=$(agg status -d "$A" --json | sed 's/"last_seen[^,]*,//g')
post 400 malformed "more than one Content-Length" "a duplicate Content-Length" "$MP" "$CL" "$CL"
post 400 malformed "Transfer-Encoding is not accepted" "Content-Length and Transfer-Encoding" \
	"$MP" "$CL" "Transfer-Encoding: chunked"
post 411 malformed "Transfer-Encoding is not accepted" "Transfer-Encoding without Content-Length" \
	"$MP" "Transfer-Encoding: chunked"
post 411 malformed "needs a Content-Length" "no Content-Length" "$MP"
# (libmicrohttpd answers this one itself, before our check sees it)
post 400 "" "" "a Content-Length that is no number" "$MP" "Content-Length: -$LEN"
post 413 too_large "larger than the limit" "a Content-Length over 64 MiB" "$MP" "Content-Length: 67108865"
post 415 malformed "Content-Type must be application/x-msgpack" "Content-Type text/plain" \
	"Content-Type: text/plain" "$CL"
post 415 malformed "Content-Type must be" "two Content-Type headers" "$MP" "$MP" "$CL"
post 415 malformed "Content-Type must be" "a Content-Type one letter off" \
	"Content-Type: application/x-msgpacc" "$CL"
post 415 malformed "Content-Type must be" "a Content-Type with more after it" \
	"Content-Type: application/x-msgpackage" "$CL"
post 200 receipt "" "a Content-Type in capitals with a parameter is accepted" \
	"Content-Type: Application/X-Msgpack; v=1" "$CL"
post 400 malformed "must be 64 hex digits" "an X-Lumbung-Origin that is not hex" \
	"$MP" "$CL" "X-Lumbung-Origin: $(printf 'zz%.0s' $(seq 32))"
post 403 unknown_origin "is not enrolled" "an X-Lumbung-Origin nobody enrolled" \
	"$MP" "$CL" "X-Lumbung-Origin: $(printf 'cd%.0s' $(seq 32))"
post 403 unknown_origin "was revoked" "a revoked X-Lumbung-Origin" \
	"$MP" "$CL" "X-Lumbung-Origin: $REVOKED"
post 400 malformed "not the one named in X-Lumbung-Origin" "a change set of another origin than its header" \
	"$MP" "$CL" "X-Lumbung-Origin: $OTHER"

# two 10 MiB bodies without an origin header, withheld: the second is over
# the 16 MiB budget for those and is answered 503 at once
python3 "$HOSTILE" withhold 127.0.0.1 "$PORT" 2 $((10 * 1024 * 1024)) 1 >"$T/withhold" 2>&1
grep -q "^503 x1" "$T/withhold" && grep -q "^held x1" "$T/withhold" &&
	ok "a body over the budget for bodies in flight is answered 503; the one within is read" ||
	fail "budget: $(cat "$T/withhold")"
# the village refuses to push when the aggregator is ahead of it or holds
# another history (the control above put the village's seq 1 there)
expect_exit 21 "a node restored from an old backup does not push" \
	lb push -d "$T/v-empty" --to "http://127.0.0.1:$PORT" --key "$AK"
contains "$T/err" "holds 1 entries of this village but this node has only 0" "and says the aggregator is ahead"
expect_exit 21 "a node with another history does not push" \
	lb push -d "$T/v-other" --to "http://127.0.0.1:$PORT" --key "$AK"
contains "$T/err" "entry 1 differs from this node's" "and says the histories forked"
stop_agg
after=$(agg status -d "$A" --json | sed 's/"last_seen[^,]*,//g')
[ "$before" = "$after" ] && ok "after every refusal the aggregator's store is unchanged" ||
	fail "store changed: before $before after $after"
done_testing
