/* tasks.c - allotd's tasks carried out by the local backend: start with their devices and
 * environment, stop (SIGTERM, grace, SIGKILL), notice exits, re-adopt after a restart. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/api.h"
#include "daemon/failpoint.h"
#include "util/xalloc.h"

void al__task_paths(const struct allotd *d, const struct al__dworkload *w,
                    const struct al__dtask *t, char *log, char *exitp, size_t size) {
    snprintf(log, size, "%s/logs/%lld-%d.log", d->state_dir, (long long)w->id, (int)t->index);
    snprintf(exitp, size, "%s/run/%lld-%d.exit", d->state_dir, (long long)w->id, (int)t->index);
}

void al__task_pid_path(const struct allotd *d, const struct al__dworkload *w,
                       const struct al__dtask *t, char *out, size_t size) {
    snprintf(out, size, "%s/run/%lld-%d.pid", d->state_dir, (long long)w->id, (int)t->index);
}

void al__task_files_remove(const struct allotd *d, const struct al__dworkload *w) {
    char log[4096], exitp[4096];
    for (int32_t i = 0; i < w->spec.workers; i++) {
        al__task_paths(d, w, &w->tasks[i], log, exitp, sizeof(log));
        unlink(log);
        unlink(exitp);
        al__task_pid_path(d, w, &w->tasks[i], log, sizeof(log));
        unlink(log);
    }
}

static bool reserved_env(const char *key) {
    return strncmp(key, "ALLOT_", 6) == 0 || strcmp(key, "CUDA_VISIBLE_DEVICES") == 0 ||
           strcmp(key, "NVIDIA_VISIBLE_DEVICES") == 0 || strcmp(key, "CUDA_DEVICE_ORDER") == 0;
}

static void env_add(char ***env, size_t *n, const char *key, const char *value) {
    size_t len = strlen(key) + strlen(value) + 2;
    *env = al__xrealloc(*env, (*n + 2) * sizeof(**env));
    (*env)[*n] = al__xmalloc(len);
    snprintf((*env)[*n], len, "%s=%s", key, value);
    (*env)[++*n] = NULL;
}

/* The fraction of each shared device the task may use, as text ("0.5"), or "" for none. */
static void shared_limits(const struct allotd *d, const struct al__dworkload *w,
                          const struct al__dtask *t, char *fraction, char *mib, size_t size) {
    const struct al__wspec *s = &w->spec;
    int32_t device_mib = t->gpu_count > 0 ? d->inventory.gpus[t->gpus[0]].memory_mib : 0;

    fraction[0] = mib[0] = '\0';
    if (s->gpu_milli > 0) {
        snprintf(fraction, size, "%d.%03d", s->gpu_milli / 1000, s->gpu_milli % 1000);
        snprintf(mib, size, "%lld", (long long)device_mib * s->gpu_milli / 1000);
    } else if (s->gpu_memory_mib > 0 && device_mib > 0) {
        int64_t milli = al_gpu_memory_milli(s->gpu_memory_mib, device_mib);
        snprintf(fraction, size, "%d.%03d", (int)(milli / 1000), (int)(milli % 1000));
        snprintf(mib, size, "%d", s->gpu_memory_mib);
    }
}

static char **task_env(const struct allotd *d, const struct al__dworkload *w,
                       const struct al__dtask *t) {
    char devices[AL__MAX_TASK_GPUS * 4 + 1] = "", number[32], fraction[32], mib[32];
    char **env = NULL;
    size_t n = 0, used = 0;
    const char *key;
    json_t *v;

    json_object_foreach(w->spec.env, key, v) {
        if (!reserved_env(key))
            env_add(&env, &n, key, json_string_value(v));
    }
    for (size_t i = 0; i < t->gpu_count; i++)
        used += (size_t)snprintf(devices + used, sizeof(devices) - used, "%s%d", i ? "," : "",
                                 (int)t->gpus[i]);
    env_add(&env, &n, "CUDA_VISIBLE_DEVICES", devices);
    env_add(&env, &n, "NVIDIA_VISIBLE_DEVICES", t->gpu_count ? devices : "none");
    env_add(&env, &n, "CUDA_DEVICE_ORDER", "PCI_BUS_ID");
    env_add(&env, &n, "ALLOT_WORKLOAD", w->name);
    env_add(&env, &n, "ALLOT_PROJECT", w->project);
    snprintf(number, sizeof(number), "%d", (int)t->index);
    env_add(&env, &n, "ALLOT_TASK_INDEX", number);
    snprintf(number, sizeof(number), "%d", (int)w->spec.workers);
    env_add(&env, &n, "ALLOT_WORKERS", number);
    shared_limits(d, w, t, fraction, mib, sizeof(fraction));
    if (fraction[0]) {
        env_add(&env, &n, "ALLOT_GPU_FRACTION", fraction);
        env_add(&env, &n, "ALLOT_GPU_MEMORY_LIMIT_MIB", mib);
    }
    return env;
}

