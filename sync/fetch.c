/*
 * fetch.c — the log fetcher (fetch.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "fetch.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "../node/archive.h"
#include "../node/datang.h"
#include "../node/entry.h"
#include "../schema/text.h"
#include "httpc.h"
#include "logproof.h"

#define SMALL_MAX LB_HTTPC_SMALL_MAX /* a challenge answer */

/* The challenge answer: challenge bytes and the aggregator's key. */
static lb_err read_challenge(const struct lb_httpc_answer *s, const char *base,
                             uint8_t ch[LB_CHALLENGE_MAX], size_t *len, uint8_t agg[LB_PK_BYTES],
                             struct lb_diag *d)
{
	json_t *j = json_loadb(s->buf, s->len, 0, NULL);
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

lb_err lb_fetch_proved(const char *url, const char *cacert, const char *village, const char *path,
                       const struct lb_key *key, const char *token, const uint8_t *agg_pk,
                       FILE *out, uint64_t limit, uint8_t *served_by, struct lb_diag *d)
{
	char small[SMALL_MAX + 1], *base = NULL, line[LB_PROOF_TEXT_MAX + 64];
	struct lb_httpc_answer ca = {.buf = small, .cap = SMALL_MAX}, la = {.out = out, .limit = limit};
	uint8_t ch[LB_CHALLENGE_MAX], agg[LB_PK_BYTES];
	size_t clen, ulen;
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
	ulen = strlen(url);
	while (ulen && url[ulen - 1] == '/')
		ulen--;
	if (!(base = strndup(url, ulen)))
		return lb_fail(d, LB_ENOMEM, "out of memory");
	if (key) {
		if ((e = lb_httpc_request(base, cacert, "/v1/challenge", NULL, NULL, 0, NULL, &ca,
		                          d)) ||
		    (e = read_challenge(&ca, base, ch, &clen, agg, d)))
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
	e = lb_httpc_request(base, cacert, path, line, NULL, 0, NULL, &la, d);
out:
	sodium_memzero(line, sizeof line);
	free(base);
	return e;
}

lb_err lb_fetch_log_from(const char *url, const char *cacert, const char *village, uint64_t from,
                         const struct lb_key *key, const char *token, const uint8_t *agg_pk,
                         FILE *out, uint8_t *served_by, struct lb_diag *d)
{
	char path[128];

	if (!village || strlen(village) != LB_VILLAGE_LEN)
		return lb_fail(d, LB_EINVAL, "not a desa code (PP.KK.CC.DDDD)");
	snprintf(path, sizeof path, "/v1/villages/%s/log?from=%llu", village,
	         (unsigned long long)(from ? from : 1));
	return lb_fetch_proved(url, cacert, village, path, key, token, agg_pk, out, 0, served_by, d);
}

lb_err lb_fetch_log(const char *url, const char *cacert, const char *village, uint64_t from,
                    const struct lb_key *key, const char *token, FILE *out, struct lb_diag *d)
{
	return lb_fetch_log_from(url, cacert, village, from, key, token, NULL, out, NULL, d);
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

lb_err lb_fetch_datang(const char *url, const char *cacert, const char *village,
                       const struct lb_key *key, const char *token, const uint8_t *agg_pk,
                       struct lb_datang_offer **offers, size_t *count, struct lb_diag *d)
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
	e = lb_fetch_proved(url, cacert, village, path, key, token, agg_pk, mem, LB_FETCH_DATANG_MAX,
	                    NULL, d);
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
