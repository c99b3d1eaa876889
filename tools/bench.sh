#!/bin/sh
# bench.sh — run the node benchmarks and rewrite docs/PERFORMANCE.md.
#
#   sh tools/bench.sh BUILD_DIR          (what `make bench` runs)
#
# Environment:
#   LUMBUNG_BENCH_N        records for the import benchmarks (default 1000000)
#   LUMBUNG_BENCH_SAMPLES  single-put samples per side (default 2000)
#   LUMBUNG_BENCH_DIR      where temporary nodes go (default /tmp); put it on
#                          the filesystem whose durability you want measured
#
# The table goes to stdout; docs/PERFORMANCE.md gets a preamble saying what
# is measured followed by the section lumbung-bench appends.  If the
# benchmark fails, the previous docs/PERFORMANCE.md is left as it was.
set -eu

BUILD=${1:-}
if [ -z "$BUILD" ]; then
	echo "usage: sh tools/bench.sh BUILD_DIR" >&2
	exit 2
fi
N=${LUMBUNG_BENCH_N:-1000000}
SAMPLES=${LUMBUNG_BENCH_SAMPLES:-2000}
OUT=docs/PERFORMANCE.md

case $N in '' | *[!0-9]*)
	echo "bench: LUMBUNG_BENCH_N must be a positive integer, not '$N'" >&2
	exit 2 ;;
esac
case $SAMPLES in '' | *[!0-9]*)
	echo "bench: LUMBUNG_BENCH_SAMPLES must be a positive integer, not '$SAMPLES'" >&2
	exit 2 ;;
esac
for b in lumbung lumbung-gen lumbung-bench; do
	if [ ! -x "$BUILD/$b" ]; then
		echo "bench: $BUILD/$b is missing; build it first (make binaries)" >&2
		exit 1
	fi
done

mkdir -p docs
old=$(mktemp "${TMPDIR:-/tmp}/lumbung-perf.XXXXXX")
had_old=0
if [ -f "$OUT" ]; then
	cp "$OUT" "$old"
	had_old=1
fi
restore() {
	if [ "$had_old" = 1 ]; then cp "$old" "$OUT"; else rm -f "$OUT"; fi
	rm -f "$old"
}
trap 'restore; exit 130' INT TERM

cat >"$OUT" <<'EOF'
# lumbung — performance

Written by `make bench` (`tools/bench.sh`, which runs `build/lumbung-bench`); the figures are
those of the last run, on the machine named with them, and change from machine to machine and
run to run. Rerun `make bench` after changing anything on the write path;
`LUMBUNG_BENCH_N=100000 make bench` gives a quicker, rougher run. Do not edit the figures by hand.

## What is measured

Everything below is measured in one run of `lumbung-bench`, against raw LMDB on the same
filesystem, so the ratios say more than the absolute numbers (a village PC's SD card is far
slower than a server disk; batch writes).

- **a) Batched import.** N records from `lumbung-gen` (residents, households, programmes,
  beneficiaries, activities, aspirations; bodies ~230 bytes of canonical msgpack) are parsed and
  encoded *before* the clock starts. Then `lb_node_write` imports them on a fresh node, 10,000
  ops per transaction: one entry per op (hash-chained, BLAKE2b), the records index, the Merkle
  frontier, one Ed25519-signed head and the tip per transaction. The baseline is raw LMDB
  storing the same encoded entries (`lb_entry_encode`, 8-byte big-endian seq keys,
  `MDB_APPEND`, the same transaction size) with nothing else. Both use LMDB's default durable
  flags (fsync at every commit). Target: lumbung ≥ 0.4 × raw.
- **a') Diagnostic.** Raw LMDB doing the same plus one put per entry into a second database
  keyed `type NUL id`, as the node's `records` db is. It is not the baseline: it shows how much
  of the gap is that index (B-tree pages rewritten by random keys) rather than lumbung's code.
- **b) Durable single put.** One record per transaction, fsync on: `lb_node_write` with one op
  on a fresh node vs `mdb_txn_begin` + `mdb_put` + `mdb_txn_commit` on a fresh environment,
  alternated in blocks of 50 so drift in the disk affects both alike. Median, p90 and p99.
  Target: median ≤ 1.5 × raw.
