# pglib.sh — a real PostgreSQL for one test (sourced after lib.sh, and
# after agglib.sh when the test runs an aggregator).  Run on its own
# (`sh tests/cli/pglib.sh`, as tests/run.sh does) it tests itself.
#
#   pg_up NAME            initdb + start a server NAME (sets PG_CONN to its
#                         conninfo); fails the test when PostgreSQL is missing
#   pg_init NAME          initdb only;  pg_start NAME  start (again)
#   pg_stop NAME [MODE]   pg_ctl stop -m MODE (fast by default), waits
#   pg_conn NAME [DB]     prints "host=DIR port=P user=lumbung dbname=DB"
#   pg_sql NAME SQL [DB]  psql -XAtq of one command (stops at an error)
#   pg_createdb NAME DB   a fresh database in server NAME
#   pg_cleanup            stops every server started (the EXIT trap below
#                         calls it; a test that sets its own EXIT trap must)
#
# Each server lives in its own directory under $PGROOT (a directory the
# unprivileged user can reach: the test's own $T is private to root),
# owned by that user: initdb and the server refuse to run as root, and CI
# runs as root, so as root they run as `nobody` through runuser (setpriv
# if runuser is missing).  Trust authentication, role `lumbung`, the
# socket only (listen_addresses='', the socket in the server's directory,
# named by a port number of its own), fsync off (nothing here outlives the
# test).  PostgreSQL missing is a failure, not a skip: tools/deps.sh
# installs it.
PG_USER_OS=nobody
PGROOT=""
PG_STARTED=""
PG_CONN=""

# the directory of initdb/pg_ctl/postgres (Debian keeps them off PATH)
pg_bindir() {
	for d in "$(pg_config --bindir 2>/dev/null)" $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV) \
		"$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)")"; do
		[ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ] &&
			{ echo "$d"; return 0; }
	done
	return 1
}

# as_pg COMMAND... — run as the server's user (root: nobody; else: ourselves)
as_pg() {
	if [ "$(id -u)" != 0 ]; then (cd / && "$@"); return; fi
	if command -v runuser >/dev/null 2>&1; then
		(cd / && runuser -u "$PG_USER_OS" -- "$@")
	else
		(cd / && setpriv --reuid="$PG_USER_OS" --regid="$(id -g "$PG_USER_OS")" --clear-groups -- "$@")
	fi
}

_pg_root() {
	[ -n "$PGROOT" ] && return 0
	PGROOT=$(mktemp -d "${TMPDIR:-/tmp}/lumbung-pg.XXXXXX") || return 1
	chmod 755 "$PGROOT"
}

pg_init() {
	PGBIN=$(pg_bindir) || {
		fail "PostgreSQL is not installed (initdb, pg_ctl, postgres not found; tools/deps.sh installs postgresql)"
		return 1
	}
	command -v psql >/dev/null 2>&1 || { fail "psql is not installed (tools/deps.sh installs postgresql)"; return 1; }
	_pg_root || { fail "no directory for PostgreSQL"; return 1; }
	_d="$PGROOT/$1"
	mkdir -p "$_d/data" "$_d/sock" || return 1
	chmod 700 "$_d/data"
	[ "$(id -u)" = 0 ] && chown -R "$PG_USER_OS:" "$_d"
	# a port number of its own for the socket's name (no TCP is opened)
	echo $((20000 + ($$ * 7 + $(echo "$1" | cksum | cut -d' ' -f1)) % 40000)) >"$_d/port"
	if ! as_pg "$PGBIN/initdb" -D "$_d/data" --auth=trust -U lumbung -E UTF8 --locale=C.UTF-8 \
		-N >"$_d/initdb.log" 2>&1; then
		fail "initdb $1: $(tail -3 "$_d/initdb.log")"
		return 1
	fi
}

pg_start() {
	_d="$PGROOT/$1"
	if ! as_pg "$PGBIN/pg_ctl" -D "$_d/data" -l "$_d/sock/server.log" -w -t 30 -o \
		"-c listen_addresses='' -c unix_socket_directories='$_d/sock' -p $(cat "$_d/port") -c fsync=off -c full_page_writes=off -c max_connections=40" \
		start >"$_d/pg_ctl.log" 2>&1; then
		fail "PostgreSQL $1 did not start: $(tail -3 "$_d/pg_ctl.log") $(tail -3 "$_d/sock/server.log" 2>/dev/null)"
		return 1
	fi
	case " $PG_STARTED " in *" $1 "*) ;; *) PG_STARTED="$PG_STARTED $1" ;; esac
	PG_CONN=$(pg_conn "$1")
}

pg_up() { pg_init "$1" && pg_start "$1"; }

pg_stop() {
	_d="$PGROOT/$1"
	as_pg "$PGBIN/pg_ctl" -D "$_d/data" -m "${2:-fast}" -w -t 30 stop >>"$_d/pg_ctl.log" 2>&1
}

# pg_pid NAME — the postmaster's pid while it runs
pg_pid() { head -n 1 "$PGROOT/$1/data/postmaster.pid" 2>/dev/null; }

