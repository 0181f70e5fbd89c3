/* gpu_assign.c - which devices the active GPU tasks of a snapshot hold; device capacity checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "snapshot/json_util.h"
#include "snapshot/parse.h"

/* Occupancy of one device while assigning. */
struct device {
    bool claimed;      /* named by a label or an explicit index */
    int32_t occupants; /* task-device pairs */
    int32_t releasing; /* ... of releasing tasks */
    int64_t now;       /* held now (all but pipelined), in milli-MiB */
    int64_t later;     /* held once releasing tasks are gone (all but releasing) */
};

/* The node being worked on: its devices and its active GPU tasks in file order. */
struct node_work {
    int32_t node;
    struct device *devices;
    size_t device_count;
    const int32_t *tasks;
    size_t task_count;
    size_t first_label; /* this node's labels are p->extra.labels[first_label..] */
    bool pipelined;     /* the phase: pipelined tasks go last, onto what is left */
};

static bool is_gpu_task(const struct al_task *t) {
    return al_task_is_active(t->state) && al__task_devices(t) > 0;
}

static void device_occupy(struct device *d, const struct al_task *t) {
    d->claimed = true;
    d->occupants++;
    d->releasing += t->state == AL_TASK_RELEASING;
}

static int label_add(struct al__parse *p, int32_t node, int32_t device, const char *label,
                     const char *path) {
    struct al__parse_extra *x = &p->extra;

    if (x->label_count == p->label_cap) {
        size_t cap = p->label_cap ? 2 * p->label_cap : 16;
        struct al_gpu_label *grown = realloc(x->labels, cap * sizeof(*grown));
        if (!grown)
            return al__fail_nomem(p->err, path);
        x->labels = grown;
        p->label_cap = cap;
    }
    x->labels[x->label_count].node = node;
    x->labels[x->label_count].device = device;
    x->labels[x->label_count].label = NULL;
    x->label_count++;
    return al__dup(&x->labels[x->label_count - 1].label, label, path, p->err);
}

/* Lowest unclaimed devices; a pipelined task may also wait for devices being released. */
static size_t pick_devices(struct node_work *w, const struct al_task *t, int32_t *out,
                           size_t need) {
    size_t got = 0;

    for (size_t d = 0; d < w->device_count && got < need; d++)
        if (!w->devices[d].claimed)
            out[got++] = (int32_t)d;
    for (size_t d = 0; d < w->device_count && got < need && t->state == AL_TASK_PIPELINED; d++) {
        const struct device *dev = &w->devices[d];
        bool taken = false;
        for (size_t i = 0; i < got; i++)
            taken |= out[i] == (int32_t)d;
        if (!taken && dev->occupants > 0 && dev->occupants == dev->releasing)
            out[got++] = (int32_t)d;
    }
    return got;
}

/* The device of `label` on this node; a new label takes a device like pick_devices(). */
static int label_device(struct al__parse *p, struct node_work *w, const struct al_task *t,
                        const char *label, const char *path, int32_t *out) {
    const struct al__parse_extra *x = &p->extra;
    int32_t d;
    int rc;

    for (size_t i = w->first_label; i < x->label_count; i++)
        if (strcmp(x->labels[i].label, label) == 0) {
            *out = x->labels[i].device;
            return 0;
        }
    if (pick_devices(w, t, &d, 1) < 1)
        return al__fail(p->err, path, "node %s has no free GPU device left for label \"%s\"",
                        p->cluster->nodes[w->node].name, label);
    if ((rc = label_add(p, w->node, d, label, path)) < 0)
        return rc;
    w->devices[d].claimed = true;
    *out = d;
    return 0;
}

/* Tasks of the current phase: all but pipelined ones first, then the pipelined ones. */
static bool in_phase(const struct node_work *w, const struct al_task *t) {
    return (t->state == AL_TASK_PIPELINED) == w->pipelined;
}

static int assign_labels(struct al__parse *p, struct node_work *w) {
    char base[AL__PATH_SIZE], path[AL__PATH_SIZE];
    int rc;

    for (size_t i = 0; i < w->task_count; i++) {
        struct al_task *t = &p->cluster->tasks[w->tasks[i]];
        const struct al__json *groups = p->task_groups[w->tasks[i]];
        if (!groups || !in_phase(w, t))
            continue;
        al__task_path(p, (size_t)w->tasks[i], "gpu_groups", base);
        t->gpu_indices = calloc(al__json_size(groups), sizeof(*t->gpu_indices));
        if (!t->gpu_indices)
            return al__fail_nomem(p->err, base);
        for (size_t l = 0; l < al__json_size(groups); l++) {
            al__path_index(path, base, l);
            rc = label_device(p, w, t, al__json_string(al__json_at(groups, l)), path,
                              &t->gpu_indices[l]);
            if (rc < 0)
                return rc;
            t->gpu_index_count = l + 1;
            device_occupy(&w->devices[t->gpu_indices[l]], t);
        }
    }
    return 0;
}

