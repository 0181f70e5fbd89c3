/* model_parts.h - what the two builders of the cycle's model share (model_build.c builds it
 * whole, model_kept.c keeps it between cycles and patches it): device holdings that say whether
 * a workload's placed tasks are valid, and a workload's job and tasks in the engine's terms. */
#ifndef ALLOT_DAEMON_MODEL_PARTS_H
#define ALLOT_DAEMON_MODEL_PARTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/cycle_model.h"

/* Device capacity in the engine's units (1/1000 MiB) held now (pipelined tasks aside) and once
 * releasing tasks are gone, per device of every node: what the admitted jobs hold. */
struct al__holdings {
    size_t *first; /* per node: where its devices start in now/later */
    size_t device_count;
    int64_t *now, *later;
    struct al__holding_undo {
        size_t at;
        int64_t now, later;
    } * undo; /* what the workload being admitted added */
    size_t undo_count, undo_cap;
};

void al__holdings_init(struct al__holdings *h, const struct al__inventory *inv);
void al__holdings_release(struct al__holdings *h);

/* al__holdings_admit - whether workload w's placed tasks fit their nodes beside what the
 * admitted jobs hold (then they are added to h), else why not in `why` ("invalid: ..."). */
bool al__holdings_admit(const struct allotd *d, const struct al__dworkload *w,
                        struct al__holdings *h, char *why, size_t size);

/* al__holdings_remove - takes back what the model tasks tasks[0..count) of an admitted job
 * added (their requests, states, nodes and devices are those it was admitted with). */
void al__holdings_remove(struct al__holdings *h, const struct al__inventory *inv,
                         const struct al_task *tasks, size_t count);

/* al__model_frame - the cluster without jobs: configuration, clock, nodes and queues. */
void al__model_frame(const struct allotd *d, struct al_cluster *c);

/* al__model_task_count - how many of w's tasks the model takes (none when w has finished). */
size_t al__model_task_count(const struct al__dworkload *w);

/* al__model_fill_tasks - w's tasks the model takes, into out[0..al__model_task_count(w)), of
 * job `job`, with their indices among w's tasks in index[]; names from names (the arena) or,
 * when it is NULL, malloc. */
void al__model_fill_tasks(const struct allotd *d, const struct al__dworkload *w, int32_t job,
                          struct al_task *out, int32_t *index, struct al__arena *names);

/* al__model_fill_job - w's job, of queue `queue`, for tasks [first, first + count), its topology
 * constraint resolved among inv's topologies. The name as in al__model_fill_tasks; its
 * subgroups (when it has some) always from malloc (al_cluster_release frees them, as
 * model_kept.c does). */
void al__model_fill_job(const struct al__inventory *inv, const struct al__dworkload *w,
                        int32_t queue, int64_t now, size_t first, size_t count, struct al_job *out,
                        struct al__arena *names);

/* The projects' queue indices by id: a workload's project without a lookup by name. */
struct al__project_ids {
    struct al__project_id {
        int64_t id;
        int32_t index;
    } * ids;
    size_t count;
};

void al__project_ids_build(const struct al__state *st, struct al__project_ids *p);
void al__project_ids_release(struct al__project_ids *p);
/* al__project_ids_find - the queue index of w's project, -1 when it is gone. */
int32_t al__project_ids_find(const struct al__project_ids *p, const struct al__dworkload *w);

#endif
