/*
 * keyarg.c — a public key given as hex or as a public key file.
 */
#define _POSIX_C_SOURCE 200809L
#include "keyarg.h"

#include <string.h>
#include <unistd.h>

#include <stdio.h>
#include <sys/stat.h>

#include "../node/entry.h"

lb_err lb_key_arg(const char *arg, uint8_t pk[LB_PK_BYTES], struct lb_diag *d)
{
	struct stat st;

	if (!arg || !arg[0])
		return lb_fail(d, LB_EINVAL, "an empty key: give 64 hex digits or a public key file "
		                             "(agg.pub)");
	if (!lb_unhex(pk, LB_PK_BYTES, arg))
		return LB_OK;
	if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) {
		/* an aggregator's directory: its agg.pub */
		char path[4096];
		if ((size_t)snprintf(path, sizeof path, "%s/agg.pub", arg) >= sizeof path)
			return lb_fail(d, LB_EINVAL, "key file path too long");
		return lb_key_load_public(path, pk, d);
	}
	if (access(arg, F_OK) == 0)
		return lb_key_load_public(arg, pk, d);
	return lb_fail(d, LB_EINVAL,
	               "\"%.80s\" is neither 64 hex digits nor an existing public key file (agg.pub)",
	               arg);
}
