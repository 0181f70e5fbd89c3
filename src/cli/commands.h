/* commands.h - the allot program's commands: one function per command, one file each. */
#ifndef ALLOT_CLI_COMMANDS_H
#define ALLOT_CLI_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>

#define AL__VERSION "0.1.0"

/* Exit statuses shared by every command. */
#define AL__EXIT_OK    0
#define AL__EXIT_FAIL  1 /* the command ran and something failed */
#define AL__EXIT_USAGE 2 /* bad command line */

/* The default address of allotd and the default state directory (where admin.token is). */
#define AL__CLI_DEFAULT_SERVER    "http://127.0.0.1:7373"
#define AL__CLI_DEFAULT_STATE_DIR ".allot"

/* How to reach allotd: from --server/--token/--state-dir, the environment, or the defaults. */
struct al__cli_conn {
    const char *server;     /* base URL, e.g. "http://127.0.0.1:7373" */
    const char *token;      /* NULL when none was found; the request then goes without one */
    const char *token_from; /* where the token came from, for messages: "--token", ... */
    const char *state_dir;
    char token_buf[1024]; /* the token read from <state_dir>/admin.token */
    char token_path[1024];
};

/* What a command that talks to allotd gets besides its argv. */
struct al__cli {
    const char *noun; /* "workload", "project", "department", "node", "top" */
    char name[64];    /* the command as the user typed it, for messages: "allot workload list" */
    struct al__cli_conn conn;
};

/*
 * A command gets its own argv (argv[0] is the command name) and returns the exit
 * status. It prints its own usage on --help.
 */
int al__cmd_replay(int argc, char **argv);
int al__cmd_snapshot(int argc, char **argv);
/* `allot gpu-reservation report`: run by a GPU reservation pod on Kubernetes (no allotd). */
int al__cmd_gpu_reservation(int argc, char **argv);

/* al__kai_snapshot_read - a KAI Scheduler snapshot (its zip, or its snapshot.json) as the text
 * of an allot snapshot (*snapshot, malloc'd), with the objects it left out and why (*skipped, a
 * JSON array of strings; the caller decrefs it). 0, or -AL_EIO / -AL_EINVAL with err. */
struct json_t;
int al__kai_snapshot_read(const char *path, char **snapshot, struct json_t **skipped, char *err,
                          size_t size);

/*
 * Commands over the REST API get the connection settings and the noun they run under
 * (argv[0] is the verb; `allot top` gets argv[0] = "top"). Each prints its usage on --help,
 * a one-line error and a hint on a bad command line (exit 2), and `allot: MESSAGE` when the
 * request fails (exit 1).
 */
int al__cmd_workload_submit(const struct al__cli *cli, int argc, char **argv);
int al__cmd_workload_list(const struct al__cli *cli, int argc, char **argv);
int al__cmd_workload_describe(const struct al__cli *cli, int argc, char **argv);
int al__cmd_workload_logs(const struct al__cli *cli, int argc, char **argv);
int al__cmd_workload_delete(const struct al__cli *cli, int argc, char **argv);

/* `project` and `department` share these; cli->noun says which. */
int al__cmd_queue_create(const struct al__cli *cli, int argc, char **argv);
int al__cmd_queue_list(const struct al__cli *cli, int argc, char **argv);
int al__cmd_queue_describe(const struct al__cli *cli, int argc, char **argv);
int al__cmd_queue_update(const struct al__cli *cli, int argc, char **argv);
int al__cmd_queue_delete(const struct al__cli *cli, int argc, char **argv);

int al__cmd_node_list(const struct al__cli *cli, int argc, char **argv);
int al__cmd_top(const struct al__cli *cli, int argc, char **argv);

#endif
