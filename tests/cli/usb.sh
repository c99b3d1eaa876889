#!/bin/sh
# usb.sh — USB both ways, no network at all: a village's change set
# carried to the kecamatan comes back with a receipts file the village
# checks and keeps; the kecamatan's bundle carried to the kabupaten comes
# back with the kabupaten's receipts, after which the next bundle holds
# only what is newer.  Forged receipts, receipts of unknown signers,
# truncated bundles and a flipped byte: clear errors, nothing wrong kept.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR

lb() { "$LUMBUNG" "$@"; }
S="$T/stick"
mkdir -p "$S"

# a receipts file written by hand from docs/FORMAT.md (not by our code):
# mkrcpt OUT AGGHEX RECEIPT_FILE...
mkrcpt() {
	python3 - "$@" <<'EOF'
import sys
out, agg, files = sys.argv[1], bytes.fromhex(sys.argv[2]), sys.argv[3:]
def s(x): return bytes([0xa0 | len(x)]) + x
def b(x):
    return (bytes([0xc4, len(x)]) if len(x) < 256 else bytes([0xc5]) + len(x).to_bytes(2, "big")) + x
body = b"\x84" + s(b"agg") + b(agg) + s(b"kind") + s(b"lumbung-receipts") + s(b"receipts")
body += bytes([0x90 | len(files)]) + b"".join(b(open(f, "rb").read()) for f in files)
body += s(b"v") + b"\x01"
open(out, "wb").write(body)
EOF
}
# rcpt_at FILE I OUT — the I-th receipt (from 0) of a receipts file
rcpt_at() {
	python3 - "$@" <<'EOF'
import sys
d, want, out = open(sys.argv[1], "rb").read(), int(sys.argv[2]), sys.argv[3]
p = 1 + 4 + 34 + 5 + 17 + 9
assert d[p] & 0xf0 == 0x90, "receipts: a fixarray"
p += 1
for i in range(d[p - 1] & 0x0f):
    n, h = (d[p + 1], 2) if d[p] == 0xc4 else (int.from_bytes(d[p + 1:p + 3], "big"), 3)
    if i == want:
        open(out, "wb").write(d[p + h:p + h + n])
    p += h + n
EOF
}
# rcpt_count FILE — how many receipts a receipts file holds
rcpt_count() { python3 -c 'import sys; print(open(sys.argv[1], "rb").read()[70] & 0x0f)' "$1"; }

mk_village() { # DIR CODE COUNT SEED
	lb init -d "$1" --village "$2" >/dev/null 2>&1 &&
		"$GEN" --village "$2" --count "$3" --seed "$4" >"$T/gen.jsonl" &&
		lb put -d "$1" --batch "$T/gen.jsonl" >/dev/null 2>&1
}
KAB=$(agg init -d "$T/kab" --region 33.24) || fail "kabupaten init"
KEC=$(agg init -d "$T/kec" --region 33.24.01) || fail "kecamatan init"
check "village 1 has 300 records" mk_village "$T/v1" 33.24.01.2001 300 1
check "village 2 has 200 records" mk_village "$T/v2" 33.24.01.2002 200 2
check "village 3 has 50 records" mk_village "$T/v3" 33.24.01.2003 50 3
# the kabupaten knows the kecamatan's aggregator, so the enrolment
# statements a bundle starts with are applied there; the villages are also
# enrolled at the kabupaten directly (an office may do both: the same key
# again changes nothing)
agg enroll-aggregator -d "$T/kab" --region 33.24.01 --key "$KEC" >/dev/null ||
	fail "the kabupaten enrols the kecamatan's aggregator"
for v in v1 v2 v3; do
	for a in kec kab; do
		agg enroll -d "$T/$a" --village "$(village "$T/$v")" --key "$(origin "$T/$v")" \
			>/dev/null || fail "enroll $v at $a"
	done
	lb remote add -d "$T/$v" kec http://127.0.0.1:1 --key "$KEC" >/dev/null
done

# field DIR VILLAGE FIELD — a field of the village's row in status --json
field() {
	"$AGG_BIN" status -d "$1" --json | python3 -c '
import json, sys
for v in json.load(sys.stdin)["villages"]:
    if v["village"] == sys.argv[1]:
        print(v[sys.argv[2]])' "$2" "$3"
}
# holds AGGDIR VILLAGEDIR — the aggregator holds the village's tip, same hash
holds() {
	[ "$(field "$1" "$(village "$2")" seq)" = "$(seq_of "$2")" ] &&
		[ "$(field "$1" "$(village "$2")" hash)" = "$(head_of "$2")" ]
}
receipts_of() { lb remote ls -d "$1" | awk '$1 == "kec"'; }

