/*
 * test_hlc.c — unit tests for node/hlc.h: hybrid logical clock timestamps.
 *
 * The property that matters is that lb_hlc_next never returns a value at
 * or below the previous one, whatever the village PC's clock does; the
 * tests drive it with a simulated wall clock that goes back by hours,
 * stands still and jumps forward.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sodium.h>

#include "../../node/hlc.h"

#define T0 1700000000123ULL /* 2023-11-14T22:13:20.123Z in ms */
#define HOUR_MS 3600000ULL
#define DAY_MS (24 * HOUR_MS)

static uint64_t ts(uint64_t ms, uint32_t counter)
{
	return (ms << LB_HLC_COUNTER_BITS) | counter;
}

/* Feed a wall clock to lb_hlc_next, checking every step increases. */
static uint64_t step(uint64_t last, uint64_t wall_ms)
{
	uint64_t next = lb_hlc_next(last, wall_ms);
	if (next <= last)
		fail_msg("lb_hlc_next(%llu, wall %llu) = %llu, not above the last value",
		         (unsigned long long)last, (unsigned long long)wall_ms,
		         (unsigned long long)next);
	return next;
}

static void next_follows_the_wall_clock_when_it_is_ahead(void **state)
{
	(void)state;
	assert_true(lb_hlc_next(0, T0) == ts(T0, 0));
	assert_true(lb_hlc_next(ts(T0, 0), T0 + 1) == ts(T0 + 1, 0));
	/* a wall clock ahead of a high counter still wins */
	assert_true(lb_hlc_next(ts(T0, 999), T0 + 1) == ts(T0 + 1, 0));
	assert_true(lb_hlc_next(ts(T0, 5), T0 + DAY_MS) == ts(T0 + DAY_MS, 0));
}

static void next_counts_up_while_the_wall_clock_stands_still(void **state)
{
	uint64_t t = lb_hlc_next(0, T0);
	(void)state;
	for (uint32_t i = 1; i <= 1000; i++) {
		t = step(t, T0);
		assert_true(lb_hlc_ms(t) == T0);
		assert_int_equal(lb_hlc_counter(t), i);
	}
}

static void next_stays_ahead_when_the_wall_clock_goes_back_hours(void **state)
{
	uint64_t t = 0, high;
	(void)state;
	for (uint64_t w = T0; w < T0 + 50; w++)
		t = step(t, w);
	high = t;
	/* the operator sets the clock back 5 hours, then it ticks on */
	for (uint64_t w = T0 - 5 * HOUR_MS; w < T0 - 5 * HOUR_MS + 2000; w++) {
		t = step(t, w);
		/* time advances through the counter, on the last good ms */
		assert_true(lb_hlc_ms(t) == lb_hlc_ms(high));
	}
	assert_int_equal(lb_hlc_counter(t), 2000);
	/* a dead CMOS battery: the clock reads 1970 */
	t = step(t, 0);
	t = step(t, 1);
	assert_true(lb_hlc_ms(t) == lb_hlc_ms(high));
	/* the clock is fixed and jumps a day forward: back to wall time */
	t = step(t, T0 + DAY_MS);
	assert_true(t == ts(T0 + DAY_MS, 0));
	t = step(t, T0 + DAY_MS);
	assert_true(t == ts(T0 + DAY_MS, 1));
}

static void next_counter_overflow_carries_into_the_milliseconds(void **state)
{
	uint64_t t = ts(T0, 0xfffe);
	(void)state;
	t = step(t, T0);
	assert_true(t == ts(T0, 0xffff));
	t = step(t, T0);
	assert_true(lb_hlc_ms(t) == T0 + 1);
	assert_int_equal(lb_hlc_counter(t), 0);
	/* and with the wall clock behind */
	t = step(ts(T0, 0xffff), T0 - HOUR_MS);
	assert_true(t == ts(T0 + 1, 0));
	/* a long run of writes with a stuck clock walks through many ms */
	t = ts(T0, 0);
	for (int i = 0; i < 3 * 65536; i++)
		t = step(t, T0);
	assert_true(t == ts(T0 + 3, 0));
}

