/*
 * progress.h — a one-line progress display for long imports and pushes.
 *
 * Shown on stderr only when stderr is a terminal and the user did not ask
 * for quiet; otherwise every call does nothing, so scripts and logs stay
 * clean.  At most ten redraws a second: "  12.400 / 20.000 baris  62%
 * 3.100/s" (thousands grouped with '.' in Indonesian, ',' in English).
 * CLI code only (it prints).
 */
#ifndef LB_PROGRESS_H
#define LB_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct lb_progress {
	bool on;
	uint64_t total;    /* 0: unknown (no percentage) */
	uint64_t done;
	const char *unit;  /* translated word, e.g. _("rows") */
	double start, last;
};

/* Start: on only when !quiet and stderr is a terminal (LUMBUNG_PROGRESS=1
 * in the environment forces it on, for tests). */
void lb_progress_start(struct lb_progress *p, uint64_t total, const char *unit, bool quiet);

/* Set how far we are (absolute), redrawing at most ten times a second. */
void lb_progress_set(struct lb_progress *p, uint64_t done);

/* Draw the final state and end the line. */
void lb_progress_end(struct lb_progress *p);

#endif
