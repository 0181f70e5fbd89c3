/* log_window.c - the start of a log's last lines, or of what was written since a time, for
 * `logs?tail=&since=` (see log_window.h). */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backends/local/log_window.h"
#include "backends/local/supervisor/log_index.h"

#define BLOCK 65536 /* bytes read at a time, backwards */

/* Mark i of the index (false if unreadable). */
static bool mark_at(int fd, int64_t i, struct al__log_mark *m) {
    return pread(fd, m, sizeof(*m), (off_t)(i * (int64_t)sizeof(*m))) == (ssize_t)sizeof(*m);
}

int64_t al__log_since(const char *index_path, int64_t since_s) {
    int fd = open(index_path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return 0;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return 0;
    }
    /* The last mark with time_s < since_s: marks are in time order (binary search). */
    int64_t lo = 0, hi = (int64_t)st.st_size / (int64_t)sizeof(struct al__log_mark), found = -1;
    struct al__log_mark m;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (!mark_at(fd, mid, &m))
            break;
        if (m.time_s < since_s) {
            found = mid;
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    int64_t offset = found >= 0 && mark_at(fd, found, &m) && m.length > 0 ? m.length : 0;
    close(fd);
    return offset;
}

int64_t al__log_tail(int fd, int64_t size, int64_t lines) {
    char block[BLOCK];
    int64_t end = size, seen = 0;
    if (lines <= 0)
        return size;
    while (end > 0) {
        int64_t start = end > BLOCK ? end - BLOCK : 0;
        ssize_t n = pread(fd, block, (size_t)(end - start), (off_t)start);
        if (n != (ssize_t)(end - start))
            return 0;
        for (int64_t i = n - 1; i >= 0; i--) {
            if (block[i] != '\n' || start + i == size - 1) /* the log's last newline ends the
                                                              last line: no line after it */
                continue;
            if (++seen == lines)
                return start + i + 1;
        }
        end = start;
    }
    return 0;
}
