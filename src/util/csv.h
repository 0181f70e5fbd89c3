/* csv.h - comma-separated files without quoting (none of the traces quotes a field), read line
 * by line, every error naming the file and the line: "PATH:LINE: FIELD: reason". For programs:
 * it aborts when memory runs out (util/xalloc.h). */
#ifndef ALLOT_UTIL_CSV_H
#define ALLOT_UTIL_CSV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define AL__CSV_MAX_FIELDS 32

struct al__csv {
    const char *path;
    FILE *f;
    char *buffer; /* what f reads when it reads memory (fmemopen), freed with it; or NULL */
    char *line;
    size_t cap;
    int64_t line_no; /* of the current line, from 1 */
    /* The current line's fields (the first AL__CSV_MAX_FIELDS of them), and how many it has. */
    char *fields[AL__CSV_MAX_FIELDS];
    size_t count;
    char *err; /* where messages go */
    size_t err_size;
};

/* al__csv_open - reads path. Returns 0, or -AL_EIO with "PATH: reason" in err. */
int al__csv_open(struct al__csv *c, const char *path, char *err, size_t err_size);

/* al__csv_adopt - reads the stream f instead (NULL: an empty file), path naming it in
 * messages; f and buffer (NULL, or the memory f reads) are c's from now on. */
void al__csv_adopt(struct al__csv *c, const char *path, FILE *f, char *buffer, char *err,
                   size_t err_size);

/* al__csv_next - the next line that is not empty, split at commas (its line end dropped):
 * 1, 0 at the end of the file, or -AL_EIO (err filled). */
int al__csv_next(struct al__csv *c);

/* al__csv_fail - "PATH:LINE: FIELD: reason" (no FIELD when it is NULL) into c->err; returns
 * -AL_EINVAL. */
int al__csv_fail(const struct al__csv *c, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* al__csv_close - closes the file and frees what c holds; c may be zeroed memory. */
void al__csv_close(struct al__csv *c);

#endif
