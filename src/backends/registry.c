/* registry.c - the kinds of backend allotd knows, and opening one. A new backend is one more
 * entry in al__backend_types. */
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"
#include "backends/kubernetes/kubernetes.h"
#include "backends/local/local.h"
#include "backends/sim/sim.h"

const struct al__backend_type *const al__backend_types[] = {
    &al__local_backend, &al__kubernetes_backend, &al__sim_backend, NULL};

const struct al__backend_type *al__backend_find(const char *name) {
    for (size_t i = 0; al__backend_types[i]; i++)
        if (strcmp(al__backend_types[i]->name, name) == 0)
            return al__backend_types[i];
    return NULL;
}

int al__backend_open(struct al__backend *b, const struct al__backend_type *type, const char *dir,
                     const struct al__backend_option *opts, size_t opt_count, char *err,
                     size_t size) {
    memset(b, 0, sizeof(*b));
    b->type = type;
    return type->open(b, dir, opts, opt_count, err, size);
}

size_t al__inventory_devices(const struct al__inventory *inv, size_t **first) {
    size_t devices = 0;
    *first = calloc(inv->node_count + 1, sizeof(**first));
    if (!*first)
        abort(); /* allotd's policy: out of memory ends it */
    for (size_t i = 0; i < inv->node_count; i++) {
        (*first)[i] = devices;
        devices += inv->nodes[i].gpu_count;
    }
    return devices;
}

void al__inventory_release(struct al__inventory *inv) {
    for (size_t i = 0; i < inv->node_count; i++) {
        struct al__node *n = &inv->nodes[i];
        for (size_t l = 0; l < n->label_count; l++) {
            free(n->labels[l].key);
            free(n->labels[l].value);
        }
        free(n->labels);
        free(n->gpus);
    }
    free(inv->nodes);
    for (size_t i = 0; i < inv->topology_count; i++) {
        for (size_t l = 0; l < inv->topologies[i].level_count; l++)
            free(inv->topologies[i].levels[l]);
        free(inv->topologies[i].levels);
        free(inv->topologies[i].name);
    }
    free(inv->topologies);
    memset(inv, 0, sizeof(*inv));
}

void al__backend_close(struct al__backend *b) {
    if (b->type)
        b->type->close(b);
    al__inventory_release(&b->inventory);
    b->type = NULL;
}
