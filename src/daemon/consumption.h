/* consumption.h - what each task run held and for how long, kept in the store for reports
 * (consumption.c): one row per run, opened and closed in the transactions that change the
 * task, dropped after the retention. */
#ifndef ALLOT_DAEMON_CONSUMPTION_H
#define ALLOT_DAEMON_CONSUMPTION_H

#include <stdint.h>

#include "daemon/consumption_sum.h"
#include "daemon/daemon.h"

/* The default of --consumption-retention: a year. */
#define AL__CONSUMPTION_RETENTION_S (365LL * 86400)

/*
 * al__consumption_track - keeps t's run row in step with t, inside the caller's transaction
 * (al__persist_task_update calls it): a task that holds its place (running or stopping) has
 * an open row (made now, from t->started_s, with what it holds, its project's department and
 * its devices' model, unless one is open already: a restart that re-adopts it continues it);
 * any other task has none (its open row, if any, ends at t->finished_s, or now). State lock
 * held. 0 or -AL_EIO.
 */
int al__consumption_track(struct allotd *d, const struct al__dworkload *w,
                          const struct al__dtask *t);

/* al__consumption_device_milli - the milli-GPUs a task asking for r holds on one device of
 * `memory_mib` (0 when unknown): a whole device, its share, or its memory's part of the
 * device's. */
int64_t al__consumption_device_milli(const struct al__task_request *r, int32_t memory_mib);

/* How often the GPUs that running tasks hold are asked how busy they are (seconds), for the
 * idle time of consumption rows; every second under ALLOTD_TEST_GPU_BUSY (tests). */
#define AL__IDLE_SAMPLE_S 10

/*
 * al__consumption_sample_idle - at most every AL__IDLE_SAMPLE_S: for each running task holding
 * GPUs whose every device the backend can say how busy it is (gpu_busy; d->test_gpu_busy >= 0
 * stands in for it in tests), adds to its open row the idle GPU time since the last sample (or
 * its start): per device, what it holds of it x the share of the device not busy x the time.
 * A row never sampled keeps idle unknown (NULL). In the caller's transaction; state lock held.
 */
void al__consumption_sample_idle(struct allotd *d, int64_t now);

/* al__consumption_drop_open - removes every open row: a mirror's copy is cleared, and its first
 * sync opens each running task's row again from the start the cluster gives (closing them here
 * would count the time before twice). In the caller's transaction. 0 or -AL_EIO. */
int al__consumption_drop_open(struct allotd *d);

/* al__consumption_prune - drops up to 10,000 rows that ended before `before_s` (the
 * retention), in the caller's transaction; more go at the next call. 0 or -AL_EIO. */
int al__consumption_prune(struct allotd *d, int64_t before_s);

/*
 * al__consumption_sum - adds every run that overlaps [s->from, s->to) to s, read through the
 * reader connection (the caller holds reader_lock). 0 or -AL_EIO. O(runs in the window).
 */
int al__consumption_sum(struct allotd *d, struct al__usage_sum *s,
                        bool (*visible)(void *ctx, const struct al__usage_run *r), void *ctx);

#endif
