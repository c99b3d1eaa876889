/*
 * cli_pass.h — CLI support for the key backup (node/keybackup.h): read a
 * backup file and its passphrase and open it.
 *
 * STUB (helper "fetch"): until the key backup lands, this declares the
 * shared call and node/cli_pass.c loads a plain secret key file instead
 * (no passphrase).  The real file replaces both at merge.
 */
#ifndef LB_CLI_PASS_H
#define LB_CLI_PASS_H

#include "../schema/err.h"
#include "key.h"
#include "node.h"

/* The key pair held by the backup file at path, opened with the
 * passphrase read from passfile (its first line, without the newline) or,
 * when passfile is NULL, asked on the terminal.  village gets the village
 * code the backup names ("" when it names none).  Errors: LB_EMALFORMED
 * (a mistyped backup), LB_EKEY (a wrong passphrase), LB_EIO. */
lb_err lb_cli_key_from_backup(const char *path, const char *passfile, struct lb_key *k,
                              char village[LB_VILLAGE_LEN + 1], struct lb_diag *d);

#endif
