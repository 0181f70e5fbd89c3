/* state.c - allotd's in-memory queues and workloads: lookups, lifecycle, derived states. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "daemon/events_publish.h"
#include "daemon/specs.h"
#include "daemon/state.h"
#include "util/xalloc.h"

static const char *const wstate_names[] = {"pending", "running",  "succeeded",
                                           "failed",  "deleting", "suspended"};
static const char *const tstate_names[] = {"pending",   "running", "stopping",
                                           "succeeded", "failed",  "pipelined"};
static const char *const wkind_names[] = {
#define AL__WKIND_NAME(id, name) name,
    AL__WKINDS(AL__WKIND_NAME)
#undef AL__WKIND_NAME
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *al__wstate_name(enum al__wstate s) {
    return (size_t)s < COUNT(wstate_names) ? wstate_names[s] : "unknown";
}

const char *al__tstate_name(enum al__tstate s) {
    return (size_t)s < COUNT(tstate_names) ? tstate_names[s] : "unknown";
}

const char *al__wkind_name(enum al__wkind k) {
    return (size_t)k < COUNT(wkind_names) ? wkind_names[k] : "unknown";
}

static int parse_name(const char *const *names, size_t count, const char *name, int *out) {
    for (size_t i = 0; i < count; i++) {
        if (strcmp(names[i], name) == 0) {
            *out = (int)i;
            return 0;
        }
    }
    return -AL_EINVAL;
}

int al__wstate_parse(const char *name, enum al__wstate *out) {
    int v;
    if (parse_name(wstate_names, COUNT(wstate_names), name, &v) < 0)
        return -AL_EINVAL;
    *out = (enum al__wstate)v;
    return 0;
}

int al__wkind_parse(const char *name, enum al__wkind *out) {
    int v;
    if (parse_name(wkind_names, COUNT(wkind_names), name, &v) < 0)
        return -AL_EINVAL;
    *out = (enum al__wkind)v;
    return 0;
}

int al__tstate_parse(const char *name, enum al__tstate *out) {
    int v;
    if (parse_name(tstate_names, COUNT(tstate_names), name, &v) < 0)
        return -AL_EINVAL;
    *out = (enum al__tstate)v;
    return 0;
}

struct al__dqueue *al__state_queue(struct al__state *st, const char *name) {
    uintptr_t at = (uintptr_t)al__strmap_get(&st->queue_by_name, name);
    return at ? &st->queues[at - 1] : NULL;
}

void al__state_index_queues(struct al__state *st) {
    al__strmap_clear(&st->queue_by_name); /* its keys live in the array, which may have moved */
    for (size_t i = 0; i < st->queue_count; i++)
        al__strmap_put(&st->queue_by_name, st->queues[i].name, (void *)(uintptr_t)(i + 1));
}

void al__workload_key(const char *project, const char *name, char *out) {
    snprintf(out, 2 * AL__NAME_MAX, "%.63s/%.63s", project, name);
}

void al__workload_name_set(struct al__dworkload *w, const char *project, const char *name) {
    snprintf(w->name, sizeof(w->name), "%s", name);
    snprintf(w->project, sizeof(w->project), "%s", project);
    al__workload_key(project, name, w->key);
}

struct al__dworkload *al__state_workload(struct al__state *st, const char *project,
                                         const char *name) {
    char key[2 * AL__NAME_MAX];
    al__workload_key(project, name, key);
    return al__strmap_get(&st->workload_by_name, key);
}

int32_t al__state_node(struct al__state *st, const char *name) {
    void *v = al__strmap_get(&st->node_by_name, name);
    if (v)
        return (int32_t)((uintptr_t)v - 1);
    al__xgrow(&st->node_names, &st->node_cap, st->node_count + 1, sizeof(*st->node_names));
    st->node_names[st->node_count] = al__xstrdup(name);
    al__strmap_put(&st->node_by_name, st->node_names[st->node_count],
                   (void *)(uintptr_t)(st->node_count + 1));
    return (int32_t)st->node_count++;
}

const char *al__state_node_name(const struct al__state *st, int32_t node) {
    return node >= 0 && (size_t)node < st->node_count ? st->node_names[node] : "";
}

