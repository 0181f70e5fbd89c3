/* event_stream.h - allotd's event stream (GET /api/v1/events?follow=1, docs/api.md "Events")
 * as allot reads it: opened beside other work and waited on with a timeout, its server-sent
 * events parsed into (type, data) pairs. */
#ifndef ALLOT_CLI_EVENT_STREAM_H
#define ALLOT_CLI_EVENT_STREAM_H

#include "cli/commands.h"

struct al__cli_events;

/*
 * al__cli_events_open - GETs `path` ("/api/v1/events?follow=1&...") and waits up to wait_ms for
 * allotd to answer it: the stream once a 2xx answer began (it then misses nothing that happens
 * after this returns), else NULL with *status the answer's HTTP status (404: an allotd
 * without the stream) or 0 when none came. on_event(ctx, type, data) is called for each event
 * as it is read (may be NULL: events are only counted).
 */
struct al__cli_events *al__cli_events_open(const struct al__cli *cli, const char *path, int wait_ms,
                                           void (*on_event)(void *ctx, const char *type,
                                                            const char *data),
                                           void *ctx, long *status);

/*
 * al__cli_events_wait - waits up to timeout_ms (-1: as long as it takes) for events: how many
 * came (once one has, those that follow within 100 ms are taken too), 0 at the timeout, -1
 * when the stream ended (allotd stopped, the connection broke, the client was dropped).
 */
int al__cli_events_wait(struct al__cli_events *e, int timeout_ms);

/* al__cli_events_free - closes the stream; accepts NULL. */
void al__cli_events_free(struct al__cli_events *e);

#endif
