#!/bin/sh
# audit.sh — lumbung-audit against real nodes and a real aggregator:
#   (a) export from a node and from an aggregator; both verify, hold the
#       same entries, and the aggregator's heads are the node's; --origin
#       is required (and the villages listed) when an aggregator holds
#       several; verify -d DIR exports on the fly;
#   (b) receipts the node kept are in its export and verify, naming the
#       seq and hash they acknowledge;
#   (c) tampering anywhere is caught and named: one flipped byte in an
#       entry (seq field, body, prev, the last entry), a receipt, a head;
#       a removed entry, a reordered pair, a cut file (inside the magic,
#       inside a frame, exactly at the frame boundary before the trailer),
#       data after the trailer, a history re-signed with another key;
#   (d) history of a record changed three times: old -> new per field and
#       the head that covers each change;
#   (e) fork evidence from an aggregator that saw a fork: "fork proven";
#   (f) --help, usage errors;
#   (g) an archive of a log's tail (header "from" > 1) is refused plainly.
# Archives are taken apart and tampered with by tests/tools/llatool.py.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR
AUDIT="$BUILD/lumbung-audit"
LLA="$(cd "$(dirname "$0")/.." && pwd)/tools/llatool.py"

lb() { "$LUMBUNG" "$@"; }
audit() { "$AUDIT" "$@"; }
lla() { python3 "$LLA" "$@"; }

# jfield FILE KEY — a top-level field of the JSON object in FILE
jfield() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

# ---- a village of a few thousand records in several transactions ----------
N1="$T/n1"
lb init -d "$N1" --village 33.24.01.2001 >/dev/null 2>&1 || fail "init n1"
"$GEN" --village 33.24.01.2001 --count 3000 --seed 7 >"$T/gen.jsonl" || fail "setup: GEN --village 33.24.01.2001 --count"
split -l 700 "$T/gen.jsonl" "$T/part."
for p in "$T"/part.*; do lb put -d "$N1" --batch "$p" >/dev/null || fail "batch $p"; done
# a record changed three times after it was created, once inside a batch
asp() { # ID PENGUSUL USULAN STATUS
	printf '{"type":"aspirasi","id":"%s","body":{"tanggal":"2026-01-05","pengusul":"%s","usulan":"%s","status":"%s"}}\n' "$1" "$2" "$3" "$4"
}
lb put -d "$N1" aspirasi H-1 tanggal=2026-01-05 pengusul="Warga Satu" usulan="Sumur bor" status=diusulkan >/dev/null || fail "setup: lb put -d N1"
lb put -d "$N1" aspirasi H-1 tanggal=2026-01-05 pengusul="Warga Satu" usulan="Sumur bor" status=ditampung >/dev/null || fail "setup: lb put -d N1"
{ head -n 100 "$T/gen.jsonl" | sed 's/"id":"/"id":"B-/' | grep aspirasi
	asp H-1 "Warga Satu" "Sumur bor dalam" ditampung
	sed -n 101,400p "$T/gen.jsonl" | sed 's/"id":"/"id":"C-/' | grep aspirasi; } >"$T/mid.jsonl"
lb put -d "$N1" --batch "$T/mid.jsonl" >/dev/null || fail "batch with the change in the middle"
lb put -d "$N1" aspirasi H-1 tanggal=2026-01-05 pengusul="Warga Satu" usulan="Sumur bor dalam" status=disetujui >/dev/null || fail "setup: lb put -d N1"
TIP1=$(seq_of "$N1")
K1=$(origin "$N1")
[ "$TIP1" -gt 3000 ] && ok "village 1 has $TIP1 entries" || fail "village 1 has $TIP1 entries"

# ---- an aggregator with two villages; village 1 keeps receipts ------------
A="$T/agg"
AK=$(agg init -d "$A" --region 33.24) || fail "agg init"
start_agg "$A"
N2="$T/n2"
lb init -d "$N2" --village 33.24.01.2002 >/dev/null 2>&1 || fail "setup: lb init -d N2"
"$GEN" --village 33.24.01.2002 --count 500 --seed 8 | lb put -d "$N2" --batch >/dev/null || fail "setup: 500 records in village 2"
for n in "$N1" "$N2"; do
	agg enroll -d "$A" --village "$(village "$n")" --key "$(origin "$n")" >/dev/null || fail "enroll $n"
	lb remote add -d "$n" kab "$URL" --key "$AK" >/dev/null || fail "remote add $n"
