#!/bin/sh
# basic.sh — every `lumbung` command end to end on real node directories:
# init, id, put, get, rm, ls, log, verify, --help, exit statuses, -d and
# $LUMBUNG_DIR.
. "$(dirname "$0")/lib.sh"
unset LUMBUNG_DIR

lb() { "$LUMBUNG" "$@"; }
# python3 is often a pyenv shim costing ~0.3 s a call: resolve it once
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || PY=python3
V=33.24.01.2001
D="$T/node"
# Records must satisfy the schema (docs/SCHEMA.md).  aspirasi has free ids
# and free text, so it serves wherever a test needs "some record"; these are
# its other required fields.
ASP="tanggal=2026-01-05 status=diusulkan usulan=Lampu_jalan"
# shellcheck disable=SC2086 # $ASP is meant to split into arguments
asp() { lb put -d "$D" aspirasi "$@" $ASP; }

# ---- init ---------------------------------------------------------------

for bad in "33.24.01" "33-24-01-2001" ""; do
	expect_exit 3 "init refuses village code \"$bad\" (EINVAL)" lb init -d "$T/bad" --village "$bad"
	contains "$T/err" "not a desa code" "init names the bad village code \"$bad\""
	if [ -e "$T/bad/node.key" ] || [ -e "$T/bad/data.mdb" ]; then
		fail "refused init \"$bad\" left a node behind"
	else ok "refused init \"$bad\" left no node behind"; fi
done
expect_exit 2 "init without --village is a usage error" lb init -d "$T/bad"

expect_exit 0 "init a new node" lb init -d "$D" --village "$V" --name "Desa Uji"
origin=$(cat "$T/out")
if printf '%s\n' "$origin" | grep -Eqx '[0-9a-f]{64}'; then ok "init prints a 64-hex origin"; else
	fail "init prints a 64-hex origin (got \"$origin\")"
fi
contains "$T/err" "node.key" "init tells where the secret key is"
expect_exit 7 "init refuses an already-initialised dir (EEXIST)" lb init -d "$D" --village "$V"
contains "$T/err" "already holds a node" "init says the dir already holds a node"
expect_exit 0 "the refused second init did not damage the node" lb id -d "$D"
contains "$T/out" "$origin" "origin unchanged after the refused second init"

expect_exit 0 "id" lb id -d "$D"
contains "$T/out" "$origin" "id shows the origin init printed"
contains "$T/out" "$V" "id shows the village code"
contains "$T/out" "Desa Uji" "id shows the village name"
expect_exit 0 "id --json" lb id -d "$D" --json
if "$PY" -c '
import json, sys
j = json.loads(open(sys.argv[1]).read())
assert j["origin"] == sys.argv[2], j
assert j["village"] == sys.argv[3] and j["seq"] == 0 and j["records"] == 0, j
' "$T/out" "$origin" "$V" 2>"$T/py"; then ok "id --json: origin, village, seq 0, records 0"; else
	fail "id --json: origin, village, seq 0, records 0 ($(cat "$T/py" "$T/out"))"
fi

mode=$(stat -c %a "$D/node.key")
if [ "$mode" = 600 ]; then ok "node.key is mode 600"; else fail "node.key is mode 600 (got $mode)"; fi

chmod 644 "$D/node.key"
expect_exit 12 "put refuses to open a node whose node.key is mode 644 (EPERM)" \
	asp x pengusul=x
contains "$T/err" "chmod 600" "the refusal says how to fix it (chmod 600)"
chmod 600 "$D/node.key"
expect_exit 0 "after chmod 600 the node opens again" lb put -d "$D" penduduk 3324010101900001 \
	nik=3324010101900001 no_kk=3324010101000001 nama=Siti tanggal_lahir=1990-01-01 \
	jenis_kelamin=L status=hidup disabilitas:=true rt=001 dusun='Krajan Lor'
contains "$T/out" "written as seq 1" "first put is seq 1"

