/*
 * datang.c — offers of residents moving into this village (datang.h).
 */
#include "datang.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../schema/schema.h"
#include "body.h"
#include "node_int.h"

#define PLEN (sizeof LB_DATANG_PREFIX - 1)
#define KEY_LEN (PLEN + LB_NIK_DIGITS)
#define OWN_ERR (-1) /* a txn function filled its own error */

void lb_datang_offers_free(struct lb_datang_offer *o, size_t n)
{
	if (!o)
		return;
	for (size_t i = 0; i < n; i++)
		free(o[i].entry);
	free(o);
}

static bool is_nik(const char *nik)
{
	if (!nik || strlen(nik) != LB_NIK_DIGITS)
		return false;
	for (size_t i = 0; i < LB_NIK_DIGITS; i++)
		if (nik[i] < '0' || nik[i] > '9')
			return false;
	return true;
}

static void datang_key(uint8_t k[KEY_LEN], const char *nik)
{
	memcpy(k, LB_DATANG_PREFIX, PLEN);
	memcpy(k + PLEN, nik, LB_NIK_DIGITS);
}

/* The string value of field name in obj, or NULL. */
static const char *str_field(const json_t *obj, const char *name)
{
	return json_string_value(json_object_get(obj, name));
}

lb_err lb_datang_check(const struct lb_datang_offer *o, const char *self, struct lb_diag *d)
{
	uint8_t h[LB_HASH_BYTES];
	struct lb_entry e;
	const char *status, *to;
	json_t *body;
	lb_err err;

	if (!is_nik(o->nik))
		return lb_fail(d, LB_EINVAL, "an offer's NIK is not 16 digits");
	if (strlen(o->from) != LB_VILLAGE_LEN || lb_region_level(o->from) != LB_REGION_DESA)
		return lb_fail(d, LB_EINVAL, "offer %s: \"from\" is not a desa code", o->nik);
	if (self && !strcmp(o->from, self))
		return lb_fail(d, LB_EINVAL, "offer %s: comes from this village itself", o->nik);
	if (!o->entry || !o->entry_len)
		return lb_fail(d, LB_EMALFORMED, "offer %s: no entry", o->nik);
	lb_hash(h, o->entry, o->entry_len);
	if (memcmp(h, o->hash, LB_HASH_BYTES))
		return lb_fail(d, LB_ECORRUPT, "offer %s: the entry's hash is not the hash offered",
		               o->nik);
	if ((err = lb_entry_decode(&e, o->entry, o->entry_len, d))) {
		lb_diag_prefix(d, "offer %s", o->nik);
		return err;
	}
	if (e.seq != o->seq)
		return lb_fail(d, LB_ECORRUPT, "offer %s: the entry is seq %llu, not the seq %llu offered",
		               o->nik, (unsigned long long)e.seq, (unsigned long long)o->seq);
	if (e.op != LB_OP_PUT || e.type_len != 8 || memcmp(e.type, "penduduk", 8) ||
	    e.id_len != LB_NIK_DIGITS || memcmp(e.id, o->nik, LB_NIK_DIGITS))
		return lb_fail(d, LB_ESCHEMA, "offer %s: the entry is not a put of penduduk %s",
		               o->nik, o->nik);
	if ((err = lb_entry_check_schema(&e, NULL, d))) {
		lb_diag_prefix(d, "offer %s", o->nik);
		return err;
	}
	if (!(body = lb_body_to_json(e.body, e.body_len, d)))
		return d ? d->code : LB_EMALFORMED;
	status = str_field(body, "status");
	to = str_field(body, "pindah_ke");
	err = !status || strcmp(status, "pindah")
	              ? lb_fail(d, LB_ESCHEMA, "offer %s: the entry's status is not pindah", o->nik)
	      : !to || (self && strcmp(to, self))
	              ? lb_fail(d, LB_ESCHEMA, "offer %s: the entry moves the resident to %s, not "
	                        "here", o->nik, to ? to : "nowhere")
	              : LB_OK;
	json_decref(body);
	return err;
}

/* ---- the stored form ------------------------------------------------------ */

static lb_err encode(struct lb_mp_buf *b, const struct lb_datang_offer *o, struct lb_diag *d)
{
	lb_mp_buf_reset(b);
	lb_mp_put_array(b, 4);
	lb_mp_put_cstr(b, o->from);
	lb_mp_put_uint(b, o->seq);
	lb_mp_put_bin(b, o->hash, LB_HASH_BYTES);
	lb_mp_put_bin(b, o->entry, o->entry_len);
	return b->oom ? lb_fail(d, LB_ENOMEM, "out of memory") : LB_OK;
}

