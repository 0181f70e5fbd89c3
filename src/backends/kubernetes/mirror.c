/* mirror.c - the cluster in allotd's terms, for the backend's sync op: Queues as queues, the
 * pods of allot's schedulers grouped into workloads (a PodGroup each, with one task per pod),
 * Nodes less what other schedulers' pods hold as the inventory. Pods are read once per change
 * (the caches say which changed); a group is put again only when one of its pods, its
 * PodGroup, the queues or the priority classes changed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/model.h"
#include "backends/kubernetes/fields.h"
#include "backends/kubernetes/grouping.h"
#include "backends/kubernetes/kube.h"
#include "backends/kubernetes/owners.h"
#include "util/names.h"
#include "util/xalloc.h"

void al__kube_mirror_init(struct al__kube *k) {
    pthread_mutex_init(&k->lock, NULL);
    al__strmap_init(&k->pods);
    al__strmap_init(&k->by_uid);
    al__strmap_init(&k->groups);
    al__strmap_init(&k->workloads);
    al__strmap_init(&k->assumed);
    al__strmap_init(&k->evicting);
    al__strmap_init(&k->waiting);
    k->classes = json_object();
    k->never_classes = json_object();
    k->projects = json_object();
    k->reserving = json_object();
}

static void group_free(struct al__kube_group *g) {
    free(g->pods);
    free(g->uids);
    free(g);
}

void al__kube_mirror_release(struct al__kube *k) {
    for (size_t i = 0; i < k->pods.capacity; i++)
        if (k->pods.keys[i])
            free(k->pods.values[i]);
    for (size_t i = 0; i < k->groups.capacity; i++)
        if (k->groups.keys[i])
            group_free(k->groups.values[i]);
    for (size_t i = 0; i < k->assumed.capacity; i++)
        if (k->assumed.keys[i])
            free(k->assumed.values[i]);
    for (size_t i = 0; i < k->evicting.capacity; i++)
        if (k->evicting.keys[i])
            free(k->evicting.values[i]);
    for (size_t i = 0; i < k->waiting.capacity; i++)
        if (k->waiting.keys[i])
            free(k->waiting.values[i]);
    al__strmap_release(&k->waiting);
    al__strmap_release(&k->pods);
    al__strmap_release(&k->by_uid);
    al__strmap_release(&k->groups);
    al__strmap_release(&k->workloads);
    al__strmap_release(&k->assumed);
    al__strmap_release(&k->evicting);
    json_decref(k->classes);
    json_decref(k->never_classes);
    json_decref(k->projects);
    json_decref(k->reserving);
    for (size_t i = 0; i < k->queues_put_count; i++)
        free(k->queues_put[i]);
    free(k->queues_put);
    pthread_mutex_destroy(&k->lock);
}

static bool ours(const struct al__kube *k, const char *scheduler) {
    return strcmp(scheduler, k->scheduler) == 0 || strcmp(scheduler, "kai-scheduler") == 0;
}

/* ---- pods and their groups ---- */

static struct al__kube_group *group_get(struct al__kube *k, const char *key, bool create) {
    struct al__kube_group *g = al__strmap_get(&k->groups, key);
    if (g || !create)
        return g;
    g = al__xcalloc(1, sizeof(*g));
    snprintf(g->key, sizeof(g->key), "%s", key);
    al__strmap_put(&k->groups, g->key, g);
    return g;
}

static void group_leave(struct al__kube *k, struct al__kube_pod_entry *e) {
    struct al__kube_group *g = e->group[0] ? group_get(k, e->group, false) : NULL;
    if (!g)
        return;
    for (size_t i = 0; i < g->count; i++)
        if (g->pods[i] == e) {
            g->pods[i] = g->pods[--g->count];
            break;
        }
    g->dirty = true;
}

static void group_join(struct al__kube *k, struct al__kube_pod_entry *e) {
    struct al__kube_group *g = group_get(k, e->group, true);
    al__xgrow(&g->pods, &g->cap, g->count + 1, sizeof(*g->pods));
    g->pods[g->count++] = e;
    g->dirty = true;
}

/* "0,1" into devices; false when it is not a list of device numbers. */
static bool devices_read(const char *text, int32_t *out, size_t *count) {
    *count = 0;
    while (text && *text) {
        char *end;
        long v = strtol(text, &end, 10);
        if (end == text || v < 0 || v > 4096 || *count == AL__KUBE_DEVICES_MAX)
            return false;
        out[(*count)++] = (int32_t)v;
        text = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return false;
    }
    return *count > 0;
}

/* The exit code of a failed pod: its first container that ended with one that is not 0. */
static int exit_code_of(json_t *o) {
    json_t *statuses = json_object_get(json_object_get(o, "status"), "containerStatuses"), *s;
    size_t i;
    json_array_foreach(statuses, i, s) {
        json_t *ended = json_object_get(json_object_get(s, "state"), "terminated");
        int code = (int)json_integer_value(json_object_get(ended, "exitCode"));
        if (code != 0)
            return code;
    }
    return 1;
}

/* Owners as the owner reader knows them (owners.c): an owner not read yet leaves the pod
 * waiting (pending). */
struct lookup {
    struct al__kube *k;
    bool pending;
    int32_t gang;
};

