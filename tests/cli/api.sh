#!/bin/sh
# api.sh — the office's read API on a real `lumbung-agg serve` (loopback),
# fed by real villages pushing: tokens and roles (no token, revoked, in the
# query string, a kecamatan token outside its kecamatan, the auditor),
# hostile paths and parameters (never a 500), the report JSON and the CSV
# export byte for byte as the CLI prints them, paging that returns every
# record exactly once while a village pushes more, and the access log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR LUMBUNG_AGG_NO_FIGURES
export LUMBUNG_AGG_NOW_MS=1781000000000 # fixed "now" for server and CLI alike

lb() { "$LUMBUNG" "$@"; }

A="$T/agg"
AK=$(agg init -d "$A" --region 33.24) || fail "agg init"
start_agg "$A"

mk_village() { # DIR CODE COUNT SEED
	lb init -d "$1" --village "$2" >/dev/null 2>&1 &&
		"$GEN" --village "$2" --count "$3" --seed "$4" >"$T/gen.jsonl" &&
		lb put -d "$1" --batch "$T/gen.jsonl" >/dev/null 2>&1 &&
		agg enroll -d "$A" --village "$2" --key "$(origin "$1")" >/dev/null &&
		lb remote add -d "$1" kab "$URL" --key "$AK" >/dev/null 2>&1 &&
		lb push -d "$1" >/dev/null 2>&1
}
check "village 1 (kecamatan 01) pushes 300 records" mk_village "$T/v1" 33.24.01.2001 300 1
check "village 2 (kecamatan 01) pushes 200 records" mk_village "$T/v2" 33.24.01.2002 200 2
check "village 3 (kecamatan 02) pushes 250 records" mk_village "$T/v3" 33.24.02.2001 250 3

# --- tokens -----------------------------------------------------------------
KAB=$(agg token add -d "$A" --name "Bu Sari" --role kabupaten) || fail "token add kabupaten"
KEC=$(agg token add -d "$A" --name "Camat 01" --role kecamatan:33.24.01) || fail "token add kec"
AUD=$(agg token add -d "$A" --name auditor --role auditor) || fail "token add auditor"
OLD=$(agg token add -d "$A" --name "Pak Lama" --role kabupaten) || fail "token add old"
case "$KAB" in lbt_????????????????????????????????????????????????????????????????) ok "a token is lbt_ and 64 hex digits" ;; *) fail "token form: $KAB" ;; esac
expect_exit 0 "token revoke --name" agg token revoke -d "$A" --name "Pak Lama"
agg token ls -d "$A" >"$T/ls"
contains "$T/ls" "kecamatan:33.24.01" "token ls shows roles"
grep -q "Pak Lama.*REVOKED" "$T/ls" && ok "token ls shows the revoked one" || fail "token ls: $(cat "$T/ls")"
! grep -q "${KAB#lbt_}" "$T/ls" && ! grep -qa "${KAB#lbt_}" "$A/data.mdb" &&
	ok "the token itself is stored nowhere (ls, data.mdb)" || fail "token text found in ls or store"
IDT=$(agg token add -d "$A" --name "Pak Id" --role auditor) || fail "token add by id"
TID=$(agg token ls -d "$A" | awk '$2 == "Pak" && $3 == "Id" { print $1 }')
WANT=$(python3 -c 'import hashlib,sys; print(hashlib.blake2b(sys.argv[1].encode(), digest_size=32).hexdigest()[:16])' "$IDT")
[ "$TID" = "$WANT" ] && ok "token ls shows an id: the first 8 bytes of the token's BLAKE2b hash" ||
	fail "token id $TID, wanted $WANT"
expect_exit 0 "token revoke --id" agg token revoke -d "$A" --id "$TID"
expect_exit 1 "token revoke --id of no token is not found" agg token revoke -d "$A" --id 0000000000000000
expect_exit 2 "token revoke needs --name or --id" agg token revoke -d "$A"
expect_exit 7 "a second token of the same name is refused" agg token add -d "$A" --name auditor --role auditor
expect_exit 3 "a role outside the known ones is refused" agg token add -d "$A" --name x --role bupati
expect_exit 3 "a kecamatan outside the region is refused" agg token add -d "$A" --name y --role kecamatan:35.01.01

