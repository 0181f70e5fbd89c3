/* csv.c - comma-separated files without quoting (see csv.h). */
#include "util/csv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "allot/errors.h"

void al__csv_adopt(struct al__csv *c, const char *path, FILE *f, char *buffer, char *err,
                   size_t err_size) {
    memset(c, 0, sizeof(*c));
    c->path = path;
    c->err = err;
    c->err_size = err_size;
    c->buffer = buffer;
    c->f = f;
}

int al__csv_open(struct al__csv *c, const char *path, char *err, size_t err_size) {
    al__csv_adopt(c, path, fopen(path, "r"), NULL, err, err_size);
    if (!c->f) {
        snprintf(err, err_size, "%s: cannot open: %s", path, strerror(errno));
        return -AL_EIO;
    }
    return 0;
}

int al__csv_next(struct al__csv *c) {
    for (;;) {
        errno = 0;
        ssize_t len = c->f ? getline(&c->line, &c->cap, c->f) : -1;
        if (len < 0) {
            if (c->f && errno && !feof(c->f)) {
                snprintf(c->err, c->err_size, "%s: %s", c->path, strerror(errno));
                return -AL_EIO;
            }
            return 0;
        }
        c->line_no++;
        while (len > 0 && (c->line[len - 1] == '\n' || c->line[len - 1] == '\r'))
            c->line[--len] = '\0';
        if (len == 0)
            continue;
        c->count = 0;
        for (char *p = c->line;;) {
            char *comma = strchr(p, ',');
            if (c->count < AL__CSV_MAX_FIELDS)
                c->fields[c->count] = p;
            c->count++;
            if (!comma)
                break;
            *comma = '\0';
            p = comma + 1;
        }
        return 1;
    }
}

int al__csv_fail(const struct al__csv *c, const char *field, const char *fmt, ...) {
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    if (field)
        snprintf(c->err, c->err_size, "%s:%lld: %s: %s", c->path, (long long)c->line_no, field,
                 reason);
    else
        snprintf(c->err, c->err_size, "%s:%lld: %s", c->path, (long long)c->line_no, reason);
    return -AL_EINVAL;
}

void al__csv_close(struct al__csv *c) {
    if (c->f)
        fclose(c->f);
    free(c->buffer);
    free(c->line);
    c->f = NULL;
    c->buffer = c->line = NULL;
}
