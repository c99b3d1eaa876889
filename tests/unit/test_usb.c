/*
 * test_usb.c — what travels on a USB stick besides change sets: receipts
 * files (sync/rcptfile.h) and bundle frames (sync/bundle.h).  Known bytes
 * are written out by hand from the format in docs/FORMAT.md §13; hostile
 * files (another kind, truncated at every byte, declared counts larger
 * than the bytes, oversized) are refused with their reason.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../sync/bundle.h"
#include "../../sync/rcptfile.h"

/* ---- receipts file: the bytes, by hand ---------------------------------- */

static uint8_t agg[32];
static const uint8_t r1[3] = {1, 2, 3};
static const uint8_t r2[1] = {9};

/* {agg: bin32, kind: "lumbung-receipts", receipts: [r1, r2], v: 1} */
static size_t known_file(uint8_t *out, const char *kind, uint8_t version)
{
	size_t n = 0;
	out[n++] = 0x84;
	memcpy(out + n, "\xa3" "agg", 4), n += 4;
	out[n++] = 0xc4, out[n++] = 32;
	memcpy(out + n, agg, 32), n += 32;
	memcpy(out + n, "\xa4" "kind", 5), n += 5;
	out[n++] = (uint8_t)(0xa0 | strlen(kind));
	memcpy(out + n, kind, strlen(kind)), n += strlen(kind);
	memcpy(out + n, "\xa8" "receipts", 9), n += 9;
	out[n++] = 0x92;
	out[n++] = 0xc4, out[n++] = 3;
	memcpy(out + n, r1, 3), n += 3;
	out[n++] = 0xc4, out[n++] = 1, out[n++] = 9;
	memcpy(out + n, "\xa1" "v", 2), n += 2;
	out[n++] = version;
	return n;
}

static void test_rcptfile_known_bytes(void **state)
{
	(void)state;
	uint8_t want[256];
	size_t wn = known_file(want, "lumbung-receipts", 1);
	const uint8_t *rs[2] = {r1, r2};
	size_t ls[2] = {3, 1};
	struct lb_mp_buf b;
	struct lb_rcptfile f;

	lb_mp_buf_init(&b);
	assert_int_equal(lb_rcptfile_encode(&b, agg, rs, ls, 2, NULL), LB_OK);
	assert_int_equal(b.sb.size, wn);
	assert_memory_equal(b.sb.data, want, wn);
	lb_mp_buf_free(&b);

	assert_int_equal(lb_rcptfile_decode(&f, want, wn, NULL), LB_OK);
	assert_memory_equal(f.agg, agg, 32);
	assert_int_equal(f.n, 2);
	assert_int_equal(f.len[0], 3);
	assert_memory_equal(f.r[0], r1, 3);
	assert_int_equal(f.len[1], 1);
	assert_int_equal(f.r[1][0], 9);
	lb_rcptfile_free(&f);
}

static void refused(const void *buf, size_t len, lb_err want, const char *says)
{
	struct lb_rcptfile f;
	struct lb_diag d = {0};
	lb_err e = lb_rcptfile_decode(&f, buf, len, &d);

	assert_int_equal(e, want);
	assert_null(f.r);
	assert_int_equal(f.n, 0);
	if (says && !strstr(d.msg, says))
		fail_msg("\"%s\" does not say \"%s\"", d.msg, says);
}

static void test_rcptfile_wrong_kind_and_version(void **state)
{
	(void)state;
	uint8_t b[256];
	size_t n;

	n = known_file(b, "lumbung-receiptz", 1);
	refused(b, n, LB_EMALFORMED, "lumbung-receiptz");
	n = known_file(b, "lumbung-enrol", 1);
	refused(b, n, LB_EMALFORMED, "kind");
	n = known_file(b, "lumbung-receipts", 2);
	refused(b, n, LB_EMALFORMED, "version 2");
	/* a change set is not a receipts file */
	refused("\x81\xa7" "entries\x90", 10, LB_EMALFORMED, "not a receipts file");
	refused("\x85\xa7" "entries\x90", 10, LB_EMALFORMED, "not a receipts file");
	/* trailing bytes */
	n = known_file(b, "lumbung-receipts", 1);
	b[n++] = 0xc0;
	refused(b, n, LB_EMALFORMED, "after its end");
	/* the map header in a longer form than needed: not canonical */
	n = known_file(b + 2, "lumbung-receipts", 1);
	b[0] = 0xde, b[1] = 0x00, b[2] = 0x04;
	refused(b, n + 2, LB_EMALFORMED, NULL);
}

