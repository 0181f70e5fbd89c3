/* sim_timed.c - `allot sim philly` and `allot sim dlrm`: a timed simulation of a trace through
 * allotd's own scheduling loop. It runs the allotd program in its sim mode (`allotd --backend sim`,
 * on a virtual clock, in a throwaway state directory) and prints the result file it writes as a
 * table, JSON or a CSV time series. */
#define _DEFAULT_SOURCE
#define _XOPEN_SOURCE 700 /* nftw */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "util/svg_plot.h"
#include "util/xalloc.h"

#define MAX_ARGS 32

struct sim_options {
    const char *trace; /* "philly" or "dlrm" */
    const char *jobs, *vcs, *nodes, *from, *plot, *allotd, *time_limits;
    int64_t days, gpus_per_node, reservation_min_gpus, reservation_wait_s; /* -1: allotd's */
    bool json, csv, no_skip;
};

/* allotd's pid while it runs, for a signal that stops allot to stop it too. */
static volatile sig_atomic_t child_pid, interrupted;

static void on_signal(int sig) {
    interrupted = sig;
    if (child_pid > 0)
        kill((pid_t)child_pid, SIGTERM);
}

/* The allotd program: --allotd, else the one next to this allot, else allotd on PATH. */
static void allotd_path(const char *given, char *out, size_t size) {
    char self[2048];
    ssize_t n = given ? -1 : readlink("/proc/self/exe", self, sizeof(self) - 1);
    snprintf(out, size, "%s", given ? given : "allotd");
    if (n <= 0)
        return;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (!slash)
        return;
    *slash = '\0';
    char next_to[2100];
    snprintf(next_to, sizeof(next_to), "%s/allotd", self);
    if (access(next_to, X_OK) == 0)
        snprintf(out, size, "%s", next_to);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

/* Runs allotd's sim mode into dir/result.json, its messages into dir/allotd.log. Its exit
 * status, or -1 when it could not run or was stopped: SIGINT, SIGTERM or SIGHUP stop it (and
 * allot, after its directory is removed). */
static int allotd_run(const struct sim_options *o, const char *dir) {
    char program[PATH_MAX], state[1100], result[1100], log[1100], gpn[32], days[32], rmin[32],
        rwait[32];
    const char *argv[MAX_ARGS];
    size_t n = 0;
    allotd_path(o->allotd, program, sizeof(program));
    snprintf(state, sizeof(state), "%s/state", dir);
    snprintf(result, sizeof(result), "%s/result.json", dir);
    snprintf(log, sizeof(log), "%s/allotd.log", dir);
    argv[n++] = program;
    argv[n++] = "--state-dir";
    argv[n++] = state;
    argv[n++] = "--backend";
    argv[n++] = "sim";
    argv[n++] = "--trace";
    argv[n++] = o->trace;
    argv[n++] = "--jobs";
    argv[n++] = o->jobs;
    argv[n++] = "--result";
    argv[n++] = result;
    if (o->vcs)
        argv[n++] = "--vcs", argv[n++] = o->vcs;
    if (o->nodes)
        argv[n++] = "--nodes", argv[n++] = o->nodes;
    if (o->from)
        argv[n++] = "--from", argv[n++] = o->from;
    if (o->days > 0) {
        snprintf(days, sizeof(days), "%lld", (long long)o->days);
        argv[n++] = "--days", argv[n++] = days;
    }
    if (o->gpus_per_node > 0) {
        snprintf(gpn, sizeof(gpn), "%lld", (long long)o->gpus_per_node);
        argv[n++] = "--gpus-per-node", argv[n++] = gpn;
    }
    if (o->no_skip)
        argv[n++] = "--skip", argv[n++] = "no";
    if (o->time_limits)
        argv[n++] = "--time-limits", argv[n++] = o->time_limits;
    if (o->reservation_min_gpus >= 0) {
        snprintf(rmin, sizeof(rmin), "%lld", (long long)o->reservation_min_gpus);
        argv[n++] = "--reservation-min-gpus", argv[n++] = rmin;
    }
    if (o->reservation_wait_s >= 0) {
        snprintf(rwait, sizeof(rwait), "%lld", (long long)o->reservation_wait_s);
        argv[n++] = "--reservation-wait", argv[n++] = rwait;
    }
    argv[n] = NULL;
    fflush(NULL);
    struct sigaction stop = {.sa_handler = on_signal}, old[3];
    const int sigs[3] = {SIGINT, SIGTERM, SIGHUP};
    sigemptyset(&stop.sa_mask);
    for (int i = 0; i < 3; i++)
        sigaction(sigs[i], &stop, &old[i]);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd >= 0)
            dup2(fd, 2);
        execvp(program, (char *const *)argv);
        fprintf(stderr, "allot sim: cannot run %s: %s\n", program, strerror(errno));
        _exit(127);
    }
    child_pid = pid;
    if (interrupted) /* came before child_pid was set */
        kill(pid, SIGTERM);
    int status = -1;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        continue;
    child_pid = 0;
    for (int i = 0; i < 3; i++)
        sigaction(sigs[i], &old[i], NULL);
    return WIFEXITED(status) && !interrupted ? WEXITSTATUS(status) : -1;
}