# ---- put / get ------------------------------------------------------------

expect_exit 0 "get returns the record" lb get -d "$D" penduduk 3324010101900001
if "$PY" -c '
import json, sys
j = json.loads(open(sys.argv[1]).read())
assert j["nama"] == "Siti", j
assert j["disabilitas"] is True, j
assert j["rt"] == "001", j
assert j["dusun"] == "Krajan Lor", j
assert len(j) == 9, j
' "$T/out" 2>"$T/py"; then ok "get round trip: strings, digit strings, := booleans"; else
	fail "get round trip: strings, digit strings, := booleans ($(cat "$T/py" "$T/out"))"
fi
expect_exit 10 "a null field is refused (ESCHEMA)" lb put -d "$D" penduduk 3324010101900001 \
	nik=3324010101900001 no_kk=3324010101000001 nama=Siti tanggal_lahir=1990-01-01 \
	jenis_kelamin=L status=hidup agama:=null
contains "$T/err" "agama is null" "the null refusal names the field"
expect_exit 0 "put a second record" asp 3324010101900002 pengusul=Budi
expect_exit 0 "put a record of another type" lb put -d "$D" keluarga 3324010101000001 \
	no_kk=3324010101000001 kepala_keluarga=3324010101900001 desil:=3 penghasilan_bulanan=1.500.000
expect_exit 0 "get the keluarga" lb get -d "$D" keluarga 3324010101000001
contains "$T/out" '"penghasilan_bulanan":1500000' "field=value is typed by the schema (rupiah 1.500.000)"
contains "$T/out" '"desil":3' "field:=3 stays a number"
lb put -d "$D" aspirasi 3324010101900002 pengusul=Budi tanggal=2026-01-05 status=ditampung \
	usulan=Lampu_jalan >"$T/out" 2>"$T/err"
if grep -q "written as seq 4" "$T/out"; then ok "put overwrites"; else fail "put overwrites ($(cat "$T/err"))"; fi
expect_exit 0 "get the overwritten record" lb get -d "$D" aspirasi 3324010101900002
contains "$T/out" '"status":"ditampung"' "get shows the new value after an overwrite"
expect_exit 0 "put a UTF-8 id and value" asp "désa-ü" pengusul="Ñoño 日本"
expect_exit 0 "get the UTF-8 record" lb get -d "$D" aspirasi "désa-ü"
contains "$T/out" "Ñoño 日本" "UTF-8 value round trips"

ff=$(printf '\377')
# (each refused record below is otherwise valid, so the refusal is for the
# reason named and not for a schema rule)
expect_exit 3 "put refuses an id that is not UTF-8" asp "a${ff}b" pengusul=x
contains "$T/err" "UTF-8" "the refusal says UTF-8"
expect_exit 3 "put refuses a value that is not UTF-8" asp okid pengusul="a${ff}b"
contains "$T/err" "UTF-8" "the value refusal says UTF-8"
expect_exit 3 "put refuses a field name that is not UTF-8" asp okid pengusul=x "n${ff}=x"
id128=$(printf '%0128d' 7)
id129=$(printf '%0129d' 7)
expect_exit 14 "put refuses an id of 129 bytes (ETOOBIG)" asp "$id129" pengusul=x
expect_exit 0 "put accepts an id of exactly 128 bytes" asp "$id128" pengusul=x
# shellcheck disable=SC2086
expect_exit 3 "put refuses type \"Penduduk\"" lb put -d "$D" Penduduk okid pengusul=x $ASP
contains "$T/err" "a-z" "the type refusal says which characters are allowed"
expect_exit 3 "put refuses an argument without =" asp okid pengusul=x namaSiti
contains "$T/err" "field=value" "the refusal explains field=value"
expect_exit 3 "put refuses =value with no field name" asp okid pengusul=x =x
expect_exit 3 "put refuses field:= with bad JSON" lb put -d "$D" keluarga 3324010101000002 \
	no_kk=3324010101000002 kepala_keluarga=3324010101900001 desil:=12x
