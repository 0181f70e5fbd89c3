/* xalloc.c - abort-on-failure allocation for the programs (see xalloc.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/xalloc.h"

_Noreturn void al__xalloc_failed(void) {
    static const char msg[] = "allot: out of memory\n";
    (void)!write(2, msg, sizeof(msg) - 1);
    abort();
}

static void out_of_memory(void) {
    al__xalloc_failed();
}

void *al__xmalloc(size_t size) {
    void *p = malloc(size ? size : 1);
    if (!p)
        out_of_memory();
    return p;
}

void *al__xcalloc(size_t count, size_t size) {
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        out_of_memory();
    return p;
}

void *al__xrealloc(void *p, size_t size) {
    void *q = realloc(p, size ? size : 1);
    if (!q)
        out_of_memory();
    return q;
}

char *al__xstrdup(const char *s) {
    size_t n = strlen(s) + 1;
    return memcpy(al__xmalloc(n), s, n);
}

void al__xgrow(void *p, size_t *cap, size_t need, size_t item) {
    void **array = p;
    size_t n = *cap ? *cap : 8;
    if (need <= *cap)
        return;
    while (n < need)
        n *= 2;
    if (n > SIZE_MAX / item)
        out_of_memory();
    *array = al__xrealloc(*array, n * item);
    *cap = n;
}

void *al__xroom(void *p, size_t count, size_t item) {
    if (count >= 8 && (count & (count - 1)) != 0)
        return p;
    size_t room = count < 8 ? 8 : 2 * count, added = room - count;
    if (room > SIZE_MAX / item)
        out_of_memory();
    p = al__xrealloc(p, room * item);
    memset((char *)p + count * item, 0, added * item);
    return p;
}
