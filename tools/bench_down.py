#!/usr/bin/env python3
"""bench_down.py — data flowing down (issue 11): what the catalogue and the
offers of moving residents add to a village's sync.

  python3 tools/bench_down.py BUILD_DIR OUT.md

In one run, against a fresh `lumbung-agg serve` on loopback:

  catalogue  the kabupaten's catalogue holds P programmes and W wilayah
             (LUMBUNG_BENCH_CAT_P, default 500; LUMBUNG_BENCH_CAT_W, default
             300, imported from CSV).  A village that pushed already runs
             `lumbung push` again, R times (LUMBUNG_BENCH_DOWN_RUNS, default
             5; the median): first with an empty catalogue at the kabupaten
             (the baseline: a push with nothing to send, which still asks for
             the catalogues and the offers), then once taking the whole
             catalogue, then again with nothing new.  The checked catalogue
             is read back with `lumbung catalogue ls`.
  offers     village A marks M residents (LUMBUNG_BENCH_MOVES, default 200)
             pindah to village B and pushes; B's next push fetches and keeps
             the M offers: its time against the same baseline.

Appends a section to OUT.md.  LUMBUNG_BENCH_DIR says where files go,
LUMBUNG_BENCH_KEEP=1 keeps them.
"""
import csv
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from benchlib import run, serve




def timed(args):
    t0 = time.monotonic()
    run(args)
    return time.monotonic() - t0


