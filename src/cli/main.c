/* main.c - the allot program: dispatches by noun and verb to one command per file; usage. */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/options.h"

typedef int (*verb_fn)(const struct al__cli *cli, int argc, char **argv);

struct verb {
    const char *name;
    verb_fn run;
    const char *summary;
};

/* A noun has verbs, or runs by itself (`allot top`). */
struct noun {
    const char *name;
    const struct verb *verbs;
    size_t verb_count;
    verb_fn run;
    const char *summary;
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct verb workload_verbs[] = {
    {"submit", al__cmd_workload_submit, "submit a command to run with GPUs in a project"},
    {"list", al__cmd_workload_list, "workloads: state, GPUs, placement, age, pending reason"},
    {"describe", al__cmd_workload_describe, "one workload: request, placement, reason, events"},
    {"logs", al__cmd_workload_logs, "a task's output (-f to follow it)"},
    {"delete", al__cmd_workload_delete, "stop a workload and remove it"},
};

static const struct verb queue_verbs[] = {
    {"create", al__cmd_queue_create, "create one, with quotas, limits, weights, priority"},
    {"list", al__cmd_queue_list, "quotas, limits, weights, allocation and fair share"},
    {"describe", al__cmd_queue_describe, "every field and the status of the last cycle"},
    {"update", al__cmd_queue_update, "change some fields"},
    {"delete", al__cmd_queue_delete, "delete one"},
};

static const struct verb node_verbs[] = {
    {"list", al__cmd_node_list, "nodes: GPUs, their allocation, CPU and memory"},
};

static const struct noun nouns[] = {
    {"workload", workload_verbs, COUNT(workload_verbs), NULL,
     "submit, list, describe, logs, delete"},
    {"project", queue_verbs, COUNT(queue_verbs), NULL, "create, list, describe, update, delete"},
    {"department", queue_verbs, COUNT(queue_verbs), NULL, "create, list, describe, update, delete"},
    {"node", node_verbs, COUNT(node_verbs), NULL, "list"},
    {"top", NULL, 0, al__cmd_top, "per project: deserved GPUs, fair share, allocated, pending"},
};

static void usage(FILE *out) {
    fprintf(out, "usage: allot <command> [<verb>] [options] [args]\n"
                 "       allot --help | --version\n\ncommands:\n");
    for (size_t i = 0; i < COUNT(nouns); i++)
        fprintf(out, "  %-11s %s\n", nouns[i].name, nouns[i].summary);
    fprintf(out, "  %-11s %s\n", "replay", "run one scheduling cycle on snapshot files offline");
    fprintf(out, "  %-11s %s\n", "snapshot",
            "convert: a KAI Scheduler snapshot as allot's (offline)");
    fprintf(out, "  %-11s %s\n", "gpu-reservation",
            "report: what a GPU reservation pod runs on Kubernetes");
    fprintf(out, "\n%s\nRun 'allot <command> --help' for a command's verbs and options.\n",
            al__cli_conn_usage);
}

static void noun_usage(FILE *out, const struct noun *n) {
    fprintf(out, "usage: allot %s <verb> [options] [args]\n\nverbs:\n", n->name);
    for (size_t i = 0; i < n->verb_count; i++)
        fprintf(out, "  %-9s %s\n", n->verbs[i].name, n->verbs[i].summary);
    fprintf(out, "\nRun 'allot %s <verb> --help' for a verb's options.\n", n->name);
}

static bool is_help(const char *arg) {
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0 || strcmp(arg, "help") == 0;
}

/* Runs a command over the API: argv[0] is the verb (or the noun for `allot top`). */
static int run_command(struct al__cli *cli, verb_fn run, int argc, char **argv) {
    int status;

    snprintf(cli->name, sizeof(cli->name), "allot %s%s%s", cli->noun,
             strcmp(cli->noun, argv[0]) ? " " : "", strcmp(cli->noun, argv[0]) ? argv[0] : "");
    al__cli_conn_resolve(&cli->conn);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    status = run(cli, argc, argv);
    curl_global_cleanup();
    return status;
}

static int run_noun(struct al__cli *cli, const struct noun *n, int argc, char **argv) {
    cli->noun = n->name;
    if (n->run)
        return run_command(cli, n->run, argc, argv);
    if (argc < 2) {
        noun_usage(stderr, n);
        return AL__EXIT_USAGE;
    }
    if (is_help(argv[1])) {
        noun_usage(stdout, n);
        return AL__EXIT_OK;
    }
    for (size_t i = 0; i < n->verb_count; i++)
        if (strcmp(argv[1], n->verbs[i].name) == 0)
            return run_command(cli, n->verbs[i].run, argc - 1, argv + 1);
    fprintf(stderr, "allot %s: unknown verb '%s'\nRun 'allot %s --help' for its verbs.\n", n->name,
            argv[1], n->name);
    return AL__EXIT_USAGE;
}

int main(int argc, char **argv) {
    struct al__cli cli;

    memset(&cli, 0, sizeof(cli));
    snprintf(cli.name, sizeof(cli.name), "allot");
    if (argc >= 2 && strcmp(argv[1], "replay") == 0)
        return al__cmd_replay(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "snapshot") == 0) /* offline too */
        return al__cmd_snapshot(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "gpu-reservation") == 0) /* to a cluster, not allotd */
        return al__cmd_gpu_reservation(argc - 1, argv + 1);
    if (al__cli_conn_extract(&cli, &argc, argv) < 0)
        return AL__EXIT_USAGE;
    if (argc < 2) {
        usage(stderr);
        return AL__EXIT_USAGE;
    }
    if (is_help(argv[1])) {
        usage(stdout);
        return AL__EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("allot %s\n", AL__VERSION);
        return AL__EXIT_OK;
    }
    if (strcmp(argv[1], "replay") == 0)
        return al__cmd_replay(argc - 1, argv + 1);
    for (size_t i = 0; i < COUNT(nouns); i++)
        if (strcmp(argv[1], nouns[i].name) == 0)
            return run_noun(&cli, &nouns[i], argc - 1, argv + 1);
    fprintf(stderr, "allot: unknown command '%s'\nRun 'allot --help' for the commands.\n", argv[1]);
    return AL__EXIT_USAGE;
}
