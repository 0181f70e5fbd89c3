/* translate.c - Kubernetes objects as an allot snapshot document (see translate.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "allot/model.h"
#include "backends/kubernetes/fields.h"
#include "backends/kubernetes/grouping.h"
#include "backends/kubernetes/objects.h"
#include "backends/kubernetes/translate.h"
#include "util/xalloc.h"

static const char *const default_schedulers[] = {"allot", "kai-scheduler"};

struct build {
    const struct al__kube_translate_options *opt;
    json_t *skipped;
    json_t *nodes;      /* name -> node document */
    json_t *queues;     /* name -> queue document */
    json_t *leaves;     /* name -> true for queues no queue names as parent */
    json_t *classes;    /* priority class name -> value */
    json_t *never;      /* priority class name -> true: preemptionPolicy Never */
    json_t *groups;     /* "ns/name" -> job document (its tasks added as pods come) */
    json_t *topologies; /* name -> {"levels": [node labels], "aliases": {alias: node label}} */
    /* "ns/name" of a group -> {"pool": its node pool, "by": the pod that named it, "" for its
     * PodGroup's label (which wins)}; and of a group whose pods name two pools -> why. */
    json_t *pools, *pool_conflicts;
};

static void skip(struct build *b, const char *why) {
    json_array_append_new(b->skipped, json_string(why));
}

/* The RFC 3339 time of parent[key] as seconds before the document's clock (negative: the
 * past), or `fallback`. */
static int64_t relative_time(struct build *b, json_t *parent, const char *key, int64_t fallback) {
    int64_t at = al__kube_time(parent, key, INT64_MIN);
    return at == INT64_MIN ? fallback : at - b->opt->now_s;
}

static bool ours(struct build *b, const char *scheduler) {
    const char *const *names = b->opt->schedulers ? b->opt->schedulers : default_schedulers;
    size_t n = b->opt->schedulers ? b->opt->scheduler_count : 2;
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], scheduler) == 0)
            return true;
    return false;
}

static void add_nodes(struct build *b, json_t *list) {
    size_t i;
    json_t *o;
    char err[512];
    json_array_foreach(list, i, o) {
        struct al__node n;
        bool schedulable;
        if (al__kube_node_read(o, b->opt->pool_label, &n, &schedulable, err, sizeof(err)) < 0) {
            skip(b, err);
            continue;
        }
        json_t *labels = json_object();
        for (size_t l = 0; l < n.label_count; l++)
            json_object_set_new(labels, n.labels[l].key, json_string(n.labels[l].value));
        json_t *doc = json_pack("{s:s, s:I, s:I, s:I, s:o}", "name", n.name, "gpus",
                                (json_int_t)n.gpu_count, "cpu_millis", (json_int_t)n.cpu_millis,
                                "memory_bytes", (json_int_t)n.memory_bytes, "labels", labels);
        if (n.gpu_count > 0) {
            json_object_set_new(doc, "gpu_memory_mib", json_integer(n.gpus[0].memory_mib));
            if (n.gpus[0].model[0])
                json_object_set_new(doc, "gpu_model", json_string(n.gpus[0].model));
        }
        if (n.pool[0])
            json_object_set_new(doc, "pool", json_string(n.pool));
        if (n.mig_count > 0) {
            json_t *migs = json_object();
            for (size_t m = 0; m < n.mig_count; m++)
                json_object_set_new(migs, n.migs[m].profile, json_integer(n.migs[m].count));
            json_object_set_new(doc, "mig", migs);
        }
        if (!schedulable)
            json_object_set_new(doc, "unschedulable", json_true());
        json_object_set_new(b->nodes, n.name, doc);
        al__kube_node_release(&n);
    }
}

static json_t *amounts(const int64_t v[AL_RESOURCE_COUNT]) {
    json_t *gpu =
        v[AL_GPU] == AL_UNLIMITED ? json_integer(-1) : json_real((double)v[AL_GPU] / 1000);
    return json_pack("{s:o, s:I, s:I}", "gpu", gpu, "cpu_millis", (json_int_t)v[AL_CPU],
                     "memory_bytes", (json_int_t)v[AL_MEMORY]);
}

