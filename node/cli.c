/*
 * cli.c — `lumbung`, the village node command line.
 *
 * Only this file prints and exits.  Each command parses its arguments,
 * calls the node library and turns an lb_err into one line on stderr,
 *   lumbung put: penduduk 3324011201900001: body: ... ,
 * and an exit status (0 ok, 1 not found, 2 usage, 2+code otherwise; see
 * lb_exit_status and docs/lumbung.1).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "../schema/err.h"
#include "../schema/i18n.h"
#include "../schema/schema.h"
#include "../schema/text.h"
#include "../schema/value.h"
#include "../schema/version.h"
#include "adopt.h"
#include "archive.h"
#include "body.h"
#include "csvio.h"
#include "hlc.h"
#include "cli.h"
#include "cli_backup.h"
#include "cli_config.h"
#include "cli_find.h"
#include "cliconf.h"
#include "cli_pass.h"
#include "consistency.h"
#include "keybackup.h"
#include "node.h"
#include "succession.h"
#include "repair.h"

#define PROG LB_CLI_PROG
#define EXIT_USAGE LB_CLI_EXIT_USAGE
#define BATCH_MAX_OPS 10000
#define BATCH_MAX_BYTES (16u << 20)
#define LINE_MAX_BYTES (1u << 20)


/* Filled in by lb_cli_main: the node's commands, then the extra ones. */
static const struct lb_cli_cmd *cmds_extra;
static size_t ncmds_extra;

static const struct lb_cli_cmd *find_cmd(const char *name);
static int cmd_init(struct lb_cli_args *a);
static int cmd_id(struct lb_cli_args *a);
static int cmd_put(struct lb_cli_args *a);
static int cmd_get(struct lb_cli_args *a);
static int cmd_rm(struct lb_cli_args *a);
static int cmd_ls(struct lb_cli_args *a);
static int cmd_log(struct lb_cli_args *a);
static int cmd_verify(struct lb_cli_args *a);
static int cmd_export(struct lb_cli_args *a);
static int cmd_schema(struct lb_cli_args *a);
static int cmd_export_log(struct lb_cli_args *a);
static int cmd_key(struct lb_cli_args *a);
static int cmd_config(struct lb_cli_args *a);

static const struct lb_cli_cmd cmds[] = {
	{"init", "init -d DIR --village PP.KK.CC.DDDD [--name NAME]\n       " PROG
	         " init -d DIR --restore-key FILE [--passphrase-file F] [--village CODE] [--name NAME]",
	 N_("Create a village node in DIR with a new Ed25519 key pair; prints the origin key.\n"
	 "With --restore-key the node gets the key of a key backup (lumbung key backup)\n"
	 "instead: the passphrase is asked on the terminal, or read from the first line\n"
	 "of F.  Then bring the village's log back with lumbung restore before writing."), cmd_init,
	 false},
	{"key", "key backup -d DIR [--passphrase-file F] > desa.key.txt\n       " PROG
	        " key restore -d DIR FILE [--passphrase-file F]",
	 N_("Write the node's secret key, encrypted with a passphrase (Argon2id and\n"
	 "XSalsa20-Poly1305), as one page of text with a checksum on every line: print\n"
	 "it and keep it in the kantor desa safe, the passphrase apart from it.  The\n"
	 "passphrase (at least 8 characters) is asked twice on the terminal, or read\n"
	 "from the first line of F.  lumbung init --restore-key brings the key back.\n"
	 "key restore puts it back into a node restored from lumbung backup (which\n"
	 "leaves the key out), when it is that node's key."), cmd_key,
	 false},
	{"backup", "backup -d DIR [--quiet] > FILE",
	 N_("Write a consistent, compacted copy of the node as a tar archive while it\n"
	 "keeps running (LMDB's copy, one snapshot): the database, its catalogues and\n"
	 "the other files, without the secret key (node.key).  Restore with\n"
	 "mkdir -m 700 NEWDIR && tar -xf FILE -C NEWDIR, then lumbung key restore.\n"
	 "Refuses a terminal as output; a full disk or a closed pipe is an error."),
	 lb_cli_backup, false},
	{"id", "id -d DIR [--json]", N_("Show the village code, name, origin key, last seq and head hash."), cmd_id, false},
	{"put", "put -d DIR [--merge] TYPE ID field=value field:=JSON ...\n       " PROG
	        " put -d DIR --batch [FILE|-]",
	 N_("Write one record in one transaction.  field=value is read as the field's kind\n"
	 "wants (a number for integer and rupiah fields, e.g. 1.500.000; true/false or\n"
	 "ya/tidak for boolean ones; text otherwise); field:=JSON takes a JSON value as\n"
	 "it is (field:=123, field:=true).  The record is replaced as a whole; with\n"
	 "--merge only the given fields change and the others keep their current values.\n"
	 "--batch imports JSON lines {\"type\":..,\"id\":..,\"body\":{..}} (\"op\":\"del\"\n"
	 "deletes) in large transactions.  A bad line is named by its line number and\n"
	 "nothing of its transaction is written."), cmd_put, false},
	{"get", "get -d DIR TYPE ID", N_("Print the current body of a record as JSON (exit 1 if absent)."), cmd_get, false},
	{"rm", "rm -d DIR TYPE ID [--cascade]",
	 N_("Delete a record (appends a del entry; history is kept).  A record that live\n"
	    "records refer to (a programme's penerima and kegiatan, a resident who heads a\n"
	    "keluarga) is not deleted: they are listed.  With --cascade they are deleted\n"
	    "too, in the same transaction."), cmd_rm, false},
	{"ls", "ls -d DIR TYPE", N_("List the live ids of a type."), cmd_ls, false},
	{"find", "find -d DIR TYPE [field=value | field~text ...] [--json | --csv [--sep ,|;] [--excel]]",
	 N_("List the live records of a type that match every term: field=value compares\n"
	 "the value as put and import read it (rt=1 finds 001, agama=ISLAM finds islam;\n"
	 "field= finds records without the field), field~text finds text inside the\n"
	 "field, ignoring case; id names the record id.  One record per line (id, then\n"
	 "the record as JSON), --json one JSON object per line, --csv as export writes\n"
	 "it.  Exit 1 when nothing matches."), lb_cli_find, false},
	{"log", "log -d DIR [--since SEQ] [--json]",
	 N_("Print the change log, one entry per line (--json: one JSON object per line)."), cmd_log, false},
	{"import", "import -d DIR TYPE FILE.csv [--sep ,|;] [--skip-invalid REJECTS.csv]\n"
	           "       [--encoding utf-8|cp1252|latin1] [--from opensid] [--quiet]",
	 N_("Import a spreadsheet: a header row naming the fields (case, blanks and\n"
	 "punctuation do not matter), then one record per row; , or ; separators\n"
	 "(detected), quotes, CRLF and a UTF-8 BOM are fine.  Values are read as people\n"
	 "type them (ISLAM, BELUM KAWIN, 01/01/1995, 23 Agustus 2000, RT 1, Rp 1.500.000)\n"
	 "and the summary says what was stored in the standard form.  Every row is\n"
	 "checked first: if any is invalid, each is listed with its row number and all\n"
	 "its problems, and nothing is imported.  With --skip-invalid the valid rows are\n"
	 "imported and the others written to REJECTS.csv with a reason column that\n"
	 "import ignores, so the corrected file imports as it is.  --encoding cp1252\n"
	 "reads a file Excel saved as Windows-1252; --from opensid reads OpenSID's\n"
	 "export.  All rows go in one transaction (an interrupted import changes\n"
	 "nothing); unchanged records write no new entry, so running the same import\n"
	 "again is harmless."), lb_cli_import, false},
	{"export", "export -d DIR TYPE [--sep ,|;] [--excel] > FILE.csv\n       " PROG
	 " export -d DIR TYPE --xlsx FILE.xlsx",
	 N_("Write the live records of a type as CSV (UTF-8 with BOM, CRLF).  --sep ; for\n"
	 "spreadsheets set to Indonesian locale; --excel writes NIK and KK numbers as\n"
	 "=\"...\" so Excel keeps all 16 digits.  --xlsx writes an Excel workbook\n"
	 "instead: NIK, KK and RT/RW as text, amounts as numbers, dates as dates."), cmd_export, false},
	{"export-log", "export-log -d DIR [--forked [--round R]] > FILE.lla",
	 N_("Write the whole signed history as a log archive (docs/FORMAT.md section 9):\n"
	 "every entry, every signed head and the aggregators' receipts, exactly the\n"
	 "signed bytes, for an auditor to check with lumbung-audit.  A consistent\n"
	 "snapshot, also while others write.  Binary: redirect it to a file.\n"
	 "--forked: instead, the fork evidence `lumbung repair` kept (every round, or\n"
	 "round R): the held history and our old one from the fork seq, each up to its\n"
	 "signed head, which lumbung-audit verify proves to be a fork."), cmd_export_log,
	 false},
	{"config", "config -d DIR [ls | get KEY | set KEY VALUE | unset KEY]",
	 N_("Show or change the node's settings (DIR/lumbung.conf, key = value lines).\n"
	 "bahasa: id or en, the language of messages (LUMBUNG_BAHASA in the\n"
	 "environment wins; unset: follow the locale, e.g. LANG=id_ID.UTF-8)."), cmd_config, false},
	{"schema", "schema [TYPE] [--json]",
	 N_("List the record types and their fields, kinds and rules (no node needed)."), cmd_schema, true},
	{"verify", "verify -d DIR [--json]",
	 N_("Check every hash, the chain, every signed head, the Merkle root and that the\n"
	    "current state equals a replay of the log, and that no live record refers to\n"
	    "a record that does not exist or was deleted (each such reference is listed).\n"
	    "Exit 0 only if all of it holds."), cmd_verify, false},
};

