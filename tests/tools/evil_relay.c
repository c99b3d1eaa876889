/*
 * evil_relay.c — what a dishonest kecamatan could send its kabupaten, for
 * the malicious-relay test (tests/cli/evilrelay.sh).
 *
 *   evil-relay KEC_DIR ORIGIN_HEX FROM MODE > changeset
 *
 * Builds the change set of ORIGIN's entries FROM.. as the kecamatan in
 * KEC_DIR holds them (the real builder over its replica, up to 16 MiB),
 * then breaks it as MODE says, writing the result on stdout:
 *   honest   unchanged (the control: the kabupaten must accept it)
 *   flip     one byte of one entry's body changed (a letter's case)
 *   drop     the middle entry left out
 *   reorder  the first two entries swapped
 *   resign   one entry changed, the chain recomputed, and the head
 *            re-signed with the kecamatan's own key (KEC_DIR/agg.key)
 *   invent   one made-up entry appended, chained, and a head for it
 *            signed with the kecamatan's key
 * Exit 0 on success; 2 for bad usage or input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../../agg/relay.h"
#include "../../node/head.h"
#include "../../node/key.h"
#include "../../sync/push.h"
#include "../../sync/wire.h"

static void die(const char *what, struct lb_diag *d)
{
	fprintf(stderr, "evil-relay: %s: %s\n", what, d ? d->msg : "");
	exit(2);
}

/* Turn wire entry bytes back into a stored entry (any prev: the wire
 * encoder drops it again). */
static void stored(struct lb_mp_buf *out, const uint8_t *w, size_t len,
                   const uint8_t prev[LB_HASH_BYTES])
{
	static const uint8_t bin32[2] = {0xc4, 0x20};
	lb_mp_buf_reset(out);
	lb_mp_put_raw(out, "\x98", 1);
	lb_mp_put_raw(out, w + 1, len - 1);
	lb_mp_put_raw(out, bin32, 2);
	lb_mp_put_raw(out, prev, LB_HASH_BYTES);
}

/* Change the case of the last ASCII letter of w: still valid msgpack and
 * UTF-8 of the same length, but other bytes than were signed. */
