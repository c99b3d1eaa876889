#!/usr/bin/env python3
"""figures_expect.py — the known answers for `lumbung-agg report`, computed
independently of lumbung's C code from each village's own CSV exports
(`lumbung export -d DIR TYPE`).

    figures_expect.py --region 33.24 --per 2026-06-30 CODE=PREFIX ...

reads PREFIX.penduduk.csv, PREFIX.keluarga.csv, ... for each village CODE and
prints one JSON document: {report: {"villages": [...], "kecamatan": [...],
"total": [...], ["tanda": [...]]}} for ringkasan, penduduk, bantuan and
nik-ganda, in the row shapes docs/REPORTS.md promises.  Nothing here is
shared with the report engine: the definitions are taken from the
documentation and recomputed from the records.
"""
import csv
import datetime
import io
import json
import sys

TYPES = ["penduduk", "keluarga", "program", "penerima", "kegiatan", "laporan", "aspirasi"]
AGAMA = ["islam", "kristen", "katolik", "hindu", "buddha", "khonghucu", "kepercayaan"]
PENDIDIKAN = ["tidak_belum_sekolah", "belum_tamat_sd", "tamat_sd", "sltp", "slta",
              "diploma_i_ii", "diploma_iii", "diploma_iv_s1", "s2", "s3"]
KAWIN = ["belum_kawin", "kawin", "cerai_hidup", "cerai_mati"]
STATUS = ["hidup", "pindah", "meninggal"]


def unguard(v):
    # export puts one ' before formula-like text; import takes exactly one off
    return v[1:] if v.startswith("'") else v


def read(prefix, typ):
    try:
        with open(f"{prefix}.{typ}.csv", encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(io.StringIO(f.read())))
    except FileNotFoundError:
        return []
    return [{k: unguard(v) for k, v in r.items() if v != ""} for r in rows]


def age_on(born, per):
    return per.year - born.year - ((per.month, per.day) < (born.month, born.day))


def band(age):
    return "75+" if age >= 75 else f"{age // 5 * 5}-{age // 5 * 5 + 4}"


BANDS = [f"{5 * b}-{5 * b + 4}" for b in range(15)] + ["75+"]