static void usage_all(FILE *f)
{
	fprintf(f, _("usage: %s COMMAND [options]   (-d DIR defaults to $LUMBUNG_DIR)\n\n"), PROG);
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		fprintf(f, "  " PROG " %s\n", cmds[i].usage);
	for (size_t i = 0; i < ncmds_extra; i++)
		fprintf(f, "  " PROG " %s\n", cmds_extra[i].usage);
	fprintf(f, _("\n%s COMMAND --help shows what a command does.\n"), PROG);
}

static int usage_cmd(const char *cmd, FILE *f, int status)
{
	const struct lb_cli_cmd *c = find_cmd(cmd);

	if (c) {
		fprintf(f, _("usage: %s %s\n\n%s\n"), PROG, c->usage, _(c->help));
		return status;
	}
	usage_all(f);
	return status;
}

int lb_cli_die(const char *cmd, lb_err e, const struct lb_diag *d)
{
	fprintf(stderr, PROG " %s: %s\n", cmd, lb_diag_msg(d, e));
	return lb_exit_status(e);
}

int lb_cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, PROG " %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, _(fmt), ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return usage_cmd(cmd, stderr, EXIT_USAGE);
}

/* Options may come anywhere after the command.  Returns 0 or a usage
 * exit status. */
static int parse_args(int argc, char **argv, struct lb_cli_args *a)
{
	memset(a, 0, sizeof *a);
	a->dir = getenv("LUMBUNG_DIR");
	if (!(a->pos = calloc((size_t)argc, sizeof *a->pos)))
		return EXIT_USAGE;
	if (argc < 2)
		return EXIT_USAGE;
	a->cmd = argv[1];
	for (int i = 2; i < argc; i++) {
		const char *o = argv[i];
#define OPTARG_(var)                                                              \
	do {                                                                      \
		if (i + 1 >= argc)                                                \
			return lb_cli_usage_error(a->cmd, "option %s needs a value", o); \
		var = argv[++i];                                                  \
	} while (0)
		if (!strcmp(o, "-d") || !strcmp(o, "--dir"))
			OPTARG_(a->dir);
		else if (!strcmp(o, "--village"))
			OPTARG_(a->village);
		else if (!strcmp(o, "--name"))
			OPTARG_(a->name);
		else if (!strcmp(o, "--since"))
			OPTARG_(a->since);
		else if (!strcmp(o, "--batch"))
			a->batch = (i + 1 < argc && argv[i + 1][0] != '-') || (i + 1 < argc && !strcmp(argv[i + 1], "-"))
			                   ? argv[++i]
			                   : "-";
		else if (!strcmp(o, "--json"))
			a->json = 1;
		else if (!strcmp(o, "--csv"))
			a->csv = 1;
		else if (!strcmp(o, "--merge"))
			a->merge = 1;
		else if (!strcmp(o, "--excel"))
			a->excel = 1;
		else if (!strcmp(o, "--sep"))
			OPTARG_(a->sep);
		else if (!strcmp(o, "--skip-invalid"))
			OPTARG_(a->rejects);
		else if (!strcmp(o, "--to"))
			OPTARG_(a->to);
		else if (!strcmp(o, "--key"))
			OPTARG_(a->key);
		else if (!strcmp(o, "--every"))
			OPTARG_(a->every);
		else if (!strcmp(o, "--max-bytes"))
			OPTARG_(a->max_bytes);
		else if (!strcmp(o, "--stall-timeout"))
			OPTARG_(a->stall);
		else if (!strcmp(o, "--restore-key"))
			OPTARG_(a->restore_key);
		else if (!strcmp(o, "--passphrase-file"))
			OPTARG_(a->passfile);
		else if (!strcmp(o, "--no-seal"))
			a->no_seal = 1;
		else if (!strcmp(o, "--no-compress"))
			a->no_compress = 1;
		else if (!strcmp(o, "--plain"))
			a->plain = 1;
		else if (!strcmp(o, "--seal-to"))
			OPTARG_(a->seal_to);
		else if (!strcmp(o, "--from"))
			OPTARG_(a->from);
		else if (!strcmp(o, "--agg-key"))
			OPTARG_(a->agg_key);
		else if (!strcmp(o, "--remote"))
			OPTARG_(a->remote);
		else if (!strcmp(o, "--cacert"))
			OPTARG_(a->cacert);
		else if (!strcmp(o, "--upstream-key")) {
			if (a->nupstream == LB_CLI_UPSTREAM_KEYS)
				return lb_cli_usage_error(a->cmd, "at most %d --upstream-key options",
				                          LB_CLI_UPSTREAM_KEYS);
			OPTARG_(a->upstream_keys[a->nupstream]);
			a->nupstream++;
		}
		else if (!strcmp(o, "--round"))
			OPTARG_(a->round);
		else if (!strcmp(o, "--forked"))
			a->forked = 1;
		else if (!strcmp(o, "--quiet") || !strcmp(o, "-q"))
			a->quiet = 1;
		else if (!strcmp(o, "--cascade"))
			a->cascade = 1;
		else if (!strcmp(o, "--xlsx"))
			OPTARG_(a->xlsx);
		else if (!strcmp(o, "--encoding"))
			OPTARG_(a->encoding);
		else if (!strcmp(o, "--per"))
			OPTARG_(a->per);
		else if (!strcmp(o, "--month"))
			OPTARG_(a->month);
		else if (!strcmp(o, "--pdf"))
			OPTARG_(a->pdf);
		else if (!strcmp(o, "-h") || !strcmp(o, "--help"))
			a->help = 1;
		else if (!strcmp(o, "--"))
			while (++i < argc)
				a->pos[a->npos++] = argv[i];
		else if (o[0] == '-' && o[1])
			return lb_cli_usage_error(a->cmd, "unknown option %s", o);
		else
			a->pos[a->npos++] = argv[i];
#undef OPTARG_
	}
	return 0;
}

lb_err lb_cli_open_node(const struct lb_cli_args *a, int read_only, struct lb_node **n,
                        struct lb_diag *d)
{
	struct lb_node_opts o = {.read_only = read_only};
	const char *ms = getenv("LUMBUNG_MAP_SIZE"); /* testing knob: start small to exercise growth */

	if (ms)
		o.map_size = (size_t)strtoull(ms, NULL, 10);
	return lb_node_open(n, a->dir, &o, d);
}

static void print_hex_line(const char *label, const uint8_t *b, size_t n)
{
	char hex[2 * 64 + 1];
	lb_hex(hex, b, n);
	printf("%-9s %s\n", label, hex);
}

/* ---- remotes and their tiers (remote ls, id) ---------------------------- */

/* Remotes are collected first: the receipt lookups need their own read
 * transaction, and LMDB allows one per thread. */
#define REMOTES_SHOWN 64
struct remote_tiers {
	struct lb_remote r;
	uint64_t seq, count; /* receipts from the remote */
	size_t nup;
	struct lb_upstream up[LB_REMOTE_UPSTREAM_MAX];
	uint64_t up_seq[LB_REMOTE_UPSTREAM_MAX];
};
struct remotes {
	struct remote_tiers t[REMOTES_SHOWN];
	size_t n;
};

static int collect_remote(void *ctx, const struct lb_remote *r)
{
	struct remotes *rs = ctx;
	if (rs->n < REMOTES_SHOWN)
		rs->t[rs->n++].r = *r;
	return 0;
}

/* Every remote with its upstream keys and the last seq each one's kept
 * receipts prove (malloc'd; the caller frees). */
static lb_err remote_tiers(struct lb_node *n, struct remotes **out, size_t *count,
                           struct lb_diag *d)
{
	struct remotes *rs = calloc(1, sizeof *rs);
	lb_err e;

