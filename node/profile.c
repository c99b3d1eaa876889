/*
 * profile.c — see profile.h.  One profile: "opensid", OpenSID's own
 * spreadsheet export read as ours.
 *
 * Where the columns and codes come from (OpenSID/OpenSID, release
 * v2410.0.0, commit 4b3d56778f23b0e1230c1e667db554f012bbcdc6; the same
 * names and codes in the older donjo-app/models/Export_model.php and
 * Import_model.php, KOLOM_IMPOR_KELUARGA):
 *   - donjo-app/controllers/Penduduk.php, ekspor(): the header row of the
 *     penduduk export is Impor_model::$daftar_kolom
 *     (donjo-app/models/Impor_model.php): alamat, dusun, rw, rt, nama,
 *     no_kk, nik, sex, tempatlahir, tanggallahir, agama_id,
 *     pendidikan_kk_id, pendidikan_sedang_id, pekerjaan_id, status_kawin,
 *     kk_level, warganegara_id, ayah_nik, nama_ayah, ibu_nik, nama_ibu,
 *     golongan_darah_id, akta_lahir, dokumen_pasport, tanggal_akhir_paspor,
 *     dokumen_kitas, akta_perkawinan, tanggalperkawinan, akta_perceraian,
 *     tanggalperceraian, cacat_id, cara_kb_id, hamil, ktp_el, status_rekam,
 *     alamat_sekarang, status_dasar, suku, tag_id_card, id_asuransi,
 *     no_asuransi, lat, lng.
 *   - donjo-app/models/Ekspor_model.php, expor(): cells hold the numeric
 *     codes (ids of the reference tables; 0 written as empty), dates as
 *     Y-m-d, an empty dusun/rw/rt as "-"; with $huruf the codes are
 *     replaced by the tables' names (ekspor_huruf()).
 *   - donjo-app/models/seeders/Data_awal_seeder.php: the reference tables
 *     tweb_penduduk_sex, tweb_penduduk_agama, tweb_penduduk_pendidikan_kk,
 *     tweb_penduduk_kawin, tweb_penduduk_hubungan, tweb_penduduk_pekerjaan,
 *     tweb_cacat, tweb_status_dasar (ids and names as below); the same ids
 *     in app/Enums/{JenisKelamin,Agama,PendidikanKK,StatusKawin,SHDK,
 *     StatusDasar}Enum.php.
 *   - donjo-app/controllers/Program_bantuan.php, expor(): the "Peserta"
 *     sheet of a programme's export: Peserta, No. Peserta, NIK, Nama,
 *     Tempat Lahir, Tanggal Lahir, Alamat.
 *
 * What is not certain is refused, naming the column and the code:
 * agama 7 is "Kepercayaan Terhadap Tuhan YME / Lainnya" (belief or any
 * other: write kepercayaan yourself if that is what it is); status_dasar
 * 4 HILANG, 6 PERGI and 9 TIDAK VALID have no counterpart here.
 */
#include "profile.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../schema/i18n.h"
#include "../schema/schema.h"
#include "../schema/text.h"
#include "../schema/value.h"
#include "csvio.h"

#ifndef LB_CSV_REASON_COLUMN /* csvio.h names it once the rejects file has it */
#define LB_CSV_REASON_COLUMN "alasan_penolakan"
#endif

/* One code of a reference table: OpenSID's id, its name there, ours. */
struct code {
	const char *id;
	const char *name;
	const char *ours; /* NULL: no certain counterpart (refused) */
};

#define END {NULL, NULL, NULL}

static const struct code sex[] = {
	{"1", "LAKI-LAKI", "L"},
	{"2", "PEREMPUAN", "P"},
	END,
};

static const struct code agama[] = {
	{"1", "ISLAM", "islam"},
	{"2", "KRISTEN", "kristen"},
	{"3", "KATHOLIK", "katolik"},
	{"4", "HINDU", "hindu"},
	{"5", "BUDHA", "buddha"},
	{"6", "KHONGHUCU", "khonghucu"},
	{"7", "Kepercayaan Terhadap Tuhan YME / Lainnya", NULL},
	END,
};

