/* backend.c - the local backend behind allotd's backend interface: this machine (or virtual
 * copies of it, for benchmarks) as the inventory, tasks as supervised process groups whose
 * reference is "PID:START_TICKS", their devices given as CUDA_VISIBLE_DEVICES (task_env.c), their
 * output (with a mark between runs and a time index beside it) and exit status in files under
 * the state directory. */
#define _DEFAULT_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "allot/errors.h"
#include "allot/model.h"
#include "backends/backend.h"
#include "backends/local/account.h"
#include "backends/local/children.h"
#include "backends/local/cuda_inject.h"
#include "backends/local/gpu_claims.h"
#include "backends/local/local.h"
#include "backends/local/log_window.h"
#include "backends/local/streams.h"
#include "backends/local/task_env.h"
#include "util/xalloc.h"

#define MAX_VIRTUAL_NODES 10000

struct local {
    char *dir;        /* logs/ and run/ are below it */
    char *supervisor; /* the allot-supervisor program */
    struct al__local_machine machine;
    struct al__children children; /* supervisors started in this run */
    struct al__task_user user;    /* who tasks run as: their environment's base */
    /* The state dir (absolute) tasks run without seeing, in namespaces of their own; NULL where
     * this machine offers no such namespaces (said at start). */
    char *hide;
    struct al__local_nvml *nvml; /* where the GPUs were discovered: how busy they are */
    struct al__local_cuda cuda;  /* liballot-cuda.so for tasks holding a share of a device */
};

static void path_of(const struct local *l, struct al__task_key key, const char *sub,
                    const char *ext, char *out, size_t size) {
    snprintf(out, size, "%s/%s/%" PRId64 "-%d.%s", l->dir, sub, key.workload_id, (int)key.index,
             ext);
}

/* "PID:TICKS" to a process; false for "" or anything else. */
static bool ref_proc(const char *ref, struct al__proc *out) {
    long long pid, ticks;
    char end;
    if (sscanf(ref, "%lld:%lld%c", &pid, &ticks, &end) != 2 || pid <= 0 || pid > INT32_MAX)
        return false;
    *out = (struct al__proc){(pid_t)pid, ticks};
    return true;
}

static void proc_ref(const struct al__proc *p, char ref[AL__TASK_REF_MAX]) {
    snprintf(ref, AL__TASK_REF_MAX, "%d:%lld", (int)p->pid, (long long)p->start_ticks);
}

static int make_dir(const char *path, char *err, size_t size) {
    if (mkdir(path, 0700) == 0 || errno == EEXIST)
        return 0;
    snprintf(err, size, "cannot create %s: %s", path, strerror(errno));
    return -AL_EIO;
}

static int parse_node_count(const char *text, size_t *out, char *err, size_t size) {
    char *end;
    long v = strtol(text, &end, 10);
    if (*end || end == text || v < 1 || v > MAX_VIRTUAL_NODES) {
        snprintf(err, size, "--nodes: must be 1..%d", MAX_VIRTUAL_NODES);
        return -AL_EINVAL;
    }
    *out = (size_t)v;
    return 0;
}

/* n nodes like this machine: named after the host, "HOST-0".. when there are several. */
static void fill_inventory(struct al__backend *b, const struct al__local_machine *m, size_t n) {
    struct al__inventory *inv = &b->inventory;
    inv->nodes = al__xcalloc(n, sizeof(*inv->nodes));
    inv->node_count = n;
    inv->virtual_gpus = !m->from_nvml;
    for (size_t i = 0; i < n; i++) {
        struct al__node *node = &inv->nodes[i];
        if (n == 1)
            snprintf(node->name, sizeof(node->name), "%s", m->node_name);
        else
            snprintf(node->name, sizeof(node->name), "%s-%zu", m->node_name, i);
        node->cpu_millis = m->cpu_millis;
        node->memory_bytes = m->memory_bytes;
        node->gpu_count = m->gpu_count;
        node->gpus = al__xcalloc(m->gpu_count + 1, sizeof(*node->gpus));
        for (size_t g = 0; g < m->gpu_count; g++) {
            node->gpus[g].memory_mib = m->gpus[g].memory_mib;
            snprintf(node->gpus[g].model, sizeof(node->gpus[g].model), "%s", m->gpus[g].model);
        }
    }
}