def main():
    args = sys.argv[1:]
    region = per = None
    villages = {}
    while args:
        a = args.pop(0)
        if a == "--region":
            region = args.pop(0)
        elif a == "--per":
            per = datetime.date.fromisoformat(args.pop(0))
        else:
            code, prefix = a.split("=", 1)
            villages[code] = {t: read(prefix, t) for t in TYPES}
    out = {}

    # ---- ringkasan
    rows = []
    for code in sorted(villages):
        r = villages[code]
        live = [p for p in r["penduduk"] if p["status"] == "hidup"]
        asp = [a["status"] for a in r["aspirasi"]]
        rows.append({"village": code,
                     "penduduk_l": sum(p["jenis_kelamin"] == "L" for p in live),
                     "penduduk_p": sum(p["jenis_kelamin"] == "P" for p in live),
                     "penduduk": len(live),
                     "keluarga": len(r["keluarga"]), "program": len(r["program"]),
                     "penerima": len(r["penerima"]), "kegiatan": len(r["kegiatan"]),
                     "laporan": len(r["laporan"]),
                     "aspirasi_terbuka": sum(s in ("diusulkan", "ditampung", "disetujui")
                                             for s in asp),
                     "aspirasi_selesai": sum(s in ("terealisasi", "ditolak") for s in asp)})
    out["ringkasan"] = rollups(rows, [], region)

    # ---- penduduk: (kategori, nilai) -> [L, P]
    rows = []
    for code in sorted(villages):
        r = villages[code]
        live = [p for p in r["penduduk"] if p["status"] == "hidup"]
        cells = {}

        def count(cat, val, p):
            lp = cells.setdefault((cat, val), [0, 0])
            lp[0 if p["jenis_kelamin"] == "L" else 1] += 1

        for cat, vals in (("jenis_kelamin", ["L", "P"]), ("umur", BANDS),
                          ("agama", AGAMA + ["tidak_diisi"]),
                          ("pendidikan", PENDIDIKAN + ["tidak_diisi"]),
                          ("status_perkawinan", KAWIN + ["tidak_diisi"]),
                          ("disabilitas", ["ya", "tidak", "tidak_diisi"]),
                          ("status", STATUS), ("wajib_ktp", ["wajib_ktp"])):
            for v in vals:
                cells[(cat, v)] = [0, 0]
        for p in live:
            count("jenis_kelamin", p["jenis_kelamin"], p)
            a = age_on(datetime.date.fromisoformat(p["tanggal_lahir"]), per)
            if a >= 0:
                count("umur", band(a), p)
            for f, cat, vals in (("agama", "agama", AGAMA),
                                 ("pendidikan", "pendidikan", PENDIDIKAN),
                                 ("status_perkawinan", "status_perkawinan", KAWIN)):
                v = p.get(f)
                count(cat, v if v in vals else "tidak_diisi", p)
            count("pekerjaan", p.get("pekerjaan", "tidak_diisi"), p)
            d = p.get("disabilitas")
            count("disabilitas", {"true": "ya", "false": "tidak"}.get(d, "tidak_diisi"), p)
            if a >= 17 or p.get("status_perkawinan") in ("kawin", "cerai_hidup", "cerai_mati"):
                count("wajib_ktp", "wajib_ktp", p)
        for p in r["penduduk"]:
            count("status", p["status"], p)
        for (cat, val), (l, pp) in cells.items():
            rows.append({"village": code, "kategori": cat, "nilai": val, "l": l, "p": pp,
                         "jumlah": l + pp})
    out["penduduk"] = rollups(rows, ["kategori", "nilai"], region)

    # ---- bantuan
    rows, tanda = [], []
    for code in sorted(villages):
        r = villages[code]
        progs = {p["kode"]: p for p in r["program"]}
        by_prog = {}
        for b in r["penerima"]:
            by_prog.setdefault(b["program"], []).append(b)
        for kode in sorted(set(progs) | set(by_prog)):
            recs = by_prog.get(kode, [])
            pr = progs.get(kode, {})
            niks = [b["nik"] for b in recs]
            dup = sorted({n for n in niks if niks.count(n) >= 2})
            rows.append({"village": code, "program": kode, "nama_program": pr.get("nama", ""),
                         "tahun": pr.get("tahun", ""),
                         "anggaran": int(pr.get("anggaran", 0)),
                         "target": int(pr.get("target_penerima", 0)),
                         "penerima": len(recs),
                         "disalurkan": sum(b["status"] == "disalurkan" for b in recs),
                         "nik": len(set(niks)),
                         "keluarga": len({b["no_kk"] for b in recs if "no_kk" in b}),
                         "nilai": sum(int(b.get("nilai", 0)) for b in recs),
                         "nik_ganda": len(dup)})
            for n in dup:
                tanda.append({"village": code, "jenis": "ganda_dalam_program", "program": kode,
                              "nik": n, "jumlah": niks.count(n)})
        progs_of = {}
        for b in r["penerima"]:
            progs_of.setdefault(b["nik"], set()).add(b["program"])
        for n in sorted(progs_of):
            if len(progs_of[n]) >= 2:
                tanda.append({"village": code, "jenis": "beberapa_program", "program": "",
                              "nik": n, "jumlah": len(progs_of[n])})
    out["bantuan"] = rollups(rows, [], region)
    out["bantuan"]["tanda"] = tanda

    # ---- nik-ganda: a NIK live (status hidup) in two villages or more
    where = {}
    names = {}
    for code in sorted(villages):
        for p in villages[code]["penduduk"]:
            if p["status"] == "hidup":
                where.setdefault(p["nik"], []).append(code)
                names[(p["nik"], code)] = p["nama"]
    rows = []
    for nik in sorted(where):
        if len(where[nik]) < 2:
            continue
        for code in where[nik]:
            rows.append({"village": code, "nik": nik, "nama": names[(nik, code)],
                         "desa_lain": ", ".join(c for c in where[nik] if c != code),
                         "penduduk_ganda": 1})
    rows.sort(key=lambda r: (r["village"], r["nik"]))
    out["nik-ganda"] = rollups(rows, [], region)
    json.dump(out, sys.stdout, indent=1, sort_keys=True)


def rollups(rows, dims, region):
    """Village rows, then sums of the integer columns per kecamatan (the
    code's first three parts) and for the region, grouped by dims."""
    def roll(keyf, codef):
        groups = {}
        for r in rows:
            k = (keyf(r),) + tuple(r[d] for d in dims)
            g = groups.setdefault(k, dict({codef: k[0]}, **{d: r[d] for d in dims}))
            for c, v in r.items():
                if isinstance(v, int) and not isinstance(v, bool):
                    g[c] = g.get(c, 0) + v
        return [groups[k] for k in sorted(groups)]
    return {"villages": rows,
            "kecamatan": roll(lambda r: r["village"][:8], "kecamatan"),
            "total": roll(lambda r: region, "region")}


main()
