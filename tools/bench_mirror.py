#!/usr/bin/env python3
"""bench_mirror.py BUILD OUT — `lumbung-agg mirror` into PostgreSQL (issue 13),
appended to OUT (docs/PERFORMANCE.md; a section of the same size is replaced).

A region of N entries (LUMBUNG_BENCH_MIRROR_N, default 4,000,000: issue 06's
region of 400 villages x 10,000) is built the fast way, not timed: each village
made with `lumbung-gen | lumbung put --batch`, cut into one change set with
`lumbung changeset`, and `lumbung-agg ingest`ed into one aggregator.  A fresh
PostgreSQL (the system's, `initdb` into a temporary directory, socket only; run
as `nobody` when we are root) then gets, timed from fork to exit:

  - the full mirror into an empty database (target >= 100,000 rows/s; each
    entry is stored as two rows: its perubahan row and its record's row);
  - 10,000 new entries (10 villages x 1,000) ingested, then an incremental run
    (target <= 1 s), once right after the full load (PostgreSQL's autovacuum
    still busy with the fresh tables) and once with the database settled
    (VACUUM ANALYZE and CHECKPOINT done, as every later run finds it), and a
    run with nothing new (the floor of a pass);
  - baselines in the same run: `lumbung-agg export penduduk --csv` of the same
    region (rows/s) and a raw `COPY` of that CSV with psql into a table keyed
    like the mirror's (`PRIMARY KEY (desa, nik)`), the bare cost of putting
    those rows into this PostgreSQL.

Sizes of the mirrored tables (pg_total_relation_size) are reported per entry
and per village.  LUMBUNG_BENCH_MIRROR_JOBS sets --jobs (default: the
mirror's own default); LUMBUNG_BENCH_DIR where the files go."""
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

