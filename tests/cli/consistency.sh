#!/bin/sh
# consistency.sh — the rules between fields and records, through the CLI:
# a NIK that disagrees with the sex or birth date, a birth date in the
# future, a family card whose head is not a live resident, a NIK twice in
# one programme (also in an import), rm of a referenced record refused with
# the list, rm --cascade, a put that changes nothing writing nothing, in
# English and in Indonesian.  Expected NIK readings are worked out by hand
# (digits 7-12 are DDMMYY, 40 added to the day for women).
. "$(dirname "$0")/lib.sh"
unset LUMBUNG_DIR
lb() { "$LUMBUNG" "$@"; }
seq_of() { lb id -d "$1" | awk '$1 == "seq" {print $2}'; }
D="$T/n"
lb init -d "$D" --village 33.24.01.2001 >/dev/null 2>&1 || fail "init"
W=3324014101900001 # a woman born 01-01-1990 (41 = 1 + 40)
M=3324011205870001 # a man born 12-05-1987
KK=3324010101150001

# ---- NIK, sex, birth date ------------------------------------------------------
expect_exit 10 "a woman's NIK with jenis_kelamin=L is refused" lb put -d "$D" penduduk $W nik=$W \
	no_kk=$KK nama=Sari tanggal_lahir=1990-01-01 jenis_kelamin=L status=hidup
contains "$T/err" "penduduk $W: nik $W is a woman's (birth day 01 + 40) but jenis_kelamin is L" \
	"the refusal names the NIK, the day and the sex"
expect_exit 10 "a birth date the NIK does not bear is refused" lb put -d "$D" penduduk $M nik=$M \
	no_kk=$KK nama=Budi tanggal_lahir=1987-12-05 jenis_kelamin=L status=hidup
contains "$T/err" "nik $M gives the birth date 12-05-87 (DD-MM-YY) but tanggal_lahir is 1987-12-05" \
	"the refusal says which date the NIK gives"
LUMBUNG_BAHASA=id "$LUMBUNG" put -d "$D" penduduk $M nik=$M no_kk=$KK nama=Budi \
	tanggal_lahir=1987-12-05 jenis_kelamin=P status=hidup >/dev/null 2>"$T/err.id"
contains "$T/err.id" "nik $M milik laki-laki (tanggal lahir 12, tanpa tambahan 40) tetapi jenis_kelamin P; nik $M menyatakan tanggal lahir 12-05-87" \
	"in Indonesian, both problems in one message"
expect_exit 10 "a birth date in the future is refused" lb put -d "$D" penduduk 3324014101990001 \
	nik=3324014101990001 no_kk=$KK nama=Bayi tanggal_lahir=2099-01-01 jenis_kelamin=P status=hidup
contains "$T/err" "tanggal_lahir 2099-01-01 is in the future (today is " "the refusal says it is in the future"
is_zero=$(seq_of "$D")
[ "$is_zero" = 0 ] && ok "nothing refused was written" || fail "seq is $is_zero after refusals"

expect_exit 0 "a resident whose NIK agrees" lb put -d "$D" penduduk $W nik=$W no_kk=$KK nama=Sari \
	tanggal_lahir=1990-01-01 jenis_kelamin=P status=hidup

# ---- a put that changes nothing ----------------------------------------------------
s=$(seq_of "$D")
expect_exit 0 "the same put again" lb put -d "$D" penduduk $W nik=$W no_kk=$KK nama=Sari \
	tanggal_lahir=1990-01-01 jenis_kelamin=P status=hidup
contains "$T/out" "penduduk $W: unchanged" "it says unchanged"
expect_exit 0 "a --merge that changes nothing" lb put -d "$D" --merge penduduk $W nama=Sari
contains "$T/out" "unchanged" "it says unchanged too"
[ "$(seq_of "$D")" = "$s" ] && ok "neither wrote an entry" || fail "seq moved from $s to $(seq_of "$D")"
expect_exit 0 "a real change is written" lb put -d "$D" --merge penduduk $W dusun=Krajan
contains "$T/out" "written as seq $((s + 1))" "as the next seq"

# ---- the head of a family card ------------------------------------------------------
expect_exit 10 "a keluarga whose head is not a resident is refused" lb put -d "$D" keluarga $KK \
	no_kk=$KK kepala_keluarga=$M
contains "$T/err" "kepala_keluarga $M is not a resident" "the refusal names the head"
lb put -d "$D" penduduk $M nik=$M no_kk=$KK nama=Budi tanggal_lahir=1987-05-12 jenis_kelamin=L \
	status=meninggal >/dev/null 2>&1 || fail "put $M"