static void next_is_strictly_increasing_under_a_random_wall_clock(void **state)
{
	uint64_t t = 0;
	(void)state;
	for (int i = 0; i < 200000; i++) {
		/* mostly near T0, sometimes far back, sometimes far ahead */
		uint32_t r = randombytes_uniform(1000);
		uint64_t w = T0 + randombytes_uniform(20000);
		if (r < 50)
			w = T0 - (uint64_t)randombytes_uniform(1000) * HOUR_MS;
		else if (r < 55)
			w = T0 + (uint64_t)randombytes_uniform(30) * DAY_MS;
		else if (r < 60)
			w = 0;
		t = step(t, w);
	}
}

static void ms_and_counter_split_the_timestamp(void **state)
{
	uint64_t t = ts(T0, 0xbeef);
	(void)state;
	assert_true(lb_hlc_ms(t) == T0);
	assert_int_equal(lb_hlc_counter(t), 0xbeef);
	assert_true(lb_hlc_ms(UINT64_MAX) == (1ULL << 48) - 1);
	assert_int_equal(lb_hlc_counter(UINT64_MAX), 0xffff);
	assert_int_equal(lb_hlc_counter(0), 0);
}

static void wall_ms_is_close_to_the_system_clock(void **state)
{
	uint64_t a, b, now;
	(void)state;
	now = (uint64_t)time(NULL) * 1000;
	a = lb_hlc_wall_ms();
	b = lb_hlc_wall_ms();
	assert_true(b >= a);
	assert_true(a + 5000 > now && a < now + 5000);
}

static void format(uint64_t t, char *out)
{
	memset(out, 'X', LB_HLC_STRLEN);
	lb_hlc_format(t, out);
	assert_true(strlen(out) < LB_HLC_STRLEN);
}

static void format_writes_utc_iso8601_with_milliseconds(void **state)
{
	char out[LB_HLC_STRLEN];
	(void)state;
	format(ts(T0, 0), out);
	assert_string_equal(out, "2023-11-14T22:13:20.123Z");
	format(0, out);
	assert_string_equal(out, "1970-01-01T00:00:00.000Z");
	format(ts(946684800000ULL, 0), out);
	assert_string_equal(out, "2000-01-01T00:00:00.000Z");
	format(ts(1709251199999ULL, 0), out); /* leap day, last ms */
	assert_string_equal(out, "2024-02-29T23:59:59.999Z");
	format(ts(2147483648001ULL, 0), out); /* past the 32-bit time_t limit */
	assert_string_equal(out, "2038-01-19T03:14:08.001Z");
}

static void format_appends_the_counter_when_non_zero(void **state)
{
	char out[LB_HLC_STRLEN];
	(void)state;
	format(ts(T0, 1), out);
	assert_string_equal(out, "2023-11-14T22:13:20.123Z+1");
	format(ts(T0, 42), out);
	assert_string_equal(out, "2023-11-14T22:13:20.123Z+42");
	format(ts(T0, 0xffff), out);
	assert_string_equal(out, "2023-11-14T22:13:20.123Z+65535");
}

static void format_of_the_largest_timestamp_fits_the_buffer(void **state)
{
	/* an exactly LB_HLC_STRLEN-byte heap buffer so ASan sees an overrun */
	char *out = malloc(LB_HLC_STRLEN);
	(void)state;
	assert_non_null(out);
	lb_hlc_format(UINT64_MAX, out);
	assert_true(strlen(out) < LB_HLC_STRLEN);
	assert_non_null(strstr(out, "+65535"));
	assert_int_equal(strncmp(out, "10889-", 6), 0);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(next_follows_the_wall_clock_when_it_is_ahead),
		cmocka_unit_test(next_counts_up_while_the_wall_clock_stands_still),
		cmocka_unit_test(next_stays_ahead_when_the_wall_clock_goes_back_hours),
		cmocka_unit_test(next_counter_overflow_carries_into_the_milliseconds),
		cmocka_unit_test(next_is_strictly_increasing_under_a_random_wall_clock),
		cmocka_unit_test(ms_and_counter_split_the_timestamp),
		cmocka_unit_test(wall_ms_is_close_to_the_system_clock),
		cmocka_unit_test(format_writes_utc_iso8601_with_milliseconds),
		cmocka_unit_test(format_appends_the_counter_when_non_zero),
		cmocka_unit_test(format_of_the_largest_timestamp_fits_the_buffer),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
