/*
 * gencorpus.c — write the seed corpora of the fuzz targets from real
 * objects: a village node writes a short history (every record type, a
 * reference, a delete, several transactions), an aggregator ingests it and
 * signs receipts, a copy of the node signs a second history (a fork), and
 * from these come change sets, entries, bodies, heads, receipts, archives,
 * proofs, CSV files and batch lines, made by the library's own writers.
 * A few invalid variants are added by hand below (cut, flipped, odd).
 *
 *   build/fuzz-gencorpus tests/fuzz/corpus      (make fuzz-corpus)
 *
 * Keys and timestamps are fresh on every run, so the output differs from
 * run to run; it is committed once and regenerated only when a format
 * changes.  Prints what it wrote; exit 1 on any failure.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "../../node/archive.h"
#include "../../node/body.h"
#include "../../node/csvio.h"
#include "../../node/node.h"
#include "../../node/remote.h"
#include "../../schema/schema.h"
#include "../../agg/agg.h"
#include "../../sync/wire.h"
#include "../../tools/audit/proof.h"
#include "fuzz.h"

#define VILLAGE "33.24.01.2001"

static const char *outdir;
static char tmp[64];

static void die(const char *what, lb_err e, const struct lb_diag *d)
{
	fprintf(stderr, "fuzz-gencorpus: %s: %s\n", what, lb_diag_msg(d, e));
	exit(1);
}

#define TRY(what, call)                                                                            \
	do {                                                                                       \
		struct lb_diag d_ = {0};                                                           \
		lb_err e_ = (call);                                                                \
		(void)d_;                                                                          \
		if (e_)                                                                            \
			die(what, e_, &d_);                                                        \
	} while (0)

/* Write buf to outdir/target/name. */
static void put(const char *target, const char *name, const void *buf, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", outdir, target);
	if (mkdir(path, 0755) && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof path, "%s/%s/%s", outdir, target, name);
	if (!(f = fopen(path, "wb")) || (len && fwrite(buf, 1, len, f) != len) || fclose(f)) {
		perror(path);
		exit(1);
	}
	printf("%s (%zu bytes)\n", path, len);
}

/* put, plus two broken copies: cut in the middle, one byte flipped. */
static void put_broken(const char *target, const char *name, const void *buf, size_t len)
{
	char n[128];
	uint8_t *c = malloc(len ? len : 1);

	if (!c)
		exit(1);
	put(target, name, buf, len);
	snprintf(n, sizeof n, "cut-%s", name);
	put(target, n, buf, len / 2);
	memcpy(c, buf, len);
	if (len)
		c[len / 3] ^= 0xff;
	snprintf(n, sizeof n, "flip-%s", name);
	put(target, n, c, len);
	free(c);
}

/* Everything a FILE holds, malloc'd. */
static uint8_t *slurp(FILE *f, size_t *len)
{
	long l;
	uint8_t *p;
	if (fseek(f, 0, SEEK_END) || (l = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) ||
	    !(p = malloc((size_t)l + 1)) || fread(p, 1, (size_t)l, f) != (size_t)l)
		exit(1);
	*len = (size_t)l;
	return p;
}

static void write_json(struct lb_node *n, enum lb_op op, const char *type, const char *id,
                       const char *js)
{
	struct lb_mp_buf b;
	struct lb_change c = {.op = op, .type = type, .id = id, .id_len = strlen(id)};
	json_t *j = NULL;

	lb_mp_buf_init(&b);
	if (js) {
		if (!(j = json_loads(js, 0, NULL)))
			die("bad JSON in the generator", LB_EINVAL, NULL);
		TRY("body", lb_body_from_json(&b, j, &d_));
		json_decref(j);
		c.body = (const uint8_t *)b.sb.data;
		c.body_len = b.sb.size;
	}
	TRY(id, lb_node_write(n, &c, 1, 0, NULL, &d_));
	lb_mp_buf_free(&b);
}

/* ---- entries, bodies, heads --------------------------------------------- */

