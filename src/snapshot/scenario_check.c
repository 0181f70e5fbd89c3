/* scenario_check.c - compares a cycle's result with a scenario's expectations; first difference. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "snapshot/json_util.h"
#include "snapshot/report.h"
#include "snapshot/scenario.h"

/* What the checks share: inputs and the caller's buffer for the first difference. */
struct check {
    const struct al_scenario *sc;
    const struct al_result *res;
    char *diff;
    size_t size;
};

static bool differ(struct check *k, const char *fmt, ...) AL__PRINTF(2, 3);

/* Records the difference and returns false, so checks can `return differ(...)`. */
static bool differ(struct check *k, const char *fmt, ...) {
    va_list ap;

    if (k->size > 0) {
        va_start(ap, fmt);
        vsnprintf(k->diff, k->size, fmt, ap);
        va_end(ap);
    }
    return false;
}

const char *al_outcome_state_name(const struct al_task_outcome *outcome) {
    if (outcome->state == AL_TASK_RELEASING && outcome->evicted)
        return "evicted";
    return al_task_state_name(outcome->state);
}

static const char *task_name(const struct check *k, int32_t t) {
    return k->sc->cluster.tasks[t].name;
}

static const char *node_name(const struct check *k, int32_t n) {
    return n >= 0 ? k->sc->cluster.nodes[n].name : "no node";
}

/* The node a task ends on; a finished task keeps the node it ran on. */
static int32_t end_node(const struct check *k, int32_t t) {
    const struct al_task_outcome *o = &k->res->tasks[t];

    if (o->node < 0 && !al_task_is_active(o->state) && o->state != AL_TASK_PENDING)
        return k->sc->cluster.tasks[t].node;
    return o->node;
}

/* "allocated on node0", or "pending" for a task without a node. */
static void where_text(const struct check *k, const char *state, int32_t node, char *buf,
                       size_t size) {
    if (node >= 0)
        snprintf(buf, size, "%s on %s", state, node_name(k, node));
    else
        snprintf(buf, size, "%s", state);
}

static void node_list_text(const struct check *k, const struct al_expect_task *e, char *buf,
                           size_t size) {
    size_t len = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < e->node_in_count && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? ", " : "",
                                node_name(k, e->node_in[i]));
}

static bool node_in_list(const struct al_expect_task *e, int32_t node) {
    for (size_t i = 0; i < e->node_in_count; i++)
        if (e->node_in[i] == node)
            return true;
    return false;
}

static bool check_task(struct check *k, const struct al_expect_task *e) {
    const char *got = al_outcome_state_name(&k->res->tasks[e->task]);
    int32_t node = end_node(k, e->task);
    char want[256], have[256], nodes[160];

    where_text(k, e->state, e->node, want, sizeof(want));
    where_text(k, got, node, have, sizeof(have));
    if (strcmp(got, e->state) != 0 || (e->node >= 0 && node != e->node))
        return differ(k, "task %s: expected %s, got %s", task_name(k, e->task), want, have);
    if (e->node_in && !node_in_list(e, node)) {
        node_list_text(k, e, nodes, sizeof(nodes));
        return differ(k, "task %s: expected %s on one of %s, got %s", task_name(k, e->task),
                      e->state, nodes, have);
    }
    return true;
}

/* "a-0 running on node0, a-1 evicted on node1" (truncated to the buffer). */
static void group_text(const struct check *k, const struct al_expect_group *g, char *buf,
                       size_t size) {
    size_t len = 0;
    char where[160];

    buf[0] = '\0';
    for (size_t i = 0; i < g->task_count && len < size; i++) {
        where_text(k, al_outcome_state_name(&k->res->tasks[g->tasks[i]]), end_node(k, g->tasks[i]),
                   where, sizeof(where));
        len += (size_t)snprintf(buf + len, size - len, "%s%s %s", i ? ", " : "",
                                task_name(k, g->tasks[i]), where);
    }
}

/* Group tasks that end in `state` (and on `node`, unless it is -1). */
static int32_t group_count(const struct check *k, const struct al_expect_group *g,
                           const char *state, int32_t node) {
    int32_t n = 0;

    for (size_t i = 0; i < g->task_count; i++)
        if (strcmp(al_outcome_state_name(&k->res->tasks[g->tasks[i]]), state) == 0 &&
            (node < 0 || end_node(k, g->tasks[i]) == node))
            n++;
    return n;
}