static void add_queues(struct build *b, json_t *list, json_t *out) {
    size_t i, n = 0;
    json_t *o;
    char err[512];
    struct al__kube_queue *qs = al__xcalloc(json_array_size(list) + 1, sizeof(*qs));
    int64_t *created = al__xcalloc(json_array_size(list) + 1, sizeof(*created));
    json_array_foreach(list, i, o) {
        if (al__kube_queue_read(o, &qs[n], err, sizeof(err)) < 0) {
            skip(b, err);
            continue;
        }
        created[n++] = relative_time(b, json_object_get(o, "metadata"), "creationTimestamp", 0);
    }
    for (size_t q = 0; q < n; q++) /* a queue whose parent is not there is left out */
        for (size_t p = 0; qs[q].parent[0] && p <= n; p++)
            if (p == n) {
                snprintf(err, sizeof(err), "queue %s: spec.parentQueue: no queue named \"%s\"",
                         qs[q].name, qs[q].parent);
                skip(b, err);
                qs[q].name[0] = '\0';
            } else if (strcmp(qs[p].name, qs[q].parent) == 0 && qs[p].name[0]) {
                break;
            }
    int64_t divisor, largest;
    al__kube_queue_weights(qs, n, &divisor, &largest);
    for (size_t q = 0; q < n; q++) /* oldest first: a queue's place is its age */
        for (size_t k = q + 1; k < n; k++)
            if (created[k] < created[q] ||
                (created[k] == created[q] && strcmp(qs[k].name, qs[q].name) < 0)) {
                struct al__kube_queue t = qs[q];
                int64_t c = created[q];
                qs[q] = qs[k], created[q] = created[k];
                qs[k] = t, created[k] = c;
            }
    for (size_t q = 0; q < n; q++) {
        if (!qs[q].name[0])
            continue;
        int64_t w[AL_RESOURCE_COUNT];
        for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
            w[r] = al__kube_queue_weight(qs[q].weight[r], divisor, largest);
        }
        json_t *doc =
            json_pack("{s:s, s:o, s:i, s:o, s:o, s:{s:I, s:I, s:I}}", "name", qs[q].name, "parent",
                      qs[q].parent[0] ? json_string(qs[q].parent) : json_null(), "priority",
                      (int)qs[q].priority, "deserved", amounts(qs[q].deserved), "limit",
                      amounts(qs[q].limit), "over_quota_weight", "gpu", (json_int_t)w[AL_GPU],
                      "cpu", (json_int_t)w[AL_CPU], "memory", (json_int_t)w[AL_MEMORY]);
        if (qs[q].has_preempt_min_runtime)
            json_object_set_new(doc, "preempt_min_runtime_s",
                                json_integer(qs[q].preempt_min_runtime_s));
        if (qs[q].has_reclaim_min_runtime)
            json_object_set_new(doc, "reclaim_min_runtime_s",
                                json_integer(qs[q].reclaim_min_runtime_s));
        json_array_append_new(out, doc);
        json_object_set(b->queues, qs[q].name, doc);
        json_object_set_new(b->leaves, qs[q].name, json_true());
    }
    for (size_t q = 0; q < n; q++)
        if (qs[q].name[0] && qs[q].parent[0])
            json_object_del(b->leaves, qs[q].parent);
    free(qs);
    free(created);
}

/* The job document of a group in queue `queue`, priority from its class; NULL (skipped) when
 * the queue is not a leaf. */
static json_t *new_job(struct build *b, const char *key, const char *queue, const char *cls,
                       bool has_priority, int32_t priority, int preemptibility, int32_t min_members,
                       int64_t created) {
    char why[700];
    if (!json_object_get(b->leaves, queue)) {
        snprintf(why, sizeof(why), "pod group %s: its queue \"%s\" is %s", key, queue,
                 json_object_get(b->queues, queue) ? "a department, not a project" : "not there");
        skip(b, why);
        return NULL;
    }
    int32_t p = al__kube_priority(b->classes, cls, has_priority, priority);
    bool preemptible = al__kube_preemptible(preemptibility, p);
    json_t *job = json_pack("{s:s, s:s, s:i, s:b, s:i, s:I, s:[]}", "name", key, "queue", queue,
                            "priority", (int)p, "preemptible", preemptible, "min_members",
                            (int)min_members, "created_s", (json_int_t)created, "tasks");
    if (job && preemptibility == AL__SEMI_PREEMPTIBLE)
        json_object_set_new(job, "preemptibility", json_string("semi-preemptible"));
    if (job && cls[0] && json_object_get(b->never, cls))
        json_object_set_new(job, "preemption_policy", json_string("Never"));
    return job;
}

