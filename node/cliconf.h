/*
 * cliconf.h — the system-wide configuration file of a program
 * (/etc/lumbung/lumbung.conf for `lumbung`, /etc/lumbung/agg.conf for
 * `lumbung-agg`) turned into the settings and options of the command
 * being run.  CLI code only (it sets environment variables and the
 * language of messages).
 *
 * The file is read with lb_conf_read (conf.h: `key = value` lines).  Keys:
 *   dir           the node / aggregator directory: sets the program's
 *                 directory variable (LUMBUNG_DIR, LUMBUNG_AGG_DIR) when
 *                 that is unset or empty, so -d and the variable win;
 *   bahasa        id or en, applied with lb_i18n_set (LUMBUNG_BAHASA and
 *                 DIR's own file, applied later, win);
 *   CMD.OPTION    the long option --OPTION of command CMD, e.g.
 *                 `serve.listen = 0.0.0.0:8440`.  For an option that
 *                 takes a value the value is one argument, blanks and all;
 *                 for a flag the value is `yes` (given) or `no` (not).
 * Which options a command takes, and whether each takes a value, is read
 * from the command's usage syntax (the text --help prints): an option
 * written there as `--opt WORD` takes a value, `--opt` followed by `]`,
 * `|`, `[` or the end is a flag.  So every documented option works with no
 * list to keep.
 *
 * The options of the command being run are put right after the command
 * name, before the command line's own arguments: parsers keep the last
 * value given, so the command line wins; lines of the file are given in
 * file order (a later line for the same option wins; a repeatable option
 * collects them all).  Lines for other commands are checked only for
 * naming a command that exists: `serve.listen` does not concern `status`.
 */
#ifndef LB_CLICONF_H
#define LB_CLICONF_H

#include <stddef.h>

#include "../schema/err.h"

struct lb_cliconf {
	const char *prog;    /* "lumbung", for messages */
	const char *path;    /* the system file, e.g. "/etc/lumbung/lumbung.conf" */
	const char *env;     /* names another file ("" or "none": no file at all) */
	const char *dir_env; /* the directory's variable, set by the key dir */
	/* The i-th usage syntax of command cmd (i = 0, 1, ...; the text after
	 * the program's name, options written --opt), NULL after the last; NULL
	 * at i = 0 when there is no such command. */
	const char *(*syntax)(const char *cmd, size_t i);
};

/* Read the configuration file of c (the one $c->env names when set, else
 * c->path; a missing c->path is no file), apply dir and bahasa, and give
 * the command (*argv)[1] the options the file sets for it: *argc and *argv
 * then hold argv[0], argv[1], the file's options, argv[2...].  The new
 * vector and its strings live until the process ends or the next call
 * (never free them);
 * with nothing to add *argv is left as it was.
 * Errors, each naming the file (and the line, for a line's fault):
 * LB_ENOTFOUND for a file named by c->env that does not exist; LB_EIO;
 * LB_EMALFORMED for a line that is not `key = value`; LB_EINVAL for an
 * unknown key, an unknown command, an option the command does not take, a
 * flag's value other than yes/no, an option's empty value or a bahasa
 * other than id/en; LB_ENOMEM. */
lb_err lb_cliconf_apply(const struct lb_cliconf *c, int *argc, char ***argv, struct lb_diag *d);

/* Whether syntax (a usage text) names the long option --opt: 0 no, 1 a flag,
 * 2 an option taking a value. */
int lb_cliconf_option(const char *syntax, const char *opt);

#endif
