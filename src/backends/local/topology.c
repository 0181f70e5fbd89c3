/* topology.c - the local backend's --topology: labels that place its virtual nodes in zones,
 * racks, ... and the topology those labels describe, for trying topology-aware placement on
 * one machine (docs/topology.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "backends/local/local.h"
#include "util/xalloc.h"

#define HOST_LABEL "kubernetes.io/hostname"
#define MAX_LEVELS 15

/* A level name: 1-63 of [A-Za-z0-9._/-], as a node label key. */
static bool level_name_ok(const char *s, size_t n) {
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/-", s[i]))
            return false;
    return true;
}

/* One LEVEL=COUNT item of the spec into names[k] and fan[k]. */
static int parse_item(const char *item, size_t n, char **name, long *fan, char *err, size_t size) {
    const char *eq = memchr(item, '=', n);
    char *end;
    if (!eq || !level_name_ok(item, (size_t)(eq - item))) {
        snprintf(err, size, "--topology: \"%.*s\": expected LEVEL=COUNT, LEVEL a label key", (int)n,
                 item);
        return -AL_EINVAL;
    }
    long v = strtol(eq + 1, &end, 10);
    if (end != item + n || end == eq + 1 || v < 1 || v > 10000) {
        snprintf(err, size, "--topology: \"%.*s\": COUNT must be 1..10000", (int)n, item);
        return -AL_EINVAL;
    }
    size_t len = (size_t)(eq - item);
    *name = al__xmalloc(len + 1);
    memcpy(*name, item, len);
    (*name)[len] = '\0';
    *fan = v;
    return 0;
}

/* The topology "local": the spec's levels, then the host. */
static void set_topology(struct al__inventory *inv, char **names, size_t count) {
    struct al_topology *t = al__xcalloc(1, sizeof(*t));
    t->name = al__xstrdup("local");
    t->levels = al__xcalloc(count + 2, sizeof(char *));
    for (size_t k = 0; k < count; k++)
        t->levels[k] = names[k];
    t->levels[count] = al__xstrdup(HOST_LABEL);
    t->level_count = count + 1;
    inv->topologies = t;
    inv->topology_count = 1;
}

/* Node i of n gets, per level k, domain i * groups_k / n of the groups_k = fan[0] * .. * fan[k]
 * domains of that level: consecutive nodes share domains, split as evenly as n allows. */
static void label_nodes(struct al__inventory *inv, char **names, const long *fan, size_t count) {
    size_t n = inv->node_count;
    for (size_t i = 0; i < n; i++) {
        struct al__node *node = &inv->nodes[i];
        node->labels = al__xcalloc(count + 2, sizeof(*node->labels));
        long groups = 1;
        for (size_t k = 0; k < count; k++) {
            char value[96];
            groups *= fan[k];
            snprintf(value, sizeof(value), "%s-%ld", names[k], (long)(i * (size_t)groups / n));
            node->labels[k].key = al__xstrdup(names[k]);
            node->labels[k].value = al__xstrdup(value);
        }
        node->labels[count].key = al__xstrdup(HOST_LABEL);
        node->labels[count].value = al__xstrdup(node->name);
        node->label_count = count + 1;
    }
}

int al__local_topology(const char *spec, struct al__inventory *inv, char *err, size_t size) {
    char *names[MAX_LEVELS];
    long fan[MAX_LEVELS], groups = 1;
    size_t count = 0;
    int rc = 0;
    for (const char *p = spec; rc == 0 && *p;) {
        size_t n = strcspn(p, ",");
        if (count == MAX_LEVELS) {
            snprintf(err, size, "--topology: at most %d levels", MAX_LEVELS);
            rc = -AL_EINVAL;
            break;
        }
        rc = parse_item(p, n, &names[count], &fan[count], err, size);
        if (rc == 0) {
            groups *= fan[count++];
            if (groups > (long)inv->node_count) {
                snprintf(err, size,
                         "--topology: %ld domains at level %s, more than the %zu nodes (--nodes)",
                         groups, names[count - 1], inv->node_count);
                rc = -AL_EINVAL;
            }
        }
        p += n + (p[n] == ',');
    }
    if (rc == 0 && count == 0) {
        snprintf(err, size, "--topology: expected LEVEL=COUNT[,LEVEL=COUNT]...");
        rc = -AL_EINVAL;
    }
    if (rc < 0) {
        for (size_t k = 0; k < count; k++)
            free(names[k]);
        return rc;
    }
    label_nodes(inv, names, fan, count);
    set_topology(inv, names, count);
    return 0;
}
