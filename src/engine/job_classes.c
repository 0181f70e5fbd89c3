/* job_classes.c - interchangeable jobs (see job_classes.h). */
#include "engine/job_classes.h"

#include <string.h>

#include "allot/errors.h"
#include "engine/node_index.h"
#include "engine/reservation.h"

/* What makes two jobs interchangeable. Zero-filled before use: compared with memcmp, hashed
 * as whole 64-bit words (its size is a multiple of 8, checked below). */
struct class_key {
    int32_t queue, priority, min_members, preemptible;
    int64_t task_count;
    int32_t gpus, gpu_milli, gpu_memory_mib, gpu_devices;
    int64_t cpu_millis, memory_bytes;
    int64_t time_limit_s; /* 0 = none: backfill onto reserved nodes depends on it */
    uint64_t mig_hash;    /* the MIG instances its tasks ask, hashed (0: none); equal keys
                             also compare those asks themselves (key_equal) */
};

_Static_assert(sizeof(struct class_key) % sizeof(uint64_t) == 0, "class_key is hashed by words");

static bool same_ask(const struct al_task *a, const struct al_task *b) {
    return a->gpus == b->gpus && a->gpu_milli == b->gpu_milli &&
           a->gpu_memory_mib == b->gpu_memory_mib && a->gpu_devices == b->gpu_devices &&
           a->cpu_millis == b->cpu_millis && a->memory_bytes == b->memory_bytes &&
           (a->mig_count == 0 ? b->mig_count == 0 : al__task_same_migs(a, b));
}

/* A hash of the MIG instances task t asks, never 0 when it asks some. */
static uint64_t mig_hash(const struct al_task *t) {
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < t->mig_count; i++) {
        h = (h ^ (uint64_t)t->migs[i].count) * 1099511628211ULL;
        for (const char *p = t->migs[i].profile; *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    }
    return t->mig_count == 0 ? 0 : h ? h : 1;
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
        if (t->affinity_count > 0 || t->has_task_priority || t->subgroup >= 0 ||
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
    k->mig_hash = mig_hash(first);
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

/* Whether key a of job ja (a class's first) and key b of job jb are one class: the keys alike,
 * and the MIG asks themselves when the keys say there are some (a hash alone could collide). */
static bool key_equal(const struct al_cluster *c, const struct class_key *a, int32_t ja,
                      const struct class_key *b, size_t jb) {
    return memcmp(a, b, sizeof(*a)) == 0 &&
           (a->mig_hash == 0 || al__task_same_migs(&c->tasks[c->jobs[ja].first_task],
                                                   &c->tasks[c->jobs[jb].first_task]));
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
    int32_t *first = al__arena_array_raw(&s->arena, c->job_count + 1, sizeof(int32_t)); /* jobs */
    if (!job_class || !table || !keys || !first)
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
        while (table[at] >= 0 && !key_equal(c, &keys[table[at]], first[table[at]], &k, j))
            at = (at + 1) & (slots - 1);
        if (table[at] < 0) {
            keys[count] = k;
            first[count] = (int32_t)j;
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
