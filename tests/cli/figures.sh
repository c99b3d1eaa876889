#!/bin/sh
# figures.sh — the consolidated figures and reports (lumbung-agg report,
# verify-figures) against known answers: a region of villages generated
# with fixed seeds, pushed to a real `lumbung-agg serve`, changed (deletes,
# moves, deaths, changes of sex, birth date and programme, a NIK in two
# villages, a NIK twice in a programme), and every report compared with
# what tests/tools/figures_expect.py computes from the villages' own CSV
# exports — village, kecamatan and region levels.  Then: refused change
# sets leave every report byte for byte as it was; kelengkapan with a
# village never synced, one late, one forked, one revoked; CSV and XLSX
# read back; reports from a read-only filesystem (a tmpfs remounted
# read-only: needs root, as CI has); verify-figures agrees, and disagrees
# once a counter in the LMDB file is corrupted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR LUMBUNG_AGG_NOW_MS LUMBUNG_AGG_NO_FIGURES
TOOLS="$(cd "$(dirname "$0")/../tools" && pwd)"
PER=2026-06-15
TYPES="penduduk keluarga program penerima kegiatan laporan aspirasi"

lb() { "$LUMBUNG" "$@"; }
pushq() { d=$1; shift; lb push -d "$d" "$@" >"$T/push.out" 2>&1; }
first_where() { # DIR TYPE FIELD VALUE — the first live id of TYPE whose FIELD is VALUE
	lb export -d "$1" "$2" | python3 -c '
import csv, sys
rows = list(csv.DictReader(sys.stdin.read().lstrip("\ufeff").splitlines()))
key = "id" if "id" in rows[0] else next(iter(rows[0]))
for r in rows:
    if r.get(sys.argv[1]) == sys.argv[2]:
        print(r[key]); break' "$3" "$4"
}

A="$T/agg"
AK=$(agg init -d "$A" --region 33.24) || fail "agg init"
start_agg "$A"

# --- the region: 5 villages in 2 kecamatan, one more that is revoked later,
# --- one that never pushes --------------------------------------------------
VILLAGES="v1:33.24.01.2001:400:11 v2:33.24.01.2002:300:12 v3:33.24.01.2003:250:13
v4:33.24.02.2001:350:14 v5:33.24.02.2002:300:15 v7:33.24.02.2004:80:17"
for spec in $VILLAGES; do
	IFS=: read -r n code count seed <<EOF
$spec
EOF
	lb init -d "$T/$n" --village "$code" >/dev/null 2>&1
	"$GEN" --village "$code" --count "$count" --seed "$seed" >"$T/gen.jsonl"
	case $n in
	v2 | v4) # histories written before the node checked consistency (an
		# older lumbung, kept as it was): v2 holds a NIK twice in one
		# programme, v4 a change of sex and of birth date that the
		# NIK does not bear out.  tests/tools/v1log signs them.
		python3 - "$n" "$T/gen.jsonl" >>"$T/gen.jsonl" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[2])]
if sys.argv[1] == "v2":
    pen = sorted((r for r in recs if r["type"] == "penerima"), key=lambda r: r["id"])[0]
    print(json.dumps({"type": "penerima", "id": "DUP-1", "body": pen["body"]}))
else:
    sx = next(r for r in recs if r["type"] == "penduduk" and r["body"]["jenis_kelamin"] == "L")
    print(json.dumps(dict(sx, body=dict(sx["body"], jenis_kelamin="P"))))
    bd = next(r for r in recs if r["type"] == "penduduk" and r["body"]["status"] == "hidup"
              and r["id"] != sx["id"])
    print(json.dumps(dict(bd, body=dict(bd["body"], tanggal_lahir="2009-06-16"))))
PY
		"$BUILD/v1log" "$T/$n" <"$T/gen.jsonl" >"$T/$n.lla" &&
			lb restore -d "$T/$n" --from "$T/$n.lla" --village "$code" >/dev/null 2>&1 ||
			fail "$n: the older history taken in"
		;;
	*) lb put -d "$T/$n" --batch "$T/gen.jsonl" >/dev/null 2>&1 ;;
	esac
	agg enroll -d "$A" --village "$code" --key "$(origin "$T/$n")" >/dev/null
	lb remote add -d "$T/$n" kab "$URL" --key "$AK" >/dev/null 2>&1
	check "$n ($code, $count records) pushes to the aggregator" pushq "$T/$n" --max-bytes 16k
