/* openb_csv.c - reading the openb node and pod lists (CSV with a header line), every rejected
 * row named by file, line, field and reason. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "sim/openb.h"
#include "util/csv.h"
#include "util/xalloc.h"

/* Finds each of names[] in the header into col[] (-1 for an optional one that is missing). */
static int csv_header(struct al__csv *c, const char *const *names, int *col, int count,
                      int required) {
    int i, rc = al__csv_next(c);

    if (rc < 0)
        return rc;
    if (rc == 0) {
        c->line_no = 1;
        return al__csv_fail(c, NULL, "empty file (expected a header line naming the columns)");
    }
    for (i = 0; i < count; i++) {
        col[i] = -1;
        for (size_t j = 0; j < c->count && j < AL__CSV_MAX_FIELDS; j++)
            if (strcmp(c->fields[j], names[i]) == 0)
                col[i] = (int)j;
        if (col[i] < 0 && i < required)
            return al__csv_fail(c, "header", "missing column '%s'", names[i]);
    }
    return 0;
}

/* The field of column col as an integer in [0, max] into *out. */
static int field_int(const struct al__csv *c, int col, const char *name, int64_t max,
                     int64_t *out) {
    const char *s = c->fields[col];
    char *end;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno == ERANGE)
        return al__csv_fail(c, name, "'%s' is not an integer", s);
    if (v < 0)
        return al__csv_fail(c, name, "%s is negative", s);
    if (v > max)
        return al__csv_fail(c, name, "%s is above %lld", s, (long long)max);
    *out = v;
    return 0;
}

static int row_width(const struct al__csv *c, size_t header_fields) {
    if (c->count == header_fields)
        return 0;
    return al__csv_fail(c, NULL, "%zu fields where the header has %zu", c->count, header_fields);
}

int al__openb_nodes_read(struct al__openb_trace *t, const char *path, char *err, size_t err_size) {
    static const char *const names[] = {"sn", "cpu_milli", "memory_mib", "gpu", "model"};
    struct al__csv c;
    int col[5], rc;
    size_t width;
    size_t cap = 0;

    if ((rc = al__csv_open(&c, path, err, err_size)) < 0)
        return rc;
    if ((rc = csv_header(&c, names, col, 5, 5)) < 0)
        goto out;
    width = c.count;
    while ((rc = al__csv_next(&c)) > 0) {
        struct al__openb_node n;
        int64_t gpus;
        if ((rc = row_width(&c, width)) < 0 ||
            (rc = field_int(&c, col[1], "cpu_milli", INT32_MAX, &n.cpu)) < 0 ||
            (rc = field_int(&c, col[2], "memory_mib", INT64_MAX / 2, &n.mem)) < 0 ||
            (rc = field_int(&c, col[3], "gpu", AL__FIT_MAX_GPUS, &gpus)) < 0)
            goto out;
        if (c.fields[col[0]][0] == '\0') {
            rc = al__csv_fail(&c, "sn", "empty node name");
            goto out;
        }
        if (gpus > 0 && c.fields[col[4]][0] == '\0') {
            rc = al__csv_fail(&c, "model", "empty, but the node has %s GPUs", c.fields[col[3]]);
            goto out;
        }
        n.gpus = (int32_t)gpus;
        n.name = al__xstrdup(c.fields[col[0]]);
        n.model = al__xstrdup(gpus > 0 ? c.fields[col[4]] : "");
        al__xgrow(&t->nodes, &cap, t->node_count + 1, sizeof(*t->nodes));
        t->nodes[t->node_count++] = n;
    }
    if (rc == 0 && t->node_count == 0) {
        rc = al__csv_fail(&c, NULL, "no nodes after the header");
    }
out:
    al__csv_close(&c);
    return rc;
}

/* The spec with empty parts dropped ("A||B|" -> "A|B"), as the simulator's converter does. */
static char *spec_clean(const char *s) {
    char *out = al__xmalloc(strlen(s) + 1), *w = out;

    while (*s) {
        size_t len = strcspn(s, "|");
        if (len > 0) {
            if (w != out)
                *w++ = '|';
            memcpy(w, s, len);
            w += len;
        }
        s += len;
        if (*s == '|')
            s++;
    }
    *w = '\0';
    return out;
}

static int pod_check(const struct al__csv *c, const struct al__openb_pod *p) {
    if (p->gpu_count > 0 && p->gpu_milli == 0)
        return al__csv_fail(c, "gpu_milli", "0 with num_gpu %d (a GPU pod needs some GPU)",
                            (int)p->gpu_count);
    if (p->gpu_count == 0 && p->gpu_milli > 0)
        return al__csv_fail(c, "gpu_milli", "%d with num_gpu 0", (int)p->gpu_milli);
    if (p->gpu_count > 1 && p->gpu_milli < AL__FIT_MILLI)
        return al__csv_fail(c, "gpu_milli",
                            "%d with num_gpu %d (a multi-GPU pod takes whole GPUs: 1000)",
                            (int)p->gpu_milli, (int)p->gpu_count);
    return 0;
}

int al__openb_pods_read(struct al__openb_trace *t, const char *path, char *err, size_t err_size) {
    static const char *const names[] = {"name",    "cpu_milli", "memory_mib",
                                        "num_gpu", "gpu_milli", "gpu_spec"};
    struct al__csv c;
    int col[6], rc;
    size_t width;
    size_t cap = 0;

    if ((rc = al__csv_open(&c, path, err, err_size)) < 0)
        return rc;
    if ((rc = csv_header(&c, names, col, 6, 5)) < 0)
        goto out;
    width = c.count;
    while ((rc = al__csv_next(&c)) > 0) {
        struct al__openb_pod p;
        int64_t count, milli;
        if ((rc = row_width(&c, width)) < 0 ||
            (rc = field_int(&c, col[1], "cpu_milli", INT32_MAX, &p.cpu)) < 0 ||
            (rc = field_int(&c, col[2], "memory_mib", INT64_MAX / 2, &p.mem)) < 0 ||
            (rc = field_int(&c, col[3], "num_gpu", AL__FIT_MAX_GPUS, &count)) < 0 ||
            (rc = field_int(&c, col[4], "gpu_milli", AL__FIT_MILLI, &milli)) < 0)
            goto out;
        if (c.fields[col[0]][0] == '\0') {
            rc = al__csv_fail(&c, "name", "empty pod name");
            goto out;
        }
        p.gpu_count = (int32_t)count;
        p.gpu_milli = (int32_t)milli;
        if ((rc = pod_check(&c, &p)) < 0)
            goto out;
        p.line = (int32_t)c.line_no;
        p.name = al__xstrdup(c.fields[col[0]]);
        p.spec = spec_clean(col[5] >= 0 && p.gpu_count > 0 ? c.fields[col[5]] : "");
        al__xgrow(&t->pods, &cap, t->pod_count + 1, sizeof(*t->pods));
        t->pods[t->pod_count++] = p;
    }
    if (rc == 0 && t->pod_count == 0)
        rc = al__csv_fail(&c, NULL, "no pods after the header");
out:
    al__csv_close(&c);
    return rc;
}

void al__openb_trace_release(struct al__openb_trace *t) {
    size_t i;

    for (i = 0; i < t->node_count; i++) {
        free(t->nodes[i].name);
        free(t->nodes[i].model);
    }
    for (i = 0; i < t->pod_count; i++) {
        free(t->pods[i].name);
        free(t->pods[i].spec);
    }
    free(t->nodes);
    free(t->pods);
    memset(t, 0, sizeof(*t));
}
