/* backend.c - the sim backend's operations: options and inventory (open), the trace's groups
 * and jobs put into allotd through the mirror as the virtual clock reaches them (sync), tasks
 * started, stopped and ended on the virtual clock (start, stop, refresh, poll). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "allot/model.h"
#include "backends/sim/sim.h"
#include "util/xalloc.h"

#define PHILLY_NODE_MEMORY_MIB 24576 /* a P40's; Philly's machines had P100s and P40s */
#define NODE_CPU_MILLIS        64000
#define NODE_MEMORY_BYTES      (512LL << 30)
#define CATCH_ALL_PROJECT      "unlisted"
#define EXIT_STOPPED           143        /* what a task ended by SIGTERM reports */
#define DLRM_START_S           1735689600 /* the DLRM trace's times count from 2025-01-01 UTC */

struct sim_options {
    const char *trace, *jobs, *vcs, *nodes, *from, *result, *skip, *time_limits;
    int64_t gpus_per_node, days;
};

static int option_number(const char *name, const char *text, int64_t min, int64_t max, int64_t *out,
                         char *err, size_t size) {
    char *end;
    long long v = strtoll(text, &end, 10);
    if (!text[0] || *end || v < min || v > max) {
        snprintf(err, size, "--%s: must be a whole number, %lld..%lld", name, (long long)min,
                 (long long)max);
        return -AL_EINVAL;
    }
    *out = v;
    return 0;
}

static int read_options(const struct al__backend_option *opts, size_t n, struct sim_options *o,
                        char *err, size_t size) {
    *o = (struct sim_options){
        .trace = "philly", .gpus_per_node = 8, .days = -1, .skip = "yes", .time_limits = "none"};
    for (size_t i = 0; i < n; i++) {
        const char *name = opts[i].name, *v = opts[i].value;
        int rc = 0;
        if (strcmp(name, "trace") == 0)
            o->trace = v;
        else if (strcmp(name, "jobs") == 0)
            o->jobs = v;
        else if (strcmp(name, "vcs") == 0)
            o->vcs = v;
        else if (strcmp(name, "nodes") == 0)
            o->nodes = v;
        else if (strcmp(name, "from") == 0)
            o->from = v;
        else if (strcmp(name, "result") == 0)
            o->result = v;
        else if (strcmp(name, "skip") == 0)
            o->skip = v;
        else if (strcmp(name, "time-limits") == 0)
            o->time_limits = v;
        else if (strcmp(name, "gpus-per-node") == 0)
            rc = option_number(name, v, 1, 64, &o->gpus_per_node, err, size);
        else if (strcmp(name, "days") == 0)
            rc = option_number(name, v, 1, 100000, &o->days, err, size);
        else {
            snprintf(err, size,
                     "--%s: unknown option (the sim backend's: --trace, --jobs, --vcs, "
                     "--nodes, --from, --days, --gpus-per-node, --skip, --time-limits, --result)",
                     name);
            return -AL_EINVAL;
        }
        if (rc < 0)
            return rc;
    }
    bool dlrm = strcmp(o->trace, "dlrm") == 0;
    if (strcmp(o->trace, "philly") != 0 && !dlrm) {
        snprintf(err, size, "--trace: \"%s\" is not a trace the sim backend reads (philly, dlrm)",
                 o->trace);
        return -AL_EINVAL;
    }
    if (dlrm && (o->vcs || o->from || o->days > 0 || !o->nodes || !o->jobs || !o->result)) {
        snprintf(err, size,
                 "--trace dlrm: needs --jobs FILE (its instances), --nodes FILE and "
                 "--result FILE; no --vcs, --from or --days");
        return -AL_EINVAL;
    }
    if (!o->jobs || !o->result || (!o->vcs && !o->nodes)) {
        snprintf(err, size,
                 "the sim backend needs --jobs FILE, --vcs FILE (or --nodes FILE) "
                 "and --result FILE");
        return -AL_EINVAL;
    }
    if (strcmp(o->skip, "yes") != 0 && strcmp(o->skip, "no") != 0) {
        snprintf(err, size, "--skip: yes or no");
        return -AL_EINVAL;
    }
    if (strcmp(o->time_limits, "none") != 0 && strcmp(o->time_limits, "hours") != 0) {
        snprintf(err, size, "--time-limits: none or hours");
        return -AL_EINVAL;
    }
    return 0;
}

