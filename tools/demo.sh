#!/bin/sh
# demo.sh — `make demo`: a kabupaten aggregator on a free loopback port and
# three village nodes with generated sample data.  The villages enrol and
# push; then they change records offline (a death, a new beneficiary, a
# refused record), one village syncs in a loop, the others push again, one
# sends a USB change set; an auditor verifies a village's history from the
# aggregator's copy; the aggregator shows each village and the
# consolidated counts per type; a clerk imports an office spreadsheet in
# Indonesian; the kabupaten's catalogue flows down, a
# resident moves between villages, and a village PC dies and is restored;
# the kabupaten mirrors its view into a PostgreSQL started for the demo; a
# village prints its signed monthly report and the kabupaten checks it.
# Everything runs in a temporary directory and is stopped at the end.
set -eu
BUILD=${1:-build}
L="$BUILD/lumbung"
AG="$BUILD/lumbung-agg"
G="$BUILD/lumbung-gen"
AU="$BUILD/lumbung-audit"
work=$(mktemp -d "${TMPDIR:-/tmp}/lumbung-demo.XXXXXX")
agg_pid=""
sync_pid=""
kec_pid=""
pg_dir=""
# as_pg CMD... — initdb and pg_ctl refuse root: as nobody then
as_pg() { if [ "$(id -u)" = 0 ]; then (cd / && runuser -u nobody -- "$@"); else "$@"; fi; }
cleanup() {
	[ -n "$pg_dir" ] && as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1
	[ -n "$pg_dir" ] && rm -rf "$pg_dir"
	[ -n "$sync_pid" ] && kill "$sync_pid" 2>/dev/null && wait "$sync_pid" 2>/dev/null
	[ -n "$kec_pid" ] && kill "$kec_pid" 2>/dev/null && wait "$kec_pid" 2>/dev/null
	[ -n "$agg_pid" ] && kill "$agg_pid" 2>/dev/null && wait "$agg_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

step() { printf '\n== %s\n' "$*"; }
origin() { "$L" id -d "$1" | awk '$1 == "origin" { print $2 }'; }

step "lumbung-agg init: an aggregator for kabupaten 33.24 (Kendal)"
AK=$("$AG" init -d "$work/kabupaten" --region 33.24)
echo "aggregator key $AK"
"$AG" serve -d "$work/kabupaten" --listen 127.0.0.1:0 >"$work/agg.out" 2>"$work/agg.log" &
agg_pid=$!
i=0
until grep -q "listening on" "$work/agg.out" 2>/dev/null; do
	i=$((i + 1))
	[ $i -gt 100 ] && { echo "demo: the aggregator did not start:" >&2; cat "$work/agg.log" >&2; exit 1; }
	sleep 0.1
done
URL="http://$(sed -n 's/^listening on //p' "$work/agg.out")"
echo "serving on $URL"

step "three village nodes with sample data (lumbung-gen | lumbung put --batch)"
set -- 33.24.01.2001:Sukamaju:400 33.24.01.2002:Mekarsari:250 33.24.02.2005:Tanjungsari:300
for v in "$@"; do
	code=${v%%:*}
	rest=${v#*:}
	name=${rest%%:*}
	count=${rest#*:}
	d="$work/$name"
	"$L" init -d "$d" --village "$code" --name "Desa $name" >/dev/null 2>&1
	"$G" --village "$code" --count "$count" --seed "${code##*.}" | "$L" put -d "$d" --batch
	printf 'desa %-12s %s  origin %.16s...\n' "$name" "$code" "$(origin "$d")"
done

step "the kabupaten enrolls each village key; each village remembers the aggregator"
for v in "$@"; do
	code=${v%%:*}
	rest=${v#*:}
	name=${rest%%:*}
	"$AG" enroll -d "$work/kabupaten" --village "$code" --key "$(origin "$work/$name")"
	"$L" remote add -d "$work/$name" kabupaten "$URL" --key "$AK" >/dev/null
done

step "lumbung push: every village sends its log (receipts checked against the aggregator key)"
for name in Sukamaju Mekarsari Tanjungsari; do
	printf '%-12s ' "$name"
	"$L" push -d "$work/$name"
done

step "offline work in the villages"
S="$work/Sukamaju"
id=$("$L" ls -d "$S" penduduk | head -n 1)
"$L" put -d "$S" --merge penduduk "$id" status=meninggal
prog=$("$L" ls -d "$S" program | head -n 1)
nik=$("$L" ls -d "$S" penduduk | sed -n 5p)
"$L" put -d "$S" penerima PNR-DEMO-1 program="$prog" nik="$nik" \
	tanggal=2026-11-01 bentuk=uang nilai=300.000 status=disalurkan
"$L" put -d "$S" penduduk 3324014502900001 nik=3324014502900001 no_kk=3324010101900001 \
	nama="Dewi Lestari" tanggal_lahir=1990-02-30 jenis_kelamin=P status=hidup ||
	echo "(refused by the schema, as it should be: nothing was written)"
M="$work/Mekarsari"
"$L" rm -d "$M" aspirasi "$("$L" ls -d "$M" aspirasi | head -n 1)"
"$L" put -d "$M" aspirasi ASP-DEMO-1 pengusul="Ibu Siti" usulan="Perbaikan jalan dusun" \
	tanggal=2026-11-20 status=diusulkan

step "the clerk's own spreadsheet, in Indonesian: spellings read, bad rows named, hints given"
LUMBUNG_BAHASA=id "$L" import -d "$S" penduduk "$(dirname "$0")/../tests/data/kantor.csv" \
	--skip-invalid "$work/ditolak.csv" >"$work/import.out" 2>"$work/import.err" || true
head -n 6 "$work/import.out"
echo "  ..."
tail -n 1 "$work/import.out"
grep -m 3 'baris 18\|petunjuk' "$work/import.err" | cut -c1-200
echo "-- lumbung find penduduk nama~sri dusun~krajan:"
"$L" find -d "$S" penduduk nama~sri dusun~krajan --quiet | cut -c1-110 | head -n 3

step "lumbung sync: Mekarsari keeps syncing in the background (one line per attempt)"
"$L" sync -d "$M" --every 1 >"$work/sync.out" 2>&1 &
sync_pid=$!
step "lumbung push: Sukamaju sends only what changed"
"$L" push -d "$S"
sleep 2
kill "$sync_pid" && wait "$sync_pid" || true
sync_pid=""
cat "$work/sync.out"

step "a village with no link: a sealed change set on a USB stick, ingested at the kabupaten"
TS="$work/Tanjungsari"
"$L" put -d "$TS" aspirasi ASP-USB-1 pengusul="Pak Budi" usulan="Sumur bor" tanggal=2026-11-21 status=diusulkan
held=$("$AG" status -d "$work/kabupaten" --json | python3 -c '
import json, sys
print([v["seq"] for v in json.load(sys.stdin)["villages"] if v["village"] == "33.24.02.2005"][0])')
"$L" changeset -d "$TS" --to kabupaten --since $((held + 1)) >"$work/usb.lcs"
echo "(sealed to the kabupaten's key: a lost stick shows no name or NIK)"
"$AG" ingest -d "$work/kabupaten" "$work/usb.lcs"
echo "the stick comes back with the receipts; the village checks and keeps them:"
"$L" receipt import -d "$TS" "$work/usb.lcs.receipts"

step "three tiers: kecamatan 33.24.03 runs its own aggregator and relays to the kabupaten"
KEC="$work/kecamatan"
KK=$("$AG" init -d "$KEC" --region 33.24.03)
"$AG" enroll-aggregator -d "$work/kabupaten" --region 33.24.03 --key "$KK"
"$AG" upstream add -d "$KEC" kabupaten "$URL" --key "$AK"
"$AG" serve -d "$KEC" --listen 127.0.0.1:0 --forward --every 2 >"$work/kec.out" 2>"$work/kec.log" &
kec_pid=$!
i=0
until grep -q "listening on" "$work/kec.out" 2>/dev/null; do
	i=$((i + 1))
	[ $i -gt 100 ] && { echo "demo: the kecamatan did not start:" >&2; cat "$work/kec.log" >&2; exit 1; }
	sleep 0.1
done
KURL="http://$(sed -n 's/^listening on //p' "$work/kec.out")"
K="$work/Karangsari"
"$L" init -d "$K" --village 33.24.03.2001 --name "Desa Karangsari" >/dev/null 2>&1
"$G" --village 33.24.03.2001 --count 200 --seed 31 | "$L" put -d "$K" --batch
echo "the kecamatan enrols Karangsari; the enrolment travels up signed by the kecamatan key"
"$AG" enroll -d "$KEC" --village 33.24.03.2001 --key "$(origin "$K")" --name "Karangsari"
"$L" remote add -d "$K" kecamatan "$KURL" --key "$KK" --upstream-key "$AK" >/dev/null
printf '%-12s ' Karangsari
"$L" push -d "$K"
echo "(the kecamatan forwards at once; the kabupaten's receipt comes back at the next contact)"
i=0
until "$L" remote ls -d "$K" | grep -q "holds this village's log up to seq $("$L" id -d "$K" | awk '$1 == "seq" { print $2 }')"; do
	i=$((i + 1))
	[ $i -gt 50 ] && { echo "demo: no kabupaten receipt came back:" >&2; cat "$work/kec.log" >&2; exit 1; }
	sleep 0.2
	"$L" push -d "$K" >/dev/null 2>&1 || true
done
"$L" remote ls -d "$K"

step "lumbung verify: a village checks its own chain, signatures and Merkle root"
"$L" verify -d "$S"

step "lumbung-audit: an auditor checks Sukamaju's history from the kabupaten's copy"
"$AU" export -d "$work/kabupaten" --origin "$(origin "$S")" >"$work/sukamaju.lla"
"$AU" verify "$work/sukamaju.lla" --key "$(origin "$S")"
echo "-- the village's own copy: its receipts are proof only under a key the auditor pins (agg.pub):"
"$AU" verify -d "$S" --key "$(origin "$S")" --agg-key "$work/kabupaten/agg.pub"
echo "-- the history of the resident recorded as deceased:"
"$AU" history "$work/sukamaju.lla" penduduk "$id"

step "lumbung-agg status: each village, and the consolidated view of the kabupaten"
"$AG" status -d "$work/kabupaten"

step "the kabupaten office: consolidated reports (lumbung-agg report)"
"$AG" region name -d "$work/kabupaten" 33.24.01 "Kaliwungu" >/dev/null
"$AG" region name -d "$work/kabupaten" 33.24.02 "Kangkung" >/dev/null
"$AG" report ringkasan -d "$work/kabupaten"
echo
"$AG" report kelengkapan -d "$work/kabupaten"
echo
"$AG" verify-figures -d "$work/kabupaten"
"$AG" export penduduk -d "$work/kabupaten" --csv >"$work/penduduk.csv"
echo "export penduduk: $(($(wc -l <"$work/penduduk.csv") - 1)) penduduk records of the whole kabupaten in one CSV"

step "the read API: an office token reads the same report over HTTP"
tok=$("$AG" token add -d "$work/kabupaten" --name "Bu Sari" --role kabupaten | tail -n 1)
python3 - "$URL" "$tok" <<'PYEOF'
import json, sys, urllib.request, urllib.error
url, tok = sys.argv[1], sys.argv[2]
def get(path, token=True):
    req = urllib.request.Request(url + path)
    if token:
        req.add_header("Authorization", "Bearer " + tok)
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)
status, d = get("/v1/reports/ringkasan")
for v in d["villages"]:
    print("%-14s %-18s penduduk %s" % (v["village"], v["name"], v["penduduk"]))
status, d = get("/v1/records/penduduk?village=33.24.01.2001&limit=2")
print("a page of Sukamaju's residents:", [r["id"] for r in d["records"]] if status == 200 else d)
status, d = get("/v1/reports/ringkasan", token=False)
print("without a token: HTTP %d %s" % (status, d["error"]))
PYEOF
echo "-- the access log: who read personal data"
"$AG" access-log -d "$work/kabupaten" | tail -n 2

step "the province's database: lumbung-agg mirror into PostgreSQL (a server started for the demo)"
pg_bin=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/lumbung-demo-pg.XXXXXX")
chmod 755 "$pg_dir"
mkdir -m 700 "$pg_dir/data" "$pg_dir/sock"
[ "$(id -u)" = 0 ] && chown nobody: "$pg_dir/data" "$pg_dir/sock"
as_pg "$pg_bin/initdb" -D "$pg_dir/data" --auth=trust -U lumbung -E UTF8 --locale=C.UTF-8 -N >"$pg_dir/initdb.log" 2>&1 ||
	{ cat "$pg_dir/initdb.log" >&2; exit 1; }
as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/data/server.log" -w -o \
	"-c listen_addresses='' -c unix_socket_directories='$pg_dir/sock' -p 5433" start >/dev/null ||
	{ cat "$pg_dir/data/server.log" >&2; exit 1; }
pg="host=$pg_dir/sock port=5433 user=lumbung dbname=postgres"
"$AG" mirror -d "$work/kabupaten" --pg "$pg"
"$AG" mirror -d "$work/kabupaten" --pg "$pg"
echo "-- an analyst's SQL on the mirrored tables and report views:"
psql "$pg" -Xq -c "SELECT d.kecamatan, count(*) AS desa, sum(r.penduduk) AS penduduk, sum(r.keluarga) AS keluarga, sum(r.penerima) AS penerima
FROM laporan_ringkasan r JOIN desa d ON d.kode = r.desa GROUP BY d.kecamatan ORDER BY 1"
psql "$pg" -Xq -c "SELECT tipe, op, count(*) FROM perubahan GROUP BY 1, 2 ORDER BY 1, 2"

step "the kabupaten's catalogue flows down: one programme code for every village"
"$AG" catalogue put -d "$work/kabupaten" program BLT-DD-2026 kode=BLT-DD-2026 nama="BLT Dana Desa 2026" \
	bidang=sosial sumber_dana=dana_desa anggaran=300000000 tahun=2026 >/dev/null
printf 'Sukamaju  '
"$L" push -d "$S"
"$L" catalogue ls -d "$S" program
nik=$("$L" ls -d "$S" penduduk | sed -n 5p)
"$L" put -d "$S" penerima PNR-BLT-0001 program=BLT-DD-2026 nik="$nik" tanggal=2026-11-30 \
	bentuk=uang nilai=300000 status=disalurkan >/dev/null
if "$L" put -d "$S" program BLT-DD-2026 kode=BLT-DD-2026 nama="BLT versi desa" bidang=sosial anggaran=1 tahun=2026 \
	>/dev/null 2>"$work/own.err"; then
	echo "demo: a village redefined a catalogue programme" >&2
	exit 1
fi
echo "a village's own programme with that code: refused ($(cut -c1-90 "$work/own.err"))"
printf 'Sukamaju  '
"$L" push -d "$S" 2>/dev/null
"$AG" report bantuan -d "$work/kabupaten" --csv | grep -m 3 "BLT-DD-2026" || true

step "a resident moves from Sukamaju to Mekarsari: offered at Mekarsari's next sync, accepted once"
mover=$("$L" ls -d "$S" penduduk | sed -n 7p)
"$L" put -d "$S" --merge penduduk "$mover" status=pindah pindah_ke=33.24.01.2002 \
	tanggal_pindah=2026-11-30 >/dev/null
printf 'Sukamaju  '
"$L" push -d "$S" 2>/dev/null
printf 'Mekarsari '
"$L" push -d "$M" 2>/dev/null
"$L" datang ls -d "$M"
"$L" datang terima -d "$M" "$mover" dusun=Krajan rt=001 rw=002
printf 'Mekarsari '
"$L" push -d "$M" 2>/dev/null

step "the village PC dies: the key from its paper backup, the log from the kabupaten"
printf 'kunci lumbung desa\n' >"$work/pass" # typed at the terminal in real use
"$L" key backup -d "$S" --passphrase-file "$work/pass" >"$work/sukamaju.key.txt"
echo "lumbung key backup: $(wc -l <"$work/sukamaju.key.txt") lines to print and keep in the kantor desa safe:"
sed -n '1,3p' "$work/sukamaju.key.txt"
echo "..."
rm -rf "$S"
echo "rm -rf $S (the PC is gone)"
"$L" restore -d "$S" --village 33.24.01.2001 --from "$URL" --restore-key "$work/sukamaju.key.txt" \
	--passphrase-file "$work/pass" --agg-key "$AK"
"$L" verify -d "$S"
pid=$("$L" ls -d "$S" penduduk | head -n 1)
"$L" put -d "$S" --merge penduduk "$pid" dusun="Krajan" >/dev/null
printf 'and it goes on writing and pushing: '
"$L" push -d "$S"

step "the village's own report: printed with a signed stamp, checked at the kabupaten"
month=$(date +%Y-%m)
printf 'Mekarsari '
"$L" push -d "$M" 2>/dev/null
"$L" report perkembangan -d "$M" --month "$month" --pdf "$work/laporan-a9.pdf" | tee "$work/laporan.out"
pdftotext -layout "$work/laporan-a9.pdf" - | sed -n '1,12p'
echo "..."
"$AU" check-report --pdf "$work/laporan-a9.pdf" --agg "$work/kabupaten"
stamp=$(sed -n 's/^stamp ([^)]*): //p' "$work/laporan.out")
forged=$(echo "$stamp" | awk '{ $7 = "0" substr($7, 2); print }')
echo "-- the same paper with its figures edited (the digest no longer theirs):"
"$AU" check-report "$forged" --agg "$work/kabupaten" | tail -n 2 || true

step "operations: a backup while serving, health and metrics for monitoring"
"$AG" backup -d "$work/kabupaten" --quiet >"$work/kabupaten-backup.tar"
echo "lumbung-agg backup: $(wc -c <"$work/kabupaten-backup.tar") bytes: $(tar -tf "$work/kabupaten-backup.tar" | grep -v '/$' | tr '\n' ' ')"
mkdir -m 700 "$work/kabupaten-restored" && tar -xf "$work/kabupaten-backup.tar" -C "$work/kabupaten-restored"
echo "-- restored into a new directory (tar -xf), it answers as the original does:"
"$AG" status -d "$work/kabupaten-restored" | sed -n '1,5p'
"$AG" verify-figures -d "$work/kabupaten-restored"
python3 - "$URL" <<'PYEOF'
import sys, urllib.request
url = sys.argv[1]
print("GET /v1/health:", urllib.request.urlopen(url + "/v1/health").read().decode().strip())
lines = urllib.request.urlopen(url + "/metrics").read().decode().splitlines()
print("GET /metrics: %d lines for Prometheus, e.g." % len(lines))
for l in lines:
    if l.startswith(("lumbung_entries_accepted_total", "lumbung_villages_enrolled", "lumbung_villages_reporting")) or \
            (l.startswith("lumbung_refusals_total") and not l.endswith(" 0")):
        print("  " + l)
PYEOF

step "the aggregator's log: one line per request (accepted and refused)"
tail -n 8 "$work/agg.log"
