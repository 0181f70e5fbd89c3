/* sessions.h - sign-ins: a session holds an access token (a bearer token that expires) and, for
 * people, a refresh token that gets a new pair; both kept as BLAKE2b digests in the store and
 * in the token table, revoked by logging out or by the subject's deletion. */
#ifndef ALLOT_DAEMON_SESSIONS_H
#define ALLOT_DAEMON_SESSIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/audit.h"
#include "daemon/daemon.h"

/* al__sessions_load - the sessions not revoked and not yet expired into the token table. */
int al__sessions_load(struct allotd *d);

/*
 * al__session_issue - a new session for `subject` (its access token lives d->token_ttl_s; with
 * `refreshable` a refresh token d->refresh_ttl_s), stored with an audit row saying `by` logged
 * in `how` ("password", "client_credentials", "sso"), in a transaction of its own: takes the
 * store lock (call with no lock held). 0 or -AL_EIO. Wipe *out after use.
 */
int al__session_issue(struct allotd *d, const struct al__actor *by, const char *subject,
                      const char *how, bool refreshable, struct al__issued *out);

/*
 * al__session_refresh - a refresh token (`len` bytes) still valid gives its session a new pair
 * (the old ones stop working): 0 with *out and the session's subject in `subject`; -1 when the
 * token is unknown, expired or revoked; -AL_EIO on a store failure. Takes the store lock.
 */
int al__session_refresh(struct allotd *d, const struct al__actor *by, const char *token, size_t len,
                        struct al__issued *out, char *subject, size_t size);

/* al__session_revoke - logs a session out (its tokens stop working at once), with an audit
 * row. Takes the store lock. 0 or -AL_EIO. */
int al__session_revoke(struct allotd *d, const struct al__actor *by, int64_t session_id);

/* al__sessions_revoke_subject - in the caller's transaction (store lock held): every session
 * of the subject revoked; its tokens leave the table. 0 or -AL_EIO. */
int al__sessions_revoke_subject(struct allotd *d, const char *subject);

/* al__token_make - a new random token "allot_<43 base64url characters>" and its digest. */
void al__token_make(char token[AL__TOKEN_TEXT_MAX], unsigned char digest[AL__DIGEST_SIZE]);

#endif
