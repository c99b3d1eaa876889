#!/bin/sh
# aggexport.sh — the aggregator's village directory and consolidated
# records: villages generated with fixed seeds in two kecamatan push to a
# real `lumbung-agg serve`; names come from the office (enroll --name,
# region name) or are learnt from the village's push, the office's
# winning; `lumbung-agg export` (CSV, JSON lines, XLSX), `ls` and `get`
# give back exactly what each village holds (compared in Python from the
# files the village's own `lumbung export`/`get` write), filtered by
# village or kecamatan, while serve ingests, and from a read-only copy on
# a tmpfs remounted read-only (needs root, as CI has; fails otherwise);
# refusals exit non-zero with a clear message.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR

lb() { "$LUMBUNG" "$@"; }
MOUNTS=""
cleanup() {
	[ -n "$AGG_PID" ] && kill -KILL "$AGG_PID" 2>/dev/null
	[ -n "${BIGPID:-}" ] && kill -KILL "$BIGPID" 2>/dev/null
	for m in $MOUNTS; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

A="$T/agg"
AK=$(agg init -d "$A" --region 33.24) || fail "agg init"
start_agg "$A"

# mk_village DIR CODE COUNT SEED [NAME]
mk_village() {
	lb init -d "$1" --village "$2" ${5:+--name "$5"} >/dev/null 2>&1 &&
		"$GEN" --village "$2" --count "$3" --seed "$4" >"$T/gen.jsonl" &&
		lb put -d "$1" --batch "$T/gen.jsonl" >/dev/null 2>&1 &&
		agg enroll -d "$A" --village "$2" --key "$(origin "$1")" ${6:+--name "$6"} >/dev/null &&
		lb remote add -d "$1" kab "$URL" --key "$AK" >/dev/null
}
NL='
'
check "v1 (33.24.01.2001, named at init) made and enrolled" \
	mk_village "$T/v1" 33.24.01.2001 400 1 "Desa Sukamaju"
check "v2 (33.24.01.2002, office name at enroll) made and enrolled" \
	mk_village "$T/v2" 33.24.01.2002 300 2 "Nama Sendiri" "Desa Kantor \"Dua\""
check "v3 (33.24.02.2001, no name anywhere) made and enrolled" \
	mk_village "$T/v3" 33.24.02.2001 350 3
check "v4 (33.24.02.2002, a name with a line break) made and enrolled" \
	mk_village "$T/v4" 33.24.02.2002 50 4 "Baris${NL}Dua"
for v in v1 v2 v3 v4; do
	check "push $v" lb push -d "$T/$v"
done
expect_exit 0 "the aggregator's replica of v1 verifies against the village key (signed bytes as ever)" \
	"$BUILD/lumbung-audit" verify -d "$A" --origin "$(origin "$T/v1")" --key "$(origin "$T/v1")"

# ---- names -----------------------------------------------------------------
name_of() { agg_field "$1" name; }
[ "$(name_of 33.24.01.2001)" = "Desa Sukamaju" ] && ok "the name given at lumbung init is learnt" ||
	fail "learnt name: '$(name_of 33.24.01.2001)'"
[ "$(name_of 33.24.01.2002)" = 'Desa Kantor "Dua"' ] && ok "the office's name wins over the village's" ||
	fail "office name: '$(name_of 33.24.01.2002)'"
[ -z "$(name_of 33.24.02.2001)" ] && ok "a village without a name has none" || fail "v3 named"
[ -z "$(name_of 33.24.02.2002)" ] && ok "a name with a control character is not learnt" ||
	fail "v4 named '$(name_of 33.24.02.2002)'"
contains "$T/agg.log" 'name "Baris\x0aDua" holds a control character' \
	"the refused name is escaped in the log"
agg status -d "$A" >"$T/st"
contains "$T/st" "Desa Sukamaju" "status shows the village name"
expect_exit 0 "region name 33.24.01" agg region name -d "$A" 33.24.01 "Kaliwungu"
expect_exit 0 "region name 33.24.02" agg region name -d "$A" 33.24.02 "Kaliwungu Selatan"
expect_exit 0 "region ls" agg region ls -d "$A"
if python3 - "$T/out" <<'PY'; then ok "region ls lists both kecamatan with their names and villages"; else fail "region ls: $(cat "$T/out")"; fi
import sys
t = open(sys.argv[1], encoding="utf-8").read().splitlines()
want = ["33.24.01  Kaliwungu", "  33.24.01.2001  Desa Sukamaju  (learnt)",
        '  33.24.01.2002  Desa Kantor "Dua"  (office)',
        "33.24.02  Kaliwungu Selatan", "  33.24.02.2001  -", "  33.24.02.2002  -"]
sys.exit(0 if t == want else 1)
PY
check "a pushed name does not replace the office's name on a later push" sh -c "
	\"$LUMBUNG\" put -d \"$T/v2\" aspirasi X1 pengusul=Warga usulan=Jalan tanggal=2026-01-05 status=diusulkan >/dev/null &&
	\"$LUMBUNG\" push -d \"$T/v2\" >/dev/null 2>&1"
[ "$(name_of 33.24.01.2002)" = 'Desa Kantor "Dua"' ] && ok "still the office's name" ||
	fail "office name now '$(name_of 33.24.01.2002)'"
expect_exit 3 "region name refuses a code outside the region" agg region name -d "$A" 33.25.01 X
contains "$T/err" "outside this aggregator's region" "and says so"
expect_exit 3 "region name refuses a bad code" agg region name -d "$A" 33.24 X
expect_exit 3 "region name refuses an empty name" agg region name -d "$A" 33.24.01 ""
expect_exit 3 "enroll --name refuses a control character (nothing enrolled)" \
	agg enroll -d "$A" --village 33.24.03.2001 --key "$(printf '%064d' 7)" --name "a$(printf '\t')b"
[ -z "$(agg_field 33.24.03.2001 village)" ] && ok "the refused enrolment left nothing" || fail "enrolled"

# ---- export: every record as the village holds it --------------------------
cat >"$T/cmp.py" <<'PY'
# cmp.py AGG.csv FILTER VILLAGE_DIR_CSV... : the aggregator's CSV against the
# villages' own `lumbung export` files, independently of our code
import csv, sys, collections
agg, flt, vfiles = sys.argv[1], sys.argv[2], sys.argv[3:]
def rows(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f, delimiter=";"))
a = rows(agg)
head = a[0]
assert head[:2] == ["desa", "nama_desa"], head
per = collections.defaultdict(list)
for r in a[1:]:
    assert len(r) == len(head), r
    per[r[0]].append(r[2:])
