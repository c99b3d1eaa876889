/*
 * httpc.c — GET/POST with a streamed or bounded answer (httpc.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "httpc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "../node/remote.h"
#include "push.h"
#include "../schema/i18n.h"

struct sink {
	CURL *curl;
	struct lb_httpc_answer *a;
	char *buf;
	size_t cap;
	bool decided, to_file, too_big;
	uint64_t written;
	int errnum;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ctx)
{
	struct sink *s = ctx;
	size_t n = size * nmemb;

	if (!s->decided) {
		long status = 0;
		curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
		s->to_file = s->a->out && status == 200;
		s->decided = true;
	}
	if (s->to_file) {
		if (s->a->limit && (s->written += n) > s->a->limit) {
			s->too_big = true;
			return 0;
		}
		if (fwrite(ptr, 1, n, s->a->out) != n) {
			s->errnum = errno ? errno : EIO;
			return 0;
		}
		return n;
	}
	if (s->a->len + n > s->cap) {
		s->too_big = true;
		return 0;
	}
	memcpy(s->buf + s->a->len, ptr, n);
	s->a->len += n;
	s->buf[s->a->len] = '\0';
	return n;
}

/* A refusal as our error, naming base and the message of its JSON
 * {"error", "message"} (escaped): 401 LB_EAUTH, 403 LB_EFORBIDDEN, 404
 * LB_ENOTFOUND, else LB_EREFUSED; with named (a POST), a 4xx's own error. */
static lb_err refusal(long status, const char *buf, size_t len, const char *base, bool named,
                      struct lb_diag *d)
{
	json_t *j = json_loadb(buf, len, 0, NULL);
	const char *msg = j ? json_string_value(json_object_get(j, "message")) : NULL;
	const char *name = j ? json_string_value(json_object_get(j, "error")) : NULL;
	char esc[4 * LB_DIAG_MAX];
	lb_err e;

	switch (status) {
	case 401: e = LB_EAUTH; break;
	case 403: e = LB_EFORBIDDEN; break;
	case 404: e = LB_ENOTFOUND; break;
	default: e = LB_EREFUSED; break;
	}
	if (named && name && status >= 400 && status < 500) {
		lb_err n = lb_err_from_name(name, strlen(name));
		if (n != LB__ECOUNT && n != LB_OK && n != LB_ENET)
			e = n;
	}
	if (msg)
		lb_escape_buf(esc, sizeof esc, msg, strlen(msg));
	else
		lb_escape_buf(esc, sizeof esc, buf, len);
	lb_fail(d, e, "%s answered %ld: %s", base, status, esc);
	json_decref(j);
	return e;
}

lb_err lb_httpc_request(const char *base, const char *cacert, const char *path,
                        const char *header, const void *body, size_t len, const char *body_type,
                        struct lb_httpc_answer *a, struct lb_diag *d)
{
	char own[LB_HTTPC_SMALL_MAX + 1], url[LB_REMOTE_URL_MAX + 256], ctype[128];
	char errbuf[CURL_ERROR_SIZE] = "";
	struct sink s = {.a = a, .buf = a->buf ? a->buf : own, .cap = a->buf ? a->cap : sizeof own - 1};
	struct curl_slist *h = NULL, *h2;
	size_t bl;
	CURLcode cc;
	lb_err e = LB_OK;

	a->len = 0;
	a->status = 0;
	s.buf[0] = '\0';
	if (!base || (strncmp(base, "http://", 7) && strncmp(base, "https://", 8)) ||
	    (bl = strlen(base)) > LB_REMOTE_URL_MAX)
		return lb_fail(d, LB_EINVAL, "the aggregator's URL must start with http:// or https:// "
		               "(at most %d bytes)", LB_REMOTE_URL_MAX);
	while (bl && base[bl - 1] == '/')
		bl--;
	snprintf(url, sizeof url, "%.*s%s", (int)bl, base, path);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) || !(s.curl = curl_easy_init()))
		return lb_fail(d, LB_ENOMEM, "libcurl failed to initialise");
	if (header && !(h = curl_slist_append(h, header)))
		e = lb_fail(d, LB_ENOMEM, "out of memory");
	if (!e && body) {
		snprintf(ctype, sizeof ctype, "Content-Type: %s", body_type);
		if (!(h2 = curl_slist_append(h, ctype)))
			e = lb_fail(d, LB_ENOMEM, "out of memory");
		else
			h = h2;
	}
	if (e)
		goto out;
	lb_push_curl_setup(s.curl, errbuf, 0, 0, 0, cacert);
	curl_easy_setopt(s.curl, CURLOPT_URL, url);
	if (h)
		curl_easy_setopt(s.curl, CURLOPT_HTTPHEADER, h);
	if (body) {
		curl_easy_setopt(s.curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(s.curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	} else {
		curl_easy_setopt(s.curl, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(s.curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(s.curl, CURLOPT_WRITEDATA, &s);
	cc = curl_easy_perform(s.curl);
	curl_easy_getinfo(s.curl, CURLINFO_RESPONSE_CODE, &a->status);
	if (s.errnum)
		e = lb_fail(d, s.errnum == ENOSPC ? LB_EFULL : LB_EIO, "writing the answer: %s",
		            s.errnum == ENOSPC ? _("disk full") : strerror(s.errnum));
	else if (s.too_big)
		e = lb_fail(d, LB_EREFUSED, "%.*s: an answer larger than %llu bytes", (int)bl, base,
		            (unsigned long long)(s.to_file ? a->limit : s.cap));
	else if (cc != CURLE_OK)
		e = lb_push_curl_fail(cc, errbuf, base, (int)bl, d);
	else if (s.to_file && fflush(a->out))
		e = lb_fail(d, errno == ENOSPC ? LB_EFULL : LB_EIO, "writing the answer: %s",
		            errno == ENOSPC ? _("disk full") : strerror(errno));
	if (!e && a->status != 200)
		e = refusal(a->status, s.buf, a->len, base, body != NULL, d);
out:
	curl_slist_free_all(h);
	curl_easy_cleanup(s.curl);
	return e;
}
