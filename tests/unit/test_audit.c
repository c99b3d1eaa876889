/*
 * test_audit.c — the streaming verifier (tools/audit/verify.c) and the
 * record history (tools/audit/history.c) on synthetic archives.
 *
 * A history is built here from scratch: entries encoded with
 * lb_entry_encode and chained by hand, heads signed with a key made for
 * the test, receipts signed with an "aggregator" key and encoded as agg.h
 * documents them.  So every corruption below can also be *validly signed*
 * (a schema violation, time going backwards, a wrong Merkle root) — the
 * kind a black-box test cannot make without the village's key — and each
 * must give its own code and the first bad seq.  Every case runs with no
 * worker threads and with two, across batch boundaries, and must give the
 * same result.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "../../node/archive.h"
#include "../../node/entry.h"
#include "../../node/head.h"
#include "../../node/merkle.h"
#include "../../schema/schema.h"
#include "../../tools/audit/audit.h"

#define VILLAGE "33.24.01.2001"
#define MAXF 12000

struct frame {
	int kind; /* enum lb_lla_kind, or RAW: bytes written as they are */
	uint8_t *a, *b;
	size_t alen, blen;
};
#define RAW 99

/* A village's history under construction, and its frames in file order. */
struct hist {
	struct lb_key key, agg;
	struct lb_merkle m;
	uint8_t prev[LB_HASH_BYTES];
	uint64_t seq, ts;
	struct frame f[MAXF];
	size_t n;
	size_t frame_of[MAXF]; /* seq -> index in f */
};

static struct hist H; /* big: static, rebuilt by each test */

static void keypair(struct lb_key *k)
{
	crypto_sign_keypair(k->pk, k->sk);
}

static uint8_t *dup(const void *p, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);
	assert_non_null(c);
	memcpy(c, p, n);
	return c;
}

static void push(struct hist *h, int kind, const void *a, size_t alen, const void *b, size_t blen)
{
	assert_true(h->n < MAXF);
	h->f[h->n++] = (struct frame){kind, dup(a, alen), b ? dup(b, blen) : NULL, alen, blen};
}

static void hist_free(struct hist *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free(h->f[i].a);
		free(h->f[i].b);
	}
	h->n = 0;
}

static void hist_init(struct hist *h)
{
	hist_free(h);
	memset(h, 0, sizeof *h);
	keypair(&h->key);
	keypair(&h->agg);
	lb_merkle_init(&h->m);
	h->ts = (uint64_t)1767225600000 << 16; /* 2026-01-01 */
}

/* An aspirasi body, canonical (keys sorted bytewise). */
static void body(struct lb_mp_buf *b, const char *pengusul, const char *status)
{
	lb_mp_put_map(b, 4);
	lb_mp_put_cstr(b, "pengusul");
	lb_mp_put_cstr(b, pengusul);
	lb_mp_put_cstr(b, "status");
	lb_mp_put_cstr(b, status);
	lb_mp_put_cstr(b, "tanggal");
	lb_mp_put_cstr(b, "2026-01-05");
	lb_mp_put_cstr(b, "usulan");
	lb_mp_put_cstr(b, "Sumur bor");
}

struct eopt {
	const char *id, *pengusul, *status;
	uint32_t schema;
	int64_t dts;       /* ts step (default 1) */
	uint64_t seq;      /* written seq (default the right one) */
	bool del;
};

