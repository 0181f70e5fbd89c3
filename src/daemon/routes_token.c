/* routes_token.c - signing in and out: POST /api/v1/token (grant types "password",
 * "refresh_token", "client_credentials"), POST /api/v1/token/revoke (log out) and GET
 * /api/v1/whoami. Password checks are bounded per address and at once (login_guard.h), locked
 * accounts are refused without a check, and an unknown user costs the same Argon2id check as a
 * known one. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api.h"
#include "daemon/directory_service.h"
#include "daemon/login_guard.h"
#include "daemon/password.h"
#include "daemon/sessions.h"

#define SECRET_MAX 1024

static void reply_issued(struct al__reply *rep, const char *subject, struct al__issued *t) {
    json_t *body =
        json_pack("{s:s, s:s, s:I, s:s}", "access_token", t->access, "token_type", "Bearer",
                  "expires_in", (json_int_t)t->expires_in_s, "subject", subject);
    if (t->refresh[0])
        json_object_set_new(body, "refresh_token", json_string(t->refresh));
    al__reply_json(rep, 200, body);
    sodium_memzero(t, sizeof(*t));
}

/* A string field of the body, at most SECRET_MAX bytes and without NUL; NULL after a 400. */
static const char *field(const json_t *body, const char *name, struct al__reply *rep) {
    json_t *v = json_object_get(body, name);
    const char *s = json_string_value(v);
    if (!s || !s[0] || strlen(s) > SECRET_MAX || strlen(s) != json_string_length(v)) {
        al__reply_error(rep, "invalid_argument", name, "must be a non-empty string");
        return NULL;
    }
    return s;
}

/* The actor of a sign-in: the subject it is for, from the request's address. */
static struct al__actor actor_for(const struct al__request *req, const char *subject) {
    struct al__actor by = {"", ""};
    snprintf(by.subject, sizeof(by.subject), "%s", subject);
    snprintf(by.source, sizeof(by.source), "%s", req->actor ? req->actor->source : "local");
    return by;
}

bool al__sign_in_allowed(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    int64_t retry = 0;
    if (al__login_attempt(&d->login_guard, req->actor ? req->actor->source : "local",
                          al__daemon_now(), &retry))
        return true;
    al__reply_error(rep, "resource_exhausted", NULL,
                    "too many sign-in attempts from this address: try again in %lld s",
                    (long long)retry);
    return false;
}

static void password_grant(struct allotd *d, const struct al__request *req, const json_t *body,
                           struct al__reply *rep) {
    const char *name = field(body, "username", rep), *password;
    char subject[AL__SUBJECT_MAX + 8];
    int64_t locked_until, failures, now = al__daemon_now();
    bool exists, ok;
    struct al__issued t;

    if (!name || !(password = field(body, "password", rep)) || !al__sign_in_allowed(d, req, rep))
        return;
    char *hash = al__subject_name_valid(name)
                     ? al__directory_password(&d->dir, name, &exists, &locked_until, &failures)
                     : (exists = false, locked_until = failures = 0, NULL);
    snprintf(subject, sizeof(subject), "user:%s", name);
    struct al__actor by = actor_for(req, exists ? subject : "unknown");
    if (locked_until > now) {
        free(hash);
        pthread_mutex_lock(&d->store_lock);
        al__user_note_login(d, &by, name, false); /* counted: the backoff grows */
        pthread_mutex_unlock(&d->store_lock);
        al__reply_error(rep, "resource_exhausted", NULL,
                        "account %s is locked after %lld failed sign-ins: try again in %lld s, or "
                        "ask an administrator to unlock it",
                        name, (long long)failures, (long long)(locked_until - now));
        return;
    }
    if (!al__login_check_begin(&d->login_guard)) {
        free(hash);
        al__reply_error(rep, "unavailable", NULL, "too many sign-ins at once: try again");
        return;
    }
    /* the same work for an unknown user as for a known one */
    ok = al__password_verify(hash ? hash : d->dummy_hash, password, strlen(password)) && hash;
    al__login_check_end(&d->login_guard);
    free(hash);
    pthread_mutex_lock(&d->store_lock);
    if (exists)
        al__user_note_login(d, &by, name, ok);
    else
        al__audit_append_own(d, &by, "login", "session", "password", "denied");
    pthread_mutex_unlock(&d->store_lock);
    if (!ok) {
        al__reply_error(rep, "unauthenticated", NULL, "wrong user name or password");
        return;
    }
    if (al__session_issue(d, &by, subject, "password", true, &t) < 0)
        al__reply_error(rep, "internal", NULL, "store: the session could not be kept");
    else
        reply_issued(rep, subject, &t);
}

