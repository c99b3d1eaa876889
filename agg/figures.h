/*
 * figures.h — the aggregator's consolidated figures, kept at ingest.
 *
 * Region-wide reports must not rescan millions of records per question, so
 * every counter a report needs lives in one LMDB database, "figures", and
 * moves in the same write transaction as the consolidated view it comes
 * from: when a view key changes, the old record's contribution is taken
 * off and the new one's added (lb_fig_change).  A refused change set
 * aborts that transaction, so it changes no figure.
 *
 * Every value is an array of signed 64-bit counters, little-endian; a key
 * whose counters are all zero is deleted.  Keys (V = village code, 13
 * bytes; NIK, KK: 16 digits; KODE: programme code):
 *
 *   'C' V                 base counters of the village, LB_FIG_NSLOT slots
 *                         (enum lb_fig_slot)
 *   'O' V pekerjaan       live residents with that occupation ("" for
 *                         none given): [L, P]
 *   'B' V decade (u16 BE) live residents born per month of that decade:
 *                         [combo * 120 + month of decade], combo =
 *                         sex (L 0, P 1) * 2 + ever married (0/1)
 *   'D' V year (u16 BE)   live residents born per day of that year:
 *                         [combo * 372 + (month - 1) * 31 + day - 1]
 *   'P' V KODE            a programme's beneficiary counters
 *                         (enum lb_fig_pslot)
 *   'n' V KODE NUL NIK    penerima records of that programme and NIK: [n]
 *   'k' V KODE NUL KK     penerima records of that programme and KK: [n]
 *   'r' V NIK             programmes the NIK receives in the village: [n]
 *   'X' V KODE NUL NIK    flag [1]: the NIK is named twice or more in the
 *                         programme
 *   'M' V NIK             flag [1]: the NIK receives two programmes or more
 *   'G' NIK[0..10)        the NIKs starting so (region and birth day:
 *                         a bucket of tens) and the villages where each is
 *                         a live resident, sorted: NIK[10..16) * 10^10 +
 *                         village number (PPKKCCDDDD as an integer)
 *   'H' NIK               flag [1]: 'G' holds two villages or more
 *
 * "Live resident" means a live penduduk record with status hidup.
 * Birth dates are kept by month and by day so an age on any date is
 * exact (lb_fig_ages); the month arrays keep a report O(villages).
 */
#ifndef LB_FIG_H
#define LB_FIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lmdb.h>

#include "../schema/err.h"
#include "../schema/text.h"

/* ---- layout ---------------------------------------------------------- */

/* Values of the enum fields counted per sex; the last slot of each is
 * "not given" (and any value a later schema adds). */
#define LB_FIG_AGAMA_N 8       /* islam .. kepercayaan, tidak diisi */
#define LB_FIG_PENDIDIKAN_N 11 /* tidak_belum_sekolah .. s3, tidak diisi */
#define LB_FIG_KAWIN_N 5       /* belum_kawin .. cerai_mati, tidak diisi */
#define LB_FIG_DIS_N 3         /* ya, tidak, tidak diisi */
#define LB_FIG_STATUS_N 3      /* hidup, pindah, meninggal */
#define LB_FIG_ASP_N 6         /* diusulkan .. ditolak, lainnya */
#define LB_FIG_PEN_N 6         /* diusulkan .. dibatalkan, lainnya */
#define LB_FIG_NTYPES 7        /* penduduk .. aspirasi */

extern const char *const lb_fig_types[LB_FIG_NTYPES];
extern const char *const lb_fig_agama[LB_FIG_AGAMA_N - 1];
extern const char *const lb_fig_pendidikan[LB_FIG_PENDIDIKAN_N - 1];
extern const char *const lb_fig_kawin[LB_FIG_KAWIN_N - 1];
extern const char *const lb_fig_status[LB_FIG_STATUS_N];
extern const char *const lb_fig_asp[LB_FIG_ASP_N - 1];
extern const char *const lb_fig_pen[LB_FIG_PEN_N - 1];

/* Slots of the 'C' array.  Per-sex blocks hold [value * 2 + sex]. */
enum lb_fig_slot {
	LB_FS_TYPE = 0,                                        /* live records per type */
	LB_FS_STATUS = LB_FS_TYPE + LB_FIG_NTYPES,             /* all penduduk, per sex */
	LB_FS_AGAMA = LB_FS_STATUS + 2 * LB_FIG_STATUS_N,      /* live residents, per sex */
	LB_FS_PENDIDIKAN = LB_FS_AGAMA + 2 * LB_FIG_AGAMA_N,
	LB_FS_KAWIN = LB_FS_PENDIDIKAN + 2 * LB_FIG_PENDIDIKAN_N,
	LB_FS_DIS = LB_FS_KAWIN + 2 * LB_FIG_KAWIN_N,
	LB_FS_ASP = LB_FS_DIS + 2 * LB_FIG_DIS_N,             /* aspirasi per status */
	LB_FS_PEN = LB_FS_ASP + LB_FIG_ASP_N,                 /* penerima per status */
	LB_FS_MULTI = LB_FS_PEN + LB_FIG_PEN_N,               /* NIKs with 'M' set */
	LB_FIG_NSLOT
};