/* Append the next entry (chained, hashed into the Merkle tree). */
static void h_entry_opt(struct hist *h, struct eopt o)
{
	struct lb_mp_buf bb, eb;
	char id[32];
	uint8_t hash[LB_HASH_BYTES];
	struct lb_entry e = {0};

	lb_mp_buf_init(&bb);
	lb_mp_buf_init(&eb);
	h->seq++;
	h->ts = (uint64_t)((int64_t)h->ts + (o.dts ? o.dts : 1));
	snprintf(id, sizeof id, "A-%llu", (unsigned long long)h->seq);
	if (!o.del)
		body(&bb, o.pengusul ? o.pengusul : "Warga", o.status ? o.status : "diusulkan");
	e.seq = o.seq ? o.seq : h->seq;
	e.ts = h->ts;
	e.op = o.del ? LB_OP_DEL : LB_OP_PUT;
	e.type = "aspirasi";
	e.type_len = 8;
	e.id = o.id ? o.id : id;
	e.id_len = strlen(e.id);
	e.body = (const uint8_t *)bb.sb.data;
	e.body_len = bb.sb.size;
	e.schema = o.schema ? o.schema : 1;
	memcpy(e.prev, h->prev, LB_HASH_BYTES);
	assert_int_equal(lb_entry_encode(&eb, &e), LB_OK);
	lb_hash(hash, eb.sb.data, eb.sb.size);
	lb_merkle_append(&h->m, hash);
	memcpy(h->prev, hash, LB_HASH_BYTES);
	h->frame_of[h->seq] = h->n;
	push(h, LB_LLA_ENTRY, eb.sb.data, eb.sb.size, NULL, 0);
	lb_mp_buf_free(&bb);
	lb_mp_buf_free(&eb);
}

static void h_entry(struct hist *h)
{
	h_entry_opt(h, (struct eopt){0});
}

/* Sign a head for the current tip with k (NULL: the village's key). */
static void h_head_with(struct hist *h, const struct lb_key *k, const uint8_t *root)
{
	struct lb_head hd = {0};
	struct lb_mp_buf b;

	lb_mp_buf_init(&b);
	strcpy(hd.village, VILLAGE);
	k = k ? k : &h->key;
	memcpy(hd.origin, k->pk, LB_PK_BYTES);
	hd.seq = h->seq;
	memcpy(hd.hash, h->prev, LB_HASH_BYTES);
	if (root)
		memcpy(hd.root, root, LB_HASH_BYTES);
	else
		lb_merkle_root(&h->m, hd.root);
	hd.ts = h->ts;
	assert_int_equal(lb_head_sign(&b, &hd, k), LB_OK);
	push(h, LB_LLA_HEAD, b.sb.data, b.sb.size, NULL, 0);
	lb_mp_buf_free(&b);
}

static void h_head(struct hist *h)
{
	h_head_with(h, NULL, NULL);
}

/* n entries with a head every `every` and one at the end. */
static void h_entries(struct hist *h, int n, int every)
{
	for (int i = 1; i <= n; i++) {
		h_entry(h);
		if (i % every == 0 || i == n)
			h_head(h);
	}
}

/* A receipt for the tip as agg.h documents it, signed by h->agg;
 * hash_bit flips a bit of the acknowledged hash. */
static void h_receipt(struct hist *h, bool hash_bit)
{
	struct lb_mp_buf b;
	uint8_t sig[LB_SIG_BYTES] = {0}, hash[LB_HASH_BYTES], root[LB_HASH_BYTES];

	lb_mp_buf_init(&b);
	memcpy(hash, h->prev, LB_HASH_BYTES);
	hash[0] ^= hash_bit;
	lb_merkle_root(&h->m, root);
	lb_mp_put_raw(&b, sig, sizeof sig);
	lb_mp_put_array(&b, 7);
	lb_mp_put_cstr(&b, "lumbung-receipt");
	lb_mp_put_uint(&b, 1);
	lb_mp_put_bin(&b, h->key.pk, LB_PK_BYTES);
	lb_mp_put_uint(&b, h->seq);
	lb_mp_put_bin(&b, hash, LB_HASH_BYTES);
	lb_mp_put_bin(&b, root, LB_HASH_BYTES);
	lb_mp_put_uint(&b, 1767225600123);
	lb_sign(sig, b.sb.data + LB_SIG_BYTES, b.sb.size - LB_SIG_BYTES, &h->agg);
	memcpy(b.sb.data, sig, sizeof sig);
	push(h, LB_LLA_RECEIPT, h->agg.pk, LB_PK_BYTES, b.sb.data, b.sb.size);
	lb_mp_buf_free(&b);
}

/* A raw trailer frame with the given counts (the writer's own trailer
 * always counts right). */
