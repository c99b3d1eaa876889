#!/bin/sh
# restore.sh — the village PC died: `lumbung restore` brings the node back
# from a real aggregator (lumbung-agg serve on loopback, real libcurl) with
# the key backup, or from an archive on a stick.  The restored node's log,
# records and verify equal the old node's up to what it pushed, it keeps the
# receipts and goes on pushing.  Reading the log needs the village key
# (a signed challenge) or an office token of the right scope (401/403
# otherwise), and an aggregator that serves an altered entry, a cut stream
# or another village's log is refused with nothing left behind.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR LUMBUNG_TOKEN

lb() { "$LUMBUNG" "$@"; }
TOOLS="$(cd "$(dirname "$0")/.." && pwd)/tools"
V1=33.24.01.2001
V2=33.24.01.2002
PROXY_PID=""
cleanup() {
	[ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null
	_agg_cleanup
}
trap cleanup EXIT

A="$T/agg"
AK=$(agg init -d "$A" --region 33.24) || fail "agg init"
KAB=$(agg token add -d "$A" --name "Bu Sari" --role kabupaten) || fail "token add kabupaten"
KEC1=$(agg token add -d "$A" --name "Camat 01" --role kecamatan:33.24.01) || fail "token add kec 01"
KEC2=$(agg token add -d "$A" --name "Camat 02" --role kecamatan:33.24.02) || fail "token add kec 02"
start_agg "$A"

mk_village() { # DIR CODE COUNT SEED
	lb init -d "$1" --village "$2" >/dev/null 2>&1 &&
		"$GEN" --village "$2" --count "$3" --seed "$4" >"$T/gen.jsonl" &&
		lb put -d "$1" --batch "$T/gen.jsonl" >/dev/null 2>&1 &&
		agg enroll -d "$A" --village "$2" --key "$(origin "$1")" >/dev/null &&
		lb remote add -d "$1" kabupaten "$URL" --key "$AK" >/dev/null &&
		lb push -d "$1" >/dev/null 2>&1
}
check "village 1 made, enrolled and pushed" mk_village "$T/v1" $V1 300 1
check "village 2 made, enrolled and pushed" mk_village "$T/v2" $V2 120 2
P=$(seq_of "$T/v1")

# the key backup, made while the PC still worked
printf 'kunci lumbung desa\n' >"$T/pass"
backup() { # DIR OUT
	LUMBUNG_KEYBACKUP_FAST=1 lb key backup -d "$1" --passphrase-file "$T/pass" >"$2" 2>/dev/null
}
check "key backup of village 1" backup "$T/v1" "$T/v1.key.txt"
check "key backup of village 2" backup "$T/v2" "$T/v2.key.txt"

# what the old node holds at the pushed seq
lb log -d "$T/v1" >"$T/old.log"
lb ls -d "$T/v1" penduduk >"$T/old.ls"
ID=$(head -1 "$T/old.ls")
lb get -d "$T/v1" penduduk "$ID" >"$T/old.get"
# written after the last push: lost with the PC
lb put -d "$T/v1" --merge penduduk "$ID" nama="Hilang Bersama PC" >/dev/null 2>&1 ||
	fail "a change after the last push"
[ "$(seq_of "$T/v1")" -eq $((P + 1)) ] || fail "the lost PC held seq $((P + 1))"
rm -rf "$T/v1"

restore() { # NEWDIR [options...]
	_d=$1
	shift
	lb restore -d "$_d" --village $V1 --restore-key "$T/v1.key.txt" \
		--passphrase-file "$T/pass" "$@"
}
left() { # what a failed restore must not leave: NEWDIR, temporary files
	[ ! -e "$1" ] && [ -z "$(ls -A "$T" | grep '^\.lumbung-restore')" ]
}

# --- access: 401 without proof or token, 403 out of scope -------------------
python3 "$HTTP" GET "$URL/v1/villages/$V1/log" >"$T/out"
contains "$T/out" "401" "the log without proof or token: 401"
contains "$T/out" "sign a challenge with the village key" "the 401 says how to get in"
python3 "$HTTP" GET "$URL/v1/villages/$V1/log?from=$((P + 2))" >"$T/out"
contains "$T/out" "401" "a log from past the held seq without access: 401 first"
getauth() { # URL TOKEN: status, then the body's first bytes
	python3 -c '
import sys, urllib.request, urllib.error
r = urllib.request.Request(sys.argv[1], headers={"Authorization": "Bearer " + sys.argv[2]})
try:
    with urllib.request.urlopen(r, timeout=30) as f:
        print(f.status); print(f.read()[:64])
except urllib.error.HTTPError as e:
    print(e.code); print(e.read().decode())' "$1" "$2"
}
getauth "$URL/v1/villages/$V1/log?from=$((P + 2))" "$KAB" >"$T/out"
contains "$T/out" "holds the village up to seq $P" "a log from past the held seq: 400, saying where it stands"
getauth "$URL/v1/villages/$V1/log?from=0" "$KAB" >"$T/out"
contains "$T/out" "400" "from=0 is refused"
getauth "$URL/v1/villages/$V1/log?from=$P" "$KAB" >"$T/out"
contains "$T/out" "LUMBUNG-LLA" "a tail of the log is an archive"
python3 "$HTTP" GET "$URL/v1/challenge" >"$T/out"
contains "$T/out" "\"aggregator\":\"$AK\"" "a challenge names the aggregator's key"
LUMBUNG_TOKEN=lbt_0000000000000000000000000000000000000000000000000000000000000000 \
	expect_exit 24 "restore with an unknown token: refused (401)" restore "$T/r0" --from "$URL"
check "nothing left after the 401" left "$T/r0"
LUMBUNG_TOKEN=$KEC2 expect_exit 25 "restore with a token of another kecamatan: 403" \
	restore "$T/r0" --from "$URL"
contains "$T/err" "outside kecamatan 33.24.02" "the 403 names the token's kecamatan"
check "nothing left after the 403" left "$T/r0"
# a key of the village's code that the office never enrolled
lb init -d "$T/stranger" --village $V1 >/dev/null 2>&1
backup "$T/stranger" "$T/stranger.key.txt"
expect_exit 25 "a proof by a key not enrolled for the village: 403" \
	lb restore -d "$T/r0" --village $V1 --restore-key "$T/stranger.key.txt" \
	--passphrase-file "$T/pass" --from "$URL"
contains "$T/err" "is not enrolled here" "the 403 says the key is not enrolled"
check "nothing left after a stranger's proof" left "$T/r0"
expect_exit 23 "a restore expecting another aggregator's key signs nothing for this one" \
	restore "$T/r0" --from "$URL" --agg-key "$(origin "$T/v2")"
check "nothing left after the wrong aggregator" left "$T/r0"

# a new key in NEWDIR (the succession case) that the office has not tied to
# the old chain: the aggregator refuses it, and the node stays as it was
lb init -d "$T/newkey" --village $V1 >/dev/null 2>&1
expect_exit 25 "restore into a new node whose key the office did not succeed: 403" \
	lb restore -d "$T/newkey" --village $V1 --from "$URL" --agg-key "$AK"
expect_exit 0 "the new node is left as it was" lb verify -d "$T/newkey"
mkdir "$T/full" && : >"$T/full/keep"
expect_exit 7 "restore with a key backup into a directory that is not empty: refused" \
	restore "$T/full" --from "$URL" --agg-key "$AK"
check "what was in it is still there" test -e "$T/full/keep"

# --- a lying aggregator ---------------------------------------------------------
proxy() { # MODE
	[ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null && wait "$PROXY_PID" 2>/dev/null
	: >"$T/proxy.out"
	python3 "$TOOLS/restoreproxy.py" "$URL" "$1" "$KAB" >"$T/proxy.out" 2>"$T/proxy.err" &
	PROXY_PID=$!
	wait_for 10 grep -q "listening on" "$T/proxy.out" || fail "proxy did not start"
	PURL="http://127.0.0.1:$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$T/proxy.out")"
}
for mode in alter cut trunc other:$V2; do
	proxy "$mode"
	"$LUMBUNG" restore -d "$T/r1" --village $V1 --restore-key "$T/v1.key.txt" \
		--passphrase-file "$T/pass" --from "$PURL" --agg-key "$AK" >"$T/out" 2>"$T/err"
	rc=$?
	if [ $rc -ne 0 ]; then ok "an aggregator serving $mode: refused (exit $rc: $(head -c 160 "$T/err"))"
	else fail "an aggregator serving $mode: accepted"; fi
	check "nothing written after $mode" left "$T/r1"
done
kill "$PROXY_PID" 2>/dev/null
wait "$PROXY_PID" 2>/dev/null
PROXY_PID=""

# --- stopped half-way (a shutdown, Ctrl-C): nothing left behind ---------------------
"$BUILD/shapeproxy" --down-rate 4000 --listen 127.0.0.1:0 --to "${URL#http://}" \
	>"$T/shape.out" 2>"$T/shape.err" &
PROXY_PID=$!
wait_for 10 grep -q "listening on" "$T/shape.out" || fail "shaping proxy did not start"
SURL="http://127.0.0.1:$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$T/shape.out")"
"$LUMBUNG" restore -d "$T/r1" --village $V1 --restore-key "$T/v1.key.txt" \
	--passphrase-file "$T/pass" --from "$SURL" --agg-key "$AK" >"$T/out" 2>"$T/err" &
