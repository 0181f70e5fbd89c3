/* inventory.c - the Kubernetes backend's inventory: Nodes (allocatable capacity, pools, GPU
 * devices, MIG instances) less what other schedulers' pods hold there, and KAI's Topology
 * objects as the inventory's topologies (see kube.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/model.h"
#include "backends/kubernetes/kube.h"
#include "util/xalloc.h"

static int by_node_name(const void *a, const void *b) {
    return strcmp(((const struct al__node *)a)->name, ((const struct al__node *)b)->name);
}

struct al__node *al__kube_inventory_node(struct al__inventory *inv, const char *name) {
    struct al__node key;
    snprintf(key.name, sizeof(key.name), "%s", name);
    return bsearch(&key, inv->nodes, inv->node_count, sizeof(key), by_node_name);
}

static bool finished(const struct al__kube_pod *p) {
    return p->phase == AL__POD_SUCCEEDED || p->phase == AL__POD_FAILED;
}

static int by_topology_name(const void *a, const void *b) {
    return strcmp(((const struct al_topology *)a)->name, ((const struct al_topology *)b)->name);
}

/* KAI's Topology objects as the inventory's topologies, by name. */
static void inventory_topologies(struct al__kube *k, struct al__inventory *out) {
    json_t *all = al__kube_cache_all(k->watches[AL__KUBE_TOPOLOGIES].cache), *o;
    size_t i;
    char err[512];
    out->topologies = al__xcalloc(json_array_size(all) + 1, sizeof(*out->topologies));
    json_array_foreach(all, i, o) {
        char **aliases;
        struct al_topology *t = &out->topologies[out->topology_count];
        if (out->topology_count == AL_MAX_TOPOLOGIES) {
            fprintf(stderr, "allotd: kubernetes: more than %d topologies: the others not used\n",
                    AL_MAX_TOPOLOGIES);
            break;
        }
        if (al__kube_topology_read(o, t, &aliases, err, sizeof(err)) < 0) {
            fprintf(stderr, "allotd: kubernetes: %s; not used\n", err);
            continue;
        }
        for (size_t l = 0; l < t->level_count; l++)
            free(aliases[l]);
        free(aliases);
        out->topology_count++;
    }
    json_decref(all);
    qsort(out->topologies, out->topology_count, sizeof(*out->topologies), by_topology_name);
}

void al__kube_inventory(struct al__kube *k, struct al__inventory *out) {
    json_t *all = al__kube_cache_all(k->watches[AL__KUBE_NODES].cache), *o;
    size_t i;
    char err[512];
    memset(out, 0, sizeof(*out));
    out->nodes = al__xcalloc(json_array_size(all) + 1, sizeof(*out->nodes));
    json_array_foreach(all, i, o) {
        bool schedulable;
        struct al__node *n = &out->nodes[out->node_count];
        if (al__kube_node_read(o, k->pool_label[0] ? k->pool_label : NULL, n, &schedulable, err,
                               sizeof(err)) < 0) {
            fprintf(stderr, "allotd: kubernetes: %s; not used\n", err);
        } else {
            n->unschedulable = !schedulable; /* cordoned or not Ready: its pods stay */
            out->node_count++;
        }
    }
    json_decref(all);
    qsort(out->nodes, out->node_count, sizeof(*out->nodes), by_node_name);
    inventory_topologies(k, out);
    for (size_t p = 0; p < k->pods.capacity; p++) { /* other schedulers' pods hold capacity */
        const struct al__kube_pod_entry *e = k->pods.values[p];
        if (!k->pods.keys[p] || e->ours || e->reservation || !e->pod.node[0] || finished(&e->pod))
            continue;
        struct al__node *n = al__kube_inventory_node(out, e->pod.node);
        if (!n)
            continue;
        n->cpu_millis = n->cpu_millis > e->pod.cpu_millis ? n->cpu_millis - e->pod.cpu_millis : 0;
        n->memory_bytes =
            n->memory_bytes > e->pod.memory_bytes ? n->memory_bytes - e->pod.memory_bytes : 0;
        n->gpu_count = n->gpu_count > (size_t)e->pod.gpus ? n->gpu_count - (size_t)e->pod.gpus : 0;
        for (size_t a = 0; a < e->pod.mig_profiles; a++)
            for (size_t m = 0; m < n->mig_count; m++)
                if (strcmp(n->migs[m].profile, e->pod.migs[a].profile) == 0)
                    n->migs[m].count = n->migs[m].count > e->pod.migs[a].count
                                           ? n->migs[m].count - e->pod.migs[a].count
                                           : 0;
    }
}