- **c) The CLI end to end.** `lumbung init`, then `lumbung put --batch FILE` on the same N JSON
  lines as a child process: wall time (JSON parsing, body encoding and validation included) and
  the child's peak RSS (`wait4` `ru_maxrss`). Peak RSS counts the pages of the memory-mapped
  LMDB file the process touched; the notes split it into anonymous memory (heap) and
  file-backed pages, which the kernel can reclaim at any time.

## Reading a) honestly: the records index, not the log, sets the pace

The target for a) compares the node with raw LMDB writing *only the log*. The node also keeps
the `records` index (type + id → last seq) in the same transaction, because DESIGN §3 requires
entries, state and head to commit together. Record ids (NIKs, KK numbers) arrive in random
order, so every transaction of 10,000 inserts rewrites thousands of that B-tree's leaf pages
(copy-on-write, 4 KiB each): at 1M records the import writes ~2.1 GiB for a 444 MiB file,
against ~330 MiB for the log alone. Row a') does exactly that index on raw LMDB and runs at
about the node's speed (the node reaches ~0.9 of it at 1M), so the gap to the log-only
baseline is that index's write amplification, not the node's hashing, Merkle frontier,
signing or encoding (together about a third of the node's CPU time). Meeting 0.4 × log-only
would need a different state layout (e.g. a small staging index merged into `records` in
larger steps, LSM-style), recorded as future work rather than hidden by changing the baseline.

EOF

set +e
"$BUILD/lumbung-bench" --n "$N" --samples "$SAMPLES" ${LUMBUNG_BENCH_DIR:+--dir "$LUMBUNG_BENCH_DIR"} \
	--markdown "$OUT"
rc=$?
set -e
trap - INT TERM
if [ "$rc" != 0 ]; then
	restore
	echo "bench: lumbung-bench failed (exit $rc); $OUT left unchanged" >&2
	exit "$rc"
fi
rm -f "$old"

# CSV import (issue 02): N penduduk rows through `lumbung import`, which
# checks every row, then writes them all in one transaction.
csvdir=$(mktemp -d "${LUMBUNG_BENCH_DIR:-${TMPDIR:-/tmp}}/lumbung-csv.XXXXXX")
trap 'rm -rf "$csvdir"' EXIT
"$BUILD/lumbung-gen" --village 33.24.01.2001 --count "$N" --only penduduk --seed 11 |
	python3 "$(dirname "$0")/jsonl2csv.py" penduduk >"$csvdir/penduduk.csv"
"$BUILD/lumbung" init -d "$csvdir/node" --village 33.24.01.2001 >/dev/null 2>&1
python3 - "$BUILD/lumbung" "$csvdir" "$N" "$OUT" <<'PY'
import os, resource, subprocess, sys, time
lumbung, d, n, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
t0 = time.monotonic()
r = subprocess.run([lumbung, "import", "-d", d + "/node", "penduduk", d + "/penduduk.csv"],
                   capture_output=True, text=True)
dt = time.monotonic() - t0
if r.returncode != 0:
    sys.exit("bench: csv import failed: " + r.stderr)
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
size = os.path.getsize(d + "/penduduk.csv") / 1048576
line = (f"| csv) `lumbung import penduduk` of {n:,} rows ({size:.0f} MiB) | "
        f"{n / dt:,.0f} rows/s | {dt:.2f} s | peak RSS {rss:.0f} MiB |")
print(line)
with open(out, "a") as f:
    f.write("\n### CSV import\n\nCommand: `lumbung-gen --only penduduk --count %d | "
            "tools/jsonl2csv.py penduduk > penduduk.csv; lumbung import -d NODE penduduk "
            "penduduk.csv` (two passes: every row checked against the schema, then all rows "
            "written in one transaction).\n\n| what | rate | wall | memory |\n|---|---|---|---|\n"
            % n + line + "\n\nThe CLI said: `" + r.stdout.strip() + "`\n")
PY

# Sync (issue 03): one village's `lumbung push` of N entries against the raw
# HTTP POST rate of the same bytes, then V villages of M entries pushing at
# once to one aggregator.  LUMBUNG_BENCH_VILLAGES (default 100) and
# LUMBUNG_BENCH_PER (default 10000) set V and M.
VILLAGES=${LUMBUNG_BENCH_VILLAGES:-100}
PER=${LUMBUNG_BENCH_PER:-10000}
for v in "$VILLAGES" "$PER"; do
	case $v in '' | *[!0-9]*)
		echo "bench: LUMBUNG_BENCH_VILLAGES and LUMBUNG_BENCH_PER must be positive integers" >&2
		exit 2 ;;
	esac
