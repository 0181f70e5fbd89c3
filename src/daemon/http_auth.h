/* http_auth.h - the bearer-token check of a request, made as soon as its head has arrived. */
#ifndef ALLOT_DAEMON_HTTP_AUTH_H
#define ALLOT_DAEMON_HTTP_AUTH_H

#include <microhttpd.h>
#include <stdbool.h>

#include "daemon/api.h"
#include "daemon/daemon.h"

/*
 * al__http_authorise - whether the request on `conn` (its `method`, as the server gave it) carries
 * exactly one Authorization header with a token allotd knows (its entry in *who: the subject,
 * session and expiry). When not, `rep` gets the error: 400
 * for two or more headers, 401 for a missing, malformed or unknown token (no detail), 503 when a
 * legacy (Argon2id) check is already running. Takes no lock of allotd's state. Never logs the
 * header.
 */
bool al__http_authorise(struct allotd *d, struct MHD_Connection *conn, const char *method,
                        struct al__reply *rep, struct al__token_entry *who);

#endif