expect_exit 10 "a head who died is refused" lb put -d "$D" keluarga $KK no_kk=$KK kepala_keluarga=$M
contains "$T/err" "penduduk $M has status meninggal, not hidup" "the refusal gives the status"
expect_exit 0 "a live resident heads it" lb put -d "$D" keluarga $KK no_kk=$KK kepala_keluarga=$W

# ---- one NIK once per programme ------------------------------------------------------
lb put -d "$D" program BLT kode=BLT nama="BLT Dana Desa" bidang=sosial anggaran=1000000 \
	tahun=2026 >/dev/null 2>&1 || fail "put program"
expect_exit 0 "a beneficiary" lb put -d "$D" penerima PNR-1 program=BLT nik=$W tanggal=2026-03-01 \
	bentuk=uang status=diusulkan
expect_exit 10 "the same NIK again in the programme is refused" lb put -d "$D" penerima PNR-2 \
	program=BLT nik=$W tanggal=2026-04-01 bentuk=uang status=diusulkan
contains "$T/err" "nik $W is already a beneficiary of programme BLT (penerima PNR-1)" \
	"the refusal names the record that holds it"
printf '%s\n' 'id,program,nik,tanggal,bentuk,status' "PNR-3,BLT,$M,2026-03-01,uang,diusulkan" \
	"PNR-4,BLT,$M,2026-03-02,uang,diusulkan" >"$T/pnr.csv"
expect_exit 10 "an import naming one NIK twice in a programme is refused" lb import -d "$D" penerima "$T/pnr.csv"
contains "$T/err" "(penerima PNR-3)" "the import names the first row's record"

# ---- rm of a referenced record -----------------------------------------------------
lb put -d "$D" kegiatan KGT-1 program=BLT nama=Sosialisasi tanggal_mulai=2026-02-01 >/dev/null 2>&1 ||
	fail "put kegiatan"
s=$(seq_of "$D")
expect_exit 10 "rm of a programme its penerima and kegiatan name is refused" lb rm -d "$D" program BLT
contains "$T/err" "program BLT: 2 live record(s) refer to it: kegiatan KGT-1 (program), penerima PNR-1 (program)" \
	"the refusal lists them"
expect_exit 10 "rm of a resident who heads a keluarga is refused" lb rm -d "$D" penduduk $W
contains "$T/err" "keluarga $KK (kepala_keluarga)" "the refusal names the family card"
[ "$(seq_of "$D")" = "$s" ] && ok "the refused rm wrote nothing" || fail "seq moved"
expect_exit 0 "rm --cascade deletes the programme with them" lb rm -d "$D" program BLT --cascade
contains "$T/out" "program BLT: deleted as seq $((s + 3))" "the programme's del is the last entry"
contains "$T/out" "with the 2 records that referred to it (seq $((s + 1))-$((s + 2)))" "the cascade is reported"
expect_exit 1 "the penerima went with it" lb get -d "$D" penerima PNR-1
expect_exit 0 "verify holds afterwards" lb verify -d "$D"
expect_exit 0 "verify --json says ok and lists nothing dangling" lb verify -d "$D" --json
contains "$T/out" '"ok":true' "ok true"
# ---- import: rows the rules refuse are listed like any other bad row ---------------
printf '%s\n' 'nik;no_kk;nama;tanggal_lahir;jenis_kelamin;status' \
	'3324014101900041;3324010101150041;Siti Impor;1990-01-01;L;hidup' \
	'3324010101900042;3324010101150041;Budi Impor;1990-01-01;L;hidup' \
	'3324010101300043;3324010101150041;Anak Impor;2030-01-01;L;hidup' \
	'3324015505900044;3324010101150041;Ani Impor;1990-05-05;L;hidup' >"$T/rules.csv"
s=$(seq_of "$D")
expect_exit 10 "an import with rows the rules refuse imports nothing" lb import -d "$D" penduduk "$T/rules.csv"
contains "$T/err" "row 2: penduduk 3324014101900041: nik 3324014101900041 is a woman's" "row 2 (a woman's NIK, L) is named"
contains "$T/err" "row 4: penduduk 3324010101300043: tanggal_lahir 2030-01-01 is in the future" "row 4 (born in 2030) is named"
contains "$T/err" "row 5: penduduk 3324015505900044" "row 5 is named too, in the same run"
[ "$(seq_of "$D")" = "$s" ] && ok "nothing of it was written" || fail "seq moved"
expect_exit 0 "with --skip-invalid the good row goes in" lb import -d "$D" penduduk "$T/rules.csv" \
	--skip-invalid "$T/rules-rej.csv"
contains "$T/out" "1 written, 0 unchanged, 3 rejected" "one written, three rejected"
contains "$T/rules-rej.csv" "is in the future" "the rejects file says why"
done_testing
