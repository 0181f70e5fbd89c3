/* inventory.c - this machine's host resources and the --gpus declaration of virtual GPUs. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "allot/errors.h"
#include "backends/local/local.h"

#define MAX_MEMORY_MIB INT32_MAX
#define STR_(x)        #x
#define STR(x)         STR_(x)

void al__local_host(struct al__local_machine *inv) {
    char name[256];
    if (gethostname(name, sizeof name) == 0 && name[0] != '\0') {
        name[sizeof name - 1] = '\0';
        snprintf(inv->node_name, sizeof inv->node_name, "%.63s", name);
    } else {
        snprintf(inv->node_name, sizeof inv->node_name, "%s", "local");
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    long pages = sysconf(_SC_PHYS_PAGES);
    long page_size = sysconf(_SC_PAGESIZE);
    inv->cpu_millis = cpus > 0 ? (int64_t)cpus * 1000 : 1000;
    inv->memory_bytes = pages > 0 && page_size > 0 ? (int64_t)pages * page_size : 0;
    inv->gpu_count = 0;
    inv->from_nvml = false;
}

/* One group of the spec, as a bounded slice of it, and where to report a problem. */
struct group {
    const char *text;
    size_t len;
    char *err;
    size_t size;
};

static int group_fail(const struct group *g, const char *problem) {
    if (g->err && g->size)
        snprintf(g->err, g->size, "--gpus: \"%.*s\": %s", (int)g->len, g->text, problem);
    return -AL_EINVAL;
}

/* Reads the decimal digits at s[0..n), saturating at limit + 1; returns how many were read. */
static size_t read_digits(const char *s, size_t n, int64_t limit, int64_t *value) {
    size_t i = 0;
    int64_t v = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        v = v * 10 + (s[i] - '0');
        if (v > limit)
            v = limit + 1;
        i++;
    }
    *value = v;
    return i;
}

/* Parses MEMORY ("80GiB") at s[0..n) into MiB. */
static int parse_memory(const struct group *g, const char *s, size_t n, int32_t *mib) {
    static const struct {
        const char *name;
        int64_t mib;
    } units[] = {{"MiB", 1}, {"GiB", 1024}, {"TiB", 1024 * 1024}};
    int64_t v;
    size_t digits = read_digits(s, n, MAX_MEMORY_MIB, &v);
    if (digits == 0)
        return group_fail(g, "memory must be an integer with a unit (MiB, GiB, TiB)");
    if (digits == n)
        return group_fail(g, "memory needs a unit (MiB, GiB, TiB)");
    const char *unit = s + digits;
    size_t unit_len = n - digits;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (unit_len != strlen(units[i].name) || memcmp(unit, units[i].name, unit_len) != 0)
            continue;
        if (v == 0)
            return group_fail(g, "memory must be greater than 0");
        if (v > MAX_MEMORY_MIB / units[i].mib)
            return group_fail(g, "memory is too large");
        *mib = (int32_t)(v * units[i].mib);
        return 0;
    }
    return group_fail(g, "unknown memory unit (use MiB, GiB or TiB)");
}

/* Parses one group "COUNTx[MODEL-]MEMORY" into gpus[*count..], within AL__LOCAL_MAX_GPUS. */
static int parse_group(const struct group *g, struct al__local_gpu *gpus, size_t *count) {
    int64_t n;
    size_t digits = read_digits(g->text, g->len, AL__LOCAL_MAX_GPUS, &n);
    if (digits == 0)
        return group_fail(g, "count must be a positive integer (COUNTx[MODEL-]MEMORY)");
    if (digits == g->len || g->text[digits] != 'x')
        return group_fail(g, "expected COUNTx[MODEL-]MEMORY, e.g. 4x80GiB or 2xA100-80GiB");
    if (n == 0)
        return group_fail(g, "count must be at least 1");
    if (n > (int64_t)(AL__LOCAL_MAX_GPUS - *count))
        return group_fail(g, "too many GPUs (at most " STR(AL__LOCAL_MAX_GPUS) " in all)");
    const char *rest = g->text + digits + 1;
    size_t rest_len = g->len - digits - 1;
    const char *dash = NULL;
    for (size_t i = 0; i < rest_len; i++)
        if (rest[i] == '-')
            dash = rest + i;
    size_t model_len = dash ? (size_t)(dash - rest) : 0;
    const char *memory = dash ? dash + 1 : rest;
    if (dash && model_len == 0)
        return group_fail(g, "model is empty");
    if (model_len >= sizeof gpus[0].model)
        return group_fail(g, "model is longer than 63 characters");
    int32_t mib;
    int rc = parse_memory(g, memory, rest_len - (size_t)(memory - rest), &mib);
    if (rc < 0)
        return rc;
    for (int64_t i = 0; i < n; i++) {
        struct al__local_gpu *gpu = &gpus[(*count)++];
        gpu->memory_mib = mib;
        memcpy(gpu->model, rest, model_len);
        gpu->model[model_len] = '\0';
    }
    return 0;
}

int al__local_parse_gpus(const char *spec, struct al__local_machine *inv, char *err, size_t size) {
    struct al__local_gpu gpus[AL__LOCAL_MAX_GPUS];
    size_t count = 0;
    if (!spec || spec[0] == '\0') {
        if (err && size)
            snprintf(err, size, "--gpus: empty specification (e.g. 4x80GiB)");
        return -AL_EINVAL;
    }
    const char *p = spec;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        struct group g = {p, len, err, size};
        if (len == 0) {
            if (err && size)
                snprintf(err, size, "--gpus: \"%s\": empty group (a stray ',')", spec);
            return -AL_EINVAL;
        }
        int rc = parse_group(&g, gpus, &count);
        if (rc < 0)
            return rc;
        if (!end)
            break;
        p = end + 1;
    }
    memcpy(inv->gpus, gpus, count * sizeof gpus[0]);
    inv->gpu_count = count;
    inv->from_nvml = false;
    return 0;
}
