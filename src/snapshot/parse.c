/* parse.c - al_snapshot_parse(): the document's top level and config, then the stages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "snapshot/json_util.h"
#include "snapshot/parse.h"

static const char *const top_keys[] = {
    "name", "source", "description", "config", "nodes",      "queues",
    "jobs", "expect", "now_s",       "seed",   "topologies", NULL,
};

static const char *const config_keys[] = {
    "actions",
    "gpu_placement",
    "cpu_placement",
    "gpu_device_placement",
    "shared_gpu_node_preference",
    "staleness_grace_period_s",
    "victim_search_budget",
    "usage_k",
    "usage_half_life_s",
    "usage_window_s",
    "usage_per_pool",
    "queue_priority_in_quota_reclaim",
    "reservation_min_gpus",
    "reservation_wait_s",
    NULL,
};

static const char *const budget_keys[] = {"scenarios_per_job", "scenarios_per_action",
                                          "victim_tasks", NULL};

int al__snapshot_load_json(const char *text, size_t len, struct al__json_doc *doc,
                           struct al_snapshot_error *err) {
    char msg[sizeof(err->message)];
    int line;
    int rc = al__json_parse(text, len, doc, msg, sizeof(msg), &line);

    if (rc < 0) {
        al__fail(err, "", "%s", msg);
        if (err)
            err->line = line;
    }
    return rc;
}

static int parse_actions(struct al__parse *p, const struct al__json *config) {
    const struct al__json *actions, *v;
    struct al_config *c = &p->cluster->config;
    char path[AL__PATH_SIZE];
    size_t i;

    if (al__member_array(config, "config", "actions", true, &actions, p->err) < 0)
        return -AL_EINVAL;
    if (al__json_size(actions) > AL_MAX_ACTIONS)
        return al__fail(p->err, "config.actions", "at most %d actions", AL_MAX_ACTIONS);
    al__json_array_foreach(actions, i, v) {
        const char *name;
        al__path_index(path, "config.actions", i);
        if (al__read_string(v, path, false, &name, p->err) < 0)
            return -AL_EINVAL;
        if (al_action_parse(name, &c->actions[i]) < 0)
            return al__fail(p->err, path,
                            "unknown action \"%s\" (allocate, consolidation, reclaim, preempt, "
                            "stalegangeviction)",
                            name);
        c->action_count = i + 1;
    }
    return 0;
}

/* A placement member: `a` means AL_BINPACK, `b` means AL_SPREAD, "allot" AL_ALLOT where
 * allot_too (node orders). */
static int parse_placement(struct al__parse *p, const struct al__json *config, const char *key,
                           const char *a, const char *b, bool allot_too, enum al_placement *out) {
    const char *s = NULL;
    char path[AL__PATH_SIZE];

    if (al__member_string(config, "config", key, false, &s, p->err) < 0)
        return -AL_EINVAL;
    if (!s)
        return 0;
    if (strcmp(s, a) == 0)
        *out = AL_BINPACK;
    else if (strcmp(s, b) == 0)
        *out = AL_SPREAD;
    else if (allot_too && strcmp(s, "allot") == 0)
        *out = AL_ALLOT;
    else {
        al__path_key(path, "config", key);
        if (allot_too)
            return al__fail(p->err, path, "must be \"%s\", \"%s\" or \"allot\"", a, b);
        return al__fail(p->err, path, "must be \"%s\" or \"%s\"", a, b);
    }
    return 0;
}

/* config.victim_search_budget: the counts of al_victim_budget (the time budget is a live
 * scheduler's, never a snapshot's: replays stay deterministic). */
static int parse_budget(struct al__parse *p, const struct al__json *config) {
    struct al_victim_budget *b = &p->cluster->config.victim_budget;
    const struct al__json *budget;
    const char *path = "config.victim_search_budget";

    if (al__member_object(config, "config", "victim_search_budget", false, &budget, p->err) < 0)
        return -AL_EINVAL;
    if (!budget)
        return 0;
    if (al__check_keys(budget, path, budget_keys, p->err) < 0 ||
        al__member_int32(budget, path, "scenarios_per_job", false, 1, 1000000,
                         &b->scenarios_per_job, p->err) < 0 ||
        al__member_int32(budget, path, "scenarios_per_action", false, 1, 100000000,
                         &b->scenarios_per_action, p->err) < 0 ||
        al__member_int32(budget, path, "victim_tasks", false, 1, 1000000, &b->victim_tasks,
                         p->err) < 0)
        return -AL_EINVAL;
    return 0;
}

/* Time-based fair share: usage_k (KAI's kValue, 0..1000), the half-life and the window, and
 * whether usage was measured per node pool. */
static int parse_usage(struct al__parse *p, const struct al__json *config) {
    struct al_config *c = &p->cluster->config;
    const struct al__json *k = al__json_get(config, "usage_k");

    if (k && al__read_scaled(k, "config.usage_k", AL_MAX_USAGE_K_MILLI / 1000.0, 1000,
                             &c->usage_k_milli, p->err) < 0)
        return -AL_EINVAL;
    if (al__member_int(config, "config", "usage_half_life_s", false, 0, AL__MAX_SECONDS,
                       &c->usage_half_life_s, p->err) < 0 ||
        al__member_int(config, "config", "usage_window_s", false, 0, AL__MAX_SECONDS,
                       &c->usage_window_s, p->err) < 0 ||
        al__member_bool(config, "config", "usage_per_pool", false, &c->usage_per_pool, p->err) < 0)
        return -AL_EINVAL;
    return 0;
}