/* What allotd said, its start-up notes about tokens left out, on stderr. */
static void allotd_complain(const char *dir, const char *trace) {
    char path[1100], line[2048];
    snprintf(path, sizeof(path), "%s/allotd.log", dir);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof(line), f))
        if (!strstr(line, "first start:"))
            fprintf(stderr, "allot sim %s: %s", trace,
                    strncmp(line, "allotd: ", 8) == 0 ? line + 8 : line);
    if (f)
        fclose(f);
}

static json_int_t integer(const json_t *o, const char *key) {
    return json_integer_value(json_object_get(o, key));
}

static void distribution_cells(const json_t *d) {
    static const char *const keys[] = {"mean", "p50", "p95", "p99"};
    for (int i = 0; i < 4; i++) {
        const json_t *v = json_object_get(d, keys[i]);
        if (json_is_number(v))
            printf(" %9.0f", json_number_value(v));
        else
            printf(" %9s", "-");
    }
}

static void table_row(const json_t *p, const char *name) {
    const json_t *deserved = json_object_get(p, "deserved_gpus");
    printf("%-10s", name);
    if (deserved)
        printf(" %8lld", (long long)json_integer_value(deserved));
    else
        printf(" %8s", "");
    printf(" %6lld %6lld", (long long)integer(p, "jobs"), (long long)integer(p, "finished"));
    distribution_cells(json_object_get(p, "queueing_delay_s"));
    distribution_cells(json_object_get(p, "jct_s"));
    const json_t *error = json_object_get(p, "fair_share_error_pct");
    if (error)
        printf(" %8.2f", json_number_value(error));
    else
        printf(" %8s", "");
    printf(" %9lld\n", (long long)integer(p, "evictions"));
}

static void table_print(const json_t *r) {
    double simulated = (double)integer(r, "simulated_seconds");
    printf("trace %s: %lld nodes, %lld GPUs; %.0f simulated seconds (%.1f days) in %.1f s; "
           "%lld cycles, %lld seconds skipped\n",
           json_string_value(json_object_get(r, "trace")), (long long)integer(r, "nodes"),
           (long long)integer(r, "gpus"), simulated, simulated / 86400,
           json_number_value(json_object_get(r, "wall_seconds")), (long long)integer(r, "cycles"),
           (long long)integer(r, "seconds_skipped"));
    printf("GPU utilisation: mean %.2f %%; evictions %lld\n\n",
           json_number_value(json_object_get(r, "utilisation_mean_pct")),
           (long long)integer(r, "evictions"));
    printf("%-10s %8s %6s %6s %9s %9s %9s %9s %9s %9s %9s %9s %8s %9s\n", "PROJECT", "DESERVED",
           "JOBS", "DONE", "WAIT-MEAN", "WAIT-P50", "WAIT-P95", "WAIT-P99", "JCT-MEAN", "JCT-P50",
           "JCT-P95", "JCT-P99", "FS-ERR%", "EVICTIONS");
    size_t i;
    const json_t *p;
    json_array_foreach(json_object_get(r, "projects"), i, p)
        table_row(p, json_string_value(json_object_get(p, "name")));
    table_row(json_object_get(r, "total"), "TOTAL");
    json_array_foreach(json_object_get(r, "by_size"), i, p) { /* the same jobs by GPUs asked */
        char name[32];
        json_int_t lo = integer(p, "gpus_min"), hi = integer(p, "gpus_max");
        if (lo == hi)
            snprintf(name, sizeof(name), "%lld GPU%s", (long long)lo, lo == 1 ? "" : "s");
        else if (hi >= INT32_MAX)
            snprintf(name, sizeof(name), "%lld+ GPUs", (long long)lo);
        else
            snprintf(name, sizeof(name), "%lld-%lld GPUs", (long long)lo, (long long)hi);
        table_row(p, name);
    }
    printf("\n(seconds; WAIT: queueing delay, first start - arrival; JCT: end - arrival; "
           "FS-ERR%%: time-averaged |allocated - fair share| / cluster GPUs)\n");
}

static void csv_print(const json_t *r) {
    size_t i;
    const json_t *x;
    printf("time_s,allocated_gpus,utilisation_pct,pending_jobs,running_jobs\n");
    json_array_foreach(json_object_get(r, "utilisation"), i, x)
        printf("%lld,%lld,%.2f,%lld,%lld\n", (long long)integer(x, "time_s"),
               (long long)integer(x, "allocated_gpus"),
               json_number_value(json_object_get(x, "utilisation_pct")),
               (long long)integer(x, "pending_jobs"), (long long)integer(x, "running_jobs"));
}