want = {}
for vf in vfiles:
    code, path = vf.split("=", 1)
    v = rows(path)
    assert v[0] == head[2:], (v[0], head)
    if code.startswith(flt):
        want[code] = v[1:]
if set(per) != {c for c in want if want[c]}:
    sys.exit("villages %s, wanted %s" % (sorted(per), sorted(want)))
for code, vr in want.items():
    if sorted(per.get(code, [])) != sorted(vr):
        sys.exit("%s: %d rows exported, village has %d, or they differ" % (code, len(per.get(code, [])), len(vr)))
print(sum(len(x) for x in per.values()))
PY
VFILES=""
for v in v1 v2 v3 v4; do
	c=$(village "$T/$v")
	lb export -d "$T/$v" penduduk --sep ';' >"$T/$v.csv" || fail "lumbung export $v"
	VFILES="$VFILES $c=$T/$v.csv"
done
expect_exit 0 "export penduduk (CSV) of the region" agg export penduduk -d "$A"
cp "$T/out" "$T/all.csv"
if n=$(python3 "$T/cmp.py" "$T/all.csv" "" $VFILES 2>&1); then
	ok "every exported penduduk row equals its village's own export ($n rows)"
else fail "region export differs: $n"; fi
head -c 3 "$T/all.csv" | od -An -tx1 | grep -q "ef bb bf" && ok "the CSV starts with a BOM" || fail "no BOM"
for v in v1 v2 v3 v4; do
	c=$(village "$T/$v")
	want=$(lb ls -d "$T/$v" penduduk | wc -l)
	got=$(python3 -c 'import csv,sys; print(sum(1 for r in csv.reader(open(sys.argv[1],encoding="utf-8-sig"),delimiter=";") if r[0]==sys.argv[2]))' "$T/all.csv" "$c")
	[ "$want" = "$got" ] && ok "$c: $got rows, as lumbung ls penduduk" || fail "$c: $got rows, lumbung ls has $want"
