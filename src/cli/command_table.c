/* command_table.c - every allot command, its options and what they do, written once: --help,
 * the man pages and shell completion are printed from here. */
#include <string.h>

#include "cli/command_table.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define OPTS(a)  a, COUNT(a)

const struct al__cli_opt al__cli_conn_options[] = {
    {NULL, "--server", "URL",
     "allotd's address (env ALLOT_SERVER; default: the\ncontext's, "
     "else the local allotd's, else\n" AL__CLI_DEFAULT_SERVER ")",
     NULL},
    {NULL, "--token", "TOKEN",
     "API token (env ALLOT_TOKEN; default: the context's\ntoken file, "
     "else the state dir's admin.token)",
     NULL},
    {NULL, "--state-dir", "DIR",
     "a local allotd's state directory: its address\nand admin token "
     "(env ALLOT_STATE_DIR)",
     "@dir"},
    {NULL, "--context", "NAME",
     "use this context of the config file instead of\nthe current one "
     "(env ALLOT_CONTEXT)",
     "@context"},
    {NULL, "--ca-file", "FILE",
     "trust an https:// allotd whose certificate chains\nto these CAs (PEM; allotd's own "
     "certificate\nwill do) and names its host (env ALLOT_CA_FILE;\ndefault: the context's, "
     "else the system's CAs)",
     "@file"},
    {NULL, "--tls-fingerprint", "SHA256",
     "trust only the certificate with this SHA-256\nfingerprint (AA:BB:..., as allotd "
     "prints it;\nenv ALLOT_TLS_FINGERPRINT; default: the context's,\nor a local allotd's "
     "from its state dir)",
     NULL},
};
const size_t al__cli_conn_option_count = COUNT(al__cli_conn_options);

const struct al__cli_opt al__cli_output_options[] = {
    {"-o", "--output", "FORMAT",
     "text (default), wide (more columns), json, yaml,\nor name "
     "(KIND/NAME per object)",
     "text wide json yaml name"},
    {NULL, "--json", NULL, "the same as -o json", NULL},
    {NULL, "--no-headers", NULL, "tables without their header line", NULL},
};
const size_t al__cli_output_option_count = COUNT(al__cli_output_options);

const struct al__cli_exit_doc al__cli_exit_docs[] = {
    {AL__EXIT_OK, "success"},
    {AL__EXIT_FAIL, "the command ran and failed (replay --check found a difference, a\n"
                    "wait timed out, output could not be written)"},
    {AL__EXIT_USAGE, "usage error: a bad command line, or allotd refused the request as\n"
                     "invalid (HTTP 400), whichever side checked it"},
    {AL__EXIT_NOT_FOUND, "not found: no such workload, project, department, node or context"},
    {AL__EXIT_CONFLICT, "conflict: the name is taken, or the object's state does not allow it\n"
                        "(HTTP 409)"},
    {AL__EXIT_DENIED, "not authorized: no token, or a token without the right (HTTP 401/403)"},
    {AL__EXIT_UNAVAILABLE, "allotd cannot be reached, or failed (HTTP 5xx)"},
};
const size_t al__cli_exit_doc_count = COUNT(al__cli_exit_docs);

const struct al__cli_noun al__cli_noun_table[] = {
    {"workload", "submit, list, describe, logs, exec, attach, suspend, delete..."},
    {"project", "create, list, describe, update, delete"},
    {"department", "create, list, describe, update, delete"},
    {"node", "list, describe"},
    {"topology", "list"},
    {"pool", "list, describe: node pools, their capacity, quotas and allocation"},
    {"top", "per project: deserved GPUs, fair share, allocated, pending"},
    {"events", "changes of workloads and projects, as they happen with -f"},
    {"snapshot", "the live state as a snapshot file; convert a KAI Scheduler snapshot"},
    {"audit", "list, verify: every change made through the API"},
    {"report", "consumption: GPU-hours and cost per project, department, workload"},
    {"replay", "run one scheduling cycle on snapshot files (offline)"},
    {"sim", "openb, philly, dlrm: replay a trace (offline)"},
    {"login", "sign in (password, app secret, or token) and save it as a context"},
    {"logout", "revoke this session's tokens and forget them"},
    {"whoami", "who the token is and the roles it holds"},
    {"user", "create, list, update, delete: local users and their passwords"},
    {"group", "create, list, delete: groups that access rules name"},
    {"app", "create, list, delete: applications (client id and secret, for CI)"},
    {"access-rule", "create, list, delete: who holds which role in which scope"},
    {"config", "contexts: which allotd, token and default project to use"},
    {"completion", "the shell completion script (bash or zsh)"},
    {"gpu-reservation", "report: what a GPU reservation pod runs on Kubernetes"},
};
const size_t al__cli_noun_count = COUNT(al__cli_noun_table);

#define PROJECT_OPT(what)                                                                          \
    { "-p", "--project", "P", what " (default: the context's project)", "@project" }
#define WORKLOAD_PROJECT_OPT                                                                       \
    {                                                                                              \
        "-p", "--project", "P",                                                                    \
            "the workload's project (needed when several\nprojects have a workload of that name; " \
            "default:\nthe context's project)",                                                    \
            "@project"                                                                             \
    }