done
expect_exit 0 "village 1 pushes in several change sets" lb push -d "$N1" --max-bytes 256k
expect_exit 0 "village 2 pushes" lb push -d "$N2"
lb put -d "$N1" aspirasi R-1 tanggal=2026-01-06 pengusul="Warga Dua" usulan="Jalan desa" status=diusulkan >/dev/null || fail "setup: lb put -d N1"
expect_exit 0 "village 1 pushes again" lb push -d "$N1"
TIP1=$(seq_of "$N1")

# ---- (a) export and verify: node, aggregator, -d DIR ------------------------
expect_exit 0 "export from the node" sh -c '"$1" export -d "$2" >"$3"' - "$AUDIT" "$N1" "$T/n1.lla"
expect_exit 0 "verify the node's export with its key" audit verify "$T/n1.lla" --key "$K1"
contains "$T/out" "verify: OK" "the report says OK"
contains "$T/out" "entries   $TIP1, seq 1..$TIP1" "the report counts every entry"
contains "$T/out" "pinned with --key" "the report says the signer was pinned"
contains "$T/out" "references between records" "the report says references are not checked"
contains "$T/out" "trailer   present" "the report names the trailer"
expect_exit 0 "verify without --key" audit verify "$T/n1.lla"
contains "$T/out" "taken from the file" "without --key the report says the signer comes from the file"
expect_exit 0 "verify --json" audit verify "$T/n1.lla" --json
cp "$T/out" "$T/n1.json"
[ "$(jfield "$T/n1.json" ok)" = True ] && [ "$(jfield "$T/n1.json" last_seq)" = "$TIP1" ] &&
	[ "$(jfield "$T/n1.json" last_hash)" = "$(head_of "$N1")" ] &&
	ok "verify --json: ok, last seq and hash are the node's tip" ||
	fail "verify --json: $(cat "$T/n1.json")"
expect_exit 0 "verify -d NODE_DIR (exported on the fly)" audit verify -d "$N1" --key "$K1" --json
[ "$(jfield "$T/out" root)" = "$(jfield "$T/n1.json" root)" ] &&
	ok "verify -d gives the same Merkle root as the file" || fail "root differs: $(cat "$T/out")"
expect_exit 0 "verify - reads stdin" sh -c '"$1" verify - <"$2"' - "$AUDIT" "$T/n1.lla"
expect_exit 0 "lumbung verify agrees on the node" lb verify -d "$N1"

expect_exit 2 "export from an aggregator of two villages needs --origin" \
	sh -c '"$1" export -d "$2" >"$3"' - "$AUDIT" "$A" "$T/a1.lla"
contains "$T/err" "--origin $K1" "the refusal lists village 1's key"
contains "$T/err" "33.24.01.2002" "and village 2"
expect_exit 0 "export village 1 from the aggregator" \
	sh -c '"$1" export -d "$2" --origin "$3" >"$4"' - "$AUDIT" "$A" "$K1" "$T/a1.lla"
expect_exit 0 "the aggregator's export verifies with village 1's key" audit verify "$T/a1.lla" --key "$K1" --json
cp "$T/out" "$T/a1.json"
for f in last_seq last_hash root entries first_ts last_ts; do
	[ "$(jfield "$T/a1.json" $f)" = "$(jfield "$T/n1.json" $f)" ] || fail "aggregator's $f differs"
done
[ "$(jfield "$T/a1.json" source)" = aggregator ] && ok "aggregator export: same entries, tip, root and time span as the node's" ||
	fail "aggregator export source: $(cat "$T/a1.json")"
lla dump "$T/n1.lla" entry >"$T/n1.entries" || fail "llatool dump of the node's entries"
lla dump "$T/a1.lla" entry >"$T/a1.entries" || fail "llatool dump of the aggregator's entries"
[ -s "$T/n1.entries" ] && cmp -s "$T/n1.entries" "$T/a1.entries" && ok "the aggregator's entries are the node's, byte for byte" ||
	fail "entries differ"
