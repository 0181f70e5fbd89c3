/* test_oidc.c - the OIDC module's parsers and checks with no issuer: malformed tokens (parts,
 * base64url, JSON, alg none and HS*), signatures with keys made here (RS256, PS256, ES256),
 * JWK sets, ID token claims, discovery documents, URLs and the configuration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include "allot/errors.h"
#include "daemon/oidc/jose.h"
#include "daemon/oidc/oidc.h"

#define NOW 1796059331LL
#define ISS "https://idp.example.com"

static EVP_PKEY *rsa_key, *ec_key;

static void b64(const void *data, size_t len, char *out, size_t cap) {
    sodium_bin2base64(out, cap, data, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* header.payload from two JSON texts. */
static char *signing_input(const char *header, const char *payload) {
    char *out = malloc(8192), h[2048], p[4096];
    b64(header, strlen(header), h, sizeof(h));
    b64(payload, strlen(payload), p, sizeof(p));
    snprintf(out, 8192, "%s.%s", h, p);
    return out;
}

/* A compact JWS of `payload` signed with `key` by `alg` (RS256, PS256 or ES256). */
static char *sign(const char *alg, const char *kid, EVP_PKEY *key, const char *payload) {
    char header[128], sig64[1024];
    snprintf(header, sizeof(header), "{\"alg\":\"%s\",\"kid\":\"%s\"}", alg, kid);
    char *input = signing_input(header, payload);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    unsigned char sig[1024];
    size_t len = sizeof(sig);
    assert_int_equal(EVP_DigestSignInit_ex(md, &pctx, "SHA256", NULL, NULL, key, NULL), 1);
    if (strcmp(alg, "PS256") == 0) {
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
    }
    assert_int_equal(EVP_DigestSign(md, sig, &len, (const unsigned char *)input, strlen(input)), 1);
    EVP_MD_CTX_free(md);
    if (strcmp(alg, "ES256") == 0) { /* DER to r || s */
        const unsigned char *p = sig;
        ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)len);
        unsigned char raw[64];
        BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32);
        BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32);
        ECDSA_SIG_free(es);
        memcpy(sig, raw, 64);
        len = 64;
    }
    b64(sig, len, sig64, sizeof(sig64));
    char *token = malloc(strlen(input) + strlen(sig64) + 2);
    snprintf(token, strlen(input) + strlen(sig64) + 2, "%s.%s", input, sig64);
    free(input);
    return token;
}

static void bn_member(EVP_PKEY *key, const char *param, size_t pad, char *out, size_t cap) {
    BIGNUM *bn = NULL;
    unsigned char raw[1024];
    assert_int_equal(EVP_PKEY_get_bn_param(key, param, &bn), 1);
    int n = pad ? BN_bn2binpad(bn, raw, (int)pad) : BN_bn2bin(bn, raw);
    b64(raw, (size_t)n, out, cap);
    BN_free(bn);
}

/* The JWK set publishing both test keys: "r1" (RSA) and "e1" (P-256). */
static char *test_jwks(void) {
    char n[700], e[16], x[64], y[64];
    char *out = malloc(2048);
    bn_member(rsa_key, OSSL_PKEY_PARAM_RSA_N, 0, n, sizeof(n));
    bn_member(rsa_key, OSSL_PKEY_PARAM_RSA_E, 0, e, sizeof(e));
    bn_member(ec_key, OSSL_PKEY_PARAM_EC_PUB_X, 32, x, sizeof(x));
    bn_member(ec_key, OSSL_PKEY_PARAM_EC_PUB_Y, 32, y, sizeof(y));
    snprintf(out, 2048,
             "{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\",\"kid\":\"h1\"},"
             "{\"kty\":\"RSA\",\"use\":\"enc\",\"kid\":\"x1\",\"n\":\"%s\",\"e\":\"%s\"},"
             "{\"kty\":\"RSA\",\"kid\":\"r1\",\"n\":\"%s\",\"e\":\"%s\"},"
             "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"e1\",\"alg\":\"ES256\",\"x\":\"%s\","
             "\"y\":\"%s\"}]}",
             n, e, n, e, x, y);
    return out;
}

