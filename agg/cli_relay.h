/*
 * cli_relay.h — the relay's commands of `lumbung-agg` (cli_relay.c),
 * called from agg/cli.c's main.  Each returns the exit status.
 */
#ifndef LB_AGG_CLI_RELAY_H
#define LB_AGG_CLI_RELAY_H

#include <stdbool.h>

#include <jansson.h>

#include "agg.h"

/* upstream add NAME URL --key HEX [--cacert FILE] | upstream ls | upstream rm NAME */
int lb_agg_cli_upstream(const char *dir, int npos, char **pos, const char *key,
                        const char *cacert);
/* forward [--every S] [--max-bytes N]: one pass, or a pass every S
 * seconds with backoff */
int lb_agg_cli_forward(const char *dir, const char *every, const char *max_bytes);
/* --max-bytes's value (8k..16m) into *out (prints the usage error: 2) */
int lb_agg_cli_parse_bytes(const char *cmd, const char *v, size_t *out);
/* --every's value into *out (prints the usage error itself: 2) */
int lb_agg_cli_parse_every(const char *cmd, const char *v, long *out);
/* status at a relay: what each upstream holds per village, as a table on
 * stdout (root NULL) or as "upstreams" in the JSON document root.  Nothing
 * when no upstream is configured. */
int lb_agg_cli_relay_status(struct lb_agg *a, json_t *root);

#endif
