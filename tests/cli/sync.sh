#!/bin/sh
# sync.sh — villages push to a real aggregator (lumbung-agg serve on a free
# loopback port, libmicrohttpd) with real libcurl: enrolment, concurrent
# pushes arriving exactly once, receipts checked against the aggregator
# key, offline changes, the sync loop riding out an aggregator restart,
# and every refusal (unknown key, wrong village, forged signature, gap,
# fork, truncated and garbage msgpack, oversized body) answered with its
# code while the aggregator's store stays as it was.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR

lb() { "$LUMBUNG" "$@"; }

A="$T/agg"
AK=$(agg init -d "$A" --region 33.24) || fail "agg init"
start_agg "$A"

# three villages with generated data, one in another kecamatan
mk_village() { # DIR CODE COUNT SEED
	lb init -d "$1" --village "$2" >/dev/null 2>&1 &&
		"$GEN" --village "$2" --count "$3" --seed "$4" >"$T/gen.jsonl" &&
		lb put -d "$1" --batch "$T/gen.jsonl" >/dev/null 2>&1 &&
		[ "$(seq_of "$1")" = "$3" ]
}
check "village 1 has 400 records" mk_village "$T/v1" 33.24.01.2001 400 1
check "village 2 has 600 records" mk_village "$T/v2" 33.24.01.2002 600 2
check "village 3 has 300 records" mk_village "$T/v3" 33.24.02.2001 300 3

# --- not enrolled yet -------------------------------------------------------
expect_exit 18 "push from an unenrolled village is refused (unknown_origin)" \
	lb push -d "$T/v1" --to "$URL" --key "$AK"
contains "$T/err" "lumbung-agg enroll -d DIR --village 33.24.01.2001 --key $(origin "$T/v1")" \
	"the refusal says which enroll command fixes it"
expect_exit 0 "agg status works with nothing pushed" agg status -d "$A"

# --- enrolment --------------------------------------------------------------
for v in v1 v2 v3; do
	check "enroll $v" agg enroll -d "$A" --village "$(village "$T/$v")" --key "$(origin "$T/$v")"
	check "remote add for $v" lb remote add -d "$T/$v" kab "$URL" --key "$AK"
done
lb init -d "$T/far" --village 33.25.01.2001 >/dev/null 2>&1
expect_exit 3 "a village outside the kabupaten cannot be enrolled" \
	agg enroll -d "$A" --village 33.25.01.2001 --key "$(origin "$T/far")"
lb remote ls -d "$T/v1" >"$T/out"
contains "$T/out" "$AK" "remote ls shows the aggregator key"

# --- concurrent pushes, small change sets -----------------------------------
for v in v1 v2 v3; do
	lb push -d "$T/$v" --max-bytes 16k >"$T/$v.push" 2>&1 &
	eval "pid_$v=\$!"
done
for v in v1 v2 v3; do
	eval "wait \$pid_$v"
	rc=$?
	if [ $rc -eq 0 ]; then ok "concurrent push of $v exits 0"; else
		fail "concurrent push of $v exits $rc: $(cat "$T/$v.push")"; fi
done
for w in v1 v2 v3; do
	same_as_agg "$T/$w" "after the concurrent push, the aggregator holds $w's tip and head hash"
	expect_exit 0 "the aggregator's replica of $w verifies on its own (lumbung-audit, key pinned)" \
		"$BUILD/lumbung-audit" verify -d "$A" --origin "$(origin "$T/$w")" --key "$(origin "$T/$w")"
	"$BUILD/lumbung-audit" export -d "$A" --origin "$(origin "$T/$w")" >"$T/$w.agg.lla" 2>/dev/null
	lb export-log -d "$T/$w" >"$T/$w.node.lla" 2>/dev/null
	if python3 "$(dirname "$0")/../tools/llatool.py" dump "$T/$w.agg.lla" entry >"$T/a.txt" 2>&1 &&
		python3 "$(dirname "$0")/../tools/llatool.py" dump "$T/$w.node.lla" entry >"$T/n.txt" 2>&1 &&
		cmp -s "$T/a.txt" "$T/n.txt"; then
		ok "the replica of $w is byte for byte the village's log"
	else
		fail "replica of $w differs from the village log: $(head -c 200 "$T/a.txt")"
	fi
done
contains "$T/v2.push" "change sets" "push reports what it sent"
n=$(grep -o 'in [0-9]* change sets' "$T/v2.push" | grep -o '[0-9]*')
if [ "${n:-0}" -gt 1 ]; then ok "--max-bytes 16k cut 600 records into $n change sets"; else
	fail "600 records went in ${n:-?} change sets with --max-bytes 16k"; fi