/* Decode a stored offer (entry borrowed from v) and its entry. */
static lb_err decode(const MDB_val *k, const MDB_val *v, struct lb_datang_offer *o,
                     struct lb_entry *e, struct lb_diag *d)
{
	struct lb_mp_rd r;
	const uint8_t *s;
	uint32_t len;
	struct lb_mp_obj x;

	memset(o, 0, sizeof *o);
	if (k->mv_size != KEY_LEN)
		return lb_fail(d, LB_ECORRUPT, "a datang row has a key of %zu bytes", k->mv_size);
	memcpy(o->nik, (const char *)k->mv_data + PLEN, LB_NIK_DIGITS);
	lb_mp_rd_init(&r, v->mv_data, v->mv_size);
	if (lb_mp_read_array(&r, 4, "offer", NULL) || lb_mp_read_str(&r, &s, &len, "from", NULL) ||
	    len != LB_VILLAGE_LEN)
		goto bad;
	memcpy(o->from, s, len);
	if (lb_mp_read_uint(&r, &o->seq, "seq", NULL) ||
	    lb_mp_read_binn(&r, &s, LB_HASH_BYTES, "hash", NULL))
		goto bad;
	memcpy(o->hash, s, LB_HASH_BYTES);
	if (lb_mp_next(&r, &x, NULL) || x.kind != LB_MP_BIN || lb_mp_rd_left(&r))
		goto bad;
	o->entry = (uint8_t *)x.s;
	o->entry_len = x.len;
	if (lb_entry_decode(e, o->entry, o->entry_len, NULL))
		goto bad;
	return LB_OK;
bad:
	return lb_fail(d, LB_ECORRUPT, "the held offer for %s does not decode", o->nik);
}

/* ---- replace ---------------------------------------------------------------- */

struct replace {
	const struct lb_datang_offer *o;
	size_t count;
	const bool *ok;
	struct lb_datang_stats st;
	struct lb_mp_buf buf;
	struct lb_diag *d;
};

static bool listed(const struct replace *r, const uint8_t *nik)
{
	for (size_t i = 0; i < r->count; i++)
		if (r->ok[i] && !memcmp(r->o[i].nik, nik, LB_NIK_DIGITS))
			return true;
	return false;
}

/* Is penduduk nik live here with datang_hash = hash (taken already)? */
static bool taken_here(struct lb_node *n, MDB_txn *txn, const struct lb_datang_offer *o)
{
	uint8_t rk[LB_RKEY_MAX], kseq[8];
	MDB_val k = {lb_rkey(rk, "penduduk", 8, o->nik, LB_NIK_DIGITS), rk}, v;
	struct lb_entry e;
	char hex[2 * LB_HASH_BYTES + 1];
	const char *have;
	json_t *body;
	bool taken;

	if (mdb_get(txn, n->records, &k, &v) || v.mv_size != LB_REC_VAL_LEN ||
	    ((uint8_t *)v.mv_data)[8] != LB_REC_LIVE)
		return false;
	memcpy(kseq, v.mv_data, 8);
	k = (MDB_val){8, kseq};
	if (mdb_get(txn, n->log, &k, &v) || lb_entry_decode(&e, v.mv_data, v.mv_size, NULL) ||
	    e.op != LB_OP_PUT || !(body = lb_body_to_json(e.body, e.body_len, NULL)))
		return false;
	lb_hex(hex, o->hash, LB_HASH_BYTES);
	have = str_field(body, "datang_hash");
	taken = have && !strcmp(have, hex);
	json_decref(body);
	return taken;
}

static int replace_txn(void *ctx, struct lb_node *n, MDB_txn *txn)
{
	struct replace *r = ctx;
	uint8_t kb[KEY_LEN];
	MDB_cursor *cur;
	MDB_val k = {PLEN, (void *)LB_DATANG_PREFIX}, v;
	int rc;

	memset(&r->st, 0, sizeof r->st);
	if ((rc = mdb_cursor_open(txn, n->meta, &cur)))
		return rc;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size < PLEN || memcmp(k.mv_data, LB_DATANG_PREFIX, PLEN))
			break;
		if (k.mv_size == KEY_LEN && listed(r, (const uint8_t *)k.mv_data + PLEN))
			continue;
		if ((rc = mdb_cursor_del(cur, 0)))
			break;
		r->st.dropped++;
	}
	mdb_cursor_close(cur);
	if (rc && rc != MDB_NOTFOUND)
		return rc;
	for (size_t i = 0; i < r->count; i++) {
		if (!r->ok[i])
			continue;
		if (taken_here(n, txn, &r->o[i])) {
			r->st.skipped++;
			datang_key(kb, r->o[i].nik);
			k = (MDB_val){KEY_LEN, kb};
			if ((rc = mdb_del(txn, n->meta, &k, NULL)) == 0)
				r->st.dropped++;
			else if (rc != MDB_NOTFOUND)
				return rc;
			continue;
		}
		if (encode(&r->buf, &r->o[i], r->d))
			return OWN_ERR;
		datang_key(kb, r->o[i].nik);
		k = (MDB_val){KEY_LEN, kb};
		rc = mdb_get(txn, n->meta, &k, &v);
		if (rc == 0 && v.mv_size == r->buf.sb.size && !memcmp(v.mv_data, r->buf.sb.data, v.mv_size)) {
			r->st.kept++;
			continue;
		}
		if (rc && rc != MDB_NOTFOUND)
			return rc;
		if (rc == MDB_NOTFOUND)
			r->st.added++;
		v = (MDB_val){r->buf.sb.size, r->buf.sb.data};
		if ((rc = mdb_put(txn, n->meta, &k, &v, 0)))
			return rc;
		r->st.kept++;
	}
	return 0;
}

