/* consumption_sum.c - consumption reports' arithmetic: runs cut at a window's edges, summed per
 * group, priced per GPU model (see consumption_sum.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/consumption_sum.h"
#include "util/xalloc.h"

int al__usage_group_by_parse(const char *text) {
    static const char *const names[] = {"project", "department", "workload"};
    for (int i = 0; text && i < 3; i++)
        if (strcmp(text, names[i]) == 0)
            return i;
    return -1;
}

int64_t al__usage_overlap_s(int64_t start, int64_t end, int64_t now, int64_t from, int64_t to) {
    if (end < 0)
        end = now > start ? now : start;
    int64_t lo = start > from ? start : from, hi = end < to ? end : to;
    return hi > lo ? hi - lo : 0;
}

int al__gpu_price_parse(const char *text, struct al__gpu_price *out, char *err, size_t size) {
    const char *eq = strrchr(text, '=');
    char *end;
    if (!eq || eq == text || (size_t)(eq - text) >= sizeof(out->model)) {
        snprintf(err, size,
                 "--gpu-price %s: give MODEL=PRICE_PER_GPU_HOUR (MODEL \"default\" "
                 "for any model without a price of its own), e.g. \"NVIDIA H100 80GB HBM3=2.5\"",
                 text);
        return -1;
    }
    double v = strtod(eq + 1, &end);
    if (end == eq + 1 || *end || !isfinite(v) || v < 0) {
        snprintf(err, size, "--gpu-price %s: the price must be a number >= 0", text);
        return -1;
    }
    memset(out, 0, sizeof(*out));
    memcpy(out->model, text, (size_t)(eq - text));
    out->per_gpu_hour = v;
    return 0;
}

void al__usage_sum_init(struct al__usage_sum *s, enum al__usage_group_by by, int64_t from,
                        int64_t to, int64_t now, const struct al__gpu_price *prices,
                        size_t price_count) {
    *s = (struct al__usage_sum){
        .by = by, .from = from, .to = to, .now = now, .prices = prices, .price_count = price_count};
}

void al__usage_sum_release(struct al__usage_sum *s) {
    for (size_t i = 0; i < s->count; i++) {
        free(s->keys[i]);
        free(s->groups[i].project);
        free(s->groups[i].department);
        free(s->groups[i].workload);
    }
    free(s->keys);
    free(s->groups);
    *s = (struct al__usage_sum){0};
}

/* The price of a GPU-hour of `model`: its own, else the default; -1 for none. */
static double price_of(const struct al__usage_sum *s, const char *model) {
    double fallback = -1;
    for (size_t i = 0; i < s->price_count; i++) {
        if (strcmp(s->prices[i].model, model) == 0)
            return s->prices[i].per_gpu_hour;
        if (strcmp(s->prices[i].model, "default") == 0)
            fallback = s->prices[i].per_gpu_hour;
    }
    return fallback;
}

/* The key of r's group ("PROJECT\x1fWORKLOAD" by workload: names hold no control character). */
static char *key_of(const struct al__usage_sum *s, const struct al__usage_run *r) {
    if (s->by == AL__BY_PROJECT)
        return al__xstrdup(r->project);
    if (s->by == AL__BY_DEPARTMENT)
        return al__xstrdup(r->department);
    size_t n = strlen(r->project) + strlen(r->workload) + 2;
    char *k = al__xmalloc(n);
    snprintf(k, n, "%s\x1f%s", r->project, r->workload);
    return k;
}

/* r's group, made (in key order) when it is the first of it. */
static struct al__usage_group *group_of(struct al__usage_sum *s, const struct al__usage_run *r) {
    char *key = key_of(s, r);
    size_t lo = 0, hi = s->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(s->keys[mid], key);
        if (c == 0) {
            free(key);
            return &s->groups[mid];
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t cap = s->cap;
    al__xgrow(&s->groups, &cap, s->count + 1, sizeof(*s->groups));
    al__xgrow(&s->keys, &s->cap, s->count + 1, sizeof(*s->keys));
    memmove(&s->groups[lo + 1], &s->groups[lo], (s->count - lo) * sizeof(*s->groups));
    memmove(&s->keys[lo + 1], &s->keys[lo], (s->count - lo) * sizeof(*s->keys));
    s->count++;
    s->keys[lo] = key;
    struct al__usage_group *g = &s->groups[lo];
    *g = (struct al__usage_group){0};
    if (s->by != AL__BY_DEPARTMENT)
        g->project = al__xstrdup(r->project);
    g->department = al__xstrdup(r->department);
    if (s->by == AL__BY_WORKLOAD)
        g->workload = al__xstrdup(r->workload);
    return g;
}

void al__usage_sum_add(struct al__usage_sum *s, const struct al__usage_run *r) {
    int64_t secs = al__usage_overlap_s(r->start_s, r->end_s, s->now, s->from, s->to);
    bool touches = secs > 0 || (r->start_s >= s->from && r->start_s < s->to);
    if (!touches)
        return;
    struct al__usage_group *g = group_of(s, r);
    g->runs++;
    g->gpu_milli_s += r->gpu_milli * secs;
    g->cpu_milli_s += r->cpu_millis * secs;
    g->memory_byte_s += (double)r->memory_bytes * (double)secs;
    if (r->gpu_milli == 0) {
        /* no GPU held: no idle GPU time, known */
    } else if (r->idle_gpu_milli_s < 0 || g->idle_gpu_milli_s < 0) {
        g->idle_gpu_milli_s = -1;
    } else {
        int64_t whole = al__usage_overlap_s(r->start_s, r->end_s, s->now, r->start_s, INT64_MAX);
        if (whole > 0) /* the window's part of the run's idle time, in proportion */
            g->idle_gpu_milli_s += (double)r->idle_gpu_milli_s * (double)secs / (double)whole;
    }
    if (r->gpu_milli * secs > 0 && g->cost >= 0) {
        double price = price_of(s, r->gpu_model);
        g->cost = price < 0 ? -1 : g->cost + (double)(r->gpu_milli * secs) / 3.6e6 * price;
    }
}
