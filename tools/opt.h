/*
 * opt.h — the one option helper the tools share (lumbung-gen, lumbung-bench).
 * Header-only and static: tools/ is a set of small programs, not a library.
 */
#ifndef LB_TOOLS_OPT_H
#define LB_TOOLS_OPT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "--name value" or "--name=value" at argv[*i]: the value, advancing *i past
 * a separate value; NULL when argv[*i] is another option.  A missing value
 * is a usage error: message and exit 2 (only mains call this). */
static inline const char *tool_opt_value(const char *prog, int argc, char **argv, int *i,
                                         const char *name)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		fprintf(stderr, "%s: %s needs a value\n", prog, name);
		exit(2);
	}
	return argv[++*i];
}

#endif
