/* units.c - amounts on allot's command line and in its tables: parsing and formatting. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "allot/errors.h"
#include "cli/units.h"
#include "cli/util.h"

/* Beyond this a count of bytes or millicores does not fit the API's integers safely. */
#define AMOUNT_MAX 9.0e18

#define KIB 1024.0
#define MIB (1024.0 * KIB)
#define GIB (1024.0 * MIB)
#define TIB (1024.0 * GIB)

struct suffix {
    const char *name;
    double factor;
};

/* Host memory: a factor in bytes. "K".."T" mean KiB..TiB, as `--memory 16G` is meant. */
static const struct suffix memory_suffixes[] = {
    {"B", 1},   {"K", KIB},   {"KiB", KIB}, {"Ki", KIB}, {"M", MIB},   {"MiB", MIB}, {"Mi", MIB},
    {"G", GIB}, {"GiB", GIB}, {"Gi", GIB},  {"T", TIB},  {"TiB", TIB}, {"Ti", TIB},
};

/* GPU memory: a factor in MiB. */
static const struct suffix gpu_memory_suffixes[] = {
    {"M", 1},     {"MiB", 1},     {"Mi", 1},        {"G", 1024},     {"GiB", 1024},
    {"Gi", 1024}, {"T", 1048576}, {"TiB", 1048576}, {"Ti", 1048576},
};

/* Durations: a factor in seconds; a bare number is seconds. */
static const struct suffix duration_suffixes[] = {
    {"s", 1},
    {"m", 60},
    {"h", 3600},
    {"d", 86400},
};

static const struct {
    const char *name;
    int64_t value;
} priority_classes[] = {
    {"train", 50},
    {"build-preemptible", 75},
    {"build", 100},
    {"inference", 125},
};

/*
 * A plain decimal number at the start of text ("12", "-1", "0.5", ".5"), no exponent, no
 * "inf" or "nan", no leading space: true with its value and where it ends.
 */
static bool scan_decimal(const char *text, double *value, const char **end) {
    const char *p = text;
    size_t digits = 0;
    char buf[64];

    if (*p == '-' || *p == '+')
        p++;
    for (; *p >= '0' && *p <= '9'; p++)
        digits++;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            digits++;
    if (digits == 0 || (size_t)(p - text) >= sizeof(buf))
        return false;
    memcpy(buf, text, (size_t)(p - text));
    buf[p - text] = '\0';
    *value = strtod(buf, NULL);
    *end = p;
    return true;
}

/* A decimal followed by an optional suffix from the table (one space allowed between). */
static bool scan_with_suffix(const char *text, const struct suffix *suffixes, size_t count,
                             double bare_factor, double *value) {
    const char *end;
    double v;

    if (!scan_decimal(text, &v, &end))
        return false;
    if (*end == '\0') {
        *value = v * bare_factor;
        return true;
    }
    if (*end == ' ')
        end++;
    for (size_t i = 0; i < count; i++) {
        if (strcasecmp(end, suffixes[i].name) == 0) {
            *value = v * suffixes[i].factor;
            return true;
        }
    }
    return false;
}

/* Checks an amount and rounds it to an integer >= min; fills err otherwise. */
static int whole_amount(const char *opt, const char *text, double v, int64_t min, int64_t *out,
                        char *err, size_t size) {
    if (v > AMOUNT_MAX) {
        snprintf(err, size, "%s: '%s' is too large", opt, text);
        return -AL_ERANGE;
    }
    if (llround(v) < min) {
        snprintf(err, size, "%s: '%s' is %s", opt, text,
                 min > 0 ? "too small (it must be more than 0)" : "negative");
        return -AL_EINVAL;
    }
    *out = (int64_t)llround(v);
    return 0;
}

int al__cli_parse_integer(const char *opt, const char *text, int64_t min, int64_t *out, char *err,
                          size_t size) {
    char *end;
    long long v;
    const char *p = text;

    if (*p == '-' || *p == '+')
        p++;
    if (*p < '0' || *p > '9') {
        snprintf(err, size, "%s: '%s' is not an integer", opt, text);
        return -AL_EINVAL;
    }
    errno = 0;
    v = strtoll(text, &end, 10);
    if (*end != '\0') {
        snprintf(err, size, "%s: '%s' is not an integer", opt, text);
        return -AL_EINVAL;
    }
    if (errno == ERANGE) {
        snprintf(err, size, "%s: '%s' is too large", opt, text);
        return -AL_ERANGE;
    }
    if (v < min) {
        snprintf(err, size, "%s: '%s' is too small (it must be at least %" PRId64 ")", opt, text,
                 min);
        return -AL_EINVAL;
    }
    *out = (int64_t)v;
    return 0;
}

