/* names.h - the names allot gives queues and workloads: short, lower-case, safe in a URL, a
 * file name and a Kubernetes label. */
#ifndef ALLOT_UTIL_NAMES_H
#define ALLOT_UTIL_NAMES_H

#include <stdbool.h>

#define AL__NAME_MAX 64 /* names are 1..63 characters */

/* al__name_valid - 1..63 of [a-z0-9-], starting with a letter or digit. */
bool al__name_valid(const char *name);

#endif
