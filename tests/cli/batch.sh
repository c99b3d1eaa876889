#!/bin/sh
# batch.sh — `lumbung put --batch`: JSON lines from a file and from stdin,
# blank lines, bad lines (named by number, nothing of their transaction
# written), partial imports across 10,000-line transactions, "op":"del",
# and automatic map growth from a 1 MiB map.
. "$(dirname "$0")/lib.sh"
unset LUMBUNG_DIR LUMBUNG_MAP_SIZE

lb() { "$LUMBUNG" "$@"; }
# python3 is often a pyenv shim costing ~0.3 s a call: resolve it once
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || PY=python3
V=33.24.01.2001

# gen FIRST COUNT — COUNT JSON lines of ~200-byte schema-valid aspirasi
# records (free ids, free text), ids FIRST..
gen() {
	awk -v first="$1" -v n="$2" 'BEGIN {
		for (i = first; i < first + n; i++)
			printf "{\"type\":\"aspirasi\",\"id\":\"33240101%08d\",\"body\":{\"pengusul\":\"Warga nomor %d\"," \
			       "\"dusun\":\"Kenanga Gang %d RT %03d RW %03d\"," \
			       "\"tanggal\":\"2026-%02d-%02d\",\"status\":\"diusulkan\"," \
			       "\"usulan\":\"baris uji impor massal untuk lumbung nomor %d\"}}\n",
			       i, i, i % 50, i % 17, i % 13, i % 12 + 1, i % 28 + 1, i
	}'
}

# state DIR SEQ RECORDS "description" — id --json shows that seq and live count
state() {
	if "$LUMBUNG" id -d "$1" --json >"$T/id.json" 2>"$T/id.err" && "$PY" -c '
import json, sys
j = json.loads(open(sys.argv[1]).read())
if (j["seq"], j["records"]) != (int(sys.argv[2]), int(sys.argv[3])):
    sys.exit("seq %d records %d" % (j["seq"], j["records"]))
' "$T/id.json" "$2" "$3" 2>"$T/py"; then ok "$4"; else
		fail "$4 (wanted seq $2 records $3; got $(cat "$T/py" "$T/id.err"))"
	fi
}

# lscount DIR TYPE N "description"
lscount() {
	got=$("$LUMBUNG" ls -d "$1" "$2" | wc -l)
	if [ "$got" -eq "$3" ]; then ok "$4"; else fail "$4 (ls lists $got ids, wanted $3)"; fi
}

verified() { # DIR "description"
	if "$LUMBUNG" verify -d "$1" >"$T/v.out" 2>"$T/v.err"; then ok "$2"; else
		fail "$2 ($(cat "$T/v.err"))"
	fi
}

# ---- from a file, from stdin ---------------------------------------------

D="$T/a"
lb init -d "$D" --village "$V" >/dev/null 2>&1 || fail "init $D"
gen 1 100 >"$T/100.jsonl"
expect_exit 0 "put --batch FILE imports 100 lines" lb put -d "$D" --batch "$T/100.jsonl"
contains "$T/out" "imported 100 records" "put --batch reports the count"
contains "$T/out" "seq 1-100" "put --batch reports the seq range"
state "$D" 100 100 "after the file import: seq 100, 100 records"
expect_exit 0 "get a record imported in a batch" lb get -d "$D" aspirasi 3324010100000042
if "$PY" -c '
import json, sys
j = json.loads(open(sys.argv[1]).read())
want = {"pengusul": "Warga nomor 42", "dusun": "Kenanga Gang 42 RT 008 RW 003",
        "tanggal": "2026-07-15", "status": "diusulkan",
        "usulan": "baris uji impor massal untuk lumbung nomor 42"}
assert j == want, j
' "$T/out" 2>"$T/py"; then ok "the imported body round trips exactly"; else
	fail "the imported body round trips exactly ($(cat "$T/py"))"
fi