lla dump "$T/n1.lla" head | sort >"$T/n1.heads"
lla dump "$T/a1.lla" head | sort >"$T/a1.heads"
if [ -s "$T/a1.heads" ] && [ -z "$(comm -13 "$T/n1.heads" "$T/a1.heads")" ]; then
	ok "every head of the aggregator's export is one of the node's ($(wc -l <"$T/a1.heads") of $(wc -l <"$T/n1.heads"))"
else fail "aggregator heads not a subset of the node's"; fi
expect_exit 0 "verify -d AGG_DIR --origin" audit verify -d "$A" --origin "$K1" --key "$K1"
expect_exit 2 "verify -d AGG_DIR without --origin lists the villages" audit verify -d "$A"
contains "$T/err" "--origin" "and says to pass --origin"

# ---- (b) receipts -----------------------------------------------------------
nrc=$(lla list "$T/n1.lla" | awk '$2 == "receipt"' | wc -l)
[ "$nrc" -ge 2 ] && ok "the node's export holds its $nrc receipts" || fail "receipts in export: $nrc"
audit verify "$T/n1.lla" >"$T/out" 2>&1
contains "$T/out" "receipts  $nrc, each signed by the aggregator key it carries" "verify checks every receipt"
contains "$T/out" "$nrc UNVERIFIED" "and without --agg-key calls none of them proof"
contains "$T/out" "(unverified: key not pinned)" "per receipt too"
last_rc=$(lla list "$T/n1.lla" | awk '$2 == "receipt" { s = $5 } END { print s }')
contains "$T/out" "seq $last_rc hash $(lb log -d "$N1" --since "$last_rc" --json | head -1 |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["hash"][:16])') acknowledged by aggregator $(echo "$AK" | cut -c1-16)" \
	"a receipt names the seq and hash it acknowledges and the aggregator"
audit verify "$T/n1.lla" --agg-key "$AK" >"$T/out" 2>&1
contains "$T/out" "all under aggregator keys given with --agg-key" "with the aggregator's key pinned they are proof"
contains "$T/out" "(pinned)" "and each says so"
audit verify "$T/n1.lla" --agg-key "$A/agg.pub" --agg-key "$(echo "$K1")" --json >"$T/out" 2>&1
python3 - "$T/out" "$nrc" <<'PY' && ok "--agg-key takes agg.pub and repeats; --json counts pinned receipts" || fail "--json receipts_pinned"
import json, sys
j = json.load(open(sys.argv[1])); n = int(sys.argv[2])
assert j["ok"] and j["receipts_count"] == n and j["receipts_pinned"] == n, j
assert j["receipts_unverified"] == 0 and all(r["pinned"] for r in j["receipts"]), j
PY
audit verify "$T/n1.lla" --agg-key "$K1" --json >"$T/out" 2>&1
python3 - "$T/out" "$nrc" <<'PY' && ok "a key that signed no receipt pins none" || fail "--json receipts_unverified"
import json, sys
j = json.load(open(sys.argv[1])); n = int(sys.argv[2])
assert j["ok"] and j["receipts_pinned"] == 0 and j["receipts_unverified"] == n, j
assert not any(r["pinned"] for r in j["receipts"]), j
PY

