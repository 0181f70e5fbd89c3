/* xalloc.h - allocation for programs (allot, allotd) that abort on out-of-memory; never used by
 * the engine, which returns AL_ENOMEM instead. */
#ifndef ALLOT_UTIL_XALLOC_H
#define ALLOT_UTIL_XALLOC_H

#include <stddef.h>

/* Each aborts the program with a message when memory runs out; none returns NULL. */
void *al__xmalloc(size_t size);
void *al__xcalloc(size_t count, size_t size);
void *al__xrealloc(void *p, size_t size);
char *al__xstrdup(const char *s);

/* al__xalloc_failed - what they do when memory runs out, for other allocators' callers. */
_Noreturn void al__xalloc_failed(void);

/* al__xgrow - makes room for at least `need` items of `item` bytes in *p (doubling *cap). */
void al__xgrow(void *p, size_t *cap, size_t need, size_t item);

/*
 * al__xroom - p (or p moved) with room for item number `count`, for an array that holds `count`
 * items and keeps no capacity: it is sized to the next power of two (at least 8), so it grows
 * only when count reaches one. New room is zeroed.
 */
void *al__xroom(void *p, size_t count, size_t item);

#endif
