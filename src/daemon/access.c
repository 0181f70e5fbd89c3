/* access.c - the one table of who may do what (role x resource x verb), the scope rules around
 * it, and its rendering into docs/rbac.md. */
#include <string.h>

#include "daemon/access.h"

#define ROLE(r) (1u << (r))
#define SA      ROLE(AL__ROLE_SYSTEM_ADMIN)
#define DA      ROLE(AL__ROLE_DEPARTMENT_ADMIN)
#define RM      ROLE(AL__ROLE_RESEARCH_MANAGER)
#define L1      ROLE(AL__ROLE_L1_RESEARCHER)
#define L2      ROLE(AL__ROLE_L2_RESEARCHER)
#define VW      ROLE(AL__ROLE_VIEWER)
#define ANYONE  (SA | DA | RM | L1 | L2 | VW)

/* One line of the table: the roles that may, those that may on their own objects only, and
 * whether a role held in any scope is enough (what is not in a department or project). */
struct permission {
    enum al__resource res;
    enum al__verb verb;
    unsigned roles, own_only;
    bool any_scope;
    const char *note; /* for docs/rbac.md */
};

static const struct permission table[] = {
    {AL__RES_WORKLOAD, AL__VERB_READ, ANYONE, 0, false, "list, describe, events"},
    {AL__RES_WORKLOAD, AL__VERB_CREATE, SA | DA | RM | L1 | L2, 0, false, "submit"},
    {AL__RES_WORKLOAD, AL__VERB_DELETE, SA | DA | RM | L1, L2, false, NULL},
    {AL__RES_WORKLOAD, AL__VERB_CONTROL, SA | DA | RM | L1, L2, false, "suspend, resume"},
    {AL__RES_WORKLOAD, AL__VERB_LOGS, SA | DA | RM | L1, L2, false, NULL},
    {AL__RES_WORKLOAD, AL__VERB_STREAM, SA | DA | RM | L1, L2, false, "attach, exec, port-forward"},
    {AL__RES_PROJECT, AL__VERB_READ, ANYONE, 0, false, NULL},
    {AL__RES_PROJECT, AL__VERB_CREATE, SA | DA, 0, false, "in the department"},
    {AL__RES_PROJECT, AL__VERB_UPDATE, SA | DA, 0, false, NULL},
    {AL__RES_PROJECT, AL__VERB_DELETE, SA | DA, 0, false, NULL},
    {AL__RES_DEPARTMENT, AL__VERB_READ, ANYONE, 0, false, NULL},
    {AL__RES_DEPARTMENT, AL__VERB_CREATE, SA, 0, false, NULL},
    {AL__RES_DEPARTMENT, AL__VERB_UPDATE, SA, 0, false, NULL},
    {AL__RES_DEPARTMENT, AL__VERB_DELETE, SA, 0, false, NULL},
    {AL__RES_NODE, AL__VERB_READ, ANYONE, 0, true, "a role in any scope"},
    {AL__RES_SNAPSHOT, AL__VERB_READ, SA | VW, 0, false, "every workload: system scope"},
    {AL__RES_AUDIT, AL__VERB_READ, SA | VW, 0, false, "list, verify"},
    {AL__RES_USER, AL__VERB_READ, SA, 0, false, NULL},
    {AL__RES_USER, AL__VERB_CREATE, SA, 0, false, NULL},
    {AL__RES_USER, AL__VERB_UPDATE, SA, 0, false, "password, Unix account, groups"},
    {AL__RES_USER, AL__VERB_DELETE, SA, 0, false, "revokes their sessions"},
    {AL__RES_GROUP, AL__VERB_READ, SA, 0, false, NULL},
    {AL__RES_GROUP, AL__VERB_CREATE, SA, 0, false, NULL},
    {AL__RES_GROUP, AL__VERB_DELETE, SA, 0, false, NULL},
    {AL__RES_APP, AL__VERB_READ, SA, 0, false, NULL},
    {AL__RES_APP, AL__VERB_CREATE, SA, 0, false, "its secret shown once"},
    {AL__RES_APP, AL__VERB_DELETE, SA, 0, false, "revokes its tokens"},
    {AL__RES_ACCESS_RULE, AL__VERB_READ, SA | DA | RM, 0, false, "rules in scopes they manage"},
    {AL__RES_ACCESS_RULE, AL__VERB_CREATE, SA | DA | RM, 0, false,
     "roles up to their own, in their scope"},
    {AL__RES_ACCESS_RULE, AL__VERB_DELETE, SA | DA | RM, 0, false,
     "roles up to their own, in their scope"},
    {AL__RES_REPORT, AL__VERB_READ, ANYONE, 0, false,
     "consumption: the rows of the projects in their scope"},
    {AL__RES_METRICS, AL__VERB_READ, SA | VW, 0, false,
     "GET /metrics; also the scrape token (--metrics-token-file)"},
};