done
lb init -d "$T/v6" --village 33.24.02.2003 >/dev/null 2>&1
agg enroll -d "$A" --village 33.24.02.2003 --key "$(origin "$T/v6")" >/dev/null
cp -a "$T/v3" "$T/v3-backup" # restored later: a fork

# --- changes in the villages ------------------------------------------------
# v5: a beneficiary moves to another programme; pushed first, then v5 stays
# quiet (it becomes the late village)
pen=$(lb ls -d "$T/v5" penerima | head -1)
prog=$(lb get -d "$T/v5" penerima "$pen" | python3 -c 'import json,sys; print(json.load(sys.stdin)["program"])')
other=$(lb ls -d "$T/v5" program | grep -v "^$prog\$" | head -1)
lb put -d "$T/v5" --merge penerima "$pen" program="$other" >/dev/null 2>&1 || fail "programme change"
check "v5 pushes a programme change" pushq "$T/v5"
sleep 1.2

# v1: deletes (residents, a beneficiary)
for nik in $(lb ls -d "$T/v1" penduduk | sed -n '3p;7p;20p'); do lb rm -d "$T/v1" penduduk "$nik" >/dev/null 2>&1; done
lb rm -d "$T/v1" penerima "$(lb ls -d "$T/v1" penerima | head -1)" >/dev/null 2>&1
# v2: a move (status pindah); a NIK twice in one programme and in two programmes
moved=$(first_where "$T/v2" penduduk status hidup)
lb put -d "$T/v2" --merge penduduk "$moved" status=pindah >/dev/null 2>&1 || fail "move"
pen=$(lb ls -d "$T/v2" penerima | head -1)
lb get -d "$T/v2" penerima "$pen" >"$T/pen.json"
p2=$(lb ls -d "$T/v2" program | grep -v "^$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["program"])' "$T/pen.json")\$" | head -1)
python3 - "$T/pen.json" "$p2" >"$T/dup.jsonl" <<'EOF'
import json, sys
b = json.load(open(sys.argv[1]))
# (DUP-1, the same NIK twice in its programme, is in v2's older history)
b2 = dict(b, program=sys.argv[2])
print(json.dumps({"type": "penerima", "id": "DUP-2", "body": b2}))
EOF
lb put -d "$T/v2" --batch "$T/dup.jsonl" >/dev/null 2>&1 || fail "duplicate beneficiaries"
# v3: a death
dead=$(first_where "$T/v3" penduduk status hidup)
lb put -d "$T/v3" --merge penduduk "$dead" status=meninggal >/dev/null 2>&1 || fail "death"
# v4: (sex and birth date changes are in its older history); a v1 resident
# registered here too (nik-ganda)
twice=$(first_where "$T/v1" penduduk status hidup)
lb get -d "$T/v1" penduduk "$twice" | python3 -c '
import json, sys
b = json.load(sys.stdin)
print(json.dumps({"type": "penduduk", "id": b["nik"], "body": b}))' >"$T/twice.jsonl"
lb put -d "$T/v4" --batch "$T/twice.jsonl" >/dev/null 2>&1 || fail "double registration"
for n in v1 v2 v3 v4; do check "$n pushes its changes" pushq "$T/$n"; done
# no resurrection: the first full change set of v1 sent again changes nothing
lb changeset -d "$T/v1" --plain --since 1 >"$T/v1-all.lcs" 2>/dev/null
expect_exit 0 "re-sending v1's whole history is accepted" agg ingest -d "$A" "$T/v1-all.lcs"

# v7 is revoked
agg revoke -d "$A" --key "$(origin "$T/v7")" >/dev/null

# --- known answers ----------------------------------------------------------
mkdir -p "$T/exp"
args=""
for spec in $VILLAGES; do
	IFS=: read -r n code count seed <<EOF
$spec
EOF
	for t in $TYPES; do lb export -d "$T/$n" "$t" >"$T/exp/$code.$t.csv" 2>/dev/null; done
	args="$args $code=$T/exp/$code"
done
args="$args 33.24.02.2003=$T/exp/never" # enrolled, never pushed: no records
# shellcheck disable=SC2086
python3 "$TOOLS/figures_expect.py" --region 33.24 --per $PER $args >"$T/expect.json" ||
	fail "figures_expect.py failed"

