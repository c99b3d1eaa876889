#!/bin/sh
# perkembangan.sh — the monthly population report (lumbung-agg report
# perkembangan --month) against known answers: villages whose entries are
# dated in April, May and June 2026 (the node's test clock LUMBUNG_NOW_MS)
# with births, deaths, moves out and back, arrivals, deletes, a change of
# sex, households added and deleted, a village with two keys whose logs
# interleave in time, pushed to a real `lumbung-agg serve`;
# the report for May compared, at village, kecamatan and region level, with
# what tests/tools/perkembangan_expect.py computes from the villages' own
# `lumbung log --json`, and with a few counts worked out by hand; the month
# boundary in two time zones; awal + lahir + datang - mati - pindah = akhir
# on every row; --month checked; --village / --kecamatan; CSV and XLSX read
# back.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR LUMBUNG_AGG_NOW_MS LUMBUNG_AGG_NO_FIGURES LUMBUNG_NOW_MS
TOOLS="$(cd "$(dirname "$0")/../tools" && pwd)"
export TZ=UTC

ms() { echo "$(($(date -u -d "$1" +%s) * 1000))"; }
# at TIME lumbung ARGS... — a node command whose entries are dated TIME (UTC)
at() { t=$(ms "$1"); shift; LUMBUNG_NOW_MS=$t "$LUMBUNG" "$@" >>"$T/node.log" 2>&1; }
# pick DIR SEX N — the Nth (from 1) resident alive of that sex who heads no
# family card (a head cannot be deleted while the keluarga names them)
pick() {
	"$LUMBUNG" export -d "$1" keluarga >"$T/pick.kk"
	"$LUMBUNG" export -d "$1" penduduk | python3 -c '
import csv, sys
heads = {r["kepala_keluarga"] for r in csv.DictReader(open(sys.argv[3], encoding="utf-8-sig"))}
rows = [r for r in csv.DictReader(sys.stdin.read().lstrip("\ufeff").splitlines())
        if r["status"] == "hidup" and r["jenis_kelamin"] == sys.argv[1] and r["nik"] not in heads]
print(rows[int(sys.argv[2]) - 1]["nik"])' "$2" "$3" "$T/pick.kk"
}
# born DIR NIK — the resident's tanggal_lahir (which the NIK must agree with)
born() { "$LUMBUNG" get -d "$1" penduduk "$2" | python3 -c 'import json, sys; print(json.load(sys.stdin)["tanggal_lahir"])'; }
# newborn DIR TIME NIK SEX BORN [STATUS] — a new penduduk record
newborn() {
	at "$2" put -d "$1" penduduk "$3" nik="$3" no_kk=3324010000000099 nama=Baru \
		tanggal_lahir="$5" jenis_kelamin="$4" status="${6:-hidup}" ||
		fail "new record $3 in $1: $(tail -2 "$T/node.log")"
}

A="$T/agg"
AK=$(agg init -d "$A" --region 33.24) || fail "agg init"
start_agg "$A"

VILLAGES="v1:33.24.01.2001:120:21 v2:33.24.01.2002:80:22 v3:33.24.02.2001:60:23"
for spec in $VILLAGES; do
	IFS=: read -r n code count seed <<EOF
$spec
EOF
	"$LUMBUNG" init -d "$T/$n" --village "$code" >/dev/null 2>&1
	"$GEN" --village "$code" --count "$count" --seed "$seed" >"$T/gen.jsonl"
	if [ "$n" = v1 ]; then
		# v1's history is older than the node's consistency rules: one woman
		# (her NIK's day has 40 added) was typed in as L; she is corrected in May
		python3 - "$T/gen.jsonl" >"$T/gen1.jsonl" 2>"$T/typo" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