void al__state_renumber_nodes(struct al__state *st, const struct al__inventory *inv) {
    char **old = st->node_names;
    size_t old_count = st->node_count;
    st->node_names = NULL;
    st->node_count = st->node_cap = 0;
    al__strmap_clear(&st->node_by_name);
    for (size_t i = 0; i < inv->node_count; i++)
        al__state_node(st, inv->nodes[i].name);
    int32_t *to = al__xcalloc(old_count + 1, sizeof(*to));
    for (size_t i = 0; i < old_count; i++)
        to[i] = al__state_node(st, old[i]);
    for (size_t i = 0; i < st->workload_count; i++) {
        struct al__dworkload *w = st->workloads[i];
        for (int32_t k = 0; k < w->spec.workers; k++)
            if (w->tasks[k].node >= 0 && (size_t)w->tasks[k].node < old_count)
                w->tasks[k].node = to[w->tasks[k].node];
    }
    for (size_t i = 0; i < old_count; i++)
        free(old[i]);
    free(old);
    free(to);
    st->renumbered++;
}

struct al__dqueue *al__state_add_queue(struct al__state *st, const struct al__dqueue *q) {
    al__xgrow(&st->queues, &st->queue_cap, st->queue_count + 1, sizeof(*st->queues));
    st->queues[st->queue_count++] = *q;
    al__state_index_queues(st);
    al__publish_queue(st, &st->queues[st->queue_count - 1], "queue.created");
    return &st->queues[st->queue_count - 1];
}

void al__state_remove_queue(struct al__state *st, const char *name) {
    struct al__dqueue *q = al__state_queue(st, name);
    if (!q)
        return;
    al__publish_queue(st, q, "queue.deleted");
    size_t i = (size_t)(q - st->queues);
    memmove(&st->queues[i], &st->queues[i + 1], (st->queue_count - i - 1) * sizeof(*q));
    st->queue_count--;
    al__state_index_queues(st);
    st->removals++;
    st->queue_removals++;
}

static void insert(struct al__state *st, enum al__wset set, struct al__dworkload *w);

void al__state_add_workload(struct al__state *st, struct al__dworkload *w) {
    al__xgrow(&st->workloads, &st->workload_cap, st->workload_count + 1, sizeof(*st->workloads));
    st->workloads[st->workload_count++] = w;
    al__strmap_put(&st->workload_by_name, w->key, w);
    insert(st, AL__CHANGED, w);
    al__publish_workload(st, w, "workload.submitted", NULL);
}

static bool task_active(const struct al__dtask *t);

void al__workload_sets_init(struct al__dworkload *w) {
    for (int k = 0; k < AL__WSETS; k++)
        w->at[k] = -1;
    w->model_ticket = -1;
}

static void insert(struct al__state *st, enum al__wset set, struct al__dworkload *w) {
    struct al__wset_items *l = &st->sets[set];
    if (w->at[set] >= 0)
        return;
    al__xgrow(&l->items, &l->cap, l->count + 1, sizeof(*l->items));
    w->at[set] = (int64_t)l->count;
    l->items[l->count++] = w;
}

void al__state_add_to(struct al__state *st, enum al__wset set, struct al__dworkload *w) {
    st->task_changes++;
    insert(st, set, w);
    insert(st, AL__CHANGED, w);
}

void al__state_changed(struct al__state *st, struct al__dworkload *w) {
    insert(st, AL__CHANGED, w);
}

static void remove_from(struct al__state *st, enum al__wset set, struct al__dworkload *w) {
    struct al__wset_items *l = &st->sets[set];
    if (w->at[set] < 0)
        return;
    struct al__dworkload *last = l->items[--l->count];
    l->items[w->at[set]] = last;
    last->at[set] = w->at[set];
    w->at[set] = -1;
}

/* w leaves memory: out of every set, and its place in the kept model is given up. */
static void forget(struct al__state *st, struct al__dworkload *w) {
    for (int k = 0; k < AL__WSETS; k++)
        remove_from(st, (enum al__wset)k, w);
    if (w->model_ticket >= 0) {
        al__xgrow(&st->gone_tickets, &st->gone_cap, st->gone_count + 1, sizeof(*st->gone_tickets));
        st->gone_tickets[st->gone_count++] = w->model_ticket;
        w->model_ticket = -1;
    }
}

static bool belongs(const struct al__dworkload *w, enum al__wset set) {
    if (w->state == AL__W_DELETING)
        return true;
    for (int32_t i = 0; i < w->spec.workers; i++) {
        enum al__tstate ts = w->tasks[i].state;
        if (ts == AL__T_STOPPING ||
            ((set == AL__HOLDING || set == AL__TIMED) && ts == AL__T_RUNNING) ||
            (set == AL__HOLDING && ts == AL__T_PIPELINED))
            return true;
    }
    return false;
}

