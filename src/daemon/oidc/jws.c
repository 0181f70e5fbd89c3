/* jws.c - compact JWS tokens split and decoded (RFC 7515, 7.1): base64url, the algorithm table,
 * the header's checks. No signature is checked here (jwk.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "allot/errors.h"
#include "daemon/oidc/jose.h"

static const char *const jwa_names[AL__JWA_COUNT] = {"RS256", "RS384", "RS512", "PS256", "ES256"};

int al__jwa_from_name(const char *name, enum al__jwa *out, char *err, size_t errlen) {
    for (int i = 0; i < AL__JWA_COUNT; i++) {
        if (strcmp(name, jwa_names[i]) == 0) {
            *out = (enum al__jwa)i;
            return 0;
        }
    }
    char quoted[40];
    al__oidc_quote(name, 24, quoted, sizeof(quoted));
    snprintf(err, errlen,
             "signature algorithm \"%s\" is not accepted (RS256, RS384, RS512, PS256, ES256)",
             quoted);
    return -AL_EINVAL;
}

void al__oidc_quote(const char *text, size_t max, char *out, size_t outlen) {
    size_t n = 0;
    if (outlen == 0)
        return;
    for (; text[n] && n < max && n + 1 < outlen; n++) {
        unsigned char c = (unsigned char)text[n];
        out[n] = c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? (char)c : '?';
    }
    out[n] = '\0';
    if (text[n] && n >= max && n + 4 < outlen) /* cut short: say so */
        memcpy(out + n, "...", 4);
}

int al__b64url_decode(const char *text, size_t len, unsigned char **out, size_t *out_len) {
    /* Unpadded base64url: a length of 1 mod 4 cannot be produced by any input. */
    if (len % 4 == 1)
        return -AL_EINVAL;
    size_t cap = len / 4 * 3 + 3;
    unsigned char *bin = malloc(cap + 1);
    size_t bin_len = 0;
    const char *end = NULL;
    if (!bin)
        return -AL_ENOMEM;
    if (sodium_base642bin(bin, cap, text, len, NULL, &bin_len, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        end != text + len) {
        free(bin);
        return -AL_EINVAL;
    }
    bin[bin_len] = '\0';
    *out = bin;
    *out_len = bin_len;
    return 0;
}

/* Decodes one part of the token into a JSON object. */
static json_t *part_object(const char *text, size_t len, const char *what, char *err,
                           size_t errlen) {
    unsigned char *raw = NULL;
    size_t raw_len = 0;
    int rc = al__b64url_decode(text, len, &raw, &raw_len);
    if (rc != 0) {
        snprintf(err, errlen, "the token's %s is not base64url", what);
        return NULL;
    }
    json_error_t jerr;
    json_t *doc = json_loadb((const char *)raw, raw_len, JSON_REJECT_DUPLICATES, &jerr);
    free(raw);
    if (!doc || !json_is_object(doc)) {
        snprintf(err, errlen, "the token's %s is not a JSON object", what);
        json_decref(doc);
        return NULL;
    }
    return doc;
}

/* Checks the JOSE header (RFC 7515, 4.1) and points jws->alg and jws->kid into it. */
static int header_check(struct al__jws *jws, char *err, size_t errlen) {
    json_t *alg = json_object_get(jws->header, "alg");
    if (!json_is_string(alg)) {
        snprintf(err, errlen, "the token's header has no \"alg\" string");
        return -AL_EINVAL;
    }
    int rc = al__jwa_from_name(json_string_value(alg), &jws->alg, err, errlen);
    if (rc != 0)
        return rc;
    if (json_object_get(jws->header, "crit")) { /* no extension is understood here */
        snprintf(err, errlen, "the token's header has \"crit\" extensions, none is supported");
        return -AL_EINVAL;
    }
    json_t *kid = json_object_get(jws->header, "kid");
    if (kid && !json_is_string(kid)) {
        snprintf(err, errlen, "the token's \"kid\" is not a string");
        return -AL_EINVAL;
    }
    jws->kid = kid ? json_string_value(kid) : NULL;
    return 0;
}

static int split(const char *token, size_t len, const char *dots[2], char *err, size_t errlen) {
    int n = 0;
    for (size_t i = 0; i < len; i++) {
        if (token[i] != '.')
            continue;
        if (n == 2) {
            snprintf(err, errlen, "the token has more than three parts (is it encrypted?)");
            return -AL_EINVAL;
        }
        dots[n++] = token + i;
    }
    if (n != 2) {
        snprintf(err, errlen, "the token is not a JWS of three parts separated by dots");
        return -AL_EINVAL;
    }
    return 0;
}

int al__jws_parse(const char *token, size_t len, struct al__jws *out, char *err, size_t errlen) {
    const char *dots[2];
    struct al__jws jws = {0};
    int rc;
    if (len > AL__JWT_MAX) {
        snprintf(err, errlen, "the token is %zu bytes, more than %d", len, AL__JWT_MAX);
        return -AL_EINVAL;
    }
    if ((rc = split(token, len, dots, err, errlen)) != 0)
        return rc;
    const char *sig = dots[1] + 1;
    size_t sig_len = (size_t)(token + len - sig);
    rc = -AL_EINVAL;
    if (!(jws.header = part_object(token, (size_t)(dots[0] - token), "header", err, errlen)))
        goto fail;
    if ((rc = header_check(&jws, err, errlen)) != 0)
        goto fail;
    rc = -AL_EINVAL;
    jws.payload = part_object(dots[0] + 1, (size_t)(dots[1] - dots[0] - 1), "payload", err, errlen);
    if (!jws.payload)
        goto fail;
    if (sig_len == 0 || al__b64url_decode(sig, sig_len, &jws.signature, &jws.signature_len)) {
        snprintf(err, errlen, "the token's signature is %s", sig_len ? "not base64url" : "missing");
        goto fail;
    }
    jws.signing_input_len = (size_t)(dots[1] - token);
    if (!(jws.signing_input = malloc(jws.signing_input_len + 1))) {
        rc = -AL_ENOMEM;
        goto fail;
    }
    memcpy(jws.signing_input, token, jws.signing_input_len);
    jws.signing_input[jws.signing_input_len] = '\0';
    *out = jws;
    return 0;
fail:
    al__jws_release(&jws);
    return rc;
}

void al__jws_release(struct al__jws *jws) {
    json_decref(jws->header);
    json_decref(jws->payload);
    free(jws->signature);
    free(jws->signing_input);
    memset(jws, 0, sizeof(*jws));
}