static void test_rcptfile_truncated_everywhere(void **state)
{
	(void)state;
	uint8_t b[256];
	size_t n = known_file(b, "lumbung-receipts", 1);

	for (size_t cut = 0; cut < n; cut++) {
		struct lb_rcptfile f;
		uint8_t *copy = malloc(cut ? cut : 1); /* exact size: ASan sees any overread */
		memcpy(copy, b, cut);
		assert_int_equal(lb_rcptfile_decode(&f, copy, cut, NULL), LB_EMALFORMED);
		free(copy);
	}
}

static void test_rcptfile_counts_larger_than_bytes(void **state)
{
	(void)state;
	uint8_t b[256];
	size_t n = 0;

	/* receipts: array32 of 4 billion, then nothing */
	n = known_file(b, "lumbung-receipts", 1);
	n = 1 + 4 + 34 + 5 + 17 + 9;
	b[n++] = 0xdd, b[n++] = 0xff, b[n++] = 0xff, b[n++] = 0xff, b[n++] = 0xff;
	b[n++] = 0xc4, b[n++] = 1, b[n++] = 9;
	refused(b, n, LB_EMALFORMED, NULL);
	/* one receipt declaring 4 GiB of bytes */
	n = 1 + 4 + 34 + 5 + 17 + 9;
	b[n++] = 0x91;
	b[n++] = 0xc6, b[n++] = 0xff, b[n++] = 0xff, b[n++] = 0xff, b[n++] = 0xff;
	b[n++] = 1;
	refused(b, n, LB_EMALFORMED, NULL);
	/* a receipt larger than a receipt can be, present in full */
	{
		size_t big = LB_RCPTFILE_MAX_RECEIPT + 1, m = 1 + 4 + 34 + 5 + 17 + 9;
		uint8_t *x = calloc(1, m + 4 + big + 3);
		memcpy(x, b, m);
		x[m++] = 0x91;
		x[m++] = 0xc5, x[m++] = (uint8_t)(big >> 8), x[m++] = (uint8_t)big;
		m += big;
		memcpy(x + m, "\xa1" "v\x01", 3), m += 3;
		refused(x, m, LB_EMALFORMED, "receipt 1");
		free(x);
	}
	/* the map itself claiming 2^32-1 fields */
	refused("\xdf\xff\xff\xff\xff\xa3" "agg", 9, LB_EMALFORMED, NULL);
}

static void test_rcptfile_oversized(void **state)
{
	(void)state;
	char path[] = "/tmp/lumbung-rcpt-XXXXXX";
	int fd = mkstemp(path);
	struct lb_rcptfile f;
	struct lb_diag d = {0};

	assert_true(fd >= 0);
	/* sparse: nothing is written, and nothing may be read */
	assert_int_equal(ftruncate(fd, (off_t)LB_RCPTFILE_MAX_BYTES + 1), 0);
	close(fd);
	assert_int_equal(lb_rcptfile_read(path, &f, &d), LB_ETOOBIG);
	assert_non_null(strstr(d.msg, path));
	unlink(path);
	assert_int_equal(lb_rcptfile_decode(&f, path, (size_t)LB_RCPTFILE_MAX_BYTES + 1, NULL),
	                 LB_ETOOBIG);
	assert_int_equal(lb_rcptfile_read("/nonexistent/x.receipts", &f, NULL), LB_ENOTFOUND);
}

