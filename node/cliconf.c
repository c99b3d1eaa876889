/*
 * cliconf.c — the system-wide configuration file as settings and options
 * of the command being run (cliconf.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "cliconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../schema/i18n.h"
#include "conf.h"

/* The vector handed back: kept here so it lives (and is reachable) until
 * the process ends. */
static char **new_argv;
static char **opts; /* the options taken from the file, in file order */
static unsigned char *flag; /* opts[i] is a flag (not an option's name or value) */
static size_t nopts, capopts;

struct ctx {
	const struct lb_cliconf *c;
	const char *cmd; /* the command being run, NULL for none */
	int keep_dir;    /* the directory's variable was set before */
};

static int word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '_';
}

int lb_cliconf_option(const char *syntax, const char *opt)
{
	size_t n = strlen(opt);

	if (!syntax || !n)
		return 0;
	for (const char *p = syntax; (p = strstr(p, "--")); p += 2) {
		char next;
		if ((p > syntax && word_char(p[-1])) || strncmp(p + 2, opt, n) || word_char(p[2 + n]))
			continue;
		next = p[2 + n] == ' ' ? p[3 + n] : '\0';
		return next && !strchr("[|>-\n ", next) ? 2 : 1;
	}
	return 0;
}

static lb_err push_opt(const char *s, int is_flag, struct lb_diag *d)
{
	if (nopts == capopts) {
		size_t cap = capopts ? 2 * capopts : 16;
		char **o = realloc(opts, cap * sizeof *o);
		unsigned char *f;
		if (o)
			opts = o;
		if (!o || !(f = realloc(flag, cap)))
			return lb_fail(d, LB_ENOMEM, "out of memory");
		flag = f;
		capopts = cap;
	}
	if (!(opts[nopts] = strdup(s)))
		return lb_fail(d, LB_ENOMEM, "out of memory");
	flag[nopts++] = (unsigned char)is_flag;
	return LB_OK;
}

/* A later `no` takes back the flag s given by earlier lines. */
static void drop_flag(const char *s)
{
	size_t k = 0;

	for (size_t i = 0; i < nopts; i++) {
		if (flag[i] && !strcmp(opts[i], s)) {
			free(opts[i]);
			continue;
		}
		opts[k] = opts[i];
		flag[k++] = flag[i];
	}
	nopts = k;
}

/* How cmd takes --opt: 0 not, 1 a flag, 2 with a value. */
static int takes(const struct lb_cliconf *c, const char *cmd, const char *opt)
{
	const char *s;
	int best = 0, k;

	for (size_t i = 0; (s = c->syntax(cmd, i)); i++)
		if ((k = lb_cliconf_option(s, opt)) > best)
			best = k;
	return best;
}

static lb_err setting(void *vctx, const char *key, const char *value, unsigned line,
                      struct lb_diag *d)
{
	struct ctx *x = vctx;
	const struct lb_cliconf *c = x->c;
	const char *dot = strchr(key, '.'), *opt;
	char cmd[72], dashed[80];
	lb_err e;
	int k;

	(void)line; /* lb_conf_read names the file and the line */
	if (!strcmp(key, "dir")) {
		if (!*value)
			return lb_fail(d, LB_EINVAL, "dir needs a value (the directory)");
		if (!x->keep_dir && setenv(c->dir_env, value, 1))
			return lb_fail(d, LB_ENOMEM, "out of memory");
		return LB_OK;
	}
	if (!strcmp(key, "bahasa")) {
		if (strcmp(value, "id") && strcmp(value, "en"))
			return lb_fail(d, LB_EINVAL, "bahasa must be id or en, not \"%.16s\"", value);
		lb_i18n_set(value);
		return LB_OK;
	}
	if (!dot || dot == key || !dot[1] || (size_t)(dot - key) >= sizeof cmd)
		return lb_fail(d, LB_EINVAL,
		               "%.64s is not a setting: dir, bahasa or COMMAND.OPTION (e.g. %s)", key,
		               "sync.every = 300");
	memcpy(cmd, key, (size_t)(dot - key));
	cmd[dot - key] = '\0';
	opt = dot + 1;
	if (!c->syntax(cmd, 0))
		return lb_fail(d, LB_EINVAL, "%s has no command %s (%s --help lists them)", c->prog, cmd,
		               c->prog);
	if (!x->cmd || strcmp(cmd, x->cmd))
		return LB_OK; /* another command's option: not ours to judge now */
	if (!strcmp(opt, "dir") || !strcmp(opt, "d"))
		return lb_fail(d, LB_EINVAL, "the directory is set with the key dir, not %s", key);
	if (!(k = takes(c, cmd, opt)))
		return lb_fail(d, LB_EINVAL, "%s %s has no option --%s (%s %s --help lists them)", c->prog,
		               cmd, opt, c->prog, cmd);
	snprintf(dashed, sizeof dashed, "--%s", opt);
	if (k == 1) {
		if (strcmp(value, "yes") && strcmp(value, "no"))
			return lb_fail(d, LB_EINVAL, "%s is a flag: its value is yes or no, not \"%.64s\"",
			               dashed, value);
		drop_flag(dashed);
		return strcmp(value, "yes") ? LB_OK : push_opt(dashed, 1, d);
	}
	if (!*value)
		return lb_fail(d, LB_EINVAL, "%s needs a value", dashed);
	if ((e = push_opt(dashed, 0, d)))
		return e;
	return push_opt(value, 0, d);
}

lb_err lb_cliconf_apply(const struct lb_cliconf *c, int *argc, char ***argv, struct lb_diag *d)
{
	const char *path = getenv(c->env), *dirv = getenv(c->dir_env);
	struct ctx x = {c, *argc >= 2 ? (*argv)[1] : NULL, dirv && *dirv};
	int named = path != NULL;
	lb_err e;

	while (nopts) /* a call before (tests): its vector goes */
		free(opts[--nopts]);
	free(new_argv);
	new_argv = NULL;
	if (!path)
		path = c->path;
	if (!*path || !strcmp(path, "none"))
		return LB_OK;
	if ((e = lb_conf_read(path, setting, &x, d)))
		return e == LB_ENOTFOUND && !named ? LB_OK : e;
	if (!nopts)
		return LB_OK;
	if (!(new_argv = calloc((size_t)*argc + nopts + 1, sizeof *new_argv)))
		return lb_fail(d, LB_ENOMEM, "out of memory");
	new_argv[0] = (*argv)[0];
	new_argv[1] = (*argv)[1];
	memcpy(new_argv + 2, opts, nopts * sizeof *opts);
	for (int i = 2; i < *argc; i++)
		new_argv[nopts + (size_t)i] = (*argv)[i];
	*argc += (int)nopts;
	*argv = new_argv;
	return LB_OK;
}