expect_exit 3 "put refuses a field given twice" asp okid pengusul=a pengusul=b
expect_exit 2 "put with only a type is a usage error" lb put -d "$D" penduduk
expect_exit 1 "get of an id that was refused: not there" lb get -d "$D" aspirasi okid
expect_exit 1 "get of the keluarga that was refused: not there" lb get -d "$D" keluarga 3324010101000002

expect_exit 1 "get of a missing record exits 1" lb get -d "$D" penduduk 9999
contains "$T/err" "no such record" "get says no such record"
if [ -s "$T/out" ]; then fail "get of a missing record prints nothing on stdout"; else
	ok "get of a missing record prints nothing on stdout"
fi

# ---- ls / rm ------------------------------------------------------------

expect_exit 0 "ls aspirasi" lb ls -d "$D" aspirasi
printf '%s\n' 3324010101900002 "$id128" "désa-ü" | LC_ALL=C sort >"$T/want"
if cmp -s "$T/out" "$T/want"; then ok "ls lists exactly the live ids, in byte order"; else
	fail "ls lists exactly the live ids, in byte order (got: $(tr '\n' ' ' <"$T/out"))"
fi
expect_exit 0 "ls keluarga" lb ls -d "$D" keluarga
if [ "$(cat "$T/out")" = 3324010101000001 ]; then ok "ls keeps types apart"; else
	fail "ls keeps types apart (got: $(cat "$T/out"))"
fi
expect_exit 0 "ls of a type with no records" lb ls -d "$D" laporan
if [ -s "$T/out" ]; then fail "ls of an empty type prints nothing"; else ok "ls of an empty type prints nothing"; fi

expect_exit 0 "rm a record" lb rm -d "$D" aspirasi 3324010101900002
contains "$T/out" "deleted as seq" "rm reports the seq of the del entry"
expect_exit 1 "get after rm exits 1" lb get -d "$D" aspirasi 3324010101900002
contains "$T/err" "deleted" "get after rm says deleted"
expect_exit 0 "ls after rm" lb ls -d "$D" aspirasi
if grep -qx 3324010101900002 "$T/out"; then fail "ls no longer lists the removed id"; else
	ok "ls no longer lists the removed id"
fi
if [ "$(wc -l <"$T/out")" -eq 2 ]; then ok "ls still lists the other 2 ids"; else
	fail "ls still lists the other 2 ids (got $(wc -l <"$T/out"))"
fi
expect_exit 1 "rm of a missing record exits 1" lb rm -d "$D" aspirasi 9999
expect_exit 1 "rm of an already deleted record exits 1" lb rm -d "$D" aspirasi 3324010101900002
contains "$T/err" "already deleted" "second rm says already deleted"
expect_exit 0 "put again after rm revives the record" asp 3324010101900003 pengusul=Ani
expect_exit 0 "rm then put the same id" lb rm -d "$D" aspirasi 3324010101900003
expect_exit 0 "put the same id again" asp 3324010101900003 pengusul=Ani2
expect_exit 0 "get the revived record" lb get -d "$D" aspirasi 3324010101900003
contains "$T/out" "Ani2" "revived record has the new body"

# ---- log ------------------------------------------------------------------

# writes so far: 1 siti, 2 budi, 3 keluarga, 4 budi again, 5 désa, 6 id128,
# 7 rm budi, 8 put 03, 9 rm 03, 10 put 03
NSEQ=10
expect_exit 0 "id after the writes" lb id -d "$D" --json
if "$PY" -c '
import json, sys
j = json.loads(open(sys.argv[1]).read())
assert j["seq"] == int(sys.argv[2]), j
assert j["records"] == 5, j
' "$T/out" "$NSEQ" 2>"$T/py"; then ok "id --json: seq $NSEQ, 5 live records"; else
	fail "id --json: seq $NSEQ, 5 live records ($(cat "$T/py" "$T/out"))"