gen 101 50 >"$T/50.jsonl"
expect_exit 0 "put --batch - reads stdin" sh -c "'$LUMBUNG' put -d '$D' --batch - <'$T/50.jsonl'"
contains "$T/out" "imported 50 records" "stdin import reports 50"
gen 151 10 >"$T/10.jsonl"
expect_exit 0 "put --batch with no FILE reads stdin" sh -c "'$LUMBUNG' put -d '$D' --batch <'$T/10.jsonl'"
expect_exit 0 "put --batch - from a pipe" sh -c "cat '$T/10.jsonl' | '$LUMBUNG' put -d '$D' --batch -"
contains "$T/out" "imported 10 records" "re-importing the same lines writes them again (10 entries)"
state "$D" 170 160 "after the stdin imports: seq 170, 160 records"

{
	echo
	gen 1001 3
	printf '\n\n'
	gen 1004 2 | sed 's/$/\r/'
	printf '   \n' | sed 's/ //g'
	gen 1006 1
	echo
} >"$T/blank.jsonl"
expect_exit 0 "blank lines (and CRLF line ends) are ignored" lb put -d "$D" --batch "$T/blank.jsonl"
contains "$T/out" "imported 6 records" "blank-line file imports exactly its 6 records"
state "$D" 176 166 "after the blank-line import: seq 176, 166 records"
: >"$T/empty.jsonl"
expect_exit 0 "an empty file imports nothing and succeeds" lb put -d "$D" --batch "$T/empty.jsonl"
contains "$T/out" "imported 0 records" "empty file: imported 0"
expect_exit 5 "a missing file fails (EIO)" lb put -d "$D" --batch "$T/nonexistent.jsonl"
expect_exit 2 "--batch with TYPE ID arguments is a usage error" lb put -d "$D" --batch "$T/10.jsonl" penduduk x
verified "$D" "verify passes after the imports"

# ---- bad lines: nothing of the transaction is written -----------------------

E="$T/empty"
lb init -d "$E" --village "$V" >/dev/null 2>&1 || fail "init $E"
# badline NAME EXIT LINE — 4 good lines, LINE as line 5, 4 more good lines
badline() {
	{
		gen 1 4
		printf '%s\n' "$3"
		gen 5 4
	} >"$T/bad.jsonl"
	expect_exit "$2" "bad line ($1) fails the import" lb put -d "$E" --batch "$T/bad.jsonl"
	contains "$T/err" "line 5:" "bad line ($1) is named as line 5"
	contains "$T/err" "nothing was written" "bad line ($1): stderr says nothing was written"
	state "$E" 0 0 "bad line ($1): nothing written (seq 0, records 0)"
}
badline "invalid JSON" 9 '{"type":"penduduk","id":"x","body":{"nama":"x"'
badline "not an object" 3 '["penduduk","x",{}]'
badline "missing id" 3 '{"type":"penduduk","body":{"nama":"x"}}'
badline "id not a string" 3 '{"type":"penduduk","id":5,"body":{"nama":"x"}}'
badline "missing type" 3 '{"id":"x","body":{"nama":"x"}}'
badline "bad type" 3 '{"type":"Penduduk","id":"x","body":{"nama":"x"}}'
badline "body not an object" 3 '{"type":"penduduk","id":"x","body":"nama=x"}'
badline "body missing" 3 '{"type":"penduduk","id":"x"}'
badline "unknown top-level field" 3 '{"type":"penduduk","id":"x","body":{"nama":"x"},"extra":1}'
badline "duplicate key" 9 '{"type":"penduduk","id":"x","id":"y","body":{"nama":"x"}}'
badline "bad op" 3 '{"op":"upsert","type":"penduduk","id":"x","body":{"nama":"x"}}'
badline "schema: not a date" 10 '{"type":"aspirasi","id":"x","body":{"tanggal":"2026-02-30","pengusul":"a","usulan":"b","status":"diusulkan"}}'
badline "schema: unknown field" 10 '{"type":"aspirasi","id":"x","body":{"tanggal":"2026-02-03","pengusul":"a","usulan":"b","status":"diusulkan","umur":3}}'
badline "schema: unknown type" 10 '{"type":"dokumen","id":"x","body":{"isi":"x"}}'
badline "id too long" 14 "{\"type\":\"penduduk\",\"id\":\"$(printf '%0129d' 1)\",\"body\":{}}"
badline "del of a missing record" 1 '{"op":"del","type":"aspirasi","id":"nobody"}'

