/*
 * cli_backup.c — `lumbung backup` and `lumbung key restore` (cli_backup.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "cli_backup.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "../schema/i18n.h"
#include "backup.h"
#include "cli_pass.h"
#include "entry.h"
#include "key.h"

#define PROG LB_CLI_PROG

/* A node's backup leaves out its secret key: the key never leaves the
 * machine except on paper (lumbung key backup); see docs/OPERATIONS.md. */
static const char *const node_skip[] = {"node.key", NULL};

int lb_cli_backup(struct lb_cli_args *a)
{
	struct lb_diag d = {0};
	struct lb_node *n = NULL;
	struct lb_node_info info;
	struct lb_backup_stats st;
	lb_err e;

	if (a->npos)
		return lb_cli_usage_error(a->cmd, "unexpected argument %s", a->pos[0]);
	if (isatty(STDOUT_FILENO)) {
		fprintf(stderr,
		        _("%s backup: the backup is an archive, not text for a terminal: send it to a "
		          "file (%s backup -d %s > FILE)\n"),
		        PROG, PROG, a->dir);
		return LB_CLI_EXIT_USAGE;
	}
	/* DIR must be a node; the handle is closed before the copy opens the
	 * environment again (LMDB: one environment once per process). */
	e = lb_cli_open_node(a, 1, &n, &d);
	if (!e)
		e = lb_node_info(n, &info, &d);
	lb_node_close(n);
	if (e)
		return lb_cli_die(a->cmd, e, &d);
	signal(SIGPIPE, SIG_IGN); /* a closed pipe: an error we report, not a silent death */
	if ((e = lb_backup_write(a->dir, STDOUT_FILENO, NULL, node_skip, &st, &d)))
		return lb_cli_die(a->cmd, e, &d);
	if (!a->quiet)
		fprintf(stderr,
		        _("backup of village %s written (seq %llu or later): %u databases, %u other "
		          "files, %llu bytes.\n"
		          "The secret key (node.key) is not in it: it comes back from the key backup\n"
		          "(%s key restore -d NEWDIR FILE).\n"),
		        info.village, (unsigned long long)info.seq, st.envs, st.files,
		        (unsigned long long)st.bytes, PROG);
	return 0;
}

int lb_cli_key_restore(struct lb_cli_args *a)
{
	struct lb_diag d = {0};
	struct lb_node *n = NULL;
	struct lb_node_info info;
	struct lb_key k;
	char village[LB_VILLAGE_LEN + 1], sec[4096], pub[4096], hex[2 * LB_PK_BYTES + 1];
	lb_err e;

	if (a->npos != 2)
		return lb_cli_usage_error(a->cmd, "key restore takes the key backup FILE");
	if ((size_t)snprintf(sec, sizeof sec, "%s/node.key", a->dir) >= sizeof sec ||
	    (size_t)snprintf(pub, sizeof pub, "%s/.node.pub.restoring", a->dir) >= sizeof pub)
		return lb_cli_usage_error(a->cmd, "%s: path too long", a->dir);
	e = lb_cli_open_node(a, 1, &n, &d);
	if (!e)
		e = lb_node_info(n, &info, &d);
	lb_node_close(n);
	if (e)
		return lb_cli_die(a->cmd, e, &d);
	if (access(sec, F_OK) == 0) {
		fprintf(stderr, _("%s key: %s exists already; nothing was written\n"), PROG, sec);
		return lb_exit_status(LB_EEXIST);
	}
	if ((e = lb_cli_key_from_backup(a->pos[1], a->passfile, &k, village, &d)))
		return lb_cli_die(a->cmd, e, &d);
	if (strcmp(village, info.village) || sodium_memcmp(k.pk, info.origin, LB_PK_BYTES)) {
		lb_key_wipe(&k);
		lb_hex(hex, info.origin, LB_PK_BYTES);
		fprintf(stderr,
		        _("%s key: %s is the key backup of village %s, not of this node (village "
		          "%s, origin %s); nothing was written\n"),
		        PROG, a->pos[1], village, info.village, hex);
		return lb_exit_status(LB_EKEY);
	}
	/* lb_key_write writes a public key file too; DIR has its own already
	 * (the same key, compared above), so that one goes to a scratch name. */
	unlink(pub);
	e = lb_key_write(sec, pub, &k, &d);
	lb_key_wipe(&k);
	unlink(pub);
	if (e)
		return lb_cli_die(a->cmd, e, &d);
	fprintf(stderr, _("the key of village %s is back in %s\n"), info.village, sec);
	return 0;
}
