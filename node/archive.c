/*
 * archive.c — the log archive (.lla): framed writer, bounded streaming
 * reader, and a node's log exported as one (archive.h, docs/FORMAT.md §9).
 *
 * A frame is u32 BE length || one canonical msgpack array [kind, ...].  The
 * writer builds the whole frame (length first, patched in afterwards) in one
 * reusable buffer and hands it to stdio in one fwrite, so a failing stream
 * never sees half a frame from us; the first failure is remembered and every
 * later call repeats it, so a caller that checks only the trailer's result
 * still learns that the disk filled up halfway.
 *
 * The reader trusts nothing: the length is checked against LB_LLA_FRAME_MAX
 * before anything is allocated, the buffer grows only to the largest frame
 * seen, and each kind is decoded with the bounded lb_mp reader down to its
 * last byte.  It does not check order, hashes or signatures; that is the
 * verifier's job, which is why the reader hands out raw bytes.
 */
#define _POSIX_C_SOURCE 200809L
#include "archive.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../schema/i18n.h"
#include "../schema/text.h"
#include "node_int.h"
#include "succession.h"

#define LEN_BYTES 4
#define READ_BUF_MIN 4096


static const char *const kind_names[] = {"header",  "entry",      "head",      "receipt",
                                         "fork",    "trailer",    "fork entry", "succession"};

/* ---- writing ------------------------------------------------------------ */

void lb_lla_writer_init(struct lb_lla_writer *w, FILE *f)
{
	memset(w, 0, sizeof *w);
	w->f = f;
	lb_mp_buf_init(&w->buf);
}

void lb_lla_writer_free(struct lb_lla_writer *w)
{
	lb_mp_buf_free(&w->buf);
	w->f = NULL;
}

static lb_err write_failed(struct lb_lla_writer *w, int errnum, struct lb_diag *d)
{
	w->errnum = errnum ? errnum : EIO;
	w->err = w->errnum == ENOSPC ? LB_EFULL : LB_EIO;
	if (w->errnum == ENOSPC)
		return lb_fail(d, LB_EFULL, "writing the archive: disk full; the archive is incomplete");
	return lb_fail(d, LB_EIO, "writing the archive: %s", strerror(w->errnum));
}

/* Refuse a frame the writer cannot take now: after a failure, before the
 * header, after the trailer. */
static lb_err writer_ready(struct lb_lla_writer *w, enum lb_lla_kind kind, struct lb_diag *d)
{
	if (w->err)
		return lb_fail(d, w->err, "writing the archive: an earlier write failed (%s)",
		               w->errnum == ENOSPC ? _("disk full") : strerror(w->errnum));
	if (kind == LB_LLA_HEADER ? w->started : !w->started)
		return lb_fail(d, LB_EINVAL, "archive: the header must be the first frame, and only "
		               "the first");
	if (w->finished)
		return lb_fail(d, LB_EINVAL, "archive: no %s frame can follow the trailer",
		               kind_names[kind]);
	return LB_OK;
}

/* Start a frame in w->buf: room for the length, then [kind, ...] of n
 * elements (kind included). */
static void frame_begin(struct lb_lla_writer *w, enum lb_lla_kind kind, uint32_t n)
{
	static const uint8_t zero[LEN_BYTES];

	lb_mp_buf_reset(&w->buf);
	lb_mp_put_raw(&w->buf, zero, LEN_BYTES);
	lb_mp_put_array(&w->buf, n);
	lb_mp_put_uint(&w->buf, (uint64_t)kind);
}

/* Patch in the length and write the frame out. */
static lb_err frame_end(struct lb_lla_writer *w, enum lb_lla_kind kind, struct lb_diag *d)
{
	uint8_t *p = (uint8_t *)w->buf.sb.data;
	size_t len = w->buf.sb.size - LEN_BYTES;

	if (w->buf.oom)
		return lb_fail(d, LB_ENOMEM, "archive: out of memory building a %s frame",
		               kind_names[kind]);
	/* Nothing was written: the writer stays usable, the caller decides. */
	if (len > LB_LLA_FRAME_MAX)
		return lb_fail(d, LB_ETOOBIG, "archive: a %s frame of %zu bytes is over the limit of "
		               "%d", kind_names[kind], len, LB_LLA_FRAME_MAX);
	p[0] = (uint8_t)(len >> 24);
	p[1] = (uint8_t)(len >> 16);
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	errno = 0;
	if (fwrite(p, 1, w->buf.sb.size, w->f) != w->buf.sb.size || ferror(w->f))
		return write_failed(w, errno, d);
	return LB_OK;
}