static const struct code pendidikan_kk[] = {
	{"1", "TIDAK / BELUM SEKOLAH", "tidak_belum_sekolah"},
	{"2", "BELUM TAMAT SD/SEDERAJAT", "belum_tamat_sd"},
	{"3", "TAMAT SD / SEDERAJAT", "tamat_sd"},
	{"4", "SLTP/SEDERAJAT", "sltp"},
	{"5", "SLTA / SEDERAJAT", "slta"},
	{"6", "DIPLOMA I / II", "diploma_i_ii"},
	{"7", "AKADEMI/ DIPLOMA III/S. MUDA", "diploma_iii"},
	{"8", "DIPLOMA IV/ STRATA I", "diploma_iv_s1"},
	{"9", "STRATA II", "s2"},
	{"10", "STRATA III", "s3"},
	END,
};

static const struct code kawin[] = {
	{"1", "BELUM KAWIN", "belum_kawin"},
	{"2", "KAWIN", "kawin"},
	{"3", "CERAI HIDUP", "cerai_hidup"},
	{"4", "CERAI MATI", "cerai_mati"},
	END,
};

static const struct code status_dasar[] = {
	{"1", "HIDUP", "hidup"},
	{"2", "MATI", "meninggal"},
	{"3", "PINDAH", "pindah"},
	{"4", "HILANG", NULL},
	{"6", "PERGI", NULL},
	{"9", "TIDAK VALID", NULL},
	END,
};

/* tweb_cacat: every kind of disability is disabilitas=true */
static const struct code cacat[] = {
	{"1", "CACAT FISIK", "true"},
	{"2", "CACAT NETRA/BUTA", "true"},
	{"3", "CACAT RUNGU/WICARA", "true"},
	{"4", "CACAT MENTAL/JIWA", "true"},
	{"5", "CACAT FISIK DAN MENTAL", "true"},
	{"6", "CACAT LAINNYA", "true"},
	{"7", "TIDAK CACAT", "false"},
	END,
};

/* tweb_penduduk_hubungan: only "is this the head of the family" matters */
static const struct code hubungan[] = {
	{"1", "KEPALA KELUARGA", "1"},
	{"2", "SUAMI", "0"},
	{"3", "ISTRI", "0"},
	{"4", "ANAK", "0"},
	{"5", "MENANTU", "0"},
	{"6", "CUCU", "0"},
	{"7", "ORANGTUA", "0"},
	{"8", "MERTUA", "0"},
	{"9", "FAMILI LAIN", "0"},
	{"10", "PEMBANTU", "0"},
	{"11", "LAINNYA", "0"},
	END,
};

