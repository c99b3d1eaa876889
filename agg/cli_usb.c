/*
 * cli_usb.c — `lumbung-agg`'s USB commands, both ways (cli_usb.h):
 *
 *   ingest FILE... [--receipts RFILE]   change sets or bundles from a stick;
 *                                       the receipts go back in a file
 *   bundle --for UPSTREAM [--all]       what the upstream lacks, every village
 *   receipt import FILE [--key HEX]     the upstream's receipts, kept
 *
 * Only CLI code prints; see agg/cli.c for the conventions.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli_usb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../schema/i18n.h"
#include "../node/entry.h"
#include "../sync/bundle.h"
#include "../sync/envelope.h"
#include "../sync/push.h"
#include "../sync/rcptfile.h"
#include "../sync/wire.h"
#include "forward.h"
#include "relay.h"
#include "tree.h"

#define PROG "lumbung-agg"
#define EXIT_USAGE 2

static int die(const char *cmd, lb_err e, const struct lb_diag *d)
{
	fprintf(stderr, _("%s %s: %s\n"), PROG, cmd, lb_diag_msg(d, e));
	return lb_exit_status(e);
}

/* The aggregator's own key, from DIR/agg.pub. */
static lb_err own_key(const char *dir, uint8_t pk[LB_PK_BYTES], struct lb_diag *d)
{
	size_t n = strlen(dir);
	char *p = malloc(n + sizeof "/agg.pub");
	lb_err e;

	if (!p)
		return lb_fail(d, LB_ENOMEM, "out of memory");
	memcpy(p, dir, n);
	memcpy(p + n, "/agg.pub", sizeof "/agg.pub");
	e = lb_key_load_public(p, pk, d);
	free(p);
	return e;
}

/* ---- ingest --------------------------------------------------------------- */

/* The receipts one ingest produced, in order (owned). */
struct rcpts {
	uint8_t **r;
	size_t *len;
	size_t n, cap;
};

static lb_err rcpts_add(struct rcpts *c, uint8_t *r, size_t len, struct lb_diag *d)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		uint8_t **nr = realloc(c->r, cap * sizeof *nr);
		size_t *nl;
		if (nr)
			c->r = nr;
		if (!nr || !(nl = realloc(c->len, cap * sizeof *nl))) {
			free(r);
			return lb_fail(d, LB_ENOMEM, "out of memory");
		}
		c->len = nl;
		c->cap = cap;
	}
	c->r[c->n] = r;
	c->len[c->n++] = len;
	return LB_OK;
}

static void rcpts_clear(struct rcpts *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->r[i]);
	c->n = 0;
}

/* Write what c holds to path and say so; non-zero exit status when it
 * cannot be written (what was ingested stays ingested). */
static int rcpts_write(struct rcpts *c, const char *path, const uint8_t agg[LB_PK_BYTES])
{
	struct lb_diag d = {0};
	lb_err e;

	if (!c->n)
		return 0;
	if ((e = lb_rcptfile_write(path, agg, (const uint8_t *const *)c->r, c->len, c->n, &d))) {
		fprintf(stderr,
		        _("%s ingest: cannot write the receipts: %s (what was ingested stays "
		             "ingested; ingesting the same files again gives them again)\n"), PROG,
		        lb_diag_msg(&d, e));
		return lb_exit_status(e);
	}
	if (c->n == 1)
		printf(_("wrote %zu receipt to %s\n"), c->n, path);
	else
		printf(_("wrote %zu receipts to %s\n"), c->n, path);
	return 0;
}

/* The receipts this aggregator's upstreams gave for the villages whose
 * own receipts are in c, one file per upstream beside `path` (its name
 * with ".receipts" replaced by "." NAME ".receipts"), so a village's stick
 * also brings back the kabupaten's proof when the kecamatan holds it.
 * Nothing is written for an upstream holding none of them. */
#define UPS_MAX 8
struct ups {
	size_t n;
	char name[UPS_MAX][LB_REMOTE_NAME_MAX + 1];
	uint8_t key[UPS_MAX][LB_PK_BYTES];
};

static int collect_up(void *ctx, const struct lb_remote *r)
{
	struct ups *u = ctx;
	if (r->has_key && u->n < UPS_MAX) {
		memcpy(u->name[u->n], r->name, sizeof u->name[0]);
		memcpy(u->key[u->n++], r->key, LB_PK_BYTES);
	}
	return 0;
}

