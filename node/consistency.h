/*
 * consistency.h — the rules between fields and between records that the
 * node applies to NEW writes (lb_node_write, inside its transaction), on
 * top of the schema's per-field rules:
 *
 *   1. penduduk: the NIK's birth date (digits 7-12, DDMMYY, 40 added to
 *      the day for women) agrees with tanggal_lahir and jenis_kelamin;
 *   2. penduduk: tanggal_lahir is not after today (local date);
 *   3. keluarga: kepala_keluarga is a live penduduk whose status is hidup;
 *   4. penerima: one NIK once per programme (among live penerima);
 *   5. a del is refused while live records refer to the record (every
 *      ref(TYPE) field, and keluarga.kepala_keluarga -> penduduk), or,
 *      with LB_WRITE_CASCADE, deletes them too in the same transaction.
 *
 * History already written is never judged again: the aggregator and
 * auditors check the schema only (an entry stays valid whatever these
 * rules become), and `lumbung verify` reports references of live records
 * that point at nothing (lb_node_dangling).
 *
 * Rules 4 and 5 use an index kept in the node's LMDB environment (named
 * db "idx", dupsort), updated in the same transaction as the entries:
 *   'r' TARGET_TYPE NUL TARGET_ID -> SOURCE_TYPE NUL SOURCE_ID
 *   'u' PROGRAM NUL NIK           -> PENERIMA_ID
 * Rows are candidates: each is confirmed against the record's current
 * body before it counts, so a row left by an update or a del is harmless.
 * meta "idx" = seq (u64 BE) || hash of that entry: how far the index has
 * read the log.  Whoever appended without indexing (adoption, restore,
 * an older lumbung) leaves it behind, and the next write reads the rest of
 * the log first; if the entry at that seq is another one (the history was
 * replaced), the index is rebuilt from the whole log.
 *
 * Private to node/ (write.c, cli.c).
 */
#ifndef LB_CONSISTENCY_H
#define LB_CONSISTENCY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../schema/err.h"
#include "../schema/schema.h"
#include "node_int.h"

/* ---- field rules (no node needed) ---------------------------------------- */

/* Rule 1: nik (16 digits, already checked by the schema) against the birth
 * date "YYYY-MM-DD" and the sex "L"/"P".  Every disagreement is named in
 * one message.  LB_ESCHEMA. */
lb_err lb_cons_nik_agrees(const char *nik, size_t nik_len, const char *date, size_t date_len,
                          const char *sex, size_t sex_len, struct lb_diag *d);

/* Rule 2: date "YYYY-MM-DD" is not after today "YYYY-MM-DD".  LB_ESCHEMA. */
lb_err lb_cons_not_future(const char *field, const char *date, size_t date_len,
                          const char today[11], struct lb_diag *d);

/* Today's local date as "YYYY-MM-DD" (TZ).  Returns out. */
char *lb_cons_today(char out[11]);

/* The type a field refers to: f->ref for ref(TYPE) fields, "penduduk" for
 * keluarga.kepala_keluarga, else NULL. */
const char *lb_cons_ref_target(const struct lb_type *t, const struct lb_field *f);

/* ---- inside a write transaction (write.c) -------------------------------- */

struct lb_cons {
	struct lb_node *n;
	MDB_txn *txn;
	MDB_dbi idx;
	const struct lb_schema *schema;
	char today[11];
	bool dirty; /* the index changed (worth committing even with no entry) */
	int *mdbrc; /* where an LMDB failure is left, so a full map is retried */
};

/* Open the index in txn and bring it up to the log's tip (seq, hash).
 * LB_ESTORE/LB_EFULL (code also in *mdbrc), LB_ECORRUPT. */
lb_err lb_cons_begin(struct lb_cons *c, struct lb_node *n, MDB_txn *txn,
                     const struct lb_schema *schema, uint64_t seq,
                     const uint8_t hash[LB_HASH_BYTES], int *mdbrc, struct lb_diag *d);

/* Rules 1-4 for a put the schema has accepted (id is the record's id).
 * LB_ESCHEMA naming the rule; LMDB failures as above. */
lb_err lb_cons_check_put(struct lb_cons *c, const char *type, const char *id, size_t id_len,
                         const uint8_t *body, size_t body_len, struct lb_diag *d);

/* Index a put just appended.  LMDB failures as above. */
lb_err lb_cons_index_put(struct lb_cons *c, const char *type, size_t type_len, const char *id,
                         size_t id_len, const uint8_t *body, size_t body_len,
                         struct lb_diag *d);

/* A live record that refers to another. */
struct lb_cons_ref {
	char type[LB_TYPE_MAX + 1];
	char id[LB_ID_MAX + 1];
	size_t id_len;
	const char *field; /* borrowed from the schema */
};

/* The live records referring to (type, id), in index order: *out is a
 * malloc'd array of *nout the caller frees (NULL when none).  LB_ENOMEM,
 * LMDB failures as above. */
lb_err lb_cons_referrers(struct lb_cons *c, const char *type, const char *id, size_t id_len,
                         struct lb_cons_ref **out, size_t *nout, struct lb_diag *d);

/* Rule 5's refusal: "N live records refer to it: penerima X (program),
 * ...; ..." listing up to 10.  Returns LB_ESCHEMA. */
lb_err lb_cons_refuse_del(const struct lb_cons_ref *refs, size_t n, struct lb_diag *d);

/* Record that the index has read the log up to (seq, hash). */
lb_err lb_cons_mark(struct lb_cons *c, uint64_t seq, const uint8_t hash[LB_HASH_BYTES],
                    struct lb_diag *d);

/* ---- before a write (import's first pass) --------------------------------- */

/* Rules 1-4 for one put against the node's committed state (a read
 * transaction), without writing: what lb_node_write would refuse, so an
 * import can name every refused row before writing anything (and skip
 * them with --skip-invalid).  Rule 4 is checked only when the index is up
 * to date with the log (otherwise the write still refuses).  Records put
 * earlier in the same import are not seen: a family card whose head is in
 * the same file, or a NIK twice in one file, is found by the write.
 * LB_ESCHEMA naming the rule (the caller prefixes "TYPE ID: "); LB_ESTORE. */
lb_err lb_node_check_put(struct lb_node *n, const char *type, const char *id, size_t id_len,
                         const uint8_t *body, size_t body_len, struct lb_diag *d);

/* ---- verify ----------------------------------------------------------------- */

/* A reference of a live record that points at nothing. */
struct lb_dangling {
	const char *type, *id; /* NUL-terminated, borrowed for the call */
	size_t id_len;
	const char *field;
	const char *target_type;
	const char *target_id;   /* NUL-terminated, borrowed for the call */
	bool deleted;            /* the target existed and was deleted */
};
typedef int (*lb_dangling_cb)(void *ctx, const struct lb_dangling *x);

/* Call cb for every reference of a live record (the fields of
 * lb_cons_ref_target) whose target is not a live record (nor, for a
 * programme, one of a catalogue the node holds), in records order, in one
 * read transaction.  *count (may be NULL) gets how many.  cb returns
 * non-zero to stop.  LB_ESTORE, LB_ECORRUPT. */
lb_err lb_node_dangling(struct lb_node *n, lb_dangling_cb cb, void *ctx, uint64_t *count,
                        struct lb_diag *d);

#endif
