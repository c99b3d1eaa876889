/*
 * repair_cli.c — `lumbung repair -d DIR --from URL|FILE.lla [--agg-key HEX]
 * [--remote NAME]`: close a fork (node/repair.h).
 *
 * The aggregator's copy of the village's log comes from a file (e.g. from
 * `lumbung-agg export-log`) or from the aggregator's log endpoint
 * (sync/fetch.h), is verified and adopted (node/adopt.h), then our changes
 * of the forked round are re-applied as new entries.  Exit 0 when every
 * change was applied or already held; lb_exit_status(LB_ESCHEMA) (10) when
 * some were conflicts (listed, not applied); another status for an error,
 * after which running `lumbung repair -d DIR` again resumes.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../node/adopt.h"
#include "../node/cli.h"
#include "../node/remote.h"
#include "../node/repair.h"
#include "fetch.h"
#include "repair_cli.h"
#include "restore_cli.h"
#include "keyarg.h"
#include "../schema/i18n.h"

#define PROG LB_CLI_PROG

static int take_only(void *ctx, const struct lb_remote *r)
{
	*(struct lb_remote *)ctx = *r;
	return 0;
}

/* The aggregator trusted for successions and asked for the log: --agg-key,
 * else the key of --remote NAME or of the only remote (none: *have false). */
static int trusted_key(struct lb_cli_args *a, struct lb_node *n, struct lb_remote *r,
                       bool *have)
{
	struct lb_diag d = {0};
	size_t count = 0;
	lb_err e;

	memset(r, 0, sizeof *r);
	*have = false;
	if (a->remote) {
		if ((e = lb_remote_get(n, a->remote, r, &d)))
			return lb_cli_die(a->cmd, e, &d);
	} else if ((e = lb_remote_list(n, take_only, r, &count, &d))) {
		return lb_cli_die(a->cmd, e, &d);
	} else if (count != 1) {
		memset(r, 0, sizeof *r);
	}
	if (a->agg_key) {
		lb_err ke = lb_key_arg(a->agg_key, r->key, &d);
		if (ke)
			return lb_cli_usage_error(a->cmd,
			                          "--agg-key takes the aggregator's public key, 64 hex "
			                          "digits or its agg.pub file: %s",
			                          lb_diag_msg(&d, ke));
		r->has_key = true;
	}
	if (a->cacert && (e = lb_remote_read_ca(r, a->cacert, &d)))
		return lb_cli_die(a->cmd, e, &d);
	*have = r->has_key;
	return 0;
}

static void print_conflict(void *ctx, const struct lb_repair_conflict *c)
{
	(void)ctx;
	/* the id is the village's own data, but quote it all the same */
	printf(_("  conflict: %.*s \""), (int)c->type_len, c->type);
	for (size_t i = 0; i < c->id_len; i++) {
		unsigned char ch = (unsigned char)c->id[i];
		if (ch < 0x20 || ch == 0x7f || ch == '"' || ch == '\\')
			printf("\\x%02x", ch);
		else
			putchar(ch);
	}
	printf(_("\" (%s, seq %llu of ours): %s; not applied\n"), c->op == LB_OP_DEL ? "del" : "put",
	       (unsigned long long)c->seq, c->reason);
}

/* Get the copy into a temporary file (a URL) or open it (a file). */
static int open_copy(struct lb_cli_args *a, struct lb_node *n, const struct lb_remote *r,
                     bool have_key, FILE **out)
{
	*out = NULL;
	if (strstr(a->from, "://")) {
		struct lb_diag d = {0};
		struct lb_node_info info;
		const char *token = getenv("LUMBUNG_TOKEN");
		struct lb_key key;
		char path[4096];
		FILE *f = tmpfile();
		lb_err e;

		if (!f) {
			fprintf(stderr, _("%s %s: cannot create a temporary file\n"), PROG, a->cmd);
			return lb_exit_status(LB_EIO);
		}
		/* the log is given to the village's key: sign the challenge (for
		 * the trusted aggregator only, when one is known) */
		snprintf(path, sizeof path, "%s/node.key", a->dir);
		if ((e = lb_node_info(n, &info, &d)) || (e = lb_key_load(path, &key, &d))) {
			fclose(f);
			return lb_cli_die(a->cmd, e, &d);
		}
		e = lb_fetch_log_from(a->from, r->cacert, info.village, 1, &key,
		                      token && *token ? token : NULL, have_key ? r->key : NULL, f, NULL,
		                      &d);
		lb_key_wipe(&key);
		if (e) {
			fclose(f);
			return lb_cli_die(a->cmd, e, &d);
		}
		rewind(f);
		*out = f;
		return 0;
	}
	if (!(*out = fopen(a->from, "rb"))) {
		fprintf(stderr, _("%s %s: %s: cannot open\n"), PROG, a->cmd, a->from);
		return lb_exit_status(LB_EIO);
	}
	return 0;
}

