/* claims.c - the checks of an ID token's claims (OpenID Connect Core 3.1.3.7: iss, aud, azp,
 * exp, iat, nbf, nonce) and what allotd takes from it: subject, user name, email, groups. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "allot/errors.h"
#include "daemon/oidc/jose.h"

#define CLAIM_MAX     255  /* bytes of a subject, user name, email or group name */
#define GROUPS_MAX    1024 /* groups in one token */
#define AUDIENCES_MAX 64   /* entries of an aud array */

/* A string claim of 1..CLAIM_MAX bytes without NUL; NULL otherwise. */
static const char *short_string(json_t *v) {
    if (!json_is_string(v))
        return NULL;
    size_t len = json_string_length(v);
    const char *s = json_string_value(v);
    return len > 0 && len <= CLAIM_MAX && strlen(s) == len ? s : NULL;
}

static bool equal_secret(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    return la == lb && sodium_memcmp(a, b, la) == 0;
}

static int check_issuer(json_t *p, const struct al__idtoken_expect *want, char *err,
                        size_t errlen) {
    json_t *iss = json_object_get(p, "iss");
    if (!json_is_string(iss)) {
        snprintf(err, errlen, "the ID token has no \"iss\" string");
        return -AL_EINVAL;
    }
    if (strcmp(json_string_value(iss), want->issuer) != 0) {
        char q[100];
        al__oidc_quote(json_string_value(iss), 80, q, sizeof(q));
        snprintf(err, errlen, "the ID token's issuer \"%s\" is not the configured issuer", q);
        return -AL_EINVAL;
    }
    return 0;
}

/* aud holds the client id; with several audiences azp must name it (Core 3.1.3.7, 3-5). */
static int check_audience(json_t *p, const struct al__idtoken_expect *want, char *err,
                          size_t errlen) {
    json_t *aud = json_object_get(p, "aud"), *azp = json_object_get(p, "azp");
    size_t count = 1;
    bool found = false;
    char q[100] = "";
    if (json_is_string(aud)) {
        found = strcmp(json_string_value(aud), want->client_id) == 0;
        al__oidc_quote(json_string_value(aud), 80, q, sizeof(q));
    } else if (json_is_array(aud) && json_array_size(aud) > 0 &&
               json_array_size(aud) <= AUDIENCES_MAX) {
        count = json_array_size(aud);
        for (size_t i = 0; i < count; i++) {
            json_t *a = json_array_get(aud, i);
            if (!json_is_string(a)) {
                snprintf(err, errlen, "the ID token's \"aud\" array holds a non-string");
                return -AL_EINVAL;
            }
            found = found || strcmp(json_string_value(a), want->client_id) == 0;
        }
        al__oidc_quote(json_string_value(json_array_get(aud, 0)), 80, q, sizeof(q));
    } else {
        snprintf(err, errlen,
                 "the ID token's \"aud\" is not a string or an array of 1 to %d "
                 "strings",
                 AUDIENCES_MAX);
        return -AL_EINVAL;
    }
    if (!found) {
        snprintf(err, errlen, "ID token audience \"%s\"%s is not this client", q,
                 count > 1 ? " (and others)" : "");
        return -AL_EINVAL;
    }
    if (azp && (!json_is_string(azp) || strcmp(json_string_value(azp), want->client_id) != 0)) {
        snprintf(err, errlen, "the ID token's authorized party (azp) is not this client");
        return -AL_EINVAL;
    }
    if (count > 1 && !azp) {
        snprintf(err, errlen,
                 "the ID token has several audiences and no \"azp\" naming this "
                 "client");
        return -AL_EINVAL;
    }
    return 0;
}

/* A NumericDate claim (RFC 7519, 2) in whole seconds; -1 when absent, -2 when malformed. */
static long long numeric_date(json_t *p, const char *name) {
    json_t *v = json_object_get(p, name);
    if (!v)
        return -1;
    if (!json_is_number(v))
        return -2;
    double d = json_number_value(v);
    if (!isfinite(d) || d < 0 || d > 253402300799.0) /* 9999-12-31 */
        return -2;
    return (long long)d;
}

