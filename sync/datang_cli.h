/*
 * datang_cli.h — residents moving into the village, on the command line
 * (sync/datang_cli.c): `lumbung datang ls|terima|tolak`, and the fetch of
 * the aggregator's open offers that push and sync do after a round.
 */
#ifndef LB_DATANG_CLI_H
#define LB_DATANG_CLI_H

#include <stdint.h>

#include "../node/cli.h"

/* `lumbung datang ls -d DIR [--json] | terima -d DIR NIK [field=value...]
 * | tolak -d DIR NIK`. */
int lb_sync_cmd_datang(struct lb_cli_args *a);

/* After a successful push round to url (https trusting cacert, the
 * remote's pinned CA, or the system's when NULL or ""): fetch the open offers for this
 * village (proving its key, node.key in dir; the aggregator's key checked
 * against agg_key when not NULL), check each and keep the good ones in the
 * node (lb_datang_replace).  Never fails: problems are printed to stderr
 * as "lumbung CMD: ...", news (offers added or dropped) to stdout.
 * Returns true when the offers were fetched. */
bool lb_sync_datang_refresh(const char *cmd, struct lb_node *n, const char *dir, const char *url,
                            const char *cacert, const uint8_t *agg_key);

#endif