lb_err lb_lla_write_header(struct lb_lla_writer *w, const struct lb_lla_header *h,
                           struct lb_diag *d)
{
	lb_err e;

	if ((e = writer_ready(w, LB_LLA_HEADER, d)))
		return e;
	if (!lb_log_owner_ok(h->village))
		return lb_fail(d, LB_EINVAL, "archive header: \"%.20s\" is not a desa, kecamatan "
		               "or kabupaten code",
		               h->village);
	if (strcmp(h->source, "node") && strcmp(h->source, "aggregator"))
		return lb_fail(d, LB_EINVAL, "archive header: source must be \"node\" or "
		               "\"aggregator\", not \"%.16s\"", h->source);
	errno = 0;
	if (fwrite(LB_LLA_MAGIC, 1, LB_LLA_MAGIC_LEN, w->f) != LB_LLA_MAGIC_LEN)
		return write_failed(w, errno, d);
	w->started = true;
	frame_begin(w, LB_LLA_HEADER, 2);
	/* keys in canonical (bytewise) order; "from" only for a tail */
	lb_mp_put_map(&w->buf, h->from > 1 ? 5 : 4);
	if (h->from > 1) {
		lb_mp_put_cstr(&w->buf, "from");
		lb_mp_put_uint(&w->buf, h->from);
	}
	lb_mp_put_cstr(&w->buf, "origin");
	lb_mp_put_bin(&w->buf, h->origin, LB_PK_BYTES);
	lb_mp_put_cstr(&w->buf, "source");
	lb_mp_put_cstr(&w->buf, h->source);
	lb_mp_put_cstr(&w->buf, "v");
	lb_mp_put_uint(&w->buf, LB_LLA_VERSION);
	lb_mp_put_cstr(&w->buf, "village");
	lb_mp_put_cstr(&w->buf, h->village);
	return frame_end(w, LB_LLA_HEADER, d);
}

/* A frame of one or two bins after the kind. */
static lb_err write_bins(struct lb_lla_writer *w, enum lb_lla_kind kind, const void *a,
                         size_t alen, const void *b, size_t blen, struct lb_diag *d)
{
	lb_err e;

	if ((e = writer_ready(w, kind, d)))
		return e;
	if (alen == 0 || (b && blen == 0))
		return lb_fail(d, LB_EINVAL, "archive: an empty %s", kind_names[kind]);
	if (alen > LB_LLA_FRAME_MAX || blen > LB_LLA_FRAME_MAX)
		return lb_fail(d, LB_ETOOBIG, "archive: a %s of %zu bytes is over the frame limit",
		               kind_names[kind], alen > blen ? alen : blen);
	frame_begin(w, kind, b ? 3 : 2);
	lb_mp_put_bin(&w->buf, a, alen);
	if (b)
		lb_mp_put_bin(&w->buf, b, blen);
	return frame_end(w, kind, d);
}

lb_err lb_lla_write_entry(struct lb_lla_writer *w, const void *entry, size_t len,
                          struct lb_diag *d)
{
	lb_err e = write_bins(w, LB_LLA_ENTRY, entry, len, NULL, 0, d);
	if (!e)
		w->count.entries++;
	return e;
}

lb_err lb_lla_write_head(struct lb_lla_writer *w, const void *head, size_t len,
                         struct lb_diag *d)
{
	lb_err e = write_bins(w, LB_LLA_HEAD, head, len, NULL, 0, d);
	if (!e)
		w->count.heads++;
	return e;
}

lb_err lb_lla_write_receipt(struct lb_lla_writer *w, const uint8_t agg_key[LB_PK_BYTES],
                            const void *receipt, size_t len, struct lb_diag *d)
{
	lb_err e = write_bins(w, LB_LLA_RECEIPT, agg_key, LB_PK_BYTES, receipt, len, d);
	if (!e)
		w->count.receipts++;
	return e;
}

lb_err lb_lla_write_succession(struct lb_lla_writer *w, const void *stmt, size_t len,
                               struct lb_diag *d)
{
	lb_err e = write_bins(w, LB_LLA_SUCCESSION, stmt, len, NULL, 0, d);
	if (!e)
		w->count.successions++;
	return e;
}

