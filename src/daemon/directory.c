/* directory.c - subjects and access rules in memory: loaded from the store, looked up by every
 * request (the principal's roles) under a read lock, changed after their transaction commits. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "daemon/directory.h"
#include "util/xalloc.h"

static const char users_sql[] =
    "SELECT name, source, password, email, groups, unix_user, created_s,"
    " coalesce(last_login_s, 0), failed_logins, locked_until_s, sso_subject FROM users"
    " ORDER BY id";
static const char groups_sql[] = "SELECT name, created_s FROM groups ORDER BY id";
static const char apps_sql[] = "SELECT name, secret, created_s FROM apps ORDER BY id";
static const char rules_sql[] =
    "SELECT id, subject, role, scope, created_s FROM access_rules ORDER BY id";

static char *dup_or_null(const char *s) {
    return s ? al__xstrdup(s) : NULL;
}

bool al__subject_name_valid(const char *name) {
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n >= AL__SUBJECT_MAX - 8 || name[0] == '-' || name[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("._@+-", c)))
            return false;
    }
    return true;
}

int al__scope_parse(const char *text, struct al__binding *b) {
    static const struct {
        const char *prefix;
        enum al__scope_kind kind;
    } kinds[] = {{"department:", AL__SCOPE_DEPARTMENT}, {"project:", AL__SCOPE_PROJECT}};
    if (!text)
        return -1;
    if (strcmp(text, "system") == 0) {
        b->kind = AL__SCOPE_SYSTEM;
        b->scope[0] = '\0';
        return 0;
    }
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        size_t n = strlen(kinds[i].prefix);
        if (strncmp(text, kinds[i].prefix, n) == 0 && al__name_valid(text + n)) {
            b->kind = kinds[i].kind;
            snprintf(b->scope, sizeof(b->scope), "%s", text + n);
            return 0;
        }
    }
    return -1;
}

void al__scope_text(const struct al__binding *b, char *out, size_t size) {
    if (b->kind == AL__SCOPE_SYSTEM)
        snprintf(out, size, "system");
    else
        snprintf(out, size, "%s:%s", b->kind == AL__SCOPE_DEPARTMENT ? "department" : "project",
                 b->scope);
}

/* A JSON array of strings into a user's groups (others ignored). */
static void groups_from_text(struct al__user *u, const char *text) {
    json_t *a = text ? json_loads(text, 0, NULL) : NULL;
    size_t i;
    json_t *g;
    json_array_foreach(a, i, g) {
        if (json_is_string(g) && u->group_count < AL__GROUPS_MAX) {
            u->groups = al__xrealloc(u->groups, (u->group_count + 1) * sizeof(*u->groups));
            u->groups[u->group_count++] = al__xstrdup(json_string_value(g));
        }
    }
    json_decref(a);
}

static int load_users(struct al__directory *dir, struct al__store *store) {
    struct al__stmt *st = al__stmt_prepare(store, users_sql);
    int rc;
    if (!st)
        return -AL_EIO;
    while ((rc = al__stmt_step(st)) == 1) {
        struct al__user u = {0};
        snprintf(u.name, sizeof(u.name), "%s", al__stmt_text(st, 0));
        u.sso = strcmp(al__stmt_text(st, 1), "sso") == 0;
        u.password = dup_or_null(al__stmt_text(st, 2));
        u.email = dup_or_null(al__stmt_text(st, 3));
        groups_from_text(&u, al__stmt_text(st, 4));
        u.unix_user = dup_or_null(al__stmt_text(st, 5));
        u.created_s = al__stmt_int(st, 6);
        u.last_login_s = al__stmt_int(st, 7);
        u.failed_logins = al__stmt_int(st, 8);
        u.locked_until_s = al__stmt_int(st, 9);
        u.sso_subject = dup_or_null(al__stmt_text(st, 10));
        dir->users = al__xrealloc(dir->users, (dir->user_count + 1) * sizeof(*dir->users));
        dir->users[dir->user_count++] = u;
    }
    return rc;
}

