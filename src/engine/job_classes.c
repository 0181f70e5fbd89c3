/* job_classes.c - interchangeable jobs (see job_classes.h). */
#include "engine/job_classes.h"

#include <string.h>

#include "allot/errors.h"
#include "engine/reservation.h"

/* What makes two jobs interchangeable. Zero-filled before use: compared with memcmp, hashed
 * as whole 64-bit words (its size is a multiple of 8, checked below). */
struct class_key {
    int32_t queue, priority, min_members, preemptible;
    int64_t task_count;
    int32_t gpus, gpu_milli, gpu_memory_mib, gpu_devices;
    int64_t cpu_millis, memory_bytes;
    int64_t time_limit_s; /* 0 = none: backfill onto reserved nodes depends on it */
};

_Static_assert(sizeof(struct class_key) % sizeof(uint64_t) == 0, "class_key is hashed by words");

static bool same_ask(const struct al_task *a, const struct al_task *b) {
    return a->gpus == b->gpus && a->gpu_milli == b->gpu_milli &&
           a->gpu_memory_mib == b->gpu_memory_mib && a->gpu_devices == b->gpu_devices &&
           a->cpu_millis == b->cpu_millis && a->memory_bytes == b->memory_bytes;
}

/* Job j's key; false when it can have no class. */
static bool job_key(const struct al_cluster *c, size_t j, struct class_key *k) {
    const struct al_job *job = &c->jobs[j];
    if (job->subgroup_count > 0 || job->has_preemption_delay || job->preemption_never ||
        job->task_count == 0 || job->topology.required_level > 0 ||
        job->topology.preferred_level > 0)
        return false;
    const struct al_task *first = &c->tasks[job->first_task];
    for (size_t i = 0; i < job->task_count; i++) {
        const struct al_task *t = &c->tasks[job->first_task + i];
        if (t->affinity_count > 0 || t->has_task_priority || t->subgroup >= 0 || t->mig_count > 0 ||
            !same_ask(t, first))
            return false;
    }
    memset(k, 0, sizeof(*k));
    k->queue = job->queue;
    k->priority = job->priority;
    k->min_members = job->min_members;
    k->preemptible = job->preemptible ? 1 : job->semi_preemptible ? 2 : 0;
    k->task_count = (int64_t)job->task_count;
    k->gpus = first->gpus;
    k->gpu_milli = first->gpu_milli;
    k->gpu_memory_mib = first->gpu_memory_mib;
    k->gpu_devices = first->gpu_devices;
    k->cpu_millis = first->cpu_millis;
    k->memory_bytes = first->memory_bytes;
    k->time_limit_s = job->has_time_limit ? job->time_limit_s : 0;
    return true;
}

/* The key's 64-bit words mixed (multiply and shift each): a byte-wise hash is a chain of 56
 * dependent multiplies per job, a cost the cycle pays for every pending job. */
static uint64_t key_hash(const struct class_key *k) {
    uint64_t words[sizeof(*k) / sizeof(uint64_t)], h = 0x243F6A8885A308D3ULL;
    memcpy(words, k, sizeof(words));
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        h = (h ^ words[i]) * 0x9E3779B97F4A7C15ULL;
        h ^= h >> 29;
    }
    return h;
}

int al__job_classes(struct al__session *s) {
    const struct al_cluster *c = s->cluster;
    if (s->job_class)
        return 0;
    size_t slots = 16;
    while (slots < 2 * c->job_count)
        slots *= 2;
    int32_t *job_class = al__arena_array_raw(&s->arena, c->job_count + 1, sizeof(int32_t));
    int32_t *table = al__arena_array_raw(&s->arena, slots, sizeof(int32_t)); /* class ids */
    struct class_key *keys = al__arena_array_raw(&s->arena, c->job_count + 1, sizeof(*keys));
    if (!job_class || !table || !keys)
        return -AL_ENOMEM;
    memset(table, 0xff, slots * sizeof(int32_t));
    int32_t count = 0;
    for (size_t j = 0; j < c->job_count; j++) {
        struct class_key k;
        job_class[j] = -1;
        /* Only a job untouched now can be one later in the cycle (evicted tasks release; they
         * do not turn pending): the running ones are not hashed. */
        if ((size_t)s->jobs[j].pending != c->jobs[j].task_count || s->jobs[j].active != 0 ||
            al__reservation_candidate(s, (int32_t)j) || !job_key(c, j, &k))
            continue;
        size_t at = (size_t)key_hash(&k) & (slots - 1);
        while (table[at] >= 0 && memcmp(&keys[table[at]], &k, sizeof(k)) != 0)
            at = (at + 1) & (slots - 1);
        if (table[at] < 0) {
            keys[count] = k;
            table[at] = count++;
        }
        job_class[j] = table[at];
    }
    s->job_class = job_class;
    s->class_count = count;
    return 0;
}

int32_t al__job_class_now(const struct al__session *s, int32_t j) {
    const struct al__job_state *js = &s->jobs[j];
    if (js->active != 0 || (size_t)js->pending != s->cluster->jobs[j].task_count)
        return -1;
    return s->job_class[j];
}