fi

expect_exit 0 "log" lb log -d "$D"
if [ "$(wc -l <"$T/out")" -eq $NSEQ ]; then ok "log prints one line per entry"; else
	fail "log prints one line per entry (got $(wc -l <"$T/out"), want $NSEQ)"
fi
if grep -qE '^1  .*  put  penduduk  3324010101900001  \{' "$T/out"; then ok "log shows the put line with its body"; else
	fail "log shows the put line with its body ($(head -n 1 "$T/out"))"
fi
if grep -qE '^7  .*  del  aspirasi  3324010101900002$' "$T/out"; then ok "log shows the del line"; else
	fail "log shows the del line ($(sed -n 7p "$T/out"))"
fi

expect_exit 0 "log --json" lb log -d "$D" --json
cp "$T/out" "$T/log.json"
if "$PY" -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == int(sys.argv[2]), len(lines)
prev = "0" * 64
for i, l in enumerate(lines, 1):
    j = json.loads(l)
    assert j["seq"] == i, (i, j["seq"])
    assert j["prev"] == prev, ("seq", i, "prev", j["prev"], "want", prev)
    assert len(j["hash"]) == 64 and j["hash"] != prev, j
    assert j["op"] in ("put", "del"), j
    assert (j["body"] is None) == (j["op"] == "del"), j
    prev = j["hash"]
ops = [json.loads(l)["op"] for l in lines]
assert ops == ["put"] * 6 + ["del", "put", "del", "put"], ops
' "$T/log.json" $NSEQ 2>"$T/py"; then ok "log --json parses; seq 1..n; each prev is the previous hash"; else
	fail "log --json parses; seq 1..n; each prev is the previous hash ($(cat "$T/py"))"
fi
# the hash of the last entry is the head id shows
last_hash=$(tail -n 1 "$T/log.json" | "$PY" -c 'import json,sys; print(json.loads(sys.stdin.read())["hash"])')
lb id -d "$D" >"$T/out" 2>&1
contains "$T/out" "$last_hash" "id's head is the hash of the last log entry"

expect_exit 0 "log --since 7" lb log -d "$D" --since 7 --json
if "$PY" -c '
import json, sys
seqs = [json.loads(l)["seq"] for l in open(sys.argv[1])]
assert seqs == list(range(7, int(sys.argv[2]) + 1)), seqs
' "$T/out" $NSEQ 2>"$T/py"; then ok "log --since 7 starts at seq 7 and runs to the end"; else
	fail "log --since 7 starts at seq 7 and runs to the end ($(cat "$T/py"))"
fi
expect_exit 0 "log --since past the end" lb log -d "$D" --since 999
if [ -s "$T/out" ]; then fail "log --since past the end prints nothing"; else ok "log --since past the end prints nothing"; fi
expect_exit 2 "log --since with a non-number is a usage error" lb log -d "$D" --since abc
expect_exit 2 "log --since -1 is a usage error" lb log -d "$D" --since -1

# ---- verify ---------------------------------------------------------------

expect_exit 0 "verify a healthy node" lb verify -d "$D"
contains "$T/out" "verify: OK" "verify says OK"
contains "$T/out" "entries   $NSEQ" "verify counted every entry"
expect_exit 0 "verify --json" lb verify -d "$D" --json
if "$PY" -c '
import json, sys
j = json.loads(open(sys.argv[1]).read())
assert j["ok"] is True and j["entries"] == int(sys.argv[2]) and "bad_seq" not in j, j
assert j["heads"] == int(sys.argv[2]), j   # one transaction per CLI put/rm
' "$T/out" $NSEQ 2>"$T/py"; then ok "verify --json: ok, every entry, one head per write"; else
	fail "verify --json: ok, every entry, one head per write ($(cat "$T/py" "$T/out"))"