int al__parse_config(struct al__parse *p, const struct al__json *config) {
    struct al_config *c = &p->cluster->config;

    al_config_init(c);
    if (al__check_keys(config, "config", config_keys, p->err) < 0 || parse_actions(p, config) < 0)
        return -AL_EINVAL;
    if (parse_placement(p, config, "gpu_placement", "binpack", "spread", true, &c->gpu_placement) <
            0 ||
        parse_placement(p, config, "cpu_placement", "binpack", "spread", true, &c->cpu_placement) <
            0 ||
        parse_placement(p, config, "gpu_device_placement", "pack", "spread", false,
                        &c->gpu_device_placement) < 0)
        return -AL_EINVAL;
    if (al__member_bool(config, "config", "shared_gpu_node_preference", false,
                        &c->shared_gpu_node_preference, p->err) < 0 ||
        al__member_bool(config, "config", "queue_priority_in_quota_reclaim", false,
                        &c->queue_priority_in_quota_reclaim, p->err) < 0 ||
        parse_budget(p, config) < 0 || parse_usage(p, config) < 0 ||
        al__member_int32(config, "config", "reservation_min_gpus", false, 0, INT32_MAX,
                         &c->reservation_min_gpus, p->err) < 0 ||
        al__member_int(config, "config", "reservation_wait_s", false, 0, AL__MAX_SECONDS,
                       &c->reservation_wait_s, p->err) < 0)
        return -AL_EINVAL;
    return al__member_int(config, "config", "staleness_grace_period_s", false, -AL__MAX_SECONDS,
                          AL__MAX_SECONDS, &c->staleness_grace_period_s, p->err);
}

/* name, now_s, seed and the ignored informational strings. */
static int parse_top_scalars(struct al__parse *p, const struct al__json *root) {
    const char *s = NULL;
    int64_t seed = 0;

    if (al__member_string(root, "", "source", false, &s, p->err) < 0 ||
        al__member_string(root, "", "description", false, &s, p->err) < 0)
        return -AL_EINVAL;
    s = NULL;
    if (al__member_string(root, "", "name", false, &s, p->err) < 0)
        return -AL_EINVAL;
    if (s && al__dup(&p->cluster->name, s, "name", p->err) < 0)
        return -AL_ENOMEM;
    if (al__member_int(root, "", "now_s", false, -AL__MAX_SECONDS, AL__MAX_SECONDS,
                       &p->cluster->now_s, p->err) < 0 ||
        al__member_int(root, "", "seed", false, 0, INT64_MAX, &seed, p->err) < 0)
        return -AL_EINVAL;
    p->cluster->seed = (uint64_t)seed;
    return 0;
}

static int parse_sections(struct al__parse *p, const struct al__json *root) {
    const struct al__json *config, *nodes, *queues, *jobs;
    int rc;

    if (al__want_object(root, "", p->err) < 0 || al__check_keys(root, "", top_keys, p->err) < 0)
        return -AL_EINVAL;
    if ((rc = parse_top_scalars(p, root)) < 0)
        return rc;
    if (al__member_object(root, "", "config", true, &config, p->err) < 0 ||
        al__parse_config(p, config) < 0)
        return -AL_EINVAL;
    if (al__member_array(root, "", "nodes", true, &nodes, p->err) < 0 ||
        al__member_array(root, "", "queues", true, &queues, p->err) < 0 ||
        al__member_array(root, "", "jobs", true, &jobs, p->err) < 0)
        return -AL_EINVAL;
    if ((rc = al__parse_nodes(p, nodes)) < 0 || (rc = al__parse_queues(p, queues)) < 0 ||
        (rc = al__parse_topologies(p, root)) < 0 || (rc = al__parse_jobs(p, jobs)) < 0)
        return rc;
    return al__gpu_assign(p);
}

void al__parse_extra_release(struct al__parse_extra *extra) {
    if (!extra)
        return;
    for (size_t i = 0; i < extra->label_count; i++)
        free(extra->labels[i].label);
    free(extra->labels);
    memset(extra, 0, sizeof(*extra));
}

void al__task_path(const struct al__parse *p, size_t task, const char *field,
                   char out[AL__PATH_SIZE]) {
    const struct al_task *t = &p->cluster->tasks[task];
    size_t pos = task - p->cluster->jobs[t->job].first_task;

    if (field)
        snprintf(out, AL__PATH_SIZE, "jobs[%d].tasks[%zu].%s", (int)t->job, pos, field);
    else
        snprintf(out, AL__PATH_SIZE, "jobs[%d].tasks[%zu]", (int)t->job, pos);
}

int al__snapshot_parse_root(const struct al__json *root, struct al_cluster *cluster,
                            struct al__parse_extra *extra, struct al_snapshot_error *err) {
    struct al_cluster c;
    struct al__parse p;
    int rc;

    memset(&c, 0, sizeof(c));
    memset(&p, 0, sizeof(p));
    p.err = err;
    p.cluster = &c;
    rc = parse_sections(&p, root);
    al__names_release(&p.nodes);
    al__names_release(&p.queues);
    al__names_release(&p.subgroups);
    free(p.queue_has_child);
    free(p.task_groups);
    if (rc < 0) {
        al__parse_extra_release(&p.extra);
        al_cluster_release(&c);
        memset(cluster, 0, sizeof(*cluster));
        return rc;
    }
    *cluster = c;
    if (extra)
        *extra = p.extra;
    else
        al__parse_extra_release(&p.extra);
    return 0;
}

int al_snapshot_parse(const char *text, size_t len, struct al_cluster *cluster,
                      struct al_snapshot_error *err) {
    struct al__json_doc doc;
    int rc;

    if (err)
        memset(err, 0, sizeof(*err));
    rc = al__snapshot_load_json(text, len, &doc, err);
    if (rc == 0)
        rc = al__snapshot_parse_root(doc.root, cluster, NULL, err);
    else
        memset(cluster, 0, sizeof(*cluster));
    al__json_doc_release(&doc);
    return rc;
}
