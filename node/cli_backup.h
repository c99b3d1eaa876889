/*
 * cli_backup.h — `lumbung backup -d DIR > FILE` (a consistent, compacted
 * copy of the node while it runs, backup.h) and `lumbung key restore -d
 * DIR FILE` (the secret key, which a backup leaves out, back from its
 * paper backup into a restored node).  Prints and exits like cli.c.
 */
#ifndef LB_CLI_BACKUP_H
#define LB_CLI_BACKUP_H

#include "cli.h"

/* `lumbung backup`: exit status 0, 2 (usage; stdout a terminal), or
 * 2 + lb_err (LB_EFULL for a full disk, LB_EIO for a closed output ...). */
int lb_cli_backup(struct lb_cli_args *a);

/* `lumbung key restore FILE` (a->pos[1]): the key of a key backup written
 * to DIR/node.key of a node restored from a backup, when it is this
 * node's key and DIR has none.  Exit status as lb_cli_backup. */
int lb_cli_key_restore(struct lb_cli_args *a);

#endif