static void free_strings(char **v) {
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

void al__task_devices_text(const struct al__dtask *t, char *out, size_t size) {
    size_t used = (size_t)snprintf(out, size, "[");
    for (size_t i = 0; i < t->gpu_count && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, "%s%d", i ? ", " : "", (int)t->gpus[i]);
    if (used < size)
        snprintf(out + used, size - used, "]");
}

void al__task_place(struct allotd *d, struct al__dworkload *w, struct al__dtask *t) {
    char devices[512], log[4096], exitp[4096];
    /* What an earlier run of the task left must not be taken for this one's after a crash. */
    al__task_paths(d, w, t, log, exitp, sizeof(log));
    unlink(exitp);
    al__task_pid_path(d, w, t, log, sizeof(log));
    unlink(log);
    al__task_devices_text(t, devices, sizeof(devices));
    al__persist_event(d, w, "scheduled", "task %d scheduled on %s%s%s", (int)t->index,
                      d->inventory.node_name, t->gpu_count ? " GPUs " : " (no GPU)",
                      t->gpu_count ? devices : "");
    if (!al__workload_is_active(w))
        w->started_s = al__daemon_now(); /* it starts running (again) */
    t->state = AL__T_RUNNING;
    t->pid = 0; /* no process yet */
    t->start_ticks = 0;
    t->started_s = al__daemon_now();
    al__persist_task_update(d, w, t);
    al__xgrow(&d->placed, &d->placed_cap, d->placed_count + 1, sizeof(*d->placed));
    d->placed[d->placed_count++] = (struct al__placed){w, t};
}

void al__tasks_unplace(struct allotd *d) {
    for (size_t i = 0; i < d->placed_count; i++) {
        struct al__dworkload *w = d->placed[i].w;
        al__task_requeue(d->placed[i].t);
        al__workload_refresh_state(w);
    }
    d->placed_count = 0;
}

/* One placed task's start: prepared under the state lock, forked without it, recorded under it. */
struct launch_job {
    struct al__dworkload *w;
    struct al__dtask *t;
    char **argv, **env;
    char *log, *exitp, *pidp;
    int rc;
    struct al__proc proc;
    char err[256];
};

static void job_prepare(struct allotd *d, struct launch_job *j) {
    char log[4096], exitp[4096];
    size_t argc = json_array_size(j->w->spec.command);
    j->argv = al__xcalloc(argc + 1, sizeof(*j->argv));
    for (size_t i = 0; i < argc; i++)
        j->argv[i] = al__xstrdup(json_string_value(json_array_get(j->w->spec.command, i)));
    j->env = task_env(d, j->w, j->t);
    al__task_paths(d, j->w, j->t, log, exitp, sizeof(log));
    j->log = al__xstrdup(log);
    j->exitp = al__xstrdup(exitp);
    al__task_pid_path(d, j->w, j->t, log, sizeof(log));
    j->pidp = al__xstrdup(log);
}

/* Forks the task's supervisor. No lock needed: it reads only what job_prepare copied (and the
 * workdir, which no one changes). */
static void job_fork(struct launch_job *j) {
    struct al__launch launch = {j->argv, j->env, j->w->spec.workdir, j->log, j->exitp, j->pidp};
    j->rc = al__proc_start(&launch, &j->proc, j->err, sizeof(j->err));
    if (j->rc == 0)
        al__failpoint("after-fork"); /* tests: allotd killed with a process it did not record */
}

/* Records the task's process, or the failure (exit 127). */
static void job_record(struct allotd *d, struct launch_job *j) {
    struct al__dworkload *w = j->w;
    struct al__dtask *t = j->t;
    if (j->rc < 0) {
        fprintf(stderr, "allotd: workload %s task %d: %s\n", w->name, (int)t->index, j->err);
        t->state = AL__T_FAILED;
        t->finished_s = al__daemon_now();
        t->exit_code = 127;
        al__persist_event(d, w, "failed", "task %d could not start: %s", (int)t->index, j->err);
    } else {
        t->pid = j->proc.pid;
        t->start_ticks = j->proc.start_ticks;
        al__persist_event(d, w, "started", "task %d started as process group %d", (int)t->index,
                          (int)j->proc.pid);
    }
    al__persist_task_update(d, w, t);
    al__workload_refresh_state(w);
    al__persist_workload_update(d, w);
    free_strings(j->argv);
    free_strings(j->env);
    free(j->log);
    free(j->exitp);
    free(j->pidp);
}

void al__tasks_start_placed(struct allotd *d) {
    size_t n = 0;
    struct launch_job *jobs = al__xcalloc(d->placed_count ? d->placed_count : 1, sizeof(*jobs));
    for (size_t i = 0; i < d->placed_count; i++) {
        struct al__placed p = d->placed[i];
        if (p.t->state != AL__T_RUNNING || p.t->pid > 0)
            continue;
        jobs[n] = (struct launch_job){.w = p.w, .t = p.t};
        job_prepare(d, &jobs[n++]);
    }
    d->placed_count = 0;
    if (n > 0) {
        al__failpoint("before-fork"); /* tests: placements durable, nothing started */
        /* Reads go on meanwhile; a change needs the store lock, which the cycle holds, so the
         * placed tasks stay as they are until they are recorded. */
        pthread_mutex_unlock(&d->lock);
        for (size_t i = 0; i < n; i++)
            job_fork(&jobs[i]);
        pthread_mutex_lock(&d->lock);
        for (size_t i = 0; i < n; i++)
            job_record(d, &jobs[i]);
    }
    free(jobs);
}

void al__task_stop(struct allotd *d, struct al__dworkload *w, struct al__dtask *t) {
    struct al__proc proc = {t->pid, t->start_ticks};
    if (t->state != AL__T_RUNNING || t->pid <= 0) /* pid 0: placed, never started (see place) */
        return;
    al__proc_signal(&proc, SIGTERM);
    t->state = AL__T_STOPPING;
    t->stop_sent_s = al__daemon_now();
    al__persist_task_update(d, w, t);
}