# --- village -> kecamatan -> village ------------------------------------------
lb changeset -d "$T/v1" >"$S/v1.lcs" 2>/dev/null || fail "changeset v1"
expect_exit 0 "the kecamatan ingests a change set from the stick" agg ingest -d "$T/kec" "$S/v1.lcs"
check "the kecamatan holds village 1's log" holds "$T/kec" "$T/v1"
check "its receipts are written beside the change set" test -s "$S/v1.lcs.receipts"
contains "$T/out" "wrote 1 receipt to $S/v1.lcs.receipts" "ingest says where the receipts went"
check "no temporary file is left on the stick" \
	sh -c "[ \$(ls -A '$S' | wc -l) = 2 ]"

expect_exit 0 "the village imports the receipts file" lb receipt import -d "$T/v1" "$S/v1.lcs.receipts"
contains "$T/out" "kept 1 receipts from kec (it holds this village's log up to seq 300)" \
	"import says what it kept, from which remote"
receipts_of "$T/v1" >"$T/ls"
contains "$T/ls" "receipts up to seq 300 (1 kept)" "remote ls shows the kecamatan's receipt"

# two change sets, one receipts file (--receipts), with a resend in it
lb changeset -d "$T/v2" >"$S/v2.lcs" 2>/dev/null || fail "changeset v2"
expect_exit 0 "ingest of two files with --receipts" \
	agg ingest -d "$T/kec" "$S/v1.lcs" "$S/v2.lcs" --receipts "$S/back.receipts"
check "one receipts file holds both receipts (the resend's too)" \
	[ "$(rcpt_count "$S/back.receipts")" = 2 ]
check "no FILE.receipts beside v2.lcs with --receipts" test ! -e "$S/v2.lcs.receipts"
expect_exit 0 "village 2 imports the shared receipts file" \
	lb receipt import -d "$T/v2" "$S/back.receipts"
contains "$T/out" "1 for other villages skipped" "village 1's receipt is skipped and counted"
contains "$(receipts_of "$T/v2" >"$T/ls"; echo "$T/ls")" "receipts up to seq 200 (1 kept)" \
	"village 2 holds its receipt"

# --- forged and unknown receipts ---------------------------------------------
lb changeset -d "$T/v3" >"$S/v3.lcs" 2>/dev/null
agg ingest -d "$T/kec" "$S/v3.lcs" >/dev/null || fail "ingest v3"
rcpt_at "$S/v3.lcs.receipts" 0 "$T/r3"
"$BUILD/forge-receipt" "$T/kec" hash <"$T/r3" >"$T/r3-hash" || fail "forge-receipt hash"
"$BUILD/forge-receipt" "$T/kec" key <"$T/r3" >"$T/r3-key" || fail "forge-receipt key"
mkrcpt "$S/forged.receipts" "$KEC" "$T/r3-hash" "$T/r3-key"
expect_exit 13 "receipts re-signed with another hash or by a stranger are refused" \
	lb receipt import -d "$T/v3" "$S/forged.receipts"
contains "$T/err" "receipt 1 refused (bad_signature)" "the first is named with its reason"
contains "$T/err" "receipt 2 refused (bad_signature)" "the second too"
receipts_of "$T/v3" >"$T/ls"
check "nothing was kept from the forged file" sh -c "! grep -q 'receipts up to' '$T/ls'"
mkrcpt "$S/mixed.receipts" "$KEC" "$T/r3-hash" "$T/r3"
expect_exit 0 "a file with one forged and one good receipt: the good one is kept" \
	lb receipt import -d "$T/v3" "$S/mixed.receipts"
contains "$T/out" "kept 1 receipts from kec" "only the good one"
contains "$T/out" "1 refused" "the forged one is counted"
STRANGER=$(agg init -d "$T/stranger" --region 33.24.01) || fail "stranger init"
mkrcpt "$S/stranger.receipts" "$STRANGER" "$T/r3"
expect_exit 23 "receipts naming a signer the village does not know are refused" \
	lb receipt import -d "$T/v3" "$S/stranger.receipts"
