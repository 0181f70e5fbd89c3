/* workload_format.c - how workloads read in allot's tables and descriptions. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/units.h"
#include "cli/util.h"
#include "cli/workload_format.h"
#include "util/xalloc.h"

#define MAX_DEVICES 1024

/* The members of a workload that say what each task asks for, with the API's defaults. */
struct request {
    int64_t whole;
    double fraction;
    int64_t mib;
    int64_t devices;
    int64_t workers;
};

static struct request request_read(const json_t *workload) {
    struct request r;

    r.whole = al__cli_json_int(workload, "gpu", 0);
    r.fraction = al__cli_json_num(workload, "gpu_fraction", 0);
    r.mib = al__cli_json_int(workload, "gpu_memory_mib", 0);
    r.devices = al__cli_json_int(workload, "gpu_device_count", 1);
    r.workers = al__cli_json_int(workload, "workers", 1);
    return r;
}

void al__cli_workload_gpus(const json_t *workload, char *buf, size_t size) {
    struct request r = request_read(workload);
    char amount[48];

    buf[0] = '\0';
    const json_t *migs = json_object_get(workload, "mig");
    if (r.whole <= 0 && r.fraction <= 0 && r.mib <= 0 && json_object_size(migs) > 0) {
        const char *profile; /* MIG instances: "2x1g.10gb+2x3g.40gb" (per task: "3x(...)") */
        const json_t *n;
        bool several = r.workers > 1 && json_object_size(migs) > 1;
        if (r.workers > 1)
            al__cli_appendf(buf, size, "%" PRId64 "x%s", r.workers, several ? "(" : "");
        bool first = true;
        json_object_foreach((json_t *)migs, profile, n) {
            json_int_t count = json_integer_value(n);
            al__cli_appendf(buf, size, "%s", first ? "" : "+");
            first = false;
            if (count > 1)
                al__cli_appendf(buf, size, "%" JSON_INTEGER_FORMAT "x", count);
            al__cli_appendf(buf, size, "%s", profile);
        }
        al__cli_appendf(buf, size, "%s", several ? ")" : "");
        return;
    }
    if (r.whole <= 0 && r.fraction <= 0 && r.mib <= 0) {
        snprintf(buf, size, "0");
        return;
    }
    if (r.workers > 1)
        al__cli_appendf(buf, size, "%" PRId64 "x", r.workers);
    if (r.whole > 0) {
        al__cli_appendf(buf, size, "%" PRId64, r.whole);
        return;
    }
    if (r.fraction > 0)
        al__cli_format_gpus(r.fraction, amount, sizeof(amount));
    else
        al__cli_format_mib(r.mib, amount, sizeof(amount));
    if (r.devices > 1)
        al__cli_appendf(buf, size, "%" PRId64 "x", r.devices);
    al__cli_appendf(buf, size, "%s", amount);
}

