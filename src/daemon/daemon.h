/* daemon.h - allotd's shared state and the functions its parts (HTTP routes, scheduling loop,
 * persistence, backend glue) offer each other. */
#ifndef ALLOT_DAEMON_DAEMON_H
#define ALLOT_DAEMON_DAEMON_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "allot/cycle.h"
#include "backends/backend.h"
#include "daemon/auth.h"
#include "daemon/cycle_stats.h"
#include "daemon/state.h"
#include "daemon/store.h"

struct al__http;

/* A submit waiting for the group commit that makes it durable (submit.c). */
struct al__submit_ticket {
    struct al__dworkload *w; /* handed to the state once committed */
    bool done;
    json_t *reply; /* the workload object as committed, or NULL on failure */
    char error[256];
    bool project_gone; /* the failure: its project was deleted meanwhile (not ours: a 4xx) */
};

struct allotd {
    /* Lock order: store_lock, then lock. store_lock guards the SQLite connection; lock guards
     * everything else. A transaction's COMMIT (the fsync) may run with store_lock alone, so that
     * requests keep being served and submits keep queueing for the next group commit. */
    pthread_mutex_t store_lock;
    pthread_mutex_t lock;
    pthread_cond_t wake; /* the scheduling loop waits on it */
    bool changed;        /* something a cycle should look at happened */
    bool stopping;

    char *state_dir;
    int64_t grace_s;        /* a stopping task is stopped at once after it */
    int64_t idle_timeout_s; /* an idle connection is closed after it (a follower never is) */
    int64_t retention_s;    /* finished workloads leave memory this long after they finish */
    int64_t started_s;      /* when this allotd started */
    struct al__store *store;
    /* A read-only connection for what is read from the store only (finished workloads past
     * their retention, events): its lock is taken after `lock`, and nothing after it. */
    struct al__store *reader;
    pthread_mutex_t reader_lock;
    struct al__state state;
    struct al__backend backend; /* where tasks run; its inventory is fixed while allotd runs */
    uint64_t cycles;
    struct al__cycle_stats cycle_stats; /* cycles that ran the engine */
    char cycle_error[512];              /* why the last cycle could not run, "" when it ran */
    bool resync;                   /* a cycle's records failed: rewrite the state (persist.c) */
    struct al_workspace engine_ws; /* the engine's memory, kept from cycle to cycle */

    /* Submits accepted but not yet durable, committed together by the next leader. */
    struct al__submit_ticket **batch;
    size_t batch_count, batch_cap;
    /* Submits the current leader is writing: their names are taken too. */
    struct al__submit_ticket **writing;
    size_t writing_count;

    /* Tasks this cycle placed (running, no process yet): started once the placements are
     * durable (al__tasks_start_placed). */
    struct al__placed {
        struct al__dworkload *w;
        struct al__dtask *t;
    } * placed;
    size_t placed_count, placed_cap;

    struct al__auth auth; /* has its own lock */
    struct al__http *http;
};

/* al__daemon_now - the wall clock in seconds (every stored time uses it). */
int64_t al__daemon_now(void);

/* al__daemon_poke - asks the scheduling loop for a cycle now. Call with the lock held. */
void al__daemon_poke(struct allotd *d);

/*
 * Persistence (persist.c): each function writes one change to the store inside the caller's
 * transaction (al__store_begin/commit). Returns 0 or -AL_EIO.
 */
int al__persist_load(struct allotd *d, char *err, size_t size);
/* al__persist_read_workload - workload `id` with its tasks as the store `db` has it (a retired
 * one), or NULL; the caller frees it (al__workload_free). State lock held (node names). */
struct al__dworkload *al__persist_read_workload(struct allotd *d, struct al__store *db, int64_t id);
int al__persist_queue_put(struct allotd *d, const struct al__dqueue *q); /* insert or update */
int al__persist_queue_delete(struct allotd *d, const char *name);
int al__persist_workload_insert(struct allotd *d, struct al__dworkload *w); /* sets w->id */
int al__persist_workload_update(struct allotd *d, const struct al__dworkload *w);
int al__persist_task_update(struct allotd *d, const struct al__dworkload *w,
                            const struct al__dtask *t);
int al__persist_workload_delete(struct allotd *d, const struct al__dworkload *w);
/* al__persist_resync - rewrites every workload and task row from memory and deletes the rows of
 * workloads memory no longer has: after a cycle's records failed (their events stay lost). */
int al__persist_resync(struct allotd *d);
int al__persist_event(struct allotd *d, const struct al__dworkload *w, const char *kind,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* JSON forms of queues and workloads (specs.c), shared by the API and the store. */
json_t *al__queue_spec_json(const struct al__dqueue *q);
json_t *al__workload_spec_json(const struct al__wspec *s);
/* al__queue_read - the settings of a queue object (create or update body, or a stored spec)
 * applied to *q. `create`: "name" is allowed and required. Fills field/message on failure. */
int al__queue_read(struct al__state *st, const json_t *body, bool create, bool project,
                   struct al__dqueue *q, char *field, size_t fsize, char *msg, size_t msize);
/* al__wspec_read - a workload's request (submit body without name/project) into *s. */
int al__wspec_read(const json_t *body, struct al__wspec *s, char *field, size_t fsize, char *msg,
                   size_t msize);

/* The scheduling loop (loop.c): runs until d->stopping. */
void al__loop_run(struct allotd *d);
/* al__loop_cycle - one pass: reap tasks, escalate stops, schedule, start. Takes both locks; the
 * commit runs with the store lock only. */
void al__loop_cycle(struct allotd *d);

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

/*
 * Tasks and the backend (tasks.c). Lock held. A start has two steps, so that no task runs whose
 * placement could be lost: al__task_place records it (running on its node and devices, not
 * started yet) in the cycle's transaction and queues it; once that is committed,
 * al__tasks_start_placed starts the queued ones and records the backend's references. After a
 * crash in between, al__tasks_readopt asks the backend to find each one that was started, or
 * puts it back to pending.
 */
void al__task_place(struct allotd *d, struct al__dworkload *w, struct al__dtask *t);
/* Both locks held; the state lock is let go while the backend starts them (reads go on). */
void al__tasks_start_placed(struct allotd *d);
/* al__tasks_unplace - the queued placements back to pending (their commit failed). */
void al__tasks_unplace(struct allotd *d);
/* al__task_stop - asks a started task to stop (the grace period starts). */
void al__task_stop(struct allotd *d, struct al__dworkload *w, struct al__dtask *t);
/* al__task_devices_text - "[0, 1]": the devices a task holds. Always NUL-terminated. */
void al__task_devices_text(const struct al__dtask *t, char *out, size_t size);
/* al__task_key - the backend's name for a task's place. */
struct al__task_key al__task_key(const struct al__dworkload *w, const struct al__dtask *t);
/* al__task_node - the inventory node a task is placed on; NULL when none or not in it. */
const struct al__node *al__task_node(const struct allotd *d, const struct al__dtask *t);
/* al__task_forget - the backend forgets every task of w: a workload that is deleted, or a new
 * one whose id an old one had (no output of another is ever shown). */
void al__task_forget(struct allotd *d, const struct al__dworkload *w);
/* al__tasks_poll - records exits and stops at once what outlived its grace period; true if any
 * changed. */
bool al__tasks_poll(struct allotd *d);
/* al__tasks_readopt - at startup: keep live tasks, record the ones that ended or were lost. */
void al__tasks_readopt(struct allotd *d);

#endif
