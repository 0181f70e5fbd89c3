/* read_small.c - reads a small file in one call (see read_small.h). */
#include "backends/local/read_small.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

ssize_t al__proc_read_small(const char *path, char *buf, size_t size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || size == 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    ssize_t n;
    while ((n = read(fd, buf, size - 1)) < 0 && errno == EINTR)
        continue;
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    return n;
}
