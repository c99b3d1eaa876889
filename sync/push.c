/*
 * push.c — the push client (push.h): libcurl requests, change-set cutting,
 * reply and receipt checks.
 *
 * One curl easy handle is kept per pusher, so a pass reuses one TCP
 * connection for the GET and every POST.  Replies are read into a buffer
 * capped at REPLY_MAX and decoded with the bounded reader (schema/mp.h);
 * nothing the aggregator says is trusted before it is checked against our
 * own log.
 */
#define _POSIX_C_SOURCE 200809L
#include "push.h"

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <sodium.h>

#include "../node/remote.h"
#include "../schema/mp.h"
#include "envelope.h"
#include "receipt.h"
#include "source.h"
#include "wire.h"
#include "../schema/i18n.h"

#define REPLY_MAX (1u << 20)
#define MAX_GAP_ROUNDS 3

struct lb_pusher {
	CURL *curl;
	struct curl_slist *headers;   /* POSTs of plain msgpack */
	struct curl_slist *h_zstd;    /* ... with Content-Encoding: zstd */
	struct curl_slist *h_sealed;  /* ... of a sealed change set */
	bool origin_set;       /* headers name origin (set_origin_header) */
	uint8_t origin[LB_PK_BYTES];
	char *base;            /* URL without trailing '/' */
	char *cacert;          /* PEM trusted for https, or NULL: the system's */
	bool have_key;
	uint8_t key[LB_PK_BYTES];
	bool relay;               /* name relay_key in LB_WIRE_RELAY_HEADER */
	uint8_t relay_key[LB_PK_BYTES];
	size_t bytes, max_bytes;
	FILE *log;
	lb_err (*on_upstream)(void *ctx, const uint8_t key[LB_PK_BYTES], uint64_t seq,
	                      const uint8_t *receipt, size_t len, struct lb_diag *d);
	void *upstream_ctx;
	void (*on_progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
	bool no_compress, no_seal;
	bool acc_zstd, acc_sealed; /* what the aggregator's last position answer accepts */
	struct lb_mp_buf body;  /* request: the plain change set */
	struct lb_mp_buf wire;  /* request: it as sent (compressed/sealed), when not plain */
	struct lb_mp_buf reply; /* response */
	char errbuf[CURL_ERROR_SIZE];
};

/* What an aggregator reply may carry (all optional). */
struct reply {
	long status;
	bool has_seq, has_hash;
	uint64_t seq, accepted;
	uint8_t hash[LB_HASH_BYTES];
	const uint8_t *receipt;
	size_t receipt_len;
	lb_err code;           /* from "code", LB__ECOUNT when absent/unknown */
	char message[200];
	bool acc_zstd, acc_sealed; /* "accept": the envelope forms taken */
	size_t nup;            /* "up": upstream receipts handed down */
	struct up_item {
		const uint8_t *key;
		uint64_t seq;
		const uint8_t *receipt;
		size_t len;
	} up[LB_PUSH_UP_MAX];
};

size_t lb_pusher_bytes(const struct lb_pusher *p)
{
	return p->bytes;
}

bool lb_push_retryable(lb_err e)
{
	return e == LB_ENET || e == LB_EREFUSED || e == LB_EBUSY;
}

#define BACKOFF_BASE_S 2
#define BACKOFF_CAP_S 900

long lb_push_backoff(unsigned *failures, bool progress)
{
	long cap;

	if (progress)
		*failures = 0; /* the link works: retry soon */
	cap = BACKOFF_BASE_S << (*failures < 9 ? *failures : 9);
	if (cap > BACKOFF_CAP_S)
		cap = BACKOFF_CAP_S;
	*failures += *failures < 32;
	return cap / 2 + (long)randombytes_uniform((uint32_t)(cap / 2 + 1));
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ctx)
{
	struct lb_pusher *p = ctx;
	size_t n = size * nmemb;

	if (p->reply.sb.size + n > REPLY_MAX)
		return 0; /* curl ends the transfer with CURLE_WRITE_ERROR */
	lb_mp_put_raw(&p->reply, ptr, n);
	return n;
}

lb_err lb_pusher_new(struct lb_pusher **out, const struct lb_push_opts *o, struct lb_diag *d)
{
	struct lb_pusher *p;
	size_t ulen;

	*out = NULL;
	if (!o->url || (strncmp(o->url, "http://", 7) && strncmp(o->url, "https://", 8)))
		return lb_fail(d, LB_EINVAL, "\"%s\" is not an http:// or https:// URL",
		               o->url ? o->url : "");
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return lb_fail(d, LB_ENOMEM, "libcurl failed to initialise");
	if (!(p = calloc(1, sizeof *p)))
		return lb_fail(d, LB_ENOMEM, "out of memory");
	lb_mp_buf_init(&p->body);
	lb_mp_buf_init(&p->wire);
	lb_mp_buf_init(&p->reply);
	ulen = strlen(o->url);
	while (ulen && o->url[ulen - 1] == '/')
		ulen--;
	p->base = strndup(o->url, ulen);
	p->cacert = o->cacert && *o->cacert ? strdup(o->cacert) : NULL;
	p->curl = curl_easy_init();
	/* no "Expect: 100-continue": it costs a round trip per POST */
	p->headers = curl_slist_append(NULL, "Content-Type: application/x-msgpack");
	if (p->headers)
		p->headers = curl_slist_append(p->headers, "Expect:");
	if (!p->base || !p->curl || !p->headers || (o->cacert && *o->cacert && !p->cacert)) {
		lb_pusher_free(p);
		return lb_fail(d, LB_ENOMEM, "out of memory");
	}
	if ((p->have_key = o->agg_key != NULL))
		memcpy(p->key, o->agg_key, LB_PK_BYTES);
	if ((p->relay = o->relay_key != NULL))
		memcpy(p->relay_key, o->relay_key, LB_PK_BYTES);
	p->max_bytes = o->max_bytes ? o->max_bytes : LB_PUSH_MAX_BYTES;
	if (p->max_bytes < LB_PUSH_MIN_BYTES)
		p->max_bytes = LB_PUSH_MIN_BYTES;
	p->bytes = o->start_bytes ? o->start_bytes : LB_PUSH_DEFAULT_BYTES;
	if (p->bytes > p->max_bytes)
		p->bytes = p->max_bytes;
	if (p->bytes < LB_PUSH_MIN_BYTES)
		p->bytes = LB_PUSH_MIN_BYTES;
	p->log = o->log;
	p->on_upstream = o->on_upstream;
	p->upstream_ctx = o->upstream_ctx;
	p->on_progress = o->on_progress;
	p->progress_ctx = o->progress_ctx;
	p->no_compress = o->no_compress;
	p->no_seal = o->no_seal;

	lb_push_curl_setup(p->curl, p->errbuf, o->connect_timeout_s, o->stall_s, o->stall_bytes,
	                   p->cacert);
	curl_easy_setopt(p->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(p->curl, CURLOPT_WRITEDATA, p);
	*out = p;
	return LB_OK;
}

void lb_push_curl_setup(void *curl, char *errbuf, long connect_timeout_s, long stall_s,
                        long stall_bytes, const char *cacert)
{
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, connect_timeout_s ? connect_timeout_s : 15L);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, stall_s ? stall_s : 30L);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, stall_bytes ? stall_bytes : 64L);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "lumbung/1");
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	if (cacert && *cacert) {
		/* the pinned PEM replaces the system's CAs; the name is still checked */
		struct curl_blob b = {(void *)cacert, strlen(cacert), CURL_BLOB_COPY};
		curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &b);
		curl_easy_setopt(curl, CURLOPT_CAPATH, NULL);
	}
}

