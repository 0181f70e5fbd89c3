/* positions.c - the index of pending workloads by project and job order (positions.h). */
#include <stdlib.h>
#include <string.h>

#include "allot/cycle.h"
#include "daemon/positions.h"
#include "util/xalloc.h"

/* Submits kept beside the index, in its order, before it is built again (a build sorts every
 * pending workload; an insertion moves at most this many entries). */
#define ADDED_MAX 4096

struct entry {
    int64_t project_id;
    struct al_job_order_key key;
};

struct al__positions {
    bool built;
    uint64_t generation, removals; /* of the build */
    struct entry *sorted;          /* pending workloads at the build, by project then order */
    size_t count, cap;
    struct entry *added; /* submitted since the build, in the index's order */
    size_t added_count, added_cap;
};

static bool placed(const struct al__dtask *t) {
    return t->state == AL__T_RUNNING || t->state == AL__T_PIPELINED;
}

struct al_job_order_key al__order_key(const struct al__dworkload *w) {
    int32_t active = 0;
    for (int32_t i = 0; i < w->spec.workers; i++)
        active += placed(&w->tasks[i]);
    /* below when a subgroup is, as the engine says (min_members is then the sum of theirs) */
    int gang = al__workload_below_minimum(w, placed) ? -1 : active > w->spec.min_members;
    return (struct al_job_order_key){w->spec.priority, gang, w->created_s, w->name};
}

struct al__positions *al__positions_new(void) {
    return al__xcalloc(1, sizeof(struct al__positions));
}

void al__positions_free(struct al__positions *p) {
    if (!p)
        return;
    free(p->sorted);
    free(p->added);
    free(p);
}

static int entry_cmp(const struct entry *a, const struct entry *b) {
    if (a->project_id != b->project_id)
        return a->project_id < b->project_id ? -1 : 1;
    return al_job_order_cmp(&a->key, &b->key);
}

static int by_entry(const void *a, const void *b) {
    return entry_cmp(a, b);
}

static void build(struct al__positions *p, const struct al__state *st, uint64_t generation) {
    p->count = p->added_count = 0;
    for (size_t i = 0; i < st->workload_count; i++) {
        const struct al__dworkload *w = st->workloads[i];
        if (w->state != AL__W_PENDING)
            continue;
        al__xgrow(&p->sorted, &p->cap, p->count + 1, sizeof(*p->sorted));
        p->sorted[p->count++] = (struct entry){w->project_id, al__order_key(w)};
    }
    qsort(p->sorted, p->count, sizeof(*p->sorted), by_entry);
    p->built = true;
    p->generation = generation;
    p->removals = st->removals;
}

/* How many of entries[0..count) (sorted) sort before e. */
static size_t before(const struct entry *entries, size_t count, const struct entry *e) {
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (entry_cmp(&entries[mid], e) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int64_t al__position(struct al__positions *p, const struct al__state *st, uint64_t generation,
                     const struct al__dworkload *w) {
    if (w->state != AL__W_PENDING)
        return 0;
    if (!p->built || p->generation != generation || p->removals != st->removals)
        build(p, st, generation);
    struct entry e = {w->project_id, al__order_key(w)};
    struct entry first = {w->project_id, {INT32_MAX, -2, INT64_MIN, ""}}; /* before any */
    /* Strictly before: w itself (in the index or among the added) is not counted. */
    int64_t ahead =
        (int64_t)(before(p->sorted, p->count, &e) - before(p->sorted, p->count, &first));
    ahead +=
        (int64_t)(before(p->added, p->added_count, &e) - before(p->added, p->added_count, &first));
    return ahead + 1;
}

void al__positions_added(struct al__positions *p, const struct al__state *st,
                         const struct al__dworkload *w) {
    if (p->built && p->removals != st->removals)
        p->built = false; /* its entries name workloads since freed: never compared again */
    if (!p->built)
        return;                        /* the build will see it */
    if (p->added_count >= ADDED_MAX) { /* a build again, rather than long moves */
        p->built = false;
        return;
    }
    struct entry e = {w->project_id, al__order_key(w)}; /* cannot change before a build */
    size_t at = before(p->added, p->added_count, &e);
    al__xgrow(&p->added, &p->added_cap, p->added_count + 1, sizeof(*p->added));
    memmove(&p->added[at + 1], &p->added[at], (p->added_count - at) * sizeof(*p->added));
    p->added[at] = e;
    p->added_count++;
}
