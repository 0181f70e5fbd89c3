/* explain_text.c - human-readable amounts and one-line explanations of pending jobs. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "snapshot/json_util.h"
#include "snapshot/report.h"

#define MIB (1024LL * 1024)
#define GIB (1024LL * MIB)

/* A line being assembled in a caller's buffer; `len` counts what did not fit too. */
struct line {
    char *buf;
    size_t size;
    size_t len;
};

static void line_add(struct line *l, const char *fmt, ...) AL__PRINTF(2, 3);

static void line_add(struct line *l, const char *fmt, ...) {
    va_list ap;
    size_t room = l->len < l->size ? l->size - l->len : 0;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(room ? l->buf + l->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        l->len += (size_t)n;
}

/* value / scale with up to `digits` decimals, trailing zeros dropped: 1.5, 2, 0.125. */
static void decimal_text(int64_t value, int64_t scale, int digits, char *buf, size_t size) {
    char tmp[48];
    char *end;

    snprintf(tmp, sizeof(tmp), "%.*f", digits, (double)value / (double)scale);
    if (strchr(tmp, '.')) {
        end = tmp + strlen(tmp) - 1;
        while (*end == '0')
            *end-- = '\0';
        if (*end == '.')
            *end = '\0';
    }
    snprintf(buf, size, "%s", tmp);
}

static void memory_text(int64_t bytes, char *buf, size_t size) {
    char num[48];

    if (bytes >= GIB) {
        decimal_text(bytes, GIB, 2, num, sizeof(num));
        snprintf(buf, size, "%s GiB", num);
    } else if (bytes >= MIB) {
        decimal_text(bytes, MIB, 2, num, sizeof(num));
        snprintf(buf, size, "%s MiB", num);
    } else if (bytes >= 1024) {
        decimal_text(bytes, 1024, 2, num, sizeof(num));
        snprintf(buf, size, "%s KiB", num);
    } else {
        snprintf(buf, size, "%lld bytes", (long long)bytes);
    }
}

void al_amount_text(enum al_resource resource, int64_t amount, bool unit, char *buf, size_t size) {
    char num[48];

    if (amount == AL_UNLIMITED) {
        snprintf(buf, size, "unlimited");
        return;
    }
    switch (resource) {
    case AL_GPU:
        decimal_text(amount, 1000, 3, num, sizeof(num));
        snprintf(buf, size, "%s%s", num, !unit ? "" : amount == 1000 ? " GPU" : " GPUs");
        break;
    case AL_CPU:
        decimal_text(amount, 1000, 3, num, sizeof(num));
        snprintf(buf, size, "%s %s", num, amount == 1000 ? "core" : "cores");
        break;
    default:
        memory_text(amount, buf, size);
        break;
    }
}

static const char *resource_title(enum al_resource r) {
    return r == AL_GPU ? "GPU" : r == AL_CPU ? "CPU" : "memory";
}

static const char *queue_name(const struct al_cluster *c, int32_t q) {
    return q >= 0 && (size_t)q < c->queue_count ? c->queues[q].name : "?";
}

static void quota_text(const struct al_cluster *c, const struct al_explanation *e, struct line *l) {
    char alloc[48], req[48], lim[48];

    al_amount_text(e->resource, e->allocated, false, alloc, sizeof(alloc));
    al_amount_text(e->resource, e->requested, false, req, sizeof(req));
    if (e->reason == AL_REASON_OVER_LIMIT) {
        al_amount_text(e->resource, e->limit, false, lim, sizeof(lim));
        line_add(l, "queue %s over its %s limit: allocated %s, requested %s, limit %s",
                 queue_name(c, e->queue), resource_title(e->resource), alloc, req, lim);
    } else {
        al_amount_text(e->resource, e->limit, true, lim, sizeof(lim));
        line_add(l,
                 "non-preemptible work only within deserved quota: queue %s allocated %s, "
                 "requested %s, deserved %s",
                 queue_name(c, e->queue), alloc, req, lim);
    }
}

/* "needs 2 x 3g.40gb on one node, the most free on a node is 1" or "no node offers 3g.40gb":
 * the MIG profile of the task that no node has enough of (its G x count GPUs say nothing of
 * where they fit); ", 2 once those being released are" when evictions or endings free more. */
static bool mig_text(const struct al_task *task, const struct al_explanation *e, struct line *l) {
    if (!task || e->mig_short <= 0 || (size_t)e->mig_short > task->mig_count)
        return false;
    const struct al_mig *m = &task->migs[e->mig_short - 1];
    if (e->mig_free < 0)
        line_add(l, "no node offers MIG instances of %s", m->profile);
    else
        line_add(l, "needs %d x %s on one node, the most free on a node is %d", (int)m->count,
                 m->profile, (int)e->mig_free);
    if (e->mig_free >= 0 && e->mig_releasing > e->mig_free)
        line_add(l, ", %d once those being released are", (int)e->mig_releasing);
    return true;
}

/* "task t fits on no node: needs 4 GPUs, most free on a node 2 GPUs" */
static void no_fit_text(const struct al_cluster *c, const struct al_explanation *e,
                        struct line *l) {
    char need[48], best[48];
    bool any = false, short_any = false;
    const struct al_task *task =
        e->task >= 0 && (size_t)e->task < c->task_count ? &c->tasks[e->task] : NULL;

    line_add(l, "task %s fits on no node: ", task ? task->name : "?");
    if (e->nodes_matching == 0) {
        line_add(l, "no node matches its node affinity");
        return;
    }
    if (e->nodes_reserved >= e->nodes_matching) { /* best_free is then of no node: all zero */
        if (e->nodes_reserved == 1)
            line_add(l, "the one node it may run on is reserved for a large gang (only jobs "
                        "whose time limit ends before it starts may use it)");
        else
            line_add(l,
                     "all %d nodes it may run on are reserved for a large gang (only jobs whose "
                     "time limit ends before it starts may use them)",
                     (int)e->nodes_reserved);
        return;
    }
    /* a MIG task's GPUs are its instances: its profile's shortfall instead of GPU figures */
    bool mig = task && task->mig_count > 0;
    any = mig_text(task, e, l);
    for (int r = mig ? AL_GPU + 1 : 0; r < AL_RESOURCE_COUNT; r++)
        short_any |= e->requested_task[r] > e->best_free[r];
    for (int r = mig ? AL_GPU + 1 : 0; r < AL_RESOURCE_COUNT; r++) {
        if (e->requested_task[r] <= 0 || (short_any && e->requested_task[r] <= e->best_free[r]) ||
            (any && e->requested_task[r] <= e->best_free[r]))
            continue;
        al_amount_text((enum al_resource)r, e->requested_task[r], true, need, sizeof(need));
        al_amount_text((enum al_resource)r, e->best_free[r], true, best, sizeof(best));
        line_add(l, "%sneeds %s, most free on a node %s", any ? "; " : "", need, best);
        any = true;
    }
    if (!any)
        line_add(l, "no single node has room for all it requests");
    if (e->nodes_reserved > 0) /* no time in the text: it stays the same from cycle to cycle */
        line_add(l,
                 "; %d node%s reserved for a large gang (only jobs whose time limit ends before "
                 "it starts may use %s)",
                 (int)e->nodes_reserved, e->nodes_reserved == 1 ? " is" : "s are",
                 e->nodes_reserved == 1 ? "it" : "them");
}

static const enum al_action victim_actions[] = {AL_ACTION_CONSOLIDATION, AL_ACTION_RECLAIM,
                                                AL_ACTION_PREEMPT};

/* "; reclaim and preempt" for the actions in bits, or nothing. */
static int actions_text(uint32_t bits, struct line *l) {
    int n = 0;
    for (size_t i = 0; i < sizeof(victim_actions) / sizeof(victim_actions[0]); i++) {
        if (!(bits & (1u << victim_actions[i])))
            continue;
        line_add(l, "%s%s", n == 0 ? "; " : " and ", al_action_name(victim_actions[i]));
        n++;
    }
    return n;
}

/* "; reclaim and preempt found no acceptable victims (2 running jobs protected by min
 * runtime); reclaim stopped at its search budget" */
static void victim_search_text(const struct al_explanation *e, struct line *l) {
    if (actions_text(e->victim_search & ~e->victim_search_cut, l) > 0) {
        line_add(l, " found no acceptable victims");
        if (e->victims_protected > 0)
            line_add(l, " (%d running job%s protected by min runtime)", (int)e->victims_protected,
                     e->victims_protected == 1 ? "" : "s");
    }
    if (actions_text(e->victim_search_cut, l) > 0)
        line_add(l, " stopped at its victim-search budget before finding victims");
}

/* "semi-preemptible core (first 2 tasks): " / "semi-preemptible elastic tasks beyond the core of
 * 2: " before what a semi-preemptible job's step met. */
static void part_text(const struct al_cluster *c, const struct al_explanation *e, struct line *l) {
    int32_t min = e->job >= 0 && (size_t)e->job < c->job_count ? c->jobs[e->job].min_members : 0;
    if (e->part == AL_PART_CORE)
        line_add(l, "semi-preemptible core (first %d tasks): ", (int)min);
    else if (e->part == AL_PART_ELASTIC)
        line_add(l, "semi-preemptible elastic tasks beyond the core of %d: ", (int)min);
}

/* The topology the explanation's level is of, NULL when it names none that exists. */
static const struct al_topology *explained_topology(const struct al_cluster *c,
                                                    const struct al_explanation *e) {
    const struct al_topology_constraint *k = al_explanation_topology(c, e);
    return k && k->topology >= 0 && (size_t)k->topology < c->topology_count
               ? &c->topologies[k->topology]
               : NULL;
}

/* The label key of the explanation's topology level, NULL when it names none that exists. */
static const char *topology_level_name(const struct al_cluster *c, const struct al_explanation *e) {
    const struct al_topology *t = explained_topology(c, e);
    if (!t)
        return NULL;
    return (size_t)e->topology_level <= t->level_count ? t->levels[e->topology_level - 1] : NULL;
}

/* "no rack has room for the job's 16 GPUs (required topology level rack of topology
 * cluster; the largest rack domain has 12 GPUs free)", or, for a job whose placed tasks hold
 * it to a rack, "(...; its 3 placed tasks hold it to one rack, which has 0 GPUs free)" */
static void topology_text(const struct al_cluster *c, const struct al_explanation *e,
                          struct line *l) {
    const char *level = topology_level_name(c, e);
    enum al_resource r = e->requested_task[AL_GPU] > 0   ? AL_GPU
                         : e->requested_task[AL_CPU] > 0 ? AL_CPU
                                                         : AL_MEMORY;
    char want[48], have[48];
    const struct al_job *job =
        e->job >= 0 && (size_t)e->job < c->job_count ? &c->jobs[e->job] : NULL;

    if (!level) {
        line_add(l, "no topology domain has room for the tasks");
        return;
    }
    const char *subgroup =
        job && e->topology_subgroup >= 0 && (size_t)e->topology_subgroup < job->subgroup_count
            ? job->subgroups[e->topology_subgroup].name
            : NULL;
    if (e->nodes_matching == 0) {
        line_add(l,
                 "no node carries the labels down to %s (required topology level of %s%s, "
                 "topology %s)",
                 level, subgroup ? "subgroup " : "the job", subgroup ? subgroup : "",
                 explained_topology(c, e)->name);
        return;
    }
    al_amount_text(r, e->requested_task[r], true, want, sizeof(want));
    al_amount_text(r, e->best_free[r], true, have, sizeof(have));
    if (subgroup)
        line_add(l, "no %s has room for the %s of subgroup %s", level, want, subgroup);
    else
        line_add(l, "no %s has room for the job's %s", level, want);
    if (e->allocated > 0)
        line_add(l,
                 " (required topology level %s of topology %s; its %lld placed %s it "
                 "to one %s, which has %s free",
                 level, explained_topology(c, e)->name, (long long)e->allocated,
                 e->allocated == 1 ? "task holds" : "tasks hold", level, have);
    else
        line_add(l,
                 " (required topology level %s of topology %s; the largest %s domain has %s free",
                 level, explained_topology(c, e)->name, level, have);
    if (e->best_free[r] >= e->requested_task[r] && e->placeable < e->needed)
        line_add(l, " but room on its nodes for %d of the %d tasks", (int)e->placeable,
                 (int)e->needed);
    line_add(l, ")");
}

/* "; within one rack (required topology level of topology cluster)" after a no-fit text. */
static void topology_note(const struct al_cluster *c, const struct al_explanation *e,
                          struct line *l) {
    const char *level = topology_level_name(c, e);
    if (level)
        line_add(l, "; within one %s (required topology level of topology %s)", level,
                 explained_topology(c, e)->name);
}

static size_t job_tasks(const struct al_cluster *c, const struct al_explanation *e) {
    if (e->job >= 0 && (size_t)e->job < c->job_count)
        return c->jobs[e->job].task_count;
    return (size_t)(e->needed > 0 ? e->needed : 0);
}

size_t al_explanation_text(const struct al_cluster *cluster, const struct al_explanation *e,
                           char *buf, size_t size) {
    struct line l = {buf, size, 0};

    if (size > 0)
        buf[0] = '\0';
    part_text(cluster, e, &l);
    switch (e->reason) {
    case AL_REASON_OVER_LIMIT:
    case AL_REASON_NON_PREEMPTIBLE_OVER_QUOTA:
        quota_text(cluster, e, &l);
        break;
    case AL_REASON_GANG_INCOMPLETE:
        line_add(&l, "resources for %d of %zu tasks; gang needs %d", (int)e->placeable,
                 job_tasks(cluster, e), (int)e->needed);
        if (e->task >= 0) {
            line_add(&l, "; ");
            no_fit_text(cluster, e, &l);
        }
        topology_note(cluster, e, &l);
        break;
    case AL_REASON_NO_NODE_FITS:
        no_fit_text(cluster, e, &l);
        topology_note(cluster, e, &l);
        break;
    case AL_REASON_TOPOLOGY:
        topology_text(cluster, e, &l);
        break;
    case AL_REASON_NOT_REACHED:
        line_add(&l, "not reached: the cycle ended before the job was tried");
        break;
    default:
        line_add(&l, "no reason recorded");
        break;
    }
    victim_search_text(e, &l);
    if (e->job >= 0 && (size_t)e->job < cluster->job_count &&
        cluster->jobs[e->job].preemption_never)
        line_add(&l, "; its preemption policy is Never: it evicts nothing, it waits");
    return l.len;
}

static const char *job_name(const struct al_cluster *c, int32_t j) {
    return j >= 0 && (size_t)j < c->job_count ? c->jobs[j].name : "?";
}

static void reclaim_text(const struct al_cluster *c, const struct al_decision *d, struct line *l) {
    char fair[48], allocated[48];
    int32_t by_queue =
        d->by_job >= 0 && (size_t)d->by_job < c->job_count ? c->jobs[d->by_job].queue : -1;

    line_add(l, "reclaimed by job %s of queue %s", job_name(c, d->by_job), queue_name(c, by_queue));
    if (d->queue < 0)
        return;
    al_amount_text(d->resource, d->queue_fair_share, true, fair, sizeof(fair));
    al_amount_text(d->resource, d->queue_allocated, false, allocated, sizeof(allocated));
    line_add(l, ": %s over its fair share %s with %s allocated", queue_name(c, d->queue), fair,
             allocated);
}

size_t al_decision_text(const struct al_cluster *cluster, const struct al_decision *d, char *buf,
                        size_t size) {
    struct line l = {buf, size, 0};
    const struct al_cluster *c = cluster;

    if (size > 0)
        buf[0] = '\0';
    if (d->kind != AL_DECISION_EVICT)
        return 0;
    switch (d->reason) {
    case AL_REASON_RECLAIMED:
        reclaim_text(c, d, &l);
        break;
    case AL_REASON_PREEMPTED: {
        int32_t victim =
            d->task >= 0 && (size_t)d->task < c->task_count ? c->tasks[d->task].job : -1;
        line_add(&l, "preempted by job %s", job_name(c, d->by_job));
        if (victim >= 0 && d->by_job >= 0 && (size_t)d->by_job < c->job_count)
            line_add(&l, " (priority %d over %d)", (int)c->jobs[d->by_job].priority,
                     (int)c->jobs[victim].priority);
        break;
    }
    case AL_REASON_CONSOLIDATED:
        line_add(&l, "moved by consolidation to make room for job %s", job_name(c, d->by_job));
        break;
    case AL_REASON_STALE_GANG:
        line_add(&l, "stale gang: below its minimum past the grace period");
        break;
    default:
        line_add(&l, "evicted (%s)", al_reason_name(d->reason));
        break;
    }
    return l.len;
}
