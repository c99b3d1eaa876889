/*
 * fuzz_entry.c — one stored log entry (node/entry.c): decode, hash, the
 * schema check every side applies (lb_entry_check_schema), the body as
 * JSON.  Seeds: real entries of a node's log.
 */
#include <jansson.h>

#include "../../node/body.h"
#include "../../node/entry.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lb_entry e;
	uint8_t hash[LB_HASH_BYTES];

	lb_fuzz_init();
	if (lb_entry_decode(&e, data, size, NULL) != LB_OK)
		return 0;
	lb_hash(hash, data, size);
	{
		struct lb_refs refs = {lb_fuzz_exists, NULL};
		lb_entry_check_schema(&e, &refs, NULL);
		lb_entry_check_schema(&e, NULL, NULL);
	}
	if (e.body) {
		json_t *j = lb_body_to_json(e.body, e.body_len, NULL);
		json_decref(j);
	}
	return 0;
}