compare() { # REPORT JSON-FILE [only this level]
	python3 - "$T/expect.json" "$1" "$2" <<'EOF'
import json, sys
want = json.load(open(sys.argv[1]))[sys.argv[2]]
got = json.load(open(sys.argv[3]))
bad = 0
for level in want:
    w = want[level]
    g = got.get(level, [])
    proj = sorted(json.dumps({k: r.get(k) for k in wr}, sort_keys=True) for wr, r in
                  zip(sorted(w, key=lambda r: json.dumps(r, sort_keys=True)), [None] * len(w)) if False)
    keys = set().union(*[set(r) for r in w]) if w else set()
    ws = sorted(json.dumps({k: r[k] for k in sorted(keys)}, sort_keys=True) for r in w)
    gs = sorted(json.dumps({k: r.get(k) for k in sorted(keys)}, sort_keys=True) for r in g)
    if ws != gs:
        missing = [x for x in ws if x not in gs][:2]
        extra = [x for x in gs if x not in ws][:2]
        print(f"{level}: {len(ws)} rows wanted, {len(gs)} got; wanted not got {missing}; got not wanted {extra}")
        bad = 1
    elif not w and level == "villages" and sys.argv[2] != "nik-ganda":
        print("no rows at all")
        bad = 1
sys.exit(bad)
EOF
}

for r in ringkasan penduduk bantuan nik-ganda; do
	agg report "$r" -d "$A" --per $PER --json >"$T/$r.json" 2>"$T/err" || fail "report $r: $(cat "$T/err")"
	if compare "$r" "$T/$r.json" >"$T/cmp" 2>&1; then
		ok "report $r equals the independently computed answer (village, kecamatan, region)"
	else
		fail "report $r differs: $(head -c 600 "$T/cmp")"
	fi
done
# --json is written row by row; the bytes must be those of the whole
# document dumped at once (indent 1, members in order, ASCII): Python's
# json.dumps(indent=1) of the parsed document gives the same layout (these
# reports have no rates, whose float text would differ).  The never-synced
# village gives empty arrays.
agg report bantuan -d "$A" --per $PER --json --village 33.24.02.2003 >"$T/empty.json" 2>"$T/err" ||
	fail "report bantuan --village (never synced): $(cat "$T/err")"
python3 - "$T/ringkasan.json" "$T/penduduk.json" "$T/bantuan.json" "$T/nik-ganda.json" \
	"$T/empty.json" <<'EOF' && ok "--json: the streamed rows make the same bytes as one whole-document dump" ||
import json, re, sys
low = lambda t: re.sub(r"\\u[0-9A-Fa-f]{4}", lambda m: m.group(0).lower(), t)
bad = 0
for f in sys.argv[1:]:
    got = open(f, encoding="ascii").read()
    want = json.dumps(json.loads(got), indent=1, ensure_ascii=True) + "\n"
    if low(got) != low(want):
        at = next(i for i, (a, b) in enumerate(zip(got + "\0", want + "\0")) if a != b)
        print(f"{f}: differs at byte {at}: {got[max(0, at - 40):at + 40]!r}")
        bad = 1
d = json.load(open(sys.argv[5]))
if d["villages"] or d["tanda"]:
    print("the never-synced village has bantuan rows")
    bad = 1
sys.exit(bad)
EOF
	fail "--json layout"
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["villages"]))' "$T/nik-ganda.json")
[ "$n" = 2 ] && ok "nik-ganda finds the NIK registered in two villages" || fail "nik-ganda rows: $n"
n=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sorted({t["jenis"] for t in d["tanda"]}))' "$T/bantuan.json")
[ "$n" = "['beberapa_program', 'ganda_dalam_program']" ] && ok "bantuan flags the NIK twice in a programme and the NIK in two programmes" ||
	fail "bantuan flags: $n"

# each village's counts equal the village's own `lumbung ls`
bad=""
for spec in $VILLAGES; do
	IFS=: read -r n code count seed <<EOF
