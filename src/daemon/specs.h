/* specs.h - the JSON forms of queues and workloads, read and written (specs.c). */
#ifndef ALLOT_DAEMON_SPECS_H
#define ALLOT_DAEMON_SPECS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "daemon/state.h"

/* The longest time limit a workload may have: 10 years, in seconds. */
#define AL__MAX_TIME_LIMIT_S    315360000LL
#define AL__MAX_TIME_LIMIT_TEXT "315360000"

/* JSON forms of queues and workloads (specs.c), shared by the API and the store. */
json_t *al__queue_spec_json(const struct al__dqueue *q);
json_t *al__workload_spec_json(const struct al__wspec *s);
/* al__mig_asks_json - {"1g.10gb": 1, ...}: n MIG asks as the API writes them (new reference). */
json_t *al__mig_asks_json(const struct al__mig_ask *m, size_t n);
/* al__queue_read - the settings of a queue object (create or update body, or a stored spec)
 * applied to *q. `create`: "name" is allowed and required. Fills field/message on failure. */
int al__queue_read(struct al__state *st, const json_t *body, bool create, bool project,
                   struct al__dqueue *q, char *field, size_t fsize, char *msg, size_t msize);
/* al__wspec_read - a workload's request (submit body without name/project) into *s. */
int al__wspec_read(const json_t *body, struct al__wspec *s, char *field, size_t fsize, char *msg,
                   size_t msize);
/* al__label_text_ok - a Kubernetes label's value (1-63, or 0-63 with empty_ok, of A-Z, a-z,
 * 0-9, '-', '_', '.', starting and ending with a letter or digit); al__label_key_ok - a label's
 * key (such a name, with an optional DNS-like prefix and '/'). */
bool al__label_text_ok(const char *s, size_t len, bool empty_ok);
bool al__label_key_ok(const char *key);
/* al__wspec_release - frees what al__wspec_read allocated in *s. */
void al__wspec_release(struct al__wspec *s);

/* al__spec_fail - fills field and msg (a reader's refusal) and returns -AL_EINVAL;
 * al__spec_fail_err does so from a snapshot reader's error (its path is the field). */
struct al_snapshot_error;
int al__spec_fail(char *field, size_t fsize, char *msg, size_t msize, const char *f, const char *m);
int al__spec_fail_err(char *field, size_t fsize, char *msg, size_t msize,
                      const struct al_snapshot_error *e);

#endif
