#!/usr/bin/env python3
"""bench_restore.py — when the village PC dies (issue 10).

  python3 tools/bench_restore.py BUILD_DIR OUT.md

In one run, on `lumbung-gen` data:

  restore  a village of N records (LUMBUNG_BENCH_RESTORE_N, default 20000)
           pushes to a fresh `lumbung-agg serve` on loopback; its directory
           is then rebuilt with `lumbung restore --from URL` (the key from
           its paper backup, the passphrase from a file), R times
           (LUMBUNG_BENCH_RESTORE_RUNS, default 3; the median).  Baselines
           measured in the same run: the raw HTTP GET of the same log with
           an office token (`curl`-like, Python's urllib: the bytes alone),
           `lumbung-audit verify` of that archive (checking alone), and a
           plain copy of the node's directory (what restoring a local
           backup costs, with none of the checks).
  repair   an old copy of the node, written to (K changes,
           LUMBUNG_BENCH_REPAIR_K, default 1000) after the aggregator moved
           on: `lumbung repair --from URL` (adopt + re-apply), against the
           plain `lumbung put --batch` of the same K changes.
  key      `lumbung key backup` and `lumbung init --restore-key` at the
           real Argon2id cost (moderate: 3 passes over 256 MiB), with their
           peak memory.

Appends a section to OUT.md.  LUMBUNG_BENCH_DIR says where files go,
LUMBUNG_BENCH_KEEP=1 keeps them.
"""
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from benchlib import run, serve




def timed(args, env=None):
    """Wall seconds of one child run, its own peak RSS in MiB, its stdout."""
    with tempfile.TemporaryFile() as o, tempfile.TemporaryFile() as e:
        t0 = time.monotonic()
        p = subprocess.Popen(args, stdout=o, stderr=e, env=env)
        _, status, ru = os.wait4(p.pid, 0)
        dt = time.monotonic() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        o.seek(0)
        e.seek(0)
        if p.returncode != 0:
            sys.exit("bench: %s failed (exit %d): %s" % (" ".join(args[:2]), p.returncode,
                                                         e.read().decode()[:400]))
        return dt, ru.ru_maxrss / 1024, o.read().decode()


def seq_of(lb, node):
    return int(re.search(r"^seq\s+(\d+)", run([lb, "id", "-d", node]), re.M).group(1))


