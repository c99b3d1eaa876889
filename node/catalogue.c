/*
 * catalogue.c — the village's catalogue copies (catalogue.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "catalogue.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "../schema/text.h"

#define CATALOGUES_MAX 64
#define CHECKED_FILE "checked"

bool lb_catalogue_region_ok(const char *code)
{
	enum lb_region_level l = code ? lb_region_level(code) : LB_REGION_INVALID;
	return l == LB_REGION_KABUPATEN || l == LB_REGION_KECAMATAN;
}

static lb_err region_check(const char *region, struct lb_diag *d)
{
	char esc[64];

	if (lb_catalogue_region_ok(region))
		return LB_OK;
	lb_escape_buf(esc, sizeof esc, region ? region : "", region ? strlen(region) : 0);
	return lb_fail(d, LB_EINVAL, "\"%s\" is not a kabupaten or kecamatan code (PP.KK or PP.KK.CC)",
	               esc);
}

/* dir/catalogue[/region[/file]]: malloc'd, NULL when out of memory. */
static char *cat_path(const char *dir, const char *region, const char *file)
{
	size_t n = strlen(dir) + sizeof LB_CATALOGUE_SUBDIR + 2 + (region ? strlen(region) + 1 : 0) +
	           (file ? strlen(file) + 1 : 0);
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/" LB_CATALOGUE_SUBDIR "%s%s%s%s", dir, region ? "/" : "",
		         region ? region : "", file ? "/" : "", file ? file : "");
	return p;
}

static time_t read_checked(const char *dir, const char *region)
{
	char *p = cat_path(dir, region, CHECKED_FILE);
	FILE *f = p ? fopen(p, "r") : NULL;
	long long t = 0;

	if (f) {
		if (fscanf(f, "%lld", &t) != 1 || t < 0)
			t = 0;
		fclose(f);
	}
	free(p);
	return (time_t)t;
}

