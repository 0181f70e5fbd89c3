/* directory.h - allotd's subjects and access rules in memory: users (local, with an Argon2id
 * password, or made by an SSO login), groups, applications (client credentials) and the rules
 * binding them to roles in scopes. Loaded from the store on start; changed by
 * directory_service.c after its transaction commits. Its lock is a leaf: nothing is taken while
 * holding it. */
#ifndef ALLOT_DAEMON_DIRECTORY_H
#define ALLOT_DAEMON_DIRECTORY_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "daemon/access.h"
#include "daemon/store.h"
#include "daemon/token_table.h"

#define AL__GROUPS_MAX 64 /* groups one user is in */

struct al__user {
    char name[AL__SUBJECT_MAX];
    bool sso;          /* made by an SSO login: no password */
    char *password;    /* Argon2id string, NULL for none */
    char *email;       /* NULL for none */
    char *unix_user;   /* the Unix account its tasks run as where allotd is root, NULL for none */
    char *sso_subject; /* an SSO user's `sub` at the identity provider (its key), else NULL */
    char **groups;
    size_t group_count;
    int64_t created_s, last_login_s; /* last_login_s 0 = never */
    int64_t failed_logins;           /* since the last successful one */
    int64_t locked_until_s;          /* password logins refused before then */
};

struct al__app {
    char name[AL__NAME_MAX];
    unsigned char secret[AL__DIGEST_SIZE]; /* the client secret's BLAKE2b digest */
    int64_t created_s;
};

struct al__group {
    char name[AL__SUBJECT_MAX];
    int64_t created_s;
};

struct al__rule {
    int64_t id;
    char subject[AL__SUBJECT_MAX]; /* "user:NAME", "group:NAME", "app:NAME" */
    struct al__binding binding;
    int64_t created_s;
};

struct al__directory {
    pthread_rwlock_t lock;
    bool initialised;
    struct al__user *users;
    size_t user_count;
    struct al__group *groups;
    size_t group_count;
    struct al__app *apps;
    size_t app_count;
    struct al__rule *rules;
    size_t rule_count;
};

/* al__directory_load - reads every subject and rule from the store. 0 or -AL_EIO. */
int al__directory_load(struct al__directory *dir, struct al__store *store);
void al__directory_release(struct al__directory *dir);

/* al__subject_name_valid - a user or group name: 1..95 of [A-Za-z0-9._@+-], not starting with
 * '-' or '.' (an SSO user's name may be an e-mail address). */
bool al__subject_name_valid(const char *name);

/* al__scope_parse - "system", "department:NAME", "project:NAME" into b's kind and scope; 0, or
 * -1 for anything else. al__scope_text writes the same form. */
int al__scope_parse(const char *text, struct al__binding *b);
void al__scope_text(const struct al__binding *b, char *out, size_t size);

/*
 * al__directory_principal - p's bindings for `subject` (p->subject set by the caller): a static
 * token's ("token:NAME") is the system administrator's; a user's are their rules' and their
 * groups' rules'; an app's its rules'. A subject gone from the directory holds none. Takes the
 * read lock.
 */
void al__directory_principal(struct al__directory *dir, struct al__principal *p);

/* The lookups below copy out under the read lock. */

/* al__directory_password - a local user's Argon2id string (the caller frees it), lockout state
 * and whether the user exists at all. NULL hash when none (unknown, or SSO). */
char *al__directory_password(struct al__directory *dir, const char *name, bool *exists,
                             int64_t *locked_until_s, int64_t *failed);

/* al__directory_app_secret - whether `name` is an app whose secret digest matches `digest`
 * (compared in constant time). */
bool al__directory_app_secret(struct al__directory *dir, const char *name,
                              const unsigned char *digest);

/* al__directory_unix_user - the Unix account a subject's tasks run as ("user:NAME" with one
 * set), copied into out: true; false when none. */
bool al__directory_unix_user(struct al__directory *dir, const char *subject, char *out,
                             size_t size);

/* JSON of what the API shows (never a password or secret). Read lock held by the caller or
 * not: these take it. */
json_t *al__user_json(const struct al__user *u);
json_t *al__rule_json(const struct al__rule *r);

/* Changes in memory after the store has them (directory_service.c); each takes the write
 * lock. The user and app given are copied (their strings too). */
void al__directory_put_user(struct al__directory *dir, const struct al__user *u);
void al__directory_drop_user(struct al__directory *dir, const char *name);
void al__directory_put_group(struct al__directory *dir, const struct al__group *g);
void al__directory_drop_group(struct al__directory *dir, const char *name);
void al__directory_put_app(struct al__directory *dir, const struct al__app *a);
void al__directory_drop_app(struct al__directory *dir, const char *name);
void al__directory_put_rule(struct al__directory *dir, const struct al__rule *r);
void al__directory_drop_rule(struct al__directory *dir, int64_t id);
/* al__directory_drop_rules_of - every rule of the subject, or (subject NULL) in the scope. */
void al__directory_drop_rules_of(struct al__directory *dir, const char *subject,
                                 const struct al__binding *scope);

/* al__user_copy / al__user_release - a deep copy of a user, and the release of one. */
void al__user_copy(struct al__user *to, const struct al__user *from);
void al__user_release(struct al__user *u);

#endif
