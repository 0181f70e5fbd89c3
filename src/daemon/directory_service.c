/* directory_service.c - users, groups, applications and access rules written to the store (in
 * a transaction with their audit row) and then to memory. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "daemon/directory_service.h"
#include "daemon/login_guard.h"
#include "daemon/oidc/oidc.h"
#include "daemon/sessions.h"
#include "util/xalloc.h"

static const char user_insert_sql[] =
    "INSERT INTO users (name, source, password, email, groups, unix_user, created_s,"
    " sso_subject, last_login_s) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char user_update_sql[] =
    "UPDATE users SET password = ?2, email = ?3, groups = ?4, unix_user = ?5,"
    " failed_logins = ?6, locked_until_s = ?7, last_login_s = ?8 WHERE name = ?1";
static const char user_delete_sql[] = "DELETE FROM users WHERE name = ?1";
static const char group_insert_sql[] = "INSERT INTO groups (name, created_s) VALUES (?1, ?2)";
static const char group_delete_sql[] = "DELETE FROM groups WHERE name = ?1";
static const char app_insert_sql[] =
    "INSERT INTO apps (name, secret, created_s) VALUES (?1, ?2, ?3)";
static const char app_delete_sql[] = "DELETE FROM apps WHERE name = ?1";
static const char rule_insert_sql[] =
    "INSERT INTO access_rules (subject, role, scope, created_s) VALUES (?1, ?2, ?3, ?4)";
static const char rule_delete_sql[] = "DELETE FROM access_rules WHERE id = ?1";
static const char rules_of_sql[] = "DELETE FROM access_rules WHERE subject = ?1";
static const char rules_in_sql[] = "DELETE FROM access_rules WHERE scope = ?1";

/* A failed transaction, rolled back. */
static int failed(struct allotd *d, struct al__failure *f) {
    al__store_rollback(d->store);
    return al__refuse(f, "internal", NULL, "store: %s", al__store_error(d->store));
}

/* The audit row and the commit; rolls back on failure. */
static int finish(struct allotd *d, const struct al__actor *by, const char *verb, const char *kind,
                  const char *name, json_t *before, json_t *after, struct al__failure *f) {
    if (al__audit_append(d->store, by, verb, kind, NULL, name, "ok", before, after) < 0 ||
        al__store_commit(d->store) < 0)
        return failed(d, f);
    return 0;
}

static char *groups_text(const struct al__user *u) {
    json_t *a = json_array();
    for (size_t i = 0; i < u->group_count; i++)
        json_array_append_new(a, json_string(u->groups[i]));
    char *text = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return text;
}

/* The user of that name copied out (released by the caller): true, or false. */
static bool user_copy_of(struct allotd *d, const char *name, struct al__user *out) {
    bool found = false;
    pthread_rwlock_rdlock(&d->dir.lock);
    for (size_t i = 0; i < d->dir.user_count && !found; i++)
        if (strcmp(d->dir.users[i].name, name) == 0) {
            al__user_copy(out, &d->dir.users[i]);
            found = true;
        }
    pthread_rwlock_unlock(&d->dir.lock);
    return found;
}

/* Binds the changeable columns of u for user_update_sql. */
static void bind_user_update(struct al__stmt *st, const struct al__user *u, const char *groups) {
    al__stmt_bind_text(st, 1, u->name);
    al__stmt_bind_text(st, 2, u->password);
    al__stmt_bind_text(st, 3, u->email);
    al__stmt_bind_text(st, 4, groups);
    al__stmt_bind_text(st, 5, u->unix_user);
    al__stmt_bind_int(st, 6, u->failed_logins);
    al__stmt_bind_int(st, 7, u->locked_until_s);
    if (u->last_login_s)
        al__stmt_bind_int(st, 8, u->last_login_s);
    else
        al__stmt_bind_null(st, 8);
}

