/*
 * fetch.c — the log fetcher (fetch.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "fetch.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "../node/archive.h"
#include "../node/datang.h"
#include "../node/entry.h"
#include "../schema/text.h"
#include "logproof.h"
#include "push.h"

#define SMALL_MAX 8192 /* a challenge or an error answer */

struct sink {
	CURL *curl;
	FILE *out;        /* the archive, when the answer is a 200 */
	char small[SMALL_MAX + 1];
	size_t small_len;
	bool to_file;     /* decided at the first byte */
	bool decided;
	int errnum;       /* a failed write to out */
	bool too_big;
	uint64_t limit;   /* most bytes written to out (0: no limit) */
	uint64_t written;
	char errbuf[CURL_ERROR_SIZE]; /* curl's words, kept as long as the handle */
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ctx)
{
	struct sink *s = ctx;
	size_t n = size * nmemb;

	if (!s->decided) {
		long status = 0;
		curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
		s->to_file = s->out && status == 200;
		s->decided = true;
	}
	if (s->to_file) {
		if (s->limit && (s->written += n) > s->limit) {
			s->too_big = true;
			return 0;
		}
		if (fwrite(ptr, 1, n, s->out) != n) {
			s->errnum = errno ? errno : EIO;
			return 0;
		}
		return n;
	}
	if (s->small_len + n > SMALL_MAX) {
		s->too_big = true;
		return 0;
	}
	memcpy(s->small + s->small_len, ptr, n);
	s->small_len += n;
	s->small[s->small_len] = '\0';
	return n;
}

/* One GET of base+path with headers; *status.  LB_ENET when the exchange
 * did not complete, LB_EIO/LB_EFULL when out could not be written. */
static lb_err get(CURL *c, const char *base, const char *path, struct curl_slist *h,
                  struct sink *s, long *status, struct lb_diag *d)
{
	char url[1024], *errbuf = s->errbuf;
	CURLcode cc;

	snprintf(url, sizeof url, "%s%s", base, path);
	s->small_len = 0;
	s->small[0] = '\0';
	s->decided = s->to_file = s->too_big = false;
	s->errnum = 0;
	s->written = 0;
	errbuf[0] = '\0';
	lb_push_curl_setup(c, errbuf, 0, 0, 0);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
	*status = 0;
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	if (s->errnum)
		return lb_fail(d, s->errnum == ENOSPC ? LB_EFULL : LB_EIO, "writing the archive: %s",
		               s->errnum == ENOSPC ? "disk full" : strerror(s->errnum));
	if (s->too_big)
		return lb_fail(d, LB_EREFUSED, "%s: an answer larger than %llu bytes", base,
		               (unsigned long long)(s->to_file ? s->limit : SMALL_MAX));
	if (cc != CURLE_OK)
		return lb_fail(d, LB_ENET, "%s: %s", base, errbuf[0] ? errbuf : curl_easy_strerror(cc));
	return LB_OK;
}

/* A refusal's {"error", "message"} as our error. */
static lb_err refusal(long status, const struct sink *s, const char *base, struct lb_diag *d)
{
	json_t *j = json_loadb(s->small, s->small_len, 0, NULL);
	const char *msg = j ? json_string_value(json_object_get(j, "message")) : NULL;
	char esc[4 * LB_DIAG_MAX];
	lb_err e;

	switch (status) {
	case 401: e = LB_EAUTH; break;
	case 403: e = LB_EFORBIDDEN; break;
	case 404: e = LB_ENOTFOUND; break;
	default: e = LB_EREFUSED; break;
	}
	if (msg)
		lb_escape_buf(esc, sizeof esc, msg, strlen(msg));
	else
		lb_escape_buf(esc, sizeof esc, s->small, s->small_len);
	lb_fail(d, e, "%s answered %ld: %s", base, status, esc);
	json_decref(j);
	return e;
}

