/*
 * cli.h — the `lumbung` command line as a library, so commands from layers
 * above the node (sync/push_cli.c: push, sync, remote) join the node's own
 * in one program with one option syntax, one help text and one error style.
 *
 * Only CLI code includes this.  Command functions print and return an exit
 * status (0 ok, 1 not found, 2 usage, 2 + lb_err otherwise).
 */
#ifndef LB_CLI_H
#define LB_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "../schema/err.h"
#include "node.h"
#include "remote.h"

#define LB_CLI_PROG "lumbung"
#define LB_CLI_EXIT_USAGE 2

/* Parsed arguments: options may come anywhere after the command. */
struct lb_cli_args {
	const char *cmd;
	const char *dir;
	const char *village;
	const char *name;
	const char *since;
	const char *batch;   /* FILE or "-" */
	const char *sep;
	const char *rejects; /* --skip-invalid FILE */
	const char *to;      /* --to URL|REMOTE */
	const char *key;     /* --key HEX */
	const char *every;   /* --every SECONDS */
	const char *max_bytes; /* --max-bytes N */
	const char *stall;   /* --stall-timeout SECONDS */
	const char *seal_to; /* --seal-to HEX (changeset) */
	const char *from;    /* --from URL|FILE.lla (restore, repair) */
	const char *restore_key; /* --restore-key FILE (the key backup) */
	const char *passfile; /* --passphrase-file FILE */
	const char *agg_key; /* --agg-key HEX (restore, repair) */
	const char *remote;  /* --remote NAME (restore, repair) */
	const char *cacert;  /* --cacert FILE: PEM CA trusted for https (remote add, push,
	                        sync, restore, repair) */
	int no_seal;         /* --no-seal (push, sync, changeset) */
	int no_compress;     /* --no-compress (push, sync) */
	int plain;           /* --plain (changeset) */
#define LB_CLI_UPSTREAM_KEYS 8
	const char *upstream_keys[LB_CLI_UPSTREAM_KEYS]; /* --upstream-key HEX, repeatable */
	int nupstream;
	int excel;
	int json;
	int csv;             /* --csv (find) */
	int merge;
	int help;
	int npos;
	char **pos;          /* positional arguments (borrowed from argv) */
	const char *round;   /* --round R (export-log --forked) */
	int forked;          /* --forked (export-log) */
	int quiet;           /* --quiet: no progress line, no chatter (errors still print) */
	int cascade;         /* --cascade (rm: delete the records that reference it too) */
	const char *xlsx;    /* --xlsx FILE (export) */
	const char *encoding; /* --encoding utf-8|cp1252|latin1 (import) */
	const char *per;     /* --per YYYY-MM-DD (report) */
	const char *month;   /* --month YYYY-MM (report) */
	const char *pdf;     /* --pdf FILE (report) */
};

struct lb_cli_cmd {
	const char *name;
	const char *usage;  /* after "lumbung " */
	const char *help;
	int (*fn)(struct lb_cli_args *a);
	bool no_dir;        /* runs without a node directory */
};

/* Run the lumbung CLI: the node's commands plus `extra` (n of them).
 * Returns the process exit status. */
int lb_cli_main(int argc, char **argv, const struct lb_cli_cmd *extra, size_t n);

/* Print "lumbung CMD: message" for e and return its exit status. */
int lb_cli_die(const char *cmd, lb_err e, const struct lb_diag *d);

/* Print "lumbung CMD: <fmt>" and the command's usage; returns 2. */
int lb_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print every remote (in name order, at most 64) with how far its
 * receipts say it holds this village's log, and under it each of its
 * upstream keys (pinned, or learnt and not trusted, with the command that
 * confirms it) with how far that aggregator's checked receipts say it
 * holds the log: `lumbung remote ls` and `lumbung id` both show this.
 * Each line starts with indent.  *count gets how many remotes there are.
 * Errors: the store's. */
lb_err lb_cli_print_remotes(struct lb_node *n, const char *indent, size_t *count,
                            struct lb_diag *d);

/* Open the node in a->dir (read_only: no secret key loaded). */
lb_err lb_cli_open_node(const struct lb_cli_args *a, int read_only, struct lb_node **n,
                        struct lb_diag *d);

/* field=value / field:=JSON arguments pos[0..n) as a JSON object for a
 * record of type, typed as `lumbung put` types them (numbers for integer
 * and rupiah fields, booleans for boolean ones, strings otherwise).
 * *out is the caller's (json_decref).  LB_EINVAL naming the argument,
 * LB_ETOOBIG, LB_ENOMEM, or the field's parse error. */
/* --sep of a->sep into *sep (0: detect); prints the usage error and
 * returns 2 for anything but , ; tab. */
int lb_cli_parse_sep(struct lb_cli_args *a, char *sep);

/* `lumbung import` (node/cli_import.c). */
int lb_cli_import(struct lb_cli_args *a);

struct json_t;
lb_err lb_cli_fields_to_json(const char *type, char **pos, int n, struct json_t **out,
                             struct lb_diag *d);

#endif
