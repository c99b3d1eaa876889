/*
 * value.c — see value.h.  (First cut: the strict readers of schema.c.)
 */
#include "value.h"

#include <string.h>

lb_err lb_field_read(const struct lb_field *f, const char *s, struct lb_value *v,
                     struct lb_diag *d)
{
	bool is_num, is_bool, b;
	int64_t num;
	lb_err e;

	memset(v, 0, sizeof *v);
	if ((e = lb_field_parse_text(f, s, &is_num, &num, &is_bool, &b, d)))
		return e;
	if (is_num) {
		v->kind = LB_V_NUM;
		v->num = num;
	} else if (is_bool) {
		v->kind = LB_V_BOOL;
		v->b = b;
	} else {
		v->kind = LB_V_STR;
		v->str = s;
		v->len = strlen(s);
	}
	return LB_OK;
}

const struct lb_field *lb_type_field_loose(const struct lb_type *t, const char *name)
{
	return lb_type_field(t, name, strlen(name));
}
