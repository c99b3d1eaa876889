/*
 * fuzz_body.c — a record body: the canonical msgpack map of schema/mp.c
 * (lb_mp_check_body, the bounded reader), its JSON form (node/body.c), the
 * auditor's field diff, and the schema validator for every record type.
 * Seeds: bodies of real records.
 */
#include <jansson.h>

#include "../../node/body.h"
#include "../../schema/mp.h"
#include "../../tools/audit/audit.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lb_mp_rd r;
	json_t *j;

	lb_fuzz_init();
	/* the generic reader: every header, then again skipping whole values */
	lb_mp_rd_init(&r, data, size);
	while (lb_mp_rd_left(&r)) {
		struct lb_mp_obj o;
		if (lb_mp_next(&r, &o, NULL) != LB_OK)
			break;
	}
	lb_mp_rd_init(&r, data, size);
	while (lb_mp_rd_left(&r) && lb_mp_skip(&r, true, NULL) == LB_OK)
		;
	lb_mp_rd_init(&r, data, size);
	while (lb_mp_rd_left(&r) && lb_mp_skip(&r, false, NULL) == LB_OK)
		;
	if (lb_mp_check_body(data, size, NULL) != LB_OK)
		return 0;
	if ((j = lb_body_to_json(data, size, NULL))) {
		/* what the JSON says must encode again (put --batch's path) */
		struct lb_mp_buf b;
		lb_mp_buf_init(&b);
		lb_body_from_json(&b, j, NULL);
		lb_mp_buf_free(&b);
		json_decref(j);
	}
	if (lb_audit_body_diff(&j, NULL, 0, data, size, NULL) == LB_OK)
		json_decref(j);
	{
		const struct lb_schema *s = lb_schema_get(lb_schema_latest());
		struct lb_refs refs = {lb_fuzz_exists, NULL};
		for (size_t i = 0; s && i < s->ntypes; i++)
			lb_schema_validate(s, s->types[i].name, "X-1", 3, data, size, &refs, NULL);
	}
	return 0;
}
