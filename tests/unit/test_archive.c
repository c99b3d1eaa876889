/*
 * test_archive.c — the log archive (.lla): a real node's log goes out as
 * an archive and comes back frame for frame as the exact stored bytes; a
 * cut, tampered or oversized archive is refused with the frame and byte
 * named, never misread; a full disk is an error, not a short file; the
 * aggregator exports the same bytes it was sent, and its fork evidence.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "../../node/archive.h"
#include "../../node/body.h"
#include "../../node/node.h"
#include "../../node/remote.h"
#include "../../agg/agg.h"
#include "../../sync/wire.h"
#include "../../tools/audit/audit.h"
#include "agg_fixture.h"

#define VILLAGE "33.24.01.2001"
#define VILLAGE2 "33.24.01.2002"
#define BIG_TXN 300 /* > LB_HEAD_EVERY: one intermediate head */
#define N_ENTRIES (3 + BIG_TXN + 1)

struct fx {
	char dir[64];
	char node[96];
	struct lb_node *n;
	uint8_t origin[LB_PK_BYTES];
	uint8_t agg_a[LB_PK_BYTES], agg_b[LB_PK_BYTES]; /* receipt keys, a < b */
};

static void asp_json(char *js, size_t len, int i, const char *usulan)
{
	snprintf(js, len,
	         "{\"tanggal\":\"2026-01-%02d\",\"pengusul\":\"Warga %d\",\"usulan\":\"%s\","
	         "\"status\":\"diusulkan\"}",
	         i % 28 + 1, i, usulan);
}

static void put_asp(struct lb_node *n, int i, const char *usulan)
{
	char js[256], id[16];

	asp_json(js, sizeof js, i, usulan);
	snprintf(id, sizeof id, "ASP-%04d", i);
	write_one(n, LB_OP_PUT, "aspirasi", id, js);
}

/* BIG_TXN puts in one transaction. */
static void put_many(struct lb_node *n, int first)
{
	struct lb_change ops[BIG_TXN];
	struct lb_mp_buf b[BIG_TXN];
	char ids[BIG_TXN][16], js[256];
	struct lb_diag d = {0};

	for (int i = 0; i < BIG_TXN; i++) {
		json_t *j;
		asp_json(js, sizeof js, first + i, "sumur bor");
		snprintf(ids[i], sizeof ids[i], "ASP-%04d", first + i);
		lb_mp_buf_init(&b[i]);
		assert_non_null(j = json_loads(js, 0, NULL));
		assert_int_equal(lb_body_from_json(&b[i], j, NULL), LB_OK);
		json_decref(j);
		ops[i] = (struct lb_change){LB_OP_PUT, "aspirasi", ids[i], strlen(ids[i]),
		                            (const uint8_t *)b[i].sb.data, b[i].sb.size};
	}
	if (lb_node_write(n, ops, BIG_TXN, 0, NULL, &d))
		fail_msg("big transaction: %s", d.msg);
	for (int i = 0; i < BIG_TXN; i++)
		lb_mp_buf_free(&b[i]);
}

/* Node with heads at 1, 2, 3, 259, 303, 304 and receipts at 3 (two
 * aggregators) and 303 (one). */