static int raw_cb(void *ctx, uint64_t seq, const uint8_t *raw, size_t len)
{
	struct lb_entry e;
	char name[32];

	snprintf(name, sizeof name, "entry-%llu", (unsigned long long)seq);
	if (seq == 1)
		put_broken("entry", name, raw, len);
	else
		put("entry", name, raw, len);
	TRY("entry", lb_entry_decode(&e, raw, len, &d_));
	if (e.body) {
		snprintf(name, sizeof name, "body-%llu", (unsigned long long)seq);
		put("body", name, e.body, e.body_len);
	}
	(void)ctx;
	return 0;
}

/* The signed heads of seq 1..last (not inside lb_node_log_raw: one read
 * transaction per thread). */
static void heads(struct lb_node *n, uint64_t last)
{
	for (uint64_t seq = 1; seq <= last; seq++) {
		char name[32];
		uint8_t *head;
		size_t hlen;
		if (lb_node_head(n, seq, &head, &hlen, NULL) != LB_OK)
			continue;
		snprintf(name, sizeof name, "head-%llu", (unsigned long long)seq);
		if (seq == 1)
			put_broken("head", name, head, hlen);
		else
			put("head", name, head, hlen);
		free(head);
	}
}

/* Inputs written by hand: spreadsheet quirks and broken ones. */
static void by_hand(void)
{
	static const struct {
		const char *target, *name, *text;
	} h[] = {
		{"csv", "bom-semicolon-crlf.csv",
		 "\xEF\xBB\xBFkode;nama;bidang;anggaran;tahun\r\n"
		 "PRG-03;\"Air \"\"bersih\"\"\";lingkungan_hidup;1.500.000;2026\r\n"
		 ";;;;\r\n\r\nPRG-04;'=SUM(A1);ekonomi;1,000;2026\r\n"},
		{"csv", "excel-text.csv",
		 "nik,no_kk,nama,tanggal_lahir,jenis_kelamin,status,disabilitas\n"
		 "=\"3324015201900001\",=\"3324010101200001\",\"Siti\nAminah\",1990-01-12,P,"
		 "hidup,true\n"},
		{"csv", "bad-quote.csv", "kode,nama\n\"PRG-05,\"unterminated\n"},
		{"csv", "unknown-column.csv", "kode,warna\nPRG-06,merah\n"},
		{"csv", "header-only.csv", "tanggal,pengusul,usulan,status\n"},
		{"csv", "too-many-cells.csv", "kode,nama,bidang,anggaran,tahun\nA,B,kesehatan,1,2026,x,y\n"},
		{"batch", "broken.jsonl",
		 "{\"type\":\"program\",\"id\":\"P\",\"body\":{\"kode\":\"P\"}\n"},
		{"batch", "duplicate-key.jsonl",
		 "{\"type\":\"program\",\"type\":\"x\",\"id\":\"P\",\"body\":{}}\n"},
		{"batch", "odd-values.jsonl",
		 "{\"type\":\"kegiatan\",\"id\":\"K\",\"body\":{\"nama\":[1,{\"a\":null}],"
		 "\"jumlah_peserta\":1e400,\"tanggal_mulai\":\"2026-02-30\",\"x\":-9223372036854775809}}\n"
		 "{\"type\":\"laporan\",\"id\":\"L\\u0000\",\"op\":\"del\"}\n"
		 "{\"type\":\"../etc\",\"id\":\"\",\"op\":\"put\"}\n"},
	};
	for (size_t i = 0; i < sizeof h / sizeof h[0]; i++)
		put(h[i].target, h[i].name, h[i].text, strlen(h[i].text));
	put("entry", "empty", "", 0);
	put("body", "empty-map", "\x80", 1);
	put("body", "not-canonical", "\x81\xd9\x01a\xcd\x00\x01", 7);
	put("lla", "empty", "", 0);
}

/* ---- change sets --------------------------------------------------------- */

struct cs_build {
	struct lb_mp_buf *out;
	uint64_t to;
	lb_err e;
};

static int add_entry(void *ctx, uint64_t seq, const uint8_t *raw, size_t len)
{
	struct cs_build *b = ctx;
	(void)seq;
	b->e = lb_wire_add_entry(b->out, raw, len, NULL);
	return b->e != LB_OK;
}

