#!/usr/bin/env python3
"""bench_envelope.py — compact and private change sets (issue 09).

  python3 tools/bench_envelope.py BUILD_DIR OUT.md

On `lumbung-gen` data, in one run:

  bytes    two villages of N records (LUMBUNG_BENCH_ENV_N, default 5000):
           penduduk only, and the generator's mix.  The stored entry bytes
           (`lumbung export-log`, the entries as hashed and signed) are the
           baseline; against them the bytes per entry of `lumbung changeset`
           --plain, by default (compressed) and with --seal-to the
           aggregator's key (sealed + compressed).  Target: compressed
           <= 0.25 x stored.  Each file's form is read from its first bytes
           (zstd magic, "LBS1"), not assumed from the flags.  When the zstd
           tool is installed, `zstd -3` of the plain change set is shown as
           an outside reference.
  cpu      user+sys time of those `lumbung changeset` runs per entry (the
           mean of LUMBUNG_BENCH_ENV_RUNS runs, default 10: the kernel may
           count CPU time in ticks of a few ms, so one short run is coarse); what
           compressing and sealing add over --plain, against the time per
           entry a 10 Mbit/s link leaves at the compressed size.
  push     the mixed village (or, with LUMBUNG_BENCH_ENV_PUSH=P, another of P
           mixed records) pushes to a fresh aggregator through tests/tools/shapeproxy
           at 256 kbit/s (32,000 bytes/s) and 150 ms each way:
           `lumbung push --no-compress --no-seal` (plain, the baseline),
           `--no-seal` (compressed) and the default (compressed and sealed
           to the aggregator's key).  Entries/s, bytes on the wire (counted
           by the proxy) and the push's own CPU.  Target: compressed >= 4 x
           plain.

A flag this build of `lumbung` does not know ("unknown option") leaves its
row "not measured" instead of failing the run.  Appends a section to OUT.md;
LUMBUNG_BENCH_DIR says where files go, LUMBUNG_BENCH_KEEP=1 keeps them.
"""
import json
import os
import re
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time

RATE = 32000        # bytes/s: 256 kbit/s
DELAY_MS = 150      # one way
TEN_MBIT = 10e6 / 8