static int keys_make(void **state) {
    (void)state;
    rsa_key = EVP_RSA_gen(2048);
    ec_key = EVP_EC_gen("P-256");
    return rsa_key && ec_key ? 0 : -1;
}

static int keys_free(void **state) {
    (void)state;
    EVP_PKEY_free(rsa_key);
    EVP_PKEY_free(ec_key);
    return 0;
}

static void expect_jws_refused(const char *token, const char *words) {
    struct al__jws jws;
    char err[256] = "";
    int rc = al__jws_parse(token, strlen(token), &jws, err, sizeof(err));
    if (rc == 0) {
        al__jws_release(&jws);
        fail_msg("\"%.60s\": accepted, expected \"%s\"", token, words);
    }
    if (!strstr(err, words))
        fail_msg("\"%.60s\": \"%s\", expected \"%s\"", token, err, words);
}

/* header JSON, then ".e30.c2ln" (payload {}, signature "sig"). */
static void expect_header_refused(const char *header, const char *words) {
    char h[512], token[600];
    b64(header, strlen(header), h, sizeof(h));
    snprintf(token, sizeof(token), "%s.e30.c2ln", h);
    expect_jws_refused(token, words);
}

static void malformed_tokens_are_refused(void **state) {
    (void)state;
    expect_jws_refused("", "three parts");
    expect_jws_refused("abc", "three parts");
    expect_jws_refused("a.b", "three parts");
    expect_jws_refused("a.b.c.d.e", "more than three parts");
    expect_jws_refused("!!!!.e30.c2ln", "header is not base64url");
    expect_jws_refused("e30=.e30.c2ln", "header is not base64url"); /* padding */
    expect_jws_refused("eyJhbGciOiJSUzI1NiJ9.e30.c2ln=", "signature is not base64url");
    expect_jws_refused("eyJhbGciOiJSUzI1NiJ9.e30.", "signature is missing");
    expect_jws_refused("eyJhbGciOiJSUzI1NiJ9.e30.a", "signature is not base64url");
    expect_jws_refused("eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln", "payload is not a JSON object");
    expect_jws_refused("eyJhbGciOiJSUzI1NiJ9.W10.c2ln", "payload is not a JSON object");
    expect_jws_refused(".e30.c2ln", "header is not a JSON object");
    expect_header_refused("[]", "header is not a JSON object");
    expect_header_refused("{\"alg\":\"RS256\",\"alg\":\"none\"}", "not a JSON object");
    expect_header_refused("{\"alg\":\"none\"}", "algorithm \"none\" is not accepted");
    expect_header_refused("{\"alg\":\"HS256\"}", "algorithm \"HS256\" is not accepted");
    expect_header_refused("{\"alg\":5}", "no \"alg\" string");
    expect_header_refused("{}", "no \"alg\" string");
    expect_header_refused("{\"alg\":\"RS256\",\"kid\":7}", "\"kid\" is not a string");
    expect_header_refused("{\"alg\":\"RS256\",\"crit\":[\"b64\"]}", "crit");
    char *huge = malloc(AL__JWT_MAX + 10);
    memset(huge, 'a', AL__JWT_MAX + 9);
    huge[AL__JWT_MAX + 9] = '\0';
    huge[10] = huge[20] = '.';
    expect_jws_refused(huge, "more than");
    free(huge);
}

