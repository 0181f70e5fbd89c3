/* time_args.h - times on allot's command line (time_args.c): `workload submit --time-limit` in
 * Slurm's formats, and `workload logs --since`. */
#ifndef ALLOT_CLI_TIME_ARGS_H
#define ALLOT_CLI_TIME_ARGS_H

#include <stddef.h>
#include <stdint.h>

/* The longest time limit allotd takes: 10 years, in seconds. */
#define AL__CLI_MAX_TIME_LIMIT_S 315360000LL

/*
 * al__cli_parse_time_limit - a time limit into *seconds: Slurm's MM, MM:SS, HH:MM:SS, D-HH,
 * D-HH:MM and D-HH:MM:SS (a bare number is minutes, as in Slurm), or integers with units s, m,
 * h, d one after the other ("30s", "2h", "1h30m"). Seconds and minutes after the first field
 * are below 60, hours after days below 24; the total from 1 second to 10 years. Returns 0, or
 * -AL_EINVAL with one line naming `opt` and the problem in err (*seconds untouched).
 */
int al__cli_parse_time_limit(const char *opt, const char *text, int64_t *seconds, char *err,
                             size_t size);

/*
 * al__cli_check_since - whether `text` is a moment `logs?since=` takes, as a person writes one:
 * a duration with its units ("10m", "1h30m") or an RFC 3339 time ("2026-11-30T18:02:11Z").
 * allotd parses it; a bare number (seconds since the epoch to allotd) is refused here as
 * surely a mistake. 0, or -AL_EINVAL with one line naming `opt` in err.
 */
int al__cli_check_since(const char *opt, const char *text, char *err, size_t size);

#endif
