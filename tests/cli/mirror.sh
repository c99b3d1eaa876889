#!/bin/sh
# mirror.sh — `lumbung-agg mirror` into a real PostgreSQL (pglib.sh): three
# villages push to a real `lumbung-agg serve`, with updates and deletes;
# after a mirror run every record table equals `lumbung-agg export TYPE
# --csv` row for row, `perubahan` equals each village's own `lumbung log`,
# `desa` and `lumbung_posisi` what the villages say of themselves (all
# compared in Python); incremental runs send only what is new and a run
# with nothing new writes nothing; a position that is not ours is refused;
# the mirror killed with SIGKILL mid-COPY, and PostgreSQL stopped under a
# running `mirror --every 1` while the aggregator ingests: nothing lost or
# doubled; two aggregators (two kabupaten) into one database; a conninfo
# to nothing fails clearly.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
. "$(dirname "$0")/pglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR PGHOST PGPORT PGUSER PGDATABASE PGSERVICE
MPID=""
LOCKPID=""
NOPID=""
cleanup() {
	for p in $MPID $LOCKPID $NOPID; do kill -KILL "$p" 2>/dev/null; done
	pg_cleanup
	[ -n "$AGG_PID" ] && kill -KILL "$AGG_PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

pg_up db || { done_testing; exit 1; }
pg_region || { done_testing; exit 1; }
check "updates and deletes from v1 pushed" pg_edits "$T/v1" 1
check "updates and deletes from v2 pushed" pg_edits "$T/v2" 2

# a conninfo to nothing, in the background (it tries a few times first)
nothing_start=$(date +%s)
"$AGG_BIN" mirror -d "$A" --pg "host=$T/nothing port=5 user=lumbung dbname=x" >"$T/nothing.out" 2>"$T/nothing.err" &
NOPID=$!

# mirror [AGG] — one pass of AGG (default $A) into db; output in $T/m.out
mirror() { "$AGG_BIN" mirror -d "${1:-$A}" --pg "$PG_CONN" --quiet >"$T/m.out" 2>"$T/m.err"; }
# sent — the entries the last pass says it sent
sent() { sed -n 's/.* \([0-9,]*\) entries sent .*/\1/p' "$T/m.out" | tr -d ,; }
# seqsum DIR... — the villages' seqs added up
seqsum() { _s=0; for _d in "$@"; do _s=$((_s + $(seq_of "$_d"))); done; echo $_s; }
# txid — the next transaction id: rows written later have xmin >= it
txid() { pg_sql db "select txid_current()"; }
# written_since TXID TABLE [CONDITION] — rows of TABLE written by transactions from TXID
written_since() { pg_sql db "select count(*) from $2 where xmin::text::bigint >= $1 ${3:+and $3}"; }

cat >"$T/cmp.py" <<'PY'
# cmp.py AGG_BIN AGGDIR CONNINFO PREFIX LUMBUNG VILLAGE_DIR...
# The mirror's tables in PostgreSQL against what the aggregator and the
# villages say, independently of the mirror's code:
#  - each record table's columns are typed from `lumbung schema --json`;
#  - its rows (desa starting with PREFIX) equal `lumbung-agg export TYPE
#    --csv` row for row, values written as the CSV writes them (documented
#    in docs/FORMAT.md "CSV": booleans true/false, dates ISO, whole rupiah,
#    a ' before text starting with = + - @ TAB CR ' or a blank, or ending
#    with a blank or TAB);
#  - perubahan holds exactly each village's `lumbung log --json` entries;
#  - desa and lumbung_posisi name each village's seq, head hash and origin,
#    and its name as `lumbung-agg status --json` gives it.
import csv, datetime, io, json, subprocess, sys
agg, adir, conn, prefix, lumbung = sys.argv[1:6]
vdirs = sys.argv[6:]
bad = []
def psql(sql):
    r = subprocess.run(["psql", conn, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql],
                       capture_output=True, text=True)
    if r.returncode:
        sys.exit("psql: " + r.stderr)
    return r.stdout
def rows(sql):
    return json.loads(psql("select coalesce(json_agg(t), '[]') from (%s) t" % sql))
schema = json.loads(subprocess.run([lumbung, "schema", "--json"], capture_output=True,
                                   check=True).stdout)
SQLTYPE = {"date": "date", "integer": "bigint", "rupiah": "numeric", "boolean": "boolean"}
def guard(s):
    if s and (s[0] in "=+-@\t\r' " or s[-1] in " \t"):
        return "'" + s
    return s
def cell(kind, v):
    if v is None:
        return ""
    if kind == "boolean":
        return "true" if v else "false"
    if kind in ("integer", "rupiah"):
        if isinstance(v, float):
            assert v == int(v), v
            v = int(v)
        return str(v)
    if kind == "date":
        return str(v)
    return guard(v)
total = 0
for t in schema["types"]:
    name, fields = t["name"], t["fields"]
    cols = [(c["column_name"], c["data_type"]) for c in rows(
        "select column_name, data_type from information_schema.columns where table_name = '%s' "
        "and table_schema = current_schema() order by ordinal_position" % name)]
    want = [("desa", "text"), ("id", "text")] + [
        (f["name"], SQLTYPE.get(f["kind"], "text")) for f in fields] + [
        ("origin", "text"), ("seq", "bigint"), ("diubah", "timestamp with time zone")]
    if cols != want:
        bad.append("%s: columns %s, wanted %s" % (name, cols, want))
        continue
    r = subprocess.run([agg, "export", name, "-d", adir, "--csv"], capture_output=True)
    if r.returncode:
        sys.exit("export %s: %s" % (name, r.stderr.decode()))
    ex = list(csv.reader(io.StringIO(r.stdout.decode("utf-8-sig"), newline=""), delimiter=";"))
    head, ex = ex[0], [x for x in ex[1:] if x[0].startswith(prefix)]
    idcol = head[2] == "id"
    kinds = {f["name"]: f["kind"] for f in fields}
    got = []
    for row in rows("select * from %s where desa like '%s%%'" % (name, prefix)):
        if not idcol and row["id"] != row[head[2]]:
            bad.append("%s %s %s: id is not the %s field" % (name, row["desa"], row["id"], head[2]))
        if not row["origin"] or not row["seq"] or not row["diubah"]:
            bad.append("%s %s %s: no origin/seq/diubah" % (name, row["desa"], row["id"]))
        out = [row["desa"]] + ([row["id"]] if idcol else [])
        out += [cell(kinds[c], row[c]) for c in head[(3 if idcol else 2):]]
        got.append(out)
    exp = [[x[0]] + x[2:] for x in ex]
    got.sort(); exp.sort()
    if got != exp:
        g, e = set(map(tuple, got)), set(map(tuple, exp))
        bad.append("%s: %d rows in PostgreSQL, %d exported; only in PostgreSQL %s; only exported %s"
                   % (name, len(got), len(exp), sorted(g - e)[:2], sorted(e - g)[:2]))
    total += len(got)
# perubahan, desa, lumbung_posisi against the villages' own logs; names as
# the aggregator's status gives them
names = {v["village"]: v.get("name") or "" for v in json.loads(subprocess.run(
    [agg, "status", "-d", adir, "--json"], capture_output=True, check=True).stdout)["villages"]}
entries = 0
desa_want = {}
for vd in vdirs:
    ident = dict(l.split(None, 1) for l in subprocess.run(
        [lumbung, "id", "-d", vd], capture_output=True, text=True, check=True).stdout.splitlines()
        if len(l.split(None, 1)) == 2)
    org, code, seq, head = ident["origin"], ident["village"], int(ident["seq"]), ident["head"]
    log = [json.loads(l) for l in subprocess.run([lumbung, "log", "-d", vd, "--json"],
           capture_output=True, text=True, check=True).stdout.splitlines()]
    pr = rows("select seq, desa, op, tipe, id, isi, "
              "to_char(waktu at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') as w "
              "from perubahan where origin = '%s' order by seq" % org)
    if len(pr) != seq or len(log) != seq:
        bad.append("%s: perubahan has %d entries, the village %d (seq %d)" % (code, len(pr), len(log), seq))
    for p, e in zip(pr, log):
        we = {"seq": e["seq"], "desa": code, "op": e["op"], "tipe": e["type"], "id": e["id"],
              "isi": e.get("body") if e["op"] == "put" else None, "w": e["time"][:24]}
        if p != we:
            bad.append("%s seq %d: perubahan %s, the village's log %s" % (code, e["seq"], p, we))
            break
    entries += len(pr)
    # the desa row names the village's active key: the last directory given
    desa_want[code] = [{"kode": code, "nama": names.get(code, ""), "kecamatan": code[:8],
                        "kabupaten": code[:5], "seq": seq, "origin": org, "seen": True}]
    po = rows("select desa, kabupaten, seq, hash from lumbung_posisi where origin = '%s'" % org)
    wp = [{"desa": code, "kabupaten": code[:5], "seq": seq, "hash": head}]
    if po != wp:
        bad.append("lumbung_posisi %s, wanted %s" % (po, wp))
for code, wd in desa_want.items():
    d = rows("select kode, coalesce(nama, '') as nama, kecamatan, kabupaten, seq, origin, "
             "terakhir_terlihat is not null as seen from desa where kode = '%s'" % code)
    if d != wd:
        bad.append("desa row %s, wanted %s" % (d, wd))
n = int(psql("select count(*) from perubahan where desa like '%s%%'" % prefix))
if n != entries:
    bad.append("perubahan holds %d entries of %s, the villages %d" % (n, prefix, entries))
if bad:
    sys.exit("\n".join(bad[:8]))
print("%d rows, %d entries" % (total, entries))
PY
# same "description" [PREFIX [AGG [VILLAGE_DIR...]]] — cmp.py passes
same() {
	_d=$1
	_p=${2:-33.24.}
	_a=${3:-$A}
	if [ $# -ge 3 ]; then shift 3; else set -- $VILLAGES; fi
	if _r=$(python3 "$T/cmp.py" "$AGG_BIN" "$_a" "$PG_CONN" "$_p" "$LUMBUNG" "$@" 2>&1); then
		ok "$_d ($_r)"
	else fail "$_d: $_r"; fi
}
VILLAGES="$T/v1 $T/v2 $T/v3"

# ---- a first run ------------------------------------------------------------
expect_exit 0 "mirror into an empty database" mirror
n=$(seqsum $VILLAGES)
[ "$(sent)" = "$n" ] && ok "it says it sent every entry ($n)" || fail "sent '$(sent)', wanted $n: $(cat "$T/m.out")"
same "every table equals lumbung-agg export, perubahan the villages' logs"
[ "$(pg_sql db "select nilai from lumbung_meta where kunci = 'layout'")" = 1 ] &&
	ok "lumbung_meta says layout 1" || fail "layout: $(pg_sql db "select * from lumbung_meta")"

# ---- nothing new: nothing written ---------------------------------------------
x=$(txid)
expect_exit 0 "a second run with nothing new" mirror
[ "$(sent)" = 0 ] && ok "it sends nothing" || fail "sent '$(sent)'"
w=0
for tb in perubahan penduduk keluarga program penerima kegiatan laporan aspirasi desa lumbung_posisi; do
	w=$((w + $(written_since "$x" "$tb")))
done
[ "$w" = 0 ] && ok "and writes no row of any table" || fail "$w rows written by a run with nothing new"

# ---- incremental ----------------------------------------------------------------
before=$(seqsum $VILLAGES)
check "updates and deletes from v3 pushed" pg_edits "$T/v3" 3
check "more updates from v1 pushed" pg_edits "$T/v1" 11
new=$(($(seqsum $VILLAGES) - before))
# an analyst's open transaction that has read the tables (a BI tool's
# long query) must neither hold the mirror up nor, through the mirror's
# locks, the analysts who come after it
psql "$(pg_conn db) application_name=analyst" -XAtq -c \
	"begin; select count(*) from penduduk; select count(*) from keluarga; select count(*) from aspirasi; select pg_sleep(60)" >/dev/null 2>&1 &
LOCKPID=$!
reading() { [ "$(pg_sql db "select count(*) from pg_stat_activity where application_name = 'analyst' and query like '%pg_sleep%' and state = 'active'")" = 1 ]; }
wait_for 10 reading || fail "the analyst's session did not start"
x=$(txid)
"$AGG_BIN" mirror -d "$A" --pg "$PG_CONN" --quiet >"$T/m.out" 2>"$T/m.err" &
MPID=$!
wait_for 15 sh -c "! kill -0 $MPID" && ok "an incremental run while an analyst's transaction is open finishes" ||
	fail "the mirror waits for the analyst's transaction: $(pg_sql db "select application_name, wait_event_type, left(query, 70) from pg_stat_activity where wait_event_type = 'Lock'")"
PGOPTIONS="-c statement_timeout=5000" pg_sql db "select count(*) from penduduk" >/dev/null 2>"$T/q.err" &&
	ok "another analyst's query meanwhile is answered" || fail "another analyst's query blocked: $(cat "$T/q.err")"
pg_sql db "select pg_cancel_backend(pid) from pg_stat_activity where application_name = 'analyst'" >/dev/null
wait "$LOCKPID" 2>/dev/null
LOCKPID=""
wait "$MPID"
rc=$?
MPID=""
[ $rc = 0 ] && ok "an incremental run" || fail "an incremental run: exit $rc: $(cat "$T/m.err")"
[ "$(sent)" = "$new" ] && ok "it sends only the $new new entries" || fail "sent '$(sent)', wanted $new"
[ "$(written_since "$x" perubahan)" = "$new" ] && ok "perubahan got exactly those $new rows" ||
	fail "perubahan: $(written_since "$x" perubahan) rows written, wanted $new"
[ "$(written_since "$x" desa "kode = '33.24.01.2002'")" = 0 ] && ok "an unchanged village's desa row is left alone" ||
	fail "v2's desa row rewritten"
same "after the incremental run, still equal"

# ---- positions that are not ours are refused, nothing re-sent ----------------------
O3=$(origin "$T/v3")
H3=$(pg_sql db "select hash from lumbung_posisi where origin = '$O3'")
pg_sql db "update lumbung_posisi set hash = repeat('ab', 32) where origin = '$O3'"
check "v2 has something new meanwhile" pg_edits "$T/v2" 5
x=$(txid)
expect_exit 21 "a position whose hash is not ours is refused (fork)" mirror
contains "$T/m.err" "33.24.02.2001" "the refusal names the village"
[ "$(written_since "$x" perubahan "origin = '$O3'")" = 0 ] && ok "and nothing of it was re-sent" || fail "re-sent after a refused position"
[ "$(pg_sql db "select seq from lumbung_posisi where origin = '$(origin "$T/v2")'")" = "$(seq_of "$T/v2")" ] &&
	ok "the other villages are still mirrored" || fail "v2 not mirrored past a refused village"
pg_sql db "update lumbung_posisi set hash = '$H3', seq = seq + 5 where origin = '$O3'"
expect_exit 20 "a position ahead of the aggregator is refused (gap)" mirror
contains "$T/m.err" "33.24.02.2001" "that refusal names the village too"
pg_sql db "update lumbung_posisi set seq = seq - 5 where origin = '$O3'"
expect_exit 0 "with the position put back, the mirror runs" mirror
[ "$(sent)" = 0 ] && ok "and sends nothing" || fail "sent '$(sent)'"

# ---- SIGKILL mid-COPY ------------------------------------------------------------
# a village of several transactions (LUMBUNG_MIRROR_BATCH entries each)
export LUMBUNG_MIRROR_BATCH=5000
BIG=16000
"$LUMBUNG" init -d "$T/v4" --village 33.24.02.2002 >/dev/null 2>&1 &&
	"$GEN" --village 33.24.02.2002 --count $BIG --only penduduk --seed 4 >"$T/v4.jsonl" &&
	"$LUMBUNG" put -d "$T/v4" --batch "$T/v4.jsonl" >/dev/null 2>&1 &&
	agg enroll -d "$A" --village 33.24.02.2002 --key "$(origin "$T/v4")" >/dev/null &&
	"$LUMBUNG" remote add -d "$T/v4" kab "$URL" --key "$AK" >/dev/null
check "a village of $BIG entries pushed" "$LUMBUNG" push -d "$T/v4" --max-bytes 16m --quiet
VILLAGES="$VILLAGES $T/v4"
O4=$(origin "$T/v4")
# (1) the COPY into perubahan waits for a table lock another session holds
# (SHARE: COPY's ROW EXCLUSIVE waits, the layout's CREATE INDEX IF NOT EXISTS not)
psql "$(pg_conn db) application_name=locker" -XAtq -c \
	"begin; lock table perubahan in share mode; select pg_sleep(60)" >/dev/null 2>&1 &
LOCKPID=$!
locked() { [ "$(pg_sql db "select count(*) from pg_locks l join pg_class c on c.oid = l.relation where c.relname = 'perubahan' and l.mode = 'ShareLock' and l.granted")" = 1 ]; }
copying() { [ "$(pg_sql db "select count(*) from pg_stat_activity where query ilike 'copy%' and application_name <> 'locker' ${1:-}")" -ge 1 ]; }
wait_for 10 locked || fail "the locking session did not get its lock"
"$AGG_BIN" mirror -d "$A" --pg "$PG_CONN" --quiet >"$T/k.out" 2>&1 &
MPID=$!
if wait_for 20 copying "and wait_event_type = 'Lock'"; then
	kill -KILL "$MPID"
	wait "$MPID" 2>/dev/null
	MPID=""
	ok "the mirror killed with SIGKILL while its COPY waits"
else fail "the mirror's COPY never waited for the lock: $(pg_sql db "select application_name, state, wait_event_type, left(query, 60) from pg_stat_activity")"; fi
pg_sql db "select pg_cancel_backend(pid) from pg_stat_activity where application_name = 'locker'" >/dev/null
wait "$LOCKPID" 2>/dev/null
LOCKPID=""
no_copy() { [ "$(pg_sql db "select count(*) from pg_stat_activity where query ilike 'copy%'")" = 0 ]; }
wait_for 10 no_copy || fail "the killed mirror's COPY still runs"
[ "$(pg_sql db "select count(*) from perubahan where origin = '$O4'")" = 0 ] &&
	[ -z "$(pg_sql db "select seq from lumbung_posisi where origin = '$O4'")" ] &&
	ok "the killed transaction left nothing behind" || fail "rows of the killed transaction committed"
# (2) killed while the COPY streams (polled: it is active, not waiting)
"$AGG_BIN" mirror -d "$A" --pg "$PG_CONN" --quiet >"$T/k.out" 2>&1 &
MPID=$!
i=0
while ! copying "and state = 'active' and wait_event_type is distinct from 'Lock'" && kill -0 "$MPID" 2>/dev/null && [ $i -lt 400 ]; do
	i=$((i + 1))
done
if kill -KILL "$MPID" 2>/dev/null; then
	wait "$MPID" 2>/dev/null
	ok "the mirror killed with SIGKILL while its COPY streams"
else
	wait "$MPID" 2>/dev/null
	ok "the mirror finished before the poll saw its COPY (nothing to kill this time)"
fi
MPID=""
s4=$(pg_sql db "select coalesce(max(seq), 0) from lumbung_posisi where origin = '$O4'")
n4=$(pg_sql db "select count(*) from perubahan where origin = '$O4'")
[ "$s4" = "$n4" ] && ok "what committed is whole batches with their position ($n4 entries)" ||
	fail "position $s4 but $n4 entries of v4"
expect_exit 0 "the next run" mirror
[ "$(sent)" = $((BIG - n4)) ] && ok "sends the rest, $((BIG - n4)) entries, once" || fail "sent '$(sent)', wanted $((BIG - n4))"
same "after SIGKILL and a run, every table still equals the aggregator's"

# ---- PostgreSQL stopped under mirror --every 1, the aggregator ingesting ----------
"$AGG_BIN" mirror -d "$A" --pg "$PG_CONN" --every 1 --quiet >"$T/e.out" 2>"$T/e.err" &
MPID=$!
check "pg_ctl stop -m fast under the running mirror" pg_stop db fast
check "the aggregator ingests a push meanwhile" pg_edits "$T/v2" 22
"$LUMBUNG" put -d "$T/v3" penduduk "$(sed -n 1p "$T/v3.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')" \
	--merge pekerjaan=nelayan >/dev/null 2>&1 && "$LUMBUNG" push -d "$T/v3" >/dev/null 2>&1
wait_for 15 grep -q "trying again" "$T/e.err" && ok "the mirror says it will try again" ||
	fail "no retry message: $(cat "$T/e.err")"
check "PostgreSQL started again" pg_start db
caught_up() { [ "$(pg_sql db "select seq from lumbung_posisi where origin = '$(origin "$T/v2")'")" = "$(seq_of "$T/v2")" ] &&
	[ "$(pg_sql db "select seq from lumbung_posisi where origin = '$O3'")" = "$(seq_of "$T/v3")" ]; }
wait_for 40 caught_up && ok "the mirror caught up by itself" || fail "not caught up: $(tail -3 "$T/e.err")"
kill -TERM "$MPID"
wait "$MPID"
rc=$?
MPID=""
[ $rc = 0 ] && ok "SIGTERM stops mirror --every cleanly (exit 0)" || fail "exit $rc after SIGTERM"
same "after PostgreSQL's restart, every table equals the aggregator's"

# ---- a village's new key after its old key was revoked ----------------------------
# The view belongs to the village: the new key's puts apply over what the
# old key wrote (agg.h), so its entries must be applied after the old
# key's even when both arrive between two runs, whatever the keys' order.
"$GEN" --village 33.24.03.2001 --count 40 --only penduduk --seed 7 >"$T/k.jsonl"
# kbatch NAMA — the first two residents, the first one named NAMA
kbatch() { python3 -c '
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])][:2]
rs[0]["body"]["nama"] = sys.argv[2]
for r in rs: print(json.dumps(r))' "$T/k.jsonl" "$1" >"$T/kb.jsonl"; }
kbatch Lama
"$LUMBUNG" init -d "$T/k1" --village 33.24.03.2001 >/dev/null 2>&1 &&
	"$LUMBUNG" put -d "$T/k1" --batch "$T/kb.jsonl" >/dev/null 2>&1 &&
	agg enroll -d "$A" --village 33.24.03.2001 --key "$(origin "$T/k1")" >/dev/null &&
	"$LUMBUNG" push -d "$T/k1" --to "$URL" --key "$AK" >/dev/null 2>&1 &&
	agg revoke -d "$A" --key "$(origin "$T/k1")" >/dev/null
