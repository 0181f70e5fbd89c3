/* tasks.c - allotd's tasks carried out by its backend: placed on a node and devices, started
 * once the placement is durable, stopped (graceful, then at once after the grace period). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api.h"
#include "daemon/events_publish.h"
#include "daemon/failpoint.h"
#include "daemon/persist.h"
#include "daemon/task_account.h"
#include "daemon/tasks.h"
#include "util/xalloc.h"

struct al__task_key al__task_key(const struct al__dworkload *w, const struct al__dtask *t) {
    return (struct al__task_key){w->id, t->index};
}

const struct al__node *al__task_node(const struct allotd *d, const struct al__dtask *t) {
    const struct al__inventory *inv = &d->backend.inventory;
    return t->node >= 0 && (size_t)t->node < inv->node_count ? &inv->nodes[t->node] : NULL;
}

void al__task_forget(struct allotd *d, const struct al__dworkload *w) {
    for (int32_t i = 0; i < w->spec.workers; i++)
        d->backend.type->forget(&d->backend, al__task_key(w, &w->tasks[i]));
}

void al__workload_reason(struct allotd *d, struct al__dworkload *w, const char *code,
                         const char *text) {
    bool same = al__workload_reason_is(w, code, text);
    al__workload_set_reason(w, code, text);
    if (!same && al__state_workload(&d->state, w->project, w->name) == w)
        al__publish_workload(&d->state, w, "workload.reason", NULL);
    if (d->backend.type->reason) /* the backend gets the code without its short form */
        d->backend.type->reason(&d->backend, w->project, w->name,
                                w->reason_code[0] ? w->reason_code : NULL, text);
}

void al__task_devices_text(const struct al__dtask *t, char *out, size_t size) {
    size_t used = (size_t)snprintf(out, size, "[");
    for (size_t i = 0; i < t->gpu_count && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, "%s%d", i ? ", " : "", (int)t->gpus[i]);
    if (used < size)
        snprintf(out + used, size - used, "]");
}

void al__task_place(struct allotd *d, struct al__dworkload *w, struct al__dtask *t) {
    char devices[512];
    /* What an earlier run of the task left must not be taken for this one's after a crash. */
    d->backend.type->prepare(&d->backend, al__task_key(w, t));
    al__task_devices_text(t, devices, sizeof(devices));
    al__task_mig_assign(d, w, t);
    if (t->mig_instances)
        al__persist_event(d, w, "scheduled", "task %d scheduled on %s MIG %s", (int)t->index,
                          al__state_node_name(&d->state, t->node), t->mig_instances);
    else
        al__persist_event(d, w, "scheduled", "task %d scheduled on %s%s%s", (int)t->index,
                          al__state_node_name(&d->state, t->node),
                          t->gpu_count ? " GPUs " : " (no GPU)", t->gpu_count ? devices : "");
    if (!al__workload_is_active(w)) {
        if (w->started_s < 0) /* its first start */
            al__metrics_first_start(&d->metrics, al__daemon_now() - w->created_s);
        w->started_s = al__daemon_now(); /* it starts running (again) */
    }
    t->state = AL__T_RUNNING;
    al__state_add_to(&d->state, AL__HOLDING, w);
    if (w->spec.time_limit_s > 0 && !d->backend.type->platform_time_limits)
        al__state_add_to(&d->state, AL__TIMED, w); /* else the platform stops it */
    t->ref[0] = '\0';                              /* not started yet */
    t->started_s = al__daemon_now();
    al__persist_task_update(d, w, t);
    al__xgrow(&d->placed, &d->placed_cap, d->placed_count + 1, sizeof(*d->placed));
    d->placed[d->placed_count++] = (struct al__placed){w, t};
}

void al__tasks_unplace(struct allotd *d) {
    for (size_t i = 0; i < d->placed_count; i++) {
        struct al__dworkload *w = d->placed[i].w;
        al__task_requeue(&d->state, d->placed[i].t);
        al__workload_refresh_state(&d->state, w);
    }
    d->placed_count = 0;
}

