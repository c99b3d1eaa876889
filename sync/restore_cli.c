/*
 * restore_cli.c — `lumbung restore -d NEWDIR --from URL|FILE.lla --village
 * CODE [--restore-key FILE] [--passphrase-file F] [--agg-key HEX]
 * [--remote NAME]`.
 *
 * The key comes from the key backup (--restore-key), or from NEWDIR when
 * it already holds a node of the village with an empty log (a new key the
 * office tied to the old chain with a succession).  The copy is fetched to
 * a temporary file next to NEWDIR (or read from the archive given), then
 * the node is made and lb_node_adopt checks every byte of the copy against
 * the village's key before it keeps any.  Receipts in the copy signed by
 * the trusted aggregator (--agg-key, else the remote's key) are checked and
 * kept; --agg-key with a URL adds the remote, so `lumbung sync` works at
 * once.  On any failure everything this command made is removed: the
 * temporary file, the node, NEWDIR when it made it.
 */
#define _XOPEN_SOURCE 700
#include "restore_cli.h"

#include <errno.h>
#include <ftw.h>
#include <libgen.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include "../node/adopt.h"
#include "../node/archive.h"
#include "../node/cli_pass.h"
#include "../node/entry.h"
#include "../node/hlc.h"
#include "../node/remote.h"
#include "../schema/text.h"
#include "catalogue_cli.h"
#include "fetch.h"
#include "receipt.h"
#include "source.h"
#include "keyarg.h"
#include "../schema/i18n.h"

#define DEFAULT_REMOTE "kabupaten"

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path) ? -1 : 0;
}

