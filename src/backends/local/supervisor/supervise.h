/* supervise.h - the task supervisor program (allot-supervisor): what allotd's local backend
 * asks of it on its command line, and its body. */
#ifndef ALLOT_BACKENDS_LOCAL_SUPERVISOR_SUPERVISE_H
#define ALLOT_BACKENDS_LOCAL_SUPERVISOR_SUPERVISE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The command's LD_PRELOAD travels to the supervisor under this name (the supervisor, often
 * root, must not load what a task preloads: the submitter's libraries, liballot-cuda.so) and is
 * LD_PRELOAD again in the environment the command and exec commands get. */
#define AL__SUPERVISOR_PRELOAD_ENV "ALLOT_SUPERVISOR_LD_PRELOAD"
#define AL__SUPERVISOR_MAX_PATHS   256 /* candidate paths of the command (PATH entries) */
#define AL__SUPERVISOR_SYNC_FD     3   /* the pipe allotd waits on; the log is on 1 and 2 */
#define AL__SUPERVISOR_MAX_GROUPS  64  /* --groups */

/*
 * What the supervisor runs, from its command line:
 *   allot-supervisor --exit FILE [--pid FILE] [--workdir DIR] [--title TEXT] [--index FILE]
 *                    [--socket FILE] [--terminal] [--umask OCTAL]
 *                    [--uid UID --gid GID --groups GID,...] [--hide DIR]
 *                    --path CANDIDATE... -- COMMAND [ARG...]
 *   allot-supervisor --probe-hide DIR   (exits 0 where --hide DIR can work: isolate.h)
 * Its environment is the command's. allotd starts it with /dev/null on 0, the task's log on 1
 * and 2, the sync pipe on 3 and every signal blocked. Once its command runs, the supervisor
 * shows TEXT as its command line ("allot-task PROJECT/WORKLOAD/INDEX", title.h) and notes in
 * the index FILE when the log grew (log_index.h). With --socket it listens there for attach
 * and exec streams (stream/frames.h); with --terminal the command runs under a
 * pseudo-terminal the supervisor holds (its output goes to the log and to attached clients).
 * With --uid the command and every exec command run as that account (become.c) while the
 * supervisor keeps its own (root): the files it writes stay out of the task's reach. With
 * --hide (an allotd that is not root) they run in namespaces where DIR is hidden (isolate.h).
 */
struct al__supervision {
    char **argv;                                     /* the command, NULL-terminated */
    char **envp;                                     /* its environment */
    const char *paths[AL__SUPERVISOR_MAX_PATHS + 1]; /* where to exec argv[0], in order */
    const char *workdir;                             /* NULL = stay */
    const char *exit_path;  /* "exit N\n" or "signal N\n" is written here */
    const char *pid_path;   /* NULL = none; "PID START_TICKS\n" is written here */
    const char *title;      /* NULL = keep the command line */
    const char *index_path; /* NULL = none */
    char pid_tmp[4096];     /* pid_path + ".tmp": written, then renamed into place */
    /* Copies kept past the title, which overwrites the arguments they pointed into. */
    char exit_copy[4096], title_copy[512];
    char socket_copy[4096], workdir_copy[4096]; /* what socket_path and workdir point to */
    char **all_argv; /* the supervisor's own arguments (argc of them): the title's area */
    int argc;
    const char *socket_path; /* NULL = none: no attach, no exec */
    bool terminal;           /* the command runs under a pseudo-terminal (a workspace) */
    int umask; /* the task's umask (--umask, octal; allotd runs with 077), -1 = inherited */
    /* --uid, --gid, --groups: the account the command and exec commands run as (become.c);
     * switch_user false = the supervisor's own. */
    bool switch_user;
    uid_t uid;
    gid_t gid;
    gid_t groups[AL__SUPERVISOR_MAX_GROUPS];
    size_t group_count;
    char uid_text[24]; /* --uid as given, for messages */
    /* --hide DIR: the command runs in namespaces of its own with DIR covered (isolate.h);
     * NULL = as the supervisor does. */
    const char *hide;
};

/* al__supervision_parse - reads argv (argc entries, argv[0] the program) into *out. Returns 0,
 * or -1 with the problem in err (e.g. "--exit: missing"). */
int al__supervision_parse(int argc, char **argv, char **envp, struct al__supervision *out,
                          char *err, size_t size);

/*
 * al__supervise - the supervisor's body: closes every descriptor above the sync pipe, makes its
 * own session and process group, writes the pid file, forks the command (default signal
 * dispositions, the directory, PR_SET_PDEATHSIG so that it dies with the supervisor), closes the
 * sync pipe (allotd then knows the group exists), ignores SIGTERM/SIGINT/SIGHUP and waits; then
 * writes the exit file and kills its whole process group, itself included. Never returns.
 */
_Noreturn void al__supervise(const struct al__supervision *sup);

/*
 * al__become - in a child about to exec: takes on the account of plan (--uid: groups, group,
 * user, in that order, and no way back: PR_SET_NO_NEW_PRIVS, so that no setuid program gives
 * root back), or does nothing without one. Returns 0, or -1 with errno set (the child then
 * reports it and exits: it never runs as the supervisor's user by mistake).
 */
int al__become(const struct al__supervision *plan);

/* al__fds_close_from - closes every descriptor numbered `from` or above. */
void al__fds_close_from(int from);

/* al__signals_default - every signal at its default disposition (for a child about to exec). */
void al__signals_default(void);

/* al__supervise_report - writes "allot: cannot run COMMAND: [WHAT DETAIL: ]REASON" (strerror of
 * e, spelled by hand: it runs between fork and exec) to stderr. */
void al__supervise_report(const char *command, const char *what, const char *detail, int e);

/* al__supervise_refuse - writes "allot: cannot run: WHY" to the log and the exit file (when
 * known) as exit 127; for a command line that al__supervision_parse refused. */
_Noreturn void al__supervise_refuse(const char *exit_path, const char *why);

#endif
