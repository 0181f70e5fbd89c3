/* specs.c - departments, projects and workload requests as JSON: validation of API bodies (and
 * of the specs the store keeps, read back with the same rules) and their canonical form. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "daemon/api.h"
#include "daemon/spec_subgroups.h"
#include "daemon/specs.h"
#include "snapshot/json_convert.h"
#include "snapshot/json_util.h"
#include "snapshot/parse.h"
#include "util/xalloc.h"

int al__spec_fail(char *field, size_t fsize, char *msg, size_t msize, const char *f,
                  const char *m) {
    snprintf(field, fsize, "%s", f);
    snprintf(msg, msize, "%s", m);
    return -AL_EINVAL;
}

int al__spec_fail_err(char *field, size_t fsize, char *msg, size_t msize,
                      const struct al_snapshot_error *e) {
    return al__spec_fail(field, fsize, msg, msize, e->path, e->message);
}

/* pools: {name: {deserved, limit, over_quota_weight}}, every value written out. */
static json_t *queue_pools_json(const struct al__dqueue *q) {
    json_t *o = json_object();
    for (size_t i = 0; o && i < q->pool_count; i++) {
        const struct al__dqueue_pool *qp = &q->pools[i];
        json_object_set_new(
            o, qp->pool,
            json_pack("{s:o, s:o, s:{s:I, s:I, s:I}}", "deserved", al__amounts_json(qp->deserved),
                      "limit", al__amounts_json(qp->limit), "over_quota_weight", "gpu",
                      (json_int_t)qp->weight[AL_GPU], "cpu", (json_int_t)qp->weight[AL_CPU],
                      "memory", (json_int_t)qp->weight[AL_MEMORY]));
    }
    return o;
}

json_t *al__queue_spec_json(const struct al__dqueue *q) {
    json_t *o = json_pack(
        "{s:s, s:s, s:i, s:o, s:o, s:{s:I, s:I, s:I}, s:I}", "name", q->name, "kind",
        q->project ? "project" : "department", "priority", q->priority, "deserved",
        al__amounts_json(q->deserved), "limit", al__amounts_json(q->limit), "over_quota_weight",
        "gpu", (json_int_t)q->weight[AL_GPU], "cpu", (json_int_t)q->weight[AL_CPU], "memory",
        (json_int_t)q->weight[AL_MEMORY], "created_s", (json_int_t)q->created_s);
    if (o && q->project)
        json_object_set_new(o, "department", q->parent[0] ? json_string(q->parent) : json_null());
    if (o) {
        json_object_set_new(o, "preempt_min_runtime_s",
                            q->has_preempt_min_runtime ? json_integer(q->preempt_min_runtime_s)
                                                       : json_null());
        json_object_set_new(o, "reclaim_min_runtime_s",
                            q->has_reclaim_min_runtime ? json_integer(q->reclaim_min_runtime_s)
                                                       : json_null());
        json_object_set_new(o, "pools", queue_pools_json(q));
    }
    return o;
}

/* The department member of a project: an existing department, or null for the top level. */
static int read_department(struct al__state *st, const json_t *body, struct al__dqueue *q,
                           char *field, size_t fsize, char *msg, size_t msize) {
    const json_t *dep = json_object_get(body, "department");
    const struct al__dqueue *parent;

    if (!dep)
        return 0;
    if (json_is_null(dep)) {
        q->parent[0] = '\0';
        return 0;
    }
    if (!json_is_string(dep))
        return al__spec_fail(field, fsize, msg, msize, "department", "must be a string or null");
    parent = al__state_queue(st, json_string_value(dep));
    if (!parent || parent->project) {
        snprintf(msg, msize, "no department named \"%s\"", json_string_value(dep));
        snprintf(field, fsize, "department");
        return -AL_EINVAL;
    }
    snprintf(q->parent, sizeof(q->parent), "%s", json_string_value(dep));
    return 0;
}

/* The settings of a department or project as the snapshot parser's queue, and back. */
static void settings_get(const struct al__dqueue *q, struct al_queue *s) {
    s->priority = q->priority;
    memcpy(s->deserved, q->deserved, sizeof(s->deserved));
    memcpy(s->limit, q->limit, sizeof(s->limit));
    memcpy(s->weight, q->weight, sizeof(s->weight));
    s->has_preempt_min_runtime = q->has_preempt_min_runtime;
    s->preempt_min_runtime_s = q->preempt_min_runtime_s;
    s->has_reclaim_min_runtime = q->has_reclaim_min_runtime;
    s->reclaim_min_runtime_s = q->reclaim_min_runtime_s;
    s->pools = al__xcalloc(q->pool_count + 1, sizeof(*s->pools));
    for (size_t i = 0; i < q->pool_count; i++) {
        struct al_queue_pool *to = &s->pools[i];
        to->pool = al__xstrdup(q->pools[i].pool);
        memcpy(to->deserved, q->pools[i].deserved, sizeof(to->deserved));
        memcpy(to->limit, q->pools[i].limit, sizeof(to->limit));
        memcpy(to->weight, q->pools[i].weight, sizeof(to->weight));
    }
    s->pool_count = q->pool_count;
}

