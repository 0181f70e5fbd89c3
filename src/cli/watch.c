/* watch.c - -w/--watch: a list or table printed again whenever it changes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/event_stream.h"
#include "cli/watch.h"

/* One render into a new buffer (*text, malloc'd); its exit status. */
static int capture(const struct al__cli *cli, int (*render)(const struct al__cli *, void *),
                   void *ctx, char **text) {
    struct al__cli watched = *cli;
    size_t len = 0;
    int status;

    *text = NULL;
    watched.out = open_memstream(text, &len);
    if (!watched.out) {
        fprintf(stderr, "allot: out of memory\n");
        exit(AL__EXIT_FAIL);
    }
    status = render(&watched, ctx);
    fclose(watched.out);
    return status;
}

static void show(const struct al__cli *cli, const char *text, bool terminal, bool first,
                 bool live) {
    if (terminal) {
        char when[32];
        time_t now = time(NULL);
        struct tm tm;
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime_r(&now, &tm));
        if (live)
            printf("\033[H\033[2J%s -w (live; Ctrl-C to stop)   %s\n\n", cli->name, when);
        else
            printf("\033[H\033[2J%s -w (every %ds; Ctrl-C to stop)   %s\n\n", cli->name,
                   AL__CLI_WATCH_INTERVAL_MS / 1000, when);
    } else if (!first) {
        putchar('\n');
    }
    fputs(text, stdout);
    fflush(stdout);
}

/* Until the next render: an event or the refresh interval on a live stream (closed and NULL
 * once it ended), else the polling interval. */
static void wait_for_change(struct al__cli_events **events) {
    struct timespec pause = {AL__CLI_WATCH_INTERVAL_MS / 1000,
                             (AL__CLI_WATCH_INTERVAL_MS % 1000) * 1000000L};
    if (!*events) {
        nanosleep(&pause, NULL);
        return;
    }
    if (al__cli_events_wait(*events, AL__CLI_WATCH_REFRESH_MS) < 0) {
        al__cli_events_free(*events); /* opened again before the next render */
        *events = NULL;
    }
}

int al__cli_watch(const struct al__cli *cli, int (*render)(const struct al__cli *cli, void *ctx),
                  void *ctx) {
    return al__cli_watch_live(cli, render, ctx, NULL);
}

int al__cli_watch_live(const struct al__cli *cli,
                       int (*render)(const struct al__cli *cli, void *ctx), void *ctx,
                       const char *events_path) {
    bool terminal = isatty(STDOUT_FILENO) == 1, first = true, failing = false;
    char *last = NULL;
    struct al__cli_events *events = NULL;

    for (;;) {
        char *text;
        long answered = 0;
        if (events_path && !events) { /* opened before the render: no change falls between */
            events = al__cli_events_open(cli, events_path, 2000, NULL, NULL, &answered);
            if (!events && answered != 0)
                events_path = NULL; /* refused (an allotd without the stream: 404): polled */
        }
        int status = capture(cli, render, ctx, &text);
        if (status != AL__EXIT_OK) {
            free(text);
            if (first) {
                free(last);
                al__cli_events_free(events);
                return status;
            }
            failing = true; /* said on stderr by the render; tried again next time */
        } else if (terminal || failing || !last || strcmp(text, last) != 0) {
            show(cli, text, terminal, first, events != NULL);
            free(last);
            last = text;
            failing = false;
        } else {
            free(text);
        }
        first = false;
        wait_for_change(&events);
    }
}
