/* fairshare.c - hierarchical fair share (see fairshare.h and DESIGN.md section 3). */
#include "engine/fairshare.h"
#include "util/wide.h"

#include "engine/order.h"
#include "engine/usage_weight.h"

static const int64_t unit_of[AL_RESOURCE_COUNT] = {[AL_GPU] = 1000, [AL_CPU] = 1, [AL_MEMORY] = 1};

static int64_t min64(int64_t a, int64_t b) {
    return a < b ? a : b;
}

static int64_t cap_by_limit(int64_t v, int64_t limit) {
    return limit == AL_UNLIMITED ? v : min64(v, limit);
}

/* Sums the requests of a subtree into requested[], capped by each queue's limit. */
static void sum_requests(struct al__session *s, int32_t q) {
    struct al__queue_state *qs = &s->queues[q];
    for (int32_t i = 0; i < qs->child_count; i++) {
        int32_t child = qs->children[i];
        sum_requests(s, child);
        for (int r = 0; r < AL_RESOURCE_COUNT; r++)
            qs->requested[r] = al__sat_add(qs->requested[r], s->queues[child].requested[r]);
    }
    for (int r = 0; r < AL_RESOURCE_COUNT; r++)
        qs->requested[r] = cap_by_limit(qs->requested[r], s->cluster->queues[q].limit[r]);
}

static void leaf_requests(struct al__session *s) {
    const struct al_cluster *c = s->cluster;
    for (size_t t = 0; t < c->task_count; t++) {
        const struct al__task_state *ts = &s->tasks[t];
        int64_t req[AL_RESOURCE_COUNT];
        if (ts->state == AL_TASK_PENDING)
            al__task_request(s, (int32_t)t, AL__REQUEST_FAIR_SHARE, req);
        else if (al__state_charges_queue(ts->state))
            for (int r = 0; r < AL_RESOURCE_COUNT; r++)
                req[r] = ts->charge[r];
        else
            continue;
        struct al__queue_state *qs = &s->queues[c->jobs[c->tasks[t].job].queue];
        for (int r = 0; r < AL_RESOURCE_COUNT; r++)
            qs->requested[r] = al__sat_add(qs->requested[r], req[r]);
    }
}

/* How much more child q may receive. */
static int64_t want_of(const struct al__session *s, int32_t q, int r) {
    int64_t top = cap_by_limit(s->queues[q].requested[r], s->cluster->queues[q].limit[r]);
    int64_t want = top - s->queues[q].fair_share[r];
    return want > 0 ? want : 0;
}

/* Sets round_weight of every child of the group (its over-quota weight if it still wants
 * more, else 0), adjusted by usage when time-based fair share is on and some child of the
 * round has usage; returns the round's total weight. */
static al__i128 group_weights(struct al__session *s, const int32_t *group, int32_t n, int r) {
    al__i128 weights = 0;
    bool used = false;
    for (int32_t i = 0; i < n; i++) {
        struct al__queue_state *qs = &s->queues[group[i]];
        const struct al_queue *q = &s->cluster->queues[group[i]];
        qs->round_weight = want_of(s, group[i], r) > 0 ? q->weight[r] : 0;
        weights += qs->round_weight;
        used = used || (qs->round_weight > 0 && q->usage_ppm[r] > 0);
    }
    if (s->usage_k_milli > 0 && used)
        return al__usage_round_weights(s, group, n, r, weights);
    return weights;
}

/* One round of proportional division among `group` (same priority), each share rounded
 * down to whole units and capped by what the child wants; returns what is left. */
static int64_t divide_round(struct al__session *s, const int32_t *group, int32_t n, int r,
                            int64_t remaining, bool *capped) {
    al__i128 weights = group_weights(s, group, n, r);
    *capped = false;
    int64_t given = 0;
    for (int32_t i = 0; i < n; i++) {
        int32_t q = group[i];
        int64_t want = want_of(s, q, r);
        if (want == 0)
            continue;
        al__i128 exact = (al__i128)remaining * s->queues[q].round_weight;
        int64_t share = (int64_t)(exact / (weights * unit_of[r])) * unit_of[r];
        if (share >= want) {
            share = want;
            *capped = true;
        }
        s->queues[q].fair_share[r] += share;
        given += share;
    }
    return remaining - given;
}

/*
 * Hands out the units a round left over (fewer than one per child), one at a time,
 * largest remainder of the round's exact share first, ties in sibling order. `before`
 * is what the round divided, `weights` the round's total weight.
 */