static int up_rcpts_write(struct lb_agg *agg, const uint8_t own[LB_PK_BYTES],
                          const struct rcpts *c, const char *path)
{
	struct ups u = {0};
	struct lb_diag d = {0};
	size_t plen = strlen(path), sl = sizeof LB_RCPT_SUFFIX - 1, no = 0;
	uint8_t (*origins)[LB_PK_BYTES];
	int rc = 0, r;
	lb_err e;

	if (!c->n)
		return 0;
	if ((e = lb_agg_upstreams(agg, collect_up, &u, NULL, &d)))
		return die("ingest", e, &d);
	if (!u.n)
		return 0;
	/* the villages of our own receipts, each once (each receipt opened once) */
	if (!(origins = malloc(c->n * sizeof *origins)))
		return die("ingest", lb_fail(&d, LB_ENOMEM, "out of memory"), &d);
	for (size_t j = 0; j < c->n; j++) {
		struct lb_receipt mine;
		size_t k = 0;
		if (lb_receipt_open(&mine, c->r[j], c->len[j], own, NULL))
			continue;
		while (k < no && memcmp(origins[k], mine.origin, LB_PK_BYTES))
			k++;
		if (k == no)
			memcpy(origins[no++], mine.origin, LB_PK_BYTES);
	}
	if (plen >= sl && !strcmp(path + plen - sl, LB_RCPT_SUFFIX))
		plen -= sl;
	for (size_t i = 0; i < u.n; i++) {
		struct rcpts up = {0};
		char *p = malloc(plen + sizeof u.name[i] + sizeof LB_RCPT_SUFFIX + 2);
		if (!p) {
			free(origins);
			return die("ingest", lb_fail(&d, LB_ENOMEM, "out of memory"), &d);
		}
		for (size_t j = 0; j < no && !e; j++) {
			uint8_t *rec;
			size_t len;
			uint64_t seq;
			e = lb_agg_up_receipt(agg, u.key[i], origins[j], &seq, &rec, &len, &d);
			if (e == LB_ENOTFOUND)
				e = LB_OK;
			else if (!e)
				e = rcpts_add(&up, rec, len, &d);
		}
		snprintf(p, plen + sizeof u.name[i] + sizeof LB_RCPT_SUFFIX + 2, "%.*s.%s%s", (int)plen,
		         path, u.name[i], LB_RCPT_SUFFIX);
		r = e ? die("ingest", e, &d) : rcpts_write(&up, p, u.key[i]);
		if (r && !rc)
			rc = r;
		rcpts_clear(&up);
		free(up.r);
		free(up.len);
		free(p);
		e = LB_OK;
	}
	free(origins);
	return rc;
}

/* Ingest one change set, as if POSTed; label names it in messages. */
static int ingest_changeset(struct lb_agg *agg, const char *label, const uint8_t *buf,
                            size_t len, struct rcpts *out, uint64_t *accepted)
{
	struct lb_agg_result r = {0};
	struct lb_diag d = {0};
	lb_err e = lb_agg_ingest(agg, buf, len, &r, &d);

	if (e) {
		struct lb_changeset cs;
		char village[LB_VILLAGE_LEN + 16] = "";
		/* name the village when the frame decodes at all (the code is
		 * checked by the decoder, so it is safe to print) */
		if (!lb_wire_decode(&cs, buf, len, NULL)) {
			snprintf(village, sizeof village, " (village %s)", cs.village);
			lb_changeset_free(&cs);
		}
		fprintf(stderr, _("%s ingest: %s%s: refused (%s): %s\n"), PROG, label, village,
		        lb_errname(e), lb_diag_msg(&d, e));
		return lb_exit_status(e);
	}
	printf(_("%s: accepted %llu new entries; that village is now at seq %llu\n"), label,
	       (unsigned long long)r.accepted, (unsigned long long)r.seq);
	*accepted += r.accepted;
	if (r.receipt && (e = rcpts_add(out, r.receipt, r.receipt_len, &d)))
		return die("ingest", e, &d);
	return 0;
}

/* A statements frame: taken as POST /v1/statements takes it (agg/tree.c);
 * each statement refused inside the batch is said, and the batch still
 * counts as taken (n moves on there too). */
