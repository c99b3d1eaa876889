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

#include <string.h>

static void same(bool ok, const char *what, const struct lb_diag *d0, const struct lb_diag *d2)
{
	if (!ok) {
		fprintf(stderr, "lb_audit_verify differs with threads: %s\n  0: %s\n  2: %s\n", what,
		        d0->msg, d2->msg);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lb_audit_report rep, rep2;
	struct lb_audit_opts two = {.threads = 2};
	struct lb_diag d0 = {0}, d2 = {0};
	lb_err e0, e2;
	struct lb_audit_history h = {0};
	struct lb_mp_buf out;
	FILE *f;

	lb_fuzz_init();
	if (!(f = lb_fuzz_file(data, size)))
		return 0;
	e0 = lb_audit_verify(f, NULL, &rep, &d0);
	rewind(f);
	e2 = lb_audit_verify(f, &two, &rep2, &d2);
	same(e0 == e2, "error code", &d0, &d2);
	same(rep.bad_seq == rep2.bad_seq && rep.bad_frame == rep2.bad_frame, "bad seq/frame", &d0,
	     &d2);
	same(e0 == LB_OK || !strcmp(d0.msg, d2.msg), "message", &d0, &d2);
	same(rep.entries == rep2.entries && rep.heads == rep2.heads &&
	         rep.receipts == rep2.receipts && rep.forks == rep2.forks &&
	         rep.last_seq == rep2.last_seq && rep.trailer == rep2.trailer,
	     "counts", &d0, &d2);
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
