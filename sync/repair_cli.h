/*
 * repair_cli.h — `lumbung repair` (sync/repair_cli.c): adopt the
 * aggregator's copy of this village's log after an old backup was written
 * to, and re-apply our changes of the fork round after it (node/repair.h).
 */
#ifndef LB_REPAIR_CLI_H
#define LB_REPAIR_CLI_H

#include "../node/cli.h"

int lb_sync_cmd_repair(struct lb_cli_args *a);

#endif
