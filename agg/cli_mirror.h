/*
 * cli_mirror.h — `lumbung-agg mirror`: the consolidated view into
 * PostgreSQL (mirror.h), once or every S seconds.  Prints and exits like
 * cli.c.
 */
#ifndef LB_AGG_CLI_MIRROR_H
#define LB_AGG_CLI_MIRROR_H

/* Run argv's command when it is `mirror` (its exit status), else -1. */
int agg_cli_mirror(int argc, char **argv);

#endif
