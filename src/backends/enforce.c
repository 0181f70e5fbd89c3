/* enforce.c - the variables of a task run under liballot-cuda.so (see enforce.h). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "backends/enforce.h"
#include "util/xalloc.h"

bool al__enforce_shares(const struct al__task_start *s) {
    return s->gpu_count > 0 && (s->gpu_milli > 0 || s->gpu_memory_mib > 0);
}

bool al__enforce_dynamic(const struct al__task_start *s) {
    return (s->gpu_milli > 0 && s->gpu_milli_limit > s->gpu_milli) ||
           (s->gpu_memory_mib > 0 && s->gpu_memory_limit_mib > s->gpu_memory_mib);
}

/* Device d's cap in MiB: its request, or (limit) its dynamic fraction's limit, never above the
 * device's memory. */
static int64_t device_cap(const struct al__node *node, const struct al__task_start *s, size_t d,
                          bool limit) {
    int32_t device = s->gpus[d];
    int64_t memory =
        device >= 0 && (size_t)device < node->gpu_count ? node->gpus[device].memory_mib : 0;
    if (s->gpu_milli > 0)
        return memory * (limit && s->gpu_milli_limit > 0 ? s->gpu_milli_limit : s->gpu_milli) /
               1000;
    if (limit && s->gpu_memory_limit_mib > 0)
        return memory > 0 && s->gpu_memory_limit_mib > memory ? memory : s->gpu_memory_limit_mib;
    return s->gpu_memory_mib;
}

static void memory_caps(const struct al__node *node, const struct al__task_start *s, bool limit,
                        char *out, size_t size) {
    bool same = true;
    size_t used = 0;
    for (size_t d = 1; d < s->gpu_count; d++)
        same = same && device_cap(node, s, d, limit) == device_cap(node, s, 0, limit);
    for (size_t d = 0; d < (same ? 1 : s->gpu_count) && used < size; d++)
        used += (size_t)snprintf(out + used, size - used, "%s%lld", d ? "," : "",
                                 (long long)device_cap(node, s, d, limit));
}

/* One device segment per device of the machine, named by allotd's scope, the node and the
 * device: every task sharing that device names the same. */
static void device_ledgers(const struct al__task_start *s, const char *scope, char *out,
                           size_t size) {
    size_t used = 0;
    for (size_t d = 0; d < s->gpu_count && used < size; d++)
        used += (size_t)snprintf(out + used, size - used, "%s%.32s%sn%zu-g%d", d ? "," : "",
                                 scope ? scope : "", scope && scope[0] ? "-" : "", s->node,
                                 (int)s->gpus[d]);
}

void al__enforce_env_of(const struct al__node *node, const struct al__task_start *s,
                        const char *scope, struct al__enforce_env *out) {
    memset(out, 0, sizeof(*out));
    if (!al__enforce_shares(s))
        return;
    memory_caps(node, s, al__enforce_dynamic(s), out->memory_limit_mib,
                sizeof(out->memory_limit_mib));
    /* Every share registers its request on its devices (a plain one with request = limit), so
     * that a task with a dynamic fraction never grows into it. */
    memory_caps(node, s, false, out->memory_request_mib, sizeof(out->memory_request_mib));
    device_ledgers(s, scope, out->device_ledger, sizeof(out->device_ledger));
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
