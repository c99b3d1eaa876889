#!/bin/sh
# nodefaults.sh — a village node in a hostile world: a node on a read-only
# filesystem (a backup disk, a mounted image) can still be read and
# audited, and writing to it says "read-only filesystem"; a full disk
# (import, put --batch, export-log) says "disk full", names the lines that
# were not written and leaves every stored record intact; an endless line
# in put --batch is refused without reading it all.
#
# The filesystems are real tmpfs mounts (remounted read-only, or small
# enough to fill).  This needs root, as CI has; a mount that fails is a
# failed test, not a skipped one.
. "$(dirname "$0")/lib.sh"
unset LUMBUNG_DIR LUMBUNG_MAP_SIZE LUMBUNG_AGG_MAP_SIZE

lb() { "$LUMBUNG" "$@"; }
AGG="$BUILD/lumbung-agg"
AUDIT="$BUILD/lumbung-audit"
V=33.24.01.2001
NIK=3324014501900001
MOUNTS=""

cleanup() {
	for m in $MOUNTS; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

# mnt DIR SIZE — a fresh tmpfs of SIZE at DIR (fails the test if it cannot)
mnt() {
	mkdir -p "$1"
	if mount -t tmpfs -o "size=$2,mode=0755" tmpfs "$1" 2>"$T/mount.err"; then
		MOUNTS="$1 $MOUNTS"
		return 0
	fi
	fail "mount a tmpfs at $1 (needs root): $(cat "$T/mount.err")"
	return 1
}

# gen FIRST COUNT — COUNT JSON lines of schema-valid aspirasi records
gen() {
	awk -v first="$1" -v n="$2" 'BEGIN {
		for (i = first; i < first + n; i++)
			printf "{\"type\":\"aspirasi\",\"id\":\"A%08d\",\"body\":{\"pengusul\":\"Warga nomor %d\"," \
			       "\"dusun\":\"Kenanga Gang %d\",\"tanggal\":\"2026-01-05\",\"status\":\"diusulkan\"," \
			       "\"usulan\":\"baris uji disk penuh untuk lumbung nomor %d yang cukup panjang\"}}\n",
			       i, i, i % 50, i
	}'
}

# ---- a node and an aggregator on a read-only filesystem ------------------------

