/* expo.c - the Prometheus text exposition format, written (see expo.h). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "daemon/expo.h"
#include "util/xalloc.h"

static void put(struct al__expo *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct al__expo *e, const char *fmt, ...) {
    for (;;) {
        va_list ap;
        size_t room = e->cap - e->len;
        va_start(ap, fmt);
        int n = vsnprintf(e->text ? e->text + e->len : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if ((size_t)n < room) {
            e->len += (size_t)n;
            return;
        }
        al__xgrow(&e->text, &e->cap, e->len + (size_t)n + 1, 1);
    }
}

void al__expo_family(struct al__expo *e, const char *name, const char *type, const char *help) {
    put(e, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

struct al__labels *al__labels_add(struct al__labels *l, const char *key, const char *value) {
    char escaped[512];
    size_t n = 0;
    for (const char *v = value ? value : ""; *v && n + 2 < sizeof(escaped); v++) {
        if (*v == '\\' || *v == '"' || *v == '\n') {
            escaped[n++] = '\\';
            escaped[n++] = *v == '\n' ? 'n' : *v;
        } else {
            escaped[n++] = *v;
        }
    }
    escaped[n] = '\0';
    int w = snprintf(l->text + l->len, sizeof(l->text) - l->len, "%s%s=\"%s\"", l->len ? "," : "",
                     key, escaped);
    if (w > 0 && (size_t)w < sizeof(l->text) - l->len)
        l->len += (size_t)w;
    else
        l->text[l->len] = '\0';
    return l;
}

/* A sample value as the format writes it. */
static void value_text(double v, char *out, size_t size) {
    if (isinf(v))
        snprintf(out, size, "%s", v > 0 ? "+Inf" : "-Inf");
    else if (isnan(v))
        snprintf(out, size, "NaN");
    else if (v == floor(v) && fabs(v) < 9e15)
        snprintf(out, size, "%.0f", v);
    else
        snprintf(out, size, "%.15g", v);
}

void al__expo_sample(struct al__expo *e, const char *name, const struct al__labels *labels,
                     double value) {
    char v[64];
    value_text(value, v, sizeof(v));
    if (labels && labels->len)
        put(e, "%s{%s} %s\n", name, labels->text, v);
    else
        put(e, "%s %s\n", name, v);
}

void al__expo_histogram(struct al__expo *e, const char *name, const struct al__labels *labels,
                        const struct al__histogram *h) {
    struct al__histogram_view view;
    const char *sep = labels && labels->len ? "," : "";
    const char *lt = labels && labels->len ? labels->text : "";
    char sum[64];
    al__histogram_view(h, &view);
    for (size_t i = 0; i <= view.bound_count; i++) {
        char le[32];
        if (i < view.bound_count)
            snprintf(le, sizeof(le), "%.6g", view.bounds[i]);
        else
            snprintf(le, sizeof(le), "+Inf");
        put(e, "%s_bucket{%s%sle=\"%s\"} %llu\n", name, lt, sep, le,
            (unsigned long long)view.cumulative[i]);
    }
    value_text(view.sum_s, sum, sizeof(sum));
    put(e, "%s_sum%s%s%s %s\n", name, *lt ? "{" : "", lt, *lt ? "}" : "", sum);
    put(e, "%s_count%s%s%s %llu\n", name, *lt ? "{" : "", lt, *lt ? "}" : "",
        (unsigned long long)view.cumulative[view.bound_count]);
}