static bool owner_lookup(void *arg, const char *ns, const struct al__kube_owner *of,
                         struct al__kube_owner *controller) {
    struct lookup *l = arg;
    int32_t gang = 1;
    if (!l->k->owners) /* no reader: a pod's own controller is its top */
        return false;
    switch (al__kube_owners_get(l->k->owners, ns, of, controller, &gang)) {
    case AL__OWNER_PENDING:
        l->pending = true;
        return false;
    case AL__OWNER_TOP:
        l->gang = gang;
        return false;
    default:
        return true;
    }
}

/* Reads pod o into e; false (logged) when it cannot be read. */
static bool entry_read(struct al__kube *k, json_t *o, struct al__kube_pod_entry *e) {
    char err[1024];
    if (al__kube_pod_read(o, k->pool_label[0] ? k->pool_label : NULL, &e->pod, err, sizeof(err)) <
        0) {
        fprintf(stderr, "allotd: kubernetes: %s; not scheduled\n", err);
        return false;
    }
    e->ours = ours(k, e->pod.scheduler);
    e->group[0] = '\0';
    json_t *meta = json_object_get(o, "metadata"), *status = json_object_get(o, "status");
    e->reservation = al__kube_reservation_read(o, e->reservation_node, &e->reservation_device);
    json_t *notes = json_object_get(meta, "annotations");
    const char *uuid = json_string_value(json_object_get(notes, AL__KUBE_UUID_ANNOT));
    const char *uuids = json_string_value(json_object_get(notes, AL__KUBE_UUIDS_ANNOT));
    snprintf(e->gpu_uuid, sizeof(e->gpu_uuid), "%s", uuid ? uuid : "");
    snprintf(e->gpu_uuids, sizeof(e->gpu_uuids), "%s", uuids ? uuids : "");
    if (e->reservation)
        e->ours = false; /* its device is the shares' already */
    e->created_s = al__kube_time(meta, "creationTimestamp", -1);
    e->started_s = al__kube_time(status, "startTime", -1);
    e->finished_s = -1;
    e->exit_code = e->pod.phase == AL__POD_FAILED ? exit_code_of(o) : 0;
    e->devices_known =
        e->pod.node[0] &&
        devices_read(json_string_value(json_object_get(notes, AL__KUBE_DEVICES_ANNOT)), e->devices,
                     &e->device_count);
    if (!e->devices_known)
        e->device_count = 0;
    if (!e->ours)
        return true;
    struct al__kube_group_choice choice;
    struct lookup l = {.k = k, .gang = 1};
    if (al__kube_group_of(&e->pod, owner_lookup, &l, &choice, err, sizeof(err)) < 0) {
        fprintf(stderr, "allotd: kubernetes: %s; not scheduled\n", err);
        return false;
    }
    e->owner_pending = l.pending && choice.create;
    if (!e->owner_pending)
        snprintf(e->group, sizeof(e->group), "%s/%s", e->pod.namespace_, choice.pod_group);
    e->group_named = !choice.create;
    e->top = choice.top;
    e->gang = l.gang;
    return true;
}

static void assumption_drop(struct al__kube *k, const char *uid) {
    struct al__kube_assumed *a = al__strmap_get(&k->assumed, uid);
    if (a) {
        al__strmap_remove(&k->assumed, uid);
        free(a);
    }
}

/* Pod `key` changed: read again from the cache. *inventory is set when a pod of another
 * scheduler came, went or moved on a node (what it holds comes off the node). */
static void pod_changed(struct al__kube *k, const char *key, bool *inventory) {
    struct al__kube_pod_entry *e = al__strmap_get(&k->pods, key);
    json_t *o = al__kube_cache_get(k->watches[AL__KUBE_PODS].cache, key);
    if (e) {
        if (!e->ours && !e->reservation && e->pod.node[0])
            *inventory = true;
        group_leave(k, e);
        al__strmap_remove(&k->by_uid, e->pod.uid);
    }
    struct al__kube_pod_entry fresh;
    if (!o || !entry_read(k, o, &fresh)) {
        if (e) {
            assumption_drop(k, e->pod.uid);
            al__strmap_remove(&k->pods, key);
            free(e);
        }
        json_decref(o);
        return;
    }
    json_decref(o);
    if (!e) {
        e = al__xmalloc(sizeof(*e));
        snprintf(fresh.key, sizeof(fresh.key), "%s", key);
    } else {
        snprintf(fresh.key, sizeof(fresh.key), "%s", e->key);
        if (!fresh.devices_known && e->devices_known && strcmp(e->pod.node, fresh.pod.node) == 0) {
            memcpy(fresh.devices, e->devices, sizeof(fresh.devices)); /* assigned before */
            fresh.device_count = e->device_count;
            fresh.devices_known = true;
        }
    }
    *e = fresh;
    al__strmap_put(&k->pods, e->key, e);
    al__strmap_put(&k->by_uid, e->pod.uid, e);
    if (!e->ours) {
        if (e->pod.node[0] && !e->reservation)
            *inventory = true;
        return;
    }
    if (e->pod.node[0])
        assumption_drop(k, e->pod.uid); /* the watch shows the bind now */
    if (e->owner_pending) {             /* read again once its owners are */
        if (!al__strmap_get(&k->waiting, e->key)) {
            char *copy = al__xstrdup(e->key);
            al__strmap_put(&k->waiting, copy, copy);
        }
        return;
    }
    group_join(k, e);
}

/* ---- the inventory (inventory.c reads it) ---- */

