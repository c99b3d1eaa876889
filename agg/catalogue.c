/*
 * catalogue.c — the aggregator's own catalogue and the replicas of its
 * upstreams' catalogues (catalogue.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "catalogue.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../node/archive.h"
#include "../node/catalogue.h"
#include "../node/entry.h"
#include "../sync/catfetch.h"
#include "store_int.h"
#include "tree.h"

#define OWN_DIR "catalogue"
#define RELAY_DIR "catalogues"
#define MAX_RELAYED 64

/* One handle per LMDB environment per process: every catalogue node is
 * opened, used and closed under this lock. */
static pthread_mutex_t cat_lock = PTHREAD_MUTEX_INITIALIZER;

bool lb_agg_catalogue_type_ok(const char *type)
{
	return type && (!strcmp(type, "program") || !strcmp(type, "wilayah"));
}

lb_err lb_agg_catalogue_wilayah_ok(struct lb_agg *a, const char *kode, struct lb_diag *d)
{
	size_t n = strlen(a->region);
	char esc[LB_ESC_BUF];

	if (kode && lb_region_level(kode) != LB_REGION_INVALID && !strncmp(kode, a->region, n) &&
	    (kode[n] == '\0' || kode[n] == '.'))
		return LB_OK;
	return lb_fail(d, LB_EINVAL, "wilayah \"%s\" is not %s nor inside it: a catalogue names "
	               "only its own region's kecamatan and villages",
	               lb_escape(esc, kode ? kode : "", kode ? strlen(kode) : 0), a->region);
}

static const char *agg_path(struct lb_agg *a)
{
	const char *p = NULL;
	if (mdb_env_get_path(a->env, &p) || !p)
		return ".";
	return p;
}

static char *join3(const char *a, const char *b, const char *c)
{
	size_t n = strlen(a) + strlen(b) + (c ? strlen(c) + 1 : 0) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s%s%s", a, b, c ? "/" : "", c ? c : "");
	return p;
}

lb_err lb_agg_catalogue_dir(struct lb_agg *a, const char *region, char **out, struct lb_diag *d)
{
	char esc[LB_ESC_BUF];

	*out = NULL;
	if (!region || !strcmp(region, a->region))
		*out = join3(agg_path(a), OWN_DIR, NULL);
	else if (strlen(region) > LB_VILLAGE_LEN || !lb_log_owner_ok(region))
		return lb_fail(d, LB_EINVAL, "\"%s\" is not a kabupaten or kecamatan code",
		               lb_escape(esc, region, strlen(region)));
	else
		*out = join3(agg_path(a), RELAY_DIR, region);
	return *out ? LB_OK : lb_fail(d, LB_ENOMEM, "out of memory");
}

static bool has_node(const char *dir)
{
	char *p = join3(dir, "data.mdb", NULL);
	bool ok = p && access(p, F_OK) == 0;
	free(p);
	return ok;
}

lb_err lb_agg_catalogue_ensure(struct lb_agg *a, struct lb_diag *d)
{
	uint8_t origin[LB_PK_BYTES];
	char *dir;
	lb_err e;

	if ((e = lb_agg_catalogue_dir(a, NULL, &dir, d)))
		return e;
	pthread_mutex_lock(&cat_lock);
	if (has_node(dir))
		e = LB_OK;
	else if (a->read_only)
		e = agg_refuse_read_only("making the catalogue", d);
	else if ((e = lb_node_init_key(dir, a->region, NULL, &a->key, origin, d)) == LB_EEXIST)
		e = LB_OK; /* another process made it meanwhile */
	pthread_mutex_unlock(&cat_lock);
	free(dir);
	return e;
}

/* Open the catalogue node in dir (lock held).  LB_ENOTFOUND when none. */
static lb_err open_cat(const char *dir, const char *region, bool replica, struct lb_node **n,
                       struct lb_diag *d)
{
	struct lb_node_opts o = {.read_only = !replica, .replica = replica};