static int check_times(json_t *p, const struct al__idtoken_expect *want, long long *expires,
                       char *err, size_t errlen) {
    long long exp = numeric_date(p, "exp"), iat = numeric_date(p, "iat");
    long long nbf = numeric_date(p, "nbf");
    long long now = want->now, leeway = want->leeway_s;
    const char *bad = exp < 0 ? "exp" : iat < 0 ? "iat" : nbf == -2 ? "nbf" : NULL;
    long long value = exp < 0 ? exp : iat < 0 ? iat : nbf;
    if (bad) {
        snprintf(err, errlen, "the ID token's \"%s\" is %s", bad,
                 value == -1 ? "missing" : "not a valid time");
        return -AL_EINVAL;
    }
    if (now > exp + leeway) {
        snprintf(err, errlen, "the ID token expired %lld s ago", now - exp);
        return -AL_EINVAL;
    }
    if (iat > now + leeway) {
        snprintf(err, errlen, "the ID token is issued %lld s in the future (clock skew?)",
                 iat - now);
        return -AL_EINVAL;
    }
    if (nbf >= 0 && nbf > now + leeway) {
        snprintf(err, errlen, "the ID token is not valid before %lld s from now", nbf - now);
        return -AL_EINVAL;
    }
    *expires = exp;
    return 0;
}

static int check_nonce(json_t *p, const char *nonce, char *err, size_t errlen) {
    if (!nonce)
        return 0;
    json_t *v = json_object_get(p, "nonce");
    if (!json_is_string(v)) {
        snprintf(err, errlen, "the ID token has no \"nonce\" (this login sent one)");
        return -AL_EINVAL;
    }
    if (!equal_secret(json_string_value(v), nonce)) {
        snprintf(err, errlen, "the ID token's nonce is not this login's (a replayed token?)");
        return -AL_EINVAL;
    }
    return 0;
}

/* The groups claim: absent is no groups; anything but an array of short strings is refused. */
static int read_groups(json_t *p, const char *claim, struct al__oidc_claims *c, char *err,
                       size_t errlen) {
    json_t *g = json_object_get(p, claim);
    if (!g)
        return 0;
    char q[60];
    al__oidc_quote(claim, 40, q, sizeof(q));
    if (!json_is_array(g) || json_array_size(g) > GROUPS_MAX) {
        snprintf(err, errlen,
                 "the ID token's groups claim \"%s\" is not an array of at most %d "
                 "strings",
                 q, GROUPS_MAX);
        return -AL_EINVAL;
    }
    size_t n = json_array_size(g);
    if (n && !(c->groups = calloc(n, sizeof(char *))))
        return -AL_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const char *s = short_string(json_array_get(g, i));
        if (!s) {
            snprintf(err, errlen,
                     "the ID token's groups claim \"%s\" holds an entry that is not "
                     "a string of 1 to %d bytes",
                     q, CLAIM_MAX);
            return -AL_EINVAL;
        }
        if (!(c->groups[i] = strdup(s)))
            return -AL_ENOMEM;
        c->group_count++;
    }
    return 0;
}

static int read_identity(json_t *p, const struct al__idtoken_expect *want,
                         struct al__oidc_claims *c, char *err, size_t errlen) {
    const char *sub = short_string(json_object_get(p, "sub"));
    if (!sub) {
        snprintf(err, errlen,
                 "the ID token's \"sub\" is missing or not a string of 1 to %d "
                 "bytes",
                 CLAIM_MAX);
        return -AL_EINVAL;
    }
    const char *email = short_string(json_object_get(p, "email"));
    const char *name = short_string(json_object_get(p, want->username_claim));
    /* An address the issuer has not verified may be anyone's: never a user name. */
    c->email_verified = email && json_is_true(json_object_get(p, "email_verified"));
    if (!name)
        name = short_string(json_object_get(p, "preferred_username"));
    if (!name)
        name = c->email_verified ? email : sub;
    if (!(c->subject = strdup(sub)) || !(c->username = strdup(name)) ||
        (email && !(c->email = strdup(email))))
        return -AL_ENOMEM;
    return 0;
}

int al__idtoken_check(json_t *payload, const struct al__idtoken_expect *want,
                      struct al__oidc_claims *out, char *err, size_t errlen) {
    struct al__oidc_claims c = {0};
    int rc;
    if ((rc = check_issuer(payload, want, err, errlen)) != 0 ||
        (rc = check_audience(payload, want, err, errlen)) != 0 ||
        (rc = check_times(payload, want, &c.expires, err, errlen)) != 0 ||
        (rc = check_nonce(payload, want->nonce, err, errlen)) != 0 ||
        (rc = read_identity(payload, want, &c, err, errlen)) != 0 ||
        (rc = read_groups(payload, want->groups_claim, &c, err, errlen)) != 0) {
        if (rc == -AL_ENOMEM)
            snprintf(err, errlen, "out of memory reading the ID token's claims");
        al__oidc_claims_release(&c);
        return rc;
    }
    *out = c;
    return 0;
}

void al__oidc_claims_release(struct al__oidc_claims *claims) {
    free(claims->subject);
    free(claims->username);
    free(claims->email);
    for (size_t i = 0; i < claims->group_count; i++)
        free(claims->groups[i]);
    free(claims->groups);
    memset(claims, 0, sizeof(*claims));
}
