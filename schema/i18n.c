/*
 * i18n.c — gettext set-up and human times (i18n.h).
 */
#include "i18n.h"

#include <libintl.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef LB_LOCALEDIR
#define LB_LOCALEDIR "/usr/local/share/locale"
#endif
#define DOMAIN "lumbung"

static const char *lang = "en";
static int chosen; /* set by LUMBUNG_BAHASA or lb_i18n_set, or an id locale */

/* Is the LC_MESSAGES category, as set now, asking for Indonesian? */
static const char *lang_of_locale(void)
{
	const char *l = getenv("LANGUAGE");
	const char *m = setlocale(LC_MESSAGES, NULL);

	if (m && strcmp(m, "C") && strcmp(m, "POSIX") && l && *l)
		return strncmp(l, "id", 2) ? "en" : "id";
	return m && !strncmp(m, "id", 2) ? "id" : "en";
}

static void bind_catalogue(void)
{
	char exe[PATH_MAX], dir[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	struct stat st;

	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(dir, sizeof dir, "%s/locale", exe);
			if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
				bindtextdomain(DOMAIN, dir);
				return;
			}
			/* an installed tree: PREFIX/bin/lumbung and
			 * PREFIX/share/locale, whatever PREFIX it was built with */
			snprintf(dir, sizeof dir, "%s/../share/locale/id/LC_MESSAGES/" DOMAIN ".mo", exe);
			if (stat(dir, &st) == 0 && S_ISREG(st.st_mode)) {
				snprintf(dir, sizeof dir, "%s/../share/locale", exe);
				bindtextdomain(DOMAIN, dir);
				return;
			}
		}
	}
	bindtextdomain(DOMAIN, LB_LOCALEDIR);
}

/* Make gettext use language l ("id" or "en") whatever the locale says.
 * LANGUAGE is ignored under the "C" locale, so fall back to C.UTF-8. */
static void force(const char *l)
{
	const char *m = setlocale(LC_MESSAGES, NULL);

	if (!strcmp(l, "id")) {
		if (!setlocale(LC_MESSAGES, "id_ID.UTF-8") && (!m || !strcmp(m, "C") || !strcmp(m, "POSIX")))
			setlocale(LC_MESSAGES, "C.UTF-8");
		setenv("LANGUAGE", "id", 1);
	} else {
		setenv("LANGUAGE", "en", 1);
	}
	lang = !strcmp(l, "id") ? "id" : "en";
	chosen = 1;
}

void lb_i18n_init(void)
{
	const char *env = getenv("LUMBUNG_BAHASA");

	setlocale(LC_MESSAGES, "");
	bind_catalogue();
	bind_textdomain_codeset(DOMAIN, "UTF-8");
	textdomain(DOMAIN);
	if (env && (!strcmp(env, "id") || !strcmp(env, "en")))
		force(env);
	else
		lang = lang_of_locale();
	chosen = chosen || !strcmp(lang, "id");
}

int lb_i18n_set(const char *bahasa)
{
	const char *env = getenv("LUMBUNG_BAHASA");

	if (bahasa && *bahasa && strcmp(bahasa, "id") && strcmp(bahasa, "en"))
		return -1;
	if (env && (!strcmp(env, "id") || !strcmp(env, "en")))
		return 0; /* the environment wins */
	if (bahasa && *bahasa)
		force(bahasa);
	return 0;
}

const char *lb_i18n_lang(void)
{
	return lang;
}

const char *lb_i18n_chosen(void)
{
	return chosen ? lang : NULL;
}

const char *lb_tr(const char *msgid)
{
	if (!msgid || !*msgid)
		return msgid;
	return dgettext(DOMAIN, msgid);
}

char *lb_group_digits(uint64_t n, char sep, char *out, size_t cap)
{
	char digits[24];
	int len = snprintf(digits, sizeof digits, "%llu", (unsigned long long)n);
	size_t o = 0;

	if (!out || !cap)
		return out;
	if (!sep)
		sep = !strcmp(lang, "id") ? '.' : ',';
	for (int i = 0; i < len && o + 2 < cap; i++) {
		if (i && (len - i) % 3 == 0)
			out[o++] = sep;
		out[o++] = digits[i];
	}
	out[o] = '\0';
	return out;
}

char *lb_human_time(int64_t ms, char *out, size_t n)
{
	static const char *const en[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	static const char *const id[12] = {"Jan", "Feb", "Mar", "Apr", "Mei", "Jun",
	                                   "Jul", "Agu", "Sep", "Okt", "Nov", "Des"};
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char zone[16];

	if (!out || !n)
		return out;
	if (!localtime_r(&t, &tm)) {
		snprintf(out, n, "%lld ms", (long long)ms);
		return out;
	}
	if (!strftime(zone, sizeof zone, "%Z", &tm))
		zone[0] = '\0';
	snprintf(out, n, "%d %s %04d %02d:%02d%s%s", tm.tm_mday,
	         (!strcmp(lang, "id") ? id : en)[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
	         zone[0] ? " " : "", zone);
	return out;
}
