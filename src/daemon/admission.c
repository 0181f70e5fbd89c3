/* admission.c - a submitted request judged against the inventory (admission.h): one task must
 * fit one node as a whole, or the submit is refused, naming what no node has and how much the
 * largest has. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "allot/errors.h"
#include "daemon/admission.h"
#include "snapshot/report.h"

#define ANYWAY_HINT                                                                                \
    " (submit with queue_anyway, allot's --queue-anyway, to queue it for nodes yet to join)"

/* The most the nodes offer, each figure on its own (it may be on different nodes). */
struct largest {
    size_t gpus;         /* devices on one node */
    int32_t device_mib;  /* memory of one device */
    size_t devices_with; /* devices with the request's memory per device, on one node */
    int64_t cpu_millis, memory_bytes;
};

/* Devices of node n with at least `mib` of memory each (all of them for 0). */
static size_t devices_with(const struct al__node *n, int32_t mib) {
    size_t count = 0;
    for (size_t g = 0; g < n->gpu_count; g++)
        count += n->gpus[g].memory_mib >= mib;
    return count;
}

/* The devices one task of s needs on its node: whole GPUs, or those its share spans. */
static size_t devices_needed(const struct al__wspec *s) {
    if (s->gpus > 0)
        return (size_t)s->gpus;
    return s->gpu_milli > 0 || s->gpu_memory_mib > 0 ? (size_t)s->gpu_device_count : 0;
}

/* MIG instances of `profile` node n offers (cordoned or not). */
static int32_t migs_offered(const struct al__node *n, const char *profile) {
    for (size_t m = 0; m < n->mig_count; m++)
        if (strcmp(n->migs[m].profile, profile) == 0)
            return n->migs[m].count;
    return 0;
}

/* Whether node n offers every MIG instance one task of s asks. */
static bool migs_fit(const struct al__node *n, const struct al__wspec *s) {
    for (int32_t m = 0; m < s->mig_profiles; m++)
        if (migs_offered(n, s->migs[m].profile) < s->migs[m].count)
            return false;
    return true;
}

static bool fits(const struct al__node *n, const struct al__wspec *s) {
    return devices_needed(s) <= devices_with(n, s->gpu_memory_mib) && migs_fit(n, s) &&
           s->cpu_millis <= n->cpu_millis && s->memory_bytes <= n->memory_bytes;
}

static struct largest largest_of(const struct al__inventory *inv, const struct al__wspec *s) {
    struct largest l = {0, 0, 0, 0, 0};
    for (size_t i = 0; i < inv->node_count; i++) {
        const struct al__node *n = &inv->nodes[i];
        size_t with = devices_with(n, s->gpu_memory_mib);
        l.gpus = n->gpu_count > l.gpus ? n->gpu_count : l.gpus;
        l.devices_with = with > l.devices_with ? with : l.devices_with;
        l.cpu_millis = n->cpu_millis > l.cpu_millis ? n->cpu_millis : l.cpu_millis;
        l.memory_bytes = n->memory_bytes > l.memory_bytes ? n->memory_bytes : l.memory_bytes;
        for (size_t g = 0; g < n->gpu_count; g++)
            if (n->gpus[g].memory_mib > l.device_mib)
                l.device_mib = n->gpus[g].memory_mib;
    }
    return l;
}

static int refuse(char *field, size_t fsize, const char *name, char *msg, size_t msize,
                  const char *text) {
    snprintf(field, fsize, "%s", name);
    snprintf(msg, msize, "%s" ANYWAY_HINT, text);
    return -AL_EINVAL;
}

/* "4 GPUs, 64 cores and 200 GiB of memory": what one task of s asks for, for a message. */
static void request_text(const struct al__wspec *s, char *buf, size_t size) {
    char parts[3][96], cpu[48], memory[48];
    size_t n = 0;
    if (s->gpus > 0)
        snprintf(parts[n++], sizeof(parts[0]), "%d GPU%s", (int)s->gpus, s->gpus == 1 ? "" : "s");
    else if (s->gpu_memory_mib > 0)
        snprintf(parts[n++], sizeof(parts[0]), "%d MiB on each of %d GPUs", (int)s->gpu_memory_mib,
                 (int)s->gpu_device_count);
    else if (s->gpu_milli > 0)
        snprintf(parts[n++], sizeof(parts[0]), "a share of %d GPUs", (int)s->gpu_device_count);
    else if (s->mig_profiles > 0)
        snprintf(parts[n++], sizeof(parts[0]), "%d MIG profile%s", (int)s->mig_profiles,
                 s->mig_profiles == 1 ? "" : "s");
    al_amount_text(AL_CPU, s->cpu_millis, true, cpu, sizeof(cpu));
    al_amount_text(AL_MEMORY, s->memory_bytes, true, memory, sizeof(memory));
    if (s->cpu_millis > 0)
        snprintf(parts[n++], sizeof(parts[0]), "%s", cpu);
    if (s->memory_bytes > 0)
        snprintf(parts[n++], sizeof(parts[0]), "%s of memory", memory);
    snprintf(buf, size, "%s%s%s%s%s", n > 0 ? parts[0] : "",
             n > 2   ? ", "
             : n > 1 ? " and "
                     : "",
             n > 1 ? parts[1] : "", n > 2 ? " and " : "", n > 2 ? parts[2] : "");
}

