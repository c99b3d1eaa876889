/*
 * mirror_views.h — the report views of the PostgreSQL mirror.
 *
 * agg/mirror_views.sql (built into the binary by tools/embed_files.sh)
 * holds the standard reports of docs/REPORTS.md as SQL views and
 * functions (laporan_*) on the tables `lumbung-agg mirror` keeps
 * (docs/MIRROR.md).  Every statement is CREATE OR REPLACE, so the mirror
 * runs the whole text on every run, in its layout transaction, after the
 * tables exist (PQexec accepts the several statements at once); a newer
 * lumbung-agg then replaces the views it finds.
 */
#ifndef LB_MIRROR_VIEWS_H
#define LB_MIRROR_VIEWS_H

#include <stddef.h>

/* The SQL text, NUL-terminated, in static storage (never freed); its
 * length without the NUL in *len when len is not NULL.  Cannot fail. */
const char *lb_mirror_views_sql(size_t *len);

#endif
