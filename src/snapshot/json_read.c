/* json_read.c - a read-only JSON document in one arena (see json_read.h). */
#include "snapshot/json_read.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"

#if defined(__GNUC__) || defined(__clang__)
#define PRINTF_LIKE(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define PRINTF_LIKE(fmt, args)
#endif

/* Values of open arrays and members of open objects wait on stacks until their container
 * closes and is copied into the arena in one piece. */
struct reader {
    const char *text, *at, *end;
    struct al__arena *arena;
    struct al__json *values;
    size_t value_count, value_cap;
    struct al__json_member *members;
    size_t member_count, member_cap;
    char *msg;
    size_t msg_size;
    const char *error_at;
    int rc;
};

static int fail_at(struct reader *r, const char *at, const char *fmt, ...) PRINTF_LIKE(3, 4);

static int fail_at(struct reader *r, const char *at, const char *fmt, ...) {
    if (r->rc == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->msg, r->msg_size, fmt, ap);
        va_end(ap);
        r->error_at = at;
        r->rc = -AL_EINVAL;
    }
    return r->rc;
}

static int fail_nomem(struct reader *r) {
    if (r->rc == 0) {
        snprintf(r->msg, r->msg_size, "out of memory");
        r->error_at = r->at;
        r->rc = -AL_ENOMEM;
    }
    return r->rc;
}

static void skip_space(struct reader *r) {
    while (r->at < r->end && (*r->at == ' ' || *r->at == '\n' || *r->at == '\r' || *r->at == '\t'))
        r->at++;
}

/* Length of the valid UTF-8 sequence at p (ASCII excluded), 0 when invalid. */
static size_t utf8_length(const unsigned char *p, const unsigned char *end) {
    unsigned c = p[0];
    size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (n == 0 || c > 0xF4 || (size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F) || /* overlong, surrogates */
        (c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] > 0x8F))
        return 0;
    return n;
}

static int hex4(struct reader *r, const char *p, unsigned *out) {
    unsigned v = 0;
    if (r->end - p < 4)
        return fail_at(r, p, "invalid \\u escape");
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                            : 16u;
        if (d == 16)
            return fail_at(r, p, "invalid \\u escape");
        v = v * 16 + d;
    }
    *out = v;
    return 0;
}

static size_t put_utf8(char *out, unsigned cp) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* One escape at r->at (after the backslash), written to out; returns bytes written. */
static size_t read_escape(struct reader *r, char *out) {
    char c = *r->at++;
    const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t", *hit = strchr(from, c);
    if (c != 'u') {
        if (!hit || c == '\0') {
            fail_at(r, r->at - 1, "invalid escape '\\%c'", c);
            return 0;
        }
        out[0] = to[hit - from];
        return 1;
    }
    unsigned cp, low;
    if (hex4(r, r->at, &cp) < 0)
        return 0;
    r->at += 4;
    if (cp >= 0xD800 && cp <= 0xDBFF) { /* a surrogate pair */
        if (r->end - r->at < 6 || r->at[0] != '\\' || r->at[1] != 'u' ||
            hex4(r, r->at + 2, &low) < 0 || low < 0xDC00 || low > 0xDFFF) {
            fail_at(r, r->at, "invalid Unicode surrogate pair");
            return 0;
        }
        r->at += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        fail_at(r, r->at - 6, "invalid Unicode surrogate pair");
        return 0;
    }
    if (cp == 0) {
        fail_at(r, r->at - 6, "\\u0000 is not allowed");
        return 0;
    }
    return put_utf8(out, cp);
}

