/* time_args.c - time limits and moments on allot's command line (see time_args.h). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "allot/errors.h"
#include "cli/time_args.h"

#define BIG 100000000000LL /* no field of a sane time is this large: no overflow below */

/* Digits at *p into *v (advancing p); false when there are none or too many. */
static bool number(const char **p, int64_t *v) {
    const char *start = *p;
    *v = 0;
    for (; **p >= '0' && **p <= '9'; (*p)++)
        if ((*v = *v * 10 + (**p - '0')) > BIG)
            return false;
    return *p > start;
}

/* "1h30m": integers with units s, m, h, d one after the other, in seconds. */
static bool with_units(const char *p, int64_t *out) {
    static const struct {
        char unit;
        int64_t seconds;
    } units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
    int64_t total = 0, n;
    if (!*p)
        return false;
    while (*p) {
        int64_t unit = 0;
        if (!number(&p, &n))
            return false;
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
            if (*p == units[i].unit)
                unit = units[i].seconds;
        if (!unit)
            return false;
        p++;
        if ((total += n * unit) > BIG)
            return false;
    }
    *out = total;
    return true;
}

/* Slurm's [D-]H..., "MM", "MM:SS", "HH:MM:SS", "D-HH", "D-HH:MM", "D-HH:MM:SS". */
static bool slurm(const char *p, int64_t *out) {
    int64_t f[3], days = -1;
    int n = 0;
    if (strchr(p, '-')) {
        if (!number(&p, &days) || *p++ != '-')
            return false;
    }
    for (;;) {
        if (n == 3 || !number(&p, &f[n++]))
            return false;
        if (*p != ':')
            break;
        p++;
    }
    if (*p)
        return false;
    if (days >= 0) { /* D-HH[:MM[:SS]]: hours first */
        int64_t h = f[0], m = n > 1 ? f[1] : 0, s = n > 2 ? f[2] : 0;
        if (h >= 24 || m >= 60 || s >= 60)
            return false;
        *out = days * 86400 + h * 3600 + m * 60 + s;
    } else if (n == 3) { /* HH:MM:SS */
        if (f[1] >= 60 || f[2] >= 60)
            return false;
        *out = f[0] * 3600 + f[1] * 60 + f[2];
    } else { /* MM[:SS] */
        if (n == 2 && f[1] >= 60)
            return false;
        *out = f[0] * 60 + (n == 2 ? f[1] : 0);
    }
    return true;
}

int al__cli_parse_time_limit(const char *opt, const char *text, int64_t *seconds, char *err,
                             size_t size) {
    int64_t v;
    if (!with_units(text, &v) && !slurm(text, &v)) {
        snprintf(err, size,
                 "%s: '%s' is not a time limit (minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, "
                 "D-HH:MM:SS, or with units: 30s, 2h, 1h30m)",
                 opt, text);
        return -AL_EINVAL;
    }
    if (v < 1 || v > AL__CLI_MAX_TIME_LIMIT_S) {
        snprintf(err, size, "%s: '%s' must be from 1 second to 10 years", opt, text);
        return -AL_EINVAL;
    }
    *seconds = v;
    return 0;
}

int al__cli_check_since(const char *opt, const char *text, char *err, size_t size) {
    int64_t v;
    /* RFC 3339 begins with a date: 4 digits and '-'; allotd checks the rest */
    bool dated = strlen(text) >= 10 && strspn(text, "0123456789") == 4 && text[4] == '-';
    if (with_units(text, &v) || dated)
        return 0;
    snprintf(err, size,
             "%s: '%s' is neither a duration with its unit (10m, 2h, 1h30m) nor a time "
             "(2026-11-30T18:02:11Z)",
             opt, text);
    return -AL_EINVAL;
}