int al__user_put(struct allotd *d, const struct al__actor *by, const struct al__user *u,
                 bool create, struct al__failure *f) {
    struct al__user old;
    bool exists = user_copy_of(d, u->name, &old);
    struct al__stmt *st = al__stmt_prepare(d->store, create ? user_insert_sql : user_update_sql);
    char *groups = groups_text(u);
    json_t *before = exists && !create ? al__user_json(&old) : NULL;
    int rc = -1;

    if (exists)
        al__user_release(&old);
    if (create && exists) {
        rc = al__refuse(f, "already_exists", "name", "a user named %s exists", u->name);
    } else if (!create && !exists) {
        rc = al__refuse(f, "not_found", NULL, "no user named %s", u->name);
    } else if (!st || al__store_begin(d->store) < 0) {
        rc = al__refuse(f, "internal", NULL, "store: %s", al__store_error(d->store));
    } else {
        if (create) {
            al__stmt_bind_text(st, 1, u->name);
            al__stmt_bind_text(st, 2, u->sso ? "sso" : "local");
            al__stmt_bind_text(st, 3, u->password);
            al__stmt_bind_text(st, 4, u->email);
            al__stmt_bind_text(st, 5, groups);
            al__stmt_bind_text(st, 6, u->unix_user);
            al__stmt_bind_int(st, 7, u->created_s);
            al__stmt_bind_text(st, 8, u->sso_subject);
            if (u->last_login_s)
                al__stmt_bind_int(st, 9, u->last_login_s);
            else
                al__stmt_bind_null(st, 9);
        } else {
            bind_user_update(st, u, groups);
        }
        if (al__stmt_run(st) < 0) {
            rc = failed(d, f);
        } else {
            rc = finish(d, by, create ? "create" : "update", "user", u->name, before,
                        al__user_json(u), f);
            before = NULL;
        }
    }
    json_decref(before);
    free(groups);
    if (rc == 0)
        al__directory_put_user(&d->dir, u);
    return rc;
}

/* Deletes a subject's rules: in the transaction. */
static int forget_rules_of(struct allotd *d, const char *subject) {
    struct al__stmt *st = al__stmt_prepare(d->store, rules_of_sql);
    if (!st)
        return -AL_EIO;
    al__stmt_bind_text(st, 1, subject);
    return al__stmt_run(st);
}

/* Deletes the row named `name` with `sql`, the subject's rules and sessions; then the audit row
 * and the commit. */
static int remove_subject(struct allotd *d, const struct al__actor *by, const char *sql,
                          const char *kind, const char *name, struct al__failure *f) {
    char subject[AL__SUBJECT_MAX + 8];
    struct al__stmt *st = al__stmt_prepare(d->store, sql);
    snprintf(subject, sizeof(subject), "%s:%s", kind, name);
    if (!st || al__store_begin(d->store) < 0)
        return al__refuse(f, "internal", NULL, "store: %s", al__store_error(d->store));
    al__stmt_bind_text(st, 1, name);
    if (al__stmt_run(st) < 0 || forget_rules_of(d, subject) < 0 ||
        al__sessions_revoke_subject(d, subject) < 0)
        return failed(d, f);
    if (finish(d, by, "delete", kind, name, NULL, NULL, f) < 0)
        return -1;
    al__directory_drop_rules_of(&d->dir, subject, NULL);
    return 0;
}

int al__user_remove(struct allotd *d, const struct al__actor *by, const char *name,
                    struct al__failure *f) {
    struct al__user old;
    if (!user_copy_of(d, name, &old))
        return al__refuse(f, "not_found", NULL, "no user named %s", name);
    al__user_release(&old);
    if (remove_subject(d, by, user_delete_sql, "user", name, f) < 0)
        return -1;
    al__directory_drop_user(&d->dir, name);
    return 0;
}

int al__user_note_login(struct allotd *d, const struct al__actor *by, const char *name, bool ok) {
    struct al__user u;
    struct al__failure f;
    int64_t now = al__daemon_now();
    if (!user_copy_of(d, name, &u))
        return 0;
    if (ok) {
        u.failed_logins = 0;
        u.locked_until_s = 0;
        u.last_login_s = now;
    } else {
        u.failed_logins++;
        u.locked_until_s = al__lockout_until(u.failed_logins, now);
    }
    struct al__stmt *st = al__stmt_prepare(d->store, user_update_sql);
    char *groups = groups_text(&u);
    int rc = -AL_EIO;
    if (st && al__store_begin(d->store) == 0) {
        bind_user_update(st, &u, groups);
        if (al__stmt_run(st) < 0 ||
            (!ok && al__audit_append(d->store, by, "login", "session", NULL, "password",
                                     u.locked_until_s ? "locked" : "denied", NULL, NULL) < 0) ||
            al__store_commit(d->store) < 0)
            (void)failed(d, &f);
        else
            rc = 0;
    }
    free(groups);
    if (rc == 0)
        al__directory_put_user(&d->dir, &u);
    al__user_release(&u);
    return rc;
}

