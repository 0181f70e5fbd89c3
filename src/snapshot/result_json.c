/* result_json.c - a cycle's result as JSON: decisions, pending explanations, queue shares. */
#include <stdlib.h>
#include <string.h>

#include "snapshot/json_util.h"
#include "snapshot/json_write.h"
#include "snapshot/report.h"
#include "util/sort.h"

/* An amount in JSON units: GPUs as devices (0.5), CPU and memory as integers. */
static json_t *amount_json(enum al_resource r, int64_t v) {
    return r == AL_GPU ? al__gpus_json(v) : json_integer(v);
}

static const char *kind_name(enum al_decision_kind k) {
    return k == AL_DECISION_BIND ? "bind" : k == AL_DECISION_PIPELINE ? "pipeline" : "evict";
}

static json_t *decision_json(const struct al_cluster *c, const struct al_decision *d) {
    const struct al_task *t = &c->tasks[d->task];
    json_t *o = json_object(), *gpus = json_array();
    int rc = o && gpus ? 0 : -1;

    rc |= al__put(o, "kind", json_string(kind_name(d->kind)));
    rc |= al__put(o, "task", json_string(t->name));
    rc |= al__put(o, "job", json_string(c->jobs[t->job].name));
    rc |= al__put(o, "node", d->node >= 0 ? json_string(c->nodes[d->node].name) : json_null());
    for (size_t i = 0; rc == 0 && i < d->gpu_count; i++)
        rc |= al__push(gpus, json_integer(d->gpus[i]));
    if (d->kind == AL_DECISION_EVICT) {
        json_decref(gpus);
        rc |= al__put(o, "reason", json_string(al_reason_name(d->reason)));
    } else {
        rc |= al__put(o, "gpus", gpus);
    }
    return al__finish(o, rc);
}

static int quota_fields(json_t *o, const struct al_cluster *c, const struct al_explanation *e) {
    int rc = 0;

    if (e->queue >= 0 && (size_t)e->queue < c->queue_count)
        rc |= al__put(o, "queue", json_string(c->queues[e->queue].name));
    rc |= al__put(o, "resource", json_string(al_resource_name(e->resource)));
    rc |= al__put(o, "allocated", amount_json(e->resource, e->allocated));
    rc |= al__put(o, "requested", amount_json(e->resource, e->requested));
    rc |= al__put(o, e->reason == AL_REASON_OVER_LIMIT ? "limit" : "deserved",
                  amount_json(e->resource, e->limit));
    return rc;
}

static int no_fit_fields(json_t *o, const struct al_cluster *c, const struct al_explanation *e) {
    int rc = 0;

    if (e->task < 0 || (size_t)e->task >= c->task_count)
        return 0;
    rc |= al__put(o, "task", json_string(c->tasks[e->task].name));
    rc |= al__put(o, "task_requests", al__amounts_json(e->requested_task));
    rc |= al__put(o, "most_free_on_a_node", al__amounts_json(e->best_free));
    rc |= al__put(o, "nodes_matching", json_integer(e->nodes_matching));
    const struct al_task *task = &c->tasks[e->task];
    if (e->mig_short > 0 && (size_t)e->mig_short <= task->mig_count) {
        const struct al_mig *m = &task->migs[e->mig_short - 1];
        rc |= al__put(o, "mig_profile", json_string(m->profile));
        rc |= al__put(o, "mig_needed", json_integer(m->count));
        rc |= al__put(o, "mig_most_free_on_a_node",
                      e->mig_free < 0 ? json_null() : json_integer(e->mig_free));
        rc |= al__put(o, "mig_most_free_once_released",
                      e->mig_releasing < 0 ? json_null() : json_integer(e->mig_releasing));
    }
    if (e->nodes_reserved > 0) {
        rc |= al__put(o, "nodes_reserved", json_integer(e->nodes_reserved));
        rc |= al__put(o, "reserved_from_s", json_integer(e->reserved_from_s));
    }
    return rc;
}

