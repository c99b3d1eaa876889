#!/bin/sh
# bench_aggexport.sh — `lumbung-agg export penduduk` of a whole region
# (issue 06): V villages of M penduduk records each are generated, pushed to
# one aggregator (not timed), then the region is exported as CSV, JSON lines
# and XLSX, each timed from fork to exit with its peak memory.  Appends a
# section to the markdown file given (what `make bench` writes).
#
#   sh tools/bench_aggexport.sh BUILD_DIR OUT.md
#
# LUMBUNG_BENCH_EXPORT_VILLAGES (default 10) and LUMBUNG_BENCH_EXPORT_PER
# (default 30000) set V and M; LUMBUNG_BENCH_DIR where the files go.
# Target: >= 300,000 rows/s with <= 64 MiB of anonymous memory.
set -eu
BUILD=$1
OUT=$2
V=${LUMBUNG_BENCH_EXPORT_VILLAGES:-10}
M=${LUMBUNG_BENCH_EXPORT_PER:-30000}
for v in "$V" "$M"; do
	case $v in '' | *[!0-9]* | 0)
		echo "bench: LUMBUNG_BENCH_EXPORT_VILLAGES and _PER must be positive integers" >&2
		exit 2 ;;
	esac
done
[ "$V" -le 99 ] || { echo "bench: at most 99 villages" >&2; exit 2; }
D=$(mktemp -d "${LUMBUNG_BENCH_DIR:-${TMPDIR:-/tmp}}/lumbung-aggexport.XXXXXX")
SPID=""
# LUMBUNG_BENCH_KEEP=1 keeps the directory (to profile an export by hand)
trap '[ -n "$SPID" ] && kill "$SPID" 2>/dev/null; [ "${LUMBUNG_BENCH_KEEP:-}" = 1 ] || rm -rf "$D"' EXIT
AK=$("$BUILD/lumbung-agg" init -d "$D/agg" --region 33.24)
"$BUILD/lumbung-agg" serve -d "$D/agg" --listen 127.0.0.1:0 >"$D/serve.out" 2>"$D/serve.log" &
SPID=$!
i=0
until grep -q "listening on" "$D/serve.out" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "bench: serve did not start" >&2; exit 1; }
	sleep 0.1
done
URL="http://127.0.0.1:$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$D/serve.out")"
t0=$(date +%s)
for n in $(seq 1 "$V"); do
	code=$(printf '33.24.%02d.20%02d' $(((n + 1) / 2)) "$n")
	"$BUILD/lumbung" init -d "$D/v$n" --village "$code" --name "Desa Nomor $n" >/dev/null 2>&1
	"$BUILD/lumbung-gen" --village "$code" --count "$M" --only penduduk --seed "$n" |
		"$BUILD/lumbung" put -d "$D/v$n" --batch - >/dev/null
	origin=$("$BUILD/lumbung" id -d "$D/v$n" | awk '$1 == "origin" { print $2 }')
	"$BUILD/lumbung-agg" enroll -d "$D/agg" --village "$code" --key "$origin" >/dev/null
	"$BUILD/lumbung" push -d "$D/v$n" --to "$URL" --key "$AK" --max-bytes 16m >/dev/null 2>&1
done
prep=$(($(date +%s) - t0))
kill "$SPID" && wait "$SPID" 2>/dev/null || true
SPID=""
python3 - "$BUILD/lumbung-agg" "$D" "$V" "$M" "$OUT" "$prep" <<'PY'
import os, resource, subprocess, sys, time, platform
agg, d, v, m, out, prep = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]

def run(args, stdout):
    """Run, polling RssAnon/RssFile every 5 ms; wall, peak anon, peak file, ru_maxrss."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.Popen(args, stdout=stdout, stderr=subprocess.PIPE)
    anon = filep = 0
    while p.poll() is None:
        try:
            for l in open("/proc/%d/status" % p.pid):
                if l.startswith("RssAnon:"): anon = max(anon, int(l.split()[1]))
                if l.startswith("RssFile:"): filep = max(filep, int(l.split()[1]))
        except OSError:
            pass
        time.sleep(0.005)
    dt = time.monotonic() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
    if p.returncode != 0:
        sys.exit("bench: %s failed: %s" % (" ".join(args), p.stderr.read().decode()))
    return dt, cpu, anon / 1024, filep / 1024

rows = []
for fmt, extra, dest in (("CSV", [], d + "/all.csv"), ("JSON lines", ["--jsonl"], d + "/all.jsonl"),
                         ("XLSX", ["--xlsx", d + "/all.xlsx"], None)):
    with open(dest or os.devnull, "wb") as f:
        dt, cpu, anon, filep = run([agg, "export", "penduduk", "-d", d + "/agg"] + extra, f)
    size = os.path.getsize(dest or d + "/all.xlsx") / 1048576
    rows.append((fmt, dt, cpu, anon, filep, size))
with open(d + "/all.csv", encoding="utf-8-sig") as f:
    n = sum(1 for _ in f) - 1
cpus = os.cpu_count()
lines = ["", "## Consolidated export (issue 06)", "",
         "Command: `tools/bench_aggexport.sh` (`make bench`): %d villages of %d generated penduduk "
         "records each (`lumbung-gen --only penduduk`), in %d kecamatan, pushed to one "
         "`lumbung-agg serve` (%s s, not timed); then `lumbung-agg export penduduk -d AGG` of the "
         "whole region in each format, timed from fork to exit. Memory: the peaks of RssAnon "
         "(heap: what the export itself holds) and RssFile (pages of the memory-mapped LMDB file "
         "read, clean and reclaimable) polled every 5 ms. Target: >= 300,000 rows/s with <= 64 MiB "
         "of anonymous memory." % (v, m, (v + 1) // 2, prep), "",
         "| format | rows | rate (wall) | wall | CPU | rows per CPU second | anonymous | file-backed | output |",
         "|---|---|---|---|---|---|---|---|---|"]
for fmt, dt, cpu, anon, filep, size in rows:
    lines.append("| %s | %s | %s rows/s%s | %.2f s | %.2f s | %s | %.1f MiB | %.1f MiB | %.1f MiB |" % (
        fmt, format(n, ","), format(int(n / dt), ","),
        " (target met)" if fmt == "CSV" and n / dt >= 300000 and anon <= 64 else
        " (MISSED)" if fmt == "CSV" else "", dt, cpu, format(int(n / max(cpu, 1e-9)), ","),
        anon, filep, size))
lines += ["", "- Machine: %d CPUs, %s %s %s; load average %.1f when the run ended (the wall "
          "rate drops when other work shares the CPUs; the CPU column does not)." % (
              cpus, platform.system(), platform.release(), platform.machine(), os.getloadavg()[0]),
          "- The export reads the consolidated view in key order inside one LMDB read transaction "
          "and each record's live entry from the replica (one B-tree lookup, `lb_entry_decode`), "
          "writing as it goes, so anonymous memory stays flat whatever the region's size. XLSX "
          "uses libxlsxwriter's constant-memory mode (one row buffered; the sheet is spooled to a "
          "temporary file and zipped at the end, which is most of its time).", ""]
print("\n".join(lines))
with open(out, "a") as f:
    f.write("\n".join(lines))
PY
