/*
 * fuzz_lla.c — a log archive (.lla, node/archive.c) as an auditor reads
 * it: `lumbung-audit verify` (lb_audit_verify, in the calling thread), the
 * history of one record (lb_audit_history), and making inclusion and
 * consistency proofs from it (tools/audit/proof.c).  Seeds: archives
 * exported by a real node and a real aggregator, forks included.
 */
#include "../../tools/audit/audit.h"
#include "../../tools/audit/proof.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lb_audit_report rep;
	struct lb_audit_history h = {0};
	struct lb_mp_buf out;
	FILE *f;

	lb_fuzz_init();
	if (!(f = lb_fuzz_file(data, size)))
		return 0;
	lb_audit_verify(f, NULL, &rep, NULL);
	rewind(f);
	lb_audit_history(f, "program", "PRG-01", 6, NULL, &h, NULL, NULL);
	lb_audit_history_free(&h);
	lb_mp_buf_init(&out);
	rewind(f);
	lb_proof_inclusion_make(&out, f, 1, 0, NULL);
	lb_mp_buf_reset(&out);
	rewind(f);
	lb_proof_consistency_make(&out, f, 1, 0, NULL);
	lb_mp_buf_free(&out);
	fclose(f);
	return 0;
}