static void client_credentials_grant(struct allotd *d, const struct al__request *req,
                                     const json_t *body, struct al__reply *rep) {
    const char *id = field(body, "client_id", rep), *secret;
    unsigned char digest[AL__DIGEST_SIZE];
    char subject[AL__SUBJECT_MAX + 8];
    struct al__issued t;
    if (!id || !(secret = field(body, "client_secret", rep)) || !al__sign_in_allowed(d, req, rep))
        return;
    al__auth_digest(secret, strlen(secret), digest);
    snprintf(subject, sizeof(subject), "app:%s", id);
    bool ok = al__directory_app_secret(&d->dir, id, digest);
    struct al__actor by = actor_for(req, ok ? subject : "unknown");
    if (!ok) {
        pthread_mutex_lock(&d->store_lock);
        al__audit_append_own(d, &by, "login", "session", "client_credentials", "denied");
        pthread_mutex_unlock(&d->store_lock);
        al__reply_error(rep, "unauthenticated", NULL, "wrong client id or secret");
        return;
    }
    if (al__session_issue(d, &by, subject, "client_credentials", false, &t) < 0)
        al__reply_error(rep, "internal", NULL, "store: the session could not be kept");
    else
        reply_issued(rep, subject, &t);
}

static void refresh_grant(struct allotd *d, const struct al__request *req, const json_t *body,
                          struct al__reply *rep) {
    const char *token = field(body, "refresh_token", rep);
    char subject[AL__SUBJECT_MAX];
    struct al__issued t;
    if (!token)
        return;
    struct al__actor by = actor_for(req, "unknown");
    int rc = al__session_refresh(d, &by, token, strlen(token), &t, subject, sizeof(subject));
    if (rc == -1)
        al__reply_error(rep, "unauthenticated", "refresh_token",
                        "unknown, used, expired or revoked: sign in again");
    else if (rc < 0)
        al__reply_error(rep, "internal", NULL, "store: the session could not be kept");
    else
        reply_issued(rep, subject, &t);
}

void al__token_route(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    json_t *body = al__request_json(req, rep);
    const char *grant;
    if (!body)
        return;
    grant = json_string_value(json_object_get(body, "grant_type"));
    if (!grant)
        al__reply_error(rep, "invalid_argument", "grant_type",
                        "must be password, refresh_token or client_credentials");
    else if (strcmp(grant, "password") == 0)
        password_grant(d, req, body, rep);
    else if (strcmp(grant, "refresh_token") == 0)
        refresh_grant(d, req, body, rep);
    else if (strcmp(grant, "client_credentials") == 0)
        client_credentials_grant(d, req, body, rep);
    else if (strcmp(grant, "urn:ietf:params:oauth:grant-type:device_code") == 0)
        al__sso_device_grant(d, req, body, rep);
    else if (strcmp(grant, "urn:ietf:params:oauth:grant-type:token-exchange") == 0)
        al__sso_exchange_grant(d, req, body, rep);
    else
        al__reply_error(rep, "invalid_argument", "grant_type",
                        "\"%s\" is not one of password, refresh_token, client_credentials, "
                        "urn:ietf:params:oauth:grant-type:device_code, "
                        "urn:ietf:params:oauth:grant-type:token-exchange",
                        grant);
    json_decref(body);
}

void al__token_revoke_route(struct allotd *d, const struct al__request *req,
                            struct al__reply *rep) {
    if (req->who->session_id <= 0) {
        al__reply_error(rep, "failed_precondition", NULL,
                        "%s is a static token, not a session: it is not revoked by logging out",
                        req->who->subject);
        return;
    }
    if (al__session_revoke(d, req->actor, req->who->session_id) < 0)
        al__reply_error(rep, "internal", NULL, "store: the session could not be revoked");
    else
        al__reply_json(rep, 200, json_pack("{s:b}", "revoked", 1));
}

void al__whoami_route(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    const struct al__principal *p = req->who;
    json_t *roles = json_array(), *body;
    char scope[AL__NAME_MAX + 16];
    for (size_t i = 0; i < p->binding_count; i++) {
        al__scope_text(&p->bindings[i], scope, sizeof(scope));
        json_array_append_new(roles, json_pack("{s:s, s:s}", "role",
                                               al__role_name(p->bindings[i].role), "scope", scope));
    }
    body = json_pack("{s:s, s:o, s:o}", "subject", p->subject, "roles", roles, "expires_s",
                     p->expires_s ? json_integer(p->expires_s) : json_null());
    if (strncmp(p->subject, "user:", 5) == 0) {
        pthread_rwlock_rdlock(&d->dir.lock);
        for (size_t i = 0; i < d->dir.user_count; i++)
            if (strcmp(d->dir.users[i].name, p->subject + 5) == 0)
                json_object_set_new(body, "user", al__user_json(&d->dir.users[i]));
        pthread_rwlock_unlock(&d->dir.lock);
    }
    al__reply_json(rep, 200, body);
}