/* tweb_penduduk_pekerjaan: our pekerjaan is text, so the name itself */
static const struct code pekerjaan[] = {
	{"1", "BELUM/TIDAK BEKERJA", "BELUM/TIDAK BEKERJA"},
	{"2", "MENGURUS RUMAH TANGGA", "MENGURUS RUMAH TANGGA"},
	{"3", "PELAJAR/MAHASISWA", "PELAJAR/MAHASISWA"},
	{"4", "PENSIUNAN", "PENSIUNAN"},
	{"5", "PEGAWAI NEGERI SIPIL (PNS)", "PEGAWAI NEGERI SIPIL (PNS)"},
	{"6", "TENTARA NASIONAL INDONESIA (TNI)", "TENTARA NASIONAL INDONESIA (TNI)"},
	{"7", "KEPOLISIAN RI (POLRI)", "KEPOLISIAN RI (POLRI)"},
	{"8", "PERDAGANGAN", "PERDAGANGAN"},
	{"9", "PETANI/PEKEBUN", "PETANI/PEKEBUN"},
	{"10", "PETERNAK", "PETERNAK"},
	{"11", "NELAYAN/PERIKANAN", "NELAYAN/PERIKANAN"},
	{"12", "INDUSTRI", "INDUSTRI"},
	{"13", "KONSTRUKSI", "KONSTRUKSI"},
	{"14", "TRANSPORTASI", "TRANSPORTASI"},
	{"15", "KARYAWAN SWASTA", "KARYAWAN SWASTA"},
	{"16", "KARYAWAN BUMN", "KARYAWAN BUMN"},
	{"17", "KARYAWAN BUMD", "KARYAWAN BUMD"},
	{"18", "KARYAWAN HONORER", "KARYAWAN HONORER"},
	{"19", "BURUH HARIAN LEPAS", "BURUH HARIAN LEPAS"},
	{"20", "BURUH TANI/PERKEBUNAN", "BURUH TANI/PERKEBUNAN"},
	{"21", "BURUH NELAYAN/PERIKANAN", "BURUH NELAYAN/PERIKANAN"},
	{"22", "BURUH PETERNAKAN", "BURUH PETERNAKAN"},
	{"23", "PEMBANTU RUMAH TANGGA", "PEMBANTU RUMAH TANGGA"},
	{"24", "TUKANG CUKUR", "TUKANG CUKUR"},
	{"25", "TUKANG LISTRIK", "TUKANG LISTRIK"},
	{"26", "TUKANG BATU", "TUKANG BATU"},
	{"27", "TUKANG KAYU", "TUKANG KAYU"},
	{"28", "TUKANG SOL SEPATU", "TUKANG SOL SEPATU"},
	{"29", "TUKANG LAS/PANDAI BESI", "TUKANG LAS/PANDAI BESI"},
	{"30", "TUKANG JAHIT", "TUKANG JAHIT"},
	{"31", "TUKANG GIGI", "TUKANG GIGI"},
	{"32", "PENATA RIAS", "PENATA RIAS"},
	{"33", "PENATA BUSANA", "PENATA BUSANA"},
	{"34", "PENATA RAMBUT", "PENATA RAMBUT"},
	{"35", "MEKANIK", "MEKANIK"},
	{"36", "SENIMAN", "SENIMAN"},
	{"37", "TABIB", "TABIB"},
	{"38", "PARAJI", "PARAJI"},
	{"39", "PERANCANG BUSANA", "PERANCANG BUSANA"},
	{"40", "PENTERJEMAH", "PENTERJEMAH"},
	{"41", "IMAM MASJID", "IMAM MASJID"},
	{"42", "PENDETA", "PENDETA"},
	{"43", "PASTOR", "PASTOR"},
	{"44", "WARTAWAN", "WARTAWAN"},
	{"45", "USTADZ/MUBALIGH", "USTADZ/MUBALIGH"},
	{"46", "JURU MASAK", "JURU MASAK"},
	{"47", "PROMOTOR ACARA", "PROMOTOR ACARA"},
	{"48", "ANGGOTA DPR-RI", "ANGGOTA DPR-RI"},
	{"49", "ANGGOTA DPD", "ANGGOTA DPD"},
	{"50", "ANGGOTA BPK", "ANGGOTA BPK"},
	{"51", "PRESIDEN", "PRESIDEN"},
	{"52", "WAKIL PRESIDEN", "WAKIL PRESIDEN"},
	{"53", "ANGGOTA MAHKAMAH KONSTITUSI", "ANGGOTA MAHKAMAH KONSTITUSI"},
	{"54", "ANGGOTA KABINET KEMENTERIAN", "ANGGOTA KABINET KEMENTERIAN"},
	{"55", "DUTA BESAR", "DUTA BESAR"},
	{"56", "GUBERNUR", "GUBERNUR"},
	{"57", "WAKIL GUBERNUR", "WAKIL GUBERNUR"},
	{"58", "BUPATI", "BUPATI"},
	{"59", "WAKIL BUPATI", "WAKIL BUPATI"},
	{"60", "WALIKOTA", "WALIKOTA"},
	{"61", "WAKIL WALIKOTA", "WAKIL WALIKOTA"},
	{"62", "ANGGOTA DPRD PROVINSI", "ANGGOTA DPRD PROVINSI"},
	{"63", "ANGGOTA DPRD KABUPATEN/KOTA", "ANGGOTA DPRD KABUPATEN/KOTA"},
	{"64", "DOSEN", "DOSEN"},
	{"65", "GURU", "GURU"},
	{"66", "PILOT", "PILOT"},
	{"67", "PENGACARA", "PENGACARA"},
	{"68", "NOTARIS", "NOTARIS"},
	{"69", "ARSITEK", "ARSITEK"},
	{"70", "AKUNTAN", "AKUNTAN"},
	{"71", "KONSULTAN", "KONSULTAN"},
	{"72", "DOKTER", "DOKTER"},
	{"73", "BIDAN", "BIDAN"},
	{"74", "PERAWAT", "PERAWAT"},
	{"75", "APOTEKER", "APOTEKER"},
	{"76", "PSIKIATER/PSIKOLOG", "PSIKIATER/PSIKOLOG"},
	{"77", "PENYIAR TELEVISI", "PENYIAR TELEVISI"},
	{"78", "PENYIAR RADIO", "PENYIAR RADIO"},
	{"79", "PELAUT", "PELAUT"},
	{"80", "PENELITI", "PENELITI"},
	{"81", "SOPIR", "SOPIR"},
	{"82", "PIALANG", "PIALANG"},
	{"83", "PARANORMAL", "PARANORMAL"},
	{"84", "PEDAGANG", "PEDAGANG"},
	{"85", "PERANGKAT DESA", "PERANGKAT DESA"},
	{"86", "KEPALA DESA", "KEPALA DESA"},
	{"87", "BIARAWATI", "BIARAWATI"},
	{"88", "WIRASWASTA", "WIRASWASTA"},
	{"89", "LAINNYA", "LAINNYA"},
	END,
};

