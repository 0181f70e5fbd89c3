/* log_window.h - where to start reading a local task's log for its last lines, or for what it
 * wrote since a time (log_window.c; the time index is the supervisor's, log_index.h). */
#ifndef ALLOT_BACKENDS_LOCAL_LOG_WINDOW_H
#define ALLOT_BACKENDS_LOCAL_LOG_WINDOW_H

#include <stdint.h>

/*
 * al__log_since - the offset in the log from which everything was written at or after since_s,
 * by the index at index_path: the length of the last mark before since_s (0 when there is none,
 * or no index: the whole log). It may start up to a mark's interval early, never late.
 */
int64_t al__log_since(const char *index_path, int64_t since_s);

/*
 * al__log_tail - the offset of the first of the last `lines` lines of the log open on fd, of
 * `size` bytes (a last line without its newline counts; 0 lines: size). Reads backwards in
 * blocks: O(bytes of those lines). 0 when the log has no more lines than that, or on a read
 * error.
 */
int64_t al__log_tail(int fd, int64_t size, int64_t lines);

#endif