/* The change set from..to of n into out (reset first). */
static void changeset(struct lb_node *n, const uint8_t origin[LB_PK_BYTES], uint64_t from,
                      uint64_t to, struct lb_mp_buf *out)
{
	struct cs_build cb = {out, to, LB_OK};
	uint8_t *head;
	size_t hlen;

	lb_mp_buf_reset(out);
	TRY("change set", lb_wire_begin(out, to - from + 1, &d_));
	TRY("change set", lb_node_log_raw(n, from, to, add_entry, &cb, &d_));
	if (cb.e)
		die("change set entry", cb.e, NULL);
	TRY("change set head", lb_node_head(n, to, &head, &hlen, &d_));
	TRY("change set", lb_wire_end(out, VILLAGE, origin, head, hlen, &d_));
	free(head);
}

/* ---- CSV ------------------------------------------------------------------ */

struct csv_out {
	FILE *f;
	const struct lb_type *t;
	char sep;
	bool excel;
};

static int csv_cb(void *ctx, const char *id, size_t id_len, const uint8_t *body, size_t len)
{
	struct csv_out *c = ctx;
	TRY("csv row", lb_csv_write_record(c->f, c->t, c->sep, c->excel, id, id_len, body, len, &d_));
	return 0;
}

static void csv_export(struct lb_node *n, const char *type, char sep, bool excel, const char *name)
{
	struct csv_out c = {tmpfile(), NULL, sep, excel};
	uint8_t *p;
	size_t len;

	c.t = lb_schema_type(lb_schema_get(lb_schema_latest()), type);
	if (!c.f || !c.t)
		exit(1);
	TRY("csv header", lb_csv_write_header(c.f, c.t, sep, &d_));
	TRY("csv", lb_node_scan(n, type, csv_cb, &c, &d_));
	p = slurp(c.f, &len);
	put("csv", name, p, len);
	free(p);
	fclose(c.f);
}

/* ---- batch lines ---------------------------------------------------------- */

struct batch_out {
	const char *type;
	FILE *f;
};

static int batch_cb(void *ctx, const char *id, size_t id_len, const uint8_t *body, size_t len)
{
	struct batch_out *b = ctx;
	json_t *j = json_pack("{s:s, s:s%, s:o}", "type", b->type, "id", id, id_len, "body",
	                      lb_body_to_json(body, len, NULL));
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	if (!s)
		exit(1);
	fprintf(b->f, "%s\n", s);
	free(s);
	json_decref(j);
	return 0;
}

static void batch_export(struct lb_node *n, const char *const *types, const char *name,
                         const char *extra)
{
	struct batch_out b = {NULL, tmpfile()};
	uint8_t *p;
	size_t len;

	if (!b.f)
		exit(1);
	for (size_t i = 0; types[i]; i++) {
		b.type = types[i];
		TRY("batch", lb_node_scan(n, types[i], batch_cb, &b, &d_));
	}
	if (extra)
		fputs(extra, b.f);
	p = slurp(b.f, &len);
	put("batch", name, p, len);
	free(p);
	fclose(b.f);
}

/* ---- proofs --------------------------------------------------------------- */

static void proofs(const uint8_t *lla, size_t lla_len, uint64_t last)
{
	struct lb_mp_buf out;
	FILE *f = fmemopen((void *)lla, lla_len, "rb");
	char name[64];

	if (!f)
		exit(1);
	lb_mp_buf_init(&out);
	for (uint64_t seq = 1; seq <= last; seq += 2) {
		rewind(f);
		lb_mp_buf_reset(&out);
		TRY("inclusion proof", lb_proof_inclusion_make(&out, f, seq, 0, &d_));
		snprintf(name, sizeof name, "inclusion-%llu", (unsigned long long)seq);
		if (seq == 1)
			put_broken("proof", name, out.sb.data, out.sb.size);
		else
			put("proof", name, out.sb.data, out.sb.size);
	}
	rewind(f);
	lb_mp_buf_reset(&out);
	TRY("inclusion proof", lb_proof_inclusion_make(&out, f, 2, 3, &d_));
	put("proof", "inclusion-2-at-3", out.sb.data, out.sb.size);
	{
		static const uint64_t pairs[][2] = {{1, 0}, {2, 5}, {3, 0}, {0, 0}};
		for (size_t i = 0; pairs[i][0]; i++) {
			rewind(f);
			lb_mp_buf_reset(&out);
			TRY("consistency proof",
			    lb_proof_consistency_make(&out, f, pairs[i][0], pairs[i][1], &d_));
			snprintf(name, sizeof name, "consistency-%llu-%llu",
			         (unsigned long long)pairs[i][0], (unsigned long long)pairs[i][1]);
			if (i == 0)
				put_broken("proof", name, out.sb.data, out.sb.size);
			else
				put("proof", name, out.sb.data, out.sb.size);
		}
	}
	lb_mp_buf_free(&out);
	fclose(f);
}