static void node_add(struct al__inventory *inv, size_t *cap, const char *name, const char *model,
                     int32_t gpus, int64_t cpu_millis) {
    al__xgrow(&inv->nodes, cap, inv->node_count + 1, sizeof(*inv->nodes));
    struct al__node *n = &inv->nodes[inv->node_count++];
    memset(n, 0, sizeof(*n));
    snprintf(n->name, sizeof(n->name), "%s", name);
    n->cpu_millis = cpu_millis;
    n->memory_bytes = NODE_MEMORY_BYTES;
    n->gpu_count = (size_t)gpus;
    n->gpus = al__xcalloc((size_t)gpus + 1, sizeof(*n->gpus));
    for (int32_t g = 0; g < gpus; g++) {
        n->gpus[g].memory_mib = PHILLY_NODE_MEMORY_MIB;
        snprintf(n->gpus[g].model, sizeof(n->gpus[g].model), "%s", model);
    }
}

/* The inventory: the node list given, else the VCs' nodes with gpus_per_node GPUs each. */
static int inventory_make(struct al__backend *b, const struct sim_options *o,
                          const struct al__sim_trace_group *vcs, size_t vc_count, char *err,
                          size_t size) {
    struct al__inventory *inv = &b->inventory;
    size_t cap = 0;
    char name[64];
    inv->virtual_gpus = true;
    if (o->nodes) {
        struct al__sim_trace_node *nodes;
        size_t n;
        int rc = al__sim_node_list(o->nodes, &nodes, &n, err, size);
        if (rc < 0)
            return rc;
        for (size_t i = 0; i < n; i++)
            node_add(inv, &cap, nodes[i].name, nodes[i].model, nodes[i].gpus, nodes[i].cpu_millis);
        free(nodes);
        return 0;
    }
    int64_t total = 0;
    for (size_t i = 0; i < vc_count; i++)
        total += vcs[i].nodes;
    if (total == 0) {
        snprintf(err, size, "%s: the virtual clusters have no nodes", o->vcs);
        return -AL_EINVAL;
    }
    for (int64_t i = 0; i < total; i++) {
        snprintf(name, sizeof(name), "node-%04lld", (long long)i);
        node_add(inv, &cap, name, "philly-gpu", (int32_t)o->gpus_per_node, NODE_CPU_MILLIS);
    }
    return 0;
}

/* The projects: one per VC of the table (deserved: its nodes x GPUs per node), then the
 * catch-all for jobs of VCs the table lacks (deserved 0), where any job needs it. */
static void projects_make(struct al__sim *s, const struct sim_options *o,
                          const struct al__sim_trace_group *vcs, size_t vc_count) {
    s->projects = al__xcalloc(vc_count + 1, sizeof(*s->projects));
    for (size_t i = 0; i < vc_count; i++) {
        struct al__sim_project *p = &s->projects[s->project_count++];
        snprintf(p->name, sizeof(p->name), "%s", vcs[i].name);
        p->deserved_gpus = vcs[i].nodes * o->gpus_per_node;
        p->listed = true;
    }
    bool unlisted = false;
    for (size_t j = 0; j < s->job_count; j++) {
        struct al__sim_job *job = &s->jobs[j];
        job->project = -1;
        for (size_t p = 0; p < vc_count && job->project < 0; p++)
            if (strcmp(s->projects[p].name, job->t.group) == 0)
                job->project = (int32_t)p;
        if (job->project < 0) {
            job->project = (int32_t)vc_count;
            unlisted = true;
        }
    }
    if (unlisted) {
        struct al__sim_project *p = &s->projects[s->project_count++];
        snprintf(p->name, sizeof(p->name), "%s", CATCH_ALL_PROJECT);
        fprintf(stderr,
                "allotd: sim: jobs of virtual clusters missing from the VC table go to project "
                "%s (deserved 0)\n",
                CATCH_ALL_PROJECT);
    }
}

static int by_name(const void *a, const void *b) {
    return strcmp(((const struct al__sim_project *)a)->name,
                  ((const struct al__sim_project *)b)->name);
}

