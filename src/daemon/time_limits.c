/* time_limits.c - stops the workloads that run over their time limit (see time_limits.h). */
#include <stdio.h>

#include "daemon/persist.h"
#include "daemon/tasks.h"
#include "daemon/time_limits.h"

void al__duration_text(int64_t seconds, char *out, size_t size) {
    static const struct {
        int64_t seconds;
        char unit;
    } units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
    size_t n = sizeof(units) / sizeof(units[0]);
    if (seconds <= 0) {
        snprintf(out, size, "0s");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (seconds < units[i].seconds)
            continue;
        int64_t big = seconds / units[i].seconds, rest = seconds % units[i].seconds;
        if (rest == 0 || i + 1 == n)
            snprintf(out, size, "%lld%c", (long long)big, units[i].unit);
        else
            snprintf(out, size, "%lld%c%lld%c", (long long)big, units[i].unit,
                     (long long)(rest / units[i + 1].seconds), units[i + 1].unit);
        return;
    }
}

void al__time_limit_reason(const struct al__dworkload *w, char *out, size_t size) {
    char limit[48];
    al__duration_text(w->spec.time_limit_s, limit, sizeof(limit));
    snprintf(out, size, "ran over its time limit of %s", limit);
}

/* w's run has lasted its time limit: everything it runs is stopped, what it has not started
 * never will be. */
static void stop_over_time(struct allotd *d, struct al__dworkload *w, int64_t now) {
    enum al__wstate before = w->state;
    char why[128], text[192];
    int not_started = 0;

    w->over_time = true;
    al__time_limit_reason(w, why, sizeof(why));
    snprintf(text, sizeof(text), "%s: stopping its tasks", why);
    al__workload_reason(d, w, "time_limit/TimeLimit", text);
    al__persist_event(d, w, "time_limit", "%s (running since %llds ago): stopping its tasks", why,
                      (long long)(now - w->started_s));
    for (int32_t k = 0; k < w->spec.workers; k++) {
        struct al__dtask *t = &w->tasks[k];
        if (t->state == AL__T_RUNNING) {
            al__task_stop(d, w, t); /* one still starting is stopped once recorded */
        } else if (t->state == AL__T_PENDING || t->state == AL__T_PIPELINED) {
            al__task_requeue(&d->state, t); /* a pipelined one gives its place up */
            t->state = AL__T_FAILED;
            t->exit_code = -1;
            t->finished_s = now;
            al__persist_task_update(d, w, t);
            not_started++;
        }
    }
    if (not_started > 0)
        al__persist_event(d, w, "failed", "%d task%s that had not started will not: %s",
                          not_started, not_started == 1 ? "" : "s", why);
    al__workload_settle(d, w, before);
}

void al__time_limits_enforce(struct allotd *d) {
    int64_t now = al__daemon_now();
    struct al__wset_items *timed = &d->state.sets[AL__TIMED];
    for (size_t i = 0; i < timed->count; i++) {
        struct al__dworkload *w = timed->items[i];
        if (w->state == AL__W_RUNNING && !w->over_time && w->spec.time_limit_s > 0 &&
            !d->backend.type->platform_time_limits && w->started_s >= 0 &&
            now - w->started_s >= w->spec.time_limit_s)
            stop_over_time(d, w, now);
    }
    al__state_prune(&d->state, AL__TIMED);
}
