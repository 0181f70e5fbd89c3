/* routes_reports.c - /api/v1/reports/consumption: what task runs held in a window, summed per
 * project, department or workload, with the rows of the projects the caller may read only.
 * Read through the store's reader connection under its lock alone (the route table gives it no
 * lock): a year's rows hold up neither requests nor the cycle. */
#include <math.h>
#include <pthread.h>

#include "daemon/api.h"
#include "daemon/consumption.h"
#include "daemon/route_access.h"
#include "daemon/time_text.h"

static const char *const group_names[] = {"project", "department", "workload"};

/* A moment of the window from query parameter `key` (`def` when absent); -1 after a 400. */
static int window_edge(const struct al__request *req, struct al__reply *rep, const char *key,
                       int64_t now, int64_t def, int64_t *out) {
    const char *text = al__query(req, key);
    char err[256];
    if (!text) {
        if (def < 0) {
            al__reply_error(rep, "invalid_argument", key,
                            "%s is required: an RFC 3339 time, epoch seconds or a duration ago "
                            "(\"30d\")",
                            key);
            return -1;
        }
        *out = def;
        return 0;
    }
    if (al__since_parse(text, now, out, err, sizeof(err)) < 0) {
        al__reply_error(rep, "invalid_argument", key, "%s", err);
        return -1;
    }
    return 0;
}

/* Whether the caller may read the report of run r's project (where it was at the time). */
static bool run_visible(void *ctx, const struct al__usage_run *r) {
    const struct al__request *req = ctx;
    struct al__place place = {r->department, r->project, ""};
    return al__request_may(req, &place);
}

static json_t *number_or_null(double v) {
    return v < 0 ? json_null() : json_real(v);
}

static json_t *group_json(const struct al__usage_group *g, bool priced) {
    json_t *o = json_object();
    if (g->department)
        json_object_set_new(o, "department", json_string(g->department));
    if (g->project)
        json_object_set_new(o, "project", json_string(g->project));
    if (g->workload)
        json_object_set_new(o, "workload", json_string(g->workload));
    json_object_set_new(o, "runs", json_integer(g->runs));
    json_object_set_new(o, "gpu_seconds", json_real((double)g->gpu_milli_s / 1000.0));
    json_object_set_new(o, "gpu_hours", json_real((double)g->gpu_milli_s / 3.6e6));
    json_object_set_new(o, "cpu_core_seconds", json_real((double)g->cpu_milli_s / 1000.0));
    json_object_set_new(o, "memory_byte_seconds", json_real(g->memory_byte_s));
    json_object_set_new(o, "idle_gpu_seconds",
                        number_or_null(g->idle_gpu_milli_s < 0 ? -1 : g->idle_gpu_milli_s / 1000));
    json_object_set_new(o, "cost", priced ? number_or_null(g->cost) : json_null());
    return o;
}

static json_t *prices_json(const struct allotd *d) {
    json_t *o = json_object();
    for (size_t i = 0; i < d->gpu_price_count; i++)
        json_object_set_new(o, d->gpu_prices[i].model, json_real(d->gpu_prices[i].per_gpu_hour));
    return o;
}

void al__consumption_route(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    int64_t now = al__daemon_now(), from, to;
    const char *by_text = al__query(req, "group_by");
    int by = by_text ? al__usage_group_by_parse(by_text) : AL__BY_PROJECT;
    if (by < 0) {
        al__reply_error(rep, "invalid_argument", "group_by",
                        "group_by must be project, department or workload, not \"%s\"", by_text);
        return;
    }
    if (window_edge(req, rep, "from", now, -1, &from) < 0 ||
        window_edge(req, rep, "to", now, now, &to) < 0)
        return;
    if (to <= from) {
        al__reply_error(rep, "invalid_argument", "to", "to must be after from");
        return;
    }
    struct al__usage_sum sum;
    al__usage_sum_init(&sum, (enum al__usage_group_by)by, from, to, now, d->gpu_prices,
                       d->gpu_price_count);
    bool all = al__request_sees_all(req, AL__RES_REPORT);
    pthread_mutex_lock(&d->reader_lock);
    int rc = al__consumption_sum(d, &sum, all ? NULL : run_visible, (void *)req);
    pthread_mutex_unlock(&d->reader_lock);
    if (rc < 0) {
        al__usage_sum_release(&sum);
        al__reply_error(rep, "internal", NULL, "store: reading consumption failed");
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < sum.count; i++)
        json_array_append_new(items, group_json(&sum.groups[i], d->gpu_price_count > 0));
    al__usage_sum_release(&sum);
    al__reply_json(rep, 200,
                   json_pack("{s:I, s:I, s:I, s:s, s:o, s:o}", "from_s", (json_int_t)from, "to_s",
                             (json_int_t)to, "now_s", (json_int_t)now, "group_by", group_names[by],
                             "gpu_prices", prices_json(d), "items", items));
}
