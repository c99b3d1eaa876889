#!/bin/sh
# dashboard.sh — the office's dashboard in a real browser: a real
# `lumbung-agg serve` fed by real villages, and headless Chromium driven
# over the DevTools protocol (tests/cli/dashboard.py): the sign-in form
# without a cookie, sign-in with a token (an HttpOnly cookie), the overview's
# names and counts equal to `lumbung-agg report ringkasan --json`, a village
# page with search and a record's history, report pages with charts, a push
# showing up on the open page without a reload, no console errors, and no
# request leaving the server's origin.  In Indonesian and English: the
# browser's language, ?lang=, the ID | EN switch and an aggregator's bahasa
# choose; labels, numbers and times (WIB) per language; every string of the
# pages translated.  Screenshots go to $BUILD/dashboard-*.png (-en, -id).
# Fails (does not skip) when chromium is missing: tools/deps.sh installs it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR LUMBUNG_AGG_NO_FIGURES LUMBUNG_AGG_NOW_MS

CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROME" ]; then
	fail "chromium is installed (tools/deps.sh installs it)"
	done_testing
	exit 1
fi
ok "chromium is installed"

A="$T/agg"
AK=$(agg init -d "$A" --region 33.24) || fail "agg init"
start_agg "$A"

mk_village() { # DIR CODE COUNT SEED NAME
	"$LUMBUNG" init -d "$1" --village "$2" >/dev/null 2>&1 &&
		"$GEN" --village "$2" --count "$3" --seed "$4" >"$T/gen.jsonl" &&
		"$LUMBUNG" put -d "$1" --batch "$T/gen.jsonl" >/dev/null 2>&1 &&
		agg enroll -d "$A" --village "$2" --key "$(origin "$1")" --name "$5" >/dev/null &&
		"$LUMBUNG" remote add -d "$1" kab "$URL" --key "$AK" >/dev/null 2>&1 &&
		"$LUMBUNG" push -d "$1" >/dev/null 2>&1
}
# a name with markup in it: the pages must show it as text
check "village 1 (kecamatan 01) pushes 120 records" mk_village "$T/v1" 33.24.01.2001 120 1 'Sido<b>rejo</b> & "Baru"'
check "village 2 (kecamatan 01) pushes 80 records" mk_village "$T/v2" 33.24.01.2002 80 2 Kaliwungu
check "village 3 (kecamatan 02) pushes 100 records" mk_village "$T/v3" 33.24.02.2001 100 3 Margomulyo
"$LUMBUNG" init -d "$T/v4" --village 33.24.02.2002 >/dev/null 2>&1 &&
	agg enroll -d "$A" --village 33.24.02.2002 --key "$(origin "$T/v4")" --name Sukamaju >/dev/null &&
	ok "village 4 is enrolled and never pushes" || fail "village 4"
check "village 5 pushes, then its key is revoked" mk_village "$T/v5" 33.24.02.2003 30 5 Tegalrejo
agg revoke -d "$A" --key "$(origin "$T/v5")" >/dev/null || fail "revoke village 5"
KAB=$(agg token add -d "$A" --name "Bu Sari" --role kabupaten) || fail "token add"

# What the browser test pushes while the page is open: more residents in village 2.
cat >"$T/push.sh" <<PUSH
"$GEN" --village 33.24.01.2002 --count 40 --seed 9 >"$T/more.jsonl" &&
"$LUMBUNG" put -d "$T/v2" --batch "$T/more.jsonl" >/dev/null 2>&1 &&
"$LUMBUNG" push -d "$T/v2" >/dev/null 2>&1
PUSH

# --- headers and the API without a cookie (curl) ------------------------------
hdr() { curl -s -o "$T/body" -D "$T/h" -w '%{http_code}' "$@"; }
[ "$(hdr "$URL/")" = 200 ] && ok "/ is served" || fail "/: $(cat "$T/h")"
grep -qi "^Content-Type: text/html; charset=utf-8" "$T/h" && ok "/ is text/html" || fail "/ type: $(cat "$T/h")"
grep -qi "^Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'" "$T/h" &&
	ok "/ has the strict Content-Security-Policy" || fail "CSP: $(cat "$T/h")"
grep -qi "^X-Content-Type-Options: nosniff" "$T/h" && ok "/ has nosniff" || fail "nosniff: $(cat "$T/h")"
! grep -qi "<script>\|<style\|style=\|onclick=\|onload=\|http://\|https://" "$T/body" &&
	ok "the page has no inline script or style and names no other site" || fail "inline or remote in /"
for a in app.js:text/javascript app.css:text/css chart.min.js:text/javascript; do
	[ "$(hdr "$URL/assets/${a%%:*}")" = 200 ] && grep -qi "^Content-Type: ${a#*:}" "$T/h" &&
		grep -qi "^X-Content-Type-Options: nosniff" "$T/h" &&
		ok "/assets/${a%%:*} is ${a#*:} with nosniff" || fail "/assets/${a%%:*}: $(cat "$T/h")"
done
cmp -s "$T/body" /usr/share/javascript/chart.js/chart.min.js && ok "Chart.js is the system's, built in" ||
	fail "chart.min.js differs from libjs-chart.js's"
