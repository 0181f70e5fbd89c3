/* cuda_inject.c - where liballot-cuda.so is, whether to inject it, and stale ledger segments
 * (see cuda_inject.h). */
#define _DEFAULT_SOURCE /* realpath */
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
#include "backends/local/read_small.h"
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

/* Whether name is one the library accepts for a ledger (1 to 200 of [A-Za-z0-9._-]): a path
 * is only ever built from one. */
static bool ledger_valid(const char *name) {
    size_t len = strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-");
    return len > 0 && len <= AL__ENFORCE_LEDGER_MAX && name[len] == '\0' &&
           strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

void al__local_cuda_note(const char *note_path, char *const *env) {
    static const char key[] = "ALLOT_TASK_LEDGER=";
    const char *ledger = NULL;
    for (size_t i = 0; env && env[i]; i++)
        if (strncmp(env[i], key, sizeof(key) - 1) == 0)
            ledger = env[i] + sizeof(key) - 1;
    if (!ledger || !ledger_valid(ledger)) {
        unlink(note_path);
        return;
    }
    FILE *f = fopen(note_path, "w");
    if (f) {
        fprintf(f, "%s\n", ledger);
        fclose(f);
    }
}

void al__local_cuda_sweep(const char *note_path) {
    char name[AL__ENFORCE_LEDGER_MAX + 2], path[sizeof(SHM_DIR) + sizeof(name) + 16];
    ssize_t n = al__proc_read_small(note_path, name, sizeof(name));
    if (n <= 0)
        return;
    name[strcspn(name, "\n")] = '\0';
    if (ledger_valid(name)) {
        snprintf(path, sizeof(path), SHM_DIR "/" AL__ENFORCE_SHM_PREFIX "%s", name);
        unlink(path);
    }
    unlink(note_path);
}