/* ---- the history ---------------------------------------------------------- */

static void history(struct lb_node *n)
{
	/* seq 1..8, one transaction each */
	write_json(n, LB_OP_PUT, "program", "PRG-01",
	           "{\"kode\":\"PRG-01\",\"nama\":\"Posyandu\",\"bidang\":\"kesehatan\","
	           "\"sumber_dana\":\"dana_desa\",\"anggaran\":1500000,\"tahun\":2026}");
	write_json(n, LB_OP_PUT, "aspirasi", "ASP-001",
	           "{\"tanggal\":\"2026-01-05\",\"pengusul\":\"Warga RT 02\","
	           "\"usulan\":\"lampu jalan\",\"status\":\"diusulkan\"}");
	write_json(n, LB_OP_PUT, "kegiatan", "KEG-001",
	           "{\"program\":\"PRG-01\",\"nama\":\"Posyandu balita\","
	           "\"tanggal_mulai\":\"2026-02-01\",\"jumlah_peserta\":40,"
	           "\"keterangan\":\"baris satu\\nbaris dua, \\\"kutip\\\"\"}");
	write_json(n, LB_OP_DEL, "aspirasi", "ASP-001", NULL);
	write_json(n, LB_OP_PUT, "penduduk", "3324015201900001",
	           "{\"nik\":\"3324015201900001\",\"no_kk\":\"3324010101200001\","
	           "\"nama\":\"Siti Aminah\",\"tanggal_lahir\":\"1990-01-12\","
	           "\"jenis_kelamin\":\"P\",\"agama\":\"islam\",\"rt\":\"002\",\"rw\":\"001\","
	           "\"disabilitas\":false,\"status\":\"hidup\"}");
	write_json(n, LB_OP_PUT, "keluarga", "3324010101200001",
	           "{\"no_kk\":\"3324010101200001\",\"kepala_keluarga\":\"3324015201900001\","
	           "\"desil\":2,\"penghasilan_bulanan\":1250000,\"jumlah_anggota\":4}");
	write_json(n, LB_OP_PUT, "penerima", "PNR-001",
	           "{\"program\":\"PRG-01\",\"nik\":\"3324015201900001\","
	           "\"tanggal\":\"2026-03-01\",\"bentuk\":\"uang\",\"nilai\":300000,"
	           "\"status\":\"disalurkan\"}");
	write_json(n, LB_OP_PUT, "laporan", "LAP-2026-Q1",
	           "{\"periode\":\"2026-Q1\",\"bidang\":\"kesehatan\","
	           "\"ringkasan\":\"Posyandu berjalan\\tbaik\"}");
}

/* adopt: archives of the fixed key's node (fuzz.h), whole (plus a cut
 * and a flipped copy) and its tail from seq 4. */
static int tail_cb(void *ctx, uint64_t seq, const uint8_t *raw, size_t len)
{
	(void)seq;
	TRY("tail entry", lb_lla_write_entry(ctx, raw, len, &d_));
	return 0;
}