/* --node-pools NAME:COUNT,...: the first COUNT virtual nodes go to pool NAME, the next ones to
 * the next pool; nodes left over stay in the default pool. With inv NULL only checks the text
 * against `nodes` nodes. */
static int node_pools_apply(const char *spec, size_t nodes, struct al__inventory *inv, char *err,
                            size_t size) {
    size_t next = 0;
    for (const char *at = spec; *at;) {
        const char *colon = strchr(at, ':');
        size_t len = colon ? (size_t)(colon - at) : 0;
        char *end;
        long count = colon ? strtol(colon + 1, &end, 10) : 0;
        if (!colon || len == 0 || len >= sizeof(inv->nodes[0].pool) || count < 1 ||
            (*end && *end != ',') || next + (size_t)count > nodes) {
            snprintf(err, size,
                     "--node-pools: give NAME:COUNT,... with COUNT >= 1 and at most --nodes "
                     "(%zu) nodes in all, e.g. a100:2,h100:1",
                     nodes);
            return -AL_EINVAL;
        }
        for (size_t i = 0; i < len; i++)
            if (!isalnum((unsigned char)at[i]) && !strchr("-_.", at[i])) {
                snprintf(err, size, "--node-pools: a pool name is letters, digits, '-', '_', '.'");
                return -AL_EINVAL;
            }
        for (long k = 0; inv && k < count; k++)
            snprintf(inv->nodes[next + (size_t)k].pool, sizeof(inv->nodes[0].pool), "%.*s",
                     (int)len, at);
        next += (size_t)count;
        at = *end ? end + 1 : end;
    }
    return 0;
}

/* A child was reaped: allotd is told (if it asked to be). */
static void wake_allotd(void *arg) {
    struct al__backend *b = arg;
    if (b->wake)
        b->wake(b->wake_arg);
}

/* Namespaces that hide the state dir, allotd and other tasks from a task, where this machine
 * has them (supervisor/isolate.h): where allotd is not root, its tasks run as its user, and they
 * are all that keeps its state from them. */
static void isolation_choose(struct al__backend *b, struct local *l) {
    char real[PATH_MAX];
    if (realpath(l->dir, real) && al__local_can_hide(l->supervisor, real) == 0) {
        l->hide = al__xstrdup(real);
        if (geteuid() == 0) {
            b->isolation = "in namespaces of their own (mount, PID)";
            return;
        }
        b->isolation = "tasks in namespaces of their own (user, mount, PID): the state dir "
                       "hidden from them";
    } else if (geteuid() == 0) {
        b->isolation = "without namespaces: they see every process of this machine (this "
                       "machine refuses them)";
    } else {
        b->isolation = "tasks run as allotd's user and can read its state dir: this machine "
                       "refuses unprivileged user namespaces (run allotd as root to run tasks "
                       "as another account)";
    }
}

