/*
 * cli_tree.h — the `lumbung-agg` commands of enrolment through the tree
 * (cli_tree.c): enroll-aggregator, revoke-aggregator, send-statements, and
 * what status shows of aggregators and routes.  For agg/cli.c only.
 */
#ifndef LB_AGG_CLI_TREE_H
#define LB_AGG_CLI_TREE_H

#include <jansson.h>

#include "agg.h"

/* Run argv[1] when it is one of this file's commands and return its exit
 * status; -1 when it is not. */
int agg_cli_tree(int argc, char **argv);

/* status: the aggregators enrolled here and each village's route (text,
 * after the rest), or the same added to the --json document root
 * ("aggregators", and "route" / "enrolled_by" in each of root's
 * "villages").  LB_ENOMEM, store errors. */
lb_err agg_cli_tree_status_text(struct lb_agg *agg, struct lb_diag *d);
lb_err agg_cli_tree_status_json(struct lb_agg *agg, json_t *root, struct lb_diag *d);

#endif