# pid_gone PID [SECONDS] — the process has ended (or is a zombie) within
# SECONDS (default 10): pg_ctl's wait ends when the pid file goes, a moment
# before the process does
pid_gone() {
	_i=0
	while kill -0 "$1" 2>/dev/null; do
		case $(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$1/status" 2>/dev/null) in Z | X) return 0 ;; esac
		_i=$((_i + 1))
		[ $_i -le $((${2:-10} * 10)) ] || return 1
		sleep 0.1
	done
}

pg_conn() { echo "host=$PGROOT/$1/sock port=$(cat "$PGROOT/$1/port") user=lumbung dbname=${2:-postgres}"; }

pg_sql() { psql "$(pg_conn "$1" "${3:-postgres}")" -XAtq -v ON_ERROR_STOP=1 -c "$2"; }

pg_createdb() { pg_sql "$1" "CREATE DATABASE \"$2\""; }

pg_cleanup() {
	for _s in $PG_STARTED; do
		_p=$(pg_pid "$_s")
		pg_stop "$_s" immediate 2>/dev/null
		[ -n "$_p" ] && kill -KILL "$_p" 2>/dev/null
	done
	PG_STARTED=""
	[ -n "$PGROOT" ] && rm -rf "$PGROOT"
	PGROOT=""
}

# ---- the region the mirror tests share (needs agglib.sh) --------------------
# pg_region — an aggregator $A for kabupaten 33.24 serving at $URL (key $AK)
# and three villages pushed to it for real: $T/v1 (33.24.01.2001, named),
# $T/v2 (33.24.01.2002), $T/v3 (33.24.02.2001, unnamed), generated with
# fixed seeds (every type lumbung-gen writes), then edited and pushed again
# (pg_region_edits): updates, deletes, a record deleted and put back, one
# put and deleted in the same batch, and values that are awkward in SQL
# and CSV (quotes, ; and a line break, a formula, blanks at the ends,
# non-ASCII, true booleans, a laporan with a period).
pg_region() {
	A="$T/agg"
	AK=$("$AGG_BIN" init -d "$A" --region 33.24) || { fail "lumbung-agg init"; return 1; }
	start_agg "$A" || return 1
	_pg_village "$T/v1" 33.24.01.2001 300 1 "Desa Sukamaju" &&
		_pg_village "$T/v2" 33.24.01.2002 200 2 &&
		_pg_village "$T/v3" 33.24.02.2001 150 3 || { fail "villages not made"; return 1; }
	for _v in v1 v2 v3; do
		"$LUMBUNG" push -d "$T/$_v" >"$T/push.out" 2>&1 || { fail "push $_v: $(tail -2 "$T/push.out")"; return 1; }
	done
	ok "three villages pushed to the aggregator"
}

# _pg_village DIR CODE COUNT SEED [NAME] — a village enrolled at $A, remote kab
_pg_village() {
	"$LUMBUNG" init -d "$1" --village "$2" ${5:+--name "$5"} >/dev/null 2>&1 &&
		"$GEN" --village "$2" --count "$3" --seed "$4" >"$1.jsonl" &&
		"$LUMBUNG" put -d "$1" --batch "$1.jsonl" >/dev/null 2>&1 &&
		"$AGG_BIN" enroll -d "$A" --village "$2" --key "$(origin "$1")" >/dev/null &&
		"$LUMBUNG" remote add -d "$1" kab "$URL" --key "$AK" >/dev/null
}

# pg_edits DIR SEED — a batch of updates and deletes of the village's own
# generated records (DIR.jsonl), put and pushed
pg_edits() {
	python3 - "$1.jsonl" "$2" >"$1.edits" <<'PY' || return 1
import json, random, sys
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
rnd = random.Random(int(sys.argv[2]))
def of(t): return [r for r in recs if r["type"] == t]
out = []
def put(r): out.append({"type": r["type"], "id": r["id"], "body": r["body"]})
def rm(r): out.append({"op": "del", "type": r["type"], "id": r["id"]})
heads = {r["body"]["kepala_keluarga"] for r in of("keluarga")}
named = {r["body"]["nik"] for r in of("penerima")}
pend = [r for r in of("penduduk") if r["id"] not in heads and r["id"] not in named]
rnd.shuffle(pend)
odd = ['O\'Brien "Sari"; Dewi', "Ñyoman Śantika", " Spasi di depan", "=SUM(A1)", "Wayan\\Putu"]
for i, r in enumerate(pend[:5]):          # updates, some of them twice (the last wins)
    r = json.loads(json.dumps(r))
    r["body"]["nama"] = odd[i]
    r["body"]["disabilitas"] = True
    put(r)
    if i % 2:
        r["body"]["pekerjaan"] = "guru"
        put(r)
for r in pend[5:9]:                        # deletes
    rm(r)
r = pend[9]; rm(r); put(r)                 # deleted and put back: live
r = json.loads(json.dumps(pend[10])); r["body"]["nama"] = "Sementara"; put(r); rm(r)  # gone
for r in of("keluarga")[:3]:              # a large rupiah, updated
    r = json.loads(json.dumps(r)); r["body"]["penghasilan_bulanan"] = 123456789012; put(r)
for r in of("aspirasi")[:1]:
    rm(r)
out.append({"type": "aspirasi", "id": "ASP-X-" + sys.argv[2], "body": {"tanggal": "2026-01-05",
            "pengusul": "+62 812", "usulan": "Jalan; \"rusak\"\nberat", "status": "diusulkan"}})
out.append({"type": "laporan", "id": "LAP-" + sys.argv[2], "body": {"periode": "2026-01",
            "bidang": "kesehatan", "ringkasan": "Posyandu  -  rutin\t ", "capaian": "100%"}})
out.append({"type": "kegiatan", "id": "KEG-X-" + sys.argv[2], "body": {"nama": "Kerja bakti",
            "tanggal_mulai": "2026-02-01", "jumlah_peserta": 0, "realisasi_anggaran": 0}})
for o in out:
    print(json.dumps(o, ensure_ascii=False))
PY
	"$LUMBUNG" put -d "$1" --batch "$1.edits" >"$T/put.out" 2>&1 || { fail "edits of $1: $(tail -3 "$T/put.out")"; return 1; }
	"$LUMBUNG" push -d "$1" >"$T/push.out" 2>&1 || { fail "push of $1's edits: $(tail -2 "$T/push.out")"; return 1; }
}

trap 'pg_cleanup; [ -n "${AGG_PID:-}" ] && kill -KILL "$AGG_PID" 2>/dev/null; rm -rf "$T"' EXIT
trap 'exit 130' INT TERM HUP

# ---- self-test: sh tests/cli/pglib.sh ----------------------------------------
case "$0" in */pglib.sh | pglib.sh) ;; *) return 0 2>/dev/null || true ;; esac
. "$(dirname "$0")/lib.sh"
trap 'pg_cleanup; rm -rf "$T"' EXIT
HERE=$(cd "$(dirname "$0")" && pwd)