build, out = sys.argv[1], sys.argv[2]
N = int(os.environ.get("LUMBUNG_BENCH_MIRROR_N", "4000000"))
JOBS = os.environ.get("LUMBUNG_BENCH_MIRROR_JOBS", "")
PER = min(10000, N)
V = max(1, N // PER)
N = V * PER
NEW_V, NEW_PER = min(10, V), 1000
lb, agg, gen = (os.path.join(build, b) for b in ("lumbung", "lumbung-agg", "lumbung-gen"))
base = os.environ.get("LUMBUNG_BENCH_DIR") or tempfile.gettempdir()
w = tempfile.mkdtemp(prefix="lumbung-mirror.", dir=base)
os.chmod(w, 0o755)
root = os.getuid() == 0
pgbin = None


def run(*a, env=None, **kw):
    r = subprocess.run(a, capture_output=True, text=True, env=env, **kw)
    if r.returncode:
        sys.exit("bench_mirror: %s failed (exit %d): %s" % (" ".join(a[:3]), r.returncode,
                                                            r.stderr.strip()[:400]))
    return r.stdout


def as_pg(*a):
    """initdb/pg_ctl refuse root: run them as nobody then."""
    if root:
        a = ("runuser", "-u", "nobody", "--") + a
    return run(*a, cwd="/")


def code(i):  # 20 villages per kecamatan, as bench_figures.sh
    return "33.24.%02d.%d" % (i // 20 + 1, 2001 + i % 20)


def make(i):
    d = "%s/v%d" % (w, i)
    run(lb, "init", "-d", d, "--village", code(i))
    g = subprocess.Popen([gen, "--village", code(i), "--count", str(PER), "--seed", str(i + 1)],
                         stdout=subprocess.PIPE)
    run(lb, "put", "-d", d, "--batch", stdin=g.stdout)
    g.wait()
    with open("%s/v%d.lcs" % (w, i), "wb") as f:
        subprocess.run([lb, "changeset", "-d", d], stdout=f, stderr=subprocess.DEVNULL, check=True)
    origin = re.search(r"^origin\s+(\S+)", run(lb, "id", "-d", d), re.M).group(1)
    if i >= NEW_V:  # the first NEW_V villages get new entries later
        shutil.rmtree(d)
    return origin


def timed(*a):
    t = time.monotonic()
    o = run(*a)
    return time.monotonic() - t, o


def sent(o):
    m = re.search(r"([\d,]+) entries sent", o)
    return int(m.group(1).replace(",", "")) if m else -1


try:
    for d in [subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip()] + \
            sorted((os.path.join("/usr/lib/postgresql", v, "bin")
                    for v in (os.listdir("/usr/lib/postgresql") if os.path.isdir("/usr/lib/postgresql") else [])),
                   reverse=True):
        if d and os.access(os.path.join(d, "initdb"), os.X_OK):
            pgbin = d
            break
    if not pgbin:
        sys.exit("bench_mirror: PostgreSQL is not installed (tools/deps.sh installs postgresql)")

    t0 = time.monotonic()
    with ThreadPoolExecutor(2) as ex:
        origins = list(ex.map(make, range(V)))
    a = w + "/agg"
    run(agg, "init", "-d", a, "--region", "33.24")
    for i, o in enumerate(origins):
        run(agg, "enroll", "-d", a, "--village", code(i), "--key", o)
    for i in range(0, V, 50):
        run(agg, "ingest", "-d", a, *["%s/v%d.lcs" % (w, j) for j in range(i, min(V, i + 50))])
    prep = time.monotonic() - t0
    print("bench_mirror: %d villages x %d entries made and ingested in %.0f s" % (V, PER, prep),
          file=sys.stderr)

    # PostgreSQL: the system's defaults but for the socket and a WAL large
    # enough that a bulk load is not a string of checkpoints
    pg = w + "/pg"
    os.makedirs(pg + "/sock")
    if root:
        subprocess.run(["chown", "-R", "nobody:", pg], check=True)
    as_pg(pgbin + "/initdb", "-D", pg + "/data", "--auth=trust", "-U", "lumbung", "-E", "UTF8",
          "--locale=C.UTF-8")
    as_pg(pgbin + "/pg_ctl", "-D", pg + "/data", "-l", pg + "/sock/log", "-w", "-o",
          "-c listen_addresses='' -c unix_socket_directories='%s/sock' -p 5432 "
          "-c max_wal_size=4GB" % pg, "start")
    conn = "host=%s/sock port=5432 user=lumbung dbname=postgres" % pg

    def psql(sql):
        return run("psql", conn, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql).strip()

    jobs = ["--jobs", JOBS] if JOBS else []
    mirror = [agg, "mirror", "-d", a, "--pg", conn, "--quiet"] + jobs
    full, o = timed(*mirror)
    nfull = sent(o)
    if nfull != N:
        sys.exit("bench_mirror: the full mirror sent %d entries, not %d: %s" % (nfull, N, o))
    counts = {t: int(psql("select count(*) from %s" % t)) for t in
              ("penduduk", "keluarga", "program", "penerima", "kegiatan", "aspirasi")}
    rows = sum(counts.values())
    sizes = json.loads(psql(
        "select json_object_agg(relname, pg_total_relation_size(oid)) from pg_class "
        "where relkind = 'r' and relnamespace = 'public'::regnamespace"))
    dbsize = int(psql("select pg_database_size(current_database())"))

    def incremental(round_):
        """10,000 new entries in NEW_V villages, then an incremental run"""
        for i in range(NEW_V):
            d = "%s/v%d" % (w, i)
            seq = int(re.search(r"^seq\s+(\d+)", run(lb, "id", "-d", d), re.M).group(1))
            g = subprocess.Popen([gen, "--village", code(i), "--count", str(NEW_PER), "--only",
                                  "penduduk", "--seed", str(100000 * round_ + i)],
                                 stdout=subprocess.PIPE)
            run(lb, "put", "-d", d, "--batch", stdin=g.stdout)
            g.wait()
            with open("%s/n%d.lcs" % (w, i), "wb") as f:
                subprocess.run([lb, "changeset", "-d", d, "--since", str(seq + 1)], stdout=f,
                               stderr=subprocess.DEVNULL, check=True)
        run(agg, "ingest", "-d", a, *["%s/n%d.lcs" % (w, i) for i in range(NEW_V)])
        t, o = timed(*mirror)
        if sent(o) != NEW_V * NEW_PER:
            sys.exit("bench_mirror: the incremental run sent %d entries, not %d: %s"
                     % (sent(o), NEW_V * NEW_PER, o))
        return t

    # right after the first load PostgreSQL's autovacuum is still going
    # over the fresh tables (and a checkpoint writing them out): the first
    # incremental run shares the machine with it
    inc_busy = incremental(1)
    # then settled, as every later run finds the database: the first load's
    # VACUUM ANALYZE and checkpoint done (what autovacuum does by itself)
    t = time.monotonic()
    psql("vacuum analyze")
    psql("checkpoint")
    settle = time.monotonic() - t
    inc = incremental(2)
    idle, o = timed(*mirror)
    if sent(o) != 0:
        sys.exit("bench_mirror: a run with nothing new sent something: " + o)

    # baselines: the CSV export of penduduk, and a raw COPY of it
    with open(w + "/penduduk.csv", "wb") as f:
        t = time.monotonic()
        r = subprocess.run([agg, "export", "penduduk", "-d", a, "--csv"], stdout=f)
        exp = time.monotonic() - t
    if r.returncode:
        sys.exit("bench_mirror: export failed")
    with open(w + "/penduduk.csv", encoding="utf-8-sig") as f:
        hdr = f.readline().strip().split(";")
        nexp = sum(1 for _ in f)
    cols = ", ".join("%s text" % h.strip('"') for h in hdr)
    psql("create table raw_penduduk (%s, primary key (desa, nik))" % cols)
    t = time.monotonic()
    run("psql", conn, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c",
        "\\copy raw_penduduk from '%s/penduduk.csv' with (format csv, delimiter ';', header)" % w)
    raw = time.monotonic() - t
    if int(psql("select count(*) from raw_penduduk")) != nexp:
        sys.exit("bench_mirror: raw COPY lost rows")
    rawsize = int(psql("select pg_total_relation_size('raw_penduduk')"))
    as_pg(pgbin + "/pg_ctl", "-D", pg + "/data", "-m", "fast", "-w", "stop")

    load = os.getloadavg()[0]
    cpu = ""
    try:
        cpu = re.search(r"model name\s*:\s*(.*)", open("/proc/cpuinfo").read()).group(1)
    except Exception:
        pass
    pgver = run(pgbin + "/postgres", "--version").strip()
    mib = 1048576
    rec = sum(sizes.get(t, 0) for t in counts)
    title = "## Mirror into PostgreSQL (issue 13): %d villages x %s entries" % (V, format(PER, ","))
    rate = N / full
    lines = [
        title, "",
        "Written by `tools/bench_mirror.py` (%s; %s, %d CPUs%s; %s; load average %.1f at the end). "
        "A region of %d villages x %s entries (`lumbung-gen`, every type; kecamatan of 20 villages; "
        "%s entries) made with `lumbung put --batch` + `lumbung changeset` and `lumbung-agg ingest`ed "
        "(%.0f s, not timed), then `lumbung-agg mirror -d AGG --pg CONNINFO --quiet%s` into a fresh "
        "database of a PostgreSQL started for the run (`initdb` defaults, socket only, "
        "`max_wal_size=4GB`, fsync on), each run a whole process timed from fork to exit. "
        "Baselines in the same run, on the same region and server: `lumbung-agg export penduduk "
        "--csv`, and psql's `\\copy` of that CSV into a table of text columns keyed "
        "`(desa, nik)` like the mirror's." % (
            time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), platform.node(), os.cpu_count(),
            ", " + cpu if cpu else "", pgver, load, V, format(PER, ","), format(N, ","), prep,
            " " + " ".join(jobs) if jobs else ""), "",
        "| what | result | target |", "|---|---|---|",
        "| full mirror, empty database: rows stored | %s rows/s (%s perubahan rows + %s record rows, %.1f s) | >= 100,000 rows/s%s |" % (
            format(int((N + rows) / full), ","), format(N, ","), format(rows, ","), full,
            " (met)" if (N + rows) / full >= 100000 else " (MISSED)"),
        "| the same per entry of the aggregator | %s entries/s | (an entry is 2 rows) |" % format(int(rate), ","),
        "| incremental run: %s new entries in %d villages, the database settled | %.2f s | <= 1 s%s |" % (
            format(NEW_V * NEW_PER, ","), NEW_V, inc, " (met)" if inc <= 1 else " (MISSED)"),
        "| the same right after the first load (autovacuum and a checkpoint running meanwhile) | %.2f s | |" % inc_busy,
        "| the first load's `VACUUM ANALYZE` and `CHECKPOINT` (autovacuum's work, done at once) | %.1f s | |" % settle,
        "| run with nothing new | %.2f s | |" % idle,
        "| baseline: `lumbung-agg export penduduk --csv` | %s rows/s (%s rows, %.1f s) | |" % (
            format(int(nexp / exp), ","), format(nexp, ","), exp),
        "| baseline: psql `\\copy` of that CSV, keyed (desa, nik) | %s rows/s (%.1f s) | |" % (
            format(int(nexp / raw), ","), raw),
        "| bytes stored per second: mirror (whole database) / raw `\\copy` (its table) | "
        "%.1f MiB/s / %.1f MiB/s | |" % (dbsize / full / mib, rawsize / raw / mib),
        "", "Sizes after the full mirror (`pg_total_relation_size`, tables with their indexes and "
        "TOAST):", "",
        "| table | rows | size | per row |", "|---|---|---|---|",
        "| perubahan (every entry, body as jsonb) | %s | %.0f MiB | %.0f B |" % (
            format(N, ","), sizes.get("perubahan", 0) / mib, sizes.get("perubahan", 0) / N),
    ]
    for t in sorted(counts):
        lines.append("| %s | %s | %.0f MiB | %.0f B |" % (
            t, format(counts[t], ","), sizes.get(t, 0) / mib, sizes.get(t, 0) / max(1, counts[t])))
    lines += [
        "| all record tables | %s | %.0f MiB | %.0f B |" % (format(rows, ","), rec / mib, rec / max(1, rows)),
        "| raw_penduduk (the baseline's text copy) | %s | %.0f MiB | %.0f B |" % (
            format(nexp, ","), rawsize / mib, rawsize / max(1, nexp)),
        "| the database | | %.0f MiB | %.0f B per entry, %.1f MiB per village |" % (
            dbsize / mib, dbsize / N, dbsize / V / mib),
        "",
        "Reading it: the full mirror writes each entry twice (the change log `perubahan`, with a "
        "jsonb body and two indexes, and its record table), so the raw `\\copy` of one table's rows "
        "is the floor of what this server takes, not a like-for-like rate. The run with nothing new "
        "is the fixed cost of a pass (process start, connect, the layout checked, every village's "
        "position read); the incremental run's time beyond it is the new entries. The wall times "
        "include waiting for a CPU when the machine is shared (see the load average). Reproduce: "
        "`LUMBUNG_BENCH_MIRROR_N=%d python3 tools/bench_mirror.py build docs/PERFORMANCE.md`." % N, ""]
    sec = "\n".join(lines)
    print(sec)
    text = open(out).read() if os.path.exists(out) else "# lumbung — performance\n"
    text = re.sub(r"\n" + re.escape(title) + r"\n.*?(?=\n## |\Z)", "\n", text,
                  flags=re.S).rstrip("\n") + "\n\n" + sec
    open(out, "w").write(text)
finally:
    if pgbin and os.path.exists(w + "/pg/data/postmaster.pid"):
        subprocess.run((("runuser", "-u", "nobody", "--") if root else ()) +
                       (pgbin + "/pg_ctl", "-D", w + "/pg/data", "-m", "immediate", "-w", "stop"),
                       capture_output=True, cwd="/")
    if os.environ.get("LUMBUNG_BENCH_KEEP") != "1":
        shutil.rmtree(w, ignore_errors=True)
