/*
 * cli_backup.c — `lumbung-agg backup -d DIR [--quiet] > FILE`
 * (cli_backup.h).  The archive holds everything the aggregator's directory
 * does but LMDB's lock file: the store and the catalogues compacted, each
 * from one snapshot, and the files beside them, the aggregator's secret
 * key (agg.key) among them, as nothing else keeps a copy of that key.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli_backup.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../node/backup.h"
#include "../schema/i18n.h"
#include "agg.h"

#define PROG "lumbung-agg"
#define EXIT_USAGE 2

static int die(lb_err e, const struct lb_diag *d)
{
	fprintf(stderr, _("%s %s: %s\n"), PROG, "backup", lb_diag_msg(d, e));
	return lb_exit_status(e);
}

int agg_cli_backup(int argc, char **argv)
{
	const char *dir = getenv("LUMBUNG_AGG_DIR");
	struct lb_diag d = {0};
	struct lb_agg *agg = NULL;
	struct lb_backup_stats st;
	bool quiet = false;
	lb_err e;

	if (argc < 2 || strcmp(argv[1], "backup"))
		return -1;
	for (int i = 2; i < argc; i++) {
		if ((!strcmp(argv[i], "-d") || !strcmp(argv[i], "--dir")) && i + 1 < argc)
			dir = argv[++i];
		else if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q"))
			quiet = true;
		else {
			fprintf(stderr, _("%s %s: unknown argument %s\n"), PROG, "backup", argv[i]);
			fprintf(stderr, "usage: %s backup -d DIR [--quiet] > FILE\n", PROG);
			return EXIT_USAGE;
		}
	}
	if (!dir || !*dir) {
		fprintf(stderr,
		        _("%s %s: no aggregator directory: give -d DIR or set LUMBUNG_AGG_DIR\n"),
		        PROG, "backup");
		return EXIT_USAGE;
	}
	if (isatty(STDOUT_FILENO)) {
		fprintf(stderr,
		        _("%s backup: the backup is an archive, not text for a terminal: send it to a "
		          "file (%s backup -d %s > FILE)\n"),
		        PROG, PROG, dir);
		return EXIT_USAGE;
	}
	/* DIR must be an aggregator; closed before the copy opens the
	 * environment again (LMDB: one environment once per process). */
	if ((e = lb_agg_open_ro(&agg, dir, &d)))
		return die(e, &d);
	lb_agg_close(agg);
	signal(SIGPIPE, SIG_IGN); /* a closed pipe: an error we report, not a silent death */
	if ((e = lb_backup_write(dir, STDOUT_FILENO, NULL, NULL, &st, &d)))
		return die(e, &d);
	if (!quiet)
		fprintf(stderr,
		        _("backup of the aggregator in %s written: %u databases, %u other files, "
		          "%llu bytes.\n"
		          "It holds the aggregator's secret key (agg.key): keep it as safe as the "
		          "server.\n"),
		        dir, st.envs, st.files, (unsigned long long)st.bytes);
	return 0;
}