static bool group_exists(struct allotd *d, const char *name) {
    bool found = false;
    pthread_rwlock_rdlock(&d->dir.lock);
    for (size_t i = 0; i < d->dir.group_count; i++)
        found |= strcmp(d->dir.groups[i].name, name) == 0;
    pthread_rwlock_unlock(&d->dir.lock);
    return found;
}

int al__group_add(struct allotd *d, const struct al__actor *by, const char *name,
                  struct al__failure *f) {
    struct al__group g = {.created_s = al__daemon_now()};
    struct al__stmt *st = al__stmt_prepare(d->store, group_insert_sql);
    if (group_exists(d, name))
        return al__refuse(f, "already_exists", "name", "a group named %s exists", name);
    if (!st || al__store_begin(d->store) < 0)
        return al__refuse(f, "internal", NULL, "store: %s", al__store_error(d->store));
    al__stmt_bind_text(st, 1, name);
    al__stmt_bind_int(st, 2, g.created_s);
    if (al__stmt_run(st) < 0)
        return failed(d, f);
    if (finish(d, by, "create", "group", name, NULL, NULL, f) < 0)
        return -1;
    snprintf(g.name, sizeof(g.name), "%s", name);
    al__directory_put_group(&d->dir, &g);
    return 0;
}

int al__group_remove(struct allotd *d, const struct al__actor *by, const char *name,
                     struct al__failure *f) {
    if (!group_exists(d, name))
        return al__refuse(f, "not_found", NULL, "no group named %s", name);
    if (remove_subject(d, by, group_delete_sql, "group", name, f) < 0)
        return -1;
    al__directory_drop_group(&d->dir, name);
    return 0;
}

static bool app_exists(struct allotd *d, const char *name) {
    bool found = false;
    pthread_rwlock_rdlock(&d->dir.lock);
    for (size_t i = 0; i < d->dir.app_count; i++)
        found |= strcmp(d->dir.apps[i].name, name) == 0;
    pthread_rwlock_unlock(&d->dir.lock);
    return found;
}

int al__app_add(struct allotd *d, const struct al__actor *by, const struct al__app *a,
                struct al__failure *f) {
    char hex[2 * AL__DIGEST_SIZE + 1];
    struct al__stmt *st = al__stmt_prepare(d->store, app_insert_sql);
    if (app_exists(d, a->name))
        return al__refuse(f, "already_exists", "name", "an app named %s exists", a->name);
    if (!st || al__store_begin(d->store) < 0)
        return al__refuse(f, "internal", NULL, "store: %s", al__store_error(d->store));
    sodium_bin2hex(hex, sizeof(hex), a->secret, sizeof(a->secret));
    al__stmt_bind_text(st, 1, a->name);
    al__stmt_bind_text(st, 2, hex);
    al__stmt_bind_int(st, 3, a->created_s);
    if (al__stmt_run(st) < 0)
        return failed(d, f);
    if (finish(d, by, "create", "app", a->name, NULL, NULL, f) < 0)
        return -1;
    al__directory_put_app(&d->dir, a);
    return 0;
}

int al__app_remove(struct allotd *d, const struct al__actor *by, const char *name,
                   struct al__failure *f) {
    if (!app_exists(d, name))
        return al__refuse(f, "not_found", NULL, "no app named %s", name);
    if (remove_subject(d, by, app_delete_sql, "app", name, f) < 0)
        return -1;
    al__directory_drop_app(&d->dir, name);
    return 0;
}

int al__rule_add(struct allotd *d, const struct al__actor *by, struct al__rule *r,
                 struct al__failure *f) {
    char scope[AL__NAME_MAX + 16];
    struct al__stmt *st = al__stmt_prepare(d->store, rule_insert_sql);
    bool exists = false;
    al__scope_text(&r->binding, scope, sizeof(scope));
    pthread_rwlock_rdlock(&d->dir.lock);
    for (size_t i = 0; i < d->dir.rule_count; i++) {
        const struct al__rule *o = &d->dir.rules[i];
        exists |= strcmp(o->subject, r->subject) == 0 && o->binding.role == r->binding.role &&
                  o->binding.kind == r->binding.kind &&
                  strcmp(o->binding.scope, r->binding.scope) == 0;
    }
    pthread_rwlock_unlock(&d->dir.lock);
    if (exists)
        return al__refuse(f, "already_exists", NULL, "%s already holds %s in %s", r->subject,
                          al__role_name(r->binding.role), scope);
    if (!st || al__store_begin(d->store) < 0)
        return al__refuse(f, "internal", NULL, "store: %s", al__store_error(d->store));
    al__stmt_bind_text(st, 1, r->subject);
    al__stmt_bind_text(st, 2, al__role_name(r->binding.role));
    al__stmt_bind_text(st, 3, scope);
    al__stmt_bind_int(st, 4, r->created_s);
    if (al__stmt_run(st) < 0)
        return failed(d, f);
    r->id = al__store_last_id(d->store);
    if (finish(d, by, "create", "access-rule", r->subject, NULL, al__rule_json(r), f) < 0)
        return -1;
    al__directory_put_rule(&d->dir, r);
    return 0;
}

