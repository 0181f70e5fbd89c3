/* synth.h - a seeded generator of synthetic clusters for the benchmarks: nodes, GPU models,
 * CPU-only nodes, node pools and labels, a queue tree, running and pending jobs. */
#ifndef ALLOT_BENCH_SYNTH_H
#define ALLOT_BENCH_SYNTH_H

#include <stdint.h>

#include "allot/model.h"

struct synth_params {
    uint64_t seed;
    int32_t nodes;           /* all nodes */
    int32_t gpu_nodes;       /* nodes with GPUs (the first ones); the rest are CPU-only */
    int32_t gpus_per_node;   /* devices per GPU node */
    int32_t gpu_models;      /* 1..4: H100-80GiB, A100-40GiB, L40S-48GiB, T4-16GiB, by node */
    int32_t pools;           /* node pools (also the label "pool"); 0 = none */
    int32_t zones;           /* values of the label "zone"; 0 = no label */
    int64_t node_cpu_millis; /* allocatable CPU of every node */
    int64_t node_memory_bytes;
    int32_t departments; /* top-level queues */
    int32_t projects;    /* leaf queues under each department */
    int32_t teams;       /* optional middle level: teams per department (0 = none) */
    /* Running work: GPU nodes are filled to gpu_running_pct percent of their devices;
     * CPU-only nodes get cpu_pods_per_node running one-task CPU jobs. */
    int32_t gpu_running_pct;
    int32_t cpu_pods_per_node;
    /* Pending work: about pending_tasks tasks in jobs of 1..max_gang tasks. */
    int32_t pending_tasks;
    int32_t max_gang;
    int32_t fraction_pct;     /* tasks asking a portion of one device */
    int32_t memory_pct;       /* tasks asking GPU memory */
    int32_t multi_device_pct; /* of the shared requests: on 2 devices */
    int32_t selector_pct;     /* tasks with a node selector (pool or zone) */
    int32_t preemptible_pct;  /* jobs at priority 50 (the rest at 100) */
    int32_t pending_cpu_pct;  /* pending tasks that ask no GPU */
    int32_t multi_gpu_pct;    /* of the whole-GPU requests: 2, 4 or 8 devices (else 1); -1 =
                               * 1, 2, 4 or 8 evenly */
};

/* synth_params_init - a small default shape (64 GPU nodes, 8 departments x 4 projects). */
void synth_params_init(struct synth_params *p);

/* synth_build - the cluster of the parameters (deterministic for a seed); every action
 * configured. Aborts when out of memory. Release with al_cluster_release(). */
void synth_build(const struct synth_params *p, struct al_cluster *c);

/* Building blocks for shapes that place work by hand; each aborts when out of memory. */
int32_t synth_add_node(struct al_cluster *c, const char *name, int32_t gpus, int32_t memory_mib,
                       int64_t cpu, int64_t memory_bytes);
int32_t synth_add_queue(struct al_cluster *c, const char *name, int32_t parent,
                        int64_t deserved_gpu);
int32_t synth_add_job(struct al_cluster *c, const char *name, int32_t queue, int32_t priority,
                      int32_t min_members, int64_t created_s);
/* A task of the last job: whole gpus or a portion (gpu_milli); on node with devices when
 * node >= 0 (running), else pending. */
int32_t synth_add_task(struct al_cluster *c, int32_t node, int32_t gpus, int32_t gpu_milli,
                       const int32_t *devices, int64_t cpu_millis, int64_t memory_bytes);
/* A topology "dc" of levels[0..count) (outermost first) then kubernetes.io/hostname: fan[k]
 * domains of level k in each of level k - 1, consecutive nodes together (as allotd's local
 * --topology); every node labelled. */
void synth_add_topology(struct al_cluster *c, const char *const *levels, const int32_t *fan,
                        size_t count);

#endif