$spec
EOF
	for t in keluarga program penerima kegiatan laporan; do
		want=$(lb ls -d "$T/$n" "$t" | wc -l)
		got=$(python3 -c '
import json, sys
for r in json.load(open(sys.argv[1]))["villages"]:
    if r["village"] == sys.argv[2]: print(r[sys.argv[3]])' "$T/ringkasan.json" "$code" "$t")
		[ "$want" = "$got" ] || bad="$bad $code/$t:$got!=$want"
	done
	want=$(lb export -d "$T/$n" penduduk | python3 -c '
import csv, sys
rows = csv.DictReader(sys.stdin.read().lstrip("\ufeff").splitlines())
print(sum(1 for r in rows if r["status"] == "hidup"))')
	got=$(python3 -c '
import json, sys
for r in json.load(open(sys.argv[1]))["villages"]:
    if r["village"] == sys.argv[2]: print(r["penduduk"])' "$T/ringkasan.json" "$code")
	[ "$want" = "$got" ] || bad="$bad $code/penduduk:$got!=$want"
done
[ -z "$bad" ] && ok "every village's counts equal lumbung ls / export on that village" || fail "counts differ:$bad"

# filters
agg report ringkasan -d "$A" --kecamatan 33.24.01 --json >"$T/kec.json"
python3 - "$T/kec.json" "$T/ringkasan.json" <<'EOF' && ok "--kecamatan: its villages, and its total is that kecamatan's roll-up" || fail "--kecamatan"
import json, sys
k, r = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert {v["village"][:8] for v in k["villages"]} == {"33.24.01"}
t = dict(k["total"][0]); t.pop("region")
kr = [dict(x) for x in r["kecamatan"] if x["kecamatan"] == "33.24.01"][0]; kr.pop("kecamatan")
assert t == kr, (t, kr)
EOF
agg report penduduk -d "$A" --village 33.24.02.2001 --per $PER --json >"$T/vil.json"
python3 - "$T/vil.json" <<'EOF' && ok "--village: that village only" || fail "--village"
import json, sys
d = json.load(open(sys.argv[1]))
assert {v["village"] for v in d["villages"]} == {"33.24.02.2001"} and d["kecamatan"][0]["kecamatan"] == "33.24.02"
EOF
expect_exit 3 "a village outside the region is refused" agg report ringkasan -d "$A" --village 33.25.01.2001
expect_exit 2 "an unknown report name is a usage error" agg report nothing -d "$A"
contains "$T/err" "ringkasan" "and the message lists the reports"
expect_exit 2 "a bad --per date is a usage error" agg report penduduk -d "$A" --per 2026-02-30

# --- kelengkapan: never synced, late, forked, revoked ------------------------
lb put -d "$T/v3-backup" aspirasi F-1 pengusul=Cadangan usulan="Sumur" tanggal=2026-01-06 status=diusulkan >/dev/null 2>&1
lb changeset -d "$T/v3-backup" --plain --since "$(seq_of "$T/v3-backup")" >"$T/fork.lcs" 2>/dev/null
now=$(agg status -d "$A" --json | python3 -c '
import json, sys
v = {x["village"]: x["last_seen_ms"] for x in json.load(sys.stdin)["villages"]}
print(min(v[c] for c in ("33.24.01.2001", "33.24.01.2002", "33.24.01.2003", "33.24.02.2001")) + 7 * 86400000 - 300)')
export LUMBUNG_AGG_NOW_MS="$now"
snap() {
	for r in ringkasan penduduk bantuan nik-ganda kelengkapan; do
		agg report "$r" -d "$A" --per $PER --json
		agg report "$r" -d "$A" --per $PER
	done
}
expect_exit 21 "a forked change set is refused" agg ingest -d "$A" "$T/fork.lcs"
snap >"$T/before" 2>&1
"$GEN" --village 33.24.02.2001 --count 30 --seed 99 | lb put -d "$T/v4" --batch >/dev/null 2>&1
lb changeset -d "$T/v4" --plain --since "$(($(seq_of "$T/v4") - 5))" >"$T/gap.lcs" 2>/dev/null
expect_exit 20 "a change set with a gap is refused" agg ingest -d "$A" "$T/gap.lcs"
python3 - "$T/v1-all.lcs" "$T/bad-schema.lcs" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
i = b.index(b"\xadjenis_kelamin") + 14   # the first resident's sex: "L" or "P" -> "X"
assert b[i] == 0xa1
b[i + 1] = ord("X")
open(sys.argv[2], "wb").write(bytes(b))
EOF
expect_exit 13 "a change set whose entries were altered is refused" agg ingest -d "$A" "$T/bad-schema.lcs"
snap >"$T/after" 2>&1
if cmp -s "$T/before" "$T/after"; then ok "after the refusals every report is byte for byte as it was"; else
	fail "a refused change set changed a report: $(diff "$T/before" "$T/after" | head -5)"; fi

agg report kelengkapan -d "$A" --json >"$T/kel.json"
python3 - "$T/kel.json" <<'EOF' >"$T/cmp" 2>&1
import json, sys
d = json.load(open(sys.argv[1]))
v = {r["village"]: r for r in d["villages"]}
want = {"33.24.01.2001": "aktif", "33.24.01.2002": "aktif", "33.24.01.2003": "aktif",
        "33.24.02.2001": "aktif", "33.24.02.2002": "terlambat", "33.24.02.2003": "belum_pernah",
        "33.24.02.2004": "dicabut"}
got = {c: r["status"] for c, r in v.items()}
assert got == want, got
assert v["33.24.01.2003"]["cabang"] == 1, v["33.24.01.2003"]
assert v["33.24.02.2004"]["dicabut"] == 1
assert v["33.24.02.2002"]["terakhir_terlihat"] == "7 hari lalu", v["33.24.02.2002"]
assert v["33.24.02.2003"]["entri"] == 0 and v["33.24.02.2003"]["waktu_terakhir_terlihat"] == ""
assert v["33.24.01.2001"]["entri_terbaru"].endswith("Z")
k = {r["kecamatan"]: r for r in d["kecamatan"]}
assert (k["33.24.01"]["diharapkan"], k["33.24.01"]["melapor"], k["33.24.01"]["tingkat_pelaporan"]) == (3, 3, 100.0), k
assert (k["33.24.02"]["diharapkan"], k["33.24.02"]["melapor"], k["33.24.02"]["tingkat_pelaporan"]) == (3, 1, 33.3), k
t = d["total"][0]
assert (t["diharapkan"], t["melapor"], t["terlambat"], t["belum_pernah"]) == (6, 4, 1, 1), t
EOF
[ $? -eq 0 ] && ok "kelengkapan: never synced, late (7 days), forked, revoked; per kecamatan expected vs reporting" ||
	fail "kelengkapan: $(tail -3 "$T/cmp")"
agg report kelengkapan -d "$A" --late-days 30 --json >"$T/kel30.json"
grep -q terlambat "$T/kel30.json" && python3 -c '
import json, sys
sys.exit(any(r["status"] == "terlambat" for r in json.load(open(sys.argv[1]))["villages"]))' "$T/kel30.json" &&
	ok "--late-days 30: nobody is late" || fail "--late-days 30"
unset LUMBUNG_AGG_NOW_MS

# --- CSV and XLSX read back ---------------------------------------------------
agg report ringkasan -d "$A" --csv >"$T/r.csv"
python3 - "$T/r.csv" "$T/ringkasan.json" <<'EOF' && ok "CSV: BOM, ';', every level, numbers equal the JSON" || fail "CSV read back"
import csv, json, sys
raw = open(sys.argv[1], "rb").read()
assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
rows = list(csv.reader(raw.decode("utf-8-sig").splitlines(), delimiter=";"))
j = json.load(open(sys.argv[2]))
assert rows[0][:4] == ["Tingkat", "Kode", "Nama", "Penduduk L"], rows[0]
desa = [r for r in rows[1:] if r[0] == "desa"]
assert [r[1] for r in desa] == [v["village"] for v in j["villages"]]
assert [int(r[5]) for r in desa] == [v["penduduk"] for v in j["villages"]]
assert [r[1] for r in rows if r[0] == "kecamatan"] == ["33.24.01", "33.24.02"]
assert [int(r[5]) for r in rows if r[0] == "total"] == [j["total"][0]["penduduk"]]
EOF
expect_exit 0 "--xlsx writes a workbook" agg report penduduk -d "$A" --per $PER --xlsx "$T/p.xlsx"
python3 - "$T/p.xlsx" "$T/penduduk.json" <<'EOF' && ok "XLSX: one sheet per level, numbers equal the JSON" || fail "XLSX read back"
import json, re, sys, zipfile
import xml.etree.ElementTree as ET
z = zipfile.ZipFile(sys.argv[1])
ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
names = [s.get("name") for s in ET.fromstring(z.read("xl/workbook.xml")).find("m:sheets", ns)]
assert names == ["Desa", "Kecamatan", "Total"], names
sst = [si.findtext("m:t", namespaces=ns) for si in
       ET.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", ns)] if "xl/sharedStrings.xml" in z.namelist() else []
def sheet(i):
    rows = []
    for row in ET.fromstring(z.read(f"xl/worksheets/sheet{i}.xml")).iter(f"{{{ns['m']}}}row"):
        r = {}
        for c in row:
            col = re.match(r"[A-Z]+", c.get("r")).group()
            v = c.findtext("m:v", namespaces=ns)
            r[col] = sst[int(v)] if c.get("t") == "s" else float(v)
        rows.append(r)
    return rows
j = json.load(open(sys.argv[2]))
for i, level in ((1, "villages"), (2, "kecamatan"), (3, "total")):
    rows = sheet(i)
    assert rows[0]["C"] == "Kategori" and rows[0]["G"] == "Jumlah", rows[0]
    assert len(rows) - 1 == len(j[level]), (level, len(rows), len(j[level]))
    assert [int(r["G"]) for r in rows[1:]] == [x["jumlah"] for x in j[level]], level
EOF

# --- a read-only filesystem (a backup disk): the reports still work ----------
RO="$T/ro"
mkdir -p "$RO"
trap 'umount "$RO" 2>/dev/null || umount -l "$RO" 2>/dev/null; _agg_cleanup' EXIT
if mount -t tmpfs -o size=512m,mode=0755 tmpfs "$RO" 2>"$T/mount.err"; then
	cp -a "$A" "$RO/agg" && rm -f "$RO/agg/lock.mdb" && mount -o remount,ro "$RO" ||
		fail "copy the aggregator to a read-only tmpfs"
	expect_exit 0 "report on a read-only filesystem" agg report ringkasan -d "$RO/agg" --per $PER --json
	cmp -s "$T/out" "$T/ringkasan.json" && ok "and it is the same report" ||
		fail "the read-only report differs: $(diff "$T/out" "$T/ringkasan.json" | head -3)"
	expect_exit 0 "verify-figures on a read-only filesystem" agg verify-figures -d "$RO/agg"
	umount "$RO" || umount -l "$RO"
else
	fail "mount a tmpfs at $RO (needs root): $(cat "$T/mount.err")"
fi

# --- verify-figures -----------------------------------------------------------
expect_exit 0 "verify-figures: the figures agree with the records" agg verify-figures -d "$A"
contains "$T/out" "figures agree" "and says so"
stop_agg
cp -a "$A" "$T/bad"
mdb_dump -s figures "$T/bad" >"$T/fig.dump"
python3 - "$T/fig.dump" "$T/fig.load" <<'EOF'
import sys
lines = open(sys.argv[1]).read().split("\n")
head = lines[:lines.index("HEADER=END") + 1]
key = (b"C" + b"33.24.01.2002").hex()
for i, l in enumerate(lines):
    if l.strip() == key:
        v = bytearray.fromhex(lines[i + 1].strip())
        v[8 * 3] ^= 1   # keluarga: off by one
        open(sys.argv[2], "w").write("\n".join(head + [" " + key, " " + v.hex(), "DATA=END", ""]))
        break
else:
    sys.exit("key not found")
EOF
mdb_load -s figures -f "$T/fig.load" "$T/bad" >/dev/null 2>&1 || fail "mdb_load"
expect_exit 8 "verify-figures disagrees once a counter was corrupted in the file" agg verify-figures -d "$T/bad"
contains "$T/err" "C33.24.01.2002" "naming the figure that differs"
# names from the village directory: the office's for a village and a kecamatan
agg enroll -d "$A" --village 33.24.01.2001 --key "$(origin "$T/v1")" --name "Desa Sukamaju" >/dev/null
agg region name -d "$A" 33.24.01 "Kaliwungu" >/dev/null
agg report ringkasan -d "$A" --json >"$T/named.json"
python3 - "$T/named.json" <<'EOF' && ok "report rows carry the directory's village names (the code where none is held)" || fail "names: $(head -c 300 "$T/named.json")"
import json, sys
d = json.load(open(sys.argv[1]))
names = {v["village"]: v["name"] for v in d["villages"]}
assert names["33.24.01.2001"] == "Desa Sukamaju", names
assert names["33.24.02.2001"] == "33.24.02.2001", names
EOF
agg report ringkasan -d "$A" >"$T/named.txt"
contains "$T/named.txt" "Kaliwungu" "the table names the kecamatan of its roll-up row"
done_testing
