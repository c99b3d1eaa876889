/*
 * cli_backup.h — `lumbung-agg backup -d DIR > FILE`: a consistent,
 * compacted copy of the aggregator while it serves (node/backup.h).
 * Prints and exits like cli.c.
 */
#ifndef LB_AGG_CLI_BACKUP_H
#define LB_AGG_CLI_BACKUP_H

/* Run argv's command when it is `backup` (its exit status), else -1. */
int agg_cli_backup(int argc, char **argv);

#endif