/* The challenge answer: challenge bytes and the aggregator's key. */
static lb_err read_challenge(const struct sink *s, const char *base, uint8_t ch[LB_CHALLENGE_MAX],
                             size_t *len, uint8_t agg[LB_PK_BYTES], struct lb_diag *d)
{
	json_t *j = json_loadb(s->small, s->small_len, 0, NULL);
	const char *c = j ? json_string_value(json_object_get(j, "challenge")) : NULL;
	const char *k = j ? json_string_value(json_object_get(j, "aggregator")) : NULL;
	size_t n = c ? strlen(c) : 0;
	lb_err e = LB_OK;

	if (!c || !n || n % 2 || n > 2 * LB_CHALLENGE_MAX || lb_unhex(ch, n / 2, c) || !k ||
	    strlen(k) != 2 * LB_PK_BYTES || lb_unhex(agg, LB_PK_BYTES, k))
		e = lb_fail(d, LB_EREFUSED, "%s: the challenge answer is not {\"challenge\": hex, "
		            "\"aggregator\": key hex}", base);
	*len = n / 2;
	json_decref(j);
	return e;
}

lb_err lb_fetch_proved(const char *url, const char *village, const char *path,
                       const struct lb_key *key, const char *token, const uint8_t *agg_pk,
                       FILE *out, uint64_t limit, uint8_t *served_by, struct lb_diag *d)
{
	struct sink *s = NULL;
	struct curl_slist *h = NULL;
	char *base = NULL, line[LB_PROOF_TEXT_MAX + 64];
	uint8_t ch[LB_CHALLENGE_MAX], agg[LB_PK_BYTES];
	size_t clen, ulen;
	long status;
	CURL *c = NULL;
	lb_err e;

	if (!url || (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)))
		return lb_fail(d, LB_EINVAL, "not an http:// or https:// URL");
	if (!village || strlen(village) != LB_VILLAGE_LEN ||
	    lb_region_level(village) != LB_REGION_DESA)
		return lb_fail(d, LB_EINVAL, "not a desa code (PP.KK.CC.DDDD)");
	if (!path || path[0] != '/')
		return lb_fail(d, LB_EINVAL, "the path must start with /");
	if (!key && !token)
		return lb_fail(d, LB_EINVAL, "reading a village's log needs its key or an office token");
	if (token && (strchr(token, '\r') || strchr(token, '\n')))
		return lb_fail(d, LB_EINVAL, "the token holds a line break");
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return lb_fail(d, LB_ENOMEM, "libcurl failed to initialise");
	ulen = strlen(url);
	while (ulen && url[ulen - 1] == '/')
		ulen--;
	if (!(base = strndup(url, ulen)) || !(s = calloc(1, sizeof *s)) || !(c = curl_easy_init())) {
		e = lb_fail(d, LB_ENOMEM, "out of memory");
		goto out;
	}
	s->curl = c;
	if (key) {
		if ((e = get(c, base, "/v1/challenge", NULL, s, &status, d)))
			goto out;
		if (status != 200) {
			e = refusal(status, s, base, d);
			goto out;
		}
		if ((e = read_challenge(s, base, ch, &clen, agg, d)))
			goto out;
		if (agg_pk && sodium_memcmp(agg, agg_pk, LB_PK_BYTES)) {
			char got[2 * LB_PK_BYTES + 1], want[2 * LB_PK_BYTES + 1];
			lb_hex(got, agg, LB_PK_BYTES);
			lb_hex(want, agg_pk, LB_PK_BYTES);
			e = lb_fail(d, LB_EREFUSED, "%s is the aggregator with key %s, not %s: nothing "
			            "was asked of it", base, got, want);
			goto out;
		}
		if (served_by)
			memcpy(served_by, agg, LB_PK_BYTES);
		memcpy(line, LB_PROOF_HEADER ": ", sizeof LB_PROOF_HEADER + 1);
		if ((e = lb_proof_make(key, agg, village, ch, clen, line + sizeof LB_PROOF_HEADER + 1,
		                       d)))
			goto out;
	} else {
		snprintf(line, sizeof line, "Authorization: Bearer %s", token);
	}
	if (!(h = curl_slist_append(NULL, line))) {
		e = lb_fail(d, LB_ENOMEM, "out of memory");
		goto out;
	}
	s->out = out;
	s->limit = limit;
	if ((e = get(c, base, path, h, s, &status, d)))
		goto out;
	if (status != 200) {
		e = refusal(status, s, base, d);
		goto out;
	}
	if (fflush(out))
		e = lb_fail(d, errno == ENOSPC ? LB_EFULL : LB_EIO, "writing the archive: %s",
		            errno == ENOSPC ? "disk full" : strerror(errno));
out:
	sodium_memzero(line, sizeof line);
	curl_slist_free_all(h);
	if (c)
		curl_easy_cleanup(c);
	free(s);
	free(base);
	return e;
}

