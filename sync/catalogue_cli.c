/*
 * catalogue_cli.c — the village's catalogues on the command line
 * (catalogue_cli.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "catalogue_cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "../node/archive.h"
#include "../node/body.h"
#include "../node/catalogue.h"
#include "catalogue_pull.h"
#include "keyarg.h"
#include "../schema/i18n.h"

#define PROG LB_CLI_PROG
#define CMD "catalogue"

static const char *const catalogue_types[] = {"program", "wilayah"};

/* t for people: "28 Nov 2026 09:12 WIB" (local zone, TZ), or "never". */
static void when(time_t t, char *out, size_t n)
{
	if (!t)
		snprintf(out, n, "%s", _("never"));
	else
		lb_human_time((int64_t)t * 1000, out, n);
}

/* ---- after a push --------------------------------------------------------- */

struct pull_ctx {
	const char *cmd;
	const char *dir;
};

static void on_pulled(void *ctx, const struct lb_catalogue_pulled *p)
{
	const struct pull_ctx *c = ctx;

	if (!p->e) {
		if (p->added)
			printf(_("%s: catalogue %s: took %llu entries, now at seq %llu\n"), c->cmd,
			       p->offer->region, (unsigned long long)p->added, (unsigned long long)p->seq);
		return;
	}
	if (p->held)
		fprintf(stderr, _("%s %s: catalogue %s refused: %s; the last good one (seq %llu) is "
		        "kept\n"), PROG, c->cmd, p->offer->region, lb_diag_msg(p->why, p->e),
		        (unsigned long long)p->held);
	else
		fprintf(stderr, _("%s %s: catalogue %s refused: %s; none is held\n"), PROG, c->cmd,
		        p->offer->region, lb_diag_msg(p->why, p->e));
}

void lb_sync_catalogue_after_push(struct lb_node *n, const char *dir, const struct lb_remote *r,
                                  const char *cmd)
{
	uint8_t keys[1 + LB_REMOTE_UPSTREAM_MAX][LB_PK_BYTES];
	struct lb_upstream up[LB_REMOTE_UPSTREAM_MAX];
	struct pull_ctx c = {cmd, dir};
	struct lb_diag d = {0};
	size_t nkeys = 0, count = 0;
	lb_err e;

	if (r->has_key)
		memcpy(keys[nkeys++], r->key, LB_PK_BYTES);
	if (r->name[0] && !lb_remote_upstreams(n, r->name, up, &count, NULL))
		for (size_t i = 0; i < count; i++)
			if (up[i].pinned)
				memcpy(keys[nkeys++], up[i].key, LB_PK_BYTES);
	if (!nkeys)
		return; /* nothing to check a catalogue against */
	if ((e = lb_catalogue_pull(dir, r->url, r->cacert, (const uint8_t(*)[LB_PK_BYTES])keys,
	                           nkeys, on_pulled, &c, &d)) && e != LB_ENOTFOUND)
		fprintf(stderr, _("%s %s: the catalogues could not be read: %s; the ones held are "
		        "kept\n"), PROG, cmd, lb_diag_msg(&d, e));
	fflush(stdout);
}

/* ---- ls ------------------------------------------------------------------- */

struct ls_ctx {
	const char *dir;
	const char *type;
	const char *region;
	lb_err e;
	struct lb_diag *d;
};

static int ls_record(void *ctx, const char *id, size_t id_len, const uint8_t *body, size_t len)
{
	struct ls_ctx *c = ctx;
	json_t *j = lb_body_to_json(body, len, NULL);
	const char *nama = j ? json_string_value(json_object_get(j, "nama")) : NULL;

	printf("%s\t%s\t%.*s\t%s\n", c->region, c->type, (int)id_len, id, nama ? nama : "");
	json_decref(j);
	return ferror(stdout) != 0;
}

