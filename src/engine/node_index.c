/* node_index.c - nodes filed by free capacity per class of alike nodes (see node_index.h). */
#include "engine/node_index.h"

#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "engine/session.h"
#include "util/sort.h"

#define STALE_SHAPE_CPU 1 /* by_shape's CPU and memory sets */
#define STALE_LABELS    2 /* every set of by_labels */

/* ---- classes ---- */

struct signature {
    const struct al_cluster *cluster;
    const char **values; /* per node, `keys` label values (NULL = absent) */
    size_t keys;
};

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_i64(int64_t a, int64_t b) {
    return (a > b) - (a < b);
}

/* Orders nodes by everything a task can tell them apart by. */
static int shape_cmp(const struct signature *sig, int32_t a, int32_t b) {
    const struct al_node *na = &sig->cluster->nodes[a], *nb = &sig->cluster->nodes[b];
    int r = cmp_i64((int64_t)na->gpu_count, (int64_t)nb->gpu_count);
    for (size_t g = 0; r == 0 && g < na->gpu_count; g++)
        r = cmp_i64(na->gpus[g].memory_mib, nb->gpus[g].memory_mib);
    if (r == 0)
        r = cmp_i64(na->cpu_millis, nb->cpu_millis);
    if (r == 0)
        r = cmp_i64(na->memory_bytes, nb->memory_bytes);
    for (size_t k = 0; r == 0 && k < sig->keys; k++) {
        const char *va = sig->values[(size_t)a * sig->keys + k];
        const char *vb = sig->values[(size_t)b * sig->keys + k];
        r = !va || !vb ? (va != NULL) - (vb != NULL) : strcmp(va, vb);
    }
    return r;
}

static int signature_cmp(int32_t a, int32_t b, const void *sig) {
    int r = shape_cmp(sig, a, b);
    return r ? r : (a > b) - (a < b);
}

/* The distinct label keys that some task's affinity names, sorted; returns how many. */
static size_t affinity_keys(struct al__session *s, const char ***out) {
    const struct al_cluster *c = s->cluster;
    size_t n = 0;
    for (size_t t = 0; t < c->task_count; t++)
        n += c->tasks[t].affinity_count;
    const char **keys = al__arena_array(&s->arena, n + 1, sizeof(*keys));
    *out = keys;
    if (!keys)
        return (size_t)-1;
    n = 0;
    for (size_t t = 0; t < c->task_count; t++)
        for (size_t a = 0; a < c->tasks[t].affinity_count; a++)
            keys[n++] = c->tasks[t].affinity[a].key;
    qsort(keys, n, sizeof(*keys), cmp_str);
    size_t distinct = 0;
    for (size_t i = 0; i < n; i++)
        if (distinct == 0 || strcmp(keys[distinct - 1], keys[i]) != 0)
            keys[distinct++] = keys[i];
    return distinct;
}

/* Label values of the affinity keys per node (none when !labels). */
static int build_signatures(struct al__session *s, struct signature *sig, bool labels) {
    const struct al_cluster *c = s->cluster;
    const char **keys = NULL;
    sig->cluster = c;
    sig->keys = labels ? affinity_keys(s, &keys) : 0;
    if (sig->keys == (size_t)-1)
        return -AL_ENOMEM;
    sig->values = al__arena_array(&s->arena, c->node_count * sig->keys + 1, sizeof(char *));
    if (!sig->values)
        return -AL_ENOMEM;
    for (size_t n = 0; n < c->node_count; n++)
        for (size_t k = 0; k < sig->keys; k++) {
            const char *v = NULL;
            for (size_t l = 0; l < c->nodes[n].label_count && !v; l++)
                if (strcmp(c->nodes[n].labels[l].key, keys[k]) == 0)
                    v = c->nodes[n].labels[l].value;
            sig->values[n * sig->keys + k] = v;
        }
    return 0;
}