static void settings_release(struct al_queue *s) {
    for (size_t i = 0; i < s->pool_count; i++)
        free(s->pools[i].pool);
    free(s->pools);
    s->pools = NULL;
    s->pool_count = 0;
}

static void settings_put(const struct al_queue *s, struct al__dqueue *q) {
    q->priority = s->priority;
    memcpy(q->deserved, s->deserved, sizeof(q->deserved));
    memcpy(q->limit, s->limit, sizeof(q->limit));
    memcpy(q->weight, s->weight, sizeof(q->weight));
    q->has_preempt_min_runtime = s->has_preempt_min_runtime;
    q->preempt_min_runtime_s = s->preempt_min_runtime_s;
    q->has_reclaim_min_runtime = s->has_reclaim_min_runtime;
    q->reclaim_min_runtime_s = s->reclaim_min_runtime_s;
    q->pool_count = s->pool_count;
    for (size_t i = 0; i < s->pool_count; i++) {
        struct al__dqueue_pool *to = &q->pools[i];
        snprintf(to->pool, sizeof(to->pool), "%s", s->pools[i].pool);
        memcpy(to->deserved, s->pools[i].deserved, sizeof(to->deserved));
        memcpy(to->limit, s->pools[i].limit, sizeof(to->limit));
        memcpy(to->weight, s->pools[i].weight, sizeof(to->weight));
    }
}

/* Pool names as Kubernetes label values are: 1-63 characters, letters, digits, '-', '_', '.';
 * not "default", the API's name for the nodes with no pool (routes_pools.c). */
static bool pool_name_valid(const char *name) {
    size_t n = strlen(name);
    if (n == 0 || n >= AL__NAME_MAX || strcmp(name, "default") == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)name[i]) && !strchr("-_.", name[i]))
            return false;
    return true;
}

static int check_pools(const struct al_queue *s, char *field, size_t fsize, char *msg,
                       size_t msize) {
    if (s->pool_count > AL__QUEUE_POOLS_MAX)
        return al__spec_fail(field, fsize, msg, msize, "pools", "at most 16 node pools per queue");
    for (size_t i = 0; i < s->pool_count; i++)
        if (!pool_name_valid(s->pools[i].pool)) {
            snprintf(field, fsize, "pools.%.63s", s->pools[i].pool);
            snprintf(msg, msize,
                     "a pool name is 1-63 letters, digits, '-', '_' or '.', not \"default\" (a "
                     "project's own "
                     "quota is its quota in the default pool)");
            return -AL_EINVAL;
        }
    return 0;
}

/* al__queue_read with the body also as a document for the snapshot parser's readers. */
static int queue_read(struct al__state *st, const json_t *body, const struct al__json *jb,
                      bool create, bool project, struct al__dqueue *q, char *field, size_t fsize,
                      char *msg, size_t msize) {
    static const char *const create_keys[] = {"name", "department", NULL};
    struct al_snapshot_error e = {{0}, {0}, 0};
    struct al_queue settings = {0};
    const char *name;

    if (al__check_keys2(jb, "", create_keys, al__queue_setting_keys, &e) < 0)
        return al__spec_fail_err(field, fsize, msg, msize, &e);
    if (!project && json_object_get(body, "department"))
        return al__spec_fail(field, fsize, msg, msize, "department",
                             "only projects have a department");
    if (!create && json_object_get(body, "name"))
        return al__spec_fail(field, fsize, msg, msize, "name", "cannot be changed");
    if (create) {
        if (al__member_string(jb, "", "name", true, &name, &e) < 0)
            return al__spec_fail_err(field, fsize, msg, msize, &e);
        if (!al__name_valid(name))
            return al__spec_fail(
                field, fsize, msg, msize, "name",
                "must be 1-63 characters of a-z, 0-9 and '-', not starting with '-'");
        snprintf(q->name, sizeof(q->name), "%s", name);
    }
    settings_get(q, &settings);
    int rc = 0;
    if (al__parse_queue_settings(jb, "", &settings, &e) < 0)
        rc = al__spec_fail_err(field, fsize, msg, msize, &e);
    else if (check_pools(&settings, field, fsize, msg, msize) < 0 ||
             (project && read_department(st, body, q, field, fsize, msg, msize) < 0))
        rc = -AL_EINVAL;
    if (rc == 0) {
        q->project = project;
        settings_put(&settings, q);
    }
    settings_release(&settings);
    return rc;
}

int al__queue_read(struct al__state *st, const json_t *body, bool create, bool project,
                   struct al__dqueue *q, char *field, size_t fsize, char *msg, size_t msize) {
    struct al__json_doc doc;
    int rc = al__json_from_jansson(body, &doc);
    if (rc == 0)
        rc = queue_read(st, body, doc.root, create, project, q, field, fsize, msg, msize);
    else
        snprintf(msg, msize, "out of memory");
    al__json_doc_release(&doc);
    return rc;
}