static int load_groups(struct al__directory *dir, struct al__store *store) {
    struct al__stmt *st = al__stmt_prepare(store, groups_sql);
    int rc;
    if (!st)
        return -AL_EIO;
    while ((rc = al__stmt_step(st)) == 1) {
        struct al__group g = {.created_s = al__stmt_int(st, 1)};
        snprintf(g.name, sizeof(g.name), "%s", al__stmt_text(st, 0));
        al__directory_put_group(dir, &g);
    }
    return rc;
}

static int load_apps(struct al__directory *dir, struct al__store *store) {
    struct al__stmt *st = al__stmt_prepare(store, apps_sql);
    int rc;
    if (!st)
        return -AL_EIO;
    while ((rc = al__stmt_step(st)) == 1) {
        struct al__app a = {.created_s = al__stmt_int(st, 2)};
        const char *hex = al__stmt_text(st, 1);
        size_t got = 0;
        snprintf(a.name, sizeof(a.name), "%s", al__stmt_text(st, 0));
        if (sodium_hex2bin(a.secret, sizeof(a.secret), hex, strlen(hex), NULL, &got, NULL) != 0 ||
            got != sizeof(a.secret))
            continue; /* unusable: nobody can sign in as it */
        al__directory_put_app(dir, &a);
    }
    return rc;
}

static int load_rules(struct al__directory *dir, struct al__store *store) {
    struct al__stmt *st = al__stmt_prepare(store, rules_sql);
    int rc;
    if (!st)
        return -AL_EIO;
    while ((rc = al__stmt_step(st)) == 1) {
        struct al__rule r = {.id = al__stmt_int(st, 0), .created_s = al__stmt_int(st, 4)};
        int role = al__role_parse(al__stmt_text(st, 2));
        snprintf(r.subject, sizeof(r.subject), "%s", al__stmt_text(st, 1));
        if (role < 0 || al__scope_parse(al__stmt_text(st, 3), &r.binding) < 0)
            continue;
        r.binding.role = (enum al__role)role;
        al__directory_put_rule(dir, &r);
    }
    return rc;
}

int al__directory_load(struct al__directory *dir, struct al__store *store) {
    memset(dir, 0, sizeof(*dir));
    pthread_rwlock_init(&dir->lock, NULL);
    dir->initialised = true;
    if (load_users(dir, store) < 0 || load_groups(dir, store) < 0 || load_apps(dir, store) < 0 ||
        load_rules(dir, store) < 0)
        return -AL_EIO;
    return 0;
}

void al__user_release(struct al__user *u) {
    if (u->password)
        sodium_memzero(u->password, strlen(u->password));
    free(u->password);
    free(u->email);
    free(u->unix_user);
    free(u->sso_subject);
    for (size_t i = 0; i < u->group_count; i++)
        free(u->groups[i]);
    free(u->groups);
    memset(u, 0, sizeof(*u));
}

void al__user_copy(struct al__user *to, const struct al__user *from) {
    *to = *from;
    to->password = dup_or_null(from->password);
    to->email = dup_or_null(from->email);
    to->unix_user = dup_or_null(from->unix_user);
    to->sso_subject = dup_or_null(from->sso_subject);
    to->groups = from->group_count ? al__xcalloc(from->group_count, sizeof(*to->groups)) : NULL;
    for (size_t i = 0; i < from->group_count; i++)
        to->groups[i] = al__xstrdup(from->groups[i]);
}

void al__directory_release(struct al__directory *dir) {
    if (!dir->initialised)
        return;
    for (size_t i = 0; i < dir->user_count; i++)
        al__user_release(&dir->users[i]);
    free(dir->users);
    free(dir->groups);
    if (dir->apps)
        sodium_memzero(dir->apps, dir->app_count * sizeof(*dir->apps));
    free(dir->apps);
    free(dir->rules);
    pthread_rwlock_destroy(&dir->lock);
    memset(dir, 0, sizeof(*dir));
}

/* Lock held. */
static struct al__user *user_named(struct al__directory *dir, const char *name) {
    for (size_t i = 0; i < dir->user_count; i++)
        if (strcmp(dir->users[i].name, name) == 0)
            return &dir->users[i];
    return NULL;
}

