/*
 * adopt_lla.c — make a node's log equal a verified archive (lb_node_adopt),
 * for the succession test (tests/cli/succession.sh) while no user command
 * does it yet.
 *
 *   adopt-lla NODE_DIR AGG_KEY_HEX < FILE.lla
 *
 * AGG_KEY_HEX: the aggregator whose successions are trusted.  Exit 0 and
 * one line "adopted N entries, tip T, S successions"; 1 with the error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../../node/adopt.h"
#include "../../node/entry.h"
#include "../../schema/schema.h"

int main(int argc, char **argv)
{
	struct lb_adopt_report r;
	struct lb_node *n = NULL;
	struct lb_diag d = {0};
	uint8_t agg[LB_PK_BYTES];
	FILE *tmp;
	int c;
	lb_err e;

	if (argc != 3 || lb_unhex(agg, LB_PK_BYTES, argv[2])) {
		fprintf(stderr, "usage: adopt-lla NODE_DIR AGG_KEY_HEX < FILE.lla\n");
		return 2;
	}
	if (sodium_init() < 0 || lb_schema_builtin_init(&d))
		return 1;
	/* the reader wants a file it may read from the start */
	if (!(tmp = tmpfile()))
		return 1;
	while ((c = getchar()) != EOF)
		putc(c, tmp);
	rewind(tmp);
	if ((e = lb_node_open(&n, argv[1], NULL, &d)) || (e = lb_node_adopt(n, tmp, agg, &r, &d))) {
		fprintf(stderr, "adopt-lla: %s\n", lb_diag_msg(&d, e));
		lb_node_close(n);
		return 1;
	}
	printf("adopted %llu entries, tip %llu, %llu successions\n", (unsigned long long)r.added,
	       (unsigned long long)r.tip, (unsigned long long)r.successions);
	lb_node_close(n);
	fclose(tmp);
	return 0;
}
