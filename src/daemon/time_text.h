/* time_text.h - times as people and clients write them in query parameters (time_text.c):
 * `logs?since=10m`, `since=2026-11-30T18:02:11Z`, `since=1764525731`. */
#ifndef ALLOT_DAEMON_TIME_TEXT_H
#define ALLOT_DAEMON_TIME_TEXT_H

#include <stddef.h>
#include <stdint.h>

/*
 * al__since_parse - a moment from `text`, in seconds since the epoch, into *out:
 *   - a duration before `now`: integers with units s, m, h, d, one after the other ("90s",
 *     "10m", "1h30m", "2d");
 *   - an RFC 3339 time: "2026-11-30T18:02:11Z", with fractions of a second (dropped) and an
 *     offset ("+01:00") instead of Z; 't' or a space may stand for 'T', 'z' for 'Z';
 *   - an integer: seconds since the epoch (the API's times).
 * Returns 0, or -AL_EINVAL with what is wrong in msg (out untouched).
 */
int al__since_parse(const char *text, int64_t now, int64_t *out, char *msg, size_t size);

#endif