int al__cli_parse_fraction(const char *opt, const char *text, double *out, char *err, size_t size) {
    const char *end;
    double v;

    if (!scan_decimal(text, &v, &end) || *end != '\0' || !(v > 0 && v < 1)) {
        snprintf(err, size,
                 "%s: '%s' is not a fraction of a GPU (a number between 0 and 1, e.g. 0.5)", opt,
                 text);
        return -AL_EINVAL;
    }
    *out = v;
    return 0;
}

int al__cli_parse_gpus(const char *opt, const char *text, double *out, char *err, size_t size) {
    const char *end;
    double v;

    if (!scan_decimal(text, &v, &end) || *end != '\0' || v < 0) {
        snprintf(err, size, "%s: '%s' is not a number of GPUs (e.g. 2 or 0.5)", opt, text);
        return -AL_EINVAL;
    }
    if (v > 1e9) {
        snprintf(err, size, "%s: '%s' is too large", opt, text);
        return -AL_ERANGE;
    }
    *out = v;
    return 0;
}

int al__cli_parse_gpu_memory(const char *opt, const char *text, int64_t *mib, char *err,
                             size_t size) {
    double v;

    if (!scan_with_suffix(text, gpu_memory_suffixes,
                          sizeof(gpu_memory_suffixes) / sizeof(gpu_memory_suffixes[0]), 1, &v)) {
        snprintf(err, size,
                 "%s: '%s' is not an amount of GPU memory (a number with MiB, GiB or TiB; "
                 "a bare number is MiB)",
                 opt, text);
        return -AL_EINVAL;
    }
    return whole_amount(opt, text, v, 1, mib, err, size);
}

int al__cli_parse_cpu(const char *opt, const char *text, int64_t *millis, char *err, size_t size) {
    const char *end;
    double v;

    if (!scan_decimal(text, &v, &end) || (*end != '\0' && strcmp(end, "m") != 0)) {
        snprintf(err, size, "%s: '%s' is not a number of CPU cores (e.g. 1.5, or 500m for 0.5)",
                 opt, text);
        return -AL_EINVAL;
    }
    return whole_amount(opt, text, *end == 'm' ? v : v * 1000.0, 0, millis, err, size);
}

int al__cli_parse_memory(const char *opt, const char *text, int64_t *bytes, char *err,
                         size_t size) {
    double v;

    if (!scan_with_suffix(text, memory_suffixes,
                          sizeof(memory_suffixes) / sizeof(memory_suffixes[0]), 1, &v)) {
        snprintf(err, size,
                 "%s: '%s' is not an amount of memory (a number with B, KiB, MiB, GiB or TiB, "
                 "or K, M, G, T; a bare number is bytes)",
                 opt, text);
        return -AL_EINVAL;
    }
    return whole_amount(opt, text, v, 0, bytes, err, size);
}

int al__cli_parse_priority(const char *opt, const char *text, int64_t *out, char *err,
                           size_t size) {
    for (size_t i = 0; i < sizeof(priority_classes) / sizeof(priority_classes[0]); i++) {
        if (strcmp(text, priority_classes[i].name) == 0) {
            *out = priority_classes[i].value;
            return 0;
        }
    }
    if (al__cli_parse_integer(opt, text, 0, out, err, size) == 0 && *out <= INT32_MAX)
        return 0;
    snprintf(err, size,
             "%s: '%s' is not a priority (train, build-preemptible, build, inference or an "
             "integer from 0)",
             opt, text);
    return -AL_EINVAL;
}

int al__cli_parse_duration(const char *opt, const char *text, int64_t *seconds, char *err,
                           size_t size) {
    double v;

    if (!scan_with_suffix(text, duration_suffixes,
                          sizeof(duration_suffixes) / sizeof(duration_suffixes[0]), 1, &v)) {
        snprintf(err, size,
                 "%s: '%s' is not a duration (a number of seconds, or with s, m, h or d: 10m)", opt,
                 text);
        return -AL_EINVAL;
    }
    return whole_amount(opt, text, v, 0, seconds, err, size);
}

/* Integer units: the least value each allows. */
static int64_t integer_min(enum al__cli_unit unit) {
    switch (unit) {
    case AL__CLI_UNIT_COUNT:
        return 0;
    case AL__CLI_UNIT_POSITIVE:
        return 1;
    default:
        return INT64_MIN;
    }
}

