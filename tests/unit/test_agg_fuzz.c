/*
 * test_agg_fuzz.c — deterministic fuzzing of change-set decoding and ingest.
 *
 * A real village node writes a small history (puts, a reference, a delete)
 * and real change sets are cut from it, as in test_agg.c.  Each iteration
 * mutates one of them (byte flips, interesting bytes, truncation, inserted
 * and duplicated ranges, huge msgpack counts spliced over real headers,
 * entries duplicated or dropped, plain garbage; a few stacked) and hands
 * the bytes to lb_wire_decode and lb_agg_ingest.  Nothing may crash, every
 * answer must be success or a documented refusal, and the aggregator's
 * state for the origin (seq, hash, entries, forks) and its record counts
 * must stay what the one valid ingest made them.  Success adds nothing
 * where the store holds everything (a resend).  Where it holds a prefix,
 * a mutation may be a valid change set (drop the first entry of 1..5 and
 * 2..5 is left, signed): success must then leave exactly the village's
 * own state, and the store is rebuilt for the next iteration.  Garbage is
 * never a fork, as a fork must be signed.
 *
 * The generator is seeded per iteration from (seed, test, iteration), so a
 * failure names the three and replays alone:
 *   LB_FUZZ_SEED=0x... LB_FUZZ_ONLY=1234 build/tests/test_agg_fuzz
 * LB_FUZZ_ITERS=N changes the number of iterations (default 50000 over
 * the two fuzz tests), LB_FUZZ_VERBOSE=1 prints every accepted mutation.
 * A crash (signal, ASan, UBSan) prints the same line before the process
 * dies.  The mutations replay exactly; the bytes under them do not quite,
 * as the village key, timestamps and so signatures are fresh each run
 * (the shape of the change set, which decides nearly every outcome, is
 * the same).
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "../../node/body.h"
#include "../../node/node.h"
#include "../../agg/agg.h"
#include "../../sync/wire.h"
#include "agg_fixture.h"

#define VILLAGE "33.24.01.2001"
#define SEED_DEFAULT UINT64_C(0x6c756d62756e6701) /* "lumbung" 01 */
#define ITERS_DEFAULT 50000
#define LAST 5      /* entries in the node's history */
#define MAX_HDRS 512
#define MAX_MUT 4   /* mutations stacked on one sample at most */
/* lb_agg_counts after seq 1..LAST, flattened (see flatten_count) */
#define COUNTS_AT_LAST VILLAGE "/kegiatan=1 " VILLAGE "/program=2 "

/* ---- where we are, for failures and crashes ---------------------------- */

static char where[256];

/* Once: a sanitizer's death callback may be followed by its abort(). */
static void say_where(void)
{
	if (where[0] && write(2, where, strlen(where)) >= 0)
		where[0] = '\0';
}

static struct sigaction old_act[32];
static const int crash_sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

/* Print where, then let the previous handler (cmocka's, or the default)
 * take the signal when the faulting instruction runs again or abort()
 * raises it again. */
static void on_crash(int sig)
{
	say_where();
	sigaction(sig, &old_act[sig], NULL);
}

/* The sanitizers' hook, when linked in (weak: absent otherwise). */
extern void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));

static void crash_reporting(bool on)
{
	static bool installed;
	struct sigaction sa = {.sa_handler = on_crash};

	if (on == installed)
		return;
	installed = on;
	for (size_t i = 0; i < sizeof crash_sigs / sizeof crash_sigs[0]; i++)
		if (on)
			sigaction(crash_sigs[i], &sa, &old_act[crash_sigs[i]]);
		else
			sigaction(crash_sigs[i], &old_act[crash_sigs[i]], NULL);
	if (__sanitizer_set_death_callback)
		__sanitizer_set_death_callback(on ? say_where : NULL);
	if (!on)
		where[0] = '\0';
}