# ---- (c) tampering ------------------------------------------------------------
# caught FILE SEQ|frame:N EXIT "what" — verify fails with that status and
# names the seq ("FAILED at seq N") or the frame
caught() {
	expect_exit "$3" "$4: verify fails" audit verify "$1" --key "$K1"
	case $2 in
	frame:) fail "$4: no frame number to look for" ;;
	frame:*) contains "$T/err" "frame ${2#frame:}" "$4: the message names frame ${2#frame:}" ;;
	*) contains "$T/err" "FAILED at seq $2 " "$4: the message names seq $2" ;;
	esac
}
# tampered OP ARGS... — make $T/t.lla with tools/llatool.py; if that fails
# it is a failure, and $T/err is emptied so no later check reads a stale one
tampered() {
	rm -f "$T/t.lla"
	: >"$T/err"
	lla "$@" >"$T/lla.out" 2>&1 && [ -s "$T/t.lla" ] && return 0
	fail "llatool $*: $(head -c 300 "$T/lla.out")"
	return 1
}
MID=1500
tampered flip "$T/n1.lla" "$T/t.lla" $MID seq && caught "$T/t.lla" $MID 8 "seq field of entry $MID flipped"
contains "$T/err" "seq field was altered" "and says the seq field was altered"
tampered flip "$T/n1.lla" "$T/t.lla" $MID body && caught "$T/t.lla" $MID 8 "a letter in the body of entry $MID flipped"
contains "$T/err" "entry was altered" "and blames the entry whose hash moved, not the next one"
tampered flip "$T/n1.lla" "$T/t.lla" $MID prev && caught "$T/t.lla" $MID 8 "the prev hash of entry $MID flipped"
contains "$T/err" "prev does not match" "and says the prev link broke"
tampered flip "$T/n1.lla" "$T/t.lla" 1 body && caught "$T/t.lla" 1 8 "the body of entry 1 flipped"
tampered flip "$T/n1.lla" "$T/t.lla" 256 body && caught "$T/t.lla" 256 8 "the body of entry 256 (under a head) flipped"
contains "$T/err" "does not match its signed head" "and says the signed head disagrees"
tampered flip "$T/n1.lla" "$T/t.lla" "$TIP1" body && caught "$T/t.lla" "$TIP1" 8 "the body of the last entry flipped"
tampered drop "$T/n1.lla" "$T/t.lla" $MID && caught "$T/t.lla" $MID 8 "entry $MID removed"
contains "$T/err" "missing or out of order" "and says an entry is missing or out of order"
tampered swap "$T/n1.lla" "$T/t.lla" $MID && caught "$T/t.lla" $MID 8 "entries $MID and $((MID + 1)) swapped"
tampered drop "$T/n1.lla" "$T/t.lla" "$TIP1" && caught "$T/t.lla" "$TIP1" 8 "the last entry removed (its head kept)"
tampered strip "$T/n1.lla" "$T/t.lla" receipt && caught "$T/t.lla" frame:"$(lla list "$T/t.lla" | tail -1 | cut -d' ' -f1)" 8 "receipts removed, trailer kept"
contains "$T/err" "trailer counts" "and says the trailer's counts do not match"
hf=$(lla list "$T/n1.lla" | awk '$2 == "head" && $5 == 512 { print $1 }')
tampered poke "$T/n1.lla" "$T/t.lla" "$hf" 0 5 && caught "$T/t.lla" 512 13 "a byte of the signature of head 512 flipped"
rf=$(lla list "$T/n1.lla" | awk '$2 == "receipt" { print $1; exit }')
rs=$(lla list "$T/n1.lla" | awk '$2 == "receipt" { print $5; exit }')
tampered poke "$T/n1.lla" "$T/t.lla" "$rf" 1 -3 && caught "$T/t.lla" "$rs" 13 "a byte of a receipt flipped"
contains "$T/err" "receipt" "and says it is the receipt"

off=$(lla offset "$T/n1.lla" trailer)
for cut in 7 13 60 $((off / 2)) "$off" $((off + 2)) $((off + 9)); do
	head -c "$cut" "$T/n1.lla" >"$T/t.lla"
	expect_exit_nonzero=0
	audit verify "$T/t.lla" >"$T/out" 2>"$T/err" && expect_exit_nonzero=1
	if [ $expect_exit_nonzero = 0 ] && grep -qE "frame [0-9]+|not a lumbung log archive" "$T/err"; then
		ok "cut at byte $cut: refused, naming the frame ($(cut -c1-90 "$T/err"))"
	else fail "cut at byte $cut: $(cat "$T/err")"; fi
done
head -c "$off" "$T/n1.lla" >"$T/t.lla"
audit verify "$T/t.lla" >/dev/null 2>"$T/err"
contains "$T/err" "without its trailer" "cut exactly before the trailer: the trailer is missed"
{ cat "$T/n1.lla"; tail -c +"$((off + 1))" "$T/n1.lla"; } >"$T/t.lla"
caught "$T/t.lla" frame:"$(($(lla list "$T/n1.lla" | wc -l) + 1))" 8 "a second trailer appended"