static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	snprintf(f->dir, sizeof f->dir, "/tmp/lb-test-archive.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->node, sizeof f->node, "%s/desa", f->dir);
	assert_int_equal(lb_node_init(f->node, VILLAGE, NULL, f->origin, NULL), LB_OK);
	assert_int_equal(lb_node_open(&f->n, f->node, NULL, NULL), LB_OK);
	for (int i = 1; i <= 3; i++)
		put_asp(f->n, i, "lampu jalan");
	put_many(f->n, 4);
	write_one(f->n, LB_OP_DEL, "aspirasi", "ASP-0001", NULL);
	memset(f->agg_a, 0xa1, LB_PK_BYTES);
	memset(f->agg_b, 0xb2, LB_PK_BYTES);
	/* the reader does not check receipts, so any bytes stand in for them */
	assert_int_equal(lb_node_receipt_put(f->n, f->agg_b, 3, "receipt B3", 10, NULL), LB_OK);
	assert_int_equal(lb_node_receipt_put(f->n, f->agg_a, 3, "receipt A3", 10, NULL), LB_OK);
	assert_int_equal(lb_node_receipt_put(f->n, f->agg_a, 303, "receipt A303", 12, NULL), LB_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	lb_node_close(f->n);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* ---- helpers ---------------------------------------------------------------- */

/* A read-only stream over a copy of buf[0..len). */
static FILE *mem_file(const void *buf, size_t len)
{
	FILE *f = tmpfile();
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	rewind(f);
	return f;
}

/* The whole contents of f (rewound first); caller frees. */
static uint8_t *slurp(FILE *f, size_t *len)
{
	long n;
	uint8_t *p;

	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	*len = (size_t)n;
	rewind(f);
	return p;
}

static void next_ok(struct lb_lla_reader *r, struct lb_lla_frame *fr, enum lb_lla_kind kind)
{
	struct lb_diag d = {0};
	lb_err e = lb_lla_next(r, fr, &d);

	if (e)
		fail_msg("frame %llu: %s (%s)", (unsigned long long)r->frame + 1, lb_errname(e), d.msg);
	if (fr->kind != kind)
		fail_msg("frame %llu: kind %d, expected %d", (unsigned long long)r->frame, fr->kind,
		         kind);
}

static void expect_bytes(const uint8_t *got, size_t glen, const void *want, size_t wlen,
                         const char *what, uint64_t seq)
{
	if (glen != wlen || memcmp(got, want, wlen) != 0)
		fail_msg("%s at seq %llu: %zu bytes in the archive differ from the %zu stored",
		         what, (unsigned long long)seq, glen, wlen);
}

/* Every stored entry of a node, copied, indexed by seq. */
struct entries {
	uint8_t *raw[N_ENTRIES + 8];
	size_t len[N_ENTRIES + 8];
	uint64_t n;
};

static int collect(void *ctx, uint64_t seq, const uint8_t *raw, size_t len)
{
	struct entries *es = ctx;
	assert_int_equal(seq, es->n + 1);
	assert_true(seq < N_ENTRIES + 8);
	es->raw[seq] = malloc(len);
	memcpy(es->raw[seq], raw, len);
	es->len[seq] = len;
	es->n = seq;
	return 0;
}

static void entries_load(struct lb_node *n, struct entries *es)
{
	memset(es, 0, sizeof *es);
	assert_int_equal(lb_node_log_raw(n, 1, 0, collect, es, NULL), LB_OK);
}

static void entries_free(struct entries *es)
{
	for (uint64_t i = 1; i <= es->n; i++)
		free(es->raw[i]);
}

/* An archive from raw frame payloads: magic, then each frame with its
 * length.  frames[i] has lens[i] bytes. */
static size_t build_raw(uint8_t *out, size_t cap, const uint8_t *const *frames,
                        const size_t *lens, size_t n)
{
	size_t off = LB_LLA_MAGIC_LEN;

	memcpy(out, LB_LLA_MAGIC, LB_LLA_MAGIC_LEN);
	for (size_t i = 0; i < n; i++) {
		assert_true(off + 4 + lens[i] <= cap);
		out[off] = (uint8_t)(lens[i] >> 24);
		out[off + 1] = (uint8_t)(lens[i] >> 16);
		out[off + 2] = (uint8_t)(lens[i] >> 8);
		out[off + 3] = (uint8_t)lens[i];
		memcpy(out + off + 4, frames[i], lens[i]);
		off += 4 + lens[i];
	}
	return off;
}

/* Read an archive until the reader stops; returns that code and whether a
 * trailer frame was seen. */
static lb_err read_all(const uint8_t *buf, size_t len, bool *trailer, uint64_t *frames,
                       struct lb_diag *d)
{
	struct lb_lla_reader r;
	struct lb_lla_frame fr;
	FILE *f = mem_file(buf, len);
	lb_err e;

	*trailer = false;
	memset(d, 0, sizeof *d);
	if (!(e = lb_lla_reader_open(&r, f, d))) {
		while (!(e = lb_lla_next(&r, &fr, d)))
			if (fr.kind == LB_LLA_TRAILER)
				*trailer = true;
	}
	if (frames)
		*frames = r.frame;
	lb_lla_reader_close(&r);
	fclose(f);
	return e;
}

/* A small archive with one frame of each kind (and two entries), built
 * with the writer; *bounds gets the byte offset of every frame boundary. */
static uint8_t *small_archive(struct fx *f, size_t *len, size_t bounds[16], size_t *nb)
{
	struct lb_lla_writer w;
	struct lb_lla_header h = {.village = VILLAGE, .source = "node"};
	struct entries es;
	uint8_t *head, *out;
	size_t hlen;
	FILE *file = tmpfile();

	entries_load(f->n, &es);
	assert_int_equal(lb_node_head(f->n, 2, &head, &hlen, NULL), LB_OK);
	memcpy(h.origin, f->origin, LB_PK_BYTES);
	lb_lla_writer_init(&w, file);
	*nb = 0;
#define MARK() (fflush(file), bounds[(*nb)++] = (size_t)ftell(file))
	assert_int_equal(lb_lla_write_header(&w, &h, NULL), LB_OK);
	bounds[(*nb)++] = LB_LLA_MAGIC_LEN;
	MARK();
	assert_int_equal(lb_lla_write_entry(&w, es.raw[1], es.len[1], NULL), LB_OK);
	MARK();
	assert_int_equal(lb_lla_write_entry(&w, es.raw[2], es.len[2], NULL), LB_OK);
	MARK();
	assert_int_equal(lb_lla_write_head(&w, head, hlen, NULL), LB_OK);
	MARK();
	assert_int_equal(lb_lla_write_receipt(&w, f->agg_a, "rcpt", 4, NULL), LB_OK);
	MARK();
	assert_int_equal(lb_lla_write_fork(&w, head, hlen, head, hlen, NULL), LB_OK);
	MARK();
	assert_int_equal(lb_lla_write_trailer(&w, NULL), LB_OK);
	MARK();
#undef MARK
	lb_lla_writer_free(&w);
	out = slurp(file, len);
	assert_int_equal(bounds[*nb - 1], *len);
	fclose(file);
	free(head);
	entries_free(&es);
	return out;
}

/* ---- the node's export ------------------------------------------------------- */

static void a_node_log_comes_back_as_the_stored_bytes_in_order(void **state)
{
	struct fx *f = *state;
	struct lb_lla_reader r;
	struct lb_lla_frame fr;
	struct lb_diag d = {0};
	struct entries es;
	uint64_t heads = 0, receipts = 0;
	FILE *file = tmpfile();

	assert_non_null(file);
	entries_load(f->n, &es);
	assert_int_equal(es.n, N_ENTRIES);
	if (lb_node_export_log(f->n, file, &d))
		fail_msg("export: %s", d.msg);
	rewind(file);
	assert_int_equal(lb_lla_reader_open(&r, file, &d), LB_OK);
	next_ok(&r, &fr, LB_LLA_HEADER);
	assert_string_equal(fr.header.source, "node");
	assert_string_equal(fr.header.village, VILLAGE);
	assert_memory_equal(fr.header.origin, f->origin, LB_PK_BYTES);
	for (uint64_t seq = 1; seq <= es.n; seq++) {
		uint8_t *head;
		size_t hlen;

		next_ok(&r, &fr, LB_LLA_ENTRY);
		expect_bytes(fr.a, fr.alen, es.raw[seq], es.len[seq], "entry", seq);
		if (lb_node_head(f->n, seq, &head, &hlen, NULL) != LB_OK)
			continue;
		next_ok(&r, &fr, LB_LLA_HEAD);
		expect_bytes(fr.a, fr.alen, head, hlen, "head", seq);
		free(head);
		heads++;
		/* receipts of this seq, in aggregator key order */
		if (seq == 3) {
			next_ok(&r, &fr, LB_LLA_RECEIPT);
			assert_memory_equal(fr.a, f->agg_a, LB_PK_BYTES);
			expect_bytes(fr.b, fr.blen, "receipt A3", 10, "receipt", seq);
			next_ok(&r, &fr, LB_LLA_RECEIPT);
			assert_memory_equal(fr.a, f->agg_b, LB_PK_BYTES);
			expect_bytes(fr.b, fr.blen, "receipt B3", 10, "receipt", seq);
			receipts += 2;
		} else if (seq == 303) {
			next_ok(&r, &fr, LB_LLA_RECEIPT);
			assert_memory_equal(fr.a, f->agg_a, LB_PK_BYTES);
			expect_bytes(fr.b, fr.blen, "receipt A303", 12, "receipt", seq);
			receipts++;
		}
	}
	/* heads at 1, 2, 3; 259 (inside the big transaction), 303; 304 */
	assert_int_equal(heads, 6);
	next_ok(&r, &fr, LB_LLA_TRAILER);
	assert_int_equal(fr.trailer.entries, N_ENTRIES);
	assert_int_equal(fr.trailer.heads, 6);
	assert_int_equal(fr.trailer.receipts, receipts);
	assert_int_equal(fr.trailer.receipts, 3);
	assert_int_equal(fr.trailer.forks, 0);
	assert_int_equal(lb_lla_next(&r, &fr, &d), LB_ENOTFOUND);
	assert_true(r.cap <= LB_LLA_FRAME_MAX);
	lb_lla_reader_close(&r);
	fclose(file);
	entries_free(&es);
}

static void a_read_only_node_exports_too(void **state)
{
	struct fx *f = *state;
	struct lb_node_opts o = {.read_only = true};
	struct lb_node *ro;
	struct lb_diag d = {0};
	size_t la, lb;
	uint8_t *a, *b;
	FILE *fa = tmpfile(), *fb = tmpfile();

	assert_int_equal(lb_node_open(&ro, f->node, &o, NULL), LB_OK);
	assert_int_equal(lb_node_export_log(ro, fa, &d), LB_OK);
	assert_int_equal(lb_node_export_log(f->n, fb, &d), LB_OK);
	a = slurp(fa, &la);
	b = slurp(fb, &lb);
	/* the same log gives the same bytes: nothing in it depends on the time */
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
	free(a);
	free(b);
	fclose(fa);
	fclose(fb);
	lb_node_close(ro);
}

static void a_full_disk_is_a_disk_full_error(void **state)
{
	struct fx *f = *state;
	struct lb_lla_writer w;
	struct lb_lla_header h = {.village = VILLAGE, .source = "node"};
	struct lb_diag d = {0};
	FILE *full = fopen("/dev/full", "w");

	if (!full)
		skip();
	assert_int_equal(lb_node_export_log(f->n, full, &d), LB_EFULL);
	assert_non_null(strstr(d.msg, "disk full"));
	fclose(full);

	/* the writer stays failed: a caller checking only the trailer learns it */
	assert_non_null(full = fopen("/dev/full", "w"));
	setvbuf(full, NULL, _IONBF, 0);
	lb_lla_writer_init(&w, full);
	assert_int_equal(lb_lla_write_header(&w, &h, &d), LB_EFULL);
	assert_int_equal(lb_lla_write_entry(&w, "x", 1, &d), LB_EFULL);
	assert_int_equal(lb_lla_write_trailer(&w, &d), LB_EFULL);
	assert_non_null(strstr(d.msg, "earlier write failed"));
	lb_lla_writer_free(&w);
	fclose(full);
}

static void the_writer_refuses_frames_out_of_place(void **state)
{
	struct fx *f = *state;
	struct lb_lla_writer w;
	struct lb_lla_header h = {.village = VILLAGE, .source = "node"};
	struct lb_diag d = {0};
	static uint8_t big[LB_LLA_FRAME_MAX];
	FILE *file = tmpfile();
	size_t len;
	uint8_t *buf;
	bool trailer;

	memcpy(h.origin, f->origin, LB_PK_BYTES);
	lb_lla_writer_init(&w, file);
	assert_int_equal(lb_lla_write_entry(&w, "x", 1, &d), LB_EINVAL);
	assert_int_equal(lb_lla_write_trailer(&w, &d), LB_EINVAL);
	strcpy(h.source, "village");
	assert_int_equal(lb_lla_write_header(&w, &h, &d), LB_EINVAL);
	strcpy(h.source, "node");
	strcpy(h.village, "33"); /* a provinsi owns no log */
	assert_int_equal(lb_lla_write_header(&w, &h, &d), LB_EINVAL);
	strcpy(h.village, VILLAGE);
	assert_int_equal(lb_lla_write_header(&w, &h, &d), LB_OK);
	assert_int_equal(lb_lla_write_header(&w, &h, &d), LB_EINVAL);
	assert_int_equal(lb_lla_write_entry(&w, "", 0, &d), LB_EINVAL);
	/* too big for a frame: refused, nothing written, the writer goes on */
	assert_int_equal(lb_lla_write_entry(&w, big, sizeof big, &d), LB_ETOOBIG);
	assert_int_equal(lb_lla_write_entry(&w, "x", 1, &d), LB_OK);
	assert_int_equal(lb_lla_write_trailer(&w, &d), LB_OK);
	assert_int_equal(w.count.entries, 1);
	assert_int_equal(lb_lla_write_entry(&w, "x", 1, &d), LB_EINVAL);
	lb_lla_writer_free(&w);
	buf = slurp(file, &len);
	assert_int_equal(read_all(buf, len, &trailer, NULL, &d), LB_ENOTFOUND);
	assert_true(trailer);
	free(buf);
	fclose(file);
}

/* ---- reading damaged archives ------------------------------------------------- */

static void a_cut_at_every_byte_is_refused_or_ends_cleanly_without_trailer(void **state)
{
	struct fx *f = *state;
	size_t len, bounds[16], nb;
	uint8_t *buf = small_archive(f, &len, bounds, &nb);
	struct lb_diag d;
	uint64_t frames;
	bool trailer;
	lb_err e;

	assert_int_equal(read_all(buf, len, &trailer, &frames, &d), LB_ENOTFOUND);
	assert_true(trailer);
	assert_int_equal(frames, 7);
	for (size_t cut = 0; cut < len; cut++) {
		bool boundary = false;
		for (size_t i = 0; i < nb; i++)
			boundary |= bounds[i] == cut;
		e = read_all(buf, cut, &trailer, &frames, &d);
		if (trailer)
			fail_msg("cut at %zu of %zu: a trailer was read", cut, len);
		if (boundary && e != LB_ENOTFOUND)
			fail_msg("cut at frame boundary %zu: %s (%s)", cut, lb_errname(e), d.msg);
		if (!boundary && e != LB_EMALFORMED)
			fail_msg("cut at %zu (not a boundary): %s (%s)", cut, lb_errname(e), d.msg);
		/* a cut frame is named by number and offset */
		if (!boundary && cut >= LB_LLA_MAGIC_LEN) {
			char want[64];
			size_t at = 0;
			for (size_t i = 0; i < nb && bounds[i] < cut; i++)
				at = bounds[i];
			snprintf(want, sizeof want, "frame %llu (byte %zu)",
			         (unsigned long long)frames + 1, at);
			if (!strstr(d.msg, want))
				fail_msg("cut at %zu: \"%s\" does not name %s", cut, d.msg, want);
		}
	}
	free(buf);
}

static void a_huge_length_is_refused_before_allocating(void **state)
{
	struct lb_lla_reader r;
	struct lb_lla_frame fr;
	struct lb_diag d = {0};
	uint8_t buf[LB_LLA_MAGIC_LEN + 4];
	const uint32_t lens[] = {0xffffffffu, LB_LLA_FRAME_MAX + 1};
	FILE *f;

	(void)state;
	memcpy(buf, LB_LLA_MAGIC, LB_LLA_MAGIC_LEN);
	for (size_t i = 0; i < 2; i++) {
		uint32_t n = lens[i];
		buf[13] = (uint8_t)(n >> 24);
		buf[14] = (uint8_t)(n >> 16);
		buf[15] = (uint8_t)(n >> 8);
		buf[16] = (uint8_t)n;
		f = mem_file(buf, sizeof buf);
		assert_int_equal(lb_lla_reader_open(&r, f, &d), LB_OK);
		assert_int_equal(lb_lla_next(&r, &fr, &d), LB_ETOOBIG);
		assert_non_null(strstr(d.msg, "frame 1 (byte 13)"));
		assert_null(r.buf); /* nothing was allocated for it */
		assert_int_equal(r.cap, 0);
		/* and the reader stays stopped */
		assert_int_equal(lb_lla_next(&r, &fr, &d), LB_ETOOBIG);
		lb_lla_reader_close(&r);
		fclose(f);
	}
	/* a length of 0 is no frame */
	memset(buf + 13, 0, 4);
	f = mem_file(buf, sizeof buf);
	assert_int_equal(lb_lla_reader_open(&r, f, &d), LB_OK);
	assert_int_equal(lb_lla_next(&r, &fr, &d), LB_EMALFORMED);
	lb_lla_reader_close(&r);
	fclose(f);
}

static void not_an_archive_or_another_version_is_named(void **state)
{
	struct lb_lla_reader r;
	struct lb_diag d = {0};
	uint8_t buf[LB_LLA_MAGIC_LEN];
	FILE *f;

	(void)state;
	f = mem_file("id,nama\r\n1,Siti\r\n", 17);
	assert_int_equal(lb_lla_reader_open(&r, f, &d), LB_EMALFORMED);
	assert_string_equal(d.msg, "not a lumbung log archive");
	lb_lla_reader_close(&r);
	fclose(f);
	memcpy(buf, LB_LLA_MAGIC, sizeof buf);
	buf[12] = 2;
	f = mem_file(buf, sizeof buf);
	assert_int_equal(lb_lla_reader_open(&r, f, &d), LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "format 2 is not supported"));
	lb_lla_reader_close(&r);
	fclose(f);
}

static void a_flipped_kind_byte_is_refused(void **state)
{
	struct fx *f = *state;
	size_t len, bounds[16], nb;
	uint8_t *buf = small_archive(f, &len, bounds, &nb);
	/* every kind an entry frame could be flipped to is refused: other
	 * kinds have other element counts or types, and 6.. are unknown */
	const uint8_t kinds[] = {0, 3, 4, 5, 6, 0x7f, 0xcc};
	struct lb_diag d;
	bool trailer;

	for (size_t i = 0; i < sizeof kinds; i++) {
		/* frame 2 is the first entry: length (4), array(2) (1), kind */
		size_t at = bounds[1] + 4 + 1;
		uint8_t keep = buf[at];
		assert_int_equal(keep, LB_LLA_ENTRY);
		buf[at] = kinds[i];
		if (read_all(buf, len, &trailer, NULL, &d) != LB_EMALFORMED)
			fail_msg("entry frame with kind byte 0x%02x was not refused", kinds[i]);
		if (!strstr(d.msg, "frame 2 (byte "))
			fail_msg("kind 0x%02x: \"%s\" does not name frame 2", kinds[i], d.msg);
		buf[at] = keep;
	}
	/* a head and an entry have the same shape: that flip is the verifier's
	 * to catch (the bytes will not decode as an entry), not the reader's */
	free(buf);
}

/* Encode one frame payload into b from a printf-like recipe of puts. */
static void header_frame(struct lb_mp_buf *b, const char *const *keys, size_t n,
                         const char *village, uint64_t v)
{
	uint8_t origin[LB_PK_BYTES] = {1};

	lb_mp_buf_reset(b);
	lb_mp_put_array(b, 2);
	lb_mp_put_uint(b, 0);
	lb_mp_put_map(b, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		lb_mp_put_cstr(b, keys[i]);
		if (!strcmp(keys[i], "origin"))
			lb_mp_put_bin(b, origin, sizeof origin);
		else if (!strcmp(keys[i], "source"))
			lb_mp_put_cstr(b, "node");
		else if (!strcmp(keys[i], "v"))
			lb_mp_put_uint(b, v);
		else if (!strcmp(keys[i], "village"))
			lb_mp_put_cstr(b, village);
		else
			lb_mp_put_uint(b, 7);
	}
}

static lb_err read_one_frame(const void *payload, size_t plen, struct lb_diag *d)
{
	static uint8_t out[LB_LLA_FRAME_MAX + 64];
	const uint8_t *frames[] = {payload};
	size_t lens[] = {plen};
	size_t len = build_raw(out, sizeof out, frames, lens, 1);
	bool trailer;
	lb_err e = read_all(out, len, &trailer, NULL, d);

	return e == LB_ENOTFOUND ? LB_OK : e;
}

static void frames_are_decoded_strictly(void **state)
{
	static const char *const good[] = {"origin", "source", "v", "village"};
	static const char *const missing[] = {"origin", "source", "v"};
	static const char *const extra[] = {"origin", "source", "v", "village", "x"};
	static const char *const unsorted[] = {"source", "origin", "v", "village"};
	static const char *const twice[] = {"origin", "origin", "v", "village"};
	struct lb_mp_buf b;
	struct lb_diag d = {0};
	uint8_t raw[64];

	(void)state;
	lb_mp_buf_init(&b);
	header_frame(&b, good, 4, VILLAGE, 1);
	if (read_one_frame(b.sb.data, b.sb.size, &d))
		fail_msg("a good header was refused: %s", d.msg);
	header_frame(&b, missing, 3, VILLAGE, 1);
	assert_int_equal(read_one_frame(b.sb.data, b.sb.size, &d), LB_EMALFORMED);
	header_frame(&b, extra, 5, VILLAGE, 1);
	assert_int_equal(read_one_frame(b.sb.data, b.sb.size, &d), LB_EMALFORMED);
	header_frame(&b, unsorted, 4, VILLAGE, 1);
	assert_int_equal(read_one_frame(b.sb.data, b.sb.size, &d), LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "\"source\" where \"origin\" belongs"));
	header_frame(&b, twice, 4, VILLAGE, 1);
	assert_int_equal(read_one_frame(b.sb.data, b.sb.size, &d), LB_EMALFORMED);
	header_frame(&b, good, 4, "33", 1); /* a provinsi owns no log */
	assert_int_equal(read_one_frame(b.sb.data, b.sb.size, &d), LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "desa code"));
	header_frame(&b, good, 4, "33.24.01", 1); /* a kecamatan's catalogue */
	if (read_one_frame(b.sb.data, b.sb.size, &d))
		fail_msg("a kecamatan owner code was refused: %s", d.msg);
	header_frame(&b, good, 4, "33.24.01.20x1", 1);
	assert_int_equal(read_one_frame(b.sb.data, b.sb.size, &d), LB_EMALFORMED);
	header_frame(&b, good, 4, VILLAGE, 2);
	assert_int_equal(read_one_frame(b.sb.data, b.sb.size, &d), LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "version 2"));
	/* trailing bytes inside a frame */
	header_frame(&b, good, 4, VILLAGE, 1);
	lb_mp_put_nil(&b);
	assert_int_equal(read_one_frame(b.sb.data, b.sb.size, &d), LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "trailing"));

	/* entries: [1, bin] only */
	assert_int_equal(read_one_frame("\x92\x01\xc4\x01x", 5, &d), LB_OK);
	assert_int_equal(read_one_frame("\x92\x01\xc4\x00", 4, &d), LB_EMALFORMED);     /* empty */
	assert_int_equal(read_one_frame("\x92\x01\xa1x", 4, &d), LB_EMALFORMED);        /* str */
	assert_int_equal(read_one_frame("\x92\x01\xc5\x00\x01x", 6, &d), LB_EMALFORMED); /* bin16 */
	assert_int_equal(read_one_frame("\x93\x01\xc4\x01x\xc0", 6, &d), LB_EMALFORMED); /* 3 elems */
	assert_non_null(strstr(d.msg, "a frame of kind entry has 3 elements, not 2"));
	assert_int_equal(read_one_frame("\x91\x01", 2, &d), LB_EMALFORMED);
	assert_int_equal(read_one_frame("\x92\xcc\x01\xc4\x01x", 6, &d), LB_EMALFORMED); /* uint8 1 */
	assert_int_equal(read_one_frame("\x90", 1, &d), LB_EMALFORMED);
	assert_int_equal(read_one_frame("\x81\xa1k\x01", 4, &d), LB_EMALFORMED); /* a map */
	assert_int_equal(read_one_frame("\x92\x01\xc4\x05x", 5, &d), LB_EMALFORMED); /* bin cut */
	/* receipts: the key is exactly 32 bytes */
	raw[0] = 0x93;
	raw[1] = 0x03;
	raw[2] = 0xc4;
	raw[3] = 32;
	memset(raw + 4, 0xaa, 32);
	raw[36] = 0xc4;
	raw[37] = 1;
	raw[38] = 'r';
	assert_int_equal(read_one_frame(raw, 39, &d), LB_OK);
	raw[3] = 31;
	assert_int_equal(read_one_frame(raw, 38, &d), LB_EMALFORMED);
	/* a trailer with a key missing */
	lb_mp_buf_reset(&b);
	lb_mp_put_array(&b, 2);
	lb_mp_put_uint(&b, 5);
	lb_mp_put_map(&b, 3);
	lb_mp_put_cstr(&b, "entries");
	lb_mp_put_uint(&b, 1);
	lb_mp_put_cstr(&b, "heads");
	lb_mp_put_uint(&b, 1);
	lb_mp_put_cstr(&b, "receipts");
	lb_mp_put_uint(&b, 1);
	assert_int_equal(read_one_frame(b.sb.data, b.sb.size, &d), LB_EMALFORMED);
	lb_mp_buf_free(&b);
}

