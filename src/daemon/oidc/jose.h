/* jose.h - the OIDC module's parts that read untrusted text with no network: compact JWS tokens,
 * JWK sets and their signature check (RFC 7515, 7517, 7518), ID token claims (OpenID Connect
 * Core 3.1.3.7) and the discovery document. Each is a fuzz target's input. */
#ifndef ALLOT_DAEMON_OIDC_JOSE_H
#define ALLOT_DAEMON_OIDC_JOSE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "daemon/oidc/oidc.h"

#define AL__JWT_MAX      16384  /* bytes of a token's compact form */
#define AL__JOSE_DOC_MAX 262144 /* bytes of a discovery, JWKS or token response document */

/* The signature algorithms accepted: asymmetric only (none and HS* never). */
enum al__jwa {
    AL__JWA_RS256,
    AL__JWA_RS384,
    AL__JWA_RS512,
    AL__JWA_PS256,
    AL__JWA_ES256,
    AL__JWA_COUNT
};

/* Fills *out from a JWA name; -AL_EINVAL naming it (and the accepted ones) otherwise. */
int al__jwa_from_name(const char *name, enum al__jwa *out, char *err, size_t errlen);

/*
 * Decodes unpadded base64url `text` (len bytes) into a malloc'd buffer (*out, *out_len; one
 * NUL byte after the data). -AL_EINVAL on any other character, padding or a bad length.
 */
int al__b64url_decode(const char *text, size_t len, unsigned char **out, size_t *out_len);

/* A compact JWS split and decoded; the header and payload are JSON objects. */
struct al__jws {
    json_t *header;
    json_t *payload;
    enum al__jwa alg;
    const char *kid; /* in `header`; NULL when the token names none */
    unsigned char *signature;
    size_t signature_len;
    char *signing_input; /* header.payload as sent, NUL-terminated */
    size_t signing_input_len;
};

/*
 * al__jws_parse - splits `token` (len bytes, at most AL__JWT_MAX) into its three parts and
 * decodes them: -AL_EINVAL with a message for a wrong part count, bad base64url, a header or
 * payload that is not a JSON object, an algorithm not accepted, `crit`, or a kid not a string.
 */
int al__jws_parse(const char *token, size_t len, struct al__jws *out, char *err, size_t errlen);
void al__jws_release(struct al__jws *jws);

/* One public key of an issuer. */
struct al__jwk {
    char *kid;    /* NULL when the key has none */
    bool any_alg; /* the key names no alg */
    enum al__jwa alg;
    bool rsa; /* else EC P-256 */
    EVP_PKEY *key;
};

struct al__jwks {
    struct al__jwk *keys;
    size_t count;
};

/*
 * al__jwks_parse - the signing keys of a JWK set document (RSA of 2048 bits or more, EC P-256):
 * keys for encryption (use: enc), of other types or algorithms are skipped; a malformed key
 * refuses the whole document (-AL_EINVAL naming the key), as does a document with no keys.
 */
int al__jwks_parse(const char *text, size_t len, struct al__jwks *out, char *err, size_t errlen);
void al__jwks_release(struct al__jwks *set);

/*
 * al__jwks_find - the key that may check a token of algorithm `alg` naming `kid`: the key with
 * that kid; with kid NULL, the only key fit for alg. NULL when there is none.
 */
const struct al__jwk *al__jwks_find(const struct al__jwks *set, const char *kid, enum al__jwa alg);

/* al__jws_verify - checks jws's signature with `key`: 0, or -AL_EINVAL with a message. */
int al__jws_verify(const struct al__jws *jws, EVP_PKEY *key, bool key_rsa, char *err,
                   size_t errlen);

/* What an ID token must say. */
struct al__idtoken_expect {
    const char *issuer;
    const char *client_id;
    const char *nonce; /* NULL: not checked (a bare token) */
    const char *username_claim;
    const char *groups_claim;
    long long now;
    int leeway_s;
};

/*
 * al__idtoken_check - checks an ID token's payload (iss, aud, azp, exp, iat, nbf, sub, nonce)
 * and fills *out; -AL_EINVAL with a message naming the claim otherwise (*out untouched).
 */
int al__idtoken_check(json_t *payload, const struct al__idtoken_expect *want,
                      struct al__oidc_claims *out, char *err, size_t errlen);

/* The parts of a discovery document (OpenID Connect Discovery 1.0, 3) the flow uses. */
struct al__oidc_discovery {
    char *issuer;
    char *authorization_endpoint;
    char *token_endpoint;
    char *jwks_uri;
    bool secret_post; /* the issuer takes client_secret_post, not client_secret_basic */
};

/*
 * al__oidc_discovery_parse - reads a discovery document for `issuer`: its issuer must equal
 * `issuer` exactly, the endpoints must be allowed URLs (al__oidc_url_allowed()), `code` among
 * the response types, S256 among the PKCE methods when the list is given.
 */
int al__oidc_discovery_parse(const char *text, size_t len, const char *issuer,
                             struct al__oidc_discovery *out, char *err, size_t errlen);
void al__oidc_discovery_release(struct al__oidc_discovery *d);

/* Whether `url` is https, or http to a loopback address (127.0.0.0/8, [::1], localhost). */
bool al__oidc_url_allowed(const char *url);

/* Copies `text` into `out` (errlen bytes) with every byte that is not printable ASCII replaced
 * by '?', at most `max` bytes of it: for quoting what an issuer or a token said. */
void al__oidc_quote(const char *text, size_t max, char *out, size_t outlen);

#endif