done
for b in lumbung-agg lumbung-bench-sync; do
	if [ ! -x "$BUILD/$b" ]; then
		echo "bench: $BUILD/$b is missing; build it first (make binaries)" >&2
		exit 1
	fi
done
if ! "$BUILD/lumbung-bench-sync" --n "$N" --villages "$VILLAGES" --per "$PER" --bindir "$BUILD" \
	${LUMBUNG_BENCH_DIR:+--dir "$LUMBUNG_BENCH_DIR"} --markdown "$OUT"; then
	echo "bench: lumbung-bench-sync failed; $OUT has no sync section" >&2
	exit 1
fi
echo "bench: wrote $OUT"

# Audit (issue 04): `lumbung-audit verify` of an N-entry history exported
# with `lumbung export-log`, against raw BLAKE2b over the same entry bytes,
# its peak RSS, and where its CPU time goes.  LUMBUNG_BENCH_AUDIT_RUNS
# (default 3) runs of each verify; the median is reported.
RUNS=${LUMBUNG_BENCH_AUDIT_RUNS:-3}
case $RUNS in '' | *[!0-9]*)
	echo "bench: LUMBUNG_BENCH_AUDIT_RUNS must be a positive integer, not '$RUNS'" >&2
	exit 2 ;;
esac
for b in lumbung-audit lumbung-bench-audit; do
	if [ ! -x "$BUILD/$b" ]; then
		echo "bench: $BUILD/$b is missing; build it first (make binaries)" >&2
		exit 1
	fi
done
if ! "$BUILD/lumbung-bench-audit" --n "$N" --runs "$RUNS" --bindir "$BUILD" \
	${LUMBUNG_BENCH_DIR:+--dir "$LUMBUNG_BENCH_DIR"} --markdown "$OUT"; then
	echo "bench: lumbung-bench-audit failed; $OUT has no audit section" >&2
	exit 1
fi
cat >>"$OUT" <<'EOF'

Reading the audit figures: the verifier is CPU-bound, and half of its CPU time is hashing
that no verifier can skip — BLAKE2b of every entry, plus the RFC 9162 leaf hash and (on
average) one node hash per entry to rebuild the Merkle root every signed head names. `perf
record` of `lumbung-audit verify --threads 0` agrees with the step table: libsodium ~51%
(BLAKE2b and Ed25519), `lb_schema_validate` + `lb_mp_next` + `lb_utf8_valid` + `memcmp`
~28% (each body is walked twice, once for canonical form and once for the schema), reading
frames and the kernel ~10%. So the rate is about (CPUs) / (CPU time per entry): on a 2-CPU
machine at ~2.2 us per entry the ceiling is ~0.9 M entries/s, and the 1,000,000/s target
needs 3 or more CPUs (the reading thread's own share — reading, copying, the ordered checks
and the Merkle node hashes — is ~0.6 us per entry (a quarter of the samples of a threaded
`perf record`), so it is not the limit below ~1.6 M/s).
Cheaper per-entry work would have to come from the shared code: an ASCII fast path in
`lb_utf8_valid`, an indexed `lb_type_field`, or one walk of the body that checks canonical
form and the schema together.
EOF
echo "bench: wrote $OUT (audit section included)"

