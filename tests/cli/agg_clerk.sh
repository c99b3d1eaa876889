#!/bin/sh
# agg_clerk.sh — lumbung-agg for the people at the kecamatan office:
# --version, `lumbung-agg CMD --help` per command (options and defaults
# as docs/lumbung-agg.1 names them), `config -d DIR` (DIR/agg.conf) and
# its bahasa applied to every command, refusals in Indonesian and English,
# and times for people (local zone, minutes) in status and token ls.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR
MAN="$(cd "$(dirname "$0")/../.." && pwd)/docs/lumbung-agg.1"

lb() { "$LUMBUNG" "$@"; }

# --- --version ----------------------------------------------------------------
expect_exit 0 "--version" agg --version
v=$(lb --version | awk '{ print $2 }')
[ "$(cat "$T/out")" = "lumbung-agg $v" ] && ok "--version: lumbung-agg and the same version as lumbung ($v)" ||
	fail "--version printed '$(cat "$T/out")', lumbung says $v"

# --- per-command help -----------------------------------------------------------
CMDS="init enroll revoke enroll-aggregator revoke-aggregator send-statements succeed
export-log serve upstream forward ingest bundle receipt status region export ls get
report verify-figures token access-log moves config"
bad=""
for c in $CMDS; do
	agg "$c" -d "$T/nowhere" --help >"$T/h" 2>"$T/herr"
	rc=$?
	others=$(grep -c "^  lumbung-agg " "$T/h")
	mine=$(grep -c "^  lumbung-agg $c " "$T/h")
	# its own lines only (token, upstream and region have two), and a help paragraph
	if [ $rc -ne 0 ] || [ "$(head -1 "$T/h")" != "usage:" ] || [ "$mine" -lt 1 ] ||
		[ "$mine" -ne "$others" ] || ! grep -q "^        [a-z(]" "$T/h" || [ -s "$T/herr" ]; then
		bad="$bad $c(rc=$rc,mine=$mine,all=$others)"
	fi
done
[ -z "$bad" ] && ok "CMD --help prints that command's usage only, exit 0" || fail "CMD --help:$bad"
expect_exit 0 "help CMD works as CMD --help" agg help token
contains "$T/out" "token revoke -d DIR --name NAME" "help token: the token lines"
[ "$(grep -c "^  lumbung-agg " "$T/out")" = 2 ] && ok "help token: only the token lines" ||
	fail "help token: $(cat "$T/out")"
expect_exit 0 "catalogue --help keeps its own longer usage" agg catalogue --help
contains "$T/out" "catalogue put" "catalogue --help names catalogue put"
expect_exit 2 "an unknown command's --help is a usage error" agg frobnicate --help
contains "$T/err" 'unknown command "frobnicate"' "and names the command"
expect_exit 0 "--help prints every command" agg --help
all=$(grep -c "^  lumbung-agg " "$T/out")
[ "$all" -ge 30 ] && ok "--help: $all usage lines" || fail "--help: only $all usage lines"
cp "$T/out" "$T/fullhelp"
# every option --help names is in the manual page, and the defaults agree
missing=""
for o in $(grep -o -- '--[a-z][a-z-]*' "$T/fullhelp" | sort -u); do
	m=$(printf '%s' "$o" | sed 's/-/\\\\-/g')
	grep -q -- "$m" "$MAN" || missing="$missing $o"
done
[ -z "$missing" ] && ok "every option of --help is in lumbung-agg(1)" || fail "not in the manual:$missing"
agg serve --help >"$T/h"
for d in "--listen 127.0.0.1:8080" "--threads 4" "--max-connections 4096" "--max-per-address 64" \
	"--header-timeout 10" "--request-timeout 120" "--idle-timeout 60" "--max-buffered 256m"; do
	contains "$T/h" "$d" "serve --help: default $d"
done
grep -q '127\.0\.0\.1:8080' "$MAN" && grep -q 'default 4096' "$MAN" && grep -q 'default 64)' "$MAN" &&
	grep -q 'default 10)' "$MAN" && grep -q 'default 120' "$MAN" && grep -q 'default 60)' "$MAN" &&
	grep -q 'default 256m' "$MAN" && grep -q 'default 4),' "$MAN" &&
	ok "lumbung-agg(1) gives the same serve defaults" || fail "lumbung-agg(1) serve defaults differ"

# --- config -d DIR ----------------------------------------------------------------
A="$T/agg"
AK=$(agg init -d "$A" --region 33.24.01) || fail "agg init"
expect_exit 0 "config ls" agg config -d "$A"
contains "$T/out" "bahasa = " "config ls lists bahasa"
expect_exit 2 "config set bahasa fr is refused" agg config -d "$A" set bahasa fr
expect_exit 0 "config set bahasa id" agg config -d "$A" set bahasa id
[ "$(agg config -d "$A" get bahasa)" = id ] && ok "config get bahasa: id" || fail "config get bahasa"
grep -q "^bahasa *= *id" "$A/agg.conf" && ok "kept in DIR/agg.conf" || fail "agg.conf: $(cat "$A/agg.conf")"
LUMBUNG_AGG_DIR="$A" agg config get bahasa >"$T/out" 2>&1
[ "$(cat "$T/out")" = id ] && ok "config: DIR from LUMBUNG_AGG_DIR" || fail "config via env: $(cat "$T/out")"

