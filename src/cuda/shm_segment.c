/* shm_segment.c - naming, locking and first attach of liballot-cuda.so's shared-memory segments
 * (see shm_segment.h). */
#define _GNU_SOURCE /* flock */
#include "shm_segment.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int al__cuda_name_ok(const char *name, size_t max) {
    size_t n = strlen(name);
    if (n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return 0;
    }
    return 1;
}

int al__cuda_robust_mutex_init(pthread_mutex_t *m) {
    pthread_mutexattr_t a;
    if (pthread_mutexattr_init(&a) != 0)
        return -1;
    int rc = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED) ||
             pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST) || pthread_mutex_init(m, &a);
    pthread_mutexattr_destroy(&a);
    return rc ? -1 : 0;
}

void *al__cuda_segment_map(int fd, const char *path, size_t size, const char *what,
                           int (*ready)(void *s, int fresh, void *arg), void *arg, char *err,
                           size_t errlen) {
    struct stat st;
    void *s = MAP_FAILED;
    if (flock(fd, LOCK_EX) != 0 || fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto done;
    }
    int fresh = st.st_size == 0;
    if (fresh && ftruncate(fd, (off_t)size) != 0) {
        snprintf(err, errlen, "ftruncate %s: %s", path, strerror(errno));
        goto done;
    }
    if (!fresh && (size_t)st.st_size != size) {
        snprintf(err, errlen, "%s: %lld bytes, not %s of this version", path, (long long)st.st_size,
                 what);
        goto done;
    }
    s = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (s == MAP_FAILED) {
        snprintf(err, errlen, "mmap %s: %s", path, strerror(errno));
        goto done;
    }
    if (ready(s, fresh, arg) != 0) {
        snprintf(err, errlen, "%s: not %s of this version", path, what);
        munmap(s, size);
        s = MAP_FAILED;
    }
done:
    flock(fd, LOCK_UN); /* explicitly: the mapping keeps the file open, and with it the lock */
    close(fd);
    return s == MAP_FAILED ? NULL : s;
}
