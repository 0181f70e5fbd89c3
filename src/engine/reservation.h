/* reservation.h - reservations for large gangs that do not fit, and the backfill rule that keeps
 * other jobs off reserved nodes unless they end first (docs/engine.md, "Reservations"). */
#ifndef ALLOT_ENGINE_RESERVATION_H
#define ALLOT_ENGINE_RESERVATION_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/session.h"

/* The most reservation plans one cycle makes (each costs O(active tasks + devices) and a sweep):
 * the first candidates in reservation order get them, as Slurm's backfill tests a bounded
 * number of jobs. */
#define AL__MAX_RESERVATION_PLANS 16

/* al__reservation_check - the cluster's reservation inputs are valid: config thresholds >= 0,
 * every time limit > 0, every pending_since_s >= created_s. -AL_EINVAL otherwise. O(jobs). */
int al__reservation_check(const struct al_cluster *c);

/*
 * al__reservation_candidate - job j may reserve under the cycle's config: reservations are on,
 * the job has waited reservation_wait_s since it last became pending (pending_since_s, else
 * created_s: a gang evicted and requeued waits again), and its tasks that are not yet placed
 * are whole-GPU tasks asking for at least reservation_min_gpus devices together.
 */
bool al__reservation_candidate(const struct al__session *s, int32_t j);

/*
 * al__reservations_prepare - before allocate places anything: every candidate job (priority,
 * then age, then name; across queues) whose next step its quotas admit and that does not fit
 * now by the plan reserves (al__reservation_make with only_later), so that jobs ahead of it in
 * the cycle's queue order are held to the backfill rule too. Nothing when reservations are off.
 * Errors: -AL_ENOMEM.
 */
int al__reservations_prepare(struct al__session *s);

/* al__reservation_held - job j made a reservation this cycle. O(reservations). */
bool al__reservation_held(const struct al__session *s, int32_t j);

/*
 * al__reservation_make - job j (a candidate) does not fit tasks[0..n) now: finds the earliest time
 * at which they fit together on nodes no other job has reserved, counting as free the devices,
 * CPU and memory of tasks whose end is known (releasing: now; a job with a time limit: its start
 * plus the limit), and reserves the nodes that plan uses from that time. Nothing is reserved when
 * no such time exists (some holder's end is unknown), nor, with only_later, when the earliest
 * time is now (the plan says it fits: allocate will try). Deterministic: times in order, nodes best
 * fit by free devices then by name. Does nothing once the cycle made AL__MAX_RESERVATION_PLANS
 * plans. Errors: -AL_ENOMEM (nothing reserved). O(events * log events + tries * tasks * nodes)
 * where events are the active tasks and devices, and a plan is tried only at times when enough
 * devices are free for it.
 */
int al__reservation_make(struct al__session *s, int32_t j, const int32_t *tasks, int32_t n,
                         bool only_later);

/* al__job_known_end - when job j's tasks end at the latest if placed now (now + its time limit),
 * INT64_MAX without a time limit. */
int64_t al__job_known_end(const struct al__session *s, int32_t j);

/*
 * al__reservation_blocks - node n is reserved for another job than task's, from a time before the
 * task's job would end (backfill: a job may use a reserved node only when its time limit ends
 * by the reservation's start). O(1).
 */
static inline bool al__reservation_blocks(const struct al__session *s, int32_t n,
                                          const struct al_task *task) {
    if (!s->reserved_by || s->reserved_by[n] < 0 || s->reserved_by[n] == task->job)
        return false;
    return al__job_known_end(s, task->job) > s->reserved_from[n];
}

#endif
