#!/bin/sh
# backup.sh — `lumbung backup` and `lumbung-agg backup` while the node
# writes and pushes in a loop and the aggregator ingests: the archives
# restore (tar -xf) to directories that verify, hold every entry up to the
# backup's seq exactly as the original did, and go on working: the
# restored aggregator serves and takes the restored node's next pushes,
# after the node's key comes back from its paper backup.  Nothing in the
# directories changes by a backup; a terminal as output is refused; a
# closed pipe and a full disk (a small tmpfs; root) are errors with a
# non-zero exit.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR

lb() { "$LUMBUNG" "$@"; }
SMALL="$T/small"
cleanup() {
	[ -n "${LOOP_PID:-}" ] && kill "$LOOP_PID" 2>/dev/null
	[ -n "${AGG2_PID:-}" ] && kill -KILL "$AGG2_PID" 2>/dev/null
	mountpoint -q "$SMALL" 2>/dev/null && umount "$SMALL"
	_agg_cleanup
}
trap cleanup EXIT

A="$T/agg"
N="$T/node"
AK=$(agg init -d "$A" --region 33.24) || fail "agg init"
start_agg "$A"
agg catalogue put -d "$A" program BLT-KAB-2026 kode=BLT-KAB-2026 nama="BLT Kabupaten" \
	bidang=sosial sumber_dana=bantuan_kabupaten anggaran=900000000 tahun=2026 \
	target_penerima=300 >/dev/null 2>"$T/err" || fail "catalogue put: $(cat "$T/err")"
lb init -d "$N" --village 33.24.01.2001 >/dev/null 2>&1 || fail "node init"
"$GEN" --village 33.24.01.2001 --count 300 --seed 7 | lb put -d "$N" --batch >/dev/null 2>&1 ||
	fail "node data"
agg enroll -d "$A" --village 33.24.01.2001 --key "$(origin "$N")" >/dev/null || fail "enroll"
lb remote add -d "$N" kab "$URL" --key "$AK" >/dev/null 2>&1 || fail "remote add"
expect_exit 0 "first push" lb push -d "$N" -q
lb config -d "$N" set bahasa en >/dev/null 2>&1 || fail "config set"
echo "kata sandi desa sukamaju" >"$T/pass"
lb key backup -d "$N" --passphrase-file "$T/pass" >"$T/key.txt" 2>/dev/null || fail "key backup"
[ -d "$N/catalogue/33.24" ] && ok "the node holds the kabupaten's catalogue (a second environment)" ||
	fail "no catalogue in the node after the push"

# --- nothing changes in DIR --------------------------------------------------
# every file but LMDB's lock file, by content and mode
sums() { (cd "$1" && find . -type f ! -name lock.mdb -exec stat -c '%n %a' {} \; -exec sha256sum {} \; | sort); }
sums "$N" >"$T/n.before"
sums "$A" >"$T/a.before"
expect_exit 0 "lumbung backup of an idle node" lb backup -d "$N"
cp "$T/out" "$T/idle.tar"
expect_exit 0 "lumbung-agg backup of a serving aggregator" agg backup -d "$A"
cp "$T/out" "$T/aidle.tar"
sums "$N" >"$T/n.after"
sums "$A" >"$T/a.after"
check "the node's directory is as it was" cmp -s "$T/n.before" "$T/n.after"
check "the aggregator's directory is as it was" cmp -s "$T/a.before" "$T/a.after"

tar -tvf "$T/idle.tar" >"$T/list" 2>&1 || fail "tar cannot list the node's backup: $(cat "$T/list")"
if grep -q 'node\.key' "$T/list"; then fail "the node's backup holds node.key"; else
	ok "the node's backup leaves the secret key out"; fi
for f in data.mdb node.pub lumbung.conf catalogue/33.24/data.mdb catalogue/33.24/node.pub; do
	if awk '{ print $NF }' "$T/list" | grep -qx "$f"; then ok "the node's backup holds $f"; else
		fail "the node's backup lacks $f: $(awk '{ print $NF }' "$T/list" | tr '\n' ' ')"; fi
done
if grep -q 'lock\.mdb' "$T/list"; then fail "the backup holds lock.mdb"; else ok "no lock.mdb"; fi
# compacted: the copy leaves out the pages earlier transactions freed
csize=$(awk '$NF == "data.mdb" { print $3 }' "$T/list")
osize=$(stat -c %s "$N/data.mdb")
[ -n "$csize" ] && [ "$csize" -lt "$osize" ] && ok "the copy is compacted ($csize of $osize bytes)" ||
	fail "the copy is not smaller than data.mdb ($csize of $osize bytes)"
tar -tvf "$T/aidle.tar" >"$T/alist" 2>&1 || fail "tar cannot list the aggregator's backup"
if grep -q '^-rw------- .* agg\.key$' "$T/alist"; then ok "the aggregator's backup holds agg.key, mode 0600"; else
	fail "agg.key not in the aggregator's backup as 0600: $(cat "$T/alist")"; fi
