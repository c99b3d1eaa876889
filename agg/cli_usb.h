/*
 * cli_usb.h — `lumbung-agg`'s USB commands (agg/cli_usb.c): ingest of
 * change-set files and bundles writing receipts files back, `bundle` and
 * `receipt import`.  CLI code only: these print and return exit statuses.
 */
#ifndef LB_AGG_CLI_USB_H
#define LB_AGG_CLI_USB_H

#include "agg.h"

/* `ingest -d DIR FILE... [--receipts RFILE]`: each FILE is a change set or
 * a bundle (told by its magic); the receipts produced go to RFILE, by
 * default to FILE.receipts beside each FILE.  Returns the exit status. */
int lb_agg_cli_ingest(struct lb_agg *agg, const char *dir, char **files, int nfiles,
                      const char *rfile);

/* `bundle ...` and `receipt import ...`: argv as main's (argv[1] is the
 * command).  Parses, opens the store itself, returns the exit status. */
int lb_agg_cli_usb(int argc, char **argv);

#endif
