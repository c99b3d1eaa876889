-- mirror_views.sql — the standard reports (docs/REPORTS.md) as SQL views
-- on the tables `lumbung-agg mirror` keeps (docs/MIRROR.md).
--
-- Built into lumbung-agg (agg/mirror_views.c) and run by the mirror with
-- CREATE OR REPLACE in the same transaction that creates its tables, so a
-- newer lumbung-agg replaces them.  Every view has one row per village
-- (or per village and category, programme, NIK) with the village's
-- kecamatan and kabupaten from `desa`, so a BI tool rolls them up with
-- GROUP BY; counts are summed, nothing here is a rate.  Column names are
-- the JSON members of `lumbung-agg report NAME --json`; the village is
-- `desa`, its name `nama_desa` (the code where no name is held), as in
-- `lumbung-agg export`.
--
-- The definitions follow agg/figures.c and agg/monthly.c exactly:
-- a resident is a live `penduduk` record with status `hidup`; sex is L
-- when jenis_kelamin is 'L', otherwise P.  Keep them in step.

-- ringkasan: per village, live residents, records per type, aspirations
CREATE OR REPLACE VIEW laporan_ringkasan AS
SELECT d.kode AS desa, coalesce(nullif(d.nama, ''), d.kode) AS nama_desa,
       d.kecamatan, d.kabupaten,
       pd.l AS penduduk_l, pd.p AS penduduk_p, pd.l + pd.p AS penduduk,
       (SELECT count(*) FROM keluarga x WHERE x.desa = d.kode) AS keluarga,
       (SELECT count(*) FROM program x WHERE x.desa = d.kode) AS program,
       (SELECT count(*) FROM penerima x WHERE x.desa = d.kode) AS penerima,
       (SELECT count(*) FROM kegiatan x WHERE x.desa = d.kode) AS kegiatan,
       (SELECT count(*) FROM laporan x WHERE x.desa = d.kode) AS laporan,
       asp.terbuka AS aspirasi_terbuka, asp.selesai AS aspirasi_selesai
FROM desa d
CROSS JOIN LATERAL (
	SELECT count(*) FILTER (WHERE x.jenis_kelamin = 'L') AS l,
	       count(*) FILTER (WHERE x.jenis_kelamin IS DISTINCT FROM 'L') AS p
	FROM penduduk x WHERE x.desa = d.kode AND x.status = 'hidup') pd
CROSS JOIN LATERAL (
	SELECT count(*) FILTER (WHERE x.status IS NULL
	                         OR x.status NOT IN ('terealisasi', 'ditolak')) AS terbuka,
	       count(*) FILTER (WHERE x.status IN ('terealisasi', 'ditolak')) AS selesai
	FROM aspirasi x WHERE x.desa = d.kode) asp;

-- penduduk: Statistik Kependudukan on a date (ages in full years, a
-- birthday counting from its day: born 29 February, from 1 March in
-- other years).  One row per village, kategori and nilai; `urutan` is
-- the report's order inside a village.  Fixed values are listed even
-- when 0; pekerjaan lists the values found (byte order), tidak_diisi last.
CREATE OR REPLACE FUNCTION laporan_penduduk_per(per date)
RETURNS TABLE (desa text, nama_desa text, kecamatan text, kabupaten text, urutan integer,
               kategori text, nilai text, l bigint, p bigint, jumlah bigint)
LANGUAGE sql STABLE AS $fn$
WITH semua AS (
	SELECT x.desa, x.jenis_kelamin IS DISTINCT FROM 'L' AS pr, x.status,
	       x.agama, x.pendidikan, x.status_perkawinan AS kawin, x.pekerjaan,
	       x.disabilitas,
	       (extract(year FROM per) - extract(year FROM x.tanggal_lahir))::integer -
	       CASE WHEN (extract(month FROM per), extract(day FROM per)) <
	                 (extract(month FROM x.tanggal_lahir), extract(day FROM x.tanggal_lahir))
	            THEN 1 ELSE 0 END AS umur
	FROM penduduk x),