	if (!has_node(dir))
		return lb_fail(d, LB_ENOTFOUND, "no catalogue of %s is held here", region);
	return lb_node_open(n, dir, &o, d);
}

static lb_err held(const char *dir, const char *region, struct lb_agg_catalogue *c,
                   struct lb_diag *d)
{
	struct lb_node *n;
	struct lb_node_info i;
	lb_err e;

	if ((e = open_cat(dir, region, false, &n, d)))
		return e;
	if (!(e = lb_node_info(n, &i, d))) {
		snprintf(c->region, sizeof c->region, "%s", i.village);
		memcpy(c->key, i.origin, LB_PK_BYTES);
		c->seq = i.seq;
	}
	lb_node_close(n);
	return e;
}

/* Is region strictly inside this aggregator's (a kecamatan's of ours)? */
static bool inside(const struct lb_agg *a, const char *region)
{
	size_t n = strlen(a->region);
	return !strncmp(region, a->region, n) && region[n] == '.';
}

static int by_region(const void *x, const void *y)
{
	return strcmp(((const struct lb_agg_catalogue *)x)->region,
	              ((const struct lb_agg_catalogue *)y)->region);
}

lb_err lb_agg_catalogues(struct lb_agg *a, lb_agg_catalogue_cb cb, void *ctx, struct lb_diag *d)
{
	struct lb_agg_catalogue cs[1 + MAX_RELAYED];
	size_t n = 0;
	char *dir = NULL, *rdir = NULL;
	DIR *dh;
	struct dirent *de;
	lb_err e = LB_OK;

	if ((e = lb_agg_catalogue_dir(a, NULL, &dir, d)))
		return e;
	if (!(rdir = join3(agg_path(a), RELAY_DIR, NULL))) {
		free(dir);
		return lb_fail(d, LB_ENOMEM, "out of memory");
	}
	pthread_mutex_lock(&cat_lock);
	memset(cs, 0, sizeof cs);
	if (has_node(dir)) {
		if ((e = held(dir, a->region, &cs[0], d)))
			goto out;
		cs[n++].own = true;
	}
	if ((dh = opendir(rdir))) {
		while ((de = readdir(dh)) && n < 1 + MAX_RELAYED) {
			char *p;
			if (strlen(de->d_name) > LB_VILLAGE_LEN || !lb_log_owner_ok(de->d_name) ||
			    !strcmp(de->d_name, a->region))
				continue;
			if (!(p = join3(rdir, de->d_name, NULL))) {
				e = lb_fail(d, LB_ENOMEM, "out of memory");
				break;
			}
			if (has_node(p) && !(e = held(p, de->d_name, &cs[n], d)))
				cs[n].below = inside(a, cs[n].region), n++;
			free(p);
			if (e)
				break;
		}
		closedir(dh);
	}
out:
	pthread_mutex_unlock(&cat_lock);
	free(dir);
	free(rdir);
	if (e)
		return e;
	if (n > 2)
		qsort(cs + 1, n - 1, sizeof *cs, by_region);
	for (size_t i = 0; i < n; i++)
		if (cb(ctx, &cs[i]))
			break;
	return LB_OK;
}

lb_err lb_agg_catalogue_export(struct lb_agg *a, const char *region, uint64_t from, FILE *out,
                               struct lb_diag *d)
{
	struct lb_node *n;
	char *dir;
	lb_err e;

	if ((e = lb_agg_catalogue_dir(a, region, &dir, d)))
		return e;
	pthread_mutex_lock(&cat_lock);
	if (!(e = open_cat(dir, region ? region : a->region, false, &n, d))) {
		e = lb_node_export_log_from(n, from, out, d);
		lb_node_close(n);
	}
	pthread_mutex_unlock(&cat_lock);
	free(dir);
	return e;
}