static int ingest_statements(struct lb_agg *agg, const char *label, const uint8_t *frame,
                             size_t len)
{
	struct lb_agg_stmt_result r = {0};
	struct lb_diag d = {0};
	lb_err e;

	if ((e = lb_agg_apply_statements(agg, NULL, frame, len, &r, &d))) {
		fprintf(stderr, _("%s ingest: %s: enrolment statements refused (%s): %s\n"), PROG, label,
		        lb_errname(e), lb_diag_msg(&d, e));
		free(r.refused);
		return lb_exit_status(e);
	}
	for (size_t i = 0; i < r.nrefused; i++)
		fprintf(stderr, _("%s ingest: %s: enrolment statement %llu refused (%s): %s\n"), PROG, label,
		        (unsigned long long)r.refused[i].n, lb_errname(r.refused[i].code),
		        r.refused[i].message);
	printf(_("%s: %zu enrolment statements applied, %zu already held, %zu refused\n"), label,
	       r.applied, r.old, r.nrefused);
	free(r.refused);
	return 0;
}

/* Every frame of a bundle, each checked on its own. */
static int ingest_bundle(struct lb_agg *agg, const char *path, FILE *f, struct rcpts *out)
{
	struct lb_bundle_r br;
	struct lb_diag d = {0};
	enum lb_bundle_kind kind;
	const uint8_t *frame;
	size_t len;
	uint64_t taken = 0, refused = 0, accepted = 0;
	char label[64 + 4096];
	lb_err e;
	int rc = 0, r;

	if ((e = lb_bundle_open(&br, f, &d))) {
		fprintf(stderr, _("%s ingest: %s: %s\n"), PROG, path, lb_diag_msg(&d, e));
		return lb_exit_status(e);
	}
	while (!(e = lb_bundle_next(&br, &kind, &frame, &len, &d))) {
		snprintf(label, sizeof label, "%s: frame %llu", path, (unsigned long long)br.frames);
		if (kind == LB_BUNDLE_CHANGESET) {
			r = ingest_changeset(agg, label, frame, len, out, &accepted);
		} else if (kind == LB_BUNDLE_STATEMENTS) {
			r = ingest_statements(agg, label, frame, len);
		} else {
			fprintf(stderr, _("%s ingest: %s: refused (malformed): neither a change set "
			                "nor a statements batch\n"), PROG, label);
			r = lb_exit_status(LB_EMALFORMED);
		}
		if (r) {
			refused++;
			if (!rc)
				rc = r;
		} else
			taken++;
	}
	if (e != LB_ENOTFOUND || !br.ended) {
		fprintf(stderr, _("%s ingest: %s: %s"), PROG, path, lb_diag_msg(&d, e));
		if (br.frames)
			fprintf(stderr, _("; the %llu frames before it were each checked on their own"),
			        (unsigned long long)br.frames);
		fputc('\n', stderr);
		if (!rc)
			rc = lb_exit_status(e);
	}
	printf(_("%s: bundle of %llu frames: %llu taken (%llu new entries), %llu refused%s\n"), path,
	       (unsigned long long)br.frames, (unsigned long long)taken,
	       (unsigned long long)accepted, (unsigned long long)refused,
	       br.ended ? "" : ", the bundle is incomplete");
	lb_bundle_close(&br);
	return rc;
}