/* A pod group's sub-groups as the job's: those no other names as its parent (a snapshot's
 * sub-groups are one level), each with its gang minimum; the job's own minimum goes. */
/* KAI's Topologies: the snapshot's, and b->topologies to check constraints against. */
static json_t *add_topologies(struct build *b, json_t *list) {
    json_t *out = json_array(), *o;
    size_t i;
    char err[512];
    json_array_foreach(list, i, o) {
        struct al_topology t;
        char **aliases;
        if (al__kube_topology_read(o, &t, &aliases, err, sizeof(err)) < 0) {
            skip(b, err);
            continue;
        }
        json_t *levels = json_array(), *by_alias = json_object();
        for (size_t l = 0; l < t.level_count; l++) {
            json_array_append_new(levels, json_string(t.levels[l]));
            if (aliases[l])
                json_object_set_new(by_alias, aliases[l], json_string(t.levels[l]));
        }
        json_array_append_new(out, json_pack("{s:s, s:O}", "name", t.name, "levels", levels));
        json_object_set_new(b->topologies, t.name,
                            json_pack("{s:o, s:o}", "levels", levels, "aliases", by_alias));
        al__kube_topology_release(&t, aliases);
    }
    return out;
}

/* The level number of `level` (a node label or an alias) in topology t, 0 when it has none. */
static size_t level_of(json_t *t, const char *level, const char **label) {
    json_t *alias = json_object_get(json_object_get(t, "aliases"), level), *l;
    size_t i;
    *label = alias ? json_string_value(alias) : level;
    json_array_foreach(json_object_get(t, "levels"), i, l) {
        if (strcmp(json_string_value(l), *label) == 0)
            return i + 1;
    }
    return 0;
}

/* A topologyConstraint on o (a job or a sub-group document); false (and why in b->skipped)
 * when it names a topology or level the snapshot does not have, or a preferred level wider
 * than the required one: KAI does not schedule such a job. One that names no topology is no
 * constraint (as in KAI). */
static bool put_constraint(struct build *b, const char *key, json_t *o,
                           const struct al__kube_topology_constraint *c) {
    const char *level[2] = {c->required, c->preferred}, *label[2] = {NULL, NULL};
    static const char *const field[2] = {"required_topology_level", "preferred_topology_level"};
    size_t at[2] = {0, 0};
    char why[900];
    if (!c->topology[0] || (!c->required[0] && !c->preferred[0]))
        return true;
    json_t *t = json_object_get(b->topologies, c->topology);
    for (int i = 0; i < 2 && t; i++)
        if (level[i][0] && !(at[i] = level_of(t, level[i], &label[i]))) {
            snprintf(why, sizeof(why), "pod group %s: topology %s has no level \"%s\"", key,
                     c->topology, level[i]);
            skip(b, why);
            return false;
        }
    if (!t || (at[0] && at[1] && at[1] < at[0])) {
        snprintf(why, sizeof(why), "pod group %s: %s", key,
                 t ? "its preferred topology level is wider than the required one"
                   : "its topology is not in the snapshot");
        skip(b, why);
        return false;
    }
    json_object_set_new(o, "topology", json_string(c->topology));
    for (int i = 0; i < 2; i++)
        if (label[i])
            json_object_set_new(o, field[i], json_string(label[i]));
    return true;
}

static void add_subgroups(json_t *job, const struct al__kube_pod_group *g) {
    json_t *list = json_array();
    for (size_t i = 0; i < g->subgroup_count; i++) {
        bool parent = false;
        for (size_t k = 0; k < g->subgroup_count && !parent; k++)
            parent = strcmp(g->subgroups[k].parent, g->subgroups[i].name) == 0;
        if (!parent)
            json_array_append_new(list, json_pack("{s:s, s:i}", "name", g->subgroups[i].name,
                                                  "min_members", (int)g->subgroups[i].min_members));
    }
    json_object_set_new(job, "subgroups", list);
    json_object_del(job, "min_members");
}