/* Adds the rules of `subject` to p's bindings (as many as fit). Lock held. */
static void add_rules_of(const struct al__directory *dir, const char *subject,
                         struct al__principal *p) {
    for (size_t i = 0; i < dir->rule_count && p->binding_count < AL__BINDINGS_MAX; i++)
        if (strcmp(dir->rules[i].subject, subject) == 0)
            p->bindings[p->binding_count++] = dir->rules[i].binding;
}

void al__directory_principal(struct al__directory *dir, struct al__principal *p) {
    char group[AL__SUBJECT_MAX + 8];
    p->binding_count = 0;
    if (strncmp(p->subject, "token:", 6) == 0) {
        p->bindings[0] = (struct al__binding){AL__ROLE_SYSTEM_ADMIN, AL__SCOPE_SYSTEM, ""};
        p->binding_count = 1;
        return;
    }
    pthread_rwlock_rdlock(&dir->lock);
    add_rules_of(dir, p->subject, p);
    if (strncmp(p->subject, "user:", 5) == 0) {
        const struct al__user *u = user_named(dir, p->subject + 5);
        for (size_t i = 0; u && i < u->group_count; i++) {
            snprintf(group, sizeof(group), "group:%s", u->groups[i]);
            add_rules_of(dir, group, p);
        }
    }
    pthread_rwlock_unlock(&dir->lock);
}

char *al__directory_password(struct al__directory *dir, const char *name, bool *exists,
                             int64_t *locked_until_s, int64_t *failed) {
    char *hash = NULL;
    pthread_rwlock_rdlock(&dir->lock);
    const struct al__user *u = user_named(dir, name);
    *exists = u != NULL;
    *locked_until_s = u ? u->locked_until_s : 0;
    *failed = u ? u->failed_logins : 0;
    if (u && u->password)
        hash = al__xstrdup(u->password);
    pthread_rwlock_unlock(&dir->lock);
    return hash;
}

bool al__directory_app_secret(struct al__directory *dir, const char *name,
                              const unsigned char *digest) {
    bool ok = false;
    pthread_rwlock_rdlock(&dir->lock);
    for (size_t i = 0; i < dir->app_count; i++)
        if (strcmp(dir->apps[i].name, name) == 0)
            ok = sodium_memcmp(dir->apps[i].secret, digest, AL__DIGEST_SIZE) == 0;
    pthread_rwlock_unlock(&dir->lock);
    return ok;
}

bool al__directory_unix_user(struct al__directory *dir, const char *subject, char *out,
                             size_t size) {
    bool found = false;
    if (!subject || strncmp(subject, "user:", 5) != 0)
        return false;
    pthread_rwlock_rdlock(&dir->lock);
    const struct al__user *u = user_named(dir, subject + 5);
    if (u && u->unix_user) {
        snprintf(out, size, "%s", u->unix_user);
        found = true;
    }
    pthread_rwlock_unlock(&dir->lock);
    return found;
}

json_t *al__user_json(const struct al__user *u) {
    json_t *groups = json_array();
    for (size_t i = 0; i < u->group_count; i++)
        json_array_append_new(groups, json_string(u->groups[i]));
    return json_pack("{s:s, s:s, s:o, s:o, s:o, s:I, s:o, s:b}", "name", u->name, "source",
                     u->sso ? "sso" : "local", "email",
                     u->email ? json_string(u->email) : json_null(), "unix_user",
                     u->unix_user ? json_string(u->unix_user) : json_null(), "groups", groups,
                     "created_s", (json_int_t)u->created_s, "last_login_s",
                     u->last_login_s ? json_integer(u->last_login_s) : json_null(), "locked",
                     u->locked_until_s > 0);
}

json_t *al__rule_json(const struct al__rule *r) {
    char scope[AL__NAME_MAX + 16];
    al__scope_text(&r->binding, scope, sizeof(scope));
    return json_pack("{s:I, s:s, s:s, s:s, s:I}", "id", (json_int_t)r->id, "subject", r->subject,
                     "role", al__role_name(r->binding.role), "scope", scope, "created_s",
                     (json_int_t)r->created_s);
}

void al__directory_put_user(struct al__directory *dir, const struct al__user *u) {
    pthread_rwlock_wrlock(&dir->lock);
    struct al__user *old = user_named(dir, u->name);
    if (old) {
        al__user_release(old);
    } else {
        dir->users = al__xrealloc(dir->users, (dir->user_count + 1) * sizeof(*dir->users));
        old = &dir->users[dir->user_count++];
    }
    al__user_copy(old, u);
    pthread_rwlock_unlock(&dir->lock);
}