json_t *al__workload_spec_json(const struct al__wspec *s) {
    json_t *mode = s->export_mode ? json_incref(s->export_mode) : json_string("none");
    json_t *exported = s->exported_env ? json_incref(s->exported_env) : json_object();
    json_t *o =
        json_pack("{s:i, s:b, s:i, s:i, s:i, s:o, s:i, s:i, s:I, s:I, s:O, s:O}", "priority",
                  s->priority, "preemptible", s->preemptible, "workers", s->workers, "min_members",
                  s->min_members, "gpu", s->gpus, "gpu_fraction",
                  s->gpu_milli ? json_real((double)s->gpu_milli / 1000.0) : json_integer(0),
                  "gpu_memory_mib", s->gpu_memory_mib, "gpu_device_count", s->gpu_device_count,
                  "cpu_millis", (json_int_t)s->cpu_millis, "memory_bytes",
                  (json_int_t)s->memory_bytes, "command", s->command, "env", s->env);
    if (o) {
        json_object_set_new(o, "workdir", s->workdir ? json_string(s->workdir) : json_null());
        json_object_set_new(o, "export", mode);
        json_object_set_new(o, "exported_env", exported);
        json_object_set_new(o, "kind", json_string(al__wkind_name((enum al__wkind)s->kind)));
        json_object_set_new(o, "time_limit_s",
                            s->time_limit_s > 0 ? json_integer(s->time_limit_s) : json_null());
        json_object_set_new(o, "labels", s->labels ? json_incref(s->labels) : json_object());
        json_object_set_new(o, "enforce", json_boolean(s->enforce));
        /* only when semi-preemptible: a spec stored before the field reads the same */
        if (s->semi_preemptible)
            json_object_set_new(o, "preemptibility", json_string("semi-preemptible"));
        if (s->preemption_never)
            json_object_set_new(o, "preemption_policy", json_string("Never"));
        if (s->gpu_milli_limit > 0)
            json_object_set_new(o, "gpu_fraction_limit",
                                json_real((double)s->gpu_milli_limit / 1000.0));
        if (s->gpu_memory_limit_mib > 0)
            json_object_set_new(o, "gpu_memory_limit_mib", json_integer(s->gpu_memory_limit_mib));
        if (s->topology)
            json_object_set_new(o, "topology", json_string(s->topology));
        if (s->required_topology_level)
            json_object_set_new(o, "required_topology_level",
                                json_string(s->required_topology_level));
        if (s->preferred_topology_level)
            json_object_set_new(o, "preferred_topology_level",
                                json_string(s->preferred_topology_level));
        json_object_set_new(o, "node_pool", s->node_pool ? json_string(s->node_pool) : json_null());
        if (s->mig_profiles > 0)
            json_object_set_new(o, "mig", al__mig_asks_json(s->migs, (size_t)s->mig_profiles));
        if (s->subgroup_count > 0) /* only then: a spec stored before the field reads the same */
            json_object_set_new(o, "subgroups",
                                al__subgroups_json(s->subgroups, s->subgroup_count));
    } else {
        json_decref(mode);
        json_decref(exported);
    }
    return o;
}

/* "preemptibility": preemptible, non-preemptible or semi-preemptible (KAI's spelling); beside
 * "preemptible" only when the two agree. Inference may be semi-preemptible (its replicas beyond
 * min_members are preemptible), never preemptible. */
static int read_preemptibility(const json_t *body, struct al__wspec *s, char *field, size_t fsize,
                               char *msg, size_t msize) {
    const json_t *v = json_object_get(body, "preemptibility");
    if (!v)
        return 0;
    const char *mode = json_string_value(v);
    bool preemptible = mode && strcmp(mode, "preemptible") == 0;
    bool semi = mode && strcmp(mode, "semi-preemptible") == 0;
    if (!preemptible && !semi && (!mode || strcmp(mode, "non-preemptible") != 0))
        return al__spec_fail(field, fsize, msg, msize, "preemptibility",
                             "must be one of preemptible, non-preemptible, semi-preemptible");
    const json_t *flag = json_object_get(body, "preemptible");
    if (flag && json_is_boolean(flag) && json_is_true(flag) != preemptible)
        return al__spec_fail(field, fsize, msg, msize, "preemptibility", "contradicts preemptible");
    s->preemptible = preemptible;
    s->semi_preemptible = semi;
    return 0;
}

/* "preemption_policy": PreemptLowerPriority (the default) or Never, Kubernetes' spelling. */
static int read_preemption_policy(const json_t *body, struct al__wspec *s, char *field,
                                  size_t fsize, char *msg, size_t msize) {
    const json_t *v = json_object_get(body, "preemption_policy");
    if (!v)
        return 0;
    const char *policy = json_string_value(v);
    if (!policy || (strcmp(policy, "Never") != 0 && strcmp(policy, "PreemptLowerPriority") != 0))
        return al__spec_fail(field, fsize, msg, msize, "preemption_policy",
                             "must be PreemptLowerPriority or Never");
    s->preemption_never = strcmp(policy, "Never") == 0;
    return 0;
}

/* The kind (default training). */
static int read_kind(const struct al__json *body, struct al__wspec *s, char *field, size_t fsize,
                     char *msg, size_t msize) {
    const struct al__json *v = al__json_get(body, "kind");
    enum al__wkind kind = AL__K_TRAINING;
    if (v && (!al__json_is(v, AL__JSON_STRING) || al__wkind_parse(al__json_string(v), &kind) < 0))
        return al__spec_fail(field, fsize, msg, msize, "kind",
                             "must be one of training, workspace, inference");
    s->kind = (uint8_t)kind;
    return 0;
}