/* ---- the aggregator ------------------------------------------------------------- */

struct agg_fx {
	char dir[128];
	struct lb_agg *a;
	uint8_t pk[LB_PK_BYTES];
};

static void agg_make(struct fx *f, struct agg_fx *g)
{
	snprintf(g->dir, sizeof g->dir, "%s/kab", f->dir);
	assert_int_equal(lb_agg_init(g->dir, "33.24", g->pk, NULL), LB_OK);
	assert_int_equal(lb_agg_open(&g->a, g->dir, NULL), LB_OK);
}

/* Send n's entries from..to (to ends a transaction) to the aggregator;
 * returns the ingest's code. */
static lb_err ingest_span(struct lb_agg *a, struct lb_node *n, const char *village, uint64_t from,
                   uint64_t to, struct lb_diag *d)
{
	struct lb_mp_buf cs;
	struct cs_build b = {&cs, to, LB_OK};
	struct lb_node_info info;
	struct lb_agg_result r;
	uint8_t *head;
	size_t hlen;
	lb_err e;

	lb_mp_buf_init(&cs);
	assert_int_equal(lb_node_info(n, &info, NULL), LB_OK);
	assert_int_equal(lb_wire_begin(&cs, to - from + 1, NULL), LB_OK);
	assert_int_equal(lb_node_log(n, from, add_entry, &b, NULL), LB_OK);
	assert_int_equal(b.e, LB_OK);
	assert_int_equal(lb_node_head(n, to, &head, &hlen, NULL), LB_OK);
	assert_int_equal(lb_wire_end(&cs, village, info.origin, head, hlen, NULL), LB_OK);
	free(head);
	memset(d, 0, sizeof *d);
	e = lb_agg_ingest(a, cs.sb.data, cs.sb.size, &r, d);
	free(r.receipt);
	lb_mp_buf_free(&cs);
	return e;
}

