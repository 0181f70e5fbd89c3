/* sim_openb.c - `allot sim openb`: the FGD paper's replay of the Alibaba openb trace (offline):
 * one seed as a table, JSON or CSV series, or a range of seeds and their median; an SVG plot
 * of one seed's series under one or several policies. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "sim/openb.h"
#include "util/svg_plot.h"

#define MAX_POLICIES 8

struct options {
    const char *nodes, *pods, *plot;
    struct al__openb_config config;
    uint64_t seed_first, seed_last; /* --seeds A-B; equal to --seed otherwise */
    bool seed_range, json, csv;
    enum al__fit_policy policies[MAX_POLICIES]; /* --policy P[,P...]; config.policy: the first */
    size_t policy_count;
};

/* A non-negative decimal with at most three decimals as thousandths ("1.3" -> 1300). */
static int parse_permille(const char *s, int64_t *out) {
    int64_t whole = 0, frac = 0;
    int digits = 0, decimals = 0;

    for (; *s >= '0' && *s <= '9'; s++, digits++) {
        if (whole > 1000000)
            return -1;
        whole = whole * 10 + (*s - '0');
    }
    if (*s == '.') {
        for (s++; *s >= '0' && *s <= '9'; s++, decimals++) {
            if (decimals == 3)
                return -1;
            frac = frac * 10 + (*s - '0');
        }
        if (decimals == 0)
            return -1;
    }
    if (*s != '\0' || digits == 0)
        return -1;
    while (decimals++ < 3)
        frac *= 10;
    *out = whole * 1000 + frac;
    return 0;
}

static int parse_u64(const char *s, uint64_t *out) {
    char *end;
    unsigned long long v;

    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (*end != '\0' || errno == ERANGE)
        return -1;
    *out = v;
    return 0;
}

static int parse_seeds(const char *s, struct options *o) {
    char buf[64];
    char *dash;

    if (strlen(s) >= sizeof(buf))
        return -1;
    memcpy(buf, s, strlen(s) + 1);
    dash = strchr(buf, '-');
    if (!dash)
        return -1;
    *dash = '\0';
    if (parse_u64(buf, &o->seed_first) < 0 || parse_u64(dash + 1, &o->seed_last) < 0 ||
        o->seed_last < o->seed_first || o->seed_last - o->seed_first >= 1000)
        return -1;
    o->seed_range = true;
    return 0;
}

/* One option at a->arg into o: AL__CLI_RUN or AL__CLI_BAD. */
/* --policy P[,P...]: 0, or -1 for an unknown name, an empty one or too many. */
static int parse_policies(const char *s, struct options *o) {
    size_t count = 0;
    for (const char *p = s;; p++) {
        size_t len = strcspn(p, ",");
        char name[32];
        if (len == 0 || len >= sizeof(name) || count == MAX_POLICIES)
            return -1;
        memcpy(name, p, len);
        name[len] = '\0';
        if (al__fit_policy_parse(name, &o->policies[count++]) < 0)
            return -1;
        p += len;
        if (!*p)
            break;
    }
    o->policy_count = count;
    o->config.policy = o->policies[0];
    return 0;
}

static int parse_option(const struct al__cli *cli, struct al__cli_args *a, struct options *o) {
    const char *v;

    if (al__cli_args_is(a, NULL, "--json"))
        return al__cli_args_flag(a, &o->json) ? AL__CLI_RUN : AL__CLI_BAD;
    if (al__cli_args_is(a, NULL, "--csv"))
        return al__cli_args_flag(a, &o->csv) ? AL__CLI_RUN : AL__CLI_BAD;
    if (!al__cli_args_is(a, NULL, "--nodes") && !al__cli_args_is(a, NULL, "--pods") &&
        !al__cli_args_is(a, NULL, "--inflate") && !al__cli_args_is(a, NULL, "--seed") &&
        !al__cli_args_is(a, NULL, "--seeds") && !al__cli_args_is(a, NULL, "--policy") &&
        !al__cli_args_is(a, NULL, "--plot"))
        return al__cli_args_unknown(a);
    if (!(v = al__cli_args_value(a)))
        return AL__CLI_BAD;
    if (strcmp(a->option, "--nodes") == 0)
        o->nodes = v;
    else if (strcmp(a->option, "--pods") == 0)
        o->pods = v;
    else if (strcmp(a->option, "--plot") == 0)
        o->plot = v;
    else if (strcmp(a->option, "--inflate") == 0) {
        if (parse_permille(v, &o->config.inflate_permille) < 0 ||
            o->config.inflate_permille > 100000)
            return al__cli_usage_error(cli,
                                       "--inflate: '%s' is not a ratio such as 1.3 (0 to "
                                       "100, at most 3 decimals; 0 = no inflation)",
                                       v);
    } else if (strcmp(a->option, "--seed") == 0) {
        if (parse_u64(v, &o->config.seed) < 0)
            return al__cli_usage_error(cli, "--seed: '%s' is not a non-negative integer", v);
        o->seed_first = o->seed_last = o->config.seed;
    } else if (strcmp(a->option, "--seeds") == 0) {
        if (parse_seeds(v, o) < 0)
            return al__cli_usage_error(cli,
                                       "--seeds: '%s' is not a range FIRST-LAST such as "
                                       "42-51 (at most 1000 seeds)",
                                       v);
    } else if (parse_policies(v, o) < 0) {
        return al__cli_usage_error(cli,
                                   "--policy: '%s' is not a policy or a comma-separated list of "
                                   "at most %d (allot, binpack, random, dotprod, packing, "
                                   "bestfit, fgd)",
                                   v, MAX_POLICIES);
    }
    return AL__CLI_RUN;
}