static bool same_node(const struct al__node *a, const struct al__node *b) {
    if (strcmp(a->name, b->name) != 0 || strcmp(a->pool, b->pool) != 0 ||
        a->unschedulable != b->unschedulable || a->cpu_millis != b->cpu_millis ||
        a->memory_bytes != b->memory_bytes || a->gpu_count != b->gpu_count ||
        a->label_count != b->label_count || a->mig_count != b->mig_count)
        return false;
    for (size_t m = 0; m < a->mig_count; m++)
        if (strcmp(a->migs[m].profile, b->migs[m].profile) != 0 ||
            a->migs[m].count != b->migs[m].count)
            return false;
    for (size_t g = 0; g < a->gpu_count; g++)
        if (a->gpus[g].memory_mib != b->gpus[g].memory_mib ||
            strcmp(a->gpus[g].model, b->gpus[g].model) != 0)
            return false;
    for (size_t l = 0; l < a->label_count; l++)
        if (strcmp(a->labels[l].key, b->labels[l].key) != 0 ||
            strcmp(a->labels[l].value, b->labels[l].value) != 0)
            return false;
    return true;
}

static bool same_topology(const struct al_topology *a, const struct al_topology *b) {
    if (strcmp(a->name, b->name) != 0 || a->level_count != b->level_count)
        return false;
    for (size_t l = 0; l < a->level_count; l++)
        if (strcmp(a->levels[l], b->levels[l]) != 0)
            return false;
    return true;
}

static void inventory_sync(struct al__kube *k, const struct al__mirror *m) {
    struct al__inventory fresh, *have = &k->b->inventory;
    al__kube_inventory(k, &fresh);
    bool same =
        fresh.node_count == have->node_count && fresh.topology_count == have->topology_count;
    for (size_t i = 0; same && i < fresh.node_count; i++)
        same = same_node(&fresh.nodes[i], &have->nodes[i]);
    for (size_t i = 0; same && i < fresh.topology_count; i++)
        same = same_topology(&fresh.topologies[i], &have->topologies[i]);
    if (same) {
        al__inventory_release(&fresh);
        return;
    }
    al__inventory_release(have);
    *have = fresh;
    m->inventory_changed(m->arg);
}

/* ---- queues ---- */

static int by_depth(const void *a, const void *b) {
    const struct al__kube_queue *x = a, *y = b;
    return (x->parent[0] != 0) - (y->parent[0] != 0);
}

static void queues_sync(struct al__kube *k, const struct al__mirror *m) {
    json_t *all = al__kube_cache_all(k->watches[AL__KUBE_QUEUES].cache), *o;
    size_t i, n = 0;
    char err[512];
    struct al__kube_queue *qs = al__xcalloc(json_array_size(all) + 1, sizeof(*qs));
    int64_t *created = al__xcalloc(json_array_size(all) + 1, sizeof(*created));
    json_array_foreach(all, i, o) {
        if (al__kube_queue_read(o, &qs[n], err, sizeof(err)) < 0) {
            fprintf(stderr, "allotd: kubernetes: %s; not used\n", err);
            continue;
        }
        created[n++] = al__kube_time(json_object_get(o, "metadata"), "creationTimestamp", 0);
    }
    json_decref(all);
    int64_t divisor, largest;
    al__kube_queue_weights(qs, n, &divisor, &largest);
    /* Parents first (one level of departments); a queue whose parent is not there is out. */
    struct {
        struct al__kube_queue q;
        int64_t created;
    } *sorted = al__xcalloc(n + 1, sizeof(*sorted));
    for (size_t q = 0; q < n; q++) {
        sorted[q].q = qs[q];
        sorted[q].created = created[q];
    }
    qsort(sorted, n, sizeof(*sorted), by_depth);
    json_object_clear(k->projects);
    char **put = al__xcalloc(n + 1, sizeof(*put));
    size_t put_count = 0;
    for (size_t q = 0; q < n; q++) {
        const struct al__kube_queue *kq = &sorted[q].q;
        bool parent_there = !kq->parent[0], has_children = false;
        for (size_t p = 0; p < n; p++) {
            parent_there |= strcmp(sorted[p].q.name, kq->parent) == 0 && !sorted[p].q.parent[0];
            has_children |= strcmp(sorted[p].q.parent, kq->name) == 0;
        }
        if (!parent_there) {
            fprintf(stderr,
                    "allotd: kubernetes: queue %s: spec.parentQueue \"%s\" is not a "
                    "top-level queue; not used\n",
                    kq->name, kq->parent);
            continue;
        }
        bool project =
            kq->kind == AL__QUEUE_KIND_BY_PLACE ? !has_children : kq->kind == AL__QUEUE_PROJECT;
        struct al__mirror_queue mq = {.name = kq->name,
                                      .parent = kq->parent,
                                      .project = project,
                                      .priority = kq->priority,
                                      .created_s = sorted[q].created,
                                      .has_preempt_min_runtime = kq->has_preempt_min_runtime,
                                      .has_reclaim_min_runtime = kq->has_reclaim_min_runtime,
                                      .preempt_min_runtime_s = kq->preempt_min_runtime_s,
                                      .reclaim_min_runtime_s = kq->reclaim_min_runtime_s};
        memcpy(mq.deserved, kq->deserved, sizeof(mq.deserved));
        memcpy(mq.limit, kq->limit, sizeof(mq.limit));
        for (int r = 0; r < 3; r++)
            mq.weight[r] = al__kube_queue_weight(kq->weight[r], divisor, largest);
        m->queue_put(m->arg, &mq);
        put[put_count++] = al__xstrdup(kq->name);
        if (project)
            json_object_set_new(k->projects, kq->name, json_true());
    }
    for (size_t i2 = k->queues_put_count; i2-- > 0;) { /* children were put after parents */
        bool still = false;
        for (size_t p = 0; p < put_count && !still; p++)
            still = strcmp(put[p], k->queues_put[i2]) == 0;
        if (!still)
            m->queue_remove(m->arg, k->queues_put[i2]);
        free(k->queues_put[i2]);
    }
    free(k->queues_put);
    k->queues_put = put;
    k->queues_put_count = put_count;
    free(sorted);
    free(qs);
    free(created);
}