	*out = NULL;
	if (!rs)
		return lb_fail(d, LB_ENOMEM, "out of memory");
	if ((e = lb_remote_list(n, collect_remote, rs, count, d))) {
		free(rs);
		return e;
	}
	for (size_t i = 0; i < rs->n && !e; i++) {
		struct remote_tiers *t = &rs->t[i];
		if (t->r.has_key)
			e = lb_node_receipt_last(n, t->r.key, &t->seq, &t->count, d);
		if (!e)
			e = lb_remote_upstreams(n, t->r.name, t->up, &t->nup, d);
		/* only a pinned key's receipts were checked and kept */
		for (size_t j = 0; j < t->nup && !e; j++)
			if (t->up[j].pinned)
				e = lb_node_receipt_last(n, t->up[j].key, &t->up_seq[j], NULL, d);
	}
	if (e)
		free(rs);
	else
		*out = rs;
	return e;
}

lb_err lb_cli_print_remotes(struct lb_node *n, const char *indent, size_t *count,
                            struct lb_diag *d)
{
	struct remotes *rs;
	char hex[2 * LB_PK_BYTES + 1];
	lb_err e;

	if ((e = remote_tiers(n, &rs, count, d)))
		return e;
	for (size_t i = 0; i < rs->n; i++) {
		struct remote_tiers *t = &rs->t[i];
		if (t->r.has_key)
			lb_hex(hex, t->r.key, LB_PK_BYTES);
		else
			snprintf(hex, sizeof hex, "%s", _("(key unknown)"));
		printf("%s%-12s %s  %s", indent, t->r.name, t->r.url, hex);
		if (t->r.cacert[0])
			printf("%s", _("  (CA pinned)"));
		if (t->count)
			printf(_("  receipts up to seq %llu (%llu kept)"), (unsigned long long)t->seq,
			       (unsigned long long)t->count);
		printf("\n");
		for (size_t j = 0; j < t->nup; j++) {
			lb_hex(hex, t->up[j].key, LB_PK_BYTES);
			if (!t->up[j].pinned)
				printf(_("%s  above %s: %s learnt from %s, NOT trusted: if the office confirms "
				         "it, run: %s remote confirm %s %s\n"),
				       indent, t->r.name, hex, t->r.name, PROG, t->r.name, hex);
			else if (t->up_seq[j])
				printf(_("%s  above %s: %s pinned, holds this village's log up to seq %llu "
				         "(its receipt checked)\n"),
				       indent, t->r.name, hex, (unsigned long long)t->up_seq[j]);
			else
				printf(_("%s  above %s: %s pinned, no receipt from it yet\n"), indent, t->r.name,
				       hex);
		}
	}
	free(rs);
	return LB_OK;
}

/* The same as JSON: [{name, url, key|null, seq, receipts, upstream:
 * [{key, pinned, seq}]}]; NULL on error (d says why). */
static json_t *remotes_json(struct lb_node *n, struct lb_diag *d)
{
	struct remotes *rs;
	char hex[2 * LB_PK_BYTES + 1];
	json_t *arr;
	size_t count;

	if (remote_tiers(n, &rs, &count, d))
		return NULL;
	arr = json_array();
	for (size_t i = 0; arr && i < rs->n; i++) {
		struct remote_tiers *t = &rs->t[i];
		json_t *up = json_array();
		for (size_t j = 0; up && j < t->nup; j++) {
			lb_hex(hex, t->up[j].key, LB_PK_BYTES);
			json_array_append_new(up, json_pack("{s:s, s:b, s:I}", "key", hex, "pinned",
			                                    (int)t->up[j].pinned, "seq",
			                                    (json_int_t)t->up_seq[j]));
		}
		lb_hex(hex, t->r.key, LB_PK_BYTES);
		json_array_append_new(
			arr, json_pack("{s:s, s:s, s:o, s:I, s:I, s:o, s:b}", "name", t->r.name, "url",
		                       t->r.url, "key", t->r.has_key ? json_string(hex) : json_null(),
		                       "seq", (json_int_t)t->seq, "receipts", (json_int_t)t->count,
		                       "upstream", up ? up : json_array(), "ca_pinned",
		                       (int)(t->r.cacert[0] != '\0')));
	}
	free(rs);
	return arr;
}

/* ---- init, id ------------------------------------------------------------ */

/* init --restore-key: the node gets the key of a key backup. */
static int init_restored(struct lb_cli_args *a)
{
	struct lb_diag d = {0};
	struct lb_key k;
	char village[LB_VILLAGE_LEN + 1], hex[2 * LB_PK_BYTES + 1];
	uint8_t origin[LB_PK_BYTES];
	lb_err e;

	if ((e = lb_cli_key_from_backup(a->restore_key, a->passfile, &k, village, &d)))
		return lb_cli_die(a->cmd, e, &d);
	if (a->village && strcmp(a->village, village) != 0) {
		lb_key_wipe(&k);
		fprintf(stderr,
		        _("%s init: %s is the key of village %s, not of --village %.40s; nothing "
		          "was written\n"),
		        PROG, a->restore_key, village, a->village);
		return lb_exit_status(LB_EINVAL);
	}
	e = lb_node_init_key(a->dir, village, a->name, &k, origin, &d);
	lb_key_wipe(&k);
	if (e)
		return lb_cli_die(a->cmd, e, &d);
	lb_hex(hex, origin, LB_PK_BYTES);
	printf("%s\n", hex);
	fprintf(stderr,
	        _("initialised village %s in %s with the key restored from %s\n"
	          "warning: this key has history at the aggregator.  Bring the log back first:\n"
	          "  %s restore -d %s --from URL|FILE.lla --village %s\n"
	          "and only then write records: writing first would fork the village's history.\n"),
	        village, a->dir, a->restore_key, PROG, a->dir, village);
	return 0;
}

static int cmd_init(struct lb_cli_args *a)
{
	struct lb_diag d = {0};
	uint8_t origin[LB_PK_BYTES];
	char hex[2 * LB_PK_BYTES + 1];
	lb_err e;

	if (a->npos)
		return lb_cli_usage_error(a->cmd, "unexpected argument %s", a->pos[0]);
	if (a->restore_key)
		return init_restored(a);
	if (a->passfile)
		return lb_cli_usage_error(a->cmd, "--passphrase-file goes with --restore-key FILE");
	if (!a->village)
		return lb_cli_usage_error(a->cmd, "--village CODE is required");
	if ((e = lb_node_init(a->dir, a->village, a->name, origin, &d)))
		return lb_cli_die(a->cmd, e, &d);
	lb_hex(hex, origin, LB_PK_BYTES);
	printf("%s\n", hex);
	fprintf(stderr, _("initialised village %s in %s; secret key %s/node.key (keep it private)\n"),
	        a->village, a->dir, a->dir);
	fprintf(stderr,
	        _("make a backup of the village key now: %s key backup -d %s > desa.key.txt\n"
	          "then print it and keep it in the kantor desa safe (the passphrase apart from it)\n"),
	        PROG, a->dir);
	return 0;
}

/* ---- key backup ------------------------------------------------------------ */

static int cmd_key(struct lb_cli_args *a)
{
	struct lb_diag d = {0};
	struct lb_node *n = NULL;
	struct lb_node_info info;
	struct lb_key k;
	char pass[LB_KEYBACKUP_PASS_MAX + 2], *path, *text = NULL, hex[2 * LB_PK_BYTES + 1];
	size_t passlen;
	lb_err e;

	if (a->npos >= 1 && !strcmp(a->pos[0], "restore")) /* cli_backup.c */
		return lb_cli_key_restore(a);
	if (a->npos != 1 || strcmp(a->pos[0], "backup") != 0)
		return a->npos ? lb_cli_usage_error(a->cmd, "unknown subcommand %s", a->pos[0])
		               : lb_cli_usage_error(a->cmd, "which? key backup");
	if ((e = lb_cli_open_node(a, 1, &n, &d)) || (e = lb_node_info(n, &info, &d))) {
		lb_node_close(n);
		return lb_cli_die(a->cmd, e, &d);
	}
	lb_node_close(n);
	if (!(path = malloc(strlen(a->dir) + sizeof "/node.key")))
		return lb_cli_die(a->cmd, LB_ENOMEM, NULL);
	sprintf(path, "%s/node.key", a->dir);
	e = lb_key_load(path, &k, &d);
	free(path);
	if (e)
		return lb_cli_die(a->cmd, e, &d);
	if (sodium_memcmp(k.pk, info.origin, LB_PK_BYTES) != 0) {
		lb_key_wipe(&k);
		fprintf(stderr, _("%s key: %s/node.key is not the key of this node's origin\n"), PROG,
		        a->dir);
		return lb_exit_status(LB_EKEY);
	}
	if (!(e = lb_cli_read_pass(a->passfile, true, pass, sizeof pass, &passlen, &d)))
		e = lb_keybackup_make(&k, info.village, pass, passlen, &text, &d);
	sodium_memzero(pass, sizeof pass);
	lb_key_wipe(&k);
	if (e)
		return lb_cli_die(a->cmd, e, &d);
	fputs(text, stdout);
	free(text);
	lb_hex(hex, info.origin, LB_PK_BYTES);
	fprintf(stderr,
	        _("key backup of village %s (origin %s) written.\n"
	          "Print it and keep it in the kantor desa safe; keep the passphrase apart from it.\n"
	          "It brings the key back with: %s init -d DIR --restore-key FILE\n"),
	        info.village, hex, PROG);
	return 0;
}