void al__state_prune(struct al__state *st, enum al__wset set) {
    struct al__wset_items *l = &st->sets[set];
    if (st->pruned_at[set] == st->task_changes) /* nothing changed since: nothing to drop */
        return;
    st->pruned_at[set] = st->task_changes;
    for (size_t i = l->count; i-- > 0;) {
        struct al__dworkload *w = l->items[i];
        if (belongs(w, set))
            continue;
        if (set == AL__HOLDING && w->stale_since_s >= 0) {
            w->stale_since_s = -1;
            insert(st, AL__CHANGED, w);
        }
        remove_from(st, set, w);
    }
}

void al__state_remove_workload(struct al__state *st, struct al__dworkload *w) {
    al__publish_workload(st, w, "workload.deleted", NULL);
    st->removals++;
    forget(st, w);
    if (al__strmap_get(&st->workload_by_name, w->key) == w)
        al__strmap_remove(&st->workload_by_name, w->key);
    for (size_t i = 0; i < st->workload_count; i++) {
        if (st->workloads[i] == w) {
            memmove(&st->workloads[i], &st->workloads[i + 1],
                    (st->workload_count - i - 1) * sizeof(*st->workloads));
            st->workload_count--;
            break;
        }
    }
    al__workload_free(w);
}

void al__state_add_retired(struct al__state *st, int64_t id, const char *name,
                           const char *project) {
    struct al__retired *r = al__xcalloc(1, sizeof(*r));
    r->id = id;
    snprintf(r->name, sizeof(r->name), "%s", name);
    snprintf(r->project, sizeof(r->project), "%s", project);
    al__workload_key(project, name, r->key);
    al__state_forget_retired(st, project, name);
    al__strmap_put(&st->retired, r->key, r);
}

const struct al__retired *al__state_retired(const struct al__state *st, const char *project,
                                            const char *name) {
    char key[2 * AL__NAME_MAX];
    al__workload_key(project, name, key);
    return al__strmap_get(&st->retired, key);
}

void al__state_forget_retired(struct al__state *st, const char *project, const char *name) {
    char key[2 * AL__NAME_MAX];
    al__workload_key(project, name, key);
    struct al__retired *r = al__strmap_get(&st->retired, key);
    if (!r)
        return;
    al__strmap_remove(&st->retired, key);
    free(r);
}

size_t al__state_retire(struct al__state *st, int64_t before_s) {
    size_t kept = 0, retired = 0;
    for (size_t i = 0; i < st->workload_count; i++) {
        struct al__dworkload *w = st->workloads[i];
        bool done = w->state == AL__W_SUCCEEDED || w->state == AL__W_FAILED;
        if (!done || w->finished_s < 0 || w->finished_s >= before_s) {
            st->workloads[kept++] = w;
            continue;
        }
        if (al__strmap_get(&st->workload_by_name, w->key) == w)
            al__strmap_remove(&st->workload_by_name, w->key);
        forget(st, w);
        al__state_add_retired(st, w->id, w->name, w->project);
        al__workload_free(w);
        retired++;
    }
    st->workload_count = kept;
    st->removals += retired;
    return retired;
}

void al__workload_alloc_tasks(struct al__dworkload *w) {
    w->tasks = al__xcalloc((size_t)w->spec.workers, sizeof(*w->tasks));
    for (int32_t i = 0; i < w->spec.workers; i++) {
        w->tasks[i].index = i;
        w->tasks[i].node = -1;
        w->tasks[i].started_s = w->tasks[i].finished_s = -1;
    }
    w->started_s = w->stale_since_s = w->pending_since_s = -1;
}

struct al__task_request al__task_request_of_spec(const struct al__wspec *s) {
    return (struct al__task_request){s->gpus,
                                     s->gpu_milli,
                                     s->gpu_memory_mib,
                                     s->gpu_device_count,
                                     s->cpu_millis,
                                     s->memory_bytes,
                                     s->gpu_milli_limit,
                                     s->gpu_memory_limit_mib,
                                     al__mig_asks_milli(s->migs, (size_t)s->mig_profiles)};
}

int64_t al__task_device_milli(const struct al__task_request *r, int32_t device_mib) {
    if (r->gpus > 0)
        return 1000;
    if (r->gpu_milli > 0)
        return r->gpu_milli;
    if (r->gpu_memory_mib > 0 && device_mib > 0)
        return al_gpu_memory_milli(r->gpu_memory_mib, device_mib);
    return 0;
}