contains "$T/err" "not the key of any aggregator this node knows" "the refusal says why"
head -c 100 "$S/v3.lcs.receipts" >"$S/cut.receipts"
expect_exit 9 "a truncated receipts file is refused (malformed)" \
	lb receipt import -d "$T/v3" "$S/cut.receipts"
expect_exit 9 "a change set is not a receipts file" lb receipt import -d "$T/v3" "$S/v3.lcs"
contains "$T/err" "not a receipts file" "the refusal says so"
expect_exit 1 "receipts for other villages only: nothing of ours, non-zero" \
	lb receipt import -d "$T/v3" "$S/v1.lcs.receipts"

# --- kecamatan -> kabupaten -> kecamatan ---------------------------------------
expect_exit 3 "a bundle for the kecamatan itself is refused" agg bundle -d "$T/kec" --for "$KEC"
contains "$T/err" "names this aggregator itself" "the refusal says why"
expect_exit 3 "a bundle for an upstream nobody configured is refused" \
	agg bundle -d "$T/kec" --for kabupaten
contains "$T/err" "upstream \"kabupaten\" is not known" "the refusal names it"
agg bundle -d "$T/kec" --for "$KAB" >"$S/kec.lcb" 2>"$T/err" || fail "bundle: $(cat "$T/err")"
contains "$T/err" "3 change sets, 550 entries of 3 villages" "the first bundle holds every village"
check "a bundle starts with its magic" [ "$(head -c 4 "$S/kec.lcb")" = LCB1 ]
expect_exit 0 "the kabupaten ingests the bundle" agg ingest -d "$T/kab" "$S/kec.lcb"
contains "$T/out" "bundle of 4 frames: 4 taken (550 new entries), 0 refused" "every frame taken"
contains "$T/out" "frame 1: 3 enrolment statements applied" "the kecamatan's enrolment statements come first"
for v in v1 v2 v3; do check "the kabupaten holds $v's log" holds "$T/kab" "$T/$v"; done
check "one receipts file comes back, for every village" \
	[ "$(rcpt_count "$S/kec.lcb.receipts")" = 3 ]
expect_exit 23 "receipt import at the kecamatan wants a known upstream's key" \
	agg receipt import -d "$T/kec" "$S/kec.lcb.receipts"
contains "$T/err" "which is no upstream of this aggregator" "the refusal says the signer is unknown"
expect_exit 13 "a key other than the signer's is refused" \
	agg receipt import -d "$T/kec" "$S/kec.lcb.receipts" --key "$STRANGER"
contains "$T/err" "not by the upstream key given" "the refusal says the file names another signer"
expect_exit 23 "the kecamatan's own receipts are not the kabupaten's" \
	agg receipt import -d "$T/kec" "$S/v1.lcs.receipts" --key "$KEC"
expect_exit 0 "the kecamatan keeps the kabupaten's receipts" \
	agg receipt import -d "$T/kec" "$S/kec.lcb.receipts" --key "$KAB"
contains "$T/out" "kept 3 receipts from upstream $KAB" "all three kept"

agg bundle -d "$T/kec" --for "$KAB" >"$S/none.lcb" 2>"$T/err"
contains "$T/err" "0 change sets, 0 entries of 0 villages; 3 villages the upstream already holds" \
	"with the receipts back, nothing is left to send"
mk_more() { "$GEN" --village 33.24.01.2001 --count 40 --seed 9 >"$T/more.jsonl" &&
	lb put -d "$T/v1" --batch "$T/more.jsonl" >/dev/null 2>&1; }
check "village 1 records 40 more" mk_more
lb changeset -d "$T/v1" --since 301 >"$S/v1b.lcs" 2>/dev/null
agg ingest -d "$T/kec" "$S/v1b.lcs" >/dev/null || fail "ingest v1b"
agg bundle -d "$T/kec" --for "$KAB" >"$S/kec2.lcb" 2>"$T/err"
contains "$T/err" "1 change sets, 40 entries of 1 villages; 2 villages the upstream already holds" \
	"the next bundle holds only the newer entries"
expect_exit 0 "the kabupaten ingests the second bundle" agg ingest -d "$T/kab" "$S/kec2.lcb"
contains "$T/out" "frame 2: accepted 40 new entries; that village is now at seq 340" \
	"it starts where the kabupaten stood"