static int cmd_id(struct lb_cli_args *a)
{
	struct lb_diag d = {0};
	struct lb_node *n;
	struct lb_node_info info;
	json_t *remotes = NULL;
	size_t count = 0;
	lb_err e;

	if ((e = lb_cli_open_node(a, 1, &n, &d)) || (e = lb_node_info(n, &info, &d))) {
		lb_node_close(n);
		return lb_cli_die(a->cmd, e, &d);
	}
	if (a->json) {
		char o[65], h[65], r[65];
		json_t *j;
		remotes = remotes_json(n, &d);
		lb_node_close(n);
		if (!remotes)
			return lb_cli_die(a->cmd, d.code ? d.code : LB_ENOMEM, &d);
		lb_hex(o, info.origin, 32);
		lb_hex(h, info.hash, 32);
		lb_hex(r, info.root, 32);
		j = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:I, s:i, s:o}", "village", info.village,
		              "name", info.name, "origin", o, "seq", (json_int_t)info.seq, "head", h,
		              "root", r, "records", (json_int_t)info.records, "schema", (int)info.schema,
		              "remotes", remotes);
		json_dumpf(j, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(j);
		return 0;
	}
	printf("%-9s %s\n", "village", info.village);
	printf("%-9s %s\n", "name", info.name);
	print_hex_line("origin", info.origin, LB_PK_BYTES);
	printf("%-9s %llu\n", "seq", (unsigned long long)info.seq);
	if (info.seq)
		print_hex_line("head", info.hash, LB_HASH_BYTES);
	else
		printf("%-9s %s\n", "head", _("(empty log)"));
	print_hex_line("root", info.root, LB_HASH_BYTES);
	printf("%-9s %llu\n", "records", (unsigned long long)info.records);
	/* who holds this log how far, each proven by a receipt checked here */
	e = lb_remote_list(n, NULL, NULL, &count, &d);
	if (!e && count) {
		printf(_("remotes:\n"));
		e = lb_cli_print_remotes(n, "  ", &count, &d);
	}
	lb_node_close(n);
	return e ? lb_cli_die(a->cmd, e, &d) : 0;
}

/* ---- put ----------------------------------------------------------------- */

/* Build a body object from field=value / field:=JSON arguments. */
/* field=value text as the JSON value the schema wants, read the way
 * import reads a cell (schema/value.h: trimmed, enum spellings, day-first
 * dates, rupiah): numbers for integer and rupiah fields, booleans for
 * boolean fields, strings otherwise (and, as typed, for fields the schema
 * does not know, which validation then refuses). */
static lb_err text_value(const char *type, const char *field, size_t flen, const char *text,
                         json_t **v, struct lb_diag *d)
{
	const struct lb_schema *sch = lb_schema_get(lb_schema_latest());
	const struct lb_type *t = sch ? lb_schema_type(sch, type) : NULL;
	const struct lb_field *f = t ? lb_type_field(t, field, flen) : NULL;
	struct lb_value val;
	lb_err e;

	if (!f)
		*v = json_string(text);
	else if ((e = lb_field_read(f, text, &val, d)))
		return e;
	else if (val.kind == LB_V_NUM)
		*v = json_integer(val.num);
	else if (val.kind == LB_V_BOOL)
		*v = json_boolean(val.b);
	else
		*v = json_stringn(val.str, val.len);
	return *v ? LB_OK : lb_fail(d, LB_ENOMEM, "out of memory");
}

static lb_err fields_to_json(const char *type, char **pos, int n, json_t **out,
                             struct lb_diag *d)
{
	json_t *obj = json_object();

	if (!obj)
		return lb_fail(d, LB_ENOMEM, "out of memory");
	for (int i = 0; i < n; i++) {
		char *eq = strchr(pos[i], '=');
		json_t *v;
		size_t klen;
		int raw;
		lb_err e;

		if (!eq || eq == pos[i])
			goto bad;
		raw = eq > pos[i] && eq[-1] == ':';
		klen = (size_t)(eq - pos[i]) - (size_t)raw;
		if (klen == 0)
			goto bad;
		if (!lb_utf8_valid(eq + 1, strlen(eq + 1)) || !lb_utf8_valid(pos[i], klen)) {
			json_decref(obj);
			return lb_fail(d, LB_EINVAL, "argument %d is not valid UTF-8", i + 3);
		}
		if (raw) {
			json_error_t je;
			v = json_loads(eq + 1, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
			if (!v) {
				json_decref(obj);
				return lb_fail(d, LB_EINVAL, "%.*s:= needs a JSON value (123, true, \"text\"): %s",
				               (int)klen, pos[i], je.text);
			}
		} else if ((e = text_value(type, pos[i], klen, eq + 1, &v, d))) {
			json_decref(obj);
			return e;
		}
		{
			char key[LB_FIELD_NAME_MAX + 1];
			if (klen > LB_FIELD_NAME_MAX) {
				json_decref(v);
				json_decref(obj);
				return lb_fail(d, LB_ETOOBIG, "field name longer than %d bytes", LB_FIELD_NAME_MAX);
			}
			memcpy(key, pos[i], klen);
			key[klen] = '\0';
			if (json_object_get(obj, key)) {
				json_decref(v);
				json_decref(obj);
				return lb_fail(d, LB_EINVAL, "field %s given twice", key);
			}
			json_object_set_new(obj, key, v);
		}
		continue;
	bad:
		json_decref(obj);
		return lb_fail(d, LB_EINVAL, "\"%s\" is not field=value or field:=JSON", pos[i]);
	}
	*out = obj;
	return LB_OK;
}

lb_err lb_cli_fields_to_json(const char *type, char **pos, int n, json_t **out,
                             struct lb_diag *d)
{
	return fields_to_json(type, pos, n, out, d);
}

/* --merge: fill obj with the current record's fields that obj does not set. */
static lb_err merge_current(struct lb_node *n, const char *type, const char *id, json_t *obj,
                            struct lb_diag *d)
{
	uint8_t *body;
	size_t len;
	json_t *cur;
	lb_err e = lb_node_get(n, type, id, strlen(id), &body, &len, NULL, d);

	if (e)
		return e;
	cur = lb_body_to_json(body, len, d);
	free(body);
	if (!cur)
		return d->code;
	/* update_missing keeps the new values and adds the old ones. */
	if (json_object_update_missing(obj, cur)) {
		json_decref(cur);
		return lb_fail(d, LB_ENOMEM, "out of memory");
	}
	json_decref(cur);
	return LB_OK;
}

static int put_one(struct lb_cli_args *a, struct lb_node *n)
{
	struct lb_diag d = {0};
	struct lb_mp_buf body;
	struct lb_commit c;
	json_t *obj = NULL;
	lb_err e;

	if (a->npos < 2)
		return lb_cli_usage_error(a->cmd, "TYPE and ID are required");
	lb_mp_buf_init(&body);
	e = fields_to_json(a->pos[0], a->pos + 2, a->npos - 2, &obj, &d);
	if (e)
		lb_diag_prefix(&d, "%s %s", a->pos[0], a->pos[1]);
	else if (a->merge)
		e = merge_current(n, a->pos[0], a->pos[1], obj, &d); /* names the record itself */
	if (!e && (e = lb_body_from_json(&body, obj, &d)))
		lb_diag_prefix(&d, "%s %s", a->pos[0], a->pos[1]);
	if (!e) {
		struct lb_change ch = {.op = LB_OP_PUT,
		                       .type = a->pos[0],
		                       .id = a->pos[1],
		                       .id_len = strlen(a->pos[1]),
		                       .body = (const uint8_t *)body.sb.data,
		                       .body_len = body.sb.size};
		/* a put that changes nothing writes nothing */
		e = lb_node_write(n, &ch, 1, LB_WRITE_SKIP_UNCHANGED, &c, &d);
	}
	json_decref(obj);
	lb_mp_buf_free(&body);
	if (e)
		return lb_cli_die(a->cmd, e, &d);
	if (!c.written) {
		printf(_("%s %s: unchanged (the record already holds these values; nothing written)\n"),
		       a->pos[0], a->pos[1]);
		return 0;
	}
	printf(_("%s %s: written as seq %llu\n"), a->pos[0], a->pos[1], (unsigned long long)c.last_seq);
	return 0;
}

/* One pending transaction of a batch import.  Strings and bodies live in
 * one arena (offsets, since it moves when it grows); the change array is
 * built from it at commit time. */
struct batch {
	struct lb_mp_buf arena;
	struct pending {
		size_t type_off, id_off, id_len, body_off, body_len;
		enum lb_op op;
		unsigned long line;
	} *p;
	size_t n, cap;
	struct lb_change *ch;
};

static lb_err batch_add_line(struct batch *b, const char *line, size_t len, unsigned long lineno,
                             struct lb_diag *d)
{
	json_error_t je;
	json_t *j, *type, *id, *body, *op;
	struct pending p = {.line = lineno, .op = LB_OP_PUT};
	lb_err e = LB_OK;

