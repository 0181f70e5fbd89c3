/* stream_client.h - a stream to a running task through allotd (docs/api.md, "Streams"): the
 * HTTP upgrade made by hand over a TCP connection (libcurl has no upgrade; over HTTPS, a TLS
 * connection libcurl made, see stream_tls.h), then the frames of attach and exec between this
 * terminal and the task. */
#ifndef ALLOT_CLI_STREAM_CLIENT_H
#define ALLOT_CLI_STREAM_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/commands.h"
#include "cli/stream_tls.h"

/* An open stream: the connection, and what allotd sent after its answer's head. */
struct al__cli_opened {
    int fd;
    unsigned char *extra; /* malloc'd, may be NULL */
    size_t extra_len;
    struct al__cli_tls_stream *tls; /* what carries fd's bytes over HTTPS; NULL over HTTP */
};

/* al__cli_stream_close - closes the stream's connection and frees what it holds. */
void al__cli_stream_close(struct al__cli_opened *stream);

/*
 * al__cli_stream_open - sends METHOD path (with `body` as JSON when not NULL) to allotd asking
 * to upgrade the connection to a stream. Returns 0 with *out once allotd answered 101; else
 * -1 after printing why like any failed request (al__cli_report; al__cli_failed() gives the
 * exit status): allotd's error, or that it cannot be reached. `quiet`: print nothing (the
 * message is in `why`, 768 bytes, when not NULL).
 */
int al__cli_stream_open(const struct al__cli *cli, const char *method, const char *path,
                        const json_t *body, struct al__cli_opened *out, bool quiet, char *why);

/* What the terminal side of an attach or exec does. */
struct al__cli_session {
    bool raw;         /* stdin is a terminal to put in raw mode (the task has a terminal) */
    bool detach_keys; /* ^P ^Q detaches (attach) */
    bool close_input; /* the end of stdin is sent as such (exec without a terminal) */
};

/* How a session ended. */
#define AL__CLI_SESSION_DETACHED (-1) /* ^P ^Q */
#define AL__CLI_SESSION_LOST     (-2) /* the connection ended without an exit frame */
#define AL__CLI_SESSION_SIGNALED (-3) /* SIGINT, SIGTERM or SIGHUP here (*signal says which) */

/*
 * al__cli_session_run - copies stdin to the stream as input frames (and the window size, at
 * the start and on SIGWINCH, when `raw`), and output and error frames to stdout and stderr,
 * until the exit frame: returns its exit code, or one of AL__CLI_SESSION_DETACHED, _LOST and
 * _SIGNALED (*signal set). The terminal is put back as it was whatever happens. Closes
 * stream->fd; the task's side sees the end of the stream (an exec command is hung up).
 */
int al__cli_session_run(const struct al__cli_session *s, struct al__cli_opened *stream,
                        int *signal);

/*
 * al__cli_session_exit - says how a session ended and gives the exit status: 0 after ^P ^Q
 * ("detached"), the exit code of `what` ("the task", "the command") when it ended, 6 when the
 * connection to allotd ended first, 128 + N after signal N here (as a shell gives).
 */
int al__cli_session_exit(int rc, int signal, const char *workload, int64_t task, const char *what);

#endif