lb_err lb_push_curl_fail(int cc, const char *errbuf, const char *base, int base_len,
                         struct lb_diag *d)
{
	const char *detail = errbuf && errbuf[0] ? errbuf : curl_easy_strerror((CURLcode)cc);

	switch (cc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		return lb_fail(d, LB_EREFUSED,
		               "%.*s: the server's certificate is not trusted, nothing was sent: pin "
		               "the CA that signed it with --cacert FILE (remote add, upstream add), "
		               "or check the URL (%s)",
		               base_len, base, detail);
	case CURLE_SSL_CACERT_BADFILE:
		return lb_fail(d, LB_EREFUSED,
		               "%.*s: the CA certificate pinned for it cannot be used: add it again "
		               "with --cacert FILE, the CA's PEM certificate (%s)",
		               base_len, base, detail);
	case CURLE_SSL_CONNECT_ERROR:
		return lb_fail(d, LB_EREFUSED,
		               "%.*s: the TLS handshake failed, nothing was sent: does the server "
		               "speak https on that port (serve --tls-cert)? (%s)",
		               base_len, base, detail);
	case CURLE_GOT_NOTHING:
		if (!strncmp(base, "http://", 7))
			return lb_fail(d, LB_ENET,
			               "%.*s: no answer (%s): if the server speaks HTTPS on that port, "
			               "the URL starts with https://",
			               base_len, base, detail);
		/* fall through */
	default:
		return lb_fail(d, LB_ENET, "%.*s: %s", base_len, base, detail);
	}
}

