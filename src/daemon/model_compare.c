/* model_compare.c - whether two models of one state say the same: the kept model (patched from
 * cycle to cycle) against one built whole, in tests and under ALLOTD_CHECK_MODEL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/cycle_model.h"
#include "util/xalloc.h"

struct owned {
    const struct al__dworkload *w;
    size_t job;
};

static int by_owner(const void *a, const void *b) {
    const struct owned *x = a, *y = b;
    return (x->w > y->w) - (x->w < y->w);
}

/* The model's jobs by owner, for lookups. */
static struct owned *jobs_by_owner(const struct al__cycle_model *m) {
    struct owned *o = al__xcalloc(m->cluster.job_count + 1, sizeof(*o));
    for (size_t j = 0; j < m->cluster.job_count; j++)
        o[j] = (struct owned){m->job_owner[j], j};
    qsort(o, m->cluster.job_count, sizeof(*o), by_owner);
    return o;
}

static const struct owned *find(const struct owned *o, size_t n, const struct al__dworkload *w) {
    struct owned key = {w, 0};
    return bsearch(&key, o, n, sizeof(key), by_owner);
}

/* Why m left w out, NULL when it did not. */
static const char *left_out_why(const struct al__cycle_model *m, const struct al__dworkload *w) {
    for (size_t i = 0; i < m->left_out_count; i++)
        if (m->left_out[i] == w)
            return m->left_out_why[i];
    return NULL;
}

/* Which workload of two sharing a device beyond its capacity is left out depends on the order
 * they were read in. */
static bool order_dependent(const char *why) {
    return why && strstr(why, "beyond its capacity") != NULL;
}

static bool same_task(const struct al_task *a, const struct al_task *b) {
    if (strcmp(a->name, b->name) != 0 || a->state != b->state || a->node != b->node ||
        a->gpus != b->gpus || a->gpu_milli != b->gpu_milli ||
        a->gpu_memory_mib != b->gpu_memory_mib || a->gpu_devices != b->gpu_devices ||
        a->gpu_milli_limit != b->gpu_milli_limit ||
        a->gpu_memory_limit_mib != b->gpu_memory_limit_mib || a->cpu_millis != b->cpu_millis ||
        a->memory_bytes != b->memory_bytes || a->subgroup != b->subgroup ||
        a->has_task_priority != b->has_task_priority || a->gpu_index_count != b->gpu_index_count ||
        a->affinity_count != b->affinity_count || a->mig_count != b->mig_count)
        return false;
    for (size_t g = 0; g < a->gpu_index_count; g++)
        if (a->gpu_indices[g] != b->gpu_indices[g])
            return false;
    for (size_t m = 0; m < a->mig_count; m++)
        if (a->migs[m].count != b->migs[m].count ||
            strcmp(a->migs[m].profile, b->migs[m].profile) != 0)
            return false;
    return true;
}

static bool same_job(const struct al__cycle_model *a, size_t ja, const struct al__cycle_model *b,
                     size_t jb) {
    const struct al_job *x = &a->cluster.jobs[ja], *y = &b->cluster.jobs[jb];
    if (strcmp(x->name, y->name) != 0 || x->queue != y->queue || x->priority != y->priority ||
        x->preemptible != y->preemptible || x->semi_preemptible != y->semi_preemptible ||
        x->preemption_never != y->preemption_never || x->min_members != y->min_members ||
        x->created_s != y->created_s || x->has_pending_since != y->has_pending_since ||
        x->pending_since_s != y->pending_since_s || x->has_started != y->has_started ||
        (x->has_started && x->started_s != y->started_s) || x->has_stale_for != y->has_stale_for ||
        x->has_time_limit != y->has_time_limit || x->time_limit_s != y->time_limit_s ||
        (x->has_stale_for && /* since when: the two may be a second apart */
         a->cluster.now_s - x->stale_for_s != b->cluster.now_s - y->stale_for_s) ||
        x->task_count != y->task_count || x->subgroup_count != y->subgroup_count ||
        memcmp(&x->topology, &y->topology, sizeof(x->topology)) != 0 ||
        (x->pool || y->pool ? !x->pool || !y->pool || strcmp(x->pool, y->pool) != 0 : false))
        return false;
    for (size_t g = 0; g < x->subgroup_count; g++)
        if (strcmp(x->subgroups[g].name, y->subgroups[g].name) != 0 ||
            x->subgroups[g].min_members != y->subgroups[g].min_members ||
            memcmp(&x->subgroups[g].topology, &y->subgroups[g].topology,
                   sizeof(x->subgroups[g].topology)) != 0)
            return false;
    for (size_t i = 0; i < x->task_count; i++) {
        size_t ta = x->first_task + i, tb = y->first_task + i;
        if (a->cluster.tasks[ta].job != (int32_t)ja || b->cluster.tasks[tb].job != (int32_t)jb ||
            a->task_index[ta] != b->task_index[tb] ||
            !same_task(&a->cluster.tasks[ta], &b->cluster.tasks[tb]))
            return false;
    }
    return true;
}

/* Every job of a is in b alike, or b left its workload out for an order-dependent reason;
 * every workload a left out for another reason b left out for the same. */
static bool covered(const struct al__cycle_model *a, const struct al__cycle_model *b,
                    const struct owned *b_jobs, char *why, size_t size) {
    for (size_t j = 0; j < a->cluster.job_count; j++) {
        const struct al__dworkload *w = a->job_owner[j];
        const struct owned *o = find(b_jobs, b->cluster.job_count, w);
        if (o && !same_job(a, j, b, o->job)) {
            snprintf(why, size, "job %s differs", a->cluster.jobs[j].name);
            return false;
        }
        if (!o && !order_dependent(left_out_why(b, w))) {
            snprintf(why, size, "job %s is missing", a->cluster.jobs[j].name);
            return false;
        }
    }
    for (size_t i = 0; i < a->left_out_count; i++) {
        const char *other = left_out_why(b, a->left_out[i]);
        if (order_dependent(a->left_out_why[i]))
            continue;
        if (!other || strcmp(other, a->left_out_why[i]) != 0) {
            snprintf(why, size, "workload %s: left out (%s), not so in the other",
                     a->left_out[i]->name, a->left_out_why[i]);
            return false;
        }
    }
    return true;
}

bool al__model_same(const struct al__cycle_model *a, const struct al__cycle_model *b, char *why,
                    size_t size) {
    struct owned *a_jobs = jobs_by_owner(a), *b_jobs = jobs_by_owner(b);
    bool same = a->cluster.queue_count == b->cluster.queue_count &&
                a->cluster.node_count == b->cluster.node_count;
    if (!same)
        snprintf(why, size, "queues or nodes differ");
    same = same && covered(a, b, b_jobs, why, size) && covered(b, a, a_jobs, why, size);
    free(a_jobs);
    free(b_jobs);
    return same;
}
