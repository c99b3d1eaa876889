/*
 * token.h — access tokens for the aggregator's read API (agg/api.c) and
 * the access log of personal-data reads, both in the aggregator's own LMDB
 * environment (opened with the other databases, store.c):
 *
 *   tokens  hash (32, crypto_generichash of the token text)
 *             -> created ms (u64 BE) || revoked (1) || role NUL name
 *   access  time ms (u64 BE) || counter (u32 BE)
 *             -> token name NUL method NUL path (escaped)
 *
 * A token is LB_TOKEN_PREFIX followed by 64 hex digits of 32 random bytes
 * (randombytes_buf); it is shown once, when made, and only its hash is
 * kept, so a copy of the store does not give anyone access.  Names are
 * unique among tokens (revoked ones included) and follow the rules of
 * lb_agg_name_check.
 *
 * Roles: "kabupaten" (the whole region), "kecamatan:PP.KK.CC" (the
 * villages of that kecamatan only), "auditor" (histories, archives and
 * reports of figures; no personal lists).
 */
#ifndef LB_AGG_TOKEN_H
#define LB_AGG_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agg.h"

#define LB_TOKEN_PREFIX "lbt_"
#define LB_TOKEN_LEN (4 + 64)       /* prefix and 64 hex digits */
#define LB_TOKEN_HASH_BYTES 32
#define LB_ROLE_MAX 32              /* "kecamatan:PP.KK.CC" and room */

enum lb_role { LB_ROLE_NONE = 0, LB_ROLE_KABUPATEN, LB_ROLE_KECAMATAN, LB_ROLE_AUDITOR };

struct lb_token_info {
	char name[LB_AGG_NAME_MAX + 1];
	enum lb_role role;
	char kecamatan[LB_VILLAGE_LEN + 1]; /* LB_ROLE_KECAMATAN: its code, else "" */
	uint64_t created_ms;
	bool revoked;
	uint8_t hash[LB_TOKEN_HASH_BYTES];
};

/* Parse a role ("kabupaten", "kecamatan:PP.KK.CC", "auditor") into t's
 * role and kecamatan.  region (may be NULL) is the aggregator's: a
 * kecamatan outside it is refused.  LB_EINVAL naming what is wrong. */
lb_err lb_role_parse(const char *s, const char *region, struct lb_token_info *t,
                     struct lb_diag *d);

/* The role as text into out ("kecamatan:PP.KK.CC" ...).  Cannot fail. */
void lb_role_str(const struct lb_token_info *t, char out[LB_ROLE_MAX]);

/* The stored hash of a token's text (len bytes).  Cannot fail. */
void lb_token_hash(uint8_t out[LB_TOKEN_HASH_BYTES], const char *token, size_t len);

/* Make a token named name with role (as lb_role_parse); its text goes to
 * out (NUL-terminated), the only place it ever appears.  LB_EINVAL (bad
 * name or role; read-only handle), LB_EEXIST (a token has that name),
 * LB_ESTORE. */
lb_err lb_agg_token_add(struct lb_agg *a, const char *name, const char *role,
                        char out[LB_TOKEN_LEN + 1], struct lb_diag *d);

/* Revoke the token named name (an already revoked one: success).
 * LB_ENOTFOUND when no token has that name; LB_ESTORE. */
lb_err lb_agg_token_revoke(struct lb_agg *a, const char *name, struct lb_diag *d);

/* The same by the token's id: the first LB_TOKEN_ID_BYTES of its hash
 * in hex, as token ls shows it.  LB_EINVAL for an id that is not
 * 2 * LB_TOKEN_ID_BYTES hex digits; LB_ENOTFOUND; LB_ESTORE. */
#define LB_TOKEN_ID_BYTES 8
lb_err lb_agg_token_revoke_id(struct lb_agg *a, const char *id, struct lb_diag *d);

/* Every token (never its text), in order of hash, from one read
 * transaction; t is borrowed for the call; cb returns non-zero to stop.
 * It must not call other lb_agg functions.  LB_ESTORE, LB_ECORRUPT. */
typedef int (*lb_token_cb)(void *ctx, const struct lb_token_info *t);
lb_err lb_agg_token_ls(struct lb_agg *a, lb_token_cb cb, void *ctx, struct lb_diag *d);

/* Who presents token (len bytes of text)?  Looked up by its hash (the
 * hash compared again with sodium_memcmp).  LB_EAUTH for an unknown,
 * malformed or revoked token (the message does not repeat the token);
 * LB_ESTORE. */
lb_err lb_agg_token_check(struct lb_agg *a, const char *token, size_t len,
                          struct lb_token_info *t, struct lb_diag *d);

/* Record one read of personal data: now, the token's name, method and
 * path (escaped before they are stored), under a key that is unique
 * within the process (time || counter).  Committed before it returns:
 * calls from many threads at once share one write transaction (group
 * commit), and each returns the outcome of the commit holding its entry.
 * LB_ESTORE, LB_EFULL; LB_EINVAL on a read-only handle. */
lb_err lb_agg_access_add(struct lb_agg *a, const char *token_name, const char *method,
                         const char *path, struct lb_diag *d);

/* The access log from since_ms (0: all), oldest first, one read
 * transaction; strings borrowed for the call.  LB_ESTORE, LB_ECORRUPT. */
typedef int (*lb_access_cb)(void *ctx, uint64_t ms, const char *token_name, const char *method,
                            const char *path);
lb_err lb_agg_access_ls(struct lb_agg *a, uint64_t since_ms, lb_access_cb cb, void *ctx,
                        struct lb_diag *d);

#endif