lb_err lb_datang_replace(struct lb_node *n, const struct lb_datang_offer *o, size_t count,
                         struct lb_datang_stats *st, struct lb_diag *d)
{
	struct replace r = {.o = o, .count = count, .d = d};
	struct lb_node_info info;
	bool *ok = calloc(count ? count : 1, sizeof *ok);
	lb_err e;
	int rc;

	if (!ok)
		return lb_fail(d, LB_ENOMEM, "out of memory");
	if ((e = lb_node_info(n, &info, d))) {
		free(ok);
		return e;
	}
	for (size_t i = 0; i < count; i++) {
		ok[i] = lb_datang_check(&o[i], info.village, NULL) == LB_OK;
		for (size_t j = 0; ok[i] && j < i; j++) /* a NIK listed twice: the first */
			if (ok[j] && !strcmp(o[j].nik, o[i].nik))
				ok[i] = false;
	}
	r.ok = ok;
	lb_mp_buf_init(&r.buf);
	if (!n->have_key)
		rc = EACCES;
	else
		rc = lb_meta_txn(n, replace_txn, &r);
	size_t bad = 0;
	for (size_t i = 0; i < count; i++)
		bad += !ok[i];
	r.st.skipped += bad;
	lb_mp_buf_free(&r.buf);
	free(ok);
	if (rc == EACCES)
		return lb_fail(d, LB_EINVAL, "node was opened read-only");
	if (rc == OWN_ERR)
		return d ? d->code : LB_ENOMEM;
	if (rc)
		return lb_mdb_fail_env(d, n->env, rc, "keeping the offers");
	if (st)
		*st = r.st;
	return LB_OK;
}

/* ---- list ------------------------------------------------------------------- */

