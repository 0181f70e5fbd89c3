/* fields.h - reading fields of Kubernetes objects: optional text with a length bound, and
 * quantities (text or a number), each error naming the object and the field. */
#ifndef ALLOT_BACKENDS_KUBERNETES_FIELDS_H
#define ALLOT_BACKENDS_KUBERNETES_FIELDS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* al__kube_text - parent[key] into out ("" when absent or null). -AL_EINVAL with err ("WHAT:
 * FIELD: ...") when it is not text or does not fit. */
int al__kube_text(json_t *parent, const char *key, char *out, size_t out_size, const char *what,
                  const char *field, char *err, size_t size);

/* al__kube_amount - the quantity map[key] (text or number) times 10^scale; 0 when absent. */
int al__kube_amount(json_t *map, const char *key, int scale, int64_t *out, const char *what,
                    const char *field, char *err, size_t size);

/* al__kube_identity - object o's metadata name, and namespace when ns is not NULL (both then
 * needed), into name and ns; "KIND NAME" or "KIND NS/NAME" into what, for the messages that
 * follow. -AL_EINVAL with err when o is not an object with metadata (and a spec object when
 * spec_needed), or lacks them. */
int al__kube_identity(json_t *o, const char *kind, bool spec_needed, char *ns, size_t ns_size,
                      char *name, size_t name_size, char *what, size_t what_size, char *err,
                      size_t size);

/* al__kube_duration - a Go duration ("90s", "10m", "1h30m", "1.5h") in whole seconds, rounded
 * up. 0, or -AL_EINVAL (err: "WHAT: FIELD: ...") when text is not a non-negative duration. */
int al__kube_duration(const char *text, int64_t *seconds, const char *what, const char *field,
                      char *err, size_t size);

/* al__kube_time - the RFC 3339 time of parent[key] ("2026-11-30T10:00:00Z") in Unix seconds,
 * or `fallback` when absent or not such a time. */
int64_t al__kube_time(json_t *parent, const char *key, int64_t fallback);
/* al__kube_time_format - unix_s as Kubernetes writes times (RFC 3339, UTC). */
void al__kube_time_format(int64_t unix_s, char *out, size_t size);

/* al__kube_hash - a short, stable hash of s (FNV-1a): names that must fit. */
uint32_t al__kube_hash(const char *s);
/* al__kube_deadline - ms from now on the realtime clock (a pthread_cond_timedwait's). */
struct timespec al__kube_deadline(int64_t ms);

#endif
