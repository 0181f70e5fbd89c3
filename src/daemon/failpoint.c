/* failpoint.c - test-only crash points, read from ALLOTD_FAILPOINTS (see failpoint.h). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/failpoint.h"

void al__failpoint(const char *name) {
    const char *list = getenv("ALLOTD_FAILPOINTS");
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0)
            kill(getpid(), SIGKILL);
        p = end ? end + 1 : NULL;
    }
}