static void add_groups(struct build *b, json_t *list) {
    size_t i;
    json_t *o;
    char err[512], key[400];
    json_array_foreach(list, i, o) {
        struct al__kube_pod_group g;
        if (al__kube_pod_group_read(o, b->opt->pool_label, &g, err, sizeof(err)) < 0) {
            skip(b, err);
            continue;
        }
        snprintf(key, sizeof(key), "%s/%s", g.namespace_, g.name);
        json_t *job = new_job(
            b, key, g.queue, g.priority_class, false, 0, (int)g.preemptibility, g.min_members,
            relative_time(b, json_object_get(o, "metadata"), "creationTimestamp", 0));
        if (job && g.subgroup_count > 0)
            add_subgroups(job, &g);
        if (job && g.pool[0]) /* KAI's pool label on the PodGroup: its gang's pool */
            json_object_set_new(b->pools, key, json_pack("{s:s, s:s}", "pool", g.pool, "by", ""));
        bool constrained = !job || put_constraint(b, key, job, &g.topology);
        json_t *part;
        size_t p;
        json_array_foreach(job ? json_object_get(job, "subgroups") : NULL, p, part) {
            for (size_t s = 0; constrained && s < g.subgroup_count; s++)
                if (strcmp(g.subgroups[s].name, json_string_value(json_object_get(part, "name"))) ==
                    0)
                    constrained = put_constraint(b, key, part, &g.subgroups[s].topology);
        }
        if (job && constrained)
            json_object_set_new(b->groups, key, job);
        else
            json_decref(job);
        al__kube_pod_group_release(&g);
    }
}

/* The owners of a snapshot's pods are not in it: a pod's own controller is its top. */
static bool no_lookup(void *arg, const char *ns, const struct al__kube_owner *of,
                      struct al__kube_owner *controller) {
    (void)arg, (void)ns, (void)of, (void)controller;
    return false;
}

static const char *task_state(const struct al__kube_pod *p) {
    if (p->phase == AL__POD_SUCCEEDED)
        return "succeeded";
    if (p->phase == AL__POD_FAILED)
        return "failed";
    if (!p->node[0])
        return p->terminating ? NULL : "pending";
    return p->terminating ? "releasing" : "running";
}

/* What a pod of another scheduler holds on its node comes off the node. */
static void hold_elsewhere(struct build *b, const struct al__kube_pod *p) {
    json_t *node = json_object_get(b->nodes, p->node);
    if (!node || p->phase == AL__POD_SUCCEEDED || p->phase == AL__POD_FAILED)
        return;
    static const char *const keys[] = {"cpu_millis", "memory_bytes", "gpus"};
    int64_t used[] = {p->cpu_millis, p->memory_bytes, p->gpus};
    for (int k = 0; k < 3; k++) {
        int64_t left = json_integer_value(json_object_get(node, keys[k])) - used[k];
        json_object_set_new(node, keys[k], json_integer(left > 0 ? left : 0));
    }
}

/* Pod p of group `group` names its pool: the group's, unless its PodGroup named one or another
 * pod named another (then the group is left out, as allotd leaves it unscheduled). */
static void pod_pool(struct build *b, const char *group, const struct al__kube_pod *p) {
    json_t *at = json_object_get(b->pools, group);
    char why[800];
    if (!p->pool[0])
        return;
    if (!at) {
        json_object_set_new(b->pools, group,
                            json_pack("{s:s, s:s}", "pool", p->pool, "by", p->name));
        return;
    }
    const char *pool = json_string_value(json_object_get(at, "pool"));
    const char *by = json_string_value(json_object_get(at, "by"));
    if (!by[0] || strcmp(pool, p->pool) == 0 || json_object_get(b->pool_conflicts, group))
        return;
    snprintf(why, sizeof(why),
             "pod group %s: its pods name different node pools: %s (pod %s) and %s (pod %s)", group,
             pool, by, p->pool, p->name);
    json_object_set_new(b->pool_conflicts, group, json_string(why));
}

