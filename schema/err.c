/*
 * err.c — error names, messages and the diag helpers.
 *
 * The tables are indexed by the enum value; a designated initialiser keeps
 * each name next to its number so a reorder cannot silently shift them.
 */
#include "err.h"
#include "i18n.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	const char *text;
} lb_errtab[LB__ECOUNT] = {
	[LB_OK] = {"ok", N_("success")},
	[LB_EINVAL] = {"invalid", N_("invalid argument")},
	[LB_ENOMEM] = {"nomem", N_("out of memory")},
	[LB_EIO] = {"io", N_("input/output error")},
	[LB_ENOTFOUND] = {"not_found", N_("not found")},
	[LB_EEXIST] = {"exists", N_("already exists")},
	[LB_ECORRUPT] = {"corrupt", N_("stored data failed an integrity check")},
	[LB_EMALFORMED] = {"malformed", N_("malformed input")},
	[LB_ESCHEMA] = {"schema", N_("schema violation")},
	[LB_EKEY] = {"key", N_("key file problem")},
	[LB_EPERM] = {"key_perm", N_("secret key file is readable by others")},
	[LB_ESIG] = {"bad_signature", N_("bad signature")},
	[LB_ETOOBIG] = {"too_large", N_("input too large")},
	[LB_ESTORE] = {"store", N_("storage error")},
	[LB_EFULL] = {"disk_full", N_("disk full")},
	[LB_EBUSY] = {"busy", N_("resource busy")},
	[LB_EUNKNOWN_ORIGIN] = {"unknown_origin", N_("origin key is not enrolled")},
	[LB_EWRONG_VILLAGE] = {"wrong_village", N_("origin key is enrolled for another village")},
	[LB_EGAP] = {"gap", N_("entries do not continue the receiver's chain")},
	[LB_EFORK] = {"fork", N_("same seq with a different hash (history rewritten)")},
	[LB_ENET] = {"network", N_("network failure")},
	[LB_EREFUSED] = {"refused", N_("refused by peer")},
	[LB_EAUTH] = {"unauthorized", N_("no valid access token")},
	[LB_EFORBIDDEN] = {"forbidden", N_("not allowed for this access token")},
};

const char *lb_strerror(lb_err e)
{
	if ((unsigned)e >= LB__ECOUNT || !lb_errtab[e].text)
		return _("unknown error");
	return _(lb_errtab[e].text);
}

const char *lb_errname(lb_err e)
{
	if ((unsigned)e >= LB__ECOUNT || !lb_errtab[e].name)
		return "unknown";
	return lb_errtab[e].name;
}

lb_err lb_err_from_name(const char *name, size_t len)
{
	for (int e = 0; e < LB__ECOUNT; e++)
		if (lb_errtab[e].name && strlen(lb_errtab[e].name) == len &&
		    !memcmp(lb_errtab[e].name, name, len))
			return (lb_err)e;
	return LB__ECOUNT;
}

int lb_exit_status(lb_err e)
{
	if (e == LB_OK)
		return 0;
	if (e == LB_ENOTFOUND)
		return 1;
	return 2 + (int)e;
}

lb_err lb_fail(struct lb_diag *d, lb_err code, const char *fmt, ...)
{
	if (d) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(d->msg, sizeof d->msg, lb_tr(fmt), ap);
		va_end(ap);
		d->code = code;
	}
	return code;
}

void lb_diag_prefix(struct lb_diag *d, const char *fmt, ...)
{
	char old[LB_DIAG_MAX];
	va_list ap;
	int n;

	if (!d)
		return;
	memcpy(old, d->msg, sizeof old);
	if (!old[0])
		snprintf(old, sizeof old, "%s", lb_strerror(d->code));
	va_start(ap, fmt);
	n = vsnprintf(d->msg, sizeof d->msg, lb_tr(fmt), ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof d->msg - 2)
		return;
	/* "<prefix>: <old message>", truncated to fit */
	d->msg[n] = ':';
	d->msg[n + 1] = ' ';
	memcpy(d->msg + n + 2, old, sizeof d->msg - (size_t)n - 2);
	d->msg[sizeof d->msg - 1] = '\0';
}

const char *lb_diag_msg(const struct lb_diag *d, lb_err code)
{
	if (d && d->msg[0])
		return d->msg;
	return lb_strerror(code);
}
