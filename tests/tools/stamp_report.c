/*
 * stamp_report.c — a stamped village report, made as `lumbung report --pdf`
 * stamps one (the lead wires that), for tests/cli/checkreport.sh:
 *
 *   stamp-report NODE_DIR NAME [per=YYYY-MM-DD | month=YYYY-MM] [--seq N]
 *                [--json FILE] [--forge-figures] [--forge-hash]
 *
 * Opens the node read-only and its secret key, computes the report with
 * lb_vreport_run_node (without the village's name: lb_vreport_src_noname) at seq N (default the tip) to a buffer, digests it
 * (lb_rstamp_digest), signs (lb_rstamp_sign) and prints the stamp line.
 * --json FILE also writes the report's JSON bytes (so the test can digest
 * them independently).  --forge-figures signs the digest of the JSON with
 * one byte more (a village stamping figures that are not its log's);
 * --forge-hash signs a hash with one bit flipped.  Exit 0; 2 for bad usage
 * or any error (the message on stderr).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../../agg/vreport.h"
#include "../../node/node.h"
#include "../../node/rstamp.h"
#include "../../schema/schema.h"
#include "../../sync/source.h"
#include "../../tools/audit/check_report.h"

static int fail(const struct lb_diag *d)
{
	fprintf(stderr, "stamp-report: %s\n", d->msg);
	return 2;
}

int main(int argc, char **argv)
{
	struct lb_report_opts o = {.format = LB_REPORT_JSON};
	struct lb_node_opts no = {.read_only = true};
	struct lb_vreport_at at;
	struct lb_rstamp st;
	struct lb_diag d = {0};
	struct lb_node *n;
	struct lb_src s, nn;
	struct lb_vreport_noname w;
	struct lb_key k;
	const char *jsonpath = NULL;
	bool forge_fig = false, forge_hash = false;
	uint64_t seq = 0;
	char path[4096], line[LB_RSTAMP_MAX], *buf = NULL;
	size_t len = 0;
	FILE *m;
	lb_err e;

	if (argc < 3 || sodium_init() < 0 || lb_schema_builtin_init(&d)) {
		fprintf(stderr, "usage: stamp-report NODE_DIR NAME [per=DATE|month=YYYY-MM] "
		                "[--seq N] [--json FILE] [--forge-figures] [--forge-hash]\n");
		return 2;
	}
	memset(&st, 0, sizeof st);
	o.name = argv[2];
	for (int i = 3; i < argc; i++) {
		if (!strncmp(argv[i], "per=", 4) &&
		    sscanf(argv[i] + 4, "%d-%d-%d", &o.per_y, &o.per_m, &o.per_d) == 3)
			continue;
		if (!strncmp(argv[i], "month=", 6) &&
		    sscanf(argv[i] + 6, "%d-%d", &o.month_y, &o.month_m) == 2)
			continue;
		if (!strcmp(argv[i], "--seq") && i + 1 < argc)
			seq = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--json") && i + 1 < argc)
			jsonpath = argv[++i];
		else if (!strcmp(argv[i], "--forge-figures"))
			forge_fig = true;
		else if (!strcmp(argv[i], "--forge-hash"))
			forge_hash = true;
		else {
			fprintf(stderr, "stamp-report: bad argument %s\n", argv[i]);
			return 2;
		}
	}
	snprintf(path, sizeof path, "%s/node.key", argv[1]);
	if (lb_key_load(path, &k, &d))
		return fail(&d);
	if (lb_node_open(&n, argv[1], &no, &d))
		return fail(&d);
	lb_src_node(&s, n);
	lb_vreport_src_noname(&w, &s, &nn); /* the report without the village's name */
	if (!(m = open_memstream(&buf, &len)))
		return 2;
	e = lb_vreport_run_node(&nn, argv[1], &o, seq, m, &at, &d);
	fclose(m);
	lb_node_close(n);
	if (e)
		return fail(&d);
	if (jsonpath) {
		FILE *f = fopen(jsonpath, "wb");
		if (!f || fwrite(buf, 1, len, f) != len || fclose(f))
			return 2;
	}
	if (forge_fig) {
		char *b = realloc(buf, len + 1);
		if (!b)
			return 2;
		buf = b;
		buf[len++] = ' ';
	}
	lb_rstamp_digest(st.digest, buf, len);
	free(buf);
	memcpy(st.village, at.village, sizeof st.village);
	snprintf(st.name, sizeof st.name, "%s", o.name);
	st.seq = at.seq;
	memcpy(st.hash, at.hash, sizeof st.hash);
	if (forge_hash)
		st.hash[0] ^= 1;
	if (lb_rstamp_set_params(&st, o.per_y, o.per_m, o.per_d, o.month_y, o.month_m, &d) ||
	    lb_rstamp_sign(&st, &k, &d) || lb_rstamp_format(&st, line, &d))
		return fail(&d);
	lb_key_wipe(&k);
	printf("%s\n", line);
	return 0;
}
