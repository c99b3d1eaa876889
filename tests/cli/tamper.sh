#!/bin/sh
# tamper.sh — verify must catch changes made behind the node's back and
# name the entry that was touched:
#   (a) one byte flipped inside data.mdb (an entry in the middle of a
#       transaction, the last entry of a transaction, the last entry of the
#       log);
#   (b) entries rewritten or appended through LMDB itself (mdb_dump and
#       mdb_load, so the store stays a valid LMDB file), a signed head with
#       a bad signature, a records row pointing at an older entry;
#   (c) an entry removed from the log;
#   (d) the untouched copy and a plain dump/reload still verify.
# Needs mdb_dump/mdb_load/mdb_stat (Debian lmdb-utils; tools/deps.sh).
. "$(dirname "$0")/lib.sh"
unset LUMBUNG_DIR LUMBUNG_MAP_SIZE
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || PY=python3

lb() { "$LUMBUNG" "$@"; }
for c in mdb_dump mdb_load; do
	command -v $c >/dev/null 2>&1 || { fail "$c is installed (apt-get install lmdb-utils)"; done_testing; exit 1; }
done

# The node: seq 1-2 single puts, 13-22 ... five 10-entry transactions
# (seq 3-52), seq 53-55 single puts.  Every body carries TAMPERME_<seq>, a
# string that appears in that entry only.
O="$T/orig"
lb init -d "$O" --village 33.24.01.2001 >/dev/null 2>&1 || fail "init"
lb put -d "$O" aspirasi p0001 pengusul="Warga 1" usulan=TAMPERME_0001 tanggal=2026-01-05 status=diusulkan >/dev/null &&
	lb put -d "$O" aspirasi p0002 pengusul="Warga 2" usulan=TAMPERME_0002 tanggal=2026-01-05 status=diusulkan >/dev/null ||
	fail "single puts"
for k in 0 1 2 3 4; do
	awk -v k=$k 'BEGIN { for (j = 1; j <= 10; j++) { s = 2 + 10 * k + j
		printf "{\"type\":\"aspirasi\",\"id\":\"p%04d\",\"body\":{\"pengusul\":\"Warga %d\",\"usulan\":\"TAMPERME_%04d\",\"tanggal\":\"2026-01-%02d\",\"status\":\"diusulkan\"}}\n", s, s, s, s % 28 + 1 } }' |
		lb put -d "$O" --batch - >/dev/null || fail "batch $k"
done
for s in 53 54 55; do
	lb put -d "$O" aspirasi "p00$s" pengusul="Warga $s" usulan="TAMPERME_00$s" tanggal=2026-01-05 status=diusulkan >/dev/null || fail "put $s"
done
lb verify -d "$O" --json >"$T/out" 2>&1
if grep -q '"ok":true,.*"entries":55,"heads":10,' "$T/out"; then ok "built: 55 entries under 10 signed heads"; else
	fail "built: 55 entries under 10 signed heads ($(cat "$T/out"))"
fi
cp -rp "$O" "$T/pristine"

# copy NAME — a fresh copy of the original node
copy() {
	rm -rf "${T:?}/$1"
	cp -rp "$O" "$T/$1"
	echo "$T/$1"
}

# caught DIR SEQ EXIT "what" [TEXT] — verify fails with that exit status,
# names seq SEQ on stderr and in --json bad_seq (and stderr has TEXT)
caught() {
	expect_exit "$3" "$4: verify fails" lb verify -d "$1"
	contains "$T/err" "FAILED at seq $2:" "$4: verify names seq $2"
	[ -n "${5:-}" ] && contains "$T/err" "$5" "$4: the reason says \"$5\""
	lb verify -d "$1" --json >"$T/vj" 2>/dev/null
	if "$PY" -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["ok"] is False and j["bad_seq"] == int(sys.argv[2]), j
' "$T/vj" "$2" 2>"$T/py"; then ok "$4: verify --json has ok false, bad_seq $2"; else
		fail "$4: verify --json has ok false, bad_seq $2 ($(cat "$T/vj"))"
	fi
}

# ---- (a) one byte flipped in data.mdb ---------------------------------------

# flip DIR TEXT — change the first letter of every copy of TEXT in
# data.mdb (LMDB may keep stale copies in free pages); prints the count
cat >"$T/flip.py" <<'EOF'
import sys
path, text = sys.argv[1] + "/data.mdb", sys.argv[2].encode()
data = bytearray(open(path, "rb").read())
at, n = data.find(text), 0
while at >= 0:
    data[at] ^= 0x0c  # 'T' (0x54) -> 'X' (0x58): still valid UTF-8
    n += 1
    at = data.find(text, at + 1)