static void verify(const char *token, const char *words) {
    struct al__jws jws;
    struct al__jwks set;
    char err[256] = "";
    char *doc = test_jwks();
    assert_int_equal(al__jwks_parse(doc, strlen(doc), &set, err, sizeof(err)), 0);
    assert_int_equal(set.count, 2); /* oct and use:enc skipped */
    assert_int_equal(al__jws_parse(token, strlen(token), &jws, err, sizeof(err)), 0);
    const struct al__jwk *k = al__jwks_find(&set, jws.kid, jws.alg);
    int rc = k ? al__jws_verify(&jws, k->key, k->rsa, err, sizeof(err)) : -AL_ENOENT;
    if (!words && rc != 0)
        fail_msg("%s: refused: %s", jws.kid, err);
    if (words && (rc == 0 || !strstr(err, words)))
        fail_msg("%s: \"%s\", expected \"%s\"", jws.kid, rc ? err : "accepted", words);
    al__jws_release(&jws);
    al__jwks_release(&set);
    free(doc);
}

static void signatures_verify_with_the_named_key(void **state) {
    (void)state;
    const char *payload = "{\"sub\":\"alice\"}";
    char *rs = sign("RS256", "r1", rsa_key, payload), *ps = sign("PS256", "r1", rsa_key, payload);
    char *es = sign("ES256", "e1", ec_key, payload);
    verify(rs, NULL);
    verify(ps, NULL);
    verify(es, NULL);
    /* The same signature over another payload. */
    char *other = sign("RS256", "r1", rsa_key, "{\"sub\":\"mallory\"}");
    char *forged = malloc(strlen(rs) + strlen(other));
    const char *sig = strrchr(rs, '.');
    snprintf(forged, strlen(rs) + strlen(other), "%.*s%s", (int)(strrchr(other, '.') - other),
             other, sig);
    verify(forged, "signature does not verify");
    /* An ES256 signature cut short. */
    unsigned char short_sig[63] = {1};
    char *dot = strrchr(es, '.') + 1;
    b64(short_sig, sizeof(short_sig), dot, strlen(dot) + 1);
    verify(es, "not 64 bytes");
    free(rs);
    free(ps);
    free(es);
    free(other);
    free(forged);
}

static void keys_are_found_by_kid_and_algorithm(void **state) {
    (void)state;
    struct al__jwks set;
    char err[256];
    char *doc = test_jwks();
    assert_int_equal(al__jwks_parse(doc, strlen(doc), &set, err, sizeof(err)), 0);
    assert_non_null(al__jwks_find(&set, "r1", AL__JWA_RS256));
    assert_non_null(al__jwks_find(&set, "r1", AL__JWA_PS256));
    assert_null(al__jwks_find(&set, "r1", AL__JWA_ES256)); /* an RSA key for ES256 */
    assert_null(al__jwks_find(&set, "e1", AL__JWA_RS256));
    assert_null(al__jwks_find(&set, "x1", AL__JWA_RS256)); /* use: enc */
    assert_null(al__jwks_find(&set, "h1", AL__JWA_RS256)); /* oct */
    assert_null(al__jwks_find(&set, "nope", AL__JWA_RS256));
    assert_non_null(al__jwks_find(&set, NULL, AL__JWA_RS256)); /* the only RSA key */
    al__jwks_release(&set);
    free(doc);
}

static void expect_jwks_refused(const char *doc, const char *words) {
    struct al__jwks set;
    char err[256] = "";
    if (al__jwks_parse(doc, strlen(doc), &set, err, sizeof(err)) == 0) {
        al__jwks_release(&set);
        fail_msg("%s: accepted", doc);
    }
    if (!strstr(err, words))
        fail_msg("%s: \"%s\", expected \"%s\"", doc, err, words);
}

