#!/bin/sh
# concurrent.sh — several processes write one node directory at once:
# `put --batch` importers with disjoint ids, a loop of single `put`s and a
# loop of `verify`s, all at the same time.  LMDB serialises the write
# transactions and every write reads the tip inside its own transaction,
# so afterwards there must be one chain holding every record exactly once:
# verify passes (and passed every time it ran meanwhile), the log has
# exactly as many entries as were written, and every id of every writer is
# listed.  The last phase does the same on a 1 MiB map, so the writers
# must also grow the map under each other's feet.
. "$(dirname "$0")/lib.sh"
unset LUMBUNG_DIR LUMBUNG_MAP_SIZE

lb() { "$LUMBUNG" "$@"; }
D="$T/node"
lb init -d "$D" --village 33.24.01.2001 >/dev/null 2>&1 || fail "init"
total=0 # entries written so far
: >"$T/prev_ids" # ids written by earlier phases

# gen PREFIX N — N lines with ids PREFIX000001.., ~200-byte bodies
gen() {
	awk -v p="$1" -v n="$2" 'BEGIN { for (i = 1; i <= n; i++)
		printf "{\"type\":\"aspirasi\",\"id\":\"%s%06d\",\"body\":{\"pengusul\":\"Warga %s nomor %d\"," \
		       "\"dusun\":\"Melati Gang %d RT %03d RW %03d\",\"tanggal\":\"2026-02-%02d\",\"status\":\"ditampung\"," \
		       "\"usulan\":\"impor bersamaan dari penulis %s, baris %d\"}}\n",
		       p, i, p, i, i % 40, i % 17, i % 13, i % 28 + 1, p, i }'
}

