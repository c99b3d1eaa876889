#!/bin/sh
# tls.sh — HTTPS between villages and aggregators, and between tiers.
#
# A private CA and server certificates are made here with the openssl
# command (SAN IP:127.0.0.1 and DNS:localhost).  `lumbung-agg serve
# --tls-cert --tls-key` speaks HTTPS only: a village whose remote pins the
# CA (`remote add --cacert`) pushes and its receipts are checked and kept;
# one without the pin, or pinning another CA, is refused with our words
# (the URL, "not trusted", what to do) and nothing reaches the store; a
# plain-HTTP client on the TLS port stores nothing.  A certificate or key
# that is missing, unreadable, not PEM or not each other's makes serve
# exit non-zero naming the file.  restore --from https:// with --cacert;
# a kecamatan forwards to a kabupaten over HTTPS when its upstream pins
# the CA (`upstream add --cacert`), and is refused without it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR

lb() { "$LUMBUNG" "$@"; }
q() { "$@" >/dev/null; }

command -v openssl >/dev/null || { fail "openssl is not installed (tools/deps.sh installs it)"; done_testing; exit 1; }

# --- certificates -------------------------------------------------------------
C="$T/pki"
mkdir -p "$C"
mkca() { # NAME — a self-signed CA
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=Lumbung test $1" -keyout "$C/$1.key" -out "$C/$1.crt" 2>/dev/null
}
mksrv() { # NAME CA — a server certificate for 127.0.0.1 / localhost signed by CA
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$C/ext"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
		-keyout "$C/$1.key" -out "$C/$1.csr" 2>/dev/null &&
		openssl x509 -req -in "$C/$1.csr" -CA "$C/$2.crt" -CAkey "$C/$2.key" -CAcreateserial \
			-days 2 -extfile "$C/ext" -out "$C/$1.crt" 2>/dev/null
}
check "a private CA made with openssl" mkca ca
check "a server certificate signed by it (SAN IP:127.0.0.1, DNS:localhost)" mksrv srv ca
check "another CA" mkca other
check "a server certificate of the other CA" mksrv osrv other
check "the server certificate verifies against the CA (openssl's own check)" \
	sh -c "openssl verify -CAfile '$C/ca.crt' '$C/srv.crt' >/dev/null"

# --- serve refuses certificates and keys it cannot use -----------------------
A="$T/agg"
AK=$(agg init -d "$A" --region 33.24) || fail "agg init"
serve_fails() { # DESCRIPTION WORD options... — serve exits non-zero, stderr names WORD
	_d=$1
	_w=$2
	shift 2
	timeout 10 "$AGG_BIN" serve -d "$A" --listen 127.0.0.1:0 "$@" >"$T/out" 2>"$T/err"
	_rc=$?
	if [ $_rc -ne 0 ] && [ $_rc -ne 124 ] && grep -qF -- "$_w" "$T/err"; then ok "$_d"; else
		fail "$_d (exit $_rc; stdout: $(head -c 200 "$T/out"); stderr: $(head -c 300 "$T/err"))"
	fi
}
serve_fails "serve with a missing certificate file exits non-zero naming it" "$C/none.crt" \
	--tls-cert "$C/none.crt" --tls-key "$C/srv.key"
serve_fails "serve with a missing key file exits non-zero naming it" "$C/none.key" \
	--tls-cert "$C/srv.crt" --tls-key "$C/none.key"
mkdir "$C/dir.crt"
serve_fails "serve with an unreadable certificate (a directory) names it" "$C/dir.crt" \
	--tls-cert "$C/dir.crt" --tls-key "$C/srv.key"
printf 'not a certificate\n' >"$C/junk.pem"
serve_fails "serve with a certificate that is not PEM names it" "$C/junk.pem" \
	--tls-cert "$C/junk.pem" --tls-key "$C/srv.key"
serve_fails "serve with a key that is not PEM names it" "$C/junk.pem" \
	--tls-cert "$C/srv.crt" --tls-key "$C/junk.pem"
serve_fails "serve with the key of another certificate names both files" "$C/osrv.key" \
	--tls-cert "$C/srv.crt" --tls-key "$C/osrv.key"
serve_fails "serve with a certificate but no key says both are needed" "--tls-key" \
	--tls-cert "$C/srv.crt"