/* A string at r->at (just after its opening quote): a NUL-terminated arena copy. */
static const char *read_string(struct reader *r, size_t *length) {
    const char *start = r->at, *p = start;
    bool plain = true;
    while (p < r->end && *p != '"') { /* find the end; the common case has no escapes */
        unsigned char c = (unsigned char)*p;
        if (c == '\\') {
            plain = false;
            p += p + 1 < r->end ? 2 : 1;
            continue;
        }
        if (c < 0x20) {
            fail_at(r, p, "control character in a string");
            return NULL;
        }
        if (c < 0x80) {
            p++;
            continue;
        }
        size_t n = utf8_length((const unsigned char *)p, (const unsigned char *)r->end);
        if (n == 0) {
            fail_at(r, p, "invalid UTF-8 in a string");
            return NULL;
        }
        p += n;
    }
    if (p >= r->end) {
        fail_at(r, r->end, "unexpected end of file in a string");
        return NULL;
    }
    char *out = al__arena_array_raw(r->arena, (size_t)(p - start) + 1, 1);
    if (!out) {
        fail_nomem(r);
        return NULL;
    }
    size_t n = 0;
    if (plain) {
        memcpy(out, start, (size_t)(p - start));
        n = (size_t)(p - start);
        r->at = p + 1;
    } else {
        while (*r->at != '"') { /* escapes never grow the text */
            if (*r->at != '\\') {
                out[n++] = *r->at++;
                continue;
            }
            r->at++;
            size_t w = read_escape(r, out + n);
            if (w == 0)
                return NULL;
            n += w;
        }
        r->at++;
    }
    out[n] = '\0';
    *length = n;
    return out;
}