lb_err lb_agg_catalogue_adopt(struct lb_agg *a, const char *region, const uint8_t key[LB_PK_BYTES],
                              FILE *f, struct lb_adopt_report *r, struct lb_diag *d)
{
	struct lb_node *n = NULL;
	struct lb_node_info i;
	struct lb_adopt_report rep;
	char *dir, *rdir = NULL, hx[2 * LB_PK_BYTES + 1], hy[2 * LB_PK_BYTES + 1];
	bool fresh = false;
	lb_err e;

	if (!r)
		r = &rep;
	memset(r, 0, sizeof *r);

	if (!region || !strcmp(region, a->region))
		return lb_fail(d, LB_EINVAL, "the catalogue of %s is this aggregator's own: it is "
		               "written here, never taken from elsewhere", a->region);
	if (a->read_only)
		return agg_refuse_read_only("taking a catalogue", d);
	if ((e = lb_agg_catalogue_dir(a, region, &dir, d)))
		return e;
	pthread_mutex_lock(&cat_lock);
	if (!has_node(dir)) {
		if (!(rdir = join3(agg_path(a), RELAY_DIR, NULL))) {
			e = lb_fail(d, LB_ENOMEM, "out of memory");
			goto out;
		}
		if (mkdir(rdir, 0700) != 0 && errno != EEXIST) {
			e = lb_fail(d, LB_EIO, "%s: %s", rdir, strerror(errno));
			goto out;
		}
		if ((e = lb_node_init_replica(dir, region, key, d)))
			goto out;
		fresh = true;
	}
	if ((e = open_cat(dir, region, true, &n, d)) || (e = lb_node_info(n, &i, d)))
		goto out;
	if (memcmp(i.origin, key, LB_PK_BYTES)) {
		lb_hex(hx, i.origin, LB_PK_BYTES);
		lb_hex(hy, key, LB_PK_BYTES);
		e = lb_fail(d, LB_ESIG, "the catalogue of %s held here is signed by %s, not by %s",
		            region, hx, hy);
		goto out;
	}
	e = lb_node_adopt_ex(n, f, NULL, LB_ADOPT_NO_FORK | LB_ADOPT_NO_ROLLBACK, r, d);
out:
	lb_node_close(n);
	if (fresh && (e || !r->tip)) /* nothing kept of a refused or empty first copy */
		lb_catalogue_remove_copy(dir);
	pthread_mutex_unlock(&cat_lock);
	free(rdir);
	free(dir);
	return e;
}

lb_err lb_agg_catalogue_one(struct lb_agg *a, const char *region, struct lb_agg_catalogue *c,
                            struct lb_diag *d)
{
	bool own = !region || !strcmp(region, a->region);
	char *dir;
	lb_err e;

	memset(c, 0, sizeof *c);
	if ((e = lb_agg_catalogue_dir(a, region, &dir, d)))
		return e;
	if (own)
		region = a->region;
	pthread_mutex_lock(&cat_lock);
	e = has_node(dir) ? held(dir, region, c, d)
	                  : lb_fail(d, LB_ENOTFOUND, "no catalogue of %s is held here", region);
	pthread_mutex_unlock(&cat_lock);
	free(dir);
	if (!e) {
		c->own = own;
		c->below = !own && inside(a, c->region);
	}
	return e;
}

static lb_err held_seq(struct lb_agg *a, const char *region, uint64_t *seq, struct lb_diag *d)
{
	struct lb_agg_catalogue c;
	char *dir;
	lb_err e;

	*seq = 0;
	if ((e = lb_agg_catalogue_dir(a, region, &dir, d)))
		return e;
	pthread_mutex_lock(&cat_lock);
	e = has_node(dir) ? held(dir, region, &c, d) : LB_ENOTFOUND;
	pthread_mutex_unlock(&cat_lock);
	free(dir);
	if (e == LB_OK)
		*seq = c.seq;
	return e == LB_ENOTFOUND ? LB_OK : e;
}

lb_err lb_agg_catalogue_pull(struct lb_agg *a, const struct lb_remote *up,
                             struct lb_agg_catalogue_pull *st, struct lb_diag *d)
{
	struct lb_catalogue_ref *refs = NULL;
	size_t nrefs = 0;
	lb_err e, first = LB_OK;

