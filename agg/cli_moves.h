/*
 * cli_moves.h — `lumbung-agg moves`: the residents who move between
 * villages of the region, open and taken offers (moves.h), for the office.
 * Prints and exits like cli.c.
 */
#ifndef LB_AGG_CLI_MOVES_H
#define LB_AGG_CLI_MOVES_H

/* Run argv's command when it is `moves` (its exit status), else -1. */
int agg_cli_moves(int argc, char **argv);

#endif