static void h_raw_trailer(struct hist *h, uint64_t entries, uint64_t heads)
{
	struct lb_mp_buf b;
	uint8_t len[4];
	size_t n;

	lb_mp_buf_init(&b);
	lb_mp_put_array(&b, 2);
	lb_mp_put_uint(&b, LB_LLA_TRAILER);
	lb_mp_put_map(&b, 4);
	lb_mp_put_cstr(&b, "entries");
	lb_mp_put_uint(&b, entries);
	lb_mp_put_cstr(&b, "forks");
	lb_mp_put_uint(&b, 0);
	lb_mp_put_cstr(&b, "heads");
	lb_mp_put_uint(&b, heads);
	lb_mp_put_cstr(&b, "receipts");
	lb_mp_put_uint(&b, 0);
	n = b.sb.size;
	len[0] = (uint8_t)(n >> 24);
	len[1] = (uint8_t)(n >> 16);
	len[2] = (uint8_t)(n >> 8);
	len[3] = (uint8_t)n;
	{
		uint8_t *all = malloc(4 + n);
		assert_non_null(all);
		memcpy(all, len, 4);
		memcpy(all + 4, b.sb.data, n);
		push(h, RAW, all, 4 + n, NULL, 0);
		free(all);
	}
	lb_mp_buf_free(&b);
}

/* Write h as an archive into a memory buffer (*buf, *len: free *buf). */
static void h_write(const struct hist *h, bool trailer, char **buf, size_t *len)
{
	struct lb_lla_writer w;
	struct lb_lla_header hd = {0};
	struct lb_diag d = {0};
	FILE *f = open_memstream(buf, len);

	assert_non_null(f);
	strcpy(hd.village, VILLAGE);
	strcpy(hd.source, "node");
	memcpy(hd.origin, h->key.pk, LB_PK_BYTES);
	lb_lla_writer_init(&w, f);
	assert_int_equal(lb_lla_write_header(&w, &hd, &d), LB_OK);
	for (size_t i = 0; i < h->n; i++) {
		const struct frame *fr = &h->f[i];
		lb_err e = LB_OK;
		switch (fr->kind) {
		case LB_LLA_ENTRY:
			e = lb_lla_write_entry(&w, fr->a, fr->alen, &d);
			break;
		case LB_LLA_HEAD:
			e = lb_lla_write_head(&w, fr->a, fr->alen, &d);
			break;
		case LB_LLA_RECEIPT:
			e = lb_lla_write_receipt(&w, fr->a, fr->b, fr->blen, &d);
			break;
		case LB_LLA_FORK:
			e = lb_lla_write_fork(&w, fr->a, fr->alen, fr->b, fr->blen, &d);
			break;
		case RAW:
			fflush(f);
			assert_int_equal(fwrite(fr->a, 1, fr->alen, f), fr->alen);
			break;
		}
		if (e)
			fail_msg("writing frame %zu: %s", i, d.msg);
	}
	if (trailer)
		assert_int_equal(lb_lla_write_trailer(&w, &d), LB_OK);
	lb_lla_writer_free(&w);
	assert_int_equal(fclose(f), 0);
}

struct result {
	lb_err e;
	struct lb_audit_report r;
	struct lb_diag d;
};

static struct result verify_buf(const char *buf, size_t len, unsigned threads, const uint8_t *key)
{
	struct result res = {0};
	struct lb_audit_opts o = {.key = key, .threads = threads};
	FILE *f = fmemopen((void *)buf, len, "rb");

	assert_non_null(f);
	res.e = lb_audit_verify(f, &o, &res.r, &res.d);
	fclose(f);
	return res;
}

/* Verify h with 0 and 2 worker threads; both must agree; returns the
 * threaded result. */
static struct result run_key(const struct hist *h, bool trailer, const uint8_t *key)
{
	char *buf;
	size_t len;
	struct result a, b;

	h_write(h, trailer, &buf, &len);
	a = verify_buf(buf, len, 0, key);
	b = verify_buf(buf, len, 2, key);
	free(buf);
	assert_int_equal(a.e, b.e);
	assert_int_equal(a.r.bad_seq, b.r.bad_seq);
	assert_int_equal(a.r.bad_frame, b.r.bad_frame);
	assert_int_equal(a.r.entries, b.r.entries);
	assert_string_equal(a.d.msg, b.d.msg);
	return b;
}

