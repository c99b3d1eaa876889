/*
 * backup.h — a consistent, compacted copy of a node's or an aggregator's
 * directory while it keeps running, as one tar archive (POSIX pax, written
 * with libarchive): `lumbung backup` and `lumbung-agg backup`.
 *
 * Every LMDB environment under the directory (a directory holding
 * data.mdb: the store itself, a village's catalogue replicas, an
 * aggregator's own catalogue and the catalogues it relays) is copied with
 * LMDB's compacting copy (mdb_env_copyfd2, MDB_CP_COMPACT), which reads one
 * snapshot in one read transaction: writers go on, and the copy is that
 * snapshot exactly.  lock.mdb and names starting with "." (temporary
 * files) are left out; every other regular file (public keys, lumbung.conf
 * / agg.conf, a catalogue's "checked" stamp, an aggregator's agg.key) is
 * copied as it is, with its mode.  Files named in `skip` (e.g. node.key)
 * are left out wherever they are.
 *
 * Restoring is `mkdir -m 700 NEWDIR && tar -xf FILE -C NEWDIR`: the
 * archive's names are relative to the directory (data.mdb,
 * catalogue/33.24/data.mdb, ...).
 *
 * Nothing in the directory is written: environments are opened MDB_RDONLY
 * (LMDB's lock file excepted, which every reader takes a slot in, unless
 * the filesystem is read-only).
 */
#ifndef LB_BACKUP_H
#define LB_BACKUP_H

#include <stdint.h>

#include "../schema/err.h"

/* What a backup held. */
struct lb_backup_stats {
	unsigned envs;  /* LMDB environments copied */
	unsigned files; /* other files copied */
	unsigned skipped; /* files left out because skip named them */
	uint64_t bytes; /* bytes of the copies and files (before tar's headers) */
};

/* Write the tar of dir to fd (left open; fsync'd when it is a regular
 * file, so a full disk shows here and not later).  Each compacted copy is
 * made first in an unlinked temporary file in tmpdir (NULL: $TMPDIR, else
 * /tmp), as a tar entry's size comes before its bytes; tmpdir needs room
 * for the largest compacted database.  skip: NULL-terminated file names
 * to leave out, or NULL.  *st (may be NULL) is filled as far as it got.
 * The caller ignores SIGPIPE, so that a closed pipe is an error here and
 * not the end of the process.
 *
 * Errors: LB_ENOTFOUND (dir holds no data.mdb), LB_EFULL (the output's
 * or the temporary file's disk is full), LB_EIO (the output was closed
 * before the end, e.g. `| head`; a file could not be read; another write
 * error: the message says which), LB_ECORRUPT / LB_ESTORE (LMDB's),
 * LB_ENOMEM.  On error what the output holds is no backup (it may end
 * at an entry's boundary, which tar does not notice): say so and throw it
 * away. */
lb_err lb_backup_write(const char *dir, int fd, const char *tmpdir, const char *const *skip,
                       struct lb_backup_stats *st, struct lb_diag *d);

#endif
