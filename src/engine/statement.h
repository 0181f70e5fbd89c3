/* statement.h - a unit of tentative work in a session: operations that commit or roll back
 * together. */
#ifndef ALLOT_ENGINE_STATEMENT_H
#define ALLOT_ENGINE_STATEMENT_H

#include <stddef.h>

#include "engine/session.h"

/*
 * A statement groups the operations (allocate, pipeline, evict, unevict) that an action
 * tries out; actions change the session only through statements (scripts/check enforces
 * it). Checkpoints inside it allow partial rollback; discard undoes all of it; commit keeps
 * it. Statements nest: an inner statement's commit only hands its operations to the
 * enclosing one. Undo restores node, GPU, queue, job and task accounting exactly
 * (tests/engine/test_statement.c checks this).
 */
struct al__statement {
    struct al__session *session;
    size_t start; /* log position when the statement began */
};

void al__statement_begin(struct al__statement *st, struct al__session *s);

/* al__statement_allocate - places pending task t on node/gpus, ALLOCATED or PIPELINED. */
int al__statement_allocate(struct al__statement *st, int32_t t, int32_t node, const int32_t *gpus,
                           int32_t gpu_count, bool pipelined);

/* al__statement_pipeline - an ALLOCATED task becomes PIPELINED. */
int al__statement_pipeline(struct al__statement *st, int32_t t);

/* al__statement_evict - an active task starts releasing its resources, for `reason`. */
int al__statement_evict(struct al__statement *st, int32_t t, enum al_reason reason);

/* al__statement_evict_for - al__statement_evict on behalf of job by_job (a victim search). */
int al__statement_evict_for(struct al__statement *st, int32_t t, enum al_reason reason,
                            int32_t by_job);

/* al__statement_unevict - a task evicted in this cycle keeps its place after all. */
int al__statement_unevict(struct al__statement *st, int32_t t);

size_t al__statement_checkpoint(const struct al__statement *st);
void al__statement_rollback(struct al__statement *st, size_t mark);
void al__statement_discard(struct al__statement *st);
void al__statement_commit(struct al__statement *st);

#endif
