/* event_stream.c - allotd's event stream read beside other work (event_stream.h): a libcurl
 * multi handle driven only while allot waits on it, and a parser of server-sent-event lines. */
#include <curl/curl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/client.h"
#include "cli/event_stream.h"
#include "util/xalloc.h"

#define BURST_MS 100 /* events this soon after one are taken with it */

struct al__cli_events {
    CURLM *multi;
    struct al__cli_follow *follow;
    void (*on_event)(void *ctx, const char *type, const char *data);
    void *ctx;
    bool began, ended; /* a 2xx answer's bytes came; the transfer is over */
    int count;         /* events since the last wait */
    char *line;        /* the line being read */
    size_t len, cap;
    char type[64];
    char *data; /* the event's data line, or NULL */
};

static long long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* One whole line of the stream (without its newline). */
static void on_line(struct al__cli_events *e, const char *line) {
    if (!line[0]) { /* an event ends with a blank line */
        if (e->data) {
            e->count++;
            if (e->on_event)
                e->on_event(e->ctx, e->type[0] ? e->type : "message", e->data);
        }
        free(e->data);
        e->data = NULL;
        e->type[0] = '\0';
    } else if (strncmp(line, "event:", 6) == 0) {
        snprintf(e->type, sizeof(e->type), "%s", line + 6 + (line[6] == ' '));
    } else if (strncmp(line, "data:", 5) == 0) {
        free(e->data); /* allotd's events have one data line */
        e->data = al__xstrdup(line + 5 + (line[5] == ' '));
    } /* id:, retry: and comments (keep-alives) change nothing here */
}

static size_t on_data(char *data, size_t size, size_t n, void *ctx) {
    struct al__cli_events *e = ctx;
    long status = 0;
    curl_easy_getinfo(al__cli_follow_curl(e->follow), CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status >= 300)
        return size * n; /* an error's body: the caller sees the status */
    e->began = true;
    for (size_t i = 0; i < size * n; i++) {
        if (data[i] == '\n') {
            al__xgrow(&e->line, &e->cap, e->len + 1, 1);
            e->line[e->len] = '\0';
            on_line(e, e->line);
            e->len = 0;
        } else if (data[i] != '\r') {
            al__xgrow(&e->line, &e->cap, e->len + 2, 1);
            e->line[e->len++] = data[i];
        }
    }
    return size * n;
}

/* Moves the transfer on, waiting up to ms for something to happen; notes its end. */
static void drive(struct al__cli_events *e, int ms) {
    int running = 0, left;
    curl_multi_perform(e->multi, &running);
    if (running && ms > 0) {
        curl_multi_poll(e->multi, NULL, 0, ms, NULL);
        curl_multi_perform(e->multi, &running);
    }
    for (CURLMsg *m; (m = curl_multi_info_read(e->multi, &left));)
        if (m->msg == CURLMSG_DONE)
            e->ended = true;
    if (!running)
        e->ended = true;
}

struct al__cli_events *al__cli_events_open(const struct al__cli *cli, const char *path, int wait_ms,
                                           void (*on_event)(void *ctx, const char *type,
                                                            const char *data),
                                           void *ctx, long *status) {
    struct al__cli_events *e = al__xcalloc(1, sizeof(*e));
    e->on_event = on_event;
    e->ctx = ctx;
    e->multi = curl_multi_init();
    e->follow = al__cli_follow_new(cli, path, on_data, e);
    curl_multi_add_handle(e->multi, al__cli_follow_curl(e->follow));
    long long until = now_ms() + wait_ms;
    while (!e->began && !e->ended && now_ms() < until)
        drive(e, (int)(until - now_ms()));
    *status = 0;
    curl_easy_getinfo(al__cli_follow_curl(e->follow), CURLINFO_RESPONSE_CODE, status);
    if (!e->began || e->ended) {
        al__cli_events_free(e);
        return NULL;
    }
    e->count = 0;
    return e;
}

int al__cli_events_wait(struct al__cli_events *e, int timeout_ms) {
    long long until = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
    while (!e->ended) {
        long long now = now_ms();
        if (e->count > 0 && (until < 0 || until > now + BURST_MS))
            until = now + BURST_MS;
        if (until >= 0 && now >= until)
            break;
        drive(e, until < 0 ? 1000 : (int)(until - now));
    }
    int count = e->count;
    e->count = 0;
    return count > 0 ? count : e->ended ? -1 : 0;
}

void al__cli_events_free(struct al__cli_events *e) {
    if (!e)
        return;
    curl_multi_remove_handle(e->multi, al__cli_follow_curl(e->follow));
    al__cli_follow_free(e->follow);
    curl_multi_cleanup(e->multi);
    free(e->line);
    free(e->data);
    free(e);
}