int al__rule_remove(struct allotd *d, const struct al__actor *by, const struct al__rule *r,
                    struct al__failure *f) {
    struct al__stmt *st = al__stmt_prepare(d->store, rule_delete_sql);
    if (!st || al__store_begin(d->store) < 0)
        return al__refuse(f, "internal", NULL, "store: %s", al__store_error(d->store));
    al__stmt_bind_int(st, 1, r->id);
    if (al__stmt_run(st) < 0)
        return failed(d, f);
    if (finish(d, by, "delete", "access-rule", r->subject, al__rule_json(r), NULL, f) < 0)
        return -1;
    al__directory_drop_rule(&d->dir, r->id);
    return 0;
}

int al__rules_forget_scope(struct allotd *d, const struct al__binding *scope) {
    char text[AL__NAME_MAX + 16];
    struct al__stmt *st = al__stmt_prepare(d->store, rules_in_sql);
    if (!st)
        return -AL_EIO;
    al__scope_text(scope, text, sizeof(text));
    al__stmt_bind_text(st, 1, text);
    if (al__stmt_run(st) < 0)
        return -AL_EIO;
    al__directory_drop_rules_of(&d->dir, NULL, scope);
    return 0;
}

int al__sso_user_sync(struct allotd *d, const struct al__oidc_claims *c, char *name, size_t size,
                      struct al__failure *f) {
    static const struct al__actor idp = {"system:sso", "identity provider"};
    struct al__user u = {0}, *found = NULL;
    bool named = false;
    pthread_rwlock_rdlock(&d->dir.lock);
    for (size_t i = 0; i < d->dir.user_count && !found; i++) {
        const struct al__user *o = &d->dir.users[i];
        if (o->sso_subject && strcmp(o->sso_subject, c->subject) == 0) {
            al__user_copy(&u, o);
            found = &u;
        }
        named |= strcmp(o->name, c->username) == 0;
    }
    pthread_rwlock_unlock(&d->dir.lock);
    if (!found && !al__subject_name_valid(c->username))
        return al__refuse(f, "invalid_argument", NULL,
                          "the identity provider's user name \"%.80s\" is not one allot takes "
                          "(1-87 of A-Z, a-z, 0-9 and . _ @ + -)",
                          c->username);
    if (!found && named)
        return al__refuse(f, "already_exists", NULL,
                          "a user named %s exists already (a local user, or another identity "
                          "of the provider): an administrator must rename or delete it",
                          c->username);
    if (!found) {
        snprintf(u.name, sizeof(u.name), "%s", c->username);
        u.sso = true;
        u.sso_subject = al__xstrdup(c->subject);
        u.created_s = al__daemon_now();
    }
    /* the provider says which groups they are in, at each sign-in */
    for (size_t i = 0; i < u.group_count; i++)
        free(u.groups[i]);
    free(u.groups);
    u.group_count = 0;
    u.groups = c->group_count ? al__xcalloc(c->group_count, sizeof(*u.groups)) : NULL;
    for (size_t i = 0; i < c->group_count && u.group_count < AL__GROUPS_MAX; i++)
        if (al__subject_name_valid(c->groups[i]))
            u.groups[u.group_count++] = al__xstrdup(c->groups[i]);
    free(u.email);
    u.email = c->email && c->email_verified ? al__xstrdup(c->email) : NULL;
    u.last_login_s = al__daemon_now();
    int rc = al__user_put(d, &idp, &u, !found, f);
    if (rc == 0)
        snprintf(name, size, "%s", u.name);
    al__user_release(&u);
    return rc;
}