/* "victim_search": actions that searched and found nothing, "victim_search_cut": those a
 * budget stopped (both omitted when empty). */
static int victim_search_fields(json_t *o, const struct al_explanation *e) {
    static const enum al_action actions[] = {AL_ACTION_CONSOLIDATION, AL_ACTION_RECLAIM,
                                             AL_ACTION_PREEMPT};
    json_t *searched = json_array(), *cut = json_array();
    int rc = searched && cut ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < sizeof(actions) / sizeof(actions[0]); i++) {
        uint32_t bit = 1u << actions[i];
        if ((e->victim_search & bit) && !(e->victim_search_cut & bit))
            rc |= al__push(searched, json_string(al_action_name(actions[i])));
        if (e->victim_search_cut & bit)
            rc |= al__push(cut, json_string(al_action_name(actions[i])));
    }
    if (rc == 0 && json_array_size(searched) > 0) {
        rc |= al__put(o, "victim_search", searched);
        searched = NULL;
    }
    if (rc == 0 && json_array_size(cut) > 0) {
        rc |= al__put(o, "victim_search_cut", cut);
        cut = NULL;
    }
    json_decref(searched);
    json_decref(cut);
    return rc;
}

/* The topology level an explanation names: its topology, level and subgroup; for
 * AL_REASON_TOPOLOGY also the request and the largest domain of that level. */
static int topology_fields(json_t *o, const struct al_cluster *c, const struct al_explanation *e) {
    const struct al_topology_constraint *k = al_explanation_topology(c, e);
    if (!k || k->topology < 0 || (size_t)k->topology >= c->topology_count ||
        (size_t)e->topology_level > c->topologies[k->topology].level_count)
        return 0;
    const struct al_topology *t = &c->topologies[k->topology];
    const struct al_job *job = &c->jobs[e->job];
    int rc = al__put(o, "topology", json_string(t->name));
    rc |= al__put(o, "topology_level", json_string(t->levels[e->topology_level - 1]));
    if (e->topology_subgroup >= 0 && (size_t)e->topology_subgroup < job->subgroup_count)
        rc |=
            al__put(o, "topology_subgroup", json_string(job->subgroups[e->topology_subgroup].name));
    if (e->reason != AL_REASON_TOPOLOGY)
        return rc;
    rc |= al__put(o, "requested", al__amounts_json(e->requested_task));
    rc |= al__put(o, "largest_domain_free", al__amounts_json(e->best_free));
    rc |= al__put(o, "placeable", json_integer(e->placeable));
    rc |= al__put(o, "needed", json_integer(e->needed));
    rc |= al__put(o, "domains", json_integer(e->nodes_matching));
    if (e->allocated > 0) /* the group's placed tasks hold it to their domain */
        rc |= al__put(o, "placed_tasks", json_integer(e->allocated));
    return rc;
}

static json_t *explanation_json(const struct al_cluster *c, const struct al_explanation *e) {
    json_t *o = json_object();
    char message[512];
    int rc = o ? 0 : -1;

    al_explanation_text(c, e, message, sizeof(message));
    rc |= al__put(o, "job", json_string(c->jobs[e->job].name));
    rc |= al__put(o, "reason", json_string(al_reason_name(e->reason)));
    rc |= al__put(o, "message", json_string(message));
    if (e->part != AL_PART_WHOLE)
        rc |= al__put(o, "part", json_string(e->part == AL_PART_CORE ? "core" : "elastic"));
    if (e->reason == AL_REASON_OVER_LIMIT || e->reason == AL_REASON_NON_PREEMPTIBLE_OVER_QUOTA)
        rc |= quota_fields(o, c, e);
    if (e->reason == AL_REASON_GANG_INCOMPLETE) {
        rc |= al__put(o, "placeable", json_integer(e->placeable));
        rc |= al__put(o, "needed", json_integer(e->needed));
    }
    if (e->reason == AL_REASON_GANG_INCOMPLETE || e->reason == AL_REASON_NO_NODE_FITS)
        rc |= no_fit_fields(o, c, e);
    rc |= topology_fields(o, c, e);
    rc |= victim_search_fields(o, e);
    return al__finish(o, rc);
}