static struct result run(const struct hist *h)
{
	return run_key(h, true, NULL);
}

/* Expect failure code e at bad seq s, the message naming it. */
static void expect_bad(struct result res, lb_err e, uint64_t s, const char *text)
{
	char want[32];

	if (res.e != e || res.r.bad_seq != s)
		fail_msg("wanted %s at seq %llu, got %s at seq %llu: %s", lb_errname(e),
		         (unsigned long long)s, lb_errname(res.e), (unsigned long long)res.r.bad_seq,
		         res.d.msg);
	snprintf(want, sizeof want, "seq %llu", (unsigned long long)s);
	if (s && !strstr(res.d.msg, want))
		fail_msg("message does not name %s: %s", want, res.d.msg);
	if (text && !strstr(res.d.msg, text))
		fail_msg("message lacks \"%s\": %s", text, res.d.msg);
}

static void flip(struct hist *h, uint64_t seq, long at)
{
	struct frame *f = &h->f[h->frame_of[seq]];
	f->a[at >= 0 ? (size_t)at : f->alen + (size_t)at] ^= 0x01;
}

/* ---- valid archives --------------------------------------------------------- */

static void a_valid_history_verifies_and_reports_what_it_read(void **state)
{
	struct result res;
	uint8_t root[LB_HASH_BYTES];

	(void)state;
	hist_init(&H);
	h_entries(&H, 5000, 256); /* more frames than one batch */
	h_receipt(&H, false);
	res = run_key(&H, true, H.key.pk);
	if (res.e)
		fail_msg("%s", res.d.msg);
	assert_int_equal(res.r.entries, 5000);
	assert_int_equal(res.r.heads, 5000 / 256 + 1);
	assert_int_equal(res.r.receipts, 1);
	assert_int_equal(res.r.last_seq, 5000);
	assert_int_equal(res.r.last_head_seq, 5000);
	assert_true(res.r.trailer && res.r.key_given && res.r.have_header);
	assert_int_equal(res.r.bad_seq, 0);
	assert_memory_equal(res.r.last_hash, H.prev, LB_HASH_BYTES);
	lb_merkle_root(&H.m, root);
	assert_memory_equal(res.r.root, root, LB_HASH_BYTES);
	assert_memory_equal(res.r.signer, H.key.pk, LB_PK_BYTES);
	assert_int_equal(res.r.first_ts, ((uint64_t)1767225600000 << 16) + 1);
	assert_int_equal(res.r.last_ts, H.ts);
	assert_int_equal(res.r.schema_min, 1);
	assert_int_equal(res.r.schema_max, 1);
}

static void an_empty_log_verifies(void **state)
{
	struct result res;

	(void)state;
	hist_init(&H);
	res = run(&H);
	assert_int_equal(res.e, LB_OK);
	assert_int_equal(res.r.entries, 0);
	assert_true(res.r.trailer);
}

static void deletes_verify_and_no_threads_equals_many(void **state)
{
	char *buf;
	size_t len;
	struct result a, b;

	(void)state;
	hist_init(&H);
	h_entries(&H, 10, 3);
	h_entry_opt(&H, (struct eopt){.id = "A-1", .del = true});
	h_head(&H);
	h_write(&H, true, &buf, &len);
	a = verify_buf(buf, len, 0, NULL);
	b = verify_buf(buf, len, LB_AUDIT_THREADS_MAX + 5, NULL); /* capped, still fine */
	free(buf);
	assert_int_equal(a.e, LB_OK);
	assert_int_equal(b.e, LB_OK);
	assert_int_equal(a.r.entries, 11);
}

/* ---- entries ------------------------------------------------------------------- */

static void an_altered_body_is_blamed_on_its_entry_not_the_next(void **state)
{
	(void)state;
	hist_init(&H);
	h_entries(&H, 3000, 1000);
	flip(&H, 2500, -40); /* inside the body, ahead of schema and prev */
	expect_bad(run(&H), LB_ECORRUPT, 2500, "entry was altered");
}

static void an_altered_entry_under_a_head_is_caught_by_the_head(void **state)
{
	(void)state;
	hist_init(&H);
	h_entries(&H, 100, 50);
	flip(&H, 50, -40);
	expect_bad(run(&H), LB_ECORRUPT, 50, "does not match its signed head");
}

