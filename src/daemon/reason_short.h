/* reason_short.h - why a workload waits as a short code in Slurm's style (QuotaLimit,
 * FairShare, Gang, NoFit, Priority, MinRuntime...) with the cause in one sentence: what the
 * REASON column and the first words of `describe` show. */
#ifndef ALLOT_DAEMON_REASON_SHORT_H
#define ALLOT_DAEMON_REASON_SHORT_H

#include <stddef.h>

#include "allot/cycle.h"
#include "daemon/daemon.h"

/* The longest short code, with its NUL. */
#define AL__REASON_SHORT_MAX 16

/*
 * al__reason_short - the short code for the engine's explanation x of workload w (its queues'
 * figures of the cycle already in d->state), and in `cause` a sentence that says the real
 * cause in the user's terms where the engine's words do not (the project at its fair share,
 * the time min-runtime protection ends at the earliest); "" in `cause` otherwise.
 */
const char *al__reason_short(const struct allotd *d, const struct al__dworkload *w,
                             const struct al_explanation *x, char *cause, size_t size);

#endif
