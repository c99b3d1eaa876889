/*
 * test_remote.c — the upstream keys a node remembers per remote
 * (node/remote.h): pinned at `remote add`, learnt from the remote's answer
 * and never trusted until confirmed, bounded, replaced by a new add and
 * forgotten with the remote, each remote's keys apart from the others'.
 * The stored value: a remote stored before pinned CAs existed (key || URL)
 * still reads, with no CA; one with a CA keeps it byte for byte.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "../../node/node.h"
#include "../../node/remote.h"

struct fx {
	char dir[64];
	struct lb_node *n;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	uint8_t origin[LB_PK_BYTES];
	char node[80];

	snprintf(f->dir, sizeof f->dir, "/tmp/lb-test-remote.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(node, sizeof node, "%s/n", f->dir);
	assert_int_equal(lb_node_init(node, "33.24.01.2001", "Desa Uji", origin, NULL), LB_OK);
	assert_int_equal(lb_node_open(&f->n, node, &(struct lb_node_opts){0}, NULL), LB_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	lb_node_close(f->n);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Key number i: every byte i (never all zeros for i > 0). */
static const uint8_t *key(int i)
{
	static uint8_t k[16][LB_PK_BYTES];
	memset(k[i], i, LB_PK_BYTES);
	return k[i];
}

static struct lb_remote remote(const char *name, int keyno)
{
	struct lb_remote r = {0};
	strcpy(r.name, name);
	strcpy(r.url, "http://127.0.0.1:9");
	r.has_key = true;
	memcpy(r.key, key(keyno), LB_PK_BYTES);
	return r;
}

/* The state of `k` among remote name's upstream keys: 'p', 'l' or 0. */
static char state_of(struct fx *f, const char *name, const uint8_t *k)
{
	struct lb_upstream up[LB_REMOTE_UPSTREAM_MAX];
	size_t count;

	assert_int_equal(lb_remote_upstreams(f->n, name, up, &count, NULL), LB_OK);
	for (size_t i = 0; i < count; i++)
		if (!memcmp(up[i].key, k, LB_PK_BYTES))
			return up[i].pinned ? 'p' : 'l';
	return 0;
}

static size_t count_of(struct fx *f, const char *name)
{
	struct lb_upstream up[LB_REMOTE_UPSTREAM_MAX];
	size_t count;

	assert_int_equal(lb_remote_upstreams(f->n, name, up, &count, NULL), LB_OK);
	return count;
}

static void add_pins_the_keys_given(void **state)
{
	struct fx *f = *state;
	struct lb_remote r = remote("kec", 1);
	uint8_t up[2][LB_PK_BYTES];
	struct lb_diag d = {0};

	assert_int_equal(count_of(f, "kec"), 0); /* a remote of an older node: none */
	memcpy(up[0], key(2), LB_PK_BYTES);
	memcpy(up[1], key(3), LB_PK_BYTES);
	assert_int_equal(lb_remote_add(f->n, &r, (const uint8_t(*)[LB_PK_BYTES])up, 2, NULL), LB_OK);
	assert_int_equal(count_of(f, "kec"), 2);
	assert_int_equal(state_of(f, "kec", key(2)), 'p');
	assert_int_equal(state_of(f, "kec", key(3)), 'p');

	/* the remote's own key, or zeros, is no upstream: nothing changes */
	memcpy(up[1], key(1), LB_PK_BYTES);
	assert_int_equal(lb_remote_add(f->n, &r, (const uint8_t(*)[LB_PK_BYTES])up, 2, &d), LB_EINVAL);
	assert_non_null(strstr(d.msg, "the remote's own key"));
	memset(up[1], 0, LB_PK_BYTES);
	assert_int_equal(lb_remote_add(f->n, &r, (const uint8_t(*)[LB_PK_BYTES])up, 2, NULL), LB_EINVAL);
	assert_int_equal(lb_remote_add(f->n, &r, (const uint8_t(*)[LB_PK_BYTES])up,
	                               LB_REMOTE_UPSTREAM_MAX + 1, NULL),
	                 LB_EINVAL);
	assert_int_equal(count_of(f, "kec"), 2);
	assert_int_equal(state_of(f, "kec", key(3)), 'p');
}