static void classes_sync(struct al__kube *k) {
    json_t *all = al__kube_cache_all(k->watches[AL__KUBE_CLASSES].cache), *o;
    size_t i;
    char name[254], err[512];
    json_object_clear(k->classes);
    json_object_clear(k->never_classes);
    json_array_foreach(all, i, o) {
        int32_t value;
        if (al__kube_priority_class_read(o, name, sizeof(name), &value, err, sizeof(err)) < 0)
            continue;
        json_object_set_new(k->classes, name, json_integer(value));
        if (al__kube_priority_class_never(o))
            json_object_set_new(k->never_classes, name, json_true());
    }
    json_decref(all);
}

/* ---- groups into workloads ---- */

/* The workload name of group g in `project`: its PodGroup's name when that is a valid allot name
 * no other group of the project has, else a shortened one with a hash of the group's key. */
static void workload_name(struct al__kube *k, const struct al__kube_group *g, const char *project,
                          char out[64]) {
    const char *pg = strchr(g->key, '/') + 1;
    char key[200];
    snprintf(out, 64, "%.63s", pg);
    snprintf(key, sizeof(key), "%.63s/%.63s", project, out);
    struct al__kube_group *holder = al__strmap_get(&k->workloads, key);
    if (strlen(pg) < 64 && al__name_valid(pg) && (!holder || holder == g))
        return;
    size_t n = 0;
    for (const char *c = pg; *c && n < 54; c++)
        out[n++] = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ? *c : '-';
    while (n > 0 && out[n - 1] == '-')
        n--;
    snprintf(out + n, 64 - n, "%s%08x", n ? "-" : "", al__kube_hash(g->key));
}

static int by_pod_name(const void *a, const void *b) {
    return strcmp((*(struct al__kube_pod_entry *const *)a)->pod.name,
                  (*(struct al__kube_pod_entry *const *)b)->pod.name);
}

/* Removes what was last put of g. */
static void group_unput(struct al__kube *k, struct al__kube_group *g, const struct al__mirror *m) {
    if (!g->project[0])
        return;
    if (al__strmap_get(&k->workloads, g->wkey) == g)
        al__strmap_remove(&k->workloads, g->wkey);
    m->workload_remove(m->arg, g->project, g->name);
    g->project[0] = g->name[0] = '\0';
    g->uid_count = 0;
}

/* A bound pod's devices when it was not bound by allot (no annotation): the lowest ones no
 * other pod on its node holds. */
static void devices_assign(struct al__kube *k, struct al__kube_pod_entry *e, size_t node_devices) {
    int32_t wanted = e->pod.gpus > 0 ? e->pod.gpus : e->pod.gpu_devices;
    bool *taken = al__xcalloc(node_devices + 1, sizeof(*taken));
    for (size_t p = 0; p < k->pods.capacity; p++) {
        const struct al__kube_pod_entry *o = k->pods.values[p];
        if (!k->pods.keys[p] || o == e || !o->devices_known || strcmp(o->pod.node, e->pod.node))
            continue;
        for (size_t i = 0; i < o->device_count; i++)
            if ((size_t)o->devices[i] < node_devices && o->pod.gpus > 0)
                taken[o->devices[i]] = true;
    }
    e->device_count = 0;
    for (size_t d = 0; d < node_devices && (int32_t)e->device_count < wanted; d++)
        if (!taken[d])
            e->devices[e->device_count++] = (int32_t)d;
    e->devices_known = true;
    free(taken);
}

struct group_form {
    char queue[254], cls[254];
    bool has_priority;
    int32_t priority, min_members;
    int preemptibility;
    struct al__kube_topology_constraint topology; /* levels as node labels ("" = none) */
    char pool[64];                                /* the PodGroup's pool label, "" = none */
    struct al__kube_leaves leaves;                /* its sub-groups (group_put releases) */
    char refused[512]; /* why its sub-groups cannot be modelled ("" = they can, or none) */
};

/* What g's PodGroup says - or, for a group allot makes whose PodGroup is not there yet, its
 * first pod and its top owner; false when g cannot be a workload yet (the PodGroup its pods
 * name is not there). */