static int assign_free(struct al__parse *p, struct node_work *w) {
    char path[AL__PATH_SIZE];

    for (size_t i = 0; i < w->task_count; i++) {
        struct al_task *t = &p->cluster->tasks[w->tasks[i]];
        size_t need = al__task_devices(t);
        if (t->gpu_index_count > 0 || !in_phase(w, t))
            continue;
        al__task_path(p, (size_t)w->tasks[i], NULL, path);
        t->gpu_indices = calloc(need, sizeof(*t->gpu_indices));
        if (!t->gpu_indices)
            return al__fail_nomem(p->err, path);
        if (pick_devices(w, t, t->gpu_indices, need) < need)
            return al__fail(p->err, path, "node %s has no free GPU device left for this task",
                            p->cluster->nodes[w->node].name);
        t->gpu_index_count = need;
        for (size_t k = 0; k < need; k++)
            device_occupy(&w->devices[t->gpu_indices[k]], t);
    }
    return 0;
}

/* What the task holds on a device of `memory_mib`, in milli-MiB (capacity 1000 * memory). */
static int64_t task_amount(const struct al_task *t, int64_t memory_mib) {
    if (t->gpus > 0)
        return 1000 * memory_mib;
    if (t->gpu_milli > 0)
        return (int64_t)t->gpu_milli * memory_mib;
    return 1000 * (int64_t)t->gpu_memory_mib;
}

static int check_capacity(struct al__parse *p, struct node_work *w) {
    const struct al_node *node = &p->cluster->nodes[w->node];
    char path[AL__PATH_SIZE];

    for (size_t i = 0; i < w->task_count; i++) {
        const struct al_task *t = &p->cluster->tasks[w->tasks[i]];
        for (size_t k = 0; k < t->gpu_index_count; k++) {
            struct device *d = &w->devices[t->gpu_indices[k]];
            int64_t memory = node->gpus[t->gpu_indices[k]].memory_mib;
            int64_t amount = task_amount(t, memory);
            d->now += t->state == AL_TASK_PIPELINED ? 0 : amount;
            d->later += t->state == AL_TASK_RELEASING ? 0 : amount;
            if (d->now > 1000 * memory || d->later > 1000 * memory) {
                al__task_path(p, (size_t)w->tasks[i], NULL, path);
                return al__fail(p->err, path, "GPU device %d of node %s is over-committed",
                                (int)t->gpu_indices[k], node->name);
            }
        }
    }
    return 0;
}

static int assign_node(struct al__parse *p, struct node_work *w) {
    int rc;

    for (size_t i = 0; i < w->task_count; i++) {
        const struct al_task *t = &p->cluster->tasks[w->tasks[i]];
        for (size_t k = 0; k < t->gpu_index_count; k++)
            device_occupy(&w->devices[t->gpu_indices[k]], t);
    }
    w->first_label = p->extra.label_count;
    for (int phase = 0; phase < 2; phase++) {
        w->pipelined = phase == 1;
        if ((rc = assign_labels(p, w)) < 0 || (rc = assign_free(p, w)) < 0)
            return rc;
    }
    return check_capacity(p, w);
}

/* Active GPU tasks grouped by node (file order within a node): order[start[n]..start[n+1]). */
static int group_by_node(const struct al_cluster *c, int32_t **order, size_t **start) {
    size_t n = c->node_count;

    *order = malloc((c->task_count ? c->task_count : 1) * sizeof(**order));
    *start = calloc(n + 2, sizeof(**start));
    if (!*order || !*start)
        return -AL_ENOMEM;
    for (size_t i = 0; i < c->task_count; i++)
        if (is_gpu_task(&c->tasks[i]))
            (*start)[c->tasks[i].node + 2]++;
    for (size_t k = 2; k < n + 2; k++)
        (*start)[k] += (*start)[k - 1];
    for (size_t i = 0; i < c->task_count; i++)
        if (is_gpu_task(&c->tasks[i]))
            (*order)[(*start)[c->tasks[i].node + 1]++] = (int32_t)i;
    return 0;
}

int al__gpu_assign(struct al__parse *p) {
    const struct al_cluster *c = p->cluster;
    struct node_work w;
    int32_t *order = NULL;
    size_t *start = NULL;
    int rc = group_by_node(c, &order, &start);

    if (rc < 0)
        rc = al__fail_nomem(p->err, "nodes");
    for (size_t n = 0; rc == 0 && n < c->node_count; n++) {
        if (start[n + 1] == start[n])
            continue;
        w.node = (int32_t)n;
        w.device_count = c->nodes[n].gpu_count;
        w.tasks = &order[start[n]];
        w.task_count = start[n + 1] - start[n];
        w.devices = calloc(w.device_count ? w.device_count : 1, sizeof(*w.devices));
        if (!w.devices)
            rc = al__fail_nomem(p->err, "nodes");
        else
            rc = assign_node(p, &w);
        free(w.devices);
    }
    free(order);
    free(start);
    return rc;
}