# --- refusals in the language set ---------------------------------------------------
expect_exit 2 "bahasa id: a usage refusal" agg enroll -d "$A" --village 33.24.01.2001 --key zz
contains "$T/err" "lumbung-agg enroll: --key harus berupa kunci asal desa, 64 digit hex (lumbung id)" \
	"bahasa id: the usage refusal is in Indonesian"
expect_exit 3 "bahasa id: a village outside the region" agg ls penduduk -d "$A" --village 33.24.02.2001
contains "$T/err" "lumbung-agg ls: desa 33.24.02.2001 berada di luar wilayah agregator ini, 33.24.01" \
	"bahasa id: the library's refusal is in Indonesian"
LUMBUNG_BAHASA=en agg ls penduduk -d "$A" --village 33.24.02.2001 2>"$T/err"
contains "$T/err" "lumbung-agg ls: village 33.24.02.2001 is outside this aggregator's region 33.24.01" \
	"LUMBUNG_BAHASA=en wins over the setting"
agg token add -d "$A" --name Pak --role nope 2>"$T/err"
contains "$T/err" 'peran "nope" bukan kabupaten, kecamatan:PP.KK.CC atau auditor' \
	"bahasa id: token add refusal in Indonesian"
agg status --help -d "$A" >"$T/out"
contains "$T/out" "per desa: seq, entri" "bahasa id: CMD --help in Indonesian"
contains "$T/out" "lumbung-agg status -d DIR [--json]" "the usage line itself stays as typed"
expect_exit 0 "config unset bahasa" agg config -d "$A" unset bahasa
expect_exit 2 "unset: the locale's language (C: English)" agg enroll -d "$A" --village 33.24.01.2001 --key zz
contains "$T/err" "--key takes the village's 64-hex origin key" "English without a setting"
LC_ALL=id_ID.UTF-8 agg enroll -d "$A" --village 33.24.01.2001 --key zz 2>"$T/err"
contains "$T/err" "harus berupa kunci asal desa" "LC_ALL=id_ID.UTF-8: Indonesian"

# --- times for people ----------------------------------------------------------------
agg token add -d "$A" --name Pak --role auditor >/dev/null || fail "token add"
# today in the zone, computed without lumbung; either side of a midnight is fine
today() { # ZONE MONTHS
	python3 -c 'import sys, datetime, zoneinfo
t = datetime.datetime.now(zoneinfo.ZoneInfo(sys.argv[1]))
m = sys.argv[2].split()
for d in (t, t - datetime.timedelta(minutes=2)):
    print("%d %s %d" % (d.day, m[d.month - 1], d.year))' "$1" "$2"
}
EN="Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec"
ID="Jan Feb Mar Apr Mei Jun Jul Agu Sep Okt Nov Des"
TZ=Asia/Jakarta agg token ls -d "$A" >"$T/tl"
today Asia/Jakarta "$EN" >"$T/days"
grep -q -F -f "$T/days" "$T/tl" && grep -q ' [0-2][0-9]:[0-5][0-9] WIB ' "$T/tl" &&
	ok "token ls: CREATED in local time, minutes, WIB" || fail "token ls: $(cat "$T/tl")"
LUMBUNG_BAHASA=id TZ=Asia/Makassar agg token ls -d "$A" >"$T/tl"
today Asia/Makassar "$ID" >"$T/days"
grep -q -F -f "$T/days" "$T/tl" && grep -q ' WITA ' "$T/tl" &&
	ok "token ls in Indonesian: Indonesian month, WITA" || fail "token ls (id): $(cat "$T/tl")"
# a village pushes: status shows when, for people; --json keeps the HLC form
TZ=Asia/Jakarta start_agg "$A"
lb init -d "$T/v1" --village 33.24.01.2001 >/dev/null 2>&1 &&
	agg enroll -d "$A" --village 33.24.01.2001 --key "$(origin "$T/v1")" >/dev/null &&
	lb put -d "$T/v1" aspirasi ASP-1 tanggal=2026-01-02 pengusul=Warga usulan=jalan status=diusulkan >/dev/null &&
	lb remote add -d "$T/v1" kab "$URL" --key "$AK" >/dev/null 2>&1 &&
	lb push -d "$T/v1" >/dev/null 2>&1 && ok "a village pushes" || fail "village push"
TZ=Asia/Jayapura agg status -d "$A" >"$T/st"
today Asia/Jayapura "$EN" >"$T/days"
grep "^33.24.01.2001 " "$T/st" | grep -q -F -f "$T/days" && grep -q "^33.24.01.2001 .* WIT " "$T/st" &&
	ok "status: LAST_SEEN in local time (WIT)" || fail "status: $(cat "$T/st")"
agg status -d "$A" --json | python3 -c '
import json, sys, re
v = json.load(sys.stdin)["villages"][0]
sys.exit(not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", v["last_seen"]))' &&
	ok "status --json: last_seen keeps its machine form" || fail "status --json last_seen"
LUMBUNG_BAHASA=id TZ=Asia/Jakarta agg status -d "$A" >"$T/st"
contains "$T/st" "(LAST_SEEN: kapan entri baru dari kunci itu terakhir tiba" "status in Indonesian"
stop_agg
done_testing
