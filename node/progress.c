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

static void draw(struct lb_progress *p, double t)
{
	char a[32], b[32], r[32];
	double secs = t - p->start;
	uint64_t rate = secs > 0.05 ? (uint64_t)((double)p->done / secs) : 0;

	if (p->total)
		fprintf(stderr, "\r  %s / %s %s  %3u%%  %s/s ", lb_group_digits(p->done, 0, a, sizeof a),
		        lb_group_digits(p->total, 0, b, sizeof b), p->unit,
		        (unsigned)(p->done >= p->total ? 100 : p->done * 100 / p->total),
		        lb_group_digits(rate, 0, r, sizeof r));
	else
		fprintf(stderr, "\r  %s %s  %s/s ", lb_group_digits(p->done, 0, a, sizeof a), p->unit,
		        lb_group_digits(rate, 0, r, sizeof r));
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