static int ls_catalogue(void *ctx, const struct lb_catalogue_info *ci)
{
	struct ls_ctx *c = ctx;
	struct lb_node *n;

	c->region = ci->region;
	if ((c->e = lb_catalogue_open(c->dir, ci->region, &n, c->d)))
		return 1;
	for (size_t i = 0; !c->e && i < sizeof catalogue_types / sizeof catalogue_types[0]; i++) {
		if (c->type && strcmp(c->type, catalogue_types[i]))
			continue;
		const char *t = c->type;
		c->type = catalogue_types[i];
		c->e = lb_node_scan(n, catalogue_types[i], ls_record, c, c->d);
		c->type = t;
	}
	lb_node_close(n);
	return c->e != LB_OK;
}

static int cmd_ls(struct lb_cli_args *a)
{
	struct lb_diag d = {0};
	struct ls_ctx c = {.dir = a->dir, .d = &d};
	size_t count;
	lb_err e;

	if (a->npos > 2)
		return lb_cli_usage_error(a->cmd, "catalogue ls takes at most a TYPE");
	if (a->npos == 2) {
		c.type = a->pos[1];
		if (strcmp(c.type, "program") && strcmp(c.type, "wilayah"))
			return lb_cli_usage_error(a->cmd, "a catalogue holds only program and wilayah "
			                          "records");
	}
	if ((e = lb_catalogue_list(a->dir, ls_catalogue, &c, &count, &d)) || (e = c.e))
		return lb_cli_die(a->cmd, e, &d);
	if (!count)
		fprintf(stderr, _("%s catalogue: no catalogue is held yet (it comes with `lumbung "
		        "sync` or `lumbung catalogue import`)\n"), PROG);
	return 0;
}

/* ---- get ------------------------------------------------------------------ */

