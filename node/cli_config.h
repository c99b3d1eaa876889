/*
 * cli_config.h — `lumbung config` and `lumbung-agg config`: the settings
 * file of a node (DIR/lumbung.conf) or an aggregator (DIR/agg.conf),
 * see conf.h.  CLI code only.
 */
#ifndef LB_CLI_CONFIG_H
#define LB_CLI_CONFIG_H

#include <stddef.h>

/* One setting a program knows: its name, what it means (English, for
 * --help and `config ls`; translated when printed) and the values it
 * takes (NULL: any one line). */
struct lb_cli_setting {
	const char *key;
	const char *help;
	const char *const *values; /* NULL-terminated */
};

/* The settings both programs know (bahasa). */
extern const struct lb_cli_setting lb_cli_settings[];
extern const size_t lb_cli_nsettings;

/* Run `PROG config ls | get KEY | set KEY VALUE | unset KEY` on the file
 * at path, knowing settings[0..n).  pos/npos: the words after "config".
 * Prints; returns the exit status. */
int lb_cli_config(const char *prog, const char *path, char **pos, int npos,
                  const struct lb_cli_setting *settings, size_t n);

/* Apply the language set in the settings file DIR/FILE (if any) with
 * lb_i18n_set.  A missing file or setting, or a DIR too long to name the
 * file, is fine; a malformed file is reported on stderr once (the command
 * goes on in the locale's language). */
void lb_cli_apply_bahasa(const char *prog, const char *dir, const char *file);

#endif