hidup AS (SELECT * FROM semua WHERE status = 'hidup'),
fakta(desa, pr, kategori, nilai) AS (
	SELECT desa, pr, 'jenis_kelamin', CASE WHEN pr THEN 'P' ELSE 'L' END FROM hidup
	UNION ALL
	SELECT desa, pr, 'umur', CASE WHEN umur >= 75 THEN '75+'
	                              ELSE (umur / 5 * 5) || '-' || (umur / 5 * 5 + 4) END
	FROM hidup WHERE umur >= 0
	UNION ALL
	SELECT desa, pr, 'agama', CASE WHEN agama IN ('islam', 'kristen', 'katolik', 'hindu',
	                                              'buddha', 'khonghucu', 'kepercayaan')
	                               THEN agama ELSE 'tidak_diisi' END FROM hidup
	UNION ALL
	SELECT desa, pr, 'pendidikan',
	       CASE WHEN pendidikan IN ('tidak_belum_sekolah', 'belum_tamat_sd', 'tamat_sd', 'sltp',
	                                'slta', 'diploma_i_ii', 'diploma_iii', 'diploma_iv_s1',
	                                's2', 's3')
	            THEN pendidikan ELSE 'tidak_diisi' END FROM hidup
	UNION ALL
	SELECT desa, pr, 'status_perkawinan',
	       CASE WHEN kawin IN ('belum_kawin', 'kawin', 'cerai_hidup', 'cerai_mati')
	            THEN kawin ELSE 'tidak_diisi' END FROM hidup
	UNION ALL
	SELECT desa, pr, 'pekerjaan', coalesce(nullif(pekerjaan, ''), 'tidak_diisi') FROM hidup
	UNION ALL
	SELECT desa, pr, 'disabilitas', CASE disabilitas WHEN true THEN 'ya' WHEN false THEN 'tidak'
	                                    ELSE 'tidak_diisi' END FROM hidup
	UNION ALL
	SELECT desa, pr, 'status', status FROM semua
	WHERE status IN ('hidup', 'pindah', 'meninggal')
	UNION ALL
	SELECT desa, pr, 'wajib_ktp', 'wajib_ktp' FROM hidup
	WHERE kawin IN ('kawin', 'cerai_hidup', 'cerai_mati') OR umur >= 17),
hitung AS (
	SELECT f.desa, f.kategori, f.nilai, count(*) FILTER (WHERE NOT f.pr) AS l,
	       count(*) FILTER (WHERE f.pr) AS p
	FROM fakta f GROUP BY f.desa, f.kategori, f.nilai),
tetap(kategori, nilai, urutan) AS (
	SELECT 'jenis_kelamin', v, o - 1 FROM unnest(ARRAY['L', 'P']) WITH ORDINALITY AS t(v, o)
	UNION ALL
	SELECT 'umur', CASE WHEN b = 15 THEN '75+' ELSE (5 * b) || '-' || (5 * b + 4) END, 1000 + b
	FROM generate_series(0, 15) AS b
	UNION ALL
	SELECT 'agama', v, 2000 + o::integer - 1
	FROM unnest(ARRAY['islam', 'kristen', 'katolik', 'hindu', 'buddha', 'khonghucu',
	                  'kepercayaan', 'tidak_diisi']) WITH ORDINALITY AS t(v, o)
	UNION ALL
	SELECT 'pendidikan', v, 3000 + o::integer - 1
	FROM unnest(ARRAY['tidak_belum_sekolah', 'belum_tamat_sd', 'tamat_sd', 'sltp', 'slta',
	                  'diploma_i_ii', 'diploma_iii', 'diploma_iv_s1', 's2', 's3',
	                  'tidak_diisi']) WITH ORDINALITY AS t(v, o)
	UNION ALL
	SELECT 'status_perkawinan', v, 4000 + o::integer - 1
	FROM unnest(ARRAY['belum_kawin', 'kawin', 'cerai_hidup', 'cerai_mati', 'tidak_diisi'])
	     WITH ORDINALITY AS t(v, o)
	UNION ALL
	SELECT 'disabilitas', v, 6000 + o::integer - 1
	FROM unnest(ARRAY['ya', 'tidak', 'tidak_diisi']) WITH ORDINALITY AS t(v, o)
	UNION ALL
	SELECT 'status', v, 7000 + o::integer - 1
	FROM unnest(ARRAY['hidup', 'pindah', 'meninggal']) WITH ORDINALITY AS t(v, o)
	UNION ALL
	SELECT 'wajib_ktp', 'wajib_ktp', 8000),
