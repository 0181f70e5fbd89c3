/* shuffle.h - permutes a cluster's arrays (nodes, queues, jobs, tasks) keeping its meaning. */
#ifndef ALLOT_TESTS_SHUFFLE_H
#define ALLOT_TESTS_SHUFFLE_H

#include "allot/model.h"

/* tb_shuffle - reorders every array of c with a seeded permutation and remaps every index
 * (task.node, task.job, job.queue, job.first_task, queue.parent). Aborts when out of memory. */
void tb_shuffle(struct al_cluster *c, unsigned seed);

#endif
