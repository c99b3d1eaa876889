#!/bin/sh
# evilrelay.sh — a dishonest kecamatan.  A village's log reaches a
# kecamatan; build/evil-relay builds what the kecamatan could send the
# kabupaten from that replica with the real change-set builder, then breaks
# it: one byte of an entry changed, an entry dropped, two entries swapped,
# an entry changed and the head re-signed with the kecamatan's own key, an
# entry invented under the kecamatan's signature.  Each goes to the
# kabupaten over HTTP (as the kecamatan's relay would, naming itself in
# X-Lumbung-Relay) and on a USB stick (lumbung-agg ingest): each refused
# with the error a village would get, and nothing stored — the kabupaten's
# replica archive stays byte-identical.  The honest change set (the
# control) is accepted and the kabupaten's replica is then the village's
# log, verified with the village's key.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR

lb() { "$LUMBUNG" "$@"; }
AUDIT="$BUILD/lumbung-audit"
EVIL="$BUILD/evil-relay"
KAB="$T/kab"
KEC="$T/kec"
V="$T/desa"

KABKEY=$(agg init -d "$KAB" --region 33.24) || fail "init kabupaten"
KECKEY=$(agg init -d "$KEC" --region 33.24.01) || fail "init kecamatan"
lb init -d "$V" --village 33.24.01.2001 >/dev/null 2>&1 || fail "init village"
VK=$(origin "$V")
agg enroll -d "$KEC" --village 33.24.01.2001 --key "$VK" >/dev/null || fail "enrol at kecamatan"
agg enroll -d "$KAB" --village 33.24.01.2001 --key "$VK" >/dev/null || fail "enrol at kabupaten"

GEN="$BUILD/lumbung-gen"
# batch N SEED — N records in one transaction (one signed head)
batch() {
	"$GEN" --village 33.24.01.2001 --count "$1" --seed "$2" --only penduduk |
		lb put -d "$V" --batch >/dev/null 2>"$T/put.err" || fail "put: $(cat "$T/put.err")"
}
# two entries reach the kabupaten straight from the village (seq 1..2) ...
batch 2 1
lb changeset -d "$V" --plain >"$T/a.lcs" 2>/dev/null || fail "changeset 1..2"
check "the kabupaten takes seq 1..2 from the village" agg ingest -d "$KAB" "$T/a.lcs"
# ... and five more reach only the kecamatan
batch 5 2
lb changeset -d "$V" --plain >"$T/b.lcs" 2>/dev/null || fail "changeset 1..7"
check "the kecamatan holds seq 1..7" agg ingest -d "$KEC" "$T/b.lcs"

"$AUDIT" export -d "$KAB" --origin "$VK" >"$T/before.lla" 2>/dev/null || fail "export before"
start_agg "$KAB" || exit 1

# try MODE CODE — the kecamatan sends MODE: refused as CODE both ways,
# and the kabupaten's replica unchanged
try() {
	if ! "$EVIL" "$KEC" "$VK" 3 "$1" >"$T/$1.lcs" 2>"$T/evil.err"; then
		fail "$1: evil-relay failed: $(cat "$T/evil.err")"
		return
	fi
	python3 "$HTTP" POST "$URL/v1/changesets" "$T/$1.lcs" >"$T/$1.http" 2>&1
	st=$(head -1 "$T/$1.http")
	case $st in
	4??) if grep -q "$2" "$T/$1.http"; then ok "$1 over HTTP: HTTP $st $2"; else
		fail "$1 over HTTP: HTTP $st without $2: $(cat "$T/$1.http")"; fi ;;
	*) fail "$1 over HTTP: not refused: $(cat "$T/$1.http")" ;;
	esac
	if agg ingest -d "$KAB" "$T/$1.lcs" >"$T/$1.out" 2>"$T/$1.err"; then
		fail "$1 on a USB stick: accepted"
	else
		contains "$T/$1.err" "$3" "$1 on a USB stick: refused ($3)"
	fi
	"$AUDIT" export -d "$KAB" --origin "$VK" >"$T/after.lla" 2>/dev/null
	if cmp -s "$T/before.lla" "$T/after.lla"; then ok "$1: the kabupaten's replica is unchanged"
	else fail "$1: the kabupaten's replica changed"; fi
}
try flip bad_signature "do not chain"
try drop malformed "seq"
try reorder malformed "seq"
try resign bad_signature "signed by"
try invent bad_signature "signed by"

# the control: the honest change set from the same replica is taken
"$EVIL" "$KEC" "$VK" 3 honest >"$T/honest.lcs" 2>/dev/null || fail "evil-relay honest"
python3 "$HTTP" POST "$URL/v1/changesets" "$T/honest.lcs" >"$T/honest.http" 2>&1
check "the honest change set is accepted" test "$(head -1 "$T/honest.http")" = 200
A="$KAB"
check "the kabupaten now holds the village's tip" agg_has "$V"
same_as_agg "$V" "the kabupaten's hash at the tip is the village's"
"$AUDIT" export -d "$KAB" --origin "$VK" >"$T/kab.lla" 2>/dev/null
check "the kabupaten's replica verifies with the village's key" \
	"$AUDIT" verify "$T/kab.lla" --key "$VK"
stop_agg
done_testing
