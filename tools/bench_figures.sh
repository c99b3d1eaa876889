#!/bin/sh
# bench_figures.sh — what keeping the report figures at ingest costs, and
# how fast region-wide reports are (issue 06).  Appends (or replaces) the
# section "## Consolidated figures and reports (issue 06): V villages x M
# records" of the Markdown file OUT (default docs/PERFORMANCE.md), so runs
# of different sizes stand side by side.
#
#   sh tools/bench_figures.sh BUILD_DIR [OUT]
#
# Environment:
#   LUMBUNG_BENCH_FIG_VILLAGES  villages in the region (default 40)
#   LUMBUNG_BENCH_FIG_PER       records per village (default 2500)
#   LUMBUNG_BENCH_DIR           where the temporary nodes go (default /tmp)
#
# One run: V villages of M records each (lumbung-gen, seeds 1..V, spread
# over kecamatan of 20 villages) are made and cut into one change set each
# with `lumbung changeset` (not timed).  Two fresh aggregators enrol them
# all; `lumbung-agg ingest` takes every change set, timed, once with the
# figures switched off (LUMBUNG_AGG_NO_FIGURES=1, the baseline; that store's
# figures are then stale) and once with them kept.  Then `lumbung-agg
# report ringkasan` and `report penduduk` over the whole region, best of 5
# (each a full process: open, one read transaction, render), and
# verify-figures, which must agree.  The issue's size is 400 x 10,000:
# LUMBUNG_BENCH_FIG_VILLAGES=400 LUMBUNG_BENCH_FIG_PER=10000.
set -eu

BUILD=${1:-}
OUT=${2:-docs/PERFORMANCE.md}
if [ -z "$BUILD" ]; then
	echo "usage: sh tools/bench_figures.sh BUILD_DIR [OUT]" >&2
	exit 2
fi
V=${LUMBUNG_BENCH_FIG_VILLAGES:-40}
M=${LUMBUNG_BENCH_FIG_PER:-2500}
for v in "$V" "$M"; do
	case $v in '' | *[!0-9]* | 0)
		echo "bench: LUMBUNG_BENCH_FIG_VILLAGES and LUMBUNG_BENCH_FIG_PER must be positive integers" >&2
		exit 2 ;;
	esac
done
for b in lumbung lumbung-agg lumbung-gen; do
	if [ ! -x "$BUILD/$b" ]; then
		echo "bench: $BUILD/$b is missing; build it first (make binaries)" >&2
		exit 1
	fi
done
W=$(mktemp -d "${LUMBUNG_BENCH_DIR:-${TMPDIR:-/tmp}}/lumbung-fig.XXXXXX")
trap 'rm -rf "$W"' EXIT INT TERM

python3 - "$BUILD" "$W" "$V" "$M" "$OUT" <<'PY'
import os, platform, re, resource, shutil, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor

build, w, V, M, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
lb, agg, gen = (os.path.join(build, b) for b in ("lumbung", "lumbung-agg", "lumbung-gen"))

def run(*a, env=None, **kw):
    r = subprocess.run(a, capture_output=True, text=True, env=env, **kw)
    if r.returncode:
        sys.exit(f"bench: {' '.join(a[:3])} failed: {r.stderr.strip()[:300]}")
    return r.stdout

def code(i):  # 20 villages per kecamatan
    return f"33.24.{i // 20 + 1:02d}.{2001 + i % 20}"

def make(i):
    d = f"{w}/v{i}"
    run(lb, "init", "-d", d, "--village", code(i))
    g = subprocess.Popen([gen, "--village", code(i), "--count", str(M), "--seed", str(i + 1)],
                         stdout=subprocess.PIPE)
    run(lb, "put", "-d", d, "--batch", stdin=g.stdout)
    g.wait()
    with open(f"{w}/v{i}.lcs", "wb") as f:
        subprocess.run([lb, "changeset", "-d", d], stdout=f, stderr=subprocess.DEVNULL, check=True)
    origin = re.search(r"^origin\s+(\S+)", run(lb, "id", "-d", d), re.M).group(1)
    subprocess.run(["rm", "-rf", d])
    return origin

t0 = time.monotonic()
with ThreadPoolExecutor(2) as ex:
    origins = list(ex.map(make, range(V)))
print(f"bench: {V} villages x {M} records made in {time.monotonic() - t0:.0f} s", file=sys.stderr)
files = [f"{w}/v{i}.lcs" for i in range(V)]

empty = f"{w}/agg-empty"
run(agg, "init", "-d", empty, "--region", "33.24")
for i, o in enumerate(origins):
    run(agg, "enroll", "-d", empty, "--village", code(i), "--key", o)

