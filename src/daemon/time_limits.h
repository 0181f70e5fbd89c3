/* time_limits.h - workloads that run over their time limit are stopped and fail (time_limits.c):
 * enforced by allotd's loop, so that it holds whatever the backend. */
#ifndef ALLOT_DAEMON_TIME_LIMITS_H
#define ALLOT_DAEMON_TIME_LIMITS_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/daemon.h"

/*
 * al__time_limits_enforce - every running workload whose current run (since started_s: it
 * started, or started again after a requeue or a resume) has lasted its time limit: its tasks
 * are stopped (at once after the grace period), its tasks that had not started fail, and it
 * ends failed with reason code "time_limit" once they have stopped (al__workload_settle). Goes
 * through the state's AL__TIMED set only. Both locks held, in the cycle's transaction.
 */
void al__time_limits_enforce(struct allotd *d);

/* al__duration_text - seconds in words for people: "45s", "10m", "1h30m", "2d3h" (at most two
 * units, the smaller one left out when zero). Always NUL-terminated. */
void al__duration_text(int64_t seconds, char *out, size_t size);

/* al__time_limit_reason - "ran over its time limit of 1h30m": w's reason once it failed so. */
void al__time_limit_reason(const struct al__dworkload *w, char *out, size_t size);

#endif
