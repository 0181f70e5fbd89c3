/* model_kept.c - the engine's model kept from cycle to cycle and patched: a cycle reads again
 * only the workloads that changed since the last one (the state's AL__CHANGED set) and drops
 * those removed from memory (their tickets), instead of walking every workload in memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/model_parts.h"
#include "daemon/usage.h"
#include "util/xalloc.h"

/*
 * Jobs in slots, each slot's tasks a range of `tasks` in slot order (the engine's layout);
 * removed jobs leave dead slots, closed up at the end of the build. A workload holds a ticket
 * (al__dworkload.model_ticket) that names its slot through slot_of[], so that closing up moves
 * no workload's memory.
 */
struct al__kept_model {
    struct al_job *jobs;
    struct al__dworkload **owner; /* per slot; NULL = dead */
    int64_t *stale_since;         /* per slot: the owner's stale-gang clock, -1 = not stale */
    int32_t *ticket_of;           /* per slot */
    struct al_explanation *why;   /* per slot: al__cycle_model.last_why */
    bool *why_known;
    size_t job_count, job_cap;
    struct al_task *tasks;
    int32_t *task_index; /* per task: its index among its workload's tasks */
    size_t task_count, task_cap;
    size_t dead; /* dead slots */

    int32_t *slot_of; /* per ticket: its slot, -1 = free */
    size_t ticket_count, ticket_cap;
    int32_t *free_tickets;
    size_t free_count, free_cap;

    struct al__holdings held; /* what the jobs in slots hold */
    bool ready;
    uint64_t queue_removals; /* the state's, when the slots were filled: queue indices */
    uint64_t renumbered;     /* the state's, when the holdings were sized: node numbers */
};

struct al__kept_model *al__kept_create(void) {
    return al__xcalloc(1, sizeof(struct al__kept_model));
}

/* Frees what slot s's job and tasks own (their names, their devices). */
static void free_slot(struct al__kept_model *k, size_t s) {
    struct al_job *j = &k->jobs[s];
    for (size_t t = j->first_task; t < j->first_task + j->task_count; t++) {
        free(k->tasks[t].name);
        free(k->tasks[t].gpu_indices);
        for (size_t m = 0; m < k->tasks[t].mig_count; m++)
            free(k->tasks[t].migs[m].profile);
        free(k->tasks[t].migs);
        k->tasks[t].name = NULL;
        k->tasks[t].gpu_indices = NULL;
        k->tasks[t].migs = NULL;
        k->tasks[t].mig_count = 0;
    }
    free(j->name);
    free(j->pool);
    for (size_t g = 0; g < j->subgroup_count; g++)
        free(j->subgroups[g].name);
    free(j->subgroups);
    j->name = NULL;
    j->pool = NULL;
    j->subgroups = NULL;
    j->subgroup_count = 0;
}

void al__kept_free(struct al__kept_model *k) {
    if (!k)
        return;
    for (size_t s = 0; s < k->job_count; s++)
        free_slot(k, s);
    free(k->jobs);
    free(k->owner);
    free(k->stale_since);
    free(k->ticket_of);
    free(k->why);
    free(k->why_known);
    free(k->tasks);
    free(k->task_index);
    free(k->slot_of);
    free(k->free_tickets);
    if (k->ready)
        al__holdings_release(&k->held);
    free(k);
}

static int32_t ticket_take(struct al__kept_model *k) {
    if (k->free_count > 0)
        return k->free_tickets[--k->free_count];
    al__xgrow(&k->slot_of, &k->ticket_cap, k->ticket_count + 1, sizeof(*k->slot_of));
    return (int32_t)k->ticket_count++;
}

/* Slot s is dead: its memory freed, its ticket free. What it holds must be taken back first. */
static void kill_slot(struct al__kept_model *k, size_t s) {
    int32_t ticket = k->ticket_of[s];
    free_slot(k, s);
    k->owner[s] = NULL;
    k->slot_of[ticket] = -1;
    al__xgrow(&k->free_tickets, &k->free_cap, k->free_count + 1, sizeof(*k->free_tickets));
    k->free_tickets[k->free_count++] = ticket;
    k->dead++;
}

/* The slot of w, -1 when it has none. */
static int64_t slot_of(const struct al__kept_model *k, const struct al__dworkload *w) {
    return w->model_ticket >= 0 ? k->slot_of[w->model_ticket] : -1;
}