struct demand {
    int64_t at_s;
    int32_t project;
    int64_t gpus, cpu_millis; /* negative at an end */
};

static int by_time(const void *a, const void *b) {
    const struct demand *x = a, *y = b;
    if (x->at_s != y->at_s)
        return x->at_s < y->at_s ? -1 : 1;
    return (x->gpus + x->cpu_millis > 0) - (y->gpus + y->cpu_millis > 0); /* ends first */
}

/* The projects of a trace without a quota table (DLRM): one per group, by name; each deserves
 * the most GPUs and CPU its jobs ever hold at once when all run as the trace has them. */
static void projects_by_demand(struct al__sim *s) {
    s->projects = al__xcalloc(s->job_count + 1, sizeof(*s->projects));
    for (size_t j = 0; j < s->job_count; j++) {
        bool known = false;
        for (size_t p = 0; p < s->project_count && !known; p++)
            known = strcmp(s->projects[p].name, s->jobs[j].t.group) == 0;
        if (!known)
            snprintf(s->projects[s->project_count++].name, AL__SIM_NAME_MAX, "%s",
                     s->jobs[j].t.group);
    }
    qsort(s->projects, s->project_count, sizeof(*s->projects), by_name);
    struct demand *d = al__xcalloc(2 * s->job_count + 1, sizeof(*d));
    for (size_t j = 0; j < s->job_count; j++) {
        struct al__sim_job *job = &s->jobs[j];
        struct al__sim_project key;
        snprintf(key.name, sizeof(key.name), "%s", job->t.group);
        const struct al__sim_project *p =
            bsearch(&key, s->projects, s->project_count, sizeof(key), by_name);
        job->project = (int32_t)(p - s->projects);
        int64_t at = job->t.arrival_s, gpus = job->t.gpus, cpu = job->t.cpu_millis;
        d[2 * j] = (struct demand){at, job->project, gpus, cpu};
        d[2 * j + 1] = (struct demand){at + job->t.duration_s, job->project, -gpus, -cpu};
    }
    qsort(d, 2 * s->job_count, sizeof(*d), by_time);
    for (size_t i = 0; i < 2 * s->job_count; i++) {
        struct al__sim_project *p = &s->projects[d[i].project];
        p->allocated_gpus += d[i].gpus; /* the demand now, for the sweep only */
        p->cpu_now += d[i].cpu_millis;
        p->deserved_gpus =
            p->allocated_gpus > p->deserved_gpus ? p->allocated_gpus : p->deserved_gpus;
        p->deserved_cpu_millis =
            p->cpu_now > p->deserved_cpu_millis ? p->cpu_now : p->deserved_cpu_millis;
    }
    for (size_t p = 0; p < s->project_count; p++) {
        s->projects[p].allocated_gpus = s->projects[p].cpu_now = 0;
        s->projects[p].listed = true;
    }
    free(d);
}

/* The jobs in the window [from, from + days), their tasks: a job of G GPUs is a gang of
 * ceil(G / the largest node's GPUs) tasks sharing its GPUs as evenly as they divide. */
static void jobs_make(struct al__sim *s, struct al__sim_trace_job *all, size_t n, int64_t from,
                      int64_t until, int32_t max_node_gpus) {
    s->jobs = al__xcalloc(n + 1, sizeof(*s->jobs));
    size_t tasks = 0;
    for (size_t i = 0; i < n; i++) {
        if (all[i].arrival_s < from || all[i].arrival_s >= until)
            continue;
        struct al__sim_job *j = &s->jobs[s->job_count++];
        j->t = all[i];
        j->task_count = j->t.gpus <= max_node_gpus || max_node_gpus <= 0
                            ? 1
                            : (j->t.gpus + max_node_gpus - 1) / max_node_gpus;
        j->first_task = tasks;
        j->first_start_s = j->end_s = -1;
        tasks += (size_t)j->task_count;
    }
    s->tasks = al__xcalloc(tasks + 1, sizeof(*s->tasks));
    s->task_count = tasks;
    for (size_t i = 0; i < s->job_count; i++) {
        struct al__sim_job *j = &s->jobs[i];
        for (int32_t k = 0; k < j->task_count; k++) {
            struct al__sim_task *t = &s->tasks[j->first_task + (size_t)k];
            t->gpus = j->t.gpus / j->task_count + (k < j->t.gpus % j->task_count);
        }
    }
}

