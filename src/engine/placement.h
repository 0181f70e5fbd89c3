/* placement.h - choosing a node and GPU devices for one task (binpack/spread, pack/spread). */
#ifndef ALLOT_ENGINE_PLACEMENT_H
#define ALLOT_ENGINE_PLACEMENT_H

#include <stdbool.h>

#include "engine/session.h"

struct al__choice {
    int32_t node;
    bool pipelined;      /* relies on capacity being released, or joins a pipelined device */
    const int32_t *gpus; /* device indices (session scratch: valid until the next call) */
    int32_t gpu_count;
};

/* al__node_matches - the node's labels satisfy the task's node affinity. */
bool al__node_matches(const struct al_node *node, const struct al_task *task);

/*
 * al__placement_find - the best node for pending task t under the cycle's config.
 * Node preference, strongest first (SCHEMA.md rule 4): a partly used shared device the
 * task fits on (shared-GPU tasks, when shared_gpu_node_preference); fitting on free
 * capacity rather than on capacity being released; CPU-only tasks on nodes without
 * GPUs; gpu_placement / cpu_placement; node name. Returns true and fills *out when a
 * node fits. O(nodes * devices).
 */
bool al__placement_find(struct al__session *s, int32_t t, struct al__choice *out);

/*
 * al__placement_shortfall - fills the NO_NODE_FITS fields of *e for task t: its
 * request, the most free of each resource on any node whose labels match, and how
 * many nodes match.
 */
void al__placement_shortfall(const struct al__session *s, int32_t t, struct al_explanation *e);

#endif
