/*
 * rcpt_cli.c — `lumbung receipt import FILE`: the stick comes back from
 * the kecamatan with the receipts its aggregator signed; each one naming
 * this village is checked (lb_push_keep_receipt: signature against a key
 * this node knows, origin, seq, entry hash, Merkle root of our own head)
 * before it is kept, exactly as a receipt returned over the network.
 */
#define _POSIX_C_SOURCE 200809L
#include "rcpt_cli.h"

#include <stdio.h>
#include <string.h>

#include "../node/entry.h"
#include "../node/remote.h"
#include "push.h"
#include "rcptfile.h"
#include "receipt.h"
#include "../schema/i18n.h"

#define PROG LB_CLI_PROG

/* Remotes are looked at first by their own key; their names are kept to
 * look at their upstream keys after the listing's transaction. */
#define NAMES_MAX 64
struct remotes {
	const uint8_t *key;
	char name[LB_REMOTE_NAME_MAX + 1]; /* the remote whose key it is */
	char names[NAMES_MAX][LB_REMOTE_NAME_MAX + 1];
	size_t n;
};

static int find_key(void *ctx, const struct lb_remote *r)
{
	struct remotes *s = ctx;
	if (s->n < NAMES_MAX)
		memcpy(s->names[s->n++], r->name, sizeof s->names[0]);
	if (!r->has_key || memcmp(r->key, s->key, LB_PK_BYTES))
		return 0;
	memcpy(s->name, r->name, sizeof s->name);
	return 1;
}

/* The key pinned as an upstream of one of the remotes (a kabupaten above
 * a kecamatan, node/remote.h): known too.  A learnt key is not: the
 * operator has not confirmed it.  Fills s->name with "above REMOTE". */
static lb_err find_upstream(struct lb_node *n, struct remotes *s, struct lb_diag *d)
{
	struct lb_upstream up[LB_REMOTE_UPSTREAM_MAX];
	size_t count;
	lb_err e;

	for (size_t i = 0; i < s->n; i++) {
		if ((e = lb_remote_upstreams(n, s->names[i], up, &count, d)))
			return e;
		for (size_t j = 0; j < count; j++)
			if (up[j].pinned && !memcmp(up[j].key, s->key, LB_PK_BYTES)) {
				snprintf(s->name, sizeof s->name, _("above %.*s"),
				         (int)(sizeof s->name - 7), s->names[i]);
				return LB_OK;
			}
	}
	return LB_OK;
}

int lb_sync_cmd_receipt(struct lb_cli_args *a)
{
	struct lb_node *n = NULL;
	struct lb_node_info info;
	struct lb_rcptfile f = {0};
	static struct remotes s;
	struct lb_diag d = {0};
	char hex[2 * LB_PK_BYTES + 1];
	uint64_t kept = 0, other = 0, bad = 0, top = 0;
	lb_err e, first = LB_OK;
	int rc = 0;

	if (a->npos != 2 || strcmp(a->pos[0], "import"))
		return lb_cli_usage_error(a->cmd, "usage: lumbung receipt import -d DIR FILE");
	if ((e = lb_rcptfile_read(a->pos[1], &f, &d)))
		return lb_cli_die("receipt import", e, &d);
	if ((e = lb_cli_open_node(a, 0, &n, &d)) || (e = lb_node_info(n, &info, &d))) {
		rc = lb_cli_die("receipt import", e, &d);
		goto out;
	}
	/* The file names its signer; that only says which key to check
	 * against, and it must be one this node already knows. */
	lb_hex(hex, f.agg, LB_PK_BYTES);
	memset(&s, 0, sizeof s);
	s.key = f.agg;
	if ((e = lb_remote_list(n, find_key, &s, NULL, &d)) ||
	    (!s.name[0] && (e = find_upstream(n, &s, &d)))) {
		rc = lb_cli_die("receipt import", e, &d);
		goto out;
	}
	if (!s.name[0]) {
		e = lb_fail(&d, LB_EREFUSED,
		            "%s: refused: the receipts are signed by %s, which is not the key of any "
		            "aggregator this node knows (lumbung remote add NAME URL --key KEY, or "
		            "--upstream-key KEY for the aggregator above a remote)",
		            a->pos[1], hex);
		rc = lb_cli_die("receipt import", e, &d);
		goto out;
	}
	for (size_t i = 0; i < f.n; i++) {
		struct lb_receipt r;
		if ((e = lb_receipt_open(&r, f.r[i], f.len[i], f.agg, &d))) {
			bad++;
		} else if (memcmp(r.origin, info.origin, LB_PK_BYTES)) {
			other++; /* another village's, on the same stick */
			continue;
		} else if (!(e = lb_push_keep_receipt(n, f.agg, r.seq, f.r[i], f.len[i], &d))) {
			kept++;
			if (r.seq > top)
				top = r.seq;
			continue;
		} else if (e == LB_ENOMEM || e == LB_ESTORE || e == LB_EFULL || e == LB_ECORRUPT) {
			rc = lb_cli_die("receipt import", e, &d);
			goto out;
		} else
			bad++;
		if (!first)
			first = e;
		fprintf(stderr, _("%s receipt import: %s: receipt %zu refused (%s): %s\n"), PROG, a->pos[1],
		        i + 1, lb_errname(e), lb_diag_msg(&d, e));
	}
	printf(_("%s: kept %llu receipts from %s"), a->pos[1], (unsigned long long)kept, s.name);
	if (kept)
		printf(_(" (it holds this village's log up to seq %llu)"), (unsigned long long)top);
	printf(_("; %llu for other villages skipped; %llu refused\n"), (unsigned long long)other,
	       (unsigned long long)bad);
	if (!kept) {
		fprintf(stderr, _("%s receipt import: %s: no receipt for this village could be kept\n"),
		        PROG, a->pos[1]);
		rc = lb_exit_status(first ? first : LB_ENOTFOUND);
	}
out:
	lb_rcptfile_free(&f);
	lb_node_close(n);
	return rc;
}