/* The priority: as given, else the kind's (Run:ai's defaults: train for training, build for a
 * workspace - build-preemptible, Run:ai's interactive-preemptible, when it asks to be
 * preemptible - and inference for inference). */
static int read_priority(const struct al__json *body, struct al__wspec *s, char *field,
                         size_t fsize, char *msg, size_t msize) {
    static const struct {
        const char *name;
        int32_t value;
    } classes[] = {{"train", AL_PRIORITY_TRAIN},
                   {"build-preemptible", AL_PRIORITY_BUILD_PREEMPTIBLE},
                   {"interactive-preemptible", AL_PRIORITY_BUILD_PREEMPTIBLE},
                   {"build", AL_PRIORITY_BUILD},
                   {"inference", AL_PRIORITY_INFERENCE}};
    const struct al__json *v = al__json_get(body, "priority");
    const struct al__json *preemptible = al__json_get(body, "preemptible");
    struct al_snapshot_error e = {{0}, {0}, 0};
    int64_t n;

    if (s->kind == AL__K_WORKSPACE)
        s->priority = preemptible && al__json_is(preemptible, AL__JSON_TRUE)
                          ? AL_PRIORITY_BUILD_PREEMPTIBLE
                          : AL_PRIORITY_BUILD;
    else
        s->priority = s->kind == AL__K_INFERENCE ? AL_PRIORITY_INFERENCE : AL_PRIORITY_TRAIN;
    if (!v)
        return 0;
    if (al__json_is(v, AL__JSON_STRING)) {
        for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
            if (strcmp(al__json_string(v), classes[i].name) == 0) {
                s->priority = classes[i].value;
                return 0;
            }
        }
        return al__spec_fail(field, fsize, msg, msize, "priority",
                             "must be an integer or one of train, build-preemptible (or "
                             "interactive-preemptible), build, inference");
    }
    if (al__read_int(v, "priority", -AL__MAX_PRIORITY, AL__MAX_PRIORITY, &n, &e) < 0)
        return al__spec_fail_err(field, fsize, msg, msize, &e);
    s->priority = (int32_t)n;
    return 0;
}

/* Whether name can name an environment variable: not empty, without '=' or NUL. */
static bool var_name_valid(const char *name, size_t len) {
    return len > 0 && strlen(name) == len && !strchr(name, '=');
}

/* Member `key` of body, an object of variables (env, exported_env), copied into *out ({} when
 * absent). */
static int read_vars(const json_t *body, const char *key, json_t **out, char *field, size_t fsize,
                     char *msg, size_t msize) {
    const json_t *vars = json_object_get(body, key), *v;
    const char *name;

    if (vars && !json_is_object(vars))
        return al__spec_fail(field, fsize, msg, msize, key, "must be an object of strings");
    json_object_foreach((json_t *)vars, name, v) {
        if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v) ||
            !var_name_valid(name, strlen(name))) {
            snprintf(field, fsize, "%s.%s", key, name);
            snprintf(msg, msize, "names must be non-empty without '=', values strings");
            return -AL_EINVAL;
        }
    }
    *out = vars ? json_deep_copy(vars) : json_object();
    return 0;
}

/* Whether export mode `mode` carries variable `name` ("all" carries every one). */
static bool export_lists(const json_t *mode, const char *name) {
    const json_t *listed;
    size_t i;
    if (!json_is_array(mode))
        return true;
    json_array_foreach(mode, i, listed) {
        if (strcmp(json_string_value(listed), name) == 0)
            return true;
    }
    return false;
}

/*
 * export (what of the submitter's environment the client carried: "all", "none" or the names
 * of variables) and exported_env (those variables): with "none" there are none, with names
 * only variables they name.
 */
static int read_export(const json_t *body, struct al__wspec *s, char *field, size_t fsize,
                       char *msg, size_t msize) {
    const json_t *mode = json_object_get(body, "export"), *v;
    json_t *vars;
    const char *name;
    size_t i;

    if (mode && json_is_array(mode)) {
        if (json_array_size(mode) == 0 || json_array_size(mode) > 4096)
            return al__spec_fail(field, fsize, msg, msize, "export",
                                 "an array of names must hold 1 to 4096 variable names");
        json_array_foreach(mode, i, v) {
            if (!json_is_string(v) ||
                !var_name_valid(json_string_value(v), json_string_length(v))) {
                snprintf(field, fsize, "export[%zu]", i);
                snprintf(msg, msize, "must be a variable name: non-empty, without '='");
                return -AL_EINVAL;
            }
        }
    } else if (mode && !json_is_null(mode) &&
               (!json_is_string(mode) || (strcmp(json_string_value(mode), "all") != 0 &&
                                          strcmp(json_string_value(mode), "none") != 0))) {
        return al__spec_fail(field, fsize, msg, msize, "export",
                             "must be \"all\", \"none\" or an array of variable names");
    }
    if (read_vars(body, "exported_env", &vars, field, fsize, msg, msize) < 0)
        return -AL_EINVAL;
    bool none = !mode || json_is_null(mode) ||
                (json_is_string(mode) && strcmp(json_string_value(mode), "none") == 0);
    json_object_foreach(vars, name, v) {
        if (none || !export_lists(mode, name)) {
            snprintf(field, fsize, "exported_env.%s", name);
            snprintf(msg, msize,
                     none ? "no variable is carried with export \"none\""
                          : "is not among the names export lists");
            json_decref(vars); /* name was its */
            return -AL_EINVAL;
        }
    }
    /* nothing carried (old clients, -e only, the common case at scale): NULL for both, not two
     * small JSON values per workload (NULL reads as "none" and {}) */
    if (none && json_object_size(vars) == 0) {
        json_decref(vars);
        return 0;
    }
    s->export_mode = none ? json_string("none") : json_deep_copy(mode);
    s->exported_env = vars;
    return 0;
}

