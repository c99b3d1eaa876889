/*
 * lmdb_err.h — LMDB return codes as lb_err, for every layer that keeps an
 * LMDB environment (the node, the aggregator).
 */
#ifndef LB_LMDB_ERR_H
#define LB_LMDB_ERR_H

#include <lmdb.h>
#include <stdbool.h>
#include <stdint.h>

#include "../schema/err.h"

/* Record rc (an LMDB or errno code) in d with a message naming what
 * failed, and return the lb_err for it: ENOSPC -> LB_EFULL, I/O,
 * permission and a read-only filesystem (EROFS, said in those words) ->
 * LB_EIO, corruption -> LB_ECORRUPT, else LB_ESTORE. */
lb_err lb_mdb_fail(struct lb_diag *d, int rc, const char *what);

/* Free space under which a failed write counts as a full disk (bytes). */
#define LB_FULL_BELOW ((uint64_t)1 << 20)

/* lb_mdb_fail for a failure of a write to env (a commit, a page spill):
 * LMDB reports a write the disk ran out of room in the middle of as EIO,
 * so an EIO while the filesystem holding env has less than LB_FULL_BELOW
 * bytes free is taken as ENOSPC (LB_EFULL, "disk full").  env may be NULL. */
lb_err lb_mdb_fail_env(struct lb_diag *d, MDB_env *env, int rc, const char *what);

/* Create *env and open the environment in dir with maxdbs named databases
 * and (map_size != 0) that map size.  read_only opens it MDB_RDONLY and,
 * when the lock file cannot be opened or created (EROFS, EACCES: a
 * read-only filesystem), MDB_RDONLY | MDB_NOLOCK.  On failure *env is
 * NULL and the LMDB/errno code is returned (EROFS for a writer on a
 * read-only filesystem: lb_mdb_fail says "read-only filesystem"). */
int lb_mdb_env_open(MDB_env **env, const char *dir, bool read_only, unsigned maxdbs,
                    size_t map_size);

#endif