rpid=$!
wait_for 20 sh -c "ls -A '$T' | grep -q '^\.lumbung-restore'" ||
	fail "the slow restore made no temporary file"
kill -TERM $rpid
wait $rpid
rc=$?
[ $rc -ne 0 ] && ok "a restore stopped by SIGTERM during the fetch ends (exit $rc)" ||
	fail "a restore stopped by SIGTERM ends with an error"
check "nothing is left of a stopped restore" left "$T/r1"
kill "$PROXY_PID" 2>/dev/null
wait "$PROXY_PID" 2>/dev/null
PROXY_PID=""

# --- restore from the aggregator with the key backup ----------------------------
TZ=Asia/Jakarta
export TZ # times for people are local: WIB here
expect_exit 0 "restore from the aggregator with the key backup" \
	restore "$T/r1" --from "$URL" --agg-key "$AK"
unset TZ
cp "$T/out" "$T/restore.out"
contains "$T/restore.out" "the kabupaten holds up to seq $P of" "it says how far the copy goes"
contains "$T/restore.out" "WIB; entries written after that on the lost PC are not in it" \
	"and that later entries are lost"
lb log -d "$T/r1" >"$T/new.log"
check "the restored log equals the old one up to the pushed seq" cmp -s "$T/old.log" "$T/new.log"
lb ls -d "$T/r1" penduduk >"$T/new.ls"
check "the restored records are the old ones" cmp -s "$T/old.ls" "$T/new.ls"
lb get -d "$T/r1" penduduk "$ID" >"$T/new.get"
check "a restored record's body is the old one" cmp -s "$T/old.get" "$T/new.get"
expect_exit 0 "lumbung verify passes on the restored node" lb verify -d "$T/r1"
[ "$(seq_of "$T/r1")" -eq $P ] && ok "the entry written after the last push did not come back" ||
	fail "the entry written after the last push did not come back (seq $(seq_of "$T/r1"))"
