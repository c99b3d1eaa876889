#!/bin/sh
# upstream.sh — receipts coming back down, the village side.  A village
# pushes to its kecamatan (a real `lumbung-agg serve`) through
# tests/tools/kecproxy.py, which adds to the kecamatan's position answer an
# `up` field: receipts of the kabupaten above it.  Those receipts are true
# ones, signed by a real kabupaten aggregator for the village's own change
# set (or re-signed with one field changed by build/forge-receipt with the
# kabupaten's real key).  The village must keep a true receipt from a
# pinned kabupaten key and show it in `remote ls` and `id`; refuse (with a
# warning, the push still succeeding) one naming another origin, seq,
# entry hash or Merkle root, or signed by another key; learn an unknown key
# without trusting it until `remote confirm`; refuse a malformed `up` as a
# malformed answer.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR

lb() { "$LUMBUNG" "$@"; }
TOOLS="$(cd "$(dirname "$0")/.." && pwd)/tools"
FORGE="$BUILD/forge-receipt"
PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; _agg_cleanup' EXIT

KEC="$T/kec"
KAB="$T/kab"
KAB2="$T/kab2"
KEC_KEY=$(agg init -d "$KEC" --region 33.24.01) || fail "agg init kecamatan"
KAB_KEY=$(agg init -d "$KAB" --region 33.24) || fail "agg init kabupaten"
KAB2_KEY=$(agg init -d "$KAB2" --region 33.24) || fail "agg init second kabupaten"
N="$T/desa"
lb init -d "$N" --village 33.24.01.2001 >/dev/null 2>&1 || fail "init"
for a in "$KEC" "$KAB" "$KAB2"; do
	agg enroll -d "$a" --village 33.24.01.2001 --key "$(origin "$N")" >/dev/null ||
		fail "enroll at $a"
done
i=0
put() {
	i=$((i + 1))
	lb put -d "$N" aspirasi "A-$i" pengusul="Warga $i" usulan="Lampu jalan $i" \
		tanggal=2026-01-05 status=diusulkan >/dev/null || fail "put A-$i"
}
put
put
S=$(seq_of "$N")

# true kabupaten receipts for the village's log up to S, which the village
# itself has never seen: its change set posted straight to each kabupaten
start_agg "$KAB" || exit 1
KAB_URL=$URL
PIDS="$PIDS $AGG_PID"
start_agg "$KAB2" || exit 1
KAB2_URL=$URL
PIDS="$PIDS $AGG_PID"
lb changeset -d "$N" --plain >"$T/cs" 2>/dev/null || fail "changeset"
python3 "$TOOLS/kecproxy.py" receipt "$KAB_URL" "$T/cs" >"$T/r.kab" || fail "kabupaten receipt"
python3 "$TOOLS/kecproxy.py" receipt "$KAB2_URL" "$T/cs" >"$T/r.kab2" || fail "second kabupaten receipt"
for m in origin seq hash root key; do
	"$FORGE" "$KAB" "$m" <"$T/r.kab" >"$T/r.$m" || fail "forge $m"
done

# the kecamatan, and the proxy handing down what $T/up says
start_agg "$KEC" || exit 1
PIDS="$PIDS $AGG_PID"
python3 "$TOOLS/kecproxy.py" serve "$URL" "$T/up" >"$T/proxy.out" 2>"$T/proxy.log" &
PIDS="$PIDS $!"
wait_for 10 grep -q "listening on" "$T/proxy.out" || fail "the proxy did not start: $(cat "$T/proxy.log")"
PURL="http://$(sed -n 's/^listening on //p' "$T/proxy.out")"

# ---- pinning at remote add
expect_exit 2 "remote add: a bad --upstream-key is a usage error" \
	lb remote add -d "$N" kec "$PURL" --key "$KEC_KEY" --upstream-key 12ab
expect_exit 3 "remote add: the remote's own key as its upstream is refused" \
	lb remote add -d "$N" kec "$PURL" --key "$KEC_KEY" --upstream-key "$KEC_KEY"
contains "$T/err" "the remote's own key" "remote add: says the upstream key is the remote's own"
expect_exit 0 "remote add with --upstream-key" \
	lb remote add -d "$N" kec "$PURL" --key "$KEC_KEY" --upstream-key "$KAB_KEY"
contains "$T/out" "1 upstream key pinned" "remote add: says the upstream key is pinned"
lb remote ls -d "$N" >"$T/rls"
contains "$T/rls" "above kec: $KAB_KEY pinned, no receipt from it yet" "remote ls: the pinned key, no receipt yet"

# no `up` at all (a kecamatan older than this): the push works as before
rm -f "$T/up"
expect_exit 0 "no up field: push succeeds" lb push -d "$N"
lb remote ls -d "$N" >"$T/rls"
contains "$T/rls" "receipts up to seq $S (" "no up field: the kecamatan's own receipt is kept"