lb_err lb_catalogue_touch(const char *dir, const char *region, struct lb_diag *d)
{
	char *p, *tmp = NULL;
	FILE *f = NULL;
	lb_err e = LB_OK;
	int bad;

	if ((e = region_check(region, d)))
		return e;
	if (!(p = cat_path(dir, region, CHECKED_FILE)) || !(tmp = cat_path(dir, region, ".checked.tmp"))) {
		free(p);
		return lb_fail(d, LB_ENOMEM, "out of memory");
	}
	if (!(f = fopen(tmp, "w"))) {
		e = errno == ENOENT ? lb_fail(d, LB_ENOTFOUND, "no catalogue of %s is held", region)
		                    : lb_fail(d, LB_EIO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	bad = fprintf(f, "%lld\n", (long long)time(NULL)) < 0;
	bad |= fclose(f) != 0;
	if (bad || rename(tmp, p)) {
		e = lb_fail(d, errno == ENOSPC ? LB_EFULL : LB_EIO, "%s: %s", p, strerror(errno));
		unlink(tmp);
	}
out:
	free(p);
	free(tmp);
	return e;
}

lb_err lb_catalogue_open(const char *dir, const char *region, struct lb_node **out,
                         struct lb_diag *d)
{
	struct lb_node_opts o = {.read_only = true};
	struct stat st;
	char *p;
	lb_err e;

	*out = NULL;
	if ((e = region_check(region, d)))
		return e;
	if (!(p = cat_path(dir, region, NULL)))
		return lb_fail(d, LB_ENOMEM, "out of memory");
	if (stat(p, &st))
		e = lb_fail(d, LB_ENOTFOUND, "no catalogue of %s is held (it comes with `lumbung sync` "
		            "or `lumbung catalogue import`)", region);
	else
		e = lb_node_open(out, p, &o, d);
	free(p);
	return e;
}

lb_err lb_catalogue_info(const char *dir, const char *region, struct lb_catalogue_info *ci,
                         struct lb_diag *d)
{
	struct lb_node *n;
	struct lb_node_info info;
	lb_err e;

	memset(ci, 0, sizeof *ci);
	if ((e = lb_catalogue_open(dir, region, &n, d)))
		return e;
	e = lb_node_info(n, &info, d);
	lb_node_close(n);
	if (e)
		return e;
	if (strcmp(info.village, region))
		return lb_fail(d, LB_ECORRUPT, "the catalogue copy in %s/" LB_CATALOGUE_SUBDIR "/%s is "
		               "the log of %s", dir, region, info.village);
	snprintf(ci->region, sizeof ci->region, "%s", region);
	memcpy(ci->key, info.origin, LB_PK_BYTES);
	ci->seq = info.seq;
	ci->ts = info.ts;
	ci->records = info.records;
	ci->checked = read_checked(dir, region);
	return LB_OK;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The region names under dir/catalogue, sorted: *names[0..*count), each
 * malloc'd (free with free_names).  None: *count 0. */
static lb_err region_names(const char *dir, char ***names, size_t *count, struct lb_diag *d)
{
	char *p = cat_path(dir, NULL, NULL);
	DIR *dh;
	struct dirent *de;
	char **v;
	size_t k = 0;

	*names = NULL;
	*count = 0;
	if (!p)
		return lb_fail(d, LB_ENOMEM, "out of memory");
	if (!(dh = opendir(p))) {
		int err = errno;
		free(p);
		return err == ENOENT ? LB_OK
		                     : lb_fail(d, LB_EIO, "%s/" LB_CATALOGUE_SUBDIR ": %s", dir,
		                               strerror(err));
	}
	free(p);
	if (!(v = calloc(CATALOGUES_MAX, sizeof *v))) {
		closedir(dh);
		return lb_fail(d, LB_ENOMEM, "out of memory");
	}
	while ((de = readdir(dh)) && k < CATALOGUES_MAX)
		if (lb_catalogue_region_ok(de->d_name) && !(v[k++] = strdup(de->d_name))) {
			closedir(dh);
			for (size_t i = 0; i < k; i++)
				free(v[i]);
			free(v);
			return lb_fail(d, LB_ENOMEM, "out of memory");
		}
	closedir(dh);
	qsort(v, k, sizeof *v, cmp_str);
	*names = v;
	*count = k;
	return LB_OK;
}

static void free_names(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

lb_err lb_catalogue_list(const char *dir, lb_catalogue_cb cb, void *ctx, size_t *count,
                         struct lb_diag *d)
{
	struct lb_catalogue_info ci;
	char **names;
	size_t k, seen = 0;
	lb_err e;

	if ((e = region_names(dir, &names, &k, d)))
		return e;
	for (size_t i = 0; !e && i < k; i++) {
		if ((e = lb_catalogue_info(dir, names[i], &ci, d)))
			break;
		seen++;
		if (cb && cb(ctx, &ci))
			break;
	}
	free_names(names, k);
	if (count)
		*count = seen;
	return e;
}

lb_err lb_catalogue_find(const char *dir, const char *type, const char *id, size_t id_len,
                         char *region, struct lb_diag *d)
{
	char **names;
	size_t k;
	lb_err e;
	bool found = false;

	if ((e = region_names(dir, &names, &k, d)))
		return e;
	for (size_t i = 0; !found && i < k; i++) {
		struct lb_node *n;
		if ((e = lb_catalogue_open(dir, names[i], &n, d)))
			break;
		if ((found = lb_node_exists(n, type, id, id_len)))
			snprintf(region, LB_CATALOGUE_REGION_MAX + 1, "%s", names[i]);
		lb_node_close(n);
	}
	free_names(names, k);
	if (e)
		return e;
	return found ? LB_OK : lb_fail(d, LB_ENOTFOUND, "no catalogue holds %s", type);
}

void lb_catalogue_remove_copy(const char *path)
{
	static const char *const files[] = {"data.mdb", "lock.mdb", "node.pub", CHECKED_FILE};
	size_t n = strlen(path) + 16;
	char *p = malloc(n);

	if (!p)
		return;
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(p, n, "%s/%s", path, files[i]);
		unlink(p);
	}
	free(p);
	rmdir(path);
}

lb_err lb_catalogue_adopt(const char *dir, const char *region, const uint8_t key[LB_PK_BYTES],
                          FILE *f, struct lb_adopt_report *r, bool *made, struct lb_diag *d)
{
	struct lb_node_opts o = {.replica = true};
	struct lb_catalogue_info ci;
	struct lb_adopt_report rep;
	struct lb_node *n = NULL;
	char *top = NULL, *path = NULL;
	bool fresh = false;
	lb_err e;

	if (made)
		*made = false;
	if (!r)
		r = &rep;
	memset(r, 0, sizeof *r);
	if ((e = region_check(region, d)))
		return e;
	e = lb_catalogue_info(dir, region, &ci, d);
	if (e && e != LB_ENOTFOUND)
		return e;
	if (!e && sodium_memcmp(ci.key, key, LB_PK_BYTES)) {
		char held[2 * LB_PK_BYTES + 1], other[2 * LB_PK_BYTES + 1];
		lb_hex(held, ci.key, LB_PK_BYTES);
		lb_hex(other, key, LB_PK_BYTES);
		return lb_fail(d, LB_ESIG, "the catalogue of %s is held under key %s; key %s is "
		               "another", region, held, other);
	}
	if (!(top = cat_path(dir, NULL, NULL)) || !(path = cat_path(dir, region, NULL))) {
		e = lb_fail(d, LB_ENOMEM, "out of memory");
		goto out;
	}
	if (e == LB_ENOTFOUND) {
		if (mkdir(top, 0700) && errno != EEXIST) {
			e = lb_fail(d, LB_EIO, "%s: %s", top, strerror(errno));
			goto out;
		}
		if ((e = lb_node_init_replica(path, region, key, d)))
			goto out;
		fresh = true;
	}
	if ((e = lb_node_open(&n, path, &o, d)))
		goto out;
	e = lb_node_adopt_ex(n, f, NULL, LB_ADOPT_NO_FORK | LB_ADOPT_NO_ROLLBACK, r, d);
	lb_node_close(n);
	if (!e)
		e = lb_catalogue_touch(dir, region, d);
out:
	if (e && fresh)
		lb_catalogue_remove_copy(path);
	else if (!e && made)
		*made = fresh;
	free(top);
	free(path);
	return e;
}
