/* expo.h - a writer of the Prometheus text exposition format, version 0.0.4: each family's
 * HELP and TYPE once before its samples, label values escaped, histograms as cumulative
 * buckets ending in +Inf with their sum and count. */
#ifndef ALLOT_DAEMON_EXPO_H
#define ALLOT_DAEMON_EXPO_H

#include <stddef.h>

#include "daemon/histogram.h"

#define AL__EXPO_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* The text being written (heap; the caller frees `text`). */
struct al__expo {
    char *text;
    size_t len, cap;
};

/* A sample's labels, rendered as they are added: `key="value",...` (no braces). */
struct al__labels {
    char text[1024];
    size_t len;
};

/* al__expo_family - a family's HELP and TYPE lines ("counter", "gauge", "histogram"). The
 * caller writes each family once, its samples right after. `help` has no backslash or
 * newline. */
void al__expo_family(struct al__expo *e, const char *name, const char *type, const char *help);

/* al__labels_add - appends key="value" with the value escaped (\\, \", \n); a label that
 * does not fit is left out whole. Returns l. */
struct al__labels *al__labels_add(struct al__labels *l, const char *key, const char *value);

/* al__expo_sample - `name{labels} value` (no braces when labels is NULL or empty); integral
 * values are written as integers, others with 15 significant digits, infinities as +Inf and
 * -Inf. */
void al__expo_sample(struct al__expo *e, const char *name, const struct al__labels *labels,
                     double value);

/* al__expo_histogram - NAME_bucket{labels,le="..."} for each bound and +Inf, NAME_sum and
 * NAME_count (the +Inf bucket's). */
void al__expo_histogram(struct al__expo *e, const char *name, const struct al__labels *labels,
                        const struct al__histogram *h);

#endif