static int class_init(struct al__session *s, struct al__node_class *cl, int32_t first,
                      int32_t size) {
    const struct al_node *node = &s->cluster->nodes[first];
    cl->representative = first;
    cl->size = size;
    cl->gpu_count = (int32_t)node->gpu_count;
    cl->cpu_millis = node->cpu_millis;
    cl->memory_bytes = node->memory_bytes;
    cl->min_memory_mib = cl->max_memory_mib = node->gpu_count ? node->gpus[0].memory_mib : 0;
    for (size_t g = 0; g < node->gpu_count; g++) {
        int32_t m = node->gpus[g].memory_mib;
        cl->min_memory_mib = m < cl->min_memory_mib ? m : cl->min_memory_mib;
        cl->max_memory_mib = m > cl->max_memory_mib ? m : cl->max_memory_mib;
    }
    cl->whole_roots = al__arena_array(&s->arena, (size_t)cl->gpu_count + 1, sizeof(int32_t));
    if (!cl->whole_roots)
        return -AL_ENOMEM;
    for (int32_t w = 0; w <= cl->gpu_count; w++)
        cl->whole_roots[w] = -1;
    cl->shared_root = cl->cpu_root = cl->mem_root = -1;
    return 0;
}

static int build_classes(struct al__session *s, struct al__node_partition *p,
                         const struct signature *sig) {
    size_t nodes = s->cluster->node_count;
    int32_t *sorted = al__arena_array(&s->arena, nodes + 1, sizeof(int32_t));
    if (!sorted)
        return -AL_ENOMEM;
    for (size_t n = 0; n < nodes; n++)
        sorted[n] = (int32_t)n;
    if (al__sort_ids(sorted, nodes, signature_cmp, sig) < 0)
        return -AL_ENOMEM;
    p->classes = al__arena_array(&s->arena, nodes + 1, sizeof(*p->classes));
    if (!p->classes)
        return -AL_ENOMEM;
    p->class_count = 0;
    for (size_t i = 0; i < nodes;) {
        size_t k = i + 1;
        while (k < nodes && shape_cmp(sig, sorted[i], sorted[k]) == 0)
            k++;
        struct al__node_class *cl = &p->classes[p->class_count];
        if (class_init(s, cl, sorted[i], (int32_t)(k - i)) < 0)
            return -AL_ENOMEM;
        for (size_t m = i; m < k; m++)
            p->class_of[sorted[m]] = p->class_count;
        p->class_count++;
        i = k;
    }
    return 0;
}

/* ---- filing nodes ---- */

struct node_keys {
    int32_t whole;       /* idle devices, -1 for a node without GPUs */
    int64_t gpu_free;    /* unallocated GPU milli */
    int64_t gpu_future;  /* ... counting what is being released */
    int64_t shared_room; /* most room on a device shared tasks use, 0 none */
    bool releasing;
};

static struct node_keys keys_of(const struct al__session *s, int32_t n) {
    const struct al__node_state *ns = &s->nodes[n];
    struct node_keys k = {.whole = ns->gpu_count > 0 ? 0 : -1};
    k.releasing = ns->releasing[AL_CPU] != 0 || ns->releasing[AL_MEMORY] != 0;
    for (int32_t g = 0; g < ns->gpu_count; g++) {
        const struct al__gpu_state *d = &ns->gpus[g];
        int64_t room = d->capacity - d->used;
        k.whole += d->used == 0;
        k.gpu_free += room > 0 ? room * 1000 / d->capacity : 0;
        k.gpu_future += (room + d->releasing) * 1000 / d->capacity;
        if (d->shared > 0 && room > k.shared_room)
            k.shared_room = room;
        k.releasing |= d->releasing != 0;
    }
    for (size_t m = 0; m < s->cluster->nodes[n].mig_count; m++)
        k.releasing |= ns->migs[m].releasing != 0; /* MIG instances being freed */
    return k;
}

static int64_t cpu_free(const struct al__session *s, int32_t n) {
    return s->cluster->nodes[n].cpu_millis - s->nodes[n].used[AL_CPU];
}

static int64_t mem_free(const struct al__session *s, int32_t n) {
    return s->cluster->nodes[n].memory_bytes - s->nodes[n].used[AL_MEMORY];
}

static void file_releasing(struct al__node_index *ix, int32_t n, bool releasing) {
    if (releasing && ix->releasing_at[n] < 0) {
        ix->releasing_at[n] = ix->releasing_count;
        ix->releasing[ix->releasing_count++] = n;
    } else if (!releasing && ix->releasing_at[n] >= 0) {
        int32_t last = ix->releasing[--ix->releasing_count];
        ix->releasing[ix->releasing_at[n]] = last;
        ix->releasing_at[last] = ix->releasing_at[n];
        ix->releasing_at[n] = -1;
    }
}

