#!/bin/sh
# catalogue_up.sh — a kecamatan's own catalogue travels up to its
# kabupaten (POST /v1/catalogues/{region}/log) before its villages' data.
# A village of the kecamatan writes a penerima naming a programme of the
# kecamatan's catalogue; the kecamatan forwards; the kabupaten accepts the
# village's log (it refused it with "no such program record" before, and
# the village stayed stuck there) and its bantuan counts the penerima under
# the kecamatan's programme.  The kabupaten does not offer that catalogue
# in its own list (its villages would refuse a key they do not trust).
# Refused, nothing kept: a catalogue signed by another key than the
# kecamatan's enrolled aggregator (another kecamatan's), one for a
# kecamatan with no aggregator enrolled, a revoked one, a rollback, a gap,
# a malformed body, a body of the wrong type.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR
lb() { "$LUMBUNG" "$@"; }

# post URL FILE [TYPE] — POST FILE; prints the status, the answer in $T/post
post() {
	python3 - "$1" "$2" "${3:-application/x-lumbung-lla}" "$T/post" <<'EOF'
import sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[1], data=open(sys.argv[2], "rb").read(),
                             headers={"Content-Type": sys.argv[3]}, method="POST")
try:
    r = urllib.request.urlopen(req, timeout=30)
    code, body = r.status, r.read()
except urllib.error.HTTPError as e:
    code, body = e.code, e.read()
open(sys.argv[4], "wb").write(body)
print(code)
EOF
}

# get URL — GET; prints the status, the answer in $T/get
get() {
	python3 - "$1" "$T/get" <<'EOF'
import sys, urllib.request, urllib.error
try:
    r = urllib.request.urlopen(sys.argv[1], timeout=30)
    code, body = r.status, r.read()
except urllib.error.HTTPError as e:
    code, body = e.code, e.read()
open(sys.argv[2], "wb").write(body)
print(code)
EOF
}

# field FILE KEY — a top-level field of a JSON answer
field() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

# kab_seq — the seq of the kecamatan's catalogue held at the kabupaten
kab_seq() { get "$KAB_URL/v1/catalogues/33.24.01" >/dev/null && field "$T/get" seq; }

catput() { # DIR KODE NAMA
	agg catalogue put -d "$1" program "$2" kode="$2" nama="$3" bidang=sosial \
		sumber_dana=bantuan_kabupaten anggaran:=50000000 tahun:=2026 target_penerima:=40 \
		>/dev/null 2>"$T/catput.err" || fail "catalogue put $2 at $1: $(cat "$T/catput.err")"
}

KAB="$T/kab" KEC="$T/kec" KEC2="$T/kec2" KEC3="$T/kec3"
KAB_KEY=$(agg init -d "$KAB" --region 33.24) || fail "init kabupaten"
KEC_KEY=$(agg init -d "$KEC" --region 33.24.01) || fail "init kecamatan"
KEC2_KEY=$(agg init -d "$KEC2" --region 33.24.02) || fail "init a second kecamatan"
agg init -d "$KEC3" --region 33.24.03 >/dev/null || fail "init a kecamatan not enrolled"
# another aggregator claiming kecamatan 33.24.01, not the one enrolled
agg init -d "$T/kecx" --region 33.24.01 >/dev/null || fail "init another 33.24.01"
agg enroll-aggregator -d "$KAB" --region 33.24.01 --key "$KEC_KEY" >/dev/null ||
	fail "the kabupaten enrols the kecamatan"
agg enroll-aggregator -d "$KAB" --region 33.24.02 --key "$KEC2_KEY" >/dev/null ||
	fail "the kabupaten enrols the second kecamatan"
catput "$KEC" KEC-GOTONG "Gotong Royong Kecamatan"
catput "$KEC2" KEC2-SEHAT "Posyandu Kecamatan Dua"
catput "$KEC3" KEC3-AIR "Air Bersih Kecamatan Tiga"
catput "$T/kecx" KEC-GOTONG "Gotong Royong Palsu"
agg catalogue export -d "$KEC" >"$T/kec1.lla" 2>/dev/null || fail "export kec"
agg catalogue export -d "$KEC2" >"$T/kec2.lla" 2>/dev/null || fail "export kec2"
agg catalogue export -d "$KEC3" >"$T/kec3.lla" 2>/dev/null || fail "export kec3"
agg catalogue export -d "$T/kecx" >"$T/kecx.lla" 2>/dev/null || fail "export kecx"

N="$T/desa"
lb init -d "$N" --village 33.24.01.2001 >/dev/null 2>&1 || fail "init village"
agg enroll -d "$KEC" --village 33.24.01.2001 --key "$(origin "$N")" >/dev/null ||
	fail "the kecamatan enrols the village"

start_agg "$KAB" || exit 1
KAB_URL=$URL KAB_PID=$AGG_PID
trap 'kill -KILL $KAB_PID 2>/dev/null; _agg_cleanup' EXIT
agg upstream add -d "$KEC" kab "$KAB_URL" --key "$KAB_KEY" >/dev/null 2>&1 || fail "upstream add"