/* A change set file (at most LB_WIRE_MAX_BYTES) or a bundle. */
static int ingest_file(struct lb_agg *agg, const char *path, struct rcpts *out)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b = NULL, *nb;
	size_t cap = 1 << 16, n = 0;
	uint64_t accepted = 0;
	struct lb_diag d = {0};
	int rc;

	if (!f)
		return die("ingest", lb_fail(&d, errno == ENOENT ? LB_ENOTFOUND : LB_EIO, "%s: %s",
		                             path, strerror(errno)), &d);
	/* a bundle by its magic; anything else is read as one change set */
	if (!(b = malloc(cap))) {
		fclose(f);
		return die("ingest", lb_fail(&d, LB_ENOMEM, "out of memory"), &d);
	}
	n = fread(b, 1, LB_BUNDLE_MAGIC_LEN, f);
	if (lb_bundle_is(b, n)) {
		free(b);
		if (fseek(f, 0, SEEK_SET))
			rc = die("ingest", lb_fail(&d, LB_EIO, "%s: %s", path, strerror(errno)), &d);
		else
			rc = ingest_bundle(agg, path, f, out);
		fclose(f);
		return rc;
	}
	for (;;) {
		if (!(nb = realloc(b, cap))) {
			free(b);
			fclose(f);
			return die("ingest", lb_fail(&d, LB_ENOMEM, "out of memory"), &d);
		}
		b = nb;
		n += fread(b + n, 1, cap - n, f);
		if (n > LB_WIRE_MAX_BYTES) {
			free(b);
			fclose(f);
			fprintf(stderr, _("%s ingest: %s: refused (too_big): larger than a change set "
			                "can be (%u MiB)\n"), PROG, path, LB_WIRE_MAX_BYTES >> 20);
			return lb_exit_status(LB_ETOOBIG);
		}
		if (n < cap)
			break;
		cap *= 2;
	}
	if (ferror(f)) {
		free(b);
		fclose(f);
		return die("ingest", lb_fail(&d, LB_EIO, "%s: read error", path), &d);
	}
	fclose(f);
	rc = ingest_changeset(agg, path, b, n, out, &accepted);
	free(b);
	return rc;
}

int lb_agg_cli_ingest(struct lb_agg *agg, const char *dir, char **files, int nfiles,
                      const char *rfile)
{
	struct rcpts c = {0};
	struct lb_diag d = {0};
	uint8_t pk[LB_PK_BYTES];
	lb_err e;
	int rc = 0, r;

	if ((e = own_key(dir, pk, &d)))
		return die("ingest", e, &d);
	for (int i = 0; i < nfiles; i++) {
		if ((r = ingest_file(agg, files[i], &c)) && !rc)
			rc = r;
		if (!rfile) {
			/* FILE.receipts beside each FILE */
			size_t n = strlen(files[i]);
			char *p = malloc(n + sizeof LB_RCPT_SUFFIX);
			if (!p) {
				rc = die("ingest", lb_fail(&d, LB_ENOMEM, "out of memory"), &d);
				break;
			}
			memcpy(p, files[i], n);
			memcpy(p + n, LB_RCPT_SUFFIX, sizeof LB_RCPT_SUFFIX);
			if ((r = rcpts_write(&c, p, pk)) && !rc)
				rc = r;
			if ((r = up_rcpts_write(agg, pk, &c, p)) && !rc)
				rc = r;
			free(p);
			rcpts_clear(&c);
		}
	}
	if (rfile && (r = rcpts_write(&c, rfile, pk)) && !rc)
		rc = r;
	if (rfile && (r = up_rcpts_write(agg, pk, &c, rfile)) && !rc)
		rc = r;
	rcpts_clear(&c);
	free(c.r);
	free(c.len);
	return rc;
}

/* ---- bundle and receipt import -------------------------------------------- */

struct usb_args {
	const char *cmd, *dir, *upstream, *key;
	bool all;
	int npos;
	const char *pos[2];
};

static int usb_usage(const char *cmd, const char *msg)
{
	if (msg)
		fprintf(stderr, _("%s %s: %s\n"), PROG, cmd, msg);
	fprintf(msg ? stderr : stdout,
	        "usage: " PROG " bundle -d DIR --for UPSTREAM [--all] > FILE\n"
	        "       " PROG " receipt import -d DIR FILE [--key HEX]\n");
	return EXIT_USAGE;
}

/* Looking an upstream up by name or by key (forward.h's configuration). */
struct find_up {
	const char *name;    /* or NULL */
	const uint8_t *key;  /* or NULL */
	bool found;
	uint8_t out[LB_PK_BYTES];
	char out_name[LB_REMOTE_NAME_MAX + 1];
};

static int find_up_cb(void *ctx, const struct lb_remote *r)
{
	struct find_up *f = ctx;
	if (!r->has_key || (f->name && strcmp(f->name, r->name)) ||
	    (f->key && memcmp(f->key, r->key, LB_PK_BYTES)))
		return 0;
	f->found = true;
	memcpy(f->out, r->key, LB_PK_BYTES);
	memcpy(f->out_name, r->name, sizeof f->out_name);
	return 1;
}

