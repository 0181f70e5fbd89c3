/* burst.c - dynamic fractions in allotd: the engine places shares by their requests, so a task
 * may be placed on a device where another uses more than its request (it bursts towards its
 * limit). Before such a task starts, the bursting tasks there are evicted - largest burst first,
 * then lowest priority - until the newcomer's request is free; it waits (pipelined) for them to
 * exit. What a task uses comes from the backend (gpu_claims); where it cannot tell, nothing is
 * evicted. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/burst.h"
#include "daemon/persist.h"
#include "daemon/tasks.h"
#include "util/xalloc.h"

#define CLAIMS_MAX 64

struct burster {
    struct al__dworkload *w;
    struct al__dtask *t;
    int64_t request_mib, used_mib;
};

/* What a share asks of a device of memory_mib, in MiB (as the library's cap: rounded down). */
static int64_t request_mib(const struct al__task_request *r, int32_t memory_mib) {
    if (r->gpu_memory_mib > 0)
        return r->gpu_memory_mib;
    return (int64_t)memory_mib * r->gpu_milli / 1000;
}

static bool holds(const struct al__dtask *t, int32_t node, int32_t device) {
    if (t->node != node)
        return false;
    for (size_t g = 0; g < t->gpu_count; g++)
        if (t->gpus[g] == device)
            return true;
    return false;
}

static int64_t claimed(const struct al__gpu_claim *claims, size_t n, struct al__task_key key) {
    for (size_t i = 0; i < n; i++)
        if (claims[i].key.workload_id == key.workload_id && claims[i].key.index == key.index)
            return claims[i].claim_mib;
    return -1;
}

/* Largest burst first, then lowest priority, then oldest id and index: a total order. */
static int by_burst(const void *a, const void *b) {
    const struct burster *x = a, *y = b;
    int64_t bx = x->used_mib - x->request_mib, by = y->used_mib - y->request_mib;
    if (bx != by)
        return bx > by ? -1 : 1;
    if (x->w->spec.priority != y->w->spec.priority)
        return x->w->spec.priority < y->w->spec.priority ? -1 : 1;
    if (x->w->id != y->w->id)
        return x->w->id < y->w->id ? -1 : 1;
    return (x->t->index > y->t->index) - (x->t->index < y->t->index);
}

static void evict(struct allotd *d, const struct burster *b, int32_t device, const char *node,
                  const struct al__dworkload *nw) {
    char why[512];
    snprintf(why, sizeof(why),
             "evicted: used %lld MiB of GPU %d on %s, above its request of %lld MiB, which %s "
             "needs for its request",
             (long long)b->used_mib, (int)device, node, (long long)b->request_mib, nw->key);
    al__persist_event(d, b->w, "evicted", "task %d: %s", (int)b->t->index, why);
    b->t->evicting = true;
    free(b->t->stopped_why);
    b->t->stopped_why = al__xstrdup(why);
    al__task_stop(d, b->w, b->t);
}

/* The tasks on the device and what they hold (max of request and claim) into *held; the
 * running ones above their request into out. */
static size_t scan(struct allotd *d, const struct al__dtask *nt, int32_t device, int32_t memory_mib,
                   const struct al__gpu_claim *claims, size_t n, struct burster **out,
                   int64_t *held) {
    size_t count = 0, cap = 0;
    *held = 0;
    *out = NULL;
    for (size_t i = 0; i < d->state.sets[AL__HOLDING].count; i++) {
        struct al__dworkload *w = d->state.sets[AL__HOLDING].items[i];
        for (int32_t j = 0; j < w->spec.workers; j++) {
            struct al__dtask *t = &w->tasks[j];
            if (t == nt || !holds(t, nt->node, device) ||
                (t->state != AL__T_RUNNING && t->state != AL__T_STOPPING &&
                 t->state != AL__T_PIPELINED))
                continue;
            struct al__task_request r = al__task_request_of(w, j);
            int64_t req = r.gpus > 0 ? memory_mib : request_mib(&r, memory_mib);
            int64_t used =
                t->state == AL__T_PIPELINED ? -1 : claimed(claims, n, al__task_key(w, t));
            *held += used > req ? used : req;
            if (t->state != AL__T_RUNNING || t->evicting || used <= req)
                continue;
            if (count == cap) {
                cap = cap ? 2 * cap : 8;
                *out = al__xrealloc(*out, cap * sizeof(**out));
            }
            (*out)[count++] = (struct burster){w, t, req, used};
        }
    }
    return count;
}

/* Makes the newcomer's request free on one device; whether it evicted. */
static bool make_room(struct allotd *d, struct al__dworkload *nw, struct al__dtask *nt,
                      int32_t device) {
    const struct al__node *node = al__task_node(d, nt);
    struct al__gpu_claim claims[CLAIMS_MAX];
    struct burster *bursters;
    size_t n = 0;
    int64_t held;
    if (!node || device < 0 || (size_t)device >= node->gpu_count ||
        d->backend.type->gpu_claims((struct al__backend *)&d->backend, (size_t)nt->node, device,
                                    claims, CLAIMS_MAX, &n) < 0)
        return false;
    int32_t memory_mib = node->gpus[device].memory_mib;
    struct al__task_request r = al__task_request_of(nw, nt->index);
    int64_t need = request_mib(&r, memory_mib);
    size_t count = scan(d, nt, device, memory_mib, claims, n, &bursters, &held);
    int64_t missing = held + need - memory_mib;
    bool evicted = false;
    if (count > 1)
        qsort(bursters, count, sizeof(*bursters), by_burst);
    for (size_t i = 0; i < count && missing > 0; i++) {
        evict(d, &bursters[i], device, node->name, nw);
        missing -= bursters[i].used_mib - bursters[i].request_mib;
        evicted = true;
    }
    free(bursters);
    return evicted;
}

bool al__burst_make_room(struct allotd *d, struct al__dworkload *w, struct al__dtask *t) {
    struct al__task_request r = al__task_request_of(w, t->index);
    bool evicted = false;
    if (!d->backend.type->gpu_claims || (r.gpu_milli == 0 && r.gpu_memory_mib == 0))
        return false;
    for (size_t g = 0; g < t->gpu_count; g++)
        evicted |= make_room(d, w, t, t->gpus[g]);
    return evicted;
}
