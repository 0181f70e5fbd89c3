/* quota_rules.c - the rules quotas written through the API keep (quota_rules.h): contradictions
 * that used to be taken silently (a deserved quota above the limit, projects guaranteed more
 * than their department, an "unlimited" guarantee) are refused with the field and the numbers,
 * in the queues' own quotas and in every node pool one of them gives a quota for. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/quota_rules.h"
#include "snapshot/report.h"
#include "util/xalloc.h"

#define NO_BOUND INT64_MAX /* a sum or bound without a number: unlimited */

static const char *const keys[AL_RESOURCE_COUNT] = {"gpu", "cpu_millis", "memory_bytes"};
static const char *const titles[AL_RESOURCE_COUNT] = {"GPU", "CPU", "memory"};

/* A queue's quota in one pool: its entry for the pool, else its own values (the resolution the
 * scheduler makes, engine pools.c). Pool "" stands for the queue's own values. */
struct quota {
    const int64_t *deserved, *limit;
};

static struct quota quota_in(const struct al__dqueue *q, const char *pool) {
    struct quota v = {q->deserved, q->limit};
    for (size_t i = 0; pool[0] && i < q->pool_count; i++)
        if (strcmp(q->pools[i].pool, pool) == 0) {
            v.deserved = q->pools[i].deserved;
            v.limit = q->pools[i].limit;
        }
    return v;
}

/* "6 GPUs", "8 cores", "16 GiB", "unlimited". */
static void amount(int r, int64_t v, char *buf, size_t size) {
    al_amount_text((enum al_resource)r, v == NO_BOUND ? AL_UNLIMITED : v, true, buf, size);
}

/* "deserved.gpu", or "pools.a100.deserved.gpu" for a pool's. */
static void field_of(const char *pool, const char *what, int r, char *buf, size_t size) {
    if (pool[0])
        snprintf(buf, size, "pools.%s.%s.%s", pool, what, keys[r]);
    else
        snprintf(buf, size, "%s.%s", what, keys[r]);
}

/* "" or "in pool a100, " before a message about one pool. */
static void where_of(const char *pool, char *buf, size_t size) {
    if (pool[0])
        snprintf(buf, size, "in pool %s, ", pool);
    else
        buf[0] = '\0';
}

/* q's quota in pool against itself: a guarantee in numbers (GPUs), within its limit. */
static int check_own_in(const struct al__dqueue *q, const char *pool, struct al__failure *f) {
    char field[128], where[96], d[48], l[48];
    struct quota v = quota_in(q, pool);
    where_of(pool, where, sizeof(where));
    for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
        field_of(pool, "deserved", r, field, sizeof(field));
        if (r == AL_GPU && v.deserved[r] == AL_UNLIMITED)
            return al__refuse(f, "invalid_argument", field,
                              "%sdeserved -1 (unlimited) GPUs: a guarantee cannot be unlimited; "
                              "give a number of GPUs >= 0 (0 guarantees none)",
                              where);
        if (v.deserved[r] != AL_UNLIMITED && v.limit[r] != AL_UNLIMITED &&
            v.deserved[r] > v.limit[r]) {
            amount(r, v.deserved[r], d, sizeof(d));
            amount(r, v.limit[r], l, sizeof(l));
            return al__refuse(f, "invalid_argument", field,
                              "%sdeserved %s is above the limit of %s", where, d, l);
        }
    }
    return 0;
}

static int check_own(const struct al__dqueue *q, struct al__failure *f) {
    if (check_own_in(q, "", f) < 0)
        return -1;
    for (size_t i = 0; i < q->pool_count; i++)
        if (check_own_in(q, q->pools[i].pool, f) < 0)
            return -1;
    return 0;
}

/*
 * What a parent's children may guarantee of resource r together: its deserved quota when that
 * is a number (*by_deserved), else its limit; NO_BOUND when it has neither.
 */
static int64_t bound_of(struct quota parent, int r, bool *by_deserved) {
    *by_deserved = parent.deserved[r] != AL_UNLIMITED;
    if (*by_deserved)
        return parent.deserved[r];
    return parent.limit[r] == AL_UNLIMITED ? NO_BOUND : parent.limit[r];
}

static int64_t add(int64_t sum, int64_t v) {
    return sum == NO_BOUND || v == NO_BOUND || v > NO_BOUND - sum ? NO_BOUND : sum + v;
}