check "the old key pushed, then was revoked" [ "$(agg_count penduduk)" -gt 0 ]
# a new key that sorts before the old one (a coin toss each try)
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do
	rm -rf "$T/k2"
	"$LUMBUNG" init -d "$T/k2" --village 33.24.03.2001 >/dev/null 2>&1
	[ "$(printf '%s\n%s\n' "$(origin "$T/k1")" "$(origin "$T/k2")" | LC_ALL=C sort | head -n 1)" = "$(origin "$T/k2")" ] && break
done
kbatch Baru
"$LUMBUNG" put -d "$T/k2" --batch "$T/kb.jsonl" >/dev/null 2>&1 &&
	agg enroll -d "$A" --village 33.24.03.2001 --key "$(origin "$T/k2")" >/dev/null
check "the new key pushes the same residents, one renamed" "$LUMBUNG" push -d "$T/k2" --to "$URL" --key "$AK" --quiet
R1=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["id"])' "$T/k.jsonl")
agg get penduduk "$R1" -d "$A" --village 33.24.03.2001 >"$T/kget" 2>&1
contains "$T/kget" '"Baru"' "the aggregator's view has the new key's name"
expect_exit 0 "a run with both keys' entries new" mirror
got=$(pg_sql db "select nama from penduduk where desa = '33.24.03.2001' and id = '$R1'")
[ "$got" = Baru ] && ok "the mirror applies the new key's entries after the old key's" ||
	fail "the resident is named '$got' in PostgreSQL, 'Baru' in the aggregator"
