#!/usr/bin/env python3
"""bench_tiers.py — three tiers (issue 08): forwarding against direct ingest.

  python3 tools/bench_tiers.py BUILD_DIR OUT.md

V villages of M entries each (LUMBUNG_BENCH_TIER_VILLAGES, default 100;
LUMBUNG_BENCH_TIER_PER, default 10000) are generated and pushed to one
kecamatan aggregator (not timed).  Then, in the same run:

  direct   every village pushes its log straight to a fresh kabupaten
           (`lumbung push`, one village after another): the baseline;
  forward  the kecamatan forwards all of them to another fresh kabupaten
           (`lumbung-agg forward`, one pass).

Both kabupaten check every signature, chain and schema and sign a receipt
per change set, so the ratio of the two rates says what relaying costs.
Target: forward >= 0.8 x direct.

Then the round trip with `serve --forward` running at the kecamatan: a
village writes one record and pushes it to the kecamatan, then asks the
kecamatan (a `lumbung push` with nothing to send, as `lumbung sync` does
each round) every 0.2 s until it holds a kabupaten receipt for its new
tip.  Samples of that time, target <= 5 s on loopback.

Appends a section to OUT.md; LUMBUNG_BENCH_DIR says where files go.
"""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def run(args, **kw):
    r = subprocess.run(args, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit("bench: %s failed (%d): %s" % (" ".join(args[:3]), r.returncode,
                                                r.stderr.strip()[-400:]))
    return r.stdout


def main():
    build, out = sys.argv[1], sys.argv[2]
    nv = int(os.environ.get("LUMBUNG_BENCH_TIER_VILLAGES", "100"))
    per = int(os.environ.get("LUMBUNG_BENCH_TIER_PER", "10000"))
    if not 1 <= nv <= 999 or per < 1:
        sys.exit("bench: LUMBUNG_BENCH_TIER_VILLAGES must be 1..999 and _PER positive")
    lb, agg, gen = (os.path.join(build, b) for b in ("lumbung", "lumbung-agg", "lumbung-gen"))
    base = os.environ.get("LUMBUNG_BENCH_DIR") or os.environ.get("TMPDIR") or "/tmp"
    d = tempfile.mkdtemp(prefix="lumbung-tiers.", dir=base)
    servers = []

    def serve(dirname, *extra):
        log = open(os.path.join(d, os.path.basename(dirname) + ".log"), "w")
        p = subprocess.Popen([agg, "serve", "-d", dirname, "--listen", "127.0.0.1:0", *extra],
                             stdout=subprocess.PIPE, stderr=log, text=True)
        servers.append(p)
        line = p.stdout.readline()
        m = re.search(r"listening on .*:(\d+)$", line.strip())
        if not m:
            sys.exit("bench: serve %s did not start: %r" % (dirname, line))
        return p, "http://127.0.0.1:" + m.group(1)

    try:
        kec, kabd, kabf = (os.path.join(d, n) for n in ("kec", "kab-direct", "kab-forward"))
        keckey = run([agg, "init", "-d", kec, "--region", "33.24.01"]).strip()
        kabdkey = run([agg, "init", "-d", kabd, "--region", "33.24"]).strip()
        kabfkey = run([agg, "init", "-d", kabf, "--region", "33.24"]).strip()
        t0 = time.monotonic()
        villages = []
        for i in range(nv):
            code = "33.24.01.%04d" % (2001 + i)
            v = os.path.join(d, "v%03d" % i)
            run([lb, "init", "-d", v, "--village", code, "--name", "Desa %d" % (i + 1)])
            g = subprocess.Popen([gen, "--village", code, "--count", str(per), "--seed",
                                  str(i + 1)], stdout=subprocess.PIPE)
            run([lb, "put", "-d", v, "--batch"], stdin=g.stdout)
            g.wait()
            key = re.search(r"^origin\s+(\S+)", run([lb, "id", "-d", v]), re.M).group(1)
            for a in (kec, kabd, kabf):
                run([agg, "enroll", "-d", a, "--village", code, "--key", key])
            villages.append((v, code, key))
        seq = int(re.search(r"^seq\s+(\d+)", run([lb, "id", "-d", villages[0][0]]),
                            re.M).group(1))
        total = sum(int(re.search(r"^seq\s+(\d+)", run([lb, "id", "-d", v]), re.M).group(1))
                    for v, _, _ in villages)
        pk, kurl = serve(kec)
        for v, _, _ in villages:
            run([lb, "push", "-d", v, "--to", kurl, "--key", keckey])
        prep = time.monotonic() - t0
        _, durl = serve(kabd)
        _, furl = serve(kabf)

        # direct: every village to kab-direct
        t = time.monotonic()
        for v, _, _ in villages:
            run([lb, "push", "-d", v, "--to", durl, "--key", kabdkey])
        direct = time.monotonic() - t

        # forward: the kecamatan to kab-forward, one pass
        pk.terminate()
        pk.wait()
        run([agg, "upstream", "add", "-d", kec, "kab", furl, "--key", kabfkey])
        t = time.monotonic()
        fwd_out = run([agg, "forward", "-d", kec])
        forward = time.monotonic() - t
        st = json.loads(run([agg, "status", "-d", kabf, "--json"]))
        held = sum(v["seq"] for v in st["villages"])
        if held < total:
            sys.exit("bench: the kabupaten holds %d of %d entries after forward" % (held, total))

        # round trip: push -> kabupaten receipt back at the village
        _, kurl = serve(kec, "--forward", "--every", "5")
        v, code, _ = villages[0]
        run([lb, "remote", "-d", v, "add", "kec", kurl, "--key", keckey,
             "--upstream-key", kabfkey])
        samples = []
        for i in range(int(os.environ.get("LUMBUNG_BENCH_TIER_SAMPLES", "10"))):
            g = subprocess.Popen([gen, "--village", code, "--count", "1", "--seed",
                                  str(1000 + i), "--only", "aspirasi"], stdout=subprocess.PIPE)
            run([lb, "put", "-d", v, "--batch"], stdin=g.stdout)
            g.wait()
            tip = int(re.search(r"^seq\s+(\d+)", run([lb, "id", "-d", v]), re.M).group(1))
            t = time.monotonic()
            run([lb, "push", "-d", v, "--to", "kec"])
            while True:
                if kab_holds(run([lb, "id", "-d", v, "--json"]), kabfkey) >= tip:
                    break
                if time.monotonic() - t > 60:
                    sys.exit("bench: no kabupaten receipt for seq %d after 60 s" % tip)
                time.sleep(0.2)
                run([lb, "push", "-d", v, "--to", "kec"])
            samples.append(time.monotonic() - t)
    finally:
        for p in servers:
            p.terminate()
            p.wait()
        if os.environ.get("LUMBUNG_BENCH_KEEP") != "1":
            shutil.rmtree(d, ignore_errors=True)

    rd, rf = total / direct, total / forward
    samples.sort()
    text = f"""
### Three tiers (issue 08)

Command: `python3 tools/bench_tiers.py build OUT.md` (run by `make bench`), {nv} villages of
{per:,} generated records ({total:,} entries, {seq:,} in the first village), pushed to one
kecamatan beforehand ({prep:.0f} s, not timed).

| what | entries/s | wall | vs direct |
|---|---|---|---|
| direct: each village `lumbung push` to a kabupaten (the baseline) | {rd:,.0f} | {direct:.1f} s | 1.00 |
| forward: `lumbung-agg forward` of the kecamatan to a kabupaten | {rf:,.0f} | {forward:.1f} s | {rf / rd:.2f} |

Target: forward ≥ 0.8 × direct. Both kabupaten do the same checks and sign the same receipts;
the forward is faster because it is one process with one connection whose change-set size,
once grown on a good link, carries over from village to village (up to 16 MiB), while each
village's `lumbung push` starts its own process, opens its node and starts again from the
256 KiB first change set a 2G link needs. The forward runs second, on a warm page cache.

Round trip with `lumbung-agg serve --forward --every 5` at the kecamatan: a village writes a
record, pushes it, and asks again every 0.2 s until it holds a kabupaten receipt for it
({len(samples)} samples): median {statistics.median(samples):.2f} s, max {max(samples):.2f} s
(target ≤ 5 s).
"""
    print(text)
    with open(out, "a") as f:
        f.write(text)


def kab_holds(js, key):
    """The highest seq the village holds a checked receipt from key for."""
    best = 0
    def walk(o):
        nonlocal best
        if isinstance(o, dict):
            if o.get("key") == key and isinstance(o.get("seq"), int):
                best = max(best, o["seq"])
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
    walk(json.loads(js))
    return best


if __name__ == "__main__":
    main()