lb_err lb_lla_write_fork(struct lb_lla_writer *w, const void *ours, size_t olen,
                         const void *theirs, size_t tlen, struct lb_diag *d)
{
	lb_err e = write_bins(w, LB_LLA_FORK, ours, olen, theirs, tlen, d);
	if (!e)
		w->count.forks++;
	return e;
}

lb_err lb_lla_write_fork_entry(struct lb_lla_writer *w, unsigned branch, const void *entry,
                               size_t len, struct lb_diag *d)
{
	lb_err e;

	if ((e = writer_ready(w, LB_LLA_FORK_ENTRY, d)))
		return e;
	if (branch > 1)
		return lb_fail(d, LB_EINVAL, "archive: fork entry branch %u (0 or 1)", branch);
	if (len == 0)
		return lb_fail(d, LB_EINVAL, "archive: an empty fork entry");
	if (len > LB_LLA_FRAME_MAX)
		return lb_fail(d, LB_ETOOBIG, "archive: a fork entry of %zu bytes is over the frame "
		               "limit", len);
	frame_begin(w, LB_LLA_FORK_ENTRY, 3);
	lb_mp_put_uint(&w->buf, branch);
	lb_mp_put_bin(&w->buf, entry, len);
	if (!(e = frame_end(w, LB_LLA_FORK_ENTRY, d)))
		w->count.entries++;
	return e;
}

lb_err lb_lla_write_trailer(struct lb_lla_writer *w, struct lb_diag *d)
{
	lb_err e;

	if ((e = writer_ready(w, LB_LLA_TRAILER, d)))
		return e;
	frame_begin(w, LB_LLA_TRAILER, 2);
	lb_mp_put_map(&w->buf, 4);
	lb_mp_put_cstr(&w->buf, "entries");
	lb_mp_put_uint(&w->buf, w->count.entries);
	lb_mp_put_cstr(&w->buf, "forks");
	lb_mp_put_uint(&w->buf, w->count.forks);
	lb_mp_put_cstr(&w->buf, "heads");
	lb_mp_put_uint(&w->buf, w->count.heads);
	lb_mp_put_cstr(&w->buf, "receipts");
	lb_mp_put_uint(&w->buf, w->count.receipts);
	if ((e = frame_end(w, LB_LLA_TRAILER, d)))
		return e;
	errno = 0;
	if (fflush(w->f) != 0 || ferror(w->f))
		return write_failed(w, errno, d);
	w->finished = true;
	return LB_OK;
}

/* ---- reading ------------------------------------------------------------ */

lb_err lb_lla_reader_open(struct lb_lla_reader *r, FILE *f, struct lb_diag *d)
{
	uint8_t magic[LB_LLA_MAGIC_LEN];
	size_t got;

	memset(r, 0, sizeof *r);
	r->f = f;
	errno = 0;
	got = fread(magic, 1, sizeof magic, f);
	if (got < sizeof magic && ferror(f))
		return r->err = lb_fail(d, LB_EIO, "reading the archive: %s",
		                        strerror(errno ? errno : EIO));
	if (got < sizeof magic - 1 || memcmp(magic, LB_LLA_MAGIC, sizeof magic - 1) != 0)
		return r->err = lb_fail(d, LB_EMALFORMED, "not a lumbung log archive");
	if (got < sizeof magic)
		return r->err = lb_fail(d, LB_EMALFORMED,
		                        "not a lumbung log archive (cut inside its magic)");
	if (magic[sizeof magic - 1] != LB_LLA_MAGIC[sizeof magic - 1])
		return r->err = lb_fail(d, LB_EMALFORMED, "log archive format %u is not supported "
		                        "(this program reads format %u)", magic[sizeof magic - 1],
		                        (unsigned)LB_LLA_MAGIC[sizeof magic - 1]);
	r->offset = sizeof magic;
	return LB_OK;
}

void lb_lla_reader_close(struct lb_lla_reader *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = 0;
}