baris AS (
	SELECT d.kode AS desa, t.kategori, t.nilai, t.urutan FROM desa d CROSS JOIN tetap t
	UNION ALL
	SELECT h.desa, h.kategori, h.nilai,
	       CASE WHEN h.nilai = 'tidak_diisi' THEN 5999
	            ELSE 5000 + (row_number() OVER (PARTITION BY h.desa, h.nilai = 'tidak_diisi'
	                                            ORDER BY h.nilai COLLATE "C"))::integer END
	FROM hitung h WHERE h.kategori = 'pekerjaan')
SELECT d.kode, coalesce(nullif(d.nama, ''), d.kode), d.kecamatan, d.kabupaten, b.urutan,
       b.kategori, b.nilai, coalesce(h.l, 0), coalesce(h.p, 0), coalesce(h.l + h.p, 0)
FROM baris b
JOIN desa d ON d.kode = b.desa
LEFT JOIN hitung h ON h.desa = b.desa AND h.kategori = b.kategori AND h.nilai = b.nilai
$fn$;

CREATE OR REPLACE VIEW laporan_penduduk AS
SELECT * FROM laporan_penduduk_per(current_date);

-- bantuan: per village and programme code (the village's programme
-- records and every code its live beneficiaries name).  The programme's
-- name, year, budget and target come from the village's own programme
-- record; a kabupaten catalogue's programme is not mirrored (its columns
-- stay empty / 0 here, the report fills them from the catalogue).
CREATE OR REPLACE VIEW laporan_bantuan AS
WITH kode AS (
	SELECT x.desa, x.id AS program FROM program x
	UNION
	SELECT x.desa, x.program FROM penerima x WHERE x.program IS NOT NULL),
per_nik AS (
	SELECT x.desa, x.program, x.nik, count(*) AS n FROM penerima x
	WHERE x.program IS NOT NULL AND x.nik IS NOT NULL GROUP BY x.desa, x.program, x.nik),
pen AS (
	SELECT x.desa, x.program, count(*) AS penerima,
	       count(*) FILTER (WHERE x.status = 'disalurkan') AS disalurkan,
	       count(DISTINCT x.nik) AS nik, count(DISTINCT x.no_kk) AS keluarga,
	       coalesce(sum(x.nilai), 0) AS nilai
	FROM penerima x WHERE x.program IS NOT NULL GROUP BY x.desa, x.program),
ganda AS (
	SELECT desa, program, count(*) AS nik_ganda FROM per_nik WHERE n >= 2
	GROUP BY desa, program)
SELECT d.kode AS desa, coalesce(nullif(d.nama, ''), d.kode) AS nama_desa,
       d.kecamatan, d.kabupaten, k.program, pr.nama AS nama_program,
       nullif(pr.tahun, 0) AS tahun, coalesce(pr.anggaran, 0) AS anggaran,
       coalesce(pr.target_penerima, 0) AS target, coalesce(pen.penerima, 0) AS penerima,
       coalesce(pen.disalurkan, 0) AS disalurkan, coalesce(pen.nik, 0) AS nik,
       coalesce(pen.keluarga, 0) AS keluarga, coalesce(pen.nilai, 0) AS nilai,
       coalesce(ganda.nik_ganda, 0) AS nik_ganda
FROM kode k
JOIN desa d ON d.kode = k.desa
LEFT JOIN program pr ON pr.desa = k.desa AND pr.id = k.program
LEFT JOIN pen ON pen.desa = k.desa AND pen.program = k.program
LEFT JOIN ganda ON ganda.desa = k.desa AND ganda.program = k.program;

