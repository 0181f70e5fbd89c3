/* read_small.h - reads a small file (a /proc entry, a pid or exit file) in one call: shared by
 * allotd's local backend and the task supervisor program. */
#ifndef ALLOT_BACKENDS_LOCAL_READ_SMALL_H
#define ALLOT_BACKENDS_LOCAL_READ_SMALL_H

#include <stddef.h>
#include <sys/types.h>

/*
 * al__proc_read_small - reads up to size - 1 bytes of the file at path into buf and ends them
 * with NUL; the count, or -1 when it cannot be opened or read, or is empty. Async-signal-safe
 * (open, read, close).
 */
ssize_t al__proc_read_small(const char *path, char *buf, size_t size);

#endif