/* One bin value of at least one byte (exactly n when n != 0). */
static lb_err read_bin(struct lb_mp_rd *rd, const uint8_t **s, size_t *len, uint32_t n,
                       const char *what, struct lb_diag *d)
{
	struct lb_mp_obj o;
	lb_err e;

	if ((e = lb_mp_next(rd, &o, d))) {
		lb_diag_prefix(d, "%s", what);
		return e;
	}
	if (o.kind != LB_MP_BIN || !o.canonical)
		return lb_fail(d, LB_EMALFORMED, "%s: expected canonical binary", what);
	if (n ? o.len != n : o.len == 0)
		return lb_fail(d, LB_EMALFORMED, "%s: %u bytes, expected %s%u", what, o.len,
		               n ? "" : "at least ", n ? n : 1);
	*s = o.s;
	*len = o.len;
	return LB_OK;
}

/* The next map key must be exactly `key`: this refuses missing, extra,
 * repeated and unsorted keys alike, since the key set is fixed. */
static lb_err read_key(struct lb_mp_rd *rd, const char *key, const char *what,
                       struct lb_diag *d)
{
	const uint8_t *s;
	uint32_t n;
	lb_err e;

	if ((e = lb_mp_read_str(rd, &s, &n, what, d)))
		return e;
	if (n != strlen(key) || memcmp(s, key, n) != 0) {
		char esc[LB_ESC_BUF];
		return lb_fail(d, LB_EMALFORMED, "%s: key \"%s\" where \"%s\" belongs (the keys are "
		               "exactly the documented ones, sorted)", what, lb_escape(esc, s, n), key);
	}
	return LB_OK;
}

static lb_err read_map(struct lb_mp_rd *rd, uint32_t n, const char *what, struct lb_diag *d)
{
	struct lb_mp_obj o;
	lb_err e;

	if ((e = lb_mp_next(rd, &o, d))) {
		lb_diag_prefix(d, "%s", what);
		return e;
	}
	if (o.kind != LB_MP_MAP || !o.canonical || o.len != n)
		return lb_fail(d, LB_EMALFORMED, "%s: expected a map of exactly %u keys", what, n);
	return LB_OK;
}

static lb_err decode_header(struct lb_mp_rd *rd, struct lb_lla_header *h, struct lb_diag *d)
{
	const uint8_t *s;
	size_t len;
	uint32_t n;
	uint64_t v;
	lb_err e;

	struct lb_mp_obj o;
	struct lb_mp_rd peek = *rd;

	/* A tail of a log (from > 1) names its first seq under "from". */
	if ((e = lb_mp_next(&peek, &o, d)))
		return e;
	h->from = 1;
	if (o.kind == LB_MP_MAP && o.len == 5) {
		if ((e = read_map(rd, 5, "header", d)) || (e = read_key(rd, "from", "header", d)) ||
		    (e = lb_mp_read_uint(rd, &h->from, "header from", d)))
			return e;
		if (h->from < 2)
			return lb_fail(d, LB_EMALFORMED, "header from must be 2 or more (a whole log "
			               "has no \"from\")");
	} else if ((e = read_map(rd, 4, "header", d))) {
		return e;
	}
	if ((e = read_key(rd, "origin", "header", d)) ||
	    (e = read_bin(rd, &s, &len, LB_PK_BYTES, "header origin", d)))
		return e;
	memcpy(h->origin, s, LB_PK_BYTES);
	if ((e = read_key(rd, "source", "header", d)) ||
	    (e = lb_mp_read_str(rd, &s, &n, "header source", d)))
		return e;
	if (!(n == 4 && !memcmp(s, "node", 4)) && !(n == 10 && !memcmp(s, "aggregator", 10)))
		return lb_fail(d, LB_EMALFORMED, "header source must be \"node\" or \"aggregator\"");
	memcpy(h->source, s, n);
	h->source[n] = '\0';
	if ((e = read_key(rd, "v", "header", d)) || (e = lb_mp_read_uint(rd, &v, "header v", d)))
		return e;
	if (v != LB_LLA_VERSION)
		return lb_fail(d, LB_EMALFORMED, "header: archive version %llu is not supported "
		               "(this program reads version %d)", (unsigned long long)v,
		               LB_LLA_VERSION);
	if ((e = read_key(rd, "village", "header", d)) ||
	    (e = lb_mp_read_str(rd, &s, &n, "header village", d)))
		return e;
	if (n <= LB_VILLAGE_LEN) {
		memcpy(h->village, s, n);
		h->village[n] = '\0';
	}
	if (n > LB_VILLAGE_LEN || !lb_log_owner_ok(h->village))
		return lb_fail(d, LB_EMALFORMED, "header village is not a desa code (PP.KK.CC.DDDD) "
		               "nor a kecamatan or kabupaten code");
	return LB_OK;
}

