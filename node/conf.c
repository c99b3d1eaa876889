/*
 * conf.c — key = value files (conf.h).
 */
#include "conf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int key_ok(const char *k, size_t n)
{
	if (!n || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = k[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		      c == '-'))
			return 0;
	}
	return 1;
}

static char *trim(char *s)
{
	char *e;
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/* Split one line: 0 comment/blank, 1 setting (key/value point into line),
 * -1 malformed (d says why). */
static int split(char *line, char **key, char **value, struct lb_diag *d)
{
	char *s = trim(line), *eq;

	if (!*s || *s == '#')
		return 0;
	if (!(eq = strchr(s, '='))) {
		lb_fail(d, LB_EMALFORMED, "expected \"key = value\"");
		return -1;
	}
	*eq = '\0';
	*key = trim(s);
	*value = trim(eq + 1);
	if (!key_ok(*key, strlen(*key))) {
		lb_fail(d, LB_EMALFORMED, "\"%.64s\" is not a setting name (letters a-z, digits, _ . -)",
		        *key);
		return -1;
	}
	if (strlen(*value) > LB_CONF_VALUE_MAX) {
		lb_fail(d, LB_EMALFORMED, "the value of %s is longer than %d bytes", *key,
		        LB_CONF_VALUE_MAX);
		return -1;
	}
	return 1;
}

lb_err lb_conf_read(const char *path, lb_conf_cb cb, void *ctx, struct lb_diag *d)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *key, *value;
	size_t cap = 0;
	unsigned lineno = 0;
	lb_err e = LB_OK;

	if (!f)
		return errno == ENOENT ? lb_fail(d, LB_ENOTFOUND, "%s: no such file", path)
		                       : lb_fail(d, LB_EIO, "%s: %s", path, strerror(errno));
	while (getline(&line, &cap, f) >= 0) {
		int k;
		lineno++;
		if ((k = split(line, &key, &value, d)) < 0) {
			e = LB_EMALFORMED;
		} else if (k > 0 && cb) {
			e = cb(ctx, key, value, lineno, d);
		}
		if (e) {
			lb_diag_prefix(d, "%s line %u", path, lineno);
			break;
		}
	}
	if (!e && ferror(f))
		e = lb_fail(d, LB_EIO, "%s: %s", path, strerror(errno));
	free(line);
	fclose(f);
	return e;
}

struct get_ctx {
	const char *key;
	char *out;
	size_t n;
	int found;
	lb_err e;
};

static lb_err get_cb(void *ctx, const char *key, const char *value, unsigned line,
                     struct lb_diag *d)
{
	struct get_ctx *g = ctx;
	(void)line;
	(void)d;
	if (strcmp(key, g->key))
		return LB_OK;
	g->found = 1;
	g->e = strlen(value) < g->n ? LB_OK : LB_ETOOBIG;
	if (!g->e)
		memcpy(g->out, value, strlen(value) + 1);
	return LB_OK;
}

lb_err lb_conf_get(const char *path, const char *key, char *out, size_t n, struct lb_diag *d)
{
	struct get_ctx g = {key, out, n, 0, LB_OK};
	lb_err e = lb_conf_read(path, get_cb, &g, d);

	if (e)
		return e;
	if (!g.found)
		return lb_fail(d, LB_ENOTFOUND, "%s: %s is not set", path, key);
	if (g.e)
		return lb_fail(d, LB_ETOOBIG, "%s: the value of %s is too long", path, key);
	return LB_OK;
}

lb_err lb_conf_set(const char *path, const char *key, const char *value, struct lb_diag *d)
{
	char tmp[4096], *line = NULL, *copy = NULL;
	size_t cap = 0;
	int fd, written = 0;
	FILE *in, *out;
	lb_err e = LB_OK;

	if (!key_ok(key, strlen(key)))
		return lb_fail(d, LB_EINVAL, "\"%.64s\" is not a setting name", key);
	if (value && (strchr(value, '\n') || strchr(value, '\r') || strlen(value) > LB_CONF_VALUE_MAX))
		return lb_fail(d, LB_EINVAL, "the value of %s must be one line of at most %d bytes", key,
		               LB_CONF_VALUE_MAX);
	if ((e = lb_conf_read(path, NULL, NULL, d)) && e != LB_ENOTFOUND)
		return e;
	e = LB_OK;
	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
		return lb_fail(d, LB_EINVAL, "%s: path too long", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0 || !(out = fdopen(fd, "w"))) {
		if (fd >= 0)
			close(fd);
		return lb_fail(d, LB_EIO, "%s: %s", tmp, strerror(errno));
	}
	if ((in = fopen(path, "r"))) {
		while (getline(&line, &cap, in) >= 0) {
			char *k, *v;
			free(copy);
			if (!(copy = strdup(line))) {
				e = lb_fail(d, LB_ENOMEM, "out of memory");
				break;
			}
			if (split(copy, &k, &v, NULL) == 1 && !strcmp(k, key)) {
				if (value && !written++)
					fprintf(out, "%s = %s\n", key, value);
				continue;
			}
			fputs(line, out);
			if (!strchr(line, '\n'))
				fputc('\n', out);
		}
		fclose(in);
	}
	if (!e && value && !written)
		fprintf(out, "%s = %s\n", key, value);
	free(line);
	free(copy);
	if (!e && (fflush(out) || fsync(fileno(out))))
		e = lb_fail(d, errno == ENOSPC ? LB_EFULL : LB_EIO, "%s: %s", tmp, strerror(errno));
	if (fclose(out) && !e)
		e = lb_fail(d, errno == ENOSPC ? LB_EFULL : LB_EIO, "%s: %s", tmp, strerror(errno));
	if (!e && rename(tmp, path))
		e = lb_fail(d, LB_EIO, "%s: %s", path, strerror(errno));
	if (e)
		unlink(tmp);
	return e;
}
