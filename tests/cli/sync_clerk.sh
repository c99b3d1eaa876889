#!/bin/sh
# sync_clerk.sh — push and sync as a village clerk meets them: the
# aggregator's key given as its agg.pub file (or its directory) instead of
# 64 hex digits; a progress line on a terminal (forced with
# LUMBUNG_PROGRESS=1) and none with --quiet; messages in Indonesian with
# LUMBUNG_BAHASA=id; sync's lines stamped with the local time of TZ (WIB,
# WITA, WIT); --version of lumbung-audit and lumbung-gen.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR LUMBUNG_PROGRESS TZ

lb() { "$LUMBUNG" "$@"; }

A="$T/agg"
agg init -d "$A" --region 33.24 >/dev/null || fail "agg init"
start_agg "$A"
V="$T/v1"
N=1200
lb init -d "$V" --village 33.24.01.2001 >/dev/null 2>&1 &&
	"$GEN" --village 33.24.01.2001 --count $N --seed 5 >"$T/gen.jsonl" &&
	lb put -d "$V" --batch "$T/gen.jsonl" >/dev/null 2>&1 || fail "village setup"
[ "$(seq_of "$V")" = $N ] && ok "the village holds $N entries" || fail "village has $(seq_of "$V") entries"
check "enroll the village" agg enroll -d "$A" --village 33.24.01.2001 --key "$(origin "$V")"

# --- the aggregator's key as a file --------------------------------------------
expect_exit 0 "remote add takes the aggregator's agg.pub file for --key" \
	lb remote add -d "$V" kab "$URL" --key "$A/agg.pub"
contains "$T/out" "receipts checked against its key" "and says receipts will be checked"
expect_exit 2 "remote add refuses a --key that is neither hex nor a file" \
	lb remote add -d "$V" kab "$URL" --key "$T/no-such-agg.pub"
contains "$T/err" "is neither 64 hex digits nor an existing public key file" "and says what it wanted"
printf 'not a key\n' >"$T/junk.pub"
expect_exit 2 "remote add refuses a file that is not a public key file" \
	lb remote add -d "$V" kab "$URL" --key "$T/junk.pub"
contains "$T/err" "not a lumbung public key file" "and names the problem"
LUMBUNG_BAHASA=id lb remote add -d "$V" kab "$URL" --key "$T/no-such-agg.pub" >"$T/out" 2>"$T/err"
contains "$T/err" "bukan 64 digit heks dan bukan berkas kunci publik yang ada" \
	"the refusal in Indonesian with LUMBUNG_BAHASA=id"

# --- an Indonesian push with a progress line -------------------------------------
LUMBUNG_BAHASA=id LUMBUNG_PROGRESS=1 lb push -d "$V" >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 0 ] && ok "push in Indonesian" || fail "push exit $rc: $(head -c 300 "$T/err")"
# the key came from the file: receipts verify against it and are kept
if grep -Eq "^push: $N entri terkirim .*; [1-9][0-9]* tanda terima diperiksa dan disimpan$" "$T/out"; then
	ok "the summary is Indonesian and receipts checked against the key from agg.pub were kept"
else fail "Indonesian summary: $(cat "$T/out")"; fi
# thousands grouped with '.' in Indonesian: 1200 -> 1.200
contains "$T/err" "1.200 / 1.200 entri  100%" "the progress line counts entries, in Indonesian"
agg_has "$V" && ok "the aggregator holds the village's tip" || fail "aggregator does not hold the tip"
LUMBUNG_BAHASA=id lb push -d "$V" >"$T/out" 2>"$T/err"
contains "$T/out" "push: sudah mutakhir: agregator menyimpan sampai seq $N" "up to date, in Indonesian"

# --- English, progress and --quiet -------------------------------------------------
more() { # N SEED: N more aspirasi entries
	"$GEN" --village 33.24.01.2001 --count "$1" --seed "$2" --only aspirasi |
		sed 's/"id":"/"id":"x'"$2"'-/' >"$T/more.jsonl" &&
		lb put -d "$V" --batch "$T/more.jsonl" >/dev/null 2>&1
}
before=$(seq_of "$V")
check "40 more entries" more 40 11
[ "$(seq_of "$V")" = $((before + 40)) ] || fail "the 40 entries were not written ($(seq_of "$V"))"
LUMBUNG_PROGRESS=1 lb push -d "$V" >"$T/out" 2>"$T/err" || fail "push: $(cat "$T/err")"
contains "$T/err" "40 / 40 entries  100%" "the progress line in English"
contains "$T/out" "push: sent 40 entries" "and the summary"
lb push -d "$V" >"$T/out" 2>"$T/err"
if grep -q '%' "$T/err"; then fail "no progress line when stderr is not a terminal"; else
	ok "no progress line when stderr is not a terminal"; fi
check "40 more entries" more 40 12
LUMBUNG_PROGRESS=1 lb push -d "$V" --quiet >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 0 ] && ok "push --quiet succeeds" || fail "push --quiet exit $rc"
if grep -q 'entries' "$T/err"; then fail "--quiet shows no progress line: $(cat "$T/err")"; else
	ok "--quiet shows no progress line"; fi
[ ! -s "$T/out" ] && ok "--quiet prints no summary of a push that succeeded" || fail "--quiet printed: $(cat "$T/out")"
agg_has "$V" && ok "and everything reached the aggregator" || fail "the quiet push did not arrive"
expect_exit 0 "a push to the aggregator's directory as --key" lb push -d "$V" --key "$A"

# --- sync: times in the zone of TZ -------------------------------------------------
# sync_once ENV...: run sync until its first "up to date"-like line, then stop it
sync_once() {
	env "$@" "$LUMBUNG" sync -d "$V" --every 1 >"$T/sync.out" 2>&1 &
	pid=$!
	wait_for 15 grep -q "seq $(seq_of "$V")" "$T/sync.out"
	kill -TERM $pid
	wait $pid
}
today_jayapura=$(TZ=Asia/Jayapura LC_ALL=C date +'%-d %b %Y')
sync_once TZ=Asia/Jayapura
if grep -Eq "^$today_jayapura [0-9]{2}:[0-9]{2} WIT sync: up to date at seq $(seq_of "$V")$" "$T/sync.out"; then
	ok "sync stamps its lines with the local time of TZ (WIT)"
else fail "sync lines in WIT: $(cat "$T/sync.out")"; fi
sync_once TZ=Asia/Makassar LUMBUNG_BAHASA=id
if grep -Eq "^[0-9]{1,2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2} WITA sync: sudah mutakhir di seq $(seq_of "$V")$" "$T/sync.out"; then
	ok "sync in Indonesian, in WITA"
else fail "Indonesian sync lines in WITA: $(cat "$T/sync.out")"; fi
grep -q "WITA sync: berhenti" "$T/sync.out" && ok "and says it stopped, in Indonesian" ||
	fail "no Indonesian stop line: $(tail -2 "$T/sync.out")"

# --- --version --------------------------------------------------------------------
expect_exit 0 "lumbung-audit --version" "$BUILD/lumbung-audit" --version
grep -Eq '^lumbung-audit [^ ]+$' "$T/out" && ok "prints lumbung-audit and the version" ||
	fail "lumbung-audit --version: $(cat "$T/out")"
expect_exit 0 "lumbung-gen --version" "$GEN" --version
grep -Eq '^lumbung-gen [^ ]+$' "$T/out" && ok "prints lumbung-gen and the version" ||
	fail "lumbung-gen --version: $(cat "$T/out")"

done_testing