# kept_none WHAT — nothing from the kabupaten is kept
kept_none() {
	lb id -d "$N" --json >"$T/idj"
	if python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
ups = [u for r in j["remotes"] for u in r["upstream"]]
sys.exit(0 if ups and all(u["seq"] == 0 for u in ups) else 1)' "$T/idj"; then
		ok "$1: no kabupaten receipt kept"
	else fail "$1: $(cat "$T/idj")"; fi
}

# refused MODE TEXT — a receipt forged in MODE handed down: the push
# succeeds, stderr warns saying TEXT, nothing is kept
refused() {
	echo "$KAB_KEY $S $T/r.$1" >"$T/up"
	expect_exit 0 "forged ($1): push still succeeds" lb push -d "$N"
	contains "$T/err" "does not hold" "forged ($1): stderr warns"
	contains "$T/err" "$2" "forged ($1): stderr says \"$2\""
	kept_none "forged ($1)"
}
refused origin "names another village key than this log's"
refused seq "names seq $((S - 1))"
refused hash "names another entry hash than this log's"
refused root "names another Merkle root than this log's signed head"
refused key "not signed by this aggregator's key"

# a receipt claiming a seq past the village's tip
echo "$KAB_KEY $((S + 5)) $T/r.kab" >"$T/up"
expect_exit 0 "receipt past the tip: push still succeeds" lb push -d "$N"
contains "$T/err" "does not hold" "receipt past the tip: stderr warns"
kept_none "receipt past the tip"

# the true one
echo "$KAB_KEY $S $T/r.kab" >"$T/up"
expect_exit 0 "true kabupaten receipt: push succeeds" lb push -d "$N"
contains "$T/out" "holds this village's log up to seq $S: its receipt was checked and kept" \
	"true kabupaten receipt: push says it was kept"
# the village writes on; the kecamatan gets it, the kabupaten not yet
put
put
expect_exit 0 "more entries: push succeeds" lb push -d "$N"
S2=$(seq_of "$N")
lb remote ls -d "$N" >"$T/rls"
contains "$T/rls" "receipts up to seq $S2 (" "remote ls: the kecamatan holds the new tip"
contains "$T/rls" "above kec: $KAB_KEY pinned, holds this village's log up to seq $S (its receipt checked)" \
	"remote ls: the kabupaten holds up to the seq its receipt proves"
lb id -d "$N" >"$T/id"
contains "$T/id" "above kec: $KAB_KEY pinned, holds this village's log up to seq $S" "id: shows the kabupaten tier"
lb id -d "$N" --json >"$T/idj"
if python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
r = j["remotes"][0]
sys.exit(0 if r["name"] == "kec" and r["seq"] == int(sys.argv[3]) and
         r["upstream"] == [{"key": sys.argv[2], "pinned": True, "seq": int(sys.argv[4])}] else 1)' \
	"$T/idj" "$KAB_KEY" "$S2" "$S"; then
	ok "id --json: the kecamatan at the tip, the kabupaten at its receipt's seq"
else fail "id --json: $(cat "$T/idj")"; fi
# the kept receipt is the kabupaten's, checkable by the auditor
lb export-log -d "$N" >"$T/n.lla" 2>/dev/null || fail "export-log"
"$BUILD/lumbung-audit" verify "$T/n.lla" --key "$(origin "$N")" --json >"$T/aj" 2>&1
if python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if j["ok"] else 1)' "$T/aj"; then
	ok "the node's archive with the kabupaten receipt verifies"
else fail "the node's archive: $(head -c 300 "$T/aj")"; fi

# ---- an unknown key: learnt, not trusted, then confirmed
printf '%s\n%s\n' "$KAB_KEY $S $T/r.kab" "$KAB2_KEY $S $T/r.kab2" >"$T/up"
expect_exit 0 "unknown upstream key: push succeeds" lb push -d "$N"
contains "$T/err" "NOT trusted" "unknown upstream key: stderr says it is not trusted"
contains "$T/err" "lumbung remote confirm kec $KAB2_KEY" "unknown upstream key: stderr names the command to confirm it"
lb remote ls -d "$N" >"$T/rls"
contains "$T/rls" "above kec: $KAB2_KEY learnt from kec, NOT trusted" "remote ls: the learnt key, not trusted"
lb id -d "$N" --json >"$T/idj"
if python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
u = [u for u in j["remotes"][0]["upstream"] if u["key"] == sys.argv[2]]
sys.exit(0 if u == [{"key": sys.argv[2], "pinned": False, "seq": 0}] else 1)' "$T/idj" "$KAB2_KEY"; then
	ok "unknown upstream key: nothing of it kept"
else fail "unknown upstream key: $(cat "$T/idj")"; fi
expect_exit 0 "unknown upstream key, again: push succeeds" lb push -d "$N"
if grep -q "NOT trusted" "$T/err"; then fail "the learnt key is announced again: $(cat "$T/err")"; else
	ok "the learnt key is announced once"; fi