static const struct al__cli_opt submit_options[] = {
    PROJECT_OPT("the project"),
    {NULL, "--gpu", "N", "whole GPUs per task", NULL},
    {NULL, "--gpu-portion", "F", "a fraction of one GPU per task, 0 < F < 1", NULL},
    {NULL, "--gpu-memory", "M", "GPU memory per task: 20GiB, 512MiB (a bare\nnumber is MiB)", NULL},
    {NULL, "--gpu-portion-request", "F", "the portion guaranteed (= --gpu-portion)", NULL},
    {NULL, "--gpu-portion-limit", "F",
     "the portion a task may grow to while the device\nhas room, F <= 1 (dynamic fractions)", NULL},
    {NULL, "--gpu-memory-request", "M", "the GPU memory guaranteed (= --gpu-memory)", NULL},
    {NULL, "--gpu-memory-limit", "M",
     "the GPU memory a task may grow to while the\ndevice has room (dynamic fractions)", NULL},
    {NULL, "--gpu-devices", "N", "devices a portion or GPU memory request spans\n(default 1)",
     NULL},
    {NULL, "--cpu", "C", "CPU cores per task: 1.5, or 500m", NULL},
    {NULL, "--memory", "M", "memory per task: 16GiB, 512M (a bare number is\nbytes)", NULL},
    {NULL, "--kind", "K",
     "training (default: batch, preemptible),\nworkspace (interactive, under a terminal "
     "to\nattach to; not preemptible) or inference (never\npreemptible)",
     "training workspace inference"},
    {NULL, "--priority", "P",
     "train, build-preemptible, build, inference, or\nan integer >= 0 (default: the "
     "kind's: train,\nbuild, inference)",
     "train build-preemptible build inference"},
    {NULL, "--preemptible", NULL,
     "may be preempted (default for training, and when\nthe priority is below 100; "
     "a workspace asking\nit gets build-preemptible)",
     NULL},
    {NULL, "--non-preemptible", NULL, "may not be preempted", NULL},
    {NULL, "--preemption-policy", "P",
     "Never: it evicts nothing to start, it waits for\nfree capacity (Kubernetes' PriorityClass "
     "field);\nPreemptLowerPriority (the default)",
     "Never PreemptLowerPriority"},
    {NULL, "--semi-preemptible", NULL,
     "its first --min-members workers may not be\npreempted and must fit in deserved quota; "
     "the\nworkers beyond are preemptible and may use\nover-quota capacity",
     NULL},
    {NULL, "--no-enforce", NULL,
     "run a portion or GPU memory request without\nliballot-cuda.so: its limits are not "
     "enforced\n(default: enforced on the local backend)",
     NULL},
    {NULL, "--workers", "N", "tasks to run (default 1)", NULL},
    {NULL, "--min-members", "M", "tasks that must run together (default: all\nworkers)", NULL},
    {NULL, "--required-topology-level", "LEVEL",
     "run every task in one domain of this level of\nthe topology (a node label key: rack, "
     "zone...:\nallot topology list)",
     NULL},
    {NULL, "--preferred-topology-level", "LEVEL",
     "try one domain of this level first (at or below\nthe required one), then wider", NULL},
    {NULL, "--topology", "NAME", "the topology the levels are of (when there\nare several)", NULL},
    {NULL, "--subgroup", "SPEC",
     "a subgroup, NAME:WORKERS[:MIN][,required=LEVEL]\n[,preferred=LEVEL] (repeatable): the "
     "next\nWORKERS tasks, at least MIN of them together\n(default all), in one domain of the "
     "level;\n--workers and --min-members, when given, must\nbe their sums",
     NULL},
    {"-e", "--env", "K=V", "an environment variable (repeatable); wins over\nan exported one",
     NULL},
    {"-l", "--label", "K=V",
     "a label to select it by (repeatable; list and\ndelete take -l "
     "SELECTOR)",
     NULL},
    {NULL, "--export", "WHAT",
     "what of your environment the tasks get, as\nSlurm's: ALL (the default), NONE (only -e and\n"
     "a base: PATH, HOME...), or NAME[,NAME...];\nNAME=VALUE items set a variable, as -e",
     "ALL NONE"},
    {NULL, "--mig", "PROFILE[=N]",
     "N MIG instances of PROFILE (1g.10gb, 3g.40gb) per\ntask instead of GPUs (default N 1); "
     "repeat for\nseveral profiles (up to 8)",
     NULL},
    {NULL, "--node-pool", "NAME",
     "run in node pool NAME (default: the default pool,\nthe nodes with no pool)", NULL},
    {NULL, "--workdir", "DIR",
     "where the tasks start (default: the current\ndirectory); it must exist where they run",
     "@dir"},
    {NULL, "--time-limit", "T",
     "stop it, failed, once a run lasts T: minutes,\nMM:SS, HH:MM:SS, D-HH, D-HH:MM, "
     "D-HH:MM:SS,\nor 30s, 2h, 1h30m",
     NULL},
    {NULL, "--image", "IMAGE",
     "the container image (allotd on Kubernetes: the\ntasks are the "
     "pods of a batch Job in the\nproject's namespace; its environment and\n"
     "directory: --export and --workdir default to\nnone)",
     NULL},
    {NULL, "--queue-anyway", NULL,
     "queue it even when no node could ever hold one\ntask (e.g. for nodes yet to join)", NULL},
};

static const struct al__cli_opt list_workload_options[] = {
    PROJECT_OPT("only project P's workloads"),
    {"-A", "--all-projects", NULL,
     "every project's workloads (the default without\na context "
     "project)",
     NULL},
    {"-l", "--selector", "SEL",
     "only those whose labels match: K=V, K!=V, K\nor !K, "
     "comma-separated",
     NULL},
    {NULL, "--state", "STATE",
     "only workloads in STATE: pending, running,\nsuspended, succeeded, failed "
     "or deleting",
     "pending running suspended succeeded failed deleting"},
    {"-w", "--watch", NULL, "print the table again whenever it changes, until\ninterrupted", NULL},
};

static const struct al__cli_opt describe_workload_options[] = {WORKLOAD_PROJECT_OPT};

static const struct al__cli_opt logs_options[] = {
    WORKLOAD_PROJECT_OPT,
    {NULL, "--task", "K", "the task (worker) index (default 0)", NULL},
    {"-f", "--follow", NULL,
     "keep printing as the task writes, until it ends;\na dropped "
     "connection is resumed where it\nstopped (for up to 30 s)",
     NULL},
    {NULL, "--tail", "N", "only its last N lines (with -f: then what\ncomes)", NULL},
    {NULL, "--since", "WHEN",
     "only what it wrote since WHEN: a duration ago\n(10m, 1h30m) or a time "
     "(2026-11-30T18:02:11Z)",
     NULL},
};

static const struct al__cli_opt suspend_options[] = {WORKLOAD_PROJECT_OPT};

static const struct al__cli_opt attach_options[] = {
    WORKLOAD_PROJECT_OPT,
    {NULL, "--task", "K", "the task (worker) index (default 0)", NULL},
};

static const struct al__cli_opt exec_options[] = {
    WORKLOAD_PROJECT_OPT,
    {NULL, "--task", "K", "the task (worker) index (default 0)", NULL},
    {"-t", "--tty", NULL, "run it under a terminal (default when stdin and\nstdout are one)", NULL},
    {"-T", "--no-tty", NULL, "no terminal: stdin, stdout and stderr apart", NULL},
};

static const struct al__cli_opt port_forward_options[] = {
    WORKLOAD_PROJECT_OPT,
    {NULL, "--task", "K", "the task (worker) index (default 0)", NULL},
    {NULL, "--address", "ADDR", "the local address to listen on (default\n127.0.0.1)", NULL},
};

static const struct al__cli_opt delete_workload_options[] = {
    WORKLOAD_PROJECT_OPT,
    {"-A", "--all-projects", NULL, "with --all or --state: in every project", NULL},
    {NULL, "--all", NULL, "every workload of the project (-p) or of all\n(-A)", NULL},
    {"-l", "--selector", "SEL",
     "those whose labels match: K=V, K!=V, K or !K,\n"
     "comma-separated",
     NULL},
    {NULL, "--state", "STATE", "those in STATE: pending, running, suspended,\nsucceeded or failed",
     "pending running suspended succeeded failed"},
    {NULL, "--wait", NULL, "return only once they are gone", NULL},
    {NULL, "--timeout", "S", "how long --wait waits in all (default 60\nseconds)", NULL},
};

