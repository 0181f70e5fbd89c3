/* mirror.c - allotd's state kept as a mirroring backend's cluster says (backend.h, the mirror):
 * at the start of a cycle the backend's queues and workloads are put and removed through the
 * same state functions as allotd's own changes (so the kept model sees them), written to the
 * store in the cycle's transaction, and the nodes renumbered when the inventory changed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "allot/errors.h"
#include "daemon/admission.h"
#include "daemon/api.h"
#include "daemon/events_publish.h"
#include "daemon/mirror.h"
#include "daemon/persist.h"
#include "daemon/spec_subgroups.h"
#include "daemon/specs.h"
#include "daemon/tasks.h"
#include "util/xalloc.h"

struct sync_run {
    struct allotd *d;
    bool all;
    /* With `all`: what the backend named (keys owned by `names`). */
    struct al__strmap seen_queues, seen_workloads;
    char **names;
    size_t name_count, name_cap;
};

static void seen(struct sync_run *r, struct al__strmap *m, const char *key) {
    if (!r->all)
        return;
    char *copy = al__xstrdup(key);
    al__xgrow(&r->names, &r->name_cap, r->name_count + 1, sizeof(*r->names));
    r->names[r->name_count++] = copy;
    al__strmap_put(m, copy, copy);
}

static void queue_from(const struct al__mirror_queue *in, struct al__dqueue *q) {
    snprintf(q->name, sizeof(q->name), "%s", in->name);
    snprintf(q->parent, sizeof(q->parent), "%s", in->parent);
    q->project = in->project;
    q->priority = in->priority;
    memcpy(q->deserved, in->deserved, sizeof(q->deserved));
    memcpy(q->limit, in->limit, sizeof(q->limit));
    memcpy(q->weight, in->weight, sizeof(q->weight));
    q->has_preempt_min_runtime = in->has_preempt_min_runtime;
    q->has_reclaim_min_runtime = in->has_reclaim_min_runtime;
    q->preempt_min_runtime_s = in->preempt_min_runtime_s;
    q->reclaim_min_runtime_s = in->reclaim_min_runtime_s;
}

static bool same_settings(const struct al__dqueue *a, const struct al__dqueue *b) {
    return strcmp(a->parent, b->parent) == 0 && a->project == b->project &&
           a->priority == b->priority &&
           memcmp(a->deserved, b->deserved, sizeof(a->deserved)) == 0 &&
           memcmp(a->limit, b->limit, sizeof(a->limit)) == 0 &&
           memcmp(a->weight, b->weight, sizeof(a->weight)) == 0 &&
           a->has_preempt_min_runtime == b->has_preempt_min_runtime &&
           a->has_reclaim_min_runtime == b->has_reclaim_min_runtime &&
           a->preempt_min_runtime_s == b->preempt_min_runtime_s &&
           a->reclaim_min_runtime_s == b->reclaim_min_runtime_s;
}

static void queue_put(void *arg, const struct al__mirror_queue *in) {
    struct sync_run *r = arg;
    struct allotd *d = r->d;
    if (!al__name_valid(in->name) || (in->parent[0] && !al__name_valid(in->parent))) {
        fprintf(stderr, "allotd: queue %s: not mirrored: names must be 1-63 of a-z, 0-9, '-'\n",
                in->name);
        return;
    }
    seen(r, &r->seen_queues, in->name);
    struct al__dqueue q, *have = al__state_queue(&d->state, in->name);
    if (have) {
        q = *have;
        queue_from(in, &q);
        if (same_settings(&q, have))
            return;
        if (al__persist_queue_put(d, &q) == 0) {
            *have = q;
            al__publish_queue(&d->state, have, "queue.updated");
        }
        return;
    }
    memset(&q, 0, sizeof(q));
    queue_from(in, &q);
    q.created_s = in->created_s;
    if (al__persist_queue_put(d, &q) == 0)
        al__state_add_queue(&d->state, &q);
}

static void workload_drop(struct allotd *d, struct al__dworkload *w) {
    if (al__persist_workload_delete(d, w) < 0)
        return;
    if (al__workload_is_active(w))
        d->state.task_changes++; /* what it held is free: pipelined tasks may start */
    al__task_forget(d, w);
    al__state_remove_workload(&d->state, w);
}

