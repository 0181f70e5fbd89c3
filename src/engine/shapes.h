/* shapes.h - the workload's shapes: the distinct requests (GPUs, CPU, memory, node affinity) of
 * the cluster's pending and active tasks, with how many tasks ask each. The most frequent,
 * covering 95 % of the tasks, are the "typical tasks" against which the allot placement
 * policy measures fragmentation (after the FGD paper, USENIX ATC '23). */
#ifndef ALLOT_ENGINE_SHAPES_H
#define ALLOT_ENGINE_SHAPES_H

#include <stdint.h>

struct al__session;

struct al__shape {
    int32_t task;   /* the first task (in index order) of this shape: its request, affinity */
    int64_t weight; /* tasks of this shape */
};

struct al__shapes {
    struct al__shape *typical; /* by weight, heaviest first, then by first task */
    int32_t typical_count;
    int32_t *shape_of; /* per task: its shape's id among all shapes, -1 when not counted */
    int32_t shape_count;
};

/* The share of tasks the typical shapes cover, in percent, and how many they are at most (a
 * workload of many rare shapes: each measure of a node costs one pass over them). */
#define AL__SHAPES_COVER_PERCENT 95
#define AL__SHAPES_MAX           64

/* al__shapes_build - the shapes of the session's cluster (session arena storage; tasks that
 * ended are not counted). O(tasks log tasks). Errors: -AL_ENOMEM. */
int al__shapes_build(struct al__session *s, struct al__shapes *out);

#endif
