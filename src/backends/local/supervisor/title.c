/* title.c - a supervisor shows ps its task instead of its command line (see title.h). */
#define _GNU_SOURCE /* prctl */
#include <string.h>
#include <sys/prctl.h>

#include "backends/local/supervisor/title.h"

struct al__title_area al__title_area_of(int argc, char **argv) {
    struct al__title_area area = {NULL, 0};
    if (argc < 1 || !argv[0])
        return area;
    char *end = argv[0] + strlen(argv[0]) + 1;
    for (int i = 1; i < argc && argv[i] == end; i++)
        end = argv[i] + strlen(argv[i]) + 1;
    area.start = argv[0];
    area.size = (size_t)(end - argv[0]);
    return area;
}

void al__title_set(struct al__title_area area, const char *title) {
    if (area.start && area.size > 0) {
        size_t n = strlen(title);
        if (n > area.size - 1)
            n = area.size - 1;
        memmove(area.start, title, n);
        memset(area.start + n, 0, area.size - n);
    }
    prctl(PR_SET_NAME, AL__TITLE_COMM, 0, 0, 0);
}