void lb_pusher_free(struct lb_pusher *p)
{
	if (!p)
		return;
	if (p->curl)
		curl_easy_cleanup(p->curl);
	curl_slist_free_all(p->headers);
	curl_slist_free_all(p->h_zstd);
	curl_slist_free_all(p->h_sealed);
	lb_mp_buf_free(&p->body);
	lb_mp_buf_free(&p->wire);
	lb_mp_buf_free(&p->reply);
	free(p->base);
	free(p->cacert);
	sodium_memzero(p->key, sizeof p->key);
	free(p);
}

static void shrink(struct lb_pusher *p)
{
	p->bytes = p->bytes / 2 < LB_PUSH_MIN_BYTES ? LB_PUSH_MIN_BYTES : p->bytes / 2;
}

static void grow(struct lb_pusher *p)
{
	p->bytes = p->bytes > p->max_bytes / 2 ? p->max_bytes : p->bytes * 2;
}

/* Decode the "up" array: [{key: bin32, seq: uint, receipt: bin}, ...]
 * (unknown keys in an item are skipped, like the reply's). */
static lb_err parse_up(struct reply *r, struct lb_mp_rd *rd, struct lb_diag *d)
{
	struct lb_mp_obj o, m, k, v;
	lb_err e;

	if ((e = lb_mp_next(rd, &o, d)))
		return e;
	if (o.kind != LB_MP_ARRAY)
		return lb_fail(d, LB_EMALFORMED, "reply field up is not an array");
	if (o.len > LB_PUSH_UP_MAX)
		return lb_fail(d, LB_EMALFORMED, "reply field up has %u items (at most %d)", o.len,
		               LB_PUSH_UP_MAX);
	for (uint32_t i = 0; i < o.len; i++) {
		struct up_item *u = &r->up[i];
		bool has_seq = false;
		if ((e = lb_mp_next(rd, &m, d)))
			return e;
		if (m.kind != LB_MP_MAP)
			return lb_fail(d, LB_EMALFORMED, "reply up[%u] is not a map", i);
		memset(u, 0, sizeof *u);
		for (uint32_t j = 0; j < m.len; j++) {
			if ((e = lb_mp_next(rd, &k, d)))
				return e;
			if (k.kind != LB_MP_STR)
				return lb_fail(d, LB_EMALFORMED, "reply up[%u] has a key that is not a string",
				               i);
			if (k.len == 3 && !memcmp(k.s, "seq", 3)) {
				if ((e = lb_mp_next(rd, &v, d)))
					return e;
				if (v.kind != LB_MP_UINT)
					return lb_fail(d, LB_EMALFORMED, "reply up[%u].seq is not an unsigned int",
					               i);
				u->seq = v.v.u;
				has_seq = true;
			} else if ((k.len == 3 && !memcmp(k.s, "key", 3)) ||
			           (k.len == 7 && !memcmp(k.s, "receipt", 7))) {
				bool is_key = k.len == 3;
				if ((e = lb_mp_next(rd, &v, d)))
					return e;
				if (v.kind != LB_MP_BIN || (is_key && v.len != LB_PK_BYTES) || !v.len)
					return lb_fail(d, LB_EMALFORMED, "reply up[%u].%s is not %s", i,
					               is_key ? "key" : "receipt",
					               is_key ? _("a 32-byte bin") : _("a non-empty bin"));
				if (is_key)
					u->key = v.s;
				else {
					u->receipt = v.s;
					u->len = v.len;
				}
			} else if ((e = lb_mp_skip(rd, false, d))) {
				return e;
			}
		}
		if (!u->key || !has_seq || !u->receipt)
			return lb_fail(d, LB_EMALFORMED, "reply up[%u] lacks its key, seq or receipt", i);
	}
	r->nup = o.len;
	return LB_OK;
}

/* Decode the "accept" array: [str, ...], the envelope forms the aggregator
 * takes; names this build does not know are skipped. */
static lb_err parse_accept(struct reply *r, struct lb_mp_rd *rd, struct lb_diag *d)
{
	struct lb_mp_obj o, v;
	lb_err e;

	if ((e = lb_mp_next(rd, &o, d)))
		return e;
	if (o.kind != LB_MP_ARRAY)
		return lb_fail(d, LB_EMALFORMED, "reply field accept is not an array");
	if (o.len > LB_PUSH_ACCEPT_MAX)
		return lb_fail(d, LB_EMALFORMED, "reply field accept has %u items (at most %d)", o.len,
		               LB_PUSH_ACCEPT_MAX);
	for (uint32_t i = 0; i < o.len; i++) {
		if ((e = lb_mp_next(rd, &v, d)))
			return e;
		if (v.kind != LB_MP_STR)
			return lb_fail(d, LB_EMALFORMED, "reply accept[%u] is not a string", i);
		if (v.len == 4 && !memcmp(v.s, "zstd", 4))
			r->acc_zstd = true;
		else if (v.len == 6 && !memcmp(v.s, "sealed", 6))
			r->acc_sealed = true;
	}
	return LB_OK;
}