def main():
    build, out = sys.argv[1], sys.argv[2]
    n = int(os.environ.get("LUMBUNG_BENCH_RESTORE_N", "20000"))
    runs = int(os.environ.get("LUMBUNG_BENCH_RESTORE_RUNS", "3"))
    k = int(os.environ.get("LUMBUNG_BENCH_REPAIR_K", "1000"))
    if n < 1 or runs < 1 or k < 1:
        sys.exit("bench: LUMBUNG_BENCH_RESTORE_N, _RUNS and LUMBUNG_BENCH_REPAIR_K must be "
                 "positive")
    lb, agg, gen, audit = (os.path.join(build, b) for b in
                           ("lumbung", "lumbung-agg", "lumbung-gen", "lumbung-audit"))
    for b in (lb, agg, gen, audit):
        if not os.access(b, os.X_OK):
            sys.exit("bench: %s is missing; build it first (make binaries)" % b)
    base = os.environ.get("LUMBUNG_BENCH_DIR") or os.environ.get("TMPDIR") or "/tmp"
    d = tempfile.mkdtemp(prefix="lumbung-restore.", dir=base)
    code = "33.24.01.2001"
    srv = None
    try:
        ad = os.path.join(d, "agg")
        aggkey = run([agg, "init", "-d", ad, "--region", "33.24"]).strip()
        token = run([agg, "token", "add", "-d", ad, "--name", "bench",
                     "--role", "kabupaten"]).strip()
        srv, url = serve(agg, ad, os.path.join(d, "agg.log"))

        v = os.path.join(d, "desa")
        run([lb, "init", "-d", v, "--village", code, "--name", "Sukamaju"])
        with open(os.path.join(d, "gen.jsonl"), "w") as f:
            subprocess.run([gen, "--village", code, "--count", str(n), "--seed", "7"], stdout=f,
                           check=True)
        run([lb, "put", "-d", v, "--batch", os.path.join(d, "gen.jsonl")])
        origin = re.search(r"^origin\s+(\S+)", run([lb, "id", "-d", v]), re.M).group(1)
        run([agg, "enroll", "-d", ad, "--village", code, "--key", origin])
        run([lb, "remote", "add", "-d", v, "kabupaten", url, "--key", aggkey])
        run([lb, "push", "-d", v])
        entries = seq_of(lb, v)
        pw = os.path.join(d, "pass")
        with open(pw, "w") as f:
            f.write("kunci lumbung desa\n")

        # ---- key backup at the real cost
        kb = os.path.join(d, "desa.key.txt")
        t_backup, rss_backup, text = timed([lb, "key", "backup", "-d", v, "--passphrase-file", pw])
        with open(kb, "w") as f:
            f.write(text)
        t_kinit, rss_kinit, _ = timed([lb, "init", "-d", os.path.join(d, "keyonly"),
                                       "--restore-key", kb, "--passphrase-file", pw])
        lines = len(text.splitlines())
        # restores below read a fast backup, so the key's cost is not in them
        fast = dict(os.environ, LUMBUNG_KEYBACKUP_FAST="1")
        kbf = os.path.join(d, "desa.fast.txt")
        with open(kbf, "w") as f:
            f.write(run([lb, "key", "backup", "-d", v, "--passphrase-file", pw], env=fast))
        t_fastkey, _, _ = timed([lb, "init", "-d", os.path.join(d, "keyonly-fast"),
                                 "--restore-key", kbf, "--passphrase-file", pw], env=fast)

        # ---- restore against its baselines
        get_s, audit_s, copy_s, rest_s, rest_rss = [], [], [], [], []
        lla = os.path.join(d, "served.lla")
        size = 0
        for i in range(runs):
            req = urllib.request.Request(url + "/v1/villages/%s/log" % code,
                                         headers={"Authorization": "Bearer " + token})
            t0 = time.monotonic()
            with urllib.request.urlopen(req) as r, open(lla, "wb") as f:
                shutil.copyfileobj(r, f, 1 << 20)
            get_s.append(time.monotonic() - t0)
            size = os.path.getsize(lla)
            t, _, _ = timed([audit, "verify", lla, "--key", origin])
            audit_s.append(t)
            cp = os.path.join(d, "copy%d" % i)
            t0 = time.monotonic()
            shutil.copytree(v, cp)
            copy_s.append(time.monotonic() - t0)
            shutil.rmtree(cp)
            nd = os.path.join(d, "restored%d" % i)
            t, rss, _ = timed([lb, "restore", "-d", nd, "--from", url, "--village", code,
                               "--restore-key", kbf, "--passphrase-file", pw, "--agg-key", aggkey],
                              env=fast)
            rest_s.append(t)
            rest_rss.append(rss)
            if seq_of(lb, nd) != entries:
                sys.exit("bench: the restored node does not hold seq %d" % entries)
            run([lb, "verify", "-d", nd])
            if i < runs - 1:
                shutil.rmtree(nd)
        restored = os.path.join(d, "restored%d" % (runs - 1))

        # ---- repair: an old copy written to, after the aggregator moved on
        old = os.path.join(d, "oldbackup")
        shutil.copytree(restored, old)
        pend = []
        with open(os.path.join(d, "gen.jsonl")) as f:
            for line in f:
                j = json.loads(line)
                if j["type"] == "penduduk":
                    pend.append(j)
                if len(pend) == k:
                    break
        if len(pend) < k:
            sys.exit("bench: only %d penduduk records for %d changes" % (len(pend), k))

        def batch(path, recs, field, value):
            with open(path, "w") as f:
                for j in recs:
                    body = dict(j["body"], **{field: value})
                    f.write(json.dumps({"type": "penduduk", "id": j["id"], "body": body}) + "\n")

        moved = os.path.join(d, "moved.jsonl")
        batch(moved, pend[: max(1, k // 10)], "rt", "009")
        run([lb, "put", "-d", restored, "--batch", moved])
        run([lb, "push", "-d", restored])
        local = os.path.join(d, "local.jsonl")
        batch(local, pend, "rw", "007")
        plain = os.path.join(d, "plain")
        shutil.copytree(old, plain)
        t_plain, _, _ = timed([lb, "put", "-d", plain, "--batch", local])
        # the clerk's work on the old copy: one change per transaction, as typed
        one = os.path.join(d, "one.jsonl")
        with open(local) as f:
            for line in f:
                with open(one, "w") as g:
                    g.write(line)
                run([lb, "put", "-d", old, "--batch", one])
        t_repair, rss_repair, rep_out = timed([lb, "repair", "-d", old, "--from", url,
                                               "--agg-key", aggkey])
        run([lb, "verify", "-d", old])
        run([lb, "push", "-d", old])
    finally:
        if srv:
            srv.terminate()
            srv.wait()
        if os.environ.get("LUMBUNG_BENCH_KEEP") != "1":
            shutil.rmtree(d, ignore_errors=True)

    med = statistics.median
    r, g, a, c = med(rest_s), med(get_s), med(audit_s), med(copy_s)
    lines_md = [
        "",
        "## When the village PC dies (issue 10)",
        "",
        "`tools/bench_restore.py` (part of `make bench`): a village of %s records (%s entries, "
        "an archive of %.1f MiB) pushed to `lumbung-agg serve` on loopback, then brought back "
        "with `lumbung restore --from URL --restore-key ... --agg-key ...`; median of %d runs, "
        "with its baselines measured in the same run." % (f"{n:,}", f"{entries:,}",
                                                          size / 1048576, runs),
        "",
        "| what | wall | entries/s | vs restore |",
        "|---|---|---|---|",
        "| `lumbung restore` (challenge, fetch, check every entry, head, root and schema, "
        "write, rebuild the records) | %.2f s | %s | 1.00 |" % (r, f"{entries / r:,.0f}"),
        "| of which: opening the key backup (Argon2id at the interactive cost the benchmark's "
        "backup uses; `init --restore-key` alone) | %.2f s | | %.2f |" % (t_fastkey, t_fastkey / r),
        "| the GET of the same log alone (office token, bytes only) | %.2f s | %s | %.2f |"
        % (g, f"{entries / g:,.0f}", g / r),
        "| `lumbung-audit verify` of the same archive (checks alone) | %.2f s | %s | %.2f |"
        % (a, f"{entries / a:,.0f}", a / r),
        "| copying the node's directory (a local backup, no checks) | %.2f s | %s | %.2f |"
        % (c, f"{entries / c:,.0f}", c / r),
        "",
        "Peak RSS of `lumbung restore`: %.0f MiB, most of it Argon2id's working memory while "
        "the key backup is opened (64 MiB at the interactive cost; 256 MiB for a real backup); "
        "the log itself passes one archive frame at a time." % max(rest_rss),
        "",
        "**Repair.** An old copy of the node written to with %s changes (one transaction each, "
        "as a clerk types them) after the aggregator took %s other changes: `lumbung repair "
        "--from URL` (verify and adopt the aggregator's tail, keep ours as evidence, write the "
        "%s changes again) took %.2f s (peak RSS %.0f MiB); the same %s changes by `lumbung put "
        "--batch` on the old copy alone take %.2f s. Its summary: `%s`."
        % (f"{k:,}", f"{max(1, k // 10):,}", f"{k:,}", t_repair, rss_repair, f"{k:,}", t_plain,
           " / ".join(l.strip() for l in rep_out.strip().splitlines()[-3:])),
        "",
        "**Key backup.** `lumbung key backup` (Argon2id, 3 passes over 256 MiB, then "
        "secretbox) took %.2f s with a peak RSS of %.0f MiB and printed %d lines; "
        "`lumbung init --restore-key` took %.2f s (peak %.0f MiB). The cost is the point: each "
        "guess at a stolen paper's passphrase costs an attacker the same."
        % (t_backup, rss_backup, lines, t_kinit, rss_kinit),
        "",
    ]
    text = "\n".join(lines_md)
    print(text)
    with open(out, "a") as f:
        f.write(text)


if __name__ == "__main__":
    main()