[ "$(pg_sql db "select origin from desa where kode = '33.24.03.2001'")" = "$(origin "$T/k2")" ] &&
	ok "the desa row names the active key" || fail "desa row: $(pg_sql db "select * from desa where kode = '33.24.03.2001'")"
VILLAGES="$VILLAGES $T/k1 $T/k2"
same "with both keys, every table still equals the aggregator's"

# ---- two aggregators (two kabupaten) into one database --------------------------
A2="$T/agg2"
AK2=$(agg init -d "$A2" --region 33.25)
"$LUMBUNG" init -d "$T/w1" --village 33.25.03.2001 --name "Desa Lain" >/dev/null 2>&1 &&
	"$GEN" --village 33.25.03.2001 --count 120 --seed 5 >"$T/w1.jsonl" &&
	"$LUMBUNG" put -d "$T/w1" --batch "$T/w1.jsonl" >/dev/null 2>&1 &&
	agg enroll -d "$A2" --village 33.25.03.2001 --key "$(origin "$T/w1")" >/dev/null &&
	"$LUMBUNG" changeset -d "$T/w1" --seal-to "$AK2" >"$T/w1.cs" 2>/dev/null
expect_exit 0 "a second kabupaten's aggregator ingests its village" agg ingest -d "$A2" "$T/w1.cs"
expect_exit 0 "the second aggregator mirrors into the same database" mirror "$A2"
[ "$(sent)" = "$(seq_of "$T/w1")" ] && ok "sending its $(sent) entries" || fail "sent '$(sent)'"
same "kabupaten 33.25's rows equal its aggregator's" 33.25. "$A2" "$T/w1"
x=$(txid)
expect_exit 0 "the first aggregator mirrors again" mirror
[ "$(sent)" = 0 ] && [ "$(written_since "$x" perubahan)" = 0 ] && ok "sending nothing, 33.25 is not its business" ||
	fail "sent '$(sent)'"
