/*
 * rcpt_cli.h — `lumbung receipt import FILE` (sync/rcpt_cli.c): keep the
 * receipts an aggregator wrote to a receipts file for this village.
 */
#ifndef LB_RCPT_CLI_H
#define LB_RCPT_CLI_H

#include "../node/cli.h"

int lb_sync_cmd_receipt(struct lb_cli_args *a);

#endif