/* Decode a reply map into r (unknown keys are skipped, so a later
 * aggregator may add some). */
static lb_err parse_reply(struct reply *r, const uint8_t *buf, size_t len, struct lb_diag *d)
{
	struct lb_mp_rd rd;
	struct lb_mp_obj o, v;
	lb_err e;

	lb_mp_rd_init(&rd, buf, len);
	if ((e = lb_mp_next(&rd, &o, d)))
		return e;
	if (o.kind != LB_MP_MAP)
		return lb_fail(d, LB_EMALFORMED, "reply is not a msgpack map");
	for (uint32_t i = 0; i < o.len; i++) {
		struct lb_mp_obj k;
		if ((e = lb_mp_next(&rd, &k, d)))
			return e;
		if (k.kind != LB_MP_STR)
			return lb_fail(d, LB_EMALFORMED, "reply key is not a string");
#define KEY(lit) (k.len == sizeof(lit) - 1 && !memcmp(k.s, lit, k.len))
		if (KEY("seq")) {
			if ((e = lb_mp_read_uint(&rd, &r->seq, "reply seq", d)))
				return e;
			r->has_seq = true;
			continue;
		}
		if (KEY("up")) {
			if ((e = parse_up(r, &rd, d)))
				return e;
			continue;
		}
		if (KEY("accept")) {
			if ((e = parse_accept(r, &rd, d)))
				return e;
			continue;
		}
		if (KEY("accepted")) {
			if ((e = lb_mp_read_uint(&rd, &r->accepted, "reply accepted", d)))
				return e;
			continue;
		}
		if (KEY("hash") || KEY("receipt") || KEY("code") || KEY("message")) {
			if ((e = lb_mp_next(&rd, &v, d)))
				return e;
			if (KEY("hash") && v.kind == LB_MP_BIN && v.len == LB_HASH_BYTES) {
				memcpy(r->hash, v.s, LB_HASH_BYTES);
				r->has_hash = true;
			} else if (KEY("receipt") && v.kind == LB_MP_BIN) {
				r->receipt = v.s;
				r->receipt_len = v.len;
			} else if (KEY("code") && v.kind == LB_MP_STR) {
				r->code = lb_err_from_name((const char *)v.s, v.len);
			} else if (KEY("message") && v.kind == LB_MP_STR) {
				/* only printable ASCII reaches the user's terminal */
				lb_escape_buf(r->message, sizeof r->message, v.s, v.len);
			} else {
				return lb_fail(d, LB_EMALFORMED, "reply field %.*s has the wrong type",
				               (int)k.len, k.s);
			}
			continue;
		}
#undef KEY
		if ((e = lb_mp_skip(&rd, false, d)))
			return e;
	}
	return LB_OK;
}

/* One exchange: GET when body is NULL, else POST of body; the reply's
 * bytes land in p->reply.  LB_ENET when the exchange did not complete. */
static lb_err exchange(struct lb_pusher *p, const char *path, const void *body, size_t len,
                       struct curl_slist *headers, long *status, struct lb_diag *d)
{
	char url[LB_REMOTE_URL_MAX + 160];
	CURLcode cc;