/* Slots of a 'P' array. */
enum lb_fig_pslot {
	LB_FP_RECORDS,  /* penerima records */
	LB_FP_NIKS,     /* distinct NIKs */
	LB_FP_KK,       /* distinct KK numbers (records that give one) */
	LB_FP_NILAI,    /* sum of nilai (rupiah) where given */
	LB_FP_NILAI_N,  /* records giving nilai */
	LB_FP_DUP,      /* NIKs named twice or more */
	LB_FP_DISALUR,  /* records with status disalurkan */
	LB_FIG_NPSLOT
};

#define LB_FIG_DECADE_MONTHS 120
#define LB_FIG_COMBOS 4
#define LB_FIG_YEAR_DAYS 372 /* 12 x 31 */

/* ---- keeping the figures (the aggregator's ingest) ------------------- */

/* Changes of one write transaction, collected in memory and written in
 * key order by lb_fig_flush. */
struct lb_fig_batch;

/* False when LUMBUNG_AGG_NO_FIGURES is set (benchmark baseline only: the
 * figures then go stale and verify-figures says so). */
bool lb_fig_enabled(void);

/* A batch on txn: figures in dbi fig, entries read from dbi replica (keys
 * origin || seq as the view's values).  NULL on out of memory. */
struct lb_fig_batch *lb_fig_batch_new(MDB_txn *txn, MDB_dbi fig, MDB_dbi replica);
void lb_fig_batch_free(struct lb_fig_batch *b);

/* The view key vkey (village NUL type NUL id) changes from old (the view
 * value before, origin || seq; NULL when absent) to the record body
 * new_body (the checked entry's body, a canonical msgpack map: the ingest
 * passes what it decoded, so the entry is not parsed again; NULL when the
 * record is deleted).  Reads the old entry from the replica inside the
 * transaction.  Returns 0, an LMDB code, MDB_CORRUPTED when a key, entry
 * or body cannot be read, or ENOMEM. */
int lb_fig_change(struct lb_fig_batch *b, const MDB_val *vkey, const MDB_val *old,
                  const MDB_val *new_body);

/* Write every changed figure (deleting all-zero ones).  0 or an LMDB
 * code. */
int lb_fig_flush(struct lb_fig_batch *b);

/* The contribution of one record body (canonical msgpack map) of type in
 * village, times sign (+1 add, -1 remove), into b.  The delta logic on
 * its own, for lb_fig_change, verification and unit tests.  0, ENOMEM,
 * or MDB_CORRUPTED when the body is not a map, or an LMDB code when a
 * figure could not be read. */
int lb_fig_record(struct lb_fig_batch *b, const char *village, const char *type, size_t type_len,
                  const uint8_t *body, size_t body_len, int sign);

/* Counters of key in b (loading them from the transaction, or zeros);
 * *n gets their number.  NULL when absent or on error.  For tests and
 * verification; the pointer is valid until the next call on b. */
const int64_t *lb_fig_peek(struct lb_fig_batch *b, const void *key, size_t klen, size_t *n);

/* Recompute every figure from the consolidated view (dbi view, entries in
 * replica) and compare with dbi fig, all in txn.  LB_OK when they agree;
 * LB_ECORRUPT naming the first difference (the key, in readable form, and
 * both values) otherwise; LB_ENOMEM, LB_ESTORE. */
lb_err lb_fig_verify(MDB_txn *txn, MDB_dbi fig, MDB_dbi view, MDB_dbi replica, uint64_t *keys,
                     struct lb_diag *d);

/* ---- reading (the reports) ------------------------------------------- */

/* The counters stored under key, into out[0..max) (zeros past what is
 * stored); *n (may be NULL) gets the stored count.  0, MDB_NOTFOUND (all
 * zeros), or an LMDB code. */
int lb_fig_get(MDB_txn *txn, MDB_dbi fig, const void *key, size_t klen, int64_t *out, size_t max,
               size_t *n);

/* Age bands: 0-4, 5-9, ..., 70-74, 75+. */
#define LB_FIG_AGE_BANDS 16
struct lb_fig_ages {
	int64_t band[LB_FIG_AGE_BANDS][2]; /* [band][sex] */
	int64_t unborn[2];                 /* born after the date asked */
	int64_t ktp[2];                    /* KTP-wajib: 17 or older, or ever married */
};

/* Live residents of village by age on y-m-d: reads the 'B' arrays and,
 * for the birth months where the day decides the band, the 'D' arrays.
 * married[2] (per sex, ever married) comes from the 'C' array the caller
 * already read.  0 or an LMDB code. */
int lb_fig_ages(MDB_txn *txn, MDB_dbi fig, const char *village, int y, int m, int d,
                const int64_t married[2], struct lb_fig_ages *out);

/* Key builders: write the key into k (room for 1 + 13 + 2 * LB_ID_MAX +
 * 2 bytes) and return its length. */
#define LB_FIG_KEY_MAX (1 + LB_VILLAGE_LEN + 2 * LB_ID_MAX + 2)
size_t lb_fig_key(uint8_t *k, char tag, const char *village, const void *rest, size_t rest_len);

/* A village code as the integer the 'G' arrays hold, and back (out: 14
 * bytes).  -1 when code is not a desa code.  A 'G' element is
 * lb_fig_nik_suffix(nik) * LB_FIG_VILLAGE_MOD + village number. */
#define LB_FIG_VILLAGE_MOD 10000000000LL
int64_t lb_fig_nik_suffix(const char nik[16]);
int64_t lb_fig_village_num(const char *code);
void lb_fig_village_str(int64_t num, char out[LB_VILLAGE_LEN + 1]);

#endif
