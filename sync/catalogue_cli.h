/*
 * catalogue_cli.h — `lumbung catalogue ls|get|status|import`
 * (sync/catalogue_cli.c) and the catalogue pull that follows every
 * successful push or sync round.
 */
#ifndef LB_CATALOGUE_CLI_H
#define LB_CATALOGUE_CLI_H

#include "../node/cli.h"
#include "../node/remote.h"

int lb_sync_cmd_catalogue(struct lb_cli_args *a);

/* After a successful push to remote r (r->name empty: a bare URL) by
 * command cmd: take the catalogues it offers that are signed by its key
 * (when known) or by an upstream key pinned for it.  Prints what was
 * taken on stdout and each refusal on stderr ("catalogue R refused: why;
 * the last good one (seq N) is kept"); never fails. */
void lb_sync_catalogue_after_push(struct lb_node *n, const char *dir, const struct lb_remote *r,
                                  const char *cmd);

#endif
