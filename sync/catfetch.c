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

#include <jansson.h>

#include "../node/entry.h"
#include "../node/remote.h"
#include "httpc.h"

#define LIST_MAX (1u << 20) /* bytes of a catalogue list */
#define ERR_MAX 8192        /* bytes of a refusal kept */

lb_err lb_catalogues_list(const char *url, const char *cacert, struct lb_catalogue_ref **out,
                          size_t *n, struct lb_diag *d)
{
	struct lb_httpc_answer s = {.cap = LIST_MAX};
	json_t *j = NULL, *arr;
	struct lb_catalogue_ref *r = NULL;
	size_t i, cnt;
	lb_err e;

	*out = NULL;
	*n = 0;
	if (!(s.buf = malloc(LIST_MAX + 1)))
		return lb_fail(d, LB_ENOMEM, "out of memory");
	if ((e = lb_httpc_request(url, cacert, "/v1/catalogues", NULL, NULL, 0, NULL, &s, d)))
		goto out;
	j = json_loadb(s.buf, s.len, 0, NULL);
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
	free(s.buf);
	return e;
}

lb_err lb_catalogue_fetch(const char *url, const char *cacert, const char *region, uint64_t from,
                          FILE *out, struct lb_diag *d)
{
	char path[96];
	struct lb_httpc_answer s = {.out = out};
	char esc[LB_ESC_BUF];

	if (!region || strlen(region) > LB_VILLAGE_LEN || !lb_log_owner_ok(region))
		return lb_fail(d, LB_EINVAL, "\"%s\" is not a region code",
		               lb_escape(esc, region ? region : "", region ? strlen(region) : 0));
	if (from < 1)
		from = 1;
	snprintf(path, sizeof path, "/v1/catalogues/%s/log?from=%llu", region,
	         (unsigned long long)from);
	return lb_httpc_request(url, cacert, path, NULL, NULL, 0, NULL, &s, d);
}

static lb_err region_arg(const char *region, struct lb_diag *d)
{
	char esc[LB_ESC_BUF];

	if (!region || strlen(region) > LB_VILLAGE_LEN || !lb_log_owner_ok(region))
		return lb_fail(d, LB_EINVAL, "\"%s\" is not a region code",
		               lb_escape(esc, region ? region : "", region ? strlen(region) : 0));
	return LB_OK;
}

lb_err lb_catalogue_held(const char *url, const char *cacert, const char *region,
                         struct lb_catalogue_ref *out, struct lb_diag *d)
{
	char small[ERR_MAX + 1] = "", path[96];
	struct lb_httpc_answer s = {.buf = small, .cap = ERR_MAX};
	const char *reg, *key;
	json_t *j, *seq;
	lb_err e;

	memset(out, 0, sizeof *out);
	if ((e = region_arg(region, d)))
		return e;
	snprintf(path, sizeof path, "/v1/catalogues/%s", region);
	if ((e = lb_httpc_request(url, cacert, path, NULL, NULL, 0, NULL, &s, d)))
		return e;
	j = json_loadb(s.buf, s.len, 0, NULL);
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

lb_err lb_catalogue_post(const char *url, const char *cacert, const char *region, const void *body,
                         size_t len, struct lb_diag *d)
{
	char path[96];
	struct lb_httpc_answer s = {0};
	lb_err e;

	if ((e = region_arg(region, d)))
		return e;
	snprintf(path, sizeof path, "/v1/catalogues/%s/log", region);
	return lb_httpc_request(url, cacert, path, NULL, body ? body : "", len,
	                        "application/x-lumbung-lla", &s, d);
}
