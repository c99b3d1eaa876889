/*
 * cli_catalogue.h — `lumbung-agg catalogue put|rm|get|ls|import|export`:
 * the region's catalogue (agg/catalogue.h), written with the node's own
 * commands (node/cli.h) run on AGGDIR/catalogue, so the syntax, typing and
 * CSV rules are the village's.
 */
#ifndef LB_AGG_CLI_CATALOGUE_H
#define LB_AGG_CLI_CATALOGUE_H

/* Run argv's command when it is `catalogue` (its exit status), else -1. */
int agg_cli_catalogue(int argc, char **argv);

#endif