static int local_open(struct al__backend *b, const char *dir, const struct al__backend_option *opts,
                      size_t opt_count, char *err, size_t size) {
    const char *gpus = NULL, *supervisor = NULL, *cuda_library = NULL, *topology = NULL,
               *node_pools = NULL, *mig_layout = NULL;
    bool no_enforce = false;
    size_t nodes = 1;
    char path[4096], supervisor_path[4096];

    for (size_t i = 0; i < opt_count; i++) {
        if (strcmp(opts[i].name, "gpus") == 0) {
            gpus = opts[i].value;
        } else if (strcmp(opts[i].name, "nodes") == 0) {
            if (parse_node_count(opts[i].value, &nodes, err, size) < 0)
                return -AL_EINVAL;
        } else if (strcmp(opts[i].name, "node-pools") == 0) {
            node_pools = opts[i].value;
        } else if (strcmp(opts[i].name, "mig-layout") == 0) {
            mig_layout = opts[i].value;
        } else if (strcmp(opts[i].name, "supervisor") == 0) {
            supervisor = opts[i].value;
        } else if (strcmp(opts[i].name, "cuda-library") == 0) {
            cuda_library = opts[i].value;
        } else if (strcmp(opts[i].name, "no-enforce") == 0) {
            no_enforce = true;
        } else if (strcmp(opts[i].name, "topology") == 0) {
            topology = opts[i].value;
        } else {
            snprintf(err, size, "--%s: not an option of the local backend", opts[i].name);
            return -AL_EINVAL;
        }
    }
    if ((node_pools && node_pools_apply(node_pools, nodes, NULL, err, size) < 0) ||
        (mig_layout && al__local_mig_layout(mig_layout, nodes, NULL, err, size) < 0))
        return -AL_EINVAL;
    if (al__local_supervisor_path(supervisor, supervisor_path, sizeof(supervisor_path), err, size) <
        0)
        return -AL_ENOENT;
    struct local *l = al__xcalloc(1, sizeof(*l));
    l->supervisor = al__xstrdup(supervisor_path);
    al__local_host(&l->machine);
    if (gpus) {
        if (al__local_parse_gpus(gpus, &l->machine, err, size) < 0) {
            free(l->supervisor);
            free(l);
            return -AL_EINVAL;
        }
    } else if (al__local_discover_nvml(&l->machine, path, sizeof(path)) < 0) {
        fprintf(stderr,
                "allotd: no GPUs: %s\n"
                "allotd: declare virtual ones with --gpus, e.g. --gpus 4x80GiB\n",
                path);
    }
    l->dir = al__xstrdup(dir);
    snprintf(path, sizeof(path), "%s/logs", dir);
    int rc = make_dir(path, err, size);
    snprintf(path, sizeof(path), "%s/run", dir);
    if (rc < 0 || make_dir(path, err, size) < 0) {
        free(l->dir);
        free(l->supervisor);
        free(l);
        return -AL_EIO;
    }
    fill_inventory(b, &l->machine, nodes);
    if (topology && al__local_topology(topology, &b->inventory, err, size) < 0) {
        al__inventory_release(&b->inventory);
        free(l->dir);
        free(l->supervisor);
        free(l);
        return -AL_EINVAL;
    }
    if (node_pools)
        node_pools_apply(node_pools, nodes, &b->inventory, err, size); /* checked above */
    if (mig_layout) { /* checked above; allotd numbers the instances (tasks_mig.c) */
        al__local_mig_layout(mig_layout, nodes, &b->inventory, err, size);
        b->mig_numbered = true;
        if (l->machine.from_nvml)
            fprintf(stderr, "allotd: --mig-layout: declared MIG instances, not NVML's MIG "
                            "devices: tasks learn theirs from ALLOT_MIG_INSTANCES, nothing "
                            "makes them visible to CUDA\n");
    }
    if (l->machine.from_nvml)
        l->nvml = al__local_nvml_open(); /* NULL: utilisation unknown, nothing more */
    isolation_choose(b, l);
    al__task_user_init(&l->user);
    al__children_init(&l->children, wake_allotd, b);
    al__local_cuda_open(&l->cuda, cuda_library, no_enforce, dir);
    b->cuda_library = l->cuda.library;
    b->enforcement_off = l->cuda.off[0] ? l->cuda.off : NULL;
    if (l->cuda.off[0] && !no_enforce)
        fprintf(stderr,
                "allotd: GPU enforcement off: %s: tasks holding a share of a GPU run without "
                "their limits enforced (give --cuda-library PATH, or --no-enforce to say so)\n",
                l->cuda.off);
    b->data = l;
    return 0;
}

static void local_close(struct al__backend *b) {
    struct local *l = b->data;
    if (l) {
        al__children_release(&l->children);
        al__local_nvml_close(l->nvml);
        al__local_cuda_release(&l->cuda);
        free(l->dir);
        free(l->supervisor);
        free(l->hide);
    }
    free(l);
    b->data = NULL;
}

