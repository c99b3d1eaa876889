/*
 * push_cli.h — the sync commands of `lumbung` (push, sync, remote,
 * changeset, datang, receipt, restore, repair, catalogue), for the
 * program's main() (agg/lumbung_main.c), which adds them to the node's
 * own (node/cli.h lb_cli_main) together with the commands of the layers
 * above.
 */
#ifndef LB_PUSH_CLI_H
#define LB_PUSH_CLI_H

#include <stddef.h>

#include "../node/cli.h"

extern const struct lb_cli_cmd lb_sync_cmds[];
extern const size_t lb_sync_ncmds;

#endif
