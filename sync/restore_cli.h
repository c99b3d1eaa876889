/*
 * restore_cli.h — `lumbung restore` (sync/restore_cli.c): bring a village
 * node back from its aggregator's copy or an archive on a stick.
 */
#ifndef LB_RESTORE_CLI_H
#define LB_RESTORE_CLI_H

#include "../node/cli.h"

int lb_sync_cmd_restore(struct lb_cli_args *a);

/* For restore and repair: the receipts from agg in the copy f (a log
 * archive, read from its start), checked against n and kept; *kept counts
 * them.  One that does not check is named on stderr under cmd and skipped
 * (the log itself is proven by then).  Errors: the archive reader's. */
#include <stdio.h>
lb_err lb_sync_keep_copy_receipts(const char *cmd, struct lb_node *n, FILE *f,
                                  const uint8_t agg[LB_PK_BYTES], uint64_t *kept,
                                  struct lb_diag *d);

#endif
