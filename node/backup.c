/*
 * backup.c — a directory's LMDB environments (compacted, each from one
 * read transaction) and its other files as one tar, while the node or the
 * aggregator keeps writing (see backup.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "backup.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lmdb_err.h"

#define COPY_BUF (64 * 1024)
#define MAX_DEPTH 4 /* DIR/catalogues/REGION/data.mdb is the deepest there is */

/* The output, written by our own callback rather than libarchive's fd
 * writer: a write error is kept here and every later write is dropped, so
 * libarchive never enters its fatal state (in which libarchive 3.6 leaks
 * its output buffer) and no end marker reaches the output after a
 * failure. */
struct out {
	int fd;
	int err;   /* errno of the first failed write, 0 */
	bool stop; /* drop everything from now on */
};

struct bk {
	struct archive *ar;
	struct out out;
	const char *tmpdir;
	const char *const *skip;
	struct lb_backup_stats *st;
	struct lb_diag *d;
	char *buf;
};

static la_ssize_t out_write(struct archive *ar, void *client, const void *buf, size_t len)
{
	struct out *o = client;
	size_t off = 0;

	(void)ar;
	while (!o->stop && off < len) {
		ssize_t w = write(o->fd, (const char *)buf + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			o->err = w < 0 ? errno : EIO;
			o->stop = true;
			break;
		}
		off += (size_t)w;
	}
	return (la_ssize_t)len;
}

/* A write to the archive failed: why, in the user's words. */
static lb_err out_fail(struct bk *b, const char *what)
{
	int en = b->out.err ? b->out.err : archive_errno(b->ar);

	if (en == EPIPE)
		return lb_fail(b->d, LB_EIO,
		               "the output was closed before the backup was complete (%s); what "
		               "was written is no backup",
		               what);
	if (en == ENOSPC || en == EDQUOT)
		return lb_fail(b->d, LB_EFULL,
		               "writing the backup (%s): disk full; what was written is no backup",
		               what);
	return lb_fail(b->d, LB_EIO, "writing the backup (%s): %s", what,
	               archive_error_string(b->ar) ? archive_error_string(b->ar) : strerror(en));
}

/* An entry's header: name, type, mode, size, times and owner of st. */
static lb_err put_header(struct bk *b, const char *name, const struct stat *st, unsigned type,
                         int64_t size)
{
	struct archive_entry *e = archive_entry_new();
	lb_err r = LB_OK;

	if (!e)
		return lb_fail(b->d, LB_ENOMEM, "out of memory");
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, st->st_mode & 07777);
	archive_entry_set_uid(e, st->st_uid);
	archive_entry_set_gid(e, st->st_gid);
	archive_entry_set_mtime(e, st->st_mtime, 0);
	archive_entry_set_size(e, size);
	if (archive_write_header(b->ar, e) != ARCHIVE_OK || b->out.err)
		r = out_fail(b, name);
	archive_entry_free(e);
	return r;
}