static void a_learnt_key_is_not_pinned_until_confirmed(void **state)
{
	struct fx *f = *state;
	struct lb_remote r = remote("kec", 1);
	struct lb_diag d = {0};
	bool added = false;

	assert_int_equal(lb_remote_add(f->n, &r, NULL, 0, NULL), LB_OK);
	assert_int_equal(lb_remote_learn(f->n, "kec", key(4), &added, NULL), LB_OK);
	assert_true(added);
	assert_int_equal(state_of(f, "kec", key(4)), 'l');
	assert_int_equal(lb_remote_learn(f->n, "kec", key(4), &added, NULL), LB_OK);
	assert_false(added);
	assert_int_equal(state_of(f, "kec", key(4)), 'l');

	/* confirming a key the remote never named pins nothing */
	assert_int_equal(lb_remote_confirm(f->n, "kec", key(5), &d), LB_ENOTFOUND);
	assert_non_null(strstr(d.msg, "has not named upstream key"));
	assert_int_equal(state_of(f, "kec", key(5)), 0);

	assert_int_equal(lb_remote_confirm(f->n, "kec", key(4), NULL), LB_OK);
	assert_int_equal(state_of(f, "kec", key(4)), 'p');
	/* learning it again does not demote it */
	assert_int_equal(lb_remote_learn(f->n, "kec", key(4), &added, NULL), LB_OK);
	assert_false(added);
	assert_int_equal(state_of(f, "kec", key(4)), 'p');
	assert_int_equal(lb_remote_confirm(f->n, "kec", key(4), NULL), LB_OK);
	assert_int_equal(count_of(f, "kec"), 1);
}

static void learning_is_bounded_and_refuses_nonsense(void **state)
{
	struct fx *f = *state;
	struct lb_remote r = remote("kec", 1);
	uint8_t zero[LB_PK_BYTES] = {0};
	bool added = true;

	assert_int_equal(lb_remote_learn(f->n, "kec", key(2), &added, NULL), LB_ENOTFOUND);
	assert_false(added);
	assert_int_equal(lb_remote_add(f->n, &r, NULL, 0, NULL), LB_OK);
	assert_int_equal(lb_remote_learn(f->n, "kec", key(1), NULL, NULL), LB_EINVAL);
	assert_int_equal(lb_remote_learn(f->n, "kec", zero, NULL, NULL), LB_EINVAL);
	assert_int_equal(lb_remote_learn(f->n, "k/ec", key(2), NULL, NULL), LB_EINVAL);
	assert_int_equal(count_of(f, "kec"), 0);
	for (int i = 0; i < LB_REMOTE_UPSTREAM_MAX; i++)
		assert_int_equal(lb_remote_learn(f->n, "kec", key(2 + i), NULL, NULL), LB_OK);
	assert_int_equal(lb_remote_learn(f->n, "kec", key(2 + LB_REMOTE_UPSTREAM_MAX), &added, NULL),
	                 LB_ETOOBIG);
	assert_false(added);
	assert_int_equal(state_of(f, "kec", key(2 + LB_REMOTE_UPSTREAM_MAX)), 0);
	assert_int_equal(count_of(f, "kec"), LB_REMOTE_UPSTREAM_MAX);
	/* a key already known is still fine at the bound */
	assert_int_equal(lb_remote_learn(f->n, "kec", key(2), NULL, NULL), LB_OK);
}

