/* quantity.c - Kubernetes resource quantities as integers (see quantity.h). Exact: the number is
 * read as an integer mantissa and powers of ten and two, and divided once at the end. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "allot/errors.h"
#include "backends/kubernetes/quantity.h"

__extension__ typedef unsigned __int128 u128;

#define MAX_DIGITS    30               /* significant digits read (10^30 < 2^100) */
#define NUMERATOR_CAP ((u128)1 << 126) /* beyond it the value cannot fit an int64 anyway */

struct suffix {
    const char *text;
    int exp10, exp2;
};

static const struct suffix suffixes[] = {
    {"Ki", 0, 10}, {"Mi", 0, 20}, {"Gi", 0, 30}, {"Ti", 0, 40}, {"Pi", 0, 50}, {"Ei", 0, 60},
    {"n", -9, 0},  {"u", -6, 0},  {"m", -3, 0},  {"k", 3, 0},   {"M", 6, 0},   {"G", 9, 0},
    {"T", 12, 0},  {"P", 15, 0},  {"E", 18, 0},  {"", 0, 0},
};

static int invalid(const char *text, const char *what, char *why, size_t size) {
    if (why && size)
        snprintf(why, size, "\"%.40s\" is not a quantity: %s", text, what);
    return -AL_EINVAL;
}

/* The suffix at s: its powers; false when s is not one. */
static bool read_suffix(const char *s, int *exp10, int *exp2) {
    if ((s[0] == 'e' || s[0] == 'E') && s[1] && s[1] != 'i') { /* an exponent: e3, E-2 */
        const char *p = s + 1;
        int sign = 1, value = 0;
        if (*p == '+' || *p == '-')
            sign = *p++ == '-' ? -1 : 1;
        if (!*p)
            return false;
        for (; *p; p++) {
            if (*p < '0' || *p > '9' || value > 1000)
                return false;
            value = value * 10 + (*p - '0');
        }
        *exp10 = sign * value;
        *exp2 = 0;
        return true;
    }
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
        if (strcmp(s, suffixes[i].text) == 0) {
            *exp10 = suffixes[i].exp10;
            *exp2 = suffixes[i].exp2;
            return true;
        }
    return false;
}

int al__kube_quantity(const char *text, int scale, int64_t *out, char *why, size_t size) {
    const char *p = text;
    bool negative = false, any = false, extra = false;
    u128 mantissa = 0;
    int digits = 0, exp10 = scale, suffix10, suffix2;

    if (*p == '+' || *p == '-')
        negative = *p++ == '-';
    for (; *p >= '0' && *p <= '9'; p++, any = true)
        if (mantissa || *p != '0') {
            if (++digits > MAX_DIGITS)
                return -AL_ERANGE;
            mantissa = mantissa * 10 + (u128)(*p - '0');
        }
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++, any = true) {
            if (digits < MAX_DIGITS) {
                mantissa = mantissa * 10 + (u128)(*p - '0');
                digits += mantissa != 0;
                exp10--;
            } else if (*p != '0') { /* past the precision: dropped, but the value rounds up */
                extra = true;
            }
        }
    }
    mantissa += extra;
    if (!any)
        return invalid(text, "no digits", why, size);
    if (!read_suffix(p, &suffix10, &suffix2))
        return invalid(text, "unknown suffix (n u m k M G T P E, Ki Mi Gi Ti Pi Ei, or e<N>)", why,
                       size);
    exp10 += suffix10;
    u128 value = mantissa;
    for (int i = 0; i < suffix2 && value; i++)
        if ((value <<= 1) > NUMERATOR_CAP)
            return -AL_ERANGE;
    for (; exp10 > 0 && value; exp10--)
        if ((value *= 10) > NUMERATOR_CAP)
            return -AL_ERANGE;
    if (exp10 < 0) { /* divided once, rounded up */
        u128 divisor = 1;
        for (int i = 0; i < -exp10; i++) {
            if (divisor > value) { /* a non-zero value below one: rounds up to one */
                divisor = value + 1;
                break;
            }
            divisor *= 10;
        }
        value = value ? (value + divisor - 1) / divisor : 0;
    }
    if (value > (u128)INT64_MAX)
        return -AL_ERANGE;
    *out = negative ? -(int64_t)value : (int64_t)value;
    return 0;
}