static const char *const role_names[AL__ROLE_COUNT] = {
    "system-admin",  "department-admin", "research-manager",
    "l1-researcher", "l2-researcher",    "viewer",
};
static const char *const role_titles[AL__ROLE_COUNT] = {
    "System administrator", "Department administrator",
    "Research manager",     "L1 researcher",
    "L2 researcher",        "Viewer",
};
static const char *const resource_names[AL__RES_COUNT] = {
    "workload", "project", "department", "node",        "snapshot", "audit",
    "user",     "group",   "app",        "access-rule", "report",   "metrics",
};
static const char *const verb_names[AL__VERB_COUNT] = {
    "read", "create", "update", "delete", "control", "logs", "stream",
};

const char *al__role_name(enum al__role role) {
    return (unsigned)role < AL__ROLE_COUNT ? role_names[role] : "?";
}

int al__role_parse(const char *name) {
    for (int i = 0; name && i < AL__ROLE_COUNT; i++)
        if (strcmp(name, role_names[i]) == 0)
            return i;
    return -1;
}

const char *al__resource_name(enum al__resource res) {
    return (unsigned)res < AL__RES_COUNT ? resource_names[res] : "?";
}

const char *al__verb_name(enum al__verb verb) {
    return (unsigned)verb < AL__VERB_COUNT ? verb_names[verb] : "?";
}

bool al__role_scopes(enum al__role role, enum al__scope_kind kind) {
    if (role == AL__ROLE_SYSTEM_ADMIN)
        return kind == AL__SCOPE_SYSTEM;
    if (role == AL__ROLE_DEPARTMENT_ADMIN)
        return kind != AL__SCOPE_PROJECT;
    return true;
}

static const struct permission *permission_of(enum al__resource res, enum al__verb verb) {
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (table[i].res == res && table[i].verb == verb)
            return &table[i];
    return NULL;
}

/* What no department or project holds. */
static bool system_only(enum al__resource res) {
    return res == AL__RES_SNAPSHOT || res == AL__RES_AUDIT || res == AL__RES_USER ||
           res == AL__RES_GROUP || res == AL__RES_APP || res == AL__RES_METRICS;
}

static bool is(const char *s) {
    return s && s[0];
}

/* Whether a binding's scope holds the place. */
static bool covers(const struct al__binding *b, const struct al__place *place) {
    switch (b->kind) {
    case AL__SCOPE_SYSTEM:
        return true;
    case AL__SCOPE_DEPARTMENT:
        return is(place->department) && strcmp(place->department, b->scope) == 0;
    case AL__SCOPE_PROJECT:
        return is(place->project) && strcmp(place->project, b->scope) == 0;
    }
    return false;
}

/* Whether the binding's role may, at a place its scope holds (own: the object is theirs). */
static bool role_may(const struct permission *perm, enum al__role role, bool own) {
    unsigned bit = ROLE(role);
    return (perm->roles & bit) || ((perm->own_only & bit) && own);
}

bool al__may(const struct al__principal *p, enum al__resource res, enum al__verb verb,
             const struct al__place *place) {
    const struct permission *perm = permission_of(res, verb);
    bool own = is(place->owner) && strcmp(place->owner, p->subject) == 0;
    if (!perm)
        return false;
    for (size_t i = 0; i < p->binding_count; i++) {
        const struct al__binding *b = &p->bindings[i];
        if (role_may(perm, b->role, own) && (perm->any_scope || covers(b, place)))
            return true;
    }
    return false;
}

