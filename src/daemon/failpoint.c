/* failpoint.c - test-only crash points, read from ALLOTD_FAILPOINTS (see failpoint.h). */
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/failpoint.h"

static bool listed(const char *name) {
    const char *list = getenv("ALLOTD_FAILPOINTS");
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0)
            return true;
        p = end ? end + 1 : NULL;
    }
    return false;
}

void al__failpoint(const char *name) {
    if (listed(name))
        kill(getpid(), SIGKILL);
}

void al__failpoint_pause(const char *name) {
    if (listed(name))
        nanosleep(&(struct timespec){1, 500 * 1000 * 1000L}, NULL);
}
