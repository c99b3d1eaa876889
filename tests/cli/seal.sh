#!/bin/sh
# seal.sh — change sets compressed and sealed to the aggregator's key
# (sync/envelope.h, docs/FORMAT.md §7-§8) on every path they travel.
#
# Real processes on loopback.  A sealed change set file and a push captured
# on the wire (tests/tools/capproxy.py records what the client sends) hold
# no NIK, no name and no field name of the generated data — the same search
# finds them in a plain file and an unsealed push, so it can fail; a sealed
# file taken to another aggregator is refused with nothing stored; every
# single-byte change and some truncations of a small sealed change set are
# refused with nothing stored; plain, compressed and sealed forms of one
# change set give the same receipt (origin, seq, hash, root) and the same
# stored bytes (lumbung-audit export); an old client's plain POST is still
# taken; bodies whose headers and magic disagree, and unknown encodings,
# are refused; an aggregator advertising no forms (or unknown ones) gets
# plain change sets and a malformed `accept` is refused; and village ->
# kecamatan -> kabupaten works sealed at both hops (both captured), as do
# a kecamatan's bundle frames.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR
TOOLS="$(cd "$(dirname "$0")/.." && pwd)/tools"
AUDIT="$BUILD/lumbung-audit"
lb() { "$LUMBUNG" "$@"; }

P1="" P2="" KEC_PID=""
cleanup() {
	for p in $AGG_PID $KEC_PID $P1 $P2; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

# leaks FILE GEN.jsonl — print what of the generated data FILE holds: each
# NIK, KK number and name, and each field name (as the msgpack string the
# change set would hold it in; short names alone could match random bytes)
leaks() {
	python3 - "$1" "$2" <<'PY'
import json, sys
data = open(sys.argv[1], "rb").read()
needles = set()
for line in open(sys.argv[2]):
    body = json.loads(line)["body"]
    for k, v in body.items():
        kb = k.encode()
        needles.add(bytes([0xa0 + len(kb)]) + kb)  # the field name, msgpack fixstr
        if len(kb) >= 6:
            needles.add(kb)
        if k in ("nik", "no_kk", "nama", "tempat_lahir") and len(v) >= 4:
            needles.add(v.encode())
for b in (b"nik", b"nama", b"tanggal_lahir"):
    needles.add(bytes([0xa0 + len(b)]) + b)
found = sorted(n for n in needles if n in data)
print(len(found), " ".join(repr(n) for n in found[:8]))
PY
}
# no_leaks FILE GEN "description" / has_leaks (the control)
no_leaks() {
	r=$(leaks "$1" "$2")
	case $r in 0\ *) ok "$3" ;; *) fail "$3: found $r" ;; esac
}
has_leaks() {
	r=$(leaks "$1" "$2")
	case $r in 0\ *) fail "$3: the search found nothing" ;; *) ok "$3 (${r%% *} found)" ;; esac
}
magic() { python3 -c 'import sys; print(open(sys.argv[1], "rb").read(4).hex())' "$1"; }
# held DIR VILLAGE — the seq DIR holds for VILLAGE (0 when none)
held() {
	"$AGG_BIN" status -d "$1" --json | python3 -c '
import json, sys
print(([v["seq"] for v in json.load(sys.stdin)["villages"] if v["village"] == sys.argv[1]] + [0])[0])' "$2"
}
# mk_village DIR CODE COUNT SEED — a village with COUNT generated residents
mk_village() {
	lb init -d "$1" --village "$2" >/dev/null 2>&1 &&
		"$GEN" --village "$2" --only penduduk --count "$3" --seed "$4" >"$1.jsonl" &&
		lb put -d "$1" --batch "$1.jsonl" >/dev/null 2>&1
}

