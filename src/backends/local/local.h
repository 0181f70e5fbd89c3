/* local.h - the local backend: this machine's GPUs, CPUs and memory, and tasks run as process
 * groups. allotd decides; this module only discovers and carries out. */
#ifndef ALLOT_BACKENDS_LOCAL_H
#define ALLOT_BACKENDS_LOCAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "backends/backend.h"

struct al__account;

#define AL__LOCAL_MAX_GPUS 64

/* The local backend's ops table (backend.c), registered in backends/registry.c. */
extern const struct al__backend_type al__local_backend;

struct al__local_gpu {
    int32_t memory_mib; /* > 0 */
    char model[64];     /* product name, "" when unknown */
};

/* What this machine offers the scheduler: one node (copied into virtual nodes with --nodes). */
struct al__local_machine {
    char node_name[64];   /* the host name (gethostname), "local" if that fails */
    int64_t cpu_millis;   /* online CPUs x 1000 */
    int64_t memory_bytes; /* physical memory */
    struct al__local_gpu gpus[AL__LOCAL_MAX_GPUS];
    size_t gpu_count;
    bool from_nvml; /* discovered through NVML rather than declared */
};

/*
 * al__local_host - fills node_name, cpu_millis and memory_bytes from this machine and
 * clears the GPU list.
 */
void al__local_host(struct al__local_machine *inv);

/*
 * al__local_topology - --topology SPEC ("zone=2,rack=4": LEVEL=COUNT, outermost first, COUNT
 * domains of that level in each of the level above): labels inv's nodes (consecutive nodes share
 * domains; the last level is the host, kubernetes.io/hostname) and sets the topology "local".
 * Errors: -AL_EINVAL with err filled (a malformed spec, more domains than nodes).
 */
int al__local_topology(const char *spec, struct al__inventory *inv, char *err, size_t size);

/*
 * al__local_mig_layout - --mig-layout SPEC (mig_layout.c): MIG instances the virtual nodes offer,
 * "PROFILE=COUNT[,PROFILE=COUNT...]" for every node ("1g.10gb=7"), or one such layout per node
 * separated by ';' (as many as `nodes`; an empty one offers none: "1g.10gb=7;;3g.40gb=2").
 * PROFILE as al_mig_profile_gpus takes it, COUNT 1..4096, at most AL__NODE_MIGS_MAX profiles per
 * node, each once. Sets inv's nodes' migs (sorted by profile); with inv NULL only checks the
 * text. Errors: -AL_EINVAL with err naming the item at fault ("--mig-layout: ...").
 */
int al__local_mig_layout(const char *spec, size_t nodes, struct al__inventory *inv, char *err,
                         size_t size);

/*
 * al__local_parse_gpus - reads a virtual GPU inventory into inv->gpus (replacing them):
 * comma-separated groups "COUNTx[MODEL-]MEMORY", e.g. "4x80GiB", "2xA100-80GiB,1xT4-16GiB".
 * MEMORY is an integer with a unit MiB, GiB or TiB (case-sensitive); MODEL is any text without
 * ',' (the last '-' separates it from MEMORY). COUNT >= 1; the total stays within
 * AL__LOCAL_MAX_GPUS. Returns 0, or -AL_EINVAL with a message naming the problem in err
 * (e.g. "--gpus: \"4x80\": memory needs a unit (MiB, GiB, TiB)"); inv is unchanged on failure.
 */
int al__local_parse_gpus(const char *spec, struct al__local_machine *inv, char *err, size_t size);

/*
 * al__local_discover_nvml - loads libnvidia-ml.so.1 with dlopen and lists its devices
 * (name and total memory) into inv->gpus, setting from_nvml. Returns 0 when at least one device
 * was found; -AL_ENOENT with a reason in err when the library is absent, fails to initialise or
 * reports no device (the caller then needs --gpus). Unloads the library before returning.
 */
int al__local_discover_nvml(struct al__local_machine *inv, char *err, size_t size);

/*
 * NVML kept open to read how busy devices are (nvml.c), for the local backend's gpu_busy.
 * al__local_nvml_open loads and initialises it; NULL where it cannot (no library, no device).
 * al__local_nvml_busy - device `index`'s utilisation in percent (nvmlDeviceGetUtilizationRates:
 * the share of NVML's last sample period, 1/6 s to 1 s, in which a kernel ran) into *percent;
 * 0, or -1 when NVML cannot tell. Safe from any thread (NVML is). al__local_nvml_close shuts it
 * down and unloads it; NULL is fine.
 */
struct al__local_nvml;
struct al__local_nvml *al__local_nvml_open(void);
int al__local_nvml_busy(struct al__local_nvml *n, unsigned int index, int *percent);
/* al__local_nvml_memory_used - device `index`'s memory in use in bytes (nvmlDeviceGetMemoryInfo)
 * into *bytes: 0, or -1 when NVML cannot tell. Safe from any thread. */
int al__local_nvml_memory_used(struct al__local_nvml *n, unsigned int index, int64_t *bytes);
void al__local_nvml_close(struct al__local_nvml *n);

/* A started task: its process group leader (a small supervisor, see al__proc_start). */
struct al__proc {
    pid_t pid;           /* process group id = pid of the supervisor */
    int64_t start_ticks; /* its start time from /proc/PID/stat, to tell a reused pid apart */
};

