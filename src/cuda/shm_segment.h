/* shm_segment.h - what liballot-cuda.so's two shared-memory segments (a task's ledger, ledger.c;
 * a device's, device_ledger.c) have in common: their names, their robust lock, and the first
 * attach that sizes and initialises a segment while later ones check it. */
#ifndef ALLOT_CUDA_SHM_SEGMENT_H
#define ALLOT_CUDA_SHM_SEGMENT_H

#include <pthread.h>
#include <stddef.h>

/* al__cuda_name_ok - 1 when name is 1 to max of [A-Za-z0-9._-] (a segment name's part). */
int al__cuda_name_ok(const char *name, size_t max);

/* al__cuda_robust_mutex_init - m as a process-shared, robust mutex; 0 or -1. */
int al__cuda_robust_mutex_init(pthread_mutex_t *m);

/*
 * al__cuda_segment_map - maps `size` bytes of the open segment fd (named path, for messages),
 * under an flock that orders first attaches: an empty segment is sized and handed to
 * ready(s, 1, arg) to initialise, one of another size is refused, an existing one is handed to
 * ready(s, 0, arg) to check. ready returns 0 when the segment is usable. The mapping, or NULL
 * with err set ("PATH: not WHAT of this version" when ready or the size refuses it). fd is
 * unlocked and closed either way.
 */
void *al__cuda_segment_map(int fd, const char *path, size_t size, const char *what,
                           int (*ready)(void *s, int fresh, void *arg), void *arg, char *err,
                           size_t errlen);

#endif
