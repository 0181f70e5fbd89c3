/* main.c - the allot program: dispatches to one command per file, prints usage and version. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"replay", al__cmd_replay, "run one scheduling cycle on snapshot files; print or check it"},
};

static void usage(FILE *out) {
    fprintf(out, "usage: allot <command> [options] [args]\n"
                 "       allot --help | --version\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nRun 'allot <command> --help' for a command's options.\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return AL__EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return AL__EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("allot %s\n", AL__VERSION);
        return AL__EXIT_OK;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "allot: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return AL__EXIT_USAGE;
}
