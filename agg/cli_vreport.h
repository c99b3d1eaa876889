/*
 * cli_vreport.h — `lumbung report`: a village's own reports, computed by
 * the aggregator's report engine on its own log (vreport.h).
 */
#ifndef LB_CLI_VREPORT_H
#define LB_CLI_VREPORT_H

#include "../node/cli.h"

/* The command's entry for lb_cli_main's table. */
extern const struct lb_cli_cmd lb_vreport_cmd;

#endif