/* Which quotas a sum is taken over: resource r in one pool, against a bound of deserved
 * quotas or of a limit. */
struct measure {
    const char *pool;
    int r;
    bool by_deserved;
};

/*
 * The deserved quotas of m.r in pool m.pool of parent's children together, the stored queue
 * named `skip` (NULL: none) left out and `extra` (NULL: none) counted where its parent is
 * `parent`. An unlimited one counts as NO_BOUND under a bound of deserved quotas (a guarantee
 * without a number exceeds any), as nothing under a limit (not under quota, like the parent).
 */
static int64_t children_sum(const struct al__state *st, const char *parent, struct measure m,
                            const char *skip, const struct al__dqueue *extra) {
    int64_t sum = 0;
    for (size_t i = 0; i <= st->queue_count; i++) {
        const struct al__dqueue *c = i < st->queue_count ? &st->queues[i] : extra;
        if (!c || strcmp(c->parent, parent) != 0 ||
            (i < st->queue_count && skip && strcmp(c->name, skip) == 0))
            continue;
        int64_t v = quota_in(c, m.pool).deserved[m.r];
        if (v == AL_UNLIMITED)
            sum = m.by_deserved ? NO_BOUND : sum;
        else
            sum = add(sum, v);
    }
    return sum;
}

static int refuse_sum(struct al__failure *f, const char *field, const struct al__dqueue *parent,
                      struct measure m, int64_t sum, int64_t bound, const char *tense) {
    char s[48], b[48], where[96];
    amount(m.r, sum, s, sizeof(s));
    amount(m.r, bound, b, sizeof(b));
    where_of(m.pool, where, sizeof(where));
    return al__refuse(f, "invalid_argument", field,
                      "%sprojects of department %s %s %s in all, above its %s%s", where,
                      parent->name, tense, s, m.by_deserved ? "" : "limit of ", b);
}

static int pool_name_cmp(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void pools_add(const char ***names, size_t *count, const struct al__dqueue *q) {
    for (size_t i = 0; q && i < q->pool_count; i++) {
        *names = al__xroom(*names, *count, sizeof(**names));
        (*names)[(*count)++] = q->pools[i].pool;
    }
}

/*
 * The pools the rules between `family` and its children are judged in: "" (the queues' own
 * quotas) first, then every pool that family, its children, `a` or `b` gives a quota for,
 * sorted, each once. In any other pool every queue uses its own quota, judged under "". The
 * names are borrowed from the queues; free the array.
 */
static const char **pools_near(const struct al__state *st, const char *family,
                               const struct al__dqueue *a, const struct al__dqueue *b,
                               size_t *count) {
    const char **names = NULL;
    size_t n = 0;
    for (size_t i = 0; i < st->queue_count; i++)
        if (strcmp(st->queues[i].name, family) == 0 || strcmp(st->queues[i].parent, family) == 0)
            pools_add(&names, &n, &st->queues[i]);
    pools_add(&names, &n, a);
    pools_add(&names, &n, b);
    if (n > 0)
        qsort(names, n, sizeof(*names), pool_name_cmp);
    names = al__xroom(names, n, sizeof(*names));
    memmove(names + 1, names, n * sizeof(*names));
    names[0] = "";
    *count = n > 0 ? 2 : 1;
    for (size_t i = 2; i <= n; i++)
        if (strcmp(names[i], names[*count - 1]) != 0)
            names[(*count)++] = names[i];
    return names;
}

/* q (its new settings) among the other projects of its department in one pool: the write may
 * not take their deserved quotas together above the department's bound, or further above it. */
static int check_in_parent_pool(struct al__state *st, const struct al__dqueue *parent,
                                const struct al__dqueue *was, const struct al__dqueue *q,
                                const char *pool, struct al__failure *f) {
    char field[128], where[96], b[48];
    for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
        struct measure m = {pool, r, false};
        int64_t bound = bound_of(quota_in(parent, pool), r, &m.by_deserved);
        if (bound == NO_BOUND)
            continue;
        int64_t after = children_sum(st, parent->name, m, q->name, q);
        int64_t before = children_sum(st, parent->name, m, q->name, was);
        int64_t mine = quota_in(q, pool).deserved[r];
        bool was_unlimited_here = was && strcmp(was->parent, parent->name) == 0 &&
                                  quota_in(was, pool).deserved[r] == AL_UNLIMITED;
        bool new_unlimited = m.by_deserved && mine == AL_UNLIMITED && !was_unlimited_here;
        if (!new_unlimited && (after <= bound || after <= before))
            continue;
        field_of(pool, "deserved", r, field, sizeof(field));
        if (mine == AL_UNLIMITED) {
            amount(r, bound, b, sizeof(b));
            where_of(pool, where, sizeof(where));
            return al__refuse(f, "invalid_argument", field,
                              "%sdepartment %s guarantees %s of %s: each of its projects needs a "
                              "%s deserved quota in numbers (0 or more), not unlimited",
                              where, parent->name, b, titles[r], titles[r]);
        }
        return refuse_sum(f, field, parent, m, after, bound, "would deserve");
    }
    return 0;
}