enum conv {
	CV_NONE,  /* the cell as it is */
	CV_DASH,  /* "-" (OpenSID's empty dusun/rw/rt) becomes empty */
	CV_CODE,  /* a code (or its name) of a reference table */
	CV_HEAD,  /* kk_level: decides whether the row is a family's head */
};

/* One column of an OpenSID export: its header, our field (NULL: a column
 * we do not keep) and how its cells are read. */
struct column {
	const char *opensid;
	const char *ours;
	enum conv conv;
	const struct code *codes;
};

/* The penduduk export read as residents. */
static const struct column penduduk_cols[] = {
	{"alamat", NULL, CV_NONE, NULL}, /* the family's address: keluarga.alamat */
	{"dusun", "dusun", CV_DASH, NULL},
	{"rw", "rw", CV_DASH, NULL},
	{"rt", "rt", CV_DASH, NULL},
	{"nama", "nama", CV_NONE, NULL},
	{"no_kk", "no_kk", CV_NONE, NULL},
	{"nik", "nik", CV_NONE, NULL},
	{"sex", "jenis_kelamin", CV_CODE, sex},
	{"tempatlahir", "tempat_lahir", CV_NONE, NULL},
	{"tanggallahir", "tanggal_lahir", CV_NONE, NULL},
	{"agama_id", "agama", CV_CODE, agama},
	{"pendidikan_kk_id", "pendidikan", CV_CODE, pendidikan_kk},
	{"pendidikan_sedang_id", NULL, CV_NONE, NULL},
	{"pekerjaan_id", "pekerjaan", CV_CODE, pekerjaan},
	{"status_kawin", "status_perkawinan", CV_CODE, kawin},
	{"kk_level", NULL, CV_NONE, NULL},
	{"warganegara_id", NULL, CV_NONE, NULL},
	{"ayah_nik", NULL, CV_NONE, NULL},
	{"nama_ayah", NULL, CV_NONE, NULL},
	{"ibu_nik", NULL, CV_NONE, NULL},
	{"nama_ibu", NULL, CV_NONE, NULL},
	{"golongan_darah_id", NULL, CV_NONE, NULL},
	{"akta_lahir", NULL, CV_NONE, NULL},
	{"dokumen_pasport", NULL, CV_NONE, NULL},
	{"tanggal_akhir_paspor", NULL, CV_NONE, NULL},
	{"dokumen_kitas", NULL, CV_NONE, NULL},
	{"akta_perkawinan", NULL, CV_NONE, NULL},
	{"tanggalperkawinan", NULL, CV_NONE, NULL},
	{"akta_perceraian", NULL, CV_NONE, NULL},
	{"tanggalperceraian", NULL, CV_NONE, NULL},
	{"cacat_id", "disabilitas", CV_CODE, cacat},
	{"cara_kb_id", NULL, CV_NONE, NULL},
	{"hamil", NULL, CV_NONE, NULL},
	{"ktp_el", NULL, CV_NONE, NULL},
	{"status_rekam", NULL, CV_NONE, NULL},
	{"alamat_sekarang", NULL, CV_NONE, NULL},
	{"status_dasar", "status", CV_CODE, status_dasar},
	{"suku", NULL, CV_NONE, NULL},
	{"tag_id_card", NULL, CV_NONE, NULL},
	{"id_asuransi", NULL, CV_NONE, NULL},
	{"no_asuransi", NULL, CV_NONE, NULL},
	{"lat", NULL, CV_NONE, NULL},
	{"lng", NULL, CV_NONE, NULL},
	/* older releases' export also had these */
	{"id", NULL, CV_NONE, NULL},
	{"foto", NULL, CV_NONE, NULL},
	{"created_at", NULL, CV_NONE, NULL},
	{"updated_at", NULL, CV_NONE, NULL},
	{NULL, NULL, CV_NONE, NULL},
};

