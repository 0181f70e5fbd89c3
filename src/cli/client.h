/* client.h - allot's HTTP client for allotd's REST API (libcurl and jansson). */
#ifndef ALLOT_CLI_CLIENT_H
#define ALLOT_CLI_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/commands.h"

/* An answer from allotd, or why none came. */
struct al__cli_reply {
    long status;       /* HTTP status; 0 when no answer came */
    json_t *body;      /* the parsed JSON body, or NULL (none, or not JSON); owned */
    char message[768]; /* when status is 0 or not 2xx: one line saying what went wrong */
};

/*
 * al__cli_request - sends METHOD server+path with `body` (may be NULL; borrowed) as JSON
 * and the bearer token when there is one. Returns 0 when an answer came, whatever its status
 * (reply->message is filled for a status outside 2xx: the API error's message, " (field F)"
 * when it names a field, a hint about the token for 401), or -AL_EIO when none did
 * (reply->message says where it tried to connect and that allotd may not be running).
 * The caller releases the reply with al__cli_reply_release.
 */
int al__cli_request(const struct al__cli *cli, const char *method, const char *path,
                    const json_t *body, struct al__cli_reply *reply);

void al__cli_reply_release(struct al__cli_reply *reply);

/* al__cli_reply_explain - reply->message for an answer outside 2xx that came some other way
 * than al__cli_request (a stream's upgrade): the API error, its field, a hint for 401. */
void al__cli_reply_explain(const struct al__cli *cli, struct al__cli_reply *reply);

/*
 * al__cli_call - al__cli_request for a command that wants a 2xx answer: returns 0 with the
 * body in *out (the caller owns it; may be NULL when there was none) or -AL_EIO after
 * printing "allot: MESSAGE" to stderr.
 */
int al__cli_call(const struct al__cli *cli, const char *method, const char *path,
                 const json_t *body, json_t **out);

/*
 * al__cli_list_all - every item of a list endpoint: GETs path?query&limit=1000&offset=...
 * (query may be "" and is already escaped) until `total` items came. *items is a new array
 * the caller owns. Errors as for al__cli_call.
 */
int al__cli_list_all(const struct al__cli *cli, const char *path, const char *query,
                     json_t **items);

/*
 * al__cli_stream - GETs path and writes a 2xx answer's body to `out` as it arrives (flushed
 * after each piece); *streamed (may be NULL) gets the bytes written, *log_start (may be NULL)
 * the answer's X-Allot-Log-Start (where in a task's output it starts; -1 without one). Returns
 * 0 when the answer ended; AL__CLI_BROKE_OFF when a 2xx answer broke off (the connection
 * dropped: the caller may resume after *streamed bytes), reported unless quiet_break; -AL_EIO
 * after printing "allot: MESSAGE" when no answer came or the answer was an error.
 */
#define AL__CLI_BROKE_OFF 1
int al__cli_stream(const struct al__cli *cli, const char *path, FILE *out, int64_t *streamed,
                   int64_t *log_start, bool quiet_break);

/*
 * al__cli_follow_new - a libcurl easy handle for GET server+path set up as every request is
 * (token, TLS, connect timeout; no overall timeout), whose body goes to write(data, 1, n, ctx)
 * as it arrives: for the caller to run (a multi handle). Ends with al__cli_follow_free.
 */
struct al__cli_follow;
struct al__cli_follow *
al__cli_follow_new(const struct al__cli *cli, const char *path,
                   size_t (*write)(char *data, size_t size, size_t n, void *ctx), void *ctx);
void *al__cli_follow_curl(struct al__cli_follow *f); /* its CURL * */
void al__cli_follow_free(struct al__cli_follow *f);

/*
 * al__cli_path - "/api/v1/COLLECTION/NAME" plus `suffix` (may be ""), NAME percent-encoded.
 * Returns 0, or -1 after printing a usage error when it does not fit (a name that long is
 * not a name allotd knows).
 */
int al__cli_path(const struct al__cli *cli, char *buf, size_t size, const char *collection,
                 const char *name, const char *suffix);

/*
 * al__cli_call_name - al__cli_call on "/api/v1/COLLECTION/NAME". Returns AL__EXIT_OK with
 * the body in *out (the caller owns it), or the exit status to end with after printing
 * why: AL__EXIT_USAGE for a NAME too long for a path, al__cli_failed() when the request failed.
 */
int al__cli_call_name(const struct al__cli *cli, const char *method, const char *collection,
                      const char *name, json_t **out);

/* Prints "allot: MESSAGE" for a failed request (the error document under -o json|yaml) and
 * records the exit status it calls for (al__cli_failed). */
void al__cli_report(const struct al__cli *cli, const struct al__cli_reply *reply);

/* The exit status for the last failed request: 2 for a 400, 3 for a 404, 4 for a 409, 5 for
 * 401/403, 6 when allotd could not be reached or answered 5xx, else 1. */
int al__cli_failed(void);

#endif