	if (len > LINE_MAX_BYTES)
		return lb_fail(d, LB_ETOOBIG, "line is longer than %u bytes", LINE_MAX_BYTES);
	if (!(j = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je)))
		return lb_fail(d, LB_EMALFORMED, "not valid JSON: %s (column %d)", je.text, je.column);
	type = json_object_get(j, "type");
	id = json_object_get(j, "id");
	body = json_object_get(j, "body");
	op = json_object_get(j, "op");
	if (!json_is_string(type) || !json_is_string(id)) {
		e = lb_fail(d, LB_EINVAL, "needs string fields \"type\" and \"id\"");
		goto out;
	}
	if (op && !(json_is_string(op) && (!strcmp(json_string_value(op), "put") ||
	                                   !strcmp(json_string_value(op), "del")))) {
		e = lb_fail(d, LB_EINVAL, "\"op\" must be \"put\" or \"del\"");
		goto out;
	}
	if (op && !strcmp(json_string_value(op), "del"))
		p.op = LB_OP_DEL;
	if ((e = lb_type_check(json_string_value(type), d)) ||
	    (e = lb_id_check(json_string_value(id), json_string_length(id), d)))
		goto out;
	if (p.op == LB_OP_PUT && !json_is_object(body)) {
		e = lb_fail(d, LB_EINVAL, "needs an object field \"body\"");
		goto out;
	}
	if (json_object_size(j) != 2u + (body != NULL) + (op != NULL)) {
		e = lb_fail(d, LB_EINVAL, "unknown field (allowed: type, id, body, op)");
		goto out;
	}
	p.type_off = b->arena.sb.size;
	lb_mp_put_raw(&b->arena, json_string_value(type), strlen(json_string_value(type)) + 1);
	p.id_off = b->arena.sb.size;
	p.id_len = json_string_length(id);
	lb_mp_put_raw(&b->arena, json_string_value(id), p.id_len);
	p.body_off = b->arena.sb.size;
	if (p.op == LB_OP_PUT && (e = lb_body_from_json(&b->arena, body, d)))
		goto out;
	p.body_len = b->arena.sb.size - p.body_off;
	if (p.body_len > LB_BODY_MAX) {
		e = lb_fail(d, LB_ETOOBIG, "body is %zu bytes encoded, more than %d", p.body_len,
		            LB_BODY_MAX);
		goto out;
	}
	if (b->arena.oom) {
		e = lb_fail(d, LB_ENOMEM, "out of memory");
		goto out;
	}
	if (b->n == b->cap) {
		size_t nc = b->cap ? 2 * b->cap : 1024;
		void *np = realloc(b->p, nc * sizeof *b->p), *nch;
		if (!np) {
			e = lb_fail(d, LB_ENOMEM, "out of memory");
			goto out;
		}
		b->p = np;
		if (!(nch = realloc(b->ch, nc * sizeof *b->ch))) {
			e = lb_fail(d, LB_ENOMEM, "out of memory");
			goto out;
		}
		b->ch = nch;
		b->cap = nc;
	}
	b->p[b->n++] = p;
out:
	json_decref(j);
	return e;
}

/* On an error *bad_line is the line at fault, or 0 when the transaction
 * failed as a whole (disk full, I/O) and span[] holds its first and last
 * line. */
