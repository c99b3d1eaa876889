/*
 * mirror_views.c — the report views of the PostgreSQL mirror (mirror.h):
 * agg/mirror_views.sql, built into the binary by tools/embed_files.sh.
 * Every statement in it is CREATE OR REPLACE, so the mirror runs the
 * whole text (several statements: one PQexec) in its layout transaction
 * after the tables exist, on every run; a newer lumbung-agg replaces the
 * views it finds.
 */
#include "mirror.h"

#include <stddef.h>

struct lb_embed_file {
	const char *name;
	const unsigned char *data;
	size_t len;
};

#include "mirror_views_data.h" /* generated from agg/mirror_views.sql */

const char *lb_agg_mirror_views_sql(void)
{
	return (const char *)lb_embed_files[0].data;
}