# A second village node imports the same records under its own key: its
# archive is valid on its own, but not the first village's history.
N1B="$T/n1b"
lb init -d "$N1B" --village 33.24.01.2001 >/dev/null 2>&1 || fail "setup: lb init -d N1B"
for p in "$T"/part.*; do lb put -d "$N1B" --batch "$p" >/dev/null || fail "setup: batch $p into N1B"; done
audit export -d "$N1B" >"$T/n1b.lla" || fail "setup: export N1B"
expect_exit 0 "a re-signed history verifies on its own" audit verify "$T/n1b.lla"
expect_exit 13 "but not with the first village's key" audit verify "$T/n1b.lla" --key "$K1"
contains "$T/err" "frame 1" "the refusal names the header frame"
contains "$T/err" "not of the expected key $K1" "and the expected key"
tampered set-origin "$T/n1b.lla" "$T/t.lla" "$K1"
first_head=$(lla list "$T/n1b.lla" | awk '$2 == "head" { print $5; exit }')
caught "$T/t.lla" "$first_head" 13 "a re-signed history claiming the first village's key"
contains "$T/err" "signed by a different key" "and says the head is signed by another key"

# ---- (d) history ---------------------------------------------------------------
expect_exit 0 "history of a record changed three times" audit history "$T/n1.lla" aspirasi H-1
cp "$T/out" "$T/hist"
[ "$(grep -c '^seq ' "$T/hist")" = 4 ] && ok "history shows creation and 3 changes" || fail "history: $(cat "$T/hist")"
contains "$T/hist" 'status: "diusulkan" -> "ditampung"' "change 1: status old -> new"
contains "$T/hist" 'usulan: "Sumur bor" -> "Sumur bor dalam"' "change 2: usulan old -> new"
contains "$T/hist" 'status: "ditampung" -> "disetujui"' "change 3: status old -> new"
contains "$T/hist" 'pengusul: (absent) -> "Warga Satu"' "the creation shows every field as new"
# the change made inside a batch is covered by that batch's next head
python3 - "$T/hist" "$T/n1.lla" "$LLA" <<'EOF' >"$T/py" 2>&1 && ok "each change names the first signed head at or after it" || fail "covering heads: $(cat "$T/py")"
import re, subprocess, sys
hist, lla, tool = sys.argv[1:4]
heads = []
for line in subprocess.run([sys.executable, tool, "list", lla], capture_output=True, text=True).stdout.splitlines():
    f = line.split()
    if f[1] == "head":
        heads.append(int(f[4]))
changes = re.findall(r"^seq (\d+) .* signed by head seq (\d+) ([0-9a-f]{8})$", open(hist).read(), re.M)
assert len(changes) == 4, changes
inside = 0
for seq, head, _ in changes:
    want = min(h for h in heads if h >= int(seq))
    assert int(head) == want, (seq, head, want)
    inside += int(head) != int(seq)
assert inside >= 1, "no change was covered by a later head"
EOF
expect_exit 0 "history --json" audit history "$T/n1.lla" aspirasi H-1 --json
python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
c = j["changes"]
assert len(c) == 4 and c[1]["fields"] == {"status": {"old": "diusulkan", "new": "ditampung"}}, c[1]
assert all(x["head"]["seq"] >= x["seq"] for x in c)
' "$T/out" 2>"$T/py" && ok "history --json: fields with old and new, heads" || fail "history --json: $(cat "$T/py")"
expect_exit 1 "history of a record that never existed exits 1" audit history "$T/n1.lla" aspirasi NOPE
tampered flip "$T/n1.lla" "$T/t.lla" $MID body
expect_exit 8 "history refuses a tampered archive" audit history "$T/t.lla" aspirasi H-1
[ -s "$T/out" ] && fail "history printed from a tampered archive" || ok "and prints nothing from it"

