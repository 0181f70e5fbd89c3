/* routes_identity.c - /api/v1/users, /groups and /apps: subjects a system administrator
 * manages. Passwords are hashed (Argon2id) before any lock is taken; each change runs under
 * the store lock alone (directory_service.c). Secrets never leave in an answer except an app's
 * client secret, once, when it is made. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api.h"
#include "daemon/directory_service.h"
#include "daemon/password.h"
#include "daemon/sessions.h"
#include "util/xalloc.h"

#define PASSWORD_MIN 12
#define PASSWORD_MAX 1024

/* 400 naming the first key of `body` not in `known` (NULL-terminated): true when there is one. */
static bool unknown_key(const json_t *body, const char *const *known, struct al__reply *rep) {
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)body, key, v) {
        bool ok = false;
        for (size_t i = 0; known[i] && !ok; i++)
            ok = strcmp(key, known[i]) == 0;
        if (!ok) {
            al__reply_error(rep, "invalid_argument", key, "unknown field");
            return true;
        }
    }
    return false;
}

static void reply_failure(struct al__reply *rep, const struct al__failure *f) {
    al__reply_error(rep, f->code, f->field[0] ? f->field : NULL, "%s", f->message);
}

/* The Argon2id string of a password in the body (field "password"), or NULL after a 400. */
static char *hash_password(const json_t *password, struct al__reply *rep) {
    const char *text = json_string_value(password);
    size_t n = text ? strlen(text) : 0;
    char *hash;
    if (!text || n < PASSWORD_MIN || n > PASSWORD_MAX || n != json_string_length(password)) {
        al__reply_error(rep, "invalid_argument", "password",
                        "must be a string of %d to %d characters without NUL", PASSWORD_MIN,
                        PASSWORD_MAX);
        return NULL;
    }
    hash = malloc(AL__PASSWORD_HASH_MAX);
    if (!hash || al__password_hash(text, n, hash) < 0) {
        free(hash);
        al__reply_error(rep, "unavailable", NULL, "not enough memory to hash the password");
        return NULL;
    }
    return hash;
}

/* Reads the optional settings of a user from the body into u (its strings owned by u). */
static int read_user_settings(const json_t *body, struct al__user *u, struct al__reply *rep) {
    json_t *email = json_object_get(body, "email"), *unix_user = json_object_get(body, "unix_user"),
           *groups = json_object_get(body, "groups"), *g;
    size_t i;
    if (email && !json_is_null(email)) {
        if (!json_is_string(email) || json_string_length(email) > 254) {
            al__reply_error(rep, "invalid_argument", "email", "must be a string or null");
            return -1;
        }
        free(u->email);
        u->email = al__xstrdup(json_string_value(email));
    } else if (email) {
        free(u->email);
        u->email = NULL;
    }
    if (unix_user && !json_is_null(unix_user)) {
        const char *name = json_string_value(unix_user);
        if (!name || !al__subject_name_valid(name) || strchr(name, '@') || strlen(name) > 32) {
            al__reply_error(rep, "invalid_argument", "unix_user",
                            "must be a Unix account name (up to 32 characters) or null");
            return -1;
        }
        free(u->unix_user);
        u->unix_user = al__xstrdup(name);
    } else if (unix_user) {
        free(u->unix_user);
        u->unix_user = NULL;
    }
    if (groups) {
        if (!json_is_array(groups) || json_array_size(groups) > AL__GROUPS_MAX) {
            al__reply_error(rep, "invalid_argument", "groups",
                            "must be an array of at most %d group names", AL__GROUPS_MAX);
            return -1;
        }
        json_array_foreach(groups, i, g) {
            if (!al__subject_name_valid(json_string_value(g))) {
                al__reply_error(rep, "invalid_argument", "groups", "\"%s\" is not a group name",
                                json_is_string(g) ? json_string_value(g) : "(not a string)");
                return -1;
            }
        }
        for (i = 0; i < u->group_count; i++)
            free(u->groups[i]);
        u->group_count = 0;
        u->groups = al__xrealloc(u->groups, json_array_size(groups) * sizeof(*u->groups) + 1);
        json_array_foreach(groups, i, g) u->groups[u->group_count++] =
            al__xstrdup(json_string_value(g));
    }
    return 0;
}

/* Runs a change under the store lock, answering with `ok` (taken) or the failure. */
#define UNDER_STORE_LOCK(d, call)                                                                  \
    do {                                                                                           \
        pthread_mutex_lock(&(d)->store_lock);                                                      \
        rc = (call);                                                                               \
        pthread_mutex_unlock(&(d)->store_lock);                                                    \
    } while (0)

