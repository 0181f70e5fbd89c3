/* fetch.h - the OIDC module's HTTP requests to its issuer (libcurl): bounded in time and size, no
 * redirects followed, https or loopback http only. */
#ifndef ALLOT_DAEMON_OIDC_FETCH_H
#define ALLOT_DAEMON_OIDC_FETCH_H

#include <stddef.h>

/* A request: GET when `form` is NULL, else a POST of application/x-www-form-urlencoded `form`.
 * `basic_user` and `basic_password` (both or neither) send HTTP Basic authentication. */
struct al__oidc_request {
    const char *url;
    const char *form;
    const char *basic_user;
    const char *basic_password;
    const char *ca_file; /* NULL: the system's trust store */
    int timeout_s;
};

/*
 * al__oidc_fetch - performs `req`; on success *status is the HTTP status and *body the answer
 * (malloc'd, NUL-terminated, at most AL__JOSE_DOC_MAX bytes: more is an error). -AL_EIO with a
 * message naming `what` and the transport error when no answer came.
 */
int al__oidc_fetch(const struct al__oidc_request *req, const char *what, long *status, char **body,
                   size_t *len, char *err, size_t errlen);

#endif
