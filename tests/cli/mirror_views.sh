#!/bin/sh
# mirror_views.sh — the report views of the PostgreSQL mirror (laporan_*,
# agg/mirror_views.sql) against `lumbung-agg report NAME --json` of the
# same aggregator: a region of villages pushed for real (tests/cli/pglib.sh),
# updated and deleted, with deaths, moves, births and late registrations
# dated this month and the next (the node's test clock), a NIK twice in one
# programme and in two programmes, a resident alive in two villages;
# `lumbung-agg mirror` once; then every view's
# village rows equal the report's (row for row, penduduk in the report's
# order), and the views summed per kecamatan and over the region equal the
# report's roll-ups.  The comparison (tests/tools/mirror_views_cmp.py)
# reads both as JSON; neither is computed by the other.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
. "$(dirname "$0")/pglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR LUMBUNG_AGG_NOW_MS LUMBUNG_AGG_NO_FIGURES LUMBUNG_NOW_MS
TOOLS="$(cd "$(dirname "$0")/../tools" && pwd)"
export TZ=UTC PGTZ=UTC

ms() { echo "$(($(date -u -d "$1" +%s) * 1000))"; }
# at TIME lumbung ARGS... — a node command whose entries are dated TIME (UTC)
at() { t=$(ms "$1"); shift; LUMBUNG_NOW_MS=$t "$LUMBUNG" "$@" >>"$T/node.log" 2>&1; }
pushq() { "$LUMBUNG" push -d "$1" >"$T/push.out" 2>&1 || { echo "push $1: $(tail -2 "$T/push.out")" >&2; return 1; }; }

pg_up db || { done_testing; exit 1; }
pg_region || { done_testing; exit 1; }
check "v1's updates and deletes pushed" pg_edits "$T/v1" 1
check "v2's updates and deletes pushed" pg_edits "$T/v2" 2

# this month M0 (everything so far is dated in it) and the next, M1 (a
# birth date may not lie in the future: the births are on M0's first day)
M0=$(date -u +%Y-%m)
M1=$(date -u -d "$(date -u +%Y-%m-01) +1 month" +%Y-%m)

# --- v4: an older history (before the node checked consistency, signed by
# --- tests/tools/v1log) with a NIK twice in one programme --------------------
"$LUMBUNG" init -d "$T/v4" --village 33.24.02.2002 >/dev/null 2>&1
"$GEN" --village 33.24.02.2002 --count 120 --seed 4 >"$T/v4.jsonl"
python3 - "$T/v4.jsonl" >>"$T/v4.jsonl" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
pen = sorted((r for r in recs if r["type"] == "penerima"), key=lambda r: r["id"])[0]
print(json.dumps({"type": "penerima", "id": "DUP-1", "body": pen["body"]}))
PY
"$BUILD/v1log" "$T/v4" <"$T/v4.jsonl" >"$T/v4.lla" &&
	"$LUMBUNG" restore -d "$T/v4" --from "$T/v4.lla" --village 33.24.02.2002 >/dev/null 2>&1 ||
	fail "v4: the older history taken in"
agg enroll -d "$A" --village 33.24.02.2002 --key "$(origin "$T/v4")" >/dev/null
"$LUMBUNG" remote add -d "$T/v4" kab "$URL" --key "$AK" >/dev/null 2>&1
check "v4 (a NIK twice in one programme) pushes" pushq "$T/v4"

