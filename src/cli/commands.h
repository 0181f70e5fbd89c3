/* commands.h - the allot program's commands: one function per command, one file each. */
#ifndef ALLOT_CLI_COMMANDS_H
#define ALLOT_CLI_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define AL__VERSION "0.1.0"

/* Exit statuses shared by every command, whether the CLI or allotd found the problem (the
 * command table documents them for --help and the man page). */
#define AL__EXIT_OK          0
#define AL__EXIT_FAIL        1 /* the command ran and something failed */
#define AL__EXIT_USAGE       2 /* bad command line, or allotd's 400 invalid_argument */
#define AL__EXIT_NOT_FOUND   3 /* 404, or a context that does not exist */
#define AL__EXIT_CONFLICT    4 /* 409: already exists, or not in a state that allows it */
#define AL__EXIT_DENIED      5 /* 401 or 403 */
#define AL__EXIT_UNAVAILABLE 6 /* allotd unreachable, or a 5xx */

/* The default address of allotd and the default state directory (where admin.token is). */
#define AL__CLI_DEFAULT_SERVER    "http://127.0.0.1:7373"
#define AL__CLI_DEFAULT_STATE_DIR ".allot"

/* How to reach allotd: from the command line, the environment, the config file's context, a
 * local allotd's state directory, or the defaults (al__cli_conn_resolve). */
struct al__cli_conn {
    const char *server;      /* base URL, e.g. "http://127.0.0.1:7373" */
    const char *token;       /* NULL when none was found; the request then goes without one */
    const char *token_from;  /* where the token came from, for messages: "--token", ... */
    const char *state_dir;   /* NULL when none was given or found */
    const char *context;     /* --context, or NULL: the config file's current context */
    const char *project;     /* the context's default project, or NULL */
    const char *ca_file;     /* trust allotd's certificate when it chains to these CAs */
    const char *fingerprint; /* trust only the certificate with this SHA-256 fingerprint */
    const char *tls_from;    /* where ca_file or fingerprint came from, for messages */
    char token_buf[1024];    /* a token read from a file */
    char token_path[1200];
    char server_buf[512]; /* a server read from a file */
    char state_buf[1024];
    char project_buf[64];
    char ca_buf[1024];
    char fingerprint_buf[128];
    char tls_from_buf[1200];
};

/* How a command prints what it got (-o/--output, --json). */
enum al__cli_format {
    AL__CLI_FORMAT_TEXT,
    AL__CLI_FORMAT_WIDE,
    AL__CLI_FORMAT_JSON,
    AL__CLI_FORMAT_YAML,
    AL__CLI_FORMAT_NAME,
};

struct al__cli_command;

/* What a command gets besides its argv. */
struct al__cli {
    const char *noun; /* "workload", "project", "department", "node", "top" */
    char name[64];    /* the command as the user typed it, for messages: "allot workload list" */
    const struct al__cli_command *command; /* its entry in the command table */
    struct al__cli_conn conn;
    enum al__cli_format format;
    bool no_headers;
    FILE *out; /* where lists and tables go: stdout, or a buffer while watching (-w) */
};

/* Whether a command's output is a document (JSON or YAML) rather than text. */
#define AL__CLI_STRUCTURED(cli)                                                                    \
    ((cli)->format == AL__CLI_FORMAT_JSON || (cli)->format == AL__CLI_FORMAT_YAML)