static lb_err decode_trailer(struct lb_mp_rd *rd, struct lb_lla_trailer *t, struct lb_diag *d)
{
	lb_err e;

	if ((e = read_map(rd, 4, "trailer", d)) || (e = read_key(rd, "entries", "trailer", d)) ||
	    (e = lb_mp_read_uint(rd, &t->entries, "trailer entries", d)) ||
	    (e = read_key(rd, "forks", "trailer", d)) ||
	    (e = lb_mp_read_uint(rd, &t->forks, "trailer forks", d)) ||
	    (e = read_key(rd, "heads", "trailer", d)) ||
	    (e = lb_mp_read_uint(rd, &t->heads, "trailer heads", d)) ||
	    (e = read_key(rd, "receipts", "trailer", d)) ||
	    (e = lb_mp_read_uint(rd, &t->receipts, "trailer receipts", d)))
		return e;
	return LB_OK;
}

static lb_err decode_frame(const uint8_t *buf, size_t len, struct lb_lla_frame *fr,
                           struct lb_diag *d)
{
	static const uint32_t elems[] = {2, 2, 2, 3, 3, 2, 3, 2};
	struct lb_mp_rd rd;
	struct lb_mp_obj o;
	uint64_t kind;
	lb_err e;

	lb_mp_rd_init(&rd, buf, len);
	if ((e = lb_mp_next(&rd, &o, d)))
		return e;
	if (o.kind != LB_MP_ARRAY || !o.canonical || o.len == 0)
		return lb_fail(d, LB_EMALFORMED, "a frame is a canonical array [kind, ...]");
	if ((e = lb_mp_read_uint(&rd, &kind, "frame kind", d)))
		return e;
	if (kind > LB_LLA_SUCCESSION)
		return lb_fail(d, LB_EMALFORMED, "unknown frame kind %llu", (unsigned long long)kind);
	if (o.len != elems[kind])
		return lb_fail(d, LB_EMALFORMED, "a frame of kind %s has %u elements, not %u",
		               kind_names[kind], o.len, elems[kind]);
	fr->kind = (enum lb_lla_kind)kind;
	switch (fr->kind) {
	case LB_LLA_HEADER:
		e = decode_header(&rd, &fr->header, d);
		break;
	case LB_LLA_ENTRY:
		e = read_bin(&rd, &fr->a, &fr->alen, 0, "entry", d);
		break;
	case LB_LLA_HEAD:
		e = read_bin(&rd, &fr->a, &fr->alen, 0, "head", d);
		break;
	case LB_LLA_RECEIPT:
		if (!(e = read_bin(&rd, &fr->a, &fr->alen, LB_PK_BYTES, "receipt aggregator key", d)))
			e = read_bin(&rd, &fr->b, &fr->blen, 0, "receipt", d);
		break;
	case LB_LLA_FORK:
		if (!(e = read_bin(&rd, &fr->a, &fr->alen, 0, "fork: our head", d)))
			e = read_bin(&rd, &fr->b, &fr->blen, 0, "fork: their head", d);
		break;
	case LB_LLA_TRAILER:
		e = decode_trailer(&rd, &fr->trailer, d);
		break;
	case LB_LLA_SUCCESSION:
		e = read_bin(&rd, &fr->a, &fr->alen, 0, "succession", d);
		break;
	case LB_LLA_FORK_ENTRY: {
		uint64_t br;
		if ((e = lb_mp_read_uint(&rd, &br, "fork entry branch", d)))
			break;
		if (br > 1) {
			e = lb_fail(d, LB_EMALFORMED, "fork entry branch %llu (0 or 1)",
			            (unsigned long long)br);
			break;
		}
		fr->branch = (unsigned)br;
		e = read_bin(&rd, &fr->a, &fr->alen, 0, "fork entry", d);
		break;
	}
	}
	if (!e && lb_mp_rd_left(&rd))
		e = lb_fail(d, LB_EMALFORMED, "%zu trailing bytes inside the %s frame",
		            lb_mp_rd_left(&rd), kind_names[kind]);
	return e;
}

/* Fail the reader for good: after a bad frame the stream position means
 * nothing, so later calls repeat the error instead of reading garbage. */
static lb_err reader_fail(struct lb_lla_reader *r, lb_err e, struct lb_diag *d)
{
	lb_diag_prefix(d, "archive frame %llu (byte %llu)", (unsigned long long)r->frame + 1,
	               (unsigned long long)r->offset);
	return r->err = e;
}

