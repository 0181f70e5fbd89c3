/* proc_stat.h - what /proc says of a process (its group, session and start time), and which
 * processes belong to a task: shared by allotd's local backend and the task supervisor. */
#ifndef ALLOT_BACKENDS_LOCAL_PROC_STAT_H
#define ALLOT_BACKENDS_LOCAL_PROC_STAT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct al__proc_stat {
    char state;          /* field 3: R, S, Z, ... */
    pid_t group;         /* field 5: its process group */
    pid_t session;       /* field 6: its session */
    int64_t start_ticks; /* field 22: when it started (clock ticks after boot) */
};

/* al__proc_stat_read - /proc/PID/stat into *out. 0, or -1 when the process is gone. */
int al__proc_stat_read(pid_t pid, struct al__proc_stat *out);

/*
 * al__proc_members - calls fn(pid, arg) for each live process of a task whose supervisor is
 * `leader` (it leads a process group and a session of its own): processes of its group or of
 * its session, or of one of the `sessions` (n of them; the sessions of its exec commands),
 * started no earlier than since_ticks (a group or session id is not reused while it has a
 * member, and the start time rules out one that took the number later). `leader` itself is
 * left out. Returns how many it found.
 */
size_t al__proc_members(pid_t leader, int64_t since_ticks, const pid_t *sessions, size_t n,
                        void (*fn)(pid_t pid, void *arg), void *arg);

#endif
