/* names.c - the names allot gives queues and workloads (see names.h). */
#include <string.h>

#include "util/names.h"

bool al__name_valid(const char *name) {
    size_t n = strlen(name);
    if (n == 0 || n >= AL__NAME_MAX || name[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    }
    return true;
}
