/*
 * lumbung_main.c — main() of `lumbung`: the node's commands (node/cli.c),
 * the sync commands (sync/push_cli.h) and `report` (cli_vreport.h), which
 * uses the aggregator's report engine and so lives in this layer.
 */
#include <stdlib.h>
#include <string.h>

#include "../node/cli.h"
#include "../sync/push_cli.h"
#include "cli_vreport.h"

int main(int argc, char **argv)
{
	struct lb_cli_cmd *cmds = malloc((lb_sync_ncmds + 1) * sizeof *cmds);
	int rc;

	if (!cmds)
		return lb_cli_main(argc, argv, lb_sync_cmds, lb_sync_ncmds);
	memcpy(cmds, lb_sync_cmds, lb_sync_ncmds * sizeof *cmds);
	cmds[lb_sync_ncmds] = lb_vreport_cmd;
	rc = lb_cli_main(argc, argv, cmds, lb_sync_ncmds + 1);
	free(cmds);
	return rc;
}