lb_err lb_lla_next(struct lb_lla_reader *r, struct lb_lla_frame *fr, struct lb_diag *d)
{
	uint8_t lb[LEN_BYTES];
	size_t got;
	uint32_t len;
	lb_err e;

	memset(fr, 0, sizeof *fr);
	if (r->err)
		return lb_fail(d, r->err, "archive: reading stopped at frame %llu (byte %llu) after "
		               "an earlier error", (unsigned long long)r->frame + 1,
		               (unsigned long long)r->offset);
	errno = 0;
	got = fread(lb, 1, LEN_BYTES, r->f);
	if (got < LEN_BYTES && ferror(r->f))
		return reader_fail(r, lb_fail(d, LB_EIO, "%s", strerror(errno ? errno : EIO)), d);
	if (got == 0)
		return lb_fail(d, LB_ENOTFOUND, "end of the archive after %llu frames (byte %llu)",
		               (unsigned long long)r->frame, (unsigned long long)r->offset);
	if (got < LEN_BYTES)
		return reader_fail(r, lb_fail(d, LB_EMALFORMED, "cut inside its length (%zu of 4 "
		                              "bytes)", got), d);
	len = (uint32_t)lb[0] << 24 | (uint32_t)lb[1] << 16 | (uint32_t)lb[2] << 8 | lb[3];
	if (len == 0)
		return reader_fail(r, lb_fail(d, LB_EMALFORMED, "length 0"), d);
	if (len > LB_LLA_FRAME_MAX)
		return reader_fail(r, lb_fail(d, LB_ETOOBIG, "length %lu is over the limit of %d",
		                              (unsigned long)len, LB_LLA_FRAME_MAX), d);
	if (len > r->cap) {
		/* Grow by doubling, never past the largest frame allowed. */
		size_t cap = r->cap ? r->cap : READ_BUF_MIN;
		uint8_t *p;
		while (cap < len)
			cap *= 2;
		if (cap > LB_LLA_FRAME_MAX)
			cap = LB_LLA_FRAME_MAX;
		if (!(p = realloc(r->buf, cap)))
			return reader_fail(r, lb_fail(d, LB_ENOMEM, "out of memory"), d);
		r->buf = p;
		r->cap = cap;
	}
	errno = 0;
	got = fread(r->buf, 1, len, r->f);
	if (got < len && ferror(r->f))
		return reader_fail(r, lb_fail(d, LB_EIO, "%s", strerror(errno ? errno : EIO)), d);
	if (got < len)
		return reader_fail(r, lb_fail(d, LB_EMALFORMED, "cut inside its payload (%zu of %lu "
		                              "bytes)", got, (unsigned long)len), d);
	if ((e = decode_frame(r->buf, len, fr, d))) {
		memset(fr, 0, sizeof *fr);
		return reader_fail(r, e, d);
	}
	r->frame++;
	r->offset += LEN_BYTES + len;
	return LB_OK;
}

/* ---- a node's log ---------------------------------------------------------- */

/*
 * Receipts are keyed aggregator first, so those of one seq are spread over
 * the key space.  Rather than hold every receipt in memory, collect the
 * distinct aggregator keys (a node has a handful of remotes) and look each
 * one up at every head: memory is bounded by the number of aggregators,
 * not by the length of the log.
 */
struct aggs {
	uint8_t (*key)[LB_PK_BYTES];
	size_t n, cap;
};

static lb_err collect_aggs(struct lb_node *n, MDB_txn *txn, struct aggs *ag, struct lb_diag *d)
{
	MDB_cursor *c;
	MDB_val k = {LB_RECEIPT_PREFIX_LEN, (void *)LB_RECEIPT_PREFIX}, v;
	lb_err e = LB_OK;
	int rc;

	if ((rc = mdb_cursor_open(txn, n->meta, &c)))
		return lb_mdb_fail(d, rc, "reading receipts");
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		const uint8_t *key = (const uint8_t *)k.mv_data + LB_RECEIPT_PREFIX_LEN;
		if (k.mv_size < LB_RECEIPT_PREFIX_LEN ||
		    memcmp(k.mv_data, LB_RECEIPT_PREFIX, LB_RECEIPT_PREFIX_LEN) != 0)
			break;
		if (k.mv_size != LB_RECEIPT_KEY_LEN)
			continue;
		if (ag->n && !memcmp(ag->key[ag->n - 1], key, LB_PK_BYTES))
			continue; /* sorted: one aggregator's receipts are one run */
		if (ag->n == ag->cap) {
			size_t cap = ag->cap ? 2 * ag->cap : 4;
			void *p = realloc(ag->key, cap * sizeof *ag->key);
			if (!p) {
				e = lb_fail(d, LB_ENOMEM, "out of memory");
				break;
			}
			ag->key = p;
			ag->cap = cap;
		}
		memcpy(ag->key[ag->n++], key, LB_PK_BYTES);
	}
	if (!e && rc && rc != MDB_NOTFOUND)
		e = lb_mdb_fail(d, rc, "reading receipts");
	mdb_cursor_close(c);
	return e;
}