# ---- the village takes the kecamatan's catalogue and names its programme
start_agg "$KEC" || exit 1
lb remote add -d "$N" kec "$URL" --key "$KEC_KEY" --upstream-key "$KAB_KEY" >/dev/null ||
	fail "remote add"
expect_exit 0 "the village pushes to its kecamatan" lb push -d "$N"
contains "$T/out" "catalogue 33.24.01: took 1 entries" "and takes the kecamatan's catalogue"
expect_exit 0 "a penerima of the kecamatan's programme is written" \
	lb put -d "$N" penerima P-1 program=KEC-GOTONG nik=3324014501900001 tanggal=2026-02-01 \
	bentuk=uang nilai:=600000 status=disalurkan
expect_exit 0 "the kecamatan accepts it" lb push -d "$N"
stop_agg

# ---- the kecamatan forwards: its catalogue first, then the village
expect_exit 0 "the kecamatan's forward pass" agg forward -d "$KEC"
contains "$T/out" "1 entries of our own catalogue sent up" "the pass sends the catalogue up"
if grep -q "no such program record" "$T/out" "$T/err"; then
	fail "the kabupaten refused the village's change set: $(grep -h record "$T/out" "$T/err")"
else ok "the kabupaten does not refuse the village's change set"; fi
[ "$(kab_seq)" = 1 ] && ok "the kabupaten holds the kecamatan's catalogue at seq 1" ||
	fail "GET /v1/catalogues/33.24.01 at the kabupaten: $(cat "$T/get")"
[ "$(field "$T/get" key)" = "$KEC_KEY" ] && ok "under the kecamatan's key" ||
	fail "key: $(cat "$T/get")"
check "the kabupaten keeps a replica, without a secret key" \
	sh -c "test -s \"$KAB/catalogues/33.24.01/data.mdb\" && test ! -e \"$KAB/catalogues/33.24.01/node.key\""
agg status -d "$KAB" --json >"$T/status" 2>&1
python3 - "$T/status" "$(lb id -d "$N" | awk '$1 == "seq" { print $2 }')" <<'EOF' >"$T/check" 2>&1
import json, sys
v = [v for v in json.load(open(sys.argv[1]))["villages"] if v["village"] == "33.24.01.2001"]
assert v and str(v[0]["seq"]) == sys.argv[2], (v, sys.argv[2])
print("ok")
EOF
[ "$(cat "$T/check")" = ok ] && ok "the kabupaten holds the village's whole log" ||
	fail "the village at the kabupaten: $(cat "$T/check")"
expect_exit 0 "report bantuan --json at the kabupaten" agg report bantuan -d "$KAB" --json
python3 - "$T/out" <<'EOF' >"$T/check" 2>&1
import json, sys
d = json.load(open(sys.argv[1]))
tot = [r for r in d["total"] if r.get("program") == "KEC-GOTONG"]
assert len(tot) == 1, d["total"]
t = tot[0]
for k, v in {"penerima": 1, "disalurkan": 1, "nilai": 600000, "anggaran": 50000000,
             "target": 40, "nama_program": "Gotong Royong Kecamatan"}.items():
    assert t[k] == v, (k, t[k], v)
print("ok")
EOF
[ "$(cat "$T/check")" = ok ] &&
	ok "bantuan counts the penerima under the kecamatan's programme, named from its catalogue" ||
	fail "bantuan: $(cat "$T/check")"
expect_exit 0 "a second pass" agg forward -d "$KEC"
if grep -q "of our own catalogue sent up" "$T/out"; then fail "a second pass sends nothing again"
else ok "a second pass sends nothing again"; fi

# ---- the kabupaten's list for villages does not offer it
[ "$(get "$KAB_URL/v1/catalogues")" = 200 ] && ! grep -q 33.24.01 "$T/get" &&
	grep -q '"33.24"' "$T/get" &&
	ok "GET /v1/catalogues at the kabupaten offers its own, not the kecamatan's" ||
	fail "the kabupaten's list: $(cat "$T/get")"
N2="$T/desa2"
lb init -d "$N2" --village 33.24.02.2001 >/dev/null 2>&1 || fail "init a village of kec2"
agg enroll -d "$KAB" --village 33.24.02.2001 --key "$(origin "$N2")" >/dev/null || fail "enrol N2"
lb remote add -d "$N2" kab "$KAB_URL" --key "$KAB_KEY" >/dev/null || fail "remote add N2"
expect_exit 0 "a village of another kecamatan pushing to the kabupaten" lb push -d "$N2"
if grep -q "33.24.01" "$T/out" "$T/err"; then
	fail "the village was offered the kecamatan's catalogue: $(cat "$T/out" "$T/err")"
else ok "is not offered the kecamatan's catalogue (no refusal to report)"; fi

# ---- refusals: nothing kept
[ "$(post "$KAB_URL/v1/catalogues/33.24.01/log" "$T/kecx.lla")" = 403 ] &&
	ok "a catalogue of the kecamatan signed by another key is refused (403)" ||
	fail "another key: $(cat "$T/post")"
