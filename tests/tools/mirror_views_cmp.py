#!/usr/bin/env python3
"""mirror_views_cmp.py -- a report view of the PostgreSQL mirror against
`lumbung-agg report NAME --json`.

  mirror_views_cmp.py REPORT.json VIEW.json [--ordered] [--rollup DIMS] [--extra KEY]

VIEW.json is the view's rows as psql's json_agg gives them.  The village
rows must be equal: the view's `desa` is the report's `village`,
`nama_desa` its `name`; kecamatan, kabupaten, urutan and bulan_laporan
are the view's own; NULL is the report's "" and a year the report's text.
--ordered: in the same order (the view sorted by desa, urutan), else as
sets.  --rollup DIMS: the view's rows summed per kecamatan and over all
(by the dimension columns DIMS, comma-separated, may be empty) equal the
report's kecamatan and total rows.  --extra KEY: compare the report's
extra sheet KEY (bantuan's tanda) instead of its village rows.
Prints what differs and exits 1 when anything does.
"""
import json
import sys

OWN = {"kecamatan", "kabupaten", "urutan", "bulan_laporan"}


def village_row(v):
    out = {}
    for k, x in v.items():
        if k in OWN:
            continue
        k = {"desa": "village", "nama_desa": "name"}.get(k, k)
        if x is None:
            x = ""
        elif k == "tahun":
            x = str(x)
        elif isinstance(x, float) and x == int(x):
            x = int(x)
        out[k] = x
    return out


def key(r):
    return json.dumps(r, sort_keys=True, ensure_ascii=False)


def diff(what, want, got, ordered):
    if not ordered:
        want, got = sorted(want, key=key), sorted(got, key=key)
    if want == got:
        return 0
    print(f"{what}: {len(want)} report rows, {len(got)} view rows")
    for i in range(max(len(want), len(got))):
        a = want[i] if i < len(want) else None
        b = got[i] if i < len(got) else None
        if a != b:
            print(f"  first difference at row {i}:\n    report: {a}\n    view:   {b}")
            break
    return 1


def rollup(rows, dims, by):
    sums, order = {}, []
    for v in rows:
        k = (v[by] if by else None,) + tuple(v[d] for d in dims)
        if k not in sums:
            sums[k] = {}
            order.append(k)
        for c, x in v.items():
            if c in dims or c in OWN or c in ("desa", "nama_desa") or not isinstance(x, (int, float)):
                continue
            sums[k][c] = sums[k].get(c, 0) + int(x)
    return sums


def main():
    rep = json.load(open(sys.argv[1], encoding="utf-8"))
    view = json.load(open(sys.argv[2], encoding="utf-8")) or []
    args = sys.argv[3:]
    ordered = "--ordered" in args
    bad = 0
    if "--extra" in args:
        k = args[args.index("--extra") + 1]
        bad |= diff(k, rep.get(k, []), [village_row(v) for v in view], ordered)
    else:
        bad |= diff("villages", rep["villages"], [village_row(v) for v in view], ordered)
    if "--rollup" in args:
        dims = [d for d in args[args.index("--rollup") + 1].split(",") if d]
        for level, by, code in (("kecamatan", "kecamatan", "kecamatan"), ("total", None, "region")):
            sums = rollup(view, dims, by)
            got = []
            for k, s in sums.items():
                r = {code: k[0] if by else rep["region"]}
                r.update({d: k[1 + i] for i, d in enumerate(dims)})
                r.update(s)
                got.append(r)
            want = [{c: x for c, x in r.items() if c in got[0]} if got else r for r in rep[level]]
            bad |= diff(level, want, got, False)
    sys.exit(bad)


if __name__ == "__main__":
    main()