hidup = [r for r in recs if r["type"] == "penduduk" and r["body"]["status"] == "hidup"]
w = max((r for r in hidup if int(r["id"][6:8]) > 40), key=lambda r: r["id"])
assert sum(r["body"]["jenis_kelamin"] == "L" and r["id"] < w["id"] for r in hidup) >= 6
w["body"]["jenis_kelamin"] = "L"
sys.stderr.write(w["id"])
for r in recs:
    print(json.dumps(r))
PY
		LUMBUNG_NOW_MS=$(ms 2026-04-10T08:00:00Z) "$BUILD/v1log" "$T/$n" <"$T/gen1.jsonl" >"$T/$n.lla" &&
			"$LUMBUNG" restore -d "$T/$n" --from "$T/$n.lla" --village "$code" >/dev/null 2>&1 ||
			fail "$n: the older history taken in"
	else
		at 2026-04-10T08:00:00Z put -d "$T/$n" --batch "$T/gen.jsonl" || fail "$n: batch"
	fi
	agg enroll -d "$A" --village "$code" --key "$(origin "$T/$n")" >/dev/null
	"$LUMBUNG" remote add -d "$T/$n" kab "$URL" --key "$AK" >/dev/null 2>&1
done
"$LUMBUNG" init -d "$T/v4" --village 33.24.02.2002 >/dev/null 2>&1 # never pushes
agg enroll -d "$A" --village 33.24.02.2002 --key "$(origin "$T/v4")" >/dev/null

# --- v1: April (before the month) ------------------------------------------
back=$(pick "$T/v1" P 2)
at 2026-04-20T09:00:00Z put -d "$T/v1" --merge penduduk "$back" status=pindah
gone=$(pick "$T/v1" L 5)
gone_born=$(born "$T/v1" "$gone")
at 2026-04-21T09:00:00Z rm -d "$T/v1" penduduk "$gone"
# --- v1: May ---------------------------------------------------------------
dead=$(pick "$T/v1" L 1)
moved=$(pick "$T/v1" P 1)
deleted=$(pick "$T/v1" L 2)
sexfix=$(cat "$T/typo") # the woman typed in as L before the rules
newborn "$T/v1" 2026-05-04T10:00:00Z 3324014305260901 P 2026-05-03     # birth (P)
newborn "$T/v1" 2026-05-05T10:00:00Z 3324010101900902 L 1990-01-01     # arrival (L)
newborn "$T/v1" 2026-05-06T10:00:00Z 3324010505260903 L 2026-05-05     # birth (L), dies
newborn "$T/v1" 2026-05-07T10:00:00Z 3324016804260904 P 2026-04-28     # born in April: arrival
at 2026-05-08T10:00:00Z put -d "$T/v1" --merge penduduk "$dead" status=meninggal      # death (L)
at 2026-05-09T10:00:00Z put -d "$T/v1" --merge penduduk "$moved" status=pindah       # departure (P)
at 2026-05-10T10:00:00Z rm -d "$T/v1" penduduk "$deleted"                            # departure (L)
at 2026-05-11T10:00:00Z put -d "$T/v1" --merge penduduk "$back" status=hidup         # moves back: arrival (P)
at 2026-05-12T10:00:00Z put -d "$T/v1" --merge penduduk "$sexfix" jenis_kelamin=P   # L out, P in
at 2026-05-13T10:00:00Z put -d "$T/v1" --merge penduduk "$sexfix" nama=Diperbaiki   # no change
at 2026-05-14T10:00:00Z put -d "$T/v1" --merge penduduk 3324010505260903 status=meninggal # death (L)
python3 - "$T/v1" "$gone" "$gone_born" >"$T/recreate.jsonl" <<'EOF'
import json, sys
print(json.dumps({"type": "penduduk", "id": sys.argv[2], "body": {
    "nik": sys.argv[2], "no_kk": "3324010000000099", "nama": "Kembali",
    "tanggal_lahir": sys.argv[3], "jenis_kelamin": "L", "status": "hidup"}}))
