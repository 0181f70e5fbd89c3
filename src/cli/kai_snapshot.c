/* kai_snapshot.c - a KAI Scheduler snapshot as `allot replay --kai` reads it: the zip its
 * snapshot plugin hands out (one deflated snapshot.json), or that JSON itself; its rawObjects
 * translated into an allot snapshot (src/backends/kubernetes/translate.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "allot/errors.h"
#include "backends/kubernetes/objects.h"
#include "backends/kubernetes/translate.h"
#include "cli/commands.h"

#define FILE_MAX     ((size_t)1 << 30) /* a snapshot of a large cluster is tens of MB */
#define INFLATED_MAX ((size_t)1 << 30)

static uint32_t le16(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32(const unsigned char *p) {
    return le16(p) | le16(p + 2) << 16;
}

static int fail(char *err, size_t size, const char *path, const char *what) {
    snprintf(err, size, "%s: %s", path, what);
    return -AL_EINVAL;
}

/* The whole file; NULL with err. */
static unsigned char *read_all(const char *path, size_t *len, char *err, size_t size) {
    FILE *f = fopen(path, "rb");
    unsigned char *data = NULL;
    size_t cap = 0, n = 0;
    if (!f) {
        snprintf(err, size, "%s: %s", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 1 << 20;
            unsigned char *more = cap <= FILE_MAX ? realloc(data, cap) : NULL;
            if (!more) {
                free(data);
                fclose(f);
                snprintf(err, size, "%s: too large to read", path);
                return NULL;
            }
            data = more;
        }
        size_t got = fread(data + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    bool failed = ferror(f);
    fclose(f);
    if (failed) {
        free(data);
        snprintf(err, size, "%s: read error", path);
        return NULL;
    }
    *len = n;
    return data;
}

/* snapshot.json inflated out of the zip in data; NULL with err. */
static char *unzip(const char *path, const unsigned char *data, size_t len, size_t *out_len,
                   char *err, size_t size) {
    size_t eocd = len >= 22 ? len - 22 : 0;
    while (eocd > 0 && le32(data + eocd) != 0x06054b50 && len - eocd < 65557)
        eocd--;
    if (len < 22 || le32(data + eocd) != 0x06054b50) {
        fail(err, size, path, "not a zip file (no end of central directory)");
        return NULL;
    }
    uint32_t entries = le16(data + eocd + 10), at = le32(data + eocd + 16);
    for (uint32_t e = 0; e < entries; e++) {
        if ((size_t)at + 46 > len || le32(data + at) != 0x02014b50)
            break;
        uint32_t method = le16(data + at + 10), csize = le32(data + at + 20);
        uint32_t usize = le32(data + at + 24), name_len = le16(data + at + 28);
        uint32_t skip = name_len + le16(data + at + 30) + le16(data + at + 32);
        uint32_t local = le32(data + at + 42);
        const char *name = (const char *)data + at + 46;
        bool wanted = (size_t)at + 46 + name_len <= len && name_len == 13 &&
                      memcmp(name, "snapshot.json", 13) == 0;
        at += 46 + skip;
        if (!wanted)
            continue;
        if ((size_t)local + 30 > len || le32(data + local) != 0x04034b50) {
            fail(err, size, path, "snapshot.json: bad local header");
            return NULL;
        }
        size_t start = (size_t)local + 30 + le16(data + local + 26) + le16(data + local + 28);
        if (start + csize > len || usize > INFLATED_MAX || (method != 0 && method != 8)) {
            fail(err, size, path, "snapshot.json: truncated, too large, or not deflated");
            return NULL;
        }
        char *text = malloc((size_t)usize + 1);
        if (!text) {
            fail(err, size, path, "out of memory");
            return NULL;
        }
        if (method == 0) {
            memcpy(text, data + start, usize);
        } else {
            z_stream z;
            memset(&z, 0, sizeof(z));
            z.next_in = (unsigned char *)data + start;
            z.avail_in = csize;
            z.next_out = (unsigned char *)text;
            z.avail_out = usize;
            int rc = inflateInit2(&z, -MAX_WBITS);
            if (rc == Z_OK)
                rc = inflate(&z, Z_FINISH);
            inflateEnd(&z);
            if (rc != Z_STREAM_END || z.total_out != usize) {
                free(text);
                fail(err, size, path, "snapshot.json: does not inflate");
                return NULL;
            }
        }
        text[usize] = '\0';
        *out_len = usize;
        return text;
    }
    fail(err, size, path, "no snapshot.json in the zip");
    return NULL;
}

int al__kai_snapshot_read(const char *path, char **snapshot, json_t **skipped, char *err,
                          size_t size) {
    size_t len = 0, text_len = 0;
    unsigned char *data = read_all(path, &len, err, size);
    char *text;
    if (!data)
        return -AL_EIO;
    if (len >= 4 && le32(data) == 0x04034b50) {
        text = unzip(path, data, len, &text_len, err, size);
        free(data);
        if (!text)
            return -AL_EINVAL;
    } else {
        text = (char *)data;
        text_len = len;
    }
    json_error_t je;
    json_t *doc = json_loadb(text, text_len, 0, &je);
    free(text);
    if (!doc) {
        snprintf(err, size, "%s: line %d: %s", path, je.line, je.text);
        return -AL_EINVAL;
    }
    json_t *raw = json_object_get(doc, "rawObjects"), *out = NULL;
    struct al__kube_translate_options opt = {.now_s = (int64_t)time(NULL),
                                             .pool_label = AL__KUBE_POOL_LABEL};
    int rc = al__kube_translate(raw ? raw : doc, &opt, &out, skipped, err, size);
    json_decref(doc);
    if (rc < 0)
        return rc;
    json_object_set_new(out, "name", json_string(path));
    *snapshot = json_dumps(out, JSON_COMPACT | JSON_REAL_PRECISION(15));
    json_decref(out);
    return *snapshot ? 0 : fail(err, size, path, "out of memory");
}