static void queue_remove(void *arg, const char *name) {
    struct sync_run *r = arg;
    struct allotd *d = r->d;
    if (!al__state_queue(&d->state, name))
        return;
    for (size_t i = d->state.workload_count; i-- > 0;)
        if (strcmp(d->state.workloads[i]->project, name) == 0)
            workload_drop(d, d->state.workloads[i]);
    if (al__persist_queue_delete(d, name) == 0)
        al__state_remove_queue(&d->state, name);
}

static enum al__tstate task_state_of(enum al__mirror_task_state s) {
    switch (s) {
    case AL__MIRROR_RUNNING:
        return AL__T_RUNNING;
    case AL__MIRROR_STOPPING:
        return AL__T_STOPPING;
    case AL__MIRROR_SUCCEEDED:
        return AL__T_SUCCEEDED;
    case AL__MIRROR_FAILED:
        return AL__T_FAILED;
    default:
        return AL__T_PENDING;
    }
}

/*
 * Task t as the cluster shows it (in): true when that changed it. What allotd decided and the
 * cluster cannot show yet is kept: a task placed or pipelined whose pod is not bound yet, a task
 * asked to stop whose pod still runs.
 */
static bool task_mirror(struct allotd *d, struct al__dtask *t, const struct al__mirror_task *in) {
    struct al__dtask was = *t;
    enum al__tstate to = task_state_of(in->state);
    if (to == AL__T_PENDING &&
        (t->state == AL__T_PIPELINED || (t->state == AL__T_RUNNING && !t->ref[0])))
        return false;
    if (to == AL__T_RUNNING && t->state == AL__T_STOPPING)
        to = AL__T_STOPPING;
    if (to == AL__T_PENDING) {
        if (t->state == AL__T_PENDING)
            return false;
        al__task_requeue(&d->state, t);
        return true;
    }
    t->state = to;
    t->node = in->node && in->node[0] ? al__state_node(&d->state, in->node) : -1;
    t->gpu_count = in->gpus && in->gpu_count < AL__MAX_TASK_GPUS ? in->gpu_count
                   : in->gpus                                    ? AL__MAX_TASK_GPUS
                                                                 : 0;
    if (t->gpu_count > 0)
        memcpy(t->gpus, in->gpus, t->gpu_count * sizeof(*t->gpus));
    snprintf(t->ref, sizeof(t->ref), "%s", in->ref ? in->ref : "");
    if (in->started_s >= 0 || t->started_s < 0)
        t->started_s = in->started_s >= 0 ? in->started_s : al__daemon_now();
    t->finished_s = in->finished_s;
    t->exit_code = in->exit_code;
    if (to == AL__T_STOPPING && was.state != AL__T_STOPPING)
        t->stop_sent_s = al__daemon_now();
    if (to == AL__T_SUCCEEDED || to == AL__T_FAILED) {
        t->node = -1;
        t->gpu_count = 0;
        if (t->finished_s < 0)
            t->finished_s = al__daemon_now();
    }
    bool changed = was.state != t->state || was.node != t->node || was.gpu_count != t->gpu_count ||
                   memcmp(was.gpus, t->gpus, t->gpu_count * sizeof(*t->gpus)) != 0 ||
                   strcmp(was.ref, t->ref) != 0 || was.exit_code != t->exit_code;
    if (changed)
        d->state.task_changes++;
    return changed;
}

/* Sets the spec's node pool to the mirrored one; whether it changed. */
static bool pool_update(struct al__wspec *s, const char *pool) {
    if (pool && !pool[0])
        pool = NULL;
    if (!pool && !s->node_pool)
        return false;
    if (pool && s->node_pool && strcmp(pool, s->node_pool) == 0)
        return false;
    free(s->node_pool);
    s->node_pool = pool ? al__xstrdup(pool) : NULL;
    return true;
}

static char *dup_or_null(const char *text) {
    return text ? al__xstrdup(text) : NULL;
}

/* The mirrored subgroups into s (new copies), their workers counted from the tasks (each names
 * one; workload_put checked them); the gang minimum is then the sum of theirs. */
