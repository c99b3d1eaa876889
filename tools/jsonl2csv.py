#!/usr/bin/env python3
"""jsonl2csv.py TYPE — lumbung-gen JSON lines on stdin to a CSV of one type
on stdout, columns in the order of the first record (for benchmarks and
tests; it only reshapes, it does not validate)."""
import csv
import json
import sys

typ = sys.argv[1]
fields = None
w = csv.writer(sys.stdout, lineterminator="\r\n")
for line in sys.stdin:
    r = json.loads(line)
    if r["type"] != typ:
        continue
    if fields is None:
        fields = list(r["body"].keys())
        w.writerow(fields)
    b = r["body"]
    w.writerow(["true" if b.get(k) is True else "false" if b.get(k) is False else b.get(k, "")
                for k in fields])
