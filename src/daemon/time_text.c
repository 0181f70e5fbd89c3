/* time_text.c - moments written as durations ago, RFC 3339 times or epoch seconds (see
 * time_text.h). By hand: strptime and timegm depend on the locale and the time zone. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "allot/errors.h"
#include "daemon/time_text.h"
#include "util/civil.h"

#define MAX_SECONDS 1000000000000LL /* about 31,700 years: no product overflows */

/* Reads `len` digits at *p into *v (advancing p); false if they are not all digits. */
static bool digits(const char **p, int len, int64_t *v) {
    *v = 0;
    for (int i = 0; i < len; i++, (*p)++) {
        if (**p < '0' || **p > '9')
            return false;
        *v = *v * 10 + (**p - '0');
    }
    return true;
}

static bool expect(const char **p, const char *any) {
    if (**p && strchr(any, **p)) {
        (*p)++;
        return true;
    }
    return false;
}

static bool leap(int64_t y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)"; false if it is not that. */
static bool rfc3339(const char *p, int64_t *out) {
    static const int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t y, mo, d, h, mi, s, oh = 0, om = 0, sign = 0;
    if (!digits(&p, 4, &y) || !expect(&p, "-") || !digits(&p, 2, &mo) || !expect(&p, "-") ||
        !digits(&p, 2, &d) || !expect(&p, "Tt ") || !digits(&p, 2, &h) || !expect(&p, ":") ||
        !digits(&p, 2, &mi) || !expect(&p, ":") || !digits(&p, 2, &s))
        return false;
    if (expect(&p, ".")) {
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (!expect(&p, "Zz")) {
        sign = *p == '+' ? 1 : *p == '-' ? -1 : 0;
        if (!sign || !expect(&p, "+-") || !digits(&p, 2, &oh) || !expect(&p, ":") ||
            !digits(&p, 2, &om) || oh > 23 || om > 59)
            return false;
    }
    if (*p || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 60 ||
        d > month_days[mo - 1] + (mo == 2 && leap(y)))
        return false;
    *out = al__days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s -
           sign * (oh * 3600 + om * 60);
    return true;
}

/* "1h30m": integers with units one after the other, in seconds; false if it is not that. */
static bool duration(const char *p, int64_t *out) {
    int64_t total = 0;
    if (!*p)
        return false;
    while (*p) {
        int64_t n = 0, unit;
        if (*p < '0' || *p > '9')
            return false;
        for (; *p >= '0' && *p <= '9'; p++)
            if ((n = n * 10 + (*p - '0')) > MAX_SECONDS)
                return false;
        switch (*p++) {
        case 's':
            unit = 1;
            break;
        case 'm':
            unit = 60;
            break;
        case 'h':
            unit = 3600;
            break;
        case 'd':
            unit = 86400;
            break;
        default:
            return false;
        }
        if ((total += n * unit) > MAX_SECONDS)
            return false;
    }
    *out = total;
    return true;
}

int al__since_parse(const char *text, int64_t now, int64_t *out, char *msg, size_t size) {
    int64_t v;
    const char *p = text;
    size_t n = strspn(text, "0123456789");
    if (n > 0 && n <= 13 && !text[n] && digits(&p, (int)n, &v)) { /* epoch seconds */
        *out = v;
        return 0;
    }
    if (duration(text, &v)) {
        *out = now - v;
        return 0;
    }
    if (rfc3339(text, &v)) {
        *out = v;
        return 0;
    }
    snprintf(msg, size,
             "must be a duration before now (10m, 1h30m, 2d), an RFC 3339 time "
             "(2026-11-30T18:02:11Z) or seconds since the epoch");
    return -AL_EINVAL;
}