	memset(st, 0, sizeof *st);
	if (!up->has_key)
		return lb_fail(d, LB_EINVAL, "upstream %s has no key pinned", up->name);
	if ((e = lb_catalogues_list(up->url, up->cacert, &refs, &nrefs, d)))
		return e;
	for (size_t i = 0; i < nrefs; i++) {
		struct lb_catalogue_ref *c = &refs[i];
		struct lb_adopt_report r;
		struct lb_diag cd = {0};
		uint64_t have;
		FILE *f;

		if (memcmp(c->key, up->key, LB_PK_BYTES) || !strcmp(c->region, a->region))
			continue; /* only what the pinned key signs, never our own */
		st->listed++;
		if ((e = held_seq(a, c->region, &have, &cd)))
			goto refused;
		if (c->seq < have) {
			e = lb_fail(&cd, LB_EREFUSED, "rollback: the upstream holds it up to seq %llu, "
			            "we hold %llu", (unsigned long long)c->seq, (unsigned long long)have);
			goto refused;
		}
		if (c->seq == have)
			continue;
		if (!(f = tmpfile())) {
			e = lb_fail(&cd, LB_EIO, "a temporary file: %s", strerror(errno));
			goto refused;
		}
		if (!(e = lb_catalogue_fetch(up->url, up->cacert, c->region, have + 1, f, &cd))) {
			if (fflush(f) || fseek(f, 0, SEEK_SET))
				e = lb_fail(&cd, LB_EIO, "a temporary file: %s", strerror(errno));
			else
				e = lb_agg_catalogue_adopt(a, c->region, c->key, f, &r, &cd);
		}
		fclose(f);
		if (e == LB_ENET) {
			lb_fail(d, e, "%s", cd.msg);
			free(refs);
			return e;
		}
		if (!e) {
			st->updated += r.added > 0;
			st->entries += r.added;
			continue;
		}
refused:
		st->refused++;
		if (!first) {
			first = e;
			lb_fail(d, e, "catalogue %s refused: %s; the last good one (seq %llu) is kept",
			        c->region, lb_diag_msg(&cd, e), (unsigned long long)have);
		}
	}
	free(refs);
	return first;
}

struct collect {
	struct lb_agg_catalogue cs[1 + MAX_RELAYED];
	size_t n;
};

static int collect_cb(void *ctx, const struct lb_agg_catalogue *c)
{
	struct collect *k = ctx;
	if (k->n < 1 + MAX_RELAYED)
		k->cs[k->n++] = *c;
	return 0;
}

lb_err lb_agg_catalogue_get(struct lb_agg *a, const char *village, const char *type,
                            const char *id, uint8_t **body, size_t *len,
                            char region[LB_VILLAGE_LEN + 1], struct lb_diag *d)
{
	struct collect *k = calloc(1, sizeof *k);
	lb_err e;

	*body = NULL;
	*len = 0;
	if (!k)
		return lb_fail(d, LB_ENOMEM, "out of memory");
	if ((e = lb_agg_catalogues(a, collect_cb, k, d)))
		goto out;
	e = LB_ENOTFOUND;
	for (size_t i = 0; i < k->n && e == LB_ENOTFOUND; i++) {
		struct lb_node *n;
		char *dir;
		if (village && !lb_region_contains(k->cs[i].region, village))
			continue; /* another kecamatan's catalogue */
		if ((e = lb_agg_catalogue_dir(a, k->cs[i].own ? NULL : k->cs[i].region, &dir, d)))
			break;
		pthread_mutex_lock(&cat_lock);
		if (!(e = open_cat(dir, k->cs[i].region, false, &n, d))) {
			e = lb_node_get(n, type, id, strlen(id), body, len, NULL, d);
			lb_node_close(n);
		}
		pthread_mutex_unlock(&cat_lock);
		free(dir);
		if (!e && region)
			snprintf(region, LB_VILLAGE_LEN + 1, "%s", k->cs[i].region);
	}
	if (e == LB_ENOTFOUND)
		lb_fail(d, e, "%s %s: in no catalogue held here", type, id);
out:
	free(k);
	return e;
}