# req NAME TOKEN PATH [curl args] — status in $T/NAME.code, body $T/NAME, headers $T/NAME.h
req() {
	rq_n=$1 rq_t=$2 rq_p=$3
	shift 3
	curl -s --path-as-is -o "$T/$rq_n" -D "$T/$rq_n.h" -w '%{http_code}' ${rq_t:+-H "Authorization: Bearer $rq_t"} \
		"$@" "$URL$rq_p" >"$T/$rq_n.code" 2>/dev/null
}
status_is() { # NAME CODE description
	if [ "$(cat "$T/$1.code")" = "$2" ]; then ok "$3"; else
		fail "$3 (got $(cat "$T/$1.code"): $(head -c 300 "$T/$1"))"; fi
}
NIK1=$(agg ls penduduk -d "$A" --village 33.24.01.2001 | head -1)
NIK3=$(agg ls penduduk -d "$A" --village 33.24.02.2001 | head -1)
NAME1=$(agg get penduduk "$NIK1" -d "$A" --village 33.24.01.2001 | python3 -c 'import json,sys; print(json.load(sys.stdin)["nama"])')

# --- no token, bad tokens -----------------------------------------------------
req h "" /v1/health
status_is h 200 "/v1/health needs no token"
! grep -q 33.24 "$T/h" && ok "/v1/health says nothing of villages" || fail "health: $(cat "$T/h")"
for p in /v1/villages "/v1/records/penduduk?village=33.24.01.2001" "/v1/records/penduduk/$NIK1?village=33.24.01.2001" \
	/v1/reports/ringkasan /v1/export/penduduk.csv /v1/archive/33.24.01.2001.lla; do
	req n "" "$p"
	if [ "$(cat "$T/n.code")" = 401 ] && grep -qi "^WWW-Authenticate: Bearer" "$T/n.h" &&
		grep -q '"error":"unauthorized"' "$T/n" && ! grep -q "$NIK1" "$T/n" && ! grep -q 33.24.01 "$T/n"; then
		ok "no token: $p is 401 with WWW-Authenticate and no personal data"
	else fail "no token: $p: $(cat "$T/n.code") $(head -c 200 "$T/n")"; fi
done
req r "$OLD" /v1/villages
status_is r 401 "a revoked token is 401"
contains "$T/r" revoked "the refusal says the token was revoked"
req r "$IDT" /v1/villages
status_is r 401 "a token revoked by id is 401"
req r "lbt_0000000000000000000000000000000000000000000000000000000000000000" /v1/villages
status_is r 401 "an unknown token is 401"
req r "" "/v1/villages?token=$KAB"
status_is r 400 "a token in the query string is refused (400)"
req r "" "/v1/records/penduduk?village=33.24.01.2001&access_token=$KAB"
status_is r 400 "an access_token in the query string is refused (400)"
req r "" /v1/villages -H "Cookie: lumbung_token=$KAB"
status_is r 200 "the lumbung_token cookie is taken"
req r "" /v1/villages -H "Authorization: Basic $KAB"
status_is r 401 "Authorization other than Bearer is 401"

# --- the kecamatan token -----------------------------------------------------
req k "$KEC" "/v1/records/penduduk/$NIK3?village=33.24.02.2001"
status_is k 403 "kecamatan token: a record of another kecamatan's village is 403"
! grep -q "$NIK3\"" "$T/k" || fail "the 403 shows the record"
req k "$KEC" "/v1/records/penduduk?village=33.24.02.2001"
status_is k 403 "kecamatan token: another kecamatan's list is 403"
req k "$KEC" "/v1/export/penduduk.csv?village=33.24.02.2001"
status_is k 403 "kecamatan token: another kecamatan's village export is 403"
req k "$KEC" "/v1/export/penduduk.csv?kecamatan=33.24.02"
status_is k 403 "kecamatan token: another kecamatan's export is 403"
req k "$KEC" "/v1/reports/ringkasan?village=33.24.02.2001"
status_is k 403 "kecamatan token: another kecamatan's village report is 403"
req k "$KEC" "/v1/archive/33.24.02.2001.lla"
status_is k 403 "kecamatan token: another kecamatan's archive is 403"
req k "$KEC" /v1/villages
python3 -c 'import json,sys; v=[x["code"] for x in json.load(open(sys.argv[1]))["villages"]]; sys.exit(v != ["33.24.01.2001","33.24.01.2002"])' "$T/k" &&
	ok "kecamatan token: the village list holds its two villages only" || fail "village list: $(head -c 300 "$T/k")"
