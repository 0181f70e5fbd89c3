/* quota_rules.c - the rules quotas written through the API keep (quota_rules.h): contradictions
 * that used to be taken silently (a deserved quota above the limit, projects guaranteed more
 * than their department, an "unlimited" guarantee) are refused with the field and the numbers. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "daemon/quota_rules.h"
#include "snapshot/report.h"

#define NO_BOUND INT64_MAX /* a sum or bound without a number: unlimited */

static const char *const keys[AL_RESOURCE_COUNT] = {"gpu", "cpu_millis", "memory_bytes"};
static const char *const titles[AL_RESOURCE_COUNT] = {"GPU", "CPU", "memory"};

/* "6 GPUs", "8 cores", "16 GiB", "unlimited". */
static void amount(int r, int64_t v, char *buf, size_t size) {
    al_amount_text((enum al_resource)r, v == NO_BOUND ? AL_UNLIMITED : v, true, buf, size);
}

static void deserved_field(int r, char *buf, size_t size) {
    snprintf(buf, size, "deserved.%s", keys[r]);
}

/* q against itself: a guarantee in numbers (GPUs), within its limit. */
static int check_own(const struct al__dqueue *q, struct al__failure *f) {
    char field[32], d[48], l[48];
    for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
        deserved_field(r, field, sizeof(field));
        if (r == AL_GPU && q->deserved[r] == AL_UNLIMITED)
            return al__refuse(f, "invalid_argument", field,
                              "deserved -1 (unlimited) GPUs: a guarantee cannot be unlimited; give "
                              "a number of GPUs >= 0 (0 guarantees none)");
        if (q->deserved[r] != AL_UNLIMITED && q->limit[r] != AL_UNLIMITED &&
            q->deserved[r] > q->limit[r]) {
            amount(r, q->deserved[r], d, sizeof(d));
            amount(r, q->limit[r], l, sizeof(l));
            return al__refuse(f, "invalid_argument", field, "deserved %s is above the limit of %s",
                              d, l);
        }
    }
    return 0;
}

/*
 * What a parent's children may guarantee of resource r together: its deserved quota when that
 * is a number (*by_deserved), else its limit; NO_BOUND when it has neither.
 */
static int64_t bound_of(const struct al__dqueue *parent, int r, bool *by_deserved) {
    *by_deserved = parent->deserved[r] != AL_UNLIMITED;
    if (*by_deserved)
        return parent->deserved[r];
    return parent->limit[r] == AL_UNLIMITED ? NO_BOUND : parent->limit[r];
}

static int64_t add(int64_t sum, int64_t v) {
    return sum == NO_BOUND || v == NO_BOUND || v > NO_BOUND - sum ? NO_BOUND : sum + v;
}

/*
 * The deserved quotas of resource r of parent's children together, the stored queue named
 * `skip` (NULL: none) left out and `extra` (NULL: none) counted where its parent is `parent`.
 * An unlimited one counts as NO_BOUND under a bound of deserved quotas (a guarantee without a
 * number exceeds any), as nothing under a limit (not under quota, like the parent).
 */
static int64_t children_sum(const struct al__state *st, const char *parent, int r, bool by_deserved,
                            const char *skip, const struct al__dqueue *extra) {
    int64_t sum = 0;
    for (size_t i = 0; i <= st->queue_count; i++) {
        const struct al__dqueue *c = i < st->queue_count ? &st->queues[i] : extra;
        if (!c || strcmp(c->parent, parent) != 0 ||
            (i < st->queue_count && skip && strcmp(c->name, skip) == 0))
            continue;
        if (c->deserved[r] == AL_UNLIMITED)
            sum = by_deserved ? NO_BOUND : sum;
        else
            sum = add(sum, c->deserved[r]);
    }
    return sum;
}

static int refuse_sum(struct al__failure *f, const char *field, const struct al__dqueue *parent,
                      int r, int64_t sum, int64_t bound, bool by_deserved, const char *tense) {
    char s[48], b[48];
    amount(r, sum, s, sizeof(s));
    amount(r, bound, b, sizeof(b));
    return al__refuse(f, "invalid_argument", field,
                      "projects of department %s %s %s in all, above its %s%s", parent->name, tense,
                      s, by_deserved ? "" : "limit of ", b);
}

