/* workload_delete.c - `allot workload delete`: stop a workload's tasks and remove it. */
#include <stdio.h>
#include <time.h>

#include "cli/client.h"
#include "cli/options.h"
#include "cli/units.h"
#include "cli/util.h"

#define POLL_INTERVAL_MS 250

struct options {
    const char *name, *project;
    bool wait;
    int64_t timeout_s;
};

static void usage(FILE *out, const struct al__cli *cli) {
    fprintf(out,
            "usage: %s NAME [-p PROJECT] [--wait [--timeout SECONDS]]\n\n"
            "Stops a workload's tasks (SIGTERM, then SIGKILL after a grace period) and removes\n"
            "it once they have exited.\n\n"
            "  -p, --project P   the workload's project (needed when several projects have a\n"
            "                    workload of that name)\n"
            "  --wait            return only once it is gone\n"
            "  --timeout S       how long --wait waits (default 60 seconds)\n\n%s",
            cli->name, al__cli_conn_usage);
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* Polls GET path until allotd answers 404; 0, or -1 after printing why not. */
static int wait_gone(const struct al__cli *cli, const char *path, const struct options *o) {
    int64_t deadline = al__cli_now() + o->timeout_s;
    struct al__cli_reply reply;

    for (;;) {
        if (al__cli_request(cli, "GET", path, NULL, &reply) < 0 ||
            (reply.message[0] && reply.status != 404)) {
            al__cli_report(&reply);
            al__cli_reply_release(&reply);
            return -1;
        }
        al__cli_reply_release(&reply);
        if (reply.status == 404)
            return 0;
        if (al__cli_now() >= deadline) {
            fprintf(stderr, "allot: workload %s is still stopping after %lld s\n", o->name,
                    (long long)o->timeout_s);
            return -1;
        }
        sleep_ms(POLL_INTERVAL_MS);
    }
}

int al__cmd_workload_delete(const struct al__cli *cli, int argc, char **argv) {
    struct options o = {NULL, NULL, false, 60};
    const struct al__cli_option options[] = {
        {NULL, "--wait", &o.wait, NULL, 0, NULL},
        {NULL, "--timeout", NULL, &o.timeout_s, 1, NULL},
        {"-p", "--project", NULL, NULL, 0, &o.project},
    };
    struct al__cli_reply reply;
    char path[1024], suffix[96] = "";
    int rc = al__cli_parse_simple(cli, argc, argv, "workload", &o.name, options, 3);

    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, usage, cli);
    if (o.project)
        snprintf(suffix, sizeof(suffix), "?project=%s", o.project);
    if (al__cli_path(cli, path, sizeof(path), "workloads", o.name, suffix) < 0)
        return AL__EXIT_USAGE;
    if (al__cli_request(cli, "DELETE", path, NULL, &reply) < 0 || reply.message[0]) {
        al__cli_report(&reply);
        al__cli_reply_release(&reply);
        return AL__EXIT_FAIL;
    }
    al__cli_reply_release(&reply);
    if (reply.status == 202 && o.wait) {
        if (wait_gone(cli, path, &o) < 0)
            return AL__EXIT_FAIL;
    } else if (reply.status == 202) {
        printf("workload %s is stopping\n", o.name);
        return AL__EXIT_OK;
    }
    printf("workload %s deleted\n", o.name);
    return AL__EXIT_OK;
}