EOF
at 2026-05-15T10:00:00Z put -d "$T/v1" --batch "$T/recreate.jsonl" # deleted in April, back: arrival (L)
at 2026-05-16T10:00:00Z put -d "$T/v1" keluarga 3324010000000099 no_kk=3324010000000099 \
	kepala_keluarga=3324010101900902
at 2026-05-17T10:00:00Z rm -d "$T/v1" keluarga "$("$LUMBUNG" ls -d "$T/v1" keluarga | head -1)"
at 2026-05-31T23:59:00Z put -d "$T/v1" --merge penduduk "$(pick "$T/v1" L 6)" status=pindah # last minute (L)
# --- v1: June ----------------------------------------------------------------
newborn "$T/v1" 2026-06-01T00:00:01Z 3324010106260905 L 2026-06-01
at 2026-06-02T10:00:00Z put -d "$T/v1" --merge penduduk "$(pick "$T/v1" P 4)" status=meninggal
# --- v2: a death at 20:00 UTC on 30 April (1 May in WIB), May births and deaths
at 2026-04-30T20:00:00Z put -d "$T/v2" --merge penduduk "$(pick "$T/v2" P 1)" status=meninggal
newborn "$T/v2" 2026-05-20T10:00:00Z 3324024105260901 P 2026-05-01
at 2026-05-21T10:00:00Z put -d "$T/v2" --merge penduduk "$(pick "$T/v2" L 1)" status=meninggal
at 2026-05-22T10:00:00Z put -d "$T/v2" --merge penduduk "$(pick "$T/v2" L 2)" status=pindah
# --- v3: nothing in May; June changes ---------------------------------------
at 2026-06-10T10:00:00Z put -d "$T/v3" --merge penduduk "$(pick "$T/v3" L 1)" status=meninggal
newborn "$T/v3" 2026-06-11T10:00:00Z 3324034106260901 P 2026-06-01

# --- v5: one village, two keys whose logs interleave in time: the first
# --- key's node writes April and 5 May and is revoked; a new node (new key)
# --- has entries dated 3, 4 and 21 May
"$LUMBUNG" init -d "$T/v5a" --village 33.24.02.2003 >/dev/null 2>&1
"$GEN" --village 33.24.02.2003 --count 40 --seed 25 >"$T/gen.jsonl"
at 2026-04-10T08:00:00Z put -d "$T/v5a" --batch "$T/gen.jsonl" || fail "v5a: batch"
agg enroll -d "$A" --village 33.24.02.2003 --key "$(origin "$T/v5a")" >/dev/null
"$LUMBUNG" remote add -d "$T/v5a" kab "$URL" --key "$AK" >/dev/null 2>&1
v5left=$(pick "$T/v5a" L 2)
v5dead=$(pick "$T/v5a" L 1)
at 2026-05-05T10:00:00Z put -d "$T/v5a" --merge penduduk "$v5dead" status=meninggal # see below
"$LUMBUNG" push -d "$T/v5a" >"$T/push.out" 2>&1 || fail "v5a push: $(tail -2 "$T/push.out")"
agg revoke -d "$A" --key "$(origin "$T/v5a")" >/dev/null || fail "revoke v5a"
"$LUMBUNG" init -d "$T/v5b" --village 33.24.02.2003 >/dev/null 2>&1
agg enroll -d "$A" --village 33.24.02.2003 --key "$(origin "$T/v5b")" >/dev/null || fail "enrol v5b"
"$LUMBUNG" remote add -d "$T/v5b" kab "$URL" --key "$AK" >/dev/null 2>&1
newborn "$T/v5b" 2026-05-03T10:00:00Z 3324024205260902 P 2026-05-02            # birth (P)
newborn "$T/v5b" 2026-05-04T10:00:00Z "$v5dead" L "$(born "$T/v5a" "$v5dead")" pindah             # leaves (L) on 4 May,
                                                                                # so 5 May's death counts nothing
