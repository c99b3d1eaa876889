/*
 * cli_succ.h — `lumbung-agg succeed` and `lumbung-agg export-log` (the
 * successions' commands, cli_succ.c), and the successions' lines of
 * `status`.  Prints and exits like cli.c.
 */
#ifndef LB_AGG_CLI_SUCC_H
#define LB_AGG_CLI_SUCC_H

#include "agg.h"

/* Run argv's command when it is one of these (its exit status), else -1. */
int agg_cli_succ(int argc, char **argv);

/* status: one line per succession held for an enrolled key, after the
 * villages' table ("village V: key changed at seq N ...").  Store errors. */
lb_err agg_cli_succ_status_text(struct lb_agg *agg, struct lb_diag *d);

#endif
