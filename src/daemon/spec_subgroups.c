/* spec_subgroups.c - a workload's subgroups (docs/api.md, "Subgroups"): read from a submit body
 * or a stored spec with the API's rules, written back, copied and compared. */
#include "daemon/spec_subgroups.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "daemon/specs.h"
#include "snapshot/json_util.h"
#include "util/xalloc.h"

static const char *const subgroup_keys[] = {
    "name", "workers", "min_members", "required_topology_level", "preferred_topology_level", NULL};

/* A level key of subgroup item `obj` at `path` into *out (NULL when absent). */
static int read_level(const struct al__json *obj, const char *path, const char *key, char **out,
                      char *field, size_t fsize, char *msg, size_t msize) {
    struct al_snapshot_error e = {{0}, {0}, 0};
    const char *v = NULL;
    char at[AL__PATH_SIZE];
    if (al__member_string(obj, path, key, false, &v, &e) < 0)
        return al__spec_fail_err(field, fsize, msg, msize, &e);
    al__path_key(at, path, key);
    if (v && (strlen(v) > 316 || !al__label_key_ok(v)))
        return al__spec_fail(field, fsize, msg, msize, at,
                             "must be a node label key (a level of a topology)");
    *out = v ? al__xstrdup(v) : NULL;
    return 0;
}

/* Subgroup i of the list (at `path`) into *g; names of the ones before it in list[0..i). */
static int read_one(const struct al__json *obj, const char *path, const struct al__wsubgroup *list,
                    size_t i, struct al__wsubgroup *g, char *field, size_t fsize, char *msg,
                    size_t msize) {
    struct al_snapshot_error e = {{0}, {0}, 0};
    const char *name;
    int64_t workers = 0, min = -1;
    char at[AL__PATH_SIZE], text[160];

    if (al__want_object(obj, path, &e) < 0 || al__check_keys(obj, path, subgroup_keys, &e) < 0 ||
        al__member_string(obj, path, "name", true, &name, &e) < 0 ||
        al__member_int(obj, path, "workers", true, 1, AL__SUBGROUP_WORKERS_MAX, &workers, &e) < 0 ||
        al__member_int(obj, path, "min_members", false, 1, AL__SUBGROUP_WORKERS_MAX, &min, &e) < 0)
        return al__spec_fail_err(field, fsize, msg, msize, &e);
    al__path_key(at, path, "name");
    if (!al__label_text_ok(name, strlen(name), false))
        return al__spec_fail(
            field, fsize, msg, msize, at,
            "must be 1-63 of A-Z, a-z, 0-9, '-', '_' and '.', starting and ending with a "
            "letter or digit (a Kubernetes label value)");
    for (size_t k = 0; k < i; k++)
        if (strcmp(list[k].name, name) == 0) {
            snprintf(text, sizeof(text), "\"%s\" is also the name of subgroups[%zu]", name, k);
            return al__spec_fail(field, fsize, msg, msize, at, text);
        }
    if (min > workers) {
        al__path_key(at, path, "min_members");
        snprintf(text, sizeof(text), "must be <= its workers (%d)", (int)workers);
        return al__spec_fail(field, fsize, msg, msize, at, text);
    }
    snprintf(g->name, sizeof(g->name), "%s", name);
    g->workers = (int32_t)workers;
    g->min_members = min < 0 ? (int32_t)workers : (int32_t)min;
    if (read_level(obj, path, "required_topology_level", &g->required_topology_level, field, fsize,
                   msg, msize) < 0 ||
        read_level(obj, path, "preferred_topology_level", &g->preferred_topology_level, field,
                   fsize, msg, msize) < 0)
        return -AL_EINVAL;
    return 0;
}

/* The workload's workers and min_members against its subgroups' sums. */
static int check_sums(struct al__wspec *s, int64_t *workers, bool workers_given,
                      int64_t *min_members, char *field, size_t fsize, char *msg, size_t msize) {
    int64_t sum_workers = 0, sum_min = 0;
    char text[200];
    for (int32_t i = 0; i < s->subgroup_count; i++) {
        sum_workers += s->subgroups[i].workers;
        sum_min += s->subgroups[i].min_members;
    }
    if (sum_workers > AL__SUBGROUP_WORKERS_MAX) {
        snprintf(text, sizeof(text), "their workers add up to %lld, more than %d",
                 (long long)sum_workers, AL__SUBGROUP_WORKERS_MAX);
        return al__spec_fail(field, fsize, msg, msize, "subgroups", text);
    }
    if (workers_given && *workers != sum_workers) {
        snprintf(text, sizeof(text),
                 "must be the sum of the subgroups' workers (%lld), or left out to be that sum",
                 (long long)sum_workers);
        return al__spec_fail(field, fsize, msg, msize, "workers", text);
    }
    if (*min_members >= 0 && *min_members != sum_min) {
        snprintf(text, sizeof(text),
                 "must be the sum of the subgroups' min_members (%lld), or left out: with "
                 "subgroups the gang minimum is each subgroup's",
                 (long long)sum_min);
        return al__spec_fail(field, fsize, msg, msize, "min_members", text);
    }
    *workers = sum_workers;
    *min_members = sum_min;
    return 0;
}

