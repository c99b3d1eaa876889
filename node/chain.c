/*
 * chain.c — the rules of a signed history (see chain.h).
 */
#include "chain.h"
#include "succession.h"

#include <stdio.h>
#include <string.h>

void lb_chain_init(struct lb_chain *c, const char *village, const uint8_t origin[LB_PK_BYTES])
{
	memset(c, 0, sizeof *c);
	snprintf(c->village, sizeof c->village, "%s", village);
	memcpy(c->origin, origin, LB_PK_BYTES);
	lb_merkle_init(&c->m);
	c->tree = true;
}

void lb_chain_resume(struct lb_chain *c, uint64_t seq, const uint8_t hash[LB_HASH_BYTES],
                     uint64_t ts, const struct lb_merkle *m)
{
	c->seq = seq;
	c->ts = ts;
	memcpy(c->hash, hash, LB_HASH_BYTES);
	c->tree = m != NULL;
	if (m)
		c->m = *m;
	else
		lb_merkle_init(&c->m);
	c->fault = LB_CHAIN_OK;
}

static lb_err fault(struct lb_chain *c, enum lb_chain_fault f, struct lb_diag *d, uint64_t seq,
                    const char *why)
{
	c->fault = f;
	return lb_fail(d, LB_ECORRUPT, "seq %llu: %s", (unsigned long long)seq, why);
}

/* RFC 9162 append of a leaf hash (the carry of lb_merkle_append). */
static void push_leaf(struct lb_merkle *m, const uint8_t leaf[LB_HASH_BYTES])
{
	uint8_t h[LB_HASH_BYTES];
	int i = 0;

	memcpy(h, leaf, LB_HASH_BYTES);
	while (m->size & (1ULL << i)) {
		lb_merkle_node(h, m->level[i], h);
		i++;
	}
	memcpy(m->level[i], h, LB_HASH_BYTES);
	m->size++;
}

lb_err lb_chain_entry(struct lb_chain *c, const struct lb_entry *e,
                      const uint8_t hash[LB_HASH_BYTES], const uint8_t *leaf, struct lb_diag *d)
{
	c->fault = LB_CHAIN_OK;
	if (e->seq != c->seq + 1) {
		c->fault = LB_CHAIN_SEQ;
		return lb_fail(d, LB_ECORRUPT,
		               "seq %llu: entry is missing or out of order (after seq %llu comes an "
		               "entry for seq %llu)",
		               (unsigned long long)c->seq + 1, (unsigned long long)c->seq,
		               (unsigned long long)e->seq);
	}
	if (memcmp(e->prev, c->hash, LB_HASH_BYTES) != 0)
		return fault(c, LB_CHAIN_PREV, d, e->seq,
		             "prev does not match the hash of the entry before it");
	if (c->seq && e->ts <= c->ts) {
		c->fault = LB_CHAIN_TS;
		return lb_fail(d, LB_ECORRUPT,
		               "seq %llu: timestamp is not after the previous entry's (ts %llu, seq "
		               "%llu has ts %llu)",
		               (unsigned long long)e->seq, (unsigned long long)e->ts,
		               (unsigned long long)c->seq, (unsigned long long)c->ts);
	}
	if (leaf)
		push_leaf(&c->m, leaf);
	else
		lb_merkle_append(&c->m, hash);
	c->seq = e->seq;
	c->ts = e->ts;
	memcpy(c->hash, hash, LB_HASH_BYTES);
	return LB_OK;
}

lb_err lb_chain_head(struct lb_chain *c, const struct lb_head *h, struct lb_diag *d)
{
	uint8_t root[LB_HASH_BYTES];

	c->fault = LB_CHAIN_OK;
	if (h->seq != c->seq) {
		c->fault = LB_CHAIN_HEAD_SEQ;
		return lb_fail(d, LB_ECORRUPT,
		               "seq %llu: a signed head for seq %llu where the entries end at seq %llu",
		               (unsigned long long)h->seq, (unsigned long long)h->seq,
		               (unsigned long long)c->seq);
	}
	if (strcmp(h->village, c->village) != 0) { /* both desa codes (lb_head_open checks) */
		c->fault = LB_CHAIN_HEAD_VILLAGE;
		return lb_fail(d, LB_ECORRUPT,
		               "seq %llu: signed head names another village (%s) than the history's %s",
		               (unsigned long long)h->seq, h->village, c->village);
	}
	if (memcmp(h->origin, c->origin, LB_PK_BYTES) != 0)
		return fault(c, LB_CHAIN_HEAD_ORIGIN, d, h->seq,
		             "signed head names another origin key");
	if (memcmp(h->hash, c->hash, LB_HASH_BYTES) != 0)
		return fault(c, LB_CHAIN_HEAD_HASH, d, h->seq,
		             "entry hash does not match its signed head (entry altered)");
	if (c->tree) {
		lb_merkle_root(&c->m, root);
		if (memcmp(h->root, root, LB_HASH_BYTES) != 0)
			return fault(c, LB_CHAIN_HEAD_ROOT, d, h->seq,
			             "Merkle root in the signed head does not match the entries");
	}
	if (h->ts != c->ts)
		return fault(c, LB_CHAIN_HEAD_TS, d, h->seq,
		             "signed head's time is not the time of the entry it covers");
	return LB_OK;
}

lb_err lb_chain_succeed(struct lb_chain *c, const struct lb_succession *s, struct lb_diag *d)
{
	c->fault = LB_CHAIN_OK;
	if (strcmp(s->village, c->village) != 0)
		return fault(c, LB_CHAIN_SUCCESSION, d, c->seq,
		             "a succession for another village");
	if (memcmp(s->old_key, c->origin, LB_PK_BYTES) != 0)
		return fault(c, LB_CHAIN_SUCCESSION, d, c->seq,
		             "a succession from another key than the one signing the chain");
	if (s->seq != c->seq || memcmp(s->hash, c->hash, LB_HASH_BYTES) != 0)
		return fault(c, LB_CHAIN_SUCCESSION, d, c->seq,
		             "a succession naming another entry than the chain's last (seq and hash)");
	memcpy(c->origin, s->new_key, LB_PK_BYTES);
	return LB_OK;
}
