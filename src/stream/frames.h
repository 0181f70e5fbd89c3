/* frames.h - the frames of attach and exec streams (docs/api.md, "Streams"): what `allot` and a
 * task's supervisor say to each other through allotd, which relays the bytes without reading
 * them. A frame is a type byte, a payload length (4 bytes, big-endian) and the payload. */
#ifndef ALLOT_STREAM_FRAMES_H
#define ALLOT_STREAM_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AL__FRAME_HEADER 5
#define AL__FRAME_MAX    65536 /* payload bytes at most */

/* The kinds of frame. The first frame a supervisor reads names the stream (attach or exec, from
 * allotd); after it, input, resize and close go to the task, output, error and exit come back. */
enum al__frame_type {
    AL__FRAME_ATTACH = 'A', /* -> the task's terminal (no payload) */
    AL__FRAME_EXEC = 'X',   /* -> run a command in the task (al__exec_request) */
    AL__FRAME_INPUT = 'i',  /* -> bytes typed (the terminal) or stdin */
    AL__FRAME_RESIZE = 'w', /* -> the window size: rows, columns (2 bytes each) */
    AL__FRAME_CLOSE = 'c',  /* -> end of input (stdin closed) */
    AL__FRAME_OUTPUT = 'o', /* <- the terminal's output, or stdout */
    AL__FRAME_ERROR = 'e',  /* <- stderr (exec without a terminal), or why nothing ran */
    AL__FRAME_EXIT = 'x',   /* <- the command ended: its exit code (4 bytes); the last frame */
};

/* al__frame_header - the header of a frame of `type` with len (<= AL__FRAME_MAX) bytes. */
void al__frame_header(unsigned char out[AL__FRAME_HEADER], char type, size_t len);

/*
 * al__frame_next - the first frame in buf (n bytes): returns its whole size (header and
 * payload) with *type, *payload and *len set; 0 when buf does not hold all of it yet; -1 when
 * it is malformed (a length over AL__FRAME_MAX).
 */
long al__frame_next(const unsigned char *buf, size_t n, char *type, const unsigned char **payload,
                    size_t *len);

/* Numbers in payloads, big-endian. */
void al__frame_put_u16(unsigned char *p, uint16_t v);
uint16_t al__frame_get_u16(const unsigned char *p);
void al__frame_put_i32(unsigned char *p, int32_t v);
int32_t al__frame_get_i32(const unsigned char *p);

/* What an exec frame asks for. */
struct al__exec_request {
    bool tty;    /* under a terminal of its own */
    char **argv; /* the command, NULL-terminated (at least one, the first not empty) */
    char **env;  /* "KEY=VALUE" set on top of the task's environment, NULL-terminated */
};

/*
 * al__exec_encode - an exec frame's payload: a flags byte (1 = tty), the counts of env and argv
 * strings (2 bytes each), then each string with its NUL. Returns the malloc'd payload and its
 * length in *len, or NULL when out of memory or over AL__FRAME_MAX.
 */
unsigned char *al__exec_encode(const struct al__exec_request *r, size_t *len);

/*
 * al__exec_decode - reads an exec frame's payload into *r (argv and env malloc'd, their strings
 * in one block with them: free with al__exec_request_release). Returns 0, or -1 when it is
 * malformed (counts that do not match the strings, no command, a first argument empty).
 */
int al__exec_decode(const unsigned char *payload, size_t len, struct al__exec_request *r);
void al__exec_request_release(struct al__exec_request *r);

#endif