r=$(grep -o '[0-9]* receipts checked' "$T/v2.push" | grep -o '^[0-9]*')
if [ "${r:-0}" -eq "${n:-x}" ]; then ok "one receipt checked and kept per change set"; else
	fail "receipts ${r:-?} for ${n:-?} change sets"; fi

expect_exit 0 "a second push is a no-op" lb push -d "$T/v1"
contains "$T/out" "up to date" "and says it is up to date"
lb remote ls -d "$T/v2" >"$T/out"
contains "$T/out" "receipts up to seq 600 ($n kept)" "remote ls shows how far the kept receipts reach"

# several pushers of the same village at once: exactly once, no error
"$GEN" --village 33.24.01.2001 --count 300 --seed 4 | lb put -d "$T/v1" --batch >/dev/null 2>&1
pids=""
for i in 1 2 3 4; do
	lb push -d "$T/v1" --max-bytes 8k >"$T/same$i" 2>&1 &
	pids="$pids $!"
done
bad=0
for p in $pids; do wait "$p" || bad=$((bad + 1)); done
if [ $bad -eq 0 ]; then ok "4 simultaneous pushes of one village all exit 0"; else
	fail "$bad of 4 simultaneous pushes failed: $(cat "$T"/same*)"; fi
same_as_agg "$T/v1" "after 4 simultaneous pushes the aggregator holds v1's tip exactly"
new=$(cat "$T"/same* | grep -o '[0-9]* new to the aggregator' | awk '{s += $1} END {print s + 0}')
if [ "$new" -eq 300 ]; then ok "the 300 new entries were stored exactly once between them"; else
	fail "the 4 pushes report $new entries new to the aggregator, wanted 300: $(cat "$T"/same*)"; fi