# --- serve over HTTPS -----------------------------------------------------------
start_tls() { # DIR CERT KEY — like start_agg, HTTPS; sets AGG_PID, PORT, HURL
	: >"$T/agg.out"
	"$AGG_BIN" serve -d "$1" --listen 127.0.0.1:0 --tls-cert "$2" --tls-key "$3" \
		>"$T/agg.out" 2>>"$T/agg.log" &
	AGG_PID=$!
	wait_for 10 grep -q "listening on" "$T/agg.out" ||
		{ fail "the HTTPS aggregator did not start: $(tail -3 "$T/agg.log")"; return 1; }
	PORT=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$T/agg.out")
	HURL="https://127.0.0.1:$PORT"
}
start_tls "$A" "$C/srv.crt" "$C/srv.key" || { done_testing; exit 1; }
ok "serve --tls-cert --tls-key starts"
check "curl with the CA reads /v1/challenge over HTTPS (independent client)" \
	sh -c "curl -sf --cacert '$C/ca.crt' '$HURL/v1/challenge' >/dev/null"

mk_village() { # DIR CODE COUNT SEED
	lb init -d "$1" --village "$2" >/dev/null 2>&1 &&
		"$GEN" --village "$2" --count "$3" --seed "$4" >"$T/gen.jsonl" &&
		lb put -d "$1" --batch "$T/gen.jsonl" >/dev/null 2>&1 &&
		agg enroll -d "$A" --village "$2" --key "$(origin "$1")" >/dev/null
}
check "village 1: 200 records, enrolled" mk_village "$T/v1" 33.24.01.2001 200 1
check "village 2: 150 records, enrolled" mk_village "$T/v2" 33.24.01.2002 150 2
check "village 3: 100 records, enrolled" mk_village "$T/v3" 33.24.01.2003 100 3

# nothing of village V at the aggregator (no row, or seq 0)
nothing_of() { s=$(agg_field "$1" seq); [ -z "$s" ] || [ "$s" = 0 ]; }

# --- without the pin: refused in our words, nothing stored ---------------------
check "remote add of the https URL without --cacert" q lb remote add -d "$T/v2" kab "$HURL" --key "$AK"
expect_exit 23 "push to the private certificate without --cacert is refused" lb push -d "$T/v2" --quiet
contains "$T/err" "$HURL" "the refusal names the URL"
contains "$T/err" "certificate is not trusted" "the refusal says the certificate is not trusted"
contains "$T/err" "--cacert FILE" "the refusal says what to do (pin the CA with --cacert)"
contains "$T/err" "SSL certificate problem" "curl's own detail follows ours"
check "nothing of village 2 stored" nothing_of 33.24.01.2002

# --- pinning another CA: refused the same way ----------------------------------
check "remote add pinning another CA" q lb remote add -d "$T/v3" kab "$HURL" --key "$AK" --cacert "$C/other.crt"
expect_exit 23 "push to a certificate from another CA is refused" lb push -d "$T/v3" --quiet
contains "$T/err" "$HURL: the server's certificate is not trusted" "the refusal names the URL and says why"
check "nothing of village 3 stored" nothing_of 33.24.01.2003

# --- remote add --cacert refuses what is not a certificate ---------------------
expect_exit 5 "remote add --cacert with a missing file" \
	lb remote add -d "$T/v3" k2 "$HURL" --cacert "$C/none.crt"
contains "$T/err" "$C/none.crt" "the error names the file"
expect_exit 3 "remote add --cacert with a file that is not PEM" \
	lb remote add -d "$T/v3" k2 "$HURL" --cacert "$C/junk.pem"
contains "$T/err" "$C/junk.pem" "the error names the file"
expect_exit 3 "remote add --cacert with the CA's private key instead" \
	lb remote add -d "$T/v3" k2 "$HURL" --cacert "$C/ca.key"
lb remote ls -d "$T/v3" >"$T/ls"
[ "$(grep -c . "$T/ls")" -eq 1 ] && ok "refused remotes were not stored" || fail "remote ls: $(cat "$T/ls")"

# --- plain HTTP to the TLS port: nothing stored --------------------------------
expect_exit 22 "a plain-HTTP push to the HTTPS port fails" \
	lb push -d "$T/v3" --to "http://127.0.0.1:$PORT" --key "$AK" --quiet
contains "$T/err" "the URL starts with https://" "the failure suggests https://"
check "nothing of village 3 stored after the plain-HTTP attempt" nothing_of 33.24.01.2003
kill -0 "$AGG_PID" 2>/dev/null && ok "the aggregator still runs" || fail "the aggregator died"

# --- with the pin: pushes, receipts checked and kept ---------------------------
check "remote add --cacert pins the CA" q lb remote add -d "$T/v1" kab "$HURL" --key "$AK" --cacert "$C/ca.crt"
lb remote ls -d "$T/v1" >"$T/ls"
contains "$T/ls" "(CA pinned)" "remote ls says the CA is pinned"
expect_exit 0 "push over HTTPS with the pinned CA" lb push -d "$T/v1"
same_as_agg "$T/v1" "the aggregator holds village 1's tip and head hash"
contains "$T/out" "receipts checked" "the push checked the receipts"
lb remote ls -d "$T/v1" >"$T/ls"
contains "$T/ls" "receipts up to seq 200" "remote ls shows the receipts kept up to the tip"
lb id -d "$T/v1" --json >"$T/id.json"
check "id --json says the remote's CA is pinned" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["remotes"]
sys.exit(0 if r[0]["ca_pinned"] is True else 1)' "$T/id.json"

