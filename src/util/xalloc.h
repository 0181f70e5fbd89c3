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

/* al__xgrow - makes room for at least `need` items of `item` bytes in *p (doubling *cap). */
void al__xgrow(void *p, size_t *cap, size_t need, size_t item);

#endif