/* size bytes of fd from its start as the entry's contents. */
static lb_err put_contents(struct bk *b, int fd, int64_t size, const char *name,
                           const char *src)
{
	int64_t left = size;

	while (left > 0) {
		ssize_t n = read(fd, b->buf, left < COPY_BUF ? (size_t)left : COPY_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return lb_fail(b->d, LB_EIO, "%s: %s", src, strerror(errno));
		if (n == 0) /* the file shrank as we read it: pad, as tar must */
			memset(b->buf, 0, (size_t)(n = left < COPY_BUF ? left : COPY_BUF));
		if (archive_write_data(b->ar, b->buf, (size_t)n) != n || b->out.err)
			return out_fail(b, name);
		left -= n;
	}
	if (archive_write_finish_entry(b->ar) != ARCHIVE_OK || b->out.err)
		return out_fail(b, name);
	b->st->bytes += (uint64_t)size;
	return LB_OK;
}

/* The environment in envdir (relative name rel, "" for the top), compacted
 * into a temporary file, then into the archive as rel/data.mdb. */
static lb_err put_env(struct bk *b, const char *envdir, const char *rel, const struct stat *data_st)
{
	char tmpl[4096], name[4096];
	MDB_env *env = NULL;
	struct stat tst;
	int fd, rc;
	lb_err e = LB_OK;

	if ((size_t)snprintf(tmpl, sizeof tmpl, "%s/lumbung-backup.XXXXXX", b->tmpdir) >=
	        sizeof tmpl ||
	    (size_t)snprintf(name, sizeof name, "%s%sdata.mdb", rel, *rel ? "/" : "") >= sizeof name)
		return lb_fail(b->d, LB_EINVAL, "%s: path too long", envdir);
	if ((fd = mkstemp(tmpl)) < 0)
		return lb_fail(b->d, errno == ENOSPC ? LB_EFULL : LB_EIO,
		               "a temporary file in %s (set TMPDIR to another directory): %s",
		               b->tmpdir, strerror(errno));
	unlink(tmpl); /* gone when closed, whatever happens */
	if ((rc = lb_mdb_env_open(&env, envdir, true, 0, 0))) {
		e = lb_mdb_fail(b->d, rc, envdir);
		goto out;
	}
	/* A writer that grew the map since we opened makes the read
	 * transaction fail with MDB_MAP_RESIZED: take the new size, again. */
	for (int tries = 0;; tries++) {
		rc = mdb_env_copyfd2(env, fd, MDB_CP_COMPACT);
		if (rc != MDB_MAP_RESIZED || tries == 8)
			break;
		if ((rc = mdb_env_set_mapsize(env, 0)) || ftruncate(fd, 0) || lseek(fd, 0, SEEK_SET))
			break;
	}
	if (rc == ENOSPC || rc == EDQUOT) {
		e = lb_fail(b->d, LB_EFULL,
		            "copying %s: the temporary copy in %s: disk full (set TMPDIR to a "
		            "directory with room for the compacted database)",
		            envdir, b->tmpdir);
		goto out;
	}
	if (rc) {
		char what[4200];
		snprintf(what, sizeof what, "copying %s/data.mdb", envdir);
		e = lb_mdb_fail(b->d, rc, what);
		goto out;
	}
	if (fstat(fd, &tst) || lseek(fd, 0, SEEK_SET)) {
		e = lb_fail(b->d, LB_EIO, "the temporary copy of %s: %s", envdir, strerror(errno));
		goto out;
	}
	struct stat hst = *data_st;
	hst.st_mtime = time(NULL); /* the copy is of now */
	hst.st_mode = (hst.st_mode & ~07777) | 0600;
	if (!(e = put_header(b, name, &hst, AE_IFREG, (int64_t)tst.st_size)) &&
	    !(e = put_contents(b, fd, (int64_t)tst.st_size, name, envdir)))
		b->st->envs++;
out:
	if (env)
		mdb_env_close(env);
	close(fd);
	return e;
}

static lb_err put_file(struct bk *b, const char *path, const char *name)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	lb_err e;

	if (fd < 0 || fstat(fd, &st)) {
		e = lb_fail(b->d, LB_EIO, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return e;
	}
	if (!(e = put_header(b, name, &st, AE_IFREG, (int64_t)st.st_size)) &&
	    !(e = put_contents(b, fd, (int64_t)st.st_size, name, path)))
		b->st->files++;
	close(fd);
	return e;
}

static bool skipped(const struct bk *b, const char *name)
{
	for (const char *const *s = b->skip; s && *s; s++)
		if (!strcmp(*s, name))
			return true;
	return false;
}

static int no_dots(const struct dirent *de)
{
	return de->d_name[0] != '.';
}

/* dir (relative name rel) into the archive: its environment, if any, then
 * its files and directories in name order. */
static lb_err walk(struct bk *b, const char *dir, const char *rel, int depth)
{
	struct dirent **list = NULL;
	struct stat st;
	char path[4096], name[4096];
	lb_err e = LB_OK;
	int n;

	if ((n = scandir(dir, &list, no_dots, alphasort)) < 0)
		return lb_fail(b->d, LB_EIO, "%s: %s", dir, strerror(errno));
	if ((size_t)snprintf(path, sizeof path, "%s/data.mdb", dir) < sizeof path &&
	    lstat(path, &st) == 0 && S_ISREG(st.st_mode))
		e = put_env(b, dir, rel, &st);
	for (int i = 0; i < n && !e; i++) {
		const char *f = list[i]->d_name;
		if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, f) >= sizeof path ||
		    (size_t)snprintf(name, sizeof name, "%s%s%s", rel, *rel ? "/" : "", f) >=
		        sizeof name) {
			e = lb_fail(b->d, LB_EINVAL, "%s/%s: path too long", dir, f);
			break;
		}
		if (lstat(path, &st)) {
			if (errno != ENOENT) /* gone since the listing: nothing to keep */
				e = lb_fail(b->d, LB_EIO, "%s: %s", path, strerror(errno));
			continue;
		}
		if (!strcmp(f, "data.mdb") || !strcmp(f, "lock.mdb"))
			continue;
		if (skipped(b, f)) {
			b->st->skipped++;
			continue;
		}
		if (S_ISDIR(st.st_mode) && depth < MAX_DEPTH) {
			char dname[4200];
			snprintf(dname, sizeof dname, "%s/", name);
			if (!(e = put_header(b, dname, &st, AE_IFDIR, 0)))
				e = walk(b, path, name, depth + 1);
		} else if (S_ISREG(st.st_mode))
			e = put_file(b, path, name);
		/* sockets, links, devices: nothing of ours */
	}
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
	return e;
}

