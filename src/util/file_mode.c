/* file_mode.c - allotd's umask (077) and the one its tasks get back. */
#include <stdbool.h>
#include <sys/stat.h>

#include "util/file_mode.h"

static mode_t started_with;
static bool recorded;

void al__file_mode_private(void) {
    mode_t before = umask(077);
    if (!recorded) {
        started_with = before;
        recorded = true;
    }
}

mode_t al__file_mode_task_umask(void) {
    if (recorded)
        return started_with;
    mode_t now = umask(077); /* reading the umask sets it: set it back */
    umask(now);
    return now;
}
