/* trace.c - the simulator's trace files read: Philly's jobs and virtual clusters, node lists.
 * Plain CSV without quoting (none of these files quotes a field); every malformed row is an
 * error naming its file, line and field. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "backends/sim/trace.h"
#include "backends/sim/xz.h"
#include "util/civil.h"
#include "util/csv.h"
#include "util/xalloc.h"

/* A trace file: plain, or xz-compressed (read whole, then as memory). */
static int csv_open(struct al__csv *c, const char *path, char *err, size_t size) {
    if (!al__sim_is_xz(path))
        return al__csv_open(c, path, err, size);
    char *data;
    size_t len;
    int rc = al__sim_xz_read(path, &data, &len, err, size);
    if (rc < 0)
        return rc;
    FILE *f = len > 0 ? fmemopen(data, len, "r") : NULL; /* an empty file: no line */
    if (len > 0 && !f) {
        snprintf(err, size, "%s: cannot read: %s", path, strerror(errno));
        free(data);
        return -AL_EIO;
    }
    al__csv_adopt(c, path, f, data, err, size);
    return 0;
}

/* "PATH:LINE: FIELD: why" (err and size are those c was opened with: the reader's). */
static int csv_fail(const struct al__csv *c, const char *field, const char *why, char *err,
                    size_t size) {
    (void)err;
    (void)size;
    return al__csv_fail(c, field, "%s", why);
}

/* The header line must be `expect` exactly. */
static int csv_header(struct al__csv *c, const char *expect, char *err, size_t size) {
    if (al__csv_next(c) <= 0) {
        c->line_no = c->line_no ? c->line_no : 1;
        return csv_fail(c, "header", "empty file (expected a header line)", err, size);
    }
    char joined[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < c->count && i < AL__CSV_MAX_FIELDS && used < sizeof(joined); i++)
        used += (size_t)snprintf(joined + used, sizeof(joined) - used, "%s%s", i ? "," : "",
                                 c->fields[i]);
    if (strcmp(joined, expect) != 0) {
        char why[700];
        snprintf(why, sizeof(why), "unknown column layout \"%.200s\" (expected \"%s\")", joined,
                 expect);
        return csv_fail(c, "header", why, err, size);
    }
    return 0;
}

static int csv_columns(const struct al__csv *c, size_t want, char *err, size_t size) {
    if (c->count == want)
        return 0;
    char why[128];
    snprintf(why, sizeof(why), "%zu columns, expected %zu", c->count, want);
    return csv_fail(c, "row", why, err, size);
}

/* A row's reader: item (the i-th) from c's current row; 0, or an error (err filled). */
typedef int (*row_fn)(const struct al__csv *c, void *item, size_t i, void *arg, char *err,
                      size_t size);

/* The rows after c's header (rc: how reading the header went) into *out, an array (allocated,
 * the caller frees it) of *count items of `item` bytes; `none` names what a file without rows
 * lacks ("jobs"). Closes c. 0, or an error (err filled, *out untouched). */
static int rows_read(struct al__csv *c, int rc, size_t item, row_fn row, void *arg,
                     const char *none, void *out, size_t *count, char *err, size_t size) {
    char *items = NULL;
    size_t n = 0, cap = 0;
    int more;
    while (rc == 0 && (more = al__csv_next(c)) != 0) {
        if (more < 0) { /* a read error: the message is in err */
            rc = more;
            break;
        }
        al__xgrow(&items, &cap, n + 1, item);
        rc = row(c, items + n * item, n, arg, err, size);
        n += rc == 0;
    }
    if (rc == 0 && n == 0) {
        char why[96];
        snprintf(why, sizeof(why), "no %s after the header", none);
        rc = csv_fail(c, "row", why, err, size);
    }
    al__csv_close(c);
    if (rc < 0) {
        free(items);
        return rc;
    }
    memcpy(out, &items, sizeof(items));
    *count = n;
    return 0;
}