void al__users_list(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    int64_t limit, offset;
    if (al__paging(req, rep, &limit, &offset) < 0)
        return;
    json_t *items = json_array();
    pthread_rwlock_rdlock(&d->dir.lock);
    size_t total = d->dir.user_count;
    for (size_t i = (size_t)offset; i < total && i < (size_t)(offset + limit); i++)
        json_array_append_new(items, al__user_json(&d->dir.users[i]));
    pthread_rwlock_unlock(&d->dir.lock);
    al__list_reply(rep, items, total, limit, offset);
}

void al__user_get(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    json_t *found = NULL;
    pthread_rwlock_rdlock(&d->dir.lock);
    for (size_t i = 0; i < d->dir.user_count && !found; i++)
        if (strcmp(d->dir.users[i].name, req->segments[1]) == 0)
            found = al__user_json(&d->dir.users[i]);
    pthread_rwlock_unlock(&d->dir.lock);
    if (found)
        al__reply_json(rep, 200, found);
    else
        al__reply_error(rep, "not_found", NULL, "no user named \"%s\"", req->segments[1]);
}

void al__user_create_route(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    static const char *const known[] = {"name", "password", "email", "unix_user", "groups", NULL};
    json_t *body = al__request_json(req, rep);
    struct al__user u = {.created_s = al__daemon_now()};
    struct al__failure f;
    int rc;
    if (!body)
        return;
    const char *name = json_string_value(json_object_get(body, "name"));
    if (unknown_key(body, known, rep)) {
    } else if (!al__subject_name_valid(name)) {
        al__reply_error(rep, "invalid_argument", "name",
                        "must be 1-87 characters of A-Z, a-z, 0-9 and . _ @ + -, not starting "
                        "with - or .");
    } else if (!json_object_get(body, "password")) {
        al__reply_error(rep, "invalid_argument", "password", "a local user needs a password");
    } else if (read_user_settings(body, &u, rep) == 0 &&
               (u.password = hash_password(json_object_get(body, "password"), rep))) {
        snprintf(u.name, sizeof(u.name), "%s", name);
        UNDER_STORE_LOCK(d, al__user_put(d, req->actor, &u, true, &f));
        if (rc < 0)
            reply_failure(rep, &f);
        else
            al__reply_json(rep, 201, al__user_json(&u));
    }
    al__user_release(&u);
    json_decref(body);
}

void al__user_update_route(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    static const char *const known[] = {"password", "email", "unix_user", "groups", "unlock", NULL};
    json_t *body = al__request_json(req, rep), *password, *unlock;
    struct al__user u = {0};
    struct al__failure f;
    bool found = false;
    int rc;
    if (!body)
        return;
    password = json_object_get(body, "password");
    unlock = json_object_get(body, "unlock");
    pthread_rwlock_rdlock(&d->dir.lock);
    for (size_t i = 0; i < d->dir.user_count && !found; i++)
        if (strcmp(d->dir.users[i].name, req->segments[1]) == 0) {
            al__user_copy(&u, &d->dir.users[i]);
            found = true;
        }
    pthread_rwlock_unlock(&d->dir.lock);
    if (unknown_key(body, known, rep)) {
    } else if (!found) {
        al__reply_error(rep, "not_found", NULL, "no user named \"%s\"", req->segments[1]);
    } else if (unlock && !json_is_boolean(unlock)) {
        al__reply_error(rep, "invalid_argument", "unlock", "must be true or false");
    } else if (password && u.sso) {
        al__reply_error(rep, "invalid_argument", "password",
                        "%s signs in through SSO: allot keeps no password for them", u.name);
    } else if (read_user_settings(body, &u, rep) == 0) {
        char *hash = password ? hash_password(password, rep) : NULL;
        if (!password || hash) {
            if (hash) {
                free(u.password);
                u.password = hash;
            }
            if (json_is_true(unlock) || hash)
                u.failed_logins = u.locked_until_s = 0;
            UNDER_STORE_LOCK(d, al__user_put(d, req->actor, &u, false, &f));
            if (rc < 0)
                reply_failure(rep, &f);
            else
                al__reply_json(rep, 200, al__user_json(&u));
        }
    }
    al__user_release(&u);
    json_decref(body);
}

