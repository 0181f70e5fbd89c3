/* main.c - the allot program: finds the command in the command table, takes the options all
 * commands share, and runs it. */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "cli/command_table.h"
#include "cli/commands.h"
#include "cli/connect.h"
#include "cli/help.h"
#include "cli/options.h"

static bool is_help(const char *arg) {
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0 || strcmp(arg, "help") == 0;
}

/* Options shared by all commands that take a value as the next argument (as the command
 * table has them). */
static bool takes_value(const char *arg) {
    for (size_t i = 0; i < al__cli_conn_option_count; i++)
        if (al__cli_conn_options[i].arg && strcmp(arg, al__cli_conn_options[i].long_name) == 0)
            return true;
    for (size_t i = 0; i < al__cli_output_option_count; i++) {
        const struct al__cli_opt *o = &al__cli_output_options[i];
        if (o->arg &&
            (strcmp(arg, o->long_name) == 0 || (o->short_name && strcmp(arg, o->short_name) == 0)))
            return true;
    }
    return false;
}

/* The index of the first word at or after `from` that is not a shared option, or argc. */
static int next_word(int argc, char **argv, int from) {
    int i = from;

    while (i < argc && argv[i][0] == '-' && argv[i][1] && !is_help(argv[i]) &&
           strcmp(argv[i], "--version") != 0 && strcmp(argv[i], "--") != 0)
        i += takes_value(argv[i]) ? 2 : 1;
    return i < argc ? i : argc;
}

/* Whether --help or -h comes before "--" in argv[from..]. */
static bool wants_help(int argc, char **argv, int from) {
    for (int i = from; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    return false;
}

static int run(struct al__cli *cli, int argc, char **argv) {
    const struct al__cli_command *c = cli->command;
    int status;

    snprintf(cli->name, sizeof(cli->name), "allot %s%s%s", c->noun, c->verb ? " " : "",
             c->verb ? c->verb : "");
    cli->noun = c->noun;
    if (wants_help(argc, argv, 1)) {
        al__cli_usage(stdout, c);
        return AL__EXIT_OK;
    }
    if (al__cli_global_extract(cli, &argc, argv) < 0)
        return AL__EXIT_USAGE;
    /* argv: allot NOUN [VERB] args...; the command gets its last word first */
    int first =
        c->verb ? next_word(argc, argv, next_word(argc, argv, 1) + 1) : next_word(argc, argv, 1);
    if (c->flags & AL__CLI_API) {
        if ((status = al__cli_conn_resolve(cli)) != 0)
            return status;
        curl_global_init(CURL_GLOBAL_DEFAULT);
    }
    status = c->run(cli, argc - first, argv + first);
    if (c->flags & AL__CLI_API)
        curl_global_cleanup();
    return status;
}

int main(int argc, char **argv) {
    struct al__cli cli;

    memset(&cli, 0, sizeof(cli));
    snprintf(cli.name, sizeof(cli.name), "allot");
    cli.out = stdout;
    int n = next_word(argc, argv, 1);
    if (n >= argc) {
        al__cli_overview(stderr);
        return AL__EXIT_USAGE;
    }
    const char *noun = argv[n];
    if (is_help(noun)) {
        al__cli_overview(stdout);
        return AL__EXIT_OK;
    }
    if (strcmp(noun, "--version") == 0 || strcmp(noun, "version") == 0) {
        printf("allot %s\n", AL__VERSION);
        return AL__EXIT_OK;
    }
    if (!al__cli_noun_has_verbs(noun) && !al__cli_command_find(noun, NULL)) {
        fprintf(stderr, "allot: unknown command '%s'\nRun 'allot --help' for the commands.\n",
                noun);
        return AL__EXIT_USAGE;
    }
    int v = next_word(argc, argv, n + 1);
    const char *verb = v < argc ? argv[v] : NULL;
    if (verb && is_help(verb) && al__cli_noun_has_verbs(noun)) {
        al__cli_noun_usage(stdout, noun);
        return AL__EXIT_OK;
    }
    cli.command = verb ? al__cli_command_find(noun, verb) : NULL;
    if (!cli.command)
        cli.command = al__cli_command_find(noun, NULL);
    if (cli.command)
        return run(&cli, argc, argv);
    if (!verb) {
        al__cli_noun_usage(stderr, noun);
        return AL__EXIT_USAGE;
    }
    fprintf(stderr, "allot %s: unknown verb '%s'\nRun 'allot %s --help' for its verbs.\n", noun,
            verb, noun);
    return AL__EXIT_USAGE;
}
