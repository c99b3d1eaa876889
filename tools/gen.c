/*
 * gen.c — lumbung-gen: deterministic synthetic village welfare data.
 *
 *   lumbung-gen --village PP.KK.CC.DDDD [--count N] [--seed S] [--only TYPE]
 *
 * Writes N records as JSON lines on stdout, one per line:
 *
 *   {"type":"penduduk","id":"3324014105900001","body":{"nik":...}}
 *
 * Everything here is invented: names come from built-in lists, numbers from
 * a splitmix64 stream seeded with the seed and the village code, and the
 * clock is fixed (REF_DATE), so the same arguments always give byte-identical
 * output on any machine.  The data is for demos, tests and benchmarks; no
 * real person is described.
 *
 * Shape of a full run (no --only): first a handful of programmes, then
 * households, each its `penduduk` (about 2.7 per household) followed by
 * its `keluarga` (whose head, the first member, is alive: the node refuses
 * a family card headed by someone who is not a live resident), now and
 * then followed by `penerima` rows naming a programme already written and
 * a member of that household (never the same person twice for one
 * programme), a `kegiatan` of a
 * programme, or an `aspirasi`.  Ids are unique within one run: NIK and KK
 * numbers take their 4-digit serial from a counter per birth (issue) date,
 * as Dukcapil assigns them, so no two residents share a NIK.  With
 * --only keluarga (or penerima, kegiatan) the records name residents (or
 * programmes) that run does not write: a node takes them only after the
 * records they refer to.
 *
 * Memory does not grow with N: a household (at most 8 people) is the
 * largest thing kept, plus fixed serial tables (~220 KB), so a run of
 * 10^6 or 10^8 records streams.  Output goes through a 1 MiB buffer with
 * write(2); a failed write (EPIPE, ENOSPC, ...) stops the run with a
 * message and exit status 1.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../schema/i18n.h"
#include "../schema/text.h"
#include "../schema/version.h"

#include "opt.h"

#define PROG "lumbung-gen"

/* "Today" for the generated world: ages, programme years and statuses are
 * relative to this date, never to the wall clock (determinism). */
#define REF_Y 2026
#define REF_M 6
#define REF_D 30

#define MAX_MEMBERS 8

/* ---- pseudo-random numbers --------------------------------------------- */

/* splitmix64 (Steele, Lea, Flood 2014): tiny, fast, passes BigCrush, and
 * trivially seeded — all a data generator needs. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0 (Lemire's multiply-shift; the bias for the
 * small n used here is far below anything visible). */