/* Files node n in p's GPU sets (idle devices, shared room) under keys k. */
static void partition_update_gpu(struct al__node_partition *p, int32_t n,
                                 const struct node_keys *k) {
    struct al__node_class *cl = &p->classes[p->class_of[n]];
    if (k->whole >= 0 && (k->whole != p->filed_whole[n] || k->gpu_free != p->whole.key[n])) {
        if (p->filed_whole[n] >= 0)
            al__treap_erase(&p->whole, &cl->whole_roots[p->filed_whole[n]], n);
        al__treap_insert(&p->whole, &cl->whole_roots[k->whole], n, k->gpu_free);
        p->filed_whole[n] = k->whole;
    }
    bool shared = k->shared_room > 0;
    if (p->in_shared[n] &&
        (!shared || p->shared.key[n] != k->gpu_free || p->shared.aug[n] != k->shared_room)) {
        al__treap_erase(&p->shared, &cl->shared_root, n);
        p->in_shared[n] = 0;
    }
    if (shared && !p->in_shared[n]) {
        p->shared.aug[n] = k->shared_room;
        al__treap_insert(&p->shared, &cl->shared_root, n, k->gpu_free);
        p->in_shared[n] = 1;
    }
}

/* Files node n in p's CPU and memory sets. */
static void partition_update_cpu(const struct al__session *s, struct al__node_partition *p,
                                 int32_t n) {
    struct al__node_class *cl = &p->classes[p->class_of[n]];
    int64_t cpu = cpu_free(s, n), mem = mem_free(s, n);
    if (p->cpu.key[n] != cpu) {
        al__treap_erase(&p->cpu, &cl->cpu_root, n);
        al__treap_insert(&p->cpu, &cl->cpu_root, n, cpu);
    }
    if (p->mem.key[n] != mem) {
        al__treap_erase(&p->mem, &cl->mem_root, n);
        al__treap_insert(&p->mem, &cl->mem_root, n, mem);
    }
}

static void partition_update(const struct al__session *s, struct al__node_partition *p, int32_t n,
                             const struct node_keys *k) {
    partition_update_gpu(p, n, k);
    partition_update_cpu(s, p, n);
}

/* Marks node n stale in the sets that are refiled on demand (list `which`). */
static void mark_stale(struct al__node_index *ix, int32_t n, unsigned char bit) {
    if (ix->stale[n] & bit)
        return;
    ix->stale[n] |= bit;
    if (bit == STALE_SHAPE_CPU)
        ix->stale_shape[ix->stale_shape_count++] = n;
    else
        ix->stale_labels[ix->stale_labels_count++] = n;
}

void al__node_index_ready(struct al__session *s, const struct al__node_partition *p, bool cpu) {
    struct al__node_index *ix = &s->index;
    if (p == ix->by_labels && ix->by_labels != &ix->by_shape) {
        for (int32_t i = 0; i < ix->stale_labels_count; i++) {
            int32_t n = ix->stale_labels[i];
            struct node_keys k = keys_of(s, n);
            partition_update(s, ix->by_labels, n, &k);
            ix->stale[n] &= (unsigned char)~STALE_LABELS;
        }
        ix->stale_labels_count = 0;
    }
    if (p == &ix->by_shape && cpu) {
        for (int32_t i = 0; i < ix->stale_shape_count; i++) {
            int32_t n = ix->stale_shape[i];
            partition_update_cpu(s, &ix->by_shape, n);
            ix->stale[n] &= (unsigned char)~STALE_SHAPE_CPU;
        }
        ix->stale_shape_count = 0;
    }
}

void al__node_index_update(struct al__session *s, int32_t n) {
    struct al__node_index *ix = &s->index;
    struct node_keys k = keys_of(s, n);
    /* The sets every GPU task walks are kept now; the rest when a walk needs them. */
    partition_update_gpu(&ix->by_shape, n, &k);
    mark_stale(ix, n, STALE_SHAPE_CPU);
    if (ix->by_labels != &ix->by_shape)
        mark_stale(ix, n, STALE_LABELS);
    file_releasing(ix, n, k.releasing);
    ix->gpu_future_total += k.gpu_future - ix->gpu_future[n];
    ix->gpu_future[n] = k.gpu_future;
}

static int treap_init(struct al__session *s, struct al__treap *t) {
    size_t n = s->cluster->node_count + 1;
    t->left = al__arena_array(&s->arena, n, sizeof(int32_t));
    t->right = al__arena_array(&s->arena, n, sizeof(int32_t));
    t->key = al__arena_array(&s->arena, n, sizeof(int64_t));
    t->rank = s->index.rank;
    return t->left && t->right && t->key ? 0 : -AL_ENOMEM;
}