static void subgroups_from(const struct al__mirror_workload *in, struct al__wspec *s) {
    s->subgroups = NULL;
    s->subgroup_count = 0;
    if (in->subgroup_count == 0)
        return;
    s->subgroups = al__xcalloc(in->subgroup_count, sizeof(*s->subgroups));
    s->subgroup_count = (int32_t)in->subgroup_count;
    s->min_members = 0;
    for (size_t g = 0; g < in->subgroup_count; g++) {
        const struct al__mirror_subgroup *from = &in->subgroups[g];
        struct al__wsubgroup *to = &s->subgroups[g];
        snprintf(to->name, sizeof(to->name), "%s", from->name);
        to->min_members = from->min_members;
        to->required_topology_level = dup_or_null(from->required_topology_level);
        to->preferred_topology_level = dup_or_null(from->preferred_topology_level);
        s->min_members += from->min_members;
    }
    for (size_t i = 0; i < in->task_count; i++)
        s->subgroups[in->tasks[i].subgroup].workers++;
}

/* Each task's subgroup where the tasks do not take them in order; NULL where they do (or there
 * are none): al__task_subgroup then counts them from the spec. */
static int16_t *task_subgroups_from(const struct al__mirror_workload *in) {
    bool in_order = true;
    for (size_t i = 1; i < in->task_count && in->subgroup_count > 0; i++)
        in_order = in_order && in->tasks[i].subgroup >= in->tasks[i - 1].subgroup;
    if (in->subgroup_count == 0 || in_order)
        return NULL;
    int16_t *out = al__xcalloc(in->task_count, sizeof(*out));
    for (size_t i = 0; i < in->task_count; i++)
        out[i] = (int16_t)in->tasks[i].subgroup;
    return out;
}

static bool same_task_subgroups(const int16_t *a, const int16_t *b, size_t n) {
    if (!a || !b)
        return a == b;
    return memcmp(a, b, n * sizeof(*a)) == 0;
}

/* Why the subgroups of in cannot be mirrored, NULL when they can. */
static const char *subgroups_invalid(const struct al__mirror_workload *in) {
    if (in->subgroup_count > INT16_MAX)
        return "too many subgroups";
    for (size_t g = 0; g < in->subgroup_count; g++)
        if (!in->subgroups[g].name[0] || strlen(in->subgroups[g].name) >= AL__NAME_MAX ||
            in->subgroups[g].min_members < 0)
            return "a subgroup's name is not 1-63 characters";
    for (size_t i = 0; i < in->task_count && in->subgroup_count > 0; i++)
        if (in->tasks[i].subgroup < 0 || (size_t)in->tasks[i].subgroup >= in->subgroup_count)
            return "a task is in no subgroup";
    return NULL;
}

static void spec_from(const struct al__mirror_workload *in, struct al__wspec *s) {
    enum al__wkind kind = AL__K_TRAINING;
    if (in->kind)
        al__wkind_parse(in->kind, &kind); /* training when unknown */
    s->kind = (uint8_t)kind;
    s->priority = in->priority;
    s->preemptible = in->preemptible;
    s->semi_preemptible = in->semi_preemptible;
    s->preemption_never = in->preemption_never;
    s->workers = (int32_t)in->task_count;
    s->min_members = in->min_members;
    s->gpus = in->gpus;
    s->gpu_milli = in->gpu_milli;
    s->gpu_memory_mib = in->gpu_memory_mib;
    s->gpu_device_count = in->gpu_device_count;
    s->gpu_milli_limit = in->gpu_milli_limit;
    s->gpu_memory_limit_mib = in->gpu_memory_limit_mib;
    memset(s->migs, 0, sizeof(s->migs));
    s->mig_profiles = 0;
    for (size_t m = 0; m < in->mig_profiles && m < AL__MIG_ASKS_MAX; m++)
        s->migs[s->mig_profiles++] = in->migs[m];
    s->cpu_millis = in->cpu_millis;
    s->memory_bytes = in->memory_bytes;
    s->enforce = !in->no_enforce;
    /* new copies: the caller frees what s held before (workload_put) */
    s->topology = in->topology ? al__xstrdup(in->topology) : NULL;
    s->required_topology_level =
        in->required_topology_level ? al__xstrdup(in->required_topology_level) : NULL;
    s->preferred_topology_level =
        in->preferred_topology_level ? al__xstrdup(in->preferred_topology_level) : NULL;
    if (in->time_limit_s > 0) /* a platform that does not say keeps the one submitted */
        s->time_limit_s = in->time_limit_s;
    subgroups_from(in, s);
}

