/*
 * i18n.h — the language people read lumbung in: Indonesian or English.
 *
 * Messages are written in English in the source and translated with GNU
 * gettext (text domain "lumbung", catalogue po/id.po, compiled to
 * LOCALEDIR/id/LC_MESSAGES/lumbung.mo).  Every lb_fail() and
 * lb_diag_prefix() format is looked up in the catalogue, so library code
 * needs nothing extra; CLI output wraps its strings in _() (or N_() in
 * static tables, translated where printed).  Error *names* (lb_errname),
 * wire fields and --json keys are never translated.
 *
 * Which language: LUMBUNG_BAHASA=id|en in the environment, else the
 * node's or aggregator's setting (`config set bahasa id`, passed to
 * lb_i18n_set), else the locale (LC_ALL / LC_MESSAGES / LANG, e.g.
 * id_ID.UTF-8), else English.  Only LC_MESSAGES is taken from the
 * locale: numbers, CSV and JSON always use the C conventions.
 *
 * Thread safety: call lb_i18n_init and lb_i18n_set from main before
 * threads start; lb_tr and lb_human_time are then safe anywhere.
 */
#ifndef LB_I18N_H
#define LB_I18N_H

#include <stddef.h>
#include <stdint.h>

#define _(s) lb_tr(s)
#define N_(s) (s)

/* The translation of msgid in the current language, or msgid itself.
 * Static or catalogue memory: never free it.  NULL gives NULL. */
const char *lb_tr(const char *msgid) __attribute__((format_arg(1)));

/* Bind the catalogue and take the language from the environment.  The
 * catalogue is looked for next to the program (DIR/locale when the binary
 * is DIR/lumbung: the build tree), then in DIR/../share/locale (an
 * installed tree, wherever it was installed) and then in LOCALEDIR.
 * Cannot fail: without a catalogue everything is English. */
void lb_i18n_init(void);

/* A node's or aggregator's configured language: "id", "en", or NULL/""
 * for "follow the locale".  LUMBUNG_BAHASA, when set, wins over it.
 * Returns 0, or -1 for a value other than these (nothing changes). */
int lb_i18n_set(const char *bahasa);

/* "id" or "en": the language messages are printed in now. */
const char *lb_i18n_lang(void);

/* "id" or "en" when the language was chosen (LUMBUNG_BAHASA, a bahasa
 * setting or an id_ID locale), NULL when it is English only because
 * nothing chose (a dashboard then follows the browser). */
const char *lb_i18n_chosen(void);

/* n with its thousands grouped by sep ("1,234,567"); sep 0: the mark of
 * the current language ('.' in Indonesian, ',' in English).  Writes at
 * most cap bytes (32 is always enough), NUL-terminated; returns out. */
char *lb_group_digits(uint64_t n, char sep, char *out, size_t cap);

/* A time for people: local time zone (TZ), minutes, the zone's
 * abbreviation, month names in the current language, e.g.
 * "28 Nov 2026 09:12 WIB" or "5 Agu 2026 14:03 WITA".  ms is Unix
 * milliseconds (an HLC's time part).  Writes at most n bytes (48 is
 * always enough), NUL-terminated; returns out. */
char *lb_human_time(int64_t ms, char *out, size_t n);

#endif