# --- offline changes, then sync again ----------------------------------------
# (the first resident who heads no family card: a head is not deleted while
# the keluarga names them)
lb export -d "$T/v2" keluarga >"$T/kk.csv"
first=$(lb ls -d "$T/v2" penduduk | python3 -c '
import csv, sys
heads = {r["kepala_keluarga"] for r in csv.DictReader(open(sys.argv[1], encoding="utf-8-sig"))}
print(next(l.strip() for l in sys.stdin if l.strip() not in heads))' "$T/kk.csv")
lb rm -d "$T/v2" penduduk "$first" >/dev/null 2>&1 || fail "offline delete"
lb put -d "$T/v2" --merge penduduk "$(lb ls -d "$T/v2" penduduk | sed -n 2p)" pekerjaan=nelayan >/dev/null 2>&1 ||
	fail "offline update"
expect_exit 0 "push after offline changes" lb push -d "$T/v2"
contains "$T/out" "sent 2 entries" "exactly the two offline changes went"
same_as_agg "$T/v2" "the aggregator follows the offline changes"
want=$(for v in v1 v2 v3; do lb ls -d "$T/$v" penduduk; done | wc -l)
got=$(agg_count penduduk)
if [ "$got" -eq "$want" ]; then ok "consolidated view: $got live penduduk in all villages after the delete"; else
	fail "consolidated view has $got penduduk, the villages have $want"; fi

# --- receipts are checked against the remembered key ------------------------
OTHER=$(agg init -d "$T/other-agg" --region 33.24) || fail "agg init of another aggregator"
lb put -d "$T/v3" aspirasi A-1 pengusul=Warga usulan="Jalan desa" tanggal=2026-01-05 status=diusulkan >/dev/null 2>&1
# (--no-seal: sealed to the wrong key, the aggregator could not even open
# the change set; seal.sh tests that)
expect_exit 13 "a receipt not signed by the remembered key fails the push (bad_signature)" \
	lb push -d "$T/v3" --to "$URL" --key "$OTHER" --no-seal
contains "$T/err" "receipt" "and the message says it is the receipt"
expect_exit 0 "with the right key the push is fine (the entry was already held)" lb push -d "$T/v3"

# --- the aggregator is unreachable ------------------------------------------
expect_exit 22 "an unreachable aggregator gives a network error" \
	lb push -d "$T/v1" --to http://127.0.0.1:1 --key "$AK"
contains "$T/err" "127.0.0.1:1" "naming the address it could not reach"
expect_exit 2 "no --to and no remote is a usage error" lb push -d "$T/far"

# --- refusals of crafted change sets ----------------------------------------
snapshot() { agg status -d "$A" --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps(d["villages"], sort_keys=True))' | sed 's/"last_seen[^,]*,//g'; }
# v5's key is enrolled, but for another village than its own
lb init -d "$T/v5" --village 33.24.01.2005 >/dev/null 2>&1
lb put -d "$T/v5" aspirasi A-1 pengusul=Warga usulan="Air bersih" tanggal=2026-01-05 status=diusulkan >/dev/null 2>&1
agg enroll -d "$A" --village 33.24.01.2006 --key "$(origin "$T/v5")" >/dev/null
before=$(snapshot)

lb changeset -d "$T/v1" --plain >"$T/cs1" 2>/dev/null || fail "changeset"
post() { # FILE STATUS CODE description — CODE is the reply's "code" (or a key of a 200 reply)
	python3 "$HTTP" POST "$URL/v1/changesets" "$1" >"$T/reply" 2>&1
	case $2 in 200) pat=".$3." ;; *) pat=".code.$3." ;; esac # msgpack str headers show as "."
	if [ "$(head -1 "$T/reply")" = "$2" ] && grep -qF "$pat" "$T/reply"; then ok "$4: $2 $3"; else
		fail "$4: wanted $2 $3, got $(head -c 300 "$T/reply")"; fi
}
post "$T/cs1" 200 "receipt" "a replayed change set is accepted idempotently"
head -c 100 "$T/cs1" >"$T/trunc"
post "$T/trunc" 400 malformed "a truncated change set"
head -c 3000 /dev/urandom >"$T/garbage"
post "$T/garbage" 400 malformed "random bytes"
printf '\x81\xa3abc\xdd\xff\xff\xff\xff' >"$T/hostile"
post "$T/hostile" 400 malformed "a msgpack array claiming 4 billion elements"
python3 - "$T/cs1" "$T/forged" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
i = b.index(b"\xa4head") + 5          # key, then bin header
i += {0xc4: 2, 0xc5: 3, 0xc6: 5}[b[i]]  # skip the bin header to the signature
b[i + 10] ^= 1
open(sys.argv[2], "wb").write(bytes(b))
EOF
post "$T/forged" 403 bad_signature "a change set whose head signature is forged"
lb init -d "$T/v4" --village 33.24.01.2009 >/dev/null 2>&1
lb put -d "$T/v4" aspirasi A-1 pengusul=Warga usulan="Air bersih" tanggal=2026-01-05 status=diusulkan >/dev/null 2>&1
lb changeset -d "$T/v4" --plain >"$T/cs4" 2>/dev/null
post "$T/cs4" 403 unknown_origin "a change set from a key nobody enrolled"
lb changeset -d "$T/v5" --plain >"$T/cs5" 2>/dev/null
post "$T/cs5" 403 wrong_village "a change set for another village than the key's"
"$GEN" --village 33.24.01.2001 --count 600 --seed 5 | lb put -d "$T/v1" --batch >/dev/null 2>&1
tip=$(seq_of "$T/v1")
lb changeset -d "$T/v1" --plain --since $((tip - 10)) >"$T/gap" 2>/dev/null
post "$T/gap" 409 gap "a change set that skips entries"
# v1 pushed 400 + 300 entries; the change set starts 10 before the new tip
gapmsg="change set starts at seq $((tip - 10)) but this aggregator holds up to seq 700; send from seq 701"
grep -qF "$gapmsg" "$T/reply" && ok "the gap reply says where the aggregator stands: $gapmsg" ||
	fail "the gap reply says \"$gapmsg\": $(head -c 300 "$T/reply")"
python3 "$HTTP" POSTLEN "$URL/v1/changesets" 100000000 >"$T/reply" 2>&1
if [ "$(head -1 "$T/reply")" = 413 ] && grep -q too_large "$T/reply"; then
	ok "a body announced as 100 MB is refused before it is read: 413 too_large"; else
	fail "oversized body: $(head -c 200 "$T/reply")"; fi
python3 "$HTTP" GET "$URL/v1/nothing" >"$T/reply" 2>&1
[ "$(head -1 "$T/reply")" = 404 ] && ok "an unknown endpoint is 404" || fail "unknown endpoint: $(cat "$T/reply")"
python3 "$HTTP" GET "$URL/v1/origins/xyz" >"$T/reply" 2>&1
[ "$(head -1 "$T/reply")" = 400 ] && ok "a malformed origin in the URL is 400" || fail "bad origin: $(cat "$T/reply")"
after=$(snapshot)
case $before in *'"village": "33.24.01.2001"'*) ;; *) fail "status --json before the refusals: $before" ;; esac
if [ "$before" = "$after" ]; then ok "after every refusal the aggregator's store is unchanged"; else
	fail "store changed: before $before after $after"; fi

