/* watch.h - -w/--watch: a list or table printed again whenever it changes. */
#ifndef ALLOT_CLI_WATCH_H
#define ALLOT_CLI_WATCH_H

#include "cli/commands.h"

#define AL__CLI_WATCH_INTERVAL_MS 1000
#define AL__CLI_WATCH_REFRESH_MS  10000 /* a live view is rendered again this often anyway */

/*
 * al__cli_watch - runs render(cli, ctx) once a second with its output (cli->out) captured.
 * On a terminal the screen is redrawn with each render under a line naming the command and
 * the time; elsewhere (a pipe, a file) a render is printed only when it differs from the one
 * before, after a blank line. A render that fails (allotd gone) prints why each time and is tried
 * again. Runs until interrupted; returns the exit status of a render that failed on the
 * first try.
 */
int al__cli_watch(const struct al__cli *cli, int (*render)(const struct al__cli *cli, void *ctx),
                  void *ctx);

/*
 * al__cli_watch_live - the same, rendered again as soon as allotd's event stream at
 * `events_path` ("/api/v1/events?follow=1&kind=workload", docs/api.md) says something changed
 * (and every AL__CLI_WATCH_REFRESH_MS anyway) instead of every second. Against an allotd
 * without the stream (404), or while the stream cannot be opened, it polls as al__cli_watch.
 * events_path NULL: al__cli_watch.
 */
int al__cli_watch_live(const struct al__cli *cli,
                       int (*render)(const struct al__cli *cli, void *ctx), void *ctx,
                       const char *events_path);

#endif