static int cmd_get(struct lb_cli_args *a)
{
	struct lb_diag d = {0};
	char region[LB_CATALOGUE_REGION_MAX + 1];
	struct lb_node *n;
	uint8_t *body = NULL;
	size_t len;
	json_t *j;
	lb_err e;

	if (a->npos != 3)
		return lb_cli_usage_error(a->cmd, "catalogue get takes TYPE and ID");
	if ((e = lb_catalogue_find(a->dir, a->pos[1], a->pos[2], strlen(a->pos[2]), region, &d))) {
		if (e == LB_ENOTFOUND) {
			char esc[256];
			lb_escape_buf(esc, sizeof esc, a->pos[2], strlen(a->pos[2]));
			lb_fail(&d, e, "no catalogue holds %s %s", a->pos[1], esc);
		}
		return lb_cli_die(a->cmd, e, &d);
	}
	if ((e = lb_catalogue_open(a->dir, region, &n, &d)))
		return lb_cli_die(a->cmd, e, &d);
	e = lb_node_get(n, a->pos[1], a->pos[2], strlen(a->pos[2]), &body, &len, NULL, &d);
	lb_node_close(n);
	if (e)
		return lb_cli_die(a->cmd, e, &d);
	if (!(j = lb_body_to_json(body, len, &d))) {
		free(body);
		return lb_cli_die(a->cmd, LB_EMALFORMED, &d);
	}
	json_dumpf(j, stdout, (isatty(1) ? JSON_INDENT(2) : JSON_COMPACT) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(j);
	free(body);
	return 0;
}

/* ---- status --------------------------------------------------------------- */

static int status_one(void *ctx, const struct lb_catalogue_info *ci)
{
	char hex[2 * LB_PK_BYTES + 1], at[48];

	(void)ctx;
	lb_hex(hex, ci->key, LB_PK_BYTES);
	when(ci->checked, at, sizeof at);
	printf(_("%s\tkey %s\tseq %llu\trecords %llu\tchecked %s\n"), ci->region, hex,
	       (unsigned long long)ci->seq, (unsigned long long)ci->records, at);
	return 0;
}

static int cmd_status(struct lb_cli_args *a)
{
	struct lb_diag d = {0};
	size_t count;
	lb_err e;

	if (a->npos != 1)
		return lb_cli_usage_error(a->cmd, "catalogue status takes no argument");
	if ((e = lb_catalogue_list(a->dir, status_one, NULL, &count, &d)))
		return lb_cli_die(a->cmd, e, &d);
	if (!count)
		printf(_("no catalogue is held yet (it comes with `lumbung sync` or `lumbung catalogue "
		       "import`)\n"));
	return 0;
}

/* ---- import --------------------------------------------------------------- */

/* The region an archive is the log of (its header). */
static lb_err archive_region(FILE *f, char region[LB_CATALOGUE_REGION_MAX + 1], struct lb_diag *d)
{
	struct lb_lla_reader r;
	struct lb_lla_frame fr;
	lb_err e;

	if (!(e = lb_lla_reader_open(&r, f, d)) && !(e = lb_lla_next(&r, &fr, d))) {
		if (fr.kind != LB_LLA_HEADER)
			e = lb_fail(d, LB_EMALFORMED, "the archive does not start with its header");
		else if (!lb_catalogue_region_ok(fr.header.village))
			e = lb_fail(d, LB_EWRONG_VILLAGE, "the archive is the log of %s, not a kabupaten's "
			            "or kecamatan's catalogue", fr.header.village);
		else
			memcpy(region, fr.header.village, strlen(fr.header.village) + 1); /* <= 8 */
	} else if (e == LB_ENOTFOUND) {
		e = lb_fail(d, LB_EMALFORMED, "the archive is empty");
	}
	lb_lla_reader_close(&r);
	return e;
}

static int cmd_import(struct lb_cli_args *a)
{
	struct lb_diag d = {0};
	struct lb_adopt_report r;
	struct lb_catalogue_info ci;
	char region[LB_CATALOGUE_REGION_MAX + 1];
	uint8_t key[LB_PK_BYTES];
	uint64_t held = 0;
	bool made;
	FILE *f;
	lb_err e;

	if (a->npos != 2)
		return lb_cli_usage_error(a->cmd, "catalogue import takes FILE.lla");
	if (!a->key)
		return lb_cli_usage_error(a->cmd, "--key takes the key of the aggregator whose "
		                          "catalogue it is, 64 hex digits or its agg.pub file");
	if ((e = lb_key_arg(a->key, key, &d)))
		return lb_cli_usage_error(a->cmd, "--key takes the key of the aggregator whose "
		                          "catalogue it is, 64 hex digits or its agg.pub file: %s",
		                          lb_diag_msg(&d, e));
	if (!(f = fopen(a->pos[1], "rb")))
		return lb_cli_die(a->cmd, lb_fail(&d, errno == ENOENT ? LB_ENOTFOUND : LB_EIO,
		                                  "%s: %s", a->pos[1], strerror(errno)), &d);
	if (!(e = archive_region(f, region, &d))) {
		if (!lb_catalogue_info(a->dir, region, &ci, NULL))
			held = ci.seq;
		rewind(f);
		e = lb_catalogue_adopt(a->dir, region, key, f, &r, &made, &d);
	}
	fclose(f);
	if (e && held)
		fprintf(stderr, _("%s catalogue: catalogue %s refused: %s; the last good one (seq %llu) "
		        "is kept\n"), PROG, region, lb_diag_msg(&d, e), (unsigned long long)held);
	if (e)
		return held ? lb_exit_status(e) : lb_cli_die(a->cmd, e, &d);
	printf(_("catalogue %s: %s; took %llu entries, now at seq %llu\n"), region,
	       made ? _("new") : _("updated"), (unsigned long long)r.added, (unsigned long long)r.tip);
	return 0;
}

int lb_sync_cmd_catalogue(struct lb_cli_args *a)
{
	struct lb_diag d = {0};
	struct lb_node *n;
	const char *sub = a->npos ? a->pos[0] : "";
	lb_err e;

	if (strcmp(sub, "ls") && strcmp(sub, "get") && strcmp(sub, "status") && strcmp(sub, "import"))
		return lb_cli_usage_error(a->cmd, "catalogue takes ls, get, status or import");
	/* a village node's directory, not just any: its catalogues live inside it */
	if ((e = lb_cli_open_node(a, 1, &n, &d)))
		return lb_cli_die(a->cmd, e, &d);
	lb_node_close(n);
	if (!strcmp(sub, "ls"))
		return cmd_ls(a);
	if (!strcmp(sub, "get"))
		return cmd_get(a);
	if (!strcmp(sub, "status"))
		return cmd_status(a);
	return cmd_import(a);
}