/* Offline commands: no allotd. */
int al__cmd_replay(const struct al__cli *cli, int argc, char **argv);
int al__cmd_sim_openb(const struct al__cli *cli, int argc, char **argv);
int al__cmd_sim_philly(const struct al__cli *cli, int argc, char **argv);
int al__cmd_sim_dlrm(const struct al__cli *cli, int argc, char **argv);
int al__cmd_snapshot_convert(const struct al__cli *cli, int argc, char **argv);
/* `allot gpu-reservation report`: run by a GPU reservation pod on Kubernetes (no allotd). */
int al__cmd_gpu_reservation(const struct al__cli *cli, int argc, char **argv);
/* The config file and the shell. */
int al__cmd_login(const struct al__cli *cli, int argc, char **argv);
int al__cmd_config_view(const struct al__cli *cli, int argc, char **argv);
int al__cmd_config_use_context(const struct al__cli *cli, int argc, char **argv);
int al__cmd_config_set_project(const struct al__cli *cli, int argc, char **argv);
int al__cmd_config_delete_context(const struct al__cli *cli, int argc, char **argv);
int al__cmd_completion(const struct al__cli *cli, int argc, char **argv);
int al__cmd_man_pages(const struct al__cli *cli, int argc, char **argv);

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
 * request fails (the exit status for what failed: al__cli_failed).
 */
int al__cmd_workload_submit(const struct al__cli *cli, int argc, char **argv);
int al__cmd_workload_list(const struct al__cli *cli, int argc, char **argv);
int al__cmd_workload_describe(const struct al__cli *cli, int argc, char **argv);
int al__cmd_workload_logs(const struct al__cli *cli, int argc, char **argv);
int al__cmd_workload_suspend(const struct al__cli *cli, int argc, char **argv);
int al__cmd_workload_resume(const struct al__cli *cli, int argc, char **argv);
int al__cmd_workload_delete(const struct al__cli *cli, int argc, char **argv);
/* Streams to a running task through allotd (stream_client.h). */
int al__cmd_workload_attach(const struct al__cli *cli, int argc, char **argv);
int al__cmd_workload_exec(const struct al__cli *cli, int argc, char **argv);
int al__cmd_workload_port_forward(const struct al__cli *cli, int argc, char **argv);

/* `project` and `department` share these; cli->noun says which. */
int al__cmd_queue_create(const struct al__cli *cli, int argc, char **argv);
int al__cmd_queue_list(const struct al__cli *cli, int argc, char **argv);
int al__cmd_queue_describe(const struct al__cli *cli, int argc, char **argv);
int al__cmd_queue_update(const struct al__cli *cli, int argc, char **argv);
int al__cmd_queue_delete(const struct al__cli *cli, int argc, char **argv);

int al__cmd_node_list(const struct al__cli *cli, int argc, char **argv);
int al__cmd_node_describe(const struct al__cli *cli, int argc, char **argv);
int al__cmd_topology_list(const struct al__cli *cli, int argc, char **argv);
int al__cmd_pool_list(const struct al__cli *cli, int argc, char **argv);
int al__cmd_pool_describe(const struct al__cli *cli, int argc, char **argv);
int al__cmd_top(const struct al__cli *cli, int argc, char **argv);
int al__cmd_events(const struct al__cli *cli, int argc, char **argv);
int al__cmd_snapshot_save(const struct al__cli *cli, int argc, char **argv);
int al__cmd_audit_list(const struct al__cli *cli, int argc, char **argv);
int al__cmd_audit_verify(const struct al__cli *cli, int argc, char **argv);
int al__cmd_report_consumption(const struct al__cli *cli, int argc, char **argv);

/* Subjects, access rules and sessions (identity_cmds.c, sign_in.c); `user`, `group` and `app`
 * share list, delete and (group, app) create: cli->noun says which. */
int al__cmd_user_create(const struct al__cli *cli, int argc, char **argv);
int al__cmd_user_update(const struct al__cli *cli, int argc, char **argv);
int al__cmd_subject_create(const struct al__cli *cli, int argc, char **argv);
int al__cmd_subject_list(const struct al__cli *cli, int argc, char **argv);
int al__cmd_subject_delete(const struct al__cli *cli, int argc, char **argv);
int al__cmd_rule_create(const struct al__cli *cli, int argc, char **argv);
int al__cmd_rule_list(const struct al__cli *cli, int argc, char **argv);
int al__cmd_rule_delete(const struct al__cli *cli, int argc, char **argv);
int al__cmd_logout(const struct al__cli *cli, int argc, char **argv);
int al__cmd_whoami(const struct al__cli *cli, int argc, char **argv);

#endif