int64_t al__task_request_milli(const struct al__task_request *r, int32_t device_mib) {
    if (r->gpus > 0)
        return (int64_t)r->gpus * 1000 + r->mig_milli;
    if (r->gpu_milli > 0 || r->gpu_memory_mib > 0)
        return al__task_device_milli(r, device_mib) * r->gpu_device_count + r->mig_milli;
    return r->mig_milli;
}

struct al__task_request al__task_request_of(const struct al__dworkload *w, int32_t i) {
    if (w->requests)
        return w->requests[i];
    return al__task_request_of_spec(&w->spec);
}

int32_t al__task_subgroup(const struct al__dworkload *w, int32_t i) {
    if (w->task_subgroups)
        return w->task_subgroups[i];
    for (int32_t g = 0, end = 0; g < w->spec.subgroup_count; g++) {
        end += w->spec.subgroups[g].workers;
        if (i < end)
            return g;
    }
    return -1;
}

void al__workload_free(struct al__dworkload *w) {
    if (!w)
        return;
    free(w->requests);
    free(w->task_subgroups);
    for (int32_t i = 0; w->tasks && i < w->spec.workers; i++) {
        free(w->tasks[i].stopped_why);
        free(w->tasks[i].mig_instances);
    }
    al__wspec_release(&w->spec);
    free(w->reason);
    free(w->tasks);
    free(w);
}