# ---- (e) fork evidence ------------------------------------------------------------
expect_exit 1 "fork-evidence when no village forked" sh -c '"$1" fork-evidence -d "$2" >"$3"' - "$AUDIT" "$A" "$T/ev.lla"
F="$T/f"
lb init -d "$F" --village 33.24.01.2003 >/dev/null 2>&1 || fail "setup: lb init -d F"
"$GEN" --village 33.24.01.2003 --count 200 --seed 9 | lb put -d "$F" --batch >/dev/null || fail "setup: 200 records in the forking village"
agg enroll -d "$A" --village 33.24.01.2003 --key "$(origin "$F")" >/dev/null || fail "setup: agg enroll -d A"
lb remote add -d "$F" kab "$URL" --key "$AK" >/dev/null || fail "setup: lb remote add -d"
expect_exit 0 "the forking village pushes" lb push -d "$F"
cp -a "$F" "$T/f-backup"
lb put -d "$F" aspirasi F-1 tanggal=2026-01-05 pengusul=Asli usulan=Sumur status=diusulkan >/dev/null || fail "setup: lb put -d F"
expect_exit 0 "the village pushes a new entry" lb push -d "$F"
lb put -d "$T/f-backup" aspirasi F-1 tanggal=2026-01-06 pengusul=Cadangan usulan="Sumur lain" status=diusulkan >/dev/null || fail "setup: lb put -d T/f-backup"
FSEQ=$(seq_of "$F")
lb changeset -d "$T/f-backup" --plain --since "$FSEQ" >"$T/fork.lcs" 2>/dev/null || fail "setup: the backup's change set"
python3 "$HTTP" POST "$URL/v1/changesets" "$T/fork.lcs" >"$T/reply" 2>&1
[ "$(head -1 "$T/reply")" = 409 ] && grep -qF ".code.fork." "$T/reply" &&
	ok "the restored backup's change set is refused as a fork (409, code fork)" || fail "fork post: $(cat "$T/reply")"
expect_exit 0 "fork-evidence exports the evidence" sh -c '"$1" fork-evidence -d "$2" >"$3"' - "$AUDIT" "$A" "$T/ev.lla"
expect_exit 0 "fork evidence verifies (exit 0: the fork is proven)" audit verify "$T/ev.lla" --key "$(origin "$F")"
contains "$T/out" "fork proven: the village signed two histories at seq $FSEQ" "the report says fork proven at seq $FSEQ"
expect_exit 13 "fork evidence against another village's key" audit verify "$T/ev.lla" --key "$K1"
ff=$(lla list "$T/ev.lla" | awk '$2 == "fork" { print $1; exit }')
tampered poke "$T/ev.lla" "$T/t.lla" "$ff" 1 3
expect_exit 13 "fork evidence with a forged signature is not a proof" audit verify "$T/t.lla"
contains "$T/err" "fork evidence" "and the message says it is the fork evidence"

# ---- (f) usage ----------------------------------------------------------------------
expect_exit 0 "--help" audit --help
for c in export verify history fork-evidence prove check-proof; do
	contains "$T/out" "lumbung-audit $c" "--help lists $c"
done
expect_exit 0 "verify --help" audit verify --help
contains "$T/out" "Exit 0 only when" "verify --help documents the exit status"
expect_exit 2 "no command" audit
expect_exit 2 "an unknown command" audit frobnicate
expect_exit 2 "verify with neither FILE nor -d" audit verify
expect_exit 1 "verify of a missing file" audit verify "$T/nothing.lla"
expect_exit 2 "a malformed --key" audit verify "$T/n1.lla" --key abc
expect_exit 2 "history without an id" audit history "$T/n1.lla" aspirasi
expect_exit 2 "a malformed --agg-key" audit verify "$T/n1.lla" --agg-key abc

# ---- (g) a tail of a log ------------------------------------------------------------
tampered tail "$T/n1.lla" "$T/t.lla" 5
expect_exit 3 "an archive of a log's tail from seq 5 is refused" audit verify "$T/t.lla"
contains "$T/err" "a tail of a log from seq 5: an auditor needs the whole log" \
	"and the message says why"
expect_exit 0 "an archive's successions: none in a plain log" audit verify "$T/n1.lla" --json
! grep -q successions "$T/out" && ok "a log without successions names none" ||
	fail "successions in $(cat "$T/out")"

stop_agg
done_testing
