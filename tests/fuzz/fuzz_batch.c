/*
 * fuzz_batch.c — JSON lines as `lumbung put --batch` reads them: the
 * line parser of node/cli.c (jansson underneath, then type and id checks
 * and the body encoder), then every parsed record through the schema
 * validator the node's write applies (not written: the store is not what
 * is fuzzed here).  The parser is static in cli.c, so cli.c is compiled
 * into this target (with node/cli_pass.c, cli_config.c and cli_import.c, which it calls).  Lines are split and trimmed as put --batch does.
 * Seeds: real batch files and a few broken lines.
 */
#include "../../node/cli.c"
#include "../../node/cli_pass.c"
#include "../../node/cli_config.c"
#include "../../node/cliconf.c"
#include "../../node/cli_find.c"
#include "../../node/cli_import.c"
#include "../../node/cli_backup.c"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct batch b = {0};
	const struct lb_schema *s;
	size_t at = 0;
	unsigned long lineno = 0;

	lb_fuzz_init();
	s = lb_schema_get(lb_schema_latest());
	lb_mp_buf_init(&b.arena);
	while (at < size) {
		const char *line = (const char *)data + at;
		const char *nl = memchr(line, '\n', size - at);
		size_t len = nl ? (size_t)(nl - line) : size - at;
		at += len + (nl != NULL);
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		if (len == 0)
			continue;
		if (batch_add_line(&b, line, len, lineno, NULL) != LB_OK)
			break;
	}
	for (size_t i = 0; i < b.n; i++) {
		const struct pending *p = &b.p[i];
		const char *base = b.arena.sb.data;
		struct lb_refs refs = {lb_fuzz_exists, NULL};
		if (p->op == LB_OP_PUT)
			lb_schema_validate(s, base + p->type_off, base + p->id_off, p->id_len,
			                   (const uint8_t *)base + p->body_off, p->body_len, &refs, NULL);
	}
	lb_mp_buf_free(&b.arena);
	free(b.p);
	free(b.ch);
	return 0;
}