static void sim_free(struct al__sim *s) {
    if (!s)
        return;
    free(s->result_path);
    free(s->jobs);
    free(s->tasks);
    free(s->projects);
    free(s->ends);
    free(s);
}

static int sim_open(struct al__backend *b, const char *dir, const struct al__backend_option *opts,
                    size_t opt_count, char *err, size_t size) {
    struct sim_options o;
    struct al__sim_trace_group *vcs = NULL;
    struct al__sim_trace_job *all = NULL;
    size_t vc_count = 0, job_count = 0;
    (void)dir;
    int rc = read_options(opts, opt_count, &o, err, size);
    int64_t from = INT64_MIN, until = INT64_MAX;
    if (rc == 0 && o.from && al__sim_parse_time(o.from, &from) < 0) {
        snprintf(err, size, "--from: not a date YYYY-MM-DD (or YYYY-MM-DD HH:MM:SS), UTC");
        rc = -AL_EINVAL;
    }
    if (rc == 0 && o.days > 0) {
        if (!o.from) {
            snprintf(err, size, "--days: give --from too");
            rc = -AL_EINVAL;
        } else {
            until = from + o.days * 86400;
        }
    }
    if (rc == 0 && o.vcs)
        rc = al__sim_philly_vcs(o.vcs, &vcs, &vc_count, err, size);
    bool dlrm = rc == 0 && strcmp(o.trace, "dlrm") == 0;
    if (rc == 0)
        rc = dlrm ? al__sim_dlrm_instances(o.jobs, DLRM_START_S, &all, &job_count, err, size)
                  : al__sim_philly_jobs(o.jobs, &all, &job_count, err, size);
    if (rc == 0)
        rc = inventory_make(b, &o, vcs, vc_count, err, size);
    if (rc < 0) {
        free(vcs);
        free(all);
        return rc;
    }
    struct al__sim *s = al__xcalloc(1, sizeof(*s));
    s->trace = dlrm ? "dlrm" : "philly";
    s->result_path = al__xstrdup(o.result);
    s->skip = strcmp(o.skip, "yes") == 0;
    s->time_limits_hours = strcmp(o.time_limits, "hours") == 0;
    snprintf(s->department, sizeof(s->department), "%s", s->trace);
    int32_t max_node_gpus = 0;
    for (size_t i = 0; i < b->inventory.node_count; i++) {
        s->gpus_total += (int64_t)b->inventory.nodes[i].gpu_count;
        s->cpu_millis_total += b->inventory.nodes[i].cpu_millis;
        if ((int32_t)b->inventory.nodes[i].gpu_count > max_node_gpus)
            max_node_gpus = (int32_t)b->inventory.nodes[i].gpu_count;
    }
    jobs_make(s, all, job_count, from, until, max_node_gpus);
    if (dlrm)
        projects_by_demand(s);
    else
        projects_make(s, &o, vcs, vc_count);
    for (size_t t = 0; t < s->task_count; t++)
        s->tasks[t].project = -1;
    for (size_t j = 0; j < s->job_count; j++)
        for (int32_t k = 0; k < s->jobs[j].task_count; k++)
            s->tasks[s->jobs[j].first_task + (size_t)k].project = s->jobs[j].project;
    s->start_s = o.from ? from : s->job_count ? s->jobs[0].t.arrival_s : 0;
    s->now = s->start_s;
    free(vcs);
    free(all);
    b->data = s;
    b->clock = &s->now;
    b->isolation = "virtual tasks on a virtual clock (simulation)";
    return 0;
}

static void sim_close(struct al__backend *b) {
    sim_free(b->data);
    b->data = NULL;
}

/* The heap of task ends. */
static bool end_before(const struct al__sim_end *a, const struct al__sim_end *b) {
    if (a->end_s != b->end_s)
        return a->end_s < b->end_s;
    return a->task < b->task;
}

