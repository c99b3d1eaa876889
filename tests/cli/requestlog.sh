#!/bin/sh
# requestlog.sh — what `lumbung-agg serve` tells its operator (issue 14):
# one log line per request with its time, client, village, origin prefix,
# result name, entries, bytes and milliseconds; the same as JSON with
# --log-json; GET /metrics in the Prometheus text format, parsed here by
# its own rules (not by our code), with counters that move after a push and
# after a refused push; GET /v1/health.  Peer bytes never reach the log raw.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR
export LUMBUNG_CONFIG= LUMBUNG_AGG_CONFIG=
lb() { "$LUMBUNG" "$@"; }
PY=python3

A="$T/agg"
AK=$(agg init -d "$A" --region 33.24) || fail "agg init"
V="$T/v"
lb init -d "$V" --village 33.24.01.2001 >/dev/null 2>&1
"$GEN" --village 33.24.01.2001 --count 7 --seed 5 | lb put -d "$V" --batch >/dev/null 2>&1 ||
	fail "generate"
ORIGIN=$(origin "$V")
agg enroll -d "$A" --village 33.24.01.2001 --key "$ORIGIN" >/dev/null || fail "enroll"
# a second village the aggregator does not know: its push is refused
W="$T/w"
lb init -d "$W" --village 33.24.01.2002 >/dev/null 2>&1
"$GEN" --village 33.24.01.2002 --count 2 --seed 6 | lb put -d "$W" --batch >/dev/null 2>&1
WORIGIN=$(origin "$W")
start_agg "$A" || exit 1

get() { # get PATH OUT — status on the first line of OUT, then the body
	$PY "$HTTP" GET "$URL$1" >"$2" 2>&1
}