bool al__may_somewhere(const struct al__principal *p, enum al__resource res, enum al__verb verb) {
    const struct permission *perm = permission_of(res, verb);
    if (!perm)
        return false;
    for (size_t i = 0; i < p->binding_count; i++) {
        const struct al__binding *b = &p->bindings[i];
        unsigned bit = ROLE(b->role);
        bool scoped = !perm->any_scope && b->kind != AL__SCOPE_SYSTEM;
        /* a resource of the system only (users, audit) is out of reach of a scoped binding */
        if (((perm->roles | perm->own_only) & bit) && !(scoped && system_only(res)))
            return true;
    }
    return false;
}

bool al__sees_all(const struct al__principal *p, enum al__resource res, enum al__verb verb) {
    const struct permission *perm = permission_of(res, verb);
    if (!perm)
        return false;
    for (size_t i = 0; i < p->binding_count; i++)
        if ((perm->roles & ROLE(p->bindings[i].role)) &&
            (perm->any_scope || p->bindings[i].kind == AL__SCOPE_SYSTEM))
            return true;
    return false;
}

bool al__may_grant(const struct al__principal *p, enum al__role role,
                   const struct al__place *place) {
    const struct permission *perm = permission_of(AL__RES_ACCESS_RULE, AL__VERB_CREATE);
    for (size_t i = 0; i < p->binding_count; i++) {
        const struct al__binding *b = &p->bindings[i];
        if ((perm->roles & ROLE(b->role)) && covers(b, place) && b->role <= role)
            return true;
    }
    return false;
}

void al__access_doc(FILE *out) {
    fprintf(out,
            "<!-- docs/rbac.md - written by `allotd --rbac-doc` from src/daemon/access.c; "
            "tests/api/test_rbac.py checks it is current. -->\n"
            "# Roles, scopes and what they allow\n\n"
            "A subject (a user, a group of users, an application) holds a role in a scope "
            "through an access rule: `allot access-rule create --subject user:alice --role "
            "l1-researcher --scope project:vision`. Scopes are `system`, `department:NAME` and "
            "`project:NAME`; a department's scope holds its projects. A request is allowed when "
            "one of its subject's rules (its own, or its groups', or an SSO user's groups from "
            "the identity provider) names a role the table allows, in a scope holding the "
            "object. Lists show only what the subject may read. The break-glass admin token "
            "(`admin.token` in the state dir) is a system administrator.\n\n"
            "A system administrator holds the system scope only; a department administrator the "
            "system scope or a department. A rule may be made or removed by a subject who may "
            "manage access rules in its scope, for a role no higher than the one they hold "
            "there (higher first: system administrator, department administrator, research "
            "manager, L1 researcher, L2 researcher, viewer).\n\n"
            "`own` means on workloads the subject submitted only. Nodes are read with a role in "
            "any scope; the snapshot, the audit log, users, groups and applications belong to "
            "the system scope, and so do metrics. A consumption report holds the rows of the "
            "projects whose "
            "reports the subject may read (in their scope), and no others.\n\n");
    fprintf(out, "| resource | verb |");
    for (int r = 0; r < AL__ROLE_COUNT; r++)
        fprintf(out, " %s |", role_titles[r]);
    fprintf(out, " notes |\n|---|---|");
    for (int r = 0; r < AL__ROLE_COUNT; r++)
        fprintf(out, ":-:|");
    fprintf(out, "---|\n");
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        fprintf(out, "| %s | %s |", resource_names[table[i].res], verb_names[table[i].verb]);
        for (int r = 0; r < AL__ROLE_COUNT; r++)
            fprintf(out, " %s |",
                    (table[i].roles & ROLE(r))      ? "yes"
                    : (table[i].own_only & ROLE(r)) ? "own"
                                                    : "-");
        fprintf(out, " %s |\n", table[i].note ? table[i].note : "");
    }
    fprintf(out, "\nRole names in the API and the CLI:");
    for (int r = 0; r < AL__ROLE_COUNT; r++)
        fprintf(out, "%s `%s` (%s)", r ? "," : "", role_names[r], role_titles[r]);
    fprintf(out, ".\n");
}