/* time_limit_s: seconds, or null or absent for none. */
static int read_time_limit(const struct al__json *body, const json_t *raw, struct al__wspec *s,
                           char *field, size_t fsize, char *msg, size_t msize) {
    struct al_snapshot_error e = {{0}, {0}, 0};
    int64_t limit = 0;

    if (json_is_null(json_object_get(raw, "time_limit_s")))
        return 0;
    if (al__member_int(body, "", "time_limit_s", false, 1, AL__MAX_TIME_LIMIT_S, &limit, &e) < 0)
        return al__spec_fail(
            field, fsize, msg, msize, "time_limit_s",
            "must be an integer number of seconds from 1 to " AL__MAX_TIME_LIMIT_TEXT
            " (10 years), or null for none");
    s->time_limit_s = limit;
    return 0;
}

static int read_command(const json_t *body, struct al__wspec *s, char *field, size_t fsize,
                        char *msg, size_t msize) {
    const json_t *cmd = json_object_get(body, "command"), *v;
    size_t i;

    if (!cmd)
        return al__spec_fail(field, fsize, msg, msize, "command", "required field is missing");
    if (!json_is_array(cmd) || json_array_size(cmd) == 0 || json_array_size(cmd) > 1024)
        return al__spec_fail(field, fsize, msg, msize, "command",
                             "must be a non-empty array of at most 1024 strings");
    json_array_foreach(cmd, i, v) {
        if (!json_is_string(v) || (i == 0 && json_string_length(v) == 0) ||
            strlen(json_string_value(v)) != json_string_length(v)) {
            snprintf(field, fsize, "command[%zu]", i);
            snprintf(msg, msize, "must be a string without NUL characters%s",
                     i == 0 ? ", not empty" : "");
            return -AL_EINVAL;
        }
    }
    if (read_vars(body, "env", &s->env, field, fsize, msg, msize) < 0)
        return -AL_EINVAL;
    s->command = json_deep_copy(cmd);
    return 0;
}

/* A label's key or value: 1-63 (a value: 0-63) of [A-Za-z0-9-_.], starting and ending with a
 * letter or digit; a key may have a DNS-like prefix and '/', as Kubernetes labels do. */
bool al__label_text_ok(const char *s, size_t len, bool empty_ok) {
    if (len == 0)
        return empty_ok;
    if (len > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[len - 1]))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
            return false;
    return true;
}

bool al__label_key_ok(const char *key) {
    const char *slash = strchr(key, '/');
    if (!slash)
        return al__label_text_ok(key, strlen(key), false);
    size_t prefix = (size_t)(slash - key);
    return prefix > 0 && prefix <= 253 && al__label_text_ok(key, prefix, false) &&
           al__label_text_ok(slash + 1, strlen(slash + 1), false);
}

/* labels: at most 64 of key: value, both strings as label_key_ok / label_text_ok say. */
static int read_labels(const json_t *body, struct al__wspec *s, char *field, size_t fsize,
                       char *msg, size_t msize) {
    const json_t *labels = json_object_get(body, "labels"), *v;
    const char *key;

    if (!labels || json_is_null(labels))
        return 0;
    if (!json_is_object(labels) || json_object_size(labels) > 64)
        return al__spec_fail(field, fsize, msg, msize, "labels",
                             "must be an object of at most 64 key: value strings");
    json_object_foreach((json_t *)labels, key, v) {
        if (!al__label_key_ok(key) || !json_is_string(v) ||
            !al__label_text_ok(json_string_value(v), json_string_length(v), true)) {
            snprintf(field, fsize, "labels.%.100s", key);
            snprintf(msg, msize,
                     "keys and values are up to 63 of A-Z, a-z, 0-9, '-', '_', '.' "
                     "(a key may have a prefix and '/'), starting and ending with a "
                     "letter or digit");
            return -AL_EINVAL;
        }
    }
    s->labels = json_deep_copy(labels);
    return 0;
}

/* Dynamic fractions (docs/cuda.md): a limit above the shared request, of its kind, read after
 * the request. Equal to the request is the same as none (stored as 0). */