static bool check_group(struct check *k, size_t index, const struct al_expect_group *g) {
    char tasks[320];

    for (size_t i = 0; i < g->outcome_count; i++) {
        const struct al_expect_outcome *o = &g->outcomes[i];
        int32_t want = 0, got = group_count(k, g, o->state, -1);
        for (size_t j = 0; j < g->outcome_count; j++)
            want += strcmp(g->outcomes[j].state, o->state) == 0 ? g->outcomes[j].count : 0;
        if (got != want) {
            group_text(k, g, tasks, sizeof(tasks));
            return differ(k, "task_groups[%zu]: expected %d %s, got %d (%s)", index, (int)want,
                          o->state, (int)got, tasks);
        }
        if (o->node >= 0 && (got = group_count(k, g, o->state, o->node)) < o->count) {
            group_text(k, g, tasks, sizeof(tasks));
            return differ(k, "task_groups[%zu]: expected at least %d %s on %s, got %d (%s)", index,
                          (int)o->count, o->state, node_name(k, o->node), (int)got, tasks);
        }
    }
    return true;
}

static bool check_same_node(struct check *k, size_t index, const struct al_expect_same_node *s) {
    int32_t first = end_node(k, s->tasks[0]);

    for (size_t i = 0; i < s->task_count; i++) {
        int32_t node = end_node(k, s->tasks[i]);
        if (node < 0 || node != first)
            return differ(k, "same_node[%zu]: %s on %s, %s on %s", index, task_name(k, s->tasks[0]),
                          node_name(k, first), task_name(k, s->tasks[i]), node_name(k, node));
    }
    return true;
}

/* The device an input gpu_groups label names on a node, or -1. */
static int32_t label_device(const struct al_scenario *sc, int32_t node, const char *label) {
    for (size_t i = 0; i < sc->label_count; i++)
        if (sc->labels[i].node == node && strcmp(sc->labels[i].label, label) == 0)
            return sc->labels[i].device;
    return -1;
}

static bool has_device(const struct al_task_outcome *o, int32_t device) {
    for (size_t i = 0; i < o->gpu_count; i++)
        if (o->gpus[i] == device)
            return true;
    return false;
}

static bool same_devices(const struct al_task_outcome *a, const struct al_task_outcome *b) {
    if (a->gpu_count != b->gpu_count)
        return false;
    for (size_t i = 0; i < a->gpu_count; i++)
        if (!has_device(b, a->gpus[i]))
            return false;
    return true;
}

static bool shares_device(const struct al_task_outcome *a, const struct al_task_outcome *b) {
    for (size_t i = 0; i < a->gpu_count; i++)
        if (has_device(b, a->gpus[i]))
            return true;
    return false;
}

