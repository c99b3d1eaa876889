/*
 * rcptfile.c — the receipts file's one writer and one bounded reader
 * (rcptfile.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "rcptfile.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

lb_err lb_rcptfile_encode(struct lb_mp_buf *out, const uint8_t agg[LB_PK_BYTES],
                          const uint8_t *const *r, const size_t *len, size_t n,
                          struct lb_diag *d)
{
	if (n > UINT32_MAX)
		return lb_fail(d, LB_EINVAL, "too many receipts for one file");
	for (size_t i = 0; i < n; i++)
		if (!len[i] || len[i] > LB_RCPTFILE_MAX_RECEIPT)
			return lb_fail(d, LB_EINVAL, "receipt %zu: %zu bytes is not a receipt", i + 1,
			               len[i]);
	lb_mp_buf_reset(out);
	/* keys in canonical (bytewise) order */
	lb_mp_put_map(out, 4);
	lb_mp_put_cstr(out, "agg");
	lb_mp_put_bin(out, agg, LB_PK_BYTES);
	lb_mp_put_cstr(out, "kind");
	lb_mp_put_cstr(out, LB_RCPTFILE_KIND);
	lb_mp_put_cstr(out, "receipts");
	lb_mp_put_array(out, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		lb_mp_put_bin(out, r[i], len[i]);
	lb_mp_put_cstr(out, "v");
	lb_mp_put_uint(out, LB_RCPTFILE_VERSION);
	if (out->oom)
		return lb_fail(d, LB_ENOMEM, "out of memory");
	if (out->sb.size > LB_RCPTFILE_MAX_BYTES)
		return lb_fail(d, LB_ETOOBIG, "%zu receipts do not fit in one receipts file (%u MiB)",
		               n, LB_RCPTFILE_MAX_BYTES >> 20);
	return LB_OK;
}

/* The next map key, which must be `want`. */
static lb_err want_key(struct lb_mp_rd *r, const char *want, struct lb_diag *d)
{
	const uint8_t *s;
	uint32_t n;
	lb_err e;

	if ((e = lb_mp_read_str(r, &s, &n, "receipts file key", d)))
		return e;
	if (n != strlen(want) || memcmp(s, want, n))
		return lb_fail(d, LB_EMALFORMED,
		               "not a receipts file: key \"%.*s\" where \"%s\" belongs", (int)(n > 20 ? 20 : n),
		               s, want);
	return LB_OK;
}

lb_err lb_rcptfile_decode(struct lb_rcptfile *f, const void *buf, size_t len, struct lb_diag *d)
{
	struct lb_mp_rd rd;
	struct lb_mp_obj o;
	const uint8_t *s;
	uint32_t n;
	uint64_t v;
	lb_err e;

	memset(f, 0, sizeof *f);
	if (len > LB_RCPTFILE_MAX_BYTES)
		return lb_fail(d, LB_ETOOBIG, "a receipts file is at most %u MiB, this one has %zu bytes",
		               LB_RCPTFILE_MAX_BYTES >> 20, len);
	lb_mp_rd_init(&rd, buf, len);
	if ((e = lb_mp_next(&rd, &o, d))) {
		lb_diag_prefix(d, "not a receipts file");
		return e;
	}
	if (o.kind != LB_MP_MAP || o.len != 4 || !o.canonical)
		return lb_fail(d, LB_EMALFORMED, "not a receipts file (not a map of 4 fields)");
	if ((e = want_key(&rd, "agg", d)) ||
	    (e = lb_mp_read_binn(&rd, &s, LB_PK_BYTES, "receipts file signer key (agg)", d)))
		return e;
	memcpy(f->agg, s, LB_PK_BYTES);
	if ((e = want_key(&rd, "kind", d)) ||
	    (e = lb_mp_read_str(&rd, &s, &n, "receipts file kind", d)))
		return e;
	if (n != strlen(LB_RCPTFILE_KIND) || memcmp(s, LB_RCPTFILE_KIND, n))
		return lb_fail(d, LB_EMALFORMED, "not a receipts file: its kind is \"%.*s\", not \"%s\"",
		               (int)(n > 40 ? 40 : n), s, LB_RCPTFILE_KIND);
	if ((e = want_key(&rd, "receipts", d)))
		return e;
	/* lb_mp_next refuses a count the bytes left cannot hold */
	if ((e = lb_mp_next(&rd, &o, d)))
		return e;
	if (o.kind != LB_MP_ARRAY || !o.canonical)
		return lb_fail(d, LB_EMALFORMED, "receipts file: receipts is not an array");
	if (o.len && (!(f->r = calloc(o.len, sizeof *f->r)) ||
	              !(f->len = calloc(o.len, sizeof *f->len)))) {
		lb_rcptfile_free(f);
		return lb_fail(d, LB_ENOMEM, "out of memory");
	}
	f->n = o.len;
	for (size_t i = 0; i < f->n; i++) {
		if ((e = lb_mp_next(&rd, &o, d)))
			goto bad;
		if (o.kind != LB_MP_BIN || !o.canonical || !o.len || o.len > LB_RCPTFILE_MAX_RECEIPT) {
			e = lb_fail(d, LB_EMALFORMED,
			            "receipts file: receipt %zu is not a receipt (bin of 1..%u bytes)", i + 1,
			            LB_RCPTFILE_MAX_RECEIPT);
			goto bad;
		}
		f->r[i] = o.s;
		f->len[i] = o.len;
	}
	if ((e = want_key(&rd, "v", d)) || (e = lb_mp_read_uint(&rd, &v, "receipts file version", d)))
		goto bad;
	if (v != LB_RCPTFILE_VERSION) {
		e = lb_fail(d, LB_EMALFORMED, "receipts file version %llu is not known (this build reads %u)",
		            (unsigned long long)v, LB_RCPTFILE_VERSION);
		goto bad;
	}
	if (lb_mp_rd_left(&rd)) {
		e = lb_fail(d, LB_EMALFORMED, "receipts file: %zu bytes after its end",
		            lb_mp_rd_left(&rd));
		goto bad;
	}
	return LB_OK;
bad:
	lb_rcptfile_free(f);
	return e;
}

