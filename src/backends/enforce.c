/* enforce.c - the variables of a task run under liballot-cuda.so (see enforce.h). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "backends/enforce.h"
#include "util/xalloc.h"

bool al__enforce_shares(const struct al__task_start *s) {
    return s->gpu_count > 0 && (s->gpu_milli > 0 || s->gpu_memory_mib > 0);
}

/* Device d's cap in MiB. */
static int64_t device_cap(const struct al__node *node, const struct al__task_start *s, size_t d) {
    int32_t device = s->gpus[d];
    int64_t memory =
        device >= 0 && (size_t)device < node->gpu_count ? node->gpus[device].memory_mib : 0;
    if (s->gpu_milli > 0)
        return memory * s->gpu_milli / 1000;
    return s->gpu_memory_mib;
}

static void memory_limits(const struct al__node *node, const struct al__task_start *s, char *out,
                          size_t size) {
    bool same = true;
    size_t used = 0;
    for (size_t d = 1; d < s->gpu_count; d++)
        same = same && device_cap(node, s, d) == device_cap(node, s, 0);
    for (size_t d = 0; d < (same ? 1 : s->gpu_count) && used < size; d++)
        used += (size_t)snprintf(out + used, size - used, "%s%lld", d ? "," : "",
                                 (long long)device_cap(node, s, d));
}

void al__enforce_env_of(const struct al__node *node, const struct al__task_start *s,
                        const char *scope, struct al__enforce_env *out) {
    memset(out, 0, sizeof(*out));
    if (!al__enforce_shares(s))
        return;
    memory_limits(node, s, out->memory_limit_mib, sizeof(out->memory_limit_mib));
    snprintf(out->ledger, sizeof(out->ledger), "%.32s%s%lld-%d-%d", scope ? scope : "",
             scope && scope[0] ? "-" : "", (long long)s->key.workload_id, (int)s->key.index,
             (int)s->run);
}

/* Whether the space- or colon-separated list `list` names `item`. */
static bool list_has(const char *list, const char *item) {
    size_t n = strlen(item);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, " :");
        if (len == n && memcmp(p, item, n) == 0)
            return true;
        p += len + (p[len] != '\0');
    }
    return false;
}

char *al__enforce_preload(const char *library, const char *task_preload) {
    if (!task_preload || !task_preload[0] || list_has(task_preload, library))
        return al__xstrdup(task_preload && task_preload[0] ? task_preload : library);
    size_t len = strlen(library) + 1 + strlen(task_preload) + 1;
    char *v = al__xmalloc(len);
    snprintf(v, len, "%s %s", library, task_preload);
    return v;
}