/* Remove dir's contents; dir itself too when whole. */
static void rm_tree(const char *dir, bool whole)
{
	DIR *dd;
	struct dirent *de;
	char p[4096];

	if (whole) {
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
		return;
	}
	if (!(dd = opendir(dir)))
		return;
	while ((de = readdir(dd)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
			nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
		}
	closedir(dd);
}

/* Does dir exist, and is it empty? */
static bool dir_state(const char *dir, bool *empty)
{
	DIR *dd = opendir(dir);
	struct dirent *de;

	*empty = true;
	if (!dd)
		return false;
	while ((de = readdir(dd)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			*empty = false;
	closedir(dd);
	return true;
}

/* An HLC for people: local time (TZ), e.g. "28 Nov 2026 09:12 WIB". */
static const char *human(char out[48], uint64_t ts)
{
	return lb_human_time((int64_t)lb_hlc_ms(ts), out, 48);
}

lb_err lb_sync_keep_copy_receipts(const char *cmd, struct lb_node *n, FILE *f,
                                  const uint8_t agg[LB_PK_BYTES], uint64_t *kept,
                                  struct lb_diag *d)
{
	struct lb_src src;
	struct lb_diag why = {0};
	uint64_t refused;
	lb_err e;

	lb_src_node(&src, n);
	if (!(e = lb_src_keep_archive_receipts(&src, f, agg, kept, &refused, &why, d)) && refused)
		fprintf(stderr, _("lumbung %s: %llu receipt(s) in the copy not kept: %s\n"), cmd,
		        (unsigned long long)refused, why.msg);
	return e;
}

struct made {
	char tmp[4096];   /* the fetched copy, "" when none */
	bool dir;         /* NEWDIR made by us */
	bool node;        /* a node made by us in NEWDIR */
};

/* What a signal (Ctrl-C, a shutdown) must remove before the program
 * ends: paths made ready before anything is created, removed with
 * async-signal-safe calls only.  A node this command makes holds exactly
 * the files below; the adoption's transaction dies with the process. */
static const char *const node_files[] = {"data.mdb", "lock.mdb", "node.key", "node.pub"};
#define N_NODE_FILES (sizeof node_files / sizeof node_files[0])
static struct {
	char tmp[4096];
	char files[N_NODE_FILES][4096];
	char dir[4096];
	volatile sig_atomic_t tmp_made, node_made, dir_made;
} on_signal;
static const int end_signals[] = {SIGINT, SIGTERM, SIGHUP};
#define N_END_SIGNALS (sizeof end_signals / sizeof end_signals[0])

static void end_cleanly(int sig)
{
	if (on_signal.tmp_made)
		unlink(on_signal.tmp);
	if (on_signal.node_made)
		for (size_t i = 0; i < N_NODE_FILES; i++)
			unlink(on_signal.files[i]);
	if (on_signal.dir_made)
		rmdir(on_signal.dir);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void catch_signals(const char *dir)
{
	struct sigaction sa = {0};

	for (size_t i = 0; i < N_NODE_FILES; i++)
		snprintf(on_signal.files[i], sizeof on_signal.files[i], "%s/%s", dir, node_files[i]);
	snprintf(on_signal.dir, sizeof on_signal.dir, "%s", dir);
	sa.sa_handler = end_cleanly;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < N_END_SIGNALS; i++)
		sigaction(end_signals[i], &sa, NULL);
}

static void undo(const char *dir, const struct made *m)
{
	if (m->tmp[0])
		remove(m->tmp);
	if (m->node || m->dir)
		rm_tree(dir, m->dir);
}

/* x and y name the same base URL (trailing slashes aside). */
static bool same_url(const char *x, const char *y)
{
	size_t xl = strlen(x), yl = strlen(y);

	while (xl && x[xl - 1] == '/')
		xl--;
	while (yl && y[yl - 1] == '/')
		yl--;
	return xl == yl && !memcmp(x, y, xl);
}

int lb_sync_cmd_restore(struct lb_cli_args *a)
{
	struct lb_diag d = {0};
	struct made m = {0};
	struct lb_key key;
	struct lb_node *n = NULL;
	struct lb_node_info info;
	struct lb_adopt_report r = {0};
	struct lb_remote rem = {0}, pin = {0}; /* pin: the CA trusted for https */
	const char *token = getenv("LUMBUNG_TOKEN");
	const char *rname = a->remote ? a->remote : DEFAULT_REMOTE;
	char bvillage[LB_VILLAGE_LEN + 1] = "", num[32], when[48], hex[2 * LB_PK_BYTES + 1];
	uint8_t agg[LB_PK_BYTES], served[LB_PK_BYTES];
	bool have_agg = false, url, exists, empty, have_key = false, existing = false;
	uint64_t kept = 0;
	FILE *f = NULL;
	lb_err e = LB_OK;
	int rc = 0;

	if (!a->dir)
		return lb_cli_usage_error(a->cmd, "-d NEWDIR is required");
	if (!a->from)
		return lb_cli_usage_error(a->cmd, "--from URL|FILE.lla is required");
	if (!a->village)
		return lb_cli_usage_error(a->cmd, "--village CODE is required");
	if (a->npos)
		return lb_cli_usage_error(a->cmd, "unexpected argument %s", a->pos[0]);
	if (lb_region_level(a->village) != LB_REGION_DESA)
		return lb_cli_usage_error(a->cmd, "--village %s is not a desa code (PP.KK.CC.DDDD)",
		                          a->village);
	if (a->agg_key) {
		lb_err ke = lb_key_arg(a->agg_key, agg, &d);
		if (ke)
			return lb_cli_usage_error(a->cmd, "--agg-key must be 64 hex digits or the "
			                                  "aggregator's agg.pub file: %s",
			                          lb_diag_msg(&d, ke));
		have_agg = true;
	}
	url = !strncmp(a->from, "http://", 7) || !strncmp(a->from, "https://", 8);
	if (a->cacert && (e = lb_remote_read_ca(&pin, a->cacert, &d)))
		return lb_cli_die(a->cmd, e, &d);
	if (token && !*token)
		token = NULL;

	/* the key: the backup, or the node already in NEWDIR (succession) */
	exists = dir_state(a->dir, &empty);
	if (a->restore_key) {
		if (exists && !empty) {
			fprintf(stderr, _("lumbung restore: %s exists and is not empty: restore into a new "
			        "directory\n"), a->dir);
			return lb_exit_status(LB_EEXIST);
		}
		if ((e = lb_cli_key_from_backup(a->restore_key, a->passfile, &key, bvillage, &d)))
			return lb_cli_die(a->cmd, e, &d);
		have_key = true;
		if (bvillage[0] && strcmp(bvillage, a->village)) {
			lb_key_wipe(&key);
			fprintf(stderr, _("lumbung restore: the key backup is of village %s, not %s\n"),
			        bvillage, a->village);
			return lb_exit_status(LB_EWRONG_VILLAGE);
		}
	} else if (exists && !empty) {
		if ((e = lb_cli_open_node(a, 0, &n, &d)))
			return lb_cli_die(a->cmd, e, &d);
		existing = true;
		if ((e = lb_node_info(n, &info, &d)))
			goto fail;
		if (strcmp(info.village, a->village)) {
			e = lb_fail(&d, LB_EWRONG_VILLAGE, "the node in %s is of village %s, not %s",
			            a->dir, info.village, a->village);
			goto fail;
		}
		if (info.seq) {
			e = lb_fail(&d, LB_EEXIST, "the node in %s already holds %llu entries: restore "
			            "into a new directory (or use lumbung repair)", a->dir,
			            (unsigned long long)info.seq);
			goto fail;
		}
		if (!lb_remote_get(n, rname, &rem, &d)) {
			if (!have_agg && rem.has_key) {
				memcpy(agg, rem.key, LB_PK_BYTES);
				have_agg = true;
			}
			if (!a->cacert && same_url(rem.url, a->from)) /* its pinned CA */
				memcpy(pin.cacert, rem.cacert, sizeof pin.cacert);
		}
	} else {
		return lb_cli_usage_error(a->cmd, "give --restore-key FILE (the key backup), or -d a "
		                          "node made with the new key after a succession");
	}

	/* the copy: fetched next to NEWDIR, or the archive given */
	if (url) {
		char parent[4096];
		int fd;
		snprintf(parent, sizeof parent, "%s", a->dir);
		snprintf(m.tmp, sizeof m.tmp, "%s/.lumbung-restore-XXXXXX", dirname(parent));
		catch_signals(a->dir);
		fd = mkstemp(m.tmp);
		if (fd >= 0) {
			memcpy(on_signal.tmp, m.tmp, sizeof on_signal.tmp);
			on_signal.tmp_made = 1;
		}
		if (fd < 0 || !(f = fdopen(fd, "w+b"))) {
			e = lb_fail(&d, LB_EIO, "cannot make a temporary file next to %s: %s", a->dir,
			            strerror(errno));
			if (fd >= 0)
				close(fd);
			goto fail;
		}
		{
			struct lb_key nk;
			const struct lb_key *kp = NULL;
			if (!token) {
				if (existing) {
					/* the node's own key proves it */
					char kpath[4096];
					snprintf(kpath, sizeof kpath, "%s/node.key", a->dir);
					if ((e = lb_key_load(kpath, &nk, &d)))
						goto fail;
					kp = &nk;
				} else {
					kp = &key;
				}
			}
			e = lb_fetch_log_from(a->from, pin.cacert, a->village, 1, kp, token,
			                      have_agg ? agg : NULL, f, served, &d);
			if (kp == &nk)
				lb_key_wipe(&nk);
			if (e)
				goto fail;
		}
		rewind(f);
	} else if (!(f = fopen(a->from, "rb"))) {
		e = lb_fail(&d, LB_EIO, "cannot read %s: %s", a->from, strerror(errno));
		goto fail;
	}

	/* the node, then the copy checked and adopted in one transaction */
	if (!existing) {
		uint8_t origin[LB_PK_BYTES];
		m.dir = !exists;
		m.node = true;
		catch_signals(a->dir);
		on_signal.dir_made = m.dir;
		on_signal.node_made = 1;
		if ((e = lb_node_init_key(a->dir, a->village, NULL, &key, origin, &d)) ||
		    (e = lb_cli_open_node(a, 0, &n, &d)))
			goto fail;
	}
	if ((e = lb_node_adopt(n, f, have_agg ? agg : NULL, &r, &d)))
		goto fail;
	if (have_agg && (e = lb_sync_keep_copy_receipts(a->cmd, n, f, agg, &kept, &d)))
		goto fail;
	if (have_agg && url) {
		snprintf(rem.name, sizeof rem.name, "%s", rname);
		snprintf(rem.url, sizeof rem.url, "%s", a->from);
		rem.has_key = true;
		memcpy(rem.key, agg, LB_PK_BYTES);
		if ((e = lb_remote_set(n, &rem, &d)))
			goto fail;
	}
	if ((e = lb_node_info(n, &info, &d)))
		goto fail;
	on_signal.node_made = on_signal.dir_made = 0; /* restored: a signal now removes nothing */
	fclose(f);
	f = NULL;
	if (m.tmp[0])
		remove(m.tmp);
	on_signal.tmp_made = 0;

	lb_hex(hex, info.origin, LB_PK_BYTES);
	printf(_("restored village %s in %s: seq %llu, %llu live records, origin %s\n"), info.village,
	       a->dir, (unsigned long long)info.seq, (unsigned long long)info.records, hex);
	if (r.successions)
		printf(_("the chain crossed %llu succession(s) signed by the aggregator\n"),
		       (unsigned long long)r.successions);
	if (r.last)
		printf(_("the %s holds up to seq %s of %s; entries written after that on the lost PC "
		       "are not in it\n"), url ? rname : _("archive"), lb_group_digits(r.last, ',', num, sizeof num), human(when, r.last_ts));
	else
		printf(_("the %s holds no entries of this village: nothing came back\n"),
		       url ? rname : _("archive"));
	if (have_agg)
		printf(_("%llu receipt(s) kept%s\n"), (unsigned long long)kept,
		       url ? _("; remote added: lumbung sync can go on at once") : "");
	else
		printf(_("receipts not kept: give --agg-key HEX to check and keep them\n"));
	/* the catalogues above the village, which its penerima may name, come
	 * back now too, as after a push (a failure is reported, not fatal) */
	if (have_agg && url)
		lb_sync_catalogue_after_push(n, a->dir, &rem, a->cmd);
	goto done;
fail:
	rc = lb_cli_die(a->cmd, e, &d);
	if (f)
		fclose(f);
	f = NULL;
	lb_node_close(n);
	n = NULL;
	undo(a->dir, &m);
	if (m.node || m.dir)
		fprintf(stderr, _("lumbung restore: nothing was written (%s removed)\n"),
		        m.dir ? a->dir : _("the node made"));
done:
	if (have_key)
		lb_key_wipe(&key);
	lb_node_close(n);
	return rc;
}
