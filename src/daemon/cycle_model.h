/* cycle_model.h - the engine's model of a cycle built from allotd's state, and its decisions
 * carried out (model_build.c, decisions.c). */
#ifndef ALLOT_DAEMON_CYCLE_MODEL_H
#define ALLOT_DAEMON_CYCLE_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "allot/cycle.h"
#include "daemon/daemon.h"
#include "util/arena.h"

/*
 * The engine's model of one cycle, built directly from the state (model_build.c), and the way
 * back: the workload of each job, the task of each task. Workloads whose tasks break an
 * invariant of the model (a device the node lacks, a device held twice) are left out of it,
 * each with a reason ("invalid: ..."), so that everything else is still scheduled.
 */
struct al__cycle_model {
    struct al_cluster cluster;
    struct al__dworkload **job_owner; /* per job */
    int32_t *task_index;              /* per task: its index among its workload's tasks */
    struct al__dworkload **left_out;  /* workloads not in the model, and why */
    char **left_out_why;
    size_t left_out_count;
    struct al__arena names; /* the jobs' and tasks' names (not one malloc each) */
};

/* al__model_build - the model of the current state. Lock held. Aborts when out of memory. */
void al__model_build(struct allotd *d, struct al__cycle_model *m);
void al__model_release(struct al__cycle_model *m);
/* al__model_task - the state's task behind model task t, and its workload in *w. */
struct al__dtask *al__model_task(const struct al__cycle_model *m, int32_t t,
                                 struct al__dworkload **w);

/* al__decisions_apply - carries out a cycle's decisions in order: binds start tasks, pipelined
 * tasks take their place, evicted ones stop (decisions.c). Lock held, in the cycle's
 * transaction. */
void al__decisions_apply(struct allotd *d, const struct al__cycle_model *m,
                         const struct al_result *r);
/* al__tasks_start_pipelined - starts the pipelined tasks whose place is free now (all of a
 * workload's at once); true if any started. Lock held. */
bool al__tasks_start_pipelined(struct allotd *d);

#endif
