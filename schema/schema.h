/*
 * schema.h — record types and their validation.
 *
 * Definitions are data: schema/vN.schema files (format in docs/SCHEMA.md),
 * embedded into the binaries at build time so a village PC never depends
 * on a file being in the right place.  Every version ever released stays
 * embedded: an entry records the version it was written under and is
 * validated against exactly that version, by the node when it is written,
 * by the aggregator when it arrives, and by auditors.
 *
 * Bodies are canonical msgpack maps (node/mp.h); this module reads them
 * with its own bounded walker so that schema/ depends on nothing of ours.
 *
 * Thread safety: a loaded schema set is immutable; share it freely.
 */
#ifndef LB_SCHEMA_H
#define LB_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum lb_kind {
	LB_K_STRING,  /* string(MAX): UTF-8, no control characters, <= MAX chars */
	LB_K_TEXT,    /* text(MAX): like string, newlines and tabs allowed       */
	LB_K_INTEGER, /* integer(MIN..MAX)                                       */
	LB_K_RUPIAH,  /* integer rupiah, 0 .. 10^15                              */
	LB_K_DATE,    /* "YYYY-MM-DD", a real calendar date, 1900..2100          */
	LB_K_PERIOD,  /* "YYYY-MM" or "YYYY-Qn"                                   */
	LB_K_ENUM,    /* one of the listed strings                               */
	LB_K_BOOLEAN, /* true / false                                            */
	LB_K_DIGITS,  /* exactly N decimal digits, as a string                   */
	LB_K_NIK,     /* 16 digits: region code, birth date (+40 for women), serial */
	LB_K_REF,     /* the id of a live record of another type                 */
	LB_K_REGION,  /* a region code: PP, PP.KK, PP.KK.CC or PP.KK.CC.DDDD (v2) */
	LB_K_HEX,     /* hex(N): exactly N lower-case hex digits, e.g. a hash (v2) */
};

struct lb_field {
	char *name;
	size_t name_len;
	enum lb_kind kind;
	bool required;
	int64_t min, max;  /* INTEGER range; STRING/TEXT max chars; DIGITS length */
	char **values;     /* ENUM values */
	size_t nvalues;
	char *ref;         /* REF: the referenced type */
	/* How text input is read (schema/value.h); never used by validation
	 * or lb_schema_compatible. */
	bool pad;          /* DIGITS: fewer digits typed are left-padded with
	                      zeros (rt 1 -> 001); field option "pad" */
	char **alias;      /* ENUM: other spellings of values ("alias" lines) */
	size_t *alias_to;  /* ENUM: index into values of each alias */
	size_t naliases;
};

struct lb_type {
	char *name;
	char *id_field; /* NULL, or the field whose value is the record id */
	struct lb_field *fields;
	size_t nfields;
};

struct lb_schema {
	uint32_t version;
	struct lb_type *types;
	size_t ntypes;
};

/* Parse one schema file's text.  Caller frees with lb_schema_free.
 * LB_EMALFORMED naming the line on a syntax error. */
lb_err lb_schema_parse(struct lb_schema **out, const char *text, size_t len, struct lb_diag *d);
void lb_schema_free(struct lb_schema *s);

/* The built-in schema of a version (1 .. lb_schema_latest()), or NULL for
 * an unknown version.  Parsed once on first use (not thread-safe until the
 * first call returns; call lb_schema_builtin_init from main).  Borrowed:
 * valid for the life of the process. */
const struct lb_schema *lb_schema_get(uint32_t version);
uint32_t lb_schema_latest(void);

/* Parse all embedded versions.  Call once from main before threads start.
 * LB_EMALFORMED only if a built-in file is broken (a build defect). */
lb_err lb_schema_builtin_init(struct lb_diag *d);

/* Type definition by name, or NULL.  Borrowed from s. */
const struct lb_type *lb_schema_type(const struct lb_schema *s, const char *name);

/* Field of a type by name (n bytes), or NULL. */
const struct lb_field *lb_type_field(const struct lb_type *t, const char *name, size_t n);

/* How to ask whether a referenced record exists (live).  exists returns
 * true when (type, id) is a live record.  Pass NULL to skip ref checks
 * (e.g. when re-validating history, where a programme may since have been
 * deleted). */
struct lb_refs {
	bool (*exists)(void *ctx, const char *type, const char *id, size_t id_len);
	void *ctx;
};

/* Validate one record: type known, body a map whose every field is known
 * and satisfies its rule, every required field present, the id equal to
 * the id field when the type has one, references resolved.  The message
 * names the field and the rule, e.g.
 *   tanggal_lahir "1990-02-30" is not a date
 * (the caller prefixes "TYPE ID: ").  LB_ESCHEMA, or LB_EMALFORMED when
 * the body is not a readable map. */
lb_err lb_schema_validate(const struct lb_schema *s, const char *type, const char *id,
                          size_t id_len, const uint8_t *body, size_t body_len,
                          const struct lb_refs *refs, struct lb_diag *d);

/* Like lb_schema_validate, but goes on after a bad field: every problem
 * of the record, joined by "; " into d (the unknown fields first, then
 * the type's fields in schema order), cut with "…" when it does not fit
 * LB_DIAG_MAX.  Returns the first problem's code (LB_ESCHEMA), or
 * LB_EMALFORMED at once when the body is not a readable map. */
lb_err lb_schema_validate_all(const struct lb_schema *s, const char *type, const char *id,
                              size_t id_len, const uint8_t *body, size_t body_len,
                              const struct lb_refs *refs, struct lb_diag *d);

/* Days in month m (1..12) of year y, Gregorian (29 in a leap February). */
int lb_days_in_month(int y, int m);

/* Rule text of a field, e.g. "integer 1..10", "one of L, P", "date
 * YYYY-MM-DD", into out (size n), in the language of messages (i18n.h).
 * Cannot fail (truncates). */
void lb_field_describe(const struct lb_field *f, char *out, size_t n);

/* The same always in English, for machine output (`schema --json`). */
void lb_field_describe_c(const struct lb_field *f, char *out, size_t n);

/* (Older, strict reader: prefer lb_field_read of schema/value.h, which
 * also reads enum spellings, dates and rupiah as people type them.)
 * Check text s as a value of field f (for CSV cells and field=value
 * arguments) and say how to encode it: for INTEGER/RUPIAH the parsed
 * number in *num and *is_num = true (1500000, 1.500.000, 1,500,000; no
 * decimals); for BOOLEAN *is_bool and *b (accepts true/false, ya/tidak,
 * yes/no, y/n, 1/0, case-insensitive); otherwise the string
 * itself.  The value is then fully validated by lb_schema_validate. */
lb_err lb_field_parse_text(const struct lb_field *f, const char *s, bool *is_num, int64_t *num,
                           bool *is_bool, bool *b, struct lb_diag *d);

/* True when every record valid under old is valid under new: same types,
 * same kinds, no new required fields, no narrowed ranges, no removed enum
 * values.  The first incompatibility is described in d. */
bool lb_schema_compatible(const struct lb_schema *old, const struct lb_schema *new_,
                          struct lb_diag *d);

#endif
