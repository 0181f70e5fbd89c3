/* scenario_expect.c - parses a scenario's `expect` member (tasks, task groups, same_node, queues,
 * reservations). */
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "snapshot/json_util.h"
#include "snapshot/names.h"
#include "snapshot/scenario.h"

static const char *const expect_keys[] = {"tasks",  "task_groups",  "same_node",
                                          "queues", "reservations", NULL};
static const char *const reservation_keys[] = {"job", "start_s", "nodes", NULL};
static const char *const task_keys[] = {"state", "node", "node_in", "gpu_group", "kai_node", NULL};
static const char *const group_keys[] = {"tasks", "outcomes", "kai_assignment", NULL};
static const char *const outcome_keys[] = {"state", "node", "count", NULL};
static const char *const queue_keys[] = {"fair_share", NULL};
static const char *const share_keys[] = {"gpu", "cpu_millis", "memory_bytes", NULL};

static const char *const expected_states[] = {
    "pending",   "allocated",       "pipelined", "bound",  "running",
    "releasing", "stuck_releasing", "succeeded", "failed", "evicted",
};

/* Everything the section parsers share. */
struct expect_parse {
    const struct al_cluster *cluster;
    struct al_snapshot_error *err;
    struct al__names nodes, tasks, queues, jobs;
    unsigned char *covered; /* per task: listed in tasks (1) or in a group (2) */
    struct al_expect *out;
};

static int read_state(struct expect_parse *x, const struct al__json *obj, const char *path,
                      const char **out) {
    const char *s;
    char spath[AL__PATH_SIZE];

    if (al__member_string(obj, path, "state", true, &s, x->err) < 0)
        return -AL_EINVAL;
    for (size_t i = 0; i < sizeof(expected_states) / sizeof(expected_states[0]); i++)
        if (strcmp(expected_states[i], s) == 0) {
            *out = expected_states[i];
            return 0;
        }
    al__path_key(spath, path, "state");
    return al__fail(x->err, spath, "unknown expected state \"%s\"", s);
}

static int lookup(struct expect_parse *x, const struct al__names *names, const char *what,
                  const struct al__json *v, const char *path, int32_t *out) {
    const char *name;

    if (al__read_string(v, path, false, &name, x->err) < 0)
        return -AL_EINVAL;
    *out = al__names_find(names, name);
    if (*out < 0)
        return al__fail(x->err, path, "unknown %s \"%s\"", what, name);
    return 0;
}

/* An array of names (at least one) resolved to indices in a fresh array. */
static int read_refs(struct expect_parse *x, const struct al__names *names, const char *what,
                     const struct al__json *list, const char *path, int32_t **out, size_t *count) {
    const struct al__json *v;
    char epath[AL__PATH_SIZE];
    size_t i;

    if (al__want_array(list, path, x->err) < 0)
        return -AL_EINVAL;
    if (al__json_size(list) == 0)
        return al__fail(x->err, path, "must not be empty");
    *out = calloc(al__json_size(list), sizeof(**out));
    if (!*out)
        return al__fail_nomem(x->err, path);
    *count = al__json_size(list);
    al__json_array_foreach(list, i, v) {
        al__path_index(epath, path, i);
        if (lookup(x, names, what, v, epath, &(*out)[i]) < 0)
            return -AL_EINVAL;
    }
    return 0;
}

static int read_node(struct expect_parse *x, const struct al__json *obj, const char *path,
                     int32_t *out) {
    const struct al__json *v = al__json_get(obj, "node");
    char npath[AL__PATH_SIZE];

    *out = -1;
    if (!v)
        return 0;
    al__path_key(npath, path, "node");
    return lookup(x, &x->nodes, "node", v, npath, out);
}

static int parse_gpu_group(struct expect_parse *x, const struct al__json *obj, const char *path,
                           struct al_expect_task *e) {
    const struct al_task *t = &x->cluster->tasks[e->task];
    const char *label = NULL, *kai_node = NULL;
    char gpath[AL__PATH_SIZE];

    if (al__member_string(obj, path, "kai_node", false, &kai_node, x->err) < 0 ||
        al__member_string(obj, path, "gpu_group", false, &label, x->err) < 0)
        return -AL_EINVAL;
    if (!label)
        return 0;
    al__path_key(gpath, path, "gpu_group");
    if (t->gpu_milli == 0 && t->gpu_memory_mib == 0)
        return al__fail(x->err, gpath, "only for tasks with gpu_fraction or gpu_memory_mib");
    return al__dup(&e->gpu_group, label, gpath, x->err);
}