struct al__launch {
    char *const *argv; /* the command, NULL-terminated, argv[0] looked up in PATH */
    /* Its whole environment (nothing of allotd's own), "KEY=VALUE" strings, NULL-terminated; of
     * a name given twice the last wins. */
    char *const *env;
    const char *workdir;   /* directory to run in; NULL = allotd's */
    const char *log_path;  /* stdout and stderr are appended here (created 0600) */
    const char *exit_path; /* the supervisor writes the exit status here (see al__proc_poll) */
    /* Optional (NULL = none): a line appended to the log before the command starts (the mark
     * between runs); where the supervisor notes when the log grew (log_index.h); what it shows
     * as its command line once the command runs ("allot-task PROJECT/WORKLOAD/INDEX"). */
    const char *marker;
    const char *index_path;
    const char *title;
    /* Optional (NULL = none): the supervisor writes "PID START_TICKS\n" here (atomically, before
     * al__proc_start returns and whether or not allotd is still alive), so that a restarted
     * allotd finds a task whose start it never recorded (al__proc_find). */
    const char *pid_path;
    const char *supervisor;  /* the allot-supervisor program (al__local_supervisor_path) */
    const char *socket_path; /* NULL = none: where the supervisor listens for streams */
    bool terminal;           /* the command runs under a terminal the supervisor holds */
    /* Optional (NULL = allotd's own user): the account the command and its exec commands run
     * as (account.h). The supervisor stays root (see supervisor/become.c). */
    const struct al__account *account;
    /* Optional (NULL = none): a directory the command must not see (the state dir, absolute),
     * for a task of allotd's own user: it then runs in namespaces of its own
     * (supervisor/isolate.h; where al__local_can_hide said they work). */
    const char *hide;
};

/*
 * al__proc_start - starts a task. allotd spawns the supervisor program (launch->supervisor, a
 * small program of its own: see supervisor/supervise.h) that calls setsid() (so the task is
 * its own process group and survives an allotd restart), ignores SIGTERM/SIGINT/SIGHUP, forks
 * the command (which gets default signal dispositions, the log as stdout and stderr, /dev/null as
 * stdin, `workdir` as its directory and `env` as its environment) and waits for it; then
 * it writes "exit N\n" or "signal N\n" to exit_path and kills its whole process group, itself
 * included (the command is killed too if the supervisor dies first: PR_SET_PDEATHSIG), so that
 * nothing the command left in the background outlives the task. A command that cannot be run (exec
 * or chdir failure) writes a line saying why to the log and exits 127. Safe to call from a
 * multi-threaded process (posix_spawn). Returns 0 and fills *out, or -AL_EINVAL / -AL_EIO with a
 * message in err.
 */
int al__proc_start(const struct al__launch *launch, struct al__proc *out, char *err, size_t size);

enum al__proc_state {
    AL__PROC_RUNNING, /* the supervisor is alive */
    AL__PROC_EXITED,  /* finished; *exit_code is set */
    AL__PROC_LOST,    /* gone without an exit status (killed with SIGKILL, or never ours) */
};

/*
 * al__proc_poll - whether a task is still running. Reaps the supervisor if it is allotd's child
 * (waitpid WNOHANG); for a re-adopted one (not our child, after a restart) checks that the pid
 * is alive and has the same start_ticks. Once the supervisor is gone, reads exit_path:
 * *exit_code = N for "exit N", 128 + N for "signal N"; when the file is missing or unreadable
 * the state is AL__PROC_LOST and *exit_code = -1, unless waitpid saw the supervisor die by a
 * signal S (then AL__PROC_EXITED with 128 + S). A supervisor gone without an exit file was
 * killed: what is left of its process group is killed then (al__proc_kill_group).
 */
enum al__proc_state al__proc_poll(const struct al__proc *proc, const char *exit_path,
                                  int *exit_code);

/*
 * al__proc_ended - how a task whose supervisor is gone ended (what al__proc_poll says then):
 * `waited` when its status came from waitpid (`status`). For a caller that reaps itself.
 */
enum al__proc_state al__proc_ended(const struct al__proc *proc, const char *exit_path, bool waited,
                                   int status, int *exit_code);

/*
 * al__proc_signal - sends sig to the task's whole process group (kill(-pid, sig)), only if the
 * pid still belongs to the task (same start_ticks). Returns 0, or -AL_ENOENT when it is gone.
 */
int al__proc_signal(const struct al__proc *proc, int sig);

/*
 * al__proc_find - the running task whose supervisor wrote pid_path (al__launch). Returns 0 and
 * fills *out when that supervisor is alive (same start time); -AL_ENOENT when the file is absent
 * or unreadable, or the supervisor is gone.
 */
int al__proc_find(const char *pid_path, struct al__proc *out);

/*
 * al__proc_kill_group - SIGKILL to whatever is left of a task whose supervisor is gone (killed
 * with SIGKILL, say): every process of its process group or its session started no earlier than
 * the supervisor (al__proc_members: a shell under a terminal puts its jobs in groups of their
 * own). The command itself dies with its supervisor (it asked for PR_SET_PDEATHSIG); this
 * reaches what it left in the background. Returns how many it signalled.
 */
int al__proc_kill_group(const struct al__proc *proc);

/*
 * al__local_supervisor_path - where allot-supervisor is: `given` when not NULL, else next to the
 * running program (/proc/self/exe). Writes the path to out and returns 0, or -AL_ENOENT with
 * the problem in err when that file is not an executable.
 */
int al__local_supervisor_path(const char *given, char *out, size_t out_size, char *err,
                              size_t size);

/*
 * al__local_can_hide - whether tasks of this (non-root) user can run in namespaces that hide
 * dir (supervisor/isolate.h): asks the supervisor program (`allot-supervisor --probe-hide DIR`)
 * and waits for its answer. 0, or -1 (the kernel or a container refuses unprivileged user
 * namespaces, or a /proc of their own).
 */
int al__local_can_hide(const char *supervisor, const char *dir);

/* al__proc_start_ticks - the start time of pid (field 22 of /proc/PID/stat); -1 if gone. */
int64_t al__proc_start_ticks(pid_t pid);

#endif