static int64_t hand_out_leftovers(struct al__session *s, const int32_t *group, int32_t n, int r,
                                  int64_t before, al__i128 weights, int64_t remaining) {
    al__i128 last_rem = -1;
    int32_t last = -1;
    while (remaining > 0) {
        int32_t best = -1;
        al__i128 best_rem = -1;
        for (int32_t i = 0; i < n; i++) {
            int32_t q = group[i];
            al__i128 w = s->queues[q].round_weight;
            if (w == 0 || want_of(s, q, r) == 0)
                continue;
            al__i128 rem = ((al__i128)before * w) % (weights * unit_of[r]);
            bool after_last = last < 0 || rem < last_rem || (rem == last_rem && i > last);
            if (after_last && rem > best_rem) {
                best_rem = rem;
                best = i;
            }
        }
        if (best < 0)
            break;
        int64_t give = min64(min64(unit_of[r], want_of(s, group[best], r)), remaining);
        s->queues[group[best]].fair_share[r] += give;
        remaining -= give;
        last = best;
        last_rem = best_rem;
    }
    return remaining;
}

/* Divides `remaining` of resource r among children of one priority, in rounds. */
static int64_t divide_group(struct al__session *s, const int32_t *group, int32_t n, int r,
                            int64_t remaining) {
    while (remaining > 0) {
        al__i128 weights = group_weights(s, group, n, r);
        if (weights == 0)
            break;
        bool capped;
        int64_t left = divide_round(s, group, n, r, remaining, &capped);
        if (!capped) /* nobody saturated: the leftovers finish the division */
            return hand_out_leftovers(s, group, n, r, remaining, weights, left);
        remaining = left; /* someone saturated: divide what is left among the others */
    }
    return remaining;
}

/* Children in priority order (higher first), sibling order within a priority. */
static int by_priority(int32_t a, int32_t b, const void *cluster) {
    const struct al_cluster *c = cluster;
    if (c->queues[a].priority != c->queues[b].priority)
        return c->queues[a].priority > c->queues[b].priority ? -1 : 1;
    return al__sibling_cmp(a, b, cluster);
}

static void divide(struct al__session *s, int32_t *children, int32_t n, const int64_t share[]) {
    const struct al_cluster *c = s->cluster;
    for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
        int64_t remaining = share[r];
        for (int32_t i = 0; i < n; i++) {
            int32_t q = children[i];
            int64_t deserved = c->queues[q].deserved[r];
            int64_t req = s->queues[q].requested[r];
            /* unlimited deserved quota: all it requests, up to what the parent divides */
            int64_t fs = min64(deserved == AL_UNLIMITED ? share[r] : deserved, req);
            s->queues[q].fair_share[r] = cap_by_limit(fs, c->queues[q].limit[r]);
            remaining -= s->queues[q].fair_share[r];
        }
        /* children arrive in sibling order; sort a copy by priority (insertion, stable) */
        for (int32_t i = 1; i < n; i++)
            for (int32_t j = i; j > 0 && by_priority(children[j], children[j - 1], c) < 0; j--) {
                int32_t t = children[j];
                children[j] = children[j - 1];
                children[j - 1] = t;
            }
        for (int32_t i = 0; i < n && remaining > 0;) {
            int32_t k = i;
            while (k < n && c->queues[children[k]].priority == c->queues[children[i]].priority)
                k++;
            remaining = divide_group(s, children + i, k - i, r, remaining);
            i = k;
        }
        for (int32_t i = 1; i < n; i++) /* back to sibling order */
            for (int32_t j = i; j > 0 && al__sibling_cmp(children[j], children[j - 1], c) < 0;
                 j--) {
                int32_t t = children[j];
                children[j] = children[j - 1];
                children[j - 1] = t;
            }
    }
    for (int32_t i = 0; i < n; i++) {
        struct al__queue_state *qs = &s->queues[children[i]];
        divide(s, qs->children, qs->child_count, qs->fair_share);
    }
}

void al__fair_share_compute(struct al__session *s) {
    const struct al_cluster *c = s->cluster;

    leaf_requests(s);
    for (int32_t i = 0; i < s->top_count; i++)
        sum_requests(s, s->top_queues[i]);
    /* first without usage (what `allot top` compares with), then with it when it is on */
    s->usage_k_milli = 0;
    divide(s, s->top_queues, s->top_count, s->total);
    for (size_t q = 0; q < c->queue_count; q++)
        for (int r = 0; r < AL_RESOURCE_COUNT; r++)
            s->queues[q].fair_share_without_usage[r] = s->queues[q].fair_share[r];
    if (c->config.usage_k_milli <= 0)
        return;
    s->usage_k_milli = c->config.usage_k_milli;
    divide(s, s->top_queues, s->top_count, s->total);
}