/* project and department create/update; --department and --no-department for projects only */
#define QUEUE_OPTIONS                                                                              \
    {NULL, "--priority", "P", "queue priority, an integer (default 100)", NULL},                   \
        {NULL, "--gpu-deserved", "N",                                                              \
         "guaranteed GPUs, e.g. 2 or 0.5 (default 0; a\nguarantee is never unlimited)", NULL},     \
        {NULL, "--cpu-deserved", "C",                                                              \
         "guaranteed CPU cores: 4, 500m ('unlimited', the\ndefault: CPU not under quota)", NULL},  \
        {NULL, "--memory-deserved", "M",                                                           \
         "guaranteed memory: 64GiB ('unlimited', the\ndefault: memory not under quota)", NULL},    \
        {NULL, "--gpu-limit", "N", "at most N GPUs ('unlimited' or -1: no bound, the\ndefault)",   \
         NULL},                                                                                    \
        {NULL, "--cpu-limit", "C", "at most C CPU cores", NULL},                                   \
        {NULL, "--memory-limit", "M", "at most M memory", NULL},                                   \
        {NULL, "--gpu-weight", "W", "share of unused GPUs beyond the deserved\n(default 1)",       \
         NULL},                                                                                    \
        {NULL, "--cpu-weight", "W", "the same for CPU", NULL},                                     \
        {NULL, "--memory-weight", "W", "the same for memory", NULL},                               \
        {NULL, "--preempt-min-runtime", "D",                                                       \
         "a job that started less than D ago is not\npreempted: 90, 30s, 10m, 2h; 'inherit' "      \
         "(the\ndefault) takes the department's",                                                  \
         NULL},                                                                                    \
        {NULL, "--reclaim-min-runtime", "D", "the same for reclaim", NULL},                        \
        {NULL, "--pool", "NAME",                                                                   \
         "the deserved, limit and weight options after it\nset the quota in node pool NAME "       \
         "(unset\nones: the queue's own)",                                                         \
         NULL},                                                                                    \
    {                                                                                              \
        NULL, "--no-pool", "NAME", "remove the quota in node pool NAME", NULL                      \
    }

static const struct al__cli_opt project_write_options[] = {
    {NULL, "--department", "D", "the department it belongs to ('' for none)", "@department"},
    {NULL, "--no-department", NULL, "belong to no department (top level)", NULL},
    QUEUE_OPTIONS,
};

static const struct al__cli_opt department_write_options[] = {QUEUE_OPTIONS};

static const struct al__cli_opt project_delete_options[] = {
    {NULL, "--force", NULL, "stop and delete its live workloads too", NULL},
};

static const struct al__cli_opt watch_options[] = {
    {"-w", "--watch", NULL, "print it again whenever it changes, until\ninterrupted", NULL},
};

static const struct al__cli_opt events_options[] = {
    {"-f", "--follow", NULL, "then print each change as it happens, until\ninterrupted", NULL},
    {"-p", "--project", "PROJECT", "only this project's workloads and the project", "@project"},
    {NULL, "--kind", "KIND", "only workload or queue (project, department) events",
     "workload queue"},
    {NULL, "--limit", "N", "recent events to print first (default 100; 10\nwith -f)", NULL},
};

static const struct al__cli_opt audit_list_options[] = {
    {NULL, "--since", "WHEN",
     "only rows since WHEN: a duration ago (10m, 1h30m)\nor a time (2026-11-30T18:02:11Z)", NULL},
    {NULL, "--subject", "S", "only changes made by S (token:admin; unknown for\nrefused logins)",
     NULL},
    {"-p", "--project", "P", "only changes to project P and its workloads", "@project"},
};

static const struct al__cli_opt report_options[] = {
    {NULL, "--from", "WHEN",
     "the window's start: a date (2026-11-01, UTC\nmidnight), a time (2026-11-01T08:00:00Z) "
     "or a\nduration ago (30d); required",
     NULL},
    {NULL, "--to", "WHEN", "the window's end, written the same way\n(default: now)", NULL},
    {"-g", "--group-by", "G", "project (default), department or workload",
     "project department workload"},
    {"-o", "--output", "FORMAT",
     "text (default), csv (a header line, then RFC\n4180 rows), json or yaml",
     "text csv json yaml"},
};

static const struct al__cli_opt snapshot_options[] = {
    {"-o", "--output", "FILE", "write it to FILE (default: standard output)", "@file"},
};

static const struct al__cli_opt convert_options[] = {
    {NULL, "--kai", "FILE", "the KAI Scheduler snapshot (required)", "@file"},
};

/* The options of both `allot sim` forms (sim_timed.c): output, and how allotd is run. */
#define SIM_OUTPUT_OPTIONS                                                                         \
    {NULL, "--json", NULL, "the result as JSON, with the utilisation series", NULL},               \
        {NULL, "--csv", NULL, "the utilisation time series as CSV", NULL},                         \
        {NULL, "--plot", "FILE", "GPU utilisation over time as an SVG chart", "@file"},            \
        {NULL, "--no-skip", NULL,                                                                  \
         "run a cycle every simulated second (slow; the\nresult is the "                           \
         "same)",                                                                                  \
         NULL},                                                                                    \
    {                                                                                              \
        NULL, "--allotd", "PATH", "the allotd program (default: next to allot,\nelse on PATH)",    \
            "@file"                                                                                \
    }

/* `allot sim philly` (sim_timed.c). */
static const struct al__cli_opt sim_philly_options[] = {
    {NULL, "--jobs", "FILE", "the trace's jobs (philly_jobs.csv; required)", "@file"},
    {NULL, "--vcs", "FILE",
     "its virtual clusters (philly_vc_nodes.csv):\nprojects, and the "
     "nodes unless --nodes",
     "@file"},
    {NULL, "--nodes", "FILE",
     "a node list as the inventory instead (the spot\ntrace's "
     "node_info_df.csv, or openb's)",
     "@file"},
    {NULL, "--from", "DATE", "only jobs arriving from DATE (YYYY-MM-DD, UTC)", NULL},
    {NULL, "--days", "N", "... and within N days of it", NULL},
    {NULL, "--gpus-per-node", "N", "GPUs of each VC node (default 8)", NULL},
    {NULL, "--time-limits", "KIND",
     "none (default) or hours: each job's time limit is\nits duration rounded up to the next "
     "hour",
     "none hours"},
    {NULL, "--reservation-min-gpus", "N",
     "reservations for gangs of N GPUs and more\n(allotd's option; default 0: off)", NULL},
    {NULL, "--reservation-wait", "S", "... after waiting S seconds (default 300)", NULL},
    SIM_OUTPUT_OPTIONS,
};

/* `allot sim dlrm` (sim_timed.c). */
static const struct al__cli_opt sim_dlrm_options[] = {
    {NULL, "--instances", "FILE",
     "the trace's instances (disaggregated_DLRM_trace\n.csv, or the .xz it is stored as; "
     "required)",
     "@file"},
    {NULL, "--nodes", "FILE",
     "the node list (the spot trace's node_info_df.csv\nor openb's; "
     "required)",
     "@file"},
    SIM_OUTPUT_OPTIONS,
};

static const struct al__cli_opt replay_options[] = {
    {NULL, "--check", NULL,
     "compare with the file's `expect` section:\nPASS/FAIL per file, then "
     "a summary; exit status 0\nonly when every file passed",
     NULL},
    {NULL, "--json", NULL, "print JSON instead (an array when there are\nseveral files)", NULL},
    {NULL, "--kai", NULL,
     "the files are KAI Scheduler snapshots (the zip\nits snapshot plugin "
     "serves at /get-snapshot, or\nits snapshot.json)",
     NULL},
};

