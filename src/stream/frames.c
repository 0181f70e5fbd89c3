/* frames.c - frames of attach and exec streams, written and read (see frames.h). */
#include <stdlib.h>
#include <string.h>

#include "stream/frames.h"

void al__frame_put_u16(unsigned char *p, uint16_t v) {
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

uint16_t al__frame_get_u16(const unsigned char *p) {
    return (uint16_t)((p[0] << 8) | p[1]);
}

void al__frame_put_i32(unsigned char *p, int32_t v) {
    uint32_t u = (uint32_t)v;
    p[0] = (unsigned char)(u >> 24);
    p[1] = (unsigned char)(u >> 16);
    p[2] = (unsigned char)(u >> 8);
    p[3] = (unsigned char)u;
}

int32_t al__frame_get_i32(const unsigned char *p) {
    uint32_t u = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
    return (int32_t)u;
}

void al__frame_header(unsigned char out[AL__FRAME_HEADER], char type, size_t len) {
    out[0] = (unsigned char)type;
    al__frame_put_i32(out + 1, (int32_t)len);
}

long al__frame_next(const unsigned char *buf, size_t n, char *type, const unsigned char **payload,
                    size_t *len) {
    if (n < AL__FRAME_HEADER)
        return 0;
    uint32_t size = (uint32_t)al__frame_get_i32(buf + 1);
    if (size > AL__FRAME_MAX)
        return -1;
    if (n < AL__FRAME_HEADER + (size_t)size)
        return 0;
    *type = (char)buf[0];
    *payload = buf + AL__FRAME_HEADER;
    *len = size;
    return (long)(AL__FRAME_HEADER + size);
}

static size_t strings_size(char *const *v, size_t *count) {
    size_t bytes = 0;
    *count = 0;
    for (; v && v[*count]; (*count)++)
        bytes += strlen(v[*count]) + 1;
    return bytes;
}

unsigned char *al__exec_encode(const struct al__exec_request *r, size_t *len) {
    size_t env_count, argc;
    size_t bytes = 5 + strings_size(r->env, &env_count) + strings_size(r->argv, &argc);
    if (bytes > AL__FRAME_MAX || env_count > UINT16_MAX || argc > UINT16_MAX)
        return NULL;
    unsigned char *out = malloc(bytes), *p = out + 5;
    if (!out)
        return NULL;
    out[0] = r->tty ? 1 : 0;
    al__frame_put_u16(out + 1, (uint16_t)env_count);
    al__frame_put_u16(out + 3, (uint16_t)argc);
    for (size_t i = 0; i < env_count; i++, p += strlen((char *)p) + 1)
        memcpy(p, r->env[i], strlen(r->env[i]) + 1);
    for (size_t i = 0; i < argc; i++, p += strlen((char *)p) + 1)
        memcpy(p, r->argv[i], strlen(r->argv[i]) + 1);
    *len = bytes;
    return out;
}

int al__exec_decode(const unsigned char *payload, size_t len, struct al__exec_request *r) {
    if (len < 5 || payload[0] > 1)
        return -1;
    size_t env_count = al__frame_get_u16(payload + 1), argc = al__frame_get_u16(payload + 3);
    size_t strings = len - 5, found = 0;
    for (size_t i = 0; i < strings; i++)
        found += payload[5 + i] == '\0';
    if (argc == 0 || found != env_count + argc || (strings && payload[len - 1] != '\0'))
        return -1;
    /* the pointer arrays, then a copy of the strings they point into: one block */
    size_t arrays = (env_count + 1 + argc + 1) * sizeof(char *);
    char **block = malloc(arrays + strings);
    if (!block)
        return -1;
    char *text = (char *)block + arrays;
    memcpy(text, payload + 5, strings);
    r->tty = payload[0] == 1;
    r->env = block;
    r->argv = block + env_count + 1;
    for (size_t i = 0; i < env_count; i++, text += strlen(text) + 1)
        r->env[i] = text;
    r->env[env_count] = NULL;
    for (size_t i = 0; i < argc; i++, text += strlen(text) + 1)
        r->argv[i] = text;
    r->argv[argc] = NULL;
    if (!r->argv[0][0]) {
        free(block);
        return -1;
    }
    return 0;
}

void al__exec_request_release(struct al__exec_request *r) {
    free(r->env); /* the block */
    r->env = r->argv = NULL;
}
