/* sso.h - signing in through the company's identity provider (OpenID Connect, oidc/oidc.h):
 * allotd's options for it, the logins under way (a CLI polls for its tokens with a device code
 * while the person signs in in a browser, which the provider sends back to allotd's callback),
 * and the SSO users those logins make or update. */
#ifndef ALLOT_DAEMON_SSO_H
#define ALLOT_DAEMON_SSO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "daemon/oidc/oidc.h"
#include "daemon/token_table.h"

#define AL__SSO_LOGINS    64  /* logins under way at once (the oldest expired one is reused) */
#define AL__SSO_LOGIN_TTL 600 /* seconds a login may take */

/* allotd's --oidc-* options (borrowed from argv). */
struct al__sso_options {
    const char *issuer, *client_id, *secret_file, *redirect_uri, *username_claim, *groups_claim,
        *ca_file, *scopes, *jwks_refetch;
};

/* A login under way: the secrets of its flow, and once the browser came back its session
 * (waiting for the CLI to collect it) or why it failed. */
struct al__sso_login {
    unsigned char device[AL__DIGEST_SIZE]; /* the device code's digest; zero = free slot */
    struct al__oidc_pending pending;
    int64_t expires_s;
    enum { AL__SSO_WAITING, AL__SSO_DONE, AL__SSO_FAILED } state;
    char subject[AL__SUBJECT_MAX];
    struct al__issued issued;
    char error[256];
};

struct al__sso {
    struct al__oidc *rp; /* NULL: SSO is not configured */
    pthread_mutex_t lock;
    struct al__sso_login logins[AL__SSO_LOGINS];
};

/* al__sso_option - takes "--oidc-NAME VALUE" into o: true, or false for another option. */
bool al__sso_option(struct al__sso_options *o, const char *name, const char *value);

/*
 * al__sso_start - makes the relying party when --oidc-issuer was given (the callback defaults
 * to `base_url`/api/v1/sso/callback, allotd's own address); does nothing otherwise. 0, or -1
 * with a message naming the option in err.
 */
int al__sso_start(struct al__sso *sso, const struct al__sso_options *o, const char *base_url,
                  char *err, size_t size);
void al__sso_stop(struct al__sso *sso);

#endif