def main():
    build, out = sys.argv[1], sys.argv[2]
    p = int(os.environ.get("LUMBUNG_BENCH_CAT_P", "500"))
    w = int(os.environ.get("LUMBUNG_BENCH_CAT_W", "300"))
    runs = int(os.environ.get("LUMBUNG_BENCH_DOWN_RUNS", "5"))
    m = int(os.environ.get("LUMBUNG_BENCH_MOVES", "200"))
    if min(p, w, runs, m) < 1:
        sys.exit("bench: the LUMBUNG_BENCH_CAT_*, _DOWN_RUNS and _MOVES sizes must be positive")
    lb, agg, gen = (os.path.join(build, b) for b in ("lumbung", "lumbung-agg", "lumbung-gen"))
    for b in (lb, agg, gen):
        if not os.access(b, os.X_OK):
            sys.exit("bench: %s is missing; build it first (make binaries)" % b)
    base = os.environ.get("LUMBUNG_BENCH_DIR") or os.environ.get("TMPDIR") or "/tmp"
    d = tempfile.mkdtemp(prefix="lumbung-down.", dir=base)
    srv = None
    try:
        ad = os.path.join(d, "agg")
        aggkey = run([agg, "init", "-d", ad, "--region", "33.24"]).strip()
        srv, url = serve(agg, ad, os.path.join(d, "agg.log"))

        def village(name, code, count, seed):
            v = os.path.join(d, name)
            run([lb, "init", "-d", v, "--village", code])
            g = os.path.join(d, name + ".jsonl")
            with open(g, "w") as f:
                subprocess.run([gen, "--village", code, "--count", str(count), "--seed", str(seed),
                                "--only", "penduduk"], stdout=f, check=True)
            run([lb, "put", "-d", v, "--batch", g])
            origin = re.search(r"^origin\s+(\S+)", run([lb, "id", "-d", v]), re.M).group(1)
            run([agg, "enroll", "-d", ad, "--village", code, "--key", origin])
            run([lb, "remote", "add", "-d", v, "kabupaten", url, "--key", aggkey])
            run([lb, "push", "-d", v])
            return v, g

        va, ga = village("a", "33.24.01.2001", max(m, 10), 3)
        vb, _ = village("b", "33.24.01.2002", 10, 4)
        med = statistics.median
        base_s = med([timed([lb, "push", "-d", vb]) for _ in range(runs)])

        # ---- the catalogue: imported at the kabupaten, taken by the village
        pc = os.path.join(d, "program.csv")
        with open(pc, "w", newline="") as f:
            wr = csv.writer(f)
            wr.writerow(["kode", "nama", "bidang", "anggaran", "tahun"])
            for i in range(p):
                wr.writerow(["KAB-%04d" % i, "Program kabupaten %d" % i, "sosial",
                             1000000 + i, 2026])
        wc = os.path.join(d, "wilayah.csv")
        with open(wc, "w", newline="") as f:
            wr = csv.writer(f)
            wr.writerow(["kode", "nama", "tingkat"])
            for i in range(w):
                kec = 1 + i // 100
                wr.writerow(["33.24.%02d.%04d" % (kec, 2001 + i % 100), "Desa %d" % i, "desa"])
        t0 = time.monotonic()
        run([agg, "catalogue", "import", "-d", ad, "program", pc])
        run([agg, "catalogue", "import", "-d", ad, "wilayah", wc])
        import_s = time.monotonic() - t0
        first_s = timed([lb, "push", "-d", vb])
        held = len(run([lb, "catalogue", "ls", "-d", vb, "program"]).split("\n")) - 1
        if held != p:
            sys.exit("bench: the village holds %d catalogue programmes, not %d" % (held, p))
        again_s = med([timed([lb, "push", "-d", vb]) for _ in range(runs)])
        size = 0
        cdir = os.path.join(vb, "catalogue")
        for root, _, files in os.walk(cdir):
            size += sum(os.path.getsize(os.path.join(root, x)) for x in files)

        # ---- offers: M residents of A move to B
        moves = os.path.join(d, "moves.jsonl")
        n = 0
        with open(ga) as f, open(moves, "w") as o:
            for line in f:
                j = json.loads(line)
                body = dict(j["body"], status="pindah", pindah_ke="33.24.01.2002",
                            tanggal_pindah="2026-11-01")
                o.write(json.dumps({"type": "penduduk", "id": j["id"], "body": body}) + "\n")
                n += 1
                if n == m:
                    break
        run([lb, "put", "-d", va, "--batch", moves])
        run([lb, "push", "-d", va])
        offers_s = timed([lb, "push", "-d", vb])
        listed = len(json.loads(run([lb, "datang", "ls", "-d", vb, "--json"]))["offers"])
        if listed != n:
            sys.exit("bench: B holds %d offers, not %d" % (listed, n))
    finally:
        if srv:
            srv.terminate()
            srv.wait()
        if os.environ.get("LUMBUNG_BENCH_KEEP") != "1":
            shutil.rmtree(d, ignore_errors=True)

    lines = [
        "",
        "## Data flowing down (issue 11): the catalogue and moving residents",
        "",
        "`tools/bench_down.py` (part of `make bench`), `lumbung-agg serve` on loopback; each "
        "`lumbung push` below is a whole command (process start, position, the push, then the "
        "catalogues and the offers); medians of %d runs where repeated." % runs,
        "",
        "| what | wall | vs baseline |",
        "|---|---|---|",
        "| baseline: `lumbung push` with nothing to send, empty catalogue, no offers | %.3f s "
        "| 1.00 |" % base_s,
        "| the push that takes the whole catalogue (%s programmes, %s wilayah; verified, "
        "adopted into its replica) | %.3f s | %.2f |" % (f"{p:,}", f"{w:,}", first_s,
                                                        first_s / base_s),
        "| a push with nothing new in the catalogue | %.3f s | %.2f |" % (again_s,
                                                                       again_s / base_s),
        "| the push that fetches and keeps %s offers of moving residents | %.3f s | %.2f |"
        % (f"{n:,}", offers_s, offers_s / base_s),
        "",
        "The kabupaten imported the catalogue (`lumbung-agg catalogue import`, two CSV files) in "
        "%.2f s; the village's replica takes %.0f KiB on disk." % (import_s, size / 1024),
        "",
    ]
    text = "\n".join(lines)
    print(text)
    with open(out, "a") as f:
        f.write(text)


if __name__ == "__main__":
    main()