# Consolidated export (issue 06): `lumbung-agg export penduduk` of a region.
if ! sh "$(dirname "$0")/bench_aggexport.sh" "$BUILD" "$OUT"; then
	echo "bench: bench_aggexport.sh failed; $OUT has no export section" >&2
	exit 1
fi
echo "bench: wrote $OUT (export section included)"
# Consolidated figures and reports (issue 06): ingest with and without the
# figures, region-wide reports.  LUMBUNG_BENCH_FIG_VILLAGES (default 40) x
# LUMBUNG_BENCH_FIG_PER (default 2500); the issue's full size is 400 x 10000.
if ! sh "$(dirname "$0")/bench_figures.sh" "$BUILD" "$OUT"; then
	echo "bench: bench_figures.sh failed; $OUT has no figures section" >&2
	exit 1
fi
echo "bench: wrote $OUT (figures section included)"
# Read API under ingest (issue 07): 200 readers while 50 villages push.
if ! sh "$(dirname "$0")/bench_api.sh" "$BUILD" "$OUT"; then
	echo "bench: bench_api.sh failed; $OUT has no API section" >&2
	exit 1
fi
echo "bench: wrote $OUT (API section included)"
# Three tiers (issue 08): a kecamatan's forward against direct pushes of the
# same entries, and the push-to-kabupaten-receipt round trip.
# LUMBUNG_BENCH_TIER_VILLAGES (default 100) x LUMBUNG_BENCH_TIER_PER (10000).
if ! python3 "$(dirname "$0")/bench_tiers.py" "$BUILD" "$OUT"; then
	echo "bench: bench_tiers.py failed; $OUT has no tiers section" >&2
	exit 1
fi
echo "bench: wrote $OUT (tiers section included)"
# Compact and private change sets (issue 09): bytes per entry plain,
# compressed and sealed; CPU per entry; push over a shaped 256 kbit/s,
# 150 ms link (tests/tools/shapeproxy) compressed vs plain.
# LUMBUNG_BENCH_ENV_N (default 5000) records; LUMBUNG_BENCH_ENV_PUSH (default: the
# same) entries pushed.
if ! python3 "$(dirname "$0")/bench_envelope.py" "$BUILD" "$OUT"; then
	echo "bench: bench_envelope.py failed; $OUT has no envelope section" >&2
	exit 1
fi

# Recovery (issue 10): restore from the aggregator against its baselines,
# repair, and the key backup's cost.
if ! python3 "$(dirname "$0")/bench_restore.py" "$BUILD" "$OUT"; then
	echo "bench: bench_restore.py failed; $OUT has no recovery section" >&2
	exit 1
fi

# Data flowing down (issue 11): what the catalogue and the offers of moving
# residents add to a village's push.
if ! python3 "$(dirname "$0")/bench_down.py" "$BUILD" "$OUT"; then
	echo "bench: bench_down.py failed; $OUT has no section on data flowing down" >&2
	exit 1
fi
echo "bench: wrote $OUT (envelope, recovery and data-flowing-down sections included)"

# Finding records (issue 12): `lumbung find` on a village of 20,000
# residents against `lumbung ls` and `lumbung get` in the same run.
# LUMBUNG_BENCH_FIND_N (default 20000), LUMBUNG_BENCH_FIND_RUNS (default 21).
if ! python3 "$(dirname "$0")/bench_find.py" "$BUILD" "$OUT"; then
	echo "bench: bench_find.py failed; $OUT has no find section" >&2
	exit 1
fi
echo "bench: wrote $OUT (find section included)"

# Mirror into PostgreSQL (issue 13): issue 06's region (400 villages x 10,000
# entries; LUMBUNG_BENCH_MIRROR_N, default 4000000) into a fresh PostgreSQL,
# then an incremental run of 10,000 new entries; the export and a raw COPY of
# the same rows as baselines.  Needs PostgreSQL (tools/deps.sh).
if ! python3 "$(dirname "$0")/bench_mirror.py" "$BUILD" "$OUT"; then
	echo "bench: bench_mirror.py failed; $OUT has no mirror section" >&2
	exit 1
fi
echo "bench: wrote $OUT (mirror section included)"
