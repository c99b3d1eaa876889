#!/usr/bin/env python3
"""mirror_by_hand.py -- the PostgreSQL layout of docs/MIRROR.md written
without lumbung-agg's mirror, for testing the report views on their own.

  mirror_by_hand.py SCHEMA_FILE AGGDIR_EXPORTS VILLAGES LOGS > script.sql

  SCHEMA_FILE      schema/vN.schema (the newest): the record tables' columns
  AGGDIR_EXPORTS   a directory holding TYPE.jsonl for every type
                   (`lumbung-agg export TYPE --jsonl`)
  VILLAGES         a file of lines "CODE NAME" (NAME may be empty)
  LOGS             a file of lines "CODE ORIGIN LOGFILE" (LOGFILE: the
                   village node's `lumbung log --json`)

Prints a psql script that creates the tables (typed as docs/MIRROR.md
says) and fills them: the record tables from the aggregator's exports, the
change log `perubahan` from the villages' own logs.  Known answers come
from the village nodes and the export, never from the mirror.
"""
import csv
import datetime
import io
import json
import os
import re
import sys

KINDS = {"date": "date", "integer": "bigint", "rupiah": "numeric", "boolean": "boolean"}


def schema_types(path):
    types, cur = {}, None
    for line in open(path, encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        m = re.match(r"^type (\w+)", line)
        if m:
            cur = m.group(1)
            types[cur] = []
            continue
        m = re.match(r"^  (\w+)\s+(\w+)", line)
        if m and cur:
            types[cur].append((m.group(1), KINDS.get(m.group(2), "text")))
    return types


def q(name):
    return '"' + name.replace('"', '""') + '"'


def copy_json(out, table, rows):
    """rows of dicts into table through jsonb_populate_record."""
    out.write("TRUNCATE j;\nCOPY j (x) FROM STDIN WITH (FORMAT csv);\n")
    buf = io.StringIO()
    w = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\n")
    for r in rows:
        w.writerow([json.dumps(r, ensure_ascii=False)])
    out.write(buf.getvalue())
    out.write("\\.\n")
    out.write(f"INSERT INTO {q(table)} SELECT (jsonb_populate_record(NULL::{q(table)}, x)).* FROM j;\n")


def main():
    schema, exports, villages, logs = sys.argv[1:5]
    types = schema_types(schema)
    out = sys.stdout
    out.write("\\set ON_ERROR_STOP 1\nBEGIN;\n")
    out.write("CREATE TABLE lumbung_meta (kunci text PRIMARY KEY, nilai text);\n")
    out.write("INSERT INTO lumbung_meta VALUES ('layout', '1');\n")
    out.write("CREATE TABLE lumbung_posisi (origin text PRIMARY KEY, desa text NOT NULL, "
              "kabupaten text NOT NULL, seq bigint NOT NULL, hash text NOT NULL, "
              "diubah timestamptz NOT NULL);\n")
    out.write("CREATE TABLE desa (kode text PRIMARY KEY, nama text, kecamatan text NOT NULL, "
              "kabupaten text NOT NULL, terakhir_terlihat timestamptz, seq bigint NOT NULL, "
              "origin text);\n")
    for t, fields in types.items():
        cols = ["desa text NOT NULL", "id text NOT NULL"]
        cols += [f"{q(f)} {k}" for f, k in fields]
        cols += ["origin text NOT NULL", "seq bigint NOT NULL", "diubah timestamptz NOT NULL",
                 "PRIMARY KEY (desa, id)"]
        out.write(f"CREATE TABLE {q(t)} ({', '.join(cols)});\n")
    out.write("CREATE TABLE perubahan (origin text, seq bigint, desa text NOT NULL, "
              "waktu timestamptz NOT NULL, op text NOT NULL, tipe text NOT NULL, "
              "id text NOT NULL, isi jsonb, PRIMARY KEY (origin, seq));\n")
    out.write("CREATE INDEX ON perubahan (desa, tipe, id);\n")
    out.write("CREATE TEMP TABLE j (x jsonb);\n")

    vrows = []
    for line in open(villages, encoding="utf-8"):
        code, _, name = line.rstrip("\n").partition(" ")
        vrows.append({"kode": code, "nama": name or None, "kecamatan": code[:8],
                      "kabupaten": code[:5], "seq": 0})
    copy_json(out, "desa", vrows)

    # the latest entry of each record, for origin/seq/diubah of the record rows
    last = {}
    changes = []
    for line in open(logs, encoding="utf-8"):
        code, origin, path = line.split()
        for l in open(path, encoding="utf-8"):
            e = json.loads(l)
            ms = e["hlc"] >> 16
            changes.append({"origin": origin, "seq": e["seq"], "desa": code, "ms": ms,
                            "op": e["op"], "tipe": e["type"], "id": e["id"],
                            "isi": e.get("body") if e["op"] == "put" else None})
            last[(code, e["type"], e["id"])] = (origin, e["seq"], ms)
    out.write("TRUNCATE j;\nCOPY j (x) FROM STDIN WITH (FORMAT csv);\n")
    buf = io.StringIO()
    w = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\n")
    for c in changes:
        w.writerow([json.dumps(c, ensure_ascii=False)])
    out.write(buf.getvalue() + "\\.\n")
    out.write("INSERT INTO perubahan SELECT x->>'origin', (x->>'seq')::bigint, x->>'desa', "
              "to_timestamp((x->>'ms')::numeric / 1000), x->>'op', x->>'tipe', x->>'id', "
              "CASE WHEN jsonb_typeof(x->'isi') = 'object' THEN x->'isi' END FROM j;\n")

    for t in types:
        p = os.path.join(exports, t + ".jsonl")
        rows = []
        for l in open(p, encoding="utf-8") if os.path.exists(p) else []:
            r = json.loads(l)
            origin, seq, ms = last[(r["desa"], t, r["id"])]
            row = dict(r["record"])
            row.update({"desa": r["desa"], "id": r["id"], "origin": origin, "seq": seq,
                        "diubah": datetime.datetime.fromtimestamp(
                            ms / 1000, datetime.timezone.utc).isoformat()})
            rows.append(row)
        copy_json(out, t, rows)
    out.write("COMMIT;\n")


if __name__ == "__main__":
    main()
