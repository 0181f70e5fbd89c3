/* scenario.h - a snapshot with its expected outcome (conformance scenarios), and the checker. */
#ifndef ALLOT_SNAPSHOT_SCENARIO_H
#define ALLOT_SNAPSHOT_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "allot/cycle.h"
#include "allot/model.h"
#include "allot/snapshot.h"
#include "snapshot/json_read.h"
#include "snapshot/parse.h"

/*
 * Expected states use the vocabulary of conformance/SCHEMA.md: the task state names
 * ("pending", "allocated", "pipelined", "running", ...) plus "evicted". They are kept as
 * pointers to static strings and compared with strcmp().
 */

/* expect.tasks.<name> */
struct al_expect_task {
    int32_t task;      /* index of the cluster task */
    const char *state; /* static string */
    int32_t node;      /* the node it must be on, -1 = not checked */
    int32_t *node_in;  /* it must be on one of these, NULL = not checked */
    size_t node_in_count;
    char *gpu_group; /* device label, NULL = not checked */
};

/* One entry of expect.task_groups[].outcomes */
struct al_expect_outcome {
    const char *state;
    int32_t node; /* -1 = any node */
    int32_t count;
};

/* expect.task_groups[]: a multiset of outcomes for interchangeable tasks. */
struct al_expect_group {
    int32_t *tasks;
    size_t task_count;
    struct al_expect_outcome *outcomes;
    size_t outcome_count;
};

/* expect.same_node[]: tasks that must end on one node. */
struct al_expect_same_node {
    int32_t *tasks;
    size_t task_count;
};

/* expect.queues.<name>.fair_share, in engine units (milli-GPU, millicores, bytes). */
struct al_expect_queue {
    int32_t queue;
    bool has[AL_RESOURCE_COUNT];
    int64_t fair_share[AL_RESOURCE_COUNT];
};

/* expect.reservations[]: a reservation the cycle must make (the list is the whole set made). */
struct al_expect_reservation {
    int32_t job;
    int64_t start_s;
    int32_t *nodes; /* any order */
    size_t node_count;
};

struct al_expect {
    struct al_expect_task *tasks; /* in file order */
    size_t task_count;
    struct al_expect_group *groups;
    size_t group_count;
    struct al_expect_same_node *same_node;
    size_t same_node_count;
    struct al_expect_queue *queues;
    size_t queue_count;
    bool has_reservations; /* expect.reservations given (empty: none may be made) */
    struct al_expect_reservation *reservations;
    size_t reservation_count;
};

struct al_scenario {
    struct al_cluster cluster;
    bool has_expect;
    struct al_expect expect;
    struct al_gpu_label *labels; /* gpu_groups labels of the input, by node */
    size_t label_count;
};

/*
 * al_scenario_parse - reads a snapshot document with an optional `expect` member.
 * Returns 0, -AL_EINVAL (err filled: path and message, or line for syntax errors) or
 * -AL_ENOMEM. *scenario is zeroed on failure; release it with al_scenario_release().
 */
int al_scenario_parse(const char *text, size_t len, struct al_scenario *scenario,
                      struct al_snapshot_error *err);

/*
 * al_scenario_load - al_scenario_parse() of a file's contents. -AL_EIO when the file
 * cannot be read (err->message says why, err->path is "").
 */
int al_scenario_load(const char *path, struct al_scenario *scenario, struct al_snapshot_error *err);

/* al_scenario_release - frees everything; accepts a zeroed scenario. */
void al_scenario_release(struct al_scenario *scenario);

/*
 * al_scenario_check - compares a cycle's result (of al_cycle_run on scenario->cluster)
 * with the expectations. Returns true when every listed expectation holds; otherwise
 * false with the first difference as one line in diff (e.g. "task a-0: expected
 * allocated on node0, got pending"). Checks tasks, task groups, same_node, GPU groups,
 * then queue fair shares, then reservations. O(expectations * group sizes).
 */
bool al_scenario_check(const struct al_scenario *scenario, const struct al_result *result,
                       char *diff, size_t size);

/*
 * al_outcome_state_name - a task outcome in the expected vocabulary: "evicted" for a task
 * this cycle evicted (now releasing), otherwise al_task_state_name(state).
 */
const char *al_outcome_state_name(const struct al_task_outcome *outcome);

/* Internal: the parser of the `expect` member (scenario_expect.c). */
int al__expect_parse(const struct al__json *expect, const struct al_cluster *cluster,
                     struct al_expect *out, struct al_snapshot_error *err);
void al__expect_release(struct al_expect *expect);

#endif