contains "$T/err" "agg.key" "the aggregator's backup says it holds the secret key"

# --- during writes and pushes ------------------------------------------------
# A loop: a record written, then pushed, over and over, until told to stop.
rm -f "$T/stop" "$T/loopfail"
(
	i=0
	while [ ! -f "$T/stop" ]; do
		i=$((i + 1))
		lb put -d "$N" aspirasi "LOOP-$i" pengusul="Warga $i" usulan="usulan $i" \
			tanggal=2026-03-01 status=diusulkan >/dev/null 2>>"$T/loopfail" ||
			echo "put $i failed" >>"$T/loopfail"
		lb push -d "$N" -q >/dev/null 2>>"$T/loopfail" || echo "push $i failed" >>"$T/loopfail"
	done
	echo "$i" >"$T/loops"
) &
LOOP_PID=$!
agg_above() { [ "$(agg_field 33.24.01.2001 seq)" -gt "$1" ]; }
node_above() { [ "$(seq_of "$N")" -gt "$1" ]; }
wait_for 60 agg_above 304 || fail "the loop did not reach the aggregator"
# the aggregator first, then the node: the node's copy is then at least as
# far as the aggregator's, so the restored node continues the restored
# aggregator's chain
agg backup -d "$A" >"$T/agg.tar" 2>"$T/agg.err"
arc=$?
lb backup -d "$N" >"$T/node.tar" 2>"$T/node.err"
nrc=$?
b=$(seq_of "$N")
wait_for 60 node_above $((b + 1)) || fail "the loop did not go on after the backup"
touch "$T/stop"
wait "$LOOP_PID"
LOOP_PID=""
[ $arc -eq 0 ] && ok "lumbung-agg backup while the server ingests" ||
	fail "lumbung-agg backup during pushes exits $arc: $(cat "$T/agg.err")"
[ $nrc -eq 0 ] && ok "lumbung backup while the node writes and pushes" ||
	fail "lumbung backup during writes exits $nrc: $(cat "$T/node.err")"
[ -s "$T/loopfail" ] && fail "the loop failed: $(head -3 "$T/loopfail")" || ok "the loop ran undisturbed ($(cat "$T/loops") rounds)"
lb push -d "$N" -q >/dev/null 2>&1
final=$(seq_of "$N")

# --- the node restored --------------------------------------------------------
R="$T/restored"
mkdir -m 700 "$R" && tar -xf "$T/node.tar" -C "$R" && ok "the node's backup extracts with tar" ||
	fail "tar -xf of the node's backup"
S=$(seq_of "$R")
expect_exit 0 "the restored node verifies" lb verify -d "$R"
if [ -n "$S" ] && [ "$S" -gt 300 ] && [ "$S" -lt "$final" ]; then
	ok "the backup was taken mid-loop (seq $S of $final)"
else
	fail "the backup's seq $S is not between 300 and the final $final"
fi
lb log -d "$N" --json | head -n "$S" >"$T/log.orig"
lb log -d "$R" --json >"$T/log.restored"
check "the restored log is the original's, entry for entry, up to seq $S" cmp -s "$T/log.orig" "$T/log.restored"
lb catalogue ls -d "$N" >"$T/cat.orig" 2>&1
lb catalogue ls -d "$R" >"$T/cat.restored" 2>&1
if grep -q BLT-KAB-2026 "$T/cat.restored" && cmp -s "$T/cat.orig" "$T/cat.restored"; then
	ok "the restored node has the catalogue"; else fail "catalogue: $(cat "$T/cat.restored")"; fi
lb remote ls -d "$R" >"$T/out" 2>&1
contains "$T/out" "$AK" "the restored node keeps its remote and receipts"
expect_exit 11 "writing without the key is refused" \
	lb put -d "$R" aspirasi NOKEY pengusul=x usulan=y tanggal=2026-03-02 status=diusulkan
cp "$T/key.txt" "$T/other.txt"
lb init -d "$T/othernode" --village 33.24.01.2002 >/dev/null 2>&1
lb key backup -d "$T/othernode" --passphrase-file "$T/pass" >"$T/other.txt" 2>/dev/null
expect_exit 11 "key restore refuses another village's key backup" \
	lb key restore -d "$R" "$T/other.txt" --passphrase-file "$T/pass"
contains "$T/err" "not of this node" "and says so"
[ -e "$R/node.key" ] && fail "a refused key restore wrote node.key" || ok "nothing written"
expect_exit 0 "key restore puts the paper key back" \
	lb key restore -d "$R" "$T/key.txt" --passphrase-file "$T/pass"
[ "$(stat -c %a "$R/node.key")" = 600 ] && ok "node.key is mode 0600" || fail "node.key mode"
expect_exit 7 "key restore again: node.key exists" \
	lb key restore -d "$R" "$T/key.txt" --passphrase-file "$T/pass"