/* An upstream given by key (64 hex digits) or by the name it was
 * configured under (`lumbung-agg upstream add`). */
static lb_err upstream_key(struct lb_agg *agg, const char *up, uint8_t key[LB_PK_BYTES],
                           struct lb_diag *d)
{
	struct find_up f = {.name = up};
	lb_err e;

	if (strlen(up) == 2 * LB_PK_BYTES && !lb_unhex(key, LB_PK_BYTES, up))
		return LB_OK;
	if ((e = lb_agg_upstreams(agg, find_up_cb, &f, NULL, d)))
		return e;
	if (f.found) {
		memcpy(key, f.out, LB_PK_BYTES);
		return LB_OK;
	}
	return lb_fail(d, LB_EINVAL,
	               "upstream \"%.40s\" is not known: give the name of an upstream (lumbung-agg "
	               "upstream ls) or the upstream aggregator's 64-hex key", up);
}

struct origins {
	struct lb_agg_origin *o;
	size_t n, cap;
	bool oom;
};

static int collect_origin(void *ctx, const struct lb_agg_origin *o)
{
	struct origins *os = ctx;
	if (os->n == os->cap) {
		size_t cap = os->cap ? 2 * os->cap : 64;
		struct lb_agg_origin *no = realloc(os->o, cap * sizeof *no);
		if (!no) {
			os->oom = true;
			return 1;
		}
		os->o = no;
		os->cap = cap;
	}
	os->o[os->n++] = *o;
	return 0;
}

/* The change sets of one village's replica from `from` to its tip, each
 * compressed and sealed to the upstream's key up (sync/envelope.h): the
 * stick carries no personal data in clear, and only that upstream opens
 * it. */
static lb_err bundle_origin(struct lb_agg *agg, const struct lb_agg_origin *o, uint64_t from,
                            const uint8_t up[LB_PK_BYTES], struct lb_bundle_w *w,
                            struct lb_mp_buf *buf, struct lb_mp_buf *wire, uint64_t *sets,
                            struct lb_diag *d)
{
	struct lb_agg_src *s;
	struct lb_src src;
	uint64_t to;
	lb_err e;

	if ((e = lb_agg_replica_src(agg, o->origin, &s, d)))
		return e;
	lb_agg_src_get(s, &src);
	while (from <= o->seq) {
		if ((e = lb_changeset_build(&src, from, LB_WIRE_MAX_BYTES / 2, buf, &to, NULL, d)) ||
		    (e = lb_env_wrap(buf->sb.data, buf->sb.size, true, up, wire, d)) ||
		    (e = lb_bundle_put(w, wire->sb.data, wire->sb.size, d)))
			break;
		(*sets)++;
		from = to + 1;
	}
	lb_agg_src_free(s);
	if (e == LB_ENOTFOUND) /* nothing past the last head held */
		e = LB_OK;
	if (e)
		lb_diag_prefix(d, "village %s", o->village);
	return e;
}

