/* cuda_inject.c - where liballot-cuda.so is, whether to inject it, and stale ledger segments
 * (see cuda_inject.h). */
#define _DEFAULT_SOURCE /* realpath */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends/enforce.h"
#include "backends/local/cuda_inject.h"
#include "util/xalloc.h"

#define SHM_DIR "/dev/shm"

/* Where liballot-cuda.so is for a program in `dir`: beside it (a build directory), else in
 * ../lib/allot/ (make install); into out. Neither: the first, for the message. */
static void library_near(const char *dir, char *out, size_t size) {
    snprintf(out, size, "%.4000s/liballot-cuda.so", dir);
    if (access(out, R_OK) == 0)
        return;
    snprintf(out, size, "%.4000s/../lib/allot/liballot-cuda.so", dir);
    if (access(out, R_OK) != 0)
        snprintf(out, size, "%.4000s/liballot-cuda.so", dir);
}

/* liballot-cuda.so near the running program, into out; false when unknown. */
static bool beside_self(char *out, size_t size) {
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        return false;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    *(slash ? slash : self) = '\0';
    library_near(self, out, size);
    return true;
}

/* FNV-1a of text, as 8 hex digits. */
static void scope_of(const char *text, char *out, size_t size) {
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        h = (h ^ *p) * 16777619u;
    snprintf(out, size, "%08" PRIx32, h);
}

void al__local_cuda_open(struct al__local_cuda *c, const char *given, bool disabled,
                         const char *dir) {
    char path[PATH_MAX] = "", real[PATH_MAX];
    memset(c, 0, sizeof(*c));
    scope_of(realpath(dir, real) ? real : dir, c->scope, sizeof(c->scope));
    c->task.scope = c->scope;
    if (disabled) {
        snprintf(c->off, sizeof(c->off), "allotd --no-enforce");
        return;
    }
    if (given)
        snprintf(path, sizeof(path), "%s", given);
    else if (!beside_self(path, sizeof(path))) {
        snprintf(c->off, sizeof(c->off), "liballot-cuda.so not found (/proc/self/exe unreadable)");
        return;
    }
    /* absolute: a task may start in any directory; readable: every account's tasks load it */
    if (!realpath(path, real) || access(real, R_OK) != 0) {
        snprintf(c->off, sizeof(c->off), "no liballot-cuda.so at %.4000s: %s", path,
                 strerror(errno));
        return;
    }
    c->library = al__xstrdup(real);
    c->task.library = c->library;
}

void al__local_cuda_release(struct al__local_cuda *c) {
    free(c->library);
    c->library = NULL;
    c->task.library = NULL;
}

void al__local_cuda_sweep(const struct al__local_cuda *c, struct al__task_key key) {
    char prefix[128], path[512];
    int n = snprintf(prefix, sizeof(prefix), AL__ENFORCE_SHM_PREFIX "%s-%" PRId64 "-%d-", c->scope,
                     key.workload_id, (int)key.index);
    DIR *d = opendir(SHM_DIR);
    if (!d || n <= 0)
        return;
    for (struct dirent *e; (e = readdir(d));) {
        if (strncmp(e->d_name, prefix, (size_t)n) != 0)
            continue;
        snprintf(path, sizeof(path), SHM_DIR "/%.400s", e->d_name);
        unlink(path);
    }
    closedir(d);
}