static const struct al__cli_opt sim_openb_options[] = {
    {NULL, "--nodes", "FILE", "the node list (openb_node_list_gpu_node.csv;\nrequired)", "@file"},
    {NULL, "--pods", "FILE", "the pod list (openb_pod_list_*.csv; required)", "@file"},
    {NULL, "--inflate", "RATIO",
     "re-sample pods until their GPU request is RATIO\nof the cluster's GPUs (default 1.3; 0: "
     "the list\nas it is)",
     NULL},
    {NULL, "--seed", "N", "the shuffle, re-samples and ties (default 42)", NULL},
    {NULL, "--seeds", "A-B", "run seeds A to B: each one's final figures and\nthe medians", NULL},
    {NULL, "--policy", "P[,P...]",
     "allot (default: allot's engine, as allotd\nplaces), binpack (the engine as KAI), "
     "random,\ndotprod, packing, bestfit or fgd; several:\ncompared (tables, --plot)",
     "allot binpack random dotprod packing bestfit fgd"},
    {NULL, "--json", NULL, "print JSON: final_allocation_rate, the series...", NULL},
    {NULL, "--csv", NULL,
     "print the series as CSV, one row per arrived\npercent (arrived_pct,allocation_pct,...)",
     NULL},
    {NULL, "--plot", "FILE",
     "draw one seed's allocation and fragmentation\nseries of each policy as an SVG file", "@file"},
};

static const struct al__cli_opt login_options[] = {
    {NULL, "--server", "URL",
     "allotd's address (required unless --state-dir\nnames a local "
     "allotd)",
     NULL},
    {NULL, "--token-file", "FILE", "read the token from FILE ('-': standard input)", "@file"},
    {NULL, "--token", "TOKEN",
     "the token itself (it ends up in shell history:\nprefer "
     "--token-file)",
     NULL},
    {NULL, "--state-dir", "DIR",
     "a local allotd's state directory: its address\nand admin "
     "token",
     "@dir"},
    {NULL, "--context", "NAME", "the context's name (default: the server's host)", NULL},
    PROJECT_OPT("the context's default project"),
    {NULL, "--user", "NAME", "sign in as user NAME with a password (asked for\non the terminal)",
     NULL},
    {NULL, "--password-stdin", NULL, "read the password from standard input", NULL},
    {NULL, "--password-file", "FILE", "read the password from FILE", "@file"},
    {NULL, "--client-id", "ID", "sign in as application ID (client credentials)", NULL},
    {NULL, "--sso", NULL, "sign in through allotd's identity provider (in a\nbrowser, anywhere)",
     NULL},
    {NULL, "--client-secret-file", "FILE", "the application's client secret ('-': standard\ninput)",
     "@file"},
    {NULL, "--ca-file", "FILE",
     "an https:// server's certificate must chain to\nthese CAs (PEM; kept by path in the "
     "context)",
     "@file"},
    {NULL, "--tls-fingerprint", "SHA256",
     "or be the one with this SHA-256 fingerprint\n(AA:BB:..., as allotd prints it; kept in "
     "the\ncontext)",
     NULL},
};

#define PASSWORD_OPTIONS                                                                           \
    {NULL, "--password-stdin", NULL, "read the password from standard input", NULL},               \
        {NULL, "--password-file", "FILE", "read the password from FILE", "@file"},                 \
        {NULL, "--email", "ADDRESS", "the user's e-mail address", NULL},                           \
        {NULL, "--unix-user", "ACCOUNT",                                                           \
         "the Unix account their tasks run as where\nallotd runs as root", NULL},                  \
    {                                                                                              \
        NULL, "--group", "GROUP", "a group they are in (repeat for several; replaces\nthe list)",  \
            NULL                                                                                   \
    }

static const struct al__cli_opt user_create_options[] = {
    PASSWORD_OPTIONS,
    {NULL, "--generate-password", NULL, "make a random password and print it once", NULL},
};

static const struct al__cli_opt user_update_options[] = {
    PASSWORD_OPTIONS,
    {NULL, "--no-unix-user", NULL, "their tasks run as the dedicated task account", NULL},
    {NULL, "--unlock", NULL, "unlock an account locked after failed sign-ins", NULL},
};

static const struct al__cli_opt rule_create_options[] = {
    {NULL, "--subject", "SUBJECT", "user:NAME, group:NAME or app:NAME", NULL},
    {NULL, "--role", "ROLE",
     "system-admin, department-admin, research-manager,\nl1-researcher, l2-researcher or viewer",
     "system-admin department-admin research-manager l1-researcher l2-researcher viewer"},
    {NULL, "--scope", "SCOPE", "system, department:NAME or project:NAME", NULL},
};

static const struct al__cli_opt rule_list_options[] = {
    {NULL, "--subject", "SUBJECT", "only the rules of SUBJECT (user:NAME...)", NULL},
};

static const struct al__cli_opt reservation_options[] = {
    {NULL, "--kubeconfig", "FILE", "credentials (default: the pod's service account)", "@file"},
    {NULL, "--once", NULL, "write the annotation and exit", NULL},
};

#define API_OUT (AL__CLI_API | AL__CLI_OUTPUT)

