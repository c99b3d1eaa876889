"""benchlib.py — what the Python benchmarks (tools/bench_*.py) share."""
import re
import subprocess
import sys


def run(args, **kw):
    """stdout of a command that must succeed; the benchmark stops, naming it, if not."""
    r = subprocess.run(args, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit("bench: %s failed (exit %d): %s" % (" ".join(args[:3]), r.returncode,
                                                     r.stderr.strip()[:400]))
    return r.stdout


def serve(agg, adir, log):
    """`lumbung-agg serve` of adir on a free loopback port: (process, URL)."""
    p = subprocess.Popen([agg, "serve", "-d", adir, "--listen", "127.0.0.1:0"],
                         stdout=subprocess.PIPE, stderr=open(log, "w"), text=True)
    m = re.search(r"(\d+)\s*$", p.stdout.readline().strip())
    if not m:
        p.terminate()
        sys.exit("bench: lumbung-agg serve did not say its port")
    return p, "http://127.0.0.1:" + m.group(1)
