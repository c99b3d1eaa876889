/*
 * mirror.c — the consolidated view mirrored into PostgreSQL (mirror.h).
 *
 * A pass reads every origin's state (lb_agg_origins) and every position
 * (lumbung_posisi), and for each origin behind sends batches:
 *
 *   BEGIN; advisory lock on the origin (two mirrors of one aggregator wait
 *   for each other); its position read again and checked against ours;
 *   entries pos+1.. walked from the replica in one LMDB read transaction
 *   and encoded as COPY text into memory: one stream for `perubahan`, one
 *   per record type for a temporary staging table typed like the record
 *   table (plus a `del` flag); COPY each; per type, the last op per
 *   (desa, id) of the batch applied set-based (DELETE the dels, INSERT ...
 *   ON CONFLICT DO UPDATE the puts); lumbung_posisi and desa; COMMIT.
 *
 * Successors (a key continuing another's chain) are sent after the keys
 * they continue: origins go in order of base, so a village's records are
 * always applied in the order the chain wrote them.
 */
#define _POSIX_C_SOURCE 200809L
#include "mirror.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "../node/body.h"
#include "../node/entry.h"
#include "../node/hlc.h"
#include "../schema/mp.h"
#include "../schema/i18n.h"
#include "../schema/schema.h"
#include "../schema/text.h"

#define LAYOUT "1"
#define STOP ((lb_err)-1) /* a walk ended by the batch's size */

/* ---- a growable byte buffer ---------------------------------------------- */

struct buf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void buf_grow(struct buf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 1 << 16;
	char *p;

	if (b->oom)
		return;
	while (cap - b->len < n)
		cap *= 2;
	if (cap == b->cap)
		return;
	if (!(p = realloc(b->p, cap))) {
		b->oom = true;
		return;
	}
	b->p = p;
	b->cap = cap;
}