static void malformed_key_sets_are_refused(void **state) {
    (void)state;
    expect_jwks_refused("", "not a JSON object with a \"keys\" array");
    expect_jwks_refused("[]", "not a JSON object with a \"keys\" array");
    expect_jwks_refused("{\"keys\":{}}", "not a JSON object with a \"keys\" array");
    expect_jwks_refused("{\"keys\":[]}", "no usable signing key");
    expect_jwks_refused("{\"keys\":[7]}", "key 0: not an object");
    expect_jwks_refused("{\"keys\":[{\"kty\":\"RSA\",\"e\":\"AQAB\"}]}", "\"n\" is missing");
    expect_jwks_refused("{\"keys\":[{\"kty\":\"RSA\",\"n\":\"!!\",\"e\":\"AQAB\"}]}",
                        "\"n\" is not base64url");
    /* 1024 bits: too small. */
    char n[200], doc[400];
    unsigned char raw[128];
    memset(raw, 0xc5, sizeof(raw));
    b64(raw, sizeof(raw), n, sizeof(n));
    snprintf(doc, sizeof(doc), "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\"}]}", n);
    expect_jwks_refused(doc, "fewer than 2048");
    expect_jwks_refused("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"AA\",\"y\":\"AA\"}]}",
                        "not on curve P-256");
    /* (0, 0) is not on the curve. */
    char z[64];
    memset(raw, 0, 32);
    b64(raw, 32, z, sizeof(z));
    snprintf(doc, sizeof(doc),
             "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"}]}", z, z);
    expect_jwks_refused(doc, "not a valid P-256 public key");
    /* A member decoded but too long is refused once, not freed twice (found by fuzz_parsers). */
    expect_jwks_refused("{\"keys\":[{\"kty\":\"RSA\",\"n\":\"\",\"e\":\"AQAB\"}]}",
                        "\"n\" is not base64url of 1 to 1024 bytes");
    expect_jwks_refused("{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AAAAAAAAAAAA\"}]}",
                        "\"e\" is not base64url of 1 to 8 bytes");
    snprintf(doc, sizeof(doc),
             "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%sAAAA\"}]}", z, z);
    expect_jwks_refused(doc, "\"y\" is not base64url of 1 to 32 bytes");
    expect_jwks_refused("{\"keys\":[{\"kty\":\"EC\",\"alg\":\"RS256\",\"crv\":\"P-256\"}]}",
                        "does not fit");
    expect_jwks_refused("{\"keys\":[{\"kty\":\"RSA\",\"kid\":[],\"n\":\"AQAB\",\"e\":\"AQAB\"}]}",
                        "\"kid\" is not a string");
}

static struct al__idtoken_expect want(const char *nonce) {
    struct al__idtoken_expect w = {.issuer = ISS,
                                   .client_id = "allotd",
                                   .nonce = nonce,
                                   .username_claim = "preferred_username",
                                   .groups_claim = "groups",
                                   .now = NOW,
                                   .leeway_s = 60};
    return w;
}

/* Claims: a good token's members, with `extra` JSON members replacing or adding to them. */
static int check(const char *extra, const char *nonce, struct al__oidc_claims *out, char *err,
                 size_t errlen) {
    char text[8192];
    snprintf(text, sizeof(text),
             "{\"iss\":\"" ISS "\",\"aud\":\"allotd\",\"sub\":\"u-1\",\"exp\":%lld,\"iat\":%lld,"
             "\"nonce\":\"n0\"}",
             NOW + 300, NOW - 5);
    json_t *doc = json_loads(text, 0, NULL), *more = json_loads(extra, 0, NULL);
    assert_non_null(more);
    json_object_update(doc, more);
    json_t *v;
    const char *k;
    json_object_foreach(more, k, v) {
        if (json_is_null(v))
            json_object_del(doc, k); /* null: remove the member */
    }
    struct al__idtoken_expect w = want(nonce);
    int rc = al__idtoken_check(doc, &w, out, err, errlen);
    json_decref(doc);
    json_decref(more);
    return rc;
}

static void expect_claims_refused(const char *extra, const char *words) {
    struct al__oidc_claims c;
    char err[256] = "";
    if (check(extra, "n0", &c, err, sizeof(err)) == 0) {
        al__oidc_claims_release(&c);
        fail_msg("%s: accepted, expected \"%s\"", extra, words);
    }
    if (!strstr(err, words))
        fail_msg("%s: \"%s\", expected \"%s\"", extra, err, words);
}

