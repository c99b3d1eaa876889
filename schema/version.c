/* version.c — see version.h.  LB_VERSION comes from build/gen/version.h. */
#include "version.h"

#include "version_gen.h"

const char *lb_version(void)
{
	return LB_VERSION;
}
