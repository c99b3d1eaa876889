# agglib.sh — helpers for tests that run an aggregator (sourced after lib.sh).
AGG_BIN="$BUILD/lumbung-agg"
HTTP="$(cd "$(dirname "$0")/.." && pwd)/tools/httpc.py"
CUTPROXY="$BUILD/cutproxy"
AGG_PID=""

agg() { "$AGG_BIN" "$@"; }

# start_agg DIR [PORT] — serve DIR on loopback (a free port unless given);
# sets AGG_PID, PORT and URL once the server prints its address.  With
# AGG_NETNS set it runs inside that network namespace on AGG_HOST.
start_agg() {
	: >"$T/agg.out"
	${AGG_NETNS:+ip netns exec "$AGG_NETNS"} "$AGG_BIN" serve -d "$1" \
		--listen "${AGG_HOST:-127.0.0.1}:${2:-0}" >"$T/agg.out" 2>>"$T/agg.log" &
	AGG_PID=$!
	i=0
	while ! grep -q "listening on" "$T/agg.out" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$AGG_PID" 2>/dev/null; then
			fail "aggregator did not start: $(tail -3 "$T/agg.log")"
			return 1
		fi
		sleep 0.1
	done
	PORT=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$T/agg.out")
	URL="http://${AGG_HOST:-127.0.0.1}:$PORT"
}

# stop_agg [SIGNAL] — stop the aggregator (TERM by default) and reap it.
stop_agg() {
	[ -n "$AGG_PID" ] || return 0
	kill "-${1:-TERM}" "$AGG_PID" 2>/dev/null
	wait "$AGG_PID" 2>/dev/null
	AGG_PID=""
}

_agg_cleanup() {
	[ -n "$AGG_PID" ] && kill -KILL "$AGG_PID" 2>/dev/null
	rm -rf "$T"
}
trap _agg_cleanup EXIT

# wait_for SECONDS command... — poll until the command succeeds
wait_for() {
	_end=$(($(date +%s) + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$_end" ] && return 1
		sleep 0.2
	done
}

# facts about a village node
origin() { "$LUMBUNG" id -d "$1" | awk '$1 == "origin" { print $2 }'; }
village() { "$LUMBUNG" id -d "$1" | awk '$1 == "village" { print $2 }'; }
seq_of() { "$LUMBUNG" id -d "$1" | awk '$1 == "seq" { print $2 }'; }
head_of() { "$LUMBUNG" id -d "$1" | awk '$1 == "head" { print $2 }'; }

# agg_field VILLAGE FIELD — a field of the village's row in status --json
agg_field() {
	"$AGG_BIN" status -d "$A" --json | python3 -c '
import json, sys
for v in json.load(sys.stdin)["villages"]:
    if v["village"] == sys.argv[1]:
        print(v[sys.argv[2]])' "$1" "$2"
}

# agg_count TYPE — live records of TYPE in the consolidated view
agg_count() {
	"$AGG_BIN" status -d "$A" --json | python3 -c '
import json, sys
print(json.load(sys.stdin)["counts"].get(sys.argv[1], 0))' "$1"
}

# agg_has DIR — the aggregator holds the node's tip
agg_has() { [ "$(agg_field "$(village "$1")" seq)" = "$(seq_of "$1")" ]; }

# same_as_agg DIR "description" — the aggregator holds the node's tip and
# its hash there is the node's (so, hash-chained, the whole log is equal)
same_as_agg() {
	v=$(village "$1")
	s=$(seq_of "$1")
	h=$(head_of "$1")
	as=$(agg_field "$v" seq)
	ah=$(agg_field "$v" hash)
	if [ "$as" = "$s" ] && [ "$ah" = "$h" ]; then ok "$2"; else
		fail "$2 (node seq $s hash $h; aggregator seq $as hash $ah)"; fi
}
