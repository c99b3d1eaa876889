/*
 * catfetch.c — GET of the catalogue list and of one catalogue's log
 * (catfetch.h), over libcurl with the options every request of ours has.
 */
#define _POSIX_C_SOURCE 200809L
#include "catfetch.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "../node/entry.h"
#include "../node/remote.h"
#include "push.h"

#define LIST_MAX (1u << 20) /* bytes of a catalogue list */
#define ERR_MAX 8192        /* bytes of a refusal kept */

struct sink {
	CURL *curl;
	FILE *out;        /* the archive, when the answer is a 200 (else: small) */
	char *small;
	size_t small_len, small_max;
	bool decided, to_file, too_big;
	int errnum;
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
		if (fwrite(ptr, 1, n, s->out) != n) {
			s->errnum = errno ? errno : EIO;
			return 0;
		}
		return n;
	}
	if (s->small_len + n > s->small_max) {
		s->too_big = true;
		return 0;
	}
	memcpy(s->small + s->small_len, ptr, n);
	s->small_len += n;
	s->small[s->small_len] = '\0';
	return n;
}

/* GET base+path into s (or POST body when body is not NULL).  The
 * answer's refusal as our error: on a POST, the error its JSON names. */
static lb_err request(const char *base, const char *path, const void *body, size_t len,
                      struct sink *s, struct lb_diag *d)
{
	struct curl_slist *hdr = NULL;
	char url[LB_REMOTE_URL_MAX + 128], errbuf[CURL_ERROR_SIZE] = "";
	long status = 0;
	size_t bl;
	CURLcode cc;
	lb_err e = LB_OK;

	if (!base || (strncmp(base, "http://", 7) && strncmp(base, "https://", 8)) ||
	    (bl = strlen(base)) > LB_REMOTE_URL_MAX)
		return lb_fail(d, LB_EINVAL, "the aggregator's URL must start with http:// or https:// "
		               "(at most %d bytes)", LB_REMOTE_URL_MAX);
	if (base[bl - 1] == '/')
		bl--;
	snprintf(url, sizeof url, "%.*s%s", (int)bl, base, path);
	if (!(s->curl = curl_easy_init()))
		return lb_fail(d, LB_ENOMEM, "out of memory");
	lb_push_curl_setup(s->curl, errbuf, 0, 0, 0);
	curl_easy_setopt(s->curl, CURLOPT_URL, url);
	if (body) {
		if (!(hdr = curl_slist_append(NULL, "Content-Type: application/x-lumbung-lla"))) {
			curl_easy_cleanup(s->curl);
			return lb_fail(d, LB_ENOMEM, "out of memory");
		}
		curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(s->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	} else
		curl_easy_setopt(s->curl, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, s);
	cc = curl_easy_perform(s->curl);
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
	if (s->errnum)
		e = lb_fail(d, s->errnum == ENOSPC ? LB_EFULL : LB_EIO, "writing the catalogue: %s",
		            strerror(s->errnum));
	else if (s->too_big)
		e = lb_fail(d, LB_EREFUSED, "%s: an answer larger than %zu bytes", base, s->small_max);
	else if (cc != CURLE_OK)
		e = lb_fail(d, LB_ENET, "%s: %s", base, errbuf[0] ? errbuf : curl_easy_strerror(cc));
	else if (status != 200) {
		json_t *j = json_loadb(s->small, s->small_len, 0, NULL);
		const char *msg = j ? json_string_value(json_object_get(j, "message")) : NULL;
		char esc[4 * LB_DIAG_MAX];
		const char *name = j ? json_string_value(json_object_get(j, "error")) : NULL;
		e = status == 404 ? LB_ENOTFOUND : LB_EREFUSED;
		if (body && name && status >= 400 && status < 500) {
			lb_err named = lb_err_from_name(name, strlen(name));
			if (named != LB__ECOUNT && named != LB_OK && named != LB_ENET)
				e = named;
		}
		if (msg)
			lb_escape_buf(esc, sizeof esc, msg, strlen(msg));
		else
			lb_escape_buf(esc, sizeof esc, s->small, s->small_len);
		lb_fail(d, e, "%s answered %ld: %s", base, status, esc);
		json_decref(j);
	}
	curl_easy_cleanup(s->curl);
	curl_slist_free_all(hdr);
	s->curl = NULL;
	return e;
}

static lb_err get(const char *base, const char *path, struct sink *s, struct lb_diag *d)
{
	return request(base, path, NULL, 0, s, d);
}

lb_err lb_catalogues_list(const char *url, struct lb_catalogue_ref **out, size_t *n,
                          struct lb_diag *d)
{
	struct sink s = {.small_max = LIST_MAX};
	json_t *j = NULL, *arr;
	struct lb_catalogue_ref *r = NULL;
	size_t i, cnt;
	lb_err e;