check "pg_up starts a server" pg_up one
[ "$(pg_sql one 'select 40 + 2')" = 42 ] && ok "psql answers through the socket as role lumbung" ||
	fail "psql: $(pg_sql one 'select 40 + 2' 2>&1)"
[ "$(pg_sql one "select current_user")" = lumbung ] && ok "the role is lumbung" || fail "role"
P=$(pg_pid one)
u=$(ps -o user= -p "$P" 2>/dev/null)
if [ "$(id -u)" = 0 ]; then
	[ "$u" = "$PG_USER_OS" ] && ok "as root, the server runs as $PG_USER_OS" || fail "server runs as '$u'"
else
	[ "$u" = "$(id -un)" ] && ok "the server runs as ourselves ($u)" || fail "server runs as '$u'"
fi
[ "$(pg_sql one "show listen_addresses")" = "" ] && ok "no TCP listener (socket only)" || fail "listens on TCP"
check "a fresh database" pg_createdb one t1
[ "$(pg_sql one "create table x(a int); insert into x values (1),(2); select sum(a) from x" t1)" = 3 ] &&
	ok "tables in the fresh database" || fail "table in t1"
check "pg_stop -m fast stops it" pg_stop one
pid_gone "$P" && ok "postmaster gone" || fail "postmaster $P still runs"
pg_sql one "select 1" >/dev/null 2>&1 && fail "psql still answers" || ok "psql no longer answers"
check "pg_start starts it again" pg_start one
[ "$(pg_sql one "select sum(a) from x" t1)" = 3 ] && ok "the data survived the restart" || fail "data lost"
# a second server side by side
check "a second server" pg_up two
[ "$(pg_conn one)" != "$(pg_conn two)" ] && [ "$(pg_sql two "select count(*) from pg_database where datname = 't1'")" = 0 ] &&
	ok "the two servers are separate" || fail "servers not separate"
# a test that exits leaves no server behind (the EXIT trap)
cat >"$T/child.sh" <<EOF
. "$HERE/lib.sh"
. "$HERE/pglib.sh"
pg_up c >/dev/null || exit 1
pg_pid c >"$T/child.pid"
echo "\$PGROOT" >"$T/child.root"
exit 0
EOF
BUILD=$BUILD sh "$T/child.sh" >"$T/child.out" 2>&1
CP=$(cat "$T/child.pid" 2>/dev/null)
if [ -n "$CP" ] && pid_gone "$CP" && [ ! -e "$(cat "$T/child.root")" ]; then
	ok "a test that exits stops its server and removes its directory"
else fail "child server ${CP:-never started} left behind: $(cat "$T/child.out")"; fi
# PostgreSQL missing: a failure, not a skip
cat >"$T/missing.sh" <<EOF
. "$HERE/lib.sh"
. "$HERE/pglib.sh"
pg_bindir() { return 1; }
pg_up m
done_testing
EOF
BUILD=$BUILD sh "$T/missing.sh" >"$T/missing.out" 2>&1
rc=$?
if [ $rc != 0 ] && grep -q "^not ok 1 - PostgreSQL is not installed" "$T/missing.out"; then
	ok "without PostgreSQL the test fails (not skips), naming tools/deps.sh"
else fail "without PostgreSQL: exit $rc, $(cat "$T/missing.out")"; fi
done_testing