static bool group_form(struct al__kube *k, struct al__kube_group *g, struct group_form *f) {
    const struct al__kube_pod_entry *first = g->pods[0];
    memset(f, 0, sizeof(*f));
    f->has_priority = first->pod.has_priority;
    f->priority = first->pod.priority;
    json_t *o = al__kube_cache_get(k->watches[AL__KUBE_GROUPS].cache, g->key);
    if (!o && !first->group_named) {
        snprintf(f->queue, sizeof(f->queue), "%s", first->pod.queue);
        snprintf(f->cls, sizeof(f->cls), "%s", first->pod.priority_class);
        f->min_members = first->gang;
        f->preemptibility = first->pod.preemptibility; /* its label, as KAI's pod grouper */
        al__kube_top_topology(k, first, &f->topology);
        return true;
    }
    struct al__kube_pod_group pg;
    char err[512];
    if (!o)
        return false;
    int rc =
        al__kube_pod_group_read(o, k->pool_label[0] ? k->pool_label : NULL, &pg, err, sizeof(err));
    json_decref(o);
    if (rc < 0) {
        fprintf(stderr, "allotd: kubernetes: %s; not scheduled\n", err);
        return false;
    }
    snprintf(f->queue, sizeof(f->queue), "%s", pg.queue);
    snprintf(f->cls, sizeof(f->cls), "%s", pg.priority_class);
    f->min_members = pg.min_members;
    f->preemptibility = pg.preemptibility;
    snprintf(f->pool, sizeof(f->pool), "%s", pg.pool);
    if (pg.topology.topology[0]) /* KAI ignores a constraint that names no topology */
        f->topology = pg.topology;
    al__kube_level_label(k, f->topology.topology, f->topology.required,
                         sizeof(f->topology.required));
    al__kube_level_label(k, f->topology.topology, f->topology.preferred,
                         sizeof(f->topology.preferred));
    rc = al__kube_leaves_read(k, &pg, &f->topology, &f->leaves, f->refused, sizeof(f->refused));
    al__kube_pod_group_release(&pg);
    return rc == 0;
}

/* The PodGroup of a group allot made of an owner's pods, created in the cluster (as KAI's pod
 * grouper does) so that it can be seen, its status kept and its minimum changed; owned by the
 * top owner, so that it goes with it. Asked once per group. */
static void group_create(struct al__kube *k, struct al__kube_group *g, const struct group_form *f) {
    const struct al__kube_pod_entry *first = g->pods[0];
    if (first->group_named || g->create_asked || !al__kube_acting(k) || !first->top.uid[0])
        return;
    json_t *o = al__kube_cache_get(k->watches[AL__KUBE_GROUPS].cache, g->key);
    json_decref(o);
    if (o)
        return;
    g->create_asked = true;
    const char *slash = strchr(g->key, '/');
    char ns[64], path[400], what[600];
    snprintf(ns, sizeof(ns), "%.*s", (int)(slash - g->key), g->key);
    json_t *spec = json_pack("{s:s, s:i}", "queue", f->queue, "minMember", (int)f->min_members);
    if (f->topology.topology[0]) { /* as KAI's grouper: the top owner's annotations */
        json_t *c = json_pack("{s:s}", "topology", f->topology.topology);
        if (f->topology.required[0])
            json_object_set_new(c, "requiredTopologyLevel", json_string(f->topology.required));
        if (f->topology.preferred[0])
            json_object_set_new(c, "preferredTopologyLevel", json_string(f->topology.preferred));
        json_object_set_new(spec, "topologyConstraint", c);
    }
    if (f->cls[0])
        json_object_set_new(spec, "priorityClassName", json_string(f->cls));
    static const char *const modes[] = {NULL, "preemptible", "non-preemptible", "semi-preemptible"};
    if (f->preemptibility > 0 && f->preemptibility < 4)
        json_object_set_new(spec, "preemptibility", json_string(modes[f->preemptibility]));
    json_t *group = json_pack(
        "{s:s, s:s, s:{s:s, s:s, s:{s:s}, s:[{s:s, s:s, s:s, s:s, s:b}]}, s:o}", "apiVersion",
        "scheduling.run.ai/v2alpha2", "kind", "PodGroup", "metadata", "name", slash + 1,
        "namespace", ns, "labels", "app.kubernetes.io/managed-by", "allot", "ownerReferences",
        "apiVersion", first->top.api_version, "kind", first->top.kind, "name", first->top.name,
        "uid", first->top.uid, "blockOwnerDeletion", false, "spec", spec);
    snprintf(path, sizeof(path), "/apis/scheduling.run.ai/v2alpha2/namespaces/%s/podgroups", ns);
    snprintf(what, sizeof(what), "creating pod group %s", g->key);
    al__kube_write(k->writer, "POST", path, "application/json", group, what);
}

static enum al__mirror_task_state task_state(struct al__kube *k, const struct al__kube_pod_entry *e,
                                             const char **node) {
    *node = e->pod.node;
    if (e->pod.phase == AL__POD_SUCCEEDED)
        return AL__MIRROR_SUCCEEDED;
    if (e->pod.phase == AL__POD_FAILED)
        return AL__MIRROR_FAILED;
    if (!e->pod.node[0]) {
        const struct al__kube_assumed *a = al__strmap_get(&k->assumed, e->pod.uid);
        if (!a)
            return AL__MIRROR_PENDING;
        *node = a->node;
        return al__strmap_get(&k->evicting, e->pod.uid) ? AL__MIRROR_STOPPING : AL__MIRROR_RUNNING;
    }
    return e->pod.terminating || al__strmap_get(&k->evicting, e->pod.uid) ? AL__MIRROR_STOPPING
                                                                          : AL__MIRROR_RUNNING;
}