# phase NAME LINES PREFIX... — one importer per PREFIX (LINES lines each),
# 40 single puts and a verify loop, all started together
phase() {
	name=$1
	lines=$2
	shift 2
	rm -f "$T/stop" "$T/vfail" "$T/pfail" "$T/verr" "$T/nverify" "$T/pdone"
	: >"$T/want"
	for p in "$@"; do
		gen "$p" "$lines" >"$T/$p.jsonl"
		awk -v p="$p" -v n="$lines" 'BEGIN { for (i = 1; i <= n; i++) printf "%s%06d\n", p, i }' >>"$T/want"
	done
	# readers first, so they overlap the writers from the start
	(
		n=0
		while [ ! -f "$T/stop" ]; do
			lb verify -d "$D" >/dev/null 2>>"$T/verr" || echo "verify $n failed" >>"$T/vfail"
			n=$((n + 1))
		done
		echo "$n" >"$T/nverify"
	) &
	verifier=$!
	pids=""
	for p in "$@"; do
		lb put -d "$D" --batch "$T/$p.jsonl" >"$T/$p.out" 2>"$T/$p.err" &
		pids="$pids $!"
	done
	(
		i=1
		while [ $i -le 40 ]; do
			lb put -d "$D" aspirasi "$name-single-$i" pengusul="single $i" usulan="n $i" tanggal=2026-01-05 status=diusulkan >/dev/null 2>>"$T/pfail" ||
				echo "put $i failed" >>"$T/pfail"
			i=$((i + 1))
		done
		echo "$((i - 1))" >"$T/pdone"
	) &
	singles=$!
	i=0
	for pid in $pids; do
		i=$((i + 1))
		wait "$pid"
		st=$?
		p=$(echo "$@" | cut -d' ' -f$i)
		if [ $st -eq 0 ] && grep -q "imported $lines records" "$T/$p.out"; then
			ok "$name: importer $p exits 0 and imported $lines records"
		else
			fail "$name: importer $p exits 0 and imported $lines records (exit $st: $(cat "$T/$p.err"))"
		fi
	done
	wait "$singles"
	if [ -s "$T/pfail" ] || [ "$(cat "$T/pdone" 2>/dev/null)" != 40 ]; then
		fail "$name: 40 concurrent single puts ($(cat "$T/pdone" 2>/dev/null || echo none) run; $(head -n 3 "$T/pfail" 2>/dev/null))"
	else
		ok "$name: 40 concurrent single puts all succeed"
	fi
	touch "$T/stop"
	wait "$verifier"
	nv=$(cat "$T/nverify" 2>/dev/null || echo 0)
	if [ -s "$T/vfail" ]; then
		fail "$name: every concurrent verify passed ($(wc -l <"$T/vfail") of $nv failed: $(head -n 2 "$T/verr"))"
	elif [ "$nv" -lt 1 ]; then
		fail "$name: every concurrent verify passed (none ran)"
	else ok "$name: every concurrent verify passed ($nv runs)"; fi

	i=1
	while [ $i -le 40 ]; do echo "$name-single-$i"; i=$((i + 1)); done >>"$T/want"
	total=$((total + $# * lines + 40))

	expect_exit 0 "$name: verify passes afterwards" lb verify -d "$D"
	lb id -d "$D" --json >"$T/id.json" 2>&1
	if grep -q "\"seq\":$total," "$T/id.json"; then ok "$name: the log has exactly $total entries (seq $total)"; else
		fail "$name: the log has exactly $total entries ($(cat "$T/id.json"))"
	fi
	lb log -d "$D" >"$T/log" 2>&1
	n=$(wc -l <"$T/log")
	if [ "$n" -eq $total ]; then ok "$name: log prints $total lines"; else fail "$name: log prints $total lines (got $n)"; fi
	lb ls -d "$D" aspirasi >"$T/ls" 2>&1
	LC_ALL=C sort "$T/want" "$T/prev_ids" >"$T/want.sorted"
	if cmp -s "$T/ls" "$T/want.sorted"; then
		ok "$name: ls lists every id of every writer, each once ($(wc -l <"$T/ls"))"
	else
		fail "$name: ls lists every id of every writer, each once (ls $(wc -l <"$T/ls"), want $(wc -l <"$T/want.sorted"); $(diff "$T/ls" "$T/want.sorted" | head -n 4 | tr '\n' ' '))"
	fi
	cp "$T/want.sorted" "$T/prev_ids"
	# every id occurs in exactly one log entry
	dups=$(awk -F'  ' '{ print $5 }' "$T/log" | LC_ALL=C sort | uniq -d | head -n 3)
	if [ -z "$dups" ]; then ok "$name: no id was written twice"; else fail "$name: no id was written twice ($dups)"; fi
	# how much did the writers interleave?  (informational)
	sw=$(awk -F'  ' -v from=$((total - $# * lines - 40)) '$1 > from { p = substr($5, 1, 1); if (p != last) n++; last = p } END { print n - 1 }' "$T/log")
	echo "# $name: the log switches writer $sw times"
}

phase "two" 30000 a b
phase "four" 15000 c d e f

# the same on a fresh node whose map starts at 1 MiB: rebuild its empty
# environment with mapsize=1048576 (mdb_dump/mdb_load), so four writers
# must grow the map under each other's feet
D="$T/grow"
total=0
: >"$T/prev_ids"
lb init -d "$T/grow0" --village 33.24.01.2001 >/dev/null 2>&1 || fail "init grow0"
mkdir -m 700 "$D"
if mdb_dump -a "$T/grow0" | sed 's/^mapsize=.*/mapsize=1048576/' | mdb_load -f /dev/stdin "$D" 2>"$T/err" &&
	cp -p "$T/grow0/node.key" "$T/grow0/node.pub" "$D/"; then
	ok "fresh node rebuilt with a 1 MiB map"
else fail "fresh node rebuilt with a 1 MiB map (is lmdb-utils installed? $(cat "$T/err"))"; fi
msize=$(mdb_stat -e "$D" | awk '/Map size/ { print $3 }')
if [ "$msize" = 1048576 ]; then ok "its map is 1 MiB"; else fail "its map is 1 MiB (got $msize)"; fi
export LUMBUNG_MAP_SIZE=1048576
phase "grow" 15000 g h i j
unset LUMBUNG_MAP_SIZE
msize=$(mdb_stat -e "$D" | awk '/Map size/ { print $3 }')
if [ "$msize" -gt 1048576 ]; then ok "the map grew (to $msize bytes)"; else fail "the map grew (still $msize bytes)"; fi

done_testing