static int options_parse(const struct al__cli *cli, int argc, char **argv, struct options *o) {
    struct al__cli_args a;
    int rc = AL__CLI_RUN;

    memset(o, 0, sizeof(*o));
    o->config.policy = o->policies[0] = AL__FIT_ALLOT;
    o->policy_count = 1;
    o->config.seed = o->seed_first = o->seed_last = 42;
    o->config.inflate_permille = 1300;
    al__cli_args_init(&a, cli, argc, argv);
    while (rc == AL__CLI_RUN && al__cli_args_next(&a))
        rc = parse_option(cli, &a, o);
    if (rc != AL__CLI_RUN)
        return rc;
    rc = al__cli_args_finish(&a, NULL, NULL);
    if (rc != AL__CLI_RUN)
        return rc;
    if (!o->nodes)
        return al__cli_usage_error(cli, "no node list given (--nodes FILE, for example "
                                        "openb_node_list_gpu_node.csv)");
    if (!o->pods)
        return al__cli_usage_error(cli, "no pod list given (--pods FILE, for example "
                                        "openb_pod_list_default.csv)");
    if (o->json && o->csv)
        return al__cli_usage_error(cli, "--json and --csv together (choose one)");
    if (o->seed_range && o->csv)
        return al__cli_usage_error(cli, "--csv writes one run's series: give --seed, not --seeds");
    if (o->seed_range && o->plot)
        return al__cli_usage_error(cli, "--plot draws one run's series: give --seed, not --seeds");
    if (o->policy_count > 1 && (o->json || o->csv || o->seed_range))
        return al__cli_usage_error(cli, "several policies are compared in a table and --plot; "
                                        "--json, --csv and --seeds take one policy");
    return AL__CLI_RUN;
}

/* A series value as JSON: null where no event gave one. */
static json_t *number(double v) {
    return isnan(v) ? json_null() : json_real(round(v * 100) / 100);
}

static json_t *run_json(const struct options *o, uint64_t seed, const struct al__openb_result *r) {
    json_t *doc = json_object(), *arrived = json_array(), *alloc = json_array();
    json_t *frag = json_array(), *idle = json_array();
    size_t k;

    json_object_set_new(doc, "policy", json_string(al__fit_policy_name(o->config.policy)));
    json_object_set_new(doc, "seed", json_integer((json_int_t)seed));
    json_object_set_new(doc, "inflate", json_real((double)o->config.inflate_permille / 1000));
    json_object_set_new(doc, "pods", json_integer((json_int_t)r->pods));
    json_object_set_new(doc, "inflated", json_integer((json_int_t)r->inflated));
    json_object_set_new(doc, "placements", json_integer((json_int_t)r->placements));
    json_object_set_new(doc, "failed", json_integer((json_int_t)r->failed));
    json_object_set_new(doc, "typical_shapes", json_integer((json_int_t)r->shape_count));
    json_object_set_new(doc, "cluster_gpus", json_real((double)r->capacity_milli / 1000));
    json_object_set_new(doc, "final_allocation_rate", number(r->final_allocation_pct));
    json_object_set_new(doc, "final_fragmentation_rate", number(r->final_fragmentation_pct));
    json_object_set_new(doc, "final_fragmentation_of_idle_rate", number(r->final_frag_of_idle_pct));
    for (k = 0; k < r->level_count; k++) {
        json_array_append_new(arrived, json_integer((json_int_t)k));
        json_array_append_new(alloc, number(r->allocation_pct[k]));
        json_array_append_new(frag, number(r->fragmentation_pct[k]));
        json_array_append_new(idle, number(r->frag_of_idle_pct[k]));
    }
    json_object_set_new(doc, "arrived_pct", arrived);
    json_object_set_new(doc, "allocation_pct", alloc);
    json_object_set_new(doc, "fragmentation_pct", frag);
    json_object_set_new(doc, "fragmentation_of_idle_pct", idle);
    return doc;
}