RO="$T/ro"
if mnt "$RO" 16m; then
	N="$RO/n"
	lb init -d "$N" --village $V --name "Desa Sukamaju" >"$T/origin" 2>/dev/null
	ORIGIN=$(cat "$T/origin")
	lb put -d "$N" penduduk $NIK nik=$NIK no_kk=3324010101900001 nama="Siti Rahayu" \
		tanggal_lahir=1990-01-05 jenis_kelamin=P status=hidup rt=001 disabilitas=tidak >/dev/null
	gen 1 20 | lb put -d "$N" --batch >/dev/null
	# a copy without lock.mdb, as a backup of only the data file and keys would be
	cp -a "$N" "$RO/n2" && rm -f "$RO/n2/lock.mdb"
	"$AGG" init -d "$RO/agg" --region 33.24 >/dev/null 2>&1
	"$AGG" enroll -d "$RO/agg" --village $V --key "$ORIGIN" >/dev/null 2>&1
	lb export-log -d "$N" >"$T/rw.lla"
	lb log -d "$N" >"$T/rw.log"
	lb export -d "$N" aspirasi >"$T/rw.csv"
	if mount -o remount,ro "$RO" 2>"$T/mount.err"; then
		ok "tmpfs remounted read-only"
	else
		fail "remount read-only: $(cat "$T/mount.err")"
	fi
	if touch "$RO/probe" 2>/dev/null; then fail "the mount is really read-only"; fi

	expect_exit 0 "ro: id" lb id -d "$N"
	contains "$T/out" "$ORIGIN" "ro: id shows the origin key"
	expect_exit 0 "ro: get" lb get -d "$N" penduduk $NIK
	contains "$T/out" "Siti Rahayu" "ro: get prints the record"
	expect_exit 0 "ro: ls" lb ls -d "$N" aspirasi
	[ "$(wc -l <"$T/out")" -eq 20 ] && ok "ro: ls lists the 20 ids" || fail "ro: ls: $(wc -l <"$T/out") ids"
	expect_exit 0 "ro: verify" lb verify -d "$N"
	expect_exit 0 "ro: log" lb log -d "$N"
	cmp -s "$T/out" "$T/rw.log" && ok "ro: log is the same as before" || fail "ro: log differs"
	expect_exit 0 "ro: export" lb export -d "$N" aspirasi
	cmp -s "$T/out" "$T/rw.csv" && ok "ro: export is the same as before" || fail "ro: export differs"
	expect_exit 0 "ro: export-log" lb export-log -d "$N"
	cmp -s "$T/out" "$T/rw.lla" && ok "ro: export-log gives the same archive" ||
		fail "ro: export-log differs"
	expect_exit 0 "ro: lumbung-audit verify -d NODE" "$AUDIT" verify -d "$N" --key "$ORIGIN"
	expect_exit 0 "ro: a copy without lock.mdb verifies" lb verify -d "$RO/n2"
	expect_exit 0 "ro: a copy without lock.mdb: get" lb get -d "$RO/n2" penduduk $NIK
	[ -e "$RO/n2/lock.mdb" ] && fail "ro: no lock file appeared" || ok "ro: nothing was created"
	expect_exit 0 "ro: lumbung-agg status" "$AGG" status -d "$RO/agg"
	contains "$T/out" "$V" "ro: agg status lists the enrolled village"

	for c in "put penduduk $NIK nik=$NIK nama=X" "rm penduduk $NIK" "put --batch $T/rw.log"; do
		# shellcheck disable=SC2086
		lb $c -d "$N" >"$T/out" 2>"$T/err"
		rc=$?
		[ $rc -ne 0 ] && ok "ro: $(echo "$c" | cut -c1-12) fails (exit $rc)" ||
			fail "ro: $(echo "$c" | cut -c1-12) succeeded on a read-only filesystem"
		contains "$T/err" "read-only filesystem" "ro: $(echo "$c" | cut -c1-12) says read-only filesystem"
	done
	printf 'pengusul,usulan,tanggal,status,id\nX,Y,2026-01-05,diusulkan,B1\n' >"$T/one.csv"
	expect_exit 5 "ro: import fails" lb import -d "$N" aspirasi "$T/one.csv"
	contains "$T/err" "read-only filesystem" "ro: import says read-only filesystem"
	expect_exit 5 "ro: agg enroll fails" "$AGG" enroll -d "$RO/agg" --village 33.24.01.2002 \
		--key 0000000000000000000000000000000000000000000000000000000000000001
	contains "$T/err" "read-only filesystem" "ro: agg enroll says read-only filesystem"
	umount "$RO" && MOUNTS=""
fi

# ---- a node whose lock file this user may not open (a backup owned by another) ---------
# LMDB itself reads lock-less only on a read-only filesystem; here the
# lock file gives EACCES and the reader must fall back to MDB_NOLOCK.

P="$T/perm"
lb init -d "$P" --village $V >/dev/null 2>&1
gen 1 3 | lb put -d "$P" --batch >/dev/null
chmod 755 "$T" "$P" && chmod 644 "$P/data.mdb"
asnobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
expect_exit 0 "perm: another user verifies a node whose lock file it cannot open" asnobody "$LUMBUNG" verify -d "$P"
expect_exit 0 "perm: and reads its records" asnobody "$LUMBUNG" ls -d "$P" aspirasi
[ "$(wc -l <"$T/out")" -eq 3 ] && ok "perm: all 3 ids listed" || fail "perm: ls gave $(wc -l <"$T/out") ids"
expect_exit 5 "perm: writing is refused" asnobody "$LUMBUNG" rm -d "$P" aspirasi A00000001
chmod 700 "$T"