static void test_rcptfile_write_atomic(void **state)
{
	(void)state;
	char dir[] = "/tmp/lumbung-rcptw-XXXXXX", path[64], cmd[128];
	const uint8_t *rs[2] = {r1, r2};
	size_t ls[2] = {3, 1};
	uint8_t want[256], got[256];
	size_t wn = known_file(want, "lumbung-receipts", 1);
	struct lb_rcptfile f;
	FILE *fp;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/cs.receipts", dir);
	assert_int_equal(lb_rcptfile_write(path, agg, rs, ls, 2, NULL), LB_OK);
	fp = fopen(path, "rb");
	assert_non_null(fp);
	assert_int_equal(fread(got, 1, sizeof got, fp), wn);
	fclose(fp);
	assert_memory_equal(got, want, wn);
	assert_int_equal(lb_rcptfile_read(path, &f, NULL), LB_OK);
	assert_int_equal(f.n, 2);
	lb_rcptfile_free(&f);
	/* a receipt that is not one: refused, and the old file stays */
	ls[1] = 0;
	assert_int_equal(lb_rcptfile_write(path, agg, rs, ls, 2, NULL), LB_EINVAL);
	assert_int_equal(lb_rcptfile_read(path, &f, NULL), LB_OK);
	lb_rcptfile_free(&f);
	/* nowhere to write: LB_EIO naming the path */
	snprintf(path, sizeof path, "%s/no/such/dir.receipts", dir);
	ls[1] = 1;
	assert_int_equal(lb_rcptfile_write(path, agg, rs, ls, 2, NULL), LB_EIO);
	/* only the one file is left: no temporary files */
	snprintf(cmd, sizeof cmd, "test $(ls -A %s | wc -l) = 1 && rm -r %s", dir, dir);
	assert_int_equal(system(cmd), 0);
}

/* ---- bundle frames ------------------------------------------------------- */

static const uint8_t cs_frame[] = {0x81, 0xa7, 'e', 'n', 't', 'r', 'i', 'e', 's', 0x90};
static const uint8_t st_frame[] = {0x81, 0xaa, 's', 't', 'a', 't', 'e', 'm', 'e', 'n', 't', 's',
                                   0x90};

/* "LCB1" | 00 00 00 0a cs | 00 00 00 0d st | 00 00 00 12 {frames: 2, kind: "end"} */
static size_t known_bundle(uint8_t *b)
{
	size_t n = 0;
	memcpy(b, "LCB1", 4), n = 4;
	memcpy(b + n, "\0\0\0\x0a", 4), n += 4;
	memcpy(b + n, cs_frame, sizeof cs_frame), n += sizeof cs_frame;
	memcpy(b + n, "\0\0\0\x0d", 4), n += 4;
	memcpy(b + n, st_frame, sizeof st_frame), n += sizeof st_frame;
	memcpy(b + n, "\0\0\0\x12", 4), n += 4;
	memcpy(b + n, "\x82\xa6" "frames\x02\xa4" "kind\xa3" "end", 18), n += 18;
	return n;
}

static void test_bundle_known_bytes(void **state)
{
	(void)state;
	uint8_t want[128], *got = NULL;
	size_t wn = known_bundle(want), gn = 0;
	FILE *f = open_memstream((char **)&got, &gn);
	struct lb_bundle_w w;

	assert_int_equal(lb_bundle_begin(&w, f, NULL), LB_OK);
	assert_int_equal(lb_bundle_put(&w, cs_frame, sizeof cs_frame, NULL), LB_OK);
	assert_int_equal(lb_bundle_put(&w, st_frame, sizeof st_frame, NULL), LB_OK);
	assert_int_equal(lb_bundle_put(&w, cs_frame, 0, NULL), LB_ETOOBIG);
	assert_int_equal(lb_bundle_end(&w, NULL), LB_OK);
	fclose(f);
	assert_int_equal(gn, wn);
	assert_memory_equal(got, want, wn);
	free(got);
}

/* Read every frame of buf; returns the error that ended it (LB_ENOTFOUND:
 * a complete bundle) and the kinds seen. */