void al__user_delete_route(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    struct al__failure f;
    int rc;
    UNDER_STORE_LOCK(d, al__user_remove(d, req->actor, req->segments[1], &f));
    if (rc < 0)
        reply_failure(rep, &f);
    else
        al__reply_json(rep, 200, json_pack("{s:s}", "deleted", req->segments[1]));
}

void al__groups_list(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    int64_t limit, offset;
    if (al__paging(req, rep, &limit, &offset) < 0)
        return;
    json_t *items = json_array();
    pthread_rwlock_rdlock(&d->dir.lock);
    size_t total = d->dir.group_count;
    for (size_t i = (size_t)offset; i < total && i < (size_t)(offset + limit); i++)
        json_array_append_new(items,
                              json_pack("{s:s, s:I}", "name", d->dir.groups[i].name, "created_s",
                                        (json_int_t)d->dir.groups[i].created_s));
    pthread_rwlock_unlock(&d->dir.lock);
    al__list_reply(rep, items, total, limit, offset);
}

/* The body's "name" (only key) when valid: NULL after a 400. */
static const char *name_only(const json_t *body, struct al__reply *rep, bool subject_chars) {
    static const char *const known[] = {"name", NULL};
    const char *name = json_string_value(json_object_get(body, "name"));
    if (unknown_key(body, known, rep))
        return NULL;
    if (subject_chars ? !al__subject_name_valid(name) : !al__name_valid(name ? name : "")) {
        al__reply_error(rep, "invalid_argument", "name",
                        subject_chars ? "must be 1-87 characters of A-Z, a-z, 0-9 and . _ @ + -"
                                      : "must be 1-63 characters of a-z, 0-9 and '-'");
        return NULL;
    }
    return name;
}

void al__group_create_route(struct allotd *d, const struct al__request *req,
                            struct al__reply *rep) {
    json_t *body = al__request_json(req, rep);
    struct al__failure f;
    const char *name;
    int rc;
    if (body && (name = name_only(body, rep, true))) {
        UNDER_STORE_LOCK(d, al__group_add(d, req->actor, name, &f));
        if (rc < 0)
            reply_failure(rep, &f);
        else
            al__reply_json(rep, 201, json_pack("{s:s}", "name", name));
    }
    json_decref(body);
}

void al__group_delete_route(struct allotd *d, const struct al__request *req,
                            struct al__reply *rep) {
    struct al__failure f;
    int rc;
    UNDER_STORE_LOCK(d, al__group_remove(d, req->actor, req->segments[1], &f));
    if (rc < 0)
        reply_failure(rep, &f);
    else
        al__reply_json(rep, 200, json_pack("{s:s}", "deleted", req->segments[1]));
}

void al__apps_list(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    int64_t limit, offset;
    if (al__paging(req, rep, &limit, &offset) < 0)
        return;
    json_t *items = json_array();
    pthread_rwlock_rdlock(&d->dir.lock);
    size_t total = d->dir.app_count;
    for (size_t i = (size_t)offset; i < total && i < (size_t)(offset + limit); i++)
        json_array_append_new(items, json_pack("{s:s, s:I}", "name", d->dir.apps[i].name,
                                               "created_s", (json_int_t)d->dir.apps[i].created_s));
    pthread_rwlock_unlock(&d->dir.lock);
    al__list_reply(rep, items, total, limit, offset);
}

void al__app_create_route(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    json_t *body = al__request_json(req, rep);
    struct al__app a = {.created_s = al__daemon_now()};
    struct al__failure f;
    char secret[AL__TOKEN_TEXT_MAX];
    const char *name;
    int rc;
    if (body && (name = name_only(body, rep, false))) {
        snprintf(a.name, sizeof(a.name), "%s", name);
        al__token_make(secret, a.secret);
        UNDER_STORE_LOCK(d, al__app_add(d, req->actor, &a, &f));
        if (rc < 0)
            reply_failure(rep, &f);
        else /* the secret's only appearance */
            al__reply_json(rep, 201,
                           json_pack("{s:s, s:s, s:s}", "name", name, "client_id", name,
                                     "client_secret", secret));
        sodium_memzero(secret, sizeof(secret));
        sodium_memzero(&a, sizeof(a));
    }
    json_decref(body);
}

void al__app_delete_route(struct allotd *d, const struct al__request *req, struct al__reply *rep) {
    struct al__failure f;
    int rc;
    UNDER_STORE_LOCK(d, al__app_remove(d, req->actor, req->segments[1], &f));
    if (rc < 0)
        reply_failure(rep, &f);
    else
        al__reply_json(rep, 200, json_pack("{s:s}", "deleted", req->segments[1]));
}