# ---- a full disk ------------------------------------------------------------------
# 2 MiB hold the node and 50 records but not a 10,000-line transaction.

FULL="$T/full"
if mnt "$FULL" 2m; then
	N="$FULL/n"
	lb init -d "$N" --village $V >/dev/null 2>&1
	gen 1 50 | lb put -d "$N" --batch >/dev/null || fail "full: the first 50 records"
	lb log -d "$N" >"$T/full0.log"
	lb export-log -d "$N" >"$T/full0.lla"
	intact() { # what — the node verifies and holds exactly the first 50 records
		expect_exit 0 "full: $1: the node still verifies" lb verify -d "$N"
		lb log -d "$N" >"$T/full.log" 2>&1
		cmp -s "$T/full.log" "$T/full0.log" && ok "full: $1: the 50 stored records are intact" ||
			fail "full: $1: the log changed: $(diff "$T/full0.log" "$T/full.log" | head -c 300)"
	}

	gen 1001 12000 >"$T/big.jsonl"
	expect_exit 16 "full: put --batch exits with disk full (16)" lb put -d "$N" --batch "$T/big.jsonl"
	contains "$T/err" "lines 1-10000 not written: disk full; nothing of this batch was stored" \
		"full: put --batch names the lines not written"
	grep -q "line 1:" "$T/err" && fail "full: put --batch blames line 1" || ok "full: no line is blamed"
	intact "put --batch"

	awk 'BEGIN { print "id,pengusul,usulan,tanggal,status"
		for (i = 1; i <= 12000; i++)
			printf "C%08d,Warga %d,usulan untuk disk penuh nomor %d yang cukup panjang,2026-01-05,diusulkan\n", i, i, i
	}' >"$T/big.csv"
	expect_exit 16 "full: import exits with disk full (16)" lb import -d "$N" aspirasi "$T/big.csv"
	contains "$T/err" "rows 2-12001 not written: disk full; nothing was imported" \
		"full: import names the rows not written"
	intact "import"

	# the archive written to a full disk (a 4 KiB tmpfs)
	if mnt "$T/tiny" 4k; then
		expect_exit 16 "full: export-log to a full disk exits with disk full (16)" \
			sh -c '"$1" export-log -d "$2" >"$3"' sh "$LUMBUNG" "$N" "$T/tiny/x.lla"
		contains "$T/err" "disk full" "full: export-log says disk full"
		expect_exit 16 "full: export to a full disk exits with disk full (16)" \
			sh -c '"$1" export -d "$2" aspirasi >"$3"' sh "$LUMBUNG" "$N" "$T/tiny/x.csv"
		contains "$T/err" "disk full" "full: export says disk full"
		intact "export-log"
	fi
fi

# ---- an aggregator on a full disk ---------------------------------------------------

if mnt "$T/aggfull" 2m; then
	W="$T/w"
	lb init -d "$W" --village $V >"$T/w.origin" 2>/dev/null
	gen 1 12000 | lb put -d "$W" --batch >/dev/null
	lb changeset -d "$W" --plain >"$T/w.lcs" 2>/dev/null
	"$AGG" init -d "$T/aggfull/a" --region 33.24 >/dev/null 2>&1
	"$AGG" enroll -d "$T/aggfull/a" --village $V --key "$(cat "$T/w.origin")" >/dev/null 2>&1
	expect_exit 16 "aggfull: ingest exits with disk full (16)" "$AGG" ingest -d "$T/aggfull/a" "$T/w.lcs"
	contains "$T/err" "disk full" "aggfull: the refusal says disk full"
	expect_exit 0 "aggfull: status still reads" "$AGG" status -d "$T/aggfull/a"
	grep -q "^$V .* 0 *0 " "$T/out" && ok "aggfull: nothing of the change set was stored" ||
		fail "aggfull: status: $(cat "$T/out")"
fi

