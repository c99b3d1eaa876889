/*
 * mirror_views.c — the report views' SQL, built in (see mirror_views.h).
 */
#include "mirror_views.h"

struct lb_embed_file {
	const char *name;
	const unsigned char *data;
	size_t len;
};

#include "mirror_views_data.h" /* generated from agg/mirror_views.sql */

const char *lb_mirror_views_sql(size_t *len)
{
	if (len)
		*len = lb_embed_files[0].len;
	return (const char *)lb_embed_files[0].data;
}
