/*
 * proof_cli.c — `lumbung-audit prove` and `lumbung-audit check-proof`: the
 * user's side of proof.h.  The only code of the proofs that prints; the
 * lumbung-audit main (audit_cli.c) dispatches here.
 */
#include "proof.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "../../node/key.h"
#include "../../schema/i18n.h"

#define PROG "lumbung-audit"
#define EXIT_USAGE 2

/* The synopsis (not translated) and the help (translated where printed). */
static const char *const prove_usage[2] = {
        "usage: " PROG " prove FILE.lla --seq N [--head SEQ] > PROOF\n"
        "       " PROG " prove FILE.lla --from SEQ1 [--to SEQ2] > PROOF\n"
        "\n",
        N_("Write an RFC 9162 proof, made from the log archive FILE.lla (which must be\n"
           "a file: it is read twice), for `lumbung-audit check-proof`:\n"
           "  --seq N      inclusion: entry N is in the log signed at --head SEQ\n"
           "               (default: the last signed head in the archive)\n"
           "  --from SEQ1  consistency: the log signed at --to SEQ2 (default: the last\n"
           "               signed head) extends the one signed at SEQ1; both must be\n"
           "               signed heads in the archive\n")};

static const char *const check_usage[2] = {
        "usage: " PROG " check-proof PROOF [--key HEX|PUBFILE] [--json]\n"
        "\n",
        N_("Check a proof made by `lumbung-audit prove` using nothing but the proof and the\n"
           "signer's public key (--key: 64 hex digits or a public key file; without it\n"
           "the proof is checked against the key it names, which proves nothing about\n"
           "who signed).  PROOF \"-\" reads stdin.  Exit 0 when the proof holds.\n")};

static void show_usage(const char *const text[2], FILE *f)
{
	fputs(text[0], f);
	fputs(_(text[1]), f);
}

/* fmt: translated by the caller (_()). */
static int usage(const char *cmd, const char *const text[2], const char *fmt, const char *arg)
{
	fprintf(stderr, PROG " %s: ", cmd);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	show_usage(text, stderr);
	return EXIT_USAGE;
}

static int die(const char *cmd, lb_err e, const struct lb_diag *d)
{
	fprintf(stderr, PROG " %s: %s\n", cmd, lb_diag_msg(d, e));
	return lb_exit_status(e);
}

/* A seq: decimal digits only, 1 or more, no overflow. */
static bool parse_seq(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return v > 0;
}

static const char *op_name(enum lb_op op)
{
	return op == LB_OP_DEL ? "del" : "put";
}

/* ---- prove ------------------------------------------------------------------ */