const struct al__cli_command al__cli_command_table[] = {
    {"workload", "submit", "NAME -p PROJECT [options] -- COMMAND [ARGS...]",
     "submit a command to run with GPUs in a project",
     "Submits COMMAND to run in PROJECT from the current directory. NAME must not be\n"
     "taken by another workload of the project (exit status 4). A request that no node\n"
     "could ever hold (more GPUs, GPU memory, CPU or memory per task than any one node\n"
     "has) is refused, saying what the largest node has (exit status 2), unless\n"
     "--queue-anyway is given. --kind workspace runs it under a terminal that `allot\n"
     "workload attach` connects to.",
     OPTS(submit_options), NULL, al__cmd_workload_submit, API_OUT},
    {"workload", "list", "[-p PROJECT | -A] [--state STATE] [-l SEL] [-w]",
     "workloads: state, GPUs, placement, age, pending reason",
     "Lists workloads, oldest first: NAME, PROJECT, STATE (\"2/4 running\" while only\n"
     "some tasks run), RESTARTS (times its tasks were stopped and requeued), GPUS (per\n"
     "task; \"2x0.5\" is half of each of 2 GPUs, \"4x1\" is 4 workers of 1 GPU),\n"
     "NODE/DEVICES (node:GPU indices), AGE and REASON, a short code for why it waits\n"
     "(QuotaLimit, FairShare, Gang, NoFit, Priority, MinRuntime, ...; `describe` gives\n"
     "the full sentence). -o wide adds KIND, PRIORITY and the request per task.",
     OPTS(list_workload_options), NULL, al__cmd_workload_list, API_OUT},
    {"workload", "describe", "NAME [-p PROJECT]",
     "one workload: request, placement, reason, events",
     "Shows a workload: its request, command, times, where its tasks run, why it is\n"
     "pending and its place in its project's queue, and its events. -o json gives the\n"
     "workload object with its events in an \"events\" member.",
     OPTS(describe_workload_options), "@workload", al__cmd_workload_describe, API_OUT},
    {"workload", "logs", "NAME [-p PROJECT] [--task K] [-f] [--tail N] [--since WHEN]",
     "a task's output (-f to follow it)",
     "Prints a task's combined standard output and error: every run of it, a line\n"
     "marking where each run after the first began and why the one before stopped\n"
     "(\"----- allot: run 2 of task 0 started ... (after: suspended) -----\"). -o json\n"
     "or yaml gives it as one document: name, project, task and log.",
     OPTS(logs_options), "@workload", al__cmd_workload_logs, API_OUT},
    {"workload", "suspend", "NAME [-p PROJECT]", "stop its tasks and keep it from running",
     "Suspends a pending or running workload: its running tasks are stopped (SIGTERM,\n"
     "then SIGKILL after a grace period) and their GPUs freed, and it is not scheduled\n"
     "until resumed; it stays suspended across a restart of allotd. Its tasks start\n"
     "from the beginning when it runs again (a restart). A finished workload cannot\n"
     "be suspended (exit status 4).",
     OPTS(suspend_options), "@workload", al__cmd_workload_suspend, API_OUT},
    {"workload", "resume", "NAME [-p PROJECT]", "let a suspended workload be scheduled again",
     "Makes a suspended workload pending again, to be scheduled like any other; one\n"
     "that is not suspended is refused (exit status 4).",
     OPTS(suspend_options), "@workload", al__cmd_workload_resume, API_OUT},
    {"workload", "attach", "NAME [-p PROJECT] [--task K]",
     "this terminal on a workspace's terminal (^P ^Q detaches)",
     "Connects this terminal to the terminal a workspace's task runs under, through\n"
     "allotd: it shows what the task last showed, then what it writes, and what you\n"
     "type reaches it. ^P ^Q detaches (the task keeps running); when the task ends,\n"
     "attach exits with its exit code. Only a workspace has a terminal (exit status\n"
     "4 for other kinds, and for a task that is not running).",
     OPTS(attach_options), "@workload", al__cmd_workload_attach, AL__CLI_API},
    {"workload", "exec", "NAME [-p PROJECT] [--task K] [-t|-T] -- COMMAND [ARGS...]",
     "run a command in a running task's environment",
     "Runs COMMAND in a running task's environment, through allotd: its environment\n"
     "variables (CUDA_VISIBLE_DEVICES too), its working directory and PATH. It runs\n"
     "under a terminal of its own when stdin and stdout are one (or with -t), else\n"
     "with stdin, stdout and stderr apart. Exits with COMMAND's exit status.",
     OPTS(exec_options), "@workload", al__cmd_workload_exec, AL__CLI_API},
    {"workload", "port-forward", "NAME [LOCAL:]REMOTE [-p PROJECT] [--task K] [--address A]",
     "a local port to a port a running task listens on",
     "Listens on local port LOCAL (default REMOTE; 0 or empty: any free one) and\n"
     "forwards each connection to port REMOTE of a running task, through allotd,\n"
     "until interrupted. allotd reaches only a port one of the task's own processes\n"
     "listens on.",
     OPTS(port_forward_options), "@workload", al__cmd_workload_port_forward, AL__CLI_API},
    {"workload", "delete",
     "NAME... [-p PROJECT] | (--all | --state STATE | -l SEL) (-p PROJECT | -A) [--wait]",
     "stop workloads and remove them",
     "Stops workloads' tasks (SIGTERM, then SIGKILL after a grace period) and removes\n"
     "them once they have exited: those named, or all of a project's (--all), or\n"
     "those in a state (--state) or with labels (-l; with --state: both). A workload\n"
     "that is gone already is no error then; a NAME that does not exist is (exit\n"
     "status 3).",
     OPTS(delete_workload_options), "@workload", al__cmd_workload_delete, API_OUT},

    {"project", "create", "NAME [options]", "create one, with quotas, limits, weights, priority",
     "Creates a project: a queue that holds workloads, with its deserved quota, limits\n"
     "and over-quota weights per resource. Quotas that contradict each other (deserved\n"
     "above the limit) or the department's (its projects deserving more than it) are\n"
     "refused with the numbers (exit status 2).",
     OPTS(project_write_options), NULL, al__cmd_queue_create, API_OUT},
    {"project", "list", "[-w]", "quotas, limits, weights, allocation and fair share",
     "Lists projects with their GPU figures: deserved quota, limit, over-quota weight,\n"
     "allocated now and fair share in the last scheduling cycle.",
     OPTS(watch_options), NULL, al__cmd_queue_list, API_OUT},
    {"project", "describe", "NAME", "every field and the status of the last cycle",
     "Shows a project: priority, min runtimes, deserved quota, limits and weights per\n"
     "resource, and the status of the last scheduling cycle (fair share, allocated,\n"
     "requested, pending). Usage: its recent usage as a share of the cluster (time-based\n"
     "fair share, allotd's --usage-*) and what it did to the GPU fair share.",
     NULL, 0, "@project", al__cmd_queue_describe, API_OUT},
    {"project", "update", "NAME [options]", "change some fields",
     "Changes the given fields of a project and leaves the others.", OPTS(project_write_options),
     "@project", al__cmd_queue_update, API_OUT},
    {"project", "delete", "NAME [--force]", "delete one",
     "Deletes a project; its finished workloads go with it. allotd refuses while it\n"
     "has live (pending or running) workloads (exit status 4), unless --force: then\n"
     "they are stopped (SIGTERM, then SIGKILL after a grace period) and deleted, and\n"
     "the project goes once they have exited.",
     OPTS(project_delete_options), "@project", al__cmd_queue_delete, API_OUT},

    {"department", "create", "NAME [options]", "create one, with quotas, limits, weights",
     "Creates a department: a group of projects, with its deserved quota, limits and\n"
     "over-quota weights per resource, shared by its projects: together they may not\n"
     "deserve more than it (exit status 2 for quotas that contradict).",
     OPTS(department_write_options), NULL, al__cmd_queue_create, API_OUT},
    {"department", "list", "[-w]", "quotas, limits, weights, allocation and fair share",
     "Lists departments with their GPU figures: deserved quota, limit, over-quota\n"
     "weight, allocated now and fair share in the last scheduling cycle.",
     OPTS(watch_options), NULL, al__cmd_queue_list, API_OUT},
    {"department", "describe", "NAME", "every field and the status of the last cycle",
     "Shows a department: priority, min runtimes, deserved quota, limits and weights\n"
     "per resource, the status of the last scheduling cycle, and its subtree's recent\n"
     "usage (time-based fair share).",
     NULL, 0, "@department", al__cmd_queue_describe, API_OUT},
    {"department", "update", "NAME [options]", "change some fields",
     "Changes the given fields of a department and leaves the others.",
     OPTS(department_write_options), "@department", al__cmd_queue_update, API_OUT},
    {"department", "delete", "NAME", "delete one",
     "Deletes a department. allotd refuses while projects belong to it (exit status 4):\n"
     "move or delete them first.",
     NULL, 0, "@department", al__cmd_queue_delete, API_OUT},

    {"node", "list", "[-w]", "nodes: GPUs, their allocation, CPU and memory",
     "Lists nodes: GPUS (count x model and memory), GPU ALLOCATED (GPUs given to tasks,\n"
     "fractions counted as given: 2.5 is two whole GPUs and half of a third / GPUs),\n"
     "DEVICES IN USE (devices holding at least one task / devices), and CPU cores and\n"
     "MEMORY (allocated / capacity); where some node offers MIG instances, MIG IN USE\n"
     "(per profile: held / offered; GPU ALLOCATED counts an instance of <G>g as G GPUs).\n"
     "These are the figures of the API's nodes.",
     OPTS(watch_options), NULL, al__cmd_node_list, API_OUT},
    {"node", "describe", "NAME", "its devices and MIG instances, and what tasks hold",
     "Shows a node: its pool, GPUs allocated (a MIG instance of <G>g.<M>gb counted as G),\n"
     "CPU and memory allocated of its capacity, each device (model, memory, the part\n"
     "allocated, the workloads on it) and each MIG profile it offers (OFFERED, IN USE,\n"
     "FREE).",
     NULL, 0, NULL, al__cmd_node_describe, API_OUT},
    {"topology", "list", "", "topologies: the levels of the nodes' labels",
     "Lists the topologies the nodes' labels describe (KAI's Topology resources on\n"
     "Kubernetes, allotd's --topology on the local backend): NAME and LEVELS, outermost\n"
     "first. A workload's --required-topology-level and --preferred-topology-level name\n"
     "a level; --topology names the topology when there are several.",
     NULL, 0, NULL, al__cmd_topology_list, API_OUT},
    {"pool", "list", "[-w]", "node pools: nodes, GPUs allocated, CPU and memory",
     "Lists node pools: the pools the nodes form (\"default\" is the nodes with no pool),\n"
     "with NODES, GPU ALLOCATED (GPUs given to tasks there / GPUs), CPU cores and MEMORY.\n"
     "A workload runs in one pool (workload submit --node-pool), a project may have a\n"
     "quota per pool (project create/update --pool).",
     OPTS(watch_options), NULL, al__cmd_pool_list, API_OUT},
    {"pool", "describe", "NAME", "its capacity, and per project the quota and allocation there",
     "Shows a node pool: nodes, GPUs and what is allocated, and per project its GPU quota\n"
     "in the pool (its pool entry, else its own), its limit and the GPUs it holds there.",
     NULL, 0, NULL, al__cmd_pool_describe, API_OUT},
    {"top", NULL, "[-w]", "per project: deserved GPUs, fair share, allocated, pending",
     "Shows per project, grouped by department: GPUs DESERVED, FAIR SHARE in the last\n"
     "scheduling cycle, ALLOCATED (GPUs given to running tasks) and PENDING (GPUs that\n"
     "pending tasks ask for, a GPU-memory request counted as a share of the largest\n"
     "device, as quotas count it); then the totals and the cluster's GPUs. The figures\n"
     "are the API's projects' status: its `requested` is ALLOCATED + PENDING, capped by\n"
     "the project's limit. Where allotd runs time-based fair share (--usage-k above 0),\n"
     "each project's recent usage follows, with what it did to its GPU fair share\n"
     "(\"over-quota GPUs lowered from 3 to 1 (fair share 5 -> 3)\").",
     OPTS(watch_options), NULL, al__cmd_top, API_OUT},
    {"events", NULL, "[-f] [-p PROJECT] [--kind workload|queue] [--limit N]",
     "changes of workloads and queues, as they happen with -f",
     "Prints allotd's recent changes, oldest first, one line each: a workload submitted,\n"
     "its state changed (with the state it left) or its pending reason, deleted; a\n"
     "project or department created, updated or deleted. Only what the token may read.\n"
     "With -f, then each change as it happens, until interrupted (a broken connection is\n"
     "opened again after the last event printed, nothing lost while allotd keeps it).\n"
     "-o json prints each event as one JSON object a line (docs/api.md, \"Events\").",
     OPTS(events_options), NULL, al__cmd_events, API_OUT},

    {"audit", "list", "[--since WHEN] [--subject S] [-p PROJECT]",
     "the audit log: who changed what, when, from where",
     "Lists the audit log, oldest first: every change made through the API (SEQ, TIME,\n"
     "SUBJECT: who, SOURCE: the client's address, VERB, RESOURCE and OUTCOME) and the\n"
     "logins refused for their token (subject unknown, repeats from one address\n"
     "counted in one row a minute). -o json|yaml shows each row whole: the object\n"
     "before and after the change (environment variable values redacted) and the\n"
     "row's hash.",
     OPTS(audit_list_options), NULL, al__cmd_audit_list, API_OUT},
    {"audit", "verify", "", "check the audit log's hash chain",
     "Has allotd walk the audit log's hash chain: each row's hash covers its content\n"
     "and the hash of the row before it. Exit status 0 when it holds; 1, naming the\n"
     "first row that does not match (changed, or a row before it removed), when not.",
     NULL, 0, NULL, al__cmd_audit_verify, API_OUT},

    {"report", "consumption", "--from WHEN [--to WHEN] [-g project|department|workload] [-o csv]",
     "GPU-hours, CPU, memory and cost per project, department or workload",
     "Sums what task runs held in the window [FROM, TO), each run cut at the window's\n"
     "edges (a run still going counts up to now): GPU-hours (a GPU portion counted as\n"
     "its part of a GPU, a GPU-memory request as its share of the device's memory),\n"
     "CPU core-hours and memory GiB-hours, idle GPU-hours where utilisation is known\n"
     "(- where not), and the cost where allotd was given a price per GPU-hour for the\n"
     "GPU model (allotd --gpu-price MODEL=PRICE; the currency is the operator's).\n"
     "Rows are those of the projects you may read. -o csv writes the API's fields,\n"
     "in seconds, for a spreadsheet.",
     OPTS(report_options), NULL, al__cmd_report_consumption, AL__CLI_API},

    {"snapshot", NULL, "[-o FILE]", "save the live state as a snapshot file",
     "Saves the live state of allotd (queues, workloads, nodes) as an allot snapshot:\n"
     "the input of `allot replay`, to reproduce a scheduling decision offline.",
     OPTS(snapshot_options), NULL, al__cmd_snapshot_save, AL__CLI_API},
    {"snapshot", "convert", "--kai FILE", "a KAI Scheduler snapshot as allot's (offline)",
     "Prints the KAI Scheduler snapshot FILE (the zip its snapshot plugin serves at\n"
     "/get-snapshot, or its snapshot.json) as an allot snapshot document: the input\n"
     "of `allot replay`. Objects it cannot use are named on stderr.",
     OPTS(convert_options), NULL, al__cmd_snapshot_convert, 0},
    {"replay", NULL, "[--check] [--json] [--kai] FILE...  (- = standard input)",
     "run one scheduling cycle on snapshot files offline",
     "Runs one scheduling cycle on each snapshot FILE and prints the decisions, why\n"
     "jobs stay pending and the queues' fair shares.",
     OPTS(replay_options), "@file", al__cmd_replay, 0},
    {"sim", "openb",
     "--nodes FILE --pods FILE [--policy P[,P...]] [--seed N | --seeds A-B]\n"
     "[--json|--csv] [--plot FILE.svg]",
     "replay the openb trace as the FGD paper does (offline)",
     "Places the pods of an Alibaba openb pod list one at a time, in an order shuffled\n"
     "with the seed, on the nodes of a node list, and never deletes them; the workload\n"
     "is first inflated with random re-samples until its GPU request is --inflate\n"
     "times the cluster's GPUs. Prints the GPU allocation rate and the fragmentation\n"
     "(the FGD paper's measure) at each arrived-workload level, as percentages of the\n"
     "cluster's GPUs. --seeds A-B prints each seed's final figures and their medians.\n"
     "docs/simulation.md defines the measures and the policies.",
     OPTS(sim_openb_options), NULL, al__cmd_sim_openb, 0},
    {"sim", "philly", "--jobs FILE --vcs FILE [--from DATE --days N] [--json|--csv]",
     "simulate the Philly trace through allotd's own scheduling loop",
     "Runs allotd in its sim mode (a virtual cluster and a virtual clock, a throwaway\n"
     "state directory, no server): the trace's virtual clusters become projects under\n"
     "one department (deserved GPUs: the VC's nodes x GPUs per node; over quota\n"
     "allowed), each job a gang of whole GPUs arriving at its time stamp and running\n"
     "for its duration once placed. allotd's own loop schedules them, a full cycle for\n"
     "every simulated second in which something can change. Prints GPU utilisation,\n"
     "queueing delay and job completion time (mean, p50, p95, p99) per project, the\n"
     "fair-share tracking error and evictions (docs/simulation.md, timed mode).",
     OPTS(sim_philly_options), NULL, al__cmd_sim_philly, 0},
    {"sim", "dlrm", "--instances FILE --nodes FILE [--json|--csv]",
     "simulate the Alibaba DLRM inference trace through allotd's loop",
     "As `allot sim philly`, for the Alibaba GPU-disaggregated DLRM serving trace: each\n"
     "instance an inference workload (never preempted) arriving at its creation time\n"
     "and running until its deletion (or the trace's end), an HN instance with one\n"
     "whole GPU, a CN one with none (CPU only); its application a project whose\n"
     "deserved GPUs and CPU are the most its instances ever held at once in the\n"
     "trace. The nodes come from a node list (docs/simulation.md, timed mode).",
     OPTS(sim_dlrm_options), NULL, al__cmd_sim_dlrm, 0},

    {"login", NULL,
     "--server URL (--user NAME | --sso | --client-id ID --client-secret-file F |\n"
     "       --token-file F) [--context NAME] [-p PROJECT]",
     "sign in and save the server and token as the current context",
     "Signs in to allotd at URL as a user (password asked for on the terminal, or\n"
     "--password-stdin/--password-file), through the identity provider (--sso: open\n"
     "the address printed in any browser), as an application (client credentials), or\n"
     "checks a token given, then saves the server and the token as a context of the\n"
     "config file ($XDG_CONFIG_HOME/allot/config, else ~/.config/allot/config; tokens\n"
     "in files beside it, readable by you only) and makes it the current one. A\n"
     "user's access token expires (an hour by default) and is renewed with the refresh\n"
     "token saved beside it; an application's is not: sign in again. With --state-dir\n"
     "DIR alone, the context names a local allotd by its state directory (its address\n"
     "file, break-glass admin token and, over HTTPS, its certificate's fingerprint).\n"
     "An https:// server whose certificate the system's CAs do not vouch for needs\n"
     "--ca-file or --tls-fingerprint; the context keeps them, so that later commands\n"
     "need not repeat them.",
     OPTS(login_options), NULL, al__cmd_login, 0},
    {"logout", NULL, "", "revoke this session's tokens and forget them",
     "Revokes the session of the current token at allotd (its access and refresh\n"
     "tokens stop working at once) and removes the token files of the context.",
     NULL, 0, NULL, al__cmd_logout, AL__CLI_API},
    {"whoami", NULL, "", "who the token is and the roles it holds",
     "Prints the subject the token signs in as (user:NAME, app:NAME, token:admin) and\n"
     "each role it holds with its scope (docs/rbac.md says what each allows).",
     NULL, 0, NULL, al__cmd_whoami, API_OUT},
    {"user", "create", "NAME (--password-stdin | --password-file F | --generate-password)",
     "a local user with a password",
     "Creates a local user (system administrators only). The password (12 to 1024\n"
     "characters) is kept as an Argon2id hash. A user holds no role until an access\n"
     "rule gives one: `allot access-rule create --subject user:NAME ...`.",
     OPTS(user_create_options), NULL, al__cmd_user_create, API_OUT},
    {"user", "list", "", "users: local and SSO, groups, Unix account, locked",
     "Lists users: NAME, SOURCE (local, or sso: made by a first SSO sign-in), GROUPS,\n"
     "UNIX-USER (the account their tasks run as where allotd is root) and LOCKED\n"
     "(after repeated failed sign-ins).",
     NULL, 0, NULL, al__cmd_subject_list, API_OUT},
    {"user", "update", "NAME [options]", "change a password, groups, Unix account; unlock",
     "Changes the given settings of a user and leaves the others. A new password or\n"
     "--unlock clears a lockout.",
     OPTS(user_update_options), NULL, al__cmd_user_update, API_OUT},
    {"user", "delete", "NAME", "delete a user: their rules go, their sessions are revoked",
     "Deletes a user with their access rules; their tokens stop working at once.", NULL, 0, NULL,
     al__cmd_subject_delete, API_OUT},
    {"group", "create", "NAME", "a group access rules may name",
     "Creates a group. Users are in groups by `allot user update --group`, SSO users\n"
     "by their identity provider's groups claim; a rule for group:NAME gives its role to\n"
     "every member.",
     NULL, 0, NULL, al__cmd_subject_create, API_OUT},
    {"group", "list", "", "groups", "Lists groups.", NULL, 0, NULL, al__cmd_subject_list, API_OUT},
    {"group", "delete", "NAME", "delete a group and its access rules",
     "Deletes a group and the access rules that name it.", NULL, 0, NULL, al__cmd_subject_delete,
     API_OUT},
    {"app", "create", "NAME", "an application: its client secret printed once",
     "Creates an application for a CI pipeline or a service: its client id (NAME) and\n"
     "secret are exchanged for a short-lived token (`allot login --client-id NAME\n"
     "--client-secret-file F`, or POST /api/v1/token). The secret is shown once.",
     NULL, 0, NULL, al__cmd_subject_create, API_OUT},
    {"app", "list", "", "applications", "Lists applications.", NULL, 0, NULL, al__cmd_subject_list,
     API_OUT},
    {"app", "delete", "NAME", "delete an application: its tokens stop working",
     "Deletes an application and its access rules; its tokens stop working at once.", NULL, 0, NULL,
     al__cmd_subject_delete, API_OUT},
    {"access-rule", "create", "--subject S --role ROLE --scope SCOPE",
     "give a subject a role in a scope",
     "Gives SUBJECT (user:NAME, group:NAME, app:NAME) the role ROLE in SCOPE (system,\n"
     "department:NAME, project:NAME). You may give roles up to your own, in scopes\n"
     "you manage; docs/rbac.md lists what each role allows.",
     OPTS(rule_create_options), NULL, al__cmd_rule_create, API_OUT},
    {"access-rule", "list", "[--subject S]", "access rules in the scopes you manage",
     "Lists access rules (ID, SUBJECT, ROLE, SCOPE) in the scopes you manage.",
     OPTS(rule_list_options), NULL, al__cmd_rule_list, API_OUT},
    {"access-rule", "delete", "ID", "remove an access rule",
     "Removes access rule ID (see `allot access-rule list`).", NULL, 0, NULL, al__cmd_rule_delete,
     API_OUT},
    {"config", "view", "", "the contexts and which one is current",
     "Prints the config file's contexts: name, server, token file, default project;\n"
     "the current one is marked with '*'.",
     NULL, 0, NULL, al__cmd_config_view, AL__CLI_OUTPUT},
    {"config", "use-context", "NAME", "make NAME the current context",
     "Makes NAME the current context: the server, token and default project that\n"
     "commands use when the command line and the environment do not say.",
     NULL, 0, "@context", al__cmd_config_use_context, 0},
    {"config", "set-project", "PROJECT", "the current context's default project",
     "Sets the default project of the current context: the project of commands that\n"
     "take -p when it is not given ('' clears it). Like runai's `config project`.",
     NULL, 0, "@project", al__cmd_config_set_project, 0},
    {"config", "delete-context", "NAME", "remove a context",
     "Removes context NAME and its token file from the config.", NULL, 0, "@context",
     al__cmd_config_delete_context, 0},
    {"completion", NULL, "bash|zsh", "print the shell completion script",
     "Prints the completion script for bash or zsh, generated from the same table as\n"
     "--help. For bash: source <(allot completion bash), or install it with\n"
     "`make install`.",
     NULL, 0, "bash zsh", al__cmd_completion, 0},
    {"man-pages", NULL, "DIR", "write the man pages into DIR",
     "Writes allot.1 and allot-NOUN.1 for each command group into DIR, from the same\n"
     "table as --help (`make` runs it for `make install`).",
     NULL, 0, "@dir", al__cmd_man_pages, AL__CLI_HIDDEN},
    {"gpu-reservation", "report", "[--kubeconfig FILE] [--once]",
     "what a GPU reservation pod runs on Kubernetes",
     "Run by a GPU reservation pod: writes the GPU the device plugin gave it\n"
     "(NVIDIA_VISIBLE_DEVICES) on the pod (POD_NAMESPACE/POD_NAME, from the downward\n"
     "API) as an annotation, then waits to be stopped (--once: exits). Credentials:\n"
     "the pod's service account, or --kubeconfig FILE.",
     OPTS(reservation_options), NULL, al__cmd_gpu_reservation, AL__CLI_HIDDEN},
};
const size_t al__cli_command_count = COUNT(al__cli_command_table);

