/* builder.h - builds clusters in code for engine tests (add a job, then its tasks). */
#ifndef ALLOT_TESTS_BUILDER_H
#define ALLOT_TESTS_BUILDER_H

#include <stdint.h>

#include "allot/model.h"

/* All functions abort the test program when out of memory. */
void tb_init(struct al_cluster *c);

/* A node with `gpus` devices of 100 MiB (see tb_gpu_memory), cpu in millicores, memory bytes. */
int32_t tb_node(struct al_cluster *c, const char *name, int gpus, int64_t cpu, int64_t mem);
void tb_gpu_memory(struct al_cluster *c, int32_t node, int32_t memory_mib);
void tb_label(struct al_cluster *c, int32_t node, const char *key, const char *value);

/* A queue; amounts in engine units (milli-GPU), -1 = unlimited. cpu/memory deserved and
 * limits are unlimited, weights 1. */
int32_t tb_queue(struct al_cluster *c, const char *name, const char *parent, int64_t deserved_gpu,
                 int64_t limit_gpu, int64_t weight_gpu, int32_t priority);

/* A job (preemptible when priority < 100) with min_members (0 = elastic). */
int32_t tb_job(struct al_cluster *c, const char *name, const char *queue, int32_t priority,
               int32_t min_members);

/* A task of the last job: whole gpus or a portion in milli (gpus 0), on node (NULL = none),
 * 1 core and 1 GB. Devices of active tasks are given in `devices` (count = gpus or 1). */
int32_t tb_task(struct al_cluster *c, const char *name, enum al_task_state state, const char *node,
                int32_t gpus, int32_t gpu_milli, const int32_t *devices);

int32_t tb_find_task(const struct al_cluster *c, const char *name);
int32_t tb_find_node(const struct al_cluster *c, const char *name);
int32_t tb_find_queue(const struct al_cluster *c, const char *name);

#endif
