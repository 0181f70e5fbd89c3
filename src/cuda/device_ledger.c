/* device_ledger.c - the per-GPU segment of dynamic fractions: each task on the device holds a
 * slot with its request and its claim (max of its request and what it uses, settled on the slow
 * path), so that a task grows above its request only while the others' claims leave room. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* flock */
#endif
#include "device_ledger.h"
#include "shm_segment.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEVICE_MAGIC   0x616c6476u /* "aldv" */
#define DEVICE_VERSION 1u
#define NAME_MAX_LEN   200

struct device_slot {
    char task[AL_CUDA_TASK_NAME]; /* its ALLOT_TASK_LEDGER name, "" = free (under the lock) */
    _Atomic uint64_t request;     /* bytes guaranteed */
    _Atomic uint64_t claim;       /* max(request, what it used at its last settle) */
};

struct al__device_shm {
    _Atomic uint32_t magic;
    uint32_t version;
    uint32_t slots;
    uint32_t unused;
    pthread_mutex_t lock; /* robust, process-shared: registration and settling */
    struct device_slot slot[AL_CUDA_DEVICE_SLOTS];
};

static int valid_name(const char *name) {
    return al__cuda_name_ok(name, NAME_MAX_LEN);
}

static int segment_path(const char *name, char *out, size_t outlen) {
    if (!valid_name(name))
        return -1;
    int w = snprintf(out, outlen, "/allot-cuda-dev-%s", name);
    return w > 0 && (size_t)w < outlen ? 0 : -1;
}

static int shm_setup(struct al__device_shm *s) {
    if (al__cuda_robust_mutex_init(&s->lock) != 0)
        return -1;
    s->version = DEVICE_VERSION;
    s->slots = AL_CUDA_DEVICE_SLOTS;
    atomic_store_explicit(&s->magic, DEVICE_MAGIC, memory_order_release);
    return 0;
}

/* A fresh segment initialised, an existing one of this version (al__cuda_segment_map). */
static int shm_ready(void *segment, int fresh, void *arg) {
    struct al__device_shm *s = segment;
    (void)arg;
    if (fresh)
        return shm_setup(s);
    return atomic_load(&s->magic) == DEVICE_MAGIC && s->version == DEVICE_VERSION &&
                   s->slots == AL_CUDA_DEVICE_SLOTS
               ? 0
               : -1;
}

/* Opens the segment, creating it mode 0666 (every task's user) when there is none. An existing
 * one is opened without O_CREAT: fs.protected_regular refuses O_CREAT on another user's file in
 * a sticky directory like /dev/shm. */
static int segment_open(const char *path) {
    int fd = shm_open(path, O_RDWR | O_CLOEXEC, 0);
    if (fd >= 0 || errno != ENOENT)
        return fd;
    fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
        (void)fchmod(fd, 0666); /* past the umask */
        return fd;
    }
    return errno == EEXIST ? shm_open(path, O_RDWR | O_CLOEXEC, 0) : -1;
}

static struct al__device_shm *segment_map(const char *path, char *err, size_t errlen) {
    int fd = segment_open(path);
    if (fd < 0) {
        snprintf(err, errlen, "shm_open %s: %s", path, strerror(errno));
        return NULL;
    }
    return al__cuda_segment_map(fd, path, sizeof(struct al__device_shm), "a device ledger",
                                shm_ready, NULL, err, errlen);
}

static int lock(struct al__device_shm *s) {
    int rc = pthread_mutex_lock(&s->lock);
    if (rc == EOWNERDEAD) { /* slots are written whole under the lock: still consistent */
        pthread_mutex_consistent(&s->lock);
        rc = 0;
    }
    return rc;
}

/* A slot's task is gone when its ledger segment is (its supervisor removes it at the end). */
static int task_gone(const char *task) {
    char path[NAME_MAX_LEN + 32];
    snprintf(path, sizeof path, "/dev/shm/allot-cuda-%s", task);
    return access(path, F_OK) != 0 && errno == ENOENT;
}

static void slot_free(struct device_slot *d) {
    atomic_store(&d->claim, 0);
    atomic_store(&d->request, 0);
    d->task[0] = '\0';
}

/* The slot of `task`, else a free one, else one of a task that is gone; -1 if none. Locked. */
static int slot_find(struct al__device_shm *s, const char *task) {
    int free_slot = -1;
    for (int i = 0; i < AL_CUDA_DEVICE_SLOTS; i++) {
        if (strcmp(s->slot[i].task, task) == 0)
            return i;
        if (free_slot < 0 && s->slot[i].task[0] == '\0')
            free_slot = i;
    }
    for (int i = 0; i < AL_CUDA_DEVICE_SLOTS && free_slot < 0; i++)
        if (task_gone(s->slot[i].task)) {
            slot_free(&s->slot[i]);
            free_slot = i;
        }
    return free_slot;
}