static void buf_put(struct buf *b, const void *s, size_t n)
{
	if (!n)
		return; /* (memcpy to a buffer not allocated yet is undefined even for 0) */
	if (b->cap - b->len < n)
		buf_grow(b, n);
	if (b->oom)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void buf_str(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

static void buf_ch(struct buf *b, char c)
{
	if (b->len == b->cap)
		buf_grow(b, 1);
	if (!b->oom)
		b->p[b->len++] = c;
}

/* s as one COPY text field: backslash, tab, newline and CR escaped. */
static void buf_copy_text(struct buf *b, const char *s, size_t n)
{
	size_t run = 0;

	if (b->cap - b->len < n + 16)
		buf_grow(b, n + 16);
	for (size_t i = 0; i < n; i++) {
		char c = s[i], e;
		switch (c) {
		case '\\': e = '\\'; break;
		case '\t': e = 't'; break;
		case '\n': e = 'n'; break;
		case '\r': e = 'r'; break;
		default: continue;
		}
		buf_put(b, s + run, i - run);
		buf_ch(b, '\\');
		buf_ch(b, e);
		run = i + 1;
	}
	buf_put(b, s + run, n - run);
}

/* COPY's binary format: big-endian integers, fields as length || bytes. */
static void bin_u16(struct buf *b, uint16_t v)
{
	uint8_t t[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	buf_put(b, t, 2);
}

static void bin_u32(struct buf *b, uint32_t v)
{
	uint8_t t[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	buf_put(b, t, 4);
}

static void bin_u32_at(struct buf *b, size_t at, uint32_t v)
{
	if (b->oom)
		return;
	b->p[at] = (char)(v >> 24);
	b->p[at + 1] = (char)(v >> 16);
	b->p[at + 2] = (char)(v >> 8);
	b->p[at + 3] = (char)v;
}

static void bin_u64(struct buf *b, uint64_t v)
{
	bin_u32(b, (uint32_t)(v >> 32));
	bin_u32(b, (uint32_t)v);
}

static void bin_text(struct buf *b, const char *s, size_t n)
{
	bin_u32(b, (uint32_t)n);
	buf_put(b, s, n);
}

static void buf_u64(struct buf *b, uint64_t v)
{
	char t[24], *p = t + sizeof t;

	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	buf_put(b, p, (size_t)(t + sizeof t - p));
}

/* An HLC time as a timestamptz literal (UTC, milliseconds).  The date and
 * time of the last second asked for are kept per thread: a batch's entries
 * mostly share their seconds. */
static void buf_time(struct buf *b, uint64_t ms)
{
	static _Thread_local uint64_t last_s = UINT64_MAX;
	static _Thread_local char day[32];
	static _Thread_local size_t day_len;
	char frac[8] = {'.', (char)('0' + ms % 1000 / 100), (char)('0' + ms % 100 / 10),
	                (char)('0' + ms % 10), '+', '0', '0'};

	if (ms / 1000 != last_s) {
		time_t s = (time_t)(ms / 1000);
		struct tm tm;
		gmtime_r(&s, &tm);
		day_len = (size_t)snprintf(day, sizeof day, "%04d-%02d-%02d %02d:%02d:%02d",
		                           tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		                           tm.tm_min, tm.tm_sec);
		last_s = ms / 1000;
	}
	buf_put(b, day, day_len);
	buf_put(b, frac, 7);
}

/* ---- the handle ------------------------------------------------------------ */

struct mtype {
	const struct lb_type *t;
	struct buf rows;    /* COPY text of the puts: the record table's columns */
	struct buf dels;    /* COPY text of the dels: desa, id, seq */
	uint64_t nrows, ndel;
	bool dup;           /* an id more than once in the batch */
	char *copy_sql;     /* COPY stg (...) FROM STDIN: the puts */
	char *copyd_sql;    /* COPY stg (desa, id, seq, del) FROM STDIN: the dels */
	char *direct_sql;   /* COPY the table (...) FROM STDIN: puts of a fresh village */
	char *del_sql;      /* the dels: DELETE, the last op per (desa, id) */
	char *put_sql;      /* the puts: upsert, the last op per (desa, id) */
	char *put1_sql;     /* the puts when no id is twice in the batch */
};

struct lb_agg_mirror {
	struct lb_agg *a;
	char *conninfo;
	struct lb_agg_mirror_opts o;
	PGconn *pg;
	const struct lb_schema *s;
	struct mtype *types;
	size_t ntypes;
	struct buf log; /* COPY text for perubahan */
	uint64_t *seen; /* the batch's (type, id) hashes: open addressing, 0 = free */
	size_t nseen;   /* slots, a power of two >= 2 x batch */
	/* the top handle's workers, each a handle with its own connection and
	 * buffers (w[0] is the top handle itself); a worker's nw is 0 */
	struct lb_agg_mirror *w[LB_AGG_MIRROR_JOBS_MAX];
	size_t nw;
};

static lb_err mirror_new(struct lb_agg_mirror **out, struct lb_agg *a, const char *conninfo,
                         const struct lb_agg_mirror_opts *o, struct lb_diag *d)
{
	struct lb_agg_mirror *m = calloc(1, sizeof *m);

	*out = NULL;
	if (!m || !(m->conninfo = strdup(conninfo))) {
		free(m);
		return lb_fail(d, LB_ENOMEM, "out of memory");
	}
	m->a = a;
	if (o)
		m->o = *o;
	if (!m->o.batch)
		m->o.batch = LB_AGG_MIRROR_BATCH;
	m->s = lb_schema_get(lb_schema_latest());
	m->ntypes = m->s->ntypes;
	if (!(m->types = calloc(m->ntypes ? m->ntypes : 1, sizeof *m->types))) {
		lb_agg_mirror_free(m);
		return lb_fail(d, LB_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < m->ntypes; i++)
		m->types[i].t = &m->s->types[i];
	for (m->nseen = 1024; m->nseen < 2 * m->o.batch; m->nseen *= 2)
		;
	if (!(m->seen = calloc(m->nseen, sizeof *m->seen))) {
		lb_agg_mirror_free(m);
		return lb_fail(d, LB_ENOMEM, "out of memory");
	}
	*out = m;
	return LB_OK;
}

lb_err lb_agg_mirror_new(struct lb_agg_mirror **out, struct lb_agg *a, const char *conninfo,
                         const struct lb_agg_mirror_opts *o, struct lb_diag *d)
{
	struct lb_agg_mirror *m;
	size_t jobs = o && o->jobs ? o->jobs : LB_AGG_MIRROR_JOBS;
	lb_err e;

	if (jobs > LB_AGG_MIRROR_JOBS_MAX)
		jobs = LB_AGG_MIRROR_JOBS_MAX;
	if ((e = mirror_new(&m, a, conninfo, o, d)))
		return e;
	m->w[0] = m;
	for (m->nw = 1; m->nw < jobs; m->nw++)
		if ((e = mirror_new(&m->w[m->nw], a, conninfo, o, d))) {
			lb_agg_mirror_free(m);
			return e;
		}
	*out = m;
	return LB_OK;
}

static void disconnect(struct lb_agg_mirror *m)
{
	if (m->pg)
		PQfinish(m->pg);
	m->pg = NULL;
}

void lb_agg_mirror_free(struct lb_agg_mirror *m)
{
	if (!m)
		return;
	for (size_t i = 1; i < m->nw; i++)
		lb_agg_mirror_free(m->w[i]);
	disconnect(m);
	for (size_t i = 0; i < m->ntypes && m->types; i++) {
		free(m->types[i].rows.p);
		free(m->types[i].dels.p);
		free(m->types[i].copy_sql);
		free(m->types[i].copyd_sql);
		free(m->types[i].direct_sql);
		free(m->types[i].del_sql);
		free(m->types[i].put_sql);
		free(m->types[i].put1_sql);
	}
	free(m->types);
	free(m->seen);
	free(m->log.p);
	free(m->conninfo);
	free(m);
}

/* ---- talking to PostgreSQL ------------------------------------------------- */

/* The server's message, on one line, without its trailing newline. */
static const char *pg_msg(PGconn *pg, const PGresult *r, char *out, size_t n)
{
	const char *msg = r ? PQresultErrorMessage(r) : "";
	size_t len;

	if (!msg || !*msg)
		msg = PQerrorMessage(pg);
	if (!msg || !*msg)
		msg = "no message";
	len = strcspn(msg, "\n");
	lb_escape_buf(out, n, msg, len);
	return out;
}

/* A failed statement as an error: LB_ENET when the connection is gone or
 * the failure is one a retry may cure (connection exceptions, the server
 * shutting down, too many connections, serialisation), the connection
 * then dropped; LB_EREFUSED otherwise.  what says what we were doing. */
static lb_err pg_fail(struct lb_agg_mirror *m, PGresult *r, const char *what, struct lb_diag *d)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	char msg[LB_DIAG_MAX / 2];
	bool transient = !m->pg || PQstatus(m->pg) != CONNECTION_OK || !state ||
	                 !strncmp(state, "08", 2) || !strncmp(state, "57P", 3) ||
	                 !strncmp(state, "53", 2) || !strcmp(state, "40001") ||
	                 !strcmp(state, "40P01");
	lb_err e;

	pg_msg(m->pg, r, msg, sizeof msg);
	e = lb_fail(d, transient ? LB_ENET : LB_EREFUSED, "PostgreSQL, %s: %s", lb_tr(what), msg);
	PQclear(r);
	if (transient)
		disconnect(m);
	return e;
}

/* Run sql (one or more statements, no parameters); the result is dropped. */
static lb_err pg_exec(struct lb_agg_mirror *m, const char *sql, const char *what,
                      struct lb_diag *d)
{
	PGresult *r = PQexec(m->pg, sql);
	ExecStatusType st = PQresultStatus(r);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		return pg_fail(m, r, what, d);
	PQclear(r);
	return LB_OK;
}

/* (what, in these functions: an N_() string, translated when it goes into
 * a message) */

/* COPY in three steps: start with the statement sql, data in any number of
 * pieces, end (abort: a message, and the server throws the rows away). */
static lb_err copy_start(struct lb_agg_mirror *m, const char *sql, const char *what,
                         struct lb_diag *d)
{
	PGresult *r = PQexec(m->pg, sql);

	if (PQresultStatus(r) != PGRES_COPY_IN)
		return pg_fail(m, r, what, d);
	PQclear(r);
	return LB_OK;
}

static lb_err copy_data(struct lb_agg_mirror *m, const char *data, size_t len, const char *what,
                        struct lb_diag *d)
{
	/* in pieces: libpq buffers what it is given */
	for (size_t off = 0; off < len;) {
		size_t n = len - off < (1u << 20) ? len - off : (1u << 20);
		if (PQputCopyData(m->pg, data + off, (int)n) != 1)
			return pg_fail(m, NULL, what, d);
		off += n;
	}
	return LB_OK;
}

static lb_err copy_end(struct lb_agg_mirror *m, const char *abort, const char *what,
                       struct lb_diag *d)
{
	PGresult *r;
	lb_err e = LB_OK;

	if (PQputCopyEnd(m->pg, abort) != 1)
		return pg_fail(m, NULL, what, d);
	r = PQgetResult(m->pg);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		if (abort) /* the failure we asked for */
			PQclear(r);
		else
			e = pg_fail(m, r, what, d);
	} else
		PQclear(r);
	while (m->pg && (r = PQgetResult(m->pg)))
		PQclear(r);
	return e;
}

/* COPY data[0..len) with the statement sql. */
static lb_err pg_copy(struct lb_agg_mirror *m, const char *sql, const char *data, size_t len,
                      const char *what, struct lb_diag *d)
{
	lb_err e;

	if ((e = copy_start(m, sql, what, d)))
		return e;
	if ((e = copy_data(m, data, len, what, d))) {
		if (m->pg)
			copy_end(m, "failed", what, NULL);
		return e;
	}
	return copy_end(m, NULL, what, d);
}

static char *ident(struct lb_agg_mirror *m, const char *s)
{
	return PQescapeIdentifier(m->pg, s, strlen(s));
}

/* The SQL type of a field. */
static const char *sql_type(enum lb_kind k)
{
	switch (k) {
	case LB_K_DATE: return "date";
	case LB_K_INTEGER: return "bigint";
	case LB_K_RUPIAH: return "numeric";
	case LB_K_BOOLEAN: return "boolean";
	default: return "text";
	}
}

/* A field named like one of the fixed columns is not mirrored as a column
 * (its value stays in perubahan.isi). */
static bool fixed_name(const char *n)
{
	static const char *const fixed[] = {"desa", "id", "origin", "seq", "diubah", "del"};
	for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
		if (!strcmp(n, fixed[i]))
			return true;
	return false;
}

/* The record tables' DDL, the staging tables of this connection and the
 * statements of a batch for each type, into sql (the layout transaction)
 * and m->types. */
/* Does have (relname, attname rows) hold table t, and (col non-NULL) its
 * column col? */
static bool have_col(const PGresult *have, const char *t, const char *col)
{
	for (int i = 0; i < PQntuples(have); i++)
		if (!strcmp(PQgetvalue(have, i, 0), t) && (!col || !strcmp(PQgetvalue(have, i, 1), col)))
			return true;
	return false;
}

static lb_err type_sql(struct lb_agg_mirror *m, struct mtype *mt, struct buf *ddl,
                       const PGresult *have, struct lb_diag *d)
{
	const struct lb_type *t = mt->t;
	char *tn = ident(m, t->name), *stg = NULL;
	struct buf cols = {0}, stgdef = {0}, set = {0}, copy = {0}, del = {0}, put = {0}, put1 = {0},
	           copyd = {0}, direct = {0};
	char sname[80];
	lb_err e = LB_OK;

	snprintf(sname, sizeof sname, "lumbung_stg_%s", t->name);
	if (!tn || !(stg = ident(m, sname))) {
		e = lb_fail(d, LB_ENOMEM, "out of memory");
		goto out;
	}
	buf_str(ddl, "CREATE TABLE IF NOT EXISTS ");
	buf_str(ddl, tn);
	buf_str(ddl, " (desa text COLLATE \"C\" NOT NULL, id text COLLATE \"C\" NOT NULL");
	buf_str(&cols, "desa, id");
	buf_str(&stgdef, "desa text COLLATE \"C\", id text COLLATE \"C\"");
	for (size_t i = 0; i < t->nfields; i++) {
		char *fn;
		if (fixed_name(t->fields[i].name))
			continue;
		if (!(fn = ident(m, t->fields[i].name))) {
			e = lb_fail(d, LB_ENOMEM, "out of memory");
			goto out;
		}
		buf_str(ddl, ", ");
		buf_str(ddl, fn);
		buf_ch(ddl, ' ');
		buf_str(ddl, sql_type(t->fields[i].kind));
		buf_str(&cols, ", ");
		buf_str(&cols, fn);
		buf_str(&stgdef, ", ");
		buf_str(&stgdef, fn);
		buf_ch(&stgdef, ' ');
		buf_str(&stgdef, sql_type(t->fields[i].kind));
		buf_str(&set, set.len ? ", " : "");
		buf_str(&set, fn);
		buf_str(&set, " = EXCLUDED.");
		buf_str(&set, fn);
		PQfreemem(fn);
	}
	buf_str(ddl, ", origin text COLLATE \"C\" NOT NULL, seq bigint NOT NULL, diubah timestamptz "
	             "NOT NULL, PRIMARY KEY (desa, id));\n");
	/* fields added to the schema since the table was made (only those
	 * missing: ALTER TABLE locks out the table's readers, if briefly) */
	for (size_t i = 0; i < t->nfields; i++) {
		char *fn;
		if (fixed_name(t->fields[i].name) || !have_col(have, t->name, NULL) ||
		    have_col(have, t->name, t->fields[i].name))
			continue;
		if (!(fn = ident(m, t->fields[i].name))) {
			e = lb_fail(d, LB_ENOMEM, "out of memory");
			goto out;
		}
		buf_str(ddl, "ALTER TABLE ");
		buf_str(ddl, tn);
		buf_str(ddl, " ADD COLUMN IF NOT EXISTS ");
		buf_str(ddl, fn);
		buf_ch(ddl, ' ');
		buf_str(ddl, sql_type(t->fields[i].kind));
		buf_str(ddl, ";\n");
		PQfreemem(fn);
	}
	buf_str(&cols, ", origin, seq, diubah");
	buf_str(&set, set.len ? ", " : "");
	buf_str(&set, "origin = EXCLUDED.origin, seq = EXCLUDED.seq, diubah = EXCLUDED.diubah");
	/* the staging table lives as long as the connection */
	buf_str(ddl, "CREATE TEMPORARY TABLE IF NOT EXISTS ");
	buf_str(ddl, stg);
	buf_str(ddl, " (");
	buf_put(ddl, stgdef.p, stgdef.len);
	buf_str(ddl, ", origin text COLLATE \"C\", seq bigint, diubah timestamptz, del boolean NOT "
	             "NULL DEFAULT false) ON COMMIT DELETE ROWS;\n");

	buf_str(&copy, "COPY ");
	buf_str(&copy, stg);
	buf_str(&copy, " (");
	buf_put(&copy, cols.p, cols.len);
	buf_str(&copy, ") FROM STDIN");
	buf_ch(&copy, 0);
	buf_str(&copyd, "COPY ");
	buf_str(&copyd, stg);
	buf_str(&copyd, " (desa, id, seq, del) FROM STDIN");
	buf_ch(&copyd, 0);
	buf_str(&direct, "COPY ");
	buf_str(&direct, tn);
	buf_str(&direct, " (");
	buf_put(&direct, cols.p, cols.len);
	buf_str(&direct, ") FROM STDIN");
	buf_ch(&direct, 0);

	/* the last op per (desa, id) of the batch wins */
	buf_str(&del, "DELETE FROM ");
	buf_str(&del, tn);
	buf_str(&del, " t USING (SELECT DISTINCT ON (desa, id) desa, id, del FROM ");
	buf_str(&del, stg);
	buf_str(&del, " ORDER BY desa, id, seq DESC) s WHERE s.del AND t.desa = s.desa AND "
	              "t.id = s.id");
	buf_ch(&del, 0);
	for (int one = 0; one < 2; one++) {
		struct buf *w = one ? &put1 : &put;
		buf_str(w, "INSERT INTO ");
		buf_str(w, tn);
		buf_str(w, " (");
		buf_put(w, cols.p, cols.len);
		buf_str(w, ") SELECT ");
		buf_put(w, cols.p, cols.len);
		if (one) {
			buf_str(w, " FROM ");
			buf_str(w, stg);
		} else {
			buf_str(w, " FROM (SELECT DISTINCT ON (desa, id) * FROM ");
			buf_str(w, stg);
			buf_str(w, " ORDER BY desa, id, seq DESC) s");
		}
		buf_str(w, " WHERE NOT del ON CONFLICT (desa, id) DO UPDATE SET ");
		buf_put(w, set.p, set.len);
		buf_ch(w, 0);
	}
	if (ddl->oom || cols.oom || stgdef.oom || set.oom || copy.oom || del.oom || put.oom ||
	    put1.oom || copyd.oom || direct.oom) {
		e = lb_fail(d, LB_ENOMEM, "out of memory");
		goto out;
	}
	free(mt->copy_sql);
	free(mt->copyd_sql);
	free(mt->direct_sql);
	free(mt->del_sql);
	free(mt->put_sql);
	free(mt->put1_sql);
	mt->copy_sql = copy.p;
	mt->copyd_sql = copyd.p;
	mt->direct_sql = direct.p;
	mt->del_sql = del.p;
	mt->put_sql = put.p;
	mt->put1_sql = put1.p;
	copy.p = del.p = put.p = put1.p = copyd.p = direct.p = NULL;
out:
	PQfreemem(tn);
	PQfreemem(stg);
	free(cols.p);
	free(stgdef.p);
	free(set.p);
	free(copy.p);
	free(copyd.p);
	free(direct.p);
	free(del.p);
	free(put.p);
	free(put1.p);
	return e;
}

/* The report views, (re)made only when their SQL is not the one the
 * database last got (its hash in lumbung_meta 'views'): replacing a view
 * waits for the queries reading it, and holds up the ones after. */
static lb_err views(struct lb_agg_mirror *m, struct lb_diag *d)
{
	const char *sql = lb_agg_mirror_views_sql();
	uint8_t h[LB_HASH_BYTES];
	char hx[2 * LB_HASH_BYTES + 1], upd[256];
	PGresult *r;
	bool same;
	lb_err e;

	if (!*sql)
		return LB_OK;
	lb_hash(h, sql, strlen(sql));
	lb_hex(hx, h, LB_HASH_BYTES);
	r = PQexec(m->pg, "SELECT nilai FROM lumbung_meta WHERE kunci = 'views'");
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_fail(m, r, N_("creating the report views"), d);
	same = PQntuples(r) == 1 && !strcmp(PQgetvalue(r, 0, 0), hx);
	PQclear(r);
	if (same)
		return LB_OK;
	snprintf(upd, sizeof upd, "INSERT INTO lumbung_meta VALUES ('views', '%s') ON CONFLICT "
	         "(kunci) DO UPDATE SET nilai = EXCLUDED.nilai", hx);
	if ((e = pg_exec(m, sql, N_("creating the report views"), d)))
		return e;
	return pg_exec(m, upd, N_("creating the report views"), d);
}

/* Tables, indexes, views: created or migrated in one transaction, under an
 * advisory lock so that two mirrors starting at once do not race. */
static lb_err layout(struct lb_agg_mirror *m, struct lb_diag *d)
{
	struct buf ddl = {0};
	PGresult *r, *have;
	lb_err e;

	if ((e = pg_exec(m, "BEGIN; SELECT pg_advisory_xact_lock(7510468453241046)",
	                 N_("creating the tables"), d)))
		return e;
	/* the columns there are */
	have = PQexec(m->pg, "SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON "
	                     "c.oid = a.attrelid WHERE c.relnamespace = current_schema()::regnamespace "
	                     "AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped");
	if (PQresultStatus(have) != PGRES_TUPLES_OK)
		return pg_fail(m, have, N_("creating the tables"), d);
	buf_str(&ddl,
	        "CREATE TABLE IF NOT EXISTS lumbung_meta (kunci text PRIMARY KEY, nilai text);\n"
	        "INSERT INTO lumbung_meta VALUES ('layout', '" LAYOUT "') ON CONFLICT DO NOTHING;\n"
	        "CREATE TABLE IF NOT EXISTS lumbung_posisi (origin text COLLATE \"C\" PRIMARY KEY, desa "
	        "text COLLATE \"C\" NOT NULL, kabupaten text NOT NULL, seq bigint NOT NULL, hash text NOT NULL, diubah "
	        "timestamptz NOT NULL);\n"
	        "CREATE TABLE IF NOT EXISTS desa (kode text COLLATE \"C\" PRIMARY KEY, nama text, kecamatan text "
	        "NOT NULL, kabupaten text NOT NULL, terakhir_terlihat timestamptz, seq bigint NOT "
	        "NULL, origin text);\n"
	        "CREATE TABLE IF NOT EXISTS perubahan (origin text COLLATE \"C\", seq bigint, desa text "
	        "COLLATE \"C\" NOT NULL, waktu timestamptz NOT NULL, op text NOT NULL, tipe text COLLATE "
	        "\"C\" NOT NULL, id text COLLATE \"C\" NOT NULL, isi jsonb, PRIMARY KEY (origin, seq));\n"
	        "CREATE INDEX IF NOT EXISTS perubahan_desa_tipe_id ON perubahan (desa, tipe, id);\n");
	for (size_t i = 0; i < m->ntypes; i++)
		if ((e = type_sql(m, &m->types[i], &ddl, have, d))) {
			free(ddl.p);
			PQclear(have);
			return e;
		}
	PQclear(have);
	buf_ch(&ddl, 0);
	if (ddl.oom) {
		free(ddl.p);
		return lb_fail(d, LB_ENOMEM, "out of memory");
	}
	e = pg_exec(m, ddl.p, N_("creating the tables"), d);
	free(ddl.p);
	if (e)
		return e;
	r = PQexec(m->pg, "SELECT nilai FROM lumbung_meta WHERE kunci = 'layout'");
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_fail(m, r, N_("reading the layout"), d);
	if (PQntuples(r) != 1 || strcmp(PQgetvalue(r, 0, 0), LAYOUT)) {
		char esc[LB_ESC_BUF];
		const char *v = PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "";
		e = lb_fail(d, LB_EREFUSED, "the database holds layout \"%s\" of the lumbung tables; "
		            "this lumbung-agg writes layout %s",
		            lb_escape(esc, v, strlen(v)), LAYOUT);
		PQclear(r);
		pg_exec(m, "ROLLBACK", N_("rolling back"), NULL);
		return e;
	}
	PQclear(r);
	if ((e = views(m, d)))
		return e;
	return pg_exec(m, "COMMIT", N_("creating the tables"), d);
}

/* the server's notices ("relation already exists, skipping") are not ours
 * to print */
static void no_notice(void *ctx, const char *msg)
{
	(void)ctx, (void)msg;
}

static lb_err connect_pg(struct lb_agg_mirror *m, struct lb_diag *d)
{
	/* later keywords win: the caller's conninfo overrides our defaults */
	const char *const keys[] = {"connect_timeout", "application_name", "dbname", NULL};
	const char *const vals[] = {"10", "lumbung-agg mirror", m->conninfo, NULL};
	char msg[LB_DIAG_MAX / 2];
	lb_err e;

	m->pg = PQconnectdbParams(keys, vals, 1);
	if (!m->pg)
		return lb_fail(d, LB_ENOMEM, "out of memory");
	PQsetNoticeProcessor(m->pg, no_notice, NULL);
	if (PQstatus(m->pg) != CONNECTION_OK) {
		/* a server that asks for a password we do not have will not
		 * change its mind: not worth trying again */
		if (PQconnectionNeedsPassword(m->pg))
			e = lb_fail(d, LB_EAUTH, "PostgreSQL asks for a password: give it in --pg "
			            "(password=...) or in ~/.pgpass: %s",
			            pg_msg(m->pg, NULL, msg, sizeof msg));
		else
			e = lb_fail(d, LB_ENET, "cannot connect to PostgreSQL: %s",
			            pg_msg(m->pg, NULL, msg, sizeof msg));
		disconnect(m);
		return e;
	}
	if ((e = pg_exec(m, "SET client_encoding = 'UTF8'; SET synchronous_commit = on",
	                 N_("setting up the session"), d)) ||
	    (e = layout(m, d))) {
		if (m->pg && e != LB_ENET)
			disconnect(m);
		return e;
	}
	return LB_OK;
}

/* ---- one batch ------------------------------------------------------------- */

struct batch {
	struct lb_agg_mirror *m;
	const char *village;
	char origin_hex[2 * LB_PK_BYTES + 1];
	uint64_t pos;                    /* position in the database */
	uint8_t pos_hash[LB_HASH_BYTES]; /* its hash (when pos > base) */
	bool check_pos;
	bool in_db;                      /* the position is a row of lumbung_posisi */
	struct lb_agg_origin o;          /* the origin's state in the walk's snapshot */
	uint64_t n, last;                /* entries encoded, the last one's seq */
	uint8_t last_hash[LB_HASH_BYTES];
};

static lb_err b_origin(void *ctx, const struct lb_agg_origin *o, struct lb_diag *d)
{
	struct batch *b = ctx;

	b->o = *o;
	if (!b->in_db && b->pos >= o->seq)
		return STOP; /* a successor of which nothing past its base is held yet */
	if (b->pos > o->seq)
		return lb_fail(d, LB_EGAP, "village %s (key %.16s…): the database's copy is at seq "
		               "%" PRIu64 ", ahead of the %" PRIu64 " this aggregator holds; it is "
		               "another aggregator's copy or a database restored from elsewhere, and "
		               "nothing is sent for this key", b->village, b->origin_hex, b->pos, o->seq);
	return LB_OK;
}

static lb_err b_head(void *ctx, uint64_t seq, const uint8_t *raw, size_t len, struct lb_diag *d)
{
	(void)ctx, (void)seq, (void)raw, (void)len, (void)d;
	return LB_OK;
}

/* One put's fields as the staging table's columns. */
static lb_err put_fields(struct mtype *mt, const struct lb_entry *en, struct lb_diag *d)
{
	const struct lb_type *t = mt->t;
	struct lb_mp_obj vals[256];
	bool have[256] = {false};
	struct lb_mp_rd rd;
	struct lb_mp_obj o;
	struct buf *w = &mt->rows;

	if (t->nfields > 256)
		return lb_fail(d, LB_EINVAL, "type %s has too many fields to mirror", t->name);
	lb_mp_rd_init(&rd, en->body, en->body_len);
	if (lb_mp_next(&rd, &o, d) || o.kind != LB_MP_MAP)
		return lb_fail(d, LB_ECORRUPT, "%s %.*s: stored body is not a map", t->name,
		               (int)en->id_len, en->id);
	for (uint32_t i = 0; i < o.len; i++) {
		struct lb_mp_obj k, v;
		const struct lb_field *f;
		if (lb_mp_next(&rd, &k, d) || k.kind != LB_MP_STR || lb_mp_next(&rd, &v, d))
			return lb_fail(d, LB_ECORRUPT, "%s %.*s: unreadable body", t->name,
			               (int)en->id_len, en->id);
		if (v.kind == LB_MP_ARRAY || v.kind == LB_MP_MAP) {
			if (lb_mp_skip(&rd, false, d))
				return lb_fail(d, LB_ECORRUPT, "%s %.*s: unreadable body", t->name,
				               (int)en->id_len, en->id);
			continue; /* no field of ours is nested */
		}
		if ((f = lb_type_field(t, (const char *)k.s, k.len))) {
			vals[f - t->fields] = v;
			have[f - t->fields] = true;
		}
	}
	for (size_t i = 0; i < t->nfields; i++) {
		const struct lb_mp_obj *v = &vals[i];
		char num[48];
		if (fixed_name(t->fields[i].name))
			continue;
		buf_ch(w, '\t');
		if (!have[i]) {
			buf_put(w, "\\N", 2);
			continue;
		}
		switch (v->kind) {
		case LB_MP_STR:
			buf_copy_text(w, (const char *)v->s, v->len);
			break;
		case LB_MP_UINT:
			buf_put(w, num, (size_t)snprintf(num, sizeof num, "%" PRIu64, v->v.u));
			break;
		case LB_MP_INT:
			buf_put(w, num, (size_t)snprintf(num, sizeof num, "%" PRId64, v->v.i));
			break;
		case LB_MP_BOOL:
			buf_ch(w, v->v.b ? 't' : 'f');
			break;
		case LB_MP_FLOAT:
			buf_put(w, num, (size_t)snprintf(num, sizeof num, "%.17g", v->v.f));
			break;
		default:
			buf_put(w, "\\N", 2);
			break;
		}
	}
	return LB_OK;
}

/* Was (type, id) in the batch already?  Records it.  A 64-bit hash: two
 * ids sharing one only make the batch take the slower, sorting path. */
static bool seen_before(struct lb_agg_mirror *m, size_t type, const char *id, size_t n)
{
	uint64_t h = 1469598103934665603ull ^ type;
	size_t i;

	for (size_t k = 0; k < n; k++)
		h = (h ^ (uint8_t)id[k]) * 1099511628211ull;
	h |= 1; /* 0 marks a free slot */
	for (i = (size_t)(h ^ h >> 29) & (m->nseen - 1); m->seen[i]; i = (i + 1) & (m->nseen - 1))
		if (m->seen[i] == h)
			return true;
	m->seen[i] = h;
	return false;
}

static lb_err b_entry(void *ctx, uint64_t seq, const uint8_t *raw, size_t len, struct lb_diag *d)
{
	struct batch *b = ctx;
	struct lb_agg_mirror *m = b->m;
	struct lb_entry en;
	struct mtype *mt = NULL;
	lb_err e;

	if (b->check_pos && seq == b->pos) { /* the entry the position names */
		uint8_t h[LB_HASH_BYTES];
		char want[2 * LB_HASH_BYTES + 1], have[2 * LB_HASH_BYTES + 1];
		lb_hash(h, raw, len);
		if (memcmp(h, b->pos_hash, LB_HASH_BYTES)) {
			lb_hex(have, h, LB_HASH_BYTES);
			lb_hex(want, b->pos_hash, LB_HASH_BYTES);
			return lb_fail(d, LB_EFORK, "village %s (key %.16s…): the database's copy ends at "
			               "seq %" PRIu64 " with hash %.16s…, but this aggregator's entry %" PRIu64
			               " has hash %.16s…; it is another history (another aggregator's "
			               "copy, a database restored from elsewhere), and nothing is sent "
			               "for this key", b->village, b->origin_hex, seq, want, seq, have);
		}
		b->check_pos = false;
		return LB_OK;
	}
	if (b->n >= m->o.batch)
		return STOP;
	if (lb_entry_decode_stored(&en, raw, len, d)) {
		lb_diag_prefix(d, "the replica of %s is damaged", b->village);
		return LB_ECORRUPT;
	}
	for (size_t i = 0; i < m->ntypes; i++)
		if (strlen(m->types[i].t->name) == en.type_len &&
		    !memcmp(m->types[i].t->name, en.type, en.type_len)) {
			mt = &m->types[i];
			break;
		}
	/* perubahan in COPY's binary format (nothing to escape or for the server
	 * to parse but the JSON): origin, seq, desa, waktu, op, tipe, id, isi */
	bin_u16(&m->log, 8);
	bin_text(&m->log, b->origin_hex, 2 * LB_PK_BYTES);
	bin_u32(&m->log, 8);
	bin_u64(&m->log, seq);
	bin_text(&m->log, b->village, LB_VILLAGE_LEN);
	bin_u32(&m->log, 8); /* timestamptz: microseconds since 2000-01-01 UTC */
	bin_u64(&m->log, (uint64_t)(((int64_t)lb_hlc_ms(en.ts) - 946684800000LL) * 1000));
	bin_text(&m->log, en.op == LB_OP_PUT ? "put" : "del", 3);
	bin_text(&m->log, en.type, en.type_len);
	bin_text(&m->log, en.id, en.id_len);
	if (en.op == LB_OP_PUT) {
		json_t *j = lb_body_to_json(en.body, en.body_len, d);
		size_t at = m->log.len, n;
		if (!j)
			return LB_ECORRUPT;
		bin_u32(&m->log, 0); /* the length, known below */
		buf_ch(&m->log, 1);  /* jsonb's version, then the JSON text */
		for (;;) {
			size_t room = m->log.cap - m->log.len;
			n = m->log.oom ? 0 : json_dumpb(j, m->log.p + m->log.len, room, JSON_COMPACT |
			                                JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
			if (m->log.oom || !n || n <= room)
				break;
			buf_grow(&m->log, n);
		}
		json_decref(j);
		if (m->log.oom || !n)
			return lb_fail(d, LB_ENOMEM, "out of memory");
		m->log.len += n;
		bin_u32_at(&m->log, at, (uint32_t)(n + 1));
	} else
		bin_u32(&m->log, UINT32_MAX); /* -1: NULL */
	if (!m->log.oom && m->log.len >= (1u << 18)) { /* the server parses while we read on */
		if ((e = copy_data(m, m->log.p, m->log.len, N_("sending the change log"), d)))
			return e;
		m->log.len = 0;
	}
	/* the record table's rows: puts as desa, id, fields, origin, seq, diubah;
	 * dels as desa, id, seq, t */
	if (mt && en.op == LB_OP_PUT) {
		struct buf *w = &mt->rows;
		buf_str(w, b->village);
		buf_ch(w, '\t');
		buf_copy_text(w, en.id, en.id_len);
		if ((e = put_fields(mt, &en, d)))
			return e;
		buf_ch(w, '\t');
		buf_str(w, b->origin_hex);
		buf_ch(w, '\t');
		buf_u64(w, seq);
		buf_ch(w, '\t');
		buf_time(w, lb_hlc_ms(en.ts));
		buf_ch(w, '\n');
		mt->nrows++;
	} else if (mt) {
		struct buf *w = &mt->dels;
		buf_str(w, b->village);
		buf_ch(w, '\t');
		buf_copy_text(w, en.id, en.id_len);
		buf_ch(w, '\t');
		buf_u64(w, seq);
		buf_str(w, "\tt\n");
		mt->ndel++;
	}
	if (mt && !mt->dup)
		mt->dup = seen_before(m, (size_t)(mt - m->types), en.id, en.id_len);
	if (m->log.oom || (mt && (mt->rows.oom || mt->dels.oom)))
		return lb_fail(d, LB_ENOMEM, "out of memory");
	b->n++;
	b->last = seq;
	lb_hash(b->last_hash, raw, len);
	return LB_OK;
}

static void batch_reset(struct lb_agg_mirror *m)
{
	memset(m->seen, 0, m->nseen * sizeof *m->seen);
	m->log.len = 0;
	m->log.oom = false;
	for (size_t i = 0; i < m->ntypes; i++) {
		m->types[i].rows.len = 0;
		m->types[i].rows.oom = false;
		m->types[i].dels.len = 0;
		m->types[i].dels.oom = false;
		m->types[i].nrows = m->types[i].ndel = 0;
		m->types[i].dup = false;
	}
}

/* One transaction for origin o: up to a batch of its entries.  *sent gets
 * how many (0: nothing was missing). */
static lb_err one_batch(struct lb_agg_mirror *m, const struct lb_agg_origin *o,
                        const char *name, uint64_t *sent, bool *more, struct lb_diag *d)
{
	struct batch b = {.m = m, .village = o->village};
	struct lb_agg_walk wk = {b_origin, b_entry, b_head, &b};
	char sql[512], hash[2 * LB_HASH_BYTES + 1];
	const char *params[1];
	PGresult *r;
	struct buf tail = {0};
	uint64_t from;
	bool fresh = false;
	lb_err e;

	*sent = 0;
	*more = false;
	lb_hex(b.origin_hex, o->origin, LB_PK_BYTES);
	snprintf(sql, sizeof sql, "BEGIN; SELECT pg_advisory_xact_lock(hashtextextended('%s', 0))",
	         b.origin_hex);
	if ((e = pg_exec(m, sql, N_("starting a transaction"), d)))
		return e;
	params[0] = b.origin_hex;
	r = PQexecParams(m->pg, "SELECT seq, hash, desa FROM lumbung_posisi WHERE origin = $1", 1,
	                 NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_fail(m, r, N_("reading the position"), d);
	if (PQntuples(r) == 1) {
		const char *desa = PQgetvalue(r, 0, 2);
		b.pos = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
		if (strcmp(desa, o->village)) {
			char esc[LB_ESC_BUF];
			e = lb_fail(d, LB_EFORK, "village %s (key %.16s…): the database holds this key's "
			            "position for village %s; nothing is sent for this key", o->village,
			            b.origin_hex, lb_escape(esc, desa, strlen(desa)));
			PQclear(r);
			goto rollback;
		}
		if (b.pos > o->base && lb_unhex(b.pos_hash, LB_HASH_BYTES, PQgetvalue(r, 0, 1))) {
			e = lb_fail(d, LB_EFORK, "village %s (key %.16s…): the database's position holds "
			            "no valid hash; nothing is sent for this key", o->village, b.origin_hex);
			PQclear(r);
			goto rollback;
		}
		b.check_pos = b.pos > o->base;
		b.in_db = true;
	} else
		b.pos = o->base;
	PQclear(r);
	/* a village seen for the first time (no key of it mirrored yet) has no
	 * rows to replace: its records are copied straight into the tables */
	if (!b.pos) {
		params[0] = o->village;
		r = PQexecParams(m->pg, "SELECT count(*) FROM lumbung_posisi WHERE desa = $1", 1, NULL,
		                 params, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			return pg_fail(m, r, N_("reading the positions"), d);
		fresh = !strcmp(PQgetvalue(r, 0, 0), "0");
		PQclear(r);
	}
	from = b.check_pos ? b.pos : b.pos + 1;
	batch_reset(m);
	/* the change log streams while the replica is read */
	if ((e = copy_start(m, "COPY perubahan (origin, seq, desa, waktu, op, tipe, id, isi) FROM "
	                       "STDIN (FORMAT binary)", N_("sending the change log"), d)))
		goto rollback;
	buf_put(&m->log, "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0", 19); /* signature, flags, no extension */
	e = lb_agg_walk_log_from(m->a, o->origin, from, &wk, d);
	if (e == STOP)
		e = LB_OK;
	if (!e && b.check_pos)
		e = lb_fail(d, LB_ECORRUPT, "village %s: the replica lacks entry %" PRIu64, o->village,
		            b.pos);
	if (!e && b.n) {
		bin_u16(&m->log, UINT16_MAX); /* the trailer: -1 */
		e = m->log.oom ? lb_fail(d, LB_ENOMEM, "out of memory")
		               : copy_data(m, m->log.p, m->log.len, N_("sending the change log"), d);
	}
	if (m->pg) {
		lb_err ce = copy_end(m, e || !b.n ? "nothing to send" : NULL, N_("sending the change log"),
		                     e ? NULL : d);
		if (!e)
			e = ce;
	}
	if (e || b.n == 0)
		goto rollback;
	for (size_t i = 0; i < m->ntypes; i++) {
		struct mtype *mt = &m->types[i];
		if (fresh && !mt->dup && !mt->ndel) { /* nothing to replace: straight in */
			if (mt->nrows && (e = pg_copy(m, mt->direct_sql, mt->rows.p, mt->rows.len,
			                              N_("sending records"), d)))
				goto rollback;
			continue;
		}
		if ((mt->nrows &&
		     (e = pg_copy(m, mt->copy_sql, mt->rows.p, mt->rows.len, N_("sending records"), d))) ||
		    (mt->ndel &&
		     (e = pg_copy(m, mt->copyd_sql, mt->dels.p, mt->dels.len, N_("sending records"), d))) ||
		    (mt->ndel && (e = pg_exec(m, mt->del_sql, N_("deleting records"), d))) ||
		    (mt->nrows &&
		     (e = pg_exec(m, mt->dup ? mt->put_sql : mt->put1_sql, N_("writing records"), d))))
			goto rollback;
	}
	{
		char *lorigin, *lvillage, *lname = NULL, *lhash;
		lb_hex(hash, b.last_hash, LB_HASH_BYTES);
		lorigin = PQescapeLiteral(m->pg, b.origin_hex, strlen(b.origin_hex));
		lvillage = PQescapeLiteral(m->pg, o->village, strlen(o->village));
		lhash = PQescapeLiteral(m->pg, hash, strlen(hash));
		if (*name)
			lname = PQescapeLiteral(m->pg, name, strlen(name));
		if (!lorigin || !lvillage || !lhash || (*name && !lname)) {
			PQfreemem(lorigin), PQfreemem(lvillage), PQfreemem(lhash), PQfreemem(lname);
			e = lb_fail(d, LB_ENOMEM, "out of memory");
			goto rollback;
		}
		buf_str(&tail, "INSERT INTO lumbung_posisi VALUES (");
		buf_str(&tail, lorigin);
		buf_str(&tail, ", ");
		buf_str(&tail, lvillage);
		buf_str(&tail, ", substr(");
		buf_str(&tail, lvillage);
		buf_str(&tail, ", 1, 5), ");
		buf_u64(&tail, b.last);
		buf_str(&tail, ", ");
		buf_str(&tail, lhash);
		buf_str(&tail, ", now()) ON CONFLICT (origin) DO UPDATE SET seq = EXCLUDED.seq, hash = "
		               "EXCLUDED.hash, diubah = now();\n");
		/* the village's row: the active key's (a revoked key's only until
		 * there is one) */
		buf_str(&tail, "INSERT INTO desa VALUES (");
		buf_str(&tail, lvillage);
		buf_str(&tail, ", ");
		buf_str(&tail, lname ? lname : "NULL");
		buf_str(&tail, ", substr(");
		buf_str(&tail, lvillage);
		buf_str(&tail, ", 1, 8), substr(");
		buf_str(&tail, lvillage);
		buf_str(&tail, ", 1, 5), ");
		if (b.o.last_seen_ms) {
			buf_ch(&tail, '\'');
			buf_time(&tail, b.o.last_seen_ms);
			buf_ch(&tail, '\'');
		} else
			buf_str(&tail, "NULL");
		buf_str(&tail, ", ");
		buf_u64(&tail, b.last);
		buf_str(&tail, ", ");
		buf_str(&tail, lorigin);
		buf_str(&tail, o->revoked ? ") ON CONFLICT (kode) DO NOTHING;\n"
		                          : ") ON CONFLICT (kode) DO UPDATE SET nama = "
		                            "COALESCE(EXCLUDED.nama, desa.nama), terakhir_terlihat = "
		                            "EXCLUDED.terakhir_terlihat, seq = EXCLUDED.seq, origin = "
		                            "EXCLUDED.origin;\n");
		buf_str(&tail, "COMMIT");
		buf_ch(&tail, 0);
		PQfreemem(lorigin), PQfreemem(lvillage), PQfreemem(lhash), PQfreemem(lname);
		if (tail.oom) {
			e = lb_fail(d, LB_ENOMEM, "out of memory");
			goto rollback;
		}
		e = pg_exec(m, tail.p, N_("committing"), d);
		free(tail.p);
		tail.p = NULL;
		if (e)
			goto rollback;
	}
	*sent = b.n;
	*more = b.last < b.o.seq;
	return LB_OK;
rollback:
	free(tail.p);
	if (m->pg && PQstatus(m->pg) == CONNECTION_OK) {
		PGresult *rr = PQexec(m->pg, "ROLLBACK");
		PQclear(rr);
	}
	return e;
}

/* ---- a pass ---------------------------------------------------------------- */

struct olist {
	struct lb_agg_origin *o;
	size_t n, cap;
	bool oom;
};

static int take_origin(void *ctx, const struct lb_agg_origin *o)
{
	struct olist *l = ctx;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct lb_agg_origin *p = realloc(l->o, cap * sizeof *p);
		if (!p)
			return l->oom = true;
		l->o = p;
		l->cap = cap;
	}
	l->o[l->n++] = *o;
	return 0;
}

/* a village's keys together, successors after the keys they continue;
 * among keys of one base (a key enrolled after the old one was revoked
 * starts at 0 too) the revoked ones first, the one that last wrote
 * latest: each key's puts and deletes apply over what the keys before it
 * wrote (agg.h), and a revoked key wrote nothing after the next was
 * enrolled.  (A revoked key enrolled again after another one wrote mixes
 * the two in time; the mirror then takes it whole after the other.) */
static int by_village(const void *x, const void *y)
{
	const struct lb_agg_origin *a = x, *b = y;
	int c = strcmp(a->village, b->village);
	if (c)
		return c;
	if (a->base != b->base)
		return a->base < b->base ? -1 : 1;
	if (a->revoked != b->revoked)
		return a->revoked ? -1 : 1;
	if (a->last_seen_ms != b->last_seen_ms)
		return a->last_seen_ms < b->last_seen_ms ? -1 : 1;
	return memcmp(a->origin, b->origin, LB_PK_BYTES);
}

/* a pass's origins by key, to find a position's origin */
static int by_key(const void *x, const void *y)
{
	const struct lb_agg_origin *const *a = x, *const *b = y;
	return memcmp((*a)->origin, (*b)->origin, LB_PK_BYTES);
}

/* The desa row of every enrolled village, once per pass: a village
 * enrolled that never sent an entry has one (seq 0), and a name given or
 * changed on the aggregator, or a village heard from again without new
 * entries, is brought up to date.  The batches keep seq and origin (what
 * is mirrored); a row already right is not written.  l is sorted by
 * village. */
static lb_err refresh_desa(struct lb_agg_mirror *m, const struct olist *l, struct lb_diag *d)
{
	struct buf q = {0};
	lb_err e = LB_OK;
	size_t rows = 0;

	buf_str(&q, "INSERT INTO desa AS t (kode, nama, kecamatan, kabupaten, terakhir_terlihat, seq, "
	            "origin) VALUES ");
	for (size_t i = 0; i < l->n && !e;) {
		const struct lb_agg_origin *act = NULL;
		char name[LB_AGG_NAME_MAX + 1], hex[2 * LB_PK_BYTES + 1];
		uint64_t seen = 0;
		size_t j = i;
		char *lv = NULL, *ln = NULL;
		for (; j < l->n && !strcmp(l->o[j].village, l->o[i].village); j++) {
			if (!l->o[j].revoked)
				act = &l->o[j];
			if (l->o[j].last_seen_ms > seen)
				seen = l->o[j].last_seen_ms;
		}
		if (!act) /* every key revoked: the row the batches wrote stays */
			act = &l->o[j - 1];
		if ((e = lb_agg_village_name(m->a, l->o[i].village, name, NULL, d)))
			break;
		lv = PQescapeLiteral(m->pg, l->o[i].village, strlen(l->o[i].village));
		ln = *name ? PQescapeLiteral(m->pg, name, strlen(name)) : NULL;
		if (!lv || (*name && !ln))
			e = lb_fail(d, LB_ENOMEM, "out of memory");
		else {
			lb_hex(hex, act->origin, LB_PK_BYTES);
			buf_str(&q, rows++ ? ", (" : "(");
			buf_str(&q, lv);
			buf_str(&q, ", ");
			buf_str(&q, ln ? ln : "NULL");
			buf_str(&q, ", substr(");
			buf_str(&q, lv);
			buf_str(&q, ", 1, 8), substr(");
			buf_str(&q, lv);
			buf_str(&q, ", 1, 5), ");
			if (seen) {
				buf_ch(&q, '\'');
				buf_time(&q, seen);
				buf_str(&q, "'::timestamptz");
			} else
				buf_str(&q, "NULL::timestamptz");
			buf_str(&q, ", 0, '");
			buf_str(&q, hex);
			buf_str(&q, "')");
		}
		PQfreemem(lv), PQfreemem(ln);
		i = j;
	}
	buf_str(&q, " ON CONFLICT (kode) DO UPDATE SET nama = COALESCE(EXCLUDED.nama, t.nama), "
	            "terakhir_terlihat = GREATEST(t.terakhir_terlihat, EXCLUDED.terakhir_terlihat) "
	            "WHERE t.nama IS DISTINCT FROM COALESCE(EXCLUDED.nama, t.nama) OR "
	            "t.terakhir_terlihat IS DISTINCT FROM GREATEST(t.terakhir_terlihat, "
	            "EXCLUDED.terakhir_terlihat)");
	buf_ch(&q, 0);
	if (!e && q.oom)
		e = lb_fail(d, LB_ENOMEM, "out of memory");
	if (!e && rows)
		e = pg_exec(m, q.p, N_("writing the villages"), d);
	free(q.p);
	return e;
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* What the workers of a pass share. */
struct pass {
	struct lb_agg_mirror *m;
	struct olist *l;
	uint64_t *pos;
	size_t next;       /* the next origin to take (the first of a village) */
	pthread_mutex_t mu;
	struct lb_agg_mirror_stats s;
	lb_err e;          /* the first error */
	struct lb_diag d;
	lb_err refused;    /* the first village refused */
	struct lb_diag refused_d;
};

/* One village: its origins in order, each batch by batch. */
static lb_err village(struct lb_agg_mirror *w, struct pass *p, size_t j0, size_t j1,
                      struct lb_diag *d)
{
	char name[LB_AGG_NAME_MAX + 1] = "";
	bool named = false;
	lb_err e;

	for (size_t j = j0; j < j1; j++) {
		const struct lb_agg_origin *o = &p->l->o[j];
		bool counted = false;
		if (p->pos[j] == o->seq)
			continue;
		if (!named && (e = lb_agg_village_name(w->a, o->village, name, NULL, d)))
			return e;
		named = true;
		for (;;) {
			uint64_t sent;
			bool more, stop;
			pthread_mutex_lock(&p->mu);
			stop = p->e || (w->o.stop && *w->o.stop);
			pthread_mutex_unlock(&p->mu);
			if (stop)
				return LB_OK;
			e = one_batch(w, o, name, &sent, &more, d);
			if (e == LB_EGAP || e == LB_EFORK) {
				/* this village is refused (its later keys too: never out
				 * of order); the others go on */
				pthread_mutex_lock(&p->mu);
				p->s.refused++;
				if (!p->refused) {
					p->refused = e;
					p->refused_d = *d;
				}
				if (w->o.refused)
					w->o.refused(w->o.ctx, o->village, e, lb_diag_msg(d, e));
				pthread_mutex_unlock(&p->mu);
				return LB_OK;
			}
			if (e)
				return e;
			pthread_mutex_lock(&p->mu);
			if (sent && !counted)
				p->s.origins++, counted = true;
			p->s.entries += sent;
			if (w->o.progress)
				w->o.progress(w->o.ctx, p->s.entries, p->s.behind);
			pthread_mutex_unlock(&p->mu);
			if (!more)
				break;
		}
	}
	return LB_OK;
}

static void *worker(void *arg)
{
	struct lb_agg_mirror *w = ((void **)arg)[0];
	struct pass *p = ((void **)arg)[1];
	struct lb_diag d = {0};
	lb_err e = LB_OK;

	for (;;) {
		size_t j0, j1;
		pthread_mutex_lock(&p->mu);
		j0 = p->next;
		for (j1 = j0 + 1; j1 < p->l->n && !strcmp(p->l->o[j1].village, p->l->o[j0].village); j1++)
			;
		p->next = j1 > p->l->n ? p->l->n : j1;
		if (p->e)
			j0 = p->l->n;
		pthread_mutex_unlock(&p->mu);
		if (j0 >= p->l->n)
			break;
		if ((e = village(w, p, j0, j1, &d)))
			break;
	}
	pthread_mutex_lock(&p->mu);
	if (e && !p->e) {
		p->e = e;
		p->d = d;
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

lb_err lb_agg_mirror_pass(struct lb_agg_mirror *m, struct lb_agg_mirror_stats *st,
                          struct lb_diag *d)
{
	struct olist l = {0};
	struct pass p = {.m = m, .l = &l, .mu = PTHREAD_MUTEX_INITIALIZER};
	pthread_t th[LB_AGG_MIRROR_JOBS_MAX];
	void *args[LB_AGG_MIRROR_JOBS_MAX][2];
	size_t started = 0, busy = 0;
	const struct lb_agg_origin **ix = NULL;
	double t0 = now_s();
	PGresult *r = NULL;
	lb_err e = LB_OK;

	if (!m->pg && (e = connect_pg(m, d)))
		goto out;
	if ((e = lb_agg_origins(m->a, take_origin, &l, d)))
		goto out;
	if (l.oom || (l.n && (!(p.pos = calloc(l.n, sizeof *p.pos)) ||
	                      !(ix = malloc(l.n * sizeof *ix))))) {
		e = lb_fail(d, LB_ENOMEM, "out of memory");
		goto out;
	}
	qsort(l.o, l.n, sizeof *l.o, by_village);
	for (size_t i = 0; i < l.n; i++)
		if (!i || strcmp(l.o[i].village, l.o[i - 1].village))
			p.s.villages++;
	/* every position at once: an origin already up to date costs nothing */
	r = PQexec(m->pg, "SELECT origin, seq, hash FROM lumbung_posisi");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		e = pg_fail(m, r, N_("reading the positions"), d);
		r = NULL;
		goto out;
	}
	/* (a database may hold the positions of many aggregators: each is
	 * looked up among ours by key) */
	for (size_t j = 0; j < l.n; j++)
		ix[j] = &l.o[j];
	qsort(ix, l.n, sizeof *ix, by_key);
	for (int i = 0; i < PQntuples(r); i++) {
		size_t lo = 0, hi = l.n;
		uint8_t k[LB_PK_BYTES];
		const char *hx = PQgetvalue(r, i, 0);
		if (strlen(hx) != 2 * LB_PK_BYTES || lb_unhex(k, LB_PK_BYTES, hx))
			continue;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			int c = memcmp(ix[mid]->origin, k, LB_PK_BYTES);
			if (!c) {
				size_t j = (size_t)(ix[mid] - l.o);
				uint8_t h[LB_HASH_BYTES];
				p.pos[j] = strtoull(PQgetvalue(r, i, 1), NULL, 10);
				/* up to date only when the hash agrees too; else the
				 * batch's checks say what is wrong */
				if (p.pos[j] == l.o[j].seq &&
				    (lb_unhex(h, LB_HASH_BYTES, PQgetvalue(r, i, 2)) ||
				     memcmp(h, l.o[j].hash, LB_HASH_BYTES)))
					p.pos[j] = UINT64_MAX;
				break;
			}
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	PQclear(r);
	r = NULL;
	for (size_t j = 0; j < l.n; j++) {
		if (!p.pos[j]) /* a successor starts past its base */
			p.pos[j] = l.o[j].seq < l.o[j].base ? l.o[j].seq : l.o[j].base;
		if (p.pos[j] < l.o[j].seq)
			p.s.behind += l.o[j].seq - p.pos[j];
		if (p.pos[j] != l.o[j].seq && (!j || strcmp(l.o[j].village, l.o[j - 1].village)))
			busy++; /* villages with something to send */
	}
	/* the workers: as many as there are villages to send, each with its
	 * own connection (w[0] runs on this thread) */
	for (size_t i = 1; i < m->nw && i < busy; i++) {
		if (!m->w[i]->pg && (e = connect_pg(m->w[i], d)))
			goto out;
		args[i][0] = m->w[i];
		args[i][1] = &p;
		if (pthread_create(&th[i], NULL, worker, args[i])) {
			e = lb_fail(d, LB_ENOMEM, "cannot start a thread");
			goto out;
		}
		started = i;
	}
	args[0][0] = m;
	args[0][1] = &p;
	worker(args[0]);
out:
	if (e) { /* the started workers stop after their transaction */
		pthread_mutex_lock(&p.mu);
		if (!p.e)
			p.e = e;
		pthread_mutex_unlock(&p.mu);
	}
	for (size_t i = 1; i <= started; i++)
		pthread_join(th[i], NULL);
	if (!e && p.e) {
		e = p.e;
		if (d)
			*d = p.d;
	}
	if (!e && m->pg)
		e = refresh_desa(m, &l, d);
	if (!e && p.refused) {
		e = p.refused;
		if (d)
			*d = p.refused_d;
	}
	PQclear(r);
	free(ix);
	free(p.pos);
	free(l.o);
	p.s.seconds = now_s() - t0;
	if (st)
		*st = p.s;
	return e;
}