# a bad line counted after blank lines keeps its real line number
{
	gen 1 2
	printf '\n\n'
	echo '{"type":"penduduk","id":"x","body":[]}'
} >"$T/bad2.jsonl"
expect_exit 3 "bad line after blank lines fails" lb put -d "$E" --batch "$T/bad2.jsonl"
contains "$T/err" "line 5:" "line numbers count blank lines"
state "$E" 0 0 "still nothing written"
verified "$E" "the node with only refused imports verifies"

# ---- 25,000 good lines, then a bad one --------------------------------------

P="$T/partial"
lb init -d "$P" --village "$V" >/dev/null 2>&1 || fail "init $P"
{
	gen 1 25000
	echo '{"type":"penduduk","id":"bad","body":{"nama":"x"},"surprise":true}'
	gen 25001 10
} >"$T/25k.jsonl"
expect_exit 3 "25,000 good lines then a bad line: the import fails" lb put -d "$P" --batch "$T/25k.jsonl"
contains "$T/err" "line 25001:" "stderr names line 25001"
contains "$T/err" "lines 1-20000 were committed (seq 1-20000)" "stderr says lines 1-20000 were committed"
contains "$T/err" "nothing from line 20001 on was written" "stderr says where the unwritten part starts"
state "$P" 20000 20000 "exactly the first two transactions (20,000 records) are committed"
lscount "$P" aspirasi 20000 "ls lists 20,000 ids"
expect_exit 0 "record 20000 (last of the second transaction) is there" lb get -d "$P" aspirasi 3324010100020000
expect_exit 1 "record 20001 (third transaction) is not" lb get -d "$P" aspirasi 3324010100020001
verified "$P" "verify passes after the partial import"
lb verify -d "$P" --json >"$T/out" 2>&1
if "$PY" -c '
import json, sys
j = json.loads(open(sys.argv[1]).read())
# 2 transactions of 10,000: a head every 256 entries (39) plus one at the end
assert j["ok"] and j["entries"] == 20000 and j["heads"] == 2 * 40, j
' "$T/out" 2>"$T/py"; then ok "two transactions: 20,000 entries under 2 x 40 signed heads"; else
	fail "two transactions: 20,000 entries under 2 x 40 signed heads ($(cat "$T/py"))"
fi
# a failure in a later transaction's commit (del of a missing record at line 10,003)
{
	gen 30001 10002
	echo '{"op":"del","type":"aspirasi","id":"nobody"}'
} >"$T/late.jsonl"
expect_exit 1 "a del of a missing record in the second transaction fails" lb put -d "$P" --batch "$T/late.jsonl"
contains "$T/err" "line 10003:" "the failing del is named by its line (10003)"
contains "$T/err" "lines 1-10000 were committed (seq 20001-30000)" "the committed first transaction is reported"
state "$P" 30000 30000 "the first 10,000 lines of that import are committed, the rest not"
verified "$P" "verify passes after the failed second transaction"

# ---- size limits: a transaction also ends at 16 MiB of input --------------

B="$T/big"
lb init -d "$B" --village "$V" >/dev/null 2>&1 || fail "init $B"
xs() { head -c "$1" /dev/zero | tr '\0' x; } # N letters x
# the largest schema-valid bodies: laporan with four texts of 4,000
# characters, each a 4-byte UTF-8 character (U+1D11E), so 64,083-byte bodies
# (the schema counts characters, the 64 KiB body cap counts bytes)
u4=$(printf '\360\235\204\236')
s4=$(awk -v u="$u4" 'BEGIN { for (i = 0; i < 4000; i++) printf "%s", u }')
awk -v s="$s4" 'BEGIN {
	for (i = 1; i <= 300; i++) printf "{\"type\":\"laporan\",\"id\":\"d%03d\",\"body\":{\"periode\":\"2026-Q1\",\"bidang\":\"sosial\",\"ringkasan\":\"%s\",\"capaian\":\"%s\",\"kendala\":\"%s\",\"tindak_lanjut\":\"%s\"}}\n", i, s, s, s, s }' >"$T/big.jsonl"