static void id_token_claims_are_checked(void **state) {
    (void)state;
    expect_claims_refused("{\"iss\":\"https://evil.example.com\"}", "is not the configured issuer");
    expect_claims_refused("{\"iss\":null}", "no \"iss\" string");
    expect_claims_refused("{\"aud\":\"other-app\"}",
                          "ID token audience \"other-app\" is not this client");
    expect_claims_refused("{\"aud\":[\"a\",\"b\"]}", "is not this client");
    expect_claims_refused("{\"aud\":[\"allotd\",\"b\"]}", "several audiences and no \"azp\"");
    expect_claims_refused("{\"aud\":[\"allotd\",\"b\"],\"azp\":\"b\"}", "azp");
    expect_claims_refused("{\"aud\":[]}", "\"aud\" is not a string or an array");
    expect_claims_refused("{\"aud\":[\"allotd\",3]}", "non-string");
    expect_claims_refused("{\"aud\":7}", "\"aud\" is not");
    expect_claims_refused("{\"exp\":null}", "\"exp\" is missing");
    expect_claims_refused("{\"exp\":\"soon\"}", "\"exp\" is not a valid time");
    expect_claims_refused("{\"exp\":1e300}", "\"exp\" is not a valid time");
    expect_claims_refused("{\"exp\":-5}", "\"exp\" is not a valid time");
    expect_claims_refused("{\"exp\":1796059200}", "expired 131 s ago");
    expect_claims_refused("{\"iat\":null}", "\"iat\" is missing");
    expect_claims_refused("{\"iat\":1796060000}", "in the future");
    expect_claims_refused("{\"nbf\":1796060000}", "not valid before");
    expect_claims_refused("{\"nbf\":true}", "\"nbf\" is not a valid time");
    expect_claims_refused("{\"nonce\":null}", "no \"nonce\"");
    expect_claims_refused("{\"nonce\":\"n1\"}", "nonce is not this login's");
    expect_claims_refused("{\"sub\":null}", "\"sub\" is missing");
    expect_claims_refused("{\"sub\":\"\"}", "\"sub\" is missing");
    expect_claims_refused("{\"sub\":42}", "\"sub\" is missing");
    expect_claims_refused("{\"groups\":\"admins\"}", "is not an array");
    expect_claims_refused("{\"groups\":[\"a\",1]}", "not a string");
    expect_claims_refused("{\"groups\":[\"\"]}", "not a string of 1 to");
    char big[400];
    memset(big, 'x', sizeof(big));
    big[0] = '{';
    memcpy(big + 1, "\"sub\":\"", 7);
    memcpy(big + sizeof(big) - 3, "\"}", 3);
    expect_claims_refused(big, "\"sub\" is missing or not a string of 1 to 255");
}

static void claims_give_username_email_and_groups(void **state) {
    (void)state;
    struct al__oidc_claims c;
    char err[256] = "";
    assert_int_equal(check("{\"preferred_username\":\"alice\",\"email\":\"a@x\",\"groups\":"
                           "[\"ml\",\"ops\"],\"aud\":[\"allotd\",\"b\"],\"azp\":\"allotd\"}",
                           "n0", &c, err, sizeof(err)),
                     0);
    assert_string_equal(c.subject, "u-1");
    assert_string_equal(c.username, "alice");
    assert_string_equal(c.email, "a@x");
    assert_int_equal(c.group_count, 2);
    assert_string_equal(c.groups[1], "ops");
    assert_int_equal(c.expires, NOW + 300);
    al__oidc_claims_release(&c);
    /* No user name claim: a verified email, then sub; a bare token: no nonce needed. */
    assert_int_equal(check("{\"email\":\"a@x\",\"email_verified\":true,\"nonce\":null}", NULL, &c,
                           err, sizeof(err)),
                     0);
    assert_string_equal(c.username, "a@x");
    assert_true(c.email_verified);
    assert_int_equal(c.group_count, 0);
    al__oidc_claims_release(&c);
    assert_int_equal(check("{\"email\":\"a@x\"}", "n0", &c, err, sizeof(err)), 0);
    assert_string_equal(c.username, "u-1"); /* an unverified address is nobody's name */
    assert_string_equal(c.email, "a@x");
    assert_false(c.email_verified);
    al__oidc_claims_release(&c);
    assert_int_equal(check("{}", "n0", &c, err, sizeof(err)), 0);
    assert_string_equal(c.username, "u-1");
    assert_null(c.email);
    al__oidc_claims_release(&c);
    /* Within the leeway. */
    assert_int_equal(check("{\"exp\":1796059300}", "n0", &c, err, sizeof(err)), 0);
    al__oidc_claims_release(&c);
}