struct scan {
	lb_agg_catalogue_rec_cb cb;
	void *ctx;
	const char *region;
	bool stop;
};

static int scan_cb(void *ctx, const char *id, size_t id_len, const uint8_t *body, size_t len)
{
	struct scan *sc = ctx;
	return (sc->stop = sc->cb(sc->ctx, sc->region, id, id_len, body, len) != 0);
}

lb_err lb_agg_catalogue_scan(struct lb_agg *a, const char *type, lb_agg_catalogue_rec_cb cb,
                             void *ctx, struct lb_diag *d)
{
	struct collect *k = calloc(1, sizeof *k);
	struct scan sc = {cb, ctx, NULL, false};
	lb_err e;

	if (!k)
		return lb_fail(d, LB_ENOMEM, "out of memory");
	if ((e = lb_agg_catalogues(a, collect_cb, k, d)))
		goto out;
	for (size_t i = 0; i < k->n && !e && !sc.stop; i++) {
		struct lb_node *n;
		char *dir;
		if ((e = lb_agg_catalogue_dir(a, k->cs[i].own ? NULL : k->cs[i].region, &dir, d)))
			break;
		sc.region = k->cs[i].region;
		pthread_mutex_lock(&cat_lock);
		if (!(e = open_cat(dir, k->cs[i].region, false, &n, d))) {
			e = lb_node_scan(n, type, scan_cb, &sc, d);
			lb_node_close(n);
		}
		pthread_mutex_unlock(&cat_lock);
		free(dir);
	}
out:
	free(k);
	return e;
}

/* The aggregator enrolled here for one kecamatan: an active one if any. */
struct enrolled {
	const char *region;
	struct lb_agg_aggregator o;
	bool found;
};

static int find_enrolled(void *ctx, const struct lb_agg_aggregator *o)
{
	struct enrolled *k = ctx;

	if (strcmp(o->region, k->region))
		return 0;
	if (!k->found || !o->revoked) {
		k->o = *o;
		k->found = true;
	}
	return !o->revoked;
}

/* The archive f names region and key in its header (the signatures are
 * the adopt's to check): the signer is told apart from a gap or a fork
 * before anything is compared.  f is rewound. */
static lb_err signer_is(FILE *f, const char *region, const uint8_t key[LB_PK_BYTES],
                        struct lb_diag *d)
{
	struct lb_lla_reader rd = {0};
	struct lb_lla_frame fr;
	char hx[2 * LB_PK_BYTES + 1], hy[2 * LB_PK_BYTES + 1];
	lb_err e;

	if (!(e = lb_lla_reader_open(&rd, f, d)) && !(e = lb_lla_next(&rd, &fr, d))) {
		if (fr.kind != LB_LLA_HEADER)
			e = lb_fail(d, LB_EMALFORMED, "the archive does not start with its header");
		else if (strcmp(fr.header.village, region))
			e = lb_fail(d, LB_EWRONG_VILLAGE, "the archive is the catalogue of %s, not of %s",
			            fr.header.village, region);
		else if (memcmp(fr.header.origin, key, LB_PK_BYTES)) {
			lb_hex(hx, fr.header.origin, LB_PK_BYTES);
			lb_hex(hy, key, LB_PK_BYTES);
			e = lb_fail(d, LB_ESIG, "the archive is signed by %s, not by %s, the aggregator "
			            "enrolled here for kecamatan %s", hx, hy, region);
		}
	} else if (e == LB_ENOTFOUND)
		e = lb_fail(d, LB_EMALFORMED, "an empty archive");
	lb_lla_reader_close(&rd);
	if (!e && fseek(f, 0, SEEK_SET))
		e = lb_fail(d, LB_EIO, "rereading the archive: %s", strerror(errno));
	return e;
}