[ "$(hdr "$URL/assets/nothing.js")" = 404 ] && ok "an unknown asset is 404" || fail "unknown asset: $(cat "$T/h")"
[ "$(hdr "$URL/v1/villages")" = 401 ] && ok "without a cookie the API answers 401" || fail "no cookie: $(cat "$T/h")"
[ "$(hdr "$URL/v1/session")" = 200 ] && grep -q '"signed_in":false' "$T/body" &&
	ok "GET /v1/session without a cookie: not signed in" || fail "session: $(cat "$T/body")"
grep -q '"bahasa":null' "$T/body" && ok "an aggregator without a bahasa says bahasa null" ||
	fail "bahasa: $(cat "$T/body")"

# A second aggregator whose bahasa is English (LUMBUNG_BAHASA): its pages
# default to English whatever the browser speaks.
A2="$T/agg-en"
agg init -d "$A2" --region 33.25 >/dev/null || fail "agg init (English)"
LUMBUNG_BAHASA=en "$AGG_BIN" serve -d "$A2" --listen 127.0.0.1:0 >"$T/agg-en.out" 2>"$T/agg-en.log" &
AGG_EN_PID=$!
trap 'kill -KILL "$AGG_EN_PID" 2>/dev/null; _agg_cleanup' EXIT
i=0
while ! grep -q ":[0-9][0-9]*$" "$T/agg-en.out" 2>/dev/null && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.1; done
URL_EN="http://127.0.0.1:$(sed -n 's/^.*:\([0-9][0-9]*\)$/\1/p' "$T/agg-en.out" | head -1)"
[ "$(hdr "$URL_EN/v1/session")" = 200 ] && grep -q '"bahasa":"en"' "$T/body" &&
	ok "an aggregator with bahasa en says so in GET /v1/session" || fail "bahasa en: $(cat "$T/body" "$T/agg-en.log")"
post() { hdr -X POST -H "Content-Type: application/json" "$@"; }
[ "$(post --data "{\"token\":\"lbt_$(printf '%064d' 0)\"}" "$URL/v1/session")" = 401 ] &&
	! grep -qi "^Set-Cookie" "$T/h" && ok "a sign-in with an unknown token is 401, no cookie" || fail "bad token: $(cat "$T/h")"
[ "$(post --data '{"tok":1}' "$URL/v1/session")" = 400 ] && ok "a sign-in without a token is 400" || fail "no token: $(cat "$T/h")"
[ "$(hdr -X POST -H "Content-Type: application/x-www-form-urlencoded" --data "token=$KAB" "$URL/v1/session")" = 415 ] &&
	ok "a sign-in that is not JSON is 415 (no cross-site form can post it)" || fail "form post: $(cat "$T/h")"
[ "$(post -H "Origin: http://evil.example" --data "{\"token\":\"$KAB\"}" "$URL/v1/session")" = 403 ] &&
	! grep -qi "^Set-Cookie" "$T/h" && ok "a sign-in from another origin is 403" || fail "cross-origin: $(cat "$T/h")"
[ "$(post --data "{\"token\":\"$KAB\"}" "$URL/v1/session")" = 200 ] &&
	grep -qi "^Set-Cookie: lumbung_token=$KAB; HttpOnly; SameSite=Strict; Path=/" "$T/h" && ! grep -qi "Secure" "$T/h" &&
	ok "a sign-in with a valid token sets the HttpOnly, SameSite=Strict cookie" || fail "sign-in: $(cat "$T/h")"
[ "$(hdr -H "Cookie: lumbung_token=$KAB" "$URL/v1/villages")" = 200 ] && ok "the API accepts the cookie" ||
	fail "cookie: $(cat "$T/h")"
[ "$(post "$URL/v1/session/end")" = 200 ] && grep -qi "^Set-Cookie: lumbung_token=; Max-Age=0" "$T/h" &&
	ok "POST /v1/session/end clears the cookie" || fail "end: $(cat "$T/h")"
head -c 5000 /dev/zero | tr '\0' a >"$T/big"
[ "$(post --data-binary @"$T/big" "$URL/v1/session")" = 413 ] && ok "a long sign-in body is 413" ||
	fail "big body: $(cat "$T/h")"

# --- the browser --------------------------------------------------------------
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
"$PY" "$(dirname "$0")/dashboard.py" "$URL" "$KAB" "$AGG_BIN" "$A" "$T/push.sh" "$BUILD" "$CHROME" "$T" "$URL_EN" >"$T/py.out" 2>"$T/py.err"
rc=$?
while IFS= read -r l; do
	case $l in "ok - "*) ok "${l#ok - }" ;; "not ok - "*) fail "${l#not ok - }" ;; esac
done <"$T/py.out"
[ $rc -eq 0 ] && ok "the browser test ran to its end" || fail "the browser test: exit $rc: $(tail -5 "$T/py.err")"
grep -q "WEB signed in: token \"Bu Sari\"" "$T/agg.log" && ok "the server logs who signed in" ||
	fail "no sign-in in the log: $(tail -3 "$T/agg.log")"
! grep -q "$KAB" "$T/agg.log" && ok "the token itself is never logged" || fail "token in the log"
kill "$AGG_EN_PID" 2>/dev/null && wait "$AGG_EN_PID" 2>/dev/null

# every string of the pages (t()/tn() in app.js) has its Indonesian in po/
out=$(cd "$(dirname "$0")/../.." && sh tools/i18n_check.sh agg/web/app.js 2>&1) &&
	ok "every string of the dashboard is translated (tools/i18n_check.sh)" || fail "untranslated: $out"
done_testing