static void end_push(struct al__sim *s, struct al__sim_end e) {
    al__xgrow(&s->ends, &s->end_cap, s->end_count + 1, sizeof(*s->ends));
    size_t i = s->end_count++;
    while (i > 0 && end_before(&e, &s->ends[(i - 1) / 2])) {
        s->ends[i] = s->ends[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    s->ends[i] = e;
}

static void end_pop(struct al__sim *s) {
    struct al__sim_end last = s->ends[--s->end_count];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= s->end_count)
            break;
        if (c + 1 < s->end_count && end_before(&s->ends[c + 1], &s->ends[c]))
            c++;
        if (!end_before(&s->ends[c], &last))
            break;
        s->ends[i] = s->ends[c];
        i = c;
    }
    if (s->end_count > 0)
        s->ends[i] = last;
}

/* Whether a heap entry still names a running task's current run. */
static bool end_live(const struct al__sim *s, const struct al__sim_end *e) {
    const struct al__sim_task *t = &s->tasks[e->task];
    return t->running && t->run == e->run;
}

int64_t al__sim_next_event(struct al__sim *s) {
    while (s->end_count > 0 && !end_live(s, &s->ends[0]))
        end_pop(s);
    int64_t next = INT64_MAX;
    if (s->next_arrival < s->job_count)
        next = s->jobs[s->next_arrival].t.arrival_s;
    if (s->end_count > 0 && s->ends[0].end_s < next)
        next = s->ends[0].end_s;
    return next;
}

static void sim_prepare(struct al__backend *b, struct al__task_key key) {
    (void)b;
    (void)key;
}

/* The job a workload name ("j<index>") names, or NULL. */
static struct al__sim_job *job_named(struct al__sim *s, const char *name) {
    if (name[0] != 'j')
        return NULL;
    char *end;
    unsigned long long i = strtoull(name + 1, &end, 10);
    return *end || end == name + 1 || i >= s->job_count ? NULL : &s->jobs[i];
}

/* The task and run a reference ("j<job>.<task>.<run>") names; NULL when none. */
static struct al__sim_task *task_of_ref(struct al__sim *s, const char *ref, uint32_t *run) {
    unsigned long long job, task, r;
    int used = 0;
    if (sscanf(ref, "j%llu.%llu.%llu%n", &job, &task, &r, &used) != 3 || ref[used] ||
        job >= s->job_count || task >= (unsigned long long)s->jobs[job].task_count)
        return NULL;
    *run = (uint32_t)r;
    return &s->tasks[s->jobs[job].first_task + task];
}

static struct al__sim_job *job_of_task(struct al__sim *s, const struct al__sim_task *t) {
    size_t at = (size_t)(t - s->tasks), lo = 0, hi = s->job_count;
    while (hi - lo > 1) { /* the last job whose first task is at or before it */
        size_t mid = (lo + hi) / 2;
        if (s->jobs[mid].first_task <= at)
            lo = mid;
        else
            hi = mid;
    }
    return &s->jobs[lo];
}

static int sim_start(struct al__backend *b, const struct al__task_start *st,
                     char ref[AL__TASK_REF_MAX], char *err, size_t size) {
    struct al__sim *s = b->data;
    struct al__sim_job *j = job_named(s, st->workload);
    if (!j || st->key.index < 0 || st->key.index >= j->task_count) {
        snprintf(err, size, "sim: no task %d of a job named %s", (int)st->key.index, st->workload);
        return -AL_ENOENT;
    }
    struct al__sim_task *t = &s->tasks[j->first_task + (size_t)st->key.index];
    t->run++;
    t->running = true;
    t->stopped = false;
    /* A restarted job runs its whole duration again; a gang's tasks end together, when the
     * last one started has run it (one moved or restarted alone holds the others). */
    t->end_s = s->now + j->t.duration_s;
    if (j->tasks_running == 0 || t->end_s > j->run_end_s)
        j->run_end_s = t->end_s;
    end_push(s, (struct al__sim_end){t->end_s, (size_t)(t - s->tasks), t->run});
    snprintf(ref, AL__TASK_REF_MAX, "j%zu.%d.%u", (size_t)(j - s->jobs), (int)st->key.index,
             t->run);
    s->allocated_gpus += t->gpus;
    s->projects[j->project].allocated_gpus += t->gpus;
    if (j->tasks_running++ == 0)
        s->running_jobs++;
    if (j->first_start_s < 0)
        j->first_start_s = s->now;
    s->starts++;
    return 0;
}

