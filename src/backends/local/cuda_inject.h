/* cuda_inject.h - the local backend's side of GPU enforcement (cuda_inject.c): where
 * liballot-cuda.so is, whether tasks holding a share of a device run under it, and the removal
 * of their ledgers' shared-memory segments that a supervisor could not remove. */
#ifndef ALLOT_BACKENDS_LOCAL_CUDA_INJECT_H
#define ALLOT_BACKENDS_LOCAL_CUDA_INJECT_H

#include <stdbool.h>
#include <stddef.h>

#include "backends/local/task_env.h"

struct al__local_cuda {
    struct al__task_cuda task; /* what task_env.c reads: library NULL when not injecting */
    char *library;             /* owned (task.library points here) */
    char scope[16];            /* 8 hex digits of a hash of the state dir's real path */
    char off[4200];            /* why not injecting ("" when injecting) */
};

/*
 * al__local_cuda_open - decides enforcement at open: off where `disabled` (allotd
 * --no-enforce); else the library `given` (--cuda-library), or liballot-cuda.so next to the
 * running program; a library that is not there leaves enforcement off, with why in c->off
 * (tasks still run: the caller says so once). `dir` is the state dir (the scope of ledger
 * names). Aborts on out-of-memory (allotd's policy).
 */
void al__local_cuda_open(struct al__local_cuda *c, const char *given, bool disabled,
                         const char *dir);

/* al__local_cuda_release - frees what open allocated. */
void al__local_cuda_release(struct al__local_cuda *c);

/*
 * al__local_cuda_note - before a task's start: writes the ledger its environment `env` names
 * (ALLOT_TASK_LEDGER; "KEY=VALUE" strings, the last of a name winning) into the file at
 * note_path, so that its segment can be removed later whatever becomes of the supervisor;
 * removes the file when env names none. Never fails (an unwritten note only loses that).
 */
void al__local_cuda_note(const char *note_path, char *const *env);

/*
 * al__local_cuda_sweep - removes the segment of the ledger noted at note_path, and the note:
 * the supervisor removes its run's segment at its end, but not when it was killed. Called where
 * no run of the task runs (before a run is placed, when the task is forgotten): one file read,
 * not a pass over /dev/shm. Never fails (what it cannot remove stays).
 */
void al__local_cuda_sweep(const char *note_path);

#endif