newborn "$T/v5b" 2026-05-21T10:00:00Z "$v5left" L "$(born "$T/v5a" "$v5left")" pindah             # the first key's resident leaves (L)

for n in v1 v2 v3 v5b; do
	"$LUMBUNG" push -d "$T/$n" >"$T/push.out" 2>&1 && ok "$n pushes its April–June history" ||
		fail "$n push: $(tail -2 "$T/push.out")"
	"$LUMBUNG" log -d "$T/$n" --json >"$T/$n.log.jsonl"
done
"$LUMBUNG" log -d "$T/v5a" --json >"$T/v5a.log.jsonl"
LOGS="33.24.01.2001=$T/v1.log.jsonl 33.24.01.2002=$T/v2.log.jsonl 33.24.02.2001=$T/v3.log.jsonl 33.24.02.2002=/dev/null 33.24.02.2003=$T/v5a.log.jsonl,$T/v5b.log.jsonl"

# compare GOT EXPECT — every count of every row at every level
cmp_report() {
	python3 - "$1" "$2" >"$T/cmp" 2>&1 <<'EOF'
import json, sys
got, want = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
for level, key in (("villages", "village"), ("kecamatan", "kecamatan"), ("total", "region")):
    g = {r[key]: r for r in got[level]}
    w = {r[key]: r for r in want[level]}
    assert sorted(g) == sorted(w), (level, sorted(g), sorted(w))
    for code, row in w.items():
        for k, v in row.items():
            assert g[code][k] == v, (level, code, k, g[code][k], v)
EOF
}

# --- May, month boundaries in UTC --------------------------------------------
expect_exit 0 "report perkembangan --month 2026-05 --json" agg report perkembangan -d "$A" --month 2026-05 --json
cp "$T/out" "$T/may.json"
# v4 never pushed: an empty log
python3 "$TOOLS/perkembangan_expect.py" 33.24 2026-05 0 $LOGS >"$T/may.expect" 2>"$T/py.err" ||
	fail "perkembangan_expect.py: $(tail -2 "$T/py.err")"
cmp_report "$T/may.json" "$T/may.expect" && ok "May (UTC): every count at village, kecamatan and region level equals the answer from the logs" ||
	fail "May (UTC): $(tail -3 "$T/cmp")"
python3 - "$T/may.json" >"$T/cmp" 2>&1 <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["report"] == "perkembangan" and d["bulan"] == "2026-05" and d["per"] == "2026-05-31", d
v = {r["village"]: r for r in d["villages"]}[ "33.24.01.2001"]
# worked out by hand from the changes written above
want = {"lahir_l": 1, "lahir_p": 1, "mati_l": 2, "mati_p": 0, "datang_l": 2, "datang_p": 3,
        "pindah_l": 3, "pindah_p": 1, "keluarga_akhir": v["keluarga_awal"]}
for k, x in want.items():
    assert v[k] == x, (k, v[k], x)
v3 = {r["village"]: r for r in d["villages"]}["33.24.02.2001"]
assert v3["awal"] == v3["akhir"] and v3["lahir"] + v3["mati"] + v3["datang"] + v3["pindah"] == 0, v3
v5 = {r["village"]: r for r in d["villages"]}["33.24.02.2003"]
assert (v5["mati"], v5["lahir_p"], v5["pindah_l"], v5["datang"]) == (0, 1, 2, 0), v5
v4 = {r["village"]: r for r in d["villages"]}["33.24.02.2002"]
assert all(x == 0 for k, x in v4.items() if k not in ("village", "name")), v4
EOF
[ $? -eq 0 ] && ok "May: the counts worked out by hand (births, deaths, arrivals, departures, moving back, change of sex, re-created record, a quiet village, a silent one, a village with two keys)" ||
	fail "by hand: $(tail -3 "$T/cmp")"