/* w's job and tasks into slot s, whose tasks are at `first` (room for `tasks` of them). */
static void fill_slot(const struct allotd *d, struct al__kept_model *k, size_t s,
                      struct al__dworkload *w, int32_t queue, size_t first, size_t tasks,
                      int64_t now) {
    al__model_fill_tasks(d, w, (int32_t)s, &k->tasks[first], &k->task_index[first], NULL);
    al__model_fill_job(&d->backend.inventory, w, queue, now, first, tasks, &k->jobs[s], NULL);
    k->owner[s] = w;
    k->stale_since[s] = w->stale_since_s;
    k->why_known[s] = false; /* it changed: its reason may have too */
}

/* A new slot at the end for w. */
static void append_slot(const struct allotd *d, struct al__kept_model *k, struct al__dworkload *w,
                        int32_t queue, size_t tasks, int64_t now) {
    if (k->job_count == k->job_cap) {
        k->job_cap = k->job_cap ? 2 * k->job_cap : 1024;
        k->jobs = al__xrealloc(k->jobs, k->job_cap * sizeof(*k->jobs));
        k->owner = al__xrealloc(k->owner, k->job_cap * sizeof(*k->owner));
        k->stale_since = al__xrealloc(k->stale_since, k->job_cap * sizeof(*k->stale_since));
        k->ticket_of = al__xrealloc(k->ticket_of, k->job_cap * sizeof(*k->ticket_of));
        k->why = al__xrealloc(k->why, k->job_cap * sizeof(*k->why));
        k->why_known = al__xrealloc(k->why_known, k->job_cap * sizeof(*k->why_known));
    }
    if (k->task_count + tasks > k->task_cap) {
        while (k->task_count + tasks > k->task_cap)
            k->task_cap = k->task_cap ? 2 * k->task_cap : 1024;
        k->tasks = al__xrealloc(k->tasks, k->task_cap * sizeof(*k->tasks));
        k->task_index = al__xrealloc(k->task_index, k->task_cap * sizeof(*k->task_index));
    }
    size_t s = k->job_count++;
    int32_t ticket = ticket_take(k);
    k->slot_of[ticket] = (int32_t)s;
    k->ticket_of[s] = ticket;
    w->model_ticket = ticket;
    fill_slot(d, k, s, w, queue, k->task_count, tasks, now);
    k->task_count += tasks;
}

/* Closes up dead slots, keeping the order of the rest (and their tasks in slot order). */
static void close_up(struct al__kept_model *k) {
    size_t to = 0, task_to = 0;
    for (size_t s = 0; s < k->job_count; s++) {
        if (!k->owner[s])
            continue;
        struct al_job *j = &k->jobs[s];
        size_t first = j->first_task, count = j->task_count;
        if (task_to != first) {
            memmove(&k->tasks[task_to], &k->tasks[first], count * sizeof(*k->tasks));
            memmove(&k->task_index[task_to], &k->task_index[first], count * sizeof(*k->task_index));
        }
        if (to != s) {
            k->jobs[to] = *j;
            k->owner[to] = k->owner[s];
            k->stale_since[to] = k->stale_since[s];
            k->ticket_of[to] = k->ticket_of[s];
            k->why[to] = k->why[s];
            k->why_known[to] = k->why_known[s];
            k->slot_of[k->ticket_of[to]] = (int32_t)to;
            for (size_t t = task_to; t < task_to + count; t++)
                k->tasks[t].job = (int32_t)to;
        }
        k->jobs[to].first_task = task_to;
        task_to += count;
        to++;
    }
    k->job_count = to;
    k->task_count = task_to;
    k->dead = 0;
}

/* Every slot dead and every workload changed: queue indices moved (a queue was removed). */
static void start_over(struct allotd *d, struct al__kept_model *k) {
    for (size_t s = 0; s < k->job_count; s++) {
        if (!k->owner[s])
            continue;
        k->owner[s]->model_ticket = -1;
        kill_slot(k, s);
    }
    close_up(k);
    memset(k->held.now, 0, (k->held.device_count + 1) * sizeof(*k->held.now));
    memset(k->held.later, 0, (k->held.device_count + 1) * sizeof(*k->held.later));
    for (size_t i = 0; i < d->state.workload_count; i++)
        al__state_changed(&d->state, d->state.workloads[i]);
    k->queue_removals = d->state.queue_removals;
}

