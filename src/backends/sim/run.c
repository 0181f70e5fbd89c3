/* run.c - allotd's sim mode: its own scheduling loop (al__loop_cycle) run on the virtual clock,
 * a cycle for every simulated second in which something can change, and the figures of the run
 * (utilisation over time, queueing delay and completion time per project, fair-share tracking
 * error, evictions) written to the result file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backends/sim/sim.h"
#include "daemon/daemon.h"
#include "daemon/loop.h"
#include "util/xalloc.h"

struct sample {
    int64_t t, allocated, pending, running;
};

struct run {
    struct al__sim *s;
    uint64_t cycles;
    int64_t skipped, end_s;
    double gpu_seconds;
    double *fair_share;  /* by project: the engine's fair share last cycle, GPUs */
    double *share_error; /* by project: integral of |allocated - fair share| dt, GPU-seconds */
    int32_t *queue_of;   /* by project: its index in allotd's queues, -1 = none */
    struct sample *series;
    size_t series_count, series_cap;
};

static double monotonic_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A point of the time series where a figure changed. */
static void sample_add(struct run *r, int64_t t) {
    const struct al__sim *s = r->s;
    struct sample p = {t - s->start_s, s->allocated_gpus,
                       s->arrived - s->running_jobs - s->finished_jobs, s->running_jobs};
    if (r->series_count > 0) {
        struct sample *last = &r->series[r->series_count - 1];
        if (last->allocated == p.allocated && last->pending == p.pending &&
            last->running == p.running)
            return;
        if (last->t == p.t) {
            *last = p;
            return;
        }
    }
    al__xgrow(&r->series, &r->series_cap, r->series_count + 1, sizeof(*r->series));
    r->series[r->series_count++] = p;
}

/* The engine's fair share of each project, as the cycle recorded it on allotd's queues. */
static void fair_shares_read(struct run *r, const struct allotd *d) {
    const struct al__sim *s = r->s;
    for (size_t p = 0; p < s->project_count; p++) {
        int32_t q = r->queue_of[p];
        if (q < 0 || (size_t)q >= d->state.queue_count ||
            strcmp(d->state.queues[q].name, s->projects[p].name) != 0) {
            q = -1;
            for (size_t i = 0; i < d->state.queue_count && q < 0; i++)
                if (strcmp(d->state.queues[i].name, s->projects[p].name) == 0)
                    q = (int32_t)i;
            r->queue_of[p] = q;
        }
        r->fair_share[p] = q < 0 ? 0 : (double)d->state.queues[q].fair_share[AL_GPU] / 1000.0;
    }
}

/* The figures held over [t, next): nothing changes between two cycles. */
static void integrate(struct run *r, int64_t t, int64_t next) {
    const struct al__sim *s = r->s;
    double dt = (double)(next - t);
    r->gpu_seconds += (double)s->allocated_gpus * dt;
    for (size_t p = 0; p < s->project_count; p++)
        r->share_error[p] += fabs((double)s->projects[p].allocated_gpus - r->fair_share[p]) * dt;
}

/* Whether a timed rule may act with nothing else changing: a task being stopped (its grace
 * period), a gang below its minimum (stale-gang eviction after its grace period). */
static bool timed_rules_pending(const struct allotd *d) {
    const struct al__wset_items *holding = &d->state.sets[AL__HOLDING];
    if (d->state.sets[AL__WATCHED].count > 0)
        return true;
    for (size_t i = 0; i < holding->count; i++)
        if (holding->items[i]->stale_since_s >= 0)
            return true;
    return false;
}

/* The next time after t at which a waiting large gang's reservation wait ends (it becomes a
 * reservation candidate: docs/engine.md, "Reservations"), INT64_MAX for none. The workloads are
 * in creation order, which is arrival order here: only those created after t - wait count. */
