#!/bin/sh
# proof.sh — `lumbung-audit prove` and `check-proof` on a real node's log:
#   (a) inclusion proofs of entries at the edges and in the middle of every
#       signed head, and consistency proofs between every pair of heads,
#       verify and equal the paths an independent Python reference computes
#       from RFC 9162's recursive definitions (tests/tools/rfc9162.py);
#   (b) one changed bit anywhere in a proof (entry, path, head signature,
#       head root, every byte in turn) makes check-proof fail, as does the
#       wrong --key; an unpinned check says so;
#   (c) a seq beyond the head, a seq that is not a signed head, an archive
#       on a pipe and a file that is not a proof get clear errors.
. "$(dirname "$0")/lib.sh"
unset LUMBUNG_DIR LUMBUNG_MAP_SIZE
AUDIT="$BUILD/lumbung-audit"
REF="$(cd "$(dirname "$0")/../tools" && pwd)/rfc9162.py"
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || PY=python3

if [ ! -x "$AUDIT" ]; then
	fail "$AUDIT is built"
	done_testing
	exit 1
fi

lb() { "$LUMBUNG" "$@"; }
ESIG=13      # lb_exit_status(LB_ESIG)
EMALFORMED=9 # lb_exit_status(LB_EMALFORMED)
EINVAL=3     # lb_exit_status(LB_EINVAL)

# ---- a node with heads at 127, 128 (a power of two), 228, 298, 299, 332 -----

N="$T/node"
lb init -d "$N" --village 33.24.01.2001 >/dev/null 2>&1 || fail "init"
batch() { # COUNT SEED — one write transaction of COUNT generated records
	"$GEN" --village 33.24.01.2001 --count "$1" --seed "$2" | lb put -d "$N" --batch - >/dev/null ||
		fail "batch of $1"
}
single() {
	lb put -d "$N" aspirasi "p$1" pengusul="Warga $1" usulan="Usulan $1" tanggal=2026-01-05 \
		status=diusulkan >/dev/null || fail "put p$1"
}
batch 127 1
single 0001
batch 100 2
batch 70 3
single 0002
batch 33 4
lb export-log -d "$N" >"$T/f.lla" 2>"$T/err"
check "export-log writes an archive" test -s "$T/f.lla"
"$PY" "$REF" roots "$T/f.lla" >"$T/roots" 2>&1
heads=$(awk '{ print $1 }' "$T/roots" | tr '\n' ' ')
if [ "$heads" = "127 128 228 298 299 332 " ] && ! grep -q MISMATCH "$T/roots"; then
	ok "the reference MTH equals the root signed at each of the 6 heads"
else
	fail "the reference MTH equals the root signed at each of the 6 heads ($(cat "$T/roots"))"
fi
KEY=$(awk '{ print $3 }' "$N/node.pub")

# ---- (a) proofs equal RFC 9162 and verify --------------------------------------

# proven KIND ARGS... — make a proof into $T/p, check it pinned, compare it
# with the reference; prints nothing and returns 0 when all three hold
proven() {
	: >"$T/out" # no verdict from an earlier proof can be read after a failing one
	"$AUDIT" prove "$T/f.lla" "$@" >"$T/p" 2>"$T/err" || { echo "prove $*: $(cat "$T/err")"; return 1; }
	"$AUDIT" check-proof "$T/p" --key "$KEY" >"$T/out" 2>"$T/err" ||
		{ echo "check-proof ($*): $(cat "$T/err")"; return 1; }
	"$PY" "$REF" compare "$T/p" "$T/f.lla" >"$T/cmp" 2>&1 || { echo "compare ($*): $(cat "$T/cmp")"; return 1; }
}

for h in $heads; do
	bad=""
	for s in 1 2 $((h / 3)) $((h / 2 + 1)) $((h - 1)) $h; do
		r=$(proven --seq "$s" --head "$h") || bad="$bad $r"
	done
	if [ -z "$bad" ]; then ok "inclusion in head $h: seq 1, 2, $((h / 3)), $((h / 2 + 1)), $((h - 1)), $h verify and equal PATH"; else
		fail "inclusion in head $h:$bad"
	fi
