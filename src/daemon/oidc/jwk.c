/* jwk.c - an issuer's public keys read from its JWK set (RFC 7517, 7518 6) into OpenSSL keys,
 * and the check of a JWS signature with one of them (RS256/384/512, PS256, ES256). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "allot/errors.h"
#include "daemon/oidc/jose.h"

#define JWKS_MAX_KEYS 64
#define RSA_MIN_BITS  2048
#define RSA_MAX_BYTES 1024 /* 8192-bit moduli at most: a bigger key only costs time */

/* A base64url member of a key decoded, of 1..max bytes. */
static int member_bytes(json_t *key, const char *name, size_t max, unsigned char **out, size_t *len,
                        char *err, size_t errlen) {
    json_t *v = json_object_get(key, name);
    if (!json_is_string(v)) {
        snprintf(err, errlen, "\"%s\" is missing or not a string", name);
        return -AL_EINVAL;
    }
    int rc = al__b64url_decode(json_string_value(v), json_string_length(v), out, len);
    if (rc == -AL_ENOMEM)
        return rc;
    if (rc != 0 || *len == 0 || *len > max) {
        if (rc == 0) {
            free(*out);
            *out = NULL; /* the caller frees what it holds on failure */
        }
        snprintf(err, errlen, "\"%s\" is not base64url of 1 to %zu bytes", name, max);
        return -AL_EINVAL;
    }
    return 0;
}

static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *bld) {
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY *pkey = NULL;
    if (params && ctx && EVP_PKEY_fromdata_init(ctx) == 1)
        if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
            pkey = NULL;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return pkey;
}

static int rsa_key(json_t *key, EVP_PKEY **out, char *err, size_t errlen) {
    unsigned char *n = NULL, *e = NULL;
    size_t n_len = 0, e_len = 0;
    int rc = member_bytes(key, "n", RSA_MAX_BYTES, &n, &n_len, err, errlen);
    if (rc == 0)
        rc = member_bytes(key, "e", 8, &e, &e_len, err, errlen);
    if (rc != 0) {
        free(n);
        return rc;
    }
    BIGNUM *bn_n = BN_bin2bn(n, (int)n_len, NULL), *bn_e = BN_bin2bn(e, (int)e_len, NULL);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    EVP_PKEY *pkey = NULL;
    if (bn_n && bn_e && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e))
        pkey = from_params("RSA", bld);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn_n);
    BN_free(bn_e);
    free(n);
    free(e);
    if (!pkey) {
        snprintf(err, errlen, "not a valid RSA public key");
        return -AL_EINVAL;
    }
    if (EVP_PKEY_get_bits(pkey) < RSA_MIN_BITS) {
        snprintf(err, errlen, "an RSA key of %d bits, fewer than %d", EVP_PKEY_get_bits(pkey),
                 RSA_MIN_BITS);
        EVP_PKEY_free(pkey);
        return -AL_EINVAL;
    }
    *out = pkey;
    return 0;
}

static int ec_key(json_t *key, EVP_PKEY **out, char *err, size_t errlen) {
    json_t *crv = json_object_get(key, "crv");
    if (!json_is_string(crv) || strcmp(json_string_value(crv), "P-256") != 0) {
        snprintf(err, errlen, "an EC key not on curve P-256");
        return -AL_EINVAL;
    }
    unsigned char *x = NULL, *y = NULL, point[65];
    size_t x_len = 0, y_len = 0;
    int rc = member_bytes(key, "x", 32, &x, &x_len, err, errlen);
    if (rc == 0)
        rc = member_bytes(key, "y", 32, &y, &y_len, err, errlen);
    if (rc == 0 && (x_len != 32 || y_len != 32)) {
        snprintf(err, errlen, "\"x\" and \"y\" of a P-256 key must be 32 bytes each");
        rc = -AL_EINVAL;
    }
    if (rc != 0) {
        free(x);
        free(y);
        return rc;
    }
    point[0] = 0x04; /* uncompressed: 04 || x || y */
    memcpy(point + 1, x, 32);
    memcpy(point + 33, y, 32);
    free(x);
    free(y);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    EVP_PKEY *pkey = NULL;
    if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) &&
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)))
        pkey = from_params("EC", bld);
    OSSL_PARAM_BLD_free(bld);
    if (!pkey) {
        snprintf(err, errlen, "not a valid P-256 public key (a point off the curve?)");
        return -AL_EINVAL;
    }
    *out = pkey;
    return 0;
}

/* Reads one key: 1 and *out filled, 0 when it is skipped (not a signing key of ours), or a
 * negative code with a message for a malformed one. */