static void adopt_seeds(void)
{
	char dir[96];
	struct lb_key k;
	uint8_t origin[LB_PK_BYTES], *buf, *hd;
	size_t len, hl;
	struct lb_node *n;
	struct lb_lla_writer w;
	struct lb_lla_header h = {.village = VILLAGE, .source = "aggregator", .from = 4};
	FILE *f;

	snprintf(dir, sizeof dir, "%s/fixed", tmp);
	lb_fuzz_village_key(&k);
	TRY("fixed node", lb_node_init_key(dir, VILLAGE, NULL, &k, origin, &d_));
	lb_key_wipe(&k);
	TRY("fixed node", lb_node_open(&n, dir, NULL, &d_));
	history(n);
	if (!(f = tmpfile()))
		exit(1);
	TRY("export", lb_node_export_log(n, f, &d_));
	buf = slurp(f, &len);
	fclose(f);
	put_broken("adopt", "whole.lla", buf, len);
	free(buf);
	if (!(f = tmpfile()))
		exit(1);
	memcpy(h.origin, origin, LB_PK_BYTES);
	lb_lla_writer_init(&w, f);
	TRY("tail", lb_lla_write_header(&w, &h, &d_));
	for (uint64_t seq = 4; seq <= 8; seq++) { /* one read transaction at a time */
		TRY("tail", lb_node_log_raw(n, seq, seq, tail_cb, &w, &d_));
		if (lb_node_head(n, seq, &hd, &hl, NULL) == LB_OK) {
			TRY("tail head", lb_lla_write_head(&w, hd, hl, &d_));
			free(hd);
		}
	}
	TRY("tail", lb_lla_write_trailer(&w, &d_));
	lb_lla_writer_free(&w);
	buf = slurp(f, &len);
	fclose(f);
	put("adopt", "tail-4.lla", buf, len);
	free(buf);
	lb_node_close(n);
}

static void cleanup(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
	if (tmp[0] && system(cmd) != 0)
		fprintf(stderr, "fuzz-gencorpus: could not remove %s\n", tmp);
}

