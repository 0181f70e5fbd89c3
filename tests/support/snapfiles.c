/* snapfiles.c - test helpers for snapshot documents (see snapfiles.h). */
#include "support/snapfiles.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *checked(void *p) {
    if (!p) {
        fprintf(stderr, "snapfiles: out of memory\n");
        abort();
    }
    return p;
}

char *tb_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    size_t cap = 4096, n = 0;
    char *buf = NULL;
    if (!f)
        return NULL;
    for (;;) {
        buf = checked(realloc(buf, cap + 1));
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        cap *= 2;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

char **tb_glob_files(const char *pattern, size_t *count) {
    glob_t g;
    char **paths;
    *count = 0;
    if (glob(pattern, 0, NULL, &g) != 0)
        return NULL;
    paths = checked(calloc(g.gl_pathc, sizeof(*paths)));
    for (size_t i = 0; i < g.gl_pathc; i++)
        paths[i] = checked(strdup(g.gl_pathv[i]));
    *count = g.gl_pathc;
    globfree(&g);
    return paths;
}

char **tb_case_files(size_t *count) {
    return tb_glob_files(TB_CASES_DIR "/*.json", count);
}

char **tb_scenario_files(size_t *count) {
    return tb_glob_files(TB_SCENARIOS_DIR "/*.json", count);
}

void tb_case_files_free(char **paths, size_t count) {
    for (size_t i = 0; i < count; i++)
        free(paths[i]);
    free(paths);
}

char *tb_doc(const char *text) {
    char *copy = checked(strdup(text));
    for (char *p = copy; *p; p++)
        if (*p == '\'')
            *p = '"';
    return copy;
}
