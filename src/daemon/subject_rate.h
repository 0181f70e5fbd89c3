/* subject_rate.h - per-subject request budgets: each signed-in subject (a user, an app) may make
 * so many requests a second, with a burst of twice that; the break-glass admin token is not
 * limited. A token bucket per subject, in a table of fixed size under one mutex (a leaf). */
#ifndef ALLOT_DAEMON_SUBJECT_RATE_H
#define ALLOT_DAEMON_SUBJECT_RATE_H

#include <stdbool.h>
#include <stdint.h>

struct al__subject_rates;

/* al__subject_rates_new - per_second 0 turns the limit off (every request allowed). */
struct al__subject_rates *al__subject_rates_new(int64_t per_second);
void al__subject_rates_free(struct al__subject_rates *r);

/* al__subject_rate_allow - whether the subject may make a request now (`now_ns`, a monotonic
 * clock); on false *retry_ms says when one is back. Thread-safe. */
bool al__subject_rate_allow(struct al__subject_rates *r, const char *subject, int64_t now_ns,
                            int64_t *retry_ms);

#endif
