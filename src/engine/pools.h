/* pools.h - node pools: one scheduling cycle per pool, each over its own nodes and jobs. */
#ifndef ALLOT_ENGINE_POOLS_H
#define ALLOT_ENGINE_POOLS_H

#include <stdbool.h>

#include "allot/cycle.h"
#include "util/arena.h"

/*
 * al__cycle_run_pools - al_cycle_run for a cluster with node pools. Each pool (the default
 * pool, nodes and jobs with none, first; then by name) is a partition: its nodes, the jobs
 * that run or want to run there, and the whole queue tree with each queue's quota for that
 * pool. The partitions are scheduled one after the other with ws, and their results merged
 * into one with the cluster's indices (decisions in pool order, explanations in job order,
 * queue outcomes summed over pools and kept per pool in result->pools).
 * Errors: as al_cycle_run; -AL_EINVAL also when the active tasks of one job sit on nodes of
 * different pools.
 */
int al__cycle_run_pools(struct al_workspace *ws, const struct al_cluster *c, struct al_result *out);

/* al__result_storage_new - (cycle.c) an empty result whose memory is *arena, freed by
 * al_result_release. -AL_ENOMEM. */
int al__result_storage_new(struct al_result *r, struct al__arena **arena);

#endif
