/* units.h - amounts on allot's command line and in its tables: parsing and formatting. */
#ifndef ALLOT_CLI_UNITS_H
#define ALLOT_CLI_UNITS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* The kinds of value an option takes; each maps to one parser below. */
enum al__cli_unit {
    AL__CLI_UNIT_COUNT,      /* integer >= 0 */
    AL__CLI_UNIT_POSITIVE,   /* integer >= 1 */
    AL__CLI_UNIT_INTEGER,    /* any integer */
    AL__CLI_UNIT_FRACTION,   /* real, 0 < f < 1 */
    AL__CLI_UNIT_GPUS,       /* real >= 0, GPUs as devices */
    AL__CLI_UNIT_GPU_MEMORY, /* MiB from "20GiB", "512MiB", "1TiB", "4096" */
    AL__CLI_UNIT_CPU,        /* millicores from "1.5" (cores) or "500m" */
    AL__CLI_UNIT_MEMORY,     /* bytes from "16GiB", "512M", "1024" */
    AL__CLI_UNIT_PRIORITY,   /* a class name (train, build-preemptible, build, inference) or integer
                              */
    AL__CLI_UNIT_DURATION,   /* seconds from "90", "30s", "10m", "1.5h", "2d" */
};

/*
 * Parsers. Each reads the whole of `text` as the value of option `opt`. On success it
 * stores the value and returns 0; otherwise it returns -AL_EINVAL (-AL_ERANGE when the
 * number is too large) and writes one line naming `opt` and the problem to err (always
 * NUL-terminated), leaving *out untouched.
 */
int al__cli_parse_integer(const char *opt, const char *text, int64_t min, int64_t *out, char *err,
                          size_t size);
int al__cli_parse_fraction(const char *opt, const char *text, double *out, char *err, size_t size);
int al__cli_parse_gpus(const char *opt, const char *text, double *out, char *err, size_t size);
int al__cli_parse_gpu_memory(const char *opt, const char *text, int64_t *mib, char *err,
                             size_t size);
int al__cli_parse_cpu(const char *opt, const char *text, int64_t *millis, char *err, size_t size);
int al__cli_parse_memory(const char *opt, const char *text, int64_t *bytes, char *err, size_t size);
int al__cli_parse_priority(const char *opt, const char *text, int64_t *out, char *err, size_t size);
int al__cli_parse_duration(const char *opt, const char *text, int64_t *seconds, char *err,
                           size_t size);

/*
 * al__cli_parse_json - parses `text` as `unit` into a new JSON integer or real (the caller
 * owns it). Errors as for the parsers above.
 */
int al__cli_parse_json(enum al__cli_unit unit, const char *opt, const char *text, json_t **out,
                       char *err, size_t size);

/* The class name of a priority ("train" for 50, ...), or NULL when it has none. */
const char *al__cli_priority_name(int64_t priority);

/*
 * Formatters for tables: each writes a short text, always NUL-terminated. Amounts of -1
 * (the API's "unlimited") read "unlimited".
 *   age:      "45s", "3m", "2h", "4d" (like kubectl; a negative age is "0s")
 *   gpus:     devices, up to three decimals: "2", "0.5", "1.25"
 *   cpu:      cores from millicores: "2", "1.5", "0.25"
 *   memory:   bytes with a binary unit: "16GiB", "1.5GiB", "512MiB", "100B"
 *   mib:      MiB with a binary unit: "20GiB", "512MiB"
 *   duration: seconds in the largest unit that divides them: "10m", "2h", "90s", "0s"
 */
void al__cli_format_age(int64_t seconds, char *buf, size_t size);
void al__cli_format_gpus(double gpus, char *buf, size_t size);
void al__cli_format_cpu(int64_t millis, char *buf, size_t size);
void al__cli_format_memory(int64_t bytes, char *buf, size_t size);
void al__cli_format_mib(int64_t mib, char *buf, size_t size);
void al__cli_format_duration(int64_t seconds, char *buf, size_t size);

#endif