same "kabupaten 33.24's rows still equal its aggregator's"
[ "$(pg_sql db "select string_agg(distinct kabupaten, ',' order by kabupaten) from desa")" = "33.24,33.25" ] &&
	ok "desa rows carry their kabupaten" || fail "kabupaten: $(pg_sql db "select kode, kabupaten from desa")"

# ---- every enrolled village has a desa row; a name given later comes through --
"$LUMBUNG" init -d "$T/quiet" --village 33.24.03.2002 >/dev/null 2>&1 &&
	agg enroll -d "$A" --village 33.24.03.2002 --key "$(origin "$T/quiet")" >/dev/null
agg region name -d "$A" 33.24.01.2002 "Desa Berganti" >/dev/null 2>&1
x=$(txid)
expect_exit 0 "a run after a village was enrolled and another renamed" mirror
[ "$(pg_sql db "select kode || ' ' || seq || ' ' || origin || ' ' || kabupaten from desa where kode = '33.24.03.2002'")" = "33.24.03.2002 0 $(origin "$T/quiet") 33.24" ] &&
	ok "a village enrolled that never pushed has its desa row, seq 0" ||
	fail "desa row: '$(pg_sql db "select * from desa where kode = '33.24.03.2002'")'"
[ "$(pg_sql db "select nama from desa where kode = '33.24.01.2002'")" = "Desa Berganti" ] &&
	ok "a name given on the aggregator after the village's entries reaches its row" ||
	fail "name: $(pg_sql db "select * from desa where kode = '33.24.01.2002'")"