-- bantuan's flags: a NIK named twice or more in one programme
-- (ganda_dalam_program, jumlah = records), a NIK receiving two
-- programmes or more in its village (beberapa_program, jumlah =
-- programmes; program is NULL).
CREATE OR REPLACE VIEW laporan_bantuan_tanda AS
WITH t AS (
	SELECT x.desa, 'ganda_dalam_program' AS jenis, x.program, x.nik, count(*) AS jumlah
	FROM penerima x WHERE x.program IS NOT NULL AND x.nik IS NOT NULL
	GROUP BY x.desa, x.program, x.nik HAVING count(*) >= 2
	UNION ALL
	SELECT x.desa, 'beberapa_program', NULL, x.nik, count(DISTINCT x.program)
	FROM penerima x WHERE x.program IS NOT NULL AND x.nik IS NOT NULL
	GROUP BY x.desa, x.nik HAVING count(DISTINCT x.program) >= 2)
SELECT d.kode AS desa, coalesce(nullif(d.nama, ''), d.kode) AS nama_desa,
       d.kecamatan, d.kabupaten, t.jenis, t.program, t.nik, t.jumlah
FROM t JOIN desa d ON d.kode = t.desa;

-- nik-ganda: a NIK alive as a resident of two villages or more of the
-- database (with several aggregators mirrored here, across their regions
-- too, which one aggregator cannot see).  One row per (NIK, village).
CREATE OR REPLACE VIEW laporan_nik_ganda AS
WITH h AS (
	SELECT x.desa, x.nik, x.nama FROM penduduk x
	WHERE x.status = 'hidup' AND x.nik IS NOT NULL),
g AS (SELECT nik FROM h GROUP BY nik HAVING count(*) >= 2)
SELECT d.kode AS desa, coalesce(nullif(d.nama, ''), d.kode) AS nama_desa,
       d.kecamatan, d.kabupaten, h.nik, h.nama,
       (SELECT string_agg(o.desa, ', ' ORDER BY o.desa COLLATE "C") FROM h o
        WHERE o.nik = h.nik AND o.desa <> h.desa) AS desa_lain,
       1 AS penduduk_ganda
FROM h JOIN g ON g.nik = h.nik JOIN desa d ON d.kode = h.desa;

-- perkembangan (Lampiran A-9) of the month containing `bulan`, from the
-- change history in `perubahan`: entries in the order of their clock
-- (`waktu`, then seq) per village and record; the month runs from
-- midnight on its first day to midnight on the next month's first day in
-- the session's TimeZone (SET TimeZone = 'Asia/Jakarta' for WIB).
-- awal = residents after every entry before the month, akhir = after
-- every entry before the next month; what counts as lahir, mati, datang,
-- pindah is in docs/REPORTS.md.
CREATE OR REPLACE FUNCTION laporan_perkembangan_bulan(bulan date)
RETURNS TABLE (desa text, nama_desa text, kecamatan text, kabupaten text, bulan_laporan text,
               awal_l bigint, awal_p bigint, awal bigint, lahir_l bigint, lahir_p bigint,
               lahir bigint, mati_l bigint, mati_p bigint, mati bigint, datang_l bigint,
               datang_p bigint, datang bigint, pindah_l bigint, pindah_p bigint,
               pindah bigint, akhir_l bigint, akhir_p bigint, akhir bigint,
               keluarga_awal bigint, keluarga_akhir bigint)
LANGUAGE sql STABLE AS $fn$
WITH b AS (
	SELECT date_trunc('month', bulan::timestamp)::timestamptz AS t0,
	       (date_trunc('month', bulan::timestamp) + interval '1 month')::timestamptz AS t1,
	       to_char(bulan, 'YYYY-MM') AS ym),