/* The PodGroup's status from its pods (phase and counts), written when it changed. */
static void status_write(struct al__kube *k, struct al__kube_group *g,
                         const struct al__mirror_task *tasks, size_t n) {
    int count[5] = {0}; /* by enum al__mirror_task_state */
    for (size_t i = 0; i < n; i++)
        count[tasks[i].state]++;
    int running = count[AL__MIRROR_RUNNING] + count[AL__MIRROR_STOPPING];
    int done = count[AL__MIRROR_SUCCEEDED] + count[AL__MIRROR_FAILED];
    const char *phase = running > 0      ? "Running"
                        : done == (int)n ? (count[AL__MIRROR_FAILED] ? "Failed" : "Succeeded")
                                         : "Pending";
    char text[96], path[800], what[400];
    snprintf(text, sizeof(text), "%s/%d/%d/%d/%d", phase, count[AL__MIRROR_PENDING], running,
             count[AL__MIRROR_SUCCEEDED], count[AL__MIRROR_FAILED]);
    /* A new group is pending without being told (its reason, if it waits, says so: see
     * kube_reason); a PodGroup not seen yet (allot's own, being made) has nothing to write to. */
    if (strcmp(text, g->status) == 0 || (!g->status[0] && strcmp(phase, "Pending") == 0) ||
        !al__kube_acting(k))
        return;
    json_t *seen = al__kube_cache_get(k->watches[AL__KUBE_GROUPS].cache, g->key);
    json_decref(seen);
    if (!seen)
        return;
    snprintf(g->status, sizeof(g->status), "%s", text);
    const char *slash = strchr(g->key, '/');
    json_t *patch = json_pack("{s:{s:s, s:i, s:i, s:i, s:i}}", "status", "phase", phase, "pending",
                              count[AL__MIRROR_PENDING], "running", running, "succeeded",
                              count[AL__MIRROR_SUCCEEDED], "failed", count[AL__MIRROR_FAILED]);
    snprintf(path, sizeof(path),
             "/apis/scheduling.run.ai/v2alpha2/namespaces/%.*s/podgroups/%s/status",
             (int)(slash - g->key), g->key, slash + 1);
    snprintf(what, sizeof(what), "status of pod group %s", g->key);
    char latest[900];
    snprintf(latest, sizeof(latest), "phase %s", path);
    al__kube_write_latest(k->notes, latest, "PATCH", path, "application/merge-patch+json", patch,
                          what);
}

/* A workload's kind from its priority class, as Run:ai gives each kind its class: inference for
 * inference, build (or its preemptible variants) for a workspace, anything else training. */
static const char *kind_of_class(const char *cls) {
    if (strcmp(cls, "inference") == 0)
        return "inference";
    if (strcmp(cls, "build") == 0 || strcmp(cls, "build-preemptible") == 0 ||
        strcmp(cls, "interactive-preemptible") == 0)
        return "workspace";
    return "training";
}