static int read_gpu_limit(const struct al__json *body, struct al__wspec *s,
                          struct al_snapshot_error *e, char *field, size_t fsize, char *msg,
                          size_t msize) {
    const struct al__json *fraction = al__json_get(body, "gpu_fraction_limit");
    int64_t memory = 0, milli = 0;
    char text[96];

    if (fraction && al__json_is(fraction, AL__JSON_NULL))
        fraction = NULL;
    if (al__json_get(body, "gpu_memory_limit_mib") &&
        !al__json_is(al__json_get(body, "gpu_memory_limit_mib"), AL__JSON_NULL) &&
        al__member_int(body, "", "gpu_memory_limit_mib", false, 1, AL__MAX_GPU_MEMORY_MIB, &memory,
                       e) < 0)
        return al__spec_fail_err(field, fsize, msg, msize, e);
    if (fraction) {
        double f;
        if (al__read_number(fraction, "gpu_fraction_limit", &f, e) < 0)
            return al__spec_fail_err(field, fsize, msg, msize, e);
        if (!(f > 0.0 && f <= 1.0))
            return al__spec_fail(field, fsize, msg, msize, "gpu_fraction_limit",
                                 "must be above 0 and at most 1 (one device)");
        milli = (int64_t)(f * 1000.0 + 0.5);
        if (s->gpu_milli == 0)
            return al__spec_fail(field, fsize, msg, msize, "gpu_fraction_limit",
                                 "applies to a gpu_fraction request only");
        if (milli < s->gpu_milli) {
            snprintf(text, sizeof(text), "must be at least gpu_fraction (%g)",
                     s->gpu_milli / 1000.0);
            return al__spec_fail(field, fsize, msg, msize, "gpu_fraction_limit", text);
        }
    }
    if (memory > 0) {
        if (s->gpu_memory_mib == 0)
            return al__spec_fail(field, fsize, msg, msize, "gpu_memory_limit_mib",
                                 "applies to a gpu_memory_mib request only");
        if (memory < s->gpu_memory_mib) {
            snprintf(text, sizeof(text), "must be at least gpu_memory_mib (%d)",
                     (int)s->gpu_memory_mib);
            return al__spec_fail(field, fsize, msg, msize, "gpu_memory_limit_mib", text);
        }
    }
    s->gpu_milli_limit = milli > s->gpu_milli ? (int32_t)milli : 0;
    s->gpu_memory_limit_mib = memory > s->gpu_memory_mib ? (int32_t)memory : 0;
    return 0;
}

/* The GPU request: at most one of gpu, gpu_fraction, gpu_memory_mib. */
static int read_gpu(const struct al__json *body, struct al__wspec *s, struct al_snapshot_error *e,
                    char *field, size_t fsize, char *msg, size_t msize) {
    const struct al__json *fraction = al__json_get(body, "gpu_fraction");
    int64_t gpus = 0, memory = 0, devices = 1, milli = 0;
    int kinds;

    if (al__member_int(body, "", "gpu", false, 0, AL__MAX_GPUS, &gpus, e) < 0 ||
        al__member_int(body, "", "gpu_memory_mib", false, 0, AL__MAX_GPU_MEMORY_MIB, &memory, e) <
            0 ||
        al__member_int(body, "", "gpu_device_count", false, 1, AL__MAX_GPUS, &devices, e) < 0)
        return al__spec_fail_err(field, fsize, msg, msize, e);
    if (fraction) {
        double f;
        if (al__read_number(fraction, "gpu_fraction", &f, e) < 0)
            return al__spec_fail_err(field, fsize, msg, msize, e);
        if (!(f >= 0.0 && f < 1.0)) /* before any conversion: 1e308 fits no integer */
            return al__spec_fail(field, fsize, msg, msize, "gpu_fraction",
                                 "must be between 0.001 and 0.999");
        milli = (int64_t)(f * 1000.0 + 0.5);
        if (f != 0 && (f < 0 || f >= 1 || milli < 1 || milli > 999))
            return al__spec_fail(field, fsize, msg, msize, "gpu_fraction",
                                 "must be between 0.001 and 0.999");
    }
    kinds = (gpus > 0) + (milli > 0) + (memory > 0);
    if (kinds > 1)
        return al__spec_fail(field, fsize, msg, msize, "gpu",
                             "give at most one of gpu, gpu_fraction and gpu_memory_mib");
    if (devices > 1 && milli == 0 && memory == 0)
        return al__spec_fail(field, fsize, msg, msize, "gpu_device_count",
                             "applies to gpu_fraction and gpu_memory_mib requests only");
    s->gpus = (int32_t)gpus;
    s->gpu_milli = (int32_t)milli;
    s->gpu_memory_mib = (int32_t)memory;
    s->gpu_device_count = (int32_t)devices;
    return read_gpu_limit(body, s, e, field, fsize, msg, msize);
}

/* The topology constraint's names (checked against the inventory's topologies at submit,
 * topology_spec.c); each a label key, when given. A topology goes with a level of the
 * workload's or of one of its subgroups (read before). */