static void local_prepare(struct al__backend *b, struct al__task_key key) {
    char path[4096];
    path_of(b->data, key, "run", "exit", path, sizeof(path));
    unlink(path);
    path_of(b->data, key, "run", "pid", path, sizeof(path));
    unlink(path);
    path_of(b->data, key, "run", "sock", path, sizeof(path));
    unlink(path);
    path_of(b->data, key, "run", "ledger", path, sizeof(path));
    al__local_cuda_sweep(path);
}

static void local_forget(struct al__backend *b, struct al__task_key key) {
    char path[4096];
    local_prepare(b, key);
    path_of(b->data, key, "logs", "log", path, sizeof(path));
    unlink(path);
    path_of(b->data, key, "logs", "idx", path, sizeof(path));
    unlink(path);
}

/* The line between a task's runs in its log: "----- allot: run 2 of task 0 started
 * 2026-11-30T18:02:11Z (after: evicted by reclaim for team-b/x) -----". */
static void run_marker(const struct al__task_start *s, char *out, size_t size) {
    char when[32] = "?", after[300] = "";
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm))
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (s->after && s->after[0])
        snprintf(after, sizeof(after), " (after: %.280s)", s->after);
    snprintf(out, size, "----- allot: run %d of task %d started %s%s -----\n", (int)s->run,
             (int)s->key.index, when, after);
}

/* The directory a task of another account starts in when its workload names none (allotd's
 * own is nothing of that account's): the account's home if it has one, else "/". */
static const char *account_workdir(const struct al__account *a) {
    struct stat st;
    return stat(a->user.home, &st) == 0 && S_ISDIR(st.st_mode) ? a->user.home : "/";
}

static int local_start(struct al__backend *b, const struct al__task_start *s,
                       char ref[AL__TASK_REF_MAX], char *err, size_t size) {
    struct local *l = b->data;
    char log[4096], exitp[4096], pidp[4096], index[4096], marker[512], title[256], sock[4096],
        ledger[4096];
    struct al__account account;
    struct al__proc proc;
    if (s->account) {
        int rc = al__account_resolve(s->account, geteuid(), &account, err, size);
        if (rc < 0)
            return rc;
    }
    char **env =
        al__task_env(s->account ? &account.user : &l->user, &b->inventory, s, &l->cuda.task);

    path_of(l, s->key, "logs", "log", log, sizeof(log));
    path_of(l, s->key, "logs", "idx", index, sizeof(index));
    path_of(l, s->key, "run", "exit", exitp, sizeof(exitp));
    path_of(l, s->key, "run", "pid", pidp, sizeof(pidp));
    path_of(l, s->key, "run", "sock", sock, sizeof(sock));
    if (s->run > 1)
        run_marker(s, marker, sizeof(marker));
    snprintf(title, sizeof(title), "allot-task %s/%s/%d", s->project, s->workload,
             (int)s->key.index);
    struct al__launch launch = {.argv = (char *const *)s->argv,
                                .env = env,
                                .workdir = s->workdir   ? s->workdir
                                           : s->account ? account_workdir(&account)
                                                        : NULL,
                                .log_path = log,
                                .exit_path = exitp,
                                .pid_path = pidp,
                                .marker = s->run > 1 ? marker : NULL,
                                .index_path = index,
                                .title = title,
                                .supervisor = l->supervisor,
                                .socket_path = sock,
                                .terminal = s->terminal,
                                .account = s->account ? &account : NULL,
                                .hide = l->hide};
    path_of(l, s->key, "run", "ledger", ledger, sizeof(ledger));
    al__local_cuda_note(ledger, env); /* before: the note outlives a crash during the start */
    int rc = al__proc_start(&launch, &proc, err, size);
    al__task_env_free(env);
    if (rc == 0) {
        al__children_add(&((struct local *)b->data)->children, &proc);
        proc_ref(&proc, ref);
    }
    return rc;
}

static int local_stop(struct al__backend *b, const char *ref, enum al__stop_mode mode) {
    struct al__proc proc;
    (void)b;
    if (!ref_proc(ref, &proc))
        return -AL_ENOENT;
    return al__proc_signal(&proc, mode == AL__STOP_NOW ? SIGKILL : SIGTERM);
}