static void group_put(struct al__kube *k, struct al__kube_group *g, const struct al__mirror *m) {
    struct group_form f = {.leaves = {NULL, 0}};
    size_t n = 0;
    struct al__kube_pod_entry **pods = al__xcalloc(g->count + 1, sizeof(*pods));
    for (size_t i = 0; i < g->count; i++) /* one deleted before it was bound is no task */
        if (g->pods[i]->pod.node[0] || !g->pods[i]->pod.terminating ||
            al__strmap_get(&k->assumed, g->pods[i]->pod.uid))
            pods[n++] = g->pods[i];
    qsort(pods, n, sizeof(*pods), by_pod_name);
    if (n == 0 || !group_form(k, g, &f) || !json_object_get(k->projects, f.queue)) {
        if (f.refused[0]) /* its sub-group tree: said on the PodGroup and its first pod */
            al__kube_gang_refuse(k, g, pods[0], "SubGroupsNotSupported", f.refused);
        if (n > 0 && !json_object_get(k->projects, f.queue) && g->project[0] == '\0')
            fprintf(stderr,
                    "allotd: kubernetes: pod group %s: queue \"%s\" is not a project "
                    "queue (a Queue no other names as parent); not scheduled\n",
                    g->key, f.queue);
        al__kube_leaves_release(&f.leaves);
        group_unput(k, g, m);
        free(pods);
        return;
    }
    const char *pool;
    if (!al__kube_gang_pool(k, g, f.pool, pods, n, &pool)) {
        group_unput(k, g, m);
        free(pods);
        return;
    }
    int32_t priority = al__kube_priority(k->classes, f.cls, f.has_priority, f.priority);
    struct al__mirror_workload w = {
        .project = f.queue,
        .kind = kind_of_class(f.cls),
        .priority = priority,
        .preemptible = al__kube_preemptible(f.preemptibility, priority),
        .semi_preemptible = f.preemptibility == AL__SEMI_PREEMPTIBLE,
        .preemption_never = f.cls[0] && json_object_get(k->never_classes, f.cls),
        .min_members = f.min_members,
        .topology = f.topology.topology[0] ? f.topology.topology : NULL,
        .required_topology_level = f.topology.required[0] ? f.topology.required : NULL,
        .preferred_topology_level = f.topology.preferred[0] ? f.topology.preferred : NULL,
        .gpu_device_count = 1,
        .created_s = pods[0]->created_s,
        .node_pool = pool,
        .time_limit_s = al__kube_gang_deadline(pods, n), /* the kubelet's to enforce */
        .task_count = n,
        .no_enforce = true, /* until a pod does not opt out */
    };
    struct al__mirror_task *tasks = al__xcalloc(n, sizeof(*tasks));
    for (size_t i = 0; i < n; i++) {
        struct al__kube_pod_entry *e = pods[i];
        const struct al__kube_pod *p = &e->pod;
        struct al__mirror_task *t = &tasks[i];
        t->state = task_state(k, e, &t->node);
        t->ref = p->uid;
        t->own_request = true;
        t->request = (struct al__mirror_request){
            p->gpus,
            p->gpu_milli,
            p->gpu_memory_mib,
            p->gpu_milli > 0 || p->gpu_memory_mib > 0 ? p->gpu_devices : 1,
            p->cpu_millis,
            p->memory_bytes,
            p->gpu_milli_limit,
            p->gpu_memory_limit_mib};
        t->started_s = e->started_s;
        t->finished_s = e->finished_s;
        t->exit_code = e->exit_code;
        if (t->state == AL__MIRROR_RUNNING || t->state == AL__MIRROR_STOPPING) {
            const struct al__kube_assumed *a = al__strmap_get(&k->assumed, p->uid);
            bool wants = p->gpus > 0 || p->gpu_milli > 0 || p->gpu_memory_mib > 0;
            const struct al__node *node = al__kube_inventory_node(&k->b->inventory, t->node);
            if (a && !p->node[0]) {
                t->gpus = a->devices;
                t->gpu_count = a->device_count;
            } else {
                if (wants && !e->devices_known && node)
                    devices_assign(k, e, node->gpu_count);
                t->gpus = e->devices;
                t->gpu_count = e->device_count;
            }
        }
        w.no_enforce = w.no_enforce && p->no_enforce;
        if (e->created_s >= 0 && e->created_s < w.created_s)
            w.created_s = e->created_s;
        if (p->gpus > w.gpus)
            w.gpus = p->gpus;
        if (al__mig_asks_milli(p->migs, p->mig_profiles) > /* the pod asking most */
            al__mig_asks_milli(w.migs, w.mig_profiles)) {
            w.migs = p->migs;
            w.mig_profiles = p->mig_profiles;
        }
        if (p->gpu_milli > w.gpu_milli)
            w.gpu_milli = p->gpu_milli;
        if (p->gpu_memory_mib > w.gpu_memory_mib)
            w.gpu_memory_mib = p->gpu_memory_mib;
        if ((p->gpu_milli || p->gpu_memory_mib) && p->gpu_devices > w.gpu_device_count)
            w.gpu_device_count = p->gpu_devices;
        if (p->gpu_milli_limit > w.gpu_milli_limit)
            w.gpu_milli_limit = p->gpu_milli_limit;
        if (p->gpu_memory_limit_mib > w.gpu_memory_limit_mib)
            w.gpu_memory_limit_mib = p->gpu_memory_limit_mib;
        if (p->cpu_millis > w.cpu_millis)
            w.cpu_millis = p->cpu_millis;
        if (p->memory_bytes > w.memory_bytes)
            w.memory_bytes = p->memory_bytes;
    }
    char err[512];
    struct al__mirror_subgroup *subs = NULL;
    if (al__kube_leaves_apply(&f.leaves, pods, tasks, &w, &subs, err, sizeof(err)) < 0) {
        al__kube_gang_refuse(k, g, pods[0], "SubGroupsNotSupported", err);
        group_unput(k, g, m);
        al__kube_leaves_release(&f.leaves);
        free(tasks);
        free(pods);
        return;
    }
    if (w.gpus > 0) /* whole devices win over a share where pods differ */
        w.gpu_milli = w.gpu_memory_mib = 0, w.gpu_device_count = 1;
    if (w.gpu_milli > 0)
        w.gpu_memory_mib = 0;
    /* a limit of the kind the share kept, above it; else none */
    if (w.gpu_milli_limit <= w.gpu_milli)
        w.gpu_milli_limit = 0;
    if (w.gpu_memory_limit_mib <= w.gpu_memory_mib || w.gpu_memory_mib == 0)
        w.gpu_memory_limit_mib = 0;
    al__kube_gang_refusal_over(k, g); /* before status_write: its conditions come after */
    group_create(k, g, &f);
    status_write(k, g, tasks, n);
    char name[64];
    workload_name(k, g, f.queue, name);
    if (strcmp(g->project, f.queue) != 0 || strcmp(g->name, name) != 0)
        group_unput(k, g, m);
    w.name = name;
    w.tasks = tasks;
    m->workload_put(m->arg, &w);
    snprintf(g->project, sizeof(g->project), "%.63s", f.queue);
    snprintf(g->pool, sizeof(g->pool), "%s", pool ? pool : "");
    snprintf(g->name, sizeof(g->name), "%s", name);
    snprintf(g->wkey, sizeof(g->wkey), "%s/%s", g->project, g->name);
    al__strmap_put(&k->workloads, g->wkey, g);
    g->uids = al__xrealloc(g->uids, (n + 1) * sizeof(*g->uids));
    for (size_t i = 0; i < n; i++)
        snprintf(g->uids[i], sizeof(g->uids[i]), "%s", pods[i]->pod.uid);
    g->uid_count = n;
    free(subs);
    al__kube_leaves_release(&f.leaves);
    free(tasks);
    free(pods);
}

/* ---- the sync op ---- */

/* The keys changed in cache `kind` since the last sync, handed to fn; how many. */
static size_t each_change(struct al__kube *k, int kind,
                          void (*fn)(struct al__kube *, const char *, bool *), bool *flag) {
    char **keys;
    size_t n = al__kube_cache_changes(k->watches[kind].cache, &keys);
    for (size_t i = 0; i < n; i++) {
        if (fn)
            fn(k, keys[i], flag);
        free(keys[i]);
    }
    free(keys);
    return n;
}