static int compare_int(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

/* Adds the device indices in `devices` (a JSON array) to list. */
static void collect_devices(const json_t *devices, int64_t *list, size_t *count) {
    size_t i;
    const json_t *d;

    json_array_foreach(devices, i, d) {
        if (json_is_integer(d) && *count < MAX_DEVICES)
            list[(*count)++] = (int64_t)json_integer_value(d);
    }
}

/* "0,1,3": sorted, each index once; "" when there are none. */
static void devices_list_text(int64_t *list, size_t count, char *buf, size_t size) {
    buf[0] = '\0';
    qsort(list, count, sizeof(*list), compare_int);
    for (size_t i = 0; i < count; i++)
        if (i == 0 || list[i] != list[i - 1])
            al__cli_appendf(buf, size, "%s%" PRId64, i ? "," : "", list[i]);
}

void al__cli_devices_text(const json_t *devices, char *buf, size_t size) {
    int64_t *list = al__xmalloc(MAX_DEVICES * sizeof(*list));
    size_t count = 0;

    collect_devices(devices, list, &count);
    devices_list_text(list, count, buf, size);
    if (buf[0] == '\0')
        snprintf(buf, size, "-");
    free(list);
}

/* Appends "node:devices" for `node`, with the devices of every task placed there. */
static void append_node(const json_t *tasks, const char *node, int64_t *list, char *buf,
                        size_t size) {
    size_t i, count = 0;
    const json_t *task;
    char devices[512];

    json_array_foreach(tasks, i, task) {
        if (strcmp(al__cli_json_str(task, "node", ""), node) == 0)
            collect_devices(json_object_get(task, "gpu_devices"), list, &count);
    }
    devices_list_text(list, count, devices, sizeof(devices));
    al__cli_appendf(buf, size, "%s%s%s%s", buf[0] ? " " : "", node, devices[0] ? ":" : "", devices);
}

/* Whether an earlier task than tasks[index] runs on the same node. */
static bool node_seen(const json_t *tasks, size_t index, const char *node) {
    for (size_t i = 0; i < index; i++)
        if (strcmp(al__cli_json_str(json_array_get(tasks, i), "node", ""), node) == 0)
            return true;
    return false;
}

void al__cli_workload_placement(const json_t *workload, char *buf, size_t size) {
    const json_t *tasks = json_object_get(workload, "tasks");
    int64_t *list = al__xmalloc(MAX_DEVICES * sizeof(*list));
    size_t i;
    const json_t *task;

    buf[0] = '\0';
    if (json_array_size(tasks) > 0) {
        json_array_foreach(tasks, i, task) {
            const char *node = al__cli_json_str(task, "node", NULL);
            if (node && node[0] && !node_seen(tasks, i, node))
                append_node(tasks, node, list, buf, size);
        }
    } else if (al__cli_json_str(workload, "node", NULL)) {
        json_t *one = al__cli_json_take(json_pack("[O]", workload));
        append_node(one, al__cli_json_str(workload, "node", ""), list, buf, size);
        json_decref(one);
    }
    if (buf[0] == '\0')
        snprintf(buf, size, "-");
    free(list);
}

/* A dynamic fraction's limit: " (may grow to 0.5 while the device has room)". */
static void append_limit(const json_t *workload, char *buf, size_t size) {
    double portion = al__cli_json_num(workload, "gpu_fraction_limit", 0);
    int64_t mib = al__cli_json_int(workload, "gpu_memory_limit_mib", 0);
    char amount[48];

    if (portion > 0)
        al__cli_format_gpus(portion, amount, sizeof(amount));
    else if (mib > 0)
        al__cli_format_mib(mib, amount, sizeof(amount));
    else
        return;
    al__cli_appendf(buf, size, " (may grow to %s while the device has room)", amount);
}

void al__cli_workload_request(const json_t *workload, char *buf, size_t size) {
    struct request r = request_read(workload);
    int64_t cpu = al__cli_json_int(workload, "cpu_millis", 0);
    int64_t memory = al__cli_json_int(workload, "memory_bytes", 0);
    int64_t min = al__cli_json_int(workload, "min_members", r.workers);
    char amount[48];

    buf[0] = '\0';
    if (r.whole > 0)
        al__cli_appendf(buf, size, "%" PRId64 " GPU%s", r.whole, r.whole == 1 ? "" : "s");
    else if (r.fraction > 0) {
        al__cli_format_gpus(r.fraction, amount, sizeof(amount));
        if (r.devices > 1)
            al__cli_appendf(buf, size, "%s of each of %" PRId64 " GPUs", amount, r.devices);
        else
            al__cli_appendf(buf, size, "%s of a GPU", amount);
        append_limit(workload, buf, size);
    } else if (r.mib > 0) {
        al__cli_format_mib(r.mib, amount, sizeof(amount));
        al__cli_appendf(buf, size, "%s of GPU memory", amount);
        if (r.devices > 1)
            al__cli_appendf(buf, size, " on each of %" PRId64 " GPUs", r.devices);
        append_limit(workload, buf, size);
    } else if (json_object_size(json_object_get(workload, "mig")) > 0) {
        const char *profile; /* "MIG 2 x 1g.10gb + 1 x 3g.40gb" */
        const json_t *n;
        bool first = true;
        al__cli_appendf(buf, size, "MIG ");
        json_object_foreach(json_object_get(workload, "mig"), profile, n) {
            al__cli_appendf(buf, size, "%s%" JSON_INTEGER_FORMAT " x %s", first ? "" : " + ",
                            json_integer_value(n), profile);
            first = false;
        }
    } else
        al__cli_appendf(buf, size, "no GPU");
    if (cpu > 0) {
        al__cli_format_cpu(cpu, amount, sizeof(amount));
        al__cli_appendf(buf, size, ", %s CPU core%s", amount, cpu == 1000 ? "" : "s");
    }
    if (memory > 0) {
        al__cli_format_memory(memory, amount, sizeof(amount));
        al__cli_appendf(buf, size, ", %s memory", amount);
    }
    al__cli_appendf(buf, size, " per task; %" PRId64 " worker%s", r.workers,
                    r.workers == 1 ? "" : "s");
    if (min != r.workers)
        al__cli_appendf(buf, size, " (at least %" PRId64 " together)", min);
    /* its topology constraint: "; in one rack, preferring one kubernetes.io/hostname" */
    const char *required = al__cli_json_str(workload, "required_topology_level", NULL);
    const char *preferred = al__cli_json_str(workload, "preferred_topology_level", NULL);
    if (required)
        al__cli_appendf(buf, size, "; in one %s", required);
    if (preferred)
        al__cli_appendf(buf, size, "%s one %s", required ? ", preferring" : "; preferring",
                        preferred);
}

void al__cli_workload_state(const json_t *workload, char *buf, size_t size) {
    const char *state = al__cli_json_str(workload, "state", "?");
    const json_t *tasks = json_object_get(workload, "tasks");
    size_t i, running = 0, total = json_array_size(tasks);
    const json_t *t;

    json_array_foreach(tasks, i, t) {
        running += strcmp(al__cli_json_str(t, "state", ""), "running") == 0;
    }
    if (strcmp(state, "running") == 0 && total > 1 && running < total)
        snprintf(buf, size, "%zu/%zu running", running, total);
    else
        snprintf(buf, size, "%s", state);
}

const char *al__cli_workload_reason_short(const json_t *workload) {
    return al__cli_json_str(workload, "reason_short", "");
}
