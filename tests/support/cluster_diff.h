/* cluster_diff.h - deep comparison of two clusters that names the first difference. */
#ifndef ALLOT_TESTS_CLUSTER_DIFF_H
#define ALLOT_TESTS_CLUSTER_DIFF_H

#include <stdbool.h>
#include <stddef.h>

#include "allot/model.h"

/*
 * tb_cluster_equal - true when every field, string and array of a and b is equal
 * (names compared as strings, NULL equal only to NULL). Otherwise false with the first
 * difference in diff, e.g. "tasks[3].gpu_milli: 500 != 700".
 */
bool tb_cluster_equal(const struct al_cluster *a, const struct al_cluster *b, char *diff,
                      size_t size);

#endif