/* Pods that waited on their owners are read again (those still waiting stay in the set). */
static void waiting_read(struct al__kube *k, bool *inventory) {
    size_t n = 0;
    char **keys = al__xcalloc(k->waiting.count + 1, sizeof(*keys));
    for (size_t i = 0; i < k->waiting.capacity; i++)
        if (k->waiting.keys[i])
            keys[n++] = k->waiting.values[i];
    al__strmap_clear(&k->waiting);
    for (size_t i = 0; i < n; i++) {
        pod_changed(k, keys[i], inventory);
        free(keys[i]);
    }
    free(keys);
}

static void podgroup_changed(struct al__kube *k, const char *key, bool *unused) {
    (void)unused;
    struct al__kube_group *g = group_get(k, key, false);
    if (g)
        g->dirty = true;
}

void al__kube_sync(struct al__backend *b, bool all, const struct al__mirror *m) {
    struct al__kube *k = b->data;
    bool inventory = all;
    pthread_mutex_lock(&k->lock);
    bool classes = each_change(k, AL__KUBE_CLASSES, NULL, NULL) > 0 || all;
    bool queues = each_change(k, AL__KUBE_QUEUES, NULL, NULL) > 0 || all;
    inventory |= each_change(k, AL__KUBE_NODES, NULL, NULL) > 0;
    inventory |= each_change(k, AL__KUBE_TOPOLOGIES, NULL, NULL) > 0;
    bool pods = each_change(k, AL__KUBE_PODS, pod_changed, &inventory) > 0;
    if (atomic_exchange(&k->owners_read, false))
        waiting_read(k, &inventory);
    each_change(k, AL__KUBE_GROUPS, podgroup_changed, NULL);
    if (classes)
        classes_sync(k);
    if (inventory)
        inventory_sync(k, m);
    if (queues)
        queues_sync(k, m);
    bool every = classes || queues || inventory; /* a group's project, priority or devices */
    struct al__kube_group **todo = al__xcalloc(k->groups.count + 1, sizeof(*todo));
    size_t n = 0;
    for (size_t i = 0; i < k->groups.capacity; i++) {
        struct al__kube_group *g = k->groups.values[i];
        if (k->groups.keys[i] && (every || g->dirty))
            todo[n++] = g;
    }
    for (size_t i = 0; i < n; i++) {
        struct al__kube_group *g = todo[i];
        g->dirty = false;
        group_put(k, g, m);
        if (g->count == 0) { /* its last pod went */
            al__strmap_remove(&k->groups, g->key);
            group_free(g);
        }
    }
    free(todo);
    /* Reservations follow pods (binds show as pod changes) and who acts: three passes over
     * every pod, not made on a cycle where neither changed. */
    bool acting = al__kube_acting(k);
    if (pods || all || acting != k->reservations_acting)
        al__kube_reservations_sync(k);
    k->reservations_acting = acting;
    pthread_mutex_unlock(&k->lock);
}

bool al__kube_task_pod(struct al__kube *k, const char *project, const char *workload, int32_t index,
                       char *ns, char *name, char *uid) {
    char key[200];
    bool found = false;
    snprintf(key, sizeof(key), "%s/%s", project, workload);
    pthread_mutex_lock(&k->lock);
    struct al__kube_group *g = al__strmap_get(&k->workloads, key);
    if (g && index >= 0 && (size_t)index < g->uid_count) {
        const struct al__kube_pod_entry *e = al__strmap_get(&k->by_uid, g->uids[index]);
        if (e) {
            snprintf(ns, 64, "%s", e->pod.namespace_);
            snprintf(name, 254, "%s", e->pod.name);
            snprintf(uid, 64, "%s", e->pod.uid);
            found = true;
        }
    }
    pthread_mutex_unlock(&k->lock);
    return found;
}

json_t *al__kube_pending_pods(struct al__kube *k, const char *project, const char *workload) {
    char key[200], ref[400];
    json_t *out = NULL;
    snprintf(key, sizeof(key), "%s/%s", project, workload);
    pthread_mutex_lock(&k->lock);
    struct al__kube_group *g = al__strmap_get(&k->workloads, key);
    for (size_t i = 0; g && i < g->count; i++) {
        const struct al__kube_pod_entry *e = g->pods[i];
        if (e->pod.node[0] || e->pod.terminating || al__strmap_get(&k->assumed, e->pod.uid))
            continue;
        if (!out)
            out = json_array();
        snprintf(ref, sizeof(ref), "%s/%s/%s", e->pod.namespace_, e->pod.name, e->pod.uid);
        json_array_append_new(out, json_string(ref));
    }
    pthread_mutex_unlock(&k->lock);
    return out;
}

bool al__kube_group_object(struct al__kube *k, const char *project, const char *workload, char *ns,
                           char *name, char *pool) {
    char key[200];
    bool found = false;
    snprintf(key, sizeof(key), "%s/%s", project, workload);
    pthread_mutex_lock(&k->lock);
    struct al__kube_group *g = al__strmap_get(&k->workloads, key);
    if (g && g->count > 0 && g->pods[0]->group_named) {
        const char *slash = strchr(g->key, '/');
        snprintf(ns, 64, "%.*s", (int)(slash - g->key), g->key);
        snprintf(name, 254, "%s", slash + 1);
        if (pool)
            snprintf(pool, 64, "%s", g->pool);
        found = true;
    }
    pthread_mutex_unlock(&k->lock);
    return found;
}
