/* main.c - allot-supervisor: supervises one task of allotd's local backend (see supervise.h). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "backends/local/supervisor/isolate.h"
#include "backends/local/supervisor/supervise.h"

extern char **environ;

int main(int argc, char **argv) {
    struct al__supervision sup;
    char err[256];
    if (argc == 3 && strcmp(argv[1], "--probe-hide") == 0)
        return al__isolation_probe(argv[2]) == 0 ? 0 : 1;
    if (al__supervision_parse(argc, argv, environ, &sup, err, sizeof(err)) < 0) {
        const char *exit_path = NULL; /* recorded when given, so that the task reads as 127 */
        for (int i = 1; i + 1 < argc && strcmp(argv[i], "--") != 0;
             i += strcmp(argv[i], "--terminal") == 0 ? 1 : 2)
            if (strcmp(argv[i], "--exit") == 0 && argv[i + 1][0])
                exit_path = argv[i + 1];
        al__supervise_refuse(exit_path, err);
    }
    if (sup.umask >= 0) /* the task's and its exec'd commands'; its own files say their modes */
        umask((mode_t)sup.umask);
    al__supervise(&sup);
}
