/*
 * v1log.c — a village log written under schema version 1, for the
 * mixed-version test (tests/cli/schema_mixed.sh): what a village whose
 * software predates version 2 holds.
 *
 *   v1log NODE_DIR < records.jsonl > v1.lla
 *
 * NODE_DIR holds a node made by `lumbung init` (its key, node.key, signs).
 * Each input line is {"type", "id", "body"} (what lumbung-gen writes); each
 * becomes a put entry naming schema version 1, checked against version 1
 * (lb_entry_check_schema) before it is written, hash-chained, with a signed
 * head every LB_HEAD_EVERY entries and at the end, as the node's writer
 * does; the archive (header, entries, heads, trailer) goes to stdout, for
 * `lumbung restore -d NODE_DIR --from v1.lla`, which checks every byte of
 * it against the key and the schema versions the entries name.  Nothing
 * here encodes or signs by hand: lb_entry_encode, lb_head_sign and the
 * lb_lla writer do.  Exit 0, or 2 with the reason.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "../../node/archive.h"
#include "../../node/body.h"
#include "../../node/entry.h"
#include "../../node/head.h"
#include "../../node/hlc.h"
#include "../../node/key.h"
#include "../../node/merkle.h"
#include "../../node/node.h"
#include "../../schema/schema.h"

static int die(const char *what, const struct lb_diag *d)
{
	fprintf(stderr, "v1log: %s%s%s\n", what, d ? ": " : "", d ? d->msg : "");
	return 2;
}

int main(int argc, char **argv)
{
	struct lb_node *n;
	struct lb_node_info info;
	struct lb_node_opts ro = {.read_only = true};
	struct lb_lla_writer w;
	struct lb_lla_header hdr = {.source = "node", .from = 1};
	struct lb_merkle m;
	struct lb_mp_buf ent, body, head;
	struct lb_key key;
	struct lb_diag d = {0};
	uint8_t hash[LB_HASH_BYTES] = {0};
	uint64_t seq = 0, ts = 0, signed_at = 0;
	char path[4096], *line = NULL;
	size_t cap = 0;

	if (argc != 2)
		return die("usage: v1log NODE_DIR < records.jsonl > v1.lla", NULL);
	if (sodium_init() < 0 || lb_schema_builtin_init(&d))
		return die("init", &d);
	snprintf(path, sizeof path, "%s/node.key", argv[1]);
	if (lb_key_load(path, &key, &d) || lb_node_open(&n, argv[1], &ro, &d) ||
	    lb_node_info(n, &info, &d))
		return die(argv[1], &d);
	lb_node_close(n);
	memcpy(hdr.village, info.village, sizeof hdr.village);
	memcpy(hdr.origin, key.pk, LB_PK_BYTES);
	lb_merkle_init(&m);
	lb_mp_buf_init(&ent);
	lb_mp_buf_init(&body);
	lb_mp_buf_init(&head);
	lb_lla_writer_init(&w, stdout);
	if (lb_lla_write_header(&w, &hdr, &d))
		return die("header", &d);
	while (getline(&line, &cap, stdin) > 0) {
		json_t *j = json_loads(line, 0, NULL);
		const char *type = json_string_value(json_object_get(j, "type"));
		const char *id = json_string_value(json_object_get(j, "id"));
		struct lb_entry e;

		if (!type || !id)
			return die("a line is not {\"type\", \"id\", \"body\"}", NULL);
		lb_mp_buf_reset(&body);
		if (lb_body_from_json(&body, json_object_get(j, "body"), &d))
			return die(id, &d);
		ts = lb_hlc_next(ts, lb_hlc_wall_ms());
		e = (struct lb_entry){.seq = ++seq, .ts = ts, .op = LB_OP_PUT, .type = type,
		                      .type_len = strlen(type), .id = id, .id_len = strlen(id),
		                      .body = (const uint8_t *)body.sb.data, .body_len = body.sb.size,
		                      .schema = 1};
		memcpy(e.prev, hash, LB_HASH_BYTES);
		if (lb_entry_check_schema(&e, NULL, &d))
			return die("not valid under version 1", &d);
		lb_mp_buf_reset(&ent);
		if (lb_entry_encode(&ent, &e) || lb_lla_write_entry(&w, ent.sb.data, ent.sb.size, &d))
			return die("entry", &d);
		json_decref(j);
		lb_hash(hash, ent.sb.data, ent.sb.size);
		lb_merkle_append(&m, hash);
		if (seq % LB_HEAD_EVERY == 0 || feof(stdin) || (ungetc(getc(stdin), stdin) == EOF)) {
			struct lb_head h = {.seq = seq, .ts = ts};
			memcpy(h.village, info.village, sizeof h.village);
			memcpy(h.origin, key.pk, LB_PK_BYTES);
			memcpy(h.hash, hash, LB_HASH_BYTES);
			lb_merkle_root(&m, h.root);
			lb_mp_buf_reset(&head);
			if (lb_head_sign(&head, &h, &key) ||
			    lb_lla_write_head(&w, head.sb.data, head.sb.size, &d))
				return die("head", &d);
			signed_at = seq;
		}
	}
	if (!seq || signed_at != seq)
		return die("no records on stdin", NULL);
	if (lb_lla_write_trailer(&w, &d))
		return die("trailer", &d);
	lb_lla_writer_free(&w);
	lb_mp_buf_free(&ent);
	lb_mp_buf_free(&body);
	lb_mp_buf_free(&head);
	lb_key_wipe(&key);
	free(line);
	return 0;
}