/* A long series is drawn as the time-weighted mean utilisation of this many equal intervals. */
#define PLOT_INTERVALS 1000

/* The utilisation series as the points of a line over x = time / unit: each change as a step
 * where the series is short, else the mean of each of PLOT_INTERVALS intervals. Its length. */
static size_t plot_points(const json_t *series, double end, double unit, double *x, double *y) {
    size_t n = json_array_size(series), k = 0;
    for (size_t i = 0; n <= 2 * PLOT_INTERVALS && i < n; i++) {
        const json_t *p = json_array_get(series, i);
        double t = (double)integer(p, "time_s") / unit;
        if (k > 0) { /* the level before, up to this change */
            x[k] = t, y[k] = y[k - 1];
            k++;
        }
        x[k] = t, y[k] = json_number_value(json_object_get(p, "utilisation_pct"));
        k++;
    }
    if (n <= 2 * PLOT_INTERVALS) {
        if (k > 0)
            x[k] = end / unit, y[k] = y[k - 1], k++;
        return k;
    }
    double width = end / PLOT_INTERVALS, level = 0;
    size_t i = 0;
    for (int b = 0; b < PLOT_INTERVALS; b++) {
        double lo = b * width, hi = lo + width, at = lo, sum = 0;
        for (; i < n; i++) {
            const json_t *p = json_array_get(series, i);
            double t = (double)integer(p, "time_s");
            if (t > hi)
                break;
            sum += level * (t - at);
            at = t;
            level = json_number_value(json_object_get(p, "utilisation_pct"));
        }
        sum += level * (hi - at);
        x[k] = (lo + hi) / 2 / unit, y[k] = width > 0 ? sum / width : level;
        k++;
    }
    return k;
}

/* --plot FILE: GPU utilisation over time as an SVG chart (util/svg_plot.h). 0, or -1 after
 * saying why. */
static int plot_write(const json_t *r, const char *trace, const char *path) {
    const json_t *series = json_object_get(r, "utilisation");
    size_t n = json_array_size(series);
    double end = (double)integer(r, "simulated_seconds");
    bool days = end > 3 * 86400;
    double *x = al__xcalloc(2 * n + PLOT_INTERVALS + 2, sizeof(*x));
    double *y = al__xcalloc(2 * n + PLOT_INTERVALS + 2, sizeof(*y));
    char title[160], err[512];
    snprintf(title, sizeof(title), "GPU utilisation: allot sim %s, %lld GPUs%s", trace,
             (long long)integer(r, "gpus"),
             n > 2 * PLOT_INTERVALS ? " (mean of each interval)" : "");
    struct al__plot_series line = {.name = "allocated GPUs",
                                   .x = x,
                                   .y = y,
                                   .count = plot_points(series, end, days ? 86400 : 3600, x, y)};
    struct al__plot plot = {.title = title,
                            .x_label = days ? "simulated days" : "simulated hours",
                            .y_label = "GPUs allocated (%)",
                            .series = &line,
                            .series_count = 1,
                            .y_fixed = true,
                            .y_min = 0,
                            .y_max = 100};
    int rc = al__plot_svg_write(&plot, path, err, sizeof(err));
    if (rc < 0)
        fprintf(stderr, "allot sim %s: --plot: %s\n", trace, err);
    free(x);
    free(y);
    return rc;
}

/* An option of one form only (the other's table lacks it). */
static bool form_option(struct al__cli_args *a, bool form, const char *name) {
    return form && al__cli_args_is(a, NULL, name);
}