static void send_ok(struct lb_agg *a, struct lb_node *n, const char *village, uint64_t from,
                    uint64_t to)
{
	struct lb_diag d;
	if (ingest_span(a, n, village, from, to, &d))
		fail_msg("ingest %llu..%llu: %s", (unsigned long long)from, (unsigned long long)to,
		         d.msg);
}

static void the_aggregator_exports_the_bytes_the_village_signed(void **state)
{
	struct fx *f = *state;
	struct agg_fx g;
	struct lb_lla_reader r;
	struct lb_lla_frame fr;
	struct lb_diag d = {0};
	struct entries es;
	const uint64_t cuts[] = {3, 259, 304}; /* change sets end at these heads */
	uint8_t stranger[LB_PK_BYTES] = {9};
	size_t ci = 0;
	FILE *file = tmpfile();

	agg_make(f, &g);
	assert_int_equal(lb_agg_enroll(g.a, VILLAGE, f->origin, NULL), LB_OK);
	send_ok(g.a, f->n, VILLAGE, 1, 3);
	send_ok(g.a, f->n, VILLAGE, 4, 259);
	send_ok(g.a, f->n, VILLAGE, 260, 304);
	entries_load(f->n, &es);

	if (lb_agg_export_log(g.a, f->origin, file, &d))
		fail_msg("export: %s", d.msg);
	rewind(file);
	assert_int_equal(lb_lla_reader_open(&r, file, &d), LB_OK);
	next_ok(&r, &fr, LB_LLA_HEADER);
	assert_string_equal(fr.header.source, "aggregator");
	assert_string_equal(fr.header.village, VILLAGE);
	assert_memory_equal(fr.header.origin, f->origin, LB_PK_BYTES);
	for (uint64_t seq = 1; seq <= es.n; seq++) {
		uint8_t *head;
		size_t hlen;

		next_ok(&r, &fr, LB_LLA_ENTRY);
		expect_bytes(fr.a, fr.alen, es.raw[seq], es.len[seq], "aggregator entry", seq);
		if (ci < 3 && seq == cuts[ci]) {
			next_ok(&r, &fr, LB_LLA_HEAD);
			assert_int_equal(lb_node_head(f->n, seq, &head, &hlen, NULL), LB_OK);
			expect_bytes(fr.a, fr.alen, head, hlen, "aggregator head", seq);
			free(head);
			ci++;
		}
	}
	next_ok(&r, &fr, LB_LLA_TRAILER);
	assert_int_equal(fr.trailer.entries, N_ENTRIES);
	assert_int_equal(fr.trailer.heads, 3);
	assert_int_equal(fr.trailer.receipts, 0);
	assert_int_equal(fr.trailer.forks, 0);
	assert_int_equal(lb_lla_next(&r, &fr, &d), LB_ENOTFOUND);
	lb_lla_reader_close(&r);
	fclose(file);
	entries_free(&es);

	file = tmpfile();
	assert_int_equal(lb_agg_export_log(g.a, stranger, file, &d), LB_EUNKNOWN_ORIGIN);
	fclose(file);
	lb_agg_close(g.a);
}