/* "device 0" or "devices 0, 1" */
static void devices_text(const struct al_task_outcome *o, char *buf, size_t size) {
    size_t len = (size_t)snprintf(buf, size, "device%s ", o->gpu_count == 1 ? "" : "s");

    for (size_t i = 0; i < o->gpu_count && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%d", i ? ", " : "", (int)o->gpus[i]);
}

/* Expected labels of two tasks on one node: same label, same device; else different ones. */
static bool check_gpu_pair(struct check *k, const struct al_expect_task *a,
                           const struct al_expect_task *b) {
    const struct al_task_outcome *x = &k->res->tasks[a->task], *y = &k->res->tasks[b->task];
    char dx[96], dy[96];

    if (x->node != y->node)
        return true;
    devices_text(x, dx, sizeof(dx));
    devices_text(y, dy, sizeof(dy));
    if (strcmp(a->gpu_group, b->gpu_group) == 0 && !same_devices(x, y))
        return differ(k, "tasks %s and %s: expected one GPU (group \"%s\") on %s, got %s and %s",
                      task_name(k, a->task), task_name(k, b->task), a->gpu_group,
                      node_name(k, x->node), dx, dy);
    if (strcmp(a->gpu_group, b->gpu_group) != 0 && shares_device(x, y))
        return differ(k,
                      "tasks %s and %s: expected different GPUs (groups \"%s\" and \"%s\") on "
                      "%s, got %s and %s",
                      task_name(k, a->task), task_name(k, b->task), a->gpu_group, b->gpu_group,
                      node_name(k, x->node), dx, dy);
    return true;
}

/* A task with an expected label that an input task on its node has: that very device. */
static bool check_gpu_label(struct check *k, const struct al_expect_task *e) {
    const struct al_task_outcome *o = &k->res->tasks[e->task];
    int32_t device;
    char have[96];

    if (!e->gpu_group)
        return true;
    if (o->gpu_count == 0)
        return differ(k, "task %s: expected GPU group \"%s\", got no GPU device",
                      task_name(k, e->task), e->gpu_group);
    device = label_device(k->sc, o->node, e->gpu_group);
    devices_text(o, have, sizeof(have));
    if (device >= 0 && !has_device(o, device))
        return differ(k, "task %s: expected GPU group \"%s\" (device %d of %s), got %s",
                      task_name(k, e->task), e->gpu_group, (int)device, node_name(k, o->node),
                      have);
    return true;
}

static bool check_gpu_groups(struct check *k) {
    const struct al_expect *x = &k->sc->expect;

    for (size_t i = 0; i < x->task_count; i++)
        if (!check_gpu_label(k, &x->tasks[i]))
            return false;
    for (size_t i = 0; i < x->task_count; i++)
        for (size_t j = i + 1; x->tasks[i].gpu_group && j < x->task_count; j++)
            if (x->tasks[j].gpu_group && !check_gpu_pair(k, &x->tasks[i], &x->tasks[j]))
                return false;
    return true;
}

static bool check_queue(struct check *k, const struct al_expect_queue *q) {
    static const char *const titles[AL_RESOURCE_COUNT] = {"GPU", "CPU", "memory"};
    const struct al_queue_outcome *o = &k->res->queues[q->queue];
    char want[48], got[48];

    for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
        if (!q->has[r] || o->fair_share[r] == q->fair_share[r])
            continue;
        al_amount_text((enum al_resource)r, q->fair_share[r], false, want, sizeof(want));
        al_amount_text((enum al_resource)r, o->fair_share[r], false, got, sizeof(got));
        return differ(k, "queue %s: expected %s fair share %s, got %s",
                      k->sc->cluster.queues[q->queue].name, titles[r], want, got);
    }
    return true;
}

/* The reservations made are exactly the expected ones: same jobs, start times and node sets. */
static bool check_reservations(struct check *k) {
    const struct al_expect *x = &k->sc->expect;
    const struct al_cluster *c = &k->sc->cluster;

    if (!x->has_reservations)
        return true;
    if (k->res->reservation_count != x->reservation_count)
        return differ(k, "expected %zu reservations, got %zu", x->reservation_count,
                      k->res->reservation_count);
    for (size_t i = 0; i < x->reservation_count; i++) {
        const struct al_expect_reservation *want = &x->reservations[i];
        const struct al_reservation *got = NULL;
        for (size_t r = 0; r < k->res->reservation_count; r++)
            if (k->res->reservations[r].job == want->job)
                got = &k->res->reservations[r];
        const char *job = c->jobs[want->job].name;
        if (!got)
            return differ(k, "job %s: expected a reservation, got none", job);
        if (got->start_s != want->start_s)
            return differ(k, "job %s: expected its reservation to start at %lld, got %lld", job,
                          (long long)want->start_s, (long long)got->start_s);
        bool same = got->node_count == want->node_count;
        for (size_t n = 0; n < want->node_count && same; n++) {
            same = false;
            for (size_t g = 0; g < got->node_count; g++)
                same = same || got->nodes[g] == want->nodes[n];
        }
        if (!same)
            return differ(k, "job %s: expected its reservation on %zu nodes (%s, ...), got %zu",
                          job, want->node_count, c->nodes[want->nodes[0]].name, got->node_count);
    }
    return true;
}

bool al_scenario_check(const struct al_scenario *scenario, const struct al_result *result,
                       char *diff, size_t size) {
    const struct al_expect *x = &scenario->expect;
    struct check k = {scenario, result, diff, size};

    if (size > 0)
        diff[0] = '\0';
    for (size_t i = 0; i < x->task_count; i++)
        if (!check_task(&k, &x->tasks[i]))
            return false;
    for (size_t i = 0; i < x->group_count; i++)
        if (!check_group(&k, i, &x->groups[i]))
            return false;
    for (size_t i = 0; i < x->same_node_count; i++)
        if (!check_same_node(&k, i, &x->same_node[i]))
            return false;
    if (!check_gpu_groups(&k))
        return false;
    for (size_t i = 0; i < x->queue_count; i++)
        if (!check_queue(&k, &x->queues[i]))
            return false;
    return check_reservations(&k);
}