static int read_topology(const struct al__json *body, struct al__wspec *s,
                         struct al_snapshot_error *e, char *field, size_t fsize, char *msg,
                         size_t msize) {
    static const char *const keys[] = {"topology", "required_topology_level",
                                       "preferred_topology_level"};
    const char *v[3] = {NULL, NULL, NULL};
    for (int i = 0; i < 3; i++) {
        if (al__member_string(body, "", keys[i], false, &v[i], e) < 0)
            return al__spec_fail_err(field, fsize, msg, msize, e);
        if (v[i] && (strlen(v[i]) > 316 || !al__label_key_ok(v[i])))
            return al__spec_fail(field, fsize, msg, msize, keys[i],
                                 "must be a node label key (a level of a topology, or its name)");
    }
    if (v[0] && !v[1] && !v[2] && !al__subgroups_have_levels(s))
        return al__spec_fail(
            field, fsize, msg, msize, "topology",
            "needs required_topology_level or preferred_topology_level (of the workload "
            "or of a subgroup)");
    s->topology = v[0] ? al__xstrdup(v[0]) : NULL;
    s->required_topology_level = v[1] ? al__xstrdup(v[1]) : NULL;
    s->preferred_topology_level = v[2] ? al__xstrdup(v[2]) : NULL;
    return 0;
}

static int mig_ask_cmp(const void *a, const void *b) {
    return strcmp(((const struct al__mig_ask *)a)->profile,
                  ((const struct al__mig_ask *)b)->profile);
}

/* mig: {"<profile>": count, ...}, up to AL__MIG_ASKS_MAX profiles, instead of any other GPU
 * request; kept sorted by profile. */
static int read_mig(const struct al__json *body, struct al__wspec *w, char *field, size_t fsize,
                    char *msg, size_t msize) {
    const struct al__json *m = al__json_get(body, "mig");
    if (!m || al__json_is(m, AL__JSON_NULL))
        return 0;
    if (!al__json_is(m, AL__JSON_OBJECT) || m->count < 1 || m->count > AL__MIG_ASKS_MAX)
        return al__spec_fail(
            field, fsize, msg, msize, "mig",
            "must be an object of 1 to 8 MIG profiles and counts: {\"1g.10gb\": 1}");
    for (size_t i = 0; i < m->count; i++) {
        const struct al__json_member *e = &m->u.members[i];
        int64_t n = 0;
        struct al_snapshot_error err = {{0}, {0}, 0};
        if (al_mig_profile_gpus(e->key) < 0 || strlen(e->key) >= sizeof(w->migs[0].profile))
            return al__spec_fail(
                field, fsize, msg, msize, "mig",
                "not a MIG profile: give <G>g.<M>gb, G 1-7 compute slices and M GB");
        if (al__read_int(&e->value, "mig", 1, 4096, &n, &err) < 0)
            return al__spec_fail(field, fsize, msg, msize, "mig",
                                 "the count must be an integer 1..4096");
        for (size_t j = 0; j < i; j++)
            if (strcmp(w->migs[j].profile, e->key) == 0)
                return al__spec_fail(field, fsize, msg, msize, "mig", "names a MIG profile twice");
        snprintf(w->migs[i].profile, sizeof(w->migs[i].profile), "%s", e->key);
        w->migs[i].count = (int32_t)n;
    }
    if (w->gpus > 0 || w->gpu_milli > 0 || w->gpu_memory_mib > 0)
        return al__spec_fail(field, fsize, msg, msize, "mig",
                             "ask MIG instances or GPUs, not both");
    w->mig_profiles = (int32_t)m->count;
    qsort(w->migs, m->count, sizeof(w->migs[0]), mig_ask_cmp);
    return 0;
}

/* The subgroups, and the gang minimum against the workers (both the subgroups' sums when
 * there are subgroups). */
static int read_gang(const struct al__json *body, struct al__wspec *w, int64_t *workers,
                     int64_t *min_members, char *field, size_t fsize, char *msg, size_t msize) {
    if (al__subgroups_read(body, w, al__json_get(body, "workers") != NULL, workers, min_members,
                           field, fsize, msg, msize) < 0)
        return -AL_EINVAL;
    /* 0 only as the sum of subgroups' minimums (a mirrored job's may be) */
    if (*min_members == 0 && w->subgroup_count == 0)
        return al__spec_fail(field, fsize, msg, msize, "min_members", "must be >= 1");
    if (*min_members > *workers)
        return al__spec_fail(field, fsize, msg, msize, "min_members", "must be <= workers");
    return 0;
}