static void print_value(double v) {
    if (isnan(v))
        printf("  %12s", "-");
    else
        printf("  %12.2f", v);
}

static void print_table(const struct options *o, uint64_t seed, const struct al__openb_result *r) {
    size_t k;

    printf("policy %s, seed %llu, inflate %.3g: %zu pods (%zu re-sampled), %zu placed, %zu "
           "failed; %zu typical shapes\n",
           al__fit_policy_name(o->config.policy), (unsigned long long)seed,
           (double)o->config.inflate_permille / 1000, r->pods, r->inflated, r->placements,
           r->failed, r->shape_count);
    printf("%9s  %12s  %12s  %12s\n", "ARRIVED%", "ALLOCATED%", "FRAGMENTED%", "FRAG/IDLE%");
    for (k = 0; k < r->level_count; k += 10) {
        printf("%9zu", k);
        print_value(r->allocation_pct[k]);
        print_value(r->fragmentation_pct[k]);
        print_value(r->frag_of_idle_pct[k]);
        putchar('\n');
    }
    printf("%9s", "final");
    print_value(r->final_allocation_pct);
    print_value(r->final_fragmentation_pct);
    print_value(r->final_frag_of_idle_pct);
    putchar('\n');
}

static void print_csv(const struct al__openb_result *r) {
    size_t k;

    printf("arrived_pct,allocation_pct,fragmentation_pct,fragmentation_of_idle_pct\n");
    for (k = 0; k < r->level_count; k++) {
        if (isnan(r->allocation_pct[k]))
            continue;
        printf("%zu,%.2f,%.2f,%.2f\n", k, r->allocation_pct[k], r->fragmentation_pct[k],
               r->frag_of_idle_pct[k]);
    }
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double median(double *v, size_t n) {
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Every seed of the range: a line each and the medians (or one JSON document). */
static int run_seeds(const struct options *o, const struct al__openb_trace *t) {
    size_t n = (size_t)(o->seed_last - o->seed_first + 1), i;
    double *alloc = calloc(n, sizeof(double)), *frag = calloc(n, sizeof(double));
    json_t *doc = json_object(), *runs = json_array();
    struct options one = *o;
    char err[512];
    int status = AL__EXIT_OK;

    if (!alloc || !frag)
        abort();
    if (!o->json)
        printf("%6s  %12s  %12s  %8s  %8s\n", "SEED", "ALLOCATED%", "FRAGMENTED%", "PLACED",
               "FAILED");
    for (i = 0; i < n; i++) {
        struct al__openb_result r;
        one.config.seed = o->seed_first + i;
        if (al__openb_run(t, &one.config, &r, err, sizeof(err)) < 0) {
            fprintf(stderr, "allot sim openb: %s\n", err);
            status = AL__EXIT_FAIL;
            break;
        }
        alloc[i] = r.final_allocation_pct;
        frag[i] = r.final_fragmentation_pct;
        if (o->json) {
            json_t *run = json_object();
            json_object_set_new(run, "seed", json_integer((json_int_t)one.config.seed));
            json_object_set_new(run, "final_allocation_rate", number(alloc[i]));
            json_object_set_new(run, "final_fragmentation_rate", number(frag[i]));
            json_object_set_new(run, "placements", json_integer((json_int_t)r.placements));
            json_object_set_new(run, "failed", json_integer((json_int_t)r.failed));
            json_array_append_new(runs, run);
        } else {
            printf("%6llu  %12.2f  %12.2f  %8zu  %8zu\n", (unsigned long long)one.config.seed,
                   alloc[i], frag[i], r.placements, r.failed);
        }
        al__openb_result_release(&r);
    }
    if (status == AL__EXIT_OK) {
        double ma = median(alloc, n), mf = median(frag, n);
        if (o->json) {
            json_object_set_new(doc, "policy", json_string(al__fit_policy_name(o->config.policy)));
            json_object_set_new(doc, "inflate",
                                json_real((double)o->config.inflate_permille / 1000));
            json_object_set_new(doc, "runs", runs);
            runs = NULL;
            json_object_set_new(doc, "median_final_allocation_rate", number(ma));
            json_object_set_new(doc, "median_final_fragmentation_rate", number(mf));
            json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
            putchar('\n');
        } else {
            printf("%6s  %12.2f  %12.2f\n", "median", ma, mf);
        }
    }
    json_decref(runs);
    json_decref(doc);
    free(alloc);
    free(frag);
    return status;
}

/* The levels of series y that have a value, as points (x, y) from 2 * count doubles at
 * *buf: levels without an event leave no gap in the line. */
static struct al__plot_series levels_series(const char *name, const double *y, size_t count,
                                            int colour, bool dashed, double *buf) {
    size_t n = 0;
    for (size_t k = 0; k < count; k++)
        if (!isnan(y[k])) {
            buf[n] = (double)k;
            buf[count + n++] = y[k];
        }
    return (struct al__plot_series){name, buf, buf + count, n, colour, dashed};
}

/* --plot: the allocation and fragmentation series of each policy's run. */
static int plot_runs(const struct options *o, const struct al__openb_result *r, size_t count) {
    struct al__plot_series series[2 * MAX_POLICIES];
    char names[2 * MAX_POLICIES][64], title[128], err[512];
    double *points[2 * MAX_POLICIES];
    for (size_t i = 0; i < count; i++) {
        const char *name = al__fit_policy_name(o->policies[i]);
        size_t n = r[i].level_count;
        snprintf(names[i], sizeof(names[i]), "%s: allocated", name);
        snprintf(names[count + i], sizeof(names[count + i]), "%s: fragmented", name);
        points[i] = calloc(2 * n + 1, sizeof(double));
        points[count + i] = calloc(2 * n + 1, sizeof(double));
        if (!points[i] || !points[count + i])
            abort();
        series[i] = levels_series(names[i], r[i].allocation_pct, n, (int)i + 1, false, points[i]);
        series[count + i] = levels_series(names[count + i], r[i].fragmentation_pct, n, (int)i + 1,
                                          true, points[count + i]);
    }
    snprintf(title, sizeof(title), "openb replay, seed %llu, inflate %.3g",
             (unsigned long long)o->config.seed, (double)o->config.inflate_permille / 1000);
    struct al__plot p = {.title = title,
                         .x_label = "arrived GPU request (% of the cluster's GPUs)",
                         .y_label = "% of the cluster's GPUs",
                         .series = series,
                         .series_count = 2 * count,
                         .y_fixed = true,
                         .y_min = 0,
                         .y_max = 100};
    int rc = al__plot_svg_write(&p, o->plot, err, sizeof(err));
    for (size_t i = 0; i < 2 * count; i++)
        free(points[i]);
    if (rc < 0) {
        fprintf(stderr, "allot sim openb: --plot: %s\n", err);
        return AL__EXIT_FAIL;
    }
    return AL__EXIT_OK;
}

/* One seed under each policy: a table each (or JSON, or CSV, for one), then the plot. */
static int run_policies(const struct options *o, const struct al__openb_trace *t) {
    struct al__openb_result r[MAX_POLICIES];
    struct options one = *o;
    char err[512];
    size_t done = 0;
    int status = AL__EXIT_OK;
    for (; done < o->policy_count; done++) {
        one.config.policy = o->policies[done];
        if (al__openb_run(t, &one.config, &r[done], err, sizeof(err)) < 0) {
            fprintf(stderr, "allot sim openb: %s\n", err);
            status = AL__EXIT_FAIL;
            break;
        }
        if (o->json) {
            json_t *doc = run_json(&one, one.config.seed, &r[done]);
            json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
            putchar('\n');
            json_decref(doc);
        } else if (o->csv) {
            print_csv(&r[done]);
        } else {
            if (done > 0)
                putchar('\n');
            print_table(&one, one.config.seed, &r[done]);
        }
    }
    if (status == AL__EXIT_OK && o->plot)
        status = plot_runs(o, r, done);
    for (size_t i = 0; i < done; i++)
        al__openb_result_release(&r[i]);
    return status;
}

int al__cmd_sim_openb(const struct al__cli *cli, int argc, char **argv) {
    struct options o;
    struct al__openb_trace t;
    char err[512];
    int rc = options_parse(cli, argc, argv, &o), status = AL__EXIT_OK;

    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    memset(&t, 0, sizeof(t));
    if (al__openb_nodes_read(&t, o.nodes, err, sizeof(err)) < 0 ||
        al__openb_pods_read(&t, o.pods, err, sizeof(err)) < 0) {
        fprintf(stderr, "allot sim openb: %s\n", err);
        al__openb_trace_release(&t);
        return AL__EXIT_FAIL;
    }
    if (o.seed_range)
        status = run_seeds(&o, &t);
    else
        status = run_policies(&o, &t);
    al__openb_trace_release(&t);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "allot sim openb: cannot write the output\n");
        status = AL__EXIT_FAIL;
    }
    return status;
}