[ "$(field "$T/post" error)" = bad_signature ] && ok "with a JSON error" || fail "error: $(cat "$T/post")"
[ "$(post "$KAB_URL/v1/catalogues/33.24.01/log" "$T/kec2.lla")" = 403 ] &&
	ok "another kecamatan's catalogue sent as this one's is refused (403)" ||
	fail "another kecamatan's: $(cat "$T/post")"
[ "$(kab_seq)" = 1 ] && ok "the kecamatan's catalogue is unchanged" || fail "after another key"
get "$KAB_URL/v1/catalogues/33.24.01/log?from=1" >/dev/null
cmp -s "$T/get" "$T/kec1.lla" && ok "byte for byte the kecamatan's own log" ||
	fail "the kabupaten's copy differs from the kecamatan's"
[ "$(post "$KAB_URL/v1/catalogues/33.24.02/log" "$T/kec1.lla")" = 403 ] &&
	ok "a kecamatan's catalogue sent for another kecamatan's region is refused (403)" ||
	fail "another region: $(cat "$T/post")"
check "nothing is kept for that region" test ! -e "$KAB/catalogues/33.24.02"
[ "$(post "$KAB_URL/v1/catalogues/33.24.03/log" "$T/kec3.lla")" = 403 ] &&
	ok "a kecamatan with no aggregator enrolled is refused (403)" ||
	fail "not enrolled: $(cat "$T/post")"
contains "$T/post" "no aggregator is enrolled here for kecamatan 33.24.03" "the refusal says why"
check "nothing is kept for it" test ! -e "$KAB/catalogues/33.24.03"
[ "$(post "$KAB_URL/v1/catalogues/33.25.01/log" "$T/kec1.lla")" = 403 ] &&
	ok "a kecamatan outside the kabupaten is refused (403)" || fail "outside: $(cat "$T/post")"
[ "$(post "$KAB_URL/v1/catalogues/33.24/log" "$T/kec1.lla")" = 400 ] &&
	ok "the kabupaten's own region is no kecamatan (400)" || fail "own region: $(cat "$T/post")"
printf 'not an archive' >"$T/junk"
[ "$(post "$KAB_URL/v1/catalogues/33.24.01/log" "$T/junk")" = 400 ] &&
	ok "a malformed body is refused (400)" || fail "junk: $(cat "$T/post")"
[ "$(post "$KAB_URL/v1/catalogues/33.24.01/log" "$T/kec1.lla" application/x-msgpack)" = 415 ] &&
	ok "a body of another type is refused (415)" || fail "type: $(cat "$T/post")"

# ---- a newer catalogue goes up; an older one is then a rollback, a gap
# is refused
catput "$KEC" KEC-JALAN "Jalan Usaha Tani"
catput "$KEC" KEC-SAMPAH "Bank Sampah"
agg catalogue export -d "$KEC" --from 3 >"$T/tail3.lla" 2>/dev/null || fail "export --from 3"
[ "$(post "$KAB_URL/v1/catalogues/33.24.01/log" "$T/tail3.lla")" = 409 ] &&
	ok "a tail with a gap is refused (409)" || fail "gap: $(cat "$T/post")"
expect_exit 0 "the next pass" agg forward -d "$KEC"
contains "$T/out" "2 entries of our own catalogue sent up" "sends the two new entries"
[ "$(kab_seq)" = 3 ] && ok "the kabupaten is at seq 3" || fail "after the pass: $(cat "$T/get")"
[ "$(post "$KAB_URL/v1/catalogues/33.24.01/log" "$T/kec1.lla")" = 409 ] &&
	ok "the older catalogue is refused as a rollback (409)" || fail "rollback: $(cat "$T/post")"
contains "$T/post" "rollback" "the refusal says rollback"
[ "$(kab_seq)" = 3 ] && ok "the last good one is kept" || fail "after the rollback"
agg revoke-aggregator -d "$KAB" --key "$KEC2_KEY" >/dev/null || fail "revoke kec2"
[ "$(post "$KAB_URL/v1/catalogues/33.24.02/log" "$T/kec2.lla")" = 403 ] &&
	ok "a revoked kecamatan's catalogue is refused (403)" || fail "revoked: $(cat "$T/post")"
check "nothing is kept for the revoked one" test ! -e "$KAB/catalogues/33.24.02"

# ---- a kecamatan's programme is for its own villages only: a village of
# another kecamatan that took that catalogue in itself cannot use it
expect_exit 0 "a village of kecamatan 33.24.02 imports 33.24.01's catalogue itself" \
	lb catalogue import -d "$N2" "$T/kec1.lla" --key "$KEC_KEY"
expect_exit 0 "its node then accepts a penerima of that kecamatan's programme" \
	lb put -d "$N2" penerima P-9 program=KEC-GOTONG nik=3324024501900001 tanggal=2026-02-01 \
	bentuk=uang nilai:=600000 status=disalurkan
lb push -d "$N2" >"$T/out" 2>"$T/err"
rc=$?
[ $rc -ne 0 ] && ok "the kabupaten refuses it (exit $rc)" || fail "the kabupaten took another kecamatan's programme"
contains "$T/err" "KEC-GOTONG" "the refusal names the programme"

done_testing