static bool local_refresh(struct al__backend *b) {
    return al__children_refresh(&((struct local *)b->data)->children);
}

static enum al__task_status local_poll(struct al__backend *b, struct al__task_key key,
                                       const char *ref, int *exit_code) {
    struct local *l = b->data;
    struct al__proc proc = {0, 0};
    char exitp[4096];
    int status = 0;
    enum al__proc_state st;
    path_of(l, key, "run", "exit", exitp, sizeof(exitp));
    ref_proc(ref, &proc); /* "" = never recorded: only its exit file can tell */
    switch (proc.pid > 0 ? al__children_check(&l->children, &proc, &status) : AL__CHILD_UNKNOWN) {
    case AL__CHILD_RUNNING:
        return AL__TASK_RUNNING; /* no system call */
    case AL__CHILD_ENDED:
        st = al__proc_ended(&proc, exitp, true, status, exit_code);
        break;
    case AL__CHILD_UNKNOWN:
    default:
        st = al__proc_poll(&proc, exitp, exit_code); /* re-adopted: through /proc */
        if (st == AL__PROC_RUNNING)
            al__children_adopted(&l->children); /* the next pass polls it again */
        break;
    }
    switch (st) {
    case AL__PROC_RUNNING:
        return AL__TASK_RUNNING;
    case AL__PROC_EXITED:
        return AL__TASK_EXITED;
    case AL__PROC_LOST:
        break;
    }
    return AL__TASK_LOST;
}

static int local_find(struct al__backend *b, struct al__task_key key, char ref[AL__TASK_REF_MAX]) {
    char pidp[4096];
    struct al__proc proc;
    path_of(b->data, key, "run", "pid", pidp, sizeof(pidp));
    if (al__proc_find(pidp, &proc) < 0)
        return -AL_ENOENT;
    proc_ref(&proc, ref);
    return 0;
}

