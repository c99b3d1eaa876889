/*
 * keyarg.h — a public key given on the command line: 64 hex digits, or
 * the path of a public key file such as an aggregator's agg.pub
 * ("lumbung-public-key-v1 ed25519 <hex>", node/key.h).
 */
#ifndef LB_KEYARG_H
#define LB_KEYARG_H

#include <stdint.h>

#include "../node/key.h"
#include "../schema/err.h"

/* Read arg as 64 hex digits, else as a public key file when a file of
 * that name exists (for a directory: its agg.pub), into pk.  LB_EKEY for
 * a file that is not a public key file, LB_EINVAL when arg is neither.
 * Nothing printed. */
lb_err lb_key_arg(const char *arg, uint8_t pk[LB_PK_BYTES], struct lb_diag *d);

#endif
