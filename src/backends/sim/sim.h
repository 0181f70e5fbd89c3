/* sim.h - the simulator backend (`allotd --backend sim`): a virtual cluster and a virtual clock
 * driven by a trace. It is the truth about its queues and workloads, as the Kubernetes backend
 * is about a cluster's: through the mirror it puts the trace's groups as projects and each job
 * as a workload when the clock reaches its arrival; a started task runs until start + its
 * duration on the virtual clock; a stopped (evicted) one ends at once and allotd requeues it.
 * allotd's own loop does the scheduling; al__sim_run (run.c) drives it second by second. */
#ifndef ALLOT_BACKENDS_SIM_SIM_H
#define ALLOT_BACKENDS_SIM_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "backends/backend.h"
#include "backends/sim/trace.h"

struct allotd;

extern const struct al__backend_type al__sim_backend;

/* A project of the simulation: a trace group (or the catch-all for unlisted ones). */
struct al__sim_project {
    char name[AL__SIM_NAME_MAX];
    int64_t deserved_gpus; /* whole GPUs */
    int64_t deserved_cpu_millis;
    bool listed;            /* in the group table */
    int64_t allocated_gpus; /* what its running tasks hold now */
    int64_t cpu_now;        /* (while the projects are made) */
};

/* A task of a job, on the virtual clock. */
struct al__sim_task {
    int64_t end_s; /* of its current run */
    uint32_t run;  /* starts so far (its reference names the run) */
    int32_t gpus;
    int32_t project;
    bool running, stopped, done;
};

/* A job of the trace and what became of it. */
struct al__sim_job {
    struct al__sim_trace_job t;
    int32_t project;
    int32_t task_count;
    size_t first_task; /* in al__sim.tasks */
    int32_t tasks_running, tasks_done;
    int64_t first_start_s, end_s; /* -1 = not yet */
    int64_t run_end_s;            /* when its running tasks end (all together) */
    uint32_t evicted_run;         /* the run evicted last (counted once per run) */
    int32_t evictions;
};

struct al__sim_end {
    int64_t end_s;
    size_t task;
    uint32_t run;
};

struct al__sim {
    int64_t now; /* the virtual clock (seconds since the epoch); allotd reads it */
    const char *trace;
    char *result_path;
    bool skip; /* jump over seconds in which nothing can change */
    /* Each job gets a time limit as a user would give it: its duration rounded up to the next
     * whole hour, always above it (--time-limits hours); else none. */
    bool time_limits_hours;
    int64_t start_s; /* where the clock starts */
    int64_t gpus_total, cpu_millis_total;
    struct al__sim_job *jobs;
    size_t job_count, next_arrival;
    struct al__sim_task *tasks;
    size_t task_count;
    struct al__sim_project *projects;
    size_t project_count;
    char department[AL__SIM_NAME_MAX];
    struct al__sim_end *ends; /* a min-heap of task ends */
    size_t end_count, end_cap;
    bool queues_put;
    /* Counters, kept as tasks start and end. */
    int64_t allocated_gpus;
    int64_t arrived, running_jobs, finished_jobs;
    int64_t starts, stops, evictions;
};

/* al__sim_next_event - when the next arrival or task end is due after the clock (INT64_MAX:
 * none). */
int64_t al__sim_next_event(struct al__sim *s);

/* al__sim_run - allotd's sim mode (the backend's drive op): runs allotd's loop
 * (al__loop_cycle) on the virtual clock from the trace's start until nothing can change any
 * more, then writes the result file (docs/simulation-timed.md). allotd's state is open, no
 * HTTP server runs. 0, or -1 after saying why on stderr. */
int al__sim_run(struct al__backend *b, struct allotd *d);

#endif