# --- the aggregator restored ----------------------------------------------------
RA="$T/aggrestored"
mkdir -m 700 "$RA" && tar -xf "$T/agg.tar" -C "$RA" && ok "the aggregator's backup extracts with tar" ||
	fail "tar -xf of the aggregator's backup"
expect_exit 0 "lumbung-agg status reads the restored aggregator" agg status -d "$RA" --json
P=$(python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))["villages"][0]; print(v["seq"], v["hash"])' "$T/out")
pseq=${P% *}
phash=${P#* }
if [ -n "$pseq" ] && [ "$pseq" -gt 300 ] && [ "$pseq" -le "$S" ]; then
	ok "the restored aggregator holds the village up to seq $pseq (pushed mid-loop)"
else
	fail "restored aggregator's seq $pseq (node backup $S)"
fi
want=$(sed -n "${pseq}p" "$T/log.orig" | python3 -c 'import json,sys; print(json.load(sys.stdin)["hash"])')
[ "$phash" = "$want" ] && ok "its entry $pseq is the village's own" || fail "hash at $pseq: $phash, village $want"
expect_exit 0 "the restored aggregator's figures agree with its records" agg verify-figures -d "$RA"
stop_agg
A="$RA"
start_agg "$RA"
expect_exit 0 "the restored aggregator serves and takes the restored node's missing entries" \
	lb push -d "$R" --to "$URL" --key "$AK"
expect_exit 0 "the restored node writes again" lb put -d "$R" aspirasi AFTER-1 pengusul="Warga" \
	usulan="setelah pemulihan" tanggal=2026-03-03 status=diusulkan
expect_exit 0 "and pushes" lb push -d "$R" --to "$URL" --key "$AK"
same_as_agg "$R" "the restored aggregator holds the restored node's tip"
expect_exit 0 "the restored node still verifies" lb verify -d "$R"

# --- refusals and errors --------------------------------------------------------
# on_tty COMMAND... — run it with a terminal (a pty) as standard output,
# reading what it writes there; its exit status
on_tty() {
	python3 -c '
import os, pty, subprocess, sys
m, s = pty.openpty()
p = subprocess.Popen(sys.argv[1:], stdout=s)
os.close(s)
while True:
    try:
        if not os.read(m, 65536):
            break
    except OSError:
        break
sys.exit(p.wait(timeout=60))
' "$@"
}
on_tty "$LUMBUNG" backup -d "$N" 2>/dev/null
rc=$?
[ $rc -eq 2 ] && ok "lumbung backup refuses a terminal as output" || fail "terminal: exit $rc"
on_tty "$AGG_BIN" backup -d "$RA" 2>"$T/err"
rc=$?
[ $rc -eq 2 ] && ok "lumbung-agg backup refuses a terminal as output" || fail "terminal: exit $rc"
contains "$T/err" "> FILE" "and says to send it to a file"

{ lb backup -d "$N" 2>"$T/err"; echo $? >"$T/rc"; } | head -c 100 >/dev/null
rc=$(cat "$T/rc")
[ "$rc" -eq 5 ] && ok "a closed pipe ends lumbung backup with exit 5" || fail "closed pipe: exit $rc"
contains "$T/err" "output was closed" "and says the output was closed"
{ agg backup -d "$RA" 2>"$T/err"; echo $? >"$T/rc"; } | head -c 100 >/dev/null
rc=$(cat "$T/rc")
[ "$rc" -eq 5 ] && ok "a closed pipe ends lumbung-agg backup with exit 5" || fail "closed pipe: exit $rc"

mkdir -p "$SMALL"
if mount -t tmpfs -o size=64k tmpfs "$SMALL"; then
	lb backup -d "$N" >"$SMALL/full.tar" 2>"$T/err"
	rc=$?
	[ $rc -eq 16 ] && ok "a full disk ends lumbung backup with exit 16" || fail "full disk: exit $rc"
	contains "$T/err" "disk full" "and says the disk is full"
	rm -f "$SMALL/full.tar"
	agg backup -d "$RA" >"$SMALL/full.tar" 2>"$T/err"
	rc=$?
	[ $rc -eq 16 ] && ok "a full disk ends lumbung-agg backup with exit 16" || fail "full disk: exit $rc"
	rm -f "$SMALL/full.tar"
	TMPDIR="$SMALL" lb backup -d "$N" >"$T/tmpfull.tar" 2>"$T/err"
	rc=$?
	[ $rc -eq 16 ] && ok "a full disk for the temporary copy: exit 16" || fail "full TMPDIR: exit $rc"
	contains "$T/err" "set TMPDIR" "and says to set TMPDIR elsewhere"
	[ -z "$(ls -A "$SMALL")" ] && ok "no temporary file is left behind" || fail "left in TMPDIR: $(ls -A "$SMALL")"
	umount "$SMALL"
else
	fail "cannot mount a small tmpfs for the full-disk case (needs root)"
fi
expect_exit 1 "a directory without a node is refused" lb backup -d "$T/nothing"
expect_exit 1 "a directory without an aggregator is refused" agg backup -d "$T/nothing"

done_testing