# --- fork: a node restored from a backup writes a different history ---------
expect_exit 0 "v3 is in sync before the backup" lb push -d "$T/v3"
cp -a "$T/v3" "$T/v3-backup"
lb put -d "$T/v3" aspirasi F-1 pengusul=Asli usulan="Sumur" tanggal=2026-01-05 status=diusulkan >/dev/null 2>&1
expect_exit 0 "v3 pushes a new entry" lb push -d "$T/v3"
lb put -d "$T/v3-backup" aspirasi F-1 pengusul=Cadangan usulan="Sumur lain" tanggal=2026-01-06 status=diusulkan >/dev/null 2>&1
expect_exit 21 "the restored backup's push is refused as a fork before anything is sent" lb push -d "$T/v3-backup"
contains "$T/err" "forked" "and says the histories forked"
lb changeset -d "$T/v3-backup" --plain --since "$(seq_of "$T/v3-backup")" >"$T/fork" 2>/dev/null
post "$T/fork" 409 fork "the restored backup's change set posted anyway"
forks=$(agg_field 33.24.02.2001 forks)
[ "$forks" = 1 ] && ok "status shows the fork" || fail "status shows $forks forks"
lb put -d "$T/v3" aspirasi F-2 pengusul=Asli usulan="Irigasi" tanggal=2026-01-07 status=diusulkan >/dev/null 2>&1
expect_exit 0 "the real village keeps pushing after the fork" lb push -d "$T/v3"
same_as_agg "$T/v3" "and the aggregator follows the real village"

# --- the sync loop rides out an aggregator restart --------------------------
"$LUMBUNG" sync -d "$T/v2" --every 1 >"$T/sync.out" 2>&1 &
SYNC=$!
lb put -d "$T/v2" aspirasi S-1 pengusul=Warga usulan="Posyandu" tanggal=2026-01-05 status=diusulkan >/dev/null 2>&1
wait_for 15 agg_has "$T/v2" && ok "sync sends a new entry within seconds" || fail "sync did not send: $(cat "$T/sync.out")"
stop_agg
lb put -d "$T/v2" aspirasi S-2 pengusul=Warga usulan="Jembatan" tanggal=2026-01-05 status=diusulkan >/dev/null 2>&1
wait_for 10 grep -qE "sync: network: .*127\.0\.0\.1:$PORT.*; sent 0 entries first; next try in [0-9]+ s" "$T/sync.out" &&
	ok "sync logs the dead link" || fail "no network line naming 127.0.0.1:$PORT: $(cat "$T/sync.out")"
grep -q "next try in" "$T/sync.out" && ok "and when it will try again" || fail "no backoff line"
start_agg "$A" "$PORT"
wait_for 30 agg_has "$T/v2" && ok "sync catches up after the aggregator comes back" ||
	fail "sync did not catch up: $(tail -5 "$T/sync.out")"
kill -TERM "$SYNC"
wait "$SYNC"
rc=$?
[ $rc -eq 0 ] && ok "sync stops cleanly on SIGTERM" || fail "sync exit $rc"
contains "$T/sync.out" "stopped" "and says so"

# --- no link at all: a change set carried on a USB stick --------------------
"$GEN" --village 33.24.02.2001 --count 50 --seed 6 | lb put -d "$T/v3" --batch >/dev/null 2>&1
lb changeset -d "$T/v3" --plain --since $(($(agg_field 33.24.02.2001 seq) + 1)) >"$T/usb.lcs" 2>"$T/err" ||
	fail "changeset: $(cat "$T/err")"
head -c 200 "$T/usb.lcs" >"$T/usb-bad.lcs"
expect_exit 9 "a truncated file from the stick is refused (malformed)" agg ingest -d "$A" "$T/usb-bad.lcs"
contains "$T/err" "usb-bad.lcs: refused (malformed)" "naming the file and the reason"
expect_exit 0 "lumbung-agg ingest takes the change set from the stick" agg ingest -d "$A" "$T/usb.lcs"
contains "$T/out" "accepted 50 new entries" "all 50 entries"
same_as_agg "$T/v3" "the aggregator holds v3's tip after the USB ingest"
expect_exit 0 "ingesting the same file twice is harmless" agg ingest -d "$A" "$T/usb.lcs"
contains "$T/out" "accepted 0 new entries" "and adds nothing"
expect_exit 0 "a push after the USB ingest" lb push -d "$T/v3"
contains "$T/out" "up to date" "finds nothing left to send"

stop_agg
done_testing