static int parse_task(struct expect_parse *x, const char *name, const struct al__json *obj,
                      const char *path, struct al_expect_task *e) {
    const struct al__json *node_in;
    char npath[AL__PATH_SIZE];

    e->node = -1;
    e->task = al__names_find(&x->tasks, name);
    if (e->task < 0)
        return al__fail(x->err, path, "unknown task \"%s\"", name);
    x->covered[e->task] = 1;
    if (al__want_object(obj, path, x->err) < 0 ||
        al__check_keys(obj, path, task_keys, x->err) < 0 ||
        read_state(x, obj, path, &e->state) < 0 || read_node(x, obj, path, &e->node) < 0)
        return -AL_EINVAL;
    node_in = al__json_get(obj, "node_in");
    al__path_key(npath, path, "node_in");
    if (node_in &&
        read_refs(x, &x->nodes, "node", node_in, npath, &e->node_in, &e->node_in_count) < 0)
        return -AL_EINVAL;
    return parse_gpu_group(x, obj, path, e);
}

static int parse_tasks(struct expect_parse *x, const struct al__json *tasks) {
    const char *name;
    const struct al__json *v;
    char path[AL__PATH_SIZE];
    int rc;

    if (al__json_size(tasks) == 0)
        return 0;
    x->out->tasks = calloc(al__json_size(tasks), sizeof(*x->out->tasks));
    if (!x->out->tasks)
        return al__fail_nomem(x->err, "expect.tasks");
    al__json_object_foreach(tasks, name, v) {
        struct al_expect_task *e = &x->out->tasks[x->out->task_count++];
        al__path_key(path, "expect.tasks", name);
        if ((rc = parse_task(x, name, v, path, e)) < 0)
            return rc;
    }
    return 0;
}

static int parse_outcome(struct expect_parse *x, const struct al__json *obj, const char *path,
                         size_t group_size, struct al_expect_outcome *o) {
    if (al__want_object(obj, path, x->err) < 0 ||
        al__check_keys(obj, path, outcome_keys, x->err) < 0 ||
        read_state(x, obj, path, &o->state) < 0 || read_node(x, obj, path, &o->node) < 0)
        return -AL_EINVAL;
    return al__member_int32(obj, path, "count", true, 0, (int64_t)group_size, &o->count, x->err);
}

static int parse_outcomes(struct expect_parse *x, const struct al__json *obj, const char *path,
                          struct al_expect_group *g) {
    const struct al__json *list, *v;
    char base[AL__PATH_SIZE], opath[AL__PATH_SIZE];
    size_t i, sum = 0;

    if (al__member_array(obj, path, "outcomes", true, &list, x->err) < 0)
        return -AL_EINVAL;
    al__path_key(base, path, "outcomes");
    g->outcomes = calloc(al__json_size(list) + 1, sizeof(*g->outcomes));
    if (!g->outcomes)
        return al__fail_nomem(x->err, base);
    al__json_array_foreach(list, i, v) {
        al__path_index(opath, base, i);
        if (parse_outcome(x, v, opath, g->task_count, &g->outcomes[i]) < 0)
            return -AL_EINVAL;
        g->outcome_count = i + 1;
        sum += (size_t)g->outcomes[i].count;
    }
    if (sum != g->task_count)
        return al__fail(x->err, base, "counts add up to %zu, the group has %zu tasks", sum,
                        g->task_count);
    return 0;
}

static int parse_group(struct expect_parse *x, const struct al__json *obj, const char *path,
                       struct al_expect_group *g) {
    const struct al__json *tasks, *kai;
    char tpath[AL__PATH_SIZE], epath[AL__PATH_SIZE];

    if (al__want_object(obj, path, x->err) < 0 ||
        al__check_keys(obj, path, group_keys, x->err) < 0 ||
        al__member_object(obj, path, "kai_assignment", false, &kai, x->err) < 0 ||
        al__member_array(obj, path, "tasks", true, &tasks, x->err) < 0)
        return -AL_EINVAL;
    al__path_key(tpath, path, "tasks");
    if (read_refs(x, &x->tasks, "task", tasks, tpath, &g->tasks, &g->task_count) < 0)
        return -AL_EINVAL;
    for (size_t i = 0; i < g->task_count; i++) {
        al__path_index(epath, tpath, i);
        if (x->covered[g->tasks[i]])
            return al__fail(x->err, epath, "task \"%s\" is already listed in %s",
                            x->cluster->tasks[g->tasks[i]].name,
                            x->covered[g->tasks[i]] == 1 ? "expect.tasks" : "a task group");
        x->covered[g->tasks[i]] = 2;
    }
    return parse_outcomes(x, obj, path, g);
}

static int parse_groups(struct expect_parse *x, const struct al__json *groups) {
    const struct al__json *v;
    char path[AL__PATH_SIZE];
    size_t i;
    int rc;

    if (al__json_size(groups) == 0)
        return 0;
    x->out->groups = calloc(al__json_size(groups), sizeof(*x->out->groups));
    if (!x->out->groups)
        return al__fail_nomem(x->err, "expect.task_groups");
    al__json_array_foreach(groups, i, v) {
        al__path_index(path, "expect.task_groups", i);
        x->out->group_count = i + 1;
        if ((rc = parse_group(x, v, path, &x->out->groups[i])) < 0)
            return rc;
    }
    return 0;
}

