/*
 * hlc.c — hybrid logical clock (see hlc.h for the representation).
 */
#define _POSIX_C_SOURCE 200809L
#include "hlc.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

uint64_t lb_hlc_next(uint64_t last, uint64_t wall_ms)
{
	uint64_t wall = wall_ms << LB_HLC_COUNTER_BITS;
	return wall > last ? wall : last + 1;
}

/* LUMBUNG_NOW_MS (milliseconds since the epoch) replaces the wall clock:
 * for tests only, to write entries dated in chosen months. */
uint64_t lb_hlc_wall_ms(void)
{
	struct timespec t;
	const char *now = getenv("LUMBUNG_NOW_MS");
	if (now && *now) {
		char *end;
		unsigned long long v = strtoull(now, &end, 10);
		if (!*end)
			return (uint64_t)v;
	}
	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

void lb_hlc_format(uint64_t ts, char *out)
{
	uint64_t ms = lb_hlc_ms(ts);
	time_t sec = (time_t)(ms / 1000);
	struct tm tm;
	uint32_t c = lb_hlc_counter(ts);
	int n;

	if (!gmtime_r(&sec, &tm)) {
		snprintf(out, LB_HLC_STRLEN, "@%llu", (unsigned long long)ts);
		return;
	}
	n = snprintf(out, LB_HLC_STRLEN, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900,
	             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	             (unsigned)(ms % 1000));
	if (c && n > 0 && n < LB_HLC_STRLEN)
		snprintf(out + n, (size_t)(LB_HLC_STRLEN - n), "+%u", c);
}
