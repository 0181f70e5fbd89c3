/* ledger.h - the per-task, per-device ledger of GPU memory that all processes of one task share:
 * a small shared-memory segment with one row per process, lock-free on the hot path, a robust
 * mutex for the rare slow path (claiming a row, reclaiming the bytes of dead processes). */
#ifndef AL_CUDA_LEDGER_H
#define AL_CUDA_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#define AL_CUDA_MAX_DEVICES 16
#define AL_CUDA_LEDGER_ROWS 256

struct al__ledger_shm;

/* One process's view of a ledger. Lives in the process (inherited across fork, see
 * al__ledger_after_fork); the segment it maps is shared. */
struct al__ledger {
    struct al__ledger_shm *shm;
    int row; /* this process's row, or -1 until its first charge */
    int pid; /* the pid that owns `row` */
    uint64_t limit[AL_CUDA_MAX_DEVICES];
};

/* Attaches to the segment "/allot-cuda-NAME", creating and initialising it when it is new
 * (an flock on the segment orders concurrent first attaches); NAME NULL gives a ledger of this
 * process alone (anonymous memory). limit[d] is the cap in bytes of device d (UINT64_MAX: none).
 * Returns 0, or -1 with a message in err (a bad name, a segment of another layout, a system
 * error). Not on the hot path. */
int al__ledger_attach(struct al__ledger *l, const char *name, const uint64_t *limit, char *err,
                      size_t errlen);

/* Unmaps the segment (the segment itself stays; see al__ledger_unlink). */
void al__ledger_detach(struct al__ledger *l);

/* Removes the segment named NAME from the system; 0 or -1 (errno). */
int al__ledger_unlink(const char *name);

/* Checks that the task's bytes on device dev plus bytes stay within the limit and adds them to
 * this process's row. On a would-be excess it first reclaims the rows of dead processes. Returns
 * 0, or -1 when over the limit (nothing charged). Thread-safe, lock-free unless over the limit or
 * on the process's first charge. */
int al__ledger_charge(struct al__ledger *l, int dev, uint64_t bytes);

/* Adds bytes without checking the limit (a size that turned out larger than reserved). */
void al__ledger_force(struct al__ledger *l, int dev, uint64_t bytes);

/* Gives bytes of this process on device dev back. */
void al__ledger_credit(struct al__ledger *l, int dev, uint64_t bytes);

/* The task's bytes on device dev, all processes together. */
uint64_t al__ledger_used(const struct al__ledger *l, int dev);

/* This process's bytes on device dev. */
uint64_t al__ledger_own(const struct al__ledger *l, int dev);

/* Reclaims the rows of processes that no longer exist; returns how many. Takes the lock. */
int al__ledger_reap(struct al__ledger *l);

/* Whether pid holds a row of the task (is one of its processes that used CUDA). */
int al__ledger_has_pid(const struct al__ledger *l, int pid);

/* In a forked child: the parent's row is the parent's; the child claims its own on its first
 * charge. Takes no lock (async-signal-safe). */
void al__ledger_after_fork(struct al__ledger *l);

#endif