# ---- CSV: export -> import gives back every value; a NUL is refused ------------------

PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || PY=python3
CA="$T/csv-a"
CB="$T/csv-b"
lb init -d "$CA" --village $V >/dev/null 2>&1
lb init -d "$CB" --village $V >/dev/null 2>&1
# every character the text field allows: first in the value (alone and
# before text), after an apostrophe, and last
"$PY" - >"$T/chars.jsonl" <<'EOF'
import json
chars = [chr(c) for c in range(0x20, 0x7f)] + ["\t", "\n", "\r"]
for c in chars:
    for k, v in (("a", c + "x"), ("b", "'" + c + "x"), ("c", "'" + c), ("d", "x" + c), ("e", c)):
        if v.strip(" ") == "":
            continue
        print(json.dumps({"type": "aspirasi", "id": "R%02x%s" % (ord(c), k), "body": {
            "pengusul": "Warga", "tanggal": "2026-01-05", "status": "diusulkan", "usulan": v}}))
EOF
lb put -d "$CA" --batch "$T/chars.jsonl" >/dev/null 2>"$T/err" || fail "csv: put the values: $(head -c 300 "$T/err")"
lb export -d "$CA" aspirasi >"$T/chars.csv"
expect_exit 0 "csv: the export imports" lb import -d "$CB" aspirasi "$T/chars.csv"
lb log -d "$CA" --json >"$T/a.log"
lb log -d "$CB" --json >"$T/b.log"
"$PY" - "$T/a.log" "$T/b.log" >"$T/diff" <<'EOF'
import json, sys
def recs(p):
    return {e["id"]: e["body"] for e in map(json.loads, open(p))}
a, b = recs(sys.argv[1]), recs(sys.argv[2])
bad = [(k, a[k]["usulan"], b.get(k, {}).get("usulan")) for k in sorted(a) if b.get(k) != a[k]]
print(len(a), len(bad), bad[:5])
EOF
read -r total nbad rest <"$T/diff"
[ "$nbad" = 0 ] && [ "$total" -gt 400 ] && ok "csv: all $total values came back unchanged" ||
	fail "csv: $nbad of $total values changed: $rest"

printf 'id,pengusul,usulan,tanggal,status\nN1,Warga,ok,2026-01-05,diusulkan\nN2,Warga,ab\000cd,2026-01-05,diusulkan\n' >"$T/nul.csv"
expect_exit 9 "csv: a NUL byte is refused" lb import -d "$CB" aspirasi "$T/nul.csv"
contains "$T/err" "row 3, column 3: the cell contains a NUL byte" "csv: the NUL is named by row and column"
lb ls -d "$CB" aspirasi | grep -q '^N' && fail "csv: nothing of the NUL file was imported" ||
	ok "csv: nothing of the NUL file was imported"

# ---- put --batch: a huge line is refused without reading it all ---------------------
# stdin is a file shared with `cat` after lumbung exits: what cat still
# finds is what lumbung did not read.

LB="$T/long"
lb init -d "$LB" --village $V >/dev/null 2>&1
{
	gen 1 1
	head -c 3000000 /dev/zero | tr '\0' x
	echo
	gen 2 1
} >"$T/long.jsonl"
{ lb put -d "$LB" --batch - 2>"$T/err"; echo "exit $?" >"$T/rc"; cat >"$T/rest"; } <"$T/long.jsonl" >/dev/null
contains "$T/rc" "exit 14" "long line: put --batch exits with too big (14)"
contains "$T/err" "line 2: the line is longer than 1048576 bytes" "long line: refused naming line 2"
left=$(wc -c <"$T/rest")
[ "$left" -gt 1500000 ] && ok "long line: reading stopped near the limit ($left bytes never read)" ||
	fail "long line: only $left bytes were left unread: the whole line was read"
[ "$(lb ls -d "$LB" aspirasi | wc -l)" -eq 0 ] && ok "long line: nothing was written" ||
	fail "long line: something was written"

done_testing
