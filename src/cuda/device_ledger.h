/* device_ledger.h - dynamic fractions: one shared segment per GPU of the machine where every task
 * on that GPU with a request below its limit registers its request and what it claims above it,
 * so that a task grows beyond its request only into memory no other task's request needs. */
#ifndef AL_CUDA_DEVICE_LEDGER_H
#define AL_CUDA_DEVICE_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#define AL_CUDA_DEVICE_SLOTS 64 /* tasks registered on one device at once */
#define AL_CUDA_TASK_NAME    208

struct al__device_shm;

/* One process's view of one device's segment: its task's slot there and its request. */
struct al__device_ledger {
    struct al__device_shm *shm;
    int slot;         /* the task's slot, -1 = none */
    uint64_t request; /* bytes the task is guaranteed on this device */
    uint64_t total;   /* the device's memory in bytes (the real driver's), 0 = not known yet */
};

/* Attaches to "/allot-cuda-dev-NAME" (creating it, readable and writable by every user, when it
 * is new) and registers task TASK (its ALLOT_TASK_LEDGER name) with `request` bytes: the slot of
 * that name if there is one (another process of the task), else a free one, else one whose task
 * is gone (its ledger segment no longer exists). Returns 0, or -1 with a message in err (a bad
 * name, a segment of another layout, every slot held). Not on the hot path. */
int al__device_ledger_attach(struct al__device_ledger *l, const char *name, const char *task,
                             uint64_t request, char *err, size_t errlen);

/* Settles the task's claim on the device to max(request, used), where used is what the task
 * holds there now (its own ledger's total). With must_fit, only if the claims of every other
 * task plus this one stay within the device's memory: returns -1 (claim unchanged) when not.
 * Takes the segment's lock: the slow path (an allocation beyond the request, a free from above
 * it). */
int al__device_ledger_settle(struct al__device_ledger *l, uint64_t used, int must_fit);

/* What the other tasks on the device claim together (their requests, or more where they use
 * more). Reads without the lock. */
uint64_t al__device_ledger_others(const struct al__device_ledger *l);

/* What one live task claims on a device, as its segment says (al__device_ledger_read). */
struct al__device_claim {
    char task[AL_CUDA_TASK_NAME]; /* its ALLOT_TASK_LEDGER name */
    uint64_t request, claim;      /* bytes */
};

/* Reads the segment "/allot-cuda-dev-NAME" without changing it (a scheduler asking what the
 * tasks on a device use): the tasks whose ledger still exists, up to max of them, into out and
 * *n. Returns 0 (no segment: none), or -1 with a message in err (a bad name, another layout).
 * The claims are what each task last settled (max of its request and its use); a task may
 * write what it likes in its slot. */
int al__device_ledger_read(const char *name, struct al__device_claim *out, size_t max, size_t *n,
                           char *err, size_t errlen);

/* Removes the segment named NAME; 0 or -1 (errno). */
int al__device_ledger_unlink(const char *name);

#endif