static int64_t reservation_wait_ends(const struct allotd *d, int64_t t) {
    if (d->reservation_min_gpus <= 0 || d->reservation_wait_s <= 0)
        return INT64_MAX;
    size_t lo = 0, hi = d->state.workload_count;
    while (lo < hi) { /* the first created after t - wait */
        size_t mid = lo + (hi - lo) / 2;
        if (d->state.workloads[mid]->created_s + d->reservation_wait_s <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    int64_t next = INT64_MAX;
    for (size_t i = lo; i < d->state.workload_count; i++) {
        const struct al__dworkload *w = d->state.workloads[i];
        /* GPU milli as the engine counts a candidate (memory requests are not: they wake the
         * clock at their next event) */
        int64_t milli =
            ((int64_t)w->spec.gpus * 1000 + (int64_t)w->spec.gpu_milli * w->spec.gpu_device_count) *
            w->spec.workers;
        int64_t since = w->pending_since_s > w->created_s ? w->pending_since_s : w->created_s;
        if (w->state == AL__W_PENDING && milli >= (int64_t)d->reservation_min_gpus * 1000 &&
            since + d->reservation_wait_s > t && since + d->reservation_wait_s < next)
            next = since + d->reservation_wait_s;
    }
    return next;
}

/* The cycles, from the clock's start until nothing can change any more. */
static void cycles_run(struct run *r, struct allotd *d) {
    struct al__sim *s = r->s;
    int64_t t = s->start_s;
    for (;;) {
        s->now = t;
        uint64_t changes = d->state.task_changes;
        int64_t starts = s->starts, stops = s->stops;
        al__loop_cycle(d);
        r->cycles++;
        sample_add(r, t);
        fair_shares_read(r, d);
        /* The cycle decided something (or a task changed) while jobs wait: the next second's
         * cycle may decide more (start what evictions freed, place the next gang). Else - no
         * decision, or no job left waiting, which every action needs - nothing changes before
         * the next arrival or end, unless a timed rule is under way. */
        bool changed = d->state.task_changes != changes || s->starts != starts || s->stops != stops;
        bool waiting = s->arrived - s->running_jobs - s->finished_jobs > 0;
        int64_t next = al__sim_next_event(s), reserving = reservation_wait_ends(d, t);
        if (reserving < next)
            next = reserving;
        if ((changed && waiting) || timed_rules_pending(d) || (!s->skip && next != INT64_MAX))
            next = t + 1;
        if (changed || r->end_s < s->start_s || next != INT64_MAX)
            r->end_s = t; /* the run ends at its last change (nothing runs after it) */
        if (next == INT64_MAX)
            break;
        integrate(r, t, next);
        r->skipped += next - t - 1;
        t = next;
    }
}

static int by_value(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* {mean, p50, p95, p99} of n values (sorted here; nearest rank), nulls when there are none. */
static json_t *distribution(int64_t *v, size_t n) {
    if (n == 0)
        return json_pack("{s:n, s:n, s:n, s:n}", "mean", "p50", "p95", "p99");
    qsort(v, n, sizeof(*v), by_value);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (double)v[i];
    size_t rank[3];
    const double pct[3] = {50, 95, 99};
    for (int i = 0; i < 3; i++) {
        size_t k = (size_t)ceil(pct[i] / 100.0 * (double)n);
        rank[i] = k == 0 ? 0 : k - 1;
    }
    return json_pack("{s:f, s:I, s:I, s:I}", "mean", round(sum / (double)n * 10) / 10, "p50",
                     (json_int_t)v[rank[0]], "p95", (json_int_t)v[rank[1]], "p99",
                     (json_int_t)v[rank[2]]);
}

/* The figures of the jobs of project p (-1: all of them) asking for gpus_min..gpus_max GPUs;
 * size classes (gpus_min >= 0) say which and leave the fair-share error out. */
static json_t *jobs_json(const struct run *r, int32_t p, int32_t gpus_min, int32_t gpus_max,
                         double simulated) {
    const struct al__sim *s = r->s;
    int64_t *delay = al__xcalloc(s->job_count + 1, sizeof(*delay));
    int64_t *jct = al__xcalloc(s->job_count + 1, sizeof(*jct));
    size_t jobs = 0, started = 0, finished = 0;
    int64_t evictions = 0;
    for (size_t i = 0; i < s->job_count; i++) {
        const struct al__sim_job *j = &s->jobs[i];
        if ((p >= 0 && j->project != p) ||
            (gpus_min >= 0 && (j->t.gpus < gpus_min || j->t.gpus > gpus_max)))
            continue;
        jobs++;
        evictions += j->evictions;
        if (j->first_start_s >= 0)
            delay[started++] = j->first_start_s - j->t.arrival_s;
        if (j->end_s >= 0)
            jct[finished++] = j->end_s - j->t.arrival_s;
    }
    double error = 0;
    for (size_t q = 0; q < s->project_count; q++)
        if (p < 0 || (size_t)p == q)
            error += r->share_error[q];
    double pct = simulated > 0 && s->gpus_total > 0
                     ? error / (simulated * (double)s->gpus_total) * 100.0
                     : 0;
    json_t *o = json_object();
    if (p >= 0) {
        json_object_set_new(o, "name", json_string(s->projects[p].name));
        json_object_set_new(o, "deserved_gpus", json_integer(s->projects[p].deserved_gpus));
        json_object_set_new(o, "listed", json_boolean(s->projects[p].listed));
    }
    if (gpus_min >= 0) {
        json_object_set_new(o, "gpus_min", json_integer(gpus_min));
        json_object_set_new(o, "gpus_max", json_integer(gpus_max));
    }
    json_object_set_new(o, "jobs", json_integer((json_int_t)jobs));
    json_object_set_new(o, "started", json_integer((json_int_t)started));
    json_object_set_new(o, "finished", json_integer((json_int_t)finished));
    json_object_set_new(o, "queueing_delay_s", distribution(delay, started));
    json_object_set_new(o, "jct_s", distribution(jct, finished));
    if (gpus_min < 0)
        json_object_set_new(o, "fair_share_error_pct", json_real(round(pct * 1000) / 1000));
    json_object_set_new(o, "evictions", json_integer(evictions));
    free(delay);
    free(jct);
    return o;
}

static json_t *project_json(const struct run *r, int32_t p, double simulated) {
    return jobs_json(r, p, -1, -1, simulated);
}

/* The figures per job size (GPUs asked for): 0, 1, 2-8, 9-32, 33-64, 65 and more; the classes
 * that have jobs. Large gangs' waits (reservations, docs/simulation.md) are read here. */
static json_t *sizes_json(const struct run *r, double simulated) {
    static const int32_t bounds[][2] = {{0, 0}, {1, 1}, {2, 8}, {9, 32}, {33, 64}, {65, INT32_MAX}};
    json_t *sizes = json_array();
    for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++) {
        json_t *o = jobs_json(r, -1, bounds[i][0], bounds[i][1], simulated);
        if (json_integer_value(json_object_get(o, "jobs")) > 0)
            json_array_append_new(sizes, o);
        else
            json_decref(o);
    }
    return sizes;
}

static json_t *result_json(const struct run *r, const struct allotd *d, double wall) {
    const struct al__sim *s = r->s;
    double simulated = (double)(r->end_s - s->start_s);
    json_t *projects = json_array(), *series = json_array();
    for (size_t p = 0; p < s->project_count; p++)
        json_array_append_new(projects, project_json(r, (int32_t)p, simulated));
    for (size_t i = 0; i < r->series_count; i++) {
        const struct sample *x = &r->series[i];
        double pct = s->gpus_total ? (double)x->allocated * 100.0 / (double)s->gpus_total : 0;
        json_array_append_new(
            series, json_pack("{s:I, s:I, s:f, s:I, s:I}", "time_s", (json_int_t)x->t,
                              "allocated_gpus", (json_int_t)x->allocated, "utilisation_pct",
                              round(pct * 100) / 100, "pending_jobs", (json_int_t)x->pending,
                              "running_jobs", (json_int_t)x->running));
    }
    double mean = simulated > 0 && s->gpus_total
                      ? r->gpu_seconds / (simulated * (double)s->gpus_total) * 100.0
                      : 0;
    json_t *o = json_object();
    json_object_set_new(o, "trace", json_string(s->trace));
    json_object_set_new(o, "nodes", json_integer((json_int_t)d->backend.inventory.node_count));
    json_object_set_new(o, "gpus", json_integer(s->gpus_total));
    json_object_set_new(o, "start_s", json_integer(s->start_s));
    json_object_set_new(o, "simulated_seconds", json_integer(r->end_s - s->start_s));
    json_object_set_new(o, "wall_seconds", json_real(round(wall * 1000) / 1000));
    json_object_set_new(o, "cycles", json_integer((json_int_t)r->cycles));
    json_object_set_new(o, "seconds_skipped", json_integer(r->skipped));
    json_object_set_new(o, "skip", json_boolean(s->skip));
    json_object_set_new(o, "evictions", json_integer(s->evictions));
    json_object_set_new(o, "utilisation_mean_pct", json_real(round(mean * 1000) / 1000));
    json_object_set_new(o, "projects", projects);
    json_object_set_new(o, "total", project_json(r, -1, simulated));
    json_object_set_new(o, "by_size", sizes_json(r, simulated));
    json_object_set_new(o, "utilisation", series);
    return o;
}

int al__sim_run(struct al__backend *b, struct allotd *d) {
    struct al__sim *s = b->data;
    struct run r = {.s = s, .end_s = INT64_MIN};
    double began = monotonic_s();
    r.fair_share = al__xcalloc(s->project_count + 1, sizeof(*r.fair_share));
    r.share_error = al__xcalloc(s->project_count + 1, sizeof(*r.share_error));
    r.queue_of = al__xcalloc(s->project_count + 1, sizeof(*r.queue_of));
    for (size_t p = 0; p < s->project_count; p++)
        r.queue_of[p] = -1;
    cycles_run(&r, d);
    json_t *o = result_json(&r, d, monotonic_s() - began);
    int rc = json_dump_file(o, s->result_path, JSON_INDENT(1) | JSON_COMPACT);
    if (rc < 0)
        fprintf(stderr, "allotd: sim: cannot write the result to %s\n", s->result_path);
    else
        fprintf(stderr,
                "allotd: sim: %lld simulated seconds in %.1f s: %llu cycles, %lld seconds "
                "skipped; result in %s\n",
                (long long)(r.end_s - s->start_s), monotonic_s() - began,
                (unsigned long long)r.cycles, (long long)r.skipped, s->result_path);
    json_decref(o);
    free(r.fair_share);
    free(r.share_error);
    free(r.queue_of);
    free(r.series);
    return rc < 0 ? -1 : 0;
}
