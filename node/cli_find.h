/*
 * cli_find.h — `lumbung find`, `lumbung export --xlsx` and the check every
 * command taking a TYPE makes first (node/cli.c's table calls these).
 */
#ifndef LB_CLI_FIND_H
#define LB_CLI_FIND_H

#include "../schema/schema.h"
#include "cli.h"

/* lumbung find TYPE [field=value | field~text ...] [--json | --csv]:
 * exit 0 when something matched, 1 when nothing did. */
int lb_cli_find(struct lb_cli_args *a);

/* lumbung export TYPE --xlsx FILE (a->xlsx set; t from lb_cli_type). */
int lb_cli_export_xlsx(struct lb_cli_args *a, const struct lb_type *t);

/* The type a command names, into *t (may be NULL).  Returns 0, or prints
 * "lumbung CMD: unknown record type ... (schema N has: ...)" and returns
 * the exit status for it. */
int lb_cli_type(const char *cmd, const char *name, const struct lb_type **t);

#endif