int main(int argc, char **argv)
{
	char node[96], node2[96], aggdir[96], cmd[256];
	uint8_t origin[LB_PK_BYTES], agg_pk[LB_PK_BYTES];
	struct lb_node *n, *n2;
	struct lb_agg *a;
	struct lb_agg_result r;
	struct lb_mp_buf cs;
	uint8_t *lla;
	size_t lla_len;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: fuzz-gencorpus DIR\n");
		return 2;
	}
	outdir = argv[1];
	if (sodium_init() < 0)
		return 1;
	TRY("schemas", lb_schema_builtin_init(&d_));
	snprintf(tmp, sizeof tmp, "/tmp/lb-gencorpus.XXXXXX");
	if (!mkdtemp(tmp))
		return 1;
	atexit(cleanup);
	snprintf(node, sizeof node, "%s/desa", tmp);
	snprintf(node2, sizeof node2, "%s/desa2", tmp);
	snprintf(aggdir, sizeof aggdir, "%s/kab", tmp);

	TRY("node init", lb_node_init(node, VILLAGE, NULL, origin, &d_));
	TRY("node open", lb_node_open(&n, node, NULL, &d_));
	history(n);
	TRY("entries", lb_node_log_raw(n, 1, 0, raw_cb, n, &d_));
	heads(n, 8);
	by_hand();

	/* change sets, and an aggregator's receipts for them */
	TRY("agg init", lb_agg_init(aggdir, "33.24", agg_pk, &d_));
	TRY("agg open", lb_agg_open(&a, aggdir, &d_));
	TRY("enroll", lb_agg_enroll(a, VILLAGE, origin, &d_));
	lb_mp_buf_init(&cs);
	{
		static const uint64_t spans[][2] = {{1, 3}, {4, 8}, {1, 8}, {8, 8}, {2, 5}, {0, 0}};
		for (size_t i = 0; spans[i][0]; i++) {
			char name[64];
			changeset(n, origin, spans[i][0], spans[i][1], &cs);
			snprintf(name, sizeof name, "cs-%llu-%llu", (unsigned long long)spans[i][0],
			         (unsigned long long)spans[i][1]);
			if (i == 0)
				put_broken("changeset", name, (uint8_t *)cs.sb.data, cs.sb.size);
			else
				put("changeset", name, cs.sb.data, cs.sb.size);
			if (i < 2) { /* 1..3, then 4..8: two receipts, kept by the node */
				TRY("ingest", lb_agg_ingest(a, cs.sb.data, cs.sb.size, &r, &d_));
				snprintf(name, sizeof name, "receipt-%llu", (unsigned long long)r.seq);
				if (i == 0)
					put_broken("receipt", name, r.receipt, r.receipt_len);
				else
					put("receipt", name, r.receipt, r.receipt_len);
				TRY("receipt", lb_node_receipt_put(n, agg_pk, r.seq, r.receipt,
				                                   r.receipt_len, &d_));
				free(r.receipt);
			}
		}
	}

	/* the node's archive (receipts included), the aggregator's, proofs */
	if (!(f = tmpfile()))
		return 1;
	TRY("export", lb_node_export_log(n, f, &d_));
	lla = slurp(f, &lla_len);
	fclose(f);
	put_broken("lla", "node.lla", lla, lla_len);
	proofs(lla, lla_len, 8);
	free(lla);
	if (!(f = tmpfile()))
		return 1;
	TRY("agg export", lb_agg_export_log(a, origin, f, &d_));
	lla = slurp(f, &lla_len);
	fclose(f);
	put("lla", "agg.lla", lla, lla_len);
	free(lla);

	/* CSV and batch lines from the records */
	csv_export(n, "program", ',', false, "program.csv");
	csv_export(n, "penduduk", ';', true, "penduduk-excel.csv");
	csv_export(n, "kegiatan", ',', false, "kegiatan.csv");
	csv_export(n, "keluarga", '\t', false, "keluarga.tsv");
	{
		static const char *const all[] = {"program", "kegiatan", "penduduk", "keluarga",
		                                  "penerima", "laporan", NULL};
		static const char *const one[] = {"penduduk", NULL};
		batch_export(n, all, "all.jsonl", "{\"type\":\"aspirasi\",\"id\":\"ASP-9\",\"op\":\"del\"}\n");
		batch_export(n, one, "penduduk-crlf.jsonl", "\r\n\r\n");
	}

	/* the fork evidence of an origin without forks: a header and a trailer */
	if (!(f = tmpfile()))
		return 1;
	TRY("fork export", lb_agg_export_forks(a, origin, f, NULL, &d_));
	lla = slurp(f, &lla_len);
	fclose(f);
	put("lla", "no-forks.lla", lla, lla_len);
	free(lla);

	/* a fork: a copy of the node signs another seq 9 */
	lb_node_close(n);
	snprintf(cmd, sizeof cmd, "cp -a '%s' '%s'", node, node2);
	if (system(cmd) != 0)
		return 1;
	TRY("node open", lb_node_open(&n, node, NULL, &d_));
	TRY("node open", lb_node_open(&n2, node2, NULL, &d_));
	write_json(n, LB_OP_PUT, "program", "PRG-02",
	           "{\"kode\":\"PRG-02\",\"nama\":\"Beasiswa\",\"bidang\":\"pendidikan\","
	           "\"anggaran\":2000000,\"tahun\":2026}");
	write_json(n2, LB_OP_PUT, "program", "PRG-02",
	           "{\"kode\":\"PRG-02\",\"nama\":\"Beasiswa palsu\",\"bidang\":\"pendidikan\","
	           "\"anggaran\":9000000,\"tahun\":2026}");
	changeset(n, origin, 9, 9, &cs);
	TRY("ingest", lb_agg_ingest(a, cs.sb.data, cs.sb.size, &r, &d_));
	free(r.receipt);
	changeset(n2, origin, 9, 9, &cs);
	put("changeset", "fork-9", cs.sb.data, cs.sb.size);
	{
		struct lb_diag d = {0};
		lb_err e = lb_agg_ingest(a, cs.sb.data, cs.sb.size, &r, &d);
		if (e != LB_EFORK)
			die("the fork was not seen", e ? e : LB_EINVAL, &d);
	}
	if (!(f = tmpfile()))
		return 1;
	TRY("fork export", lb_agg_export_forks(a, origin, f, NULL, &d_));
	lla = slurp(f, &lla_len);
	fclose(f);
	put("lla", "forks.lla", lla, lla_len);
	free(lla);

	adopt_seeds();
	lb_mp_buf_free(&cs);
	lb_node_close(n);
	lb_node_close(n2);
	lb_agg_close(a);
	return 0;
}