lb_err lb_agg_catalogue_receive(struct lb_agg *a, const char *region, FILE *f,
                                struct lb_adopt_report *r, struct lb_diag *d)
{
	struct enrolled k = {.region = region};
	char esc[LB_ESC_BUF], hx[2 * LB_PK_BYTES + 1];
	lb_err e;

	if (!region || strlen(region) != LB_KEC_LEN ||
	    lb_region_level(region) != LB_REGION_KECAMATAN)
		return lb_fail(d, LB_EINVAL, "\"%s\" is not a kecamatan code (PP.KK.CC): only a "
		               "kecamatan's catalogue is sent up",
		               lb_escape(esc, region ? region : "", region ? strlen(region) : 0));
	if (!inside(a, region))
		return lb_fail(d, LB_EFORBIDDEN, "kecamatan %s is not inside %s: its catalogue is not "
		               "taken here", region, a->region);
	if ((e = lb_agg_aggregators(a, find_enrolled, &k, d)))
		return e;
	if (!k.found)
		return lb_fail(d, LB_EFORBIDDEN, "no aggregator is enrolled here for kecamatan %s "
		               "(lumbung-agg enroll-aggregator): its catalogue is not taken", region);
	lb_hex(hx, k.o.key, LB_PK_BYTES);
	if (k.o.revoked)
		return lb_fail(d, LB_EFORBIDDEN, "the aggregator of kecamatan %s (key %s) was revoked "
		               "here: its catalogue is not taken", region, hx);
	if ((e = signer_is(f, region, k.o.key, d)))
		return e;
	return lb_agg_catalogue_adopt(a, region, k.o.key, f, r, d);
}

lb_err lb_agg_catalogue_push(struct lb_agg *a, const char *url, const char *cacert,
                             uint64_t *sent,
                             struct lb_diag *d)
{
	struct lb_agg_catalogue own;
	struct lb_catalogue_ref up;
	uint64_t from = 1;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	lb_err e;

	*sent = 0;
	if (lb_region_level(a->region) != LB_REGION_KECAMATAN)
		return LB_OK;
	if ((e = lb_agg_catalogue_one(a, NULL, &own, d)) == LB_ENOTFOUND)
		return LB_OK;
	if (e || !own.seq)
		return e;
	e = lb_catalogue_held(url, cacert, a->region, &up, d);
	if (e && e != LB_ENOTFOUND)
		return e;
	if (!e) {
		if (memcmp(up.key, own.key, LB_PK_BYTES)) {
			char hx[2 * LB_PK_BYTES + 1];
			lb_hex(hx, up.key, LB_PK_BYTES);
			return lb_fail(d, LB_ESIG, "%s holds the catalogue of %s under key %s, not ours",
			               url, a->region, hx);
		}
		if (up.seq > own.seq)
			return lb_fail(d, LB_EREFUSED, "%s holds our catalogue up to seq %llu, we hold "
			               "only %llu (was this store restored from an old backup?)", url,
			               (unsigned long long)up.seq, (unsigned long long)own.seq);
		if (up.seq == own.seq)
			return LB_OK;
		from = up.seq + 1;
	}
	/* a catalogue is small: made whole in memory, then sent */
	if (!(f = open_memstream(&buf, &len)))
		return lb_fail(d, LB_ENOMEM, "out of memory");
	e = lb_agg_catalogue_export(a, NULL, from, f, d);
	if (fclose(f) && !e)
		e = lb_fail(d, LB_ENOMEM, "out of memory");
	if (!e && len > LB_AGG_CATALOGUE_POST_MAX)
		e = lb_fail(d, LB_ETOOBIG, "the catalogue's tail from seq %llu is %zu bytes, more than "
		            "an upstream takes in one request", (unsigned long long)from, len);
	if (!e && !(e = lb_catalogue_post(url, cacert, a->region, buf, len, d)))
		*sent = own.seq - from + 1;
	free(buf);
	return e;
}