static void an_altered_prev_is_blamed_on_its_entry(void **state)
{
	(void)state;
	hist_init(&H);
	h_entries(&H, 3000, 1000);
	flip(&H, 2047, -3); /* near a batch boundary */
	expect_bad(run(&H), LB_ECORRUPT, 2047, "prev does not match");
}

static void an_altered_last_entry_is_caught(void **state)
{
	(void)state;
	hist_init(&H);
	h_entries(&H, 300, 100);
	flip(&H, 300, -40);
	expect_bad(run(&H), LB_ECORRUPT, 300, "does not match its signed head");
}

static void an_entry_that_does_not_decode_is_corrupt_at_its_seq(void **state)
{
	(void)state;
	hist_init(&H);
	h_entries(&H, 20, 10);
	H.f[H.frame_of[7]].a[0] = 0x97; /* an array of 7: not an entry */
	expect_bad(run(&H), LB_ECORRUPT, 7, "does not decode");
}

static void a_wrong_seq_field_is_named(void **state)
{
	(void)state;
	hist_init(&H);
	h_entries(&H, 5, 5);
	h_entry_opt(&H, (struct eopt){.seq = 9}); /* chained right, claims seq 9 */
	h_head(&H);
	expect_bad(run(&H), LB_ECORRUPT, 6, "seq field was altered");
}

static void a_missing_entry_is_named(void **state)
{
	struct frame gone;

	(void)state;
	hist_init(&H);
	h_entries(&H, 40, 20);
	gone = H.f[H.frame_of[30]];
	memmove(&H.f[H.frame_of[30]], &H.f[H.frame_of[30] + 1],
	        (H.n - H.frame_of[30] - 1) * sizeof H.f[0]);
	H.n--;
	expect_bad(run(&H), LB_ECORRUPT, 30, "missing or out of order");
	free(gone.a);
}

static void a_swapped_pair_is_named(void **state)
{
	struct frame t;

	(void)state;
	hist_init(&H);
	h_entries(&H, 40, 20);
	t = H.f[H.frame_of[11]];
	H.f[H.frame_of[11]] = H.f[H.frame_of[12]];
	H.f[H.frame_of[12]] = t;
	expect_bad(run(&H), LB_ECORRUPT, 11, "missing or out of order");
}

static void a_validly_signed_schema_violation_is_a_schema_error(void **state)
{
	(void)state;
	hist_init(&H);
	h_entries(&H, 10, 10);
	h_entry_opt(&H, (struct eopt){.status = "dibatalkan"}); /* not in the enum */
	h_entries(&H, 10, 10);
	expect_bad(run(&H), LB_ESCHEMA, 11, "status");
}

static void an_unknown_schema_version_is_a_schema_error(void **state)
{
	(void)state;
	hist_init(&H);
	h_entries(&H, 3, 3);
	h_entry_opt(&H, (struct eopt){.schema = 99});
	h_head(&H);
	expect_bad(run(&H), LB_ESCHEMA, 4, "schema version 99");
}

static void time_going_back_under_a_valid_signature_is_caught(void **state)
{
	(void)state;
	hist_init(&H);
	h_entries(&H, 3, 3);
	h_entry_opt(&H, (struct eopt){.dts = -5});
	h_head(&H);
	expect_bad(run(&H), LB_ECORRUPT, 4, "timestamp");
}

/* ---- heads ------------------------------------------------------------------------ */

static void a_head_with_a_wrong_merkle_root_is_caught(void **state)
{
	uint8_t root[LB_HASH_BYTES] = {1};

	(void)state;
	hist_init(&H);
	h_entries(&H, 8, 8);
	h_entry(&H);
	h_head_with(&H, NULL, root);
	expect_bad(run(&H), LB_ECORRUPT, 9, "Merkle root");
}

static void a_head_signed_by_another_key_is_a_signature_error(void **state)
{
	struct lb_key other;

	(void)state;
	keypair(&other);
	hist_init(&H);
	h_entries(&H, 8, 4);
	h_entry(&H);
	h_head_with(&H, &other, NULL);
	expect_bad(run(&H), LB_ESIG, 9, "different key");
}