expect_exit 0 "300 lines with 64 KB bodies (4 x 4,000 four-byte characters) import" lb put -d "$B" --batch "$T/big.jsonl"
lb verify -d "$B" --json >"$T/out" 2>&1
# 262 lines reach 16 MiB: heads at 256 and 262, then one for the other 38
if grep -q '"ok":true,.*"entries":300,"heads":3,' "$T/out"; then ok "19 MB of input is split into 2 transactions (16 MiB cap)"; else
	fail "19 MB of input is split into 2 transactions (16 MiB cap) ($(cut -c1-300 "$T/out"))"
fi
expect_exit 0 "get one of the 64 KB records" lb get -d "$B" laporan d150
if "$PY" -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert all(len(j[k]) == 4000 and j[k] == "\U0001D11E" * 4000 for k in ("ringkasan", "capaian", "kendala", "tindak_lanjut")), {k: len(v) for k, v in j.items()}
' "$T/out" 2>"$T/py"; then ok "a 64 KB body round trips"; else fail "a 64 KB body round trips ($(cat "$T/py"))"; fi
awk -v s="$(xs 70000)" 'BEGIN {
	printf "{\"type\":\"dokumen\",\"id\":\"huge\",\"body\":{\"isi\":\"%s\"}}\n", s }' >"$T/huge.jsonl"
expect_exit 14 "a body over 64 KiB is refused (ETOOBIG)" lb put -d "$B" --batch "$T/huge.jsonl"
contains "$T/err" "line 1:" "the oversized body is named by its line"
{ xs 1100000; echo; } >"$T/long.jsonl"
expect_exit 14 "a line over 1 MiB is refused (ETOOBIG)" lb put -d "$B" --batch "$T/long.jsonl"
state "$B" 300 300 "the refused imports wrote nothing"

# ---- op del -----------------------------------------------------------------

X="$T/del"
lb init -d "$X" --village "$V" >/dev/null 2>&1 || fail "init $X"
gen 1 10 >"$T/d10.jsonl"
lb put -d "$X" --batch "$T/d10.jsonl" >/dev/null 2>&1 || fail "import 10 for del"
awk 'BEGIN { for (i = 1; i <= 5; i++) printf "{\"op\":\"del\",\"type\":\"aspirasi\",\"id\":\"33240101%08d\"}\n", i }' \
	>"$T/del5.jsonl"
expect_exit 0 "a batch of \"op\":\"del\" lines" lb put -d "$X" --batch "$T/del5.jsonl"
contains "$T/out" "imported 5 records" "the del batch reports 5 entries"
state "$X" 15 5 "after deleting 5 of 10: seq 15, 5 records"
lscount "$X" aspirasi 5 "ls lists the 5 survivors"
expect_exit 1 "a deleted id is gone" lb get -d "$X" aspirasi 3324010100000003
expect_exit 0 "a surviving id is there" lb get -d "$X" aspirasi 3324010100000006
lb log -d "$X" --since 11 >"$T/out" 2>&1
if [ "$(grep -c '  del  aspirasi  ' "$T/out")" -eq 5 ]; then ok "the log has 5 del entries"; else
	fail "the log has 5 del entries ($(cat "$T/out"))"
fi
{
	echo '{"type":"aspirasi","id":"tmp","body":{"tanggal":"2026-01-01","pengusul":"a","usulan":"b","status":"diusulkan"}}'
	echo '{"op":"del","type":"aspirasi","id":"tmp"}'
	echo '{"op":"put","type":"aspirasi","id":"tmp2","body":{"tanggal":"2026-01-02","pengusul":"a","usulan":"c","status":"diusulkan"}}'
} >"$T/putdel.jsonl"
expect_exit 0 "put then del of the same id in one transaction" lb put -d "$X" --batch "$T/putdel.jsonl"
expect_exit 1 "the id put and deleted in one transaction is absent" lb get -d "$X" aspirasi tmp
expect_exit 0 "explicit \"op\":\"put\" works" lb get -d "$X" aspirasi tmp2
expect_exit 1 "deleting an already deleted record in a batch fails" lb put -d "$X" --batch "$T/del5.jsonl"
contains "$T/err" "line 1:" "the already-deleted line is named"
state "$X" 18 6 "the refused del batch wrote nothing"
verified "$X" "verify passes after the dels"

# ---- map growth from 1 MiB --------------------------------------------------