static void each_remote_has_its_own_keys_and_loses_them_with_it(void **state)
{
	struct fx *f = *state;
	struct lb_remote a = remote("k", 1), b = remote("k2", 2), c = remote("k.b", 3);
	uint8_t receipt[] = {1, 2, 3}, up[1][LB_PK_BYTES];
	uint64_t seq = 0;
	size_t count;

	memcpy(up[0], key(5), LB_PK_BYTES);
	assert_int_equal(lb_remote_add(f->n, &a, (const uint8_t(*)[LB_PK_BYTES])up, 1, NULL), LB_OK);
	assert_int_equal(lb_remote_add(f->n, &b, NULL, 0, NULL), LB_OK);
	assert_int_equal(lb_remote_add(f->n, &c, NULL, 0, NULL), LB_OK);
	assert_int_equal(lb_remote_learn(f->n, "k2", key(6), NULL, NULL), LB_OK);
	assert_int_equal(lb_remote_learn(f->n, "k.b", key(7), NULL, NULL), LB_OK);
	assert_int_equal(count_of(f, "k"), 1);
	assert_int_equal(state_of(f, "k", key(5)), 'p');
	assert_int_equal(count_of(f, "k2"), 1);
	assert_int_equal(state_of(f, "k2", key(6)), 'l');
	assert_int_equal(state_of(f, "k.b", key(7)), 'l');
	/* upstream rows are no remotes */
	assert_int_equal(lb_remote_list(f->n, NULL, NULL, &count, NULL), LB_OK);
	assert_int_equal(count, 3);

	/* re-adding replaces the remote with its upstream keys */
	assert_int_equal(lb_remote_learn(f->n, "k", key(8), NULL, NULL), LB_OK);
	assert_int_equal(lb_remote_add(f->n, &a, NULL, 0, NULL), LB_OK);
	assert_int_equal(count_of(f, "k"), 0);

	/* rm forgets its keys, not its receipts nor the other remotes' keys */
	assert_int_equal(lb_remote_learn(f->n, "k", key(8), NULL, NULL), LB_OK);
	assert_int_equal(lb_node_receipt_put(f->n, key(8), 3, receipt, sizeof receipt, NULL), LB_OK);
	assert_int_equal(lb_remote_del(f->n, "k", NULL), LB_OK);
	assert_int_equal(lb_remote_add(f->n, &a, NULL, 0, NULL), LB_OK);
	assert_int_equal(count_of(f, "k"), 0);
	assert_int_equal(count_of(f, "k2"), 1);
	assert_int_equal(count_of(f, "k.b"), 1);
	assert_int_equal(lb_node_receipt_last(f->n, key(8), &seq, NULL, NULL), LB_OK);
	assert_int_equal(seq, 3);
}

/* The row layout from before --cacert, written by hand: key || URL. */
static void a_value_without_a_ca_reads_as_before(void **state)
{
	static const char url[] = "https://kab.example:8443";
	uint8_t v[LB_PK_BYTES + sizeof url - 1];
	struct lb_remote r;
	(void)state;

	memcpy(v, key(3), LB_PK_BYTES);
	memcpy(v + LB_PK_BYTES, url, sizeof url - 1);
	memset(&r, 0x55, sizeof r);
	assert_true(lb_remote_decode(&r, v, sizeof v));
	assert_string_equal(r.url, url);
	assert_memory_equal(r.key, key(3), LB_PK_BYTES);
	assert_true(r.has_key);
	assert_string_equal(r.cacert, "");
	/* a CA-less remote is still written in that layout (older builds read it) */
	memset(&r, 0, sizeof r);
	strcpy(r.url, url);
	memcpy(r.key, key(3), LB_PK_BYTES);
	r.has_key = true;
	{
		uint8_t w[LB_REMOTE_VAL_MAX];
		assert_int_equal(lb_remote_encode(&r, w), sizeof v);
		assert_memory_equal(w, v, sizeof v);
	}
	/* too short for a key; a CA with a NUL inside */
	assert_false(lb_remote_decode(&r, v, LB_PK_BYTES - 1));
	{
		uint8_t bad[LB_PK_BYTES + 8] = {0};
		memcpy(bad + LB_PK_BYTES, "h\0ab\0cd", 7);
		assert_false(lb_remote_decode(&r, bad, LB_PK_BYTES + 7));
	}
}

static void a_pinned_ca_is_kept_with_the_remote(void **state)
{
	struct fx *f = *state;
	struct lb_remote r = remote("kab", 1), got;
	static const char pem[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

	strcpy(r.cacert, pem);
	assert_int_equal(lb_remote_add(f->n, &r, NULL, 0, NULL), LB_OK);
	assert_int_equal(lb_remote_get(f->n, "kab", &got, NULL), LB_OK);
	assert_string_equal(got.url, r.url);
	assert_string_equal(got.cacert, pem);
	assert_memory_equal(got.key, r.key, LB_PK_BYTES);
	/* added again without one: the CA is gone */
	r.cacert[0] = '\0';
	assert_int_equal(lb_remote_add(f->n, &r, NULL, 0, NULL), LB_OK);
	assert_int_equal(lb_remote_get(f->n, "kab", &got, NULL), LB_OK);
	assert_string_equal(got.cacert, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(add_pins_the_keys_given, setup, teardown),
		cmocka_unit_test_setup_teardown(a_learnt_key_is_not_pinned_until_confirmed, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(learning_is_bounded_and_refuses_nonsense, setup, teardown),
		cmocka_unit_test_setup_teardown(each_remote_has_its_own_keys_and_loses_them_with_it, setup,
		                                teardown),
		cmocka_unit_test(a_value_without_a_ca_reads_as_before),
		cmocka_unit_test_setup_teardown(a_pinned_ca_is_kept_with_the_remote, setup, teardown),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
