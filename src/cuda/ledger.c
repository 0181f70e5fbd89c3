/* ledger.c - the shared per-task GPU memory ledger: one row per process and device, a running
 * total per device updated with compare-and-swap, a robust mutex for claiming rows and reaping
 * the rows of dead processes. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* flock, MAP_ANONYMOUS, dlvsym, RTLD_NEXT */
#endif
#include "ledger.h"
#include "shm_segment.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define LEDGER_MAGIC   0x616c6c6fu /* "allo" */
#define LEDGER_VERSION 1u
#define NAME_MAX_LEN   200

struct ledger_row {
    _Atomic int pid; /* 0: free */
    int unused;
    _Atomic uint64_t bytes[AL_CUDA_MAX_DEVICES];
};

struct al__ledger_shm {
    _Atomic uint32_t magic;
    uint32_t version;
    uint32_t rows;
    uint32_t devices;
    pthread_mutex_t lock; /* robust, process-shared: claims and reaping only */
    _Atomic uint64_t used[AL_CUDA_MAX_DEVICES];
    struct ledger_row row[AL_CUDA_LEDGER_ROWS];
};

static int segment_name(const char *name, char *out, size_t outlen) {
    if (!al__cuda_name_ok(name, NAME_MAX_LEN))
        return -1;
    int w = snprintf(out, outlen, "/allot-cuda-%s", name);
    return w > 0 && (size_t)w < outlen ? 0 : -1;
}

static int shm_setup(struct al__ledger_shm *s) {
    if (al__cuda_robust_mutex_init(&s->lock) != 0)
        return -1;
    s->version = LEDGER_VERSION;
    s->rows = AL_CUDA_LEDGER_ROWS;
    s->devices = AL_CUDA_MAX_DEVICES;
    atomic_store_explicit(&s->magic, LEDGER_MAGIC, memory_order_release);
    return 0;
}

/* A fresh segment initialised, an existing one of this version (al__cuda_segment_map). */
static int shm_ready(void *segment, int fresh, void *arg) {
    struct al__ledger_shm *s = segment;
    (void)arg;
    return fresh                                                                    ? shm_setup(s)
           : atomic_load(&s->magic) == LEDGER_MAGIC && s->version == LEDGER_VERSION ? 0
                                                                                    : -1;
}

int al__ledger_attach(struct al__ledger *l, const char *name, const uint64_t *limit, char *err,
                      size_t errlen) {
    char path[NAME_MAX_LEN + 16];
    struct al__ledger_shm *s;
    memset(l, 0, sizeof *l);
    l->row = -1;
    memcpy(l->limit, limit, sizeof l->limit);
    if (!name) {
        s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (s == MAP_FAILED || shm_setup(s) != 0) {
            snprintf(err, errlen, "cannot map a private ledger: %s", strerror(errno));
            return -1;
        }
        l->shm = s;
        return 0;
    }
    if (segment_name(name, path, sizeof path) != 0) {
        snprintf(err, errlen, "ALLOT_TASK_LEDGER: '%s' is not 1 to %d of [A-Za-z0-9._-]", name,
                 NAME_MAX_LEN);
        return -1;
    }
    int fd = shm_open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "shm_open %s: %s", path, strerror(errno));
        return -1;
    }
    s = al__cuda_segment_map(fd, path, sizeof *s, "a ledger", shm_ready, NULL, err, errlen);
    if (!s)
        return -1;
    l->shm = s;
    return 0;
}

void al__ledger_detach(struct al__ledger *l) {
    if (l->shm)
        munmap(l->shm, sizeof *l->shm);
    l->shm = NULL;
    l->row = -1;
}

int al__ledger_unlink(const char *name) {
    char path[NAME_MAX_LEN + 16];
    if (segment_name(name, path, sizeof path) != 0) {
        errno = EINVAL;
        return -1;
    }
    return shm_unlink(path);
}

/* Gives back a row's bytes and frees it. The bytes are taken out of the row before they leave
 * the total, so that a reaper dying half-way leaks rather than counts twice. Lock held. */
static void row_clear(struct al__ledger_shm *s, struct ledger_row *r) {
    for (int d = 0; d < AL_CUDA_MAX_DEVICES; d++) {
        uint64_t b = atomic_exchange(&r->bytes[d], 0);
        if (b)
            atomic_fetch_sub(&s->used[d], b);
    }
    atomic_store(&r->pid, 0);
}

static int pid_dead(int pid) {
    return kill(pid, 0) != 0 && errno == ESRCH;
}

static int reap_locked(struct al__ledger_shm *s, int self) {
    int n = 0;
    for (int i = 0; i < AL_CUDA_LEDGER_ROWS; i++) {
        int pid = atomic_load(&s->row[i].pid);
        if (pid != 0 && pid != self && pid_dead(pid)) {
            row_clear(s, &s->row[i]);
            n++;
        }
    }
    return n;
}