done
r=$(proven --seq 77) || fail "a proof of seq 77 against the last head: $r"
contains "$T/out" "signed at seq 332" "without --head the proof is against the last head (332)"
contains "$T/out" 'entry seq 77 is in the log of village 33.24.01.2001' "the verdict names the village and seq"
contains "$T/out" "pinned with --key" "the verdict says the signer was pinned"
cp "$T/p" "$T/incl"

for a in $heads; do
	bad=""
	list=""
	for b in $heads; do
		[ "$b" -lt "$a" ] && continue
		list="$list $b"
		r=$(proven --from "$a" --to "$b") || bad="$bad $r"
	done
	if [ -z "$bad" ]; then ok "consistency from head $a to$list verifies and equals PROOF"; else
		fail "consistency from head $a:$bad"
	fi
done
r=$(proven --from 128) || fail "a consistency proof from 128 to the last head: $r"
contains "$T/out" "signed at seq 332 extends the one signed at seq 128" \
	"without --to the proof is to the last head"
cp "$T/p" "$T/cons"

"$AUDIT" check-proof "$T/incl" --json --key "$KEY" >"$T/json" 2>"$T/err"
if "$PY" -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["ok"] is True and j["kind"] == "inclusion" and j["seq"] == 77 and j["tree_size"] == 332, j
assert j["pinned"] is True and j["signer"] == sys.argv[2] and j["village"] == "33.24.01.2001", j
' "$T/json" "$KEY" 2>"$T/py"; then ok "check-proof --json: ok, seq, tree size, pinned signer"; else
	fail "check-proof --json: ok, seq, tree size, pinned signer ($(cat "$T/json") $(cat "$T/py"))"
fi

# ---- (b) one changed bit fails --------------------------------------------------

# flipped PROOF OFFSET OUT — copy PROOF with bit 0 of byte OFFSET changed
flipped() {
	"$PY" -c '
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[int(sys.argv[2])] ^= 1
open(sys.argv[3], "wb").write(b)
' "$1" "$2" "$3"
}
# offset PROOF EXPR — a byte offset from `rfc9162.py decode` (EXPR over its JSON j)
offset() {
	"$PY" "$REF" decode "$1" | "$PY" -c 'import json, sys; j = json.load(sys.stdin); print('"$2"')'
}

tampered() { # PROOF OFFSET "what"
	flipped "$1" "$2" "$T/bad"
	expect_exit $ESIG "$3: check-proof fails (bad signature or root)" "$AUDIT" check-proof "$T/bad" --key "$KEY"
	contains "$T/err" "FAILED" "$3: check-proof says FAILED"
}
tampered "$T/incl" "$(offset "$T/incl" 'j["entry_offset"] + len(j["entry"]) // 2 - 1')" "inclusion, last byte of the entry"
tampered "$T/incl" "$(offset "$T/incl" 'j["entry_offset"] + 40')" "inclusion, a byte inside the entry"
tampered "$T/incl" "$(offset "$T/incl" 'j["path_offsets"][0]')" "inclusion, first path hash"
tampered "$T/incl" "$(offset "$T/incl" 'j["path_offsets"][-1] + 31')" "inclusion, last byte of the last path hash"
tampered "$T/incl" "$(offset "$T/incl" 'j["head_offset"] + 5')" "inclusion, head signature"
tampered "$T/incl" "$(offset "$T/incl" 'j["head_root_offset"] + 7')" "inclusion, head root"
contains "$T/err" "signature does not verify" "a changed head root breaks the head's signature"
tampered "$T/cons" "$(offset "$T/cons" 'j["path_offsets"][0] + 9')" "consistency, first path hash"
tampered "$T/cons" "$(offset "$T/cons" 'j["path_offsets"][-1]')" "consistency, last path hash"
tampered "$T/cons" "$(offset "$T/cons" 'j["old_offset"]')" "consistency, old head signature"
tampered "$T/cons" "$(offset "$T/cons" 'j["old_root_offset"]')" "consistency, old head root"
tampered "$T/cons" "$(offset "$T/cons" 'j["head_root_offset"] + 31')" "consistency, new head root"

# every byte of each proof, one bit each: never accepted, never a crash
# (every 4th byte under the sanitizers, where each run is slow)
stride=1
[ -n "${LUMBUNG_ASAN:-}" ] && stride=4
for p in incl cons; do
	"$PY" -c '