static int cmd_bundle(struct usb_args *a)
{
	struct lb_agg *agg = NULL;
	struct origins os = {0};
	struct lb_bundle_w w;
	struct lb_mp_buf buf, wire;
	struct lb_diag d = {0};
	uint8_t up[LB_PK_BYTES], own[LB_PK_BYTES];
	uint64_t sets = 0, entries = 0, villages = 0, current = 0, revoked = 0, statements = 0;
	lb_err e;
	int rc = 0;

	if (!a->upstream)
		return usb_usage("bundle", _("--for UPSTREAM is required (the kabupaten it is for)"));
	if (a->npos)
		return usb_usage("bundle", _("unexpected argument"));
	if (isatty(STDOUT_FILENO))
		return usb_usage("bundle", _("a bundle is binary: redirect it to a file"));
	if ((e = lb_agg_open_ro(&agg, a->dir, &d)))
		return die("bundle", e, &d);
	lb_mp_buf_init(&buf);
	lb_mp_buf_init(&wire);
	if ((e = upstream_key(agg, a->upstream, up, &d)) || (e = own_key(a->dir, own, &d)) ||
	    (e = lb_agg_origins(agg, collect_origin, &os, &d)))
		goto out;
	if (!memcmp(up, own, LB_PK_BYTES)) {
		e = lb_fail(&d, LB_EINVAL, "--for names this aggregator itself, not its upstream");
		goto out;
	}
	if (os.oom) {
		e = lb_fail(&d, LB_ENOMEM, "out of memory");
		goto out;
	}
	if ((e = lb_bundle_begin(&w, stdout, &d)))
		goto out;
	/* the enrolment statements first, so a village enrolled here is known
	 * upstream before its change sets are checked: all of them (the
	 * upstream's position is not known offline; it ignores those applied) */
	for (uint64_t from = 1;;) {
		size_t got;
		if ((e = lb_agg_statements_batch(agg, from, &buf, &got, &d)))
			goto out;
		if (!got)
			break;
		if ((e = lb_bundle_put(&w, buf.sb.data, buf.sb.size, &d)))
			goto out;
		statements += got;
		from += got;
	}
	for (size_t i = 0; i < os.n; i++) {
		const struct lb_agg_origin *o = &os.o[i];
		uint64_t pos = 0, before = sets;
		uint8_t *r = NULL;
		size_t rl;

		if (o->revoked) {
			revoked++;
			continue;
		}
		/* the upstream's position: its newest receipt held here */
		if (!a->all) {
			e = lb_agg_up_receipt(agg, up, o->origin, &pos, &r, &rl, &d);
			free(r);
			if (e == LB_ENOTFOUND)
				pos = 0;
			else if (e)
				goto out;
		}
		if (pos >= o->seq) {
			current++;
			continue;
		}
		if ((e = bundle_origin(agg, o, pos + 1, up, &w, &buf, &wire, &sets, &d)))
			goto out;
		if (sets > before) {
			villages++;
			entries += o->seq - pos;
		}
	}
	if ((e = lb_bundle_end(&w, &d)))
		goto out;
	fprintf(stderr,
	        _("%s bundle: %llu change sets, %llu entries of %llu villages; %llu villages the "
	             "upstream already holds%s"), PROG,
	        (unsigned long long)sets, (unsigned long long)entries, (unsigned long long)villages,
	        (unsigned long long)current, a->all ? _(" (--all: none assumed)") : "");
	if (statements)
		fprintf(stderr, _("; %llu enrolment statements"), (unsigned long long)statements);
	if (revoked)
		fprintf(stderr, _("; %llu revoked keys left out"), (unsigned long long)revoked);
	fprintf(stderr, "\n");
out:
	if (e)
		rc = die("bundle", e, &d);
	free(os.o);
	lb_mp_buf_free(&buf);
	lb_mp_buf_free(&wire);
	lb_agg_close(agg);
	return rc;
}