static void toggle_letter(uint8_t *w, size_t len)
{
	for (size_t i = len; i-- > 0;)
		if ((w[i] | 0x20) >= 'a' && (w[i] | 0x20) <= 'z') {
			w[i] ^= 0x20;
			return;
		}
	fprintf(stderr, "evil-relay: no letter to change\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct lb_diag d = {0};
	struct lb_agg *a;
	struct lb_agg_src *as;
	struct lb_src src;
	struct lb_mp_buf cs, out, st;
	struct lb_changeset c;
	struct lb_key k;
	struct lb_head h;
	uint8_t origin[LB_PK_BYTES], prev[LB_HASH_BYTES] = {0}, hash[LB_HASH_BYTES];
	uint8_t **w;
	size_t *wl, n;
	uint64_t from, to;
	char path[4096];
	const char *mode;
	bool resign;

	if (argc != 5 || strlen(argv[2]) != 2 * LB_PK_BYTES ||
	    sodium_hex2bin(origin, sizeof origin, argv[2], strlen(argv[2]), NULL, NULL, NULL)) {
		fprintf(stderr, "usage: evil-relay KEC_DIR ORIGIN_HEX FROM "
		                "honest|flip|drop|reorder|resign|invent > out\n");
		return 2;
	}
	from = strtoull(argv[3], NULL, 10);
	mode = argv[4];
	snprintf(path, sizeof path, "%s/agg.key", argv[1]);
	if (sodium_init() < 0 || lb_key_load(path, &k, &d))
		die("kecamatan key", &d);
	if (lb_agg_open_ro(&a, argv[1], &d) || lb_agg_replica_src(a, origin, &as, &d))
		die("kecamatan store", &d);
	lb_agg_src_get(as, &src);
	lb_mp_buf_init(&cs);
	lb_mp_buf_init(&out);
	lb_mp_buf_init(&st);
	if (lb_changeset_build(&src, from, LB_PUSH_MAX_BYTES, &cs, &to, NULL, &d))
		die("building", &d);
	if (from > 1 && src.ops->entry_hash(src.ctx, from - 1, prev, &d))
		die("hash before", &d);
	if (lb_wire_decode(&c, cs.sb.data, cs.sb.size, &d))
		die("decoding", &d);
	n = 0;
	w = NULL;
	wl = NULL;
	if (!strcmp(mode, "honest")) {
		fwrite(cs.sb.data, 1, cs.sb.size, stdout);
		goto done;
	}
	if (c.n < 3) {
		fprintf(stderr, "evil-relay: need at least 3 entries, have %zu\n", c.n);
		return 2;
	}
	/* private copies of the wire entries, one more for `invent` */
	n = c.n;
	w = calloc(n + 1, sizeof *w);
	wl = calloc(n + 1, sizeof *wl);
	for (size_t i = 0; i < n; i++) {
		w[i] = malloc(c.elen[i]);
		memcpy(w[i], c.e[i], c.elen[i]);
		wl[i] = c.elen[i];
	}
	resign = !strcmp(mode, "resign") || !strcmp(mode, "invent");
	if (!strcmp(mode, "flip") || !strcmp(mode, "resign")) {
		toggle_letter(w[n / 2], wl[n / 2]);
	} else if (!strcmp(mode, "drop")) {
		free(w[n / 2]);
		memmove(w + n / 2, w + n / 2 + 1, (n - n / 2 - 1) * sizeof *w);
		memmove(wl + n / 2, wl + n / 2 + 1, (n - n / 2 - 1) * sizeof *wl);
		n--;
	} else if (!strcmp(mode, "reorder")) {
		uint8_t *t = w[0];
		size_t tl = wl[0];
		w[0] = w[1], wl[0] = wl[1], w[1] = t, wl[1] = tl;
	} else if (!strcmp(mode, "invent")) {
		/* the last entry again with the next seq and a changed body: the
		 * seq is a fixint or uint in field 2; rebuild through the decoder */
		struct lb_mp_buf e2;
		struct lb_entry e;
		uint8_t eh[LB_HASH_BYTES];
		lb_mp_buf_init(&e2);
		stored(&st, w[n - 1], wl[n - 1], prev);
		if (lb_entry_decode(&e, (const uint8_t *)st.sb.data, st.sb.size, &d))
			die("decoding the last entry", &d);
		e.seq++;
		e.ts++;
		lb_hash(eh, (const uint8_t *)st.sb.data, st.sb.size);
		memcpy(e.prev, eh, LB_HASH_BYTES);
		if (lb_entry_encode(&e2, &e))
			die("encoding an invented entry", NULL);
		/* drop its prev again: wire form = stored without the last field */
		wl[n] = e2.sb.size - 34;
		w[n] = malloc(wl[n]);
		memcpy(w[n], e2.sb.data, wl[n]);
		w[n][0] = 0x97;
		toggle_letter(w[n], wl[n]);
		n++;
		lb_mp_buf_free(&e2);
	} else {
		fprintf(stderr, "evil-relay: unknown mode %s\n", mode);
		return 2;
	}
	/* re-encode, chaining from the hash before FROM */
	if (lb_wire_begin(&out, n, &d))
		die("encoding", &d);
	memcpy(hash, prev, LB_HASH_BYTES);
	for (size_t i = 0; i < n; i++) {
		stored(&st, w[i], wl[i], hash);
		lb_hash(hash, (const uint8_t *)st.sb.data, st.sb.size);
		if (lb_wire_add_entry(&out, (const uint8_t *)st.sb.data, st.sb.size, &d))
			die("encoding an entry", &d);
	}
	if (lb_head_open(&h, c.head, c.head_len, NULL, &d))
		die("the village's head", &d);
	lb_mp_buf_reset(&st);
	if (resign) {
		/* the kecamatan's own signature over the changed history */
		memcpy(h.hash, hash, LB_HASH_BYTES);
		h.seq = c.first_seq + n - 1;
		memcpy(h.origin, k.pk, LB_PK_BYTES);
		if (lb_head_sign(&st, &h, &k))
			die("signing", NULL);
	} else {
		lb_mp_put_raw(&st, c.head, c.head_len);
	}
	if (lb_wire_end(&out, c.village, c.origin, (const uint8_t *)st.sb.data, st.sb.size, &d))
		die("encoding the head", &d);
	fwrite(out.sb.data, 1, out.sb.size, stdout);
done:
	for (size_t i = 0; i < n; i++)
		free(w[i]);
	free(w);
	free(wl);
	lb_changeset_free(&c);
	lb_mp_buf_free(&cs);
	lb_mp_buf_free(&out);
	lb_mp_buf_free(&st);
	lb_agg_src_free(as);
	lb_agg_close(a);
	lb_key_wipe(&k);
	return fflush(stdout) ? 2 : 0;
}