/* Workloads removed from memory since the last build: their slots die (and what they held
 * goes, unless the holdings are about to be thrown away). */
static void drop_gone(struct allotd *d, struct al__kept_model *k, bool holdings) {
    const struct al__inventory *inv = &d->backend.inventory;
    for (size_t i = 0; i < d->state.gone_count; i++) {
        int32_t s = k->slot_of[d->state.gone_tickets[i]];
        struct al_job *j = &k->jobs[s];
        if (holdings)
            al__holdings_remove(&k->held, inv, &k->tasks[j->first_task], j->task_count);
        kill_slot(k, (size_t)s);
    }
    d->state.gone_count = 0;
}

/*
 * Reads changed workload w again: its slot refilled in place (same number of tasks), or
 * replaced, or given up (it finished; or it is left out, and read again next cycle). False
 * when it stays changed (left out).
 */
static bool read_again(struct allotd *d, struct al__kept_model *k, struct al__cycle_model *m,
                       const struct al__project_ids *projects, struct al__dworkload *w,
                       int64_t now) {
    const struct al__inventory *inv = &d->backend.inventory;
    int64_t s = slot_of(k, w);
    size_t tasks = al__model_task_count(w);
    int32_t queue = tasks ? al__project_ids_find(projects, w) : -1;
    char why[256];

    if (s >= 0) {
        const struct al_job *j = &k->jobs[s];
        al__holdings_remove(&k->held, inv, &k->tasks[j->first_task], j->task_count);
    }
    bool fits = false;
    if (tasks == 0)
        why[0] = '\0';
    else if (queue < 0)
        snprintf(why, sizeof(why), "invalid: project %s is gone", w->project);
    else
        fits = al__holdings_admit(d, w, &k->held, why, sizeof(why));
    if (fits && s >= 0 && k->jobs[s].task_count == tasks) {
        size_t first = k->jobs[s].first_task;
        free_slot(k, (size_t)s);
        fill_slot(d, k, (size_t)s, w, queue, first, tasks, now);
        return true;
    }
    if (s >= 0) {
        kill_slot(k, (size_t)s);
        w->model_ticket = -1;
    }
    if (fits)
        append_slot(d, k, w, queue, tasks, now);
    else if (tasks > 0)
        al__model_left_out(m, w, why);
    return fits || tasks == 0;
}

void al__kept_build(struct allotd *d, struct al__kept_model *k, struct al__cycle_model *m) {
    struct al__state *st = &d->state;
    struct al__wset_items *changed = &st->sets[AL__CHANGED];
    struct al__project_ids projects;

    memset(m, 0, sizeof(*m));
    al__model_frame(d, &m->cluster);
    int64_t now = m->cluster.now_s;
    if (k->ready && k->renumbered != st->renumbered) { /* the inventory changed: its sizes */
        drop_gone(d, k, false);
        start_over(d, k);
        al__holdings_release(&k->held);
        k->ready = false;
    }
    if (!k->ready) {
        al__holdings_init(&k->held, &d->backend.inventory);
        k->ready = true;
        k->queue_removals = st->queue_removals;
        k->renumbered = st->renumbered;
    }
    drop_gone(d, k, true);
    if (k->queue_removals != st->queue_removals)
        start_over(d, k);
    al__project_ids_build(st, &projects);
    size_t kept = 0;
    for (size_t i = 0; i < changed->count; i++) {
        struct al__dworkload *w = changed->items[i];
        if (read_again(d, k, m, &projects, w, now)) {
            w->at[AL__CHANGED] = -1;
        } else {
            w->at[AL__CHANGED] = (int64_t)kept;
            changed->items[kept++] = w;
        }
    }
    changed->count = kept;
    al__project_ids_release(&projects);
    if (k->dead > 0)
        close_up(k);
    for (size_t s = 0; s < k->job_count; s++) /* the clock moved on */
        if (k->stale_since[s] >= 0)
            k->jobs[s].stale_for_s = now - k->stale_since[s];

    m->cluster.jobs = k->jobs;
    m->cluster.job_count = k->job_count;
    m->cluster.tasks = k->tasks;
    m->cluster.task_count = k->task_count;
    m->job_owner = k->owner;
    m->task_index = k->task_index;
    m->last_why = k->why;
    m->last_why_known = k->why_known;
    m->kept = true;
    al__usage_model(d, &m->cluster); /* needs the jobs: whether they name pools */
}
