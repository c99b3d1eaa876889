#!/usr/bin/env python3
"""perkembangan_expect.py — the known answers of `lumbung-agg report
perkembangan`, computed from the villages' own histories (`lumbung log
--json` of each village), by the rules written in docs/REPORTS.md, without
any code of the aggregator.

usage: perkembangan_expect.py REGION YYYY-MM UTC_OFFSET_HOURS CODE=LOG.jsonl...

A village may be given several logs (one per origin key): CODE=a,b.
Prints the report's JSON shape: villages, kecamatan, total (counts only).
"""
import calendar
import json
import sys

SEXES = ("l", "p")
EVENTS = ("awal", "lahir", "mati", "datang", "pindah", "akhir")


def month_bounds(month, offset_h):
    y, m = map(int, month.split("-"))
    ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
    t0 = (calendar.timegm((y, m, 1, 0, 0, 0)) - offset_h * 3600) * 1000
    t1 = (calendar.timegm((ny, nm, 1, 0, 0, 0)) - offset_h * 3600) * 1000
    return y, m, t0, t1


def village(logs, y, m, t0, t1):
    entries = []
    for i, path in enumerate(logs):
        with open(path) as f:
            for line in f:
                if line.strip():
                    e = json.loads(line)
                    entries.append((e["hlc"], i, e))
    entries.sort(key=lambda t: (t[0], t[1]))
    people = {}   # nik -> (status, sex) of the live record
    seen = set()  # niks with any entry so far
    families = set()
    count = {k: [0, 0] for k in EVENTS}
    awal = None

    def residents():
        c = [0, 0]
        for st, sx in people.values():
            if st == "hidup":
                c[sx == "P"] += 1
        return c

    for hlc, _, e in entries:
        ms = hlc >> 16
        if ms >= t1:
            break
        if e["type"] not in ("penduduk", "keluarga"):
            continue
        if ms >= t0 and awal is None:
            awal = (residents(), len(families))
        rid = e["id"]
        if e["type"] == "keluarga":
            if e["op"] == "put":
                families.add(rid)
            else:
                families.discard(rid)
            continue
        before = people.get(rid)
        is_new = rid not in seen
        seen.add(rid)
        body = e["body"] if e["op"] == "put" else None
        if body is None:
            people.pop(rid, None)
            after = None
        else:
            after = (body.get("status"), body.get("jenis_kelamin"))
            people[rid] = after
        if ms < t0:
            continue
        was = before[1] == "P" if before and before[0] == "hidup" else None
        now = after[1] == "P" if after and after[0] == "hidup" else None
        if was == now:
            continue
        if was is not None:
            if now is None and body is not None and body.get("status") == "meninggal":
                count["mati"][was] += 1
            else:
                count["pindah"][was] += 1
        if now is not None:
            born = body.get("tanggal_lahir", "")
            # a resident moving in from another village (datang_dari, schema
            # version 2) arrives, even a baby born this month
            if (was is None and is_new and not body.get("datang_dari")
                    and born[:7] == "%04d-%02d" % (y, m)):
                count["lahir"][now] += 1
            else:
                count["datang"][now] += 1
    if awal is None:
        awal = (residents(), len(families))
    count["awal"] = awal[0]
    count["akhir"] = residents()
    row = {}
    for ev in EVENTS:
        row[ev + "_l"], row[ev + "_p"] = count[ev]
        row[ev] = sum(count[ev])
    row["keluarga_awal"] = awal[1]
    row["keluarga_akhir"] = len(families)
    return row


def main():
    region, month, offset = sys.argv[1], sys.argv[2], float(sys.argv[3])
    y, m, t0, t1 = month_bounds(month, offset)
    rows = {}
    for arg in sys.argv[4:]:
        code, paths = arg.split("=", 1)
        rows[code] = village(paths.split(","), y, m, t0, t1)
    out = {"villages": [], "kecamatan": [], "total": []}
    keys = list(next(iter(rows.values())).keys()) if rows else []
    kec = {}
    for code in sorted(rows):
        out["villages"].append(dict({"village": code}, **rows[code]))
        k = kec.setdefault(code[:8], dict.fromkeys(keys, 0))
        for x in keys:
            k[x] += rows[code][x]
    for code in sorted(kec):
        out["kecamatan"].append(dict({"kecamatan": code}, **kec[code]))
    if rows:
        out["total"].append(dict({"region": region},
                                 **{x: sum(r[x] for r in rows.values()) for x in keys}))
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