/* Takes the lock; *reaped counts the rows reclaimed when its holder had died holding it. */
static int lock(struct al__ledger_shm *s, int *reaped) {
    int rc = pthread_mutex_lock(&s->lock);
    *reaped = 0;
    if (rc == EOWNERDEAD) {
        /* Its holder died: the rows stay consistent (see row_clear); reap, then go on. */
        *reaped = reap_locked(s, getpid());
        pthread_mutex_consistent(&s->lock);
        rc = 0;
    }
    return rc;
}

int al__ledger_reap(struct al__ledger *l) {
    int n;
    if (lock(l->shm, &n) != 0)
        return 0;
    n += reap_locked(l->shm, getpid());
    pthread_mutex_unlock(&l->shm->lock);
    return n;
}

/* Claims this process's row: a row left with our own pid (a dead process whose pid we reuse)
 * is cleared first; else the first free row, else the first row of a dead process. */
static int row_claim(struct al__ledger *l) {
    struct al__ledger_shm *s = l->shm;
    int self = getpid(), got = -1, reaped;
    if (lock(s, &reaped) != 0)
        return -1;
    for (int i = 0; i < AL_CUDA_LEDGER_ROWS; i++)
        if (atomic_load(&s->row[i].pid) == self) {
            row_clear(s, &s->row[i]);
            got = i;
            break;
        }
    for (int pass = 0; pass < 2 && got < 0; pass++) {
        if (pass == 1)
            reap_locked(s, self);
        for (int i = 0; i < AL_CUDA_LEDGER_ROWS && got < 0; i++)
            if (atomic_load(&s->row[i].pid) == 0)
                got = i;
    }
    if (got >= 0)
        atomic_store(&s->row[got].pid, self);
    pthread_mutex_unlock(&s->lock);
    l->row = got;
    l->pid = self;
    return got;
}

static int try_add(struct al__ledger_shm *s, int dev, uint64_t bytes, uint64_t limit) {
    uint64_t cur = atomic_load_explicit(&s->used[dev], memory_order_relaxed);
    do {
        if (cur > limit || bytes > limit - cur)
            return -1;
    } while (!atomic_compare_exchange_weak_explicit(&s->used[dev], &cur, cur + bytes,
                                                    memory_order_acq_rel, memory_order_relaxed));
    return 0;
}

int al__ledger_charge(struct al__ledger *l, int dev, uint64_t bytes) {
    struct al__ledger_shm *s = l->shm;
    if (dev < 0 || dev >= AL_CUDA_MAX_DEVICES)
        dev = 0;
    if (l->row < 0 && row_claim(l) < 0)
        return -1; /* every row held by a live process: fail closed */
    if (try_add(s, dev, bytes, l->limit[dev]) != 0) {
        if (al__ledger_reap(l) == 0 || try_add(s, dev, bytes, l->limit[dev]) != 0)
            return -1;
    }
    atomic_fetch_add_explicit(&s->row[l->row].bytes[dev], bytes, memory_order_relaxed);
    return 0;
}

void al__ledger_force(struct al__ledger *l, int dev, uint64_t bytes) {
    if (dev < 0 || dev >= AL_CUDA_MAX_DEVICES)
        dev = 0;
    if (l->row < 0 && row_claim(l) < 0)
        return;
    atomic_fetch_add(&l->shm->used[dev], bytes);
    atomic_fetch_add(&l->shm->row[l->row].bytes[dev], bytes);
}

void al__ledger_credit(struct al__ledger *l, int dev, uint64_t bytes) {
    if (dev < 0 || dev >= AL_CUDA_MAX_DEVICES)
        dev = 0;
    if (l->row < 0)
        return; /* nothing of ours was ever charged */
    struct ledger_row *r = &l->shm->row[l->row];
    /* Never below zero: a row a reaper cleared (it took us for dead) has nothing to give. */
    uint64_t cur = atomic_load(&r->bytes[dev]), take;
    do {
        take = cur < bytes ? cur : bytes;
    } while (!atomic_compare_exchange_weak(&r->bytes[dev], &cur, cur - take));
    if (take)
        atomic_fetch_sub(&l->shm->used[dev], take);
}

uint64_t al__ledger_used(const struct al__ledger *l, int dev) {
    if (dev < 0 || dev >= AL_CUDA_MAX_DEVICES)
        dev = 0;
    return atomic_load(&l->shm->used[dev]);
}

uint64_t al__ledger_own(const struct al__ledger *l, int dev) {
    if (dev < 0 || dev >= AL_CUDA_MAX_DEVICES || l->row < 0)
        return 0;
    return atomic_load(&l->shm->row[l->row].bytes[dev]);
}

int al__ledger_has_pid(const struct al__ledger *l, int pid) {
    for (int i = 0; i < AL_CUDA_LEDGER_ROWS; i++)
        if (pid != 0 && atomic_load(&l->shm->row[i].pid) == pid)
            return 1;
    return 0;
}

void al__ledger_after_fork(struct al__ledger *l) {
    l->row = -1;
}
