/*
 * node.h — a village node: one LMDB environment holding the change log,
 * the current state of every record, the signed heads and node metadata.
 *
 * Layout (named databases, docs/FORMAT.md):
 *
 *   log      seq (u64 big-endian)  -> canonical entry (entry.h)
 *   records  type NUL id           -> seq (u64 BE) || flag (0 live, 1 deleted)
 *   heads    seq (u64 BE)          -> signed head (head.h) covering seq
 *   meta     name                  -> village, name, origin, schema, tip, merkle
 *
 * The records db points into the log instead of copying bodies: current
 * state is "the last entry for this key", so keeping only its seq makes the
 * state a pure function of the log (and verify can prove it is).
 *
 * Invariants, kept by lb_node_write in one LMDB write transaction:
 *   - log keys are 1..n with no gaps; entry k's prev is the hash of entry k-1;
 *   - timestamps strictly increase; every transaction ends with a signed head
 *     for its last entry (and long ones get one every LB_HEAD_EVERY entries),
 *     so the last entry is always covered by a head;
 *   - records[key] names the last entry for key.
 * LMDB serialises write transactions across processes, and every write reads
 * the tip inside its own transaction, so several processes (the operator's
 * CLI and a sync daemon) can write one node and still form a single chain.
 *
 * Thread safety: one struct lb_node per process per directory (an LMDB
 * rule); calls on one handle must not run concurrently.
 */
#ifndef LB_NODE_H
#define LB_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../schema/err.h"
#include "../schema/text.h"
#include "entry.h"
#include "head.h"
#include "key.h"

#define LB_NODE_NAME_MAX 128
/* Entries per signed head inside one long transaction (see write.c). */
#define LB_HEAD_EVERY 256 /* about 70 KiB of typical entries: a 2G-sized change set */

struct lb_node;

struct lb_node_opts {
	size_t map_size;  /* initial LMDB map size in bytes; 0: 1 GiB. It grows
	                     by doubling whenever it fills. */
	bool read_only;   /* do not load the secret key (its mode is still checked);
	                     writes fail LB_EINVAL */
	bool replica;     /* a replica (lb_node_init_replica): open for writing
	                     without a secret key; node.pub must be the node's
	                     origin.  lb_node_write refuses (LB_EINVAL); only
	                     lb_node_adopt(_ex) changes it */
};

/* Create a new node in dir (created 0700 if missing; must not already hold
 * a node): key pair (node.key 0600, node.pub), LMDB environment and meta.
 * village must be a desa code; name may be NULL.  The origin public key is
 * returned in origin.  LB_EINVAL (bad code/name), LB_EEXIST, LB_EIO. */
lb_err lb_node_init(const char *dir, const char *village, const char *name,
                    uint8_t origin[LB_PK_BYTES], struct lb_diag *d);

/* lb_node_init with a given key pair (key: NULL makes a new one, as
 * lb_node_init): a key brought back from its backup (node/keybackup.h) or
 * a new key a succession will tie to an old chain.  The node starts with
 * an empty log; lb_node_adopt fills it from a verified archive.  village
 * is any log owner code (lb_log_owner_ok): a desa, or the kabupaten or
 * kecamatan whose catalogue this node keeps (an aggregator's). */
lb_err lb_node_init_key(const char *dir, const char *village, const char *name,
                        const struct lb_key *key, uint8_t origin[LB_PK_BYTES], struct lb_diag *d);

/* A replica of another party's log in dir: node.pub = pk (the owner's
 * key), no node.key; owner is any owner code (lb_log_owner_ok).  Open it
 * with opts.replica to adopt the owner's signed log into it (adopt.h).
 * Errors as lb_node_init_key. */
lb_err lb_node_init_replica(const char *dir, const char *owner, const uint8_t pk[LB_PK_BYTES],
                            struct lb_diag *d);

/* Open an existing node.  opts may be NULL for defaults.  Unless read_only,
 * the secret key is loaded (and refused with LB_EPERM if others can read
 * it).  LB_ENOTFOUND when dir holds no node.  Close with lb_node_close. */
lb_err lb_node_open(struct lb_node **out, const char *dir, const struct lb_node_opts *opts,
                    struct lb_diag *d);

