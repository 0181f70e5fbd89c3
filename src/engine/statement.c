/* statement.c - statements over the session's operation log (see statement.h). */
#include "engine/statement.h"

void al__statement_begin(struct al__statement *st, struct al__session *s) {
    st->session = s;
    st->start = al__session_checkpoint(s);
}

int al__statement_allocate(struct al__statement *st, int32_t t, int32_t node, const int32_t *gpus,
                           int32_t gpu_count, bool pipelined) {
    return al__session_place(st->session, t, node, gpus, gpu_count,
                             pipelined ? AL_TASK_PIPELINED : AL_TASK_ALLOCATED);
}

int al__statement_pipeline(struct al__statement *st, int32_t t) {
    return al__session_pipeline(st->session, t);
}

int al__statement_evict(struct al__statement *st, int32_t t, enum al_reason reason) {
    return al__session_evict(st->session, t, reason);
}

int al__statement_evict_for(struct al__statement *st, int32_t t, enum al_reason reason,
                            int32_t by_job) {
    return al__session_evict_for(st->session, t, reason, by_job);
}

int al__statement_unevict(struct al__statement *st, int32_t t) {
    return al__session_unevict(st->session, t);
}

size_t al__statement_checkpoint(const struct al__statement *st) {
    return al__session_checkpoint(st->session);
}

void al__statement_rollback(struct al__statement *st, size_t mark) {
    if (mark < st->start)
        mark = st->start;
    al__session_rollback(st->session, mark);
    AL__CHECK_INVARIANTS(st->session);
}

void al__statement_discard(struct al__statement *st) {
    al__session_rollback(st->session, st->start);
    AL__CHECK_INVARIANTS(st->session);
}

void al__statement_commit(struct al__statement *st) {
    st->start = al__session_checkpoint(st->session);
}
