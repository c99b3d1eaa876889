#!/bin/sh
# relay.sh — a kecamatan aggregator forwarding its villages' logs to the
# kabupaten (lumbung-agg upstream, forward, serve --forward).
#
# Real processes on loopback: a kabupaten (33.24), a kecamatan (33.24.01)
# serving with --forward, villages enrolled at both and pushing to the
# kecamatan.  The kabupaten must end up holding each village's log exactly
# as the village signed it (same tip and hash, hash-chained; its export
# verifies against the village's key), the kabupaten's receipts must come
# back to the kecamatan (GET /v1/origins/{o} hands them down), and a
# village pushing straight to the kabupaten too is accepted once.  Then
# the kecamatan->kabupaten link is cut at many byte offsets by a proxy
# (tests/tools/cutproxy.c) and the kecamatan is killed with SIGKILL in the
# middle of a forward: after the next forward nothing is lost or
# duplicated at the kabupaten.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR
AUDIT="$BUILD/lumbung-audit"
SEED=${RELAY_SEED:-$(($(date +%s) % 100000 + $$))}
lb() { "$LUMBUNG" "$@"; }

KAB="$T/kab"
KEC="$T/kec"
KK=$(agg init -d "$KAB" --region 33.24) || fail "kabupaten init"
KECK=$(agg init -d "$KEC" --region 33.24.01) || fail "kecamatan init"
start_agg "$KAB" || exit 1
KPID=$AGG_PID
KURL=$URL
KPORT=$PORT
AGG_PID=""
KEC_PID=""
PROXY_PID=""
cleanup() {
	for p in $KPID $KEC_PID $PROXY_PID; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

# field DIR VILLAGE FIELD — a field of the village's row in DIR's status --json
field() {
	"$AGG_BIN" status -d "$1" --json | python3 -c '
import json, sys
for v in json.load(sys.stdin)["villages"]:
    if v["village"] == sys.argv[1]:
        print(v[sys.argv[2]])' "$2" "$3"
}

# start_kec [--forward ...] — serve the kecamatan; sets KEC_PID, KECURL
start_kec() {
	: >"$T/kec.out"
	"$AGG_BIN" serve -d "$KEC" --listen 127.0.0.1:${KECPORT:-0} "$@" >"$T/kec.out" 2>>"$T/kec.log" &
	KEC_PID=$!
	wait_for 10 grep -q "listening on" "$T/kec.out" || { fail "kecamatan did not start: $(tail -3 "$T/kec.log")"; exit 1; }
	KECPORT=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$T/kec.out")
	KECURL="http://127.0.0.1:$KECPORT"
}
stop_kec() {
	[ -n "$KEC_PID" ] || return 0
	kill "-${1:-TERM}" "$KEC_PID" 2>/dev/null
	wait "$KEC_PID" 2>/dev/null
	_rc=$?
	KEC_PID=""
	return $_rc
}

# --- upstream configuration ----------------------------------------------------
expect_exit 0 "upstream add: the kabupaten by URL and key" \
	agg upstream add -d "$KEC" kab "$KURL" --key "$KK"
expect_exit 0 "upstream ls" agg upstream ls -d "$KEC"
contains "$T/out" "kab          $KURL  $KK" "upstream ls names it with its URL and key"
expect_exit 2 "upstream add without --key is a usage error" agg upstream add -d "$KEC" k2 "$KURL"
expect_exit 2 "upstream add with a key that is not 64 hex" agg upstream add -d "$KEC" k2 "$KURL" --key abc
expect_exit 3 "upstream add with a URL that is not http(s)" agg upstream add -d "$KEC" k2 ftp://x --key "$KK"
contains "$T/err" "is not an http:// or https:// URL" "the URL refusal says why"
expect_exit 3 "upstream add with a bad name" agg upstream add -d "$KEC" 'a b' "$KURL" --key "$KK"
expect_exit 3 "upstream add with the kecamatan's own key" agg upstream add -d "$KEC" self "$KURL" --key "$KECK"
expect_exit 1 "upstream rm of an unknown name" agg upstream rm -d "$KEC" nope
agg upstream ls -d "$KEC" >"$T/ls"
[ "$(wc -l <"$T/ls")" -eq 1 ] && ok "refused upstreams were not stored" || fail "upstream ls: $(cat "$T/ls")"

# --- villages push to the kecamatan; serve --forward relays ---------------------
start_kec --forward --every 30
for i in 1 2 3; do
	V="$T/v$i"
	lb init -d "$V" --village 33.24.01.200$i >/dev/null 2>&1 &&
		"$GEN" --village 33.24.01.200$i --count 400 --seed $((30 + i)) >"$T/g.jsonl" &&
		lb put -d "$V" --batch "$T/g.jsonl" >/dev/null 2>&1 ||
		fail "village $i: init and 400 records"
	# enrolled at both tiers (through the tree later; directly for now)
	agg enroll -d "$KEC" --village 33.24.01.200$i --key "$(origin "$V")" >/dev/null &&
		agg enroll -d "$KAB" --village 33.24.01.200$i --key "$(origin "$V")" >/dev/null ||
		fail "village $i: enrol at the kecamatan and the kabupaten"
done
for i in 1 2 3; do
	lb push -d "$T/v$i" --to "$KECURL" --key "$KECK" >/dev/null 2>"$T/push.err" ||
		fail "village $i pushes to the kecamatan: $(cat "$T/push.err")"
done
# every 30 s: only the push's kick can bring it there this soon
at_kab() { [ "$(field "$KAB" "$(village "$1")" seq)" = "$(seq_of "$1")" ]; }
for i in 1 2 3; do
	if wait_for 15 at_kab "$T/v$i"; then ok "village $i reached the kabupaten soon after its push"; else
		fail "village $i not at the kabupaten: $(tail -5 "$T/kec.log")"; fi
done
for i in 1 2 3; do
	V="$T/v$i"
	v=$(village "$V")
	[ "$(field "$KAB" "$v" hash)" = "$(head_of "$V")" ] &&
		[ "$(field "$KAB" "$v" entries)" = "$(seq_of "$V")" ] &&
		ok "village $i: the kabupaten holds its log exactly (tip, hash, entry count)" ||
		fail "village $i: kabupaten $(field "$KAB" "$v" seq)/$(field "$KAB" "$v" hash), village $(seq_of "$V")/$(head_of "$V")"
	"$AUDIT" export -d "$KAB" --origin "$(origin "$V")" >"$T/kab$i.lla" 2>"$T/aud.err" &&
		"$AUDIT" verify "$T/kab$i.lla" --key "$(origin "$V")" >"$T/aud.out" 2>>"$T/aud.err" &&
		ok "village $i: the kabupaten's export verifies against the village's key" ||
		fail "village $i: audit of the kabupaten's export: $(cat "$T/aud.err" "$T/aud.out" | head -5)"
	python3 "$(dirname "$0")/../tools/llatool.py" dump "$T/kab$i.lla" entry >"$T/e.kab" 2>/dev/null
	lb export-log -d "$V" >"$T/v$i.lla" 2>/dev/null
	python3 "$(dirname "$0")/../tools/llatool.py" dump "$T/v$i.lla" entry >"$T/e.v" 2>/dev/null
	[ -s "$T/e.v" ] && cmp -s "$T/e.kab" "$T/e.v" &&
		ok "village $i: every entry at the kabupaten is byte for byte the village's" ||
		fail "village $i: the entries differ between the village's archive and the kabupaten's"
done
grep -q "forward: kab 33.24.01.2001: sent" "$T/kec.log" && ok "the forwarder logs one line per village" ||
	fail "no forward line in the kecamatan's log: $(tail -3 "$T/kec.log")"

# the kabupaten's receipts came back to the kecamatan and are handed down
o1=$(origin "$T/v1")
# origin_reply URL — the raw msgpack reply of GET /v1/origins/{o1}, checked
# byte for byte: a map of 4 (accept, hash, seq, up), up an array of one map
# {key: the kabupaten's key as bin32, receipt: bin, seq: village 1's seq}
has_up() {
	python3 - "$KECURL/v1/origins/$o1" "$KK" "$(seq_of "$T/v1")" <<'PY'
import sys, urllib.request
body = urllib.request.urlopen(sys.argv[1], timeout=10).read()
key = bytes.fromhex(sys.argv[2])
seq = int(sys.argv[3])
want = b"\xa2up\x91\x83\xa3key\xc4\x20" + key + b"\xa7receipt"
i = body.find(want)
ok = body[0] == 0x84 and i > 0 and body.rstrip().endswith(b"\xa3seq" + (bytes([seq]) if seq < 128 else b"\xcd" + seq.to_bytes(2, "big")))
sys.exit(0 if ok else 1)
PY
}
wait_for 10 has_up && ok "GET /v1/origins at the kecamatan hands down the kabupaten's receipt for the tip (up: key, receipt, seq)" ||
	fail "no up in the kecamatan's origin reply: $(python3 "$(dirname "$0")/../tools/httpc.py" GET "$KECURL/v1/origins/$o1")"
python3 -c 'import sys, urllib.request; sys.exit(urllib.request.urlopen(sys.argv[1]).read()[0] != 0x83)' "$KURL/v1/origins/$o1" &&
	ok "the kabupaten's origin reply (no upstream) is the plain {accept, hash, seq}" ||
	fail "the kabupaten hands down receipts it never got"
agg status -d "$KEC" >"$T/st"
s1=$(seq_of "$T/v1")
awk -v s="$s1" '$1 == "kab" && $2 == "33.24.01.2001" && $4 == s && $5 == s && $6 ~ /^[0-9]+$/ && $8 ~ /^20[0-9][0-9]$/' "$T/st" | grep -q . &&
	ok "status at the kecamatan: the kabupaten holds village 1 up to seq $s1, and since when" ||
	fail "status at the kecamatan: $(cat "$T/st")"

agg status -d "$KEC" --json | python3 -c '
import json, sys
up = json.load(sys.stdin)["upstreams"][0]
v = [x for x in up["villages"] if x["village"] == "33.24.01.2001"][0]
sys.exit(not (up["name"] == "kab" and up["key"] == sys.argv[1] and v["up_seq"] == int(sys.argv[2])
              and v["seq"] == v["up_seq"] and v["since"].startswith("20") and v["since_ms"] > 0))' "$KK" "$s1" &&
	ok "status --json at the kecamatan: upstreams[].villages[] with up_seq and since" ||
	fail "status --json at the kecamatan: $(agg status -d "$KEC" --json | head -c 600)"
agg status -d "$KAB" --json | python3 -c 'import json, sys; sys.exit("upstreams" in json.load(sys.stdin))' &&
	ok "status --json at the kabupaten (no upstream) has no upstreams" || fail "upstreams at the kabupaten"

# a village pushing straight to the kabupaten too: accepted once
"$GEN" --village 33.24.01.2001 --count 200 --seed 41 >"$T/g.jsonl"
lb put -d "$T/v1" --batch "$T/g.jsonl" >/dev/null 2>&1 || fail "village 1: 200 more"
lb push -d "$T/v1" --to "$KURL" --key "$KK" >/dev/null 2>&1 || fail "village 1 pushes straight to the kabupaten"
lb push -d "$T/v1" --to "$KECURL" --key "$KECK" >/dev/null 2>&1 || fail "village 1 pushes to the kecamatan"
wait_for 10 at_kab "$T/v1"
agg forward -d "$KEC" >"$T/fw" 2>&1
rc=$?
[ $rc -eq 0 ] && ok "a forward after the direct push exits 0" || fail "forward exit $rc: $(cat "$T/fw")"
[ "$(field "$KAB" 33.24.01.2001 entries)" = "$(seq_of "$T/v1")" ] &&
	[ "$(field "$KAB" 33.24.01.2001 hash)" = "$(head_of "$T/v1")" ] &&
	ok "the same entries by two routes are held once" || fail "village 1 at the kabupaten after two routes"

# a village the kabupaten does not know: refused on its own line, the others go on
V4="$T/v4"
lb init -d "$V4" --village 33.24.01.2004 >/dev/null 2>&1 &&
	"$GEN" --village 33.24.01.2004 --count 30 --seed 44 >"$T/g.jsonl" &&
	lb put -d "$V4" --batch "$T/g.jsonl" >/dev/null 2>&1 &&
	agg enroll -d "$KEC" --village 33.24.01.2004 --key "$(origin "$V4")" >/dev/null &&
	lb push -d "$V4" --to "$KECURL" --key "$KECK" >/dev/null 2>&1 || fail "village 4 at the kecamatan only"
"$GEN" --village 33.24.01.2003 --count 20 --seed 45 >"$T/g.jsonl"
lb put -d "$T/v3" --batch "$T/g.jsonl" >/dev/null 2>&1 &&
	lb push -d "$T/v3" --to "$KECURL" --key "$KECK" >/dev/null 2>&1 || fail "village 3: 20 more"
expect_exit 0 "forward exits 0 when one village is refused and the others go" agg forward -d "$KEC"
contains "$T/out" "kab 33.24.01.2004: unknown_origin (needs attention): " "the refused village has its line, with the reason"
contains "$T/out" "lumbung-agg enroll -d DIR --village 33.24.01.2004 --key $(origin "$V4")" "the line says how to enrol it"
wait_for 10 at_kab "$T/v3" && ok "village 3's new entries went up in the same pass" || fail "village 3 not at the kabupaten"

expect_exit 0 "serve --forward stops cleanly on SIGTERM" stop_kec TERM

# --- the kec->kab link cut at many byte offsets ---------------------------------
start_kec # villages still push; forwarding by hand below
proxy() {
	: >"$T/proxy.out"
	"$CUTPROXY" --listen 127.0.0.1:0 --to "127.0.0.1:$KPORT" "$@" >"$T/proxy.out" 2>>"$T/proxy.log" &
	PROXY_PID=$!
	wait_for 10 grep -q "listening on" "$T/proxy.out" || fail "proxy did not start"
	PURL="http://127.0.0.1:$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$T/proxy.out")"
	agg upstream add -d "$KEC" kab "$PURL" --key "$KK" >/dev/null
}
unproxy() {
	[ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null && wait "$PROXY_PID" 2>/dev/null
	PROXY_PID=""
	agg upstream add -d "$KEC" kab "$KURL" --key "$KK" >/dev/null
}
n=0
# Each record's usulan carries 160 random characters: change sets travel
# compressed (docs/FORMAT.md §7), and the cut and kill offsets below need
# wire bytes to land in (about 120 per record).
RND='function rnd(k,  s, j) { s = ""; for (j = 0; j < k; j++) s = s substr(A, 1 + int(rand() * 64), 1); return s }
BEGIN { A = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"; srand(seed) }'
more() { # 700 new records in village 2, pushed to the kecamatan
	n=$((n + 1))
	awk -v n=$n -v seed=$((SEED + n)) "$RND"' BEGIN { for (i = 1; i <= 700; i++)
		printf "{\"type\":\"aspirasi\",\"id\":\"R%d-%d\",\"body\":{\"pengusul\":\"Warga %d\"," \
		       "\"usulan\":\"Usulan %d %s\",\"tanggal\":\"2026-01-05\",\"status\":\"diusulkan\"}}\n", n, i, n, i, rnd(160) }' |
		lb put -d "$T/v2" --batch >/dev/null 2>&1 || fail "round $n: 700 more records"
	lb push -d "$T/v2" --to "$KECURL" --key "$KECK" >/dev/null 2>&1 || fail "round $n: push to the kecamatan"
}
exact() {
	[ "$(field "$KAB" 33.24.01.2002 seq)" = "$(seq_of "$T/v2")" ] &&
		[ "$(field "$KAB" 33.24.01.2002 hash)" = "$(head_of "$T/v2")" ] &&
		[ "$(field "$KAB" 33.24.01.2002 entries)" = "$(seq_of "$T/v2")" ] &&
		ok "$1: the kabupaten holds village 2 exactly, nothing lost or twice" ||
		fail "$1: kabupaten $(field "$KAB" 33.24.01.2002 seq)/$(field "$KAB" 33.24.01.2002 entries), village $(seq_of "$T/v2")"
}
# the kill lands past the first forwarded change set (256 entries, ~35 KB on
# the wire) and before the end of the ~200 KB forward of 1500 records
set -- $(awk -v seed="$SEED" 'BEGIN { srand(seed); print 1 + int(rand() * 60000), 1 + int(rand() * 450), 40000 + int(rand() * 120000) }')
echo "# seed $SEED (rerun with RELAY_SEED=$SEED): request cut at $1, reply cut at $2, kill at request byte $3"
kill_at=$3
for cut in "--up 0" "--up 1" "--up 150" "--up 400" "--up 9000" "--up $1" "--down 0" "--down 60" "--down 120" "--down 300" "--down 400" "--down $2"; do
	more
	proxy --first 1 $cut
	LUMBUNG_PUSH_LOG=1 agg forward -d "$KEC" >"$T/f1" 2>&1
	rc=$?
	unproxy
	case $rc in 0 | 22) ;; *) fail "cut $cut: forward exited $rc: $(tail -3 "$T/f1")" ;; esac
	grep -q "cut" "$T/proxy.out" || fail "cut $cut: the proxy never cut ($(cat "$T/proxy.out"))"
	agg forward -d "$KEC" >"$T/f2" 2>&1 || fail "cut $cut: the clean forward after it: $(cat "$T/f2")"
	exact "link cut ($cut, first forward exit $rc)"