# --- changes dated this month (M0) and the next (M1) ---------------------------
# changes DIR MONTH KIND — JSON lines of one month's changes of a village
changes() {
	"$LUMBUNG" export -d "$1" keluarga >"$T/kk.csv"
	"$LUMBUNG" export -d "$1" penerima >"$T/pen.csv"
	"$LUMBUNG" export -d "$1" penduduk | python3 -c '
import csv, json, sys
d, month, kind = sys.argv[1], sys.argv[2], sys.argv[3]
rd = lambda f: list(csv.DictReader(open(f, encoding="utf-8-sig")))
heads = {r["kepala_keluarga"] for r in rd(sys.argv[4])}
named = {r["nik"] for r in rd(sys.argv[5])}
rows = list(csv.DictReader(sys.stdin.read().lstrip("\ufeff").splitlines()))
free = [r for r in rows if r["status"] == "hidup" and r["nik"] not in heads and r["nik"] not in named]
def body(r):
    return {k: v for k, v in r.items() if v != "" and k not in ("id",)}
def typed(b):
    if "disabilitas" in b: b["disabilitas"] = b["disabilitas"] == "true"
    for k in ("datang_seq",):
        if k in b: b[k] = int(b[k])
    return b
out = []
def put(b): out.append({"type": "penduduk", "id": b["nik"], "body": typed(b)})
def born(template, day, sex, serial):
    y, m = month.split("-")
    dd = int(day) + (40 if sex == "P" else 0)
    nik = template["nik"][:6] + "%02d%s%s" % (dd, m, y[2:]) + serial
    b = body(template)
    b.update(nik=nik, nama="Bayi " + serial, tanggal_lahir="%s-%s-%s" % (y, m, day),
             jenis_kelamin=sex, status="hidup", status_perkawinan="belum_kawin",
             pendidikan="tidak_belum_sekolah")
    b.pop("pekerjaan", None)
    return b
if kind == "a":   # a death, a move away, a delete, two births (L, P), a new family
    b = body(free[0]); b["status"] = "meninggal"; put(b)
    b = body(free[1]); b["status"] = "pindah"; put(b)
    out.append({"op": "del", "type": "penduduk", "id": free[2]["nik"]})
    put(born(free[3], "01", "L", "9001"))
    b = born(free[3], "01", "P", "9002"); put(b)
    out.append({"op": "del", "type": "penduduk", "id": b["nik"]}); put(b)  # back: an arrival
    young = [r for r in free[4:] if r["tanggal_lahir"] > "%d%s" % (int(month[:4]) - 16, month[4:])]
    b = body(young[0]); b["status_perkawinan"] = "kawin"; put(b)  # married under 17: KTP-wajib
else:             # a death of a woman, a baby born last month registered now (an arrival)
    w = [r for r in free if r["jenis_kelamin"] == "P"]
    b = body(w[-1]); b["status"] = "meninggal"; put(b)
    y, m = month.split("-")
    prev = "%04d-%02d" % ((int(y), int(m) - 1) if int(m) > 1 else (int(y) - 1, 12))
    sys.argv[2] = prev
    month = prev
    put(born(free[-1], "01", "L", "9003"))
for o in out:
    print(json.dumps(o, ensure_ascii=False))
' "$1" "$2" "$3" "$T/kk.csv" "$T/pen.csv"
}
changes "$T/v1" "$M0" a >"$T/c1.jsonl" && "$LUMBUNG" put -d "$T/v1" --batch "$T/c1.jsonl" >>"$T/node.log" 2>&1 ||
	fail "v1's changes in $M0: $(tail -3 "$T/node.log")"
changes "$T/v3" "$M0" a >"$T/c3.jsonl" && "$LUMBUNG" put -d "$T/v3" --batch "$T/c3.jsonl" >>"$T/node.log" 2>&1 ||
	fail "v3's changes in $M0: $(tail -3 "$T/node.log")"
changes "$T/v1" "$M1" b >"$T/c1b.jsonl" && at "${M1}-03T08:00:00Z" put -d "$T/v1" --batch "$T/c1b.jsonl" ||
	fail "v1's changes in $M1: $(tail -3 "$T/node.log")"