done
expect_exit 0 "export --kecamatan 33.24.02" agg export penduduk -d "$A" --kecamatan 33.24.02
if n=$(python3 "$T/cmp.py" "$T/out" "33.24.02." $VFILES 2>&1); then
	ok "--kecamatan exports exactly that kecamatan's villages ($n rows)"
else fail "kecamatan export: $n"; fi
expect_exit 0 "export --village 33.24.01.2002" agg export penduduk -d "$A" --village 33.24.01.2002
if n=$(python3 "$T/cmp.py" "$T/out" "33.24.01.2002" $VFILES 2>&1); then
	ok "--village exports exactly that village ($n rows)"
else fail "village export: $n"; fi
contains "$T/out" '"Desa Kantor ""Dua"""' "nama_desa carries the office's name, quoted as CSV"
# aspirasi: a type whose id is not a field (an id column), with the CSV
# guard against formulas kept as the village writes it
lb put -d "$T/v3" aspirasi F1 pengusul="=SUM(A1)" usulan=Lampu tanggal=2026-01-05 status=diusulkan >/dev/null
check "push v3's formula-like record" lb push -d "$T/v3"
VA=""
for v in v1 v2 v3 v4; do
	lb export -d "$T/$v" aspirasi --sep ';' >"$T/$v.a.csv"
	VA="$VA $(village "$T/$v")=$T/$v.a.csv"
done
agg export aspirasi -d "$A" --csv >"$T/asp.csv" 2>"$T/err"
if n=$(python3 "$T/cmp.py" "$T/asp.csv" "" $VA 2>&1); then
	ok "aspirasi (id column, guarded cells) equals the villages' exports ($n rows)"
else fail "aspirasi export: $n"; fi

# JSON lines: ids per village as lumbung ls, records as lumbung get
expect_exit 0 "export --jsonl" agg export keluarga -d "$A" --jsonl
cp "$T/out" "$T/kel.jsonl"
ok_j=1
for v in v1 v2 v3 v4; do
	c=$(village "$T/$v")
	lb ls -d "$T/$v" keluarga | sort >"$T/ids.want"
	python3 -c '
import json, sys
for l in open(sys.argv[1], encoding="utf-8"):
    o = json.loads(l)
    assert list(o) == ["desa", "nama_desa", "id", "record"], list(o)
    if o["desa"] == sys.argv[2]: print(o["id"])' "$T/kel.jsonl" "$c" | sort >"$T/ids.got" || ok_j=0
	cmp -s "$T/ids.want" "$T/ids.got" || { ok_j=0; fail "$c: JSON lines ids differ from lumbung ls"; }
	for id in $(head -n 3 "$T/ids.want"); do
		lb get -d "$T/$v" keluarga "$id" >"$T/get.want"
		python3 -c '
import json, sys
want = json.load(open(sys.argv[2], encoding="utf-8"))
for l in open(sys.argv[1], encoding="utf-8"):
    o = json.loads(l)
    if o["desa"] == sys.argv[3] and o["id"] == sys.argv[4]:
        sys.exit(0 if o["record"] == want else 1)
sys.exit(1)' "$T/kel.jsonl" "$T/get.want" "$c" "$id" || { ok_j=0; fail "$c keluarga $id differs from lumbung get"; }
	done
done
[ $ok_j = 1 ] && ok "JSON lines: every village's ids as lumbung ls, sampled records as lumbung get"

# XLSX: read back with zipfile + XML, independently of libxlsxwriter
expect_exit 0 "export --xlsx" agg export penduduk -d "$A" --xlsx "$T/p.xlsx"
cat >"$T/xlsx.py" <<'PY'
import csv, sys, zipfile, re
import xml.etree.ElementTree as ET
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
z = zipfile.ZipFile(sys.argv[1])
wb = ET.fromstring(z.read("xl/workbook.xml"))
sheets = [s.get("name") for s in wb.find("m:sheets", NS)]
assert sheets == ["penduduk"], sheets
shared = []
if "xl/sharedStrings.xml" in z.namelist():
    for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", NS):
        shared.append("".join(t.text or "" for t in si.iter("{%s}t" % NS["m"])))
def col(ref):
    n = 0
    for ch in re.match(r"[A-Z]+", ref).group(0):
        n = n * 26 + ord(ch) - 64
    return n - 1