lb_err lb_backup_write(const char *dir, int fd, const char *tmpdir, const char *const *skip,
                       struct lb_backup_stats *st, struct lb_diag *d)
{
	struct lb_backup_stats dummy;
	struct bk b = {.out = {.fd = fd}, .skip = skip, .st = st ? st : &dummy, .d = d};
	struct stat fst;
	char path[4096];
	lb_err e;

	memset(b.st, 0, sizeof *b.st);
	if ((size_t)snprintf(path, sizeof path, "%s/data.mdb", dir) >= sizeof path)
		return lb_fail(d, LB_EINVAL, "%s: path too long", dir);
	if (access(path, F_OK))
		return lb_fail(d, LB_ENOTFOUND, "%s: no data.mdb here: %s", dir, strerror(errno));
	if (!tmpdir && (!(tmpdir = getenv("TMPDIR")) || !*tmpdir))
		tmpdir = "/tmp";
	b.tmpdir = tmpdir;
	if (!(b.buf = malloc(COPY_BUF)) || !(b.ar = archive_write_new())) {
		free(b.buf);
		return lb_fail(d, LB_ENOMEM, "out of memory");
	}
	if (archive_write_set_format_pax_restricted(b.ar) != ARCHIVE_OK ||
	    archive_write_open(b.ar, &b.out, NULL, out_write, NULL) != ARCHIVE_OK) {
		e = out_fail(&b, "opening the output");
		goto out;
	}
	if ((e = walk(&b, dir, "", 0)))
		goto out;
	if (archive_write_close(b.ar) != ARCHIVE_OK || b.out.err) {
		e = out_fail(&b, "the end of the archive");
		goto out;
	}
	/* On the disk now, or say why not (a full disk may show only here). */
	if (fstat(fd, &fst) == 0 && S_ISREG(fst.st_mode) && fsync(fd))
		e = lb_fail(d, errno == ENOSPC || errno == EDQUOT ? LB_EFULL : LB_EIO,
		            "writing the backup: %s; what was written is no backup", strerror(errno));
out:
	b.out.stop = true; /* no end marker after a failure: a cut archive must not look whole */
	archive_write_free(b.ar);
	free(b.buf);
	return e;
}
