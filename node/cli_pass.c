/*
 * cli_pass.c — STUB of the key backup's CLI support (cli_pass.h): takes a
 * plain secret key file (node.key) until the real one lands.
 */
#include "cli_pass.h"

lb_err lb_cli_key_from_backup(const char *path, const char *passfile, struct lb_key *k,
                              char village[LB_VILLAGE_LEN + 1], struct lb_diag *d)
{
	(void)passfile;
	village[0] = '\0';
	return lb_key_load(path, k, d);
}