import subprocess, sys
audit, src, key, tmp, stride = sys.argv[1:6]
data = open(src, "rb").read()
bad = []
for i in range(0, len(data), int(stride)):
    b = bytearray(data)
    b[i] ^= 1 << (i % 8)
    open(tmp, "wb").write(b)
    rc = subprocess.run([audit, "check-proof", tmp, "--key", key],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    if rc not in (9, 13):
        bad.append("byte %d: exit %d" % (i, rc))
print(len(data), "bytes, every", stride + ":", "; ".join(bad[:5]) if bad else "all refused")
sys.exit(1 if bad else 0)
' "$AUDIT" "$T/$p" "$KEY" "$T/fuzz" "$stride" >"$T/fz" 2>&1
	if [ $? -eq 0 ]; then ok "$p: every byte with one bit changed is refused (exit 9 or 13): $(cat "$T/fz")"; else
		fail "$p: every byte with one bit changed is refused ($(cat "$T/fz"))"
	fi
done

lb init -d "$T/other" --village 33.24.01.2002 >/dev/null 2>&1 || fail "init other"
expect_exit $ESIG "a proof checked with another node's key file fails" \
	"$AUDIT" check-proof "$T/incl" --key "$T/other/node.pub"
contains "$T/err" "signed by a different key" "the wrong key is named as such, not as a bad signature"
expect_exit $ESIG "a consistency proof checked with another key (hex) fails" \
	"$AUDIT" check-proof "$T/cons" --key "$(awk '{ print $3 }' "$T/other/node.pub")"
expect_exit 0 "without --key the proof is checked against the key inside it" "$AUDIT" check-proof "$T/incl"
contains "$T/err" "signer not pinned: checked against the key named inside the proof" \
	"an unpinned check warns on stderr"
contains "$T/out" "NOT pinned" "an unpinned verdict says so"

# ---- (c) clear errors ------------------------------------------------------------

expect_exit $EINVAL "--seq beyond the last head fails" "$AUDIT" prove "$T/f.lla" --seq 333
contains "$T/err" "entry seq 333 is beyond the signed head at seq 332" "... and says which head"
expect_exit $EINVAL "--seq beyond --head fails" "$AUDIT" prove "$T/f.lla" --seq 200 --head 128
contains "$T/err" "beyond the head at seq 128" "... and names the head"
expect_exit $EINVAL "--head that is not a signed head fails" "$AUDIT" prove "$T/f.lla" --seq 5 --head 150
contains "$T/err" "seq 150 is not a signed head in the archive (the nearest are seq 128 and seq 228)" \
	"... naming the nearest heads"
expect_exit $EINVAL "--from that is not a signed head fails" "$AUDIT" prove "$T/f.lla" --from 100
contains "$T/err" "old seq 100 is not a signed head" "... and says so"
expect_exit $EINVAL "--to that is not a signed head fails" "$AUDIT" prove "$T/f.lla" --from 128 --to 300
contains "$T/err" "new seq 300 is not a signed head" "... and says so"
expect_exit $EINVAL "--from after --to fails" "$AUDIT" prove "$T/f.lla" --from 228 --to 128
expect_exit 2 "--seq and --from together is a usage error" "$AUDIT" prove "$T/f.lla" --seq 1 --from 128
cat "$T/f.lla" | "$AUDIT" prove /dev/stdin --seq 1 >"$T/out" 2>"$T/err"
rc=$?
if [ $rc -eq $EINVAL ] && grep -q "not seekable" "$T/err"; then ok "an archive on a pipe: 'not seekable', exit 3"; else
	fail "an archive on a pipe: 'not seekable', exit 3 (exit $rc: $(cat "$T/err"))"
fi
head -c 2000 "$T/f.lla" >"$T/notproof"
expect_exit $EMALFORMED "check-proof of a piece of archive (not a proof) is malformed" \
	"$AUDIT" check-proof "$T/notproof" --key "$KEY"
expect_exit 14 "check-proof of a whole archive is refused as too big" "$AUDIT" check-proof "$T/f.lla"
contains "$T/err" "larger than any proof" "... and says so"
head -c 300 "$T/incl" >"$T/cut"
expect_exit $EMALFORMED "check-proof of a cut proof is malformed" "$AUDIT" check-proof "$T/cut" --key "$KEY"
expect_exit 0 "check-proof reads the proof from stdin with -" sh -c "\"$AUDIT\" check-proof - --key $KEY <\"$T/incl\""

done_testing