# a stick bringing the learnt key's receipt: not a key this node trusts
python3 - "$T/kab2.receipts" "$KAB2_KEY" "$T/r.kab2" <<'EOF'
import sys
out, agg, rc = sys.argv[1], bytes.fromhex(sys.argv[2]), open(sys.argv[3], "rb").read()
def s(x): return bytes([0xa0 | len(x)]) + x
def b(x): return (bytes([0xc4, len(x)]) if len(x) < 256 else bytes([0xc5]) + len(x).to_bytes(2, "big")) + x
open(out, "wb").write(b"\x84" + s(b"agg") + b(agg) + s(b"kind") + s(b"lumbung-receipts") +
                      s(b"receipts") + b"\x91" + b(rc) + s(b"v") + b"\x01")
EOF
expect_exit 23 "receipt import: a learnt upstream key is refused" \
	lb receipt import -d "$N" "$T/kab2.receipts"
contains "$T/err" "not the key of any aggregator this node knows" "receipt import: says the key is not known"
expect_exit 1 "remote confirm of a key the remote never named is refused" \
	lb remote confirm -d "$N" kec "$(origin "$N")"
contains "$T/err" "has not named upstream key" "remote confirm: says the key was never named"
expect_exit 0 "remote confirm" lb remote confirm -d "$N" kec "$KAB2_KEY"
expect_exit 0 "confirmed key: push succeeds" lb push -d "$N"
contains "$T/out" "(key $KAB2_KEY) holds this village's log up to seq $S" "confirmed key: its receipt is kept"
lb remote ls -d "$N" >"$T/rls"
contains "$T/rls" "above kec: $KAB2_KEY pinned, holds this village's log up to seq $S" "remote ls: the confirmed key's tier"
expect_exit 0 "receipt import: the confirmed upstream key is taken" \
	lb receipt import -d "$N" "$T/kab2.receipts"
contains "$T/out" "kept 1 receipts from above kec" "receipt import: kept, from the upstream above kec"

# ---- malformed `up`: refused as a malformed answer, nothing sent
# malformed WHAT HEX — the `up` value is these msgpack bytes
malformed() {
	echo "raw $2" >"$T/up"
	expect_exit 23 "malformed up ($1): push refused" lb push -d "$N"
	contains "$T/err" "malformed" "malformed up ($1): stderr says the reply is malformed"
	contains "$T/err" "$3" "malformed up ($1): stderr says \"$3\""
}
# mp PYTHON — msgpack bytes (hex) of a value written with tests/tools/mpmini.py
mp() { python3 -c "import sys; sys.path.insert(0, sys.argv[1]); from mpmini import *; print(mp_write($1).hex())" "$TOOLS"; }
K32="b'\\xab' * 32"
malformed "not an array" "$(mp "'abc'")" "up is not an array"
malformed "item not a map" "$(mp "[1]")" "up[0] is not a map"
malformed "key of 31 bytes" "$(mp "[{'key': b'\\xab' * 31, 'seq': 1, 'receipt': b'\\xff'}]")" \
	"up[0].key is not a 32-byte bin"
malformed "seq a string" "$(mp "[{'key': $K32, 'seq': '1', 'receipt': b'\\xff'}]")" \
	"up[0].seq is not an unsigned int"
malformed "no receipt" "$(mp "[{'key': $K32, 'seq': 1}]")" "up[0] lacks its key, seq or receipt"
malformed "17 items" "$(mp "Raw(b'\\xdc\\x00\\x11' + b'\\x90' * 17)")" "up has 17 items"

# ---- sync keeps asking while the kabupaten is behind the kecamatan: its
# receipt for the new tip, handed down later, still arrives while idle
lb changeset -d "$N" --plain --since $((S + 1)) >"$T/cs2" 2>/dev/null || fail "changeset 2"
python3 "$TOOLS/kecproxy.py" receipt "$KAB_URL" "$T/cs2" >"$T/r.kab.2" || fail "kabupaten receipt 2"
echo "$KAB_KEY $S $T/r.kab" >"$T/up"
lb sync -d "$N" --every 1 >"$T/sync.out" 2>"$T/sync.err" &
SYNC_PID=$!
PIDS="$PIDS $SYNC_PID"
wait_for 10 grep -q "up to date" "$T/sync.out" || fail "sync did not start: $(cat "$T/sync.err")"
sleep 1
echo "$KAB_KEY $S2 $T/r.kab.2" >"$T/up"
if wait_for 10 sh -c "'$LUMBUNG' remote ls -d '$N' | grep -qF 'above kec: $KAB_KEY pinned, holds this village'\''s log up to seq $S2 '"; then
	ok "sync, idle: the kabupaten's newer receipt handed down later is kept"
else fail "sync, idle: $("$LUMBUNG" remote ls -d "$N") $(cat "$T/sync.err")"; fi
kill "$SYNC_PID" 2>/dev/null
wait "$SYNC_PID" 2>/dev/null

done_testing
