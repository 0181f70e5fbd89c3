/* sso.c - allotd's --oidc-* options, its relying party, and the table of logins under way. */
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/sso.h"

bool al__sso_option(struct al__sso_options *o, const char *name, const char *value) {
    static const struct {
        const char *name;
        size_t offset;
    } known[] = {
        {"--oidc-issuer", offsetof(struct al__sso_options, issuer)},
        {"--oidc-client-id", offsetof(struct al__sso_options, client_id)},
        {"--oidc-client-secret-file", offsetof(struct al__sso_options, secret_file)},
        {"--oidc-redirect-uri", offsetof(struct al__sso_options, redirect_uri)},
        {"--oidc-username-claim", offsetof(struct al__sso_options, username_claim)},
        {"--oidc-groups-claim", offsetof(struct al__sso_options, groups_claim)},
        {"--oidc-ca-file", offsetof(struct al__sso_options, ca_file)},
        {"--oidc-scopes", offsetof(struct al__sso_options, scopes)},
        {"--oidc-jwks-refetch", offsetof(struct al__sso_options, jwks_refetch)},
    };
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (strcmp(name, known[i].name) == 0) {
            *(const char **)((char *)o + known[i].offset) = value;
            return true;
        }
    return false;
}

int al__sso_start(struct al__sso *sso, const struct al__sso_options *o, const char *base_url,
                  char *err, size_t size) {
    struct al__oidc_config cfg;
    char redirect[600], why[400];
    memset(sso, 0, sizeof(*sso));
    pthread_mutex_init(&sso->lock, NULL);
    if (!o->issuer) {
        if (o->client_id || o->secret_file) {
            snprintf(err, size,
                     "--oidc-client-id and --oidc-client-secret-file need "
                     "--oidc-issuer");
            return -1;
        }
        return 0;
    }
    if (!o->client_id || !o->secret_file) {
        snprintf(err, size, "--oidc-issuer needs --oidc-client-id and --oidc-client-secret-file");
        return -1;
    }
    snprintf(redirect, sizeof(redirect), "%s/api/v1/sso/callback", base_url);
    al__oidc_config_init(&cfg);
    cfg.issuer = o->issuer;
    cfg.client_id = o->client_id;
    cfg.client_secret_file = o->secret_file;
    cfg.redirect_uri = o->redirect_uri ? o->redirect_uri : redirect;
    cfg.ca_file = o->ca_file;
    if (o->username_claim)
        cfg.username_claim = o->username_claim;
    if (o->groups_claim)
        cfg.groups_claim = o->groups_claim;
    if (o->scopes)
        cfg.scopes = o->scopes;
    if (o->jwks_refetch) {
        char *end;
        long s = strtol(o->jwks_refetch, &end, 10);
        if (*end || end == o->jwks_refetch || s < 0 || s > 86400) {
            snprintf(err, size, "--oidc-jwks-refetch: must be 0..86400 seconds");
            return -1;
        }
        cfg.jwks_refetch_s = (int)s;
    }
    if (al__oidc_new(&cfg, &sso->rp, why, sizeof(why)) < 0) {
        snprintf(err, size, "--oidc-*: %s", why);
        return -1;
    }
    return 0;
}

void al__sso_stop(struct al__sso *sso) {
    al__oidc_free(sso->rp);
    sodium_memzero(sso->logins, sizeof(sso->logins));
    pthread_mutex_destroy(&sso->lock);
    sso->rp = NULL;
}
