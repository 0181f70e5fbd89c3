/* routes_sso.c - signing in through the identity provider. POST /api/v1/sso/start gives the
 * provider's URL for a browser and a device code; the provider sends the browser back to GET
 * /api/v1/sso/callback, where allotd checks the ID token (oidc/oidc.h), makes or updates the SSO
 * user (groups from the token) and opens a session; the CLI collects it at POST /api/v1/token
 * with the device code (grant type urn:ietf:params:oauth:grant-type:device_code). A CI job's ID
 * token is exchanged for a session there too (grant type ...:token-exchange). No lock of
 * allotd's is held while the provider is asked. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api.h"
#include "daemon/directory_service.h"
#include "daemon/login_guard.h"
#include "daemon/sessions.h"
#include "daemon/sso.h"
#include "util/xalloc.h"

#define DEVICE_GRANT   "urn:ietf:params:oauth:grant-type:device_code"
#define EXCHANGE_GRANT "urn:ietf:params:oauth:grant-type:token-exchange"

static bool configured(struct allotd *d, struct al__reply *rep) {
    if (d->sso.rp)
        return true;
    al__reply_error(rep, "failed_precondition", NULL,
                    "single sign-on is not configured: start allotd with --oidc-issuer, "
                    "--oidc-client-id and --oidc-client-secret-file");
    return false;
}

/* A free slot, or the one that expired first (or, all live, the oldest). Lock held. */
static struct al__sso_login *free_slot(struct al__sso *sso) {
    struct al__sso_login *pick = &sso->logins[0];
    for (size_t i = 0; i < AL__SSO_LOGINS; i++)
        if (sso->logins[i].expires_s < pick->expires_s)
            pick = &sso->logins[i];
    sodium_memzero(pick, sizeof(*pick));
    return pick;
}

void al__sso_start_route(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    struct al__oidc_pending pending;
    char *url = NULL, err[400], device[AL__TOKEN_TEXT_MAX];
    unsigned char digest[AL__DIGEST_SIZE];
    if (!configured(d, rep))
        return;
    if (!al__sign_in_allowed(d, req, rep))
        return;
    if (al__oidc_begin(d->sso.rp, &pending, &url, err, sizeof(err)) < 0) {
        al__reply_error(rep, "bad_gateway", NULL, "the identity provider: %s", err);
        return;
    }
    al__token_make(device, digest);
    pthread_mutex_lock(&d->sso.lock);
    struct al__sso_login *l = free_slot(&d->sso);
    memcpy(l->device, digest, sizeof(digest));
    l->pending = pending;
    l->expires_s = al__daemon_now() + AL__SSO_LOGIN_TTL;
    l->state = AL__SSO_WAITING;
    pthread_mutex_unlock(&d->sso.lock);
    al__reply_json(rep, 200,
                   json_pack("{s:s, s:s, s:i, s:i}", "url", url, "device_code", device, "interval",
                             1, "expires_in", AL__SSO_LOGIN_TTL));
    sodium_memzero(&pending, sizeof(pending));
    sodium_memzero(device, sizeof(device));
    free(url);
}

/* The page the browser ends on: `text`, then `arg` and a newline. */
static void reply_page(struct al__reply *rep, int status, const char *text, const char *arg) {
    size_t n = strlen(text) + strlen(arg) + 2;
    rep->status = status;
    rep->text = al__xmalloc(n);
    snprintf(rep->text, n, "%s%s\n", text, arg);
    rep->text_len = strlen(rep->text);
}

/* The SSO user the claims name (made or updated) and a session of theirs into *t; the user's
 * subject into `subject`. 0, or -1 with why in err. */
static int open_session(struct allotd *d, const struct al__request *req,
                        const struct al__oidc_claims *c, bool refreshable, const char *how,
                        char *subject, size_t size, struct al__issued *t, char *err,
                        size_t errlen) {
    struct al__actor by = {"", ""};
    struct al__failure f;
    char name[AL__SUBJECT_MAX];
    pthread_mutex_lock(&d->store_lock);
    int rc = al__sso_user_sync(d, c, name, sizeof(name), &f);
    pthread_mutex_unlock(&d->store_lock);
    if (rc < 0) {
        snprintf(err, errlen, "%.*s", (int)errlen - 1, f.message); /* cut to fit */
        return -1;
    }
    snprintf(subject, size, "user:%.*s", (int)size - 6, name);
    snprintf(by.subject, sizeof(by.subject), "%s", subject);
    snprintf(by.source, sizeof(by.source), "%s", req->actor ? req->actor->source : "local");
    if (al__session_issue(d, &by, subject, how, refreshable, t) < 0) {
        snprintf(err, errlen, "store: the session could not be kept");
        return -1;
    }
    return 0;
}