fi
mv "$D/node.key" "$T/node.key.away"
expect_exit 0 "verify needs no secret key (node.key moved away)" lb verify -d "$D"
expect_exit 0 "get needs no secret key" lb get -d "$D" penduduk 3324010101900001
expect_exit 11 "put without node.key fails (EKEY)" asp nokey pengusul=x
mv "$T/node.key.away" "$D/node.key"

# ---- help, usage, directories ---------------------------------------------

for c in init id put get rm ls log verify import export schema; do
	expect_exit 0 "$c --help exits 0" lb "$c" --help
	contains "$T/out" "usage: lumbung $c" "$c --help prints its usage"
done
expect_exit 0 "lumbung --help exits 0" lb --help
expect_exit 2 "lumbung with no command exits 2" lb
expect_exit 2 "unknown command exits 2" lb frobnicate -d "$D"
contains "$T/err" "unknown command" "unknown command is named"
expect_exit 2 "unknown option exits 2" lb ls -d "$D" penduduk --bogus
expect_exit 2 "no -d and no LUMBUNG_DIR is a usage error" lb ls penduduk
contains "$T/err" "LUMBUNG_DIR" "the usage error mentions LUMBUNG_DIR"
expect_exit 2 "empty LUMBUNG_DIR is a usage error" env LUMBUNG_DIR= "$LUMBUNG" ls penduduk
expect_exit 0 "LUMBUNG_DIR selects the node" env LUMBUNG_DIR="$D" "$LUMBUNG" get penduduk 3324010101900001
contains "$T/out" "Siti" "get through LUMBUNG_DIR returns the record"
# shellcheck disable=SC2086
expect_exit 0 "put through LUMBUNG_DIR" env LUMBUNG_DIR="$D" "$LUMBUNG" put aspirasi viaenv pengusul=env $ASP
expect_exit 0 "-d overrides LUMBUNG_DIR" env LUMBUNG_DIR="$T/nonexistent" "$LUMBUNG" get -d "$D" aspirasi viaenv
expect_exit 1 "a dir without a node: not found" lb ls -d "$T/nonexistent" penduduk
contains "$T/err" "lumbung init" "the not-found message says how to create a node"
expect_exit 0 "init through LUMBUNG_DIR" env LUMBUNG_DIR="$T/envnode" "$LUMBUNG" init --village 33.24.01.2002
if [ -f "$T/envnode/node.key" ]; then ok "init through LUMBUNG_DIR created the node there"; else
	fail "init through LUMBUNG_DIR created the node there"
fi

# --- put --merge changes only the given fields ---------------------------
KK1=3324010101000009
expect_exit 0 "put a full record" lb put -d "$D" keluarga $KK1 no_kk=$KK1 \
	kepala_keluarga=3324010101900001 alamat="Jl. Mawar 1" desil:=3 rt=001
expect_exit 0 "put --merge one field" lb put -d "$D" --merge keluarga $KK1 desil:=4
expect_exit 0 "get the merged record" lb get -d "$D" keluarga $KK1
contains "$T/out" '"alamat":"Jl. Mawar 1"' "--merge kept the fields it was not given"
contains "$T/out" '"desil":4' "--merge changed the field it was given"
contains "$T/out" '"rt":"001"' "--merge kept rt"
expect_exit 1 "put --merge of a missing record is not found" lb put -d "$D" --merge keluarga 3324010101000008 desil:=1
contains "$T/err" "no such record" "--merge on a missing record says so"
expect_exit 0 "plain put replaces the whole record" lb put -d "$D" keluarga $KK1 no_kk=$KK1 \
	kepala_keluarga=3324010101900001 desil:=5
expect_exit 0 "get after replace" lb get -d "$D" keluarga $KK1
if grep -q alamat "$T/out"; then fail "a plain put dropped the old fields"; else ok "a plain put dropped the old fields"; fi
expect_exit 0 "final verify" lb verify -d "$D"

done_testing