/* q (its new settings) among the other projects of its department: the write may not take
 * their deserved quotas together above the department's bound, or further above it. */
static int check_in_parent(struct al__state *st, const struct al__dqueue *was,
                           const struct al__dqueue *q, struct al__failure *f) {
    const struct al__dqueue *parent = q->parent[0] ? al__state_queue(st, q->parent) : NULL;
    char field[32], b[48];
    if (!parent)
        return 0;
    for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
        bool by_deserved;
        int64_t bound = bound_of(parent, r, &by_deserved);
        if (bound == NO_BOUND)
            continue;
        int64_t after = children_sum(st, parent->name, r, by_deserved, q->name, q);
        int64_t before = children_sum(st, parent->name, r, by_deserved, q->name, was);
        bool was_unlimited_here =
            was && strcmp(was->parent, parent->name) == 0 && was->deserved[r] == AL_UNLIMITED;
        bool new_unlimited = by_deserved && q->deserved[r] == AL_UNLIMITED && !was_unlimited_here;
        if (!new_unlimited && (after <= bound || after <= before))
            continue;
        deserved_field(r, field, sizeof(field));
        if (q->deserved[r] == AL_UNLIMITED) {
            amount(r, bound, b, sizeof(b));
            return al__refuse(f, "invalid_argument", field,
                              "department %s guarantees %s of %s: each of its projects needs a "
                              "%s deserved quota in numbers (0 or more), not unlimited",
                              parent->name, b, titles[r], titles[r]);
        }
        return refuse_sum(f, field, parent, r, after, bound, by_deserved, "would deserve");
    }
    return 0;
}

/* The first child of q whose deserved quota of r is unlimited, or NULL. */
static const struct al__dqueue *unlimited_child(const struct al__state *st,
                                                const struct al__dqueue *q, int r) {
    for (size_t i = 0; i < st->queue_count; i++)
        if (strcmp(st->queues[i].parent, q->name) == 0 && st->queues[i].deserved[r] == AL_UNLIMITED)
            return &st->queues[i];
    return NULL;
}

/* q (updated) over its projects: its new bound may not fall below what they deserve together,
 * unless it was below already and does not fall further. */
static int check_children(struct al__state *st, const struct al__dqueue *was,
                          const struct al__dqueue *q, struct al__failure *f) {
    char field[32], b[48];
    for (int r = 0; was && r < AL_RESOURCE_COUNT; r++) {
        bool by_deserved, was_by_deserved;
        int64_t bound = bound_of(q, r, &by_deserved);
        int64_t sum = children_sum(st, q->name, r, by_deserved, NULL, NULL);
        if (sum <= bound)
            continue;
        int64_t was_bound = bound_of(was, r, &was_by_deserved);
        if (children_sum(st, q->name, r, was_by_deserved, NULL, NULL) > was_bound &&
            bound >= was_bound)
            continue;
        snprintf(field, sizeof(field), "%s.%s", by_deserved ? "deserved" : "limit", keys[r]);
        const struct al__dqueue *c = sum == NO_BOUND ? unlimited_child(st, q, r) : NULL;
        if (c) {
            amount(r, bound, b, sizeof(b));
            return al__refuse(f, "invalid_argument", field,
                              "project %s of department %s has an unlimited %s deserved quota "
                              "(not under quota): give it one in numbers before the department "
                              "guarantees %s",
                              c->name, q->name, titles[r], b);
        }
        return refuse_sum(f, field, q, r, sum, bound, by_deserved, "deserve");
    }
    return 0;
}

int al__quota_check(struct al__state *st, const struct al__dqueue *was, const struct al__dqueue *q,
                    struct al__failure *f) {
    if (check_own(q, f) < 0 || check_in_parent(st, was, q, f) < 0 ||
        check_children(st, was, q, f) < 0)
        return -1;
    return 0;
}