e AS (
	SELECT c.desa, c.tipe, c.waktu >= b.t0 AS dalam, c.op = 'put' AS hidup_rec,
	       -- 0: not a resident, 1: a resident L, 2: a resident P
	       CASE WHEN c.tipe = 'penduduk' AND c.op = 'put' AND c.isi ->> 'status' = 'hidup'
	            THEN CASE WHEN c.isi ->> 'jenis_kelamin' = 'P' THEN 2 ELSE 1 END
	            ELSE 0 END AS kini,
	       c.op = 'put' AND c.isi ->> 'status' = 'meninggal' AS meninggal,
	       c.op = 'put' AND coalesce(c.isi ->> 'datang_dari', '') = ''
	           AND length(c.isi ->> 'tanggal_lahir') = 10
	           AND left(c.isi ->> 'tanggal_lahir', 7) = b.ym AS lahir_di_bulan,
	       row_number() OVER w = 1 AS baru,
	       lag(c.op = 'put', 1, false) OVER w AS dulu_rec,
	       lag(CASE WHEN c.tipe = 'penduduk' AND c.op = 'put' AND c.isi ->> 'status' = 'hidup'
	                THEN CASE WHEN c.isi ->> 'jenis_kelamin' = 'P' THEN 2 ELSE 1 END
	                ELSE 0 END, 1, 0) OVER w AS dulu
	FROM perubahan c, b
	WHERE c.tipe IN ('penduduk', 'keluarga') AND c.waktu < b.t1
	WINDOW w AS (PARTITION BY c.desa, c.tipe, c.id ORDER BY c.waktu, c.seq)),
k AS (
	SELECT e.desa,
	       sum((kini = 1)::int - (dulu = 1)::int) FILTER (WHERE NOT dalam) AS awal_l,
	       sum((kini = 2)::int - (dulu = 2)::int) FILTER (WHERE NOT dalam) AS awal_p,
	       count(*) FILTER (WHERE dalam AND kini = 1 AND dulu = 0 AND baru AND lahir_di_bulan) AS lahir_l,
	       count(*) FILTER (WHERE dalam AND kini = 2 AND dulu = 0 AND baru AND lahir_di_bulan) AS lahir_p,
	       count(*) FILTER (WHERE dalam AND dulu = 1 AND kini = 0 AND meninggal) AS mati_l,
	       count(*) FILTER (WHERE dalam AND dulu = 2 AND kini = 0 AND meninggal) AS mati_p,
	       count(*) FILTER (WHERE dalam AND kini = 1 AND dulu <> 1
	                        AND NOT (dulu = 0 AND baru AND lahir_di_bulan)) AS datang_l,
	       count(*) FILTER (WHERE dalam AND kini = 2 AND dulu <> 2
	                        AND NOT (dulu = 0 AND baru AND lahir_di_bulan)) AS datang_p,
	       count(*) FILTER (WHERE dalam AND dulu = 1 AND kini <> 1
	                        AND NOT (kini = 0 AND meninggal)) AS pindah_l,
	       count(*) FILTER (WHERE dalam AND dulu = 2 AND kini <> 2
	                        AND NOT (kini = 0 AND meninggal)) AS pindah_p,
	       sum((kini = 1)::int - (dulu = 1)::int) AS akhir_l,
	       sum((kini = 2)::int - (dulu = 2)::int) AS akhir_p,
	       sum(hidup_rec::int - dulu_rec::int) FILTER (WHERE tipe = 'keluarga' AND NOT dalam)
	           AS keluarga_awal,
	       sum(hidup_rec::int - dulu_rec::int) FILTER (WHERE tipe = 'keluarga')
	           AS keluarga_akhir
	FROM e GROUP BY e.desa)
SELECT d.kode, coalesce(nullif(d.nama, ''), d.kode), d.kecamatan, d.kabupaten, b.ym,
       coalesce(k.awal_l, 0), coalesce(k.awal_p, 0), coalesce(k.awal_l + k.awal_p, 0),
       coalesce(k.lahir_l, 0), coalesce(k.lahir_p, 0), coalesce(k.lahir_l + k.lahir_p, 0),
       coalesce(k.mati_l, 0), coalesce(k.mati_p, 0), coalesce(k.mati_l + k.mati_p, 0),
       coalesce(k.datang_l, 0), coalesce(k.datang_p, 0), coalesce(k.datang_l + k.datang_p, 0),
       coalesce(k.pindah_l, 0), coalesce(k.pindah_p, 0), coalesce(k.pindah_l + k.pindah_p, 0),
       coalesce(k.akhir_l, 0), coalesce(k.akhir_p, 0), coalesce(k.akhir_l + k.akhir_p, 0),
       coalesce(k.keluarga_awal, 0), coalesce(k.keluarga_akhir, 0)
FROM desa d CROSS JOIN b LEFT JOIN k ON k.desa = d.kode
$fn$;