/* The same penduduk export read as families: one per head (kk_level 1). */
static const struct column keluarga_cols[] = {
	{"alamat", "alamat", CV_NONE, NULL},
	{"dusun", "dusun", CV_DASH, NULL},
	{"rw", "rw", CV_DASH, NULL},
	{"rt", "rt", CV_DASH, NULL},
	{"no_kk", "no_kk", CV_NONE, NULL},
	{"nik", "kepala_keluarga", CV_NONE, NULL},
	{"kk_level", NULL, CV_HEAD, hubungan},
	{NULL, NULL, CV_NONE, NULL},
};

/* A programme's "Peserta" sheet: only the NIK is ours; programme, date,
 * form and status are not in it (columns with our field names added to
 * the sheet are read as they are). */
static const struct column penerima_cols[] = {
	{"Peserta", NULL, CV_NONE, NULL},
	{"No. Peserta", NULL, CV_NONE, NULL},
	{"NIK", "nik", CV_NONE, NULL},
	{"Nama", NULL, CV_NONE, NULL},
	{"Tempat Lahir", NULL, CV_NONE, NULL},
	{"Tanggal Lahir", NULL, CV_NONE, NULL},
	{"Alamat", NULL, CV_NONE, NULL},
	{NULL, NULL, CV_NONE, NULL},
};

struct kind {
	const char *type;
	const struct column *cols;
	const char *what;         /* the export, for messages */
	const char *const *needs; /* OpenSID columns that must be there */
	const struct column *rest; /* the export's other columns: ignored */
};

static const char *const penduduk_needs[] = {"nik", "nama", "no_kk", "tanggallahir", "sex",
                                             "status_dasar", NULL};
static const char *const keluarga_needs[] = {"no_kk", "nik", "kk_level", NULL};
static const char *const penerima_needs[] = {"NIK", NULL};

static const struct kind kinds[] = {
	{"penduduk", penduduk_cols, N_("penduduk export"), penduduk_needs, NULL},
	{"keluarga", keluarga_cols, N_("penduduk export"), keluarga_needs, penduduk_cols},
	{"penerima", penerima_cols, N_("programme's Peserta sheet"), penerima_needs, NULL},
};