	*status = 0;
	snprintf(url, sizeof url, "%s%s", p->base, path);
	lb_mp_buf_reset(&p->reply);
	p->errbuf[0] = '\0';
	curl_easy_setopt(p->curl, CURLOPT_URL, url);
	if (body) {
		curl_easy_setopt(p->curl, CURLOPT_POST, 1L);
		curl_easy_setopt(p->curl, CURLOPT_HTTPHEADER, headers ? headers : p->headers);
		curl_easy_setopt(p->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(p->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	} else {
		curl_easy_setopt(p->curl, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(p->curl, CURLOPT_HTTPHEADER, NULL);
	}
	if ((cc = curl_easy_perform(p->curl)) != CURLE_OK) {
		if (cc == CURLE_WRITE_ERROR)
			return lb_fail(d, LB_EREFUSED, "%s: reply larger than %u bytes", p->base,
			               REPLY_MAX);
		return lb_push_curl_fail(cc, p->errbuf, p->base, (int)strlen(p->base), d);
	}
	curl_easy_getinfo(p->curl, CURLINFO_RESPONSE_CODE, status);
	return LB_OK;
}

lb_err lb_pusher_call(struct lb_pusher *p, const char *path, const void *body, size_t len,
                      long *status, const uint8_t **reply, size_t *reply_len, struct lb_diag *d)
{
	lb_err e = exchange(p, path, body, len, NULL, status, d);

	*reply = (const uint8_t *)p->reply.sb.data;
	*reply_len = e ? 0 : p->reply.sb.size;
	return e;
}

/* One request: GET when body is NULL, else POST of body.  Fills r from a
 * msgpack reply.  LB_ENET when the exchange did not complete; LB_EREFUSED
 * when the answer is not an aggregator's. */
static lb_err request(struct lb_pusher *p, const char *path, const struct lb_mp_buf *body,
                      struct curl_slist *headers, struct reply *r, struct lb_diag *d)
{
	lb_err e;

	memset(r, 0, sizeof *r);
	r->code = LB__ECOUNT;
	if ((e = exchange(p, path, body ? body->sb.data : NULL, body ? body->sb.size : 0, headers,
	                  &r->status, d)))
		return e;
	e = parse_reply(r, (const uint8_t *)p->reply.sb.data, p->reply.sb.size, d);
	if (e) {
		/* what was wrong, when it was an aggregator-like map */
		char why[LB_DIAG_MAX / 2];
		lb_escape_buf(why, sizeof why, lb_diag_msg(d, e), strlen(lb_diag_msg(d, e)));
		return lb_fail(d, LB_EREFUSED,
		               "%s answered HTTP %ld with a malformed reply or something that is not "
		               "an aggregator's (a proxy or hotspot login page?): %s",
		               p->base, r->status, why);
	}
	return LB_OK;
}

/* Turn a refusal into our error, with the aggregator's words. */
static lb_err refusal(const struct reply *r, const char *what, struct lb_diag *d)
{
	lb_err e = r->code;

	if (r->status >= 500 || e == LB__ECOUNT || e == LB_OK)
		e = LB_EREFUSED; /* server trouble: try later */
	return lb_fail(d, e, "%s: aggregator refused (HTTP %ld, %s): %s", what, r->status,
	               r->code == LB__ECOUNT ? "no code" : lb_errname(r->code),
	               r->message[0] ? r->message : "no reason given");
}

lb_err lb_push_refusal(long status, const uint8_t *reply, size_t len, const char *what,
                       struct lb_diag *d)
{
	struct reply r;

	memset(&r, 0, sizeof r);
	r.code = LB__ECOUNT;
	if (parse_reply(&r, reply, len, d))
		return lb_fail(d, LB_EREFUSED,
		               "%s: HTTP %ld with something that is not an aggregator's reply", what,
		               status);
	r.status = status;
	return refusal(&r, what, d);
}

/* The aggregator says it holds seq with hash: that must be a prefix of our
 * log, or one of us rewrote history. */
static lb_err check_prefix(const struct lb_src *n, uint64_t tip, uint64_t seq,
                           const uint8_t hash[LB_HASH_BYTES], struct lb_diag *d)
{
	uint8_t ours[LB_HASH_BYTES];
	lb_err e;

	if (seq == 0)
		return LB_OK;
	if (seq > tip)
		return lb_fail(d, LB_EFORK,
		               "the aggregator holds %llu entries of this village but this node has "
		               "only %llu: was the node restored from an old backup?  Nothing was sent",
		               (unsigned long long)seq, (unsigned long long)tip);
	if ((e = n->ops->entry_hash(n->ctx, seq, ours, d)))
		return e;
	if (sodium_memcmp(ours, hash, LB_HASH_BYTES))
		return lb_fail(d, LB_EFORK,
		               "the aggregator's entry %llu differs from this node's: the histories "
		               "have forked; nothing was sent",
		               (unsigned long long)seq);
	return LB_OK;
}

/* POSTs name our origin in a header, so the aggregator can refuse a key
 * it does not know before it reads the body. */
static lb_err set_origin_header(struct lb_pusher *p, const uint8_t origin[LB_PK_BYTES],
                                const char *name, struct lb_diag *d)
{
	char line[sizeof LB_WIRE_ORIGIN_HEADER + 2 + 2 * LB_PK_BYTES];
	char nline[sizeof LB_WIRE_NAME_HEADER + 2 + 3 * LB_NODE_NAME_MAX];
	char rline[sizeof LB_WIRE_RELAY_HEADER + 2 + 2 * LB_PK_BYTES];
	struct curl_slist *h[3];
	char *esc;

	if (p->origin_set && !memcmp(p->origin, origin, LB_PK_BYTES))
		return LB_OK;
	memcpy(line, LB_WIRE_ORIGIN_HEADER ": ", sizeof LB_WIRE_ORIGIN_HEADER + 1);
	lb_hex(line + sizeof LB_WIRE_ORIGIN_HEADER + 1, origin, LB_PK_BYTES);
	/* the list made by lb_pusher_new, then the origin (replacing one
	 * named by an earlier run for another node) */
	if (p->relay) {
		memcpy(rline, LB_WIRE_RELAY_HEADER ": ", sizeof LB_WIRE_RELAY_HEADER + 1);
		lb_hex(rline + sizeof LB_WIRE_RELAY_HEADER + 1, p->relay_key, LB_PK_BYTES);
	}
	/* the village's name, for the aggregator's directory (optional) */
	nline[0] = '\0';
	if (name && *name && strlen(name) <= LB_NODE_NAME_MAX) {
		if (!(esc = curl_easy_escape(p->curl, name, (int)strlen(name))))
			return lb_fail(d, LB_ENOMEM, "out of memory");
		snprintf(nline, sizeof nline, "%s: %s", LB_WIRE_NAME_HEADER, esc);
		curl_free(esc);
	}
	/* one list per form of body (envelope.h) */
	for (int i = 0; i < 3; i++) {
		static const char *const type[3][2] = {
			{"Content-Type: application/x-msgpack", NULL},
			{"Content-Type: application/x-msgpack", "Content-Encoding: zstd"},
			{"Content-Type: application/x-lumbung-sealed", NULL},
		};
		h[i] = curl_slist_append(NULL, type[i][0]);
		if (!h[i] || (type[i][1] && !curl_slist_append(h[i], type[i][1])) ||
		    !curl_slist_append(h[i], "Expect:") || !curl_slist_append(h[i], line) ||
		    (p->relay && !curl_slist_append(h[i], rline)) ||
		    (nline[0] && !curl_slist_append(h[i], nline))) {
			for (int j = 0; j <= i; j++)
				curl_slist_free_all(h[j]);
			return lb_fail(d, LB_ENOMEM, "out of memory");
		}
	}
	curl_slist_free_all(p->headers);
	curl_slist_free_all(p->h_zstd);
	curl_slist_free_all(p->h_sealed);
	p->headers = h[0];
	p->h_zstd = h[1];
	p->h_sealed = h[2];
	memcpy(p->origin, origin, LB_PK_BYTES);
	p->origin_set = true;
	return LB_OK;
}

lb_err lb_pusher_origin(struct lb_pusher *p, const uint8_t origin[LB_PK_BYTES], struct lb_diag *d)
{
	return set_origin_header(p, origin, NULL, d);
}

static lb_err check_prefix(const struct lb_src *n, uint64_t tip, uint64_t seq,
                           const uint8_t hash[LB_HASH_BYTES], struct lb_diag *d);

/* Where the aggregator stands for our origin; once that is found to be a
 * prefix of our log, the receipts of the aggregators above it go to
 * on_upstream. */
static lb_err ask_position(struct lb_pusher *p, const struct lb_src *n,
                           const struct lb_src_info *info, struct lb_push_stats *st,
                           uint8_t hash[LB_HASH_BYTES], struct lb_diag *d)
{
	char path[32 + 2 * LB_PK_BYTES];
	struct reply r;
	lb_err e;

	memcpy(path, "/v1/origins/", 12);
	lb_hex(path + 12, info->origin, LB_PK_BYTES);
	if ((e = request(p, path, NULL, NULL, &r, d)))
		return e;
	if (r.status != 200) {
		e = refusal(&r, "asking where the aggregator stands", d);
		if (e == LB_EUNKNOWN_ORIGIN) {
			char hex[2 * LB_PK_BYTES + 1];
			lb_hex(hex, info->origin, LB_PK_BYTES);
			lb_fail(d, e,
			        "the aggregator does not know this village's key; ask its operator to run: "
			        "lumbung-agg enroll -d DIR --village %s --key %s",
			        info->village, hex);
		}
		return e;
	}
	if (!r.has_seq || !r.has_hash)
		return lb_fail(d, LB_EREFUSED, "the aggregator's position lacks seq or hash");
	st->remote_seq = r.seq;
	st->reached = true;
	/* an aggregator that says nothing gets plain change sets */
	p->acc_zstd = r.acc_zstd;
	p->acc_sealed = r.acc_sealed;
	memcpy(hash, r.hash, LB_HASH_BYTES);
	if ((e = check_prefix(n, info->seq, r.seq, r.hash, d)))
		return e;
	for (size_t i = 0; i < r.nup && p->on_upstream; i++)
		if ((e = p->on_upstream(p->upstream_ctx, r.up[i].key, r.up[i].seq, r.up[i].receipt,
		                        r.up[i].len, d)))
			return e;
	return LB_OK;
}

struct build {
	struct lb_mp_buf *out;
	uint64_t to;
	uint8_t hash[LB_HASH_BYTES]; /* of entry `to` */
	lb_err err;
	struct lb_diag *d;
};

/* Entries go out as stored; only the last one is hashed (for checking the
 * aggregator's answer), the receiver re-derives every hash itself. */
static int add_entry(void *ctx, uint64_t seq, const uint8_t *raw, size_t len)
{
	struct build *b = ctx;

	if ((b->err = lb_wire_add_entry(b->out, raw, len, b->d)))
		return 1;
	if (seq == b->to)
		lb_hash(b->hash, raw, len);
	return 0;
}

lb_err lb_changeset_build(const struct lb_src *s, uint64_t from, size_t max_bytes,
                          struct lb_mp_buf *out, uint64_t *to, uint8_t *last_hash,
                          struct lb_diag *d)
{
	struct lb_src_info info;
	struct build b = {.out = out, .d = d};
	uint8_t *head = NULL;
	size_t head_len, span;
	bool over;
	lb_err e;

	lb_mp_buf_reset(out);
	if ((e = s->ops->info(s->ctx, &info, d)) ||
	    (e = s->ops->span(s->ctx, from, max_bytes, &b.to, &span, &over, d)) ||
	    (e = lb_wire_begin(out, (size_t)(b.to - from + 1), d)) ||
	    (e = s->ops->entries(s->ctx, from, b.to, add_entry, &b, d)))
		return e;
	if (b.err)
		return b.err;
	if ((e = s->ops->head(s->ctx, b.to, &head, &head_len, d)))
		return e;
	e = lb_wire_end(out, info.village, info.origin, head, head_len, d);
	free(head);
	*to = b.to;
	if (last_hash)
		memcpy(last_hash, b.hash, LB_HASH_BYTES);
	return e;
}

/* The change set of n's entries from `from` as it goes on the wire, in
 * the form the aggregator takes (envelope.h), at most about bound bytes
 * of wire: compressed, it is cut at up to LB_PUSH_CUT_FACTOR x bound of
 * stored bytes, then cut again at half its stored size while its wrapped
 * body is over bound (a change set that cannot be cut smaller goes as it
 * is).  *out and *headers: what to POST (p->body or p->wire). */
static lb_err build_wire(struct lb_pusher *p, const struct lb_src *n, uint64_t from, size_t bound,
                         uint64_t *to, uint8_t hash[LB_HASH_BYTES], const struct lb_mp_buf **out,
                         struct curl_slist **headers, struct lb_push_stats *st, struct lb_diag *d)
{
	bool compress = p->acc_zstd && !p->no_compress;
	const uint8_t *seal = p->have_key && p->acc_sealed && !p->no_seal ? p->key : NULL;
	size_t cut = bound;
	lb_err e;

	if (compress)
		cut = bound > LB_WIRE_MAX_BYTES / 2 / LB_PUSH_CUT_FACTOR ? LB_WIRE_MAX_BYTES / 2
		                                                         : bound * LB_PUSH_CUT_FACTOR;
	st->compressed = compress;
	st->sealed = seal != NULL;
	for (;;) {
		if ((e = lb_changeset_build(n, from, cut, &p->body, to, hash, d)))
			return e;
		if (!compress && !seal) {
			*out = &p->body;
			*headers = p->headers;
			return LB_OK;
		}
		if ((e = lb_env_wrap(p->body.sb.data, p->body.sb.size, compress, seal, &p->wire, d)))
			return e;
		*out = &p->wire;
		*headers = seal ? p->h_sealed : p->h_zstd;
		if (!compress || p->wire.sb.size <= bound || p->body.sb.size > cut || *to == from)
			return LB_OK;
		cut = p->body.sb.size / 2;
	}
}

lb_err lb_push_keep_receipt(struct lb_node *n, const uint8_t agg_key[LB_PK_BYTES], uint64_t seq,
                            const void *receipt, size_t len, struct lb_diag *d)
{
	struct lb_src s;

	lb_src_node(&s, n);
	return lb_src_keep_receipt(&s, agg_key, seq, receipt, len, d);
}

/* Check an acceptance against what we sent, then keep the receipt. */
static lb_err accept_reply(struct lb_pusher *p, const struct lb_src *n, const struct reply *r,
                           uint64_t to, const uint8_t hash[LB_HASH_BYTES],
                           struct lb_push_stats *st, struct lb_diag *d)
{
	lb_err e;

	if (!r->has_seq || !r->has_hash || r->seq != to || sodium_memcmp(r->hash, hash, LB_HASH_BYTES))
		return lb_fail(d, LB_EREFUSED,
		               "the aggregator acknowledged seq %llu with another hash or seq than "
		               "the change set ending at %llu",
		               (unsigned long long)r->seq, (unsigned long long)to);
	if (!p->have_key)
		return LB_OK;
	if (!r->receipt)
		return lb_fail(d, LB_EREFUSED,
		               "the aggregator says it holds seq %llu but its reply carries no receipt",
		               (unsigned long long)to);
	if ((e = lb_src_keep_receipt(n, p->key, to, r->receipt, r->receipt_len, d)))
		return e;
	st->receipts++;
	return LB_OK;
}

/* The aggregator says it holds our whole log.  Believe it only with its
 * signed receipt: when we keep none for that seq (it was reached by a USB
 * change set, another pusher, or the aggregator is lying), send the last
 * head's entry again; a true aggregator accepts the resend and signs. */
static lb_err confirm_tip(struct lb_pusher *p, const struct lb_src *n, struct lb_push_stats *st,
                          struct lb_diag *d)
{
	uint8_t hash[LB_HASH_BYTES];
	uint64_t last = 0, to;
	const struct lb_mp_buf *body;
	struct curl_slist *headers;
	struct reply r;
	lb_err e;

	if (!p->have_key || st->seq == 0)
		return LB_OK;
	if ((e = n->ops->receipt_last(n->ctx, p->key, &last, d)))
		return e;
	if (last >= st->seq)
		return LB_OK;
	if ((e = build_wire(p, n, st->seq, LB_PUSH_MIN_BYTES, &to, hash, &body, &headers, st, d)))
		return e;
	e = request(p, "/v1/changesets", body, headers, &r, d);
	if (p->log)
		fprintf(p->log, "confirm %llu (%zu bytes): %s\n", (unsigned long long)to,
		        body->sb.size, e ? lb_diag_msg(d, e) : r.status == 200 ? "accepted" : r.message);
	if (e)
		return e;
	st->changesets++;
	st->wire_bytes += body->sb.size;
	st->plain_bytes += p->body.sb.size;
	if (r.status != 200)
		return refusal(&r, "asking for the receipt of what the aggregator holds", d);
	return accept_reply(p, n, &r, to, hash, st, d);
}

lb_err lb_push_run(struct lb_pusher *p, const struct lb_src *n, struct lb_push_stats *st,
                   struct lb_diag *d)
{
	struct lb_src_info info;
	uint8_t rhash[LB_HASH_BYTES], hash[LB_HASH_BYTES];
	uint64_t from;
	int gaps = 0;
	lb_err e;

	memset(st, 0, sizeof *st);
	if ((e = n->ops->info(n->ctx, &info, d)) ||
	    (e = set_origin_header(p, info.origin, info.name, d)))
		return e;
	if ((e = ask_position(p, n, &info, st, rhash, d))) {
		if (e == LB_ENET)
			shrink(p);
		return e;
	}
	st->seq = st->remote_seq;
	for (from = st->remote_seq + 1;;) {
		uint64_t to;
		size_t span;
		bool over;
		struct reply r;
		const struct lb_mp_buf *body;
		struct curl_slist *headers;

		/* entries written while we push go out in this pass too */
		if ((e = n->ops->info(n->ctx, &info, d)))
			return e;
		if (p->on_progress)
			p->on_progress(p->progress_ctx, st->seq > st->remote_seq ? st->seq - st->remote_seq : 0,
			               info.seq > st->remote_seq ? info.seq - st->remote_seq : 0);
		if (from > info.seq)
			return confirm_tip(p, n, st, d);
		if ((e = build_wire(p, n, from, p->bytes, &to, hash, &body, &headers, st, d)))
			return e;
		span = body->sb.size; /* the bound is on the bytes on the wire */
		over = span > p->bytes;
		e = request(p, "/v1/changesets", body, headers, &r, d);
		if (p->log)
			fprintf(p->log, "push %llu..%llu (%llu entries, %zu bytes%s): %s\n",
			        (unsigned long long)from, (unsigned long long)to,
			        (unsigned long long)(to - from + 1), span,
			        st->sealed ? ", sealed" : st->compressed ? ", zstd" : "",
			        e ? lb_diag_msg(d, e) : r.status == 200 ? "accepted" : r.message);
		if (e) {
			if (e == LB_ENET)
				shrink(p);
			return e;
		}
		st->changesets++;
		st->wire_bytes += span;
		st->plain_bytes += p->body.sb.size;
		if (r.status == 200) {
			if ((e = accept_reply(p, n, &r, to, hash, st, d)))
				return e;
			st->entries += to - from + 1;
			st->accepted += r.accepted;
			st->seq = to;
			from = to + 1;
			gaps = 0;
			grow(p);
			continue;
		}
		if (r.code == LB_EGAP && r.has_seq && r.has_hash && ++gaps <= MAX_GAP_ROUNDS) {
			/* someone else (another sync, a USB bundle) moved it: resume there */
			if ((e = check_prefix(n, info.seq, r.seq, r.hash, d)))
				return e;
			st->seq = r.seq;
			from = r.seq + 1;
			continue;
		}
		if (r.code == LB_ETOOBIG && !over && p->bytes > LB_PUSH_MIN_BYTES) {
			p->max_bytes = span / 2 > LB_PUSH_MIN_BYTES ? span / 2 : LB_PUSH_MIN_BYTES;
			shrink(p);
			continue;
		}
		return refusal(&r, "sending change set", d);
	}
}