/* A partition's classes, sets and per-node filing, every node filed from the accounting. */
static int partition_build(struct al__session *s, struct al__node_partition *p,
                           const struct signature *sig) {
    size_t nodes = s->cluster->node_count;
    memset(p, 0, sizeof(*p));
    p->class_of = al__arena_array(&s->arena, nodes + 1, sizeof(int32_t));
    p->filed_whole = al__arena_array(&s->arena, nodes + 1, sizeof(int32_t));
    p->in_shared = al__arena_array(&s->arena, nodes + 1, 1);
    p->task_classes = al__arena_array(&s->arena, s->cluster->task_count + 1, sizeof(void *));
    p->scratch_classes = al__arena_array(&s->arena, nodes / 8 + 1, 1);
    p->scratch_match = al__arena_array(&s->arena, nodes / 8 + 1, 1);
    p->memo = al__arena_array(&s->arena, AL__AFFINITY_MEMO, sizeof(*p->memo));
    p->arena = &s->arena;
    if (!p->class_of || !p->filed_whole || !p->in_shared || !p->task_classes ||
        !p->scratch_classes || !p->scratch_match || !p->memo || treap_init(s, &p->whole) < 0 ||
        treap_init(s, &p->shared) < 0 || treap_init(s, &p->cpu) < 0 || treap_init(s, &p->mem) < 0)
        return -AL_ENOMEM;
    p->shared.aug = al__arena_array(&s->arena, nodes + 1, sizeof(int64_t));
    p->shared.aug_max = al__arena_array(&s->arena, nodes + 1, sizeof(int64_t));
    if (!p->shared.aug || !p->shared.aug_max)
        return -AL_ENOMEM;
    int rc = build_classes(s, p, sig);
    if (rc < 0)
        return rc;
    for (size_t n = 0; n < nodes; n++) {
        struct al__node_class *cl = &p->classes[p->class_of[n]];
        p->filed_whole[n] = -1;
        al__treap_insert(&p->cpu, &cl->cpu_root, (int32_t)n, cpu_free(s, (int32_t)n));
        al__treap_insert(&p->mem, &cl->mem_root, (int32_t)n, mem_free(s, (int32_t)n));
        struct node_keys k = keys_of(s, (int32_t)n);
        partition_update(s, p, (int32_t)n, &k);
    }
    return 0;
}

int al__node_index_build(struct al__session *s) {
    struct al__node_index *ix = &s->index;
    size_t nodes = s->cluster->node_count;
    memset(ix, 0, sizeof(*ix));
    ix->rank = al__arena_array(&s->arena, nodes + 1, sizeof(int32_t));
    ix->releasing = al__arena_array(&s->arena, nodes + 1, sizeof(int32_t));
    ix->releasing_at = al__arena_array(&s->arena, nodes + 1, sizeof(int32_t));
    ix->gpu_future = al__arena_array(&s->arena, nodes + 1, sizeof(int64_t));
    ix->stale = al__arena_array(&s->arena, nodes + 1, 1);
    ix->stale_shape = al__arena_array_raw(&s->arena, nodes + 1, sizeof(int32_t));
    ix->stale_labels = al__arena_array_raw(&s->arena, nodes + 1, sizeof(int32_t));
    if (!ix->rank || !ix->releasing || !ix->releasing_at || !ix->gpu_future || !ix->stale ||
        !ix->stale_shape || !ix->stale_labels)
        return -AL_ENOMEM;
    for (size_t i = 0; i < nodes; i++) {
        ix->rank[s->node_order[i]] = (int32_t)i;
        ix->releasing_at[i] = -1;
    }
    struct signature shape, labels;
    int rc = build_signatures(s, &shape, false);
    if (rc == 0)
        rc = build_signatures(s, &labels, true);
    if (rc == 0)
        rc = partition_build(s, &ix->by_shape, &shape);
    if (rc < 0)
        return rc;
    ix->by_labels = &ix->by_shape;
    if (labels.keys > 0) {
        ix->by_labels = &ix->by_labels_own;
        if ((rc = partition_build(s, ix->by_labels, &labels)) < 0)
            return rc;
    }
    for (size_t n = 0; n < nodes; n++) {
        struct node_keys k = keys_of(s, (int32_t)n);
        file_releasing(ix, (int32_t)n, k.releasing);
        ix->gpu_future[n] = k.gpu_future;
        ix->gpu_future_total += k.gpu_future;
    }
    return 0;
}