#define MAX_COLS 1000 /* csvio's limit on cells in a row */

struct lb_profile {
	const struct kind *k;
	const struct lb_type *t;
	size_t n;                       /* header cells */
	const struct column **col;      /* per header cell: OpenSID's column, or NULL */
};

/* Lower-case letters and digits only: "No. Peserta" ~ "nopeserta". */
static bool same_loose(const char *a, const char *b)
{
	for (;;) {
		while (*a && !((*a >= 'a' && *a <= 'z') || (*a >= 'A' && *a <= 'Z') ||
		               (*a >= '0' && *a <= '9')))
			a++;
		while (*b && !((*b >= 'a' && *b <= 'z') || (*b >= 'A' && *b <= 'Z') ||
		               (*b >= '0' && *b <= '9')))
			b++;
		if (!*a || !*b)
			return !*a && !*b;
		char ca = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
		char cb = *b >= 'A' && *b <= 'Z' ? (char)(*b - 'A' + 'a') : *b;
		if (ca != cb)
			return false;
		a++, b++;
	}
}

lb_err lb_profile_open(struct lb_profile **out, const char *name, const char *type,
                       struct lb_diag *d)
{
	char esc[LB_ESC_BUF];
	const struct lb_schema *s = lb_schema_get(lb_schema_latest());
	struct lb_profile *p;

	*out = NULL;
	if (strcmp(name, "opensid") != 0)
		return lb_fail(d, LB_EINVAL, "no import profile \"%s\" (there is: opensid)",
		               lb_escape(esc, name, strlen(name)));
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		if (strcmp(kinds[i].type, type) != 0)
			continue;
		if (!(p = calloc(1, sizeof *p)))
			return lb_fail(d, LB_ENOMEM, "out of memory");
		p->k = &kinds[i];
		p->t = s ? lb_schema_type(s, type) : NULL;
		*out = p;
		return LB_OK;
	}
	return lb_fail(d, LB_ESCHEMA,
	               "the opensid profile reads penduduk, keluarga and penerima, not \"%s\"",
	               lb_escape(esc, type, strlen(type)));
}

lb_err lb_profile_header(struct lb_profile *p, char **cells, size_t n, struct lb_diag *d)
{
	char esc[LB_ESC_BUF];

	if (n > MAX_COLS)
		return lb_fail(d, LB_ETOOBIG, "more than %d columns", MAX_COLS);
	free(p->col);
	if (!(p->col = calloc(n ? n : 1, sizeof *p->col)))
		return lb_fail(d, LB_ENOMEM, "out of memory");
	p->n = n;
	for (const char *const *need = p->k->needs; *need; need++) {
		bool have = false;
		for (size_t i = 0; i < n && !have; i++)
			have = cells[i] && same_loose(cells[i], *need);
		if (!have)
			return lb_fail(d, LB_ESCHEMA,
			               "column \"%s\" of OpenSID's %s is missing: is this an OpenSID file?",
			               *need, _(p->k->what));
	}
	for (size_t i = 0; i < n; i++) {
		const struct column *c = NULL;
		if (!cells[i])
			continue;
		for (const struct column *k = p->k->cols; k->opensid && !c; k++)
			if (same_loose(cells[i], k->opensid))
				c = k;
		bool rest = false;
		for (const struct column *k = p->k->rest; !c && k && k->opensid && !rest; k++)
			rest = same_loose(cells[i], k->opensid);
		if (c) {
			p->col[i] = c;
			cells[i] = (char *)c->ours; /* NULL: ignored */
		} else if (rest) {
			cells[i] = NULL;
		} else if (p->t && lb_type_field(p->t, cells[i], strlen(cells[i]))) {
			/* one of our fields, added by hand: read as it is */
		} else if (!strcmp(cells[i], "id") || !strcmp(cells[i], LB_CSV_REASON_COLUMN)) {
			/* the record id, and the rejects file's reason: as they are */
		} else {
			return lb_fail(d, LB_ESCHEMA,
			               "column %zu \"%s\" is neither a column of OpenSID's %s nor a "
			               "field of %s",
			               i + 1, lb_escape(esc, cells[i], strlen(cells[i])), _(p->k->what),
			               p->k->type);
		}
	}
	return LB_OK;
}