int lb_sync_cmd_repair(struct lb_cli_args *a)
{
	struct lb_diag d = {0};
	struct lb_node *n;
	struct lb_remote r;
	struct lb_repair_state st;
	struct lb_repair_report rr;
	struct lb_adopt_report ar = {0};
	uint64_t kept = 0;
	bool pending, have_key;
	FILE *f = NULL;
	int rc;
	lb_err e;

	if (a->npos)
		return lb_cli_usage_error(a->cmd, "unexpected argument %s", a->pos[0]);
	if ((e = lb_cli_open_node(a, 0, &n, &d)))
		return lb_cli_die(a->cmd, e, &d);
	if ((e = lb_repair_pending(n, &pending, &st, &d))) {
		rc = lb_cli_die(a->cmd, e, &d);
		goto out;
	}
	if (pending) {
		printf(_("repair: resuming the re-apply of fork round %u (interrupted)%s\n"), st.round,
		       a->from ? _("; --from is not needed for that and is not read") : "");
	} else if (!a->from) {
		rc = lb_cli_usage_error(a->cmd, "give --from URL|FILE.lla: the aggregator's copy of "
		                                "this village's log (no repair is pending)");
		goto out;
	} else {
		if ((rc = trusted_key(a, n, &r, &have_key)) || (rc = open_copy(a, n, &r, have_key, &f)))
			goto out;
		e = lb_node_adopt(n, f, have_key ? r.key : NULL, &ar, &d);
		if (!e && have_key)
			e = lb_sync_keep_copy_receipts(a->cmd, n, f, r.key, &kept, &d);
		fclose(f);
		if (e) {
			rc = lb_cli_die(a->cmd, e, &d);
			goto out;
		}
		if (kept)
			printf(_("repair: %llu receipt(s) of the aggregator checked and kept\n"),
			       (unsigned long long)kept);
		if (!ar.round) {
			if (ar.ahead)
				printf(_("repair: no fork: the copy (up to seq %llu) agrees with this node, "
				       "which is ahead of it; run %s sync to send the rest\n"),
				       (unsigned long long)ar.last, PROG);
			else
				printf(_("repair: no fork: the copy agrees with this node; %llu entries taken "
				       "from it, the log is now at seq %llu\n"),
				       (unsigned long long)ar.added, (unsigned long long)ar.tip);
			rc = 0;
			goto out;
		}
		printf(_("repair: fork at seq %llu: the aggregator's history (up to seq %llu) is now "
		       "this node's; %llu entries of ours kept as evidence (round %u)\n"),
		       (unsigned long long)ar.fork_seq, (unsigned long long)ar.tip,
		       (unsigned long long)ar.forked, ar.round);
		if ((e = lb_repair_begin(n, ar.round, &d))) {
			rc = lb_cli_die(a->cmd, e, &d);
			goto out;
		}
	}
	if ((e = lb_repair_apply(n, print_conflict, NULL, &rr, &d))) {
		rc = lb_cli_die(a->cmd, e, &d);
		fprintf(stderr, _("%s %s: run `%s repair -d DIR` again to finish\n"), PROG, a->cmd, PROG);
		goto out;
	}
	printf(_("repair: fork at seq %llu, %llu entries of ours kept as evidence (round %u)\n"),
	       (unsigned long long)rr.fork_seq, (unsigned long long)rr.evidence, rr.round);
	if (rr.applied)
		printf(_("repair: %llu change%s re-applied as seq %llu..%llu"), (unsigned long long)rr.applied,
		       rr.applied == 1 ? "" : "s", (unsigned long long)rr.first_seq,
		       (unsigned long long)rr.last_seq);
	else
		printf(_("repair: 0 changes re-applied"));
	printf(_(", %llu already held, %llu conflict%s%s\n"), (unsigned long long)rr.unchanged,
	       (unsigned long long)rr.conflicts, rr.conflicts == 1 ? "" : "s",
	       rr.conflicts ? _(" (listed above, not applied)") : "");
	printf(_("repair: done; run %s sync to send them (the evidence: %s export-log --forked --round %u)\n"),
	       PROG, PROG, rr.round);
	rc = rr.conflicts ? lb_exit_status(LB_ESCHEMA) : 0;
out:
	lb_node_close(n);
	return rc;
}
