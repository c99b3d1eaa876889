/*
 * builtin.c — the schema versions compiled into every binary.
 *
 * The Makefile turns schema/vN.schema into schema_data.h (tools/embed.sh);
 * versions must be 1..N without gaps, so lb_schema_get is an array index.
 */
#include <stdlib.h>

#include "schema.h"

struct lb_schema_file {
	uint32_t version;
	const char *text;
	size_t len;
};

#include "schema_data.h"

#define NFILES (sizeof lb_schema_files / sizeof lb_schema_files[0])

static struct lb_schema *parsed[NFILES];
static bool ready;

lb_err lb_schema_builtin_init(struct lb_diag *d)
{
	lb_err e;

	if (ready)
		return LB_OK;
	for (size_t i = 0; i < NFILES; i++) {
		if ((e = lb_schema_parse(&parsed[i], lb_schema_files[i].text, lb_schema_files[i].len, d)))
			return e;
		if (parsed[i]->version != i + 1)
			return lb_fail(d, LB_EMALFORMED, "built-in schema %zu says it is version %u",
			               i + 1, parsed[i]->version);
	}
	ready = true;
	return LB_OK;
}

const struct lb_schema *lb_schema_get(uint32_t version)
{
	if (!ready && lb_schema_builtin_init(NULL))
		return NULL;
	if (version < 1 || version > NFILES)
		return NULL;
	return parsed[version - 1];
}

uint32_t lb_schema_latest(void)
{
	return (uint32_t)NFILES;
}