/* A running task's run ends (done: it ran its duration). */
static void task_end(struct al__sim *s, struct al__sim_task *t, bool done) {
    struct al__sim_job *j = job_of_task(s, t);
    t->running = false;
    s->allocated_gpus -= t->gpus;
    s->projects[j->project].allocated_gpus -= t->gpus;
    if (--j->tasks_running == 0)
        s->running_jobs--;
    if (done && ++j->tasks_done == j->task_count) {
        j->end_s = s->now;
        s->finished_jobs++;
    }
}

static int sim_stop(struct al__backend *b, const char *ref, enum al__stop_mode mode) {
    struct al__sim *s = b->data;
    uint32_t run;
    struct al__sim_task *t = task_of_ref(s, ref, &run);
    (void)mode;
    if (!t || t->run != run || !t->running)
        return -AL_ENOENT; /* gone already (a second stop after the grace period) */
    struct al__sim_job *j = job_of_task(s, t);
    if (j->evicted_run != run) { /* a gang's tasks stopped together count once */
        j->evicted_run = run;
        j->evictions++;
        s->evictions++;
    }
    t->stopped = true;
    task_end(s, t, false);
    s->stops++;
    return 0;
}

/* Tasks whose end is due: true when some are (every running task is polled then). */
static bool sim_refresh(struct al__backend *b) {
    struct al__sim *s = b->data;
    bool due = false;
    while (s->end_count > 0 && s->ends[0].end_s <= s->now) {
        due |= end_live(s, &s->ends[0]);
        end_pop(s);
    }
    return due;
}

static enum al__task_status sim_poll(struct al__backend *b, struct al__task_key key,
                                     const char *ref, int *exit_code) {
    struct al__sim *s = b->data;
    uint32_t run;
    struct al__sim_task *t = task_of_ref(s, ref, &run);
    (void)key;
    if (!t)
        return AL__TASK_LOST;
    if (t->run != run || t->stopped) {
        *exit_code = EXIT_STOPPED;
        return AL__TASK_EXITED;
    }
    if (t->running && s->now >= job_of_task(s, t)->run_end_s) {
        task_end(s, t, true);
        t->done = true;
    }
    if (t->running)
        return AL__TASK_RUNNING;
    *exit_code = 0;
    return AL__TASK_EXITED;
}

static int sim_find(struct al__backend *b, struct al__task_key key, char ref[AL__TASK_REF_MAX]) {
    (void)b;
    (void)key;
    (void)ref;
    return -AL_ENOENT; /* nothing survives a run: there is nothing to re-adopt */
}

static void sim_forget(struct al__backend *b, struct al__task_key key) {
    (void)b;
    (void)key;
}

static ssize_t sim_log_read(struct al__backend *b, struct al__task_key key, const char *ref,
                            int64_t offset, char *buf, size_t max, char *err, size_t size) {
    (void)b, (void)key, (void)ref, (void)offset, (void)buf, (void)max, (void)err, (void)size;
    return 0; /* virtual tasks write nothing */
}

static void sim_describe(struct al__backend *b, const char *ref, char *out, size_t size) {
    (void)b;
    snprintf(out, size, "simulated task %s", ref);
}

static void sim_task_json(struct al__backend *b, const char *ref, json_t *task) {
    (void)b, (void)ref, (void)task;
}

static void project_put(const struct al__sim *s, const struct al__mirror *m, const char *name,
                        const char *parent, int64_t deserved_gpus, int64_t deserved_cpu_millis) {
    struct al__mirror_queue q = {
        .name = name, .parent = parent, .project = parent[0] != '\0', .created_s = s->start_s};
    for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
        q.deserved[r] = 0;
        q.limit[r] = AL_UNLIMITED;
        q.weight[r] = 1;
    }
    q.deserved[AL_GPU] = deserved_gpus * 1000; /* engine units: milli-GPU */
    q.deserved[AL_CPU] = deserved_cpu_millis;
    m->queue_put(m->arg, &q);
}