/* Close and free; wipes the secret key.  NULL is allowed. */
void lb_node_close(struct lb_node *n);

struct lb_node_info {
	char village[LB_VILLAGE_LEN + 1];
	char name[LB_NODE_NAME_MAX + 1];
	uint8_t origin[LB_PK_BYTES];
	uint32_t schema;             /* schema version new entries get */
	uint64_t seq;                /* last seq, 0 when the log is empty */
	uint8_t hash[LB_HASH_BYTES]; /* hash of entry seq (zeros when empty) */
	uint8_t root[LB_HASH_BYTES]; /* Merkle root over entries 1..seq */
	uint64_t ts;                 /* HLC of entry seq */
	uint64_t records;            /* live records */
};

/* Fill info from the node's metadata.  LB_ESTORE/LB_ECORRUPT on failure. */
lb_err lb_node_info(struct lb_node *n, struct lb_node_info *info, struct lb_diag *d);

/* One change requested by a writer (becomes one entry).  Pointers are borrowed for the call. */
struct lb_change {
	enum lb_op op;
	const char *type;    /* NUL-terminated */
	const char *id;
	size_t id_len;
	const uint8_t *body; /* canonical map (body.h), ignored for del */
	size_t body_len;
};

struct lb_commit {
	uint64_t first_seq;    /* first entry written (0 if none)       */
	uint64_t last_seq;     /* last entry written / the signed head  */
	size_t written;        /* entries appended                      */
	size_t unchanged;      /* ops skipped by LB_WRITE_SKIP_UNCHANGED */
	size_t cascaded;       /* dels added by LB_WRITE_CASCADE        */
	size_t failed_op;      /* on error: index of the op at fault, or
	                          LB_FAILED_TXN when no op is (the commit
	                          failed: disk full, I/O error)          */
};
#define LB_FAILED_TXN ((size_t)-1)

/* Skip puts whose body equals the current body, and dels of records that
 * are absent or deleted, instead of writing (or refusing) them. */
#define LB_WRITE_SKIP_UNCHANGED 1u
/* A del of a record that live records refer to (a programme's penerima
 * and kegiatan, a resident heading a keluarga) deletes them too, in the
 * same transaction, instead of being refused (node/consistency.h). */
#define LB_WRITE_CASCADE 2u

/* Apply ops in one transaction: append one entry per op, update records,
 * sign one head for the last entry.  Every put is validated against the
 * newest built-in schema (references resolved inside the transaction)
 * and the consistency rules (node/consistency.h: NIK against birth date
 * and sex, no birth date in the future, a keluarga's head a live
 * resident, one NIK once per programme); a del of a record live records
 * refer to is refused (LB_ESCHEMA) unless LB_WRITE_CASCADE.
 * All or nothing: on any error nothing is written and c->failed_op names
 * the op at fault.  A full map is grown and the transaction retried; a
 * full disk gives LB_EFULL (also when LMDB reports the short write as an
 * I/O error, see lb_mdb_fail_env), usually with failed_op LB_FAILED_TXN.
 * Errors: LB_EINVAL/LB_ETOOBIG/LB_EMALFORMED (bad op), LB_ESCHEMA,
 * LB_ENOTFOUND (del of a missing record), LB_EFULL, LB_EIO, LB_ESTORE,
 * LB_ENOMEM.  The message names "TYPE ID: ...".  c may be NULL. */
lb_err lb_node_write(struct lb_node *n, const struct lb_change *ops, size_t nops, unsigned flags,
                     struct lb_commit *c, struct lb_diag *d);

/* Streaming writes.  A producer hands changes to the sink one at a time
 * with lb_sink_put, inside one write transaction; the change's pointers
 * need only live for that call.  When lb_sink_put fails the producer must
 * return its error at once.  The producer may be called more than once
 * (after the map was grown, the whole transaction is redone), so it must
 * start from its beginning every time.  Same contract as lb_node_write;
 * c->failed_op counts lb_sink_put calls. */
struct lb_write_sink;
typedef lb_err (*lb_produce_fn)(void *ctx, struct lb_write_sink *sink, struct lb_diag *d);
lb_err lb_node_write_with(struct lb_node *n, lb_produce_fn produce, void *ctx, unsigned flags,
                          struct lb_commit *c, struct lb_diag *d);
