/* oidc.c - the relying party's configuration, its two caches (discovery, JWKS) under one lock
 * never held during network I/O, and the ID token check that ties parsing, key and claims. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/err.h>
#include <sodium.h>

#include "allot/errors.h"
#include "daemon/oidc/fetch.h"
#include "daemon/oidc/jose.h"
#include "daemon/oidc/oidc_rp.h"

void al__oidc_config_init(struct al__oidc_config *cfg) {
    memset(cfg, 0, sizeof(*cfg));
    cfg->scopes = AL__OIDC_SCOPES_DEFAULT;
    cfg->username_claim = AL__OIDC_USERNAME_CLAIM_DEFAULT;
    cfg->groups_claim = AL__OIDC_GROUPS_CLAIM_DEFAULT;
    cfg->timeout_s = AL__OIDC_TIMEOUT_DEFAULT;
    cfg->leeway_s = AL__OIDC_LEEWAY_DEFAULT;
    cfg->jwks_refetch_s = AL__OIDC_JWKS_REFETCH_DEFAULT;
    cfg->discovery_ttl_s = AL__OIDC_DISCOVERY_TTL_DEFAULT;
}

/* Milliseconds: "at most once per N seconds" must hold across a second boundary too. */
long long al__oidc_monotonic_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The first line of a file holding the client secret. */
static int read_secret(const char *path, char **out, char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    char line[4096];
    if (!f) {
        snprintf(err, errlen, "cannot read the OIDC client secret file %s", path);
        return -AL_EIO;
    }
    bool got = fgets(line, sizeof(line), f) != NULL;
    fclose(f);
    line[got ? strcspn(line, "\r\n") : 0] = '\0';
    if (!line[0]) {
        snprintf(err, errlen, "the OIDC client secret file %s is empty", path);
        return -AL_EINVAL;
    }
    *out = strdup(line);
    sodium_memzero(line, sizeof(line));
    return *out ? 0 : -AL_ENOMEM;
}

