/* openb.h - the FGD paper's replay of the Alibaba openb trace (shared/traces README §1.3): node
 * and pod lists read from CSV, the workload inflated to a share of the cluster's GPUs, pods
 * placed one at a time in a seeded shuffled order and never deleted, allocation and
 * fragmentation recorded at each arrived-workload level. */
#ifndef ALLOT_SIM_OPENB_H
#define ALLOT_SIM_OPENB_H

#include <stddef.h>
#include <stdint.h>

#include "engine/fit_policy.h"

/* A row of a node list (openb_node_list_*.csv). */
struct al__openb_node {
    char *name;
    int64_t cpu; /* millicores */
    int64_t mem; /* MiB */
    int32_t gpus;
    char *model; /* "" for a node without GPUs */
};

/* A row of a pod list (openb_pod_list_*.csv). */
struct al__openb_pod {
    char *name;
    int64_t cpu;
    int64_t mem;
    int32_t gpu_count;
    int32_t gpu_milli; /* per GPU; 0 for CPU-only pods */
    char *spec;        /* allowed models joined by '|', empty parts dropped; "" = any */
    int32_t line;      /* in its file, for messages */
};

struct al__openb_trace {
    struct al__openb_node *nodes;
    size_t node_count;
    struct al__openb_pod *pods;
    size_t pod_count;
};

/*
 * al__openb_nodes_read / al__openb_pods_read - read a node or pod list into t (appending to
 * nothing: each call fills its own half of t). Columns are found by their header names; others
 * are ignored. Returns 0, or -AL_EIO / -AL_EINVAL with "FILE:LINE: FIELD: reason" in err.
 * A gpu_spec naming a model that no node has is accepted (it matches no node).
 */
int al__openb_nodes_read(struct al__openb_trace *t, const char *path, char *err, size_t err_size);
int al__openb_pods_read(struct al__openb_trace *t, const char *path, char *err, size_t err_size);

/* al__openb_trace_release - frees both lists; t may be zeroed memory. */
void al__openb_trace_release(struct al__openb_trace *t);

struct al__openb_config {
    enum al__fit_policy policy;
    uint64_t seed;
    int64_t inflate_permille; /* the arriving workload's GPU request, per mille of the cluster's
                               * GPUs: 1300 for --inflate 1.3; 0 leaves the list as it is */
};

/* What a run measured. Percentages are of the cluster's GPU capacity unless said otherwise. */
struct al__openb_result {
    size_t pods;        /* arrived (original + inflated, or fewer when deflated) */
    size_t inflated;    /* re-sampled pods added (0 when deflated) */
    size_t placements;  /* placed */
    size_t failed;      /* fitted nowhere (not retried) */
    size_t shape_count; /* typical shapes (covering 95 % of the original pods) */
    int64_t capacity_milli;
    int64_t arrived_milli; /* requested by all arrived pods */
    int64_t used_milli;
    double final_allocation_pct;
    double final_fragmentation_pct;
    double final_frag_of_idle_pct;
    /* Per whole arrived percent k (0..level_count-1), the mean over the events (the start and
     * each arrival) whose arrived share rounds to k, or over k-1..k+1 when none does; NaN when
     * neither has events. */
    size_t level_count;
    double *allocation_pct;
    double *fragmentation_pct;
    double *frag_of_idle_pct;
};

/*
 * al__openb_run - one replay of t under c into *out (release it with
 * al__openb_result_release). Returns 0, or -AL_EINVAL with a message in err (no GPU in the
 * cluster, more than 64 GPU models, a node with more than 16 GPUs, no pods).
 */
int al__openb_run(const struct al__openb_trace *t, const struct al__openb_config *c,
                  struct al__openb_result *out, char *err, size_t err_size);

/* al__openb_result_release - frees the series; r may be zeroed memory. */
void al__openb_result_release(struct al__openb_result *r);

#endif
