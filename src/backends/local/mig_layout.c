/* mig_layout.c - the local backend's --mig-layout: MIG instances by profile that its virtual
 * nodes offer, declared (never discovered from NVML), so that MIG workloads can be tried on one
 * machine; allotd numbers the instances each task holds (docs/allotd.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "allot/model.h"
#include "backends/local/local.h"

static int mig_cmp(const void *a, const void *b) {
    return strcmp(((const struct al__node_mig *)a)->profile,
                  ((const struct al__node_mig *)b)->profile);
}

/* One layout, "PROFILE=COUNT,..." of n characters ("" for none), into node (NULL: check only). */
static int layout_read(const char *text, size_t n, struct al__node *node, char *err, size_t size) {
    struct al__node_mig migs[AL__NODE_MIGS_MAX];
    size_t count = 0;
    for (size_t at = 0; at < n;) {
        const char *item = text + at, *comma = memchr(item, ',', n - at);
        size_t len = comma ? (size_t)(comma - item) : n - at;
        const char *eq = memchr(item, '=', len);
        char profile[sizeof(migs[0].profile)], number[16];
        size_t plen = eq ? (size_t)(eq - item) : 0, nlen = eq ? len - plen - 1 : 0;
        char *end = NULL;
        long v = -1;
        if (eq && plen < sizeof(profile) && nlen > 0 && nlen < sizeof(number)) {
            snprintf(profile, sizeof(profile), "%.*s", (int)plen, item);
            snprintf(number, sizeof(number), "%.*s", (int)nlen, eq + 1);
            v = strtol(number, &end, 10);
        }
        if (v < 1 || v > 4096 || *end || al_mig_profile_gpus(profile) < 0) {
            snprintf(err, size,
                     "--mig-layout: \"%.*s\": give PROFILE=COUNT, PROFILE <G>g.<M>gb (G 1-7) and "
                     "COUNT 1..4096, e.g. 1g.10gb=7",
                     (int)len, item);
            return -AL_EINVAL;
        }
        for (size_t k = 0; k < count; k++)
            if (strcmp(migs[k].profile, profile) == 0) {
                snprintf(err, size, "--mig-layout: %s given twice for one node", profile);
                return -AL_EINVAL;
            }
        if (count == AL__NODE_MIGS_MAX) {
            snprintf(err, size, "--mig-layout: at most %d profiles per node", AL__NODE_MIGS_MAX);
            return -AL_EINVAL;
        }
        memset(&migs[count], 0, sizeof(migs[count]));
        snprintf(migs[count].profile, sizeof(migs[count].profile), "%s", profile);
        migs[count++].count = (int32_t)v;
        at += len + (comma ? 1 : 0);
    }
    if (node) {
        qsort(migs, count, sizeof(migs[0]), mig_cmp);
        memcpy(node->migs, migs, count * sizeof(migs[0]));
        node->mig_count = count;
    }
    return 0;
}

int al__local_mig_layout(const char *spec, size_t nodes, struct al__inventory *inv, char *err,
                         size_t size) {
    size_t layouts = 1;
    for (const char *p = spec; *p; p++)
        layouts += *p == ';';
    if (layouts > 1 && layouts != nodes) {
        snprintf(err, size,
                 "--mig-layout: %zu layouts separated by ';' for %zu nodes: give one for every "
                 "node, or one per node",
                 layouts, nodes);
        return -AL_EINVAL;
    }
    const char *at = spec;
    for (size_t k = 0; k < layouts; k++) {
        const char *semi = strchr(at, ';');
        size_t len = semi ? (size_t)(semi - at) : strlen(at);
        for (size_t i = 0; i < nodes; i++)
            if ((layouts == 1 || i == k) &&
                layout_read(at, len, inv ? &inv->nodes[i] : NULL, err, size) < 0)
                return -AL_EINVAL;
        if (!inv && layouts == 1)
            break;
        at += len + (semi ? 1 : 0);
    }
    return 0;
}