A="$T/kab"   # the kabupaten: files, then HTTP
B="$T/other" # another aggregator, same region
AK=$(agg init -d "$A" --region 33.24) || fail "init A"
BK=$(agg init -d "$B" --region 33.24) || fail "init B"
V="$T/v"
mk_village "$V" 33.24.01.2001 30 11 || fail "village v"
for d in "$A" "$B"; do agg enroll -d "$d" --village 33.24.01.2001 --key "$(origin "$V")" >/dev/null || fail "enroll v"; done

# --- files: what a lost stick shows ---------------------------------------------
lb changeset -d "$V" --plain >"$T/plain.lcs" 2>/dev/null || fail "changeset --plain"
lb changeset -d "$V" >"$T/zstd.lcs" 2>"$T/err" || fail "changeset"
contains "$T/err" "compressed" "changeset says it compressed"
lb changeset -d "$V" --seal-to "$AK" >"$T/sealed.lcs" 2>"$T/err" || fail "changeset --seal-to"
contains "$T/err" "sealed to the key given with --seal-to" "changeset says it sealed"
[ "$(magic "$T/zstd.lcs")" = 28b52ffd ] && ok "changeset writes one zstd frame by default" ||
	fail "changeset's default output starts $(magic "$T/zstd.lcs")"
[ "$(magic "$T/sealed.lcs")" = 4c425331 ] && ok "--seal-to writes a sealed change set (LBS1)" ||
	fail "sealed output starts $(magic "$T/sealed.lcs")"
has_leaks "$T/plain.lcs" "$V.jsonl" "control: the plain change set shows NIKs, names and field names"
no_leaks "$T/sealed.lcs" "$V.jsonl" "the sealed change set file holds no NIK, name or field name"
expect_exit 2 "--seal-to with a key that is not 64 hex is a usage error" lb changeset -d "$V" --seal-to abc
expect_exit 2 "--seal-to with --no-seal is a usage error" lb changeset -d "$V" --seal-to "$AK" --no-seal
lb remote add -d "$V" kab http://127.0.0.1:9 --key "$AK" >/dev/null 2>&1 || fail "remote add"
lb changeset -d "$V" --to kab >"$T/to.lcs" 2>"$T/err" || fail "changeset --to kab"
[ "$(magic "$T/to.lcs")" = 4c425331 ] && ok "--to a remote with a key seals to it" ||
	fail "--to kab wrote $(magic "$T/to.lcs"): $(cat "$T/err")"
lb changeset -d "$V" --to kab --no-seal >"$T/ns.lcs" 2>/dev/null
[ "$(magic "$T/ns.lcs")" = 28b52ffd ] && ok "--no-seal: compressed, not sealed" || fail "--no-seal wrote $(magic "$T/ns.lcs")"

# sealed to A, taken to B: refused, nothing stored
expect_exit 13 "a sealed file ingested at another aggregator is refused (bad_signature)" \
	agg ingest -d "$B" "$T/sealed.lcs"
contains "$T/err" "bad_signature" "the refusal names bad_signature"
[ "$(held "$B" 33.24.01.2001)" = 0 ] && ok "the other aggregator stored nothing" ||
	fail "the other aggregator holds seq $(held "$B" 33.24.01.2001)"

# every single-byte change, and truncations, of a small sealed change set
S="$T/s"
lb init -d "$S" --village 33.24.01.2002 >/dev/null 2>&1 &&
	lb put -d "$S" aspirasi A-1 pengusul=Warga usulan="Air bersih" tanggal=2026-01-05 status=diusulkan >/dev/null 2>&1 ||
	fail "small village"