open(path, "wb").write(data)
print(n)
EOF
for case in "17 middle of a transaction (seq 13-22)" "22 last entry of a transaction" \
	"3 first entry of a transaction" "55 last entry of the log" "1 first entry of the log"; do
	s=${case%% *}
	what="flipped byte in seq $s (${case#* })"
	C=$(copy "flip$s")
	n=$("$PY" "$T/flip.py" "$C" "$(printf 'TAMPERME_%04d' "$s")")
	if [ "${n:-0}" -ge 1 ]; then ok "$what: the value is in data.mdb ($n copies flipped)"; else
		fail "$what: the value is in data.mdb (not found)"
	fi
	caught "$C" "$s" 8 "$what"
done
# the wording for the two ways a change shows up
C=$(copy why17)
"$PY" "$T/flip.py" "$C" TAMPERME_0017 >/dev/null
lb verify -d "$C" 2>"$T/err" >/dev/null
contains "$T/err" "entry was altered" "seq 17 (mid-transaction): blamed as altered via the next entry's prev"
C=$(copy why22)
"$PY" "$T/flip.py" "$C" TAMPERME_0022 >/dev/null
lb verify -d "$C" 2>"$T/err" >/dev/null
contains "$T/err" "does not match its signed head" "seq 22 (end of a transaction): caught by its signed head"
lb get -d "$C" aspirasi p0022 >"$T/out" 2>/dev/null
contains "$T/out" "XAMPERME_0022" "the flip really changed what get returns (it is the live copy)"

# ---- (b) entries changed or forged through LMDB -------------------------------

# edit.py MODE ARGS < dump > dump — edits mdb_dump output (bytevalue format);
# MODE "nothing" copies it unchanged
cat >"$T/edit.py" <<'EOF'
import hashlib, sys
mode, args = sys.argv[1], sys.argv[2:]
lines = sys.stdin.read().split("\n")
out, db, pairs, i = [], None, None, 0

def be(n):
    return n.to_bytes(8, "big")

def fixstr(s):
    assert len(s) < 32
    return bytes([0xa0 | len(s)]) + s

def edit(db, pairs):
    if mode == "body" and db == "log":            # SEQ OLD NEW: rewrite a string in the entry
        k = be(int(args[0]))
        old, new = fixstr(args[1].encode()), fixstr(args[2].encode())
        v = pairs[k]
        assert v.count(old) == 1, v
        pairs[k] = v.replace(old, new)
    elif mode == "append" and db == "log":        # a well-formed, chained, unsigned next entry
        last = max(pairs)
        v = pairs[last]
        n = int.from_bytes(last, "big")
        assert v[0] == 0x98 and v[1] == n and n < 127 and v[2] == 0xcf, v[:12]
        ts = int.from_bytes(v[3:11], "big") + 1
        assert v[-34:-32] == b"\xc4\x20"
        pairs[be(n + 1)] = bytes([0x98, n + 1, 0xcf]) + ts.to_bytes(8, "big") + v[11:-32] + \
            hashlib.blake2b(v, digest_size=32).digest()
    elif mode == "drop" and db == "log":          # SEQ: remove the entry
        del pairs[be(int(args[0]))]
    elif mode == "drop+head" and db in ("log", "heads"):  # SEQ: the entry and its head
        del pairs[be(int(args[0]))]
    elif mode == "sig" and db == "heads":         # SEQ: one bit of the signature
        k = be(int(args[0]))
        pairs[k] = bytes([pairs[k][0] ^ 1]) + pairs[k][1:]
    elif mode == "rec" and db == "records":       # TYPE ID SEQ: point a row elsewhere
        k = args[0].encode() + b"\0" + args[1].encode()
        assert k in pairs
        pairs[k] = be(int(args[2])) + pairs[k][8:]

while i < len(lines):
    l = lines[i]
    if l.startswith("database="):
        db = l[len("database="):]
    out.append(l)
    i += 1
    if l == "HEADER=END":
        pairs = {}
        while lines[i] != "DATA=END":
            pairs[bytes.fromhex(lines[i].strip())] = bytes.fromhex(lines[i + 1].strip())
            i += 2
        edit(db, pairs)
        for k in sorted(pairs):
            out += [" " + k.hex(), " " + pairs[k].hex()]
sys.stdout.write("\n".join(out))
EOF

# reload DIR MODE ARGS... — dump every db, edit, load into a fresh
# environment (mdb_load cannot delete keys), then put it in DIR's place
reload() {
	dir=$1
	shift
	mdb_dump -a "$dir" >"$T/dump" 2>"$T/err" &&
		"$PY" "$T/edit.py" "$@" <"$T/dump" >"$T/dump.new" 2>>"$T/err" &&
		rm -rf "$dir.new" && mkdir -m 700 "$dir.new" &&
		mdb_load -f "$T/dump.new" "$dir.new" 2>>"$T/err" &&
		cp -p "$dir/node.key" "$dir/node.pub" "$dir.new/" &&
		rm -rf "$dir" && mv "$dir.new" "$dir"
}