static void add_pod(struct build *b, json_t *o) {
    struct al__kube_pod p;
    char err[1024], key[400];
    if (al__kube_pod_read(o, b->opt->pool_label, &p, err, sizeof(err)) < 0) {
        skip(b, err);
        return;
    }
    if (!ours(b, p.scheduler)) {
        if (p.node[0])
            hold_elsewhere(b, &p);
        return;
    }
    const char *state = task_state(&p);
    if (!state)
        return; /* deleted before it was placed: nothing to schedule */
    if (p.node[0] && !json_object_get(b->nodes, p.node)) {
        snprintf(err, sizeof(err), "pod %s/%s: on node %s, which is not there", p.namespace_,
                 p.name, p.node);
        skip(b, err);
        return;
    }
    struct al__kube_group_choice g;
    if (al__kube_group_of(&p, no_lookup, NULL, &g, err, sizeof(err)) < 0) {
        skip(b, err);
        return;
    }
    snprintf(key, sizeof(key), "%s/%s", p.namespace_, g.pod_group);
    json_t *job = json_object_get(b->groups, key);
    if (!job && g.create) { /* a group allot would create for it */
        job = new_job(b, key, p.queue, p.priority_class, p.has_priority, p.priority,
                      AL__PREEMPTIBILITY_BY_PRIORITY, 1,
                      relative_time(b, json_object_get(o, "metadata"), "creationTimestamp", 0));
        if (!job)
            return;
        json_object_set_new(b->groups, key, job);
    }
    if (!job) {
        snprintf(err, sizeof(err),
                 "pod %s/%s: names pod group %s, which is not there (or was "
                 "left out)",
                 p.namespace_, p.name, g.pod_group);
        skip(b, err);
        return;
    }
    json_t *subgroups = json_object_get(job, "subgroups");
    bool in_part = false;
    size_t s;
    json_t *part;
    json_array_foreach(subgroups, s, part) {
        in_part |= strcmp(json_string_value(json_object_get(part, "name")), p.subgroup) == 0;
    }
    if (subgroups && !in_part) {
        snprintf(err, sizeof(err), "pod %s/%s: its %s \"%s\" is no sub-group of its pod group",
                 p.namespace_, p.name, AL__KUBE_SUBGROUP_LABEL, p.subgroup);
        skip(b, err);
        return;
    }
    pod_pool(b, key, &p);
    snprintf(key, sizeof(key), "%s/%s", p.namespace_, p.name);
    json_t *task = json_pack("{s:s, s:s, s:I, s:I}", "name", key, "state", state, "cpu_millis",
                             (json_int_t)p.cpu_millis, "memory_bytes", (json_int_t)p.memory_bytes);
    if (p.node[0])
        json_object_set_new(task, "node", json_string(p.node));
    if (p.gpus)
        json_object_set_new(task, "gpus", json_integer(p.gpus));
    if (p.gpu_milli)
        json_object_set_new(task, "gpu_fraction", json_real(p.gpu_milli / 1000.0));
    if (p.gpu_memory_mib)
        json_object_set_new(task, "gpu_memory_mib", json_integer(p.gpu_memory_mib));
    if ((p.gpu_milli || p.gpu_memory_mib) && p.gpu_devices > 1)
        json_object_set_new(task, "gpu_devices", json_integer(p.gpu_devices));
    if (p.gpu_milli_limit > p.gpu_milli) /* dynamic fractions: travels, never placed by */
        json_object_set_new(task, "gpu_fraction_limit", json_real(p.gpu_milli_limit / 1000.0));
    if (p.gpu_memory_limit_mib > p.gpu_memory_mib)
        json_object_set_new(task, "gpu_memory_limit_mib", json_integer(p.gpu_memory_limit_mib));
    if (p.mig_profiles > 0 && !p.gpus && !p.gpu_milli && !p.gpu_memory_mib) {
        json_t *migs = json_object();
        for (size_t m = 0; m < p.mig_profiles; m++)
            json_object_set_new(migs, p.migs[m].profile, json_integer(p.migs[m].count));
        json_object_set_new(task, "mig", migs);
    }
    if (subgroups)
        json_object_set_new(task, "subgroup", json_string(p.subgroup));
    bool active = strcmp(state, "running") == 0 || strcmp(state, "releasing") == 0;
    if (active && (p.gpu_milli || p.gpu_memory_mib) &&
        p.gpu_group_count == (size_t)p.gpu_devices) { /* the devices it shares, as KAI says */
        json_t *groups = json_array();
        for (size_t i = 0; i < p.gpu_group_count; i++)
            json_array_append_new(groups, json_string(p.gpu_groups[i]));
        json_object_set_new(task, "gpu_groups", groups);
    }
    json_array_append_new(json_object_get(job, "tasks"), task);
}