void al__sso_callback_route(struct allotd *d, const struct al__request *req,
                            struct al__reply *rep) {
    const char *code = al__query(req, "code"), *state = al__query(req, "state");
    const char *iss = al__query(req, "iss"), *denied = al__query(req, "error");
    struct al__oidc_pending pending;
    struct al__oidc_claims claims = {0};
    struct al__issued t;
    char err[250], subject[AL__SUBJECT_MAX];
    bool found = false;
    if (!configured(d, rep))
        return;
    if (!state) {
        reply_page(rep, 400, "allot: this sign-in link is incomplete (no state)", "");
        return;
    }
    pthread_mutex_lock(&d->sso.lock);
    for (size_t i = 0; i < AL__SSO_LOGINS && !found; i++) {
        struct al__sso_login *l = &d->sso.logins[i];
        if (l->expires_s > al__daemon_now() && l->state == AL__SSO_WAITING &&
            strlen(state) == strlen(l->pending.state) &&
            sodium_memcmp(state, l->pending.state, strlen(state)) == 0) {
            pending = l->pending;
            found = true;
        }
    }
    pthread_mutex_unlock(&d->sso.lock);
    if (!found) {
        reply_page(rep, 400,
                   "allot: no sign-in is waiting for this link (expired, or used "
                   "already): run `allot login --sso` again%s\n",
                   "");
        return;
    }
    int rc =
        denied  ? (snprintf(err, sizeof(err), "the identity provider said: %.200s", denied), -1)
        : !code ? (snprintf(err, sizeof(err), "the identity provider sent no code"), -1)
                : al__oidc_finish(d->sso.rp, &pending, code, state, iss, &claims, err, sizeof(err));
    if (rc == 0)
        rc = open_session(d, req, &claims, true, "sso", subject, sizeof(subject), &t, err,
                          sizeof(err));
    al__oidc_claims_release(&claims);
    pthread_mutex_lock(&d->sso.lock);
    for (size_t i = 0; i < AL__SSO_LOGINS; i++) {
        struct al__sso_login *l = &d->sso.logins[i];
        if (strcmp(l->pending.state, pending.state) != 0 || l->state != AL__SSO_WAITING)
            continue;
        l->state = rc == 0 ? AL__SSO_DONE : AL__SSO_FAILED;
        if (rc == 0) {
            l->issued = t;
            snprintf(l->subject, sizeof(l->subject), "%s", subject);
        } else {
            snprintf(l->error, sizeof(l->error), "%s", err);
        }
    }
    pthread_mutex_unlock(&d->sso.lock);
    sodium_memzero(&pending, sizeof(pending));
    sodium_memzero(&t, sizeof(t));
    if (rc == 0)
        reply_page(rep, 200, "Signed in to allot; you may close this window. You are ", subject);
    else
        reply_page(rep, 401, "allot: sign-in refused: ", err);
}

/* The tokens a device code's login got, once (then the slot is free). */
void al__sso_device_grant(struct allotd *d, const struct al__request *req, const json_t *body,
                          struct al__reply *rep) {
    const char *device = json_string_value(json_object_get(body, "device_code"));
    unsigned char digest[AL__DIGEST_SIZE];
    (void)req;
    if (!configured(d, rep))
        return;
    if (!device || !device[0] || strlen(device) >= AL__TOKEN_TEXT_MAX) {
        al__reply_error(rep, "invalid_argument", "device_code", "must be the code sso/start gave");
        return;
    }
    al__auth_digest(device, strlen(device), digest);
    pthread_mutex_lock(&d->sso.lock);
    struct al__sso_login *l = NULL;
    for (size_t i = 0; i < AL__SSO_LOGINS && !l; i++)
        if (d->sso.logins[i].expires_s > al__daemon_now() &&
            sodium_memcmp(d->sso.logins[i].device, digest, AL__DIGEST_SIZE) == 0)
            l = &d->sso.logins[i];
    if (!l) {
        al__reply_error(rep, "unauthenticated", "device_code",
                        "unknown or expired: run `allot login --sso` again");
    } else if (l->state == AL__SSO_WAITING) {
        al__reply_error(rep, "authorization_pending", NULL,
                        "waiting for the sign-in in the browser");
    } else if (l->state == AL__SSO_FAILED) {
        al__reply_error(rep, "unauthenticated", NULL, "sign-in refused: %s", l->error);
        sodium_memzero(l, sizeof(*l));
    } else {
        json_t *answer =
            json_pack("{s:s, s:s, s:I, s:s, s:s}", "access_token", l->issued.access, "token_type",
                      "Bearer", "expires_in", (json_int_t)l->issued.expires_in_s, "subject",
                      l->subject, "refresh_token", l->issued.refresh);
        al__reply_json(rep, 200, answer);
        sodium_memzero(l, sizeof(*l));
    }
    pthread_mutex_unlock(&d->sso.lock);
}

void al__sso_exchange_grant(struct allotd *d, const struct al__request *req, const json_t *body,
                            struct al__reply *rep) {
    const char *token = json_string_value(json_object_get(body, "subject_token"));
    struct al__oidc_claims claims = {0};
    struct al__issued t;
    char err[400], subject[AL__SUBJECT_MAX];
    if (!configured(d, rep))
        return;
    if (!token || !token[0] || strlen(token) > 16384) {
        al__reply_error(rep, "invalid_argument", "subject_token",
                        "must be an ID token of the identity provider");
        return;
    }
    if (!al__sign_in_allowed(d, req, rep))
        return;
    int rc = al__oidc_verify(d->sso.rp, token, &claims, err, sizeof(err));
    if (rc == 0)
        rc = open_session(d, req, &claims, false, "token-exchange", subject, sizeof(subject), &t,
                          err, sizeof(err));
    al__oidc_claims_release(&claims);
    if (rc < 0) {
        al__reply_error(rep, "unauthenticated", "subject_token", "%s", err);
        return;
    }
    al__reply_json(rep, 200,
                   json_pack("{s:s, s:s, s:I, s:s}", "access_token", t.access, "token_type",
                             "Bearer", "expires_in", (json_int_t)t.expires_in_s, "subject",
                             subject));
    sodium_memzero(&t, sizeof(t));
}