int lb_audit_cmd_prove(int argc, char **argv)
{
	const char *cmd = argv[0], *file = NULL;
	const char *names[4] = {"--seq", "--head", "--from", "--to"};
	uint64_t val[4] = {0};
	struct lb_diag d = {0};
	struct lb_mp_buf out;
	struct lb_proof_verdict v;
	FILE *f;
	lb_err e;
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		int o = -1;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			show_usage(prove_usage, stdout);
			return 0;
		}
		for (int k = 0; k < 4; k++)
			if (!strcmp(argv[i], names[k]))
				o = k;
		if (o >= 0) {
			if (i + 1 == argc)
				return usage(cmd, prove_usage, _("%s needs a sequence number"),
				             argv[i]);
			if (!parse_seq(argv[++i], &val[o]))
				return usage(cmd, prove_usage,
				             _("%s: not a sequence number (1 or more)"), argv[i]);
		} else if (argv[i][0] == '-' && argv[i][1])
			return usage(cmd, prove_usage, _("unknown option %s"), argv[i]);
		else if (file)
			return usage(cmd, prove_usage, _("unexpected argument %s"), argv[i]);
		else
			file = argv[i];
	}
	if (!file)
		return usage(cmd, prove_usage, "%s", _("which archive? (FILE.lla)"));
	if (!val[0] == !val[2])
		return usage(cmd, prove_usage, "%s", _("say --seq N (inclusion) or --from SEQ1 (consistency)"));
	if (val[0] && val[3])
		return usage(cmd, prove_usage, "%s", _("--to goes with --from; with --seq say --head"));
	if (val[2] && val[1])
		return usage(cmd, prove_usage, "%s", _("--head goes with --seq; with --from say --to"));
	if (isatty(STDOUT_FILENO))
		return usage(cmd, prove_usage, "%s", _("refusing to write a binary proof to a terminal: redirect it (> "
		             "PROOF)"));
	if (!strcmp(file, "-")) {
		fprintf(stderr,
		        _("%s %s: the archive must be a file, not stdin: a proof reads it "
		             "twice\n"),
		        PROG, cmd);
		return lb_exit_status(LB_EINVAL);
	}
	if (!(f = fopen(file, "rb"))) {
		fprintf(stderr, PROG " %s: %s: %s\n", cmd, file, strerror(errno));
		return lb_exit_status(errno == ENOENT ? LB_ENOTFOUND : LB_EIO);
	}

	lb_mp_buf_init(&out);
	e = val[0] ? lb_proof_inclusion_make(&out, f, val[0], val[1], &d)
	           : lb_proof_consistency_make(&out, f, val[2], val[3], &d);
	fclose(f);
	if (e) {
		fprintf(stderr, PROG " %s: %s: %s\n", cmd, file, lb_diag_msg(&d, e));
		rc = lb_exit_status(e);
		goto out;
	}
	if (fwrite(out.sb.data, 1, out.sb.size, stdout) != out.sb.size || fflush(stdout) != 0) {
		fprintf(stderr, _("%s %s: writing the proof: %s\n"), PROG, cmd, strerror(errno));
		rc = lb_exit_status(LB_EIO);
		goto out;
	}
	/* Already checked by the maker; this only fetches what to report. */
	if (lb_proof_check(&v, out.sb.data, out.sb.size, NULL, NULL) == LB_OK) {
		if (v.kind == LB_PROOF_INCLUSION)
			fprintf(stderr,
			        _("%s %s: inclusion of seq %llu (%s %s \"%s\") in the log of %s "
			             "signed at seq %llu, %zu bytes\n"),
			        PROG, cmd, (unsigned long long)v.seq, op_name(v.op), v.type, v.id,
			        v.head.village, (unsigned long long)v.head.seq, out.sb.size);
		else
			fprintf(stderr,
			        _("%s %s: consistency of the log of %s signed at seq %llu with the "
			        "one signed at seq %llu, %zu bytes\n"),
			        PROG, cmd, v.head.village, (unsigned long long)v.old.seq,
			        (unsigned long long)v.head.seq, out.sb.size);
	}
out:
	lb_mp_buf_free(&out);
	return rc;
}

/* ---- check-proof -------------------------------------------------------------- */

/* Read all of f up to LB_PROOF_MAX bytes into a new buffer (caller frees). */
static lb_err slurp(FILE *f, uint8_t **buf, size_t *len, struct lb_diag *d)
{
	uint8_t *b = malloc(LB_PROOF_MAX + 1);
	size_t n;

	if (!b)
		return lb_fail(d, LB_ENOMEM, "out of memory");
	n = fread(b, 1, LB_PROOF_MAX + 1, f);
	if (ferror(f)) {
		free(b);
		return lb_fail(d, LB_EIO, "reading the proof: %s", strerror(errno));
	}
	if (n > LB_PROOF_MAX) {
		free(b);
		return lb_fail(d, LB_ETOOBIG, "the file is larger than any proof (%d bytes)",
		               LB_PROOF_MAX);
	}
	*buf = b;
	*len = n;
	return LB_OK;
}

static void hex32(char out[65], const uint8_t *b)
{
	lb_hex(out, b, 32);
}

