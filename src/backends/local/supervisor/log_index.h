/* log_index.h - the time index beside a task's log: when its output was written, so that it can
 * be read from a given time (`logs?since=`). The supervisor writes it (log_index.c); allotd's
 * local backend reads it (../log_window.c). */
#ifndef ALLOT_BACKENDS_LOCAL_SUPERVISOR_LOG_INDEX_H
#define ALLOT_BACKENDS_LOCAL_SUPERVISOR_LOG_INDEX_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The file is a sequence of these records, native byte order, appended by each run's
 * supervisor: "at time_s (seconds since the epoch) the log was `length` bytes long". Times
 * never go down within the file, nor lengths within a run. Every byte past a record's length
 * was written after its time: output from a time T starts at the length of the last record
 * before T.
 */
struct al__log_mark {
    int64_t time_s;
    int64_t length;
};

/* How often the supervisor looks at the log's length: every second while it grows, then ever
 * less often (doubling) up to this while it stays the same. */
#define AL__LOG_INDEX_MAX_INTERVAL_S 8

/* The supervisor's writer: the index file and what it last wrote. */
struct al__log_index {
    int fd;            /* -1: none (no path given, or it could not be opened) */
    int log_fd;        /* the log (the supervisor's standard output) */
    int64_t last_time; /* of the last record in the file, -1 = none */
    int64_t last_length;
};

/* al__log_index_open - opens (creating it, 0600) the index at path for the log open on log_fd
 * and records its length now. path NULL, or a file that cannot be opened: no index (the log is
 * then read from its start for any time). Async-signal-safe system calls only. */
void al__log_index_open(struct al__log_index *x, const char *path, int log_fd);

/* al__log_index_note - records the log's length if it changed since the last record; true when
 * it did. */
bool al__log_index_note(struct al__log_index *x);

#endif