/* One placed task's start: prepared under the state lock, started without it, recorded under
 * it. */
struct launch_job {
    struct al__dworkload *w;
    struct al__dtask *t;
    struct al__task_start start;
    char **argv, **env, **exported_env;
    char account[256]; /* a copy: the start runs without the lock */
    int rc;
    char ref[AL__TASK_REF_MAX];
    char err[256];
};

char **al__strings_of(const json_t *array_or_object) {
    size_t n = json_is_array(array_or_object) ? json_array_size(array_or_object)
                                              : json_object_size(array_or_object);
    char **v = al__xcalloc(n + 1, sizeof(*v));
    if (json_is_array(array_or_object)) {
        for (size_t i = 0; i < n; i++)
            v[i] = al__xstrdup(json_string_value(json_array_get(array_or_object, i)));
        return v;
    }
    const char *key;
    json_t *value;
    size_t i = 0;
    json_object_foreach((json_t *)array_or_object, key, value) {
        size_t len = strlen(key) + strlen(json_string_value(value)) + 2;
        v[i] = al__xmalloc(len);
        snprintf(v[i++], len, "%s=%s", key, json_string_value(value));
    }
    return v;
}

void al__strings_free(char **v) {
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

static void job_prepare(struct allotd *d, struct launch_job *j) {
    const struct al__wspec *s = &j->w->spec;
    struct al__task_request r = al__task_request_of(j->w, j->t->index);
    int32_t g = al__task_subgroup(j->w, j->t->index);
    j->argv = al__strings_of(s->command);
    j->env = al__strings_of(s->env);
    j->exported_env = al__strings_of(s->exported_env); /* none: empty */
    j->start = (struct al__task_start){
        .key = al__task_key(j->w, j->t),
        .workload = j->w->name,
        .project = j->w->project,
        .subgroup = g >= 0 ? s->subgroups[g].name : NULL,
        .workers = s->workers,
        .node = (size_t)j->t->node,
        .gpus = j->t->gpus,
        .gpu_count = j->t->gpu_count,
        .gpu_milli = r.gpu_milli,
        .gpu_memory_mib = r.gpu_memory_mib,
        .gpu_milli_limit = r.gpu_milli_limit,
        .gpu_memory_limit_mib = r.gpu_memory_limit_mib,
        .mig_instances = j->t->mig_instances,
        .enforce = s->enforce,
        .argv = (const char *const *)j->argv,
        .exported_env = (const char *const *)j->exported_env,
        .env = (const char *const *)j->env,
        .workdir = s->workdir,
        .run = j->t->runs + 1,
        .after = j->t->stopped_why,
        .terminal = s->kind == AL__K_WORKSPACE,
    };
    /* resolved at every start: the owner's own account, or the dedicated one */
    if (al__task_account(d, j->w, j->account, sizeof(j->account)))
        j->start.account = j->account;
}

/* Starts the task. No lock needed: the backend reads only what job_prepare pointed at, which
 * no one changes while the cycle holds the store lock (names, devices, the spec). */
static void job_start(struct allotd *d, struct launch_job *j) {
    j->rc = d->backend.type->start(&d->backend, &j->start, j->ref, j->err, sizeof(j->err));
    if (j->rc == 0)
        al__failpoint("after-start"); /* tests: allotd killed with a task it did not record */
}

/* Records the task's reference, or the failure (exit 127). */
static void job_record(struct allotd *d, struct launch_job *j) {
    struct al__dworkload *w = j->w;
    struct al__dtask *t = j->t;
    char what[128];
    if (j->rc < 0) {
        fprintf(stderr, "allotd: workload %s task %d: %s\n", w->name, (int)t->index, j->err);
        t->state = AL__T_FAILED;
        d->state.task_changes++;
        t->finished_s = al__daemon_now();
        t->exit_code = 127;
        al__persist_event(d, w, "failed", "task %d could not start: %s", (int)t->index, j->err);
    } else {
        snprintf(t->ref, sizeof(t->ref), "%s", j->ref);
        al__task_started(t);
        d->backend.type->describe(&d->backend, t->ref, what, sizeof(what));
        if (t->runs > 1)
            al__persist_event(d, w, "started", "task %d started as %s (run %d)", (int)t->index,
                              what, (int)t->runs);
        else
            al__persist_event(d, w, "started", "task %d started as %s", (int)t->index, what);
    }
    al__persist_task_update(d, w, t);
    if (j->rc == 0 && (w->state == AL__W_DELETING || w->state == AL__W_SUSPENDED || w->over_time))
        al__task_stop(d, w, t); /* deleted, suspended or over its time while it started */
    al__workload_refresh_state(&d->state, w);
    al__persist_workload_update(d, w);
    al__strings_free(j->argv);
    al__strings_free(j->env);
    al__strings_free(j->exported_env);
}

/* Starts jobs[*next ...] until none is left: one of the threads of start_all. */
struct start_run {
    struct allotd *d;
    struct launch_job *jobs;
    size_t count;
    atomic_size_t next;
};

static void *start_some(void *arg) {
    struct start_run *r = arg;
    for (size_t i; (i = atomic_fetch_add(&r->next, 1)) < r->count;)
        job_start(r->d, &r->jobs[i]);
    return NULL;
}

/* Starts every job, by as many threads at once as the backend allows (binds to a remote
 * cluster wait on its answers; forks do not). */
static void start_all(struct allotd *d, struct launch_job *jobs, size_t n) {
    struct start_run r = {.d = d, .jobs = jobs, .count = n};
    size_t threads = d->backend.type->start_threads;
    if (threads > n)
        threads = n;
    pthread_t *ids = al__xcalloc(threads + 1, sizeof(*ids));
    size_t started = 0;
    for (; started + 1 < threads; started++)
        if (pthread_create(&ids[started], NULL, start_some, &r) != 0)
            break;
    start_some(&r); /* this thread too */
    for (size_t i = 0; i < started; i++)
        pthread_join(ids[i], NULL);
    free(ids);
}

void al__tasks_start_placed(struct allotd *d) {
    size_t n = 0;
    struct launch_job *jobs = al__xcalloc(d->placed_count ? d->placed_count : 1, sizeof(*jobs));
    for (size_t i = 0; i < d->placed_count; i++) {
        struct al__placed p = d->placed[i];
        if (p.t->state != AL__T_RUNNING || p.t->ref[0])
            continue;
        jobs[n] = (struct launch_job){.w = p.w, .t = p.t};
        job_prepare(d, &jobs[n++]);
    }
    d->placed_count = 0;
    if (n > 0) {
        al__failpoint("before-start"); /* tests: placements durable, nothing started */
        /* Requests go on meanwhile, changes too (starting 2,000 tasks takes seconds): no
         * request changes a placed task that has no reference yet, and one whose workload was
         * deleted meanwhile is stopped as soon as it is recorded (job_record). */
        pthread_mutex_unlock(&d->lock);
        pthread_mutex_unlock(&d->store_lock);
        start_all(d, jobs, n);
        pthread_mutex_lock(&d->store_lock);
        pthread_mutex_lock(&d->lock);
    }
    if (al__store_begin(d->store) < 0) /* the records: a transaction of their own */
        fprintf(stderr, "allotd: store: %s\n", al__store_error(d->store));
    for (size_t i = 0; i < n; i++)
        job_record(d, &jobs[i]);
    free(jobs);
}

void al__task_started(struct al__dtask *t) {
    t->runs++;
    free(t->stopped_why); /* its marker has said it */
    t->stopped_why = NULL;
}

void al__task_stop(struct allotd *d, struct al__dworkload *w, struct al__dtask *t) {
    if (t->state != AL__T_RUNNING || !t->ref[0]) /* placed, never started (see place) */
        return;
    d->backend.type->stop(&d->backend, t->ref, AL__STOP_GRACEFUL);
    t->state = AL__T_STOPPING;
    al__state_add_to(&d->state, AL__WATCHED, w);
    t->stop_sent_s = al__daemon_now();
    al__persist_task_update(d, w, t);
}
