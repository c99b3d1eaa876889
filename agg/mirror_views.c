/*
 * mirror_views.c — the report views of the PostgreSQL mirror (mirror.h).
 * A placeholder until the views (agg/mirror_views.sql) land: no views.
 */
#include "mirror.h"

const char *lb_agg_mirror_views_sql(void)
{
	return "";
}