/* The job's workload: a gang of all its tasks (min_members = all). Philly's: preemptible
 * training at priority train (50): it may run over its project's quota, and reclaim takes that
 * back. DLRM's: an inference service (priority 125, never preempted), within its quota. */
static void job_put(struct al__sim *s, const struct al__mirror *m, size_t index) {
    struct al__sim_job *j = &s->jobs[index];
    bool inference = strcmp(s->trace, "dlrm") == 0;
    struct al__mirror_task tasks[64], *many = NULL, *ts = tasks;
    char name[32];
    if (j->task_count > 64)
        ts = many = al__xcalloc((size_t)j->task_count, sizeof(*many));
    int32_t most = 0;
    for (int32_t k = 0; k < j->task_count; k++) {
        const struct al__sim_task *t = &s->tasks[j->first_task + (size_t)k];
        ts[k] = (struct al__mirror_task){.state = AL__MIRROR_PENDING,
                                         .own_request = true,
                                         .request = {.gpus = t->gpus,
                                                     .gpu_device_count = 1,
                                                     .cpu_millis = j->t.cpu_millis / j->task_count},
                                         .started_s = -1,
                                         .finished_s = -1};
        if (t->gpus > most)
            most = t->gpus;
    }
    snprintf(name, sizeof(name), "j%zu", index);
    struct al__mirror_workload w = {
        .project = s->projects[j->project].name,
        .name = name,
        .kind = inference ? "inference" : "training",
        .priority = inference ? 125 : 50,
        .preemptible = !inference,
        .min_members = j->task_count,
        .gpus = most,
        .gpu_device_count = 1,
        .created_s = j->t.arrival_s,
        .time_limit_s = s->time_limits_hours ? (j->t.duration_s / 3600 + 1) * 3600 : 0,
        .tasks = ts,
        .task_count = (size_t)j->task_count};
    m->workload_put(m->arg, &w);
    free(many);
}

/* The department and its projects first; then every job whose arrival the clock reached. */
static void sim_sync(struct al__backend *b, bool all, const struct al__mirror *m) {
    struct al__sim *s = b->data;
    if (all || !s->queues_put) {
        project_put(s, m, s->department, "", s->gpus_total, s->cpu_millis_total);
        for (size_t p = 0; p < s->project_count; p++)
            project_put(s, m, s->projects[p].name, s->department, s->projects[p].deserved_gpus,
                        s->projects[p].deserved_cpu_millis);
        s->queues_put = true;
    }
    for (; s->next_arrival < s->job_count && s->jobs[s->next_arrival].t.arrival_s <= s->now;
         s->next_arrival++) {
        job_put(s, m, s->next_arrival);
        s->arrived++;
    }
}

const struct al__backend_type al__sim_backend = {
    .name = "sim",
    .usage = "sim backend (a virtual cluster on a virtual clock, driven by a trace; run by\n"
             "`allot sim philly`, see docs/simulation.md, timed mode):\n"
             "  --trace philly        the trace's kind\n"
             "  --jobs FILE           its jobs (philly_jobs.csv)\n"
             "  --vcs FILE            its virtual clusters (philly_vc_nodes.csv): projects\n"
             "  --nodes FILE          a node list as the inventory instead of the VCs' nodes\n"
             "  --gpus-per-node N     GPUs of each VC node (default 8)\n"
             "  --from DATE --days N  only jobs arriving in this window (UTC)\n"
             "  --skip yes|no         jump over seconds in which nothing can change (yes)\n"
             "  --time-limits none|hours  give each job a time limit as a user would: its\n"
             "                        duration rounded up to the next whole hour (none)\n"
             "  --result FILE         where the result (JSON) is written\n",
    .start_threads = 1,
    .open = sim_open,
    .close = sim_close,
    .prepare = sim_prepare,
    .start = sim_start,
    .stop = sim_stop,
    .refresh = sim_refresh,
    .poll = sim_poll,
    .find = sim_find,
    .forget = sim_forget,
    .log_read = sim_log_read,
    .describe = sim_describe,
    .task_json = sim_task_json,
    .sync = sim_sync,
    .drive = al__sim_run,
};