static ssize_t local_log_read(struct al__backend *b, struct al__task_key key, const char *ref,
                              int64_t offset, char *buf, size_t max, char *err, size_t size) {
    char log[4096];
    (void)ref, (void)err, (void)size; /* the file is there, or there is no output yet */
    path_of(b->data, key, "logs", "log", log, sizeof(log));
    int fd = open(log, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = pread(fd, buf, max, (off_t)offset);
    close(fd);
    return n < 0 ? 0 : n;
}

static int local_log_from(struct al__backend *b, struct al__task_key key, const char *ref,
                          int64_t since_s, int64_t tail, int64_t *offset, char *err, size_t size) {
    char log[4096], index[4096];
    struct stat st;
    (void)ref, (void)err, (void)size;
    path_of(b->data, key, "logs", "log", log, sizeof(log));
    path_of(b->data, key, "logs", "idx", index, sizeof(index));
    int fd = open(log, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0) { /* no output yet: from its start */
        if (fd >= 0)
            close(fd);
        *offset = 0;
        return 0;
    }
    int64_t from = since_s >= 0 ? al__log_since(index, since_s) : 0;
    if (tail >= 0) {
        int64_t last = al__log_tail(fd, (int64_t)st.st_size, tail);
        from = last > from ? last : from;
    }
    close(fd);
    *offset = from < (int64_t)st.st_size ? from : (int64_t)st.st_size;
    return 0;
}

static int local_workdir_check(struct al__backend *b, const char *dir, char *err, size_t size) {
    struct stat st;
    (void)b;
    if (stat(dir, &st) != 0) {
        snprintf(err, size, "%s: %s on this machine, where its tasks would start", dir,
                 strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, size, "%s: not a directory on this machine, where its tasks would start",
                 dir);
        return -1;
    }
    return 0;
}

static void local_describe(struct al__backend *b, const char *ref, char *out, size_t size) {
    struct al__proc proc;
    (void)b;
    if (ref_proc(ref, &proc))
        snprintf(out, size, "process group %d", (int)proc.pid);
    else
        snprintf(out, size, "no process");
}

static void local_task_json(struct al__backend *b, const char *ref, json_t *task) {
    struct al__proc proc;
    (void)b;
    json_object_set_new(task, "pid", ref_proc(ref, &proc) ? json_integer(proc.pid) : json_null());
}

static int local_stream(struct al__backend *b, const struct al__stream_request *r, int *fd,
                        char *err, size_t size) {
    struct al__proc proc;
    char sock[4096];
    if (!ref_proc(r->ref, &proc) || al__proc_start_ticks(proc.pid) != proc.start_ticks) {
        snprintf(err, size, "task %d is not running", (int)r->key.index);
        return -AL_ENOENT;
    }
    if (r->kind == AL__STREAM_PORT)
        return al__local_port_connect(&proc, r->port, fd, err, size);
    path_of(b->data, r->key, "run", "sock", sock, sizeof(sock));
    return al__local_supervisor_connect(sock, r, fd, err, size);
}

/* Every virtual node (--nodes) is this machine: its devices are the same ones. */
static int local_gpu_busy(struct al__backend *b, size_t node, int32_t device, int *percent) {
    struct local *l = b->data;
    (void)node;
    return device >= 0 ? al__local_nvml_busy(l->nvml, (unsigned int)device, percent) : -1;
}

static int local_gpu_memory_used(struct al__backend *b, size_t node, int32_t device,
                                 int64_t *bytes) {
    struct local *l = b->data;
    (void)node;
    return device >= 0 ? al__local_nvml_memory_used(l->nvml, (unsigned int)device, bytes) : -1;
}

static int local_gpu_claims(struct al__backend *b, size_t node, int32_t device,
                            struct al__gpu_claim *out, size_t max, size_t *n) {
    struct local *l = b->data;
    *n = 0;
    if (!l->cuda.library) /* no task runs under the library: nobody claims more than asked */
        return -1;
    return al__local_gpu_claims(l->cuda.scope, node, device, out, max, n);
}

const struct al__backend_type al__local_backend = {
    .name = "local",
    .start_threads = 1, /* a fork and exec: quick, and the supervisor sets up its own */
    .usage = "local backend (the default): this machine; tasks run as process groups\n"
             "  --gpus SPEC           declare virtual GPUs instead of asking NVML, e.g. 4x80GiB\n"
             "                        or 2xA100-80GiB,1xT4-16GiB\n"
             "  --nodes N             N virtual nodes like this machine, each with those GPUs\n"
             "                        (for benchmarks; tasks still run here; default 1)\n"
             "  --topology SPEC       label the nodes with a topology \"local\" to try\n"
             "                        topology-aware placement, e.g. zone=2,rack=4: 2 zones of\n"
             "                        4 racks each, consecutive nodes together, then the host\n"
             "  --node-pools SPEC     put virtual nodes in node pools, in order: a100:2,h100:1\n"
             "                        (the rest stay in the default pool)\n"
             "  --mig-layout SPEC     MIG instances the nodes offer, declared: 1g.10gb=7 on\n"
             "                        every node, or one layout per node separated by ';'\n"
             "                        (1g.10gb=7;3g.40gb=2); tasks get ALLOT_MIG_INSTANCES\n"
             "  --supervisor PATH     the allot-supervisor program (default: next to allotd)\n"
             "  --cuda-library PATH   liballot-cuda.so, which tasks holding a share of a GPU run\n"
             "                        under (default: next to allotd)\n"
             "  --no-enforce          run them without it (their limits are not enforced)\n",
    .open = local_open,
    .close = local_close,
    .prepare = local_prepare,
    .start = local_start,
    .stop = local_stop,
    .refresh = local_refresh,
    .poll = local_poll,
    .find = local_find,
    .forget = local_forget,
    .log_read = local_log_read,
    .log_from = local_log_from,
    .workdir_check = local_workdir_check,
    .describe = local_describe,
    .task_json = local_task_json,
    .stream = local_stream,
    .gpu_busy = local_gpu_busy,
    .gpu_memory_used = local_gpu_memory_used,
    .gpu_claims = local_gpu_claims,
};