static int check_in_parent(struct al__state *st, const struct al__dqueue *was,
                           const struct al__dqueue *q, struct al__failure *f) {
    const struct al__dqueue *parent = q->parent[0] ? al__state_queue(st, q->parent) : NULL;
    size_t count;
    int rc = 0;
    if (!parent)
        return 0;
    const char **pools = pools_near(st, parent->name, was, q, &count);
    for (size_t p = 0; rc == 0 && p < count; p++)
        rc = check_in_parent_pool(st, parent, was, q, pools[p], f);
    free(pools);
    return rc;
}

/* The first child of q whose deserved quota of m.r in m.pool is unlimited, or NULL. */
static const struct al__dqueue *unlimited_child(const struct al__state *st,
                                                const struct al__dqueue *q, struct measure m) {
    for (size_t i = 0; i < st->queue_count; i++)
        if (strcmp(st->queues[i].parent, q->name) == 0 &&
            quota_in(&st->queues[i], m.pool).deserved[m.r] == AL_UNLIMITED)
            return &st->queues[i];
    return NULL;
}

/* q (updated) over its projects in one pool: its new bound may not fall below what they
 * deserve together, unless it was below already and does not fall further. */
static int check_children_pool(struct al__state *st, const struct al__dqueue *was,
                               const struct al__dqueue *q, const char *pool,
                               struct al__failure *f) {
    char field[128], where[96], b[48];
    for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
        struct measure m = {pool, r, false}, was_m = {pool, r, false};
        int64_t bound = bound_of(quota_in(q, pool), r, &m.by_deserved);
        int64_t sum = children_sum(st, q->name, m, NULL, NULL);
        if (sum <= bound)
            continue;
        int64_t was_bound = bound_of(quota_in(was, pool), r, &was_m.by_deserved);
        if (children_sum(st, q->name, was_m, NULL, NULL) > was_bound && bound >= was_bound)
            continue;
        field_of(pool, m.by_deserved ? "deserved" : "limit", r, field, sizeof(field));
        const struct al__dqueue *c = sum == NO_BOUND ? unlimited_child(st, q, m) : NULL;
        if (c) {
            amount(r, bound, b, sizeof(b));
            where_of(pool, where, sizeof(where));
            return al__refuse(f, "invalid_argument", field,
                              "%sproject %s of department %s has an unlimited %s deserved quota "
                              "(not under quota): give it one in numbers before the department "
                              "guarantees %s",
                              where, c->name, q->name, titles[r], b);
        }
        return refuse_sum(f, field, q, m, sum, bound, "deserve");
    }
    return 0;
}

static int check_children(struct al__state *st, const struct al__dqueue *was,
                          const struct al__dqueue *q, struct al__failure *f) {
    size_t count;
    int rc = 0;
    if (!was)
        return 0; /* a new department has no projects yet */
    const char **pools = pools_near(st, q->name, was, q, &count);
    for (size_t p = 0; rc == 0 && p < count; p++)
        rc = check_children_pool(st, was, q, pools[p], f);
    free(pools);
    return rc;
}

int al__quota_check(struct al__state *st, const struct al__dqueue *was, const struct al__dqueue *q,
                    struct al__failure *f) {
    if (check_own(q, f) < 0 || check_in_parent(st, was, q, f) < 0 ||
        check_children(st, was, q, f) < 0)
        return -1;
    return 0;
}