[ "$(written_since "$x" desa)" = 2 ] && ok "only those two desa rows were written" ||
	fail "$(written_since "$x" desa) desa rows written"
[ "$(pg_sql db "select count(*) from lumbung_posisi where desa = '33.24.03.2002'")" = 0 ] &&
	ok "and no position is made up for it" || fail "a position for a village with no entries"
expect_exit 0 "the report views list it" pg_sql db "select 1 from laporan_ringkasan where desa = '33.24.03.2002' and penduduk = 0"
[ "$(pg_sql db "select count(*) from laporan_ringkasan where desa = '33.24.03.2002' and penduduk = 0")" = 1 ] &&
	ok "laporan_ringkasan has a row of zeros for it, as report ringkasan does" || fail "no ringkasan row"
agg report ringkasan -d "$A" --village 33.24.03.2002 --json >"$T/r0.json" 2>&1
contains "$T/r0.json" '"33.24.03.2002"' "  (report ringkasan lists it too)"

# ---- a column the schema has and the table lacks is added (as a field a
# later schema adds would be): dropped here by hand
pg_sql db "alter table penduduk drop column datang_hash; alter table \"program\" drop column target_penerima"
expect_exit 0 "a run after two columns went missing" mirror
[ "$(pg_sql db "select string_agg(column_name || ' ' || data_type, ',' order by column_name) from information_schema.columns where (table_name, column_name) in (('penduduk', 'datang_hash'), ('program', 'target_penerima'))")" = "datang_hash text,target_penerima bigint" ] &&
	ok "adds them back, typed" || fail "columns: $(pg_sql db "select table_name, column_name from information_schema.columns where column_name in ('datang_hash', 'target_penerima')")"