static bool partition_check(const struct al__session *s, const struct al__node_partition *p,
                            int32_t n, const struct node_keys *k, bool gpu, bool cpu) {
    if (!gpu)
        return true;
    if (k->whole >= 0 && (p->filed_whole[n] != k->whole || p->whole.key[n] != k->gpu_free))
        return false;
    if (p->in_shared[n] != (k->shared_room > 0) ||
        (k->shared_room > 0 &&
         (p->shared.key[n] != k->gpu_free || p->shared.aug[n] != k->shared_room)))
        return false;
    return !cpu || (p->cpu.key[n] == cpu_free(s, n) && p->mem.key[n] == mem_free(s, n));
}

bool al__node_index_check(const struct al__session *s) {
    const struct al__node_index *ix = &s->index;
    int64_t future = 0;
    int32_t releasing = 0;
    if (!ix->by_labels)
        return true; /* not built */
    for (size_t n = 0; n < s->cluster->node_count; n++) {
        struct node_keys k = keys_of(s, (int32_t)n);
        bool labels_current = !(ix->stale[n] & STALE_LABELS); /* stale ones are listed */
        bool shape_cpu_current = !(ix->stale[n] & STALE_SHAPE_CPU);
        if (!partition_check(s, &ix->by_shape, (int32_t)n, &k, true, shape_cpu_current) ||
            (ix->by_labels != &ix->by_shape &&
             !partition_check(s, ix->by_labels, (int32_t)n, &k, labels_current, labels_current)) ||
            (ix->releasing_at[n] >= 0) != k.releasing || ix->gpu_future[n] != k.gpu_future)
            return false;
        future += k.gpu_future;
        releasing += k.releasing;
    }
    return future == ix->gpu_future_total && releasing == ix->releasing_count;
}

/* ---- what classes can hold ---- */

bool al__node_matches(const struct al_node *node, const struct al_task *task) {
    for (size_t a = 0; a < task->affinity_count; a++) {
        const struct al_affinity *aff = &task->affinity[a];
        const char *value = NULL;
        for (size_t l = 0; l < node->label_count && !value; l++)
            if (strcmp(node->labels[l].key, aff->key) == 0)
                value = node->labels[l].value;
        bool ok = false;
        for (size_t v = 0; value && v < aff->value_count && !ok; v++)
            ok = strcmp(aff->values[v], value) == 0;
        if (!ok)
            return false;
    }
    return true;
}

const struct al__node_partition *al__node_partition_for(const struct al__session *s,
                                                        const struct al_task *task) {
    return task->affinity_count > 0 ? s->index.by_labels : &s->index.by_shape;
}

bool al__node_class_matches(const struct al__session *s, const struct al__node_partition *p,
                            int32_t c, const struct al_task *task) {
    return task->affinity_count == 0 ||
           al__node_matches(&s->cluster->nodes[p->classes[c].representative], task);
}

bool al__node_class_could_fit(const struct al__session *s, const struct al__node_partition *p,
                              int32_t c, const struct al_task *task) {
    const struct al__node_class *cl = &p->classes[c];
    const struct al_node *node = &s->cluster->nodes[cl->representative];
    if (cl->cpu_millis < task->cpu_millis || cl->memory_bytes < task->memory_bytes)
        return false;
    if (task->gpus > 0)
        return cl->gpu_count >= task->gpus;
    if (!al__task_is_shared(task))
        return true;
    int32_t fit = 0;
    for (size_t g = 0; g < node->gpu_count; g++)
        fit += al__task_units(task, node->gpus[g].memory_mib) <=
               (int64_t)node->gpus[g].memory_mib * 1000;
    return fit >= task->gpu_devices;
}

/* Tasks a and b have the same node affinity. */
static bool same_affinity(const struct al_task *a, const struct al_task *b) {
    if (a->affinity_count != b->affinity_count)
        return false;
    for (size_t i = 0; i < a->affinity_count; i++) {
        const struct al_affinity *x = &a->affinity[i], *y = &b->affinity[i];
        if (x->value_count != y->value_count || strcmp(x->key, y->key) != 0)
            return false;
        for (size_t v = 0; v < x->value_count; v++)
            if (strcmp(x->values[v], y->values[v]) != 0)
                return false;
    }
    return true;
}