# v2: one NIK in two programmes (beberapa_program); v3: a v1 resident
# registered there too (nik-ganda)
pen=$("$LUMBUNG" ls -d "$T/v2" penerima | head -1)
"$LUMBUNG" get -d "$T/v2" penerima "$pen" >"$T/pen.json"
p2=$("$LUMBUNG" ls -d "$T/v2" program | grep -v "^$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["program"])' "$T/pen.json")\$" | head -1)
python3 -c 'import json,sys; b = json.load(open(sys.argv[1])); b["program"] = sys.argv[2]
print(json.dumps({"type": "penerima", "id": "DUP-2", "body": b}))' "$T/pen.json" "$p2" >"$T/dup.jsonl"
at "${M1}-04T08:00:00Z" put -d "$T/v2" --batch "$T/dup.jsonl" || fail "v2: a NIK in two programmes"
twice=$("$LUMBUNG" export -d "$T/v1" penduduk | python3 -c '
import csv, sys
rows = list(csv.DictReader(sys.stdin.read().lstrip("\ufeff").splitlines()))
print(next(r["nik"] for r in rows if r["status"] == "hidup"))')
"$LUMBUNG" get -d "$T/v1" penduduk "$twice" | python3 -c '
import json, sys
b = json.load(sys.stdin)
print(json.dumps({"type": "penduduk", "id": b["nik"], "body": b}))' >"$T/twice.jsonl"
at "${M1}-05T08:00:00Z" put -d "$T/v3" --batch "$T/twice.jsonl" || fail "v3: a v1 resident registered again"
# v2: the resident who moved away from v1 this month arrives (a completed
# move: not a NIK alive in two villages)
moved=$(python3 -c 'import json,sys
print(next(json.loads(l)["id"] for l in open(sys.argv[1]) if json.loads(l).get("body", {}).get("status") == "pindah"))' "$T/c1.jsonl")
"$LUMBUNG" get -d "$T/v1" penduduk "$moved" | python3 -c '
import json, sys
b = json.load(sys.stdin); b["status"] = "hidup"
print(json.dumps({"type": "penduduk", "id": b["nik"], "body": b}))' >"$T/moved.jsonl"
at "${M1}-06T08:00:00Z" put -d "$T/v2" --batch "$T/moved.jsonl" || fail "v2: a resident who moved from v1"
for v in v1 v2 v3; do check "$v pushes its later changes" pushq "$T/$v"; done

# v5: enrolled, never pushed: a row of zeros in the report and in the views
"$LUMBUNG" init -d "$T/v5" --village 33.24.02.2003 >/dev/null 2>&1 &&
	agg enroll -d "$A" --village 33.24.02.2003 --key "$(origin "$T/v5")" >/dev/null ||
	fail "v5 enrolled"

# --- one mirror run ------------------------------------------------------------
expect_exit 0 "lumbung-agg mirror runs once" agg mirror -d "$A" --pg "$PG_CONN" --quiet
n=$(pg_sql db "select count(*) from pg_views where viewname like 'laporan\\_%'")
[ "$n" -ge 5 ] && ok "the mirror created the report views ($n)" || fail "views: $n"

# view NAME-OR-SQL FILE — the rows as JSON (ordered as given)
view() { pg_sql db "select coalesce(json_agg(v), '[]') from ($1) v" >"$2"; }
# cmp_view REPORT-ARGS SQL WHAT [cmp args] — the report's JSON against the view
cmp_view() {
	rep=$1 sql=$2 what=$3
	shift 3
	# shellcheck disable=SC2086
	agg report $rep -d "$A" --json >"$T/rep.json" 2>"$T/rep.err" || { fail "$what: report $rep: $(cat "$T/rep.err")"; return; }
	view "$sql" "$T/view.json" || { fail "$what: the view"; return; }
	if python3 "$TOOLS/mirror_views_cmp.py" "$T/rep.json" "$T/view.json" "$@" >"$T/cmp.out" 2>&1; then
		ok "$what"
	else
		fail "$what: $(head -c 800 "$T/cmp.out")"
	fi
}

cmp_view ringkasan "select * from laporan_ringkasan" \
	"laporan_ringkasan equals report ringkasan (villages, kecamatan, total)" --rollup ""
cmp_view penduduk "select * from laporan_penduduk order by desa, urutan" \
	"laporan_penduduk (today) equals report penduduk in its order, and its roll-ups" \
	--ordered --rollup kategori,nilai
for per in "${M1}-05" 2027-02-28 2028-02-29 2030-03-01; do
	cmp_view "penduduk --per $per" "select * from laporan_penduduk_per('$per') order by desa, urutan" \
		"laporan_penduduk_per('$per') equals report penduduk --per $per" --ordered --rollup kategori,nilai
done
cmp_view bantuan "select * from laporan_bantuan" "laporan_bantuan equals report bantuan"
cmp_view bantuan "select * from laporan_bantuan_tanda" "laporan_bantuan_tanda equals bantuan's tanda" \
	--extra tanda
[ "$(pg_sql db "select string_agg(distinct jenis, ',' order by jenis) from laporan_bantuan_tanda")" = \
	"beberapa_program,ganda_dalam_program" ] && ok "  both kinds of flag are there" || fail "  flags missing"
[ "$(pg_sql db "select sum(nik_ganda) from laporan_bantuan")" -ge 1 ] && ok "  nik_ganda counted" ||
	fail "  nik_ganda all 0"
cmp_view nik-ganda "select * from laporan_nik_ganda" "laporan_nik_ganda equals report nik-ganda"
[ "$(pg_sql db "select count(*) from laporan_nik_ganda")" = 2 ] && ok "  one NIK, two villages" ||
	fail "  nik-ganda rows: $(pg_sql db "select count(*) from laporan_nik_ganda")"
prev=$(date -u -d "$(date -u +%Y-%m-01) -1 month" +%Y-%m)
for m in "$prev" "$M0" "$M1"; do
	cmp_view "perkembangan --month $m" "select * from laporan_perkembangan_bulan('$m-01')" \
		"laporan_perkembangan_bulan('$m-01') equals report perkembangan --month $m" --rollup ""
done
r=$(pg_sql db "select sum(lahir) >= 4, sum(mati) >= 2, sum(pindah) >= 4, sum(awal) from laporan_perkembangan_bulan('$M0-01')")
[ "$r" = "t|t|t|0" ] && ok "  $M0: births, deaths and departures counted" || fail "  $M0: lahir, mati, pindah, awal = $r"
r=$(pg_sql db "select sum(lahir), sum(mati), sum(datang), sum(pindah), sum(awal) > 0 from laporan_perkembangan_bulan('$M1-01')")
[ "$r" = "0|1|3|0|t" ] && ok "  $M1: a death; a late registration, a second registration and a move in are arrivals" ||
	fail "  $M1: lahir|mati|datang|pindah = $r"
done_testing