static lb_err read_all(const uint8_t *buf, size_t len, enum lb_bundle_kind *kinds, size_t *n,
                       struct lb_diag *d)
{
	FILE *f = fmemopen((void *)buf, len, "rb");
	struct lb_bundle_r r;
	const uint8_t *fr;
	size_t fl;
	lb_err e;

	*n = 0;
	if (!len) /* fmemopen refuses an empty buffer */
		f = fopen("/dev/null", "rb");
	assert_non_null(f);
	if (!(e = lb_bundle_open(&r, f, d))) {
		while (!(e = lb_bundle_next(&r, &kinds[*n], &fr, &fl, d)))
			(*n)++;
		if (e == LB_ENOTFOUND)
			assert_true(r.ended);
		lb_bundle_close(&r);
	}
	fclose(f);
	return e;
}

static void test_bundle_read(void **state)
{
	(void)state;
	uint8_t b[128];
	size_t n = known_bundle(b), k;
	enum lb_bundle_kind kinds[8];
	struct lb_diag d = {0};

	assert_int_equal(read_all(b, n, kinds, &k, NULL), LB_ENOTFOUND);
	assert_int_equal(k, 2);
	assert_int_equal(kinds[0], LB_BUNDLE_CHANGESET);
	assert_int_equal(kinds[1], LB_BUNDLE_STATEMENTS);

	/* cut at every byte: never taken for complete */
	for (size_t cut = 0; cut < n; cut++) {
		lb_err e = read_all(b, cut, kinds, &k, &d);
		assert_int_equal(e, LB_EMALFORMED);
		if (cut >= 4 && !strstr(d.msg, "truncated"))
			fail_msg("cut at %zu: \"%s\"", cut, d.msg);
	}
	/* a trailer counting another number of frames */
	b[n - 10] = 0x03;
	assert_int_equal(read_all(b, n, kinds, &k, &d), LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "3 frames"));
	b[n - 10] = 0x02;
	/* bytes after the trailer */
	b[n] = 0;
	assert_int_equal(read_all(b, n + 1, kinds, &k, &d), LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "after"));
	/* not a bundle */
	b[3] = '2';
	assert_int_equal(read_all(b, n, kinds, &k, &d), LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "not a bundle"));
	b[3] = '1';
	/* a frame declaring more than a frame may hold: stops, unread */
	memcpy(b + 4, "\x7f\xff\xff\xff", 4);
	assert_int_equal(read_all(b, n, kinds, &k, &d), LB_ETOOBIG);
	assert_non_null(strstr(d.msg, "frame 1"));
	/* an empty first frame (nothing read yet): read as a frame of no kind */
	{
		static const uint8_t e0[] = {'L', 'C', 'B', '1', 0, 0, 0, 0};
		assert_int_equal(read_all(e0, sizeof e0, kinds, &k, &d), LB_EMALFORMED);
		assert_int_equal(k, 1);
		assert_int_equal(kinds[0], LB_BUNDLE_OTHER);
		assert_non_null(strstr(d.msg, "truncated after frame 1"));
	}
	/* a frame of unknown kind is read (and left to the receiver) */
	n = known_bundle(b);
	b[9] = 0xa6; /* the first key of frame 1 is now "entrie" */
	assert_int_equal(read_all(b, n, kinds, &k, NULL), LB_ENOTFOUND);
	assert_int_equal(kinds[0], LB_BUNDLE_OTHER);
}

int main(void)
{
	for (size_t i = 0; i < sizeof agg; i++)
		agg[i] = (uint8_t)(0xa0 + i);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rcptfile_known_bytes),
		cmocka_unit_test(test_rcptfile_wrong_kind_and_version),
		cmocka_unit_test(test_rcptfile_truncated_everywhere),
		cmocka_unit_test(test_rcptfile_counts_larger_than_bytes),
		cmocka_unit_test(test_rcptfile_oversized),
		cmocka_unit_test(test_rcptfile_write_atomic),
		cmocka_unit_test(test_bundle_known_bytes),
		cmocka_unit_test(test_bundle_read),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
