/* log_index.c - the supervisor notes when its task's output was written (see log_index.h). */
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backends/local/supervisor/log_index.h"

static int64_t log_length(const struct al__log_index *x) {
    struct stat st;
    return fstat(x->log_fd, &st) == 0 ? (int64_t)st.st_size : -1;
}

static void append(struct al__log_index *x, int64_t length) {
    int64_t now = (int64_t)time(NULL);
    struct al__log_mark m = {now > x->last_time ? now : x->last_time, length};
    if (write(x->fd, &m, sizeof m) == (ssize_t)sizeof m) {
        x->last_time = m.time_s;
        x->last_length = length;
    }
}

void al__log_index_open(struct al__log_index *x, const char *path, int log_fd) {
    x->fd = path ? open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0600) : -1;
    x->log_fd = log_fd;
    x->last_time = x->last_length = -1;
    if (x->fd < 0)
        return;
    struct stat st;
    struct al__log_mark last;
    if (fstat(x->fd, &st) == 0 && st.st_size % (off_t)sizeof last != 0) /* a record cut short */
        if (ftruncate(x->fd, st.st_size - st.st_size % (off_t)sizeof last) == 0)
            st.st_size -= st.st_size % (off_t)sizeof last;
    if (st.st_size >= (off_t)sizeof last &&
        pread(x->fd, &last, sizeof last, st.st_size - (off_t)sizeof last) == (ssize_t)sizeof last)
        x->last_time = last.time_s; /* a run before this one: times go on from it */
    int64_t length = log_length(x);
    if (length >= 0)
        append(x, length);
}

bool al__log_index_note(struct al__log_index *x) {
    if (x->fd < 0)
        return false;
    int64_t length = log_length(x);
    if (length < 0 || length == x->last_length)
        return false;
    append(x, length);
    return true;
}