const struct al__cli_command *al__cli_command_find(const char *noun, const char *verb) {
    for (size_t i = 0; i < al__cli_command_count; i++) {
        const struct al__cli_command *c = &al__cli_command_table[i];
        if (strcmp(c->noun, noun) == 0 &&
            (verb ? c->verb && strcmp(c->verb, verb) == 0 : c->verb == NULL))
            return c;
    }
    return NULL;
}

bool al__cli_noun_has_verbs(const char *noun) {
    for (size_t i = 0; i < al__cli_command_count; i++)
        if (strcmp(al__cli_command_table[i].noun, noun) == 0 && al__cli_command_table[i].verb)
            return true;
    return false;
}

static const struct al__cli_opt *find_in(const struct al__cli_opt *options, size_t count,
                                         const char *name) {
    for (size_t i = 0; i < count; i++)
        if ((options[i].short_name && strcmp(options[i].short_name, name) == 0) ||
            strcmp(options[i].long_name, name) == 0)
            return &options[i];
    return NULL;
}

const struct al__cli_opt *al__cli_command_option(const struct al__cli_command *c,
                                                 const char *name) {
    const struct al__cli_opt *o = find_in(c->options, c->option_count, name);

    if (!o && (c->flags & AL__CLI_OUTPUT))
        o = find_in(al__cli_output_options, al__cli_output_option_count, name);
    if (!o && (c->flags & AL__CLI_API))
        o = find_in(al__cli_conn_options, al__cli_conn_option_count, name);
    return o;
}