static void expect_discovery(const char *doc, const char *words) {
    struct al__oidc_discovery d;
    char err[256] = "";
    int rc = al__oidc_discovery_parse(doc, strlen(doc), ISS, &d, err, sizeof(err));
    if (!words) {
        if (rc != 0)
            fail_msg("%s: refused: %s", doc, err);
        al__oidc_discovery_release(&d);
        return;
    }
    if (rc == 0) {
        al__oidc_discovery_release(&d);
        fail_msg("%s: accepted, expected \"%s\"", doc, words);
    }
    if (!strstr(err, words))
        fail_msg("%s: \"%s\", expected \"%s\"", doc, err, words);
}

#define ENDPOINTS                                                                                  \
    "\"authorization_endpoint\":\"" ISS "/auth\",\"token_endpoint\":\"" ISS "/token\","            \
    "\"jwks_uri\":\"" ISS "/jwks\""

static void discovery_documents_are_checked(void **state) {
    (void)state;
    expect_discovery("{\"issuer\":\"" ISS "\"," ENDPOINTS "}", NULL);
    expect_discovery("7", "not a JSON object");
    expect_discovery("{\"issuer\":\"" ISS "/\"," ENDPOINTS "}", "not the configured one exactly");
    expect_discovery("{" ENDPOINTS "}", "not the configured one exactly");
    expect_discovery("{\"issuer\":\"" ISS "\",\"authorization_endpoint\":\"" ISS "/a\"}",
                     "no \"token_endpoint\"");
    expect_discovery("{\"issuer\":\"" ISS "\"," ENDPOINTS
                     ",\"token_endpoint\":\"http://idp.example.com/token\"}",
                     "not a JSON object"); /* a duplicate member */
    expect_discovery("{\"issuer\":\"" ISS "\",\"authorization_endpoint\":\"" ISS "/a\","
                     "\"token_endpoint\":\"http://idp.example.com/t\",\"jwks_uri\":\"" ISS "/j\"}",
                     "token_endpoint is not an https URL");
    expect_discovery("{\"issuer\":\"" ISS "\"," ENDPOINTS
                     ",\"response_types_supported\":[\"id_token\"]}",
                     "authorization code flow");
    expect_discovery("{\"issuer\":\"" ISS "\"," ENDPOINTS
                     ",\"code_challenge_methods_supported\":[\"plain\"]}",
                     "PKCE with S256");
    expect_discovery("{\"issuer\":\"" ISS "\"," ENDPOINTS
                     ",\"token_endpoint_auth_methods_supported\":[\"private_key_jwt\"]}",
                     "neither client_secret_basic nor client_secret_post");
    struct al__oidc_discovery d;
    char err[256];
    const char *post = "{\"issuer\":\"" ISS "\"," ENDPOINTS
                       ",\"token_endpoint_auth_methods_supported\":[\"client_secret_post\"]}";
    assert_int_equal(al__oidc_discovery_parse(post, strlen(post), ISS, &d, err, sizeof(err)), 0);
    assert_true(d.secret_post);
    al__oidc_discovery_release(&d);
}