def ingest(name, figures):
    a = f"{w}/{name}"
    shutil.rmtree(a, ignore_errors=True)
    shutil.copytree(empty, a)
    env = dict(os.environ)
    env.pop("LUMBUNG_AGG_NO_FIGURES", None)
    if not figures:
        env["LUMBUNG_AGG_NO_FIGURES"] = "1"
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.monotonic()
    run(agg, "ingest", "-d", a, *files, env=env)
    wall = time.monotonic() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime
    return a, wall, cpu

# alternate, twice each; the best run of each side counts (the machine may be shared)
runs = {False: [], True: []}
for figures in (False, True, False, True):
    a, wall, cpu = ingest("agg-on" if figures else "agg-off", figures)
    runs[figures].append((wall, cpu))
off, offcpu = min(x[0] for x in runs[False]), min(x[1] for x in runs[False])
on, oncpu = min(x[0] for x in runs[True]), min(x[1] for x in runs[True])
a = f"{w}/agg-on"
n = V * M
size = os.path.getsize(f"{a}/data.mdb") / 1048576

def best(*args):
    ts = []
    for _ in range(5):
        t = time.monotonic()
        run(agg, "report", *args, "-d", a, "--per", "2026-06-30")
        ts.append(time.monotonic() - t)
    return min(ts) * 1000

rk, pd = best("ringkasan"), best("penduduk")
rkj = best("ringkasan", "--json")
pdj = best("penduduk", "--json")
t = time.monotonic()
run(agg, "verify-figures", "-d", a)
vf = time.monotonic() - t
ratio = on / off
cratio = oncpu / offcpu
cpu = ""
try:
    cpu = re.search(r"model name\s*:\s*(.*)", open("/proc/cpuinfo").read()).group(1)
except Exception:
    pass
title = f"## Consolidated figures and reports (issue 06): {V} villages x {M:,} records"
sec = f"""{title}

Written by `tools/bench_figures.sh` ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())};
{platform.node()}, {os.cpu_count()} CPUs{', ' + cpu if cpu else ''}). A region of {V} villages
x {M:,} records ({n:,} entries; kecamatan of 20 villages), one change set per village made with
`lumbung changeset`, ingested by `lumbung-agg ingest` into two fresh aggregators: once with the
figures switched off (`LUMBUNG_AGG_NO_FIGURES=1`, the baseline) and once keeping them (the
default: counters updated in the ingest's own LMDB transaction). Reports are whole processes
(`lumbung-agg report NAME -d DIR --per 2026-06-30`, open + one read transaction + render to a
pipe), best of 5, over every village of the region. Each ingest ran twice, alternating; the
best of each side is shown, wall time and the process's CPU time (user + system).

| what | result | target |
|---|---|---|
| ingest without figures | {n / off:,.0f} entries/s ({off:.2f} s wall, {offcpu:.2f} s CPU) | |
| ingest keeping figures | {n / on:,.0f} entries/s ({on:.2f} s wall, {oncpu:.2f} s CPU) | |
| slowdown from the figures | {100 * (ratio - 1):+.1f} % wall, {100 * (cratio - 1):+.1f} % CPU | <= +20 % |
| `report ringkasan`, {V} villages | {rk:.1f} ms (table), {rkj:.1f} ms (--json) | <= 100 ms |
| `report penduduk`, {V} villages | {pd:.1f} ms (table), {pdj:.1f} ms (--json) | <= 100 ms |
| `verify-figures` (recomputes every figure from the view) | {vf:.2f} s | |
| store size after ingest | {size:.0f} MiB | |

Where the figures' cost goes (`perf record` and callgrind of `lumbung-agg ingest`, figures on
against off): the ingest hands each checked record body to the figures (the type comes from the
view key, so the entry is not parsed again); a body's fields are found by name length; the
counters of the record's village (the base array, the birth arrays by decade and year) are held
by pointer for the change set, so a record bumps them without hashing; other keys (occupation,
programme, NIK bucket) go through the batch's hash table. A figure is read from the store only
when it may exist: a village's first change set finds no key of its own, and a new NIK's bucket
is the one lookup that cannot wait for the flush (the nik-ganda flag needs its content). At the
end of the change set the batch is sorted and written with one cursor. What remains is mostly
LMDB's and the kernel's: the figures are about a tenth of the store, and each change set
rewrites its village's keys and the NIK buckets of its kecamatan (NIKs of one kecamatan share
buckets), about 40 % more bytes written per change set, into pages scattered over the file
(LMDB reuses freed pages) rather than appended. In instructions (callgrind) the figures add
about 19 %; in CPU time more, most of the rest being system time copying those pages at commit.
The wall-clock slowdown is the number to hold against the target when the machine is otherwise
idle; on a shared machine the CPU time is the steadier measure.
"""
text = open(out).read() if os.path.exists(out) else "# lumbung — performance\n"
text = re.sub(r"\n" + re.escape(title) + r"\n.*?(?=\n## |\Z)", "\n", text,
              flags=re.S).rstrip("\n") + "\n\n" + sec
open(out, "w").write(text)
print(sec)
PY