static json_t *queue_json(const struct al_cluster *c, size_t q, const struct al_queue_outcome *o) {
    json_t *v = json_object();
    int rc = v ? 0 : -1;

    rc |= al__put(v, "name", json_string(c->queues[q].name));
    rc |= al__put(v, "fair_share", al__amounts_json(o->fair_share));
    if (memcmp(o->fair_share, o->fair_share_without_usage, sizeof(o->fair_share)) != 0)
        rc |= al__put(v, "fair_share_without_usage", al__amounts_json(o->fair_share_without_usage));
    rc |= al__put(v, "allocated", al__amounts_json(o->allocated));
    rc |= al__put(v, "requested", al__amounts_json(o->requested));
    return al__finish(v, rc);
}

/* A reservation: the job, when it starts, its nodes by name. */
static json_t *reservation_json(const struct al_cluster *c, const struct al_reservation *v) {
    json_t *o = json_object(), *nodes = json_array();
    int rc = o && nodes ? 0 : -1;

    rc |= al__put(o, "job", json_string(c->jobs[v->job].name));
    rc |= al__put(o, "start_s", json_integer(v->start_s));
    for (size_t i = 0; rc == 0 && i < v->node_count; i++)
        rc |= al__push(nodes, json_string(c->nodes[v->nodes[i]].name));
    rc |= al__put(o, "nodes", nodes);
    return al__finish(o, rc);
}

struct by_name {
    const struct al_cluster *cluster;
    const struct al_result *result;
};

static int by_job_name(int32_t a, int32_t b, const void *ctx) {
    const struct by_name *k = ctx;
    int32_t ja = k->result->explanations[a].job, jb = k->result->explanations[b].job;
    int r = strcmp(k->cluster->jobs[ja].name, k->cluster->jobs[jb].name);
    return r ? r : (ja > jb) - (ja < jb);
}

int32_t *al__explanations_by_name(const struct al_cluster *cluster,
                                  const struct al_result *result) {
    size_t n = result->explanation_count;
    int32_t *order = malloc((n + 1) * sizeof(*order));
    struct by_name k = {cluster, result};
    if (!order)
        return NULL;
    for (size_t i = 0; i < n; i++)
        order[i] = (int32_t)i;
    if (al__sort_ids(order, n, by_job_name, &k) < 0) {
        free(order);
        return NULL;
    }
    return order;
}

json_t *al_result_json(const struct al_cluster *cluster, const struct al_result *result) {
    json_t *o = json_object(), *decisions = json_array(), *pending = json_array(),
           *queues = json_array(), *reservations = json_array();
    int rc = o && decisions && pending && queues && reservations ? 0 : -1;

    if (cluster->name)
        rc |= al__put(o, "name", json_string(cluster->name));
    for (size_t i = 0; rc == 0 && i < result->decision_count; i++)
        rc |= al__push(decisions, decision_json(cluster, &result->decisions[i]));
    int32_t *order = al__explanations_by_name(cluster, result);
    rc |= order ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < result->explanation_count; i++)
        rc |= al__push(pending, explanation_json(cluster, &result->explanations[order[i]]));
    free(order);
    for (size_t i = 0; rc == 0 && i < cluster->queue_count; i++)
        rc |= al__push(queues, queue_json(cluster, i, &result->queues[i]));
    rc |= al__put(o, "decisions", decisions);
    rc |= al__put(o, "pending", pending);
    for (size_t i = 0; rc == 0 && i < result->reservation_count; i++)
        rc |= al__push(reservations, reservation_json(cluster, &result->reservations[i]));
    rc |= al__put(o, "queues", queues);
    if (result->reservation_count > 0) /* the key only where there are some: older readers */
        rc |= al__put(o, "reservations", reservations);
    else
        json_decref(reservations);
    return al__finish(o, rc);
}