	*out = NULL;
	*n = 0;
	if (!(s.small = malloc(LIST_MAX + 1)))
		return lb_fail(d, LB_ENOMEM, "out of memory");
	s.small[0] = '\0';
	if ((e = get(url, "/v1/catalogues", &s, d)))
		goto out;
	j = json_loadb(s.small, s.small_len, 0, NULL);
	arr = j ? json_object_get(j, "catalogues") : NULL;
	if (!json_is_array(arr)) {
		e = lb_fail(d, LB_EREFUSED, "%s: the catalogue list is not {\"catalogues\": [...]}", url);
		goto out;
	}
	cnt = json_array_size(arr);
	if (cnt && !(r = calloc(cnt, sizeof *r))) {
		e = lb_fail(d, LB_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < cnt; i++) {
		json_t *c = json_array_get(arr, i);
		const char *reg = json_string_value(json_object_get(c, "region"));
		const char *key = json_string_value(json_object_get(c, "key"));
		json_t *seq = json_object_get(c, "seq");
		if (!reg || strlen(reg) > LB_VILLAGE_LEN || !lb_log_owner_ok(reg) || !key ||
		    strlen(key) != 2 * LB_PK_BYTES || lb_unhex(r[i].key, LB_PK_BYTES, key) ||
		    !json_is_integer(seq) || json_integer_value(seq) < 0) {
			e = lb_fail(d, LB_EREFUSED, "%s: catalogue %zu of the list is not {\"region\": "
			            "code, \"key\": 64 hex, \"seq\": n}", url, i + 1);
			goto out;
		}
		strcpy(r[i].region, reg);
		r[i].seq = (uint64_t)json_integer_value(seq);
	}
	*out = r;
	*n = cnt;
	r = NULL;
out:
	free(r);
	json_decref(j);
	free(s.small);
	return e;
}

lb_err lb_catalogue_fetch(const char *url, const char *region, uint64_t from, FILE *out,
                          struct lb_diag *d)
{
	char small[ERR_MAX + 1] = "", path[96];
	struct sink s = {.out = out, .small = small, .small_max = ERR_MAX};
	char esc[LB_ESC_BUF];

	if (!region || strlen(region) > LB_VILLAGE_LEN || !lb_log_owner_ok(region))
		return lb_fail(d, LB_EINVAL, "\"%s\" is not a region code",
		               lb_escape(esc, region ? region : "", region ? strlen(region) : 0));
	if (from < 1)
		from = 1;
	snprintf(path, sizeof path, "/v1/catalogues/%s/log?from=%llu", region,
	         (unsigned long long)from);
	return get(url, path, &s, d);
}

static lb_err region_arg(const char *region, struct lb_diag *d)
{
	char esc[LB_ESC_BUF];

	if (!region || strlen(region) > LB_VILLAGE_LEN || !lb_log_owner_ok(region))
		return lb_fail(d, LB_EINVAL, "\"%s\" is not a region code",
		               lb_escape(esc, region ? region : "", region ? strlen(region) : 0));
	return LB_OK;
}

lb_err lb_catalogue_held(const char *url, const char *region, struct lb_catalogue_ref *out,
                         struct lb_diag *d)
{
	char small[ERR_MAX + 1] = "", path[96];
	struct sink s = {.small = small, .small_max = ERR_MAX};
	const char *reg, *key;
	json_t *j, *seq;
	lb_err e;

	memset(out, 0, sizeof *out);
	if ((e = region_arg(region, d)))
		return e;
	snprintf(path, sizeof path, "/v1/catalogues/%s", region);
	if ((e = get(url, path, &s, d)))
		return e;
	j = json_loadb(s.small, s.small_len, 0, NULL);
	reg = j ? json_string_value(json_object_get(j, "region")) : NULL;
	key = j ? json_string_value(json_object_get(j, "key")) : NULL;
	seq = j ? json_object_get(j, "seq") : NULL;
	if (!reg || strcmp(reg, region) || !key || strlen(key) != 2 * LB_PK_BYTES ||
	    lb_unhex(out->key, LB_PK_BYTES, key) || !json_is_integer(seq) ||
	    json_integer_value(seq) < 0)
		e = lb_fail(d, LB_EREFUSED, "%s: the catalogue of %s is not described as "
		            "{\"region\": \"%s\", \"key\": 64 hex, \"seq\": n}", url, region, region);
	else {
		strcpy(out->region, region);
		out->seq = (uint64_t)json_integer_value(seq);
	}
	json_decref(j);
	return e;
}

lb_err lb_catalogue_post(const char *url, const char *region, const void *body, size_t len,
                         struct lb_diag *d)
{
	char small[ERR_MAX + 1] = "", path[96];
	struct sink s = {.small = small, .small_max = ERR_MAX};
	lb_err e;

	if ((e = region_arg(region, d)))
		return e;
	snprintf(path, sizeof path, "/v1/catalogues/%s/log", region);
	return request(url, path, body ? body : "", len, &s, d);
}