static bool same_text(const char *a, const char *b) {
    return a && b ? strcmp(a, b) == 0 : a == b;
}

/* The tasks' own requests where some differ from the workload's; NULL where none does. */
static struct al__task_request *requests_from(const struct al__mirror_workload *in,
                                              const struct al__wspec *spec) {
    bool differ = false;
    for (size_t i = 0; i < in->task_count && !differ; i++) {
        const struct al__mirror_request *r = &in->tasks[i].request;
        differ =
            in->tasks[i].own_request &&
            (r->gpus != spec->gpus || r->gpu_milli != spec->gpu_milli ||
             r->gpu_memory_mib != spec->gpu_memory_mib ||
             r->gpu_device_count != spec->gpu_device_count || r->cpu_millis != spec->cpu_millis ||
             r->memory_bytes != spec->memory_bytes || r->gpu_milli_limit != spec->gpu_milli_limit ||
             r->gpu_memory_limit_mib != spec->gpu_memory_limit_mib);
    }
    if (!differ)
        return NULL;
    struct al__task_request *out = al__xcalloc(in->task_count, sizeof(*out));
    int64_t spec_mig = al__mig_asks_milli(spec->migs, (size_t)spec->mig_profiles);
    for (size_t i = 0; i < in->task_count; i++) {
        const struct al__mirror_request *r = &in->tasks[i].request;
        out[i] = in->tasks[i].own_request ? (struct al__task_request){r->gpus,
                                                                      r->gpu_milli,
                                                                      r->gpu_memory_mib,
                                                                      r->gpu_device_count,
                                                                      r->cpu_millis,
                                                                      r->memory_bytes,
                                                                      r->gpu_milli_limit,
                                                                      r->gpu_memory_limit_mib,
                                                                      spec_mig}
                                          : al__task_request_of_spec(spec);
    }
    return out;
}

static bool same_requests(const struct al__task_request *a, const struct al__task_request *b,
                          size_t n) {
    if (!a || !b)
        return a == b;
    return memcmp(a, b, n * sizeof(*a)) == 0;
}

static bool same_migs(const struct al__wspec *a, const struct al__wspec *b) {
    if (a->mig_profiles != b->mig_profiles)
        return false;
    for (int32_t m = 0; m < a->mig_profiles; m++)
        if (a->migs[m].count != b->migs[m].count ||
            strcmp(a->migs[m].profile, b->migs[m].profile) != 0)
            return false;
    return true;
}

static bool same_request(const struct al__wspec *a, const struct al__wspec *b) {
    return a->kind == b->kind && a->priority == b->priority && a->preemptible == b->preemptible &&
           a->semi_preemptible == b->semi_preemptible &&
           a->preemption_never == b->preemption_never && a->workers == b->workers &&
           a->min_members == b->min_members && a->gpus == b->gpus && a->gpu_milli == b->gpu_milli &&
           a->gpu_memory_mib == b->gpu_memory_mib && a->gpu_device_count == b->gpu_device_count &&
           a->cpu_millis == b->cpu_millis && a->memory_bytes == b->memory_bytes &&
           a->gpu_milli_limit == b->gpu_milli_limit &&
           a->gpu_memory_limit_mib == b->gpu_memory_limit_mib &&
           same_text(a->topology, b->topology) &&
           same_text(a->required_topology_level, b->required_topology_level) &&
           same_text(a->preferred_topology_level, b->preferred_topology_level) &&
           a->time_limit_s == b->time_limit_s && same_migs(a, b) &&
           al__subgroups_same(a->subgroups, a->subgroup_count, b->subgroups, b->subgroup_count);
}

/* The sets a task's state puts its workload in (the state prunes what no longer belongs). */
static void sets_of_task(struct allotd *d, struct al__dworkload *w, const struct al__dtask *t) {
    if (t->state == AL__T_RUNNING || t->state == AL__T_STOPPING)
        al__state_add_to(&d->state, AL__HOLDING, w);
    if (t->state == AL__T_STOPPING)
        al__state_add_to(&d->state, AL__WATCHED, w);
}