/* al__wspec_read with the body also as a document for the snapshot parser's readers. */
static int wspec_read(const json_t *body, const struct al__json *jb, struct al__wspec *s,
                      char *field, size_t fsize, char *msg, size_t msize) {
    static const char *const keys[] = {"name",
                                       "project",
                                       "command",
                                       "env",
                                       "export",
                                       "exported_env",
                                       "workdir",
                                       "time_limit_s",
                                       "gpu",
                                       "gpu_fraction",
                                       "gpu_memory_mib",
                                       "gpu_device_count",
                                       "cpu_millis",
                                       "memory_bytes",
                                       "priority",
                                       "preemptible",
                                       "preemptibility",
                                       "preemption_policy",
                                       "workers",
                                       "min_members",
                                       "kind",
                                       "labels",
                                       "enforce",
                                       "queue_anyway", /* read by admission.c */
                                       "gpu_fraction_limit",
                                       "gpu_memory_limit_mib",
                                       "topology",
                                       "required_topology_level",
                                       "preferred_topology_level",
                                       "node_pool",
                                       "mig",
                                       "subgroups",
                                       NULL};
    struct al_snapshot_error e = {{0}, {0}, 0};
    struct al__wspec w = {0};
    const char *workdir = NULL, *node_pool = NULL;
    int64_t workers = 1, min_members = -1;

    if (al__check_keys(jb, "", keys, &e) < 0)
        return al__spec_fail_err(field, fsize, msg, msize, &e);
    if (read_gpu(jb, &w, &e, field, fsize, msg, msize) < 0 ||
        read_kind(jb, &w, field, fsize, msg, msize) < 0 ||
        read_priority(jb, &w, field, fsize, msg, msize) < 0)
        return -AL_EINVAL;
    /* Inference is never preemptible (Run:ai offers no such override); otherwise it follows
     * the priority unless given. */
    w.preemptible = w.kind != AL__K_INFERENCE && w.priority < AL_PRIORITY_BUILD;
    w.enforce = true; /* also for a workload stored before the field existed */
    if (al__member_bool(jb, "", "enforce", false, &w.enforce, &e) < 0 ||
        al__member_int(jb, "", "cpu_millis", false, 0, AL__MAX_CPU_MILLIS, &w.cpu_millis, &e) < 0 ||
        al__member_int(jb, "", "memory_bytes", false, 0, AL__MAX_MEMORY_BYTES, &w.memory_bytes,
                       &e) < 0 ||
        al__member_bool(jb, "", "preemptible", false, &w.preemptible, &e) < 0 ||
        al__member_int(jb, "", "workers", false, 1, 1024, &workers, &e) < 0 ||
        al__member_int(jb, "", "min_members", false, 0, 1024, &min_members, &e) < 0 ||
        (!json_is_null(json_object_get(body, "workdir")) &&
         al__member_string(jb, "", "workdir", false, &workdir, &e) < 0) ||
        (!json_is_null(json_object_get(body, "node_pool")) &&
         al__member_string(jb, "", "node_pool", false, &node_pool, &e) < 0))
        return al__spec_fail_err(field, fsize, msg, msize, &e);
    if (read_mig(jb, &w, field, fsize, msg, msize) < 0)
        return -AL_EINVAL;
    if (node_pool && !pool_name_valid(node_pool))
        return al__spec_fail(
            field, fsize, msg, msize, "node_pool",
            "a pool name is 1-63 letters, digits, '-', '_' or '.', not \"default\" (leave it "
            "out or null for the default pool, the nodes with no pool)");
    if (read_preemptibility(body, &w, field, fsize, msg, msize) < 0 ||
        read_preemption_policy(body, &w, field, fsize, msg, msize) < 0)
        return -AL_EINVAL;
    if (w.kind == AL__K_INFERENCE && w.preemptible)
        return al__spec_fail(
            field, fsize, msg, msize, "preemptible",
            "an inference workload is never preemptible: it serves requests and must not "
            "be interrupted (submit it as training or workspace to make it preemptible)");
    if (workdir && workdir[0] != '/')
        return al__spec_fail(field, fsize, msg, msize, "workdir", "must be an absolute path");
    if (read_time_limit(jb, body, &w, field, fsize, msg, msize) < 0 ||
        read_export(body, &w, field, fsize, msg, msize) < 0)
        return -AL_EINVAL;
    if (read_labels(body, &w, field, fsize, msg, msize) < 0 ||
        read_command(body, &w, field, fsize, msg, msize) < 0 ||
        read_gang(jb, &w, &workers, &min_members, field, fsize, msg, msize) < 0 ||
        read_topology(jb, &w, &e, field, fsize, msg, msize) < 0) {
        al__wspec_release(&w);
        return -AL_EINVAL;
    }
    w.workers = (int32_t)workers;
    w.min_members = min_members < 0 ? w.workers : (int32_t)min_members;
    w.workdir = workdir ? al__xstrdup(workdir) : NULL;
    w.node_pool = node_pool ? al__xstrdup(node_pool) : NULL;
    *s = w;
    return 0;
}

int al__wspec_read(const json_t *body, struct al__wspec *s, char *field, size_t fsize, char *msg,
                   size_t msize) {
    struct al__json_doc doc;
    int rc = al__json_from_jansson(body, &doc);
    if (rc == 0)
        rc = wspec_read(body, doc.root, s, field, fsize, msg, msize);
    else
        snprintf(msg, msize, "out of memory");
    al__json_doc_release(&doc);
    return rc;
}

void al__wspec_release(struct al__wspec *s) {
    json_decref(s->command);
    json_decref(s->env);
    json_decref(s->export_mode);
    json_decref(s->exported_env);
    json_decref(s->labels);
    free(s->workdir);
    free(s->topology);
    free(s->required_topology_level);
    free(s->preferred_topology_level);
    free(s->node_pool);
    s->node_pool = NULL;
    al__subgroups_free(s->subgroups, s->subgroup_count);
    s->subgroups = NULL;
    s->subgroup_count = 0;
    s->command = s->env = s->export_mode = s->exported_env = s->labels = NULL;
    s->workdir = s->topology = s->required_topology_level = s->preferred_topology_level = NULL;
}

json_t *al__mig_asks_json(const struct al__mig_ask *m, size_t n) {
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++)
        json_object_set_new(o, m[i].profile, json_integer(m[i].count));
    return o;
}
