/* proc_stat.c - /proc/PID/stat read, and the processes of a task found (see proc_stat.h). */
#define _DEFAULT_SOURCE /* DIR */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/local/proc_stat.h"
#include "backends/local/read_small.h"

int al__proc_stat_read(pid_t pid, struct al__proc_stat *out) {
    char path[64], buf[2048];
    if (pid <= 0)
        return -1;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (al__proc_read_small(path, buf, sizeof buf) < 0)
        return -1;
    /* "PID (COMM) S ...": COMM may hold spaces and parentheses, so start after the last ')' */
    char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ' || !p[2])
        return -1;
    p += 2;
    struct al__proc_stat st = {.state = *p};
    for (int field = 3; field < 22; field++) {
        p = strchr(p, ' ');
        if (!p)
            return -1;
        p++;
        if (field == 4)
            st.group = (pid_t)strtol(p, NULL, 10);
        else if (field == 5)
            st.session = (pid_t)strtol(p, NULL, 10);
    }
    char *end;
    errno = 0;
    long long v = strtoll(p, &end, 10);
    if (end == p || errno != 0 || v < 0)
        return -1;
    st.start_ticks = v;
    *out = st;
    return 0;
}

static bool is_member(const struct al__proc_stat *st, pid_t leader, const pid_t *sessions,
                      size_t n) {
    if (st->group == leader || st->session == leader)
        return true;
    for (size_t i = 0; i < n; i++)
        if (st->session == sessions[i])
            return true;
    return false;
}

size_t al__proc_members(pid_t leader, int64_t since_ticks, const pid_t *sessions, size_t n,
                        void (*fn)(pid_t pid, void *arg), void *arg) {
    DIR *dir = leader > 1 ? opendir("/proc") : NULL;
    size_t found = 0;
    if (!dir)
        return 0;
    for (struct dirent *e; (e = readdir(dir)) != NULL;) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        struct al__proc_stat st;
        if (*end != '\0' || pid <= 1 || pid == leader || al__proc_stat_read((pid_t)pid, &st) != 0)
            continue;
        if (st.state != 'Z' && st.start_ticks >= since_ticks &&
            is_member(&st, leader, sessions, n)) {
            fn((pid_t)pid, arg);
            found++;
        }
    }
    closedir(dir);
    return found;
}