lb_err lb_datang_list(struct lb_node *n, lb_datang_cb cb, void *ctx, struct lb_diag *d)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k = {PLEN, (void *)LB_DATANG_PREFIX}, v;
	lb_err e = LB_OK;
	int rc;

	if ((rc = lb_node_txn_begin(n, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "reading the offers");
	if ((rc = mdb_cursor_open(txn, n->meta, &cur))) {
		mdb_txn_abort(txn);
		return lb_mdb_fail(d, rc, "reading the offers");
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct lb_datang_offer o;
		struct lb_entry en;
		if (k.mv_size < PLEN || memcmp(k.mv_data, LB_DATANG_PREFIX, PLEN))
			break;
		if ((e = decode(&k, &v, &o, &en, d)) || cb(ctx, &o, &en))
			break;
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	if (!e && rc && rc != MDB_NOTFOUND)
		e = lb_mdb_fail(d, rc, "reading the offers");
	return e;
}

/* ---- accept and drop ---------------------------------------------------------- */

struct accept {
	struct lb_node *n;
	const char *nik;
	const json_t *changes;
	struct lb_mp_buf body;
};

/* The resident's new body from the offered one, as a JSON object. */
static lb_err new_body(const struct lb_datang_offer *o, const struct lb_entry *e,
                       const json_t *changes, struct lb_mp_buf *out, struct lb_diag *d)
{
	char hex[2 * LB_HASH_BYTES + 1];
	json_t *obj = lb_body_to_json(e->body, e->body_len, d);
	lb_err err = LB_OK;

	if (!obj)
		return d ? d->code : LB_EMALFORMED;
	json_object_del(obj, "pindah_ke");
	json_object_del(obj, "tanggal_pindah");
	lb_hex(hex, o->hash, LB_HASH_BYTES);
	if (json_object_set_new(obj, "status", json_string("hidup")) ||
	    (changes && json_object_update(obj, (json_t *)changes)) ||
	    json_object_set_new(obj, "datang_dari", json_string(o->from)) ||
	    json_object_set_new(obj, "datang_seq", json_integer((json_int_t)o->seq)) ||
	    json_object_set_new(obj, "datang_hash", json_string(hex)))
		err = lb_fail(d, LB_ENOMEM, "out of memory");
	lb_mp_buf_reset(out);
	if (!err)
		err = lb_body_from_json(out, obj, d);
	json_decref(obj);
	return err;
}

static lb_err accept_produce(void *ctx, struct lb_write_sink *sink, struct lb_diag *d)
{
	struct accept *a = ctx;
	struct lb_node *n = a->n;
	MDB_txn *txn = lb_sink_txn(sink);
	uint8_t kb[KEY_LEN], rk[LB_RKEY_MAX];
	MDB_val k = {KEY_LEN, kb}, v;
	struct lb_datang_offer o;
	struct lb_entry e;
	lb_err err;
	int rc;

	datang_key(kb, a->nik);
	if ((rc = mdb_get(txn, n->meta, &k, &v)))
		return rc == MDB_NOTFOUND
		               ? lb_fail(d, LB_ENOTFOUND, "no offer of a resident %s moving here "
		                         "(`lumbung datang ls` lists them)", a->nik)
		               : lb_mdb_fail(d, rc, "reading the offer");
	if ((err = decode(&k, &v, &o, &e, d)))
		return err;
	k = (MDB_val){lb_rkey(rk, "penduduk", 8, a->nik, LB_NIK_DIGITS), rk};
	if (mdb_get(txn, n->records, &k, &v) == 0 && v.mv_size == LB_REC_VAL_LEN &&
	    ((uint8_t *)v.mv_data)[8] == LB_REC_LIVE)
		return lb_fail(d, LB_EEXIST, "penduduk %s is already a resident of this village: the "
		               "offer from %s is not taken (refuse it with `lumbung datang tolak`)",
		               a->nik, o.from);
	if ((err = new_body(&o, &e, a->changes, &a->body, d)))
		return err;
	{
		struct lb_change ch = {.op = LB_OP_PUT, .type = "penduduk", .id = a->nik,
		                       .id_len = LB_NIK_DIGITS,
		                       .body = (const uint8_t *)a->body.sb.data,
		                       .body_len = a->body.sb.size};
		if ((err = lb_sink_put(sink, &ch, d)))
			return err;
	}
	datang_key(kb, a->nik);
	k = (MDB_val){KEY_LEN, kb};
	if ((rc = mdb_del(txn, n->meta, &k, NULL)))
		return lb_sink_fail(sink, rc, "dropping the offer", d);
	return LB_OK;
}

lb_err lb_datang_accept(struct lb_node *n, const char *nik, const json_t *changes,
                        struct lb_commit *c, struct lb_diag *d)
{
	static const char *const fixed[] = {"nik", "datang_dari", "datang_seq", "datang_hash"};
	struct accept a = {.n = n, .nik = nik, .changes = changes};
	lb_err e;

	if (!is_nik(nik))
		return lb_fail(d, LB_EINVAL, "\"%s\" is not a NIK (16 digits)", nik ? nik : "");
	if (changes && !json_is_object(changes))
		return lb_fail(d, LB_EINVAL, "the changes are not an object");
	for (size_t i = 0; changes && i < sizeof fixed / sizeof fixed[0]; i++)
		if (json_object_get(changes, fixed[i]))
			return lb_fail(d, LB_EINVAL, "penduduk %s: %s comes from the offer and cannot be "
			               "changed here", nik, fixed[i]);
	lb_mp_buf_init(&a.body);
	e = lb_node_write_with(n, accept_produce, &a, 0, c, d);
	lb_mp_buf_free(&a.body);
	return e;
}

struct drop {
	const char *nik;
};

static int drop_txn(void *ctx, struct lb_node *n, MDB_txn *txn)
{
	struct drop *x = ctx;
	uint8_t kb[KEY_LEN];
	MDB_val k = {KEY_LEN, kb};

	datang_key(kb, x->nik);
	return mdb_del(txn, n->meta, &k, NULL);
}

lb_err lb_datang_drop(struct lb_node *n, const char *nik, struct lb_diag *d)
{
	struct drop x = {nik};
	int rc;

	if (!is_nik(nik))
		return lb_fail(d, LB_EINVAL, "\"%s\" is not a NIK (16 digits)", nik ? nik : "");
	if (!n->have_key)
		return lb_fail(d, LB_EINVAL, "node was opened read-only");
	rc = lb_meta_txn(n, drop_txn, &x);
	if (rc == MDB_NOTFOUND)
		return lb_fail(d, LB_ENOTFOUND, "no offer of a resident %s moving here", nik);
	return rc ? lb_mdb_fail_env(d, n->env, rc, "dropping the offer") : LB_OK;
}