static bool has_word(const char *list, const char *word) {
    size_t n = strlen(word);
    for (const char *p = list; (p = strstr(p, word)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return true;
    return false;
}

static int config_check(const struct al__oidc_config *cfg, char *err, size_t errlen) {
    const char *bad = NULL;
    if (!cfg->issuer || !al__oidc_url_allowed(cfg->issuer) || strchr(cfg->issuer, '?'))
        bad = "issuer (an https URL; http only on loopback)";
    else if (!cfg->client_id || !cfg->client_id[0])
        bad = "client id";
    else if (!cfg->redirect_uri || (strncmp(cfg->redirect_uri, "https://", 8) != 0 &&
                                    strncmp(cfg->redirect_uri, "http://", 7) != 0))
        bad = "redirect URI (an absolute http or https URL)";
    else if (!cfg->scopes || !has_word(cfg->scopes, "openid"))
        bad = "scopes (they must include openid)";
    else if (!cfg->username_claim || !cfg->username_claim[0] || !cfg->groups_claim ||
             !cfg->groups_claim[0])
        bad = "user name or groups claim";
    else if (!cfg->client_secret == !cfg->client_secret_file)
        bad = "client secret (give a secret or a file holding it, not both)";
    else if (cfg->timeout_s <= 0 || cfg->leeway_s < 0 || cfg->jwks_refetch_s < 0 ||
             cfg->discovery_ttl_s < 0)
        bad = "timeout, leeway or cache time";
    if (bad) {
        snprintf(err, errlen, "OIDC configuration: invalid %s", bad);
        return -AL_EINVAL;
    }
    return 0;
}

int al__oidc_new(const struct al__oidc_config *cfg, struct al__oidc **out, char *err,
                 size_t errlen) {
    int rc = config_check(cfg, err, errlen);
    if (rc != 0)
        return rc;
    struct al__oidc *rp = calloc(1, sizeof(*rp));
    if (!rp)
        return -AL_ENOMEM;
    pthread_mutex_init(&rp->lock, NULL);
    pthread_cond_init(&rp->jwks_fetched, NULL);
    rp->timeout_s = cfg->timeout_s;
    rp->leeway_s = cfg->leeway_s;
    rp->jwks_refetch_s = cfg->jwks_refetch_s;
    rp->discovery_ttl_s = cfg->discovery_ttl_s;
    if (!(rp->issuer = strdup(cfg->issuer)) || !(rp->client_id = strdup(cfg->client_id)) ||
        !(rp->redirect_uri = strdup(cfg->redirect_uri)) || !(rp->scopes = strdup(cfg->scopes)) ||
        !(rp->username_claim = strdup(cfg->username_claim)) ||
        !(rp->groups_claim = strdup(cfg->groups_claim)) ||
        (cfg->ca_file && !(rp->ca_file = strdup(cfg->ca_file))) ||
        (cfg->client_secret && !(rp->client_secret = strdup(cfg->client_secret))))
        rc = -AL_ENOMEM;
    if (rc == 0 && cfg->client_secret_file)
        rc = read_secret(cfg->client_secret_file, &rp->client_secret, err, errlen);
    if (rc == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        rc = -AL_ENOMEM;
    if (rc == 0 && sodium_init() < 0)
        rc = -AL_ENOMEM;
    if (rc != 0) {
        if (rc == -AL_ENOMEM)
            snprintf(err, errlen, "out of memory setting up OIDC");
        al__oidc_free(rp);
        return rc;
    }
    *out = rp;
    return 0;
}

void al__oidc_free(struct al__oidc *rp) {
    if (!rp)
        return;
    if (rp->client_secret) {
        sodium_memzero(rp->client_secret, strlen(rp->client_secret));
        free(rp->client_secret);
    }
    free(rp->issuer);
    free(rp->client_id);
    free(rp->redirect_uri);
    free(rp->scopes);
    free(rp->username_claim);
    free(rp->groups_claim);
    free(rp->ca_file);
    al__oidc_discovery_release(&rp->discovery);
    al__jwks_release(&rp->jwks);
    pthread_cond_destroy(&rp->jwks_fetched);
    pthread_mutex_destroy(&rp->lock);
    free(rp);
}

unsigned long al__oidc_jwks_fetches(struct al__oidc *rp) {
    pthread_mutex_lock(&rp->lock);
    unsigned long n = rp->jwks_fetches;
    pthread_mutex_unlock(&rp->lock);
    return n;
}

void al__oidc_request_init(const struct al__oidc *rp, struct al__oidc_request *req,
                           const char *url) {
    memset(req, 0, sizeof(*req));
    req->url = url;
    req->ca_file = rp->ca_file;
    req->timeout_s = rp->timeout_s;
}

/* A document fetched with GET that must come back 200. */
static int fetch_doc(struct al__oidc *rp, const char *url, const char *what, char **body,
                     size_t *len, char *err, size_t errlen) {
    struct al__oidc_request req;
    long status = 0;
    al__oidc_request_init(rp, &req, url);
    int rc = al__oidc_fetch(&req, what, &status, body, len, err, errlen);
    if (rc == 0 && status != 200) {
        snprintf(err, errlen, "the issuer answered HTTP %ld for its %s", status, what);
        free(*body);
        return -AL_EIO;
    }
    return rc;
}

static int copy_discovery(const struct al__oidc_discovery *from, struct al__oidc_discovery *to) {
    struct al__oidc_discovery d = {.secret_post = from->secret_post};
    if (!(d.issuer = strdup(from->issuer)) ||
        !(d.authorization_endpoint = strdup(from->authorization_endpoint)) ||
        !(d.token_endpoint = strdup(from->token_endpoint)) ||
        !(d.jwks_uri = strdup(from->jwks_uri))) {
        al__oidc_discovery_release(&d);
        return -AL_ENOMEM;
    }
    *to = d;
    return 0;
}

int al__oidc_discovery_get(struct al__oidc *rp, struct al__oidc_discovery *out, char *err,
                           size_t errlen) {
    int rc = 1;
    pthread_mutex_lock(&rp->lock);
    if (rp->discovery.issuer &&
        al__oidc_monotonic_ms() - rp->discovery_at < (long long)rp->discovery_ttl_s * 1000)
        rc = copy_discovery(&rp->discovery, out);
    pthread_mutex_unlock(&rp->lock);
    if (rc <= 0)
        return rc;

    char url[2200], *body = NULL;
    size_t len = 0, n = strlen(rp->issuer);
    struct al__oidc_discovery fresh = {0};
    n -= n > 0 && rp->issuer[n - 1] == '/'; /* Discovery 4: the issuer's path, then the name */
    snprintf(url, sizeof(url), "%.*s/.well-known/openid-configuration", (int)n, rp->issuer);
    rc = fetch_doc(rp, url, "discovery document", &body, &len, err, errlen);
    if (rc == 0) {
        rc = al__oidc_discovery_parse(body, len, rp->issuer, &fresh, err, errlen);
        free(body);
    }
    pthread_mutex_lock(&rp->lock);
    if (rc == 0) {
        al__oidc_discovery_release(&rp->discovery);
        rp->discovery = fresh;
        rp->discovery_at = al__oidc_monotonic_ms();
    }
    if (rp->discovery.issuer && (rc == 0 || rc == -AL_EIO)) /* unreachable: keep the old one */
        rc = copy_discovery(&rp->discovery, out);
    pthread_mutex_unlock(&rp->lock);
    return rc;
}

/* The key for (kid, alg) from the cache, with a reference the caller drops; NULL if none. */
static EVP_PKEY *cached_key(struct al__oidc *rp, const char *kid, enum al__jwa alg, bool *rsa) {
    const struct al__jwk *k = al__jwks_find(&rp->jwks, kid, alg);
    if (!k || EVP_PKEY_up_ref(k->key) != 1)
        return NULL;
    *rsa = k->rsa;
    return k->key;
}

static int unknown_kid(const char *kid, enum al__jwa alg, char *err, size_t errlen) {
    char q[100];
    if (kid) {
        al__oidc_quote(kid, 64, q, sizeof(q));
        snprintf(err, errlen, "kid \"%s\" not in the issuer's keys", q);
    } else {
        snprintf(err, errlen,
                 "the token names no kid and the issuer's keys hold no single key "
                 "for its algorithm");
    }
    (void)alg;
    return -AL_EINVAL;
}

int al__oidc_key_get(struct al__oidc *rp, const char *jwks_uri, const char *kid, enum al__jwa alg,
                     EVP_PKEY **key, bool *rsa, char *err, size_t errlen) {
    pthread_mutex_lock(&rp->lock);
    EVP_PKEY *k;
    bool waited = false;
    /* One fetch at a time: the others wait for its keys (a bounded wait: it has a timeout). */
    while (!(k = cached_key(rp, kid, alg, rsa)) && rp->jwks_fetching) {
        pthread_cond_wait(&rp->jwks_fetched, &rp->lock);
        waited = true;
    }
    long long now = al__oidc_monotonic_ms();
    /* An unknown kid refetches (keys rotated at the issuer), at most once per jwks_refetch_s
     * however many tokens name unknown kids. */
    bool fetch = !k && !waited &&
                 (rp->jwks.count == 0 || now - rp->jwks_at >= (long long)rp->jwks_refetch_s * 1000);
    if (fetch) {
        rp->jwks_fetching = true;
        rp->jwks_at = now;
    }
    pthread_mutex_unlock(&rp->lock);
    if (k) {
        *key = k;
        return 0;
    }
    if (!fetch)
        return unknown_kid(kid, alg, err, errlen);

    char *body = NULL;
    size_t len = 0;
    struct al__jwks fresh = {0};
    int rc = fetch_doc(rp, jwks_uri, "JWKS", &body, &len, err, errlen);
    if (rc == 0) {
        rc = al__jwks_parse(body, len, &fresh, err, errlen);
        free(body);
    }
    pthread_mutex_lock(&rp->lock);
    if (rc == 0) {
        al__jwks_release(&rp->jwks);
        rp->jwks = fresh;
        rp->jwks_fetches++;
        k = cached_key(rp, kid, alg, rsa);
    }
    rp->jwks_fetching = false;
    pthread_cond_broadcast(&rp->jwks_fetched);
    pthread_mutex_unlock(&rp->lock);
    if (rc != 0)
        return rc;
    if (!k)
        return unknown_kid(kid, alg, err, errlen);
    *key = k;
    return 0;
}

int al__oidc_check_token(struct al__oidc *rp, const char *token, const char *nonce,
                         struct al__oidc_claims *claims, char *err, size_t errlen) {
    struct al__jws jws = {0};
    struct al__oidc_discovery d = {0};
    EVP_PKEY *key = NULL;
    bool rsa = false;
    int rc = al__jws_parse(token, strlen(token), &jws, err, errlen);
    if (rc == 0)
        rc = al__oidc_discovery_get(rp, &d, err, errlen);
    if (rc == 0)
        rc = al__oidc_key_get(rp, d.jwks_uri, jws.kid, jws.alg, &key, &rsa, err, errlen);
    if (rc == 0)
        rc = al__jws_verify(&jws, key, rsa, err, errlen);
    if (rc == 0) {
        struct al__idtoken_expect want = {
            .issuer = rp->issuer,
            .client_id = rp->client_id,
            .nonce = nonce,
            .username_claim = rp->username_claim,
            .groups_claim = rp->groups_claim,
            .now = (long long)time(NULL),
            .leeway_s = rp->leeway_s,
        };
        rc = al__idtoken_check(jws.payload, &want, claims, err, errlen);
    }
    EVP_PKEY_free(key);
    al__oidc_discovery_release(&d);
    al__jws_release(&jws);
    ERR_clear_error(); /* OpenSSL's queue is per thread: leave nothing for another caller */
    return rc;
}

int al__oidc_verify(struct al__oidc *rp, const char *id_token, struct al__oidc_claims *claims,
                    char *err, size_t errlen) {
    return al__oidc_check_token(rp, id_token, NULL, claims, err, errlen);
}