/* Rewrite history at the next seq: honest n writes one record and sends
 * it; a copy of its directory (same key) writes another.  n is reopened. */
static void make_fork(struct agg_fx *g, struct lb_node **n, const char *dir, const char *village,
                      uint64_t seq, int i)
{
	char copy[160], cmd[400];
	struct lb_node *twin;
	struct lb_diag d;

	snprintf(copy, sizeof copy, "%s.twin", dir);
	lb_node_close(*n);
	snprintf(cmd, sizeof cmd, "cp -a '%s' '%s'", dir, copy);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(lb_node_open(n, dir, NULL, NULL), LB_OK);
	put_asp(*n, i, "jalan desa");
	send_ok(g->a, *n, village, seq, seq);
	assert_int_equal(lb_node_open(&twin, copy, NULL, NULL), LB_OK);
	put_asp(twin, i, "sesuatu yang lain");
	assert_int_equal(ingest_span(g->a, twin, village, seq, seq, &d), LB_EFORK);
	lb_node_close(twin);
}

static void fork_evidence_exports_one_origin_per_archive(void **state)
{
	struct fx *f = *state;
	struct agg_fx g;
	struct lb_lla_reader r;
	struct lb_lla_frame fr;
	struct lb_diag d = {0};
	char node2[128], hx[65];
	struct lb_node *n2;
	uint8_t origin2[LB_PK_BYTES], *head;
	size_t count, hlen;
	FILE *file = tmpfile();

	agg_make(f, &g);
	assert_int_equal(lb_agg_enroll(g.a, VILLAGE, f->origin, NULL), LB_OK);
	/* no evidence at all: no origin to name */
	assert_int_equal(lb_agg_export_forks(g.a, NULL, file, &count, &d), LB_ENOTFOUND);
	send_ok(g.a, f->n, VILLAGE, 1, 304);
	make_fork(&g, &f->n, f->node, VILLAGE, 305, 900);

	rewind(file);
	assert_int_equal(lb_agg_export_forks(g.a, NULL, file, &count, &d), LB_OK);
	assert_int_equal(count, 1);
	rewind(file);
	assert_int_equal(lb_lla_reader_open(&r, file, &d), LB_OK);
	next_ok(&r, &fr, LB_LLA_HEADER);
	assert_string_equal(fr.header.source, "aggregator");
	assert_memory_equal(fr.header.origin, f->origin, LB_PK_BYTES);
	next_ok(&r, &fr, LB_LLA_FORK);
	/* ours is the honest head the aggregator holds; theirs differs */
	assert_int_equal(lb_node_head(f->n, 305, &head, &hlen, NULL), LB_OK);
	expect_bytes(fr.a, fr.alen, head, hlen, "our head", 305);
	assert_true(fr.blen != hlen || memcmp(fr.b, head, hlen) != 0);
	free(head);
	/* then what proves it: both histories' entries from seq 305 to their heads */
	{
		uint8_t first[LB_LLA_FRAME_MAX];
		size_t flen;
		next_ok(&r, &fr, LB_LLA_FORK_ENTRY);
		assert_int_equal(fr.branch, 0);
		flen = fr.alen;
		memcpy(first, fr.a, flen);
		next_ok(&r, &fr, LB_LLA_FORK_ENTRY);
		assert_int_equal(fr.branch, 1);
		assert_true(fr.alen != flen || memcmp(fr.a, first, flen) != 0);
	}
	next_ok(&r, &fr, LB_LLA_TRAILER);
	assert_int_equal(fr.trailer.forks, 1);
	assert_int_equal(fr.trailer.entries, 2);
	lb_lla_reader_close(&r);
	/* and the auditor says it proves the fork at 305 */
	{
		struct lb_audit_report rep;
		rewind(file);
		if (lb_audit_verify(file, NULL, &rep, &d))
			fail_msg("verify of the evidence: %s", d.msg);
		assert_int_equal(rep.forks, 1);
		assert_int_equal(rep.fork_seq, 305);
		assert_int_equal(rep.fork_entries, 2);
	}

	/* a second origin with a fork: NULL is now ambiguous, and says so */
	snprintf(node2, sizeof node2, "%s/desa2", f->dir);
	assert_int_equal(lb_node_init(node2, VILLAGE2, NULL, origin2, NULL), LB_OK);
	assert_int_equal(lb_node_open(&n2, node2, NULL, NULL), LB_OK);
	assert_int_equal(lb_agg_enroll(g.a, VILLAGE2, origin2, NULL), LB_OK);
	put_asp(n2, 1, "posyandu");
	send_ok(g.a, n2, VILLAGE2, 1, 1);
	make_fork(&g, &n2, node2, VILLAGE2, 2, 2);
	fclose(file);
	file = tmpfile();
	assert_int_equal(lb_agg_export_forks(g.a, NULL, file, &count, &d), LB_EINVAL);
	assert_int_equal(count, 0);
	assert_int_equal(ftell(file), 0); /* nothing written */
	lb_hex(hx, f->origin, LB_PK_BYTES);
	assert_non_null(strstr(d.msg, hx));
	lb_hex(hx, origin2, LB_PK_BYTES);
	assert_non_null(strstr(d.msg, hx));
	/* naming one works */
	assert_int_equal(lb_agg_export_forks(g.a, origin2, file, &count, &d), LB_OK);
	assert_int_equal(count, 1);
	lb_node_close(n2);
	fclose(file);
	lb_agg_close(g.a);
}