static int key_read(json_t *key, struct al__jwk *out, char *err, size_t errlen) {
    json_t *kty = json_object_get(key, "kty"), *use = json_object_get(key, "use");
    json_t *alg = json_object_get(key, "alg"), *kid = json_object_get(key, "kid");
    if (!json_is_object(key) || !json_is_string(kty)) {
        snprintf(err, errlen, "not an object with a \"kty\" string");
        return -AL_EINVAL;
    }
    if (use && (!json_is_string(use) || strcmp(json_string_value(use), "sig") != 0))
        return 0;
    if (kid && !json_is_string(kid)) {
        snprintf(err, errlen, "\"kid\" is not a string");
        return -AL_EINVAL;
    }
    bool rsa = strcmp(json_string_value(kty), "RSA") == 0;
    if (!rsa && strcmp(json_string_value(kty), "EC") != 0)
        return 0; /* oct (HS*), OKP: never used for ID tokens here */
    struct al__jwk k = {.any_alg = alg == NULL, .rsa = rsa};
    char ignored[8];
    if (alg && (!json_is_string(alg) ||
                al__jwa_from_name(json_string_value(alg), &k.alg, ignored, sizeof(ignored))))
        return 0; /* an algorithm not accepted here */
    if (alg && (k.alg == AL__JWA_ES256) == rsa) {
        snprintf(err, errlen, "\"alg\" %s does not fit \"kty\" %s", json_string_value(alg),
                 json_string_value(kty));
        return -AL_EINVAL;
    }
    int rc = rsa ? rsa_key(key, &k.key, err, errlen) : ec_key(key, &k.key, err, errlen);
    if (rc != 0)
        return rc;
    if (kid && !(k.kid = strdup(json_string_value(kid)))) {
        EVP_PKEY_free(k.key);
        return -AL_ENOMEM;
    }
    *out = k;
    return 1;
}

int al__jwks_parse(const char *text, size_t len, struct al__jwks *out, char *err, size_t errlen) {
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    json_t *keys = json_object_get(doc, "keys");
    struct al__jwks set = {0};
    char first[160] = "";
    int rc = -AL_EINVAL;
    if (!json_is_array(keys)) {
        snprintf(err, errlen, "the issuer's JWKS is not a JSON object with a \"keys\" array");
        goto done;
    }
    size_t count = json_array_size(keys) < JWKS_MAX_KEYS ? json_array_size(keys) : JWKS_MAX_KEYS;
    if (count && !(set.keys = calloc(count, sizeof(*set.keys)))) {
        rc = -AL_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < count; i++) {
        char why[128];
        int got = key_read(json_array_get(keys, i), &set.keys[set.count], why, sizeof(why));
        if (got == -AL_ENOMEM) {
            rc = got;
            goto done;
        }
        if (got < 0 && !first[0])
            snprintf(first, sizeof(first), " (key %zu: %s)", i, why);
        set.count += got > 0;
    }
    if (set.count == 0) {
        snprintf(err, errlen, "the issuer's JWKS has no usable signing key%s", first);
        goto done;
    }
    *out = set;
    set = (struct al__jwks){0};
    rc = 0;
done:
    al__jwks_release(&set);
    json_decref(doc);
    return rc;
}

void al__jwks_release(struct al__jwks *set) {
    for (size_t i = 0; i < set->count; i++) {
        free(set->keys[i].kid);
        EVP_PKEY_free(set->keys[i].key);
    }
    free(set->keys);
    memset(set, 0, sizeof(*set));
}

static bool key_fits(const struct al__jwk *k, enum al__jwa alg) {
    if (k->rsa != (alg != AL__JWA_ES256))
        return false;
    return k->any_alg || k->alg == alg;
}

const struct al__jwk *al__jwks_find(const struct al__jwks *set, const char *kid, enum al__jwa alg) {
    const struct al__jwk *found = NULL;
    for (size_t i = 0; i < set->count; i++) {
        const struct al__jwk *k = &set->keys[i];
        if (!key_fits(k, alg))
            continue;
        if (kid && k->kid && strcmp(kid, k->kid) == 0)
            return k;
        if (!kid) {
            if (found)
                return NULL; /* ambiguous: a token without kid needs a single candidate */
            found = k;
        }
    }
    return found;
}

/* ES256 signs as r || s (32 bytes each, RFC 7518 3.4); OpenSSL checks DER. */
static unsigned char *es256_der(const unsigned char *raw, size_t len, size_t *der_len) {
    if (len != 64)
        return NULL;
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(raw, 32, NULL), *s = BN_bin2bn(raw + 32, 32, NULL);
    unsigned char *der = NULL;
    if (sig && r && s && ECDSA_SIG_set0(sig, r, s) == 1) {
        r = s = NULL; /* owned by sig */
        int n = i2d_ECDSA_SIG(sig, &der);
        *der_len = n > 0 ? (size_t)n : 0;
        if (n <= 0)
            der = NULL;
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return der;
}

int al__jws_verify(const struct al__jws *jws, EVP_PKEY *key, bool key_rsa, char *err,
                   size_t errlen) {
    static const char *const mds[AL__JWA_COUNT] = {"SHA256", "SHA384", "SHA512", "SHA256",
                                                   "SHA256"};
    const unsigned char *sig = jws->signature;
    size_t sig_len = jws->signature_len;
    unsigned char *der = NULL;
    int ok = 0;
    if (key_rsa != (jws->alg != AL__JWA_ES256)) {
        snprintf(err, errlen, "the token's algorithm does not fit the issuer's key type");
        return -AL_EINVAL;
    }
    if (jws->alg == AL__JWA_ES256) {
        if (!(der = es256_der(sig, sig_len, &sig_len))) {
            snprintf(err, errlen, "the token's ES256 signature is not 64 bytes");
            return -AL_EINVAL;
        }
        sig = der;
    }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    if (md && EVP_DigestVerifyInit_ex(md, &pctx, mds[jws->alg], NULL, NULL, key, NULL) == 1) {
        if (jws->alg == AL__JWA_PS256 &&
            (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
            goto done;
        ok = EVP_DigestVerify(md, sig, sig_len, (const unsigned char *)jws->signing_input,
                              jws->signing_input_len) == 1;
    }
done:
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    if (!ok) {
        snprintf(err, errlen, "the token's signature does not verify with the issuer's key");
        return -AL_EINVAL;
    }
    return 0;
}