lb remote ls -d "$T/r1" >"$T/out"
contains "$T/out" "$AK" "the kabupaten was added as a remote"
contains "$T/out" "seq $P" "the receipt for seq $P was kept"
# it goes on: a new entry continues the chain and is accepted
check "the restored node writes" lb put -d "$T/r1" --merge penduduk "$ID" nama="Sesudah Pulih"
expect_exit 0 "the restored node pushes again" lb push -d "$T/r1"
check "the aggregator accepted the new entry" agg_has "$T/r1"
[ "$(seq_of "$T/r1")" -eq $((P + 1)) ] && ok "the chain continues at seq $((P + 1))" ||
	fail "the chain continues at seq $((P + 1)) (got $(seq_of "$T/r1"))"

# --- with an office token instead of the proof ------------------------------------
LUMBUNG_TOKEN=$KEC1 expect_exit 0 "restore with the kecamatan's token" \
	restore "$T/r2" --from "$URL" --agg-key "$AK"
[ "$(seq_of "$T/r2")" -eq $((P + 1)) ] && ok "the token's copy holds the new entry too" ||
	fail "the token's copy holds seq $((P + 1)) (got $(seq_of "$T/r2"))"
agg access-log -d "$A" >"$T/out" 2>&1
contains "$T/out" "/v1/villages/$V1/log" "the reads are in the access log"
contains "$T/out" "village key" "the village's own read is logged under its key"

# --- from a stick -------------------------------------------------------------------
lb export-log -d "$T/v2" >"$T/stick.lla"
rm -rf "$T/v2"
python3 "$TOOLS/llatool.py" flip "$T/stick.lla" "$T/bad.lla" 5 body
expect_exit 8 "an altered archive on a stick is refused" \
	lb restore -d "$T/r3" --village $V2 --restore-key "$T/v2.key.txt" --passphrase-file "$T/pass" \
	--from "$T/bad.lla" --agg-key "$AK"
check "nothing written from the altered stick" left "$T/r3"
expect_exit 0 "restore from an archive on a stick" \
	lb restore -d "$T/r3" --village $V2 --restore-key "$T/v2.key.txt" --passphrase-file "$T/pass" \
	--from "$T/stick.lla" --agg-key "$AK"
contains "$T/out" "the archive holds up to seq 120 of" "it says how far the stick goes"
expect_exit 0 "the node from the stick verifies" lb verify -d "$T/r3"
[ "$(agg_field $V2 seq)" = "$(seq_of "$T/r3")" ] && ok "the stick's node is where the aggregator is" ||
	fail "the stick's node is at $(seq_of "$T/r3"), the aggregator at $(agg_field $V2 seq)"
expect_exit 0 "the node from the stick pushes" lb push -d "$T/r3" --to "$URL" --key "$AK"

done_testing