static uint32_t rng_below(uint64_t *s, uint32_t n)
{
	return (uint32_t)(((rng_next(s) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [lo, hi]. */
static int64_t rng_range(uint64_t *s, int64_t lo, int64_t hi)
{
	return lo + (int64_t)rng_below(s, (uint32_t)(hi - lo + 1));
}

/* True with probability pm/1000. */
static bool rng_chance(uint64_t *s, unsigned pm)
{
	return rng_below(s, 1000) < pm;
}

#define PICK(s, arr) ((arr)[rng_below((s), (uint32_t)(sizeof(arr) / sizeof((arr)[0])))])
#define NELEM(arr) (sizeof(arr) / sizeof((arr)[0]))

struct wstr {
	const char *s;
	unsigned w;
};

static const char *rng_wpick(uint64_t *s, const struct wstr *v, size_t n)
{
	unsigned total = 0, x;
	for (size_t i = 0; i < n; i++)
		total += v[i].w;
	x = rng_below(s, total);
	for (size_t i = 0; i < n; i++) {
		if (x < v[i].w)
			return v[i].s;
		x -= v[i].w;
	}
	return v[n - 1].s;
}

#define WPICK(s, arr) rng_wpick((s), (arr), NELEM(arr))

static uint64_t fnv1a(const char *p)
{
	uint64_t h = 0xcbf29ce484222325ull;
	while (*p)
		h = (h ^ (uint8_t)*p++) * 0x100000001b3ull;
	return h;
}

/* ---- calendar ---------------------------------------------------------- */

/* Days since 1970-01-01 <-> proleptic Gregorian dates (H. Hinnant's
 * algorithms), so every generated date is a real one. */
static int64_t days_from_civil(int y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

struct date {
	int y;
	unsigned m, d;
};

static struct date civil_from_days(int64_t z)
{
	struct date r;
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	r.d = doy - (153 * mp + 2) / 5 + 1;
	r.m = mp < 10 ? mp + 3 : mp - 9;
	r.y = (int)((int64_t)yoe + era * 400 + (r.m <= 2));
	return r;
}

/* v mod 10^width as exactly width decimal digits at p (no NUL). */
static void put_digits(char *p, unsigned v, int width)
{
	while (width-- > 0) {
		p[width] = (char)('0' + v % 10);
		v /= 10;
	}
}

/* "YYYY-MM-DD" into out[11]. */
static void date_str(char out[11], int64_t days)
{
	struct date t = civil_from_days(days);
	put_digits(out, (unsigned)t.y, 4);
	out[4] = '-';
	put_digits(out + 5, t.m, 2);
	out[7] = '-';
	put_digits(out + 8, t.d, 2);
	out[10] = '\0';
}

/* "%03u" into out[4] (RT and RW numbers). */
static void num3_str(char out[4], unsigned v)
{
	put_digits(out, v, 3);
	out[3] = '\0';
}

/* ---- output ------------------------------------------------------------ */

#define OUT_BUF (1u << 20)

struct out {
	int fd;
	int err; /* errno of the first failed write; later writes are dropped */
	size_t n;
	char buf[OUT_BUF];
};

static void out_flush(struct out *o)
{
	size_t off = 0;
	while (off < o->n && !o->err) {
		ssize_t w = write(o->fd, o->buf + off, o->n - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			o->err = errno;
		} else if (w == 0) {
			o->err = EIO;
		} else {
			off += (size_t)w;
		}
	}
	o->n = 0;
}

static void out_mem(struct out *o, const char *s, size_t n)
{
	if (o->err)
		return;
	if (OUT_BUF - o->n < n)
		out_flush(o);
	/* no single piece comes anywhere near OUT_BUF */
	memcpy(o->buf + o->n, s, n);
	o->n += n;
}

static void out_cstr(struct out *o, const char *s)
{
	out_mem(o, s, strlen(s));
}

/* A JSON string literal.  The lists below are plain ASCII, but escape
 * properly anyway so nothing added later can break a line. */
static void out_jstr(struct out *o, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;

	out_mem(o, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		out_mem(o, run, (size_t)(s - run));
		run = s + 1;
		if (c == '"')
			out_mem(o, "\\\"", 2);
		else if (c == '\\')
			out_mem(o, "\\\\", 2);
		else if (c == '\n')
			out_mem(o, "\\n", 2);
		else if (c == '\t')
			out_mem(o, "\\t", 2);
		else {
			char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			out_mem(o, u, 6);
		}
	}
	out_mem(o, run, (size_t)(s - run));
	out_mem(o, "\"", 1);
}

static void out_int(struct out *o, int64_t v)
{
	char b[24], *p = b + sizeof b;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	out_mem(o, p, (size_t)(b + sizeof b - p));
}

/* One record: rec_begin, fields, rec_end. */
struct rec {
	struct out *o;
	bool first;
};

static void rec_begin(struct rec *r, struct out *o, const char *type, const char *id)
{
	r->o = o;
	r->first = true;
	out_cstr(o, "{\"type\":");
	out_jstr(o, type);
	out_cstr(o, ",\"id\":");
	out_jstr(o, id);
	out_cstr(o, ",\"body\":{");
}

static void rec_key(struct rec *r, const char *k)
{
	if (!r->first)
		out_mem(r->o, ",", 1);
	r->first = false;
	out_jstr(r->o, k);
	out_mem(r->o, ":", 1);
}

static void f_str(struct rec *r, const char *k, const char *v)
{
	rec_key(r, k);
	out_jstr(r->o, v);
}

static void f_int(struct rec *r, const char *k, int64_t v)
{
	rec_key(r, k);
	out_int(r->o, v);
}

static void f_bool(struct rec *r, const char *k, bool v)
{
	rec_key(r, k);
	out_cstr(r->o, v ? "true" : "false");
}

static void rec_end(struct rec *r)
{
	out_mem(r->o, "}}\n", 3);
}

/* ---- word lists -------------------------------------------------------- */

static const char *const NAMA_L[] = {
	"Budi", "Agus", "Slamet", "Joko", "Bambang", "Sutrisno", "Heru", "Wahyu", "Eko",
	"Dwi", "Rudi", "Hendra", "Ahmad", "Muhammad", "Rizky", "Fajar", "Dimas", "Andi",
	"Yusuf", "Teguh", "Suparman", "Sugeng", "Darmawan", "Hadi", "Arif", "Bayu", "Yoga",
	"Ilham", "Aditya", "Galih", "Purnomo", "Wawan", "Sutarno", "Sukirno", "Priyanto",
	"Supriyadi", "Anton", "Imam", "Rahmat", "Taufik", "Yanto", "Gilang", "Reza",
	"Hafiz", "Nanang", "Dedi", "Asep", "Ujang", "Iwan", "Samsul", "Kholil", "Bagus",
};
static const char *const NAMA_P[] = {
	"Siti", "Sri", "Dewi", "Rina", "Wulan", "Ani", "Lestari", "Fitri", "Nur", "Rahma",
	"Indah", "Ayu", "Putri", "Yuli", "Endang", "Sumarni", "Suparti", "Tri", "Kartini",
	"Novi", "Aisyah", "Nabila", "Dina", "Ratna", "Wahyuni", "Eka", "Yanti", "Nining",
	"Mega", "Anisa", "Zahra", "Salsabila", "Intan", "Tuti", "Umi", "Rukmini", "Lilis",
	"Neneng", "Dian", "Nurul", "Khusnul", "Maya",
};
/* Mononyms, common among Javanese elders. */
static const char *const NAMA_SEPUH_L[] = {
	"Sukiman", "Paimin", "Tukiman", "Ngadiman", "Karto", "Sastro", "Marjo", "Wiryo",
	"Parjo", "Sumarno",
};
static const char *const NAMA_SEPUH_P[] = {
	"Painem", "Sainem", "Tukinem", "Sumini", "Parmi", "Wagiyem", "Sarinah", "Jumiyem",
	"Poniyem", "Ngatinah",
};
static const char *const BELAKANG_L[] = {
	"Santoso", "Wibowo", "Saputra", "Setiawan", "Hidayat", "Kurniawan", "Pratama",
	"Nugroho", "Purwanto", "Hartono", "Prasetyo", "Susilo", "Firmansyah", "Ramadhan",
	"Wijaya", "Gunawan", "Hermawan", "Maulana", "Syahputra", "Effendi",
};
static const char *const BELAKANG_P[] = {
	"Rahayu", "Lestari", "Susanti", "Handayani", "Suryani", "Utami", "Wahyuni",
	"Rahmawati", "Puspitasari", "Anggraini", "Permatasari", "Kusumawati", "Safitri",
	"Fitriani", "Wulandari", "Maharani", "Hapsari", "Ningsih",
};
static const char *const MARGA[] = {
	"Siregar", "Nasution", "Harahap", "Simanjuntak", "Lubis", "Sitompul", "Hutapea",
	"Panjaitan", "Sinaga", "Pardede",
};

static const char *const KOTA[] = {
	"Boyolali", "Klaten", "Sukoharjo", "Wonogiri", "Karanganyar", "Sragen", "Grobogan",
	"Blora", "Rembang", "Pati", "Kudus", "Jepara", "Demak", "Semarang", "Temanggung",
	"Kendal", "Batang", "Pekalongan", "Pemalang", "Tegal", "Brebes", "Surakarta",
	"Magelang", "Purworejo", "Kebumen", "Banyumas", "Cilacap", "Jakarta", "Bandung",
	"Surabaya", "Yogyakarta", "Medan", "Makassar", "Palembang", "Malang", "Bogor",
};

static const char *const DUSUN[] = {
	"Krajan", "Sidomulyo", "Karanganyar", "Ngrandu", "Kedungsari", "Sumberejo",
	"Tegalrejo", "Wonosari", "Banjarsari", "Sukamaju", "Mekarsari", "Gondang",
	"Ngemplak", "Kalisari", "Pucung", "Jatirejo", "Sendangsari", "Gunungsari",
	"Tlogowungu", "Margorejo",
};

static const char *const JALAN[] = {
	"Melati", "Mawar", "Kenanga", "Anggrek", "Flamboyan", "Cempaka", "Merdeka",
	"Pahlawan", "Diponegoro", "Kartini", "Sudirman", "Masjid", "Balai Desa", "Pemuda",
};

static const struct wstr AGAMA[] = {
	{"islam", 870}, {"kristen", 70}, {"katolik", 30}, {"hindu", 17}, {"buddha", 7},
	{"khonghucu", 1},
};

/* A job for an adult of working age (not a pupil, not retired). */
static const struct wstr KERJA_L[] = {
	{"petani_pekebun", 250}, {"buruh_tani", 120}, {"buruh_harian_lepas", 120},
	{"wiraswasta", 110}, {"karyawan_swasta", 110}, {"pedagang", 60}, {"peternak", 30},
	{"tukang_bangunan", 50}, {"sopir", 30}, {"nelayan", 10}, {"guru", 20}, {"pns", 15},
	{"perangkat_desa", 10}, {"tni_polri", 5}, {"tidak_bekerja", 40},
};
static const struct wstr KERJA_P[] = {
	{"mengurus_rumah_tangga", 380}, {"petani_pekebun", 100}, {"buruh_tani", 80},
	{"pedagang", 90}, {"wiraswasta", 70}, {"karyawan_swasta", 90},
	{"buruh_harian_lepas", 40}, {"guru", 30}, {"perawat", 10}, {"bidan", 5},
	{"pns", 15}, {"tidak_bekerja", 50},
};

/* Highest schooling of an adult, older people less schooled. */
static const struct wstr DIDIK_TUA[] = {
	{"tidak_belum_sekolah", 150}, {"belum_tamat_sd", 200}, {"tamat_sd", 400},
	{"sltp", 150}, {"slta", 90}, {"diploma_iv_s1", 10},
};
static const struct wstr DIDIK_DEWASA[] = {
	{"tidak_belum_sekolah", 20}, {"belum_tamat_sd", 40}, {"tamat_sd", 250},
	{"sltp", 250}, {"slta", 330}, {"diploma_i_ii", 20}, {"diploma_iii", 30},
	{"diploma_iv_s1", 55}, {"s2", 5},
};

static const char *const BIDANG[] = {
	"pendidikan", "kesehatan", "pemberdayaan_keluarga", "pemuda", "olahraga",
	"karang_taruna", "seni_budaya", "lingkungan_hidup", "ekonomi", "sosial",
};
#define N_BIDANG NELEM(BIDANG)

/* Per bidang (same order as BIDANG): programme names, activity names,
 * what the beneficiary gets, and a musyawarah proposal. */
static const char *const PROG_NAMA[N_BIDANG][4] = {
	{"Beasiswa Siswa Kurang Mampu", "Bantuan Seragam dan Alat Sekolah",
	 "Insentif Guru PAUD Desa", "Taman Baca Masyarakat"},
	{"Pemberian Makanan Tambahan Balita", "Posbindu Lansia", "Pencegahan Stunting",
	 "Jambanisasi Keluarga Miskin"},
	{"Pelatihan Kader PKK", "Bina Keluarga Balita", "UP2K PKK", "Kebun Gizi Keluarga"},
	{"Pelatihan Kewirausahaan Pemuda", "Pelatihan Komputer Remaja",
	 "Kursus Bengkel Motor", "Pelatihan Barista Desa"},
	{"Turnamen Bola Voli Antar Dusun", "Senam Sehat Bersama", "Pembinaan Sepak Bola Usia Dini",
	 "Lomba Gerak Jalan HUT RI"},
	{"Bank Sampah Karang Taruna", "Pelatihan Sablon Karang Taruna",
	 "Operasional Karang Taruna", "Pentas Seni Karang Taruna"},
	{"Pelestarian Karawitan", "Sanggar Tari Anak", "Bersih Desa dan Merti Dusun",
	 "Kirab Budaya Desa"},
	{"Penghijauan Sempadan Sungai", "Pengelolaan Sampah Rumah Tangga",
	 "Pembuatan Sumur Resapan", "Kerja Bakti Drainase"},
	{"BLT Dana Desa", "Penyertaan Modal BUMDes", "Pelatihan UMKM Olahan Pangan",
	 "Bantuan Bibit dan Pupuk"},
	{"Rehab Rumah Tidak Layak Huni", "Santunan Anak Yatim", "Bantuan Lansia Terlantar",
	 "Bantuan Penyandang Disabilitas"},
};
static const char *const KEGIATAN_NAMA[N_BIDANG][3] = {
	{"Penyerahan beasiswa", "Verifikasi calon penerima", "Kegiatan membaca bersama"},
	{"Penimbangan dan pengukuran balita", "Pemeriksaan kesehatan lansia",
	 "Penyuluhan gizi ibu hamil"},
	{"Pertemuan rutin PKK", "Pelatihan pengolahan pangan", "Penyuluhan pola asuh anak"},
	{"Pelatihan kewirausahaan", "Kelas komputer", "Praktik bengkel"},
	{"Pertandingan babak penyisihan", "Senam pagi bersama", "Latihan rutin"},
	{"Penimbangan sampah bank sampah", "Rapat pengurus karang taruna",
	 "Pelatihan sablon kaos"},
	{"Latihan karawitan", "Pentas tari anak", "Kirab budaya"},
	{"Penanaman bibit pohon", "Kerja bakti bersih sungai", "Pembuatan biopori"},
	{"Penyaluran BLT", "Pelatihan pemasaran daring", "Penyaluran bibit"},
	{"Penyaluran santunan", "Survei rumah tidak layak huni", "Kunjungan rumah lansia"},
};
static const char *const USULAN[N_BIDANG][3] = {
	{"Bantuan buku dan seragam untuk siswa kurang mampu",
	 "Perbaikan atap gedung PAUD", "Les gratis untuk anak SD menjelang ujian"},
	{"Penambahan jadwal posyandu lansia", "Pengadaan timbangan bayi baru di posyandu",
	 "Pemeriksaan gratis untuk ibu hamil risiko tinggi"},
	{"Pelatihan menjahit untuk ibu-ibu PKK", "Bantuan alat masak untuk kelompok UP2K",
	 "Penyuluhan pernikahan dini"},
	{"Pelatihan keterampilan untuk pemuda putus sekolah",
	 "Tempat berkumpul dan wifi untuk pemuda", "Pelatihan mengemudi bersertifikat"},
	{"Perbaikan lapangan voli dusun", "Pengadaan bola dan net", "Turnamen sepak bola antar RT"},
	{"Sekretariat karang taruna", "Modal usaha karang taruna",
	 "Pengadaan sound system untuk kegiatan pemuda"},
	{"Pengadaan gamelan untuk sanggar", "Pelatihan tari tradisional untuk anak",
	 "Bantuan kostum kesenian reog"},
	{"Perbaikan saluran drainase yang sering meluap", "Pengadaan tempat sampah terpilah",
	 "Penanaman pohon di sepanjang jalan desa"},
	{"Perbaikan jalan usaha tani", "Bantuan pupuk untuk kelompok tani",
	 "Pengadaan pompa air untuk sawah tadah hujan"},
	{"Bantuan bedah rumah untuk janda lansia", "Kursi roda untuk warga disabilitas",
	 "Santunan untuk anak yatim piatu"},
};
static const char *const KETERANGAN[] = {
	"Berjalan lancar", "Dihadiri perangkat desa dan pendamping", "Peserta melebihi target",
	"Ditunda satu hari karena hujan", "Daftar hadir dan dokumentasi terlampir",
	"Dihadiri bidan desa", "Perlu tindak lanjut bulan depan", "Sebagian peserta berhalangan",
};
static const char *const SUMBER_DANA[] = {
	"dana_desa", "alokasi_dana_desa", "pendapatan_asli_desa", "bantuan_provinsi",
	"bantuan_kabupaten", "apbn", "swadaya_masyarakat", "csr",
};
static const char *const FORUM[] = {
	"musyawarah_dusun", "musyawarah_desa", "musrenbangdes", "rembug_warga", "reses_bpd",
};
static const char *const KELOMPOK[] = {
	"Kelompok Tani", "PKK Dusun", "Karang Taruna Dusun", "Kelompok Wanita Tani",
	"Takmir Masjid Dusun", "Posyandu Dusun", "Paguyuban Pedagang Dusun",
};

/* ---- the generator ----------------------------------------------------- */

enum rtype { T_PENDUDUK, T_KELUARGA, T_PROGRAM, T_PENERIMA, T_KEGIATAN, T_ASPIRASI, T_ALL };

static const char *const TYPE_NAME[] = {
	"penduduk", "keluarga", "program", "penerima", "kegiatan", "aspirasi",
};

struct person {
	char nik[17];
	char nama[64];
	const char *tempat;
	int64_t lahir; /* days since 1970 */
	char jk;       /* 'L' or 'P' */
	const char *agama, *kawin, *didik, *kerja, *status;
	bool disabilitas;
};

struct household {
	char no_kk[17];
	unsigned n;
	struct person p[MAX_MEMBERS];
	unsigned dusun, rt, rw;
	char alamat[80];
	unsigned desil;
	int64_t penghasilan;
};

struct program {
	char kode[24];
	const char *nama;
	unsigned bidang;
	const char *sumber;
	int64_t anggaran;
	unsigned tahun;
	unsigned target;
};

/* NIK and KK serials are counters per date, indexed by (YY, MM, DD[, sex]):
 * exactly the digits that share a number space within one kecamatan. */
#define DATE_SLOTS (100 * 12 * 31)

struct gen {
	uint64_t rng;
	uint64_t base; /* seed mixed with the village; programme k uses base ^ k */
	char region[7]; /* PPKKCC */
	bool batak;     /* North Sumatra: families share a marga */
	enum rtype only;
	uint64_t count, emitted;
	unsigned nprog;
	uint64_t n_pnr, n_kgt, n_asp;
	int64_t ref; /* REF date in days */
	unsigned n_dusun;
	unsigned dusun[6];  /* indices into DUSUN */
	unsigned rw_of[6];  /* first RW number of each dusun; each dusun has 1-2 RWs */
	unsigned rws[6];
	unsigned rt_per_rw;
	unsigned home; /* index into KOTA: where most residents were born */
	struct out *o;
	uint16_t nik_serial[DATE_SLOTS * 2];
	uint16_t kk_serial[DATE_SLOTS];
};

static bool done(const struct gen *g)
{
	return g->emitted >= g->count || g->o->err;
}

static bool wanted(const struct gen *g, enum rtype t)
{
	return g->only == T_ALL || g->only == t;
}

static unsigned date_slot(int64_t days)
{
	struct date t = civil_from_days(days);
	return ((unsigned)(t.y % 100) * 12 + (t.m - 1)) * 31 + (t.d - 1);
}

/* A 16-digit number PPKKCC DDMMYY SSSS.  dd_add is 40 for a woman's NIK.
 * Takes the next serial for that date; when a date's 9999 serials are
 * used up (only in absurdly large runs) moves to the next day. */
static void make_number(struct gen *g, char out[17], int64_t *days, unsigned dd_add,
                        uint16_t *serials, unsigned stride, unsigned which)
{
	for (;;) {
		unsigned slot = date_slot(*days) * stride + which;
		if (serials[slot] < 9999) {
			struct date t = civil_from_days(*days);
			unsigned s = ++serials[slot];
			memcpy(out, g->region, 6);
			put_digits(out + 6, t.d + dd_add, 2);
			put_digits(out + 8, t.m, 2);
			put_digits(out + 10, (unsigned)t.y, 2);
			put_digits(out + 12, s, 4);
			out[16] = '\0';
			return;
		}
		(*days)++;
	}
}

static void make_name(struct gen *g, char *out, size_t cap, char jk, int age, const char *marga)
{
	uint64_t *r = &g->rng;
	bool l = jk == 'L';

	if (marga) {
		snprintf(out, cap, "%s %s", l ? PICK(r, NAMA_L) : PICK(r, NAMA_P), marga);
		return;
	}
	if (age >= 65 && rng_chance(r, 600)) {
		snprintf(out, cap, "%s", l ? PICK(r, NAMA_SEPUH_L) : PICK(r, NAMA_SEPUH_P));
		return;
	}
	switch (rng_below(r, 10)) {
	case 0: /* a single given name */
		snprintf(out, cap, "%s", l ? PICK(r, NAMA_L) : PICK(r, NAMA_P));
		break;
	case 1: /* two given names and a family-like name */
		snprintf(out, cap, "%s %s %s", l ? PICK(r, NAMA_L) : PICK(r, NAMA_P),
		         l ? PICK(r, NAMA_L) : PICK(r, NAMA_P),
		         l ? PICK(r, BELAKANG_L) : PICK(r, BELAKANG_P));
		break;
	default:
		snprintf(out, cap, "%s %s", l ? PICK(r, NAMA_L) : PICK(r, NAMA_P),
		         l ? PICK(r, BELAKANG_L) : PICK(r, BELAKANG_P));
	}
}

/* Fill one person of a household.  kawin is the marital status the
 * household structure implies. */
static void make_person(struct gen *g, struct person *p, char jk, int age, const char *kawin,
                        const char *agama, const char *marga)
{
	uint64_t *r = &g->rng;
	int64_t born = g->ref - ((int64_t)age * 36525) / 100 - rng_below(r, 365);

	p->jk = jk;
	make_number(g, p->nik, &born, jk == 'P' ? 40 : 0, g->nik_serial, 2, jk == 'P');
	p->lahir = born;
	make_name(g, p->nama, sizeof p->nama, jk, age, marga);
	p->tempat = rng_chance(r, 750) ? KOTA[g->home] : PICK(r, KOTA);
	p->agama = agama;
	p->kawin = kawin;
	if (age < 5) {
		p->didik = "tidak_belum_sekolah";
		p->kerja = "belum_tidak_bekerja";
	} else if (age < 13) {
		p->didik = "belum_tamat_sd";
		p->kerja = "pelajar_mahasiswa";
	} else if (age < 16) {
		p->didik = "tamat_sd";
		p->kerja = "pelajar_mahasiswa";
	} else if (age < 19) {
		p->didik = "sltp";
		p->kerja = rng_chance(r, 850) ? "pelajar_mahasiswa" : "buruh_harian_lepas";
	} else {
		p->didik = age >= 55 ? WPICK(r, DIDIK_TUA) : WPICK(r, DIDIK_DEWASA);
		if (age >= 60 && rng_chance(r, age >= 70 ? 750 : 400))
			p->kerja = rng_chance(r, 200) ? "pensiunan" : "tidak_bekerja";
		else if (age < 24 && rng_chance(r, 300))
			p->kerja = "pelajar_mahasiswa";
		else
			p->kerja = jk == 'L' ? WPICK(r, KERJA_L) : WPICK(r, KERJA_P);
	}
	p->disabilitas = rng_chance(r, age >= 60 ? 60 : 15);
	if (rng_chance(r, age >= 70 ? 60 : 8))
		p->status = "meninggal";
	else if (rng_chance(r, age >= 18 && age < 40 ? 40 : 10))
		p->status = "pindah";
	else
		p->status = "hidup";
}

static void make_household(struct gen *g, struct household *h, unsigned size)
{
	uint64_t *r = &g->rng;
	const char *agama = WPICK(r, AGAMA);
	const char *marga = g->batak ? PICK(r, MARGA) : NULL;
	unsigned i = 0;
	int head_age;
	char head_jk;
	bool couple;
	int64_t issued;
	unsigned d;

	if (size == 1) {
		/* alone: mostly an elderly widow(er), sometimes a young single */
		unsigned k = rng_below(r, 10);
		head_jk = rng_chance(r, 600) ? 'P' : 'L';
		head_age = k < 3 ? (int)rng_range(r, 21, 35) : (int)rng_range(r, 55, 92);
		make_person(g, &h->p[i++], head_jk, head_age,
		            k < 3 ? "belum_kawin" : (k < 8 ? "cerai_mati" : "cerai_hidup"), agama, marga);
	} else {
		couple = rng_chance(r, 850);
		head_jk = couple || rng_chance(r, 300) ? 'L' : 'P';
		head_age = (int)rng_range(r, 24, 78);
		make_person(g, &h->p[i++], head_jk, head_age,
		            couple ? "kawin" : (rng_chance(r, 600) ? "cerai_mati" : "cerai_hidup"), agama,
		            marga);
		if (couple) {
			int age = head_age - (int)rng_range(r, -2, 8);
			/* a Batak wife keeps her own marga */
			make_person(g, &h->p[i++], head_jk == 'L' ? 'P' : 'L', age < 18 ? 18 : age, "kawin",
			            agama, marga ? PICK(r, MARGA) : NULL);
		}
		if (i < size && size >= 4 && head_age < 55 && rng_chance(r, 120)) {
			int age = head_age + (int)rng_range(r, 22, 32);
			make_person(g, &h->p[i++], rng_chance(r, 650) ? 'P' : 'L', age > 98 ? 98 : age,
			            "cerai_mati", agama, NULL);
		}
		while (i < size) {
			int oldest = head_age - 19 > 30 ? 30 : head_age - 19;
			int age = (int)rng_range(r, 0, oldest < 0 ? 0 : oldest);
			make_person(g, &h->p[i++], rng_chance(r, 500) ? 'L' : 'P', age,
			            age >= 22 && rng_chance(r, 250) ? "kawin" : "belum_kawin", agama,
			            marga);
		}
	}
	h->n = i;
	/* the head of a household on the family card is alive and here (the
	 * node refuses a keluarga whose kepala_keluarga is not) */
	h->p[0].status = "hidup";

	issued = days_from_civil(2008, 1, 1) +
	         rng_below(r, (uint32_t)(g->ref - days_from_civil(2008, 1, 1)));
	make_number(g, h->no_kk, &issued, 0, g->kk_serial, 1, 0);

	d = rng_below(r, g->n_dusun);
	h->dusun = d;
	h->rw = g->rw_of[d] + rng_below(r, g->rws[d]);
	h->rt = 1 + rng_below(r, g->rt_per_rw);
	if (rng_chance(r, 550))
		snprintf(h->alamat, sizeof h->alamat, "Dusun %s RT %03u RW %03u", DUSUN[g->dusun[d]],
		         h->rt, h->rw);
	else
		snprintf(h->alamat, sizeof h->alamat, "Jl. %s No. %u, Dusun %s", PICK(r, JALAN),
		         1 + rng_below(r, 120), DUSUN[g->dusun[d]]);

	/* Welfare decile: village registers lean poor (DTKS), income follows
	 * the decile with noise, rounded to Rp 50.000. */
	h->desil = 1 + (rng_below(r, 10) + rng_below(r, 10) + rng_below(r, 7)) * 10 / 26;
	if (h->desil > 10)
		h->desil = 10;
	h->penghasilan = 400000 + (int64_t)h->desil * h->desil * 90000 +
	                 (int64_t)rng_below(r, 40) * 25000 * (int64_t)h->desil;
	h->penghasilan -= h->penghasilan % 50000;
}

/* Programme k (1-based) is a pure function of (seed, village, k), so
 * penerima and kegiatan can name it without keeping a table. */
static void make_program(const struct gen *g, unsigned k, struct program *p)
{
	uint64_t r = g->base ^ ((uint64_t)k * 0xd1b54a32d192ed03ull);
	unsigned nprog = g->nprog ? g->nprog : 1;
	unsigned span = nprog < 3 ? 1 : 3;

	p->tahun = REF_Y - 2 + (span == 1 ? 2 : (unsigned)(((uint64_t)(k - 1) * 3) / nprog));
	if (p->tahun > REF_Y)
		p->tahun = REF_Y;
	snprintf(p->kode, sizeof p->kode, "PRG-%u-%03u", p->tahun, k);
	p->bidang = rng_below(&r, N_BIDANG);
	p->nama = PICK(&r, PROG_NAMA[p->bidang]);
	p->sumber = PICK(&r, SUMBER_DANA);
	p->anggaran = (int64_t)rng_range(&r, 5, 300) * 1000000 + (int64_t)rng_below(&r, 10) * 100000;
	p->target = (unsigned)rng_range(&r, 10, 400);
}

static void emit_program(struct gen *g, unsigned k)
{
	struct program p;
	struct rec w;
	char nama[96];

	make_program(g, k, &p);
	snprintf(nama, sizeof nama, "%s %u", p.nama, p.tahun);
	rec_begin(&w, g->o, "program", p.kode);
	f_str(&w, "kode", p.kode);
	f_str(&w, "nama", nama);
	f_str(&w, "bidang", BIDANG[p.bidang]);
	f_str(&w, "sumber_dana", p.sumber);
	f_int(&w, "anggaran", p.anggaran);
	f_int(&w, "tahun", p.tahun);
	f_int(&w, "target_penerima", p.target);
	rec_end(&w);
	g->emitted++;
}

static void emit_penduduk(struct gen *g, const struct household *h, const struct person *p)
{
	struct rec w;
	char tgl[11], rt[4], rw[4];

	date_str(tgl, p->lahir);
	num3_str(rt, h->rt);
	num3_str(rw, h->rw);
	rec_begin(&w, g->o, "penduduk", p->nik);
	f_str(&w, "nik", p->nik);
	f_str(&w, "no_kk", h->no_kk);
	f_str(&w, "nama", p->nama);
	f_str(&w, "tempat_lahir", p->tempat);
	f_str(&w, "tanggal_lahir", tgl);
	f_str(&w, "jenis_kelamin", p->jk == 'L' ? "L" : "P");
	f_str(&w, "agama", p->agama);
	f_str(&w, "status_perkawinan", p->kawin);
	f_str(&w, "pendidikan", p->didik);
	f_str(&w, "pekerjaan", p->kerja);
	f_str(&w, "dusun", DUSUN[g->dusun[h->dusun]]);
	f_str(&w, "rt", rt);
	f_str(&w, "rw", rw);
	f_bool(&w, "disabilitas", p->disabilitas);
	f_str(&w, "status", p->status);
	rec_end(&w);
	g->emitted++;
}

static void emit_keluarga(struct gen *g, const struct household *h)
{
	struct rec w;
	char rt[4], rw[4];

	num3_str(rt, h->rt);
	num3_str(rw, h->rw);
	rec_begin(&w, g->o, "keluarga", h->no_kk);
	f_str(&w, "no_kk", h->no_kk);
	f_str(&w, "kepala_keluarga", h->p[0].nik);
	f_str(&w, "alamat", h->alamat);
	f_str(&w, "dusun", DUSUN[g->dusun[h->dusun]]);
	f_str(&w, "rt", rt);
	f_str(&w, "rw", rw);
	f_int(&w, "desil", h->desil);
	f_int(&w, "penghasilan_bulanan", h->penghasilan);
	f_int(&w, "jumlah_anggota", h->n);
	rec_end(&w);
	g->emitted++;
}

/* A random day of year y that is not after REF. */
static int64_t day_in_year(struct gen *g, unsigned y)
{
	int64_t a = days_from_civil((int)y, 1, 1), b = days_from_civil((int)y, 12, 31);
	if (b > g->ref)
		b = g->ref;
	return a + rng_below(&g->rng, (uint32_t)(b - a + 1));
}

/* A penerima row of programme k (1..nprog) for p. */
static void emit_penerima(struct gen *g, const struct household *h, const struct person *p,
                          unsigned k)
{
	uint64_t *r = &g->rng;
	struct program pr;
	struct rec w;
	char id[24], tgl[11];
	const char *bentuk, *status;
	int64_t nilai, day;

	make_program(g, k, &pr);
	day = day_in_year(g, pr.tahun);
	date_str(tgl, day);
	switch (pr.bidang) {
	case 8: case 9: /* ekonomi, sosial: mostly cash (BLT Rp 300.000 a month) */
		bentuk = rng_chance(r, 750) ? "uang" : "barang";
		break;
	case 1: case 2:
		bentuk = rng_chance(r, 500) ? "barang" : "jasa";
		break;
	default:
		bentuk = WPICK(r, ((const struct wstr[]){{"uang", 3}, {"barang", 5}, {"jasa", 2}}));
	}
	if (!strcmp(bentuk, "uang"))
		nilai = 300000 * rng_range(r, 1, 12);
	else if (!strcmp(bentuk, "barang"))
		nilai = (int64_t)rng_range(r, 1, 40) * 50000;
	else
		nilai = (int64_t)rng_range(r, 0, 20) * 25000;
	if (g->ref - day < 60)
		status = WPICK(r, ((const struct wstr[]){
		                         {"diusulkan", 4}, {"diverifikasi", 3}, {"disalurkan", 2}, {"ditolak", 1}}));
	else
		status = WPICK(r, ((const struct wstr[]){{"disalurkan", 17}, {"ditolak", 2}, {"dibatalkan", 1}}));

	snprintf(id, sizeof id, "PNR-%06" PRIu64, ++g->n_pnr);
	rec_begin(&w, g->o, "penerima", id);
	f_str(&w, "program", pr.kode);
	f_str(&w, "nik", p->nik);
	f_str(&w, "no_kk", h->no_kk);
	f_str(&w, "tanggal", tgl);
	f_str(&w, "bentuk", bentuk);
	f_int(&w, "nilai", nilai);
	f_str(&w, "status", status);
	rec_end(&w);
	g->emitted++;
}

static void emit_kegiatan(struct gen *g)
{
	uint64_t *r = &g->rng;
	struct program pr;
	struct rec w;
	char id[24], a[11], b[11], lokasi[64];
	const char *dusun = DUSUN[g->dusun[rng_below(r, g->n_dusun)]];
	int64_t start, len, peserta;

	make_program(g, 1 + rng_below(r, g->nprog ? g->nprog : 1), &pr);
	start = day_in_year(g, pr.tahun);
	len = rng_chance(r, 700) ? 0 : rng_range(r, 1, 6);
	date_str(a, start);
	date_str(b, start + len);
	switch (rng_below(r, 5)) {
	case 0: snprintf(lokasi, sizeof lokasi, "Balai Desa"); break;
	case 1: snprintf(lokasi, sizeof lokasi, "Lapangan Desa"); break;
	case 2: snprintf(lokasi, sizeof lokasi, "Posyandu Dusun %s", dusun); break;
	case 3: snprintf(lokasi, sizeof lokasi, "Pendopo Dusun %s", dusun); break;
	default: snprintf(lokasi, sizeof lokasi, "Rumah Ketua RT %03u Dusun %s",
		          1 + rng_below(r, g->rt_per_rw), dusun);
	}
	peserta = rng_range(r, 8, 180);

	snprintf(id, sizeof id, "KGT-%06" PRIu64, ++g->n_kgt);
	rec_begin(&w, g->o, "kegiatan", id);
	f_str(&w, "program", pr.kode);
	f_str(&w, "nama", PICK(r, KEGIATAN_NAMA[pr.bidang]));
	f_str(&w, "tanggal_mulai", a);
	f_str(&w, "tanggal_selesai", b);
	f_str(&w, "lokasi", lokasi);
	f_int(&w, "jumlah_peserta", peserta);
	f_int(&w, "realisasi_anggaran", (pr.anggaran * rng_range(r, 2, 15) / 100) / 1000 * 1000);
	f_str(&w, "keterangan", PICK(r, KETERANGAN));
	rec_end(&w);
	g->emitted++;
}

static void emit_aspirasi(struct gen *g)
{
	uint64_t *r = &g->rng;
	struct rec w;
	char id[24], tgl[11], pengusul[96];
	const char *dusun = DUSUN[g->dusun[rng_below(r, g->n_dusun)]];
	unsigned bidang = rng_below(r, N_BIDANG);
	int64_t day = day_in_year(g, (unsigned)rng_range(r, REF_Y - 2, REF_Y));
	const char *status;

	date_str(tgl, day);
	if (rng_chance(r, 450)) {
		char jk = rng_chance(r, 650) ? 'L' : 'P';
		char nama[64];
		make_name(g, nama, sizeof nama, jk, 45, NULL);
		snprintf(pengusul, sizeof pengusul, "%s %s", jk == 'L' ? "Bapak" : "Ibu", nama);
	} else {
		snprintf(pengusul, sizeof pengusul, "%s %s", PICK(r, KELOMPOK), dusun);
	}
	if (g->ref - day < 90)
		status = rng_chance(r, 600) ? "diusulkan" : "ditampung";
	else
		status = WPICK(r, ((const struct wstr[]){
		                         {"ditampung", 3}, {"disetujui", 3}, {"terealisasi", 3}, {"ditolak", 1}}));

	snprintf(id, sizeof id, "ASP-%06" PRIu64, ++g->n_asp);
	rec_begin(&w, g->o, "aspirasi", id);
	f_str(&w, "tanggal", tgl);
	f_str(&w, "forum", PICK(r, FORUM));
	f_str(&w, "pengusul", pengusul);
	f_str(&w, "dusun", dusun);
	f_str(&w, "usulan", PICK(r, USULAN[bidang]));
	f_str(&w, "bidang", BIDANG[bidang]);
	f_str(&w, "status", status);
	rec_end(&w);
	g->emitted++;
}

/* Household sizes averaging ~2.7 residents. */
static unsigned household_size(struct gen *g)
{
	static const unsigned w[] = {0, 20, 30, 24, 15, 7, 3, 1}; /* size 1..7 */
	unsigned x = rng_below(&g->rng, 100);
	for (unsigned s = 1; s < NELEM(w); s++) {
		if (x < w[s])
			return s;
		x -= w[s];
	}
	return 3;
}

/* A household and what hangs off it: its keluarga and penduduk records,
 * sometimes penerima of its members, and a kegiatan or aspirasi in
 * between (full run); or only the records of the --only type. */
static void household_round(struct gen *g)
{
	uint64_t *r = &g->rng;
	struct household h;
	unsigned size = household_size(g), npen = 0;

	if (g->only == T_ALL) {
		uint64_t left = g->count - g->emitted;
		if (left < 2) { /* no room for a household and a member */
			emit_aspirasi(g);
			return;
		}
		if (size > left - 1)
			size = (unsigned)(left - 1);
	}
	make_household(g, &h, size);
	/* the members first: a keluarga's head must be a resident already */
	for (unsigned i = 0; i < h.n && !done(g); i++)
		if (wanted(g, T_PENDUDUK))
			emit_penduduk(g, &h, &h.p[i]);
	if (wanted(g, T_KELUARGA) && !done(g))
		emit_keluarga(g, &h);

	/* Poorer households are more often beneficiaries: ~0.35 rows per
	 * household in a full run; at least one with --only penerima. */
	if (g->nprog && wanted(g, T_PENERIMA)) {
		if (g->only == T_PENERIMA)
			npen = 1 + rng_chance(r, 300);
		else if (rng_chance(r, h.desil <= 4 ? 480 : 160))
			npen = 1 + rng_chance(r, 150);
	}
	/* one NIK once per programme (the node refuses a second row): a
	 * second row for the same person names another programme, or none */
	const struct person *prev = NULL;
	unsigned prev_k = 0;
	for (unsigned i = 0; i < npen && !done(g); i++) {
		const struct person *p = &h.p[rng_below(r, h.n)];
		unsigned k = 1 + rng_below(r, g->nprog);
		if (strcmp(p->status, "hidup") != 0)
			p = &h.p[0];
		if (p == prev && k == prev_k) {
			if (g->nprog < 2)
				break;
			k = k % g->nprog + 1;
		}
		emit_penerima(g, &h, p, k);
		prev = p;
		prev_k = k;
	}
	if (g->only == T_ALL && g->nprog && !done(g) && rng_chance(r, 40))
		emit_kegiatan(g);
	if (g->only == T_ALL && !done(g) && rng_chance(r, 50))
		emit_aspirasi(g);
}

static void gen_setup(struct gen *g, const char *village, uint64_t seed, uint64_t count,
                      enum rtype only, struct out *o)
{
	uint64_t s;

	memset(g, 0, sizeof *g);
	g->o = o;
	g->count = count;
	g->only = only;
	g->ref = days_from_civil(REF_Y, REF_M, REF_D);
	/* PPKKCC from "PP.KK.CC.DDDD" (checked by the caller) */
	memcpy(g->region, village, 2);
	memcpy(g->region + 2, village + 3, 2);
	memcpy(g->region + 4, village + 6, 2);
	g->region[6] = '\0';
	g->batak = village[0] == '1' && village[1] == '2';

	s = seed;
	g->base = rng_next(&s) ^ fnv1a(village);
	g->rng = g->base;

	/* "A handful" of programmes: one per ~5000 records, 4..150. */
	if (only == T_PROGRAM)
		g->nprog = count > UINT32_MAX ? UINT32_MAX : (unsigned)count;
	else {
		uint64_t p = count / 5000;
		p = p < 4 ? 4 : p > 150 ? 150 : p;
		if (only == T_ALL && p > count / 8)
			p = count / 8;
		g->nprog = (unsigned)p;
	}

	/* The village: its dusun, RW per dusun, RT per RW, home town. */
	g->n_dusun = 3 + rng_below(&g->rng, 4);
	{
		unsigned start = rng_below(&g->rng, NELEM(DUSUN)), rw = 1;
		for (unsigned i = 0; i < g->n_dusun; i++) {
			g->dusun[i] = (start + i * 7) % NELEM(DUSUN);
			g->rw_of[i] = rw;
			g->rws[i] = 1 + rng_below(&g->rng, 2);
			rw += g->rws[i];
		}
	}
	g->rt_per_rw = 3 + rng_below(&g->rng, 6);
	g->home = rng_below(&g->rng, 27); /* one of the Central Java towns */
}

static void gen_run(struct gen *g)
{
	switch (g->only) {
	case T_PROGRAM:
		for (uint64_t k = 1; !done(g); k++)
			emit_program(g, (unsigned)k);
		return;
	case T_KEGIATAN:
		while (!done(g))
			emit_kegiatan(g);
		return;
	case T_ASPIRASI:
		while (!done(g))
			emit_aspirasi(g);
		return;
	case T_ALL:
		for (unsigned k = 1; k <= g->nprog && !done(g); k++)
			emit_program(g, k);
		break;
	default:
		if (g->only == T_PENERIMA && g->nprog == 0)
			g->nprog = 1;
		break;
	}
	while (!done(g))
		household_round(g);
}

/* ---- main -------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f, "usage: " PROG " --village PP.KK.CC.DDDD [--count N] [--seed S] [--only TYPE]\n"
	           "\n");
	fputs(_("Write N synthetic village welfare records (default 1000) as JSON lines,\n"
	        "one {\"type\",\"id\",\"body\"} object per line, ready for `lumbung put --batch`.\n"
	        "The same arguments always give byte-identical output.  All names and\n"
	        "numbers are invented.\n"
	        "\n"
	        "  --village CODE  desa code, e.g. 33.24.01.2001 (NIK/KK prefixes come from it)\n"
	        "  --count N       number of records (default 1000)\n"
	        "  --seed S        seed, a non-negative integer (default 1)\n"
	        "  --only TYPE     only records of TYPE (N of them): penduduk, keluarga,\n"
	        "                  program, penerima, kegiatan, aspirasi\n"
	        "  --help          this text\n"
	        "  --version       the version of lumbung-gen\n"
	        "\n"
	        "A full run writes a few programmes, then households: the penduduk\n"
	        "(~2.7 per household), then their keluarga, with penerima, kegiatan and aspirasi\n"
	        "records interleaved.  Exit status: 0 ok, 1 write error, 2 usage.\n"),
	      f);
}

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}


int main(int argc, char **argv)
{
	static struct out o;
	static struct gen g;
	const char *village = NULL, *v;
	uint64_t count = 1000, seed = 1;
	enum rtype only = T_ALL;

	lb_i18n_init();
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--version")) {
			printf(PROG " %s\n", lb_version());
			return 0;
		} else if ((v = tool_opt_value(PROG, argc, argv, &i, "--village"))) {
			village = v;
		} else if ((v = tool_opt_value(PROG, argc, argv, &i, "--count"))) {
			if (!parse_u64(v, &count)) {
				fprintf(stderr, _("%s: --count: '%s' is not a non-negative integer\n"), PROG, v);
				return 2;
			}
		} else if ((v = tool_opt_value(PROG, argc, argv, &i, "--seed"))) {
			if (!parse_u64(v, &seed)) {
				fprintf(stderr, _("%s: --seed: '%s' is not a non-negative integer\n"), PROG, v);
				return 2;
			}
		} else if ((v = tool_opt_value(PROG, argc, argv, &i, "--only"))) {
			unsigned t;
			for (t = 0; t < NELEM(TYPE_NAME); t++)
				if (!strcmp(v, TYPE_NAME[t]))
					break;
			if (t == NELEM(TYPE_NAME)) {
				fprintf(stderr,
				        _("%s: --only: unknown type '%s' (penduduk, keluarga, program, "
				             "penerima, kegiatan, aspirasi)\n"),
				        PROG, v);
				return 2;
			}
			only = (enum rtype)t;
		} else {
			fprintf(stderr, _("%s: unknown argument '%s'\n"), PROG, argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (!village) {
		fprintf(stderr, _("%s: --village is required\n"), PROG);
		usage(stderr);
		return 2;
	}
	if (lb_region_level(village) != LB_REGION_DESA) {
		fprintf(stderr, _("%s: --village: '%s' is not a desa code PP.KK.CC.DDDD\n"), PROG, village);
		return 2;
	}

	/* A closed pipe must become an EPIPE we report, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	o.fd = STDOUT_FILENO;
	gen_setup(&g, village, seed, count, only, &o);
	gen_run(&g);
	out_flush(&o);
	if (o.err) {
		fprintf(stderr, PROG ": write to stdout failed (%" PRIu64 " records generated): %s\n", g.emitted,
		        strerror(o.err));
		return 1;
	}
	return 0;
}