/* w's state from its tasks, with its end noted. */
static void settle(struct allotd *d, struct al__dworkload *w) {
    enum al__wstate before = w->state;
    al__workload_refresh_state(&d->state, w);
    if (w->state == AL__W_RUNNING && before != AL__W_RUNNING)
        w->started_s = al__daemon_now();
    if (w->state != before && (w->state == AL__W_SUCCEEDED || w->state == AL__W_FAILED)) {
        w->finished_s = al__daemon_now();
        al__persist_event(d, w, w->state == AL__W_SUCCEEDED ? "finished" : "failed",
                          "workload %s (exit code %d)", al__wstate_name(w->state), w->exit_code);
    }
    if (w->state != AL__W_SUCCEEDED && w->state != AL__W_FAILED)
        w->finished_s = -1;
}

/* A name the state knows as retired (finished, in the store only) is taken by a new workload:
 * the old one's rows go. */
static void forget_retired(struct allotd *d, const char *project, const char *name) {
    const struct al__retired *old = al__state_retired(&d->state, project, name);
    if (!old)
        return;
    struct al__dworkload *w = al__persist_read_workload(d, old->id);
    if (w && al__persist_workload_delete(d, w) == 0)
        al__state_forget_retired(&d->state, project, name);
    al__workload_free(w);
}

static void workload_add(struct allotd *d, const struct al__dqueue *project,
                         const struct al__mirror_workload *in) {
    forget_retired(d, in->project, in->name);
    struct al__dworkload *w = al__xcalloc(1, sizeof(*w));
    w->owner = ""; /* the cluster's objects: no subject of allotd's */
    al__workload_sets_init(w);
    al__workload_name_set(w, in->project, in->name);
    w->project_id = project->id;
    spec_from(in, &w->spec);
    pool_update(&w->spec, in->node_pool);
    w->spec.command = json_array();
    w->spec.env = json_object();
    w->requests = requests_from(in, &w->spec);
    w->task_subgroups = task_subgroups_from(in);
    w->state = AL__W_PENDING;
    w->created_s = in->created_s;
    w->finished_s = -1;
    al__workload_alloc_tasks(w);
    for (size_t i = 0; i < in->task_count; i++)
        task_mirror(d, &w->tasks[i], &in->tasks[i]);
    settle(d, w);
    if (al__persist_workload_insert(d, w) < 0) {
        al__workload_free(w);
        return;
    }
    al__persist_event(d, w, "submitted", "seen in the cluster, in project %s", w->project);
    al__state_add_workload(&d->state, w);
    for (size_t i = 0; i < in->task_count; i++)
        sets_of_task(d, w, &w->tasks[i]);
}

static void workload_put(void *arg, const struct al__mirror_workload *in) {
    struct sync_run *r = arg;
    struct allotd *d = r->d;
    const struct al__dqueue *project = al__state_queue(&d->state, in->project);
    const char *bad = subgroups_invalid(in);
    if (!project || !project->project || !al__name_valid(in->name) || in->task_count == 0 || bad) {
        fprintf(stderr, "allotd: workload %s/%s: not mirrored: %s\n", in->project, in->name,
                !project || !project->project ? "no such project"
                : bad                         ? bad
                                              : "not a valid workload");
        return;
    }
    char key[2 * AL__NAME_MAX];
    al__workload_key(in->project, in->name, key);
    seen(r, &r->seen_workloads, key);
    struct al__dworkload *w = al__state_workload(&d->state, in->project, in->name);
    if (w && w->spec.workers != (int32_t)in->task_count) {
        workload_drop(d, w); /* its tasks are others now: a new one */
        w = NULL;
    }
    if (!w) {
        workload_add(d, project, in);
        return;
    }
    struct al__wspec spec = w->spec;
    spec_from(in, &spec);
    struct al__task_request *requests = requests_from(in, &spec);
    int16_t *task_subgroups = task_subgroups_from(in);
    bool changed = !same_request(&spec, &w->spec) ||
                   !same_requests(requests, w->requests, in->task_count) ||
                   !same_task_subgroups(task_subgroups, w->task_subgroups, in->task_count);
    free(w->spec.topology);
    free(w->spec.required_topology_level);
    free(w->spec.preferred_topology_level);
    al__subgroups_free(w->spec.subgroups, w->spec.subgroup_count);
    w->spec = spec;
    changed = pool_update(&w->spec, in->node_pool) || changed;
    free(w->requests);
    w->requests = requests;
    free(w->task_subgroups);
    w->task_subgroups = task_subgroups;
    for (size_t i = 0; i < in->task_count; i++) {
        struct al__dtask *t = &w->tasks[i];
        if (task_mirror(d, t, &in->tasks[i])) {
            al__persist_task_update(d, w, t);
            sets_of_task(d, w, t);
            changed = true;
        }
    }
    /* its tasks are younger than it (a gang evicted and its pods made again): pending since
     * then for reservations; its place in the queue keeps created_s */
    if (in->created_s > w->created_s && in->created_s != w->pending_since_s) {
        w->pending_since_s = in->created_s;
        changed = true;
    }
    if (!changed)
        return;
    settle(d, w);
    al__state_changed(&d->state, w);
    al__persist_workload_update(d, w);
}

