/*
 * span.c — cutting a log for sending (span.h).
 */
#include "span.h"

void lb_span_init(struct lb_span *s, size_t max)
{
	*s = (struct lb_span){.max = max};
}

bool lb_span_add(struct lb_span *s, uint64_t seq, size_t size, bool head)
{
	if (s->sum + size > s->max && s->to)
		return false; /* the previous head was the last that fits */
	s->sum += size;
	if (!head)
		return true;
	s->to = seq;
	s->bytes = s->sum;
	s->over = s->sum > s->max; /* even the first head is further */
	return !s->over;
}