static void build_release(struct build *b) {
    json_decref(b->nodes);
    json_decref(b->queues);
    json_decref(b->leaves);
    json_decref(b->classes);
    json_decref(b->never);
    json_decref(b->groups);
    json_decref(b->topologies);
    json_decref(b->pools);
    json_decref(b->pool_conflicts);
}

int al__kube_translate(json_t *raw, const struct al__kube_translate_options *opt, json_t **out,
                       json_t **skipped, char *err, size_t size) {
    static const char *const kinds[] = {"nodes",           "pods",      "queues", "podGroups",
                                        "priorityClasses", "topologies"};
    struct build b = {.opt = opt,
                      .skipped = json_array(),
                      .nodes = json_object(),
                      .queues = json_object(),
                      .leaves = json_object(),
                      .classes = json_object(),
                      .never = json_object(),
                      .groups = json_object(),
                      .topologies = json_object(),
                      .pools = json_object(),
                      .pool_conflicts = json_object()};
    if (!json_is_object(raw)) {
        snprintf(err, size, "kubernetes objects: not an object");
        goto bad;
    }
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        json_t *list = json_object_get(raw, kinds[k]);
        if (list && !json_is_null(list) && !json_is_array(list)) {
            snprintf(err, size, "kubernetes objects: %s: must be a list", kinds[k]);
            goto bad;
        }
    }
    size_t i;
    json_t *o, *queues = json_array(), *jobs = json_array();
    json_array_foreach(json_object_get(raw, "priorityClasses"), i, o) {
        char name[254];
        int32_t value;
        if (al__kube_priority_class_read(o, name, sizeof(name), &value, err, size) < 0) {
            skip(&b, err);
            continue;
        }
        json_object_set_new(b.classes, name, json_integer(value));
        if (al__kube_priority_class_never(o))
            json_object_set_new(b.never, name, json_true());
    }
    add_nodes(&b, json_object_get(raw, "nodes"));
    add_queues(&b, json_object_get(raw, "queues"), queues);
    json_t *topologies = add_topologies(&b, json_object_get(raw, "topologies"));
    add_groups(&b, json_object_get(raw, "podGroups"));
    json_array_foreach(json_object_get(raw, "pods"), i, o) add_pod(&b, o);
    const char *key;
    json_t *job, *nodes = json_array();
    json_object_foreach(b.groups, key, job) { /* groups without pods are no jobs */
        json_t *conflict = json_object_get(b.pool_conflicts, key);
        if (json_array_size(json_object_get(job, "tasks")) == 0)
            continue;
        if (conflict) {
            skip(&b, json_string_value(conflict));
            continue;
        }
        json_t *pool = json_object_get(json_object_get(b.pools, key), "pool");
        if (pool)
            json_object_set(job, "pool", pool);
        json_array_append(jobs, job);
    }
    json_object_foreach(b.nodes, key, o) json_array_append(nodes, o);
    *out =
        json_pack("{s:s, s:I, s:{s:[sssss]}, s:o, s:o, s:o}", "name", "kubernetes", "now_s",
                  (json_int_t)0, "config", "actions", "allocate", "consolidation", "reclaim",
                  "preempt", "stalegangeviction", "nodes", nodes, "queues", queues, "jobs", jobs);
    if (json_array_size(topologies) > 0)
        json_object_set(*out, "topologies", topologies);
    json_decref(topologies);
    *skipped = b.skipped;
    build_release(&b);
    return 0;
bad:
    json_decref(b.skipped);
    build_release(&b);
    return -AL_EINVAL;
}