python3 - "$T/may.json" >"$T/cmp" 2>&1 <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
n = 0
for level in ("villages", "kecamatan", "total"):
    for r in d[level]:
        for s in ("_l", "_p", ""):
            assert r["awal" + s] + r["lahir" + s] + r["datang" + s] - r["mati" + s] - r["pindah" + s] == r["akhir" + s], (level, s, r)
            n += 1
assert n == 3 * (5 + 2 + 1)
EOF
[ $? -eq 0 ] && ok "awal + lahir + datang - mati - pindah = akhir on every row, per sex and in total" ||
	fail "identity: $(tail -3 "$T/cmp")"

# --- the months around: April's end is May's start ----------------------------
agg report perkembangan -d "$A" --month 2026-04 --json >"$T/apr.json" &&
	agg report perkembangan -d "$A" --month 2026-06 --json >"$T/jun.json" || fail "April / June reports"
python3 "$TOOLS/perkembangan_expect.py" 33.24 2026-06 0 $LOGS >"$T/jun.expect"
cmp_report "$T/jun.json" "$T/jun.expect" && ok "June equals the answer from the logs" || fail "June: $(tail -3 "$T/cmp")"
python3 - "$T/apr.json" "$T/may.json" "$T/jun.json" >"$T/cmp" 2>&1 <<'EOF'
import json, sys
apr, may, jun = (json.load(open(p)) for p in sys.argv[1:])
for a, b in ((apr, may), (may, jun)):
    for x, y in zip(a["villages"], b["villages"]):
        for s in ("_l", "_p", ""):
            assert x["akhir" + s] == y["awal" + s], (x["village"], s)
        assert x["keluarga_akhir"] == y["keluarga_awal"]
assert apr["total"][0]["awal"] == 0 and apr["total"][0]["datang"] > 0  # the batch came in April
EOF
[ $? -eq 0 ] && ok "each month starts where the one before ended (April, May, June)" ||
	fail "continuity: $(tail -3 "$T/cmp")"

# --- the month in local time: 20:00 UTC on 30 April is 1 May in WIB ------------
TZ=WIB-7 agg report perkembangan -d "$A" --month 2026-05 --json >"$T/may7.json"
python3 "$TOOLS/perkembangan_expect.py" 33.24 2026-05 7 $LOGS >"$T/may7.expect"
cmp_report "$T/may7.json" "$T/may7.expect" && ok "May in WIB (TZ=WIB-7) equals the answer from the logs" ||
	fail "May WIB: $(tail -3 "$T/cmp")"
python3 - "$T/may.json" "$T/may7.json" <<'EOF' && ok "and the death at 20:00 UTC on 30 April counts in May there, not in UTC" || fail "time zone"
import json, sys
u, w = ({r["village"]: r for r in json.load(open(p))["villages"]}["33.24.01.2002"] for p in sys.argv[1:])
assert w["mati_p"] == u["mati_p"] + 1 and w["awal_p"] == u["awal_p"] + 1, (u, w)
EOF

# --- scope --------------------------------------------------------------------
agg report perkembangan -d "$A" --month 2026-05 --kecamatan 33.24.01 --json >"$T/kec.json"
python3 - "$T/kec.json" "$T/may.json" <<'EOF' && ok "--kecamatan: its villages, and its roll-up as the region's total" || fail "--kecamatan"
import json, sys
k, a = (json.load(open(p)) for p in sys.argv[1:])
assert [r["village"] for r in k["villages"]] == ["33.24.01.2001", "33.24.01.2002"]
want = {r["kecamatan"]: r for r in a["kecamatan"]}["33.24.01"]
got = dict(k["total"][0]); got.pop("region"); want = dict(want); want.pop("kecamatan")
assert got == want, (got, want)
EOF
agg report perkembangan -d "$A" --month 2026-05 --village 33.24.01.2002 --json >"$T/vil.json"
python3 - "$T/vil.json" "$T/may.json" <<'EOF' && ok "--village: that village only" || fail "--village"
import json, sys
v, a = (json.load(open(p)) for p in sys.argv[1:])
assert [r["village"] for r in v["villages"]] == ["33.24.01.2002"]
assert v["villages"][0] == {r["village"]: r for r in a["villages"]}["33.24.01.2002"]
EOF