static void print_json(lb_err e, const struct lb_proof_verdict *v, const struct lb_diag *d)
{
	char h[65];
	json_t *j = json_object();

	json_object_set_new(j, "ok", json_boolean(e == LB_OK));
	if (v->kind)
		json_object_set_new(j, "kind",
		                    json_string(v->kind == LB_PROOF_INCLUSION ? "inclusion"
		                                                              : "consistency"));
	json_object_set_new(j, "pinned", json_boolean(v->pinned));
	if (e) {
		json_object_set_new(j, "error", json_string(lb_errname(e)));
		json_object_set_new(j, "message", json_string(lb_diag_msg(d, e)));
	} else {
		hex32(h, v->head.origin);
		json_object_set_new(j, "village", json_string(v->head.village));
		json_object_set_new(j, "signer", json_string(h));
		if (v->kind == LB_PROOF_INCLUSION) {
			json_object_set_new(j, "seq", json_integer((json_int_t)v->seq));
			json_object_set_new(j, "op", json_string(op_name(v->op)));
			json_object_set_new(j, "type", json_string(v->type));
			json_object_set_new(j, "id", json_string(v->id));
			hex32(h, v->entry_hash);
			json_object_set_new(j, "entry_hash", json_string(h));
		} else {
			json_object_set_new(j, "old_size", json_integer((json_int_t)v->old.seq));
			hex32(h, v->old.root);
			json_object_set_new(j, "old_root", json_string(h));
		}
		json_object_set_new(j, "tree_size", json_integer((json_int_t)v->head.seq));
		hex32(h, v->head.root);
		json_object_set_new(j, "root", json_string(h));
	}
	json_dumpf(j, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(j);
}

static void print_text(const struct lb_proof_verdict *v)
{
	char h[65];

	if (v->kind == LB_PROOF_INCLUSION) {
		printf(_("inclusion proof OK: entry seq %llu is in the log of village %s signed at "
		       "seq %llu\n"),
		       (unsigned long long)v->seq, v->head.village,
		       (unsigned long long)v->head.seq);
		printf(_("  entry       seq %llu: %s %s \"%s\"\n"), (unsigned long long)v->seq,
		       op_name(v->op), v->type, v->id);
		hex32(h, v->entry_hash);
		printf(_("  entry hash  %s\n"), h);
	} else {
		printf(_("consistency proof OK: the log of village %s signed at seq %llu extends the "
		       "one signed at seq %llu\n"),
		       v->head.village, (unsigned long long)v->head.seq,
		       (unsigned long long)v->old.seq);
		hex32(h, v->old.root);
		printf(_("  old tree    size %llu, root %s\n"), (unsigned long long)v->old.seq, h);
	}
	hex32(h, v->head.root);
	printf(_("  tree        size %llu, root %s\n"), (unsigned long long)v->head.seq, h);
	hex32(h, v->head.origin);
	printf(_("  signer      %s (%s)\n"), h,
	       v->pinned ? _("pinned with --key")
	                 : _("NOT pinned: checked against the key named inside the proof"));
}

int lb_audit_cmd_check_proof(int argc, char **argv)
{
	const char *cmd = argv[0], *file = NULL, *keyarg = NULL;
	uint8_t key[LB_PK_BYTES];
	struct lb_proof_verdict v;
	struct lb_diag d = {0};
	uint8_t *buf = NULL;
	size_t len = 0;
	bool json = false;
	FILE *f;
	lb_err e;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			show_usage(check_usage, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--key")) {
			if (i + 1 == argc)
				return usage(cmd, check_usage, "%s", _("--key needs a public key"));
			keyarg = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1])
			return usage(cmd, check_usage, _("unknown option %s"), argv[i]);
		else if (file)
			return usage(cmd, check_usage, _("unexpected argument %s"), argv[i]);
		else
			file = argv[i];
	}
	if (!file)
		return usage(cmd, check_usage, "%s", _("which proof? (PROOF, or - for stdin)"));
	if (keyarg && (strlen(keyarg) != 2 * LB_PK_BYTES || lb_unhex(key, LB_PK_BYTES, keyarg))) {
		/* Not hex: a public key file (lumbung-public-key-v1 ...). */
		if ((e = lb_key_load_public(keyarg, key, &d))) {
			fprintf(stderr, _("%s %s: --key %s: not 64 hex digits, and %s\n"), PROG, cmd,
			        keyarg, lb_diag_msg(&d, e));
			return lb_exit_status(e);
		}
	}

	f = strcmp(file, "-") ? fopen(file, "rb") : stdin;
	if (!f) {
		fprintf(stderr, PROG " %s: %s: %s\n", cmd, file, strerror(errno));
		return lb_exit_status(errno == ENOENT ? LB_ENOTFOUND : LB_EIO);
	}
	e = slurp(f, &buf, &len, &d);
	if (f != stdin)
		fclose(f);
	if (e) {
		free(buf);
		return die(cmd, e, &d);
	}
	if (!keyarg)
		fprintf(stderr,
		        _("%s %s: warning: signer not pinned: checked against the key named "
		             "inside the proof (pass --key to pin it)\n"),
		        PROG, cmd);
	e = lb_proof_check(&v, buf, len, keyarg ? key : NULL, &d);
	free(buf);
	if (json)
		print_json(e, &v, &d);
	if (e) {
		fprintf(stderr, _("%s %s: FAILED: %s\n"), PROG, cmd, lb_diag_msg(&d, e));
		return lb_exit_status(e);
	}
	if (!json)
		print_text(&v);
	return 0;
}