static void workload_remove(void *arg, const char *project, const char *name) {
    struct sync_run *r = arg;
    struct al__dworkload *w = al__state_workload(&r->d->state, project, name);
    if (w)
        workload_drop(r->d, w);
}

static void inventory_changed(void *arg) {
    struct sync_run *r = arg;
    al__state_renumber_nodes(&r->d->state, &r->d->backend.inventory);
}

/* With `all`: what the backend did not name is gone (workloads first, then their queues). */
static void remove_unseen(struct sync_run *r) {
    struct al__state *st = &r->d->state;
    for (size_t i = st->workload_count; i-- > 0;)
        if (!al__strmap_get(&r->seen_workloads, st->workloads[i]->key))
            workload_drop(r->d, st->workloads[i]);
    for (size_t i = st->queue_count; i-- > 0;) /* children come after their parents */
        if (!al__strmap_get(&r->seen_queues, st->queues[i].name))
            queue_remove(r, st->queues[i].name);
}

void al__mirror_sync(struct allotd *d) {
    struct sync_run r = {.d = d, .all = !d->mirrored};
    struct al__mirror m = {.arg = &r,
                           .queue_put = queue_put,
                           .queue_remove = queue_remove,
                           .workload_put = workload_put,
                           .workload_remove = workload_remove,
                           .inventory_changed = inventory_changed};
    al__strmap_init(&r.seen_queues);
    al__strmap_init(&r.seen_workloads);
    d->backend.type->sync(&d->backend, r.all, &m);
    if (r.all)
        remove_unseen(&r);
    d->mirrored = true;
    al__strmap_release(&r.seen_queues);
    al__strmap_release(&r.seen_workloads);
    for (size_t i = 0; i < r.name_count; i++)
        free(r.names[i]);
    free(r.names);
}

bool al__mirror_owned(const struct allotd *d) {
    return d->backend.type->sync != NULL;
}

/* A backend's refusal or failure as the API's. */
static int write_failed(struct al__failure *f, int rc, const char *err) {
    const char *code = rc == -AL_EINVAL   ? "invalid_argument"
                       : rc == -AL_EEXIST ? "already_exists"
                       : rc == -AL_ENOENT ? "not_found"
                                          : "bad_gateway";
    return al__refuse(f, code, NULL, "%s", err);
}

static int not_offered(const struct allotd *d, struct al__failure *f) {
    return al__refuse(f, "failed_precondition", NULL,
                      "the %s backend owns queues and workloads and takes no such change through "
                      "allotd: change them in the cluster",
                      d->backend.type->name);
}

int al__mirror_refuse(const struct allotd *d, const char *what, struct al__failure *f) {
    if (!al__mirror_owned(d))
        return 0;
    return al__refuse(
        f, "failed_precondition", NULL,
        "%s is not offered with the %s backend, which owns the workloads: change them "
        "in the cluster",
        what, d->backend.type->name);
}