/* dst (of `size`) = src[0..n), cut to fit, NUL-terminated. */
static void copy_cut(char *dst, size_t size, const char *src, size_t n) {
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void al__workload_set_reason(struct al__dworkload *w, const char *code, const char *text) {
    w->why_known = false;
    free(w->reason);
    w->reason = text ? al__xstrdup(text) : NULL;
    w->reason_code[0] = w->reason_short[0] = '\0';
    if (code) {
        const char *slash = strchr(code, '/');
        copy_cut(w->reason_code, sizeof(w->reason_code), code,
                 slash ? (size_t)(slash - code) : strlen(code));
        if (slash)
            copy_cut(w->reason_short, sizeof(w->reason_short), slash + 1, strlen(slash + 1));
    }
}

const char *al__workload_reason_stored(const struct al__dworkload *w, char *buf, size_t size) {
    if (!w->reason_code[0])
        return NULL;
    snprintf(buf, size, "%s%s%s", w->reason_code, w->reason_short[0] ? "/" : "", w->reason_short);
    return buf;
}

bool al__workload_reason_is(const struct al__dworkload *w, const char *code, const char *text) {
    char stored[64];
    const char *mine = al__workload_reason_stored(w, stored, sizeof(stored));

    if ((mine == NULL) != (code == NULL) || (mine && strcmp(mine, code) != 0))
        return false;
    return (!text && !w->reason) || (text && w->reason && strcmp(text, w->reason) == 0);
}

static bool task_active(const struct al__dtask *t) {
    return t->state == AL__T_RUNNING || t->state == AL__T_STOPPING;
}

bool al__workload_is_active(const struct al__dworkload *w) {
    for (int32_t i = 0; i < w->spec.workers; i++)
        if (task_active(&w->tasks[i]))
            return true;
    return false;
}

static bool not_failed(const struct al__dtask *t) {
    return t->state != AL__T_FAILED;
}

static bool held(const struct al__dtask *t) {
    return task_active(t) || t->state == AL__T_PIPELINED;
}

bool al__workload_below_minimum(const struct al__dworkload *w,
                                bool (*counts)(const struct al__dtask *t)) {
    int32_t n = 0, g = -1, end = 0, few[AL__SUBGROUPS_MAX] = {0};
    if (w->spec.subgroup_count == 0) {
        for (int32_t i = 0; i < w->spec.workers; i++)
            n += counts(&w->tasks[i]);
        return n < w->spec.min_members;
    }
    /* (a mirrored job may have more subgroups than a submitted one) */
    int32_t *per = w->spec.subgroup_count <= AL__SUBGROUPS_MAX
                       ? few
                       : al__xcalloc((size_t)w->spec.subgroup_count, sizeof(*per));
    for (int32_t i = 0; i < w->spec.workers; i++) {
        /* in order: the next subgroup once this one's workers are passed (al__task_subgroup
         * without its walk from the first) */
        while (!w->task_subgroups && i >= end && g + 1 < w->spec.subgroup_count)
            end += w->spec.subgroups[++g].workers;
        per[w->task_subgroups ? w->task_subgroups[i] : g] += counts(&w->tasks[i]);
    }
    bool below = false;
    for (g = 0; g < w->spec.subgroup_count && !below; g++)
        below = per[g] < w->spec.subgroups[g].min_members;
    if (per != few)
        free(per);
    return below;
}

void al__workload_refresh_state(struct al__state *st, struct al__dworkload *w) {
    size_t active = 0, finished = 0, failed = 0;
    int first_failure = 0;
    enum al__wstate before = w->state;

    insert(st, AL__CHANGED, w);
    if (w->state == AL__W_DELETING || w->state == AL__W_SUSPENDED)
        return;
    for (int32_t i = 0; i < w->spec.workers; i++) {
        const struct al__dtask *t = &w->tasks[i];
        if (task_active(t))
            active++;
        if (t->state == AL__T_SUCCEEDED || t->state == AL__T_FAILED)
            finished++;
        if (t->state == AL__T_FAILED && failed++ == 0)
            first_failure = t->exit_code;
    }
    if (active > 0) {
        w->state = AL__W_RUNNING;
    } else if (finished == (size_t)w->spec.workers ||
               (failed > 0 && al__workload_below_minimum(w, not_failed))) {
        /* A gang (or a subgroup) that lost members to failures can never be whole again. */
        w->state = failed ? AL__W_FAILED : AL__W_SUCCEEDED;
        w->exit_code = failed ? first_failure : 0;
    } else {
        w->state = AL__W_PENDING;
    }
    if (w->state != before && al__strmap_get(&st->workload_by_name, w->key) == w)
        al__publish_workload(st, w, "workload.state", al__wstate_name(before));
}

void al__task_requeue(struct al__state *st, struct al__dtask *t) {
    st->task_changes++;
    t->state = AL__T_PENDING;
    t->node = -1;
    t->gpu_count = 0;
    t->ref[0] = '\0';
    t->started_s = t->finished_s = -1;
    t->exit_code = 0;
    t->stop_sent_s = 0;
    t->killed = t->evicting = false;
    free(t->mig_instances);
    t->mig_instances = NULL;
}

void al__workload_track_stale(struct al__state *st, struct al__dworkload *w, int64_t now) {
    int64_t before = w->stale_since_s;
    int32_t holding = 0;
    bool succeeded = false;

    for (int32_t i = 0; i < w->spec.workers; i++) {
        const struct al__dtask *t = &w->tasks[i];
        holding += held(t);
        succeeded |= t->state == AL__T_SUCCEEDED;
    }
    if (holding > 0 && !succeeded && w->state != AL__W_DELETING && w->state != AL__W_SUSPENDED &&
        al__workload_below_minimum(w, held)) {
        if (w->stale_since_s < 0)
            w->stale_since_s = now;
    } else {
        w->stale_since_s = -1;
    }
    if (w->stale_since_s != before)
        insert(st, AL__CHANGED, w);
}

const char *al__state_owner(struct al__state *st, const char *subject) {
    char *copy;
    if (!subject || !subject[0])
        return "";
    copy = al__strmap_get(&st->owners, subject);
    if (!copy) {
        copy = al__xstrdup(subject);
        al__strmap_put(&st->owners, copy, copy);
    }
    return copy;
}

void al__state_release(struct al__state *st) {
    for (size_t i = 0; i < st->workload_count; i++)
        al__workload_free(st->workloads[i]);
    free(st->workloads);
    for (int k = 0; k < AL__WSETS; k++)
        free(st->sets[k].items);
    free(st->gone_tickets);
    free(st->queues);
    al__strmap_release(&st->workload_by_name);
    al__strmap_release(&st->queue_by_name);
    for (size_t i = 0; i < st->retired.capacity; i++)
        if (st->retired.keys[i])
            free(st->retired.values[i]);
    al__strmap_release(&st->retired);
    for (size_t i = 0; i < st->node_count; i++)
        free(st->node_names[i]);
    free(st->node_names);
    al__strmap_release(&st->node_by_name);
    for (size_t i = 0; i < st->owners.capacity; i++)
        if (st->owners.keys[i])
            free(st->owners.values[i]);
    al__strmap_release(&st->owners);
    memset(st, 0, sizeof(*st));
}
