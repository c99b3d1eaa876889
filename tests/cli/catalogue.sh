#!/bin/sh
# catalogue.sh — the kabupaten's catalogue, the village side.  A real
# kabupaten aggregator keeps a catalogue (lumbung-agg catalogue put); a
# village pushing to it takes the catalogue after the push, keeps it
# read-only (lumbung catalogue ls|get|status) and uses it: a village
# program may not take a catalogue's code; a penerima may name a catalogue
# programme, the kabupaten accepts it and its bantuan names the programme.
# Refused, with the last good copy kept and the push still succeeding: a
# catalogue signed by another key (a second aggregator claiming the
# region), an older catalogue served after a newer one (the kabupaten
# restored from an old backup); from a stick: another key, an old copy, a
# gap, a village's log.  Through a kecamatan relaying its kabupaten's
# catalogue (pinned with --upstream-key) besides its own; and by the sync
# daemon after a round.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agglib.sh"
unset LUMBUNG_DIR LUMBUNG_AGG_DIR

lb() { "$LUMBUNG" "$@"; }
PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; _agg_cleanup' EXIT

KAB="$T/kab"
KAB2="$T/kab2"
KAB_KEY=$(agg init -d "$KAB" --region 33.24) || fail "agg init kabupaten"
KAB2_KEY=$(agg init -d "$KAB2" --region 33.24) || fail "agg init second kabupaten"
N="$T/desa"
lb init -d "$N" --village 33.24.01.2001 >/dev/null 2>&1 || fail "init"
for a in "$KAB" "$KAB2"; do
	agg enroll -d "$a" --village 33.24.01.2001 --key "$(origin "$N")" >/dev/null ||
		fail "enroll at $a"
done

# catput DIR KODE NAMA — a programme in an aggregator's catalogue
catput() {
	agg catalogue put -d "$1" program "$2" kode="$2" nama="$3" bidang=sosial \
		sumber_dana=bantuan_kabupaten anggaran=900000000 tahun=2026 target_penerima=300 \
		>/dev/null 2>"$T/catput.err" || fail "catalogue put $2 at $1: $(cat "$T/catput.err")"
}
catseq() { lb catalogue status -d "$1" | awk -v r="$2" '$1 == r { print $5 }'; }

catput "$KAB" BLT-DD-2026 "Bantuan Langsung Tunai Dana Desa"
agg catalogue put -d "$KAB" wilayah 33.24.01 kode=33.24.01 nama="Kecamatan Satu" \
	tingkat=kecamatan >/dev/null 2>&1 || fail "catalogue put wilayah"
lb put -d "$N" aspirasi A-1 pengusul="Warga" usulan="Lampu jalan" tanggal=2026-01-05 \
	status=diusulkan >/dev/null || fail "put A-1"

# ---- before any sync: no catalogue, the programme is unknown
expect_exit 0 "catalogue status with none held" lb catalogue status -d "$N"
contains "$T/out" "no catalogue is held yet" "status: says none is held"
PEN="nik=3324014501900001 tanggal=2026-02-01 bentuk=uang nilai=600000 status=disalurkan"
# shellcheck disable=SC2086
expect_exit 10 "a penerima of an unknown programme is refused" \
	lb put -d "$N" penerima P-1 program=BLT-DD-2026 $PEN

# ---- kabupaten -> village on push
start_agg "$KAB" || exit 1
KAB_URL=$URL
KAB_PORT=$PORT
lb remote add -d "$N" kab "$KAB_URL" --key "$KAB_KEY" >/dev/null || fail "remote add"
expect_exit 0 "push takes the catalogue" lb push -d "$N"
contains "$T/out" "catalogue 33.24: took 2 entries, now at seq 2" "push: says what it took"
expect_exit 0 "catalogue ls" lb catalogue ls -d "$N"
contains "$T/out" "33.24	program	BLT-DD-2026	Bantuan Langsung Tunai Dana Desa" "ls: the programme"
contains "$T/out" "33.24	wilayah	33.24.01	Kecamatan Satu" "ls: the kecamatan's name"
expect_exit 0 "catalogue ls program" lb catalogue ls -d "$N" program
if grep -q wilayah "$T/out"; then fail "ls program lists only programmes"; else
	ok "ls program lists only programmes"; fi
expect_exit 0 "catalogue get" lb catalogue get -d "$N" program BLT-DD-2026
contains "$T/out" '"anggaran":900000000' "get: the record's body"
expect_exit 1 "catalogue get of a missing id" lb catalogue get -d "$N" program NOPE
expect_exit 0 "catalogue status" lb catalogue status -d "$N"
contains "$T/out" "33.24	key $KAB_KEY	seq 2	records 2	checked " "status: region, key, seq, when"
grep -Eq "checked [0-9]{1,2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}( [A-Z+0-9-]+)?$" "$T/out" &&
	ok "status: when, as a time for people (28 Nov 2026 09:12 WIB)" || fail "status time: $(cat "$T/out")"