# (d, first) the procedure itself: a dump and reload with no edit verifies
C=$(copy reload0)
if reload "$C" nothing; then ok "dump and reload with no change"; else fail "dump and reload with no change ($(cat "$T/err"))"; fi
expect_exit 0 "a node dumped and reloaded unchanged still verifies" lb verify -d "$C"
expect_exit 0 "the reloaded node is writable" lb put -d "$C" aspirasi after pengusul=x usulan=y tanggal=2026-01-05 status=diusulkan

# (b) rewrite a body through LMDB (mdb_load into the existing env)
C=$(copy forge33)
mdb_dump -s log "$C" | "$PY" "$T/edit.py" body 33 TAMPERME_0033 FORGED_33 >"$T/log.dump" 2>"$T/err" &&
	mdb_load -s log -f "$T/log.dump" "$C" 2>>"$T/err" ||
	fail "rewrite seq 33 with mdb_load ($(cat "$T/err"))"
lb get -d "$C" aspirasi p0033 >"$T/out" 2>&1
contains "$T/out" "FORGED_33" "the rewritten body is what the node now serves"
caught "$C" 33 8 "seq 33 rewritten through LMDB" "altered"

C=$(copy forge52)
mdb_dump -s log "$C" | "$PY" "$T/edit.py" body 52 TAMPERME_0052 X >"$T/log.dump" 2>"$T/err" &&
	mdb_load -s log -f "$T/log.dump" "$C" 2>>"$T/err" ||
	fail "rewrite seq 52 with mdb_load ($(cat "$T/err"))"
caught "$C" 52 8 "seq 52 (end of a transaction) rewritten through LMDB" "signed head"

# (b) append a well-formed next entry (right seq, later ts, prev = hash of
# seq 55) that no signed head covers
C=$(copy append)
mdb_dump -s log "$C" | "$PY" "$T/edit.py" append >"$T/log.dump" 2>"$T/err" &&
	mdb_load -s log -f "$T/log.dump" "$C" 2>>"$T/err" ||
	fail "append seq 56 with mdb_load ($(cat "$T/err"))"
lb log -d "$C" --json --since 56 >"$T/out" 2>&1
if "$PY" -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, lines
e = json.loads(lines[0])
assert e["seq"] == 56 and e["prev"] == sys.argv[2], e
' "$T/out" "$(lb id -d "$O" --json | sed -n 's/.*"head":"\([0-9a-f]*\)".*/\1/p')" 2>"$T/py"; then
	ok "the forged seq 56 decodes and chains to seq 55"
else fail "the forged seq 56 decodes and chains to seq 55 ($(cat "$T/py" "$T/out"))"; fi
caught "$C" 56 8 "appended unsigned seq 56" "not covered by a signed head"

# (b) a signed head whose signature no longer verifies
C=$(copy sig)
if reload "$C" sig 42; then ok "head 42 signature bit flipped"; else fail "head 42 signature bit flipped ($(cat "$T/err"))"; fi
caught "$C" 42 13 "bad signature on the head at seq 42" "signature does not verify"

# (b) the state no longer equals the log: a records row put back to an
# older entry of another key
C=$(copy rec)
if reload "$C" rec aspirasi p0030 29; then ok "records row of p0030 pointed at seq 29"; else
	fail "records row of p0030 pointed at seq 29 ($(cat "$T/err"))"
fi
caught "$C" 30 8 "records row of p0030 pointed elsewhere" "current state does not reflect"

# ---- (c) an entry deleted from the log -----------------------------------------

for s in 17 55 1; do
	C=$(copy drop$s)
	if reload "$C" drop $s; then ok "seq $s removed from the log"; else fail "seq $s removed from the log ($(cat "$T/err"))"; fi
	if [ "$s" = 55 ]; then
		# the last entry gone: what is left chains, but the head at 55 and
		# the tip point past the log
		caught "$C" 55 8 "last entry (seq 55) deleted" "past the end of the log"
	else
		caught "$C" $s 8 "seq $s deleted" "missing"
	fi
done

# the last entry removed together with its signed head: what is left is a
# valid shorter log, but the node's tip still names the missing seq
C=$(copy drophead55)
if reload "$C" drop+head 55; then ok "seq 55 and its head removed"; else fail "seq 55 and its head removed ($(cat "$T/err"))"; fi
caught "$C" 55 8 "last entry and its head deleted" "missing"

# the failure line names the seq once ("FAILED at seq N: reason")
lb verify -d "$C" 2>"$T/err" >/dev/null
if grep -Eq 'seq ([0-9]+): seq \1:' "$T/err"; then fail "the failure line names the seq once ($(cat "$T/err"))"; else
	ok "the failure line names the seq once"
fi

# ---- (d) the untouched copy --------------------------------------------------

expect_exit 0 "the untouched copy still verifies" lb verify -d "$T/pristine"
expect_exit 0 "the original still verifies" lb verify -d "$O"
if cmp -s "$O/data.mdb" "$T/pristine/data.mdb"; then ok "the original data.mdb was never touched"; else
	fail "the original data.mdb was never touched"
fi

done_testing