gen 1 30000 >"$T/30k.jsonl"
# (1) the knob on a node made by init: the import must map data.mdb at
# 1 MiB and then grow it (seen in its mmap calls, when strace works here;
# LMDB records the largest map size ever used, so the file cannot tell)
M="$T/knob"
lb init -d "$M" --village "$V" >/dev/null 2>&1 || fail "init $M"
if command -v strace >/dev/null 2>&1 && strace -qq -o /dev/null true 2>/dev/null; then
	# LeakSanitizer cannot run under ptrace: leaks are checked everywhere else
	run_knob() { ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" strace -f -qq -y -e trace=mmap -o "$T/strace" "$@"; }
else
	run_knob() { "$@"; }
fi
expect_exit 0 "LUMBUNG_MAP_SIZE=1048576: a 30,000-record import succeeds" \
	run_knob env LUMBUNG_MAP_SIZE=1048576 "$LUMBUNG" put -d "$M" --batch "$T/30k.jsonl"
state "$M" 30000 30000 "LUMBUNG_MAP_SIZE=1048576: all 30,000 records are there"
verified "$M" "LUMBUNG_MAP_SIZE=1048576: verify passes"
if [ -s "$T/strace" ]; then
	maps=$(grep 'data\.mdb' "$T/strace" | sed -n 's/.*mmap([^,]*, \([0-9]*\),.*/\1/p' | tr '\n' ' ')
	if echo "$maps" | awk '{ for (i = 1; i <= NF; i++) { if ($i == 1048576) a = 1; else if (a && $i > 1048576) g = 1 } }
		END { exit !g }'; then
		ok "LUMBUNG_MAP_SIZE=1048576: data.mdb is mapped at 1 MiB, then grown (maps: $maps)"
	else
		fail "LUMBUNG_MAP_SIZE=1048576: data.mdb is mapped at 1 MiB, then grown (maps: $maps)"
	fi
else
	ok "LUMBUNG_MAP_SIZE=1048576: map sizes seen # SKIP strace is not usable here"
fi

# (2) growth for certain: rebuild an empty node's environment with a 1 MiB
# map (mdb_dump/mdb_load keep the data and honour mapsize=), then import.
G="$T/grow"
lb init -d "$T/grow0" --village "$V" >/dev/null 2>&1 || fail "init grow0"
mkdir -m 700 "$G"
if mdb_dump -a "$T/grow0" | sed 's/^mapsize=.*/mapsize=1048576/' | mdb_load -f /dev/stdin "$G" 2>"$T/err"; then
	cp -p "$T/grow0/node.key" "$T/grow0/node.pub" "$G/"
	ok "rebuilt an empty node with a 1 MiB map"
else fail "rebuilt an empty node with a 1 MiB map ($(cat "$T/err"))"; fi
msize=$(mdb_stat -e "$G" | awk '/Map size/ { print $3 }')
if [ "$msize" = 1048576 ]; then ok "the rebuilt node's map is 1 MiB"; else fail "the rebuilt node's map is 1 MiB (got $msize)"; fi
expect_exit 0 "a 30,000-record import into a 1 MiB map succeeds (map grows)" \
	env LUMBUNG_MAP_SIZE=1048576 "$LUMBUNG" put -d "$G" --batch "$T/30k.jsonl"
contains "$T/out" "imported 30000 records" "all 30,000 imported"
msize=$(mdb_stat -e "$G" | awk '/Map size/ { print $3 }')
dsize=$(wc -c <"$G/data.mdb")
if [ "$msize" -gt 1048576 ] && [ "$msize" -ge "$dsize" ]; then ok "the map grew (to $msize bytes; data $dsize)"; else
	fail "the map grew (map $msize bytes, data $dsize)"
fi
state "$G" 30000 30000 "after growth: seq 30000, 30000 records"
verified "$G" "after growth: verify passes"
expect_exit 0 "after growth: more writes work" env LUMBUNG_MAP_SIZE=1048576 "$LUMBUNG" put -d "$G" aspirasi extra pengusul=a usulan=b tanggal=2026-01-01 status=diusulkan
expect_exit 0 "after growth: get an early record" env LUMBUNG_MAP_SIZE=1048576 "$LUMBUNG" get -d "$G" aspirasi 3324010100000001
expect_exit 0 "after growth: get a late record" lb get -d "$G" aspirasi 3324010100030000

done_testing
