/*
 * progress.c — see progress.h.
 */
#include "progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../schema/i18n.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* n with thousands grouped: 12.400 (id) or 12,400 (en). */
static const char *group(uint64_t n, char *buf, size_t cap)
{
	char digits[24];
	int len = snprintf(digits, sizeof digits, "%llu", (unsigned long long)n);
	char sep = !strcmp(lb_i18n_lang(), "id") ? '.' : ',';
	size_t o = 0;

	for (int i = 0; i < len && o + 2 < cap; i++) {
		if (i && (len - i) % 3 == 0)
			buf[o++] = sep;
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

static void draw(struct lb_progress *p, double t)
{
	char a[32], b[32], r[32];
	double secs = t - p->start;
	uint64_t rate = secs > 0.05 ? (uint64_t)((double)p->done / secs) : 0;

	if (p->total)
		fprintf(stderr, "\r  %s / %s %s  %3u%%  %s/s ", group(p->done, a, sizeof a),
		        group(p->total, b, sizeof b), p->unit,
		        (unsigned)(p->done >= p->total ? 100 : p->done * 100 / p->total),
		        group(rate, r, sizeof r));
	else
		fprintf(stderr, "\r  %s %s  %s/s ", group(p->done, a, sizeof a), p->unit,
		        group(rate, r, sizeof r));
	fflush(stderr);
	p->last = t;
}

void lb_progress_start(struct lb_progress *p, uint64_t total, const char *unit, bool quiet)
{
	const char *force = getenv("LUMBUNG_PROGRESS");

	memset(p, 0, sizeof *p);
	p->on = !quiet && ((force && !strcmp(force, "1")) || isatty(STDERR_FILENO));
	p->total = total;
	p->unit = unit ? unit : "";
	p->start = p->last = now();
}

void lb_progress_set(struct lb_progress *p, uint64_t done)
{
	double t;

	if (!p->on)
		return;
	p->done = done;
	t = now();
	if (t - p->last >= 0.1)
		draw(p, t);
}

void lb_progress_end(struct lb_progress *p)
{
	if (!p->on)
		return;
	draw(p, now());
	fputc('\n', stderr);
	p->on = false;
}