static lb_err write_receipts(struct lb_node *n, MDB_txn *txn, const struct aggs *ag, uint64_t seq,
                             struct lb_lla_writer *w, struct lb_diag *d)
{
	uint8_t kb[LB_RECEIPT_KEY_LEN];
	MDB_val k = {sizeof kb, kb}, v;
	lb_err e;
	int rc;

	for (size_t i = 0; i < ag->n; i++) {
		lb_receipt_key(kb, ag->key[i], seq);
		rc = mdb_get(txn, n->meta, &k, &v);
		if (rc == MDB_NOTFOUND)
			continue;
		if (rc)
			return lb_mdb_fail(d, rc, "reading receipts");
		if ((e = lb_lla_write_receipt(w, ag->key[i], v.mv_data, v.mv_size, d)))
			return e;
	}
	return LB_OK;
}

/* The successions kept in meta (node_int.h), bytes borrowed from the
 * export's read transaction. */
struct xsucc {
	struct {
		uint64_t seq;
		const uint8_t *stmt;
		size_t len;
	} *s;
	size_t n, cap;
	bool nomem;
};

static int xsucc_add(void *ctx, uint64_t seq, const uint8_t *stmt, size_t len)
{
	struct xsucc *x = ctx;

	if (x->n == x->cap) {
		size_t nc = x->cap ? 2 * x->cap : 4;
		void *p = realloc(x->s, nc * sizeof *x->s);
		if (!p) {
			x->nomem = true;
			return 1;
		}
		x->s = p;
		x->cap = nc;
	}
	x->s[x->n].seq = seq;
	x->s[x->n].stmt = stmt;
	x->s[x->n].len = len;
	x->n++;
	return 0;
}

/* The succession kept for seq, if any, right after its head. */
static lb_err write_succ_at(struct lb_lla_writer *w, struct xsucc *xs, size_t *next, uint64_t seq,
                            struct lb_diag *d)
{
	if (*next >= xs->n || xs->s[*next].seq != seq)
		return LB_OK;
	++*next;
	return lb_lla_write_succession(w, xs->s[*next - 1].stmt, xs->s[*next - 1].len, d);
}

lb_err lb_node_export_log(struct lb_node *n, FILE *out, struct lb_diag *d)
{
	return lb_node_export_log_from(n, 1, out, d);
}

