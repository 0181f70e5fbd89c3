/* oidc.h - allotd's OpenID Connect relying party: the authorization-code flow with PKCE against
 * one configured issuer (discovery, JWKS with key rotation, ID token checks), and the check of a
 * bare ID token presented by a CI job. */
#ifndef ALLOT_DAEMON_OIDC_H
#define ALLOT_DAEMON_OIDC_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Blocking and threads: every function below is thread-safe (the caches are locked inside, never
 * during network I/O; while one thread fetches the issuer's keys, the others that need them wait
 * for that fetch rather than start their own). al__oidc_begin(), al__oidc_finish() and
 * al__oidc_verify() may block on the network: each HTTP request to the issuer (discovery, JWKS,
 * token endpoint) is bounded by `timeout_s` (connect included), and one call makes at most three of
 * them. Hold none of allotd's own locks while calling them. Nothing secret (client secret, code,
 * tokens, verifier) is ever logged or put in an error message.
 *
 * Error messages: every fallible function writes a one-line English message naming what was
 * wrong into `err` (NUL-terminated, truncated to errlen) and returns 0 or a negative AL_E code:
 * -AL_EINVAL a refused token, response or configuration; -AL_EIO the issuer could not be
 * reached or answered with an HTTP error; -AL_ENOMEM.
 */

/* Defaults al__oidc_config_init() sets. */
#define AL__OIDC_SCOPES_DEFAULT         "openid profile email groups"
#define AL__OIDC_USERNAME_CLAIM_DEFAULT "preferred_username"
#define AL__OIDC_GROUPS_CLAIM_DEFAULT   "groups"
#define AL__OIDC_TIMEOUT_DEFAULT        5    /* seconds per HTTP request */
#define AL__OIDC_LEEWAY_DEFAULT         60   /* seconds of clock skew allowed on exp, iat, nbf */
#define AL__OIDC_JWKS_REFETCH_DEFAULT   10   /* least seconds between two JWKS fetches for a kid */
#define AL__OIDC_DISCOVERY_TTL_DEFAULT  3600 /* seconds a discovery document is kept */

/*
 * What al__oidc_new() needs. Strings are borrowed for the call (copied). issuer, client_id and
 * redirect_uri are required; the client secret is `client_secret` or the first line of
 * `client_secret_file` (one of them; a public client with neither is refused). The issuer and
 * every endpoint it names must be https, or http on a loopback address (tests).
 */
struct al__oidc_config {
    const char *issuer; /* compared exactly with discovery's and the tokens' `iss` */
    const char *client_id;
    const char *client_secret;
    const char *client_secret_file;
    const char *redirect_uri; /* allotd's callback, e.g. https://host:port/api/v1/sso/callback */
    const char *scopes;       /* space separated; must contain openid */
    /* The claim naming the user; when absent from a token: preferred_username, then email when
     * email_verified is true, then sub. */
    const char *username_claim;
    const char *groups_claim; /* an array of strings; absent means no groups */
    const char *ca_file;      /* PEM bundle to trust for the issuer; NULL: the system's */
    int timeout_s;
    int leeway_s;
    int jwks_refetch_s; /* an unknown kid refetches the JWKS at most this often */
    int discovery_ttl_s;
};

/* Fills `cfg` with NULLs and the defaults above. */
void al__oidc_config_init(struct al__oidc_config *cfg);

struct al__oidc;

/* What a login's start gives back, for the caller to keep (server side, keyed by the state, or
 * in a cookie it encrypts and authenticates) until the browser returns to the callback, and to
 * forget then or after a few minutes (the issuer's codes live about 10): all three are secret
 * base64url text, never to be logged. */
struct al__oidc_pending {
    char state[48];
    char nonce[48];
    char verifier[48]; /* PKCE code_verifier (43 characters, 256 random bits) */
};

/* What a verified ID token says. Every string is NUL-terminated and owned by the struct. The
 * subject is what identifies the user at the issuer for good (key SSO users by issuer and
 * subject); the user name is for people to read and may change or be reused. */
struct al__oidc_claims {
    char *subject;  /* sub */
    char *username; /* the configured claim, else preferred_username, else a verified email,
                       else sub */
    char *email;    /* NULL when absent */
    bool email_verified;
    char **groups; /* the groups claim's strings, in its order */
    size_t group_count;
    long long expires; /* exp, seconds since the epoch */
};

/*
 * al__oidc_new - a relying party for `cfg`, checked but not yet in touch with the issuer
 * (discovery happens on first use, so allotd starts while the issuer is down). Reads
 * client_secret_file. *out on success; free with al__oidc_free().
 */
int al__oidc_new(const struct al__oidc_config *cfg, struct al__oidc **out, char *err,
                 size_t errlen);

/* Frees `rp` and its caches; NULL is accepted. No call may be in progress. */
void al__oidc_free(struct al__oidc *rp);

/*
 * al__oidc_begin - starts a login: fresh random state, nonce and PKCE verifier into *pending,
 * and the issuer's authorization URL to send the browser to (response_type=code, S256
 * challenge) into *url (malloc'd; the caller frees it). Fetches discovery when not cached.
 */
int al__oidc_begin(struct al__oidc *rp, struct al__oidc_pending *pending, char **url, char *err,
                   size_t errlen);

/*
 * al__oidc_finish - finishes a login from the callback's query parameters: `code`, `state`
 * and `iss` (RFC 9207; NULL when the issuer sent none) against what al__oidc_begin() gave.
 * Checks the state, exchanges the code at the token endpoint (client_secret_basic, or
 * client_secret_post where discovery offers only that; with the PKCE verifier), then verifies
 * the ID token: signature with the issuer's key named by `kid` (an unknown kid refetches the
 * JWKS, so keys rotated at the issuer work), iss, aud and azp, exp, iat, nbf, nonce.
 * On success fills *claims (release with al__oidc_claims_release()).
 */
int al__oidc_finish(struct al__oidc *rp, const struct al__oidc_pending *pending, const char *code,
                    const char *state, const char *iss, struct al__oidc_claims *claims, char *err,
                    size_t errlen);

/*
 * al__oidc_verify - verifies a bare ID token (a token-exchange grant: a CI job presents the
 * token its platform gave it): the same checks as al__oidc_finish() but no nonce; the audience
 * must include this client id. On success fills *claims.
 */
int al__oidc_verify(struct al__oidc *rp, const char *id_token, struct al__oidc_claims *claims,
                    char *err, size_t errlen);

/* Frees what `claims` holds and zeroes it; a zeroed struct is accepted. */
void al__oidc_claims_release(struct al__oidc_claims *claims);

/* How many times the JWKS was fetched (for tests and metrics). */
unsigned long al__oidc_jwks_fetches(struct al__oidc *rp);

#endif