/* Why no node fits one task of s: the figure no node has, else the combination. */
static int explain(const struct al__inventory *inv, const struct al__wspec *s, char *field,
                   size_t fsize, char *msg, size_t msize) {
    struct largest l = largest_of(inv, s);
    char text[384], want[48], have[48];
    if (s->gpus > 0 && (size_t)s->gpus > l.gpus) {
        snprintf(text, sizeof(text), "no node can ever hold %d GPUs per task: the largest has %zu",
                 (int)s->gpus, l.gpus);
        return refuse(field, fsize, "gpu", msg, msize, text);
    }
    for (int32_t m = 0; m < s->mig_profiles; m++) {
        const struct al__mig_ask *a = &s->migs[m];
        int32_t most = 0;
        for (size_t i = 0; i < inv->node_count; i++) {
            int32_t offered = migs_offered(&inv->nodes[i], a->profile);
            most = offered > most ? offered : most;
        }
        if (most >= a->count)
            continue;
        if (most == 0)
            snprintf(text, sizeof(text), "no node offers MIG instances of %s", a->profile);
        else
            snprintf(text, sizeof(text),
                     "no node can ever hold %d x %s per task: the most one node offers is %d",
                     (int)a->count, a->profile, (int)most);
        return refuse(field, fsize, "mig", msg, msize, text);
    }
    if (s->gpu_memory_mib > l.device_mib) {
        snprintf(text, sizeof(text),
                 "no GPU can ever hold %d MiB per device: the largest has %d MiB",
                 (int)s->gpu_memory_mib, (int)l.device_mib);
        return refuse(field, fsize, "gpu_memory_mib", msg, msize, text);
    }
    if (s->gpus == 0 && devices_needed(s) > l.devices_with) {
        if (s->gpu_memory_mib > 0)
            snprintf(text, sizeof(text),
                     "no node can ever hold %d MiB on each of %d GPUs per task: the most one "
                     "node has with that much memory is %zu",
                     (int)s->gpu_memory_mib, (int)s->gpu_device_count, l.devices_with);
        else
            snprintf(text, sizeof(text),
                     "no node can ever hold a share of %d GPUs per task: the largest has %zu",
                     (int)s->gpu_device_count, l.devices_with);
        return refuse(field, fsize, "gpu_device_count", msg, msize, text);
    }
    if (s->cpu_millis > l.cpu_millis || s->memory_bytes > l.memory_bytes) {
        bool cpu = s->cpu_millis > l.cpu_millis;
        al_amount_text(cpu ? AL_CPU : AL_MEMORY, cpu ? s->cpu_millis : s->memory_bytes, true, want,
                       sizeof(want));
        al_amount_text(cpu ? AL_CPU : AL_MEMORY, cpu ? l.cpu_millis : l.memory_bytes, true, have,
                       sizeof(have));
        snprintf(text, sizeof(text), "no node can ever hold %s%s per task: the largest has %s",
                 want, cpu ? " of CPU" : " of memory", have);
        return refuse(field, fsize, cpu ? "cpu_millis" : "memory_bytes", msg, msize, text);
    }
    char request[300];
    request_text(s, request, sizeof(request));
    snprintf(text, sizeof(text),
             "no node can ever hold one task's %s together: each node lacks some of it", request);
    return refuse(field, fsize, "", msg, msize, text);
}

int al__admission_check(const struct al__inventory *inv, const json_t *body,
                        const struct al__wspec *spec, char *field, size_t fsize, char *msg,
                        size_t msize) {
    const json_t *anyway = json_object_get(body, "queue_anyway");
    if (anyway && !json_is_boolean(anyway)) {
        snprintf(field, fsize, "queue_anyway");
        snprintf(msg, msize, "must be true or false");
        return -AL_EINVAL;
    }
    if (json_is_true(anyway) || inv->node_count == 0)
        return 0;
    for (size_t i = 0; i < inv->node_count; i++)
        if (fits(&inv->nodes[i], spec))
            return 0;
    return explain(inv, spec, field, fsize, msg, msize);
}