static void a_forged_head_signature_is_a_signature_error(void **state)
{
	(void)state;
	hist_init(&H);
	h_entries(&H, 8, 4);
	H.f[H.n - 1].a[3] ^= 0x01; /* the last head's signature */
	expect_bad(run(&H), LB_ESIG, 8, "signature");
}

static void the_expected_key_is_checked_at_the_header(void **state)
{
	struct lb_key other;
	struct result res;

	(void)state;
	keypair(&other);
	hist_init(&H);
	h_entries(&H, 8, 4);
	res = run_key(&H, true, other.pk);
	assert_int_equal(res.e, LB_ESIG);
	assert_int_equal(res.r.bad_frame, 1);
	assert_non_null(strstr(res.d.msg, "frame 1"));
}

static void an_unsigned_last_entry_is_caught(void **state)
{
	(void)state;
	hist_init(&H);
	h_entries(&H, 8, 4);
	h_entry(&H);
	expect_bad(run(&H), LB_ECORRUPT, 9, "not covered by a signed head");
}

static void a_head_after_the_wrong_entry_is_caught(void **state)
{
	struct frame t;
	size_t hf;

	(void)state;
	hist_init(&H);
	h_entries(&H, 8, 4); /* heads at 4 and 8 */
	hf = H.frame_of[4] + 1;
	t = H.f[hf]; /* head 4 moves after entry 5 */
	H.f[hf] = H.f[hf + 1];
	H.f[hf + 1] = t;
	H.frame_of[5] = hf;
	expect_bad(run(&H), LB_ECORRUPT, 4, "out of place");
}

/* ---- receipts, forks, trailer --------------------------------------------------------- */

static void a_receipt_for_another_hash_or_forged_is_refused(void **state)
{
	(void)state;
	hist_init(&H);
	h_entries(&H, 8, 8);
	h_receipt(&H, true);
	expect_bad(run(&H), LB_ECORRUPT, 8, "another hash");
	hist_init(&H);
	h_entries(&H, 8, 8);
	h_receipt(&H, false);
	H.f[H.n - 1].b[3] ^= 0x01; /* its signature */
	expect_bad(run(&H), LB_ESIG, 8, "receipt");
}

static void fork_evidence_is_proven_only_for_one_seq_two_hashes(void **state)
{
	struct hist *h = &H;
	uint8_t *ours;
	size_t olen;
	struct result res;

	(void)state;
	hist_init(h);
	h_entries(h, 3, 3);
	ours = dup(h->f[h->n - 1].a, h->f[h->n - 1].alen);
	olen = h->f[h->n - 1].alen;
	/* a rival history signed by the same key: another entry 3 */
	{
		struct hist *r = malloc(sizeof *r);
		assert_non_null(r);
		memset(r, 0, sizeof *r);
		r->key = h->key;
		lb_merkle_init(&r->m);
		r->ts = h->ts;
		h_entries(r, 2, 2);
		h_entry_opt(r, (struct eopt){.pengusul = "Cadangan"});
		h_head(r);
		hist_free(h);
		h->n = 0;
		push(h, LB_LLA_FORK, ours, olen, r->f[r->n - 1].a, r->f[r->n - 1].alen);
		res = run_key(h, true, h->key.pk);
		if (res.e)
			fail_msg("%s", res.d.msg);
		assert_int_equal(res.r.forks, 1);
		assert_int_equal(res.r.fork_seq, 3);
		/* the same head twice proves nothing */
		hist_free(h);
		push(h, LB_LLA_FORK, ours, olen, ours, olen);
		res = run(h);
		assert_int_equal(res.e, LB_ECORRUPT);
		assert_non_null(strstr(res.d.msg, "no fork"));
		/* heads of different seqs prove nothing by themselves */
		hist_free(h);
		push(h, LB_LLA_FORK, ours, olen, r->f[r->frame_of[2] + 1].a,
		     r->f[r->frame_of[2] + 1].alen);
		res = run(h);
		assert_int_equal(res.e, LB_ECORRUPT);
		assert_non_null(strstr(res.d.msg, "different seqs"));
		hist_free(r);
		free(r);
	}
	free(ours);
}