lb_err lb_fetch_log_from(const char *url, const char *village, uint64_t from,
                         const struct lb_key *key, const char *token, const uint8_t *agg_pk,
                         FILE *out, uint8_t *served_by, struct lb_diag *d)
{
	char path[128];

	if (!village || strlen(village) != LB_VILLAGE_LEN)
		return lb_fail(d, LB_EINVAL, "not a desa code (PP.KK.CC.DDDD)");
	snprintf(path, sizeof path, "/v1/villages/%s/log?from=%llu", village,
	         (unsigned long long)(from ? from : 1));
	return lb_fetch_proved(url, village, path, key, token, agg_pk, out, 0, served_by, d);
}

lb_err lb_fetch_log(const char *url, const char *village, uint64_t from, const struct lb_key *key,
                    const char *token, FILE *out, struct lb_diag *d)
{
	return lb_fetch_log_from(url, village, from, key, token, NULL, out, NULL, d);
}

/* One offer of the JSON answer into o (entry malloc'd). */
static lb_err read_offer(json_t *j, size_t i, struct lb_datang_offer *o, struct lb_diag *d)
{
	const char *nik = json_string_value(json_object_get(j, "nik"));
	const char *from = json_string_value(json_object_get(j, "from"));
	const char *hash = json_string_value(json_object_get(j, "hash"));
	const char *entry = json_string_value(json_object_get(j, "entry"));
	json_t *seq = json_object_get(j, "seq");
	size_t elen = entry ? strlen(entry) : 0;

	if (!json_is_object(j) || !nik || strlen(nik) != LB_NIK_DIGITS || !from ||
	    strlen(from) != LB_VILLAGE_LEN || !json_is_integer(seq) || json_integer_value(seq) < 1 ||
	    !hash || strlen(hash) != 2 * LB_HASH_BYTES || lb_unhex(o->hash, LB_HASH_BYTES, hash) ||
	    !elen || elen % 2 || elen / 2 > LB_LLA_FRAME_MAX)
		return lb_fail(d, LB_EMALFORMED, "offer %zu is not {\"nik\", \"from\", \"seq\", "
		               "\"hash\", \"entry\"} of the right forms", i + 1);
	memcpy(o->nik, nik, LB_NIK_DIGITS + 1);
	memcpy(o->from, from, LB_VILLAGE_LEN + 1);
	o->seq = (uint64_t)json_integer_value(seq);
	if (!(o->entry = malloc(elen / 2)))
		return lb_fail(d, LB_ENOMEM, "out of memory");
	o->entry_len = elen / 2;
	if (lb_unhex(o->entry, o->entry_len, entry))
		return lb_fail(d, LB_EMALFORMED, "offer %zu: the entry is not hex", i + 1);
	return LB_OK;
}

lb_err lb_fetch_datang(const char *url, const char *village, const struct lb_key *key,
                       const char *token, const uint8_t *agg_pk, struct lb_datang_offer **offers,
                       size_t *count, struct lb_diag *d)
{
	char path[128], *buf = NULL;
	size_t len = 0, n = 0;
	struct lb_datang_offer *o = NULL;
	json_t *j = NULL, *list;
	FILE *mem;
	lb_err e;

	*offers = NULL;
	*count = 0;
	if (!village || strlen(village) != LB_VILLAGE_LEN)
		return lb_fail(d, LB_EINVAL, "not a desa code (PP.KK.CC.DDDD)");
	if (!(mem = open_memstream(&buf, &len)))
		return lb_fail(d, LB_ENOMEM, "out of memory");
	snprintf(path, sizeof path, "/v1/villages/%s/datang", village);
	e = lb_fetch_proved(url, village, path, key, token, agg_pk, mem, LB_FETCH_DATANG_MAX, NULL,
	                    d);
	fclose(mem);
	if (e)
		goto out;
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
	list = json_object_get(j, "offers");
	if (!json_is_array(list)) {
		e = lb_fail(d, LB_EMALFORMED, "%s: the datang answer is not {\"offers\": [...]}", url);
		goto out;
	}
	n = json_array_size(list);
	if (n && !(o = calloc(n, sizeof *o))) {
		e = lb_fail(d, LB_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n && !e; i++)
		e = read_offer(json_array_get(list, i), i, &o[i], d);
	if (e) {
		lb_datang_offers_free(o, n);
		goto out;
	}
	*offers = o;
	*count = n;
out:
	json_decref(j);
	free(buf);
	return e;
}
