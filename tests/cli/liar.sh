#!/bin/sh
# liar.sh — a lying aggregator: tests/tools/liar.py stands in front of a
# real `lumbung-agg serve` and passes every request on, but its accepting
# answers lie: receipts signed with the real aggregator key naming another
# origin, seq, entry hash or Merkle root (re-signed by build/forge-receipt
# through the aggregator's own signer), a receipt signed by another key, an
# acknowledgement of another hash, and "I already hold all of it" when it
# holds nothing.  The real `lumbung push` must keep nothing false (remote ls
# counts no receipt, the node's export passes lumbung-audit verify with no
# receipt in it), say what is wrong on stderr, and exit non-zero.  The
# control (liar.py passing everything on unchanged) keeps true receipts.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR

lb() { "$LUMBUNG" "$@"; }
AUDIT="$BUILD/lumbung-audit"
LIAR="$(cd "$(dirname "$0")/.." && pwd)/tools/liar.py"
LIAR_PID=""
stop_liar() {
	[ -n "$LIAR_PID" ] || return 0
	kill "$LIAR_PID" 2>/dev/null
	wait "$LIAR_PID" 2>/dev/null
	LIAR_PID=""
}
trap 'stop_liar; _agg_cleanup' EXIT

# start_liar MODE [ARGS] — sets LURL once the liar listens
start_liar() {
	: >"$T/liar.out"
	python3 "$LIAR" "$URL" "$A" "$BUILD/forge-receipt" "$@" >"$T/liar.out" 2>>"$T/liar.log" &
	LIAR_PID=$!
	wait_for 10 grep -q "listening on" "$T/liar.out" || {
		fail "the liar did not start: $(tail -3 "$T/liar.log")"
		return 1
	}
	LURL="http://$(sed -n 's/^listening on //p' "$T/liar.out")"
}

A="$T/agg"
AK=$(agg init -d "$A" --region 33.24) || fail "agg init"
start_agg "$A"
N="$T/desa"
lb init -d "$N" --village 33.24.01.2001 >/dev/null 2>&1 || fail "init"
agg enroll -d "$A" --village 33.24.01.2001 --key "$(origin "$N")" >/dev/null || fail "enroll"
lb remote add -d "$N" kab "$URL" --key "$AK" >/dev/null || fail "remote add"
i=0
put() {
	i=$((i + 1))
	lb put -d "$N" aspirasi "A-$i" pengusul="Warga $i" usulan="Lampu jalan $i" \
		tanggal=2026-01-05 status=diusulkan >/dev/null || fail "put A-$i"
}
put
put

# kept_nothing "what" — the node keeps no receipt and its own archive,
# checked by the auditor, holds none and verifies
kept_nothing() {
	lb remote ls -d "$N" >"$T/rls"
	if grep -q "receipts up to" "$T/rls"; then fail "$1: a receipt was kept ($(cat "$T/rls"))"; else
		ok "$1: remote ls shows no receipt kept"; fi
	lb export-log -d "$N" >"$T/n.lla" 2>"$T/exp.err" || fail "$1: export-log ($(cat "$T/exp.err"))"
	"$AUDIT" verify "$T/n.lla" --key "$(origin "$N")" --json >"$T/aj" 2>/dev/null
	if python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if j["ok"] and j["receipts_count"] == 0 else 1)' "$T/aj"; then
		ok "$1: the node's archive verifies, with no receipt in it"
	else fail "$1: the node's archive: $(head -c 300 "$T/aj")"; fi
}

# lied MODE EXIT TEXT — a new entry, a push through the liar in MODE: it
# fails with EXIT, stderr says TEXT, nothing false is kept
lied() {
	put
	start_liar "$1" || return
	expect_exit "$2" "liar ($1): push fails" lb push -d "$N" --to "$LURL" --key "$AK"
	contains "$T/err" "$3" "liar ($1): stderr says \"$3\""
	stop_liar
	kept_nothing "liar ($1)"
}

lied root 13 "names another Merkle root than this log's signed head; not kept"
lied origin 13 "names another village key than this log's; not kept"
lied seq 13 "names seq"
lied hash 13 "names another entry hash than this log's; not kept"
lied key 13 "receipt is not signed by this aggregator's key"
lied ack 23 "the aggregator acknowledged seq"

# "I already hold all of it": it holds nothing of the new entry
put
start_liar have "$(seq_of "$N")" "$(head_of "$N")"
expect_exit 23 "liar (have): push fails" lb push -d "$N" --to "$LURL" --key "$AK"
contains "$T/err" "carries no receipt" "liar (have): stderr says it gave no receipt"
stop_liar
kept_nothing "liar (have)"
if [ "$(agg_field 33.24.01.2001 seq)" -lt "$(seq_of "$N")" ]; then
	ok "liar (have): the real aggregator indeed lacks the tip"
else fail "liar (have): the real aggregator holds the tip after all"; fi

# the control: the same proxy, telling the truth
start_liar pass
expect_exit 0 "honest proxy: push succeeds" lb push -d "$N" --to "$LURL" --key "$AK"
stop_liar
lb remote ls -d "$N" >"$T/rls"
contains "$T/rls" "receipts up to seq $(seq_of "$N")" "honest proxy: the receipt for the tip is kept"
lb export-log -d "$N" >"$T/n.lla"
expect_exit 0 "honest proxy: the node's archive verifies with its receipts" \
	"$AUDIT" verify "$T/n.lla" --key "$(origin "$N")"
same_as_agg "$N" "honest proxy: the aggregator holds the node's log"
done_testing