static void an_auditor_opens_the_aggregator_without_its_key(void **state)
{
	struct fx *f = *state;
	struct agg_fx g;
	struct lb_agg *ro;
	struct lb_agg_origin o;
	struct lb_agg_result res;
	struct lb_diag d = {0};
	char key[160], moved[170];
	size_t count;
	FILE *file = tmpfile();

	agg_make(f, &g);
	assert_int_equal(lb_agg_enroll(g.a, VILLAGE, f->origin, NULL), LB_OK);
	send_ok(g.a, f->n, VILLAGE, 1, 3);
	lb_agg_close(g.a);
	snprintf(key, sizeof key, "%s/agg.key", g.dir);
	snprintf(moved, sizeof moved, "%s.away", key);

	/* unreadable key file (root reads it anyway, so also take it away) */
	assert_int_equal(chmod(key, 0), 0);
	if (geteuid() != 0)
		assert_int_not_equal(lb_agg_open(&g.a, g.dir, &d), LB_OK);
	if (lb_agg_open_ro(&ro, g.dir, &d))
		fail_msg("open_ro with an unreadable key: %s", d.msg);
	lb_agg_close(ro);
	assert_int_equal(rename(key, moved), 0);
	assert_int_equal(lb_agg_open(&g.a, g.dir, &d), LB_EKEY);
	if (lb_agg_open_ro(&ro, g.dir, &d))
		fail_msg("open_ro without a key: %s", d.msg);

	assert_int_equal(lb_agg_origin(ro, f->origin, &o, &d), LB_OK);
	assert_int_equal(o.seq, 3);
	assert_int_equal(lb_agg_export_log(ro, f->origin, file, &d), LB_OK);
	assert_int_equal(lb_agg_export_forks(ro, f->origin, file, &count, &d), LB_OK);
	assert_int_equal(count, 0);
	/* writes fail cleanly */
	assert_int_equal(lb_agg_enroll(ro, VILLAGE2, f->agg_a, &d), LB_EINVAL);
	assert_non_null(strstr(d.msg, "read-only"));
	assert_int_equal(lb_agg_revoke(ro, f->origin, &d), LB_EINVAL);
	assert_int_equal(lb_agg_ingest(ro, "\x80", 1, &res, &d), LB_EINVAL);
	assert_null(res.receipt);
	assert_int_equal(lb_agg_origin(ro, f->origin, &o, &d), LB_OK);
	assert_false(o.revoked);
	lb_agg_close(ro);
	assert_int_equal(lb_agg_open_ro(&ro, "/nonexistent/agg", &d), LB_ENOTFOUND);
	fclose(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(a_node_log_comes_back_as_the_stored_bytes_in_order,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(a_read_only_node_exports_too, setup, teardown),
		cmocka_unit_test_setup_teardown(a_full_disk_is_a_disk_full_error, setup, teardown),
		cmocka_unit_test_setup_teardown(the_writer_refuses_frames_out_of_place, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(
			a_cut_at_every_byte_is_refused_or_ends_cleanly_without_trailer, setup, teardown),
		cmocka_unit_test(a_huge_length_is_refused_before_allocating),
		cmocka_unit_test(not_an_archive_or_another_version_is_named),
		cmocka_unit_test_setup_teardown(a_flipped_kind_byte_is_refused, setup, teardown),
		cmocka_unit_test(frames_are_decoded_strictly),
		cmocka_unit_test_setup_teardown(the_aggregator_exports_the_bytes_the_village_signed,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(fork_evidence_exports_one_origin_per_archive, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(an_auditor_opens_the_aggregator_without_its_key, setup,
		                                teardown),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