bool al__task_same_migs(const struct al_task *a, const struct al_task *b) {
    if (a->mig_count != b->mig_count)
        return false;
    for (size_t i = 0; i < a->mig_count; i++)
        if (a->migs[i].count != b->migs[i].count ||
            strcmp(a->migs[i].profile, b->migs[i].profile) != 0)
            return false;
    return true;
}

bool al__task_alike(const struct al_task *a, const struct al_task *b) {
    return a->gpus == b->gpus && a->gpu_milli == b->gpu_milli &&
           a->gpu_memory_mib == b->gpu_memory_mib && a->gpu_devices == b->gpu_devices &&
           a->cpu_millis == b->cpu_millis && a->memory_bytes == b->memory_bytes &&
           (a->mig_count == 0 ? b->mig_count == 0 : al__task_same_migs(a, b)) &&
           same_affinity(a, b);
}

static uint64_t hash_str(uint64_t h, const char *str) {
    for (; *str; str++)
        h = (h ^ (unsigned char)*str) * 1099511628211ULL;
    return (h ^ 0xff) * 1099511628211ULL;
}

uint64_t al__affinity_hash(const struct al_task *task) {
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < task->affinity_count; i++) {
        h = hash_str(h, task->affinity[i].key);
        for (size_t v = 0; v < task->affinity[i].value_count; v++)
            h = hash_str(h, task->affinity[i].values[v]);
    }
    return h;
}

/* Writes the classes of p whose labels the task's affinity accepts into bits (zeroed). */
static void match_into(const struct al__session *s, const struct al__node_partition *p,
                       const struct al_task *task, unsigned char *bits) {
    for (int32_t c = 0; c < p->class_count; c++)
        if (al__node_class_matches(s, p, c, task))
            bits[c >> 3] |= (unsigned char)(1u << (c & 7));
}

static struct al__node_partition *partition_of(const struct al__session *s,
                                               const struct al_task *task) {
    return (struct al__node_partition *)al__node_partition_for(s, task);
}

const unsigned char *al__node_index_matching(const struct al__session *s, int32_t t) {
    const struct al_task *task = &s->cluster->tasks[t];
    struct al__node_partition *p = partition_of(s, task);
    size_t bytes = (size_t)p->class_count / 8 + 1;
    uint64_t h = al__affinity_hash(task);
    struct al__affinity_memo *slot = &p->memo[h % AL__AFFINITY_MEMO];
    if (slot->match && slot->hash == h && same_affinity(task, &s->cluster->tasks[slot->task]))
        return slot->match;
    unsigned char *bits = al__arena_alloc(p->arena, bytes);
    if (!bits) { /* out of memory: answer from scratch, remember nothing */
        memset(p->scratch_match, 0, bytes);
        match_into(s, p, task, p->scratch_match);
        return p->scratch_match;
    }
    match_into(s, p, task, bits);
    *slot = (struct al__affinity_memo){.hash = h, .task = t, .match = bits};
    return bits;
}

const unsigned char *al__node_index_classes_for(struct al__session *s, int32_t t) {
    const struct al_task *task = &s->cluster->tasks[t];
    struct al__node_partition *p = partition_of(s, task);
    if (p->task_classes[t])
        return p->task_classes[t];
    const struct al_job *job = &s->cluster->jobs[task->job];
    if ((size_t)t > job->first_task && p->task_classes[t - 1] && al__task_alike(task, task - 1))
        return p->task_classes[t] = p->task_classes[t - 1]; /* a gang's tasks are alike */
    size_t bytes = (size_t)p->class_count / 8 + 1;
    const unsigned char *match = al__node_index_matching(s, t);
    unsigned char *bits = al__arena_alloc(&s->arena, bytes);
    bool keep = bits != NULL;
    if (!keep) { /* out of memory: answer from scratch, remember nothing */
        bits = p->scratch_classes;
        memset(bits, 0, bytes);
    }
    for (int32_t c = 0; c < p->class_count; c++)
        if (al__class_in(match, c) && al__node_class_could_fit(s, p, c, task))
            bits[c >> 3] |= (unsigned char)(1u << (c & 7));
    if (keep)
        p->task_classes[t] = bits;
    return bits;
}

bool al__node_index_fits_empty(const struct al__session *s, const struct al_task *task) {
    const struct al__node_partition *p = al__node_partition_for(s, task);
    for (int32_t c = 0; c < p->class_count; c++)
        if (al__node_class_matches(s, p, c, task) && al__node_class_could_fit(s, p, c, task))
            return true;
    return false;
}