lb_err lb_sink_put(struct lb_write_sink *sink, const struct lb_change *change, struct lb_diag *d);

/* True when (type, id) is a live record (a fresh read transaction), or a
 * live record of a catalogue the node holds (catalogue.h): whether a
 * reference to it resolves. */
bool lb_node_exists(struct lb_node *n, const char *type, const char *id, size_t id_len);

/* The current body of (type, id): *body is a malloc'd copy the caller
 * frees with free(); *seq (may be NULL) the entry it came from.
 * LB_ENOTFOUND when absent or deleted (message says which). */
lb_err lb_node_get(struct lb_node *n, const char *type, const char *id, size_t id_len,
                   uint8_t **body, size_t *body_len, uint64_t *seq, struct lb_diag *d);

/* Call cb for every live id of type, in byte order.  The id is borrowed
 * for the call.  cb returns 0 to go on, non-zero to stop (no error). */
typedef int (*lb_id_cb)(void *ctx, const char *id, size_t id_len);
lb_err lb_node_ls(struct lb_node *n, const char *type, lb_id_cb cb, void *ctx,
                  struct lb_diag *d);

/* The stored signed head (signature || message, head.h) of the
 * transaction that ended at seq: *head is a malloc'd copy the caller frees.
 * LB_ENOTFOUND when no transaction ended at seq. */
lb_err lb_node_head(struct lb_node *n, uint64_t seq, uint8_t **head, size_t *len,
                    struct lb_diag *d);

/* Call cb for every live record of type with its current body, in id
 * order, inside one read transaction (a consistent snapshot).  id and body
 * are borrowed for the call.  cb returns 0 to go on, non-zero to stop. */
typedef int (*lb_record_cb)(void *ctx, const char *id, size_t id_len, const uint8_t *body,
                            size_t body_len);
lb_err lb_node_scan(struct lb_node *n, const char *type, lb_record_cb cb, void *ctx,
                    struct lb_diag *d);

/* Call cb for every entry with seq >= since, in order, inside one read
 * transaction.  e, hash and raw are borrowed for the call.  cb returns 0 to
 * go on, non-zero to stop.  LB_ECORRUPT if an entry does not decode. */
typedef int (*lb_entry_cb)(void *ctx, const struct lb_entry *e, const uint8_t hash[LB_HASH_BYTES],
                           const uint8_t *raw, size_t raw_len);
lb_err lb_node_log(struct lb_node *n, uint64_t since, lb_entry_cb cb, void *ctx,
                   struct lb_diag *d);

/* The stored bytes of entries from..to (to 0: to the end), in order, in one
 * read transaction, neither decoded nor hashed (for sending them on).  raw
 * is borrowed for the call; cb returns non-zero to stop. */
typedef int (*lb_raw_cb)(void *ctx, uint64_t seq, const uint8_t *raw, size_t len);
lb_err lb_node_log_raw(struct lb_node *n, uint64_t from, uint64_t to, lb_raw_cb cb, void *ctx,
                       struct lb_diag *d);

struct lb_verify_report {
	uint64_t entries;  /* entries checked */
	uint64_t heads;    /* signed heads checked */
	uint64_t records;  /* state rows checked */
	uint64_t bad_seq;  /* first bad seq, 0 if the failure is not an entry's */
	uint64_t first_ts, last_ts;
	uint8_t root[LB_HASH_BYTES];
	uint64_t successions; /* successions crossed (the key changed; adopt.h) */
};

/* Recompute every entry hash and the chain, every signed head (signature
 * by the chain's key at its seq: after a succession kept in meta, the
 * statement's new key; hash, Merkle root), that the chain ends under this
 * node's own key, and check the records db equals a replay of the log,
 * all in one read transaction (a consistent snapshot even while another
 * process writes).  LB_OK when everything holds; otherwise LB_ECORRUPT or
 * LB_ESIG with the first bad seq in r->bad_seq and the reason in d. */
lb_err lb_node_verify(struct lb_node *n, struct lb_verify_report *r, struct lb_diag *d);

#endif