static int options_parse(const struct al__cli *cli, int argc, char **argv, struct sim_options *o) {
    struct al__cli_args a;
    const char *trace = o->trace;
    bool philly = strcmp(trace, "philly") == 0;
    memset(o, 0, sizeof(*o));
    o->trace = trace;
    o->reservation_min_gpus = o->reservation_wait_s = -1;
    al__cli_args_init(&a, cli, argc, argv);
    while (al__cli_args_next(&a)) {
        const char **value = form_option(&a, philly, "--jobs")          ? &o->jobs
                             : form_option(&a, !philly, "--instances")  ? &o->jobs
                             : form_option(&a, philly, "--vcs")         ? &o->vcs
                             : al__cli_args_is(&a, NULL, "--nodes")     ? &o->nodes
                             : form_option(&a, philly, "--from")        ? &o->from
                             : form_option(&a, philly, "--time-limits") ? &o->time_limits
                             : al__cli_args_is(&a, NULL, "--plot")      ? &o->plot
                             : al__cli_args_is(&a, NULL, "--allotd")    ? &o->allotd
                                                                        : NULL;
        if (value) {
            if (!(*value = al__cli_args_value(&a)))
                return AL__CLI_BAD;
        } else if (form_option(&a, philly, "--days")) {
            if (al__cli_args_integer(&a, 1, &o->days) != AL__CLI_RUN)
                return AL__CLI_BAD;
        } else if (form_option(&a, philly, "--reservation-min-gpus")) {
            if (al__cli_args_integer(&a, 0, &o->reservation_min_gpus) != AL__CLI_RUN)
                return AL__CLI_BAD;
        } else if (form_option(&a, philly, "--reservation-wait")) {
            if (al__cli_args_integer(&a, 0, &o->reservation_wait_s) != AL__CLI_RUN)
                return AL__CLI_BAD;
        } else if (form_option(&a, philly, "--gpus-per-node")) {
            if (al__cli_args_integer(&a, 1, &o->gpus_per_node) != AL__CLI_RUN)
                return AL__CLI_BAD;
        } else if (al__cli_args_is(&a, NULL, "--json")) {
            if (!al__cli_args_flag(&a, &o->json))
                return AL__CLI_BAD;
        } else if (al__cli_args_is(&a, NULL, "--csv")) {
            if (!al__cli_args_flag(&a, &o->csv))
                return AL__CLI_BAD;
        } else if (al__cli_args_is(&a, NULL, "--no-skip")) {
            if (!al__cli_args_flag(&a, &o->no_skip))
                return AL__CLI_BAD;
        } else {
            return al__cli_args_unknown(&a);
        }
    }
    int rc = al__cli_args_finish(&a, NULL, NULL);
    if (rc != AL__CLI_RUN)
        return rc;
    if (!o->jobs)
        return al__cli_usage_error(cli, philly ? "no jobs given (--jobs philly_jobs.csv)"
                                               : "no instances given (--instances "
                                                 "disaggregated_DLRM_trace.csv.xz)");
    if (!philly && !o->nodes)
        return al__cli_usage_error(cli, "no nodes given (--nodes node_info_df.csv)");
    if (!o->vcs && !o->nodes)
        return al__cli_usage_error(cli, "no virtual clusters given (--vcs philly_vc_nodes.csv)");
    if (o->json && o->csv)
        return al__cli_usage_error(cli, "--json and --csv: give one of them");
    if (o->days > 0 && !o->from)
        return al__cli_usage_error(cli, "--days: give --from too");
    if (o->gpus_per_node > 64)
        return al__cli_usage_error(cli, "--gpus-per-node: at most 64");
    return AL__CLI_RUN;
}

static int sim_run(const struct al__cli *cli, int argc, char **argv, const char *trace) {
    struct sim_options o = {.trace = trace};
    int rc = options_parse(cli, argc, argv, &o);
    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    const char *tmp = getenv("TMPDIR");
    char dir[1024], result[1100];
    snprintf(dir, sizeof(dir), "%s/allot-sim-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "allot sim %s: cannot make a directory in %s: %s\n", trace,
                tmp && tmp[0] ? tmp : "/tmp", strerror(errno));
        return AL__EXIT_FAIL;
    }
    int status = allotd_run(&o, dir), exit_code = AL__EXIT_OK;
    snprintf(result, sizeof(result), "%s/result.json", dir);
    json_t *r = status == 0 ? json_load_file(result, 0, NULL) : NULL;
    if (!r && interrupted) {
        exit_code = AL__EXIT_FAIL;
    } else if (!r) {
        allotd_complain(dir, trace);
        if (status == 127 || status < 0)
            fprintf(stderr,
                    "allot sim %s: allotd did not run to its end (--allotd PATH: the program)\n",
                    trace);
        exit_code = status == 2 ? AL__EXIT_USAGE : AL__EXIT_FAIL; /* 2: a bad trace or option */
    } else if (o.json) {
        json_dumpf(r, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
        putchar('\n');
    } else if (o.csv) {
        csv_print(r);
    } else {
        table_print(r);
    }
    if (r && o.plot && plot_write(r, trace, o.plot) < 0)
        exit_code = AL__EXIT_FAIL;
    json_decref(r);
    nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    if (interrupted) {
        fprintf(stderr, "allot sim %s: stopped by signal %d\n", trace, (int)interrupted);
        return 128 + interrupted;
    }
    if (fflush(stdout) != 0 && exit_code == AL__EXIT_OK)
        exit_code = AL__EXIT_FAIL;
    return exit_code;
}

int al__cmd_sim_philly(const struct al__cli *cli, int argc, char **argv) {
    return sim_run(cli, argc, argv, "philly");
}

int al__cmd_sim_dlrm(const struct al__cli *cli, int argc, char **argv) {
    return sim_run(cli, argc, argv, "dlrm");
}