req k "$KEC" /v1/export/penduduk.csv
status_is k 200 "kecamatan token: export of its own kecamatan"
agg export penduduk -d "$A" --kecamatan 33.24.01 --csv >"$T/k.cli"
cmp -s "$T/k" "$T/k.cli" && ok "kecamatan token: its export is the CLI's --kecamatan 33.24.01 export, byte for byte" ||
	fail "kecamatan export differs"
! grep -q '"33.24.02' "$T/k" && ok "kecamatan token: no row of another kecamatan" || fail "another kecamatan's rows"
req k "$KEC" "/v1/reports/penduduk?per=2026-06-15"
agg report penduduk -d "$A" --kecamatan 33.24.01 --per 2026-06-15 --json >"$T/k.cli"
cmp -s "$T/k" "$T/k.cli" && ok "kecamatan token: a report is the CLI's --kecamatan report, byte for byte" ||
	fail "kecamatan report differs: $(head -c 200 "$T/k")"
! grep -q '33.24.02' "$T/k" && ok "kecamatan token: the report names no village of another kecamatan" || fail "report leaks"

# --- the auditor --------------------------------------------------------------
for p in "/v1/records/penduduk?village=33.24.01.2001" "/v1/records/penduduk/$NIK1?village=33.24.01.2001" \
	/v1/export/penduduk.csv /v1/reports/nik-ganda; do
	req a "$AUD" "$p"
	if [ "$(cat "$T/a.code")" = 403 ] && ! grep -q "$NIK1" "$T/a"; then ok "auditor: $p is 403"; else
		fail "auditor: $p: $(cat "$T/a.code")"; fi
done
req a "$AUD" /v1/archive/33.24.01.2001.lla
status_is a 200 "auditor: the village's archive (.lla) is served"
[ "$(wc -c <"$T/a")" -gt 1000 ] && ok "auditor: the archive holds the log" || fail "archive of $(wc -c <"$T/a") bytes"
req a "$AUD" "/v1/reports/ringkasan?per=2026-06-15"
status_is a 200 "auditor: reports of figures are served"

# --- the same bytes as the CLI -----------------------------------------------
for r in "ringkasan" "penduduk" "kelengkapan"; do
	req rep "$KAB" "/v1/reports/$r?per=2026-06-15"
	agg report "$r" -d "$A" --per 2026-06-15 --json >"$T/rep.cli"
	cmp -s "$T/rep" "$T/rep.cli" && ok "report $r: the API's JSON is lumbung-agg report --json, byte for byte" ||
		fail "report $r differs: $(head -c 200 "$T/rep")"
done
m=$(date -u +%Y-%m)
req rep "$KAB" "/v1/reports/perkembangan?month=$m"
agg report perkembangan -d "$A" --month "$m" --json >"$T/rep.cli"
cmp -s "$T/rep" "$T/rep.cli" && ok "report perkembangan?month=: the API's JSON is the CLI's --month, byte for byte" ||
	fail "perkembangan differs: $(head -c 200 "$T/rep")"
req rep "$KAB" "/v1/reports/perkembangan?month=2026-13"
status_is rep 400 "a month that is not one is a 400"
req rep "$KAB" "/v1/reports/ringkasan?month=2026-05"
status_is rep 400 "month on another report is a 400"
req rep "$KAB" "/v1/reports/penduduk?per=2025-01-31&village=33.24.02.2001"
agg report penduduk -d "$A" --per 2025-01-31 --village 33.24.02.2001 --json >"$T/rep.cli"
cmp -s "$T/rep" "$T/rep.cli" && ok "report penduduk --per --village: the same bytes" || fail "village report differs"
for ty in penduduk keluarga penerima; do
	req csv "$KAB" "/v1/export/$ty.csv"
	agg export "$ty" -d "$A" --csv >"$T/csv.cli"
	if [ "$(cat "$T/csv.code")" = 200 ] && cmp -s "$T/csv" "$T/csv.cli" && [ "$(wc -l <"$T/csv")" -gt 10 ]; then
		ok "export $ty.csv is lumbung-agg export $ty --csv, byte for byte"; else fail "export $ty differs"; fi
done
req x "$KAB" /v1/export/penduduk.xlsx
python3 -c 'import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); sys.exit("xl/workbook.xml" not in z.namelist())' "$T/x" &&
	ok "export .xlsx is a workbook" || fail "xlsx: $(head -c 100 "$T/x")"