int al__mirror_queue_write(struct allotd *d, const struct al__dqueue *q, bool create,
                           struct al__failure *f) {
    char err[512];
    if (!al__mirror_owned(d))
        return 0;
    if (!d->backend.type->queue_write)
        return not_offered(d, f);
    struct al__mirror_queue mq = {.name = q->name,
                                  .parent = q->parent,
                                  .project = q->project,
                                  .priority = q->priority,
                                  .created_s = q->created_s,
                                  .has_preempt_min_runtime = q->has_preempt_min_runtime,
                                  .has_reclaim_min_runtime = q->has_reclaim_min_runtime,
                                  .preempt_min_runtime_s = q->preempt_min_runtime_s,
                                  .reclaim_min_runtime_s = q->reclaim_min_runtime_s};
    memcpy(mq.deserved, q->deserved, sizeof(mq.deserved));
    memcpy(mq.limit, q->limit, sizeof(mq.limit));
    memcpy(mq.weight, q->weight, sizeof(mq.weight));
    int rc = d->backend.type->queue_write(&d->backend, &mq, create, err, sizeof(err));
    return rc < 0 ? write_failed(f, rc, err) : 0;
}

int al__mirror_queue_delete(struct allotd *d, const char *name, struct al__failure *f) {
    char err[512];
    if (!al__mirror_owned(d))
        return 0;
    if (!d->backend.type->queue_delete)
        return not_offered(d, f);
    int rc = d->backend.type->queue_delete(&d->backend, name, err, sizeof(err));
    return rc < 0 && rc != -AL_ENOENT ? write_failed(f, rc, err) : 0;
}

int al__mirror_workload_delete(struct allotd *d, const struct al__dworkload *w,
                               struct al__failure *f) {
    char err[512];
    if (!al__mirror_owned(d))
        return 0;
    if (!d->backend.type->workload_delete)
        return not_offered(d, f);
    int rc = d->backend.type->workload_delete(&d->backend, w->project, w->name, err, sizeof(err));
    return rc < 0 ? write_failed(f, rc, err) : 1;
}

/* The submit field a backend's refusal names ("image: required ..." - see backend.h), "image"
 * when it names none of them. */
static const char *refused_field(const char *err) {
    static const char *const fields[] = {"image",   "export",       "exported_env",
                                         "workdir", "time_limit_s", "labels"};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        size_t n = strlen(fields[i]);
        if (strncmp(err, fields[i], n) == 0 && err[n] == ':')
            return fields[i];
    }
    return "image";
}

/* Waits (no lock held) until the mirror shows workload project/name with `workers` tasks (a
 * cluster makes a Job's pods one by one), for up to `seconds`; its API object, or NULL. */
static json_t *wait_mirrored(struct allotd *d, const char *project, const char *name,
                             int64_t workers, int seconds) {
    for (int i = 0; i < seconds * 20; i++) {
        pthread_mutex_lock(&d->lock);
        const struct al__dworkload *w = al__state_workload(&d->state, project, name);
        json_t *o = w && (w->spec.workers >= workers || i == seconds * 20 - 1)
                        ? al__workload_json(d, w)
                        : NULL;
        pthread_mutex_unlock(&d->lock);
        if (o)
            return o;
        struct timespec pause = {0, 50 * 1000000L};
        nanosleep(&pause, NULL);
    }
    return NULL;
}