agg enroll -d "$A" --village 33.24.01.2002 --key "$(origin "$S")" >/dev/null || fail "enroll s"
lb changeset -d "$S" --seal-to "$AK" >"$T/small.lcs" 2>/dev/null || fail "small sealed changeset"
mkdir "$T/bad"
n=$(python3 - "$T/small.lcs" "$T/bad" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
n = 0
for i in range(len(d)):
    b = bytearray(d)
    b[i] ^= 0xff if i % 2 else 0x01
    open("%s/flip%04d" % (sys.argv[2], i), "wb").write(b)
    n += 1
for cut in (1, 16, len(d) // 2, len(d) - 1):
    open("%s/cut%04d" % (sys.argv[2], cut), "wb").write(d[:cut])
    n += 1
print(n)
PY
)
agg ingest -d "$A" --receipts "$T/bad.receipts" "$T/bad/"* >"$T/out" 2>"$T/err"
r=$(grep -c "refused" "$T/err")
[ "$r" = "$n" ] && ok "each of the $n altered or truncated copies of a $(wc -c <"$T/small.lcs")-byte sealed change set is refused" ||
	fail "$r of $n altered copies refused; accepted: $(grep accepted "$T/out" | head -3)"
grep -v "refused (\(bad_signature\|malformed\))" "$T/err" | grep -q . &&
	fail "a refusal other than bad_signature/malformed: $(grep -v 'bad_signature\|malformed' "$T/err" | head -3)" ||
	ok "every refusal is bad_signature or malformed"
[ "$(held "$A" 33.24.01.2002)" = 0 ] && ok "nothing was stored from them" ||
	fail "the aggregator holds seq $(held "$A" 33.24.01.2002) of the altered change set"
expect_exit 0 "the unaltered sealed change set is taken" agg ingest -d "$A" "$T/small.lcs"
[ "$(held "$A" 33.24.01.2002)" = 1 ] && ok "and stored" || fail "held $(held "$A" 33.24.01.2002)"

# plain, compressed and sealed forms: the same receipt and the same stored bytes
for f in plain zstd sealed; do
	k=$(agg init -d "$T/$f.agg" --region 33.24) || fail "init $f"
	agg enroll -d "$T/$f.agg" --village 33.24.01.2001 --key "$(origin "$V")" >/dev/null
done
lb changeset -d "$V" --seal-to "$k" >"$T/sealed.lcs" 2>/dev/null # to the last one's key
for f in plain zstd sealed; do
	agg ingest -d "$T/$f.agg" --receipts "$T/$f.rc" "$T/$f.lcs" >/dev/null 2>"$T/err" ||
		fail "ingest $f: $(cat "$T/err")"
done
rcpt() { # RECEIPTS-FILE — origin seq hash root of its first receipt, hex
	python3 - "$1" "$TOOLS" <<'PY'
import sys
sys.path.insert(0, sys.argv[2])
from mpmini import mp_read
f = mp_read(open(sys.argv[1], "rb").read(), 0)[0]
r = f["receipts"][0]
a = mp_read(r, 64)[0]
print(a[2].hex(), a[3], a[4].hex(), a[5].hex())
PY
}
rp=$(rcpt "$T/plain.rc") rz=$(rcpt "$T/zstd.rc") rs=$(rcpt "$T/sealed.rc")
[ -n "$rp" ] && [ "$rp" = "$rz" ] && [ "$rp" = "$rs" ] &&
	[ "$rp" = "$(origin "$V") $(seq_of "$V") $(head_of "$V") $(lb id -d "$V" | awk '$1 == "root" { print $2 }')" ] &&
	ok "plain, compressed and sealed: the same receipt (origin, seq, hash, root: the village's)" ||
	fail "receipts: plain [$rp] zstd [$rz] sealed [$rs]"
for f in plain zstd sealed; do
	"$AUDIT" export -d "$T/$f.agg" --origin "$(origin "$V")" >"$T/$f.lla" 2>"$T/err" || fail "export $f: $(cat "$T/err")"
done
[ -s "$T/plain.lla" ] && cmp -s "$T/plain.lla" "$T/zstd.lla" && cmp -s "$T/plain.lla" "$T/sealed.lla" &&
	ok "plain, compressed and sealed: lumbung-audit export is byte-identical ($(wc -c <"$T/plain.lla") bytes)" ||
	fail "the exports differ"

# --- HTTP ------------------------------------------------------------------------
start_agg "$A" || exit 1
# capture URL-PORT FILE — start a recording proxy; sets CURL, and P1 or P2
capture() {
	python3 "$TOOLS/capproxy.py" "$1" "$2" >"$2.out" 2>&1 &
	_p=$!
	wait_for 10 grep -q "listening on" "$2.out" || fail "capproxy did not start"
	CURL="http://127.0.0.1:$(sed -n 's/^listening on //p' "$2.out")"
	if [ -z "$P1" ]; then P1=$_p; else P2=$_p; fi
}
python3 "$HTTP" GET "$URL/v1/origins/$(origin "$V")" >"$T/get"
python3 -c 'import sys, urllib.request
b = urllib.request.urlopen(sys.argv[1]).read()
sys.exit(b"\xa6accept\x92\xa4zstd\xa6sealed" not in b)' "$URL/v1/origins/$(origin "$V")" &&
	ok "GET /v1/origins advertises accept: [zstd, sealed]" || fail "no accept in $(cat "$T/get")"

capture "$PORT" "$T/cap1"
lb push -d "$V" --to "$CURL" --key "$AK" >"$T/out" 2>"$T/err" || fail "sealed push: $(cat "$T/err")"
contains "$T/out" "sealed" "push reports that it sealed"
grep -qa "Content-Type: application/x-lumbung-sealed" "$T/cap1" && ok "the push went with the sealed Content-Type" ||
	fail "no sealed Content-Type in the capture"
no_leaks "$T/cap1" "$V.jsonl" "the captured push (headers and bodies) holds no NIK, name or field name"
[ "$(held "$A" 33.24.01.2001)" = "$(seq_of "$V")" ] && ok "the aggregator holds the village's tip" ||
	fail "held $(held "$A" 33.24.01.2001) of $(seq_of "$V")"
W="$T/w"
mk_village "$W" 33.24.01.2003 30 12 || fail "village w"
agg enroll -d "$A" --village 33.24.01.2003 --key "$(origin "$W")" >/dev/null
capture "$PORT" "$T/cap2"
lb push -d "$W" --to "$CURL" --key "$AK" --no-seal --no-compress >"$T/out" 2>"$T/err" || fail "plain push: $(cat "$T/err")"
has_leaks "$T/cap2" "$W.jsonl" "control: a --no-seal --no-compress push shows them"
grep -qa "Content-Encoding" "$T/cap2" && fail "--no-compress sent a Content-Encoding" || ok "--no-compress sends no Content-Encoding"
kill "$P1" "$P2" 2>/dev/null
P1="" P2=""

# an old client: plain body, no Content-Encoding
O="$T/o"
mk_village "$O" 33.24.01.2004 5 13 || fail "village o"
agg enroll -d "$A" --village 33.24.01.2004 --key "$(origin "$O")" >/dev/null
lb changeset -d "$O" --plain >"$T/o.plain" 2>/dev/null
lb changeset -d "$O" >"$T/o.zstd" 2>/dev/null
lb changeset -d "$O" --seal-to "$AK" >"$T/o.sealed" 2>/dev/null
lb changeset -d "$O" --seal-to "$BK" >"$T/o.other" 2>/dev/null
# post "description" STATUS CODE FILE HEADER...
post() {
	d=$1 st=$2 code=$3 f=$4
	shift 4
	python3 "$HTTP" POST "$URL/v1/changesets" "$f" "$@" >"$T/reply" 2>&1
	if [ "$(head -1 "$T/reply")" = "$st" ] && grep -q "$code" "$T/reply"; then ok "$d: $st $code"; else
		fail "$d: wanted $st $code, got $(head -c 300 "$T/reply")"; fi
}
MP="Content-Type: application/x-msgpack"
SEALED="Content-Type: application/x-lumbung-sealed"
post "a sealed body announced as msgpack" 400 malformed "$T/o.sealed" "$MP"
post "a zstd body without Content-Encoding" 400 malformed "$T/o.zstd" "$MP"
post "a plain body announced as zstd" 400 malformed "$T/o.plain" "$MP" "Content-Encoding: zstd"
post "a plain body announced as sealed" 400 malformed "$T/o.plain" "$SEALED"
post "a zstd body announced as sealed" 400 malformed "$T/o.zstd" "$SEALED"
post "Content-Encoding: gzip" 415 malformed "$T/o.zstd" "$MP" "Content-Encoding: gzip"
post "a sealed body with a Content-Encoding" 415 malformed "$T/o.sealed" "$SEALED" "Content-Encoding: zstd"
post "Content-Type text/plain" 415 malformed "$T/o.plain" "Content-Type: text/plain"
post "a body sealed to another aggregator" 403 bad_signature "$T/o.other" "$SEALED"
[ "$(held "$A" 33.24.01.2004)" = 0 ] && ok "nothing stored after those refusals" ||
	fail "held $(held "$A" 33.24.01.2004)"
post "an old client's plain POST (no Content-Encoding)" 200 receipt "$T/o.plain" "$MP"
post "the same change set compressed" 200 receipt "$T/o.zstd" "$MP" "Content-Encoding: zstd"
post "the same change set sealed" 200 receipt "$T/o.sealed" "$SEALED"

# an aggregator that advertises no forms, or forms the village does not
# know, gets plain change sets; a malformed `accept` is refused before
# anything is sent
X="$T/x"
mk_village "$X" 33.24.01.2006 20 15 || fail "village x"
agg enroll -d "$A" --village 33.24.01.2006 --key "$(origin "$X")" >/dev/null
for mode in int many str none unknown; do
	python3 "$TOOLS/acceptproxy.py" "$URL" "$mode" "$T/ap.$mode" >"$T/ap.out" 2>"$T/ap.err" &
	P1=$!
	wait_for 10 grep -q "listening on" "$T/ap.out" || fail "acceptproxy did not start: $(cat "$T/ap.err")"
	AURL="http://$(sed -n 's/^listening on //p' "$T/ap.out")"
	: >"$T/ap.$mode"
	case $mode in
	int | many | str)
		expect_exit 23 "accept $mode: the answer is refused" lb push -d "$X" --to "$AURL" --key "$AK"
		contains "$T/err" "accept" "accept $mode: the refusal names the accept field"
		[ ! -s "$T/ap.$mode" ] && ok "accept $mode: nothing was sent" || fail "accept $mode: sent $(cat "$T/ap.$mode")"
		;;
	*)
		lb put -d "$X" aspirasi "A-$mode" pengusul=Warga usulan="Air bersih" tanggal=2026-01-05 status=diusulkan >/dev/null 2>&1
		expect_exit 0 "accept $mode: the push goes through" lb push -d "$X" --to "$AURL" --key "$AK"
		[ -s "$T/ap.$mode" ] && ! grep -qv "^application/x-msgpack|$" "$T/ap.$mode" &&
			ok "accept $mode: every change set went plain (msgpack, no Content-Encoding)" ||
			fail "accept $mode: sent $(cat "$T/ap.$mode")"
		;;
	esac
	kill "$P1" 2>/dev/null
	wait "$P1" 2>/dev/null
	P1=""
