/* directory_service.h - changes to subjects and access rules: each in a transaction of its own
 * with its audit row, then in memory (directory.h). Called with the store lock held (not the
 * state lock, unless the caller holds it for other reasons). */
#ifndef ALLOT_DAEMON_DIRECTORY_SERVICE_H
#define ALLOT_DAEMON_DIRECTORY_SERVICE_H

#include "daemon/audit.h"
#include "daemon/directory.h"
#include "daemon/service.h"

/* al__user_put - a new user (`create`: already_exists if the name is taken) or the new settings
 * of one (not_found if none). 0 or -1. */
int al__user_put(struct allotd *d, const struct al__actor *by, const struct al__user *u,
                 bool create, struct al__failure *f);

/* al__user_remove - the user, their access rules and their sessions. 0 or -1. */
int al__user_remove(struct allotd *d, const struct al__actor *by, const char *name,
                    struct al__failure *f);

/* al__user_note_login - after a password check: on success the failures are forgotten and
 * the time kept; on failure counted, the account locked with backoff (login_guard.h), and an
 * audit row written. 0 or -AL_EIO. */
int al__user_note_login(struct allotd *d, const struct al__actor *by, const char *name, bool ok);

/* al__group_add / al__group_remove - a group (its access rules go with it). 0 or -1. */
int al__group_add(struct allotd *d, const struct al__actor *by, const char *name,
                  struct al__failure *f);
int al__group_remove(struct allotd *d, const struct al__actor *by, const char *name,
                     struct al__failure *f);

/* al__app_add / al__app_remove - an application with its secret's digest; removal takes its
 * access rules and revokes its tokens. 0 or -1. */
int al__app_add(struct allotd *d, const struct al__actor *by, const struct al__app *a,
                struct al__failure *f);
int al__app_remove(struct allotd *d, const struct al__actor *by, const char *name,
                   struct al__failure *f);

/* al__rule_add / al__rule_remove - an access rule (r->id set on success). 0 or -1. */
int al__rule_add(struct allotd *d, const struct al__actor *by, struct al__rule *r,
                 struct al__failure *f);
int al__rule_remove(struct allotd *d, const struct al__actor *by, const struct al__rule *r,
                    struct al__failure *f);

/*
 * al__sso_user_sync - after a verified SSO sign-in: the user the identity provider's subject
 * is (made on the first sign-in, named by the user-name claim), their groups and e-mail set from
 * the claims; the name into `name`. Refused when the name is taken by another user. Store lock
 * held. 0 or -1.
 */
struct al__oidc_claims;
int al__sso_user_sync(struct allotd *d, const struct al__oidc_claims *c, char *name, size_t size,
                      struct al__failure *f);

/* al__rules_forget_scope - in the caller's transaction: the rules of a department or project
 * being deleted (a new one of the same name must not inherit them). 0 or -AL_EIO. */
int al__rules_forget_scope(struct allotd *d, const struct al__binding *scope);

#endif