rows = []
for r in ET.fromstring(z.read("xl/worksheets/sheet1.xml")).iter("{%s}row" % NS["m"]):
    cells = {}
    for c in r.findall("m:c", NS):
        t, v = c.get("t"), c.find("m:v", NS)
        if t == "inlineStr":
            val = "".join(x.text or "" for x in c.iter("{%s}t" % NS["m"]))
        elif t == "s":
            val = shared[int(v.text)]
        elif t == "b":
            val = "true" if v.text == "1" else "false"
        else:
            val = v.text if v is not None else ""
            if val and re.fullmatch(r"-?\d+\.0", val): val = val[:-2]
        cells[col(c.get("r"))] = val
    rows.append([cells.get(i, "") for i in range(max(cells) + 1 if cells else 0)])
with open(sys.argv[2], encoding="utf-8-sig", newline="") as f:
    want = list(csv.reader(f, delimiter=";"))
assert rows[0] == want[0], (rows[0], want[0])
assert len(rows) == len(want), (len(rows), len(want))
def norm(r, n):  # trailing empty cells are absent in a sheet
    return r + [""] * (n - len(r))
for got, w in zip(rows[1:], want[1:]):
    assert norm(got, len(w)) == w, (got, w)
print(len(rows) - 1)
PY
if n=$(python3 "$T/xlsx.py" "$T/p.xlsx" "$T/all.csv" 2>&1); then
	ok "the XLSX opens (zip + XML) and its $n rows equal the CSV export cell for cell"
else fail "XLSX: $(echo "$n" | tail -3)"; fi

# ---- ls and get ------------------------------------------------------------
expect_exit 0 "ls penduduk --village" agg ls penduduk -d "$A" --village 33.24.01.2001
lb ls -d "$T/v1" penduduk >"$T/ls.want"
cmp -s "$T/out" "$T/ls.want" && ok "ls gives the village's live ids, as lumbung ls" ||
	fail "ls differs: $(diff "$T/out" "$T/ls.want" | head -3)"