# ---- the village uses it
expect_exit 10 "a village program with the catalogue's code is refused" \
	lb put -d "$N" program BLT-DD-2026 kode=BLT-DD-2026 nama="Milik desa" bidang=sosial \
	anggaran=1 tahun=2026
contains "$T/err" "program BLT-DD-2026: this programme belongs to the catalogue of 33.24; use it, do not redefine it" \
	"the refusal names the catalogue"
expect_exit 0 "a village program with its own code is accepted" \
	lb put -d "$N" program DESA-1 kode=DESA-1 nama="Posyandu" bidang=kesehatan anggaran=5000000 tahun=2026

# ---- an older catalogue served after a newer one: the kabupaten restored
# from an old backup
stop_agg
cp -a "$KAB" "$T/kab-old"
start_agg "$KAB" "$KAB_PORT" || exit 1
catput "$KAB" PKH-2026 "Program Keluarga Harapan"
expect_exit 0 "push takes the newer catalogue" lb push -d "$N"
contains "$T/out" "catalogue 33.24: took 1 entries, now at seq 3" "push: one more entry"
stop_agg
start_agg "$T/kab-old" "$KAB_PORT" || exit 1
lb put -d "$N" aspirasi A-2 pengusul="Warga" usulan="Air bersih" tanggal=2026-01-06 \
	status=diusulkan >/dev/null || fail "put A-2"
expect_exit 0 "push to the restored kabupaten succeeds" lb push -d "$N"
contains "$T/err" "catalogue 33.24 refused: rollback: the aggregator's copy ends at seq 2, we hold 3; the last good one (seq 3) is kept" \
	"an older catalogue is refused as a rollback"
check "the last good catalogue is kept" [ "$(catseq "$N" 33.24)" = 3 ]
expect_exit 0 "catalogue get after the rollback" lb catalogue get -d "$N" program PKH-2026
stop_agg

# ---- a catalogue of the region signed by another key
catput "$KAB2" BLT-DD-2026 "Bantuan palsu"
start_agg "$KAB2" || exit 1
expect_exit 0 "push to another aggregator of the region succeeds" \
	lb push -d "$N" --to "$URL" --key "$KAB2_KEY"
contains "$T/err" "catalogue 33.24 refused: it is signed by key $KAB2_KEY; the one held is signed by $KAB_KEY; the last good one (seq 3) is kept" \
	"a catalogue signed by another key is refused"
lb catalogue get -d "$N" program BLT-DD-2026 >"$T/out"
contains "$T/out" "Bantuan Langsung Tunai Dana Desa" "the kept catalogue is the kabupaten's"
stop_agg

# ---- from a stick: lumbung-agg catalogue export, lumbung catalogue import
agg catalogue export -d "$KAB" >"$T/cat.lla" 2>/dev/null || fail "catalogue export"
N2="$T/desa2"
lb init -d "$N2" --village 33.24.01.2002 >/dev/null 2>&1 || fail "init desa2"
expect_exit 13 "import with another key is refused" \
	lb catalogue import -d "$N2" "$T/cat.lla" --key "$KAB2_KEY"
check "a refused first import leaves no catalogue" [ ! -e "$N2/catalogue/33.24" ]
expect_exit 0 "import from a stick" lb catalogue import -d "$N2" "$T/cat.lla" --key "$KAB_KEY"
contains "$T/out" "catalogue 33.24: new; took 3 entries, now at seq 3" "import: says what it took"
# an old copy after the newer one
agg catalogue export -d "$T/kab-old" >"$T/old.lla" 2>/dev/null || fail "old export"
expect_exit 23 "an old catalogue on a stick is refused" \
	lb catalogue import -d "$N2" "$T/old.lla" --key "$KAB_KEY"
contains "$T/err" "the last good one (seq 3) is kept" "import: the rollback keeps the last good"
# a gap: a tail from seq 5 when 3 is held
catput "$KAB" PIP-2026 "Program Indonesia Pintar"
catput "$KAB" KIS-2026 "Kartu Indonesia Sehat"
agg catalogue export -d "$KAB" --from 5 >"$T/tail5.lla" 2>/dev/null || fail "export --from 5"
expect_exit 20 "a tail with a gap is refused" \
	lb catalogue import -d "$N2" "$T/tail5.lla" --key "$KAB_KEY"
