/* tempdir.c - scratch directories for tests (see tempdir.h). */
#define _GNU_SOURCE /* mkdtemp */
#include <stdio.h>
#include <stdlib.h>

#include "support/tempdir.h"

int tb_tempdir_make(char *dir, size_t size, const char *prefix) {
    if ((size_t)snprintf(dir, size, "/tmp/%s-XXXXXX", prefix) >= size)
        return -1;
    return mkdtemp(dir) ? 0 : -1;
}

int tb_tempdir_remove(const char *dir) {
    char cmd[4200];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}
