/* login.c - the authorization-code flow with PKCE (OpenID Connect Core 3.1, RFC 7636): the
 * authorization URL a login starts with, and the code exchanged at the token endpoint. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "allot/errors.h"
#include "daemon/oidc/oidc_rp.h"

#define CODE_MAX 4096

/* 32 random bytes as 43 characters of base64url. */
static void random_text(char out[48]) {
    unsigned char raw[32];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(out, 48, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* Appends `s` percent-encoded (all but RFC 3986's unreserved characters) to buf. */
static void append_encoded(char *buf, size_t cap, size_t *len, const char *s) {
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '.' || c == '_' || c == '~';
        if (*len + 4 > cap)
            return;
        if (plain) {
            buf[(*len)++] = (char)c;
        } else {
            buf[(*len)++] = '%';
            buf[(*len)++] = hex[c >> 4];
            buf[(*len)++] = hex[c & 15];
        }
    }
    buf[*len] = '\0';
}

/* Appends "&name=value" (no '&' when first) to a form or query of `cap` bytes. */
static void append_param(char *buf, size_t cap, size_t *len, const char *name, const char *value) {
    if (*len > 0 && *len + 1 < cap)
        buf[(*len)++] = '&';
    append_encoded(buf, cap, len, name);
    if (*len + 1 < cap)
        buf[(*len)++] = '=';
    buf[*len] = '\0';
    append_encoded(buf, cap, len, value);
}

int al__oidc_begin(struct al__oidc *rp, struct al__oidc_pending *pending, char **url, char *err,
                   size_t errlen) {
    struct al__oidc_discovery d = {0};
    int rc = al__oidc_discovery_get(rp, &d, err, errlen);
    if (rc != 0)
        return rc;
    struct al__oidc_pending p;
    unsigned char digest[crypto_hash_sha256_BYTES];
    char challenge[48];
    random_text(p.state);
    random_text(p.nonce);
    random_text(p.verifier);
    crypto_hash_sha256(digest, (const unsigned char *)p.verifier, strlen(p.verifier));
    sodium_bin2base64(challenge, sizeof(challenge), digest, sizeof(digest),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);

    size_t cap = strlen(d.authorization_endpoint) + 3 * strlen(rp->client_id) +
                 3 * strlen(rp->redirect_uri) + 3 * strlen(rp->scopes) + 512;
    char *query = malloc(cap), *out = malloc(cap + 2);
    size_t len = 0;
    if (!query || !out) {
        free(query);
        free(out);
        al__oidc_discovery_release(&d);
        snprintf(err, errlen, "out of memory starting a login");
        return -AL_ENOMEM;
    }
    query[0] = '\0';
    append_param(query, cap, &len, "response_type", "code");
    append_param(query, cap, &len, "client_id", rp->client_id);
    append_param(query, cap, &len, "redirect_uri", rp->redirect_uri);
    append_param(query, cap, &len, "scope", rp->scopes);
    append_param(query, cap, &len, "state", p.state);
    append_param(query, cap, &len, "nonce", p.nonce);
    append_param(query, cap, &len, "code_challenge", challenge);
    append_param(query, cap, &len, "code_challenge_method", "S256");
    snprintf(out, cap + 2, "%s%c%s", d.authorization_endpoint,
             strchr(d.authorization_endpoint, '?') ? '&' : '?', query);
    free(query);
    al__oidc_discovery_release(&d);
    *pending = p;
    *url = out;
    return 0;
}

/* The token endpoint's error answer (RFC 6749, 5.2) as a message. */
static void token_error(long status, const char *body, size_t len, char *err, size_t errlen) {
    json_error_t jerr;
    json_t *doc = json_loadb(body, len, 0, &jerr);
    const char *code = json_string_value(json_object_get(doc, "error"));
    const char *desc = json_string_value(json_object_get(doc, "error_description"));
    char qc[80], qd[200];
    al__oidc_quote(code ? code : "no error code", 60, qc, sizeof(qc));
    al__oidc_quote(desc ? desc : "", 160, qd, sizeof(qd));
    snprintf(err, errlen, "the issuer's token endpoint refused the code (HTTP %ld): %s%s%s", status,
             qc, desc ? ": " : "", qd);
    json_decref(doc);
}

/* The ID token from a token endpoint's answer (malloc'd). */
static int exchange(struct al__oidc *rp, const struct al__oidc_discovery *d, const char *code,
                    const char *verifier, char **id_token, char *err, size_t errlen) {
    size_t cap = 3 * (strlen(code) + strlen(rp->redirect_uri) + strlen(rp->client_id) +
                      strlen(rp->client_secret)) +
                 256;
    char *form = malloc(cap), *user = malloc(cap), *pass = malloc(cap), *body = NULL;
    size_t len = 0, ulen = 0, plen = 0, body_len = 0;
    long status = 0;
    int rc = -AL_ENOMEM;
    if (!form || !user || !pass)
        goto done;
    form[0] = user[0] = pass[0] = '\0';
    append_param(form, cap, &len, "grant_type", "authorization_code");
    append_param(form, cap, &len, "code", code);
    append_param(form, cap, &len, "redirect_uri", rp->redirect_uri);
    append_param(form, cap, &len, "code_verifier", verifier);
    struct al__oidc_request req;
    al__oidc_request_init(rp, &req, d->token_endpoint);
    req.form = form;
    if (d->secret_post) {
        append_param(form, cap, &len, "client_id", rp->client_id);
        append_param(form, cap, &len, "client_secret", rp->client_secret);
    } else { /* RFC 6749 2.3.1: both form-encoded, then Basic */
        append_encoded(user, cap, &ulen, rp->client_id);
        append_encoded(pass, cap, &plen, rp->client_secret);
        req.basic_user = user;
        req.basic_password = pass;
    }
    if ((rc = al__oidc_fetch(&req, "token endpoint", &status, &body, &body_len, err, errlen)))
        goto done;
    json_error_t jerr;
    json_t *doc = status == 200 ? json_loadb(body, body_len, 0, &jerr) : NULL;
    json_t *tok = json_object_get(doc, "id_token");
    rc = -AL_EINVAL;
    if (status != 200)
        token_error(status, body, body_len, err, errlen);
    else if (!json_is_string(tok))
        snprintf(err, errlen, "the issuer's token endpoint answered without an \"id_token\"");
    else if (!(*id_token = strdup(json_string_value(tok))))
        rc = -AL_ENOMEM;
    else
        rc = 0;
    json_decref(doc);
done:
    if (rc == -AL_ENOMEM)
        snprintf(err, errlen, "out of memory exchanging the code");
    if (form)
        sodium_memzero(form, cap);
    if (pass)
        sodium_memzero(pass, cap);
    free(form);
    free(user);
    free(pass);
    free(body);
    return rc;
}

static int callback_check(struct al__oidc *rp, const struct al__oidc_pending *pending,
                          const char *code, const char *state, const char *iss, char *err,
                          size_t errlen) {
    size_t sl = state ? strlen(state) : 0, pl = strlen(pending->state);
    if (!state || sl != pl || sodium_memcmp(state, pending->state, pl) != 0) {
        snprintf(err, errlen, "the callback's state is not this login's");
        return -AL_EINVAL;
    }
    if (iss && strcmp(iss, rp->issuer) != 0) { /* RFC 9207: a mix-up of issuers */
        char q[100];
        al__oidc_quote(iss, 80, q, sizeof(q));
        snprintf(err, errlen, "the callback's issuer \"%s\" is not the configured issuer", q);
        return -AL_EINVAL;
    }
    bool printable = code && code[0] && strlen(code) <= CODE_MAX;
    for (const char *c = code; printable && *c; c++)
        printable = (unsigned char)*c > 0x20 && (unsigned char)*c < 0x7f;
    if (!printable) {
        snprintf(err, errlen, "the callback's code is missing or not 1 to %d printable bytes",
                 CODE_MAX);
        return -AL_EINVAL;
    }
    return 0;
}

int al__oidc_finish(struct al__oidc *rp, const struct al__oidc_pending *pending, const char *code,
                    const char *state, const char *iss, struct al__oidc_claims *claims, char *err,
                    size_t errlen) {
    struct al__oidc_discovery d = {0};
    char *id_token = NULL;
    int rc = callback_check(rp, pending, code, state, iss, err, errlen);
    if (rc == 0)
        rc = al__oidc_discovery_get(rp, &d, err, errlen);
    if (rc == 0)
        rc = exchange(rp, &d, code, pending->verifier, &id_token, err, errlen);
    if (rc == 0)
        rc = al__oidc_check_token(rp, id_token, pending->nonce, claims, err, errlen);
    free(id_token);
    al__oidc_discovery_release(&d);
    return rc;
}
