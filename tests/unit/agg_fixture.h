/*
 * agg_fixture.h — helpers shared by the aggregator tests (test_agg.c,
 * test_agg_fuzz.c, test_tree.c, test_relay.c, ...): write one record to a
 * real node, and collect a node's stored entries into a change set.  Included by test files only; every
 * function is static and may go unused in one of them.
 */
#ifndef LB_TEST_AGG_FIXTURE_H
#define LB_TEST_AGG_FIXTURE_H

#include <jansson.h>

#include "../../node/body.h"
#include "../../node/node.h"
#include "../../sync/wire.h"

/* Write one put (js: the body as JSON) or del (js NULL); fails the test on
 * any error, naming the record. */
__attribute__((unused)) static void write_one(struct lb_node *n, enum lb_op op, const char *type,
                                              const char *id, const char *js)
{
	struct lb_mp_buf b;
	struct lb_change c = {.op = op, .type = type, .id = id, .id_len = strlen(id)};
	struct lb_diag d = {0};

	lb_mp_buf_init(&b);
	if (js) {
		json_t *j = json_loads(js, 0, NULL);
		assert_non_null(j);
		assert_int_equal(lb_body_from_json(&b, j, NULL), LB_OK);
		json_decref(j);
		c.body = (const uint8_t *)b.sb.data;
		c.body_len = b.sb.size;
	}
	if (lb_node_write(n, &c, 1, 0, NULL, &d))
		fail_msg("writing %s %s: %s", type, id, d.msg);
	lb_mp_buf_free(&b);
}

/* lb_node_log callback adding stored entries up to `to` to a change set. */
struct cs_build {
	struct lb_mp_buf *out;
	uint64_t to;
	lb_err e;
};

__attribute__((unused)) static int add_entry(void *ctx, const struct lb_entry *e,
                                             const uint8_t hash[LB_HASH_BYTES],
                                             const uint8_t *raw, size_t raw_len)
{
	struct cs_build *b = ctx;
	(void)hash;
	if (e->seq > b->to)
		return 1;
	b->e = lb_wire_add_entry(b->out, raw, raw_len, NULL);
	return b->e != LB_OK;
}

/* The change set of seq from..to of node n, into out (to must end a
 * transaction: the head signed at to closes it), for village. */
__attribute__((unused)) static void node_changeset(struct lb_node *n, const char *village,
                                                   uint64_t from, uint64_t to,
                                                   struct lb_mp_buf *out)
{
	struct cs_build b = {out, to, LB_OK};
	struct lb_node_info info;
	uint8_t *head;
	size_t hlen;

	lb_mp_buf_reset(out);
	assert_int_equal(lb_node_info(n, &info, NULL), LB_OK);
	assert_int_equal(lb_wire_begin(out, to - from + 1, NULL), LB_OK);
	assert_int_equal(lb_node_log(n, from, add_entry, &b, NULL), LB_OK);
	assert_int_equal(b.e, LB_OK);
	assert_int_equal(lb_node_head(n, to, &head, &hlen, NULL), LB_OK);
	assert_int_equal(lb_wire_end(out, village, info.origin, head, hlen, NULL), LB_OK);
	free(head);
}

#endif