/* A whole number in [min, max]. */
static bool whole(const char *text, int64_t min, int64_t max, int64_t *out) {
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (!text[0] || *end || errno || v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* A finite number, >= 0. */
static bool amount(const char *text, double *out) {
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (!text[0] || *end || errno || !isfinite(v) || v < 0)
        return false;
    *out = v;
    return true;
}

int al__sim_parse_time(const char *text, int64_t *out) {
    int y, mo, d, h = 0, mi = 0, s = 0, n = 0;
    size_t len = strlen(text);
    if (len == 10) {
        if (sscanf(text, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
            return -1;
    } else if (len == 19) {
        if (sscanf(text, "%4d-%2d-%2d %2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &n) != 6 || n != 19)
            return -1;
    } else {
        return -1;
    }
    static const int days_in[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (text[4] != '-' || text[7] != '-' || y < 1970 || mo < 1 || mo > 12 || d < 1 ||
        d > days_in[mo - 1] || h > 23 || mi > 59 || s > 59 || h < 0 || mi < 0 || s < 0)
        return -1;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap)
        return -1;
    *out = al__days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    return 0;
}

/* A group or VC name as the trace has it: 1-63 of a-z, 0-9, '-', '_' (lowered). */
static bool group_name(const char *text, char out[AL__SIM_NAME_MAX]) {
    size_t n = strlen(text);
    if (n == 0 || n >= AL__SIM_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = text[i];
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
            return false;
        out[i] = ch == '_' ? '-' : ch;
    }
    out[n] = '\0';
    return true;
}

static int by_arrival(const void *a, const void *b) {
    const struct al__sim_trace_job *x = a, *y = b;
    if (x->arrival_s != y->arrival_s)
        return x->arrival_s < y->arrival_s ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

static int philly_row(const struct al__csv *c, void *item, size_t i, void *arg, char *err,
                      size_t size) {
    struct al__sim_trace_job *j = item;
    double duration, gpu_time;
    (void)i, (void)arg;
    int64_t gpus;
    int rc = csv_columns(c, 5, err, size);
    if (rc < 0)
        return rc;
    memset(j, 0, sizeof(*j));
    j->line = c->line_no;
    if (strlen(c->fields[0]) != 19 || al__sim_parse_time(c->fields[0], &j->arrival_s) < 0)
        return csv_fail(c, "timestamp", "not a time stamp YYYY-MM-DD HH:MM:SS", err, size);
    if (!amount(c->fields[1], &duration) || duration > 1e9)
        return csv_fail(c, "duration", "must be a number of seconds, >= 0", err, size);
    if (!whole(c->fields[2], 1, 4096, &gpus))
        return csv_fail(c, "num_gpus", "must be a whole number of GPUs, 1..4096", err, size);
    if (!amount(c->fields[3], &gpu_time))
        return csv_fail(c, "gpu_time", "must be a number of GPU-seconds, >= 0", err, size);
    if (!group_name(c->fields[4], j->group))
        return csv_fail(c, "cluster", "must be a virtual cluster's name (1-63 of a-z, 0-9, -, _)",
                        err, size);
    j->duration_s = (int64_t)ceil(duration);
    if (j->duration_s < 1)
        j->duration_s = 1; /* a job that ran at all ran for a second of the virtual clock */
    j->gpus = (int32_t)gpus;
    return 0;
}

int al__sim_philly_jobs(const char *path, struct al__sim_trace_job **jobs, size_t *count, char *err,
                        size_t size) {
    struct al__csv c;
    struct al__sim_trace_job *out;
    int rc = csv_open(&c, path, err, size);
    if (rc < 0)
        return rc;
    rc = csv_header(&c, "timestamp,duration,num_gpus,gpu_time,cluster", err, size);
    rc = rows_read(&c, rc, sizeof(*out), philly_row, NULL, "jobs", &out, count, err, size);
    if (rc < 0)
        return rc;
    qsort(out, *count, sizeof(*out), by_arrival);
    *jobs = out;
    return 0;
}

static int vc_row(const struct al__csv *c, void *item, size_t i, void *arg, char *err,
                  size_t size) {
    struct al__sim_trace_group *g = item, *before = g - i;
    int rc = csv_columns(c, 2, err, size);
    (void)arg;
    if (rc < 0)
        return rc;
    if (!group_name(c->fields[0], g->name))
        return csv_fail(c, "vc", "must be a virtual cluster's name (1-63 of a-z, 0-9, -, _)", err,
                        size);
    if (!whole(c->fields[1], 0, 1000000, &g->nodes))
        return csv_fail(c, "node num", "must be a whole number of nodes, 0..1000000", err, size);
    for (size_t k = 0; k < i; k++)
        if (strcmp(before[k].name, g->name) == 0)
            return csv_fail(c, "vc", "named twice", err, size);
    return 0;
}

int al__sim_philly_vcs(const char *path, struct al__sim_trace_group **groups, size_t *count,
                       char *err, size_t size) {
    struct al__csv c;
    int rc = csv_open(&c, path, err, size);
    if (rc < 0)
        return rc;
    rc = csv_header(&c, "vc,node num", err, size);
    return rows_read(&c, rc, sizeof(**groups), vc_row, NULL, "virtual clusters", groups, count, err,
                     size);
}

/* One row of a node list; `spot`: the spot trace's layout, else openb's. */
static int node_row(const struct al__csv *c, void *item, size_t i, void *arg, char *err,
                    size_t size) {
    struct al__sim_trace_node *node = item;
    bool spot = *(const bool *)arg;
    int64_t gpus, cpu;
    (void)i;
    int rc = csv_columns(c, 5 - spot, err, size);
    if (rc < 0)
        return rc;
    memset(node, 0, sizeof(*node));
    const char *name = c->fields[spot ? 3 : 0], *model = c->fields[spot ? 0 : 4];
    if (!name[0] || strlen(name) >= AL__SIM_NAME_MAX)
        return csv_fail(c, spot ? "node_name" : "sn", "must be a name of 1-63 characters", err,
                        size);
    if (strlen(model) >= AL__SIM_NAME_MAX)
        return csv_fail(c, spot ? "gpu_model" : "model", "longer than 63 characters", err, size);
    if (!whole(c->fields[spot ? 1 : 3], 0, 64, &gpus))
        return csv_fail(c, spot ? "gpu_capacity_num" : "gpu", "must be a whole number, 0..64", err,
                        size);
    if (spot ? !whole(c->fields[2], 1, 100000, &cpu) : !whole(c->fields[1], 1, 100000000, &cpu))
        return csv_fail(c, spot ? "cpu_num" : "cpu_milli", "must be a whole number, > 0", err,
                        size);
    snprintf(node->name, sizeof(node->name), "%s%s", spot ? "node-" : "", name);
    snprintf(node->model, sizeof(node->model), "%s", model);
    node->gpus = (int32_t)gpus;
    node->cpu_millis = spot ? cpu * 1000 : cpu;
    return 0;
}

int al__sim_node_list(const char *path, struct al__sim_trace_node **nodes, size_t *count, char *err,
                      size_t size) {
    static const char spot_header[] = "gpu_model,gpu_capacity_num,cpu_num,node_name";
    static const char openb_header[] = "sn,cpu_milli,memory_mib,gpu,model";
    struct al__csv c;
    int rc = csv_open(&c, path, err, size);
    if (rc < 0)
        return rc;
    bool spot = true;
    if (al__csv_next(&c) <= 0) {
        c.line_no = 1;
        rc = csv_fail(&c, "header", "empty file (expected a header line)", err, size);
    } else if (c.count == 4 && strcmp(c.fields[0], "gpu_model") == 0 &&
               strcmp(c.fields[3], "node_name") == 0) {
        spot = true;
    } else if (c.count == 5 && strcmp(c.fields[0], "sn") == 0 &&
               strcmp(c.fields[4], "model") == 0) {
        spot = false;
    } else {
        char why[300];
        snprintf(why, sizeof(why), "unknown column layout (expected \"%s\" or \"%s\")", spot_header,
                 openb_header);
        rc = csv_fail(&c, "header", why, err, size);
    }
    return rows_read(&c, rc, sizeof(**nodes), node_row, &spot, "nodes", nodes, count, err, size);
}

/* A time of the DLRM trace: seconds from its start, "" (outside the trace: *out = fallback). */
static bool trace_seconds(const char *text, int64_t fallback, int64_t *out) {
    double v;
    if (!text[0]) {
        *out = fallback;
        return true;
    }
    if (!amount(text, &v) || v > 1e10)
        return false;
    *out = (int64_t)ceil(v);
    return true;
}

/* One row of the DLRM trace into j (its duration still to be set: end - start, in *end and
 * *start; *end -1 while the deletion lies after the trace). */
/* Where each DLRM row's run ends (-1: after the trace), and the trace's last time. */
struct dlrm_ends {
    int64_t *end, last;
    size_t cap;
};

static int dlrm_row(const struct al__csv *c, void *item, size_t i, void *arg, char *err,
                    size_t size) {
    struct al__sim_trace_job *j = item;
    struct dlrm_ends *ends = arg;
    double cpu, gpu;
    int64_t created, scheduled;
    al__xgrow(&ends->end, &ends->cap, i + 1, sizeof(*ends->end));
    int64_t *end = &ends->end[i];
    int rc = csv_columns(c, 17, err, size);
    if (rc < 0)
        return rc;
    memset(j, 0, sizeof(*j));
    j->line = c->line_no;
    bool hn = strcmp(c->fields[1], "HN") == 0;
    if (!hn && strcmp(c->fields[1], "CN") != 0)
        return csv_fail(c, "role", "must be CN or HN", err, size);
    if (!group_name(c->fields[2], j->group))
        return csv_fail(c, "app_name", "must be 1-63 of a-z, 0-9, -, _", err, size);
    if (!amount(c->fields[3], &cpu) || cpu > 100000)
        return csv_fail(c, "cpu_request", "must be a number of vCPUs, >= 0", err, size);
    if (!amount(c->fields[5], &gpu) || gpu != (hn ? 1 : 0))
        return csv_fail(c, "gpu_request",
                        hn ? "an HN instance asks for 1 GPU" : "a CN instance asks for no GPU", err,
                        size);
    if (!trace_seconds(c->fields[14], 0, &created))
        return csv_fail(c, "creation_time", "must be seconds from the trace's start, >= 0", err,
                        size);
    if (!trace_seconds(c->fields[15], created, &scheduled) || scheduled < created)
        return csv_fail(c, "scheduled_time",
                        "must be seconds from the trace's start, at or "
                        "after creation_time",
                        err, size);
    if (!trace_seconds(c->fields[16], -1, end) || (*end >= 0 && *end < scheduled))
        return csv_fail(c, "deletion_time",
                        "must be seconds from the trace's start, at or "
                        "after scheduled_time",
                        err, size);
    j->gpus = hn ? 1 : 0;
    j->cpu_millis = (int64_t)ceil(cpu * 1000);
    j->arrival_s = created;
    j->duration_s = scheduled; /* for now: where its run starts */
    ends->last = *end > ends->last ? *end : ends->last;
    ends->last = scheduled > ends->last ? scheduled : ends->last;
    return 0;
}

int al__sim_dlrm_instances(const char *path, int64_t base_s, struct al__sim_trace_job **jobs,
                           size_t *count, char *err, size_t size) {
    static const char header[] =
        "instance_sn,role,app_name,cpu_request,cpu_limit,gpu_request,gpu_limit,rdma_request,"
        "rdma_limit,memory_request,memory_limit,disk_request,disk_limit,max_instance_per_node,"
        "creation_time,scheduled_time,deletion_time";
    struct al__csv c;
    struct al__sim_trace_job *out;
    struct dlrm_ends ends = {NULL, 0, 0};
    int rc = csv_open(&c, path, err, size);
    if (rc < 0)
        return rc;
    rc = csv_header(&c, header, err, size);
    rc = rows_read(&c, rc, sizeof(*out), dlrm_row, &ends, "instances", &out, count, err, size);
    if (rc < 0) {
        free(ends.end);
        return rc;
    }
    for (size_t i = 0; i < *count; i++) { /* still running when the trace ends: until its end */
        int64_t end = ends.end[i] >= 0 ? ends.end[i] : ends.last;
        out[i].duration_s = end - out[i].duration_s < 1 ? 1 : end - out[i].duration_s;
        out[i].arrival_s += base_s;
    }
    free(ends.end);
    qsort(out, *count, sizeof(*out), by_arrival);
    *jobs = out;
    return 0;
}