# the same pin given on the command line instead of the remote
check "push --to https://... --cacert works without a remote" \
	sh -c "'$LUMBUNG' push -d '$T/v2' --to '$HURL' --key '$AK' --cacert '$C/ca.crt' --quiet >/dev/null 2>'$T/err'"
same_as_agg "$T/v2" "the aggregator holds village 2's tip"

# a remote stored without a CA (the layout from before --cacert) still reads
lb remote ls -d "$T/v2" >"$T/ls"
contains "$T/ls" "kab          $HURL  $AK" "a remote without a CA reads as before"

# --- restore --from https:// ----------------------------------------------------
printf 'kunci lumbung desa\n' >"$T/pass"
LUMBUNG_KEYBACKUP_FAST=1 lb key backup -d "$T/v1" --passphrase-file "$T/pass" >"$T/v1.key.txt" 2>/dev/null ||
	fail "key backup of village 1"
restore() { # NEWDIR options...
	_d=$1
	shift
	lb restore -d "$_d" --village 33.24.01.2001 --restore-key "$T/v1.key.txt" \
		--passphrase-file "$T/pass" --from "$HURL" --agg-key "$AK" "$@"
}
expect_exit 23 "restore --from https:// without --cacert is refused" restore "$T/r0"
contains "$T/err" "certificate is not trusted" "and says the certificate is not trusted"
expect_exit 0 "restore --from https:// --cacert" restore "$T/r1" --cacert "$C/ca.crt"
[ "$(seq_of "$T/r1")" = 200 ] && [ "$(head_of "$T/r1")" = "$(head_of "$T/v1")" ] &&
	ok "the restored node holds the village's log (seq and head)" ||
	fail "restored seq $(seq_of "$T/r1") head $(head_of "$T/r1")"

# --- a kecamatan forwarding to the kabupaten over HTTPS -------------------------
KEC="$T/kec"
KECK=$(agg init -d "$KEC" --region 33.24.01) || fail "kecamatan init"
V4="$T/v4"
lb init -d "$V4" --village 33.24.01.2004 >/dev/null 2>&1 &&
	"$GEN" --village 33.24.01.2004 --count 80 --seed 4 >"$T/gen.jsonl" &&
	lb put -d "$V4" --batch "$T/gen.jsonl" >/dev/null 2>&1 ||
	fail "village 4: init and 80 records"
agg enroll -d "$KEC" --village 33.24.01.2004 --key "$(origin "$V4")" >/dev/null &&
	agg enroll -d "$A" --village 33.24.01.2004 --key "$(origin "$V4")" >/dev/null ||
	fail "village 4 enrolled at both tiers"
lb changeset -d "$V4" >"$T/v4.cs" 2>/dev/null && agg ingest -d "$KEC" "$T/v4.cs" >/dev/null 2>&1 ||
	fail "village 4's change set ingested at the kecamatan"

check "upstream add without --cacert" q agg upstream add -d "$KEC" kab "$HURL" --key "$AK"
agg forward -d "$KEC" >"$T/fwd" 2>&1
if grep -q "certificate is not trusted" "$T/fwd"; then ok "forward without the pin: refused in our words"; else
	fail "forward without the pin: $(head -c 400 "$T/fwd")"; fi
check "nothing of village 4 at the kabupaten" nothing_of 33.24.01.2004
expect_exit 2 "upstream rm --cacert is a usage error" agg upstream rm -d "$KEC" kab --cacert "$C/ca.crt"
expect_exit 5 "upstream add --cacert with a missing file names it" \
	agg upstream add -d "$KEC" kab "$HURL" --key "$AK" --cacert "$C/none.crt"
contains "$T/err" "$C/none.crt" "the error names the file"
check "upstream add --cacert pins the CA" q agg upstream add -d "$KEC" kab "$HURL" --key "$AK" --cacert "$C/ca.crt"
agg upstream ls -d "$KEC" >"$T/ls"
contains "$T/ls" "(CA pinned)" "upstream ls says the CA is pinned"
agg forward -d "$KEC" >"$T/fwd" 2>&1 || fail "forward with the pin: $(head -c 400 "$T/fwd")"
[ "$(agg_field 33.24.01.2004 seq)" = 80 ] && ok "the kabupaten holds village 4's log, forwarded over HTTPS" ||
	fail "village 4 at the kabupaten: $(agg_field 33.24.01.2004 seq); $(head -c 400 "$T/fwd")"

stop_agg
done_testing