done
# an unreachable upstream: the pass fails with a network error
more
proxy --up 0
expect_exit 22 "forward exits 22 when the kabupaten cannot be reached" agg forward -d "$KEC"
unproxy
agg forward -d "$KEC" >/dev/null 2>&1 || fail "forward after the unreachable round"

# --- the kecamatan killed with SIGKILL mid-forward ------------------------------
stop_kec TERM
more_offline() {
	awk -v seed="$SEED" "$RND"' BEGIN { for (i = 1; i <= 1500; i++)
		printf "{\"type\":\"aspirasi\",\"id\":\"K-%d\",\"body\":{\"pengusul\":\"Warga %d\"," \
		       "\"usulan\":\"Usulan %d %s\",\"tanggal\":\"2026-01-06\",\"status\":\"diusulkan\"}}\n", i, i, i, rnd(160) }' |
		lb put -d "$T/v2" --batch >/dev/null 2>&1 || fail "1500 more records"
}
start_kec
more_offline
lb push -d "$T/v2" --to "$KECURL" --key "$KECK" --max-bytes 16k >/dev/null 2>&1 || fail "push 1500 to the kecamatan"
stop_kec TERM
before=$(field "$KAB" 33.24.01.2002 seq)
proxy --first 1 --up "$kill_at" --stall
start_kec --forward --every 1 --max-bytes 16k
if wait_for 20 grep -qxF "conn 1: stall up at byte $kill_at" "$T/proxy.out"; then
	stop_kec KILL
	ok "SIGKILL: the kecamatan died with its forward stalled at request byte $kill_at"
else
	stop_kec KILL
	fail "SIGKILL: the forward never stalled at byte $kill_at ($(cat "$T/proxy.out"))"
fi
unproxy
mid=$(field "$KAB" 33.24.01.2002 seq)
tip=$(seq_of "$T/v2")
[ "$mid" -gt "$before" ] && [ "$mid" -lt "$tip" ] &&
	ok "SIGKILL landed mid-forward: the kabupaten holds seq $mid of $before..$tip" ||
	fail "SIGKILL mid-forward: the kabupaten holds $mid (before $before, tip $tip)"
expect_exit 0 "the killed kecamatan's store opens and its next forward completes" agg forward -d "$KEC"
exact "after SIGKILL mid-forward"
done_testing