# --- --month checked -----------------------------------------------------------
for bad in 2026-13 2026-00 2026-5 26-05 2026/05 2026-05-01 x; do
	expect_exit 2 "--month $bad is refused (exit 2)" agg report perkembangan -d "$A" --month "$bad"
	contains "$T/err" "is not a month YYYY-MM" "  and the error names the month"
done
expect_exit 2 "perkembangan without --month is refused" agg report perkembangan -d "$A"
contains "$T/err" "needs --month" "  and says --month is needed"
expect_exit 2 "--month for another report is refused" agg report ringkasan -d "$A" --month 2026-05
agg report perkembangan -d "$A" --month 2026-05 >"$T/table.txt" && grep -q "Akhir P" "$T/table.txt" &&
	ok "the table names its columns" || fail "table"

# --- CSV and XLSX read back -----------------------------------------------------
agg report perkembangan -d "$A" --month 2026-05 --csv >"$T/may.csv"
python3 - "$T/may.csv" "$T/may.json" <<'EOF' && ok "CSV: every level, numbers equal the JSON" || fail "CSV read back"
import csv, json, sys
raw = open(sys.argv[1], "rb").read()
assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
rows = list(csv.reader(raw.decode("utf-8-sig").splitlines(), delimiter=";"))
j = json.load(open(sys.argv[2]))
assert rows[0][:6] == ["Tingkat", "Kode", "Nama", "Awal L", "Awal P", "Awal"], rows[0]
assert rows[0][-2:] == ["KK awal", "KK akhir"], rows[0]
keys = [k for k in j["villages"][0] if k not in ("village", "name")]
for level, csvname in (("villages", "desa"), ("kecamatan", "kecamatan"), ("total", "total")):
    got = [[int(x) for x in r[3:]] for r in rows[1:] if r[0] == csvname]
    assert got == [[x[k] for k in keys] for x in j[level]], level
EOF
expect_exit 0 "--xlsx writes a workbook" agg report perkembangan -d "$A" --month 2026-05 --xlsx "$T/may.xlsx"
python3 - "$T/may.xlsx" "$T/may.json" <<'EOF' && ok "XLSX: one sheet per level, numbers equal the JSON" || fail "XLSX read back"
import json, re, sys, zipfile
import xml.etree.ElementTree as ET
z = zipfile.ZipFile(sys.argv[1])
ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
names = [s.get("name") for s in ET.fromstring(z.read("xl/workbook.xml")).find("m:sheets", ns)]
assert names == ["Desa", "Kecamatan", "Total"], names
sst = [si.findtext("m:t", namespaces=ns) for si in
       ET.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", ns)] if "xl/sharedStrings.xml" in z.namelist() else []
def col(s):
    n = 0
    for ch in s:
        n = n * 26 + ord(ch) - 64
    return n - 1
j = json.load(open(sys.argv[2]))
keys = [k for k in j["villages"][0] if k not in ("village", "name")]
for i, level in ((1, "villages"), (2, "kecamatan"), (3, "total")):
    rows = []
    for row in ET.fromstring(z.read(f"xl/worksheets/sheet{i}.xml")).iter(f"{{{ns['m']}}}row"):
        r = {}
        for c in row:
            v = c.findtext("m:v", namespaces=ns)
            r[col(re.match(r"[A-Z]+", c.get("r")).group())] = sst[int(v)] if c.get("t") == "s" else float(v)
        rows.append(r)
    assert rows[0][2] == "Awal L" and rows[0][21] == "KK akhir", rows[0]
    assert [[int(r[2 + n]) for n in range(len(keys))] for r in rows[1:]] == \
           [[x[k] for k in keys] for x in j[level]], level
EOF

stop_agg
done_testing