int al__subgroups_read(const struct al__json *body, struct al__wspec *s, bool workers_given,
                       int64_t *workers, int64_t *min_members, char *field, size_t fsize, char *msg,
                       size_t msize) {
    struct al_snapshot_error e = {{0}, {0}, 0};
    const struct al__json *list = al__json_get(body, "subgroups"), *v;
    char path[AL__PATH_SIZE], text[96];
    size_t i;

    if (!list || al__json_is(list, AL__JSON_NULL))
        return 0;
    if (al__want_array(list, "subgroups", &e) < 0)
        return al__spec_fail_err(field, fsize, msg, msize, &e);
    if (al__json_size(list) == 0)
        return 0;
    if (al__json_size(list) > AL__SUBGROUPS_MAX) {
        snprintf(text, sizeof(text), "at most %d subgroups", AL__SUBGROUPS_MAX);
        return al__spec_fail(field, fsize, msg, msize, "subgroups", text);
    }
    s->subgroups = al__xcalloc(al__json_size(list), sizeof(*s->subgroups));
    al__json_array_foreach(list, i, v) {
        al__path_index(path, "subgroups", i);
        s->subgroup_count = (int32_t)i + 1; /* released with the spec on failure */
        if (read_one(v, path, s->subgroups, i, &s->subgroups[i], field, fsize, msg, msize) < 0)
            return -AL_EINVAL;
    }
    return check_sums(s, workers, workers_given, min_members, field, fsize, msg, msize);
}

bool al__subgroups_have_levels(const struct al__wspec *s) {
    for (int32_t i = 0; i < s->subgroup_count; i++)
        if (s->subgroups[i].required_topology_level || s->subgroups[i].preferred_topology_level)
            return true;
    return false;
}

json_t *al__subgroups_json(const struct al__wsubgroup *list, int32_t count) {
    json_t *a = json_array();
    for (int32_t i = 0; a && i < count; i++) {
        const struct al__wsubgroup *g = &list[i];
        json_t *o = json_pack("{s:s, s:i, s:i}", "name", g->name, "workers", (int)g->workers,
                              "min_members", (int)g->min_members);
        if (o && g->required_topology_level)
            json_object_set_new(o, "required_topology_level",
                                json_string(g->required_topology_level));
        if (o && g->preferred_topology_level)
            json_object_set_new(o, "preferred_topology_level",
                                json_string(g->preferred_topology_level));
        json_array_append_new(a, o);
    }
    return a;
}

struct al__wsubgroup *al__subgroups_copy(const struct al__wsubgroup *list, int32_t count) {
    if (count <= 0)
        return NULL;
    struct al__wsubgroup *copy = al__xcalloc((size_t)count, sizeof(*copy));
    for (int32_t i = 0; i < count; i++) {
        copy[i] = list[i];
        copy[i].required_topology_level =
            list[i].required_topology_level ? al__xstrdup(list[i].required_topology_level) : NULL;
        copy[i].preferred_topology_level =
            list[i].preferred_topology_level ? al__xstrdup(list[i].preferred_topology_level) : NULL;
    }
    return copy;
}

static bool same_text(const char *a, const char *b) {
    return a && b ? strcmp(a, b) == 0 : a == b;
}

bool al__subgroups_same(const struct al__wsubgroup *a, int32_t na, const struct al__wsubgroup *b,
                        int32_t nb) {
    if (na != nb)
        return false;
    for (int32_t i = 0; i < na; i++)
        if (strcmp(a[i].name, b[i].name) != 0 || a[i].workers != b[i].workers ||
            a[i].min_members != b[i].min_members ||
            !same_text(a[i].required_topology_level, b[i].required_topology_level) ||
            !same_text(a[i].preferred_topology_level, b[i].preferred_topology_level))
            return false;
    return true;
}

void al__subgroups_free(struct al__wsubgroup *list, int32_t count) {
    for (int32_t i = 0; list && i < count; i++) {
        free(list[i].required_topology_level);
        free(list[i].preferred_topology_level);
    }
    free(list);
}