contains "$T/err" "the last good one (seq 3) is kept" "import: the gap keeps the last good"
check "after the gap the catalogue is still at seq 3" [ "$(catseq "$N2" 33.24)" = 3 ]
agg catalogue export -d "$KAB" --from 4 >"$T/tail4.lla" 2>/dev/null || fail "export --from 4"
expect_exit 0 "the tail that fits is taken" \
	lb catalogue import -d "$N2" "$T/tail4.lla" --key "$KAB_KEY"
check "the catalogue is at seq 5" [ "$(catseq "$N2" 33.24)" = 5 ]
# a village's own log is no catalogue
lb export-log -d "$N" >"$T/desa.lla" 2>/dev/null || fail "export-log"
expect_exit 19 "a village's log is no catalogue" \
	lb catalogue import -d "$N2" "$T/desa.lla" --key "$(origin "$N")"

# ---- through a kecamatan relaying its kabupaten's catalogue
KEC="$T/kec"
KEC_KEY=$(agg init -d "$KEC" --region 33.24.01) || fail "agg init kecamatan"
agg enroll -d "$KEC" --village 33.24.01.2001 --key "$(origin "$N")" >/dev/null || fail "enroll kec"
catput "$KEC" KEC-GOTONG "Gotong Royong Kecamatan"
start_agg "$KAB" "$KAB_PORT" || exit 1
PIDS="$PIDS $AGG_PID"
agg upstream add -d "$KEC" kab "$KAB_URL" --key "$KAB_KEY" >/dev/null 2>&1 || fail "upstream add"
agg forward -d "$KEC" >/dev/null 2>"$T/fwd.err" || fail "forward: $(cat "$T/fwd.err")"
start_agg "$KEC" || exit 1
PIDS="$PIDS $AGG_PID"
lb remote add -d "$N" kec "$URL" --key "$KEC_KEY" --upstream-key "$KAB_KEY" >/dev/null ||
	fail "remote add kec"
expect_exit 0 "push to the kecamatan" lb push -d "$N" --to kec
contains "$T/out" "catalogue 33.24.01: took 1 entries, now at seq 1" "the kecamatan's own catalogue is taken"
contains "$T/out" "catalogue 33.24: took 2 entries, now at seq 5" "the kabupaten's catalogue comes through the kecamatan"
expect_exit 0 "catalogue ls after the kecamatan" lb catalogue ls -d "$N" program
contains "$T/out" "33.24.01	program	KEC-GOTONG" "ls: the kecamatan's programme"
contains "$T/out" "33.24	program	KIS-2026" "ls: the kabupaten's newest programme"

# ---- the sync daemon takes a new catalogue entry after a round
catput "$KAB" PKT-2026 "Padat Karya Tunai"
lb sync -d "$N" --to kab --every 1 >"$T/sync.out" 2>"$T/sync.err" &
SYNC_PID=$!
PIDS="$PIDS $SYNC_PID"
lb put -d "$N" aspirasi A-3 pengusul="Warga" usulan="Jembatan" tanggal=2026-01-07 \
	status=diusulkan >/dev/null || fail "put A-3"
if wait_for 20 lb catalogue get -d "$N" program PKT-2026; then
	ok "sync takes the new catalogue entry after its round"
else fail "sync did not take the catalogue: $(tail -n 3 "$T/sync.out" "$T/sync.err")"; fi
kill "$SYNC_PID" 2>/dev/null
wait "$SYNC_PID" 2>/dev/null

# ---- a penerima of a catalogue programme: written in the village, sent,
# and counted by the kabupaten's bantuan under the catalogue's name
N3="$T/desa3"
lb init -d "$N3" --village 33.24.02.2001 >/dev/null 2>&1 || fail "init desa3"
agg enroll -d "$KAB" --village 33.24.02.2001 --key "$(origin "$N3")" >/dev/null || fail "enroll desa3"
lb remote add -d "$N3" kab "$KAB_URL" --key "$KAB_KEY" >/dev/null || fail "remote add desa3"
# shellcheck disable=SC2086
expect_exit 10 "before the catalogue, a penerima of its programme is refused" \
	lb put -d "$N3" penerima P-1 program=BLT-DD-2026 $PEN
expect_exit 0 "push takes the catalogue (desa3)" lb push -d "$N3"
# shellcheck disable=SC2086
expect_exit 0 "a penerima of the catalogue programme is accepted" \
	lb put -d "$N3" penerima P-1 program=BLT-DD-2026 $PEN
expect_exit 0 "the penerima is sent to the kabupaten" lb push -d "$N3"
if agg report bantuan -d "$KAB" --json >"$T/bantuan" 2>"$T/bantuan.err" &&
	grep -q "Bantuan Langsung Tunai Dana Desa" "$T/bantuan"; then
	ok "the kabupaten's bantuan names the catalogue programme the village used"
else fail "bantuan at the kabupaten: $(head -c 300 "$T/bantuan" "$T/bantuan.err")"; fi

done_testing