done
[ "$(held "$A" 33.24.01.2006)" = "$(seq_of "$X")" ] && ok "the aggregator holds that village's tip" ||
	fail "held $(held "$A" 33.24.01.2006) of $(seq_of "$X")"

# --- village -> kecamatan -> kabupaten, sealed at both hops ------------------------
KEC="$T/kec"
KECK=$(agg init -d "$KEC" --region 33.24.01) || fail "init kec"
R="$T/r"
mk_village "$R" 33.24.01.2005 30 14 || fail "village r"
agg enroll -d "$KEC" --village 33.24.01.2005 --key "$(origin "$R")" >/dev/null &&
	agg enroll -d "$A" --village 33.24.01.2005 --key "$(origin "$R")" >/dev/null || fail "enroll r"
"$AGG_BIN" serve -d "$KEC" --listen 127.0.0.1:0 >"$T/kec.out" 2>>"$T/kec.log" &
KEC_PID=$!
wait_for 10 grep -q "listening on" "$T/kec.out" || fail "kecamatan did not start"
KECPORT=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$T/kec.out")
capture "$KECPORT" "$T/hop1"
lb push -d "$R" --to "$CURL" --key "$KECK" >"$T/out" 2>"$T/err" || fail "push to the kecamatan: $(cat "$T/err")"
capture "$PORT" "$T/hop2"
agg upstream add -d "$KEC" kab "$CURL" --key "$AK" >/dev/null || fail "upstream add"
agg forward -d "$KEC" >"$T/fw" 2>&1 || fail "forward: $(cat "$T/fw")"
for h in hop1 hop2; do
	grep -qa "Content-Type: application/x-lumbung-sealed" "$T/$h" && ok "$h went sealed" ||
		fail "$h: no sealed Content-Type in the capture"
	no_leaks "$T/$h" "$R.jsonl" "$h holds no NIK, name or field name"