# ---- metrics: the exposition format, checked by its own rules ----------------
# parse FILE: every line a HELP, a TYPE or a well-formed sample; every
# sample's family has HELP and TYPE before it; counters end in _total;
# prints "name{labels sorted} value" per sample for the checks below.
cat >"$T/prom.py" <<'EOF'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
errs = []
if not text.endswith("\n"):
    errs.append("the text does not end with a newline")
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(r"^(%s)(\{(?:%s)(?:,%s)*\})? (\S+)$" % (NAME, LABEL, LABEL))
helps, types, out = {}, {}, []
for n, line in enumerate(text.splitlines(), 1):
    if line.startswith("# HELP "):
        m = re.match(r"^# HELP (%s) (.+)$" % NAME, line)
        if not m or m.group(1) in helps:
            errs.append("line %d: bad or repeated HELP: %r" % (n, line))
        else:
            helps[m.group(1)] = n
        continue
    if line.startswith("# TYPE "):
        m = re.match(r"^# TYPE (%s) (counter|gauge|histogram|summary|untyped)$" % NAME, line)
        if not m or m.group(1) in types:
            errs.append("line %d: bad or repeated TYPE: %r" % (n, line))
        else:
            types[m.group(1)] = (m.group(2), n)
        continue
    if line.startswith("#") or not line:
        errs.append("line %d: neither a sample nor HELP/TYPE: %r" % (n, line))
        continue
    m = SAMPLE.match(line)
    if not m:
        errs.append("line %d: malformed sample: %r" % (n, line))
        continue
    name, labels, value = m.group(1), m.group(2) or "", m.group(3)
    try:
        float(value)
    except ValueError:
        errs.append("line %d: value %r is not a number" % (n, value))
    if name not in helps or name not in types:
        errs.append("line %d: %s has no HELP or TYPE before it" % (n, name))
    elif types[name][0] == "counter" and not name.endswith("_total"):
        errs.append("line %d: counter %s does not end in _total" % (n, name))
    pairs = sorted(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', labels))
    key = name + ("{" + ",".join('%s="%s"' % p for p in pairs) + "}" if pairs else "")
    out.append("%s %s" % (key, value))
for e in errs:
    print("ERROR " + e)
for o in out:
    print(o)
sys.exit(1 if errs else 0)
EOF
# value FILE SAMPLE — the value of one sample in parsed output (empty if absent)
value() { awk -v k="$2" '$1 == k { print $2 }' "$1" 2>/dev/null; }

scrape() { # scrape NAME — GET /metrics into $T/NAME.txt, parsed into $T/NAME
	if $PY - "$URL/metrics" "$T/$1.txt" >"$T/$1.raw" 2>&1 <<'EOF'
import sys, urllib.request
r = urllib.request.urlopen(sys.argv[1], timeout=20)
assert r.status == 200, r.status
ct = r.headers["Content-Type"]
assert ct == "text/plain; version=0.0.4; charset=utf-8", ct
open(sys.argv[2], "wb").write(r.read())
EOF
	then
		if $PY "$T/prom.py" "$T/$1.txt" >"$T/$1" 2>&1; then
			ok "/metrics ($1): 200 without a token, every line well formed, HELP and TYPE present"
		else
			fail "/metrics ($1): $(grep ERROR "$T/$1" | head -3)"
		fi
	else
		fail "/metrics ($1): $(head -c 300 "$T/$1.raw")"
	fi
}

scrape before
[ "$(value "$T/before" lumbung_villages_enrolled)" = 1 ] && ok "one village enrolled" ||
	fail "villages enrolled: $(value "$T/before" lumbung_villages_enrolled)"
[ "$(value "$T/before" 'lumbung_village_seq{village="33.24.01.2001"}')" = 0 ] &&
	[ -z "$(value "$T/before" 'lumbung_village_lag_seconds{village="33.24.01.2001"}')" ] &&
	ok "a village never heard from: seq 0 and no lag" ||
	fail "never heard from: $(grep 'village=' "$T/before")"
VERSION=$(agg --version | awk '{ print $2 }')
[ "$(value "$T/before" "lumbung_build_info{version=\"$VERSION\"}")" = 1 ] &&
	ok "the build version is in lumbung_build_info" || fail "build_info: $(grep build_info "$T/before")"
START=$(value "$T/before" process_start_time_seconds)
$PY -c 'import sys, time; t = float(sys.argv[1]); sys.exit(0 if time.time() - 600 < t <= time.time() else 1)' \
	"${START:-0}" && ok "process_start_time_seconds is when the server started" ||
	fail "process_start_time_seconds: $START"

# ---- one line per request ----------------------------------------------------
: >"$T/agg.log.before"
cp "$T/agg.log" "$T/agg.log.before"
lb remote add -d "$V" kab "$URL" --key "$AK" >/dev/null 2>&1
lb push -d "$V" --to "$URL" --key "$AK" >"$T/push.out" 2>&1 || fail "push: $(cat "$T/push.out")"
SEQ=$(seq_of "$V")
O16=$(printf %.16s "$ORIGIN")
# a push refused at the headers (the origin is not enrolled), and one
# refused after its body was read (not a change set)
printf 'not a change set' >"$T/junk"
$PY "$HTTP" POST "$URL/v1/changesets" "$T/junk" "Content-Type: application/x-msgpack" \
	"X-Lumbung-Origin: $WORIGIN" >"$T/wpost" 2>&1
$PY "$HTTP" POST "$URL/v1/changesets" "$T/junk" "Content-Type: application/x-msgpack" \
	"X-Lumbung-Origin: $ORIGIN" >"$T/jpost" 2>&1
[ "$(head -1 "$T/wpost")" = 403 ] && [ "$(head -1 "$T/jpost")" = 400 ] &&
	ok "the two bad pushes are refused (403, 400)" || fail "bad pushes: $(cat "$T/wpost" "$T/jpost")"
sleep 0.3
TIME='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z'
LINE="^$TIME 127\.0\.0\.1 POST /v1/changesets 200 ok village=33\.24\.01\.2001 origin=$O16 entries=$SEQ seq=$SEQ in=[1-9][0-9]* out=[1-9][0-9]* ms=[0-9]+\$"
grep -Eq "$LINE" "$T/agg.log" && ok "the push's line: time, client, village, origin prefix, ok, $SEQ entries, bytes, ms" ||
	fail "no line like $LINE in: $(grep changesets "$T/agg.log" | head -3)"
W16=$(printf %.16s "$WORIGIN")
LINE="^$TIME 127\.0\.0\.1 POST /v1/changesets 403 unknown_origin village=- origin=$W16 entries=0 seq=- in=0 out=[0-9]+ ms=[0-9]+: .*not enrolled"
grep -Eq "$LINE" "$T/agg.log" && ok "the refused push's line names unknown_origin, the origin prefix and why" ||
	fail "no line like $LINE in: $(grep changesets "$T/agg.log" | tail -3)"
LINE="^$TIME 127\.0\.0\.1 POST /v1/changesets 400 malformed village=33\.24\.01\.2001 origin=$O16 entries=0 seq=- in=16 out=[0-9]+ ms=[0-9]+: ."
grep -Eq "$LINE" "$T/agg.log" && ok "the malformed push's line: its village, the 16 bytes read, why" ||
	fail "no line like $LINE in: $(grep changesets "$T/agg.log" | tail -3)"
# the time is now, in UTC (computed here, not by the server)
$PY - "$T/agg.log" <<'EOF' && ok "the line's time is the time of the request, UTC" || fail "time of the line"
import datetime, re, sys
for line in open(sys.argv[1]):
    if " POST /v1/changesets 200 " in line:
        t = datetime.datetime.strptime(line.split()[0], "%Y-%m-%dT%H:%M:%S.%fZ")
        now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        sys.exit(0 if abs((now - t).total_seconds()) < 120 else 1)
sys.exit(1)
EOF
# exactly one line per request: three requests, three lines
N0=$(wc -l <"$T/agg.log")
get /v1/health "$T/h1"
get "/v1/villages/33.24.01.2001/no%20such%0aPOST%20/v1/changesets%20200%20ok" "$T/h2"
get "/v1/origins/$ORIGIN" "$T/h3"
sleep 0.3
tail -n +$((N0 + 1)) "$T/agg.log" >"$T/three"
[ "$(wc -l <"$T/three")" -eq 3 ] && ok "three requests, three lines" ||
	fail "three requests gave $(wc -l <"$T/three") lines: $(cat "$T/three")"
grep -q ' GET /v1/villages/33\.24\.01\.2001/no\\x20such\\x0aPOST\\x20/v1/changesets\\x20200\\x20ok 404 not_found ' "$T/three" &&
	ok "a path with a blank and a newline stays one token, escaped" ||
	fail "escaped path: $(cat "$T/three")"
grep -q "^$TIME" "$T/three" 2>/dev/null # (BRE: only for the next check's sake)
! grep -Eqv "^$TIME " "$T/three" && ok "no forged line: each starts with its time" ||
	fail "a line without its time: $(grep -Ev "^$TIME " "$T/three")"
grep -Eq " GET /v1/origins/$ORIGIN 200 ok village=33\.24\.01\.2001 origin=$O16 entries=0 seq=$SEQ " "$T/three" &&
	ok "GET origin: the village and where the aggregator stands" || fail "GET origin: $(cat "$T/three")"

# the read API: the village a request is about, and its error name
get /v1/archive/33.24.01.2001.lla "$T/h5"
sleep 0.2
grep -Eq "^$TIME 127\.0\.0\.1 GET /v1/archive/33\.24\.01\.2001\.lla 401 unauthorized village=33\.24\.01\.2001 origin=- .*: an access token is needed" "$T/agg.log" &&
	ok "an API request without a token: 401 unauthorized, its village" ||
	fail "API line: $(grep archive "$T/agg.log")"

# ---- health ---------------------------------------------------------------------
[ "$(head -1 "$T/h1")" = 200 ] && tail -n +2 "$T/h1" | $PY -c '
import json, sys
j = json.load(sys.stdin)
sys.exit(0 if j["status"] == "ok" and j["version"] == sys.argv[1] and len(j) == 2 else 1)' "$VERSION" &&
	ok "/v1/health: 200 {status: ok, version} without a token" || fail "health: $(cat "$T/h1")"

# ---- metrics moved ------------------------------------------------------------------
scrape after
delta() { # delta SAMPLE — after minus before (absent: 0)
	$PY -c 'import sys; print(int(float(sys.argv[2] or 0) - float(sys.argv[1] or 0)))' \
		"$(value "$T/before" "$1")" "$(value "$T/after" "$1")"
}
[ "$(delta 'lumbung_requests_total{kind="changeset",result="ok"}')" = 1 ] &&
	ok "requests_total{changeset, ok} went up by one" ||
	fail "changeset ok: $(delta 'lumbung_requests_total{kind="changeset",result="ok"}')"
[ "$(delta 'lumbung_requests_total{kind="changeset",result="unknown_origin"}')" = 1 ] &&
	ok "requests_total{changeset, unknown_origin} went up by one" ||
	fail "changeset unknown_origin: $(grep changeset "$T/after")"
[ "$(delta 'lumbung_requests_total{kind="changeset",result="malformed"}')" = 1 ] &&
	ok "requests_total{changeset, malformed} went up by one" ||
	fail "changeset malformed: $(grep changeset "$T/after")"
[ "$(delta 'lumbung_refusals_total{error="unknown_origin"}')" = 1 ] &&
	ok "refusals_total{unknown_origin} went up by one" ||
	fail "refusals: $(grep refusals "$T/after")"
[ "$(delta lumbung_entries_accepted_total)" = "$SEQ" ] && ok "entries_accepted_total went up by $SEQ" ||
	fail "entries accepted: $(delta lumbung_entries_accepted_total)"
IN=$(sed -n 's/.* POST \/v1\/changesets 200 ok .* in=\([0-9]*\) .*/\1/p' "$T/agg.log" | head -1)
[ "$(delta lumbung_received_bytes_total)" = "$((${IN:-0} + 16))" ] &&
	ok "received_bytes_total went up by the bodies read ($IN + 16)" ||
	fail "received bytes: $(delta lumbung_received_bytes_total), log says $IN"
[ "$(value "$T/after" 'lumbung_village_seq{village="33.24.01.2001"}')" = "$SEQ" ] &&
	ok "village_seq is the village's seq" || fail "village seq: $(grep village_seq "$T/after")"
LAG=$(value "$T/after" 'lumbung_village_lag_seconds{village="33.24.01.2001"}')
$PY -c 'import sys; sys.exit(0 if 0 <= float(sys.argv[1]) < 120 else 1)' "${LAG:-x}" 2>/dev/null &&
	ok "village_lag_seconds: seconds since its entries came ($LAG)" || fail "lag: $LAG"
[ "$(value "$T/after" lumbung_villages_reporting)" = 1 ] && ok "one village reporting" ||
	fail "reporting: $(value "$T/after" lumbung_villages_reporting)"
# nothing personal: no NIK (16 digits), no name, no key
if [ ! -s "$T/after.txt" ] || grep -Eq '[0-9]{16}' "$T/after.txt" || grep -q "$O16" "$T/after.txt"; then
	fail "/metrics is missing or holds a NIK or a key"
else
	ok "/metrics holds no NIK and no key"
fi
stop_agg

# ---- --log-json ------------------------------------------------------------------
: >"$T/agg.log"
: >"$T/agg.out"
"$AGG_BIN" serve -d "$A" --listen 127.0.0.1:0 --log-json >"$T/agg.out" 2>>"$T/agg.log" &
AGG_PID=$!
wait_for 10 grep -q "listening on" "$T/agg.out" || fail "serve --log-json did not start"
PORT=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$T/agg.out")
URL="http://127.0.0.1:$PORT"
"$GEN" --village 33.24.01.2001 --count 3 --seed 9 | lb put -d "$V" --batch >/dev/null 2>&1
lb push -d "$V" --to "$URL" --key "$AK" >"$T/push.out" 2>&1 || fail "push: $(cat "$T/push.out")"
$PY "$HTTP" POST "$URL/v1/changesets" "$T/junk" "Content-Type: application/x-msgpack" \
	"X-Lumbung-Origin: $WORIGIN" >"$T/wpost" 2>&1
get '/x%22y%0a%7B%22z' "$T/h4"
stop_agg
$PY - "$T/agg.log" "$(seq_of "$V")" "$O16" "$W16" <<'EOF' >"$T/json.out" 2>&1
import json, re, sys
path, seq, o16, w16 = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
keys = ["time", "client", "method", "path", "status", "result", "village", "origin", "entries",
        "seq", "in", "out", "ms", "message"]
reqs, n = [], 0
for line in open(path, encoding="ascii"):
    n += 1
    j = json.loads(line)  # every line is one JSON object
    assert isinstance(j, dict), line
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", j["time"]), line
    if "status" in j:
        assert list(j) == keys, line
        reqs.append(j)
    else:
        assert list(j) == ["time", "message"], line
ok = [r for r in reqs if r["method"] == "POST" and r["result"] == "ok"]
assert len(ok) == 1 and ok[0]["entries"] == 3 and ok[0]["seq"] == seq and ok[0]["status"] == 200 \
    and ok[0]["village"] == "33.24.01.2001" and ok[0]["origin"] == o16 and ok[0]["in"] > 0 \
    and ok[0]["client"] == "127.0.0.1" and ok[0]["message"] is None, ok
bad = [r for r in reqs if r["result"] == "unknown_origin"]
assert len(bad) == 1 and bad[0]["origin"] == w16 and bad[0]["status"] == 403 and \
    bad[0]["village"] is None and "not enrolled" in bad[0]["message"], bad
odd = [r for r in reqs if r["path"].startswith("/x")]
assert len(odd) == 1 and odd[0]["path"] == '/x"y\\x0a{"z' and odd[0]["status"] == 404, odd
print("%d lines, %d requests" % (n, len(reqs)))
EOF
[ $? -eq 0 ] && ok "--log-json: every line one JSON object; the push, the refusal and an odd path as fields ($(cat "$T/json.out"))" ||
	fail "--log-json: $(tail -5 "$T/json.out")"

# the forwarder's lines (serve --forward) are JSON objects as well
K="$T/kec"
agg init -d "$K" --region 33.24.01 >/dev/null || fail "kec init"
agg upstream add -d "$K" kab "http://127.0.0.1:1" --key "$AK" >/dev/null || fail "upstream add"
"$AGG_BIN" serve -d "$K" --listen 127.0.0.1:0 --log-json --forward --every 1 >"$T/kec.out" 2>"$T/kec.log" &
KPID=$!
wait_for 10 grep -q "forward:" "$T/kec.log"
kill "$KPID"
wait "$KPID"
$PY - "$T/kec.log" <<'EOF' && ok "--log-json --forward: the forwarder's lines are JSON objects too" ||
import json, sys
lines = open(sys.argv[1]).read().splitlines()
objs = [json.loads(l) for l in lines]
sys.exit(0 if objs and all(list(o) == ["time", "message"] for o in objs) and
         any("forward:" in o["message"] for o in objs) else 1)
EOF
	fail "forwarder lines: $(head -3 "$T/kec.log")"

done_testing
