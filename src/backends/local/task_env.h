/* task_env.h - the environment a task of the local backend runs with (task_env.c): a minimal
 * base, the submitter's variables, and the backend's own. Nothing of allotd's own environment. */
#ifndef ALLOT_BACKENDS_LOCAL_TASK_ENV_H
#define ALLOT_BACKENDS_LOCAL_TASK_ENV_H

#include "backends/backend.h"

/* The PATH of the base: what a login shell of a plain account has. */
#define AL__BASE_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Who tasks run as (allotd's user): the base's HOME, USER, LOGNAME and SHELL ("" when unknown). */
struct al__task_user {
    char name[256], home[1024], shell[256];
};

/* al__task_user_init - the user this process runs as, from the password database (its HOME and
 * SHELL when it has none there: the environment's, else "/" and "/bin/sh"). */
void al__task_user_init(struct al__task_user *u);

/* How a task holding a share of a device runs under liballot-cuda.so (docs/cuda.md). */
struct al__task_cuda {
    const char *library; /* its absolute path; NULL: no task is wrapped */
    const char *scope;   /* in front of every ledger name (enforce.h) */
};

/* al__task_cuda_applies - whether task s runs under the library: cuda has one, s holds a share
 * of its devices and its workload did not opt out (s->enforce). */
bool al__task_cuda_applies(const struct al__task_cuda *cuda, const struct al__task_start *s);

/*
 * al__task_env - the environment of task s on node `node` of inventory inv, "KEY=VALUE" strings,
 * NULL-terminated (each allocated; the caller frees them and the array), in order, later ones
 * winning over earlier ones of the same name:
 *   1. the base: PATH (AL__BASE_PATH), HOME, USER, LOGNAME, SHELL of user u; TERM
 *      (xterm-256color) for a task under a terminal (s->terminal);
 *   2. s->exported_env, then (for a task run as another account, s->account: u is that
 *      account) HOME, USER and LOGNAME of u again, then s->env (the submitter's: a name the
 *      backend sets itself is left out - ALLOT_*, CUDA_VISIBLE_DEVICES, NVIDIA_VISIBLE_DEVICES,
 *      CUDA_DEVICE_ORDER);
 *   3. PWD = s->workdir when it has one; the devices, node and identity of the task
 *      (CUDA_VISIBLE_DEVICES, NVIDIA_VISIBLE_DEVICES, CUDA_DEVICE_ORDER, ALLOT_WORKLOAD,
 *      ALLOT_PROJECT, ALLOT_NODE, ALLOT_TASK_INDEX, ALLOT_WORKERS, ALLOT_MIG_INSTANCES for MIG
 *      instances allotd numbered (s->mig_instances), and for a share of a device
 *      ALLOT_GPU_FRACTION and ALLOT_GPU_MEMORY_LIMIT_MIB, per device as enforce.h computes it);
 *      where al__task_cuda_applies, LD_PRELOAD (cuda->library in front of the task's own) and
 *      ALLOT_TASK_LEDGER; ALLOT_TEST_RUN as allotd has it, if it does (test runners find what
 *      their allotd started by it).
 * Aborts on out-of-memory (allotd's policy).
 */
char **al__task_env(const struct al__task_user *u, const struct al__inventory *inv,
                    const struct al__task_start *s, const struct al__task_cuda *cuda);

/* al__task_env_free - frees what al__task_env returned; accepts NULL. */
void al__task_env_free(char **env);

#endif
