/* oidc_rp.h - the relying party's state and the helpers its files share (oidc.c: caches and
 * token checks; login.c: the authorization-code flow). Internal to src/daemon/oidc. */
#ifndef ALLOT_DAEMON_OIDC_RP_H
#define ALLOT_DAEMON_OIDC_RP_H

#include <pthread.h>

#include "daemon/oidc/fetch.h"
#include "daemon/oidc/jose.h"
#include "daemon/oidc/oidc.h"

struct al__oidc {
    /* Fixed after al__oidc_new(): read without the lock. */
    char *issuer, *client_id, *client_secret, *redirect_uri, *scopes;
    char *username_claim, *groups_claim, *ca_file;
    int timeout_s, leeway_s, jwks_refetch_s, discovery_ttl_s;
    /* The caches, under `lock` (never held during a fetch). */
    pthread_mutex_t lock;
    struct al__oidc_discovery discovery; /* issuer NULL until fetched */
    long long discovery_at;              /* monotonic milliseconds */
    struct al__jwks jwks;
    long long jwks_at;  /* when the last JWKS fetch started, monotonic ms */
    bool jwks_fetching; /* a thread is fetching it: the others wait on jwks_fetched */
    pthread_cond_t jwks_fetched;
    unsigned long jwks_fetches;
};

/* Milliseconds of a monotonic clock. */
long long al__oidc_monotonic_ms(void);

/* A request to `url` with the configured CA file and timeout. */
void al__oidc_request_init(const struct al__oidc *rp, struct al__oidc_request *req,
                           const char *url);

/* A copy of the discovery document (release it), fetched when not cached or too old. */
int al__oidc_discovery_get(struct al__oidc *rp, struct al__oidc_discovery *out, char *err,
                           size_t errlen);

/* The issuer's key for (kid, alg), with a reference the caller drops (EVP_PKEY_free). */
int al__oidc_key_get(struct al__oidc *rp, const char *jwks_uri, const char *kid, enum al__jwa alg,
                     EVP_PKEY **key, bool *rsa, char *err, size_t errlen);

/* Verifies an ID token: signature, then claims (nonce when not NULL). */
int al__oidc_check_token(struct al__oidc *rp, const char *token, const char *nonce,
                         struct al__oidc_claims *claims, char *err, size_t errlen);

#endif