req g "$KAB" "/v1/records/penduduk/$NIK1?village=33.24.01.2001"
agg get penduduk "$NIK1" -d "$A" --village 33.24.01.2001 >"$T/g.cli"
python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); sys.exit(a["record"] != b or a["id"] != sys.argv[3])' "$T/g" "$T/g.cli" "$NIK1" &&
	ok "a record is lumbung-agg get's" || fail "record: $(head -c 200 "$T/g")"
contains "$T/g" "$NAME1" "the record holds the resident's name"

# --- the history of one record ----------------------------------------------------
NIKH=$(agg ls penduduk -d "$A" --village 33.24.02.2001 | sed -n 5p)
lb put -d "$T/v3" --merge penduduk "$NIKH" nama="Sri Hartini" >/dev/null 2>&1 || fail "merge in v3"
lb put -d "$T/v3" --merge penduduk "$NIKH" status=pindah >/dev/null 2>&1 || fail "merge in v3"
check "v3 pushes two changes of one resident" lb push -d "$T/v3"
req hi "$AUD" "/v1/history/33.24.02.2001/penduduk/$NIKH"
status_is hi 200 "auditor: the history of a record"
req ar "$AUD" /v1/archive/33.24.02.2001.lla
"$BUILD/lumbung-audit" history "$T/ar" penduduk "$NIKH" --json >"$T/hi.audit" 2>"$T/err" ||
	fail "lumbung-audit history of the API's archive: $(cat "$T/err")"
python3 - "$T/hi" "$T/hi.audit" <<'PY' && ok "the history is lumbung-audit history's (seq, hlc, op, covering head) and carries the bodies" || fail "history: $(head -c 400 "$T/hi")"
import json, sys
api, aud = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
a = [(c["seq"], c["hlc"], c["op"], c["head"]["seq"]) for c in api["changes"]]
b = [(c["seq"], c["hlc"], c["op"], c["head"]["seq"]) for c in aud["changes"]]
names = [c["body"]["nama"] for c in api["changes"]]
sys.exit(not (a == b and len(a) == 3 and names[-2:] == ["Sri Hartini", "Sri Hartini"]
              and api["changes"][-1]["body"]["status"] == "pindah"
              and all(len(c["head"]["signed"]) > 128 for c in api["changes"])))
PY
req hi "$KEC" "/v1/history/33.24.02.2001/penduduk/$NIKH"
status_is hi 403 "kecamatan token: another kecamatan's history is 403"
req hi "$KAB" "/v1/history/33.24.02.2001/penduduk/nobody"
status_is hi 404 "the history of a record never held is 404"
req hi "$KAB" "/v1/history/33.24.02/penduduk/$NIKH"
status_is hi 400 "a history with a bad village code is 400"

# --- hostile paths and parameters: 400/404/405, never 500 ----------------------
bad() { # EXPECTED PATH [curl args]
	_w=$1 _p=$2
	shift 2
	req b "$KAB" "$_p" "$@"
	if [ "$(cat "$T/b.code")" = "$_w" ] && python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(not j.get("error") or not j.get("message"))' "$T/b"; then
		ok "$(printf %.90s "$_p"): $_w with a JSON error"; else fail "$(printf %.90s "$_p"): wanted $_w, got $(cat "$T/b.code"): $(head -c 200 "$T/b")"; fi
}
bad 404 "/v1/records/../.."
bad 404 "/v1/records/%2e%2e/%2e%2e"
bad 404 "/v1/records/penduduk/..?village=33.24.01.2001"
bad 404 "/v1/export/..%2f..%2fetc%2fpasswd.csv"
bad 400 "/v1/export/nothing.csv"
bad 404 "/v1/export/penduduk.exe"
bad 400 "/v1/records/nothing?village=33.24.01.2001"
bad 400 "/v1/records/penduduk?village=33.24.01"
bad 400 "/v1/records/penduduk?village=33.24.01.20011"
bad 400 "/v1/records/penduduk"
bad 400 "/v1/records/penduduk?village=33.24.01.2001&limit=0"
bad 400 "/v1/records/penduduk?village=33.24.01.2001&limit=1001"
bad 400 "/v1/records/penduduk?village=33.24.01.2001&limit=-5"
bad 400 "/v1/records/penduduk?village=33.24.01.2001&limit=12abc"
bad 400 "/v1/records/penduduk?village=33.24.01.2001&limit=99999999999999999999999"
bad 400 "/v1/records/penduduk?village=33.24.01.2001&bogus=1"
bad 400 "/v1/records/penduduk?village=$(head -c 5000 /dev/zero | tr '\0' 9)"
bad 404 "/v1/records/$(head -c 300 /dev/zero | tr '\0' a)?village=33.24.01.2001" # a part over 160 bytes
bad 414 "/v1/records/$(head -c 3000 /dev/zero | tr '\0' a)?village=33.24.01.2001" # a path over 1024
bad 400 "/v1/reports/penduduk?per=2026-02-30"
bad 400 "/v1/reports/penduduk?late-days=x"
bad 404 "/v1/reports/nothing"
bad 404 "/v1/records/penduduk/nobody?village=33.24.01.2001"
bad 400 "/v1/records/penduduk?village=35.01.01.2001"
bad 404 /nothing # (/ is the dashboard, tests/cli/dashboard.sh)
bad 404 /v1/nothing
bad 405 /v1/villages -X POST
grep -q "^Allow: GET" "$T/b.h" && ok "405 names the methods allowed (Allow: GET)" || fail "no Allow header"
bad 400 "/v1/records/penduduk?village=%1b%5b31m33.24.01.2001"
grep -q "$(printf '\033')" "$T/agg.log" && fail "a control byte reached the log unescaped" ||
	ok "a peer's control bytes are escaped in the log"