/* allotd's request fields and the options (or arguments) that set them: an error allotd
 * reports on a field is reported on what the user typed. */
static const struct {
    const char *field, *option;
} workload_fields[] =
    {
        {"name", "NAME"},
        {"project", "--project"},
        {"command", "COMMAND"},
        {"labels", "--label"},
        {"gpu", "--gpu"},
        {"gpu_fraction", "--gpu-portion"},
        {"gpu_memory_mib", "--gpu-memory"},
        {"gpu_fraction_limit", "--gpu-portion-limit"},
        {"gpu_memory_limit_mib", "--gpu-memory-limit"},
        {"gpu_device_count", "--gpu-devices"},
        {"cpu_millis", "--cpu"},
        {"memory_bytes", "--memory"},
        {"priority", "--priority"},
        {"preemptible", "--preemptible"},
        {"preemptibility", "--semi-preemptible"},
        {"preemption_policy", "--preemption-policy"},
        {"enforce", "--no-enforce"},
        {"workers", "--workers"},
        {"min_members", "--min-members"},
        {"topology", "--topology"},
        {"required_topology_level", "--required-topology-level"},
        {"preferred_topology_level", "--preferred-topology-level"},
        {"subgroups", "--subgroup"},
        {"env", "--env"},
        {"export", "--export"},
        {"workdir", "--workdir"},
        {"node_pool", "--node-pool"},
        {"mig", "--mig"},
        {"time_limit_s", "--time-limit"},
        {"image", "--image"},
        {"queue_anyway", "--queue-anyway"},
        {"kind", "--kind"},
        {"task", "--task"},
},
  queue_fields[] = {
      {"name", "NAME"},
      {"department", "--department"},
      {"priority", "--priority"},
      {"deserved.gpu", "--gpu-deserved"},
      {"deserved.cpu_millis", "--cpu-deserved"},
      {"deserved.memory_bytes", "--memory-deserved"},
      {"limit.gpu", "--gpu-limit"},
      {"limit.cpu_millis", "--cpu-limit"},
      {"limit.memory_bytes", "--memory-limit"},
      {"over_quota_weight.gpu", "--gpu-weight"},
      {"over_quota_weight.cpu", "--cpu-weight"},
      {"over_quota_weight.memory", "--memory-weight"},
      {"preempt_min_runtime_s", "--preempt-min-runtime"},
      {"reclaim_min_runtime_s", "--reclaim-min-runtime"},
      {"force", "--force"},
};

const char *al__cli_field_option(const struct al__cli_command *c, const char *field) {
    bool workload = c && strcmp(c->noun, "workload") == 0;
    bool queue = c && (strcmp(c->noun, "project") == 0 || strcmp(c->noun, "department") == 0);
    size_t n = workload ? COUNT(workload_fields) : queue ? COUNT(queue_fields) : 0;
    size_t head = strcspn(field, ".["); /* "labels.k", "command[2]": the member they are in */

    for (int whole = 1; whole >= 0; whole--)
        for (size_t i = 0; i < n; i++) {
            const char *f = workload ? workload_fields[i].field : queue_fields[i].field;
            const char *option = workload ? workload_fields[i].option : queue_fields[i].option;
            if (whole ? strcmp(f, field) != 0 : strlen(f) != head || strncmp(f, field, head) != 0)
                continue;
            /* an option this command does not take would send the user to the wrong place */
            return option[0] != '-' || al__cli_command_option(c, option) ? option : NULL;
        }
    return NULL;
}