static int cmd_receipt_import(struct usb_args *a)
{
	struct lb_agg *agg = NULL;
	struct lb_rcptfile f;
	struct lb_diag d = {0};
	uint8_t key[LB_PK_BYTES], own[LB_PK_BYTES];
	char hex[2 * LB_PK_BYTES + 1];
	uint64_t kept = 0, skipped = 0, bad = 0;
	lb_err e, first = LB_OK;
	int rc = 0;

	if (a->npos != 2 || strcmp(a->pos[0], "import"))
		return usb_usage("receipt", "usage: receipt import -d DIR FILE");
	if (a->key && lb_unhex(key, LB_PK_BYTES, a->key))
		return usb_usage("receipt", _("--key takes the upstream aggregator's 64-hex key"));
	if ((e = lb_rcptfile_read(a->pos[1], &f, &d)))
		return die("receipt import", e, &d);
	lb_hex(hex, f.agg, LB_PK_BYTES);
	/* The signer must be an upstream this kecamatan knows: the file only
	 * says which key to check against. */
	if (!a->key) {
		/* the file's signer, if it is a configured upstream */
		struct find_up fu = {.key = f.agg};
		if ((e = lb_agg_open_ro(&agg, a->dir, &d)) ||
		    (e = lb_agg_upstreams(agg, find_up_cb, &fu, NULL, &d))) {
			lb_agg_close(agg);
			lb_rcptfile_free(&f);
			return die("receipt import", e, &d);
		}
		lb_agg_close(agg);
		agg = NULL;
		if (!fu.found) {
			lb_rcptfile_free(&f);
			fprintf(stderr, _("%s receipt import: %s: refused: the receipts are signed by %s, "
			                "which is no upstream of this aggregator (lumbung-agg upstream add, "
			                "or --key)\n"), PROG, a->pos[1], hex);
			return lb_exit_status(LB_EREFUSED);
		}
		memcpy(key, f.agg, LB_PK_BYTES);
	}
	if (memcmp(key, f.agg, LB_PK_BYTES)) {
		lb_rcptfile_free(&f);
		fprintf(stderr, _("%s receipt import: %s: refused: the file says its receipts are "
		                "signed by %s, not by the upstream key given\n"), PROG, a->pos[1], hex);
		return lb_exit_status(LB_ESIG);
	}
	if ((e = own_key(a->dir, own, &d)) || (e = lb_agg_open(&agg, a->dir, &d))) {
		lb_rcptfile_free(&f);
		return die("receipt import", e, &d);
	}
	if (!memcmp(own, key, LB_PK_BYTES)) {
		/* its own receipts (as handed to villages) prove nothing upward */
		fprintf(stderr, _("%s receipt import: %s: refused: these receipts are signed by this "
		                "aggregator's own key, not by an upstream's\n"), PROG, a->pos[1]);
		rc = lb_exit_status(LB_EREFUSED);
		goto out;
	}
	for (size_t i = 0; i < f.n; i++) {
		if (!(e = lb_agg_keep_up_receipt(agg, key, f.r[i], f.len[i], &d))) {
			kept++;
			continue;
		}
		if (e == LB_EUNKNOWN_ORIGIN) { /* a village not held here */
			skipped++;
			continue;
		}
		if (e == LB_ENOMEM || e == LB_ESTORE || e == LB_EFULL || e == LB_ECORRUPT) {
			rc = die("receipt import", e, &d);
			goto out;
		}
		bad++;
		if (!first)
			first = e;
		fprintf(stderr, _("%s receipt import: %s: receipt %zu refused (%s): %s\n"), PROG, a->pos[1],
		        i + 1, lb_errname(e), lb_diag_msg(&d, e));
	}
	printf(_("%s: kept %llu receipts from upstream %s; %llu for villages not held here "
	       "skipped; %llu refused\n"),
	       a->pos[1], (unsigned long long)kept, hex, (unsigned long long)skipped,
	       (unsigned long long)bad);
	if (!kept) {
		fprintf(stderr, _("%s receipt import: %s: no receipt could be kept\n"), PROG, a->pos[1]);
		rc = lb_exit_status(first ? first : LB_ENOTFOUND);
	}
out:
	lb_rcptfile_free(&f);
	lb_agg_close(agg);
	return rc;
}

int lb_agg_cli_usb(int argc, char **argv)
{
	struct usb_args a = {.cmd = argv[1], .dir = getenv("LUMBUNG_AGG_DIR")};

	for (int i = 2; i < argc; i++) {
		const char *o = argv[i], **dst = NULL;
		if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
			usb_usage(a.cmd, NULL);
			return 0;
		}
		if (!strcmp(o, "--all") && !strcmp(a.cmd, "bundle")) {
			a.all = true;
			continue;
		}
		if (o[0] != '-') {
			if (a.npos == 2)
				return usb_usage(a.cmd, _("too many arguments"));
			a.pos[a.npos++] = o;
			continue;
		}
		if (!strcmp(o, "-d") || !strcmp(o, "--dir"))
			dst = &a.dir;
		else if (!strcmp(o, "--for") && !strcmp(a.cmd, "bundle"))
			dst = &a.upstream;
		else if (!strcmp(o, "--key") && !strcmp(a.cmd, "receipt"))
			dst = &a.key;
		else {
			fprintf(stderr, _("%s %s: unknown argument %s\n"), PROG, a.cmd, o);
			return usb_usage(a.cmd, _("see the usage below"));
		}
		if (i + 1 >= argc) {
			fprintf(stderr, _("%s %s: %s needs a value\n"), PROG, a.cmd, o);
			return EXIT_USAGE;
		}
		*dst = argv[++i];
	}
	if (!a.dir || !*a.dir) {
		fprintf(stderr, _("%s %s: no aggregator directory: give -d DIR or set LUMBUNG_AGG_DIR\n"), PROG,
		        a.cmd);
		return EXIT_USAGE;
	}
	return !strcmp(a.cmd, "bundle") ? cmd_bundle(&a) : cmd_receipt_import(&a);
}
