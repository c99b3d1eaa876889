/*
 * restore_cli.h — `lumbung restore` (sync/restore_cli.c): bring a village
 * node back from its aggregator's copy or an archive on a stick.
 */
#ifndef LB_RESTORE_CLI_H
#define LB_RESTORE_CLI_H

#include "../node/cli.h"

int lb_sync_cmd_restore(struct lb_cli_args *a);

#endif