lb export -d "$T/v1" keluarga >"$T/kk.csv" # the 5th resident who heads no family card (a head is not deleted)
id=$(python3 -c '
import csv, sys
heads = {r["kepala_keluarga"] for r in csv.DictReader(open(sys.argv[1], encoding="utf-8-sig"))}
print([l.strip() for l in open(sys.argv[2]) if l.strip() not in heads][4])' "$T/kk.csv" "$T/ls.want")
expect_exit 0 "get penduduk ID --village" agg get penduduk "$id" -d "$A" --village 33.24.01.2001
lb get -d "$T/v1" penduduk "$id" >"$T/get.want"
cmp -s "$T/out" "$T/get.want" && ok "get prints the record as lumbung get does" ||
	fail "get differs: $(cat "$T/out") vs $(cat "$T/get.want")"
lb rm -d "$T/v1" penduduk "$id" >/dev/null && lb push -d "$T/v1" >/dev/null 2>&1
expect_exit 1 "get of a deleted record exits 1" agg get penduduk "$id" -d "$A" --village 33.24.01.2001
contains "$T/err" "no live record" "and says so"
agg ls penduduk -d "$A" --village 33.24.01.2001 >"$T/ls2"
lb ls -d "$T/v1" penduduk >"$T/ls2.want"
cmp -s "$T/ls2" "$T/ls2.want" && ok "the deleted record is gone from ls" || fail "ls after rm differs"

# ---- refusals --------------------------------------------------------------
expect_exit 10 "export of an unknown type" agg export nosuchtype -d "$A"
contains "$T/err" 'unknown record type "nosuchtype"' "names the type"
expect_exit 1 "export of a village that is not enrolled" agg export penduduk -d "$A" --village 33.24.01.2009
contains "$T/err" "33.24.01.2009 is not enrolled" "names the village"
expect_exit 3 "export with a bad village code" agg export penduduk -d "$A" --village 33.24.1
contains "$T/err" 'is not a desa code' "says it is not a desa code"
expect_exit 3 "export with a bad kecamatan code" agg export penduduk -d "$A" --kecamatan 33.24.01.2001
expect_exit 3 "export of a kecamatan outside the region" agg export penduduk -d "$A" --kecamatan 33.25.01
expect_exit 2 "ls without --village" agg ls penduduk -d "$A"
expect_exit 10 "get of an unknown type" agg get nosuch 1 -d "$A" --village 33.24.01.2001
expect_exit 2 "export without a type" agg export -d "$A"
expect_exit 2 "an unknown region subcommand" agg region rename -d "$A" 33.24.01 X
expect_exit 5 "--xlsx into a missing directory fails" agg export penduduk -d "$A" --xlsx "$T/no/such/x.xlsx"
[ ! -e "$T/no/such/x.xlsx" ] && ok "and leaves no file" || fail "a file was left"

# ---- export while serve ingests ---------------------------------------------
"$GEN" --village 33.24.02.2003 --count 3000 --seed 9 >"$T/big.jsonl"
lb init -d "$T/vb" --village 33.24.02.2003 >/dev/null 2>&1 && lb put -d "$T/vb" --batch "$T/big.jsonl" >/dev/null 2>&1
agg enroll -d "$A" --village 33.24.02.2003 --key "$(origin "$T/vb")" >/dev/null
lb push -d "$T/vb" --to "$URL" --key "$AK" --max-bytes 8k >"$T/big.push" 2>&1 &
BIGPID=$!
rounds=0
while kill -0 "$BIGPID" 2>/dev/null || [ $rounds -eq 0 ]; do
	rounds=$((rounds + 1))
	agg export penduduk -d "$A" --village 33.24.02.2003 >"$T/live.$rounds.csv" 2>"$T/live.err" ||
		{ fail "export during ingest failed: $(cat "$T/live.err")"; break; }
done
wait "$BIGPID" && BIGPID="" || fail "the big push: $(tail -2 "$T/big.push")"
if n=$(python3 - "$T" $rounds <<'PY'
import csv, sys
prev = -1
for i in range(1, int(sys.argv[2]) + 1):
    rows = list(csv.reader(open("%s/live.%d.csv" % (sys.argv[1], i), encoding="utf-8-sig"), delimiter=";"))
    assert rows[0][:2] == ["desa", "nama_desa"] and all(len(r) == len(rows[0]) for r in rows)
    assert len(rows) - 1 >= prev, (prev, len(rows) - 1)
    prev = len(rows) - 1
print(prev)
PY
); then ok "$rounds exports while serve ingested: each a complete CSV, rows only grew (to $n)"
else fail "exports during ingest: $n"; fi
lb export -d "$T/vb" penduduk --sep ';' >"$T/vb.csv"
agg export penduduk -d "$A" --village 33.24.02.2003 >"$T/vb.agg.csv"
if n=$(python3 "$T/cmp.py" "$T/vb.agg.csv" "" "33.24.02.2003=$T/vb.csv" 2>&1); then
	ok "after the push, the village's export equals its own ($n rows)"
else fail "big village: $n"; fi

# ---- from a read-only copy -------------------------------------------------
stop_agg
RO="$T/ro"
mkdir -p "$RO"
if mount -t tmpfs -o size=64m,mode=0755 tmpfs "$RO" 2>"$T/mount.err"; then
	MOUNTS="$RO"
	cp -a "$A" "$RO/agg"
	if mount -o remount,ro "$RO" 2>"$T/mount.err"; then ok "tmpfs remounted read-only"; else
		fail "remount read-only: $(cat "$T/mount.err")"; fi
	expect_exit 0 "ro: export" agg export penduduk -d "$RO/agg"
	agg export penduduk -d "$A" >"$T/all.csv.now"
	cmp -s "$T/out" "$T/all.csv.now" && ok "ro: the same bytes as from the live directory" ||
		fail "ro export differs"
	expect_exit 0 "ro: ls" agg ls penduduk -d "$RO/agg" --village 33.24.01.2001
	expect_exit 0 "ro: region ls" agg region ls -d "$RO/agg"
	contains "$T/out" "Kaliwungu" "ro: region ls shows the names"
	expect_exit 0 "ro: export --xlsx to a writable place" agg export penduduk -d "$RO/agg" --xlsx "$T/ro.xlsx"
	expect_exit 5 "ro: region name fails" agg region name -d "$RO/agg" 33.24.01 X
	umount "$RO" && MOUNTS=""
else
	fail "mount a tmpfs at $RO (needs root): $(cat "$T/mount.err")"
fi

done_testing
