/*
 * key.h — Ed25519 node keys (libsodium) and their files.
 *
 * File formats (docs/FORMAT.md), one line of text each so an operator can
 * read them with `cat` and compare fingerprints by eye:
 *
 *   secret:  "lumbung-secret-key-v1 ed25519 <64 hex digits of the seed>\n"
 *   public:  "lumbung-public-key-v1 ed25519 <64 hex digits of the key>\n"
 *
 * The secret file is created with O_EXCL and mode 0600 and is refused
 * later if group or others can read it.  Secrets are wiped after use.
 */
#ifndef LB_KEY_H
#define LB_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../schema/err.h"

#define LB_PK_BYTES 32
#define LB_SK_BYTES 64
#define LB_SIG_BYTES 64

struct lb_key {
	uint8_t pk[LB_PK_BYTES];
	uint8_t sk[LB_SK_BYTES];
};

/* Create a new key pair and write it to sec_path (O_EXCL, 0600) and
 * pub_path.  The public key is returned in pk.  LB_EEXIST if sec_path
 * exists, LB_EIO on write errors; on error no secret file is left behind. */
lb_err lb_key_generate(const char *sec_path, const char *pub_path, uint8_t pk[LB_PK_BYTES],
                       struct lb_diag *d);

/* Write the key pair k to sec_path (O_EXCL, 0600) and pub_path, as
 * lb_key_generate does for a new one (a key brought back from a backup,
 * node/keybackup.h).  Errors as lb_key_generate. */
lb_err lb_key_write(const char *sec_path, const char *pub_path, const struct lb_key *k,
                    struct lb_diag *d);

/* Write only a public key file (O_EXCL, 0644): a replica's node.pub, the
 * key of the log's owner (node.h lb_node_init_replica).  Errors as
 * lb_key_generate. */
lb_err lb_key_write_public(const char *pub_path, const uint8_t pk[LB_PK_BYTES], struct lb_diag *d);

/* Load a secret key file into k.  LB_EPERM (with the chmod that fixes it)
 * when group/others have any access, LB_EKEY when missing or malformed.
 * Caller wipes k with lb_key_wipe when done. */
lb_err lb_key_load(const char *sec_path, struct lb_key *k, struct lb_diag *d);

/* Refuse (LB_EPERM, with the chmod that fixes it) a secret key file that
 * group or others can access.  A missing file is LB_ENOTFOUND. */
lb_err lb_key_check_mode(const char *sec_path, struct lb_diag *d);

/* Load a public key file.  LB_EKEY when missing or malformed. */
lb_err lb_key_load_public(const char *pub_path, uint8_t pk[LB_PK_BYTES], struct lb_diag *d);

/* Zero the secret part of k.  Cannot fail. */
void lb_key_wipe(struct lb_key *k);

/* Detached Ed25519 signature over m[0..n).  Cannot fail. */
void lb_sign(uint8_t sig[LB_SIG_BYTES], const void *m, size_t n, const struct lb_key *k);

/* True when sig is a valid signature of m[0..n) by pk. */
bool lb_sig_ok(const uint8_t sig[LB_SIG_BYTES], const void *m, size_t n,
               const uint8_t pk[LB_PK_BYTES]);

#endif