void al__directory_drop_user(struct al__directory *dir, const char *name) {
    pthread_rwlock_wrlock(&dir->lock);
    struct al__user *u = user_named(dir, name);
    if (u) {
        al__user_release(u);
        *u = dir->users[--dir->user_count];
    }
    pthread_rwlock_unlock(&dir->lock);
}

void al__directory_put_group(struct al__directory *dir, const struct al__group *g) {
    pthread_rwlock_wrlock(&dir->lock);
    dir->groups = al__xrealloc(dir->groups, (dir->group_count + 1) * sizeof(*dir->groups));
    dir->groups[dir->group_count++] = *g;
    pthread_rwlock_unlock(&dir->lock);
}

void al__directory_drop_group(struct al__directory *dir, const char *name) {
    pthread_rwlock_wrlock(&dir->lock);
    for (size_t i = 0; i < dir->group_count; i++)
        if (strcmp(dir->groups[i].name, name) == 0) {
            memmove(&dir->groups[i], &dir->groups[i + 1],
                    (dir->group_count - i - 1) * sizeof(*dir->groups));
            dir->group_count--;
            break;
        }
    pthread_rwlock_unlock(&dir->lock);
}

void al__directory_put_app(struct al__directory *dir, const struct al__app *a) {
    pthread_rwlock_wrlock(&dir->lock);
    dir->apps = al__xrealloc(dir->apps, (dir->app_count + 1) * sizeof(*dir->apps));
    dir->apps[dir->app_count++] = *a;
    pthread_rwlock_unlock(&dir->lock);
}

void al__directory_drop_app(struct al__directory *dir, const char *name) {
    pthread_rwlock_wrlock(&dir->lock);
    for (size_t i = 0; i < dir->app_count; i++)
        if (strcmp(dir->apps[i].name, name) == 0) {
            sodium_memzero(&dir->apps[i], sizeof(dir->apps[i]));
            memmove(&dir->apps[i], &dir->apps[i + 1],
                    (dir->app_count - i - 1) * sizeof(*dir->apps));
            dir->app_count--;
            break;
        }
    pthread_rwlock_unlock(&dir->lock);
}

void al__directory_put_rule(struct al__directory *dir, const struct al__rule *r) {
    pthread_rwlock_wrlock(&dir->lock);
    dir->rules = al__xrealloc(dir->rules, (dir->rule_count + 1) * sizeof(*dir->rules));
    dir->rules[dir->rule_count++] = *r;
    pthread_rwlock_unlock(&dir->lock);
}

/* Keeps the rules `keep` says to keep, in order. Lock held. */
static void filter_rules(struct al__directory *dir,
                         bool (*drop)(const struct al__rule *r, const void *arg), const void *arg) {
    size_t kept = 0;
    for (size_t i = 0; i < dir->rule_count; i++)
        if (!drop(&dir->rules[i], arg))
            dir->rules[kept++] = dir->rules[i];
    dir->rule_count = kept;
}

static bool has_id(const struct al__rule *r, const void *arg) {
    return r->id == *(const int64_t *)arg;
}

static bool of_subject(const struct al__rule *r, const void *arg) {
    return strcmp(r->subject, arg) == 0;
}

static bool in_scope(const struct al__rule *r, const void *arg) {
    const struct al__binding *b = arg;
    return r->binding.kind == b->kind && strcmp(r->binding.scope, b->scope) == 0;
}

void al__directory_drop_rule(struct al__directory *dir, int64_t id) {
    pthread_rwlock_wrlock(&dir->lock);
    filter_rules(dir, has_id, &id);
    pthread_rwlock_unlock(&dir->lock);
}

void al__directory_drop_rules_of(struct al__directory *dir, const char *subject,
                                 const struct al__binding *scope) {
    pthread_rwlock_wrlock(&dir->lock);
    if (subject)
        filter_rules(dir, of_subject, subject);
    else
        filter_rules(dir, in_scope, scope);
    pthread_rwlock_unlock(&dir->lock);
}