static void only_https_or_loopback_http_urls_are_allowed(void **state) {
    (void)state;
    assert_true(al__oidc_url_allowed("https://idp.example.com"));
    assert_true(al__oidc_url_allowed("https://idp.example.com:8443/realms/x"));
    assert_true(al__oidc_url_allowed("http://127.0.0.1:5556/dex"));
    assert_true(al__oidc_url_allowed("http://localhost:8080"));
    assert_true(al__oidc_url_allowed("http://[::1]:8080/"));
    assert_false(al__oidc_url_allowed("http://idp.example.com"));
    assert_false(al__oidc_url_allowed("http://127.0.0.1.evil.com/"));
    assert_false(al__oidc_url_allowed("http://localhost.evil.com/"));
    assert_false(al__oidc_url_allowed("http://127.0.0.1@evil.com/"));
    assert_false(al__oidc_url_allowed("https://"));
    assert_false(al__oidc_url_allowed("ftp://idp.example.com"));
    assert_false(al__oidc_url_allowed("https://idp.example.com/a b"));
    assert_false(al__oidc_url_allowed("file:///etc/passwd"));
}

static void expect_config_refused(struct al__oidc_config cfg, const char *words) {
    struct al__oidc *rp = NULL;
    char err[256] = "";
    if (al__oidc_new(&cfg, &rp, err, sizeof(err)) == 0) {
        al__oidc_free(rp);
        fail_msg("accepted, expected \"%s\"", words);
    }
    if (!strstr(err, words))
        fail_msg("\"%s\", expected \"%s\"", err, words);
}

static void configurations_are_checked(void **state) {
    (void)state;
    struct al__oidc_config cfg, c;
    al__oidc_config_init(&cfg);
    cfg.issuer = ISS;
    cfg.client_id = "allotd";
    cfg.client_secret = "s";
    cfg.redirect_uri = "https://allot.example.com/api/v1/sso/callback";
    struct al__oidc *rp = NULL;
    char err[256];
    assert_int_equal(al__oidc_new(&cfg, &rp, err, sizeof(err)), 0); /* no network yet */
    assert_int_equal(al__oidc_jwks_fetches(rp), 0);
    al__oidc_free(rp);
    al__oidc_free(NULL);
    c = cfg, c.issuer = "http://idp.example.com";
    expect_config_refused(c, "invalid issuer");
    c = cfg, c.issuer = NULL;
    expect_config_refused(c, "invalid issuer");
    c = cfg, c.client_id = "";
    expect_config_refused(c, "invalid client id");
    c = cfg, c.scopes = "profile openidx";
    expect_config_refused(c, "must include openid");
    c = cfg, c.client_secret_file = "/nonexistent";
    expect_config_refused(c, "not both");
    c = cfg, c.client_secret = NULL;
    expect_config_refused(c, "client secret");
    c = cfg, c.client_secret = NULL, c.client_secret_file = "/nonexistent/secret";
    expect_config_refused(c, "cannot read the OIDC client secret file");
    c = cfg, c.redirect_uri = "/api/v1/sso/callback";
    expect_config_refused(c, "redirect URI");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(malformed_tokens_are_refused),
        cmocka_unit_test(signatures_verify_with_the_named_key),
        cmocka_unit_test(keys_are_found_by_kid_and_algorithm),
        cmocka_unit_test(malformed_key_sets_are_refused),
        cmocka_unit_test(id_token_claims_are_checked),
        cmocka_unit_test(claims_give_username_email_and_groups),
        cmocka_unit_test(discovery_documents_are_checked),
        cmocka_unit_test(only_https_or_loopback_http_urls_are_allowed),
        cmocka_unit_test(configurations_are_checked),
    };
    return cmocka_run_group_tests(tests, keys_make, keys_free);
}
