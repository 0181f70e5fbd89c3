/* job_classes.h - interchangeable jobs: jobs of one leaf queue with the same priority,
 * preemptibility and gang minimum whose tasks all ask the same (MIG instances included: alike
 * asks of instances, like alike asks of devices, fit the same nodes and take the same quota)
 * and have no constraints. While
 * none of their tasks has been placed, every step they take is the same step, and what one such
 * step meets (a failure in an action whose state only gets harder) every other one meets too:
 * the job queue then settles them together (job_steps.h, al__job_queue_fail). */
#ifndef ALLOT_ENGINE_JOB_CLASSES_H
#define ALLOT_ENGINE_JOB_CLASSES_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/session.h"

/*
 * al__job_classes - each job's class (-1 when it has none: subgroups, a preemption delay, task
 * priorities, affinity, tasks that differ, or a task not pending when it is first called),
 * computed once per session into s->job_class and s->class_count. Errors: -AL_ENOMEM.
 */
int al__job_classes(struct al__session *s);

/* al__job_class_now - job j's class if it is still untouched (every task pending), else -1. */
int32_t al__job_class_now(const struct al__session *s, int32_t j);

#endif