static void a_missing_or_wrong_trailer_is_caught(void **state)
{
	struct result res;

	(void)state;
	hist_init(&H);
	h_entries(&H, 8, 4);
	res = run_key(&H, false, NULL);
	assert_int_equal(res.e, LB_ECORRUPT);
	assert_non_null(strstr(res.d.msg, "without its trailer"));
	assert_int_equal(res.r.entries, 8);
	h_raw_trailer(&H, 9, 2);
	res = run_key(&H, false, NULL);
	assert_int_equal(res.e, LB_ECORRUPT);
	assert_non_null(strstr(res.d.msg, "trailer counts 9 entries"));
	hist_init(&H);
	h_entries(&H, 8, 4);
	h_raw_trailer(&H, 8, 2);
	h_raw_trailer(&H, 8, 2);
	res = run_key(&H, false, NULL);
	assert_int_equal(res.e, LB_ECORRUPT);
	assert_non_null(strstr(res.d.msg, "after the trailer"));
}

static void a_cut_archive_names_the_frame(void **state)
{
	char *buf;
	size_t len;
	struct result res;

	(void)state;
	hist_init(&H);
	h_entries(&H, 50, 10);
	h_write(&H, true, &buf, &len);
	res = verify_buf(buf, len / 2, 2, NULL);
	assert_int_equal(res.e, LB_EMALFORMED);
	assert_non_null(strstr(res.d.msg, "frame"));
	res = verify_buf(buf, LB_LLA_MAGIC_LEN, 0, NULL);
	assert_int_equal(res.e, LB_ECORRUPT);
	res = verify_buf(buf, 5, 0, NULL);
	assert_int_equal(res.e, LB_EMALFORMED);
	free(buf);
}

/* ---- history ---------------------------------------------------------------------------- */

static void history_lists_field_changes_and_covering_heads(void **state)
{
	struct lb_audit_history h;
	struct lb_audit_report r;
	struct lb_diag d = {0};
	char *buf;
	size_t len;
	FILE *f;
	json_t *st;

	(void)state;
	hist_init(&H);
	h_entry_opt(&H, (struct eopt){.id = "X"});          /* 1 */
	h_entries(&H, 3, 3);                                 /* 2..4, head 4 */
	h_entry_opt(&H, (struct eopt){.id = "X", .status = "ditampung"}); /* 5 */
	h_entry(&H);                                         /* 6 */
	h_head(&H);                                          /* head 6 */
	h_entry_opt(&H, (struct eopt){.id = "X", .del = true}); /* 7 */
	h_head(&H);
	h_write(&H, true, &buf, &len);
	assert_non_null(f = fmemopen(buf, len, "rb"));
	if (lb_audit_history(f, "aspirasi", "X", 1, NULL, &h, &r, &d))
		fail_msg("%s", d.msg);
	fclose(f);
	free(buf);
	assert_int_equal(h.n, 3);
	assert_int_equal(h.c[0].seq, 1);
	assert_int_equal(h.c[0].head_seq, 4);
	assert_int_equal(json_object_size(h.c[0].changes), 4); /* every field new */
	assert_null(json_object_get(json_object_get(h.c[0].changes, "status"), "old"));
	assert_int_equal(h.c[1].seq, 5);
	assert_int_equal(h.c[1].head_seq, 6);
	assert_int_equal(json_object_size(h.c[1].changes), 1);
	st = json_object_get(h.c[1].changes, "status");
	assert_string_equal(json_string_value(json_object_get(st, "old")), "diusulkan");
	assert_string_equal(json_string_value(json_object_get(st, "new")), "ditampung");
	assert_int_equal(h.c[2].op, LB_OP_DEL);
	assert_int_equal(h.c[2].head_seq, 7);
	assert_null(json_object_get(json_object_get(h.c[2].changes, "status"), "new"));
	assert_true(h.c[2].covered);
	lb_audit_history_free(&h);
}

