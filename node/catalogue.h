/*
 * catalogue.h — the catalogues a village holds: read-only copies (replica
 * nodes, node.h lb_node_init_replica) of the signed logs a kabupaten or
 * kecamatan keeps of its programmes and place names (`program`,
 * `wilayah`), one per region, under
 *
 *   DIR/catalogue/<region>/      data.mdb, lock.mdb, node.pub (the
 *                                aggregator's key), checked (the time the
 *                                copy was last found good, decimal Unix
 *                                seconds and a newline)
 *
 * A copy is only ever changed by lb_catalogue_adopt: a verified archive of
 * the aggregator's catalogue, signed by the key the copy was first taken
 * under, that neither forks nor rolls back what is held (adopt.h
 * LB_ADOPT_NO_FORK | LB_ADOPT_NO_ROLLBACK).  Anything else is refused and
 * the copy stays as it was: the last good one.
 *
 * The write path (write.c) asks the catalogues two things: whether a
 * referenced record (a penerima's programme) is a catalogue's, and whether
 * a village `program` put would redefine a catalogue's programme.
 *
 * One process must not open the same copy twice at once (an LMDB rule):
 * the functions here open a copy, use it and close it again.
 */
#ifndef LB_CATALOGUE_H
#define LB_CATALOGUE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "../schema/err.h"
#include "adopt.h"
#include "node.h"

#define LB_CATALOGUE_SUBDIR "catalogue"
#define LB_CATALOGUE_REGION_MAX 8 /* "PP.KK.CC" */

/* True when code is a region a catalogue may belong to: a kabupaten
 * (PP.KK) or kecamatan (PP.KK.CC) code. */
bool lb_catalogue_region_ok(const char *code);

struct lb_catalogue_info {
	char region[LB_CATALOGUE_REGION_MAX + 1];
	uint8_t key[LB_PK_BYTES]; /* the aggregator key it is signed by */
	uint64_t seq;             /* last entry held, 0: none */
	uint64_t ts;              /* that entry's time (HLC), 0: none */
	uint64_t records;         /* live records */
	time_t checked;           /* when the copy was last found good (0: unknown) */
};

/* The copy of region held under dir (a village node directory): ci filled.
 * LB_ENOTFOUND when none is held; LB_EINVAL for a bad region; the store's
 * errors. */
lb_err lb_catalogue_info(const char *dir, const char *region, struct lb_catalogue_info *ci,
                         struct lb_diag *d);

/* Call cb for every copy held under dir, in region order (at most 64);
 * ci is borrowed for the call; cb returns non-zero to stop.  A node
 * without catalogues calls cb never and returns LB_OK.  Directories under
 * DIR/catalogue/ that are not a region code are skipped; a copy that
 * cannot be read fails the walk with its error.  *count (may be NULL)
 * gets how many were seen. */
typedef int (*lb_catalogue_cb)(void *ctx, const struct lb_catalogue_info *ci);
lb_err lb_catalogue_list(const char *dir, lb_catalogue_cb cb, void *ctx, size_t *count,
                         struct lb_diag *d);

/* Open region's copy under dir read-only (lb_node_* reads work on it;
 * writes are refused).  Close with lb_node_close.  LB_ENOTFOUND when
 * none is held. */
lb_err lb_catalogue_open(const char *dir, const char *region, struct lb_node **out,
                         struct lb_diag *d);

/* The first copy (in region order) under dir that holds (type, id) as a
 * live record: its region into region (at least LB_CATALOGUE_REGION_MAX
 * + 1 bytes).  LB_OK found; LB_ENOTFOUND not in any; other errors when a
 * copy cannot be read.  Opens and closes every copy it looks in. */
lb_err lb_catalogue_find(const char *dir, const char *type, const char *id, size_t id_len,
                         char *region, struct lb_diag *d);

/* Adopt an archive of region's catalogue read from f into its copy under
 * dir.  key: the aggregator key the catalogue must be signed by.  A copy
 * not held yet is made (as a replica of key) and removed again if the
 * archive is refused.  Refusals, with the copy unchanged: LB_ESIG (the
 * copy is held under another key, or the archive is not signed by key),
 * LB_EFORK (it differs from what is held), LB_EREFUSED (a rollback: it
 * ends before what is held), LB_EGAP (a tail that does not reach what is
 * held), LB_EWRONG_VILLAGE (another region's log), LB_EMALFORMED,
 * LB_ECORRUPT, LB_ESCHEMA; and the machine's errors.  On success the
 * copy's "checked" time is now and r (may be NULL) says what was taken;
 * *made (may be NULL) is set when the copy was new. */
lb_err lb_catalogue_adopt(const char *dir, const char *region, const uint8_t key[LB_PK_BYTES],
                          FILE *f, struct lb_adopt_report *r, bool *made, struct lb_diag *d);

/* Remove the replica directory path (a copy made by a refused first
 * adopt, holding nothing yet): its files and the directory itself.  The
 * aggregator's replicas (agg/catalogue.c) use it too. */
void lb_catalogue_remove_copy(const char *path);

/* Note that region's copy under dir was found current now (an
 * aggregator offered nothing newer).  LB_ENOTFOUND when none is held;
 * LB_EIO. */
lb_err lb_catalogue_touch(const char *dir, const char *region, struct lb_diag *d);

#endif