/* ---- a deterministic generator (splitmix64) ----------------------------- */

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *g)
{
	uint64_t z = (g->s += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static size_t below(struct rng *g, size_t n)
{
	return n ? (size_t)(rnd(g) % n) : 0;
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);
	char *end;
	unsigned long long x;
	if (!v || !*v)
		return dflt;
	x = strtoull(v, &end, 0);
	return *end ? dflt : (uint64_t)x;
}

/* ---- the fixture: a node with a short history, an aggregator ----------- */

/* One valid change set and what the mutators need to know about it. */
struct base {
	uint64_t from, to;
	uint8_t *p;
	size_t len;
	size_t hdr[MAX_HDRS], hdr_len[MAX_HDRS], nhdr; /* msgpack headers: offset, size */
	size_t ent[LAST], ent_len[LAST], nent;         /* wire entries */
	size_t count_at;                               /* the entries array header */
};

struct state {
	struct lb_agg_origin o;
	char counts[512]; /* lb_agg_counts, flattened */
};

struct fx {
	char dir[64], node[96], agg_dir[96];
	unsigned rebuilds;
	struct lb_node *n;
	struct lb_agg *a;
	uint8_t origin[LB_PK_BYTES];
	struct base b[3];
	size_t nb;
};

/* The change set of seq from..to of the node, and where its parts are. */
static void make_base(struct fx *f, uint64_t from, uint64_t to, struct base *b)
{
	struct cs_build cb;
	struct lb_mp_buf out;
	struct lb_changeset cs;
	struct lb_mp_rd r;
	struct lb_mp_obj o;
	uint8_t *head;
	size_t hlen;

	lb_mp_buf_init(&out);
	cb = (struct cs_build){&out, to, LB_OK};
	assert_int_equal(lb_wire_begin(&out, to - from + 1, NULL), LB_OK);
	assert_int_equal(lb_node_log(f->n, from, add_entry, &cb, NULL), LB_OK);
	assert_int_equal(cb.e, LB_OK);
	assert_int_equal(lb_node_head(f->n, to, &head, &hlen, NULL), LB_OK);
	assert_int_equal(lb_wire_end(&out, VILLAGE, f->origin, head, hlen, NULL), LB_OK);
	free(head);
	*b = (struct base){.from = from, .to = to, .len = out.sb.size};
	b->p = malloc(b->len);
	assert_non_null(b->p);
	memcpy(b->p, out.sb.data, b->len);
	lb_mp_buf_free(&out);

	/* every header in document order: lb_mp_next walks into containers */
	lb_mp_rd_init(&r, b->p, b->len);
	while (lb_mp_rd_left(&r) && b->nhdr < MAX_HDRS) {
		const uint8_t *at = r.p;
		assert_int_equal(lb_mp_next(&r, &o, NULL), LB_OK);
		b->hdr[b->nhdr] = (size_t)(at - b->p);
		b->hdr_len[b->nhdr++] = (size_t)(r.p - at) -
		                        (o.kind == LB_MP_STR || o.kind == LB_MP_BIN ? o.len : 0);
	}
	assert_int_equal(lb_mp_rd_left(&r), 0);
	assert_int_equal(lb_wire_decode(&cs, b->p, b->len, NULL), LB_OK);
	b->nent = cs.n;
	for (size_t i = 0; i < cs.n; i++) {
		b->ent[i] = (size_t)(cs.e[i] - b->p);
		b->ent_len[i] = cs.elen[i];
	}
	b->count_at = b->ent[0] - 1; /* a fixarray header: fewer than 16 entries */
	assert_int_equal(b->p[b->count_at], 0x90 | b->nent);
	lb_changeset_free(&cs);
}

/* A fresh aggregator for the region with the village enrolled. */
static void new_store(struct fx *f)
{
	uint8_t agg_pk[LB_PK_BYTES];
	char cmd[128];

	lb_agg_close(f->a);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->agg_dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(lb_agg_init(f->agg_dir, "33.24", agg_pk, NULL), LB_OK);
	assert_int_equal(lb_agg_open(&f->a, f->agg_dir, NULL), LB_OK);
	assert_int_equal(lb_agg_enroll(f->a, VILLAGE, f->origin, NULL), LB_OK);
}

static void ingest_ok(struct fx *f, const struct base *b, uint64_t accepted);

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	assert_non_null(f);
	snprintf(f->dir, sizeof f->dir, "/tmp/lb-test-aggfuzz.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->node, sizeof f->node, "%s/desa", f->dir);
	snprintf(f->agg_dir, sizeof f->agg_dir, "%s/kab", f->dir);
	assert_int_equal(lb_node_init(f->node, VILLAGE, NULL, f->origin, NULL), LB_OK);
	assert_int_equal(lb_node_open(&f->n, f->node, NULL, NULL), LB_OK);
	/* seq 1..LAST: a put, another type, a reference to the first, a
	 * delete, one more put; every path of ingest has something to do */
	write_one(f->n, LB_OP_PUT, "program", "PRG-01",
	          "{\"kode\":\"PRG-01\",\"nama\":\"Posyandu\",\"bidang\":\"kesehatan\","
	          "\"anggaran\":1500000,\"tahun\":2026}");
	write_one(f->n, LB_OP_PUT, "aspirasi", "ASP-001",
	          "{\"tanggal\":\"2026-01-05\",\"pengusul\":\"Warga\",\"usulan\":\"lampu jalan\","
	          "\"status\":\"diusulkan\"}");
	write_one(f->n, LB_OP_PUT, "kegiatan", "KEG-001",
	          "{\"program\":\"PRG-01\",\"nama\":\"Posyandu balita\","
	          "\"tanggal_mulai\":\"2026-02-01\",\"jumlah_peserta\":40}");
	write_one(f->n, LB_OP_DEL, "aspirasi", "ASP-001", NULL);
	write_one(f->n, LB_OP_PUT, "program", "PRG-02",
	          "{\"kode\":\"PRG-02\",\"nama\":\"Beasiswa\",\"bidang\":\"pendidikan\","
	          "\"anggaran\":2000000,\"tahun\":2026}");
	make_base(f, 1, LAST, &f->b[f->nb++]);
	make_base(f, 3, LAST, &f->b[f->nb++]);
	make_base(f, LAST, LAST, &f->b[f->nb++]);
	new_store(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];
	crash_reporting(false);
	lb_node_close(f->n);
	lb_agg_close(f->a);
	for (size_t i = 0; i < f->nb; i++)
		free(f->b[i].p);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* ---- state of the aggregator ------------------------------------------- */

static int flatten_count(void *ctx, const char *village, const char *type, uint64_t count)
{
	char *s = ctx;
	size_t n = strlen(s);
	snprintf(s + n, 512 - n, "%s/%s=%" PRIu64 " ", village, type, count);
	return 0;
}

static void read_state(struct fx *f, struct state *s)
{
	struct lb_diag d = {0};
	memset(s, 0, sizeof *s);
	if (lb_agg_origin(f->a, f->origin, &s->o, &d) ||
	    lb_agg_counts(f->a, NULL, flatten_count, s->counts, &d))
		fail_msg("%sreading the aggregator: %s", where, d.msg);
}

/* Everything but last_seen_ms, which new entries move on. */
static void assert_state(struct fx *f, const struct state *want, bool with_counts)
{
	struct state got;
	struct lb_diag d = {0};

	if (!with_counts) {
		memset(&got, 0, sizeof got);
		if (lb_agg_origin(f->a, f->origin, &got.o, &d))
			fail_msg("%sreading the origin: %s", where, d.msg);
	} else
		read_state(f, &got);
	if (got.o.seq != want->o.seq || got.o.entries != want->o.entries ||
	    got.o.forks != want->o.forks || got.o.revoked != want->o.revoked ||
	    memcmp(got.o.hash, want->o.hash, LB_HASH_BYTES))
		fail_msg("%sorigin state changed: seq %" PRIu64 " entries %" PRIu64 " forks %" PRIu64
		         ", expected seq %" PRIu64 " entries %" PRIu64 " forks %" PRIu64 "%s",
		         where, got.o.seq, got.o.entries, got.o.forks, want->o.seq, want->o.entries,
		         want->o.forks,
		         memcmp(got.o.hash, want->o.hash, LB_HASH_BYTES) ? " (hash differs)" : "");
	if (with_counts && strcmp(got.counts, want->counts))
		fail_msg("%srecord counts changed: \"%s\", expected \"%s\"", where, got.counts,
		         want->counts);
}

static void ingest_ok(struct fx *f, const struct base *b, uint64_t accepted)
{
	struct lb_agg_result r;
	struct lb_diag d = {0};
	if (lb_agg_ingest(f->a, b->p, b->len, &r, &d))
		fail_msg("ingest of the valid change set %" PRIu64 "..%" PRIu64 ": %s", b->from, b->to,
		         d.msg);
	free(r.receipt);
	if (r.accepted != accepted)
		fail_msg("change set %" PRIu64 "..%" PRIu64 ": accepted %" PRIu64 ", expected %" PRIu64,
		         b->from, b->to, r.accepted, accepted);
}

/* ---- mutations ----------------------------------------------------------- */

struct sample {
	uint8_t *p;
	size_t len, cap;
};

static void insert(struct sample *s, size_t at, const void *src, size_t n)
{
	if (at > s->len || n > s->cap - s->len)
		return;
	memmove(s->p + at + n, s->p + at, s->len - at);
	memcpy(s->p + at, src, n);
	s->len += n;
}

static void erase(struct sample *s, size_t at, size_t n)
{
	if (at >= s->len)
		return;
	if (n > s->len - at)
		n = s->len - at;
	memmove(s->p + at, s->p + at + n, s->len - at - n);
	s->len -= n;
}

/* Bytes a decoder reads as a header or a count: msgpack's type bytes
 * and lengths at their edges. */
static const uint8_t interesting[] = {0x00, 0x01, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf,
                                      0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xca,
                                      0xcb, 0xcc, 0xcf, 0xd0, 0xd3, 0xd4, 0xd9, 0xda, 0xdb,
                                      0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xff, 0x20, 0x21, 0x40};

/* Headers that declare far more than any input holds, or sit at a limit. */
static const struct {
	uint8_t n, b[9];
} huge[] = {
	{3, {0xdc, 0xff, 0xff}},                         /* array16 65535 */
	{5, {0xdd, 0xff, 0xff, 0xff, 0xff}},             /* array32 4G-1 */
	{5, {0xdd, 0x7f, 0xff, 0xff, 0xff}},
	{5, {0xdd, 0x00, 0x03, 0x0d, 0x41}},             /* LB_WIRE_MAX_ENTRIES + 1 */
	{5, {0xdd, 0x00, 0x03, 0x0d, 0x40}},             /* LB_WIRE_MAX_ENTRIES */
	{3, {0xde, 0xff, 0xff}},                         /* map16 */
	{5, {0xdf, 0xff, 0xff, 0xff, 0xff}},             /* map32 */
	{2, {0xd9, 0xff}},                               /* str8 */
	{3, {0xda, 0xff, 0xff}},                         /* str16 */
	{5, {0xdb, 0xff, 0xff, 0xff, 0xff}},             /* str32 */
	{2, {0xc4, 0xff}},                               /* bin8 */
	{3, {0xc5, 0xff, 0xff}},                         /* bin16 */
	{5, {0xc6, 0xff, 0xff, 0xff, 0xff}},             /* bin32 */
	{5, {0xc6, 0x04, 0x00, 0x00, 0x01}},             /* bin32, LB_WIRE_MAX_BYTES + 1 */
	{9, {0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}, /* uint64 max */
	{9, {0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0}},
	{9, {0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0}},          /* int64 min */
	{9, {0xcf, 0, 0, 0, 0, 0, 0, 0, 0x01}},          /* 1, not in smallest form */
	{9, {0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0}},       /* NaN */
	{1, {0x9f}},
	{1, {0x8f}},
	{1, {0xbf}},
	{3, {0xc7, 0xff, 0x01}},                         /* ext8 */
	{2, {0xd4, 0x01}},                               /* fixext1 */
};

enum mut {
	M_FLIP,        /* xor one byte */
	M_BIT,         /* flip one bit */
	M_BYTE,        /* set one byte to an interesting value */
	M_TRUNCATE,    /* cut at a random length */
	M_INSERT,      /* insert random bytes */
	M_DUP_RANGE,   /* copy a range of the sample somewhere in it */
	M_ERASE_RANGE, /* remove a range */
	M_HUGE,        /* replace a real header by a huge or odd one (pristine only) */
	M_HUGE_INSERT, /* insert one at a real header (pristine only) */
	M_DUP_ENTRY,   /* duplicate a wire entry, count fixed up (pristine only) */
	M_DROP_ENTRY,  /* drop a wire entry, count fixed up (pristine only) */
	M_GARBAGE,     /* random bytes, sometimes behind the real first header */
	M__COUNT
};

static const char *mut_name[M__COUNT] = {
	"flip",       "bit",  "byte",        "truncate",  "insert",     "dup-range",
	"erase-range", "huge", "huge-insert", "dup-entry", "drop-entry", "garbage",
};

/* Apply one mutation; pristine says s still holds b's bytes, so the
 * structure-aware ones may use b's offsets.  Returns the kind applied. */
static enum mut mutate(struct rng *g, const struct base *b, struct sample *s, bool pristine)
{
	enum mut m = (enum mut)below(g, M__COUNT);
	size_t at = below(g, s->len + 1), n, h, i;
	uint8_t tmp[512];

	if (!pristine && (m == M_HUGE || m == M_HUGE_INSERT || m == M_DUP_ENTRY ||
	                  m == M_DROP_ENTRY || m == M_GARBAGE))
		m = (enum mut)below(g, M_HUGE); /* byte-level ones only */
	if (!s->len && m <= M_BYTE)
		m = M_INSERT;
	switch (m) {
	case M_FLIP:
		s->p[below(g, s->len)] ^= (uint8_t)(1 + below(g, 255));
		break;
	case M_BIT:
		s->p[below(g, s->len)] ^= (uint8_t)(1u << below(g, 8));
		break;
	case M_BYTE:
		s->p[below(g, s->len)] = interesting[below(g, sizeof interesting)];
		break;
	case M_TRUNCATE:
		s->len = below(g, s->len);
		break;
	case M_INSERT:
		n = 1 + below(g, 16);
		for (i = 0; i < n; i++)
			tmp[i] = below(g, 2) ? (uint8_t)rnd(g) : interesting[below(g, sizeof interesting)];
		insert(s, at, tmp, n);
		break;
	case M_DUP_RANGE:
		if (!s->len)
			break;
		h = below(g, s->len);
		n = 1 + below(g, s->len - h < sizeof tmp ? s->len - h : sizeof tmp);
		memcpy(tmp, s->p + h, n);
		insert(s, at, tmp, n);
		break;
	case M_ERASE_RANGE:
		erase(s, at, 1 + below(g, 64));
		break;
	case M_HUGE:
	case M_HUGE_INSERT:
		h = below(g, b->nhdr);
		i = below(g, sizeof huge / sizeof huge[0]);
		if (m == M_HUGE)
			erase(s, b->hdr[h], b->hdr_len[h]);
		insert(s, b->hdr[h], huge[i].b, huge[i].n);
		break;
	case M_DUP_ENTRY:
		i = below(g, b->nent);
		insert(s, b->ent[i] + b->ent_len[i], b->p + b->ent[i], b->ent_len[i]);
		if (b->nent < 15)
			s->p[b->count_at] = (uint8_t)(0x90 | (b->nent + 1));
		break;
	case M_DROP_ENTRY:
		i = below(g, b->nent);
		erase(s, b->ent[i], b->ent_len[i]);
		s->p[b->count_at] = (uint8_t)(0x90 | (b->nent - 1));
		break;
	case M_GARBAGE:
		h = below(g, 2) ? b->count_at + 1 : 0; /* keep the real map, "entries", count */
		s->len = h + below(g, 2 * b->len);
		for (i = h; i < s->len; i++)
			s->p[i] = (uint8_t)rnd(g);
		break;
	case M__COUNT:
		break;
	}
	return m;
}

/* ---- the fuzz loop -------------------------------------------------------- */

static bool refusal(lb_err e)
{
	switch (e) {
	case LB_EMALFORMED:
	case LB_ETOOBIG:
	case LB_EUNKNOWN_ORIGIN:
	case LB_EWRONG_VILLAGE:
	case LB_ESIG:
	case LB_EGAP:
	case LB_EFORK: /* documented, but only signed forks: caught by the state check */
	case LB_ESCHEMA:
		return true;
	default:
		return false;
	}
}

struct tally {
	unsigned long runs, same, by_code[LB__ECOUNT], by_mut[M__COUNT];
};

/* Run iterations [0, iters) of test `salt` against f's aggregator, whose
 * state must stay `want`.  prefix NULL: the store holds every base, and
 * success (a resend) must change nothing.  Otherwise the store holds the
 * change set prefix; success must leave exactly `village` (the node's own
 * state), and the store is rebuilt from prefix. */
static void fuzz(struct fx *f, unsigned salt, unsigned long iters, const struct state *want,
                 const struct base *prefix, const struct state *village, struct tally *t)
{
	uint64_t seed = env_u64("LB_FUZZ_SEED", SEED_DEFAULT);
	uint64_t only = env_u64("LB_FUZZ_ONLY", UINT64_MAX);
	bool verbose = env_u64("LB_FUZZ_VERBOSE", 0) != 0;
	size_t cap = 0;
	struct sample s;
	char muts[64];

	for (size_t i = 0; i < f->nb; i++)
		if (4 * f->b[i].len + 1024 > cap)
			cap = 4 * f->b[i].len + 1024;
	s = (struct sample){.p = malloc(cap), .cap = cap};
	assert_non_null(s.p);
	crash_reporting(true);
	for (unsigned long it = 0; it < iters; it++) {
		struct rng g = {seed ^ ((uint64_t)salt << 56) ^ (it * UINT64_C(0xd1342543de82ef95))};
		const struct base *b;
		struct lb_changeset cs;
		struct lb_agg_result r;
		struct lb_diag d = {0};
		size_t k;
		lb_err e;

		if (only != UINT64_MAX && it != only)
			continue;
		rnd(&g);
		b = &f->b[below(&g, f->nb)];
		memcpy(s.p, b->p, b->len);
		s.len = b->len;
		k = below(&g, 4) ? 1 : 2 + below(&g, MAX_MUT - 1);
		muts[0] = '\0';
		for (size_t j = 0; j < k; j++) {
			enum mut m = mutate(&g, b, &s, j == 0);
			t->by_mut[m]++;
			snprintf(muts + strlen(muts), sizeof muts - strlen(muts), "%s%s", j ? "+" : "",
			         mut_name[m]);
		}
		snprintf(where, sizeof where,
		         "fuzz: seed %#" PRIx64 " test %u iteration %lu (change set %" PRIu64 "..%" PRIu64
		         ", %s, %zu -> %zu bytes); replay: LB_FUZZ_SEED=%#" PRIx64 " LB_FUZZ_ONLY=%lu\n",
		         seed, salt, it, b->from, b->to, muts, b->len, s.len, seed, it);
		t->runs++;
		if (s.len == b->len && !memcmp(s.p, b->p, s.len)) {
			t->same++; /* the mutations cancelled out: not a mutation */
			continue;
		}

		e = lb_wire_decode(&cs, s.p, s.len, &d);
		if (e == LB_OK) {
			/* the shape checks out: pointers stay inside the sample */
			if (cs.n == 0 || cs.first_seq == 0 || cs.head < s.p ||
			    cs.head + cs.head_len > s.p + s.len)
				fail_msg("%sdecoded into an impossible change set", where);
			for (size_t j = 0; j < cs.n; j++)
				if (cs.e[j] < s.p || cs.e[j] + cs.elen[j] > s.p + s.len || !cs.elen[j])
					fail_msg("%sentry %zu points outside the input", where, j);
			lb_changeset_free(&cs);
		} else if (e != LB_EMALFORMED && e != LB_ETOOBIG)
			fail_msg("%slb_wire_decode: %s (%s)", where, lb_errname(e), d.msg);

		memset(&d, 0, sizeof d);
		e = lb_agg_ingest(f->a, s.p, s.len, &r, &d);
		t->by_code[e < LB__ECOUNT ? e : 0]++;
		if (e == LB_OK) {
			free(r.receipt);
			if (verbose)
				print_message("accepted, %" PRIu64 " new: %s", r.accepted, where);
			if (prefix) {
				/* a valid change set after all: it must have said
				 * exactly what the village's log says */
				assert_state(f, village, true);
				new_store(f);
				ingest_ok(f, prefix, prefix->to);
				f->rebuilds++;
			} else if (r.accepted)
				fail_msg("%saccepted %" PRIu64 " new entries", where, r.accepted);
		} else if (!refusal(e))
			fail_msg("%slb_agg_ingest: %s, not a refusal (%s)", where, lb_errname(e), d.msg);
		assert_state(f, want, e == LB_OK || it % 256 == 0);
	}
	assert_state(f, want, true);
	crash_reporting(false);
	free(s.p);
}

static unsigned long iterations(double share)
{
	return (unsigned long)((double)env_u64("LB_FUZZ_ITERS", ITERS_DEFAULT) * share + 0.5);
}

static void report(const char *what, const struct tally *t, double secs)
{
	char line[512];
	size_t n = 0;
	n += (size_t)snprintf(line + n, sizeof line - n, "%s: %lu runs in %.2f s (%lu unchanged)",
	                      what, t->runs, secs, t->same);
	for (int c = 0; c < LB__ECOUNT && n < sizeof line; c++)
		if (t->by_code[c])
			n += (size_t)snprintf(line + n, sizeof line - n, ", %s %lu",
			                      c ? lb_errname((lb_err)c) : "ok", t->by_code[c]);
	print_message("%s\n", line);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- tests ------------------------------------------------------------- */

/* The store holds seq 1..2: the bases overlap it and run past it, so the
 * held-entry comparison and the new-entry path (schema, references, view,
 * Merkle) both see garbage.  Nothing may be accepted. */
static void garbage_never_moves_a_partly_filled_store(void **state)
{
	struct fx *f = *state;
	struct base first;
	struct state want, village = {.o = {.seq = LAST, .entries = LAST}};
	struct lb_node_info info;
	struct tally t = {0};
	double t0;

	assert_int_equal(lb_node_info(f->n, &info, NULL), LB_OK);
	memcpy(village.o.hash, info.hash, LB_HASH_BYTES);
	snprintf(village.counts, sizeof village.counts, "%s", COUNTS_AT_LAST);
	make_base(f, 1, 2, &first);
	ingest_ok(f, &first, 2);
	read_state(f, &want);
	assert_int_equal(want.o.seq, 2);
	assert_int_equal(want.o.entries, 2);
	t0 = now();
	fuzz(f, 1, iterations(0.3), &want, &first, &village, &t);
	report("partly filled store", &t, now() - t0);
	print_message("partly filled store: %u valid change sets among the mutations "
	              "(store rebuilt after each)\n", f->rebuilds);
	/* the valid continuation still goes in after all that */
	ingest_ok(f, &f->b[1], LAST - 2);
	read_state(f, &want);
	assert_int_equal(want.o.seq, LAST);
	assert_int_equal(want.o.entries, LAST);
	assert_string_equal(want.counts, COUNTS_AT_LAST);
	free(first.p);
}

/* The store holds everything: a resend may succeed, and must add nothing. */
static void garbage_never_moves_a_full_store(void **state)
{
	struct fx *f = *state;
	struct state want;
	struct tally t = {0};
	struct lb_node_info info;
	double t0;

	ingest_ok(f, &f->b[0], LAST);
	read_state(f, &want);
	assert_int_equal(lb_node_info(f->n, &info, NULL), LB_OK);
	assert_int_equal(want.o.seq, info.seq);
	assert_memory_equal(want.o.hash, info.hash, LB_HASH_BYTES);
	assert_int_equal(want.o.forks, 0);
	assert_string_equal(want.counts, COUNTS_AT_LAST);
	t0 = now();
	fuzz(f, 2, iterations(0.7), &want, NULL, NULL, &t);
	report("full store", &t, now() - t0);
	/* every valid change set is still an idempotent resend */
	for (size_t i = 0; i < f->nb; i++)
		ingest_ok(f, &f->b[i], 0);
	assert_state(f, &want, true);
}

/* Every prefix of every change set, against an empty and a full store. */
static void every_truncation_is_refused(void **state)
{
	struct fx *f = *state;
	struct state want;

	for (int full = 0; full <= 1; full++) {
		if (full)
			ingest_ok(f, &f->b[0], LAST);
		read_state(f, &want);
		crash_reporting(true);
		for (size_t i = 0; i < f->nb; i++) {
			const struct base *b = &f->b[i];
			for (size_t len = 0; len < b->len; len++) {
				struct lb_changeset cs;
				struct lb_agg_result r;
				struct lb_diag d = {0};
				lb_err e;
				/* a copy of exactly len bytes, so ASan sees any overread */
				uint8_t *p = malloc(len ? len : 1);
				assert_non_null(p);
				memcpy(p, b->p, len);
				snprintf(where, sizeof where,
				         "truncation: change set %" PRIu64 "..%" PRIu64 " cut to %zu of %zu "
				         "bytes, %s store\n",
				         b->from, b->to, len, b->len, full ? "full" : "empty");
				e = lb_wire_decode(&cs, p, len, &d);
				if (e != LB_EMALFORMED)
					fail_msg("%slb_wire_decode: %s (%s)", where, lb_errname(e), d.msg);
				e = lb_agg_ingest(f->a, p, len, &r, &d);
				if (e != LB_EMALFORMED)
					fail_msg("%slb_agg_ingest: %s (%s)", where, lb_errname(e), d.msg);
				free(p);
			}
		}
		assert_state(f, &want, true);
		crash_reporting(false);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(every_truncation_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(garbage_never_moves_a_partly_filled_store, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(garbage_never_moves_a_full_store, setup, teardown),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
