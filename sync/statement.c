/*
 * statement.c — an aggregator's signed enrolment statement (statement.h).
 */
#include "statement.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../node/signed.h"
#include "../schema/mp.h"

static const struct lb_signed_kind stmt_kind = {LB_STMT_TAG, 1, 8, "enrolment statement"};

const char *lb_statement_action_str(enum lb_stmt_action a)
{
	return a == LB_STMT_ENROL    ? "enrol"
	       : a == LB_STMT_REVOKE  ? "revoke"
	       : a == LB_STMT_SUCCEED ? "succeed"
	                              : "?";
}

lb_err lb_statement_sign(const struct lb_key *key, const struct lb_statement *st, uint8_t **out,
                         size_t *len, struct lb_diag *d)
{
	struct lb_mp_buf b;
	size_t at;

	*out = NULL;
	*len = 0;
	if (st->action != LB_STMT_ENROL && st->action != LB_STMT_REVOKE)
		return lb_fail(d, LB_EINVAL, "a statement's action is enrol or revoke");
	if (lb_region_level(st->village) != LB_REGION_DESA)
		return lb_fail(d, LB_EINVAL, "a statement names a desa code (PP.KK.CC.DDDD)");
	if (!st->n)
		return lb_fail(d, LB_EINVAL, "statements are numbered from 1");
	lb_mp_buf_init(&b);
	at = lb_signed_begin(&b, &stmt_kind);
	lb_mp_put_bin(&b, st->signer, LB_PK_BYTES);
	lb_mp_put_uint(&b, st->n);
	lb_mp_put_cstr(&b, lb_statement_action_str(st->action));
	lb_mp_put_str(&b, st->village, LB_VILLAGE_LEN);
	lb_mp_put_bin(&b, st->origin, LB_PK_BYTES);
	lb_mp_put_uint(&b, st->time_ms);
	if (lb_signed_end(&b, at, key)) {
		lb_mp_buf_free(&b);
		return lb_fail(d, LB_ENOMEM, "out of memory");
	}
	*out = (uint8_t *)b.sb.data; /* hand the buffer over */
	*len = b.sb.size;
	return LB_OK;
}

/* Is buf a signed message whose tag is LB_SUCC_TAG?  (Only a peek: the
 * opener checks everything.) */
static bool is_succession(const void *buf, size_t len)
{
	struct lb_mp_rd r;
	struct lb_mp_obj o;

	if (len <= 64)
		return false;
	lb_mp_rd_init(&r, (const uint8_t *)buf + 64, len - 64);
	return !lb_mp_next(&r, &o, NULL) && o.kind == LB_MP_ARRAY && !lb_mp_next(&r, &o, NULL) &&
	       o.kind == LB_MP_STR && o.len == sizeof LB_SUCC_TAG - 1 &&
	       !memcmp(o.s, LB_SUCC_TAG, o.len);
}

static lb_err open_succession(struct lb_statement *st, const void *buf, size_t len,
                              const uint8_t *expect, struct lb_diag *d)
{
	lb_err e;

	if ((e = lb_succession_open(&st->succ, buf, len, expect, d)))
		return e;
	st->action = LB_STMT_SUCCEED;
	memcpy(st->signer, st->succ.signer, LB_PK_BYTES);
	st->n = st->succ.n;
	memcpy(st->village, st->succ.village, sizeof st->village);
	memcpy(st->origin, st->succ.new_key, LB_PK_BYTES);
	st->time_ms = st->succ.time_ms;
	return LB_OK;
}

lb_err lb_statement_open(struct lb_statement *st, const void *buf, size_t len,
                         const uint8_t *expect, struct lb_diag *d)
{
	struct lb_signed m;
	struct lb_mp_rd *r = &m.rd;
	const uint8_t *s;
	uint32_t n;
	char esc[LB_ESC_BUF];
	lb_err e;

	memset(st, 0, sizeof *st);
	if (is_succession(buf, len))
		return open_succession(st, buf, len, expect, d);
	if (len > LB_STMT_MAX_BYTES)
		return lb_fail(d, LB_EMALFORMED, "enrolment statement of %zu bytes (at most %d)", len,
		               LB_STMT_MAX_BYTES);
	if ((e = lb_signed_open(&m, &stmt_kind, buf, len, d)))
		return e;
	if ((e = lb_mp_read_binn(r, &s, LB_PK_BYTES, "statement signer", d)))
		return e;
	memcpy(st->signer, s, LB_PK_BYTES);
	if ((e = lb_mp_read_uint(r, &st->n, "statement n", d)) ||
	    (e = lb_mp_read_str(r, &s, &n, "statement action", d)))
		return e;
	if (n == 5 && !memcmp(s, "enrol", 5))
		st->action = LB_STMT_ENROL;
	else if (n == 6 && !memcmp(s, "revoke", 6))
		st->action = LB_STMT_REVOKE;
	else
		return lb_fail(d, LB_EMALFORMED, "statement action \"%s\" is not enrol or revoke",
		               lb_escape(esc, s, n));
	if (!st->n)
		return lb_fail(d, LB_EMALFORMED, "statement n is 0 (they count from 1)");
	if ((e = lb_mp_read_str(r, &s, &n, "statement village", d)))
		return e;
	if (n == LB_VILLAGE_LEN)
		memcpy(st->village, s, LB_VILLAGE_LEN);
	if (lb_region_level(st->village) != LB_REGION_DESA)
		return lb_fail(d, LB_EMALFORMED, "statement village \"%s\" is not a desa code",
		               lb_escape(esc, s, n));
	if ((e = lb_mp_read_binn(r, &s, LB_PK_BYTES, "statement origin", d)))
		return e;
	memcpy(st->origin, s, LB_PK_BYTES);
	if ((e = lb_mp_read_uint(r, &st->time_ms, "statement time", d)))
		return e;
	lb_signed_name(&m, "enrolment statement %llu", (unsigned long long)st->n);
	return lb_signed_check(&m, st->signer, expect, NULL, d);
}
