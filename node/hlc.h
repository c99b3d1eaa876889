/*
 * hlc.h — hybrid logical clock timestamps for change entries.
 *
 * A timestamp is one uint64: the upper 48 bits are wall-clock milliseconds
 * since the Unix epoch, the lower 16 bits a counter.  lb_hlc_next never
 * returns a value <= the previous one, so entry timestamps are strictly
 * increasing along the log even when the village PC's clock is set back
 * (a dead CMOS battery, a wrong NTP answer, an operator fixing the date).
 * When the wall clock lags, time advances through the counter, which
 * carries into the millisecond part if it ever overflows.
 * Pure functions; thread-safe.
 */
#ifndef LB_HLC_H
#define LB_HLC_H

#include <stdint.h>

#define LB_HLC_COUNTER_BITS 16

/* The timestamp to use after `last`, given the current wall clock in ms.
 * Returns max(wall_ms << 16, last + 1).  Cannot fail. */
uint64_t lb_hlc_next(uint64_t last, uint64_t wall_ms);

/* Wall-clock milliseconds now (CLOCK_REALTIME).  Cannot fail. */
uint64_t lb_hlc_wall_ms(void);

static inline uint64_t lb_hlc_ms(uint64_t ts) { return ts >> LB_HLC_COUNTER_BITS; }
static inline uint32_t lb_hlc_counter(uint64_t ts)
{
	return (uint32_t)(ts & ((1u << LB_HLC_COUNTER_BITS) - 1));
}

/* Format ts as "2026-11-23T08:56:38.123Z" plus "+N" when the counter is
 * non-zero, into out (at least LB_HLC_STRLEN bytes).  Cannot fail. */
#define LB_HLC_STRLEN 40
void lb_hlc_format(uint64_t ts, char *out);

#endif