lb_err lb_node_export_log_from(struct lb_node *n, uint64_t from, FILE *out, struct lb_diag *d)
{
	struct lb_lla_writer w;
	struct lb_lla_header h = {.source = "node"};
	struct lb_node_info info;
	struct aggs ag = {0};
	struct xsucc xs = {0};
	size_t next_succ = 0;
	MDB_txn *txn;
	MDB_cursor *log = NULL, *heads = NULL;
	MDB_val k, v, hk, hv;
	uint64_t head_seq = 0, tip = 0, tip_ts;
	uint8_t tip_hash[LB_HASH_BYTES], fk[8];
	struct lb_merkle m;
	lb_err e;
	int rc, hrc;

	if (from < 1)
		from = 1;

	if ((rc = lb_node_txn_begin(n, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "reading the log");
	lb_lla_writer_init(&w, out);
	memset(&info, 0, sizeof info);
	if ((e = lb_node_read_identity(n, txn, &info, d)) ||
	    (e = lb_node_read_tip(n, txn, &tip, tip_hash, &tip_ts, &m, d)) ||
	    (e = collect_aggs(n, txn, &ag, d)))
		goto out;
	if (from > tip + 1) {
		e = lb_fail(d, LB_EINVAL, "the log ends at seq %llu: a tail can start at most at "
		            "seq %llu, not %llu", (unsigned long long)tip,
		            (unsigned long long)tip + 1, (unsigned long long)from);
		goto out;
	}
	h.from = from;
	memcpy(h.village, info.village, sizeof h.village);
	memcpy(h.origin, info.origin, LB_PK_BYTES);
	/* A chain that crossed successions starts under the first one's old
	 * key: the header names the key of the first head. */
	if ((e = lb_node_succ_walk(n, txn, xsucc_add, &xs, d)))
		goto out;
	if (xs.nomem) {
		e = lb_fail(d, LB_ENOMEM, "out of memory");
		goto out;
	}
	/* a tail starts under the key signing at from: the old key of the
	 * first succession at or after from, if any */
	while (next_succ < xs.n && xs.s[next_succ].seq < from)
		next_succ++;
	if (next_succ < xs.n) {
		struct lb_succession st;
		if ((e = lb_succession_open(&st, xs.s[next_succ].stmt, xs.s[next_succ].len, NULL,
		                            d))) {
			lb_diag_prefix(d, "the succession kept for seq %llu (run lumbung verify)",
			               (unsigned long long)xs.s[next_succ].seq);
			goto out;
		}
		memcpy(h.origin, st.old_key, LB_PK_BYTES);
	}
	if ((e = lb_lla_write_header(&w, &h, d)))
		goto out;
	if ((rc = mdb_cursor_open(txn, n->log, &log)) ||
	    (rc = mdb_cursor_open(txn, n->heads, &heads))) {
		e = lb_mdb_fail(d, rc, "reading the log");
		goto out;
	}
	/* Walk log and heads side by side: both are keyed by seq. */
	lb_be64_put(fk, from);
	hk = (MDB_val){8, fk};
	k = (MDB_val){8, fk};
	hrc = mdb_cursor_get(heads, &hk, &hv, MDB_SET_RANGE);
	for (rc = mdb_cursor_get(log, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(log, &k, &v, MDB_NEXT)) {
		uint64_t seq;
		if (k.mv_size != 8) {
			e = lb_fail(d, LB_ECORRUPT, "a log key of %zu bytes is not a seq", k.mv_size);
			goto out;
		}
		seq = lb_be64_get(k.mv_data);
		if ((e = lb_lla_write_entry(&w, v.mv_data, v.mv_size, d))) {
			lb_diag_prefix(d, "seq %llu", (unsigned long long)seq);
			goto out;
		}
		if (hrc == 0) {
			head_seq = hk.mv_size == 8 ? lb_be64_get(hk.mv_data) : 0;
			if (head_seq < seq) {
				e = lb_fail(d, LB_ECORRUPT, "the signed head at seq %llu covers no entry "
				            "(run lumbung verify)", (unsigned long long)head_seq);
				goto out;
			}
		}
		if (hrc != 0 || head_seq != seq)
			continue;
		if ((e = lb_lla_write_head(&w, hv.mv_data, hv.mv_size, d)) ||
		    (e = write_succ_at(&w, &xs, &next_succ, seq, d)) ||
		    (e = write_receipts(n, txn, &ag, seq, &w, d))) {
			lb_diag_prefix(d, "seq %llu", (unsigned long long)seq);
			goto out;
		}
		hrc = mdb_cursor_get(heads, &hk, &hv, MDB_NEXT);
	}
	if (rc != MDB_NOTFOUND || (hrc != 0 && hrc != MDB_NOTFOUND)) {
		e = lb_mdb_fail(d, rc != MDB_NOTFOUND ? rc : hrc, "reading the log");
		goto out;
	}
	if (hrc == 0) {
		e = lb_fail(d, LB_ECORRUPT, "a signed head past the last entry (run lumbung verify)");
		goto out;
	}
	if (next_succ < xs.n) {
		e = lb_fail(d, LB_ECORRUPT, "the succession kept for seq %llu follows no signed head "
		            "of the log (run lumbung verify)",
		            (unsigned long long)xs.s[next_succ].seq);
		goto out;
	}
	e = lb_lla_write_trailer(&w, d);
out:
	if (heads)
		mdb_cursor_close(heads);
	if (log)
		mdb_cursor_close(log);
	mdb_txn_abort(txn);
	free(ag.key);
	free(xs.s);
	lb_lla_writer_free(&w);
	return e;
}