done
[ "$(held "$A" 33.24.01.2005)" = "$(seq_of "$R")" ] &&
	ok "the kabupaten holds the relayed village's tip" || fail "kabupaten holds $(held "$A" 33.24.01.2005)"
"$AUDIT" export -d "$A" --origin "$(origin "$R")" >"$T/r.lla" 2>/dev/null &&
	"$AUDIT" verify "$T/r.lla" --key "$(origin "$R")" >/dev/null 2>&1 &&
	ok "the kabupaten's copy verifies against the village's key" || fail "audit of the relayed village"

# a bundle for the kabupaten: each change-set frame sealed to it
agg bundle -d "$KEC" --for kab --all >"$T/kec.lcb" 2>"$T/err" || fail "bundle: $(cat "$T/err")"
python3 - "$T/kec.lcb" <<'PY' && ok "every change-set frame of the bundle is sealed" || fail "a change-set frame of the bundle is not sealed"
import sys
d = open(sys.argv[1], "rb").read()
at, kinds = 4, []
while at < len(d):
    n = int.from_bytes(d[at:at + 4], "big")
    kinds.append(d[at + 4:at + 8])
    at += 4 + n
# statements (a map), change sets, the trailer (a map)
sys.exit(not (len(kinds) >= 3 and all(k == b"LBS1" for k in kinds[1:-1])))
PY
no_leaks "$T/kec.lcb" "$R.jsonl" "the bundle holds no NIK, name or field name"
stop_agg
agg init -d "$T/kab3" --region 33.24 >/dev/null && cp "$A/agg.key" "$A/agg.pub" "$T/kab3/" &&
	agg enroll -d "$T/kab3" --village 33.24.01.2005 --key "$(origin "$R")" >/dev/null || fail "kab3"
agg ingest -d "$T/kab3" "$T/kec.lcb" >"$T/out" 2>"$T/err"
[ "$(held "$T/kab3" 33.24.01.2005)" = "$(seq_of "$R")" ] && ok "the kabupaten's key opens the bundle's change sets" ||
	fail "kab3 holds $(held "$T/kab3" 33.24.01.2005): $(head -c 300 "$T/err")"
agg ingest -d "$B" "$T/kec.lcb" >"$T/out" 2>"$T/err"
grep -q "bad_signature" "$T/err" && [ "$(held "$B" 33.24.01.2005)" = 0 ] &&
	ok "another aggregator cannot open them (bad_signature), nothing stored" ||
	fail "the other aggregator: $(head -c 300 "$T/err")"

done_testing