req o "" /v1/origins/zz
grep -qi "^Content-Type: application/x-msgpack" "$T/o.h" && ok "/v1/origins keeps its msgpack errors for villages" ||
	fail "origins answer: $(cat "$T/o.h")"
grep -q " 500 " "$T/agg.log" && fail "the server answered 500: $(grep ' 500 ' "$T/agg.log" | head -2)" ||
	ok "no request was answered 500"

# --- paging while a village pushes ---------------------------------------------
agg ls penduduk -d "$A" --village 33.24.01.2002 | sort >"$T/before"
"$GEN" --village 33.24.01.2002 --count 1500 --seed 77 >"$T/more.jsonl"
lb put -d "$T/v2" --batch "$T/more.jsonl" >/dev/null 2>&1 || fail "put more records in v2"
lb push -d "$T/v2" --max-bytes 8k >"$T/push.out" 2>&1 &
PUSH=$!
after="" pages=0
: >"$T/paged"
while :; do
	req p "$KAB" "/v1/records/penduduk?village=33.24.01.2002&limit=25${after:+&after=$after}"
	[ "$(cat "$T/p.code")" = 200 ] || { fail "page $pages: $(cat "$T/p.code")"; break; }
	after=$(python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
with open(sys.argv[2], "a") as f:
    for r in j["records"]: f.write(r["id"] + "\n")
print(j["next"] or "")' "$T/p" "$T/paged")
	pages=$((pages + 1))
	[ -n "$after" ] || break
done
pushing_during=no
kill -0 "$PUSH" 2>/dev/null && pushing_during=yes
wait "$PUSH" && ok "v2 pushed 1500 more records while the pages were read (still pushing at the end: $pushing_during)" ||
	fail "push: $(tail -2 "$T/push.out")"
agg ls penduduk -d "$A" --village 33.24.01.2002 | sort >"$T/final"
sort "$T/paged" | uniq -d >"$T/dups"
[ ! -s "$T/dups" ] && ok "paging ($pages pages of 25): no record twice" || fail "records twice: $(head -3 "$T/dups")"
sort -u "$T/paged" >"$T/paged.s"
[ -z "$(comm -23 "$T/before" "$T/paged.s")" ] && ok "every record live before the push is in the pages" ||
	fail "missing from the pages: $(comm -23 "$T/before" "$T/paged.s" | head -3)"
[ -z "$(comm -23 "$T/paged.s" "$T/final")" ] && ok "every paged record is one that was there or was added" ||
	fail "paged records from nowhere"
[ "$(wc -l <"$T/paged.s")" -gt "$(wc -l <"$T/before")" ] && ok "the pages saw records added during the push" ||
	ok "the push finished after the last page (nothing added was seen; still exact)"

# --- exports in flight are bounded ------------------------------------------------
# 32 clients ask for the region's export and never read: their answers
# cannot end, so each holds a stream (a thread, a read snapshot).  The 33rd
# is 503 busy with Retry-After; once they go away, exports are served again.
# A second `serve` of the same store runs in a network namespace whose TCP
# buffers are small (per-namespace sysctl; needs root, as CI has), else the
# kernel would swallow a whole export into one socket's send buffer.
NS=lbapi$$
ip netns add "$NS" 2>"$T/ns.err" && ip netns exec "$NS" ip link set lo up &&
	ip netns exec "$NS" sysctl -qw net.ipv4.tcp_wmem="4096 8192 8192" net.ipv4.tcp_rmem="4096 8192 8192" 2>>"$T/ns.err" ||
	fail "cannot make a network namespace with small TCP buffers (root, ip netns needed): $(cat "$T/ns.err")"
ip netns exec "$NS" "$AGG_BIN" serve -d "$A" --listen 127.0.0.1:0 >"$T/ns.out" 2>"$T/ns.log" &
NSPID=$!
trap 'kill -KILL $NSPID 2>/dev/null; ip netns del "$NS" 2>/dev/null; _agg_cleanup' EXIT
wait_for 10 grep -q "listening on" "$T/ns.out" || fail "serve in the namespace did not start"
NSPORT=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$T/ns.out")
ip netns exec "$NS" python3 - "$NSPORT" "$KAB" 2>"$T/sb.err" <<'PY' && ok "32 exports in flight: the 33rd is 503 with Retry-After; served again once they end" || fail "stream bound: $(tail -1 "$T/sb.err")"
import http.client, socket, sys, time
port, tok = int(sys.argv[1]), sys.argv[2]
req = ("GET /v1/export/penduduk.csv HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer %s\r\n\r\n" % tok).encode()
socks = []
for i in range(32):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    s.connect(("127.0.0.1", port))
    s.sendall(req)
    socks.append(s)
time.sleep(1.5)
def one():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", "/v1/export/penduduk.csv", headers={"Authorization": "Bearer " + tok})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, r.getheader("Retry-After"), body
st, ra, body = one()
if st != 503 or not ra or b'"error":"busy"' not in body:
    sys.exit(f"33rd: {st} {ra} {body[:100]}")
for s in socks:
    s.close()
for _ in range(50):
    time.sleep(0.2)
    st, ra, body = one()
    if st == 200:
        sys.exit(0)
sys.exit(f"after the 32 went away: {st}")
PY
kill "$NSPID" 2>/dev/null
wait "$NSPID" 2>/dev/null
ip netns del "$NS" 2>/dev/null

# --- the access log --------------------------------------------------------------
agg access-log -d "$A" --json >"$T/log.json" || fail "access-log"
python3 - "$T/log.json" "$NIK1" "$NIKH" <<'PY' && ok "every personal read is in the access log with its token's name" || fail "access log: $(head -c 600 "$T/log.json")"
import json, sys
log = json.load(open(sys.argv[1]))
paths = [(e["token"], e["path"]) for e in log]
need = [("Bu Sari", "/v1/records/penduduk/" + sys.argv[2] + "?village=33.24.01.2001"),
        ("Bu Sari", "/v1/export/penduduk.csv"), ("Bu Sari", "/v1/export/keluarga.csv"),
        ("Bu Sari", "/v1/export/penduduk.xlsx"),
        ("Camat 01", "/v1/export/penduduk.csv"), ("auditor", "/v1/archive/33.24.01.2001.lla"),
        ("auditor", "/v1/history/33.24.02.2001/penduduk/" + sys.argv[3])]
missing = [n for n in need if n not in paths]
pages = [p for t, p in paths if p.startswith("/v1/records/penduduk?village=33.24.01.2002")]
sys.exit(1 if missing or len(pages) < 2 or any("health" in p for t, p in paths) else 0)
PY
grep -q health "$T/log.json" && fail "/v1/health is in the access log" || ok "/v1/health is not in the access log"
grep -q '"auditor", "method": "GET", "path": "/v1/records' "$T/log.json" &&
	fail "a refused read was logged as a read" || ok "refused reads are not logged as reads"
agg access-log -d "$A" --since 2000-01-01 | grep -c "Bu Sari" >"$T/c"
[ "$(cat "$T/c")" -gt 5 ] && ok "access-log prints a line per read" || fail "access-log text: $(cat "$T/c")"
[ -z "$(agg access-log -d "$A" --since 2100-01-01)" ] && ok "access-log --since leaves out what came before" ||
	fail "--since"
expect_exit 2 "access-log --since takes a date" agg access-log -d "$A" --since yesterday

stop_agg
done_testing
