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
 * The engine's model of one cycle, and the way back: the workload of each job, the task of each
 * task. Workloads whose tasks break an invariant of the model (a device the node lacks, a device
 * held twice) are left out of it, each with a reason ("invalid: ..."), so that everything else
 * is still scheduled. Built whole from the state (model_build.c), or borrowed from the kept
 * model (model_kept.c), which the cycle patches with what changed since the last one.
 */
struct al__cycle_model {
    struct al_cluster cluster;
    struct al__dworkload **job_owner; /* per job */
    int32_t *task_index;              /* per task: its index among its workload's tasks */
    size_t task_cap;                  /* room in cluster.tasks and task_index */
    struct al__dworkload **left_out;  /* workloads not in the model, and why */
    char **left_out_why;
    size_t left_out_count;
    struct al__arena names; /* the jobs' and tasks' names (not one malloc each) */
    bool kept; /* jobs, tasks, owners and indices are the kept model's (valid until its next
                * build; the engine only reads them) */
    /* Kept models only: per job, the explanation the cycle last recorded on its workload (in
     * stable terms, loop.c), unknown once the workload changed; a cycle that would record the
     * same one need not read the workload. */
    struct al_explanation *last_why;
    bool *last_why_known;
};

/* al__model_build - the model of the current state, built whole. Lock held. Aborts when out of
 * memory. */
void al__model_build(struct allotd *d, struct al__cycle_model *m);
void al__model_release(struct al__cycle_model *m);
/* al__model_left_out - w is not in m, for the reason `why`. */
void al__model_left_out(struct al__cycle_model *m, struct al__dworkload *w, const char *why);
/* al__model_task - the state's task behind model task t, and its workload in *w. */
struct al__dtask *al__model_task(const struct al__cycle_model *m, int32_t t,
                                 struct al__dworkload **w);

/*
 * The model kept from cycle to cycle (model_kept.c): a cycle reads again only the workloads
 * that changed since the last (al__state_changed) and those removed since; the rest of its
 * jobs and tasks stay where they are, so that a quiet cycle does not walk every workload in
 * memory (at 90,000 that took 30-60 ms of misses).
 */
struct al__kept_model;

/* al__kept_create / al__kept_free - an empty kept model (the first build reads everything). */
struct al__kept_model *al__kept_create(void);
void al__kept_free(struct al__kept_model *k);
/* al__kept_build - the model of the current state into m, from k patched with what changed.
 * m borrows k's jobs and tasks until k's next build. Lock held; one thread builds. */
void al__kept_build(struct allotd *d, struct al__kept_model *k, struct al__cycle_model *m);

/* al__model_same - whether two models of one state model the same workloads the same way
 * (jobs and tasks in any order; which of two workloads that share a device beyond its capacity
 * is left out may differ); else false with the first difference in why. */
bool al__model_same(const struct al__cycle_model *a, const struct al__cycle_model *b, char *why,
                    size_t size);

/* al__decisions_apply - carries out a cycle's decisions in order: binds start tasks, pipelined
 * tasks take their place, evicted ones stop (decisions.c). Lock held, in the cycle's
 * transaction. */
void al__decisions_apply(struct allotd *d, const struct al__cycle_model *m,
                         const struct al_result *r);
/* al__tasks_start_pipelined - starts the pipelined tasks whose place is free now (all of a
 * workload's at once); true if any started. Lock held. */
bool al__tasks_start_pipelined(struct allotd *d);

#endif