check "the kabupaten holds village 1's new tip" holds "$T/kab" "$T/v1"
agg bundle -d "$T/kec" --for "$KAB" --all >"$S/all.lcb" 2>"$T/err"
contains "$T/err" "3 change sets, 590 entries of 3 villages" "--all sends everything again"
expect_exit 0 "a resent bundle is harmless" agg ingest -d "$T/kab" "$S/all.lcb"
contains "$T/out" "4 taken (0 new entries)" "nothing new in it"

# --- a truncated stick and a flipped byte --------------------------------------
# a fresh kabupaten store with the kabupaten's key (the bundle's change
# sets are sealed to that key: another key could not open them)
fresh_kab() {
	rm -rf "$T/kab2"
	agg init -d "$T/kab2" --region 33.24 >/dev/null
	cp "$T/kab/agg.key" "$T/kab/agg.pub" "$T/kab2/"
	agg enroll-aggregator -d "$T/kab2" --region 33.24.01 --key "$KEC" >/dev/null
	for v in v1 v2 v3; do
		agg enroll -d "$T/kab2" --village "$(village "$T/$v")" --key "$(origin "$T/$v")" >/dev/null
	done
}
# held_full COUNT — exactly COUNT villages are held whole at kab2, the rest not at all
held_full() {
	n=0
	for v in v1 v2 v3; do
		s=$(field "$T/kab2" "$(village "$T/$v")" seq)
		if holds "$T/kab2" "$T/$v"; then n=$((n + 1)); elif [ "$s" != 0 ]; then return 1; fi
	done
	[ "$n" = "$1" ]
}
size=$(wc -c <"$S/all.lcb")
fresh_kab
head -c $((size - 3)) "$S/all.lcb" >"$S/cut.lcb"
expect_exit 9 "a bundle cut in its trailer is refused as truncated" agg ingest -d "$T/kab2" "$S/cut.lcb"
contains "$T/err" "truncated" "the error says the bundle is truncated"
contains "$T/out" "the bundle is incomplete" "and that it is incomplete"
fresh_kab
head -c $((size - 3000)) "$S/all.lcb" >"$S/cut.lcb"
expect_exit 9 "a bundle cut inside its last frame is refused as truncated" \
	agg ingest -d "$T/kab2" "$S/cut.lcb"
contains "$T/err" "truncated in frame 4" "the error names the frame cut"
contains "$T/out" "bundle of 3 frames: 3 taken" "the complete frames before the cut were taken"
check "receipts for the frames taken" [ "$(rcpt_count "$S/cut.lcb.receipts")" = 2 ]

fresh_kab
# flip one byte in the middle of the first change set's entries (frame 2:
# frame 1 holds the enrolment statements)
python3 -c '
import sys
d = bytearray(open(sys.argv[1], "rb").read())
len1 = int.from_bytes(d[4:8], "big")
at = 8 + len1
len2 = int.from_bytes(d[at:at + 4], "big")
d[at + 4 + len2 // 2] ^= 0x01
open(sys.argv[2], "wb").write(d)' "$S/all.lcb" "$S/flip.lcb"
agg ingest -d "$T/kab2" "$S/flip.lcb" >"$T/out" 2>"$T/err"
check "a flipped byte: non-zero exit" [ $? -ne 0 ]
contains "$T/err" "flip.lcb: frame 2" "the refusal names the frame"
contains "$T/err" "refused" "and says it was refused"
contains "$T/out" "bundle of 4 frames: 3 taken" "the other frames are still taken"
check "two villages held whole, the altered one not at all" held_full 2
check "receipts only for the frames taken" [ "$(rcpt_count "$S/flip.lcb.receipts")" = 2 ]

# --- receipts that cannot be written: the ingest stands ------------------------
"$GEN" --village 33.24.01.2002 --count 20 --seed 7 >"$T/v2more.jsonl"
lb put -d "$T/v2" --batch "$T/v2more.jsonl" >/dev/null 2>&1
lb changeset -d "$T/v2" --since 201 >"$S/v2b.lcs" 2>/dev/null
expect_exit 5 "receipts that cannot be written: non-zero" \
	agg ingest -d "$T/kec" "$S/v2b.lcs" --receipts "$T/no/such/dir/x.receipts"
contains "$T/err" "cannot write the receipts" "the command says so"
check "what was ingested stays ingested" holds "$T/kec" "$T/v2"

done_testing