static lb_err batch_commit(struct batch *b, struct lb_node *n, struct lb_commit *c,
                           unsigned long *bad_line, unsigned long span[2], struct lb_diag *d)
{
	const char *base = b->arena.sb.data;
	lb_err e;

	for (size_t i = 0; i < b->n; i++) {
		const struct pending *p = &b->p[i];
		b->ch[i] = (struct lb_change){.op = p->op,
		                              .type = base + p->type_off,
		                              .id = base + p->id_off,
		                              .id_len = p->id_len,
		                              .body = (const uint8_t *)base + p->body_off,
		                              .body_len = p->body_len};
	}
	e = lb_node_write(n, b->ch, b->n, 0, c, d);
	if (e && b->n) {
		bool whole = e == LB_EFULL || c->failed_op >= b->n;
		*bad_line = whole ? 0 : b->p[c->failed_op].line;
		span[0] = b->p[0].line;
		span[1] = b->p[b->n - 1].line;
	}
	b->n = 0;
	lb_mp_buf_reset(&b->arena);
	return e;
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Read one line of in into *buf without its line end, keeping at most max
 * bytes.  Returns its length; -1 at the end of input (or on a read error:
 * see ferror); -2 for a line longer than max, where reading stops, so a
 * 200 MB line costs no more than max bytes; -3 when out of memory. */
static ssize_t read_line(FILE *in, char **buf, size_t *cap, size_t max)
{
	size_t n = 0;
	int c;

	while ((c = getc_unlocked(in)) != EOF && c != '\n') {
		if (n == max)
			return -2;
		if (n + 1 >= *cap) {
			size_t nc = *cap ? 2 * *cap : 4096;
			char *p;
			if (nc > max + 1)
				nc = max + 1;
			if (!(p = realloc(*buf, nc)))
				return -3;
			*buf = p;
			*cap = nc;
		}
		(*buf)[n++] = (char)c;
	}
	return c == EOF && n == 0 ? -1 : (ssize_t)n;
}

static int put_batch(struct lb_cli_args *a, struct lb_node *n)
{
	struct lb_diag d = {0};
	struct batch b = {0};
	struct lb_commit c;
	FILE *in = stdin;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned long lineno = 0, bad_line = 0, committed_line = 0, span[2] = {0, 0};
	uint64_t total = 0, first = 0, last = 0;
	int tty = isatty(2), rc = 0;
	double t0 = now_s();
	lb_err e = LB_OK;

	if (a->npos)
		return lb_cli_usage_error(a->cmd, "--batch takes no TYPE/ID arguments");
	if (strcmp(a->batch, "-") != 0 && !(in = fopen(a->batch, "r"))) {
		fprintf(stderr, PROG " put: %s: %s\n", a->batch, strerror(errno));
		return lb_exit_status(LB_EIO);
	}
	lb_mp_buf_init(&b.arena);
	for (;;) {
		len = read_line(in, &line, &cap, LINE_MAX_BYTES);
		if (len < -1) {
			e = len == -2 ? lb_fail(&d, LB_ETOOBIG, "the line is longer than %u bytes; "
			                        "reading stopped there", LINE_MAX_BYTES)
			              : lb_fail(&d, LB_ENOMEM, "out of memory");
			bad_line = ++lineno;
			break;
		}
		if (len >= 0) {
			lineno++;
			while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
				len--;
			if (len == 0)
				continue;
			if ((e = batch_add_line(&b, line, (size_t)len, lineno, &d))) {
				bad_line = lineno;
				break;
			}
		}
		if (b.n && (len < 0 || b.n >= BATCH_MAX_OPS || b.arena.sb.size >= BATCH_MAX_BYTES)) {
			if ((e = batch_commit(&b, n, &c, &bad_line, span, &d)))
				break;
			committed_line = lineno;
			total += c.written;
			if (!first)
				first = c.first_seq;
			last = c.last_seq;
			if (tty) {
				fputc('\r', stderr);
				fprintf(stderr, _("%llu records, %.0f/s "), (unsigned long long)total,
				        (double)total / (now_s() - t0 + 1e-9));
			}
		}
		if (len < 0)
			break;
	}
	if (tty && total)
		fputc('\n', stderr);
	if (!e && ferror(in)) {
		fprintf(stderr, _("%s put: reading %s: %s\n"), PROG, a->batch, strerror(errno));
		rc = lb_exit_status(LB_EIO);
	} else if (e) {
		if (bad_line)
			fprintf(stderr, _("%s put: line %lu: %s\n"), PROG, bad_line, lb_diag_msg(&d, e));
		else if (e == LB_EFULL)
			fprintf(stderr, _("%s put: lines %lu-%lu not written: disk full; nothing of this "
			          "batch was stored\n"), PROG, span[0], span[1]);
		else
			fprintf(stderr, _("%s put: lines %lu-%lu not written: %s; nothing of this batch "
			          "was stored\n"), PROG, span[0], span[1], lb_diag_msg(&d, e));
		if (committed_line)
			fprintf(stderr,
			        _("%s put: lines 1-%lu were committed (seq %llu-%llu); nothing from line "
			          "%lu on was written\n"),
			        PROG, committed_line, (unsigned long long)first, (unsigned long long)last,
			        committed_line + 1);
		else
			fprintf(stderr, _("%s put: nothing was written\n"), PROG);
		rc = lb_exit_status(e);
	} else {
		double dt = now_s() - t0;
		printf(_("imported %llu records in %.2f s (%.0f/s)"), (unsigned long long)total, dt,
		       (double)total / (dt > 0 ? dt : 1e-9));
		if (total)
			printf(", seq %llu-%llu", (unsigned long long)first, (unsigned long long)last);
		printf("\n");
	}
	free(line);
	free(b.p);
	free(b.ch);
	lb_mp_buf_free(&b.arena);
	if (in != stdin)
		fclose(in);
	return rc;
}

static int cmd_put(struct lb_cli_args *a)
{
	struct lb_diag d = {0};
	struct lb_node *n;
	lb_err e;
	int rc;

	if (!a->batch && a->npos < 2)
		return lb_cli_usage_error(a->cmd, "TYPE and ID are required (or --batch FILE)");
	if ((e = lb_cli_open_node(a, 0, &n, &d)))
		return lb_cli_die(a->cmd, e, &d);
	rc = a->batch ? put_batch(a, n) : put_one(a, n);
	lb_node_close(n);
	return rc;
}

/* ---- get, rm, ls ------------------------------------------------------------ */

static int print_json_value(const uint8_t *buf, size_t len, size_t flags)
{
	struct lb_diag d = {0};
	json_t *j = lb_body_to_json(buf, len, &d);
	if (!j)
		return -1;
	json_dumpf(j, stdout, flags | JSON_PRESERVE_ORDER);
	json_decref(j);
	return 0;
}

static int cmd_get(struct lb_cli_args *a)
{
	struct lb_diag d = {0};
	struct lb_node *n;
	uint8_t *body = NULL;
	size_t len;
	lb_err e;
	int rc;

	if (a->npos != 2)
		return lb_cli_usage_error(a->cmd, "TYPE and ID are required");
	if ((rc = lb_cli_type(a->cmd, a->pos[0], NULL)))
		return rc;
	if ((e = lb_cli_open_node(a, 1, &n, &d)))
		return lb_cli_die(a->cmd, e, &d);
	e = lb_node_get(n, a->pos[0], a->pos[1], strlen(a->pos[1]), &body, &len, NULL, &d);
	lb_node_close(n);
	if (e)
		return lb_cli_die(a->cmd, e, &d);
	print_json_value(body, len, isatty(1) ? JSON_INDENT(2) : JSON_COMPACT);
	putchar('\n');
	free(body);
	return 0;
}

static int cmd_rm(struct lb_cli_args *a)
{
	struct lb_diag d = {0};
	struct lb_node *n;
	struct lb_commit c;
	lb_err e;
	int rc;

	if (a->npos != 2)
		return lb_cli_usage_error(a->cmd, "TYPE and ID are required");
	if ((rc = lb_cli_type(a->cmd, a->pos[0], NULL)))
		return rc;
	if ((e = lb_cli_open_node(a, 0, &n, &d)))
		return lb_cli_die(a->cmd, e, &d);
	struct lb_change ch = {.op = LB_OP_DEL, .type = a->pos[0], .id = a->pos[1],
	                       .id_len = strlen(a->pos[1])};
	e = lb_node_write(n, &ch, 1, a->cascade ? LB_WRITE_CASCADE : 0, &c, &d);
	lb_node_close(n);
	if (e)
		return lb_cli_die(a->cmd, e, &d);
	printf(_("%s %s: deleted as seq %llu\n"), a->pos[0], a->pos[1], (unsigned long long)c.last_seq);
	if (c.cascaded == 1)
		printf(_("  with the record that referred to it (seq %llu)\n"),
		       (unsigned long long)c.first_seq);
	else if (c.cascaded)
		printf(_("  with the %zu records that referred to it (seq %llu-%llu)\n"), c.cascaded,
		       (unsigned long long)c.first_seq, (unsigned long long)(c.last_seq - 1));
	return 0;
}

static int ls_cb(void *ctx, const char *id, size_t len)
{
	(void)ctx;
	fwrite(id, 1, len, stdout);
	putchar('\n');
	return ferror(stdout) != 0;
}

static int cmd_ls(struct lb_cli_args *a)
{
	struct lb_diag d = {0};
	struct lb_node *n;
	lb_err e;
	int rc;

	if (a->npos != 1)
		return lb_cli_usage_error(a->cmd, "TYPE is required");
	if ((rc = lb_cli_type(a->cmd, a->pos[0], NULL)))
		return rc;
	if ((e = lb_cli_open_node(a, 1, &n, &d)))
		return lb_cli_die(a->cmd, e, &d);
	e = lb_node_ls(n, a->pos[0], ls_cb, NULL, &d);
	lb_node_close(n);
	return e ? lb_cli_die(a->cmd, e, &d) : 0;
}

/* ---- log ------------------------------------------------------------------ */

static int log_cb(void *ctx, const struct lb_entry *e, const uint8_t hash[LB_HASH_BYTES],
                  const uint8_t *raw, size_t raw_len)
{
	const struct lb_cli_args *a = ctx;
	char ts[LB_HLC_STRLEN];

	(void)raw;
	(void)raw_len;
	lb_hlc_format(e->ts, ts);
	if (a->json) {
		char h[65], p[65];
		json_t *j, *body = NULL;
		lb_hex(h, hash, LB_HASH_BYTES);
		lb_hex(p, e->prev, LB_HASH_BYTES);
		if (e->op == LB_OP_PUT && !(body = lb_body_to_json(e->body, e->body_len, NULL)))
			return 1;
		j = json_pack("{s:I, s:I, s:s, s:s, s:s#, s:s#, s:o, s:i, s:s, s:s}", "seq",
		              (json_int_t)e->seq, "hlc", (json_int_t)e->ts, "time", ts, "op",
		              e->op == LB_OP_PUT ? "put" : "del", "type", e->type, (int)e->type_len, "id",
		              e->id, (int)e->id_len, "body", body ? body : json_null(), "schema",
		              (int)e->schema, "prev", p, "hash", h);
		if (!j)
			return 1;
		json_dumpf(j, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(j);
	} else {
		/* people read the wall time (local zone); the HLC counter is --json's */
		lb_human_time((int64_t)lb_hlc_ms(e->ts), ts, sizeof ts);
		printf("%llu  %s  %s  %.*s  %.*s", (unsigned long long)e->seq, ts,
		       e->op == LB_OP_PUT ? "put" : "del", (int)e->type_len, e->type, (int)e->id_len,
		       e->id);
		if (e->op == LB_OP_PUT) {
			putchar(' ');
			putchar(' ');
			print_json_value(e->body, e->body_len, JSON_COMPACT);
		}
	}
	putchar('\n');
	return ferror(stdout) != 0;
}

static int cmd_log(struct lb_cli_args *a)
{
	struct lb_diag d = {0};
	struct lb_node *n;
	unsigned long long since = 1;
	char *end;
	lb_err e;

	if (a->npos)
		return lb_cli_usage_error(a->cmd, "unexpected argument %s", a->pos[0]);
	if (a->since) {
		errno = 0;
		since = strtoull(a->since, &end, 10);
		if (errno || *end || !*a->since || a->since[0] == '-')
			return lb_cli_usage_error(a->cmd, "--since needs a sequence number");
	}
	if ((e = lb_cli_open_node(a, 1, &n, &d)))
		return lb_cli_die(a->cmd, e, &d);
	e = lb_node_log(n, since, log_cb, a, &d);
	lb_node_close(n);
	return e ? lb_cli_die(a->cmd, e, &d) : 0;
}

/* ---- verify ----------------------------------------------------------------- */

/* The successions the chain crossed, for verify's report: a JSON array of
 * {seq, by, signer, old, new} (verify has already checked they fit). */
static int succ_json(void *ctx, uint64_t seq, const uint8_t *stmt, size_t len)
{
	struct lb_succession st;
	char who[32], signer[65], old[65], nw[65];

	if (lb_succession_open(&st, stmt, len, NULL, NULL))
		return 0;
	lb_succession_who(&st, who);
	lb_hex(signer, st.signer, LB_PK_BYTES);
	lb_hex(old, st.old_key, LB_PK_BYTES);
	lb_hex(nw, st.new_key, LB_PK_BYTES);
	json_array_append_new(ctx, json_pack("{s:I, s:s, s:s, s:s, s:s}", "seq", (json_int_t)seq,
	                                     "by", who, "signer", signer, "old", old, "new", nw));
	return 0;
}

/* verify: a reference of a live record that points at nothing, kept as
 * {"type","id","field","target_type","target_id","target":"deleted"|"absent"} */
static int dangling_json(void *ctx, const struct lb_dangling *x)
{
	json_array_append_new(ctx, json_pack("{s:s, s:s%, s:s, s:s, s:s, s:s}", "type", x->type,
	                                     "id", x->id, x->id_len, "field", x->field,
	                                     "target_type", x->target_type, "target_id",
	                                     x->target_id, "target",
	                                     x->deleted ? "deleted" : "absent"));
	return 0;
}

static void print_dangling(json_t *list)
{
	bool programme = false;

	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *x = json_array_get(list, i);
		bool del = !strcmp(json_string_value(json_object_get(x, "target")), "deleted");
		fprintf(stderr, del ? _("  %s %s: %s -> %s %s, which was deleted\n")
		                    : _("  %s %s: %s -> %s %s, which does not exist\n"),
		        json_string_value(json_object_get(x, "type")),
		        json_string_value(json_object_get(x, "id")),
		        json_string_value(json_object_get(x, "field")),
		        json_string_value(json_object_get(x, "target_type")),
		        json_string_value(json_object_get(x, "target_id")));
		programme = programme || (!del && !strcmp(json_string_value(json_object_get(x, "target_type")),
		                                          "program"));
	}
	if (programme)
		fprintf(stderr, _("  (a programme of the kabupaten's catalogue is found once the node holds "
		                  "the catalogue: `lumbung sync`, or `lumbung catalogue import`)\n"));
}

static int cmd_verify(struct lb_cli_args *a)
{
	struct lb_diag d = {0};
	struct lb_node *n;
	struct lb_node_info info;
	struct lb_verify_report r;
	char t0[LB_HLC_STRLEN], t1[LB_HLC_STRLEN], root[65], origin[65];
	double start = now_s();
	lb_err e;

	if (a->npos)
		return lb_cli_usage_error(a->cmd, "unexpected argument %s", a->pos[0]);
	if ((e = lb_cli_open_node(a, 1, &n, &d)))
		return lb_cli_die(a->cmd, e, &d);
	if ((e = lb_node_info(n, &info, &d))) {
		lb_node_close(n);
		return lb_cli_die(a->cmd, e, &d);
	}
	e = lb_node_verify(n, &r, &d);
	json_t *dangling = json_array();
	uint64_t ndangling = 0;
	if (!e && !(e = lb_node_dangling(n, dangling_json, dangling, &ndangling, &d)) && ndangling)
		e = lb_fail(&d, LB_ESCHEMA, "%llu reference(s) of live records point at nothing",
		            (unsigned long long)ndangling);
	json_t *succ = json_array();
	if (!e && r.successions && succ)
		lb_node_successions(n, succ_json, succ, NULL);
	lb_node_close(n);
	lb_hex(root, r.root, LB_HASH_BYTES);
	lb_hex(origin, info.origin, LB_PK_BYTES);
	if (a->json) {
		json_t *j = json_pack("{s:b, s:s, s:s, s:I, s:I, s:I, s:s}", "ok", e == LB_OK, "village",
		                      info.village, "origin", origin, "entries", (json_int_t)r.entries,
		                      "heads", (json_int_t)r.heads, "records", (json_int_t)r.records,
		                      "root", root);
		if (json_array_size(succ))
			json_object_set(j, "successions", succ);
		if (ndangling)
			json_object_set(j, "dangling", dangling);
		if (e) {
			json_object_set_new(j, "bad_seq", json_integer((json_int_t)r.bad_seq));
			json_object_set_new(j, "error", json_string(lb_errname(e)));
			json_object_set_new(j, "message", json_string(lb_diag_msg(&d, e)));
		}
		json_dumpf(j, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(j);
	}
	if (e) {
		if (r.bad_seq) {
			/* The library's message starts "seq N: "; say it once. */
			const char *msg = lb_diag_msg(&d, e);
			char pre[32];
			int np = snprintf(pre, sizeof pre, "seq %llu: ", (unsigned long long)r.bad_seq);
			if (np > 0 && strncmp(msg, pre, (size_t)np) == 0)
				msg += np;
			fprintf(stderr, _("%s verify: FAILED at seq %llu: %s\n"), PROG,
			        (unsigned long long)r.bad_seq, msg);
		} else
			fprintf(stderr, _("%s verify: FAILED: %s\n"), PROG, lb_diag_msg(&d, e));
		print_dangling(dangling);
		json_decref(dangling);
		json_decref(succ);
		return lb_exit_status(e);
	}
	json_decref(dangling);
	if (a->json) {
		json_decref(succ);
		return 0;
	}
	lb_human_time((int64_t)lb_hlc_ms(r.first_ts), t0, sizeof t0);
	lb_human_time((int64_t)lb_hlc_ms(r.last_ts), t1, sizeof t1);
	printf(_("verify: OK (%.2f s)\n"), now_s() - start);
	printf(_("  village   %s%s%s%s\n"), info.village, info.name[0] ? " (" : "", info.name,
	       info.name[0] ? ")" : "");
	printf(_("  signer    %s\n"), origin);
	for (size_t i = 0; i < json_array_size(succ); i++) {
		json_t *x = json_array_get(succ, i);
		printf(_("  key changed at seq %lld by a succession signed by %s (%s)\n"
		         "            from key %s\n"),
		       (long long)json_integer_value(json_object_get(x, "seq")),
		       json_string_value(json_object_get(x, "by")),
		       json_string_value(json_object_get(x, "signer")),
		       json_string_value(json_object_get(x, "old")));
	}
	json_decref(succ);
	printf(_("  entries   %llu, chain and hashes intact\n"), (unsigned long long)r.entries);
	printf(_("  heads     %llu signed heads, all valid\n"), (unsigned long long)r.heads);
	if (r.entries)
		printf(_("  span      %s .. %s\n"), t0, t1);
	printf(_("  root      %s\n"), root);
	printf(_("  state     %llu records equal a replay of the log\n"), (unsigned long long)r.records);
	return 0;
}

/* ---- export ------------------------------------------------------------------- */

int lb_cli_parse_sep(struct lb_cli_args *a, char *sep)
{
	*sep = 0;
	if (!a->sep)
		return 0;
	if (!strcmp(a->sep, ",") || !strcmp(a->sep, ";"))
		*sep = a->sep[0];
	else if (!strcmp(a->sep, "tab") || !strcmp(a->sep, "\t"))
		*sep = '\t';
	else
		return lb_cli_usage_error(a->cmd, "--sep takes , or ; (or tab)");
	return 0;
}

struct export {
	const struct lb_type *t;
	char sep;
	int excel;
	lb_err e;
	struct lb_diag *d;
};

static int export_cb(void *ctx, const char *id, size_t id_len, const uint8_t *body, size_t len)
{
	struct export *x = ctx;
	x->e = lb_csv_write_record(stdout, x->t, x->sep, x->excel, id, id_len, body, len, x->d);
	return x->e != LB_OK;
}

static int cmd_export(struct lb_cli_args *a)
{
	struct lb_diag d = {0};
	struct export x = {.excel = a->excel, .d = &d};
	struct lb_node *n;
	lb_err e;
	int rc;

	if (a->npos != 1)
		return lb_cli_usage_error(a->cmd, "TYPE is required");
	if ((rc = lb_cli_type(a->cmd, a->pos[0], &x.t)))
		return rc;
	if (a->xlsx)
		return lb_cli_export_xlsx(a, x.t);
	if ((rc = lb_cli_parse_sep(a, &x.sep)))
		return rc;
	if (!x.sep)
		x.sep = ',';
	if ((e = lb_cli_open_node(a, 1, &n, &d)))
		return lb_cli_die(a->cmd, e, &d);
	if (!(e = lb_csv_write_header(stdout, x.t, x.sep, &d)))
		e = lb_node_scan(n, a->pos[0], export_cb, &x, &d);
	if (!e)
		e = x.e;
	lb_node_close(n);
	return e ? lb_cli_die(a->cmd, e, &d) : 0;
}

/* ---- export-log -------------------------------------------------------------- */

static int cmd_export_log(struct lb_cli_args *a)
{
	struct lb_diag d = {0};
	struct lb_node *n;
	uint32_t round = 0;
	lb_err e;

	if (a->npos)
		return lb_cli_usage_error(a->cmd, "unexpected argument %s", a->pos[0]);
	if (isatty(STDOUT_FILENO))
		return lb_cli_usage_error(a->cmd, "a log archive is binary: redirect it to a file");
	if (a->round && !a->forked)
		return lb_cli_usage_error(a->cmd, "--round goes with --forked");
	if (a->round) {
		char *end;
		unsigned long r;
		errno = 0;
		r = strtoul(a->round, &end, 10);
		if (errno || *end || r < 1 || r > UINT32_MAX)
			return lb_cli_usage_error(a->cmd, "--round takes a round number from 1");
		round = (uint32_t)r;
	}
	if ((e = lb_cli_open_node(a, 1, &n, &d)))
		return lb_cli_die(a->cmd, e, &d);
	if (a->forked) {
		size_t rounds = 0;
		if (!(e = lb_repair_export(n, round, stdout, &rounds, &d)))
			fprintf(stderr,
			        rounds == 1 ? _("%s %s: %zu fork round written\n")
			                    : _("%s %s: %zu fork rounds written\n"),
			        PROG, a->cmd, rounds);
	} else {
		e = lb_node_export_log(n, stdout, &d);
	}
	lb_node_close(n);
	return e ? lb_cli_die(a->cmd, e, &d) : 0;
}

/* ---- schema ------------------------------------------------------------------ */

static const char *kind_name(enum lb_kind k)
{
	static const char *const names[] = {
		[LB_K_STRING] = "string", [LB_K_TEXT] = "text",       [LB_K_INTEGER] = "integer",
		[LB_K_RUPIAH] = "rupiah", [LB_K_DATE] = "date",       [LB_K_PERIOD] = "period",
		[LB_K_ENUM] = "enum",     [LB_K_BOOLEAN] = "boolean", [LB_K_DIGITS] = "digits",
		[LB_K_NIK] = "nik",       [LB_K_REF] = "ref",         [LB_K_REGION] = "region",
		[LB_K_HEX] = "hex",
	};
	return names[k];
}

static json_t *type_json(const struct lb_type *t)
{
	json_t *fields = json_array();
	for (size_t i = 0; i < t->nfields; i++) {
		const struct lb_field *f = &t->fields[i];
		char rule[512];
		json_t *jf;
		lb_field_describe_c(f, rule, sizeof rule);
		jf = json_pack("{s:s, s:s, s:b, s:s}", "name", f->name, "kind", kind_name(f->kind),
		               "required", f->required, "rule", rule);
		if (f->kind == LB_K_INTEGER || f->kind == LB_K_STRING || f->kind == LB_K_TEXT ||
		    f->kind == LB_K_DIGITS || f->kind == LB_K_HEX) {
			json_object_set_new(jf, "min", json_integer(f->min));
			json_object_set_new(jf, "max", json_integer(f->max));
		}
		if (f->kind == LB_K_ENUM) {
			json_t *vals = json_array();
			for (size_t k = 0; k < f->nvalues; k++)
				json_array_append_new(vals, json_string(f->values[k]));
			json_object_set_new(jf, "values", vals);
		}
		if (f->ref)
			json_object_set_new(jf, "ref", json_string(f->ref));
		json_array_append_new(fields, jf);
	}
	return json_pack("{s:s, s:s?, s:o}", "name", t->name, "id_field", t->id_field, "fields",
	                 fields);
}

static int cmd_config(struct lb_cli_args *a)
{
	char path[4096];

	if (snprintf(path, sizeof path, "%s/lumbung.conf", a->dir) >= (int)sizeof path)
		return lb_cli_usage_error(a->cmd, "directory name too long");
	return lb_cli_config(PROG, path, a->pos, a->npos, lb_cli_settings,
	                     lb_cli_nsettings);
}

static int cmd_schema(struct lb_cli_args *a)
{
	const struct lb_schema *s = lb_schema_get(lb_schema_latest());
	const struct lb_type *only = NULL;

	if (!s) {
		fprintf(stderr, _("%s schema: the built-in schema failed to load\n"), PROG);
		return lb_exit_status(LB_ESCHEMA);
	}
	if (a->npos > 1)
		return lb_cli_usage_error(a->cmd, "at most one TYPE");
	if (a->npos == 1 && !(only = lb_schema_type(s, a->pos[0]))) {
		struct lb_diag d = {0};
		lb_schema_validate(s, a->pos[0], "", 0, NULL, 0, NULL, &d); /* names the known types */
		fprintf(stderr, PROG " schema: %s\n", d.msg);
		return lb_exit_status(LB_ENOTFOUND);
	}
	if (a->json) {
		json_t *types = json_array(), *j;
		for (size_t i = 0; i < s->ntypes; i++)
			if (!only || only == &s->types[i])
				json_array_append_new(types, type_json(&s->types[i]));
		j = json_pack("{s:i, s:o}", "version", (int)s->version, "types", types);
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(j);
		return 0;
	}
	if (!only)
		printf(_("schema version %u: %zu record types\n"), s->version, s->ntypes);
	for (size_t i = 0; i < s->ntypes; i++) {
		const struct lb_type *t = &s->types[i];
		if (only && only != t)
			continue;
		if (t->id_field)
			printf(_("\n%s (id = %s)\n"), t->name, t->id_field);
		else
			printf(_("\n%s (id given separately)\n"), t->name);
		for (size_t k = 0; k < t->nfields; k++) {
			char rule[512];
			lb_field_describe(&t->fields[k], rule, sizeof rule);
			printf("  %-20s %-9s %s\n", t->fields[k].name,
			       t->fields[k].required ? _("required") : "", rule);
		}
	}
	return 0;
}

static const struct lb_cli_cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	for (size_t i = 0; i < ncmds_extra; i++)
		if (!strcmp(cmds_extra[i].name, name))
			return &cmds_extra[i];
	return NULL;
}

/* cliconf.h: the one usage syntax of cmd */
static const char *cmd_syntax(const char *cmd, size_t i)
{
	const struct lb_cli_cmd *c = find_cmd(cmd);
	return c && !i ? c->usage : NULL;
}

int lb_cli_main(int argc, char **argv, const struct lb_cli_cmd *extra, size_t n)
{
	static const struct lb_cliconf conf = {PROG, "/etc/lumbung/lumbung.conf", "LUMBUNG_CONFIG",
	                                       "LUMBUNG_DIR", cmd_syntax};
	const struct lb_cli_cmd *c;
	struct lb_cli_args a;
	struct lb_diag d = {0};
	int rc;

	cmds_extra = extra;
	ncmds_extra = n;
	lb_i18n_init();
	if (argc >= 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version"))) {
		printf(PROG " %s\n", lb_version());
		return 0;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, _("%s: libsodium failed to initialise\n"), PROG);
		return 1;
	}
	if (lb_schema_builtin_init(&d)) {
		fprintf(stderr, _("%s: built-in schema: %s\n"), PROG, d.msg);
		return 1;
	}
	if ((rc = lb_cliconf_apply(&conf, &argc, &argv, &d))) {
		fprintf(stderr, "%s: %s\n", PROG, lb_diag_msg(&d, rc));
		return lb_exit_status(rc);
	}
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage_all(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if ((rc = parse_args(argc, argv, &a))) {
		free(a.pos);
		return rc;
	}
	lb_cli_apply_bahasa(PROG, a.dir, "lumbung.conf");
	if (!(c = find_cmd(a.cmd))) {
		fprintf(stderr, _("%s: unknown command \"%s\"\n"), PROG, a.cmd);
		usage_all(stderr);
		rc = EXIT_USAGE;
	} else if (a.help) {
		rc = usage_cmd(a.cmd, stdout, 0);
	} else if ((!a.dir || !*a.dir) && !c->no_dir) {
		rc = lb_cli_usage_error(a.cmd, "no node directory: give -d DIR or set LUMBUNG_DIR");
	} else {
		rc = c->fn(&a);
	}
	free(a.pos);
	if (fflush(stdout) != 0 && rc == 0) {
		int err = errno;
		fprintf(stderr, _("%s: writing output: %s\n"), PROG,
		        err == ENOSPC ? _("disk full") : strerror(err));
		rc = lb_exit_status(err == ENOSPC ? LB_EFULL : LB_EIO);
	}
	return rc;
}
