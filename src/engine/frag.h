/* frag.h - GPU fragmentation as the FGD paper measures it (Weng et al., USENIX ATC '23): a node's
 * free state, a request, the typical-shape distribution, and how much of a node's idle GPU
 * capacity those shapes could not use. Integers only; no I/O. */
#ifndef ALLOT_ENGINE_FRAG_H
#define ALLOT_ENGINE_FRAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The most GPUs a node view holds (the openb trace has at most 8 per node). */
#define AL__FIT_MAX_GPUS 16
/* One milli-GPU unit is a thousandth of a device: a whole GPU is this many. */
#define AL__FIT_MILLI 1000
/* A request's `models` that accepts every node, GPU-less nodes included. */
#define AL__FIT_ANY_MODEL UINT64_MAX
/* The most model ids a `models` mask names (bit i: model id i). */
#define AL__FIT_MAX_MODELS 64

/*
 * What a node has free, as placement policies see it. `model` is the id of the node's GPU
 * model (0..63, the caller's numbering), or -1 for a node without GPUs.
 */
struct al__fit_node {
    int64_t cpu_free; /* millicores */
    int64_t mem_free; /* MiB */
    int32_t model;
    int32_t gpu_count;                  /* devices, 0..AL__FIT_MAX_GPUS */
    int32_t gpu_free[AL__FIT_MAX_GPUS]; /* free milli-GPU per device, 0..1000 */
};

/*
 * One task's request. A fractional request has gpu_count 1 and gpu_milli below 1000; a
 * request of k > 1 GPUs has gpu_milli 1000 (whole devices); a CPU-only one has both 0.
 * `models` has bit i set for each model id allowed, or is AL__FIT_ANY_MODEL; a mask of 0
 * (only models that no node has) fits nowhere.
 */
struct al__fit_request {
    int64_t cpu; /* millicores */
    int64_t mem; /* MiB */
    int32_t gpu_count;
    int32_t gpu_milli; /* per device */
    uint64_t models;
};

/* al__fit_model_ok - whether a node of GPU model `model` (-1: none) satisfies `models`. */
bool al__fit_model_ok(uint64_t models, int32_t model);

/* al__fit_gpus_ok - whether n has gpu_count devices with gpu_milli free each. O(devices). */
bool al__fit_gpus_ok(const struct al__fit_node *n, int32_t gpu_count, int32_t gpu_milli);

/* al__fit_feasible - whether r fits on n now: CPU, memory, model and devices. O(devices). */
bool al__fit_feasible(const struct al__fit_node *n, const struct al__fit_request *r);

/* al__fit_gpu_free_total - n's free milli-GPU over all its devices. */
int64_t al__fit_gpu_free_total(const struct al__fit_node *n);

/*
 * al__fit_apply - takes r from n on the devices of gpu_mask (bit i: device i, each losing
 * r->gpu_milli). The caller has checked that it fits (al__fit_feasible and the mask).
 */
void al__fit_apply(struct al__fit_node *n, const struct al__fit_request *r, uint32_t gpu_mask);

/*
 * A typical task shape and its weight in the workload (a count of tasks, or any other
 * non-negative integer weight). Memory is not part of a shape, as in the paper.
 */
struct al__frag_shape {
    int64_t cpu;
    int32_t gpu_count;
    int32_t gpu_milli;
    uint64_t models;
    int64_t weight;
};

/*
 * The typical-shape distribution with a memo of node fragmentation by node state. Caller's
 * memory: al__frag_shapes_init, then al__frag_shapes_release.
 */
struct al__frag_shapes {
    struct al__frag_shape *shapes;
    size_t count;
    int64_t total_weight; /* sum of the weights, > 0 */
    int64_t *cpu_levels;  /* the shapes' distinct CPU requests, ascending */
    size_t cpu_level_count;
    struct al__frag_memo_slot *memo; /* open addressing; NULL when it could not be allocated */
    size_t memo_cap;                 /* a power of two */
    size_t memo_used;
};

/*
 * al__frag_shapes_init - copies `count` shapes (weights >= 0 summing to more than 0, at most
 * 255 distinct CPU requests) into fs. Returns 0, -AL_EINVAL for a bad distribution, or
 * -AL_ENOMEM (fs untouched on failure).
 */
int al__frag_shapes_init(struct al__frag_shapes *fs, const struct al__frag_shape *shapes,
                         size_t count);

/* al__frag_shapes_release - frees what init allocated; fs may be zeroed memory. */
void al__frag_shapes_release(struct al__frag_shapes *fs);

/*
 * al__frag_node - the node's fragmentation in weighted milli-GPU: for every shape, the node's
 * idle milli-GPU that the shape could not use, times the shape's weight, summed. Divide by
 * total_weight for the paper's figure in milli-GPU. A shape cannot use all of the idle GPU
 * when it is CPU-only (the paper counts all idle GPU then), when the node's model is not
 * allowed, when its CPU does not fit, or when too few devices have its milli-GPU free; when
 * it fits, it still cannot use the devices with less than its milli-GPU free. Memory is not
 * considered. O(shapes x devices).
 */
int64_t al__frag_node(const struct al__frag_shapes *fs, const struct al__fit_node *n);

/*
 * al__frag_node_memo - the same figure, memoised by the node's state (model, which CPU
 * levels fit, its devices' free milli-GPU as a multiset): O(devices) on a hit. Not thread-safe.
 */
int64_t al__frag_node_memo(struct al__frag_shapes *fs, const struct al__fit_node *n);

#endif