# ---- a server asking for a password: said at once, not tried again ----------------
pg_sql db "create role pwuser login password 'rahasia'" >/dev/null
{ printf 'local all pwuser scram-sha-256\n'; cat "$PGROOT/db/data/pg_hba.conf"; } >"$T/hba" &&
	cat "$T/hba" >"$PGROOT/db/data/pg_hba.conf" &&
	pg_sql db "select pg_reload_conf()" >/dev/null
t0=$(date +%s)
expect_exit 24 "a conninfo without the password the server asks for: unauthorized" \
	"$AGG_BIN" mirror -d "$A" --pg "$(pg_conn db | sed 's/user=lumbung/user=pwuser/')"
[ $(($(date +%s) - t0)) -lt 8 ] && ok "at once, without the network error's retries" || fail "took $(($(date +%s) - t0)) s"
contains "$T/err" "password" "the error says it is a password"

# ---- a conninfo to nothing ------------------------------------------------------------
wait "$NOPID"
rc=$?
NOPID=""
took=$(($(date +%s) - nothing_start))
[ $rc = 22 ] && ok "a conninfo to nothing: network error, exit 22 (after $took s)" ||
	fail "a conninfo to nothing: exit $rc: $(cat "$T/nothing.err")"
contains "$T/nothing.err" "$T/nothing" "the error names where it tried"
if grep -q "all mirrored" "$T/nothing.out"; then fail "it claims success: $(cat "$T/nothing.out")"; else
	ok "and does not claim success"; fi
done_testing