int al__device_ledger_attach(struct al__device_ledger *l, const char *name, const char *task,
                             uint64_t request, char *err, size_t errlen) {
    char path[NAME_MAX_LEN + 32];
    memset(l, 0, sizeof *l);
    l->slot = -1;
    l->request = request;
    if (segment_path(name, path, sizeof path) != 0) {
        snprintf(err, errlen, "ALLOT_GPU_DEVICE_LEDGER: '%s' is not 1 to %d of [A-Za-z0-9._-]",
                 name, NAME_MAX_LEN);
        return -1;
    }
    if (!valid_name(task)) {
        snprintf(err, errlen, "ALLOT_GPU_DEVICE_LEDGER needs ALLOT_TASK_LEDGER");
        return -1;
    }
    l->shm = segment_map(path, err, errlen);
    if (!l->shm)
        return -1;
    if (lock(l->shm) != 0) {
        snprintf(err, errlen, "%s: cannot take its lock", path);
        goto fail;
    }
    int i = slot_find(l->shm, task);
    if (i >= 0) {
        struct device_slot *d = &l->shm->slot[i];
        if (d->task[0] == '\0') {
            memcpy(d->task, task, strlen(task) + 1);
            atomic_store(&d->claim, request);
        } else if (atomic_load(&d->claim) < request)
            atomic_store(&d->claim, request);
        atomic_store(&d->request, request);
    }
    pthread_mutex_unlock(&l->shm->lock);
    if (i < 0) {
        snprintf(err, errlen, "%s: all %d slots held by live tasks", path, AL_CUDA_DEVICE_SLOTS);
        goto fail;
    }
    l->slot = i;
    return 0;
fail:
    munmap(l->shm, sizeof *l->shm);
    l->shm = NULL;
    return -1;
}

uint64_t al__device_ledger_others(const struct al__device_ledger *l) {
    uint64_t sum = 0;
    for (int i = 0; i < AL_CUDA_DEVICE_SLOTS; i++)
        if (i != l->slot)
            sum += atomic_load_explicit(&l->shm->slot[i].claim, memory_order_relaxed);
    return sum;
}

int al__device_ledger_settle(struct al__device_ledger *l, uint64_t used, int must_fit) {
    if (!l->shm || l->slot < 0 || lock(l->shm) != 0)
        return must_fit ? -1 : 0;
    uint64_t want = used > l->request ? used : l->request;
    int rc = 0;
    if (must_fit) {
        uint64_t others = al__device_ledger_others(l);
        if (l->total == 0 || others > l->total || want > l->total - others) {
            /* a task gone without a word may still hold a slot: free those, then look again */
            for (int i = 0; i < AL_CUDA_DEVICE_SLOTS; i++)
                if (i != l->slot && l->shm->slot[i].task[0] && task_gone(l->shm->slot[i].task))
                    slot_free(&l->shm->slot[i]);
            others = al__device_ledger_others(l);
            rc = l->total == 0 || others > l->total || want > l->total - others ? -1 : 0;
        }
    }
    if (rc == 0)
        atomic_store(&l->shm->slot[l->slot].claim, want);
    pthread_mutex_unlock(&l->shm->lock);
    return rc;
}

int al__device_ledger_read(const char *name, struct al__device_claim *out, size_t max, size_t *n,
                           char *err, size_t errlen) {
    char path[NAME_MAX_LEN + 32];
    struct stat st;
    *n = 0;
    if (segment_path(name, path, sizeof path) != 0) {
        snprintf(err, errlen, "'%s' is not 1 to %d of [A-Za-z0-9._-]", name, NAME_MAX_LEN);
        return -1;
    }
    int fd = shm_open(path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return errno == ENOENT ? 0 : (snprintf(err, errlen, "%s: %s", path, strerror(errno)), -1);
    struct al__device_shm *s = MAP_FAILED; /* mapped read-only */
    if (fstat(fd, &st) == 0 && (size_t)st.st_size == sizeof *s)
        s = mmap(NULL, sizeof *s, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (s == MAP_FAILED || atomic_load(&s->magic) != DEVICE_MAGIC || s->version != DEVICE_VERSION) {
        if (s != MAP_FAILED)
            munmap(s, sizeof *s);
        snprintf(err, errlen, "%s: not a device ledger of this version", path);
        return -1;
    }
    for (int i = 0; i < AL_CUDA_DEVICE_SLOTS && *n < max; i++) {
        struct al__device_claim *c = &out[*n];
        memcpy(c->task, s->slot[i].task, sizeof c->task); /* a writer may be mid-way: */
        c->task[sizeof c->task - 1] = '\0';               /* names are checked by the caller */
        if (!c->task[0] || !valid_name(c->task) || task_gone(c->task))
            continue;
        c->request = atomic_load(&s->slot[i].request);
        c->claim = atomic_load(&s->slot[i].claim);
        (*n)++;
    }
    munmap(s, sizeof *s);
    return 0;
}

int al__device_ledger_unlink(const char *name) {
    char path[NAME_MAX_LEN + 32];
    if (segment_path(name, path, sizeof path) != 0) {
        errno = EINVAL;
        return -1;
    }
    return shm_unlink(path);
}