/* The entry of codes whose id or name the cell is, or NULL. */
static const struct code *lookup(const struct code *codes, const char *cell)
{
	for (const struct code *c = codes; c->id; c++)
		if (!strcmp(cell, c->id) || same_loose(cell, c->name))
			return c;
	return NULL;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Append "; " and a problem to d's message (every problem of a row at once). */
static void add_problem(struct lb_diag *d, size_t *used, const char *msg)
{
	if (!d)
		return;
	size_t left = sizeof d->msg - *used;
	int w = snprintf(d->msg + *used, left, "%s%s", *used ? "; " : "", msg);
	if (w < 0)
		return;
	*used += (size_t)w < left ? (size_t)w : left - 1;
}

lb_err lb_profile_row(struct lb_profile *p, char **cells, size_t n, struct lb_diag *d)
{
	char esc[LB_ESC_BUF], one[LB_DIAG_MAX];
	size_t used = 0;
	bool head = true, bad = false;

	for (size_t i = 0; i < n && i < p->n; i++) {
		const struct column *c = p->col[i];
		const struct code *code;
		if (!c || !cells[i])
			continue;
		/* blanks around a cell are the value reader's, but codes are compared here */
		const char *cell = cells[i];
		while (*cell == ' ' || *cell == '\t')
			cell++;
		size_t len = strlen(cell);
		while (len && (cell[len - 1] == ' ' || cell[len - 1] == '\t'))
			len--;
		if (len == 0)
			continue;
		if (len == 1 && cell[0] == '-' && (c->conv == CV_DASH || c->conv == CV_CODE)) {
			cells[i] = ""; /* OpenSID's "none" */
			continue;
		}
		if (c->conv != CV_CODE && c->conv != CV_HEAD)
			continue;
		char buf[128];
		if (len >= sizeof buf) {
			code = NULL;
			buf[0] = '\0';
		} else {
			memcpy(buf, cell, len);
			buf[len] = '\0';
			code = lookup(c->codes, buf);
		}
		if (c->conv == CV_HEAD) {
			if (!code) {
				snprintf(one, sizeof one, _("%s \"%s\" is not a code of OpenSID's %s"),
				         c->opensid, lb_escape(esc, cell, len), "tweb_penduduk_hubungan");
				add_problem(d, &used, one);
				bad = true;
			} else {
				head = code->ours[0] == '1';
			}
			continue;
		}
		if (code && code->ours) {
			cells[i] = (char *)code->ours;
		} else if (code) {
			snprintf(one, sizeof one,
			         _("%s %s (\"%s\") has no certain counterpart in %s: write it yourself "
			           "or leave the cell empty"),
			         c->opensid, code->id, code->name, c->ours);
			add_problem(d, &used, one);
			bad = true;
		} else if (all_digits(buf)) {
			snprintf(one, sizeof one, _("%s %s is not a code OpenSID uses"), c->opensid,
			         lb_escape(esc, cell, len));
			add_problem(d, &used, one);
			bad = true;
		}
		/* any other text: a name typed by hand, read as typed (schema aliases) */
	}
	if (bad) {
		if (d)
			d->code = LB_ESCHEMA;
		return LB_ESCHEMA;
	}
	if (!head)
		return lb_fail(d, LB_ENOTFOUND, "not the head of the family (kk_level is not 1)");
	return LB_OK;
}

void lb_profile_free(struct lb_profile *p)
{
	if (!p)
		return;
	free(p->col);
	free(p);
}