static int parse_same_node(struct expect_parse *x, const struct al__json *lists) {
    const struct al__json *v;
    char path[AL__PATH_SIZE];
    size_t i;

    if (al__json_size(lists) == 0)
        return 0;
    x->out->same_node = calloc(al__json_size(lists), sizeof(*x->out->same_node));
    if (!x->out->same_node)
        return al__fail_nomem(x->err, "expect.same_node");
    al__json_array_foreach(lists, i, v) {
        struct al_expect_same_node *s = &x->out->same_node[i];
        al__path_index(path, "expect.same_node", i);
        x->out->same_node_count = i + 1;
        if (read_refs(x, &x->tasks, "task", v, path, &s->tasks, &s->task_count) < 0)
            return -AL_EINVAL;
    }
    return 0;
}

static int parse_fair_share(struct expect_parse *x, const struct al__json *share, const char *path,
                            struct al_expect_queue *q) {
    const struct al__json *gpu = al__json_get(share, "gpu");
    char gpath[AL__PATH_SIZE];

    if (al__check_keys(share, path, share_keys, x->err) < 0)
        return -AL_EINVAL;
    al__path_key(gpath, path, "gpu");
    q->has[AL_GPU] = gpu != NULL;
    if (gpu &&
        al__read_gpus(gpu, gpath, false, AL__MAX_QUEUE_GPUS, &q->fair_share[AL_GPU], x->err) < 0)
        return -AL_EINVAL;
    q->has[AL_CPU] = al__json_get(share, "cpu_millis") != NULL;
    q->has[AL_MEMORY] = al__json_get(share, "memory_bytes") != NULL;
    if (al__member_int(share, path, "cpu_millis", false, 0, AL__MAX_CPU_MILLIS,
                       &q->fair_share[AL_CPU], x->err) < 0 ||
        al__member_int(share, path, "memory_bytes", false, 0, AL__MAX_MEMORY_BYTES,
                       &q->fair_share[AL_MEMORY], x->err) < 0)
        return -AL_EINVAL;
    return 0;
}

static int parse_queue(struct expect_parse *x, const char *name, const struct al__json *obj,
                       const char *path, struct al_expect_queue *q) {
    const struct al__json *share;
    char spath[AL__PATH_SIZE];

    q->queue = al__names_find(&x->queues, name);
    if (q->queue < 0)
        return al__fail(x->err, path, "unknown queue \"%s\"", name);
    if (al__want_object(obj, path, x->err) < 0 ||
        al__check_keys(obj, path, queue_keys, x->err) < 0 ||
        al__member_object(obj, path, "fair_share", false, &share, x->err) < 0)
        return -AL_EINVAL;
    al__path_key(spath, path, "fair_share");
    return share ? parse_fair_share(x, share, spath, q) : 0;
}

static int parse_queues(struct expect_parse *x, const struct al__json *queues) {
    const char *name;
    const struct al__json *v;
    char path[AL__PATH_SIZE];
    int rc;

    if (al__json_size(queues) == 0)
        return 0;
    x->out->queues = calloc(al__json_size(queues), sizeof(*x->out->queues));
    if (!x->out->queues)
        return al__fail_nomem(x->err, "expect.queues");
    al__json_object_foreach(queues, name, v) {
        struct al_expect_queue *q = &x->out->queues[x->out->queue_count++];
        al__path_key(path, "expect.queues", name);
        if ((rc = parse_queue(x, name, v, path, q)) < 0)
            return rc;
    }
    return 0;
}

static int parse_reservation(struct expect_parse *x, const struct al__json *obj, const char *path,
                             struct al_expect_reservation *r) {
    const struct al__json *job = al__json_get(obj, "job"), *nodes = al__json_get(obj, "nodes");
    char jpath[AL__PATH_SIZE], npath[AL__PATH_SIZE];

    if (al__want_object(obj, path, x->err) < 0 ||
        al__check_keys(obj, path, reservation_keys, x->err) < 0)
        return -AL_EINVAL;
    al__path_key(jpath, path, "job");
    al__path_key(npath, path, "nodes");
    if (!job)
        return al__fail(x->err, jpath, "required");
    if (!nodes)
        return al__fail(x->err, npath, "required");
    if (lookup(x, &x->jobs, "job", job, jpath, &r->job) < 0 ||
        al__member_int(obj, path, "start_s", true, -AL__MAX_SECONDS, AL__MAX_SECONDS, &r->start_s,
                       x->err) < 0)
        return -AL_EINVAL;
    return read_refs(x, &x->nodes, "node", nodes, npath, &r->nodes, &r->node_count);
}