void al__mirror_submit(struct allotd *d, json_t *body, struct al__reply *rep) {
    const char *name = json_string_value(json_object_get(body, "name"));
    const char *project = json_string_value(json_object_get(body, "project"));
    const json_t *image = json_object_get(body, "image");
    struct al__wspec spec;
    char field[128], msg[512], err[512];
    if (!d->backend.type->submit) {
        struct al__failure f;
        not_offered(d, &f);
        al__reply_error(rep, f.code, NULL, "%s", f.message);
        return;
    }
    if (image && (!json_is_string(image) || !json_string_value(image)[0])) {
        al__reply_error(rep, "invalid_argument", "image", "must be a container image's name");
        return;
    }
    json_t *request = json_deep_copy(body); /* what the submit's spec reader knows */
    json_object_del(request, "image");
    pthread_mutex_lock(&d->lock);
    const struct al__dqueue *q = project ? al__state_queue(&d->state, project) : NULL;
    int rc = -1;
    if (!name || !al__name_valid(name)) {
        al__reply_error(rep, "invalid_argument", "name",
                        "must be 1-63 characters of a-z, 0-9 and '-', not starting with '-'");
    } else if (!q || !q->project) {
        al__reply_error(rep, "invalid_argument", "project", "no project named \"%s\"",
                        project ? project : "");
    } else if (al__state_workload(&d->state, project, name)) {
        al__reply_error(rep, "already_exists", "name", "project %s already has a workload named %s",
                        project, name);
    } else if (al__wspec_read(request, &spec, field, sizeof(field), msg, sizeof(msg)) < 0) {
        al__reply_error(rep, "invalid_argument", field, "%s", msg);
    } else if (al__admission_check(&d->backend.inventory, request, &spec, field, sizeof(field), msg,
                                   sizeof(msg)) < 0) {
        al__reply_error(rep, "invalid_argument", field[0] ? field : NULL, "%s", msg);
        al__wspec_release(&spec);
    } else if (spec.subgroup_count > 0) { /* one Job's pods share one template */
        al__reply_error(rep, "invalid_argument", "subgroups",
                        "not offered by the %s backend's submit: write a PodGroup with subGroups "
                        "and label each pod with kai.scheduler/subgroup-name",
                        d->backend.type->name);
        al__wspec_release(&spec);
    } else {
        rc = 0;
    }
    pthread_mutex_unlock(&d->lock);
    json_decref(request);
    if (rc < 0)
        return;
    struct al__mirror_workload w = {.project = project,
                                    .name = name,
                                    .kind = al__wkind_name((enum al__wkind)spec.kind),
                                    .priority = spec.priority,
                                    .preemptible = spec.preemptible,
                                    .semi_preemptible = spec.semi_preemptible,
                                    .preemption_never = spec.preemption_never,
                                    .min_members = spec.min_members,
                                    .topology = spec.topology,
                                    .required_topology_level = spec.required_topology_level,
                                    .preferred_topology_level = spec.preferred_topology_level,
                                    .gpus = spec.gpus,
                                    .gpu_milli = spec.gpu_milli,
                                    .gpu_memory_mib = spec.gpu_memory_mib,
                                    .gpu_device_count = spec.gpu_device_count,
                                    .gpu_milli_limit = spec.gpu_milli_limit,
                                    .gpu_memory_limit_mib = spec.gpu_memory_limit_mib,
                                    .migs = spec.migs,
                                    .mig_profiles = (size_t)spec.mig_profiles,
                                    .cpu_millis = spec.cpu_millis,
                                    .memory_bytes = spec.memory_bytes,
                                    .created_s = al__daemon_now(),
                                    .task_count = (size_t)spec.workers};
    char **argv = al__strings_of(spec.command), **env = al__strings_of(spec.env);
    char **exported = al__strings_of(spec.exported_env);
    struct al__mirror_submit s = {.w = &w,
                                  .argv = (const char *const *)argv,
                                  .env = (const char *const *)env,
                                  .exported_env = (const char *const *)exported,
                                  .export_all =
                                      json_is_string(spec.export_mode) &&
                                      strcmp(json_string_value(spec.export_mode), "all") == 0,
                                  .workdir = spec.workdir,
                                  .image = image ? json_string_value(image) : NULL,
                                  .time_limit_s = spec.time_limit_s,
                                  .labelled = json_object_size(spec.labels) > 0};
    rc = d->backend.type->submit(&d->backend, &s, err, sizeof(err));
    al__strings_free(argv);
    al__strings_free(env);
    al__strings_free(exported);
    al__wspec_release(&spec);
    if (rc < 0) {
        struct al__failure f;
        write_failed(&f, rc, err);
        al__reply_error(rep, f.code, rc == -AL_EINVAL ? refused_field(err) : NULL, "%s", f.message);
        return;
    }
    /* The cluster has it; allotd's answer is the workload once the mirror shows it. */
    json_t *o = wait_mirrored(d, project, name, spec.workers, 10);
    if (o)
        al__reply_json(rep, 201, o);
    else
        al__reply_json(
            rep, 202,
            json_pack("{s:s, s:s, s:s}", "name", name, "project", project, "state", "submitted"));
}