def run(args, **kw):
    r = subprocess.run(args, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit("bench: %s failed (%d): %s" % (" ".join(args[:3]), r.returncode,
                                                r.stderr.strip()[-400:]))
    return r.stdout


class Unsupported(Exception):
    pass


def timed(args, out_path, d):
    """Run args with stdout to out_path; (wall s, user+sys s).  Raises
    Unsupported when this build does not know a flag."""
    err_path = os.path.join(d, "timed.err")
    tmp = out_path + ".part"
    with open(tmp, "wb") as out, open(err_path, "wb") as err:
        t = time.monotonic()
        p = subprocess.Popen(args, stdout=out, stderr=err)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.monotonic() - t
        p.returncode = os.waitstatus_to_exitcode(status)
    msg = open(err_path, errors="replace").read()
    if p.returncode == 0:
        os.replace(tmp, out_path)
    else:
        os.remove(tmp)
    if p.returncode == 2 and "unknown option" in msg:
        raise Unsupported(msg.strip().splitlines()[0])
    if p.returncode != 0:
        sys.exit("bench: %s failed (%d): %s" % (" ".join(args[:3]), p.returncode, msg[-400:]))
    return wall, ru.ru_utime + ru.ru_stime


def form(path):
    with open(path, "rb") as f:
        b = f.read(4)
    return "zstd" if b == b"\x28\xb5\x2f\xfd" else "sealed" if b == b"LBS1" else "plain"


def stored_entry_bytes(lla):
    """Sum of the stored entries in a log archive (docs/FORMAT.md section 9):
    frames [1, bin entry]; returns (entries, bytes)."""
    with open(lla, "rb") as f:
        data = f.read()
    if data[:12] != b"LUMBUNG-LLA\n":
        sys.exit("bench: export-log did not write a log archive")
    p, n, total = 13, 0, 0
    while p < len(data):
        (ln,) = struct.unpack(">I", data[p:p + 4])
        pl = data[p + 4:p + 4 + ln]
        p += 4 + ln
        if pl[0] != 0x92 or pl[1] != 0x01:     # array(2), kind 1
            continue
        hdr = {0xc4: 2, 0xc5: 3, 0xc6: 5}[pl[2]]
        n += 1
        total += len(pl) - 2 - hdr
    return n, total


def seq_of(lb, node):
    return int(re.search(r"^seq\s+(\d+)", run([lb, "id", "-d", node]), re.M).group(1))


def main():
    build, out = sys.argv[1], sys.argv[2]
    n = int(os.environ.get("LUMBUNG_BENCH_ENV_N", "5000"))
    npush = int(os.environ.get("LUMBUNG_BENCH_ENV_PUSH", str(n)))
    runs = int(os.environ.get("LUMBUNG_BENCH_ENV_RUNS", "10"))
    if n < 1 or npush < 1 or runs < 1:
        sys.exit("bench: LUMBUNG_BENCH_ENV_N, _PUSH and _RUNS must be positive")
    lb, agg, gen, shape = (os.path.join(build, b) for b in
                           ("lumbung", "lumbung-agg", "lumbung-gen", "shapeproxy"))
    for b in (lb, agg, gen, shape):
        if not os.access(b, os.X_OK):
            sys.exit("bench: %s is missing; build it first (make binaries)" % b)
    base = os.environ.get("LUMBUNG_BENCH_DIR") or os.environ.get("TMPDIR") or "/tmp"
    d = tempfile.mkdtemp(prefix="lumbung-envelope.", dir=base)
    procs = []

    def start(args, log, pattern):
        p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=open(log, "w"), text=True)
        procs.append(p)
        line = p.stdout.readline()
        m = re.search(pattern, line.strip())
        if not m:
            sys.exit("bench: %s did not start: %r" % (args[0], line))
        return p, m.group(1)

    def stop(p):
        p.terminate()
        p.wait()
        procs.remove(p)

    def village(name, code, count, seed, only):
        v = os.path.join(d, name)
        run([lb, "init", "-d", v, "--village", code, "--name", name])
        g = subprocess.Popen([gen, "--village", code, "--count", str(count), "--seed", str(seed)]
                             + (["--only", only] if only else []), stdout=subprocess.PIPE)
        run([lb, "put", "-d", v, "--batch"], stdin=g.stdout)
        g.wait()
        key = re.search(r"^origin\s+(\S+)", run([lb, "id", "-d", v]), re.M).group(1)
        return v, key

    notes = []
    try:
        aggkey = run([agg, "init", "-d", os.path.join(d, "agg-key"), "--region", "33.24"]).strip()

        # ---- bytes and CPU per entry
        sets = [("penduduk", "33.24.01.2001", 1, "penduduk"), ("mixed", "33.24.01.2002", 2, None)]
        forms = [("plain", ["--plain"]), ("default", []), ("sealed", ["--seal-to", aggkey])]
        size_rows, cpu = [], {}
        for name, code, seed, only in sets:
            v, key = village(name, code, n, seed, only)
            if name == "mixed":
                mixed = (v, key)
            entries = seq_of(lb, v)
            lla = os.path.join(d, name + ".lla")
            with open(lla, "wb") as f:
                subprocess.run([lb, "export-log", "-d", v], stdout=f, check=True)
            ne, stored = stored_entry_bytes(lla)
            if ne != entries:
                sys.exit("bench: the archive holds %d entries, the node %d" % (ne, entries))
            row = {"set": name, "entries": entries, "stored": stored, "sizes": {}}
            for fname, flags in forms:
                path = os.path.join(d, "%s.%s.cs" % (name, fname))
                try:
                    samples = [timed([lb, "changeset", "-d", v, *flags], path, d)[1]
                               for _ in range(runs)]
                except Unsupported as e:
                    note = "`lumbung changeset %s`: not measured (%s)" % (flags[0], e)
                    if note not in notes:
                        notes.append(note)
                    continue
                row["sizes"][fname] = (os.path.getsize(path), form(path))
                cpu.setdefault(fname, []).append((entries, statistics.mean(samples)))
            plain = os.path.join(d, "%s.plain.cs" % name)
            if not os.path.exists(plain):       # a build without --plain writes plain
                plain = os.path.join(d, "%s.default.cs" % name)
            if shutil.which("zstd") and os.path.exists(plain) and form(plain) == "plain":
                subprocess.run(["zstd", "-3", "-q", "-f", plain, "-o", plain + ".zst"], check=True)
                row["zstd3"] = os.path.getsize(plain + ".zst")
            size_rows.append(row)

        # ---- push over the shaped link
        if npush == n:      # the mixed village itself
            pv, pkey, pcode = mixed + ("33.24.01.2002",)
        else:
            pv, pkey = village("push", "33.24.01.2003", npush, 2, None)
            pcode = "33.24.01.2003"
        pentries = seq_of(lb, pv)
        variants = [("plain", ["--no-compress", "--no-seal"]), ("compressed", ["--no-seal"]),
                    ("compressed + sealed (default)", [])]
        push_rows = []

        def push(i, flags):
            """One push to a fresh aggregator i; (wall, cpu, up, down)."""
            ad = os.path.join(d, "agg%d" % i)
            k = run([agg, "init", "-d", ad, "--region", "33.24"]).strip()
            run([agg, "enroll", "-d", ad, "--village", pcode, "--key", pkey])
            ap, port = start([agg, "serve", "-d", ad, "--listen", "127.0.0.1:0"],
                             os.path.join(d, "agg%d.log" % i), r"listening on .*:(\d+)$")
            plog = os.path.join(d, "proxy%d.log" % i)
            pp, pport = start([shape, "--up-rate", str(RATE), "--down-rate", str(RATE),
                               "--delay-ms", str(DELAY_MS), "0", "127.0.0.1:" + port],
                              plog, r"listening on .*:(\d+)$")
            try:
                wall, ucpu = timed([lb, "push", "-d", pv, "--to", "http://127.0.0.1:" + pport,
                                    "--key", k, *flags], os.path.join(d, "push.out"), d)
            finally:
                stop(pp)
                stop(ap)
            up = down = 0
            for line in open(plog):
                m = re.match(r"conn \d+: up (\d+) bytes, down (\d+) bytes", line)
                if m:
                    up += int(m.group(1))
                    down += int(m.group(2))
            st = json.loads(run([agg, "status", "-d", ad, "--json"]))
            if sum(v["seq"] for v in st["villages"]) != pentries:
                sys.exit("bench: after a push the aggregator does not show seq %d" % pentries)
            return wall, ucpu, up, down

        old_build = False
        try:
            push_rows.append(("plain", *push(0, ["--no-compress", "--no-seal"])))
        except Unsupported as e:
            notes.append("`lumbung push --no-compress --no-seal`: %s; plain measured as "
                         "`lumbung push` with no flags (a build that only sends plain)" % e)
            push_rows.append(("plain (no flags)", *push(1, [])))
            old_build = True
        for i, (vname, flags) in enumerate([("compressed", ["--no-seal"]),
                                            ("compressed + sealed (default)", [])]):
            if old_build:
                notes.append("push %s: not measured (this build sends plain)" % vname)
                continue
            try:
                push_rows.append((vname, *push(2 + i, flags)))
            except Unsupported as e:
                notes.append("`lumbung push %s`: not measured (%s)" % (" ".join(flags), e))
    finally:
        for p in procs:
            p.terminate()
            p.wait()
        if os.environ.get("LUMBUNG_BENCH_KEEP") != "1":
            shutil.rmtree(d, ignore_errors=True)
        else:
            print("bench: files kept in " + d)

    # ---- the section
    labels = {"plain": "`--plain`", "default": "default",
              "sealed": "`--seal-to KEY` (sealed + compressed)"}
    t = ["", "### Compact and private change sets (issue 09)", "",
         "Command: `python3 tools/bench_envelope.py build OUT.md` (run by `make bench`). "
         "%d records per data set (`LUMBUNG_BENCH_ENV_N`); the push sends %d entries of "
         "mixed records (`LUMBUNG_BENCH_ENV_PUSH`); CPU is the mean of %d runs "
         "(`LUMBUNG_BENCH_ENV_RUNS`)." % (n, pentries, runs), "",
         "**Bytes per entry.** Baseline: the stored entry bytes (what is hashed and signed, "
         "from `lumbung export-log`). Each `lumbung changeset` file's form is read from its "
         "first bytes. Target: compressed <= 0.25 x stored.", "",
         "| data | entries | stored B/entry | change set | form | B/entry | x stored |",
         "|---|---|---|---|---|---|---|"]
    verdicts = []
    for r in size_rows:
        e, s = r["entries"], r["stored"]
        for fname in ("plain", "default", "sealed"):
            if fname not in r["sizes"]:
                continue
            size, f = r["sizes"][fname]
            t.append("| %s | %d | %.1f | %s | %s | %.1f | %.3f |" %
                     (r["set"], e, s / e, labels[fname], f, size / e, size / s))
            if fname == "default" and f == "zstd":
                verdicts.append("%s: compressed = %.3f x stored (target <= 0.25: %s)" %
                                (r["set"], size / s, "met" if size / s <= 0.25 else "NOT met"))
        if "zstd3" in r:
            t.append("| %s | %d | %.1f | reference: `zstd -3` of the plain change set | zstd "
                     "| %.1f | %.3f |" % (r["set"], e, s / e, r["zstd3"] / e, r["zstd3"] / s))
    t.append("")

    comp_bpe = None
    t += ["**CPU on the village side.** user+sys of `lumbung changeset` per entry (opening the "
          "node, reading and framing the entries included; the differences are what "
          "compressing and sealing add). 10 Mbit/s carries 1,250,000 B/s; at the compressed "
          "size that is the number of entries per second the CPU must keep up with.", "",
          "| data | `--plain` us/entry | default us/entry | `--seal-to` us/entry | "
          "compress adds | seal adds | 10 Mbit/s needs (us/entry) |",
          "|---|---|---|---|---|---|---|"]
    for i, r in enumerate(size_rows):
        e = r["entries"]

        def us(fname):
            v = cpu.get(fname)
            return v[i][1] / e * 1e6 if v and len(v) > i else None
        p, c, s = us("plain"), us("default"), us("sealed")
        dsz = r["sizes"].get("default")
        budget = None
        if dsz and dsz[1] == "zstd":
            bpe = dsz[0] / e
            budget = bpe / TEN_MBIT * 1e6
            comp_bpe = comp_bpe or bpe
        fmt = lambda x: "%.2f" % x if x is not None else "—"
        add = lambda a, b: "%+.2f" % (a - b) if a is not None and b is not None else "—"
        t.append("| %s | %s | %s | %s | %s | %s | %s |" %
                 (r["set"], fmt(p), fmt(c), fmt(s), add(c, p), add(s, c), fmt(budget)))
        if budget and c is not None and s is not None:
            verdicts.append("%s: `--seal-to` costs %.2f us/entry in all against %.2f us/entry "
                            "that 10 Mbit/s at the compressed size allows (%.0f%% of one core)"
                            % (r["set"], s, budget, 100 * s / budget))
    t.append("")

    t += ["**Push over a village link** (tests/tools/shapeproxy: %d B/s = 256 kbit/s each way, "
          "%d ms each way, a round trip per new connection), %d entries to a fresh aggregator "
          "each time. Bytes are what the proxy carried; CPU is the push process's user+sys. "
          "Baseline: plain. Target: compressed >= 4 x plain." % (RATE, DELAY_MS, pentries), "",
          "| push | wall s | entries/s | x plain | up B/entry | down B | push CPU us/entry |",
          "|---|---|---|---|---|---|---|"]
    base_rate = None
    for vname, wall, ucpu, up, down in push_rows:
        rate = pentries / wall
        if vname.startswith("plain"):
            base_rate = rate
        t.append("| %s | %.2f | %.0f | %s | %.1f | %d | %.1f |" %
                 (vname, wall, rate, "%.2f" % (rate / base_rate) if base_rate else "—",
                  up / pentries, down, ucpu / pentries * 1e6))
        if not vname.startswith("plain") and base_rate:
            verdicts.append("push %s = %.2f x plain entries/s (target >= 4: %s)" %
                            (vname, rate / base_rate, "met" if rate / base_rate >= 4 else "NOT met"))
    t.append("")
    if verdicts:
        t += ["Against the targets:", ""] + ["- " + v for v in verdicts] + [""]
    if notes:
        t += ["Not measured with this build:", ""] + ["- " + x for x in notes] + [""]
    text = "\n".join(t)
    print(text)
    with open(out, "a") as f:
        f.write(text)


if __name__ == "__main__":
    main()