static void history_of_a_tampered_archive_is_empty_with_the_error(void **state)
{
	struct lb_audit_history h;
	struct lb_audit_report r;
	struct lb_diag d = {0};
	char *buf;
	size_t len;
	FILE *f;

	(void)state;
	hist_init(&H);
	h_entry_opt(&H, (struct eopt){.id = "X"});
	h_entries(&H, 20, 5);
	flip(&H, 10, -40);
	h_write(&H, true, &buf, &len);
	assert_non_null(f = fmemopen(buf, len, "rb"));
	assert_int_equal(lb_audit_history(f, "aspirasi", "X", 1, NULL, &h, &r, &d), LB_ECORRUPT);
	assert_int_equal(r.bad_seq, 10);
	assert_int_equal(h.n, 0);
	fclose(f);
	free(buf);
	lb_audit_history_free(&h);
}

static void body_diff_compares_field_by_field(void **state)
{
	struct lb_mp_buf a, b;
	json_t *diff;

	(void)state;
	lb_mp_buf_init(&a);
	lb_mp_buf_init(&b);
	body(&a, "Warga", "diusulkan");
	body(&b, "Warga", "disetujui");
	assert_int_equal(lb_audit_body_diff(&diff, (uint8_t *)a.sb.data, a.sb.size,
	                                    (uint8_t *)b.sb.data, b.sb.size, NULL),
	                 LB_OK);
	assert_int_equal(json_object_size(diff), 1);
	json_decref(diff);
	assert_int_equal(lb_audit_body_diff(&diff, (uint8_t *)a.sb.data, a.sb.size,
	                                    (uint8_t *)a.sb.data, a.sb.size, NULL),
	                 LB_OK);
	assert_int_equal(json_object_size(diff), 0);
	json_decref(diff);
	assert_int_equal(lb_audit_body_diff(&diff, NULL, 0, NULL, 0, NULL), LB_OK);
	assert_int_equal(json_object_size(diff), 0);
	json_decref(diff);
	lb_mp_buf_free(&a);
	lb_mp_buf_free(&b);
}

static int group_setup(void **state)
{
	struct lb_diag d = {0};
	(void)state;
	return sodium_init() < 0 || lb_schema_builtin_init(&d) ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	hist_free(&H);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_valid_history_verifies_and_reports_what_it_read),
		cmocka_unit_test(an_empty_log_verifies),
		cmocka_unit_test(deletes_verify_and_no_threads_equals_many),
		cmocka_unit_test(an_altered_body_is_blamed_on_its_entry_not_the_next),
		cmocka_unit_test(an_altered_entry_under_a_head_is_caught_by_the_head),
		cmocka_unit_test(an_altered_prev_is_blamed_on_its_entry),
		cmocka_unit_test(an_altered_last_entry_is_caught),
		cmocka_unit_test(an_entry_that_does_not_decode_is_corrupt_at_its_seq),
		cmocka_unit_test(a_wrong_seq_field_is_named),
		cmocka_unit_test(a_missing_entry_is_named),
		cmocka_unit_test(a_swapped_pair_is_named),
		cmocka_unit_test(a_validly_signed_schema_violation_is_a_schema_error),
		cmocka_unit_test(an_unknown_schema_version_is_a_schema_error),
		cmocka_unit_test(time_going_back_under_a_valid_signature_is_caught),
		cmocka_unit_test(a_head_with_a_wrong_merkle_root_is_caught),
		cmocka_unit_test(a_head_signed_by_another_key_is_a_signature_error),
		cmocka_unit_test(a_forged_head_signature_is_a_signature_error),
		cmocka_unit_test(the_expected_key_is_checked_at_the_header),
		cmocka_unit_test(an_unsigned_last_entry_is_caught),
		cmocka_unit_test(a_head_after_the_wrong_entry_is_caught),
		cmocka_unit_test(a_receipt_for_another_hash_or_forged_is_refused),
		cmocka_unit_test(fork_evidence_is_proven_only_for_one_seq_two_hashes),
		cmocka_unit_test(a_missing_or_wrong_trailer_is_caught),
		cmocka_unit_test(a_cut_archive_names_the_frame),
		cmocka_unit_test(history_lists_field_changes_and_covering_heads),
		cmocka_unit_test(history_of_a_tampered_archive_is_empty_with_the_error),
		cmocka_unit_test(body_diff_compares_field_by_field),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