lb_err lb_rcptfile_read(const char *path, struct lb_rcptfile *f, struct lb_diag *d)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *b = NULL;
	size_t n = 0;
	struct stat st;
	lb_err e;

	memset(f, 0, sizeof *f);
	if (!fp)
		return lb_fail(d, errno == ENOENT ? LB_ENOTFOUND : LB_EIO, "%s: %s", path,
		               strerror(errno));
	if (fstat(fileno(fp), &st) || !S_ISREG(st.st_mode)) {
		fclose(fp);
		return lb_fail(d, LB_EIO, "%s: not a regular file", path);
	}
	if ((uint64_t)st.st_size > LB_RCPTFILE_MAX_BYTES) {
		fclose(fp);
		return lb_fail(d, LB_ETOOBIG, "%s: a receipts file is at most %u MiB, this one has %lld bytes",
		               path, LB_RCPTFILE_MAX_BYTES >> 20, (long long)st.st_size);
	}
	/* one byte more than the cap, so a file that grew is still caught */
	if (!(b = malloc((size_t)st.st_size + 1))) {
		fclose(fp);
		return lb_fail(d, LB_ENOMEM, "out of memory");
	}
	n = fread(b, 1, (size_t)st.st_size + 1, fp);
	if (ferror(fp)) {
		e = lb_fail(d, LB_EIO, "%s: %s", path, strerror(errno));
		fclose(fp);
		free(b);
		return e;
	}
	fclose(fp);
	if ((e = lb_rcptfile_decode(f, b, n, d))) {
		lb_diag_prefix(d, "%s", path);
		free(b);
		return e;
	}
	f->buf = b;
	return LB_OK;
}

/* Make the rename durable: flush the directory holding path (best
 * effort; the file itself is already on disk). */
static void sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
	int fd;

	if (!dir)
		return;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

lb_err lb_rcptfile_write(const char *path, const uint8_t agg[LB_PK_BYTES],
                         const uint8_t *const *r, const size_t *len, size_t n,
                         struct lb_diag *d)
{
	struct lb_mp_buf out;
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 16);
	int fd = -1;
	bool made = false; /* the temporary file exists */
	lb_err e;

	if (!tmp)
		return lb_fail(d, LB_ENOMEM, "out of memory");
	lb_mp_buf_init(&out);
	if ((e = lb_rcptfile_encode(&out, agg, r, len, n, d)))
		goto out;
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".tmp.XXXXXX", 12);
	if ((fd = mkstemp(tmp)) < 0) {
		e = lb_fail(d, errno == ENOSPC ? LB_EFULL : LB_EIO, "%s: %s", path, strerror(errno));
		goto out;
	}
	made = true;
	for (size_t off = 0; off < out.sb.size;) {
		ssize_t w = write(fd, out.sb.data + off, out.sb.size - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			e = lb_fail(d, errno == ENOSPC ? LB_EFULL : LB_EIO, "%s: %s", path,
			            w < 0 ? strerror(errno) : "short write");
			goto out;
		}
		off += (size_t)w;
	}
	if (fchmod(fd, 0644) || fsync(fd)) {
		e = lb_fail(d, errno == ENOSPC ? LB_EFULL : LB_EIO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (close(fd)) {
		fd = -1;
		e = lb_fail(d, errno == ENOSPC ? LB_EFULL : LB_EIO, "%s: %s", path, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path)) {
		e = lb_fail(d, LB_EIO, "%s: %s", path, strerror(errno));
		goto out;
	}
	made = false; /* renamed: nothing to remove */
	sync_dir(path);
out:
	if (fd >= 0)
		close(fd);
	if (made)
		unlink(tmp);
	free(tmp);
	lb_mp_buf_free(&out);
	return e;
}

void lb_rcptfile_free(struct lb_rcptfile *f)
{
	if (!f)
		return;
	free(f->r);
	free(f->len);
	free(f->buf);
	memset(f, 0, sizeof *f);
}