static int parse_reservations(struct expect_parse *x, const struct al__json *list) {
    const struct al__json *v;
    char path[AL__PATH_SIZE];
    size_t i;

    x->out->has_reservations = true;
    x->out->reservations = calloc(al__json_size(list) + 1, sizeof(*x->out->reservations));
    if (!x->out->reservations)
        return al__fail_nomem(x->err, "expect.reservations");
    al__json_array_foreach(list, i, v) {
        al__path_index(path, "expect.reservations", i);
        x->out->reservation_count = i + 1;
        if (parse_reservation(x, v, path, &x->out->reservations[i]) < 0)
            return -AL_EINVAL;
    }
    return 0;
}

/* Name tables of the cluster's nodes, tasks and queues (names are unique after parsing). */
static int index_cluster(struct expect_parse *x) {
    const struct al_cluster *c = x->cluster;
    int32_t a, b;

    if (al__names_init(&x->nodes, c->node_count) < 0 ||
        al__names_init(&x->tasks, c->task_count) < 0 ||
        al__names_init(&x->queues, c->queue_count) < 0 ||
        al__names_init(&x->jobs, c->job_count) < 0)
        return al__fail_nomem(x->err, "expect");
    for (size_t i = 0; i < c->job_count; i++)
        al__names_set(&x->jobs, i, c->jobs[i].name);
    for (size_t i = 0; i < c->node_count; i++)
        al__names_set(&x->nodes, i, c->nodes[i].name);
    for (size_t i = 0; i < c->task_count; i++)
        al__names_set(&x->tasks, i, c->tasks[i].name);
    for (size_t i = 0; i < c->queue_count; i++)
        al__names_set(&x->queues, i, c->queues[i].name);
    al__names_sort(&x->nodes, &a, &b);
    al__names_sort(&x->tasks, &a, &b);
    al__names_sort(&x->queues, &a, &b);
    al__names_sort(&x->jobs, &a, &b);
    x->covered = calloc(c->task_count + 1, 1);
    return x->covered ? 0 : al__fail_nomem(x->err, "expect");
}

static int parse_sections(struct expect_parse *x, const struct al__json *expect) {
    const struct al__json *tasks, *groups, *same, *queues, *reservations;
    int rc;

    if (al__check_keys(expect, "expect", expect_keys, x->err) < 0 ||
        al__member_object(expect, "expect", "tasks", false, &tasks, x->err) < 0 ||
        al__member_array(expect, "expect", "task_groups", false, &groups, x->err) < 0 ||
        al__member_array(expect, "expect", "same_node", false, &same, x->err) < 0 ||
        al__member_object(expect, "expect", "queues", false, &queues, x->err) < 0 ||
        al__member_array(expect, "expect", "reservations", false, &reservations, x->err) < 0)
        return -AL_EINVAL;
    if ((rc = index_cluster(x)) < 0)
        return rc;
    if ((tasks && (rc = parse_tasks(x, tasks)) < 0) ||
        (groups && (rc = parse_groups(x, groups)) < 0) ||
        (same && (rc = parse_same_node(x, same)) < 0))
        return rc;
    if (queues && (rc = parse_queues(x, queues)) < 0)
        return rc;
    return reservations ? parse_reservations(x, reservations) : 0;
}

int al__expect_parse(const struct al__json *expect, const struct al_cluster *cluster,
                     struct al_expect *out, struct al_snapshot_error *err) {
    struct expect_parse x;
    struct al_expect e;
    int rc;

    memset(&x, 0, sizeof(x));
    memset(&e, 0, sizeof(e));
    x.cluster = cluster;
    x.err = err;
    x.out = &e;
    rc = parse_sections(&x, expect);
    al__names_release(&x.nodes);
    al__names_release(&x.tasks);
    al__names_release(&x.queues);
    al__names_release(&x.jobs);
    free(x.covered);
    if (rc < 0) {
        al__expect_release(&e);
        return rc;
    }
    *out = e;
    return 0;
}

void al__expect_release(struct al_expect *expect) {
    if (!expect)
        return;
    for (size_t i = 0; i < expect->task_count; i++) {
        free(expect->tasks[i].node_in);
        free(expect->tasks[i].gpu_group);
    }
    for (size_t i = 0; i < expect->group_count; i++) {
        free(expect->groups[i].tasks);
        free(expect->groups[i].outcomes);
    }
    for (size_t i = 0; i < expect->same_node_count; i++)
        free(expect->same_node[i].tasks);
    free(expect->tasks);
    free(expect->groups);
    free(expect->same_node);
    free(expect->queues);
    for (size_t i = 0; i < expect->reservation_count; i++)
        free(expect->reservations[i].nodes);
    free(expect->reservations);
    memset(expect, 0, sizeof(*expect));
}
