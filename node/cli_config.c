/*
 * cli_config.c — `config` commands (cli_config.h).
 */
#include "cli_config.h"

#include <stdio.h>
#include <string.h>

#include "../schema/i18n.h"
#include "conf.h"

static const char *const bahasa_values[] = {"id", "en", NULL};

const struct lb_cli_setting lb_cli_settings[] = {
	{"bahasa", N_("language of messages: id (Indonesian) or en (English); unset: follow the locale"),
	 bahasa_values},
};
const size_t lb_cli_nsettings = sizeof lb_cli_settings / sizeof lb_cli_settings[0];

static const struct lb_cli_setting *find(const char *key, const struct lb_cli_setting *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s[i].key, key))
			return &s[i];
	return NULL;
}

static int value_ok(const struct lb_cli_setting *s, const char *v)
{
	if (!s->values)
		return 1;
	for (size_t i = 0; s->values[i]; i++)
		if (!strcmp(s->values[i], v))
			return 1;
	return 0;
}

static void list_values(const struct lb_cli_setting *s, FILE *f)
{
	for (size_t i = 0; s->values && s->values[i]; i++)
		fprintf(f, "%s%s", i ? ", " : "", s->values[i]);
}

int lb_cli_config(const char *prog, const char *path, char **pos, int npos,
                  const struct lb_cli_setting *settings, size_t n)
{
	struct lb_diag d = {0};
	const char *verb = npos > 0 ? pos[0] : "ls";
	const struct lb_cli_setting *s = NULL;
	char value[LB_CONF_VALUE_MAX + 1];
	lb_err e;

	if (strcmp(verb, "ls") && strcmp(verb, "get") && strcmp(verb, "set") && strcmp(verb, "unset")) {
		fprintf(stderr, _("%s config: unknown action \"%s\" (ls, get, set, unset)\n"), prog, verb);
		return 2;
	}
	if (!strcmp(verb, "ls")) {
		for (size_t i = 0; i < n; i++) {
			e = lb_conf_get(path, settings[i].key, value, sizeof value, &d);
			if (e && e != LB_ENOTFOUND) {
				fprintf(stderr, "%s config: %s\n", prog, lb_diag_msg(&d, e));
				return lb_exit_status(e);
			}
			printf("%s = %s\n", settings[i].key, e ? "" : value);
			printf("    # %s\n", _(settings[i].help));
		}
		return 0;
	}
	if (npos < 2 || !(s = find(pos[1], settings, n))) {
		fprintf(stderr, _("%s config %s: name a setting:"), prog, verb);
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, " %s", settings[i].key);
		fputc('\n', stderr);
		return 2;
	}
	if (!strcmp(verb, "get")) {
		e = lb_conf_get(path, s->key, value, sizeof value, &d);
		if (e == LB_ENOTFOUND)
			return 1;
		if (e) {
			fprintf(stderr, "%s config: %s\n", prog, lb_diag_msg(&d, e));
			return lb_exit_status(e);
		}
		printf("%s\n", value);
		return 0;
	}
	if (!strcmp(verb, "set") && (npos != 3 || !value_ok(s, pos[2]))) {
		fprintf(stderr, _("%s config set %s: the value must be one of: "), prog, s->key);
		list_values(s, stderr);
		fputc('\n', stderr);
		return 2;
	}
	e = lb_conf_set(path, s->key, !strcmp(verb, "set") ? pos[2] : NULL, &d);
	if (e) {
		fprintf(stderr, "%s config: %s\n", prog, lb_diag_msg(&d, e));
		return lb_exit_status(e);
	}
	return 0;
}

void lb_cli_apply_bahasa(const char *prog, const char *dir, const char *file)
{
	struct lb_diag d = {0};
	char value[16], path[4096];
	lb_err e;

	if (!dir || !*dir || (size_t)snprintf(path, sizeof path, "%s/%s", dir, file) >= sizeof path)
		return;
	if ((e = lb_conf_get(path, "bahasa", value, sizeof value, &d)) == LB_ENOTFOUND)
		return;
	if (e || lb_i18n_set(value)) {
		fprintf(stderr, _("%s: warning: %s\n"), prog,
		        e ? lb_diag_msg(&d, e) : _("bahasa must be id or en; messages follow the locale"));
	}
}
