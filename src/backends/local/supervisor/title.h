/* title.h - the name a task's supervisor shows in ps: "allot-task PROJECT/WORKLOAD/INDEX"
 * instead of its long command line (title.c). */
#ifndef ALLOT_BACKENDS_LOCAL_SUPERVISOR_TITLE_H
#define ALLOT_BACKENDS_LOCAL_SUPERVISOR_TITLE_H

#include <stddef.h>

#define AL__TITLE_COMM "allot-task" /* the short name (/proc/PID/comm, `ps -e`) */

/* The memory the kernel shows as this process's command line (/proc/PID/cmdline): its
 * arguments, one after the other. */
struct al__title_area {
    char *start;
    size_t size; /* bytes, the last argument's NUL included */
};

/* al__title_area_of - the area of argv (argc entries): from argv[0] to the end of the last
 * argument that follows the one before it directly (as the kernel lays them out). */
struct al__title_area al__title_area_of(int argc, char **argv);

/*
 * al__title_set - writes `title` over the area (cut to fit), NUL after it and NUL to the end,
 * so that ps and /proc/PID/cmdline show it alone, and names the process AL__TITLE_COMM
 * (PR_SET_NAME). The arguments are gone afterwards: whatever still needs one has copied it.
 * `title` must not lie in the area.
 */
void al__title_set(struct al__title_area area, const char *title);

#endif
