/* audit.h - allotd's audit log: one row per change made through the API (who, from where, what,
 * before -> after, outcome), written in the transaction of the change it records and chained by
 * hashes (audit_chain.c) so that an edited or removed row is found by al__audit_verify. */
#ifndef ALLOT_DAEMON_AUDIT_H
#define ALLOT_DAEMON_AUDIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/store.h"

struct allotd;

#define AL__AUDIT_HASH_HEX 65 /* BLAKE2b-256 as 64 hex digits and a NUL */

/* Who made a request and from where: subject is "KIND:NAME" ("token:admin" today; "user:NAME"
 * and "app:NAME" fit later), "unknown" when authentication failed; source is the client's
 * "IP:PORT". */
struct al__actor {
    char subject[96];
    char source[64];
};

/*
 * al__audit_append - in the caller's transaction (store lock held): one row saying that `by`
 * made `verb` ("create", "update", "delete", "submit", "suspend", "resume", ...) on the
 * resource `kind` ("project", "department", "workload") `project`/`name` (either may be NULL)
 * with `outcome` ("ok", "deleting"), the object before and after (owned: taken; NULL for
 * none). Its hash chains to the row before it. 0 or -AL_EIO (the caller rolls back).
 */
int al__audit_append(struct al__store *store, const struct al__actor *by, const char *verb,
                     const char *kind, const char *project, const char *name, const char *outcome,
                     json_t *before, json_t *after);

/* The end of the chain as a transaction sees it: the last row's sequence number and hash
 * (0 and "" for an empty log). */
struct al__audit_tail {
    int64_t seq;
    char hash[AL__AUDIT_HASH_HEX];
};

/* al__audit_tail_read - the end of the chain, in the caller's transaction. 0 or -AL_EIO. */
int al__audit_tail_read(struct al__store *store, struct al__audit_tail *tail);

/*
 * al__audit_append_text - al__audit_append() with before and after as JSON text already (may
 * be NULL; borrowed), after the row `tail` ends the chain with: a writer of many rows in one
 * transaction (the group commit of submits) reads the tail once. Advances *tail. 0 or -AL_EIO.
 */
int al__audit_append_text(struct al__store *store, struct al__audit_tail *tail,
                          const struct al__actor *by, const char *verb, const char *kind,
                          const char *project, const char *name, const char *outcome,
                          const char *before, const char *after);

/* al__audit_text - j as the compact JSON text an audit row keeps (keys sorted), or NULL for
 * NULL; releases j. The caller frees the text. */
char *al__audit_text(json_t *j);

/*
 * al__audit_denied - a request refused for its token (401) from `source` ("IP:PORT"), recorded
 * coalesced: the first refusal from an IP address in a window of AL__AUDIT_DENIED_WINDOW_S
 * seconds writes a row (its own transaction) counting the refusals from that address the
 * previous window left unwritten; the others in the window are only counted in memory. At most
 * AL__AUDIT_DENIED_SOURCES addresses are tracked (the oldest forgotten), and at most as many
 * rows are written a minute whatever the number of addresses (the rest only counted). Takes
 * the state lock briefly, the store lock only when it writes. Errors are not the client's:
 * ignored.
 */
#define AL__AUDIT_DENIED_WINDOW_S 60
#define AL__AUDIT_DENIED_SOURCES  256
void al__audit_denied(struct allotd *d, const char *source);

/* al__audit_append_own - one row in a transaction of its own (a refused sign-in): store lock
 * held. 0 or -AL_EIO. */
int al__audit_append_own(struct allotd *d, const struct al__actor *by, const char *verb,
                         const char *kind, const char *name, const char *outcome);

/* al__audit_change - al__audit_append() for the request a WRITES route is serving (d->audit_by;
 * "system" when there is none). */
int al__audit_change(struct allotd *d, const char *verb, const char *kind, const char *project,
                     const char *name, const char *outcome, json_t *before, json_t *after);

/* al__workload_audit_json - what the audit log keeps of a workload: its spec with the values
 * of its environment variables (env, exported_env) redacted, and its state. */
struct al__dworkload;
json_t *al__workload_audit_json(const struct al__dworkload *w);

/* A filter on the rows (NULL/negative: any). */
struct al__audit_filter {
    int64_t since_s;
    const char *subject;
    const char *project;
};

/* al__audit_list - the rows matching `filter`, oldest first, a page of them into *items (a new
 * array of objects, docs/api.md) and how many match into *total. 0 or -AL_EIO. */
int al__audit_list(struct al__store *store, const struct al__audit_filter *filter, int64_t limit,
                   int64_t offset, json_t **items, int64_t *total);

/* al__audit_verify - walks the chain: 0 with *bad_seq -1 when every row's hash is that of its
 * content and the hash before it and the sequence has no gap, else *bad_seq the first row that
 * does not (and `why` says how); *rows how many were checked. -AL_EIO on a store error. */
int al__audit_verify(struct al__store *store, int64_t *rows, int64_t *bad_seq, char *why,
                     size_t size);

#endif