static int read_number(struct reader *r, struct al__json *v) {
    const char *p = r->at, *start = p;
    bool real = false;
    if (p < r->end && *p == '-')
        p++;
    if (p >= r->end || *p < '0' || *p > '9')
        return fail_at(r, start, "invalid number");
    if (*p == '0')
        p++;
    else
        while (p < r->end && *p >= '0' && *p <= '9')
            p++;
    if (p < r->end && *p == '.') {
        real = true;
        if (++p >= r->end || *p < '0' || *p > '9')
            return fail_at(r, start, "invalid number");
        while (p < r->end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < r->end && (*p == 'e' || *p == 'E')) {
        real = true;
        p++;
        if (p < r->end && (*p == '+' || *p == '-'))
            p++;
        if (p >= r->end || *p < '0' || *p > '9')
            return fail_at(r, start, "invalid number");
        while (p < r->end && *p >= '0' && *p <= '9')
            p++;
    }
    r->at = p;
    if (!real) {
        bool negative = *start == '-';
        uint64_t x = 0, limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        for (const char *d = start + negative; d < p; d++) {
            unsigned digit = (unsigned)(*d - '0');
            if (x > (limit - digit) / 10)
                return fail_at(r, start, negative ? "too big negative integer" : "too big integer");
            x = x * 10 + digit;
        }
        v->type = AL__JSON_INTEGER;
        v->u.integer = negative ? (int64_t)(0 - x) : (int64_t)x;
        return 0;
    }
    char buf[512];
    size_t len = (size_t)(p - start);
    if (len >= sizeof(buf))
        return fail_at(r, start, "number too long");
    memcpy(buf, start, len);
    buf[len] = '\0';
    errno = 0;
    double d = strtod(buf, NULL);
    if (errno == ERANGE && (d > 1 || d < -1))
        return fail_at(r, start, "real number overflow");
    v->type = AL__JSON_REAL;
    v->u.real = d;
    return 0;
}

/* Room for one more of `count` items of `size` bytes in *items (doubling). */
static int room(struct reader *r, void **items, size_t *cap, size_t count, size_t size) {
    if (count < *cap)
        return 0;
    size_t grown_cap = *cap ? 2 * *cap : 256;
    void *grown = realloc(*items, grown_cap * size);
    if (!grown)
        return fail_nomem(r);
    *items = grown;
    *cap = grown_cap;
    return 0;
}

static int push_value(struct reader *r, const struct al__json *v) {
    void *items = r->values;
    int rc = room(r, &items, &r->value_cap, r->value_count, sizeof(*r->values));
    r->values = items;
    if (rc == 0)
        r->values[r->value_count++] = *v;
    return rc;
}

static int push_member(struct reader *r, const char *key, const struct al__json *v) {
    void *items = r->members;
    int rc = room(r, &items, &r->member_cap, r->member_count, sizeof(*r->members));
    r->members = items;
    if (rc == 0)
        r->members[r->member_count++] = (struct al__json_member){.key = key, .value = *v};
    return rc;
}

static int cmp_key(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The first key that appears twice among members[0..n), or NULL. */
static const char *duplicate_key(struct reader *r, const struct al__json_member *m, size_t n) {
    if (n <= 16) {
        for (size_t i = 1; i < n; i++)
            for (size_t k = 0; k < i; k++)
                if (strcmp(m[i].key, m[k].key) == 0)
                    return m[i].key;
        return NULL;
    }
    const char **keys = malloc(n * sizeof(*keys));
    if (!keys) {
        fail_nomem(r);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        keys[i] = m[i].key;
    qsort(keys, n, sizeof(*keys), cmp_key);
    const char *dup = NULL;
    for (size_t i = 1; i < n && !dup; i++)
        if (strcmp(keys[i - 1], keys[i]) == 0)
            dup = keys[i];
    free(keys);
    return dup;
}

static int read_value(struct reader *r, struct al__json *v, int depth);

static int read_array(struct reader *r, struct al__json *v, int depth) {
    size_t base = r->value_count;
    r->at++; /* '[' */
    skip_space(r);
    if (r->at < r->end && *r->at == ']') {
        r->at++;
    } else {
        for (;;) {
            struct al__json item;
            if (read_value(r, &item, depth + 1) < 0 || push_value(r, &item) < 0)
                return r->rc;
            skip_space(r);
            if (r->at < r->end && *r->at == ',') {
                r->at++;
                continue;
            }
            if (r->at < r->end && *r->at == ']') {
                r->at++;
                break;
            }
            return fail_at(r, r->at,
                           r->at < r->end ? "',' or ']' expected"
                                          : "unexpected end of file in an array");
        }
    }
    size_t n = r->value_count - base;
    struct al__json *items = al__arena_array_raw(r->arena, n + 1, sizeof(*items));
    if (!items)
        return fail_nomem(r);
    if (n > 0)
        memcpy(items, r->values + base, n * sizeof(*items));
    r->value_count = base;
    v->type = AL__JSON_ARRAY;
    v->count = n;
    v->u.items = items;
    return 0;
}

static int read_object(struct reader *r, struct al__json *v, int depth) {
    size_t base = r->member_count;
    const char *open = r->at++; /* '{' */
    skip_space(r);
    if (r->at < r->end && *r->at == '}') {
        r->at++;
    } else {
        for (;;) {
            size_t len;
            struct al__json value;
            skip_space(r);
            if (r->at >= r->end || *r->at != '"')
                return fail_at(r, r->at,
                               r->at < r->end ? "string or '}' expected"
                                              : "unexpected end of file in an object");
            r->at++;
            const char *key = read_string(r, &len);
            if (!key)
                return r->rc;
            skip_space(r);
            if (r->at >= r->end || *r->at != ':')
                return fail_at(r, r->at,
                               r->at < r->end ? "':' expected"
                                              : "unexpected end of file in an object");
            r->at++;
            if (read_value(r, &value, depth + 1) < 0 || push_member(r, key, &value) < 0)
                return r->rc;
            skip_space(r);
            if (r->at < r->end && *r->at == ',') {
                r->at++;
                continue;
            }
            if (r->at < r->end && *r->at == '}') {
                r->at++;
                break;
            }
            return fail_at(r, r->at,
                           r->at < r->end ? "',' or '}' expected"
                                          : "unexpected end of file in an object");
        }
    }
    size_t n = r->member_count - base;
    /* an empty object before any member was read: no array yet (NULL + 0 is undefined) */
    const char *dup = n > 0 ? duplicate_key(r, r->members + base, n) : NULL;
    if (r->rc < 0)
        return r->rc;
    if (dup)
        return fail_at(r, open, "duplicate object key \"%s\"", dup);
    struct al__json_member *members = al__arena_array_raw(r->arena, n + 1, sizeof(*members));
    if (!members)
        return fail_nomem(r);
    if (n > 0)
        memcpy(members, r->members + base, n * sizeof(*members));
    r->member_count = base;
    v->type = AL__JSON_OBJECT;
    v->count = n;
    v->u.members = members;
    return 0;
}

/* Compares the literal `word` at r->at. */
static bool literal(struct reader *r, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(r->end - r->at) < n || memcmp(r->at, word, n) != 0)
        return false;
    r->at += n;
    return true;
}

static int read_value(struct reader *r, struct al__json *v, int depth) {
    memset(v, 0, sizeof(*v));
    if (depth > AL__JSON_MAX_DEPTH)
        return fail_at(r, r->at, "maximum nesting depth (%d) exceeded", AL__JSON_MAX_DEPTH);
    skip_space(r);
    if (r->at >= r->end)
        return fail_at(r, r->at, "unexpected end of file");
    switch (*r->at) {
    case '{':
        return read_object(r, v, depth);
    case '[':
        return read_array(r, v, depth);
    case '"': {
        r->at++;
        v->type = AL__JSON_STRING;
        v->u.string = read_string(r, &v->count);
        return v->u.string ? 0 : r->rc;
    }
    case 't':
        if (literal(r, "true")) {
            v->type = AL__JSON_TRUE;
            return 0;
        }
        break;
    case 'f':
        if (literal(r, "false")) {
            v->type = AL__JSON_FALSE;
            return 0;
        }
        break;
    case 'n':
        if (literal(r, "null")) {
            v->type = AL__JSON_NULL;
            return 0;
        }
        break;
    default:
        if (*r->at == '-' || (*r->at >= '0' && *r->at <= '9'))
            return read_number(r, v);
        break;
    }
    return fail_at(r, r->at, "invalid token");
}

void al__json_doc_init(struct al__json_doc *doc) {
    al__arena_init(&doc->arena, 1 << 20);
    doc->root = NULL;
}

int al__json_parse(const char *text, size_t len, struct al__json_doc *doc, char *msg,
                   size_t msg_size, int *line) {
    struct reader r = {
        .text = text, .at = text, .end = text + len, .msg = msg, .msg_size = msg_size};
    struct al__json *root;
    al__json_doc_init(doc);
    r.arena = &doc->arena;
    *line = 0;
    if (msg_size)
        msg[0] = '\0';
    root = al__arena_alloc(&doc->arena, sizeof(*root));
    if (!root)
        fail_nomem(&r);
    skip_space(&r);
    if (root && r.at < r.end && *r.at != '{' && *r.at != '[')
        fail_at(&r, r.at, "'[' or '{' expected");
    else if (root && read_value(&r, root, 1) == 0) {
        skip_space(&r);
        if (r.at < r.end)
            fail_at(&r, r.at, "end of file expected");
    }
    free(r.values);
    free(r.members);
    if (r.rc < 0) {
        *line = 1;
        for (const char *p = text; p < r.error_at && p < r.end; p++)
            *line += *p == '\n';
        return r.rc;
    }
    doc->root = root;
    return 0;
}

void al__json_doc_release(struct al__json_doc *doc) {
    if (!doc)
        return;
    al__arena_release(&doc->arena);
    doc->root = NULL;
}

const struct al__json *al__json_get(const struct al__json *v, const char *key) {
    if (!v || v->type != AL__JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < v->count; i++) {
        const char *k = v->u.members[i].key;
        if (k[0] == key[0] && strcmp(k, key) == 0)
            return &v->u.members[i].value;
    }
    return NULL;
}

size_t al__json_size(const struct al__json *v) {
    return v && (v->type == AL__JSON_ARRAY || v->type == AL__JSON_OBJECT) ? v->count : 0;
}

const struct al__json *al__json_at(const struct al__json *v, size_t i) {
    return &v->u.items[i];
}