int al__cli_parse_json(enum al__cli_unit unit, const char *opt, const char *text, json_t **out,
                       char *err, size_t size) {
    int64_t i = 0;
    double d = 0;
    int rc;

    switch (unit) {
    case AL__CLI_UNIT_FRACTION:
        rc = al__cli_parse_fraction(opt, text, &d, err, size);
        break;
    case AL__CLI_UNIT_GPUS:
        rc = al__cli_parse_gpus(opt, text, &d, err, size);
        break;
    case AL__CLI_UNIT_GPU_MEMORY:
        rc = al__cli_parse_gpu_memory(opt, text, &i, err, size);
        break;
    case AL__CLI_UNIT_CPU:
        rc = al__cli_parse_cpu(opt, text, &i, err, size);
        break;
    case AL__CLI_UNIT_MEMORY:
        rc = al__cli_parse_memory(opt, text, &i, err, size);
        break;
    case AL__CLI_UNIT_PRIORITY:
        rc = al__cli_parse_priority(opt, text, &i, err, size);
        break;
    case AL__CLI_UNIT_DURATION:
        rc = al__cli_parse_duration(opt, text, &i, err, size);
        break;
    default:
        rc = al__cli_parse_integer(opt, text, integer_min(unit), &i, err, size);
        break;
    }
    if (rc < 0)
        return rc;
    if (unit == AL__CLI_UNIT_FRACTION || unit == AL__CLI_UNIT_GPUS)
        *out = al__cli_json_take(json_real(d));
    else
        *out = al__cli_json_take(json_integer((json_int_t)i));
    return 0;
}

const char *al__cli_priority_name(int64_t priority) {
    for (size_t i = 0; i < sizeof(priority_classes) / sizeof(priority_classes[0]); i++)
        if (priority_classes[i].value == priority)
            return priority_classes[i].name;
    return NULL;
}

void al__cli_format_age(int64_t seconds, char *buf, size_t size) {
    if (seconds < 0)
        seconds = 0;
    if (seconds < 60)
        snprintf(buf, size, "%" PRId64 "s", seconds);
    else if (seconds < 3600)
        snprintf(buf, size, "%" PRId64 "m", seconds / 60);
    else if (seconds < 86400)
        snprintf(buf, size, "%" PRId64 "h", seconds / 3600);
    else
        snprintf(buf, size, "%" PRId64 "d", seconds / 86400);
}

/* A number with at most `decimals` decimals, trailing zeros removed: "2", "0.5", "1.25". */
static void format_decimal(double v, int decimals, char *buf, size_t size) {
    char *dot, *end;

    snprintf(buf, size, "%.*f", decimals, v);
    dot = strchr(buf, '.');
    if (dot) {
        end = buf + strlen(buf);
        while (end > dot + 1 && end[-1] == '0')
            *--end = '\0';
        if (end == dot + 1)
            *dot = '\0';
    }
    if (strcmp(buf, "-0") == 0)
        snprintf(buf, size, "0");
}

void al__cli_format_gpus(double gpus, char *buf, size_t size) {
    if (gpus == -1)
        snprintf(buf, size, "unlimited");
    else
        format_decimal(gpus, 3, buf, size);
}

void al__cli_format_cpu(int64_t millis, char *buf, size_t size) {
    if (millis == -1)
        snprintf(buf, size, "unlimited");
    else
        format_decimal((double)millis / 1000.0, 3, buf, size);
}

void al__cli_format_memory(int64_t bytes, char *buf, size_t size) {
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = (double)bytes;
    size_t u = 0;
    size_t len;

    if (bytes == -1) {
        snprintf(buf, size, "unlimited");
        return;
    }
    if (bytes == 0) {
        snprintf(buf, size, "0");
        return;
    }
    while ((v >= 1024.0 || v <= -1024.0) && u + 1 < sizeof(units) / sizeof(units[0])) {
        v /= 1024.0;
        u++;
    }
    format_decimal(v, 2, buf, size);
    len = strlen(buf);
    if (len < size)
        snprintf(buf + len, size - len, "%s", units[u]);
}

void al__cli_format_mib(int64_t mib, char *buf, size_t size) {
    if (mib == -1 || mib > INT64_MAX / (1024 * 1024) || mib < INT64_MIN / (1024 * 1024))
        al__cli_format_memory(mib == -1 ? -1 : INT64_MAX, buf, size);
    else
        al__cli_format_memory(mib * 1024 * 1024, buf, size);
}

void al__cli_format_duration(int64_t seconds, char *buf, size_t size) {
    static const struct {
        const char *unit;
        int64_t factor;
    } units[] = {{"d", 86400}, {"h", 3600}, {"m", 60}};

    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (seconds != 0 && seconds % units[i].factor == 0) {
            snprintf(buf, size, "%" PRId64 "%s", seconds / units[i].factor, units[i].unit);
            return;
        }
    }
    snprintf(buf, size, "%" PRId64 "s", seconds);
}
