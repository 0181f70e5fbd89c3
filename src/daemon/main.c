/* main.c - allotd: the daemon that owns the state, serves the REST API and runs the scheduling
 * loop with a backend (the local one by default). */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "allot/errors.h"
#include "daemon/consumption.h"
#include "daemon/cycle_model.h"
#include "daemon/daemon.h"
#include "daemon/http.h"
#include "daemon/identity_start.h"
#include "daemon/loop.h"
#include "daemon/persist.h"
#include "daemon/reservations.h"
#include "daemon/task_account.h"
#include "daemon/tasks.h"
#include "daemon/tls.h"
#include "daemon/ui.h"
#include "daemon/usage.h"
#include "util/file_mode.h"
#include "util/xalloc.h"

#define VERSION "0.1.0"

#define MAX_BACKEND_OPTIONS 16
#define MAX_TLS_SANS        16
#define MAX_GPU_PRICES      64

struct options {
    const char *state_dir;
    const char *listen;
    const char *backend;
    const char *task_user;          /* NULL = not given */
    const char *ui_dir;             /* --ui-dir, NULL = found next to allotd */
    const char *metrics_token_file; /* the scrape token's file, NULL = none */
    int64_t grace_s;
    int64_t idle_timeout_s;
    int64_t header_timeout_s;
    int64_t per_ip_connections;
    int64_t retention_s;
    int64_t events_kept; /* --events-kept: the event stream's ring */
    int64_t consumption_retention_s;
    struct al__gpu_price gpu_prices[MAX_GPU_PRICES]; /* --gpu-price */
    size_t gpu_price_count;
    int64_t token_ttl_s, refresh_ttl_s, login_per_minute, rate_per_second;
    enum al_placement placement; /* --placement */
    bool in_quota_reclaim;       /* --queue-priority-in-quota-reclaim */
    int64_t usage_window_s, usage_half_life_s, usage_k_milli; /* --usage-* */
    int64_t reservation_min_gpus, reservation_wait_s;         /* --reservation-* */
    struct al__sso_options sso;                               /* --oidc-* */
    bool insecure_http; /* plain HTTP on an address other than loopback, asked for */
    bool tls;           /* HTTPS with the state dir's self-signed pair (--tls) */
    bool print_fingerprint;
    const char *tls_cert, *tls_key; /* HTTPS with these files */
    const char *tls_sans[MAX_TLS_SANS];
    size_t tls_san_count;
    /* Options allotd does not know itself go to the backend, which rejects what it does not
     * know either. */
    struct al__backend_option backend_opts[MAX_BACKEND_OPTIONS];
    size_t backend_opt_count;
};

static void usage(FILE *out) {
    fprintf(
        out,
        "usage: allotd [--state-dir DIR] [--listen HOST:PORT] [--backend NAME]\n"
        "              [--grace-period SECONDS] [--idle-timeout SECONDS] [--retention SECONDS]\n"
        "              [--header-timeout SECONDS] [--max-connections-per-ip N]\n"
        "              [--token-ttl SECONDS] [--refresh-ttl SECONDS] [--login-rate N]\n"
        "              [--rate-limit N] [--events-kept N] [--rbac-doc]\n"
        "              [--placement allot|binpack|spread] [--queue-priority-in-quota-reclaim]\n"
        "              [--consumption-retention SECONDS] [--gpu-price MODEL=PRICE]...\n"
        "              [--usage-window SECONDS] [--usage-half-life SECONDS] [--usage-k K]\n"
        "              [--reservation-min-gpus N] [--reservation-wait SECONDS]\n"
        "              [--task-user ACCOUNT] [--ui-dir DIR] [--metrics-token-file FILE]\n"
        "              [--tls [--tls-san NAME]... | --tls-cert FILE --tls-key FILE]\n"
        "              [BACKEND OPTIONS]\n"
        "       allotd [--state-dir DIR] [--tls-cert FILE] --print-fingerprint\n\n"
        "  --state-dir DIR       where the store, logs and admin.token live (default .allot)\n"
        "  --listen HOST:PORT    address of the REST API (default 127.0.0.1:7373; port 0 =\n"
        "                        any free port, written to DIR/allotd.addr)\n"
        "  --backend NAME        where tasks run (default local)\n"
        "  --grace-period S      seconds a stopping task has before it is stopped at once\n"
        "                        (default 10)\n"
        "  --idle-timeout S      close a connection idle this long (default 120); a\n"
        "                        follower (logs -f) is never closed for being quiet; a\n"
        "                        kept-alive connection must send its next request whole\n"
        "                        within it\n"
        "  --header-timeout S    a new connection must send its whole request within S\n"
        "                        seconds, however slowly its bytes come (default 10)\n"
        "  --max-connections-per-ip N\n"
        "                        connections one client address may hold open; more are\n"
        "                        closed at once (default 4096, 0 = no limit)\n"
        "  --retention S         keep finished workloads in memory this long (default 3600);\n"
        "                        after it they are served from the store\n"
        "  --token-ttl S         how long a sign-in's access token lives (default 3600)\n"
        "  --refresh-ttl S       how long its refresh token lives (default 2592000, 30 days)\n"
        "  --login-rate N        sign-in attempts one client address may make, at once and\n"
        "                        then a minute (default 10)\n"
        "  --rate-limit N        requests a second one user or app may make, bursts of 2N\n"
        "                        (default 100; 0 = no limit; the admin token has none)\n"
        "  --placement P         which node (and shared device) a task goes to: allot (the\n"
        "                        default: where it fragments the GPUs least for the\n"
        "                        workload's typical tasks, docs/simulation.md), binpack\n"
        "                        (KAI's default: the fewest free GPUs) or spread\n"
        "  --queue-priority-in-quota-reclaim\n"
        "                        a project may reclaim from projects of strictly lower\n"
        "                        priority even what they hold within their deserved quota,\n"
        "                        while it stays within its own (default: off, only\n"
        "                        over-quota resources are reclaimed)\n"
        "  --events-kept N       recent changes kept for the event stream (default 10000):\n"
        "                        a client resumes after a disconnect while they hold it\n"
        "  --rbac-doc            print the roles and what they allow (docs/rbac.md), exit\n"
        "  --oidc-issuer URL     sign-in through this OpenID provider (with\n"
        "                        --oidc-client-id ID and --oidc-client-secret-file FILE;\n"
        "                        --oidc-redirect-uri URL, default this allotd's\n"
        "                        /api/v1/sso/callback; --oidc-username-claim C,\n"
        "                        --oidc-groups-claim C, --oidc-scopes S, --oidc-ca-file F,\n"
        "                        --oidc-jwks-refetch S: an unknown key id fetches the\n"
        "                        provider's keys again at most every S seconds, 10)\n");
    /* (two strings: one would pass the 4095 characters C11 compilers must take) */
    fputs("  --consumption-retention S\n"
          "                        keep each task run's consumption row this long after the\n"
          "                        run ended (default 31536000, a year), then drop it\n"
          "  --gpu-price MODEL=PRICE\n"
          "                        the price of one GPU-hour of GPU model MODEL (as `allot\n"
          "                        node list` names it; \"default\" for any model without one),\n"
          "                        in the operator's currency: consumption reports' cost\n"
          "                        (repeatable)\n",
          out);
    fputs("  --usage-window S      time-based fair share: how far back each queue's usage\n"
          "                        counts (default 604800, a week; 0 = keep none)\n"
          "  --usage-half-life S   usage this old counts half (default 0: no decay)\n"
          "  --usage-k K           how strongly recent usage shifts the over-quota share\n"
          "                        (KAI's kValue, 0..1000; default 0: usage is kept and\n"
          "                        shown but does not change the division; 1 is KAI's)\n",
          out);
    fputs("  --reservation-min-gpus N  a gang of at least N GPUs that waited and does not fit\n"
          "                        reserves the nodes that free first by known time limits;\n"
          "                        others backfill there only if their time limit ends\n"
          "                        first (default 0: off)\n"
          "  --reservation-wait S  how long such a gang waits before it reserves (default\n"
          "                        300)\n",
          out);
    fputs("  --task-user ACCOUNT   where allotd runs as root: the unprivileged Unix account\n"
          "                        tasks run as (default nobody; never root). Otherwise\n"
          "                        tasks run as allotd's own user\n"
          "  --ui-dir DIR          the web dashboard's files, served at / (default: web/ or\n"
          "                        ../web/ next to allotd, as make builds them)\n"
          "  --tls                 serve HTTPS with a self-signed certificate made on the\n"
          "                        first start (ECDSA P-256, ten years) into\n"
          "                        DIR/" AL__TLS_CERT_FILE " and DIR/" AL__TLS_KEY_FILE
          " (0600) and reused\n"
          "                        after; it names localhost, 127.0.0.1, ::1, this host's\n"
          "                        name and the --listen host; its SHA-256 fingerprint is\n"
          "                        printed when it is made (clients pin it: allot\n"
          "                        --tls-fingerprint, or trust DIR/" AL__TLS_CERT_FILE
          " with --ca-file)\n"
          "  --tls-san NAME        a further host name or IP address for the certificate\n"
          "                        --tls makes (repeatable; a pair made before keeps its\n"
          "                        names: remove its files to make a new one)\n"
          "  --tls-cert FILE       serve HTTPS with this certificate (PEM, the server's first,\n"
          "  --tls-key FILE        then its chain) and its unencrypted key (PEM)\n"
          "  --print-fingerprint   print the SHA-256 fingerprint of the certificate allotd\n"
          "                        serves (--tls-cert FILE, else DIR's) and exit\n"
          "  --metrics-token-file FILE\n"
          "                        a token (its first line, 16 or more characters) that may\n"
          "                        read GET /metrics (Prometheus text) and nothing else, as\n"
          "                        token:metrics; read on start, kept as a digest. A system\n"
          "                        administrator or viewer may read /metrics too\n"
          "  --insecure-http       allow --listen on an address other than loopback without\n"
          "                        TLS: its plain HTTP carries bearer tokens in the clear (in a\n"
          "                        cluster, behind its network policy); with TLS no flag is\n"
          "                        needed\n",
          out);
    for (size_t i = 0; al__backend_types[i]; i++)
        fprintf(out, "\n%s", al__backend_types[i]->usage);
}

/* A whole number of seconds in [min, max] for option `name`; -1 after saying why. */
static int seconds_option(const char *name, const char *text, long min, long max, int64_t *out) {
    char *end;
    long v = strtol(text, &end, 10);
    if (*end || end == text || v < min || v > max) {
        fprintf(stderr, "allotd: %s: must be %ld..%ld seconds\n", name, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

/* --usage-k: a decimal number 0..1000 in thousandths; -1 after saying why. */
static int k_option(const char *name, const char *text, int64_t *out) {
    char *end;
    double v = strtod(text, &end);
    if (*end || end == text || !(v >= 0 && v <= AL_MAX_USAGE_K_MILLI / 1000.0)) {
        fprintf(stderr, "allotd: %s: must be a number, 0..%d\n", name, AL_MAX_USAGE_K_MILLI / 1000);
        return -1;
    }
    *out = (int64_t)(v * 1000.0 + 0.5);
    return 0;
}

/* A whole number in [min, max] for option `name`; -1 after saying why. */
static int count_option(const char *name, const char *text, long min, long max, int64_t *out) {
    char *end;
    long v = strtol(text, &end, 10);
    if (*end || end == text || v < min || v > max) {
        fprintf(stderr, "allotd: %s: must be a whole number, %ld..%ld\n", name, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

/* One more --gpu-price MODEL=PRICE (a model given twice: the last price). -1 after saying why. */
static int gpu_price_option(struct options *o, const char *text) {
    struct al__gpu_price p;
    char err[256];
    if (al__gpu_price_parse(text, &p, err, sizeof(err)) < 0) {
        fprintf(stderr, "allotd: %s\n", err);
        return -1;
    }
    for (size_t i = 0; i < o->gpu_price_count; i++) {
        if (strcmp(o->gpu_prices[i].model, p.model) == 0) {
            o->gpu_prices[i] = p;
            return 0;
        }
    }
    if (o->gpu_price_count == MAX_GPU_PRICES) {
        fprintf(stderr, "allotd: --gpu-price: at most %d models\n", MAX_GPU_PRICES);
        return -1;
    }
    o->gpu_prices[o->gpu_price_count++] = p;
    return 0;
}

/* Whether HOST:PORT names this machine's loopback (127.0.0.0/8, ::1, localhost). */
static bool loopback(const char *listen) {
    const char *colon = strrchr(listen, ':');
    size_t n = colon ? (size_t)(colon - listen) : strlen(listen);
    return (n >= 4 && strncmp(listen, "127.", 4) == 0) ||
           (n == 9 && strncmp(listen, "localhost", 9) == 0) ||
           (n == 5 && strncmp(listen, "[::1]", 5) == 0) ||
           (n == 3 && strncmp(listen, "::1", 3) == 0);
}

/* The TLS options agree with each other. -1 after saying why. */
static int tls_options(const struct options *o) {
    const char *why = NULL;
    if (!o->tls_cert != !o->tls_key && !o->print_fingerprint)
        why = o->tls_cert ? "--tls-cert: give its key with --tls-key FILE"
                          : "--tls-key: give its certificate with --tls-cert FILE";
    else if (o->tls && o->tls_cert)
        why = "--tls: makes a certificate of its own; with --tls-cert and --tls-key, leave it out";
    else if (o->tls_san_count && !o->tls)
        why = "--tls-san: names go into the certificate --tls makes (give --tls)";
    for (size_t i = 0; !why && i < o->tls_san_count; i++)
        if (!o->tls_sans[i][0] || strlen(o->tls_sans[i]) > 253 || strpbrk(o->tls_sans[i], " \t/,@"))
            why = "--tls-san: a host name or an IP address, e.g. allot.example.com";
    if (why)
        fprintf(stderr, "allotd: %s\n", why);
    return why ? -1 : 0;
}

static int parse_options(int argc, char **argv, struct options *o) {
    *o = (struct options){.state_dir = ".allot",
                          .listen = "127.0.0.1:7373",
                          .backend = "local",
                          .grace_s = 10,
                          .idle_timeout_s = 120,
                          .header_timeout_s = 10,
                          .per_ip_connections = 4096,
                          .retention_s = 3600,
                          .events_kept = AL__EVENTS_DEFAULT,
                          .consumption_retention_s = AL__CONSUMPTION_RETENTION_S,
                          .token_ttl_s = 3600,
                          .refresh_ttl_s = 30 * 86400,
                          .login_per_minute = 10,
                          .rate_per_second = 100,
                          .placement = AL_ALLOT,
                          .usage_window_s = AL__USAGE_WINDOW_S,
                          .usage_half_life_s = AL__USAGE_HALF_LIFE_S,
                          .reservation_wait_s = 300};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        }
        if (strcmp(a, "--version") == 0) {
            printf("allotd %s\n", VERSION);
            exit(0);
        }
        if (strcmp(a, "--rbac-doc") == 0) {
            al__access_doc(stdout);
            exit(0);
        }
        if (strcmp(a, "--insecure-http") == 0 || strcmp(a, "--tls") == 0 ||
            strcmp(a, "--print-fingerprint") == 0) { /* the flags without a value */
            *(a[2] == 'i'   ? &o->insecure_http
              : a[2] == 't' ? &o->tls
                            : &o->print_fingerprint) = true;
            continue;
        }
        if (strcmp(a, "--queue-priority-in-quota-reclaim") == 0) {
            o->in_quota_reclaim = true;
            continue;
        }
        if (strcmp(a, "--no-enforce") == 0 && o->backend_opt_count < MAX_BACKEND_OPTIONS) {
            /* a backend's option without a value: one that enforces nothing refuses it */
            o->backend_opts[o->backend_opt_count++] = (struct al__backend_option){a + 2, ""};
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "allotd: %s: unknown option or missing value\n", a);
            return -1;
        }
        if (strcmp(a, "--state-dir") == 0)
            o->state_dir = argv[++i];
        else if (strcmp(a, "--listen") == 0)
            o->listen = argv[++i];
        else if (strcmp(a, "--backend") == 0)
            o->backend = argv[++i];
        else if (strcmp(a, "--metrics-token-file") == 0)
            o->metrics_token_file = argv[++i];
        else if (strcmp(a, "--task-user") == 0)
            o->task_user = argv[++i];
        else if (strcmp(a, "--ui-dir") == 0)
            o->ui_dir = argv[++i];
        else if (strcmp(a, "--tls-cert") == 0)
            o->tls_cert = argv[++i];
        else if (strcmp(a, "--tls-key") == 0)
            o->tls_key = argv[++i];
        else if (strcmp(a, "--tls-san") == 0) {
            if (o->tls_san_count == MAX_TLS_SANS) {
                fprintf(stderr, "allotd: --tls-san: at most %d names\n", MAX_TLS_SANS);
                return -1;
            }
            o->tls_sans[o->tls_san_count++] = argv[++i];
        } else if (strcmp(a, "--grace-period") == 0) {
            if (seconds_option(a, argv[++i], 0, 3600, &o->grace_s) < 0)
                return -1;
        } else if (strcmp(a, "--idle-timeout") == 0) {
            if (seconds_option(a, argv[++i], 1, 86400, &o->idle_timeout_s) < 0)
                return -1;
        } else if (strcmp(a, "--header-timeout") == 0) {
            if (seconds_option(a, argv[++i], 1, 3600, &o->header_timeout_s) < 0)
                return -1;
        } else if (strcmp(a, "--max-connections-per-ip") == 0) {
            char *end;
            const char *text = argv[++i];
            long v = strtol(text, &end, 10);
            if (*end || end == text || v < 0 || v > 1000000) {
                fprintf(stderr, "allotd: %s: must be a number of connections, 0..1000000\n", a);
                return -1;
            }
            o->per_ip_connections = v;
        } else if (strcmp(a, "--token-ttl") == 0) {
            if (seconds_option(a, argv[++i], 1, 366L * 86400, &o->token_ttl_s) < 0)
                return -1;
        } else if (strcmp(a, "--refresh-ttl") == 0) {
            if (seconds_option(a, argv[++i], 1, 3660L * 86400, &o->refresh_ttl_s) < 0)
                return -1;
        } else if (strcmp(a, "--login-rate") == 0) {
            if (count_option(a, argv[++i], 1, 100000, &o->login_per_minute) < 0)
                return -1;
        } else if (strcmp(a, "--rate-limit") == 0) {
            if (count_option(a, argv[++i], 0, 1000000, &o->rate_per_second) < 0)
                return -1;
        } else if (strcmp(a, "--placement") == 0) {
            const char *v = argv[++i];
            if (strcmp(v, "allot") == 0)
                o->placement = AL_ALLOT;
            else if (strcmp(v, "binpack") == 0)
                o->placement = AL_BINPACK;
            else if (strcmp(v, "spread") == 0)
                o->placement = AL_SPREAD;
            else {
                fprintf(stderr, "allotd: --placement: \"%s\": must be allot, binpack or spread\n",
                        v);
                return -1;
            }
        } else if (strcmp(a, "--events-kept") == 0) {
            if (count_option(a, argv[++i], 16, 1000000, &o->events_kept) < 0)
                return -1;
        } else if (strcmp(a, "--consumption-retention") == 0) {
            if (seconds_option(a, argv[++i], 1, 100L * 366 * 86400, &o->consumption_retention_s) <
                0)
                return -1;
        } else if (strcmp(a, "--usage-window") == 0) {
            if (seconds_option(a, argv[++i], 0, 10L * 366 * 86400, &o->usage_window_s) < 0)
                return -1;
        } else if (strcmp(a, "--usage-half-life") == 0) {
            if (seconds_option(a, argv[++i], 0, 10L * 366 * 86400, &o->usage_half_life_s) < 0)
                return -1;
        } else if (strcmp(a, "--reservation-min-gpus") == 0) {
            if (count_option(a, argv[++i], 0, 1000000, &o->reservation_min_gpus) < 0)
                return -1;
        } else if (strcmp(a, "--reservation-wait") == 0) {
            if (seconds_option(a, argv[++i], 0, 10L * 366 * 86400, &o->reservation_wait_s) < 0)
                return -1;
        } else if (strcmp(a, "--usage-k") == 0) {
            if (k_option(a, argv[++i], &o->usage_k_milli) < 0)
                return -1;
        } else if (strcmp(a, "--gpu-price") == 0) {
            if (gpu_price_option(o, argv[++i]) < 0)
                return -1;
        } else if (strcmp(a, "--retention") == 0) {
            if (seconds_option(a, argv[++i], 0, 366L * 86400, &o->retention_s) < 0)
                return -1;
        } else if (al__sso_option(&o->sso, a, argv[i + 1])) {
            i++;
        } else if (strncmp(a, "--", 2) == 0 && a[2] && o->backend_opt_count < MAX_BACKEND_OPTIONS) {
            o->backend_opts[o->backend_opt_count++] = (struct al__backend_option){a + 2, argv[++i]};
        } else {
            fprintf(stderr, "allotd: %s: unknown option\n", a);
            return -1;
        }
    }
    if (!al__backend_find(o->backend)) {
        fprintf(stderr, "allotd: --backend: no backend named \"%s\" (known:", o->backend);
        for (size_t i = 0; al__backend_types[i]; i++)
            fprintf(stderr, " %s", al__backend_types[i]->name);
        fprintf(stderr, ")\n");
        return -1;
    }
    if (!o->state_dir[0]) {
        fprintf(stderr, "allotd: --state-dir: must not be empty\n");
        return -1;
    }
    if (tls_options(o) < 0)
        return -1;
    if (!o->insecure_http && !o->tls && !o->tls_cert && !loopback(o->listen)) {
        fprintf(stderr,
                "allotd: --listen %s: plain HTTP beyond loopback carries API tokens in the "
                "clear; serve HTTPS (--tls, or --tls-cert FILE --tls-key FILE), listen on "
                "127.0.0.1 (a proxy with TLS in front), or pass --insecure-http to accept "
                "it\n",
                o->listen);
        return -1;
    }
    return 0;
}

static int make_dir(const char *path) {
    if (mkdir(path, 0700) == 0 || errno == EEXIST)
        return 0;
    fprintf(stderr, "allotd: cannot create %s: %s\n", path, strerror(errno));
    return -1;
}

/*
 * What allotd keeps in a state dir is its user's alone (the store holds workload environments
 * and token hashes): one made before with looser modes is tightened before anything is read -
 * the directory, logs/ and run/ 0700, allotd's files in them 0600. Only allotd's own entries:
 * a state dir that is also something else (a home directory) keeps the rest as it is.
 */
static bool allotd_file(const char *name) {
    return strncmp(name, "allot", 5) == 0 || strcmp(name, "admin.token") == 0;
}

static int make_private(const char *path, bool dir) {
    struct stat st;

    if (lstat(path, &st) < 0 || S_ISLNK(st.st_mode) || !(st.st_mode & 077))
        return 0; /* gone, a link (not followed), or private already */
    if (chmod(path, dir ? 0700 : (st.st_mode & 0700)) == 0)
        return 0;
    fprintf(stderr, "allotd: cannot make %s private: %s\n", path, strerror(errno));
    return -1;
}

static int tighten(const char *dir) {
    static const char *const subdirs[] = {"logs", "run"};
    char path[4096];
    int rc = make_private(dir, true);

    for (int pass = 0; rc == 0 && pass <= 2; pass++) { /* the dir itself, then logs/, run/ */
        const char *in = pass == 0 ? dir : path;
        char sub[4096];
        if (pass > 0) {
            snprintf(path, sizeof(path), "%s/%s", dir, subdirs[pass - 1]);
            if (make_private(path, true) < 0)
                return -1;
        }
        DIR *d = opendir(in);
        struct dirent *e;
        while (d && rc == 0 && (e = readdir(d)) != NULL)
            if ((pass > 0 ? e->d_name[0] != '.' : allotd_file(e->d_name)) &&
                (size_t)snprintf(sub, sizeof(sub), "%s/%s", in, e->d_name) < sizeof(sub))
                rc = make_private(sub, false);
        if (d)
            closedir(d);
    }
    return rc;
}

/* The state dir, private and locked against a second allotd. */
static int prepare_state_dir(const char *dir) {
    char path[4096];
    int fd;

    if (make_dir(dir) < 0 || tighten(dir) < 0)
        return -1;
    snprintf(path, sizeof(path), "%s/allotd.lock", dir);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
        fprintf(stderr, "allotd: %s is in use by another allotd\n", dir);
        return -1;
    }
    return 0; /* the descriptor stays open (and locked) for the life of the process */
}

/* The backend learned that a task may have ended: a pass now. */
static void wake_loop(void *arg) {
    struct allotd *d = arg;
    pthread_mutex_lock(&d->lock);
    al__daemon_poke(d);
    pthread_mutex_unlock(&d->lock);
}

/* The backend, its nodes numbered first in the state (a task's node number below the node
 * count is then an inventory index, see state.h). Exits with 2 on bad options. */
static int open_backend(struct allotd *d, const struct options *o) {
    char err[512];
    int rc = al__backend_open(&d->backend, al__backend_find(o->backend), d->state_dir,
                              o->backend_opts, o->backend_opt_count, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, "allotd: %s\n", err);
        return rc == -AL_EINVAL ? -2 : -1;
    }
    for (size_t i = 0; i < d->backend.inventory.node_count; i++)
        al__state_node(&d->state, d->backend.inventory.nodes[i].name);
    d->backend.wake = wake_loop;
    d->backend.wake_arg = d;
    return 0;
}

static int open_state(struct allotd *d, const struct options *o) {
    char path[4096], err[512];

    snprintf(path, sizeof(path), "%s/allot.db", d->state_dir);
    if (al__store_open(path, &d->store, err, sizeof(err)) < 0 ||
        al__store_open_reader(path, &d->reader, err, sizeof(err)) < 0) {
        fprintf(stderr, "allotd: %s\n", err);
        return -1;
    }
    al__store_time_commits(d->store, &d->metrics.commit);
    /* A simulation's store is thrown away after the run: its commits need not be durable. */
    if (d->backend.type->drive && al__store_volatile(d->store) < 0) {
        fprintf(stderr, "allotd: store: %s\n", al__store_error(d->store));
        return -1;
    }
    if (d->backend.type->sync && al__persist_clear_mirrored(d) < 0) {
        fprintf(stderr, "allotd: store: %s\n", al__store_error(d->store));
        return -1;
    }
    if (al__persist_load(d, err, sizeof(err)) < 0) {
        fprintf(stderr, "allotd: %s\n", err);
        return -1;
    }
    if (al__usage_load(d) < 0) {
        fprintf(stderr, "allotd: store: queue usage: %s\n", al__store_error(d->store));
        return -1;
    }
    snprintf(path, sizeof(path), "%s/admin.token", d->state_dir);
    if (al__auth_init(&d->auth, d->store, path, err, sizeof(err)) < 0 ||
        al__identity_start(d, err, sizeof(err)) < 0 ||
        (o->metrics_token_file && al__auth_add_token_file(&d->auth, o->metrics_token_file,
                                                          "metrics", err, sizeof(err)) < 0)) {
        fprintf(stderr, "allotd: %s\n", err);
        return -1;
    }
    if (al__store_begin(d->store) == 0) {
        al__tasks_readopt(d);
        al__store_commit(d->store);
    }
    return 0;
}

/* The usage sampled since the last flush, stored before allotd stops. */
static void flush_usage(struct allotd *d) {
    pthread_mutex_lock(&d->store_lock);
    pthread_mutex_lock(&d->lock);
    bool stored = al__store_begin(d->store) == 0;
    if (stored && (al__usage_flush(d) < 0 || al__store_commit(d->store) < 0)) {
        al__store_rollback(d->store);
        stored = false;
    }
    if (!stored)
        fprintf(stderr, "allotd: queue usage since the last flush not stored: %s\n",
                al__store_error(d->store));
    pthread_mutex_unlock(&d->lock);
    pthread_mutex_unlock(&d->store_lock);
}

/* An event was published: followers parked for want of one look again. */
static void wake_followers(void *arg) {
    struct allotd *d = arg;
    al__http_wake(d->http);
}

/* Single sign-on, once allotd's address is known (the callback's default is under it). */
static int start_sso(struct allotd *d, const struct options *o, int port, bool https) {
    char base[300], host[64], err[600];
    const char *colon = strrchr(o->listen, ':');
    snprintf(host, sizeof(host), "%.*s", (int)(colon - o->listen), o->listen);
    snprintf(base, sizeof(base), "%s://%s:%d", https ? "https" : "http", host, port);
    if (al__sso_start(&d->sso, &o->sso, base, err, sizeof(err)) < 0) {
        fprintf(stderr, "allotd: %s\n", err);
        return -1;
    }
    return 0;
}

/* Signals arrive here only: SIGTERM/SIGINT stop allotd. */
static void *signal_thread(void *arg) {
    struct allotd *d = arg;
    sigset_t set;
    int sig;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    while (sigwait(&set, &sig) != 0)
        continue;
    pthread_mutex_lock(&d->lock);
    d->stopping = true;
    al__daemon_poke(d);
    pthread_mutex_unlock(&d->lock);
    return NULL;
}

/* DIR/NAME holding `line`, written whole (a reader never sees it half-written); removed when
 * line is NULL. */
static void write_line_file(const char *dir, const char *name, const char *line) {
    char path[4096], tmp[4200];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (!line) {
        unlink(path);
        return;
    }
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    f = fopen(tmp, "w");
    if (f) {
        fprintf(f, "%s\n", line);
        if (fclose(f) == 0)
            rename(tmp, path);
    }
}

/* DIR/allotd.addr, and with TLS DIR/allotd.fingerprint: the certificate a local allot trusts
 * (written first: a reader that finds an https:// address finds its fingerprint). */
static void write_address(const struct allotd *d, const char *listen, int port,
                          const struct al__tls *tls) {
    char host[64], url[128];
    const char *colon = strrchr(listen, ':');
    const char *scheme = tls ? "https" : "http";

    snprintf(host, sizeof(host), "%.*s", (int)(colon - listen), listen);
    snprintf(url, sizeof(url), "%s://%s:%d", scheme, host, port);
    write_line_file(d->state_dir, "allotd.fingerprint", tls ? tls->fingerprint : NULL);
    write_line_file(d->state_dir, "allotd.addr", url);
    size_t gpus = 0;
    for (size_t i = 0; i < d->backend.inventory.node_count; i++)
        gpus += d->backend.inventory.nodes[i].gpu_count;
    char tasks[512] = "";
    if (d->task_user)
        snprintf(tasks, sizeof(tasks), "; tasks run as %s%s%s", d->task_user,
                 d->backend.isolation ? " " : "", d->backend.isolation ? d->backend.isolation : "");
    else if (d->backend.isolation)
        snprintf(tasks, sizeof(tasks), "; %s", d->backend.isolation);
    fprintf(stderr, "allotd: listening on %s (state %s, %s backend, %zu node%s, %zu GPUs%s%s)\n",
            url, d->state_dir, d->backend.type->name, d->backend.inventory.node_count,
            d->backend.inventory.node_count == 1 ? "" : "s", gpus,
            d->backend.inventory.virtual_gpus ? ", virtual" : "", tasks);
    if (d->ui_dir[0])
        fprintf(stderr, "allotd: dashboard at %s/ (from %s)\n", url, d->ui_dir);
    else
        fprintf(stderr, "allotd: no dashboard (not built: make builds it; or --ui-dir DIR)\n");
}

/*
 * allotd's memory as transparent huge pages: the cycle walks every workload in memory, and with
 * 4 KiB pages each one is a TLB miss as well as a cache miss (at 100,000 workloads, quiet cycles
 * took twice as long on a VM). glibc reads its tunables only when a program starts, so allotd
 * started without GLIBC_TUNABLES starts itself again with glibc.malloc.hugetlb=1 (same pid);
 * once running, it removes what it set, so that tasks do not inherit it. An operator's own
 * GLIBC_TUNABLES is left as it is.
 */
static void use_huge_pages(char **argv) {
    static const char mark[] = "ALLOTD_SET_TUNABLES";
    if (getenv(mark)) {
        unsetenv("GLIBC_TUNABLES");
        unsetenv(mark);
        return;
    }
    if (getenv("GLIBC_TUNABLES"))
        return;
    char self[4096]; /* its own path, not /proc/self/exe: ps and pgrep show the name */
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n > 0 && setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1", 1) == 0 &&
        setenv(mark, "1", 1) == 0) {
        self[n] = '\0';
        execv(self, argv);
    }
    unsetenv("GLIBC_TUNABLES"); /* could not: it runs as it is */
    unsetenv(mark);
}

/*
 * Memory a cycle frees stays allotd's for the next one: every cycle allocates its model and
 * scratch again (tens of megabytes at 100,000 workloads), and memory given back to the system
 * comes back as fresh pages the kernel must clear (a sixth of a quiet cycle's time was spent
 * zeroing pages). Blocks up to 256 MiB come from the heap, and the heap is not trimmed below
 * 1 GiB; allotd's footprint is then its peak, as it mostly is anyway.
 */
static void keep_freed_memory(void) {
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

/* --print-fingerprint: the certificate's fingerprint on stdout. The exit status. */
static int print_fingerprint(const struct options *o) {
    char path[4096], fp[AL__TLS_FINGERPRINT_SIZE], err[1024];
    snprintf(path, sizeof(path), "%s/%s", o->state_dir, AL__TLS_CERT_FILE);
    if (!o->tls_cert && access(path, F_OK) != 0) {
        fprintf(stderr,
                "allotd: --print-fingerprint: no certificate in %s (allotd makes one on its "
                "first start with --tls; give --tls-cert FILE for one of yours)\n",
                o->state_dir);
        return 1;
    }
    if (al__tls_file_fingerprint(o->tls_cert ? o->tls_cert : path, fp, err, sizeof(err)) < 0) {
        fprintf(stderr, "allotd: %s\n", err);
        return 1;
    }
    printf("%s\n", fp);
    return 0;
}

/* The names a certificate --tls makes is valid for: loopback's, this host's, the --listen
 * host's (unless it is every address), the --tls-san ones. */
static size_t certificate_names(const struct options *o, const char **names, char *host,
                                size_t host_size, char *listen_host, size_t listen_size) {
    size_t n = 0;
    const char *colon = strrchr(o->listen, ':');
    names[n++] = "localhost";
    names[n++] = "127.0.0.1";
    names[n++] = "::1";
    if (gethostname(host, host_size) == 0 && host[0] && strcmp(host, "localhost") != 0)
        names[n++] = host;
    snprintf(listen_host, listen_size, "%.*s", colon ? (int)(colon - o->listen) : 0, o->listen);
    if (listen_host[0] && strcmp(listen_host, "0.0.0.0") != 0 &&
        strcmp(listen_host, "127.0.0.1") != 0 && strcmp(listen_host, "localhost") != 0)
        names[n++] = listen_host;
    for (size_t i = 0; i < o->tls_san_count; i++)
        names[n++] = o->tls_sans[i];
    return n;
}

/* The certificate and key HTTPS is served with, when asked for. -1 after saying why. */
static int open_tls(const struct options *o, struct al__tls *tls) {
    char err[1200], host[256] = "", listen_host[64];
    const char *names[MAX_TLS_SANS + 5];
    bool made = false;
    int rc;

    if (o->tls_cert)
        rc =
            al__tls_load(tls, "--tls-cert", o->tls_cert, "--tls-key", o->tls_key, err, sizeof(err));
    else
        rc = al__tls_self_signed(
            tls, o->state_dir, names,
            certificate_names(o, names, host, sizeof(host), listen_host, sizeof(listen_host)),
            &made, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, "allotd: %s\n", err);
        return -1;
    }
    if (made)
        fprintf(stderr,
                "allotd: made a self-signed TLS certificate, %s/%s; its SHA-256 fingerprint "
                "(pin it: allot --tls-fingerprint; later: allotd --print-fingerprint):\n"
                "allotd:   %s\n",
                o->state_dir, AL__TLS_CERT_FILE, tls->fingerprint);
    return 0;
}

int main(int argc, char **argv) {
    struct options opt;
    struct allotd d = {.store_lock = PTHREAD_MUTEX_INITIALIZER,
                       .lock = PTHREAD_MUTEX_INITIALIZER,
                       .reader_lock = PTHREAD_MUTEX_INITIALIZER};
    pthread_condattr_t attr;
    pthread_t signals;
    sigset_t set;
    char err[512];
    int port = 0, status = 1;

    use_huge_pages(argv);
    keep_freed_memory();
    struct al__tls tls = {NULL, NULL, ""};
    bool https = false;
    if (parse_options(argc, argv, &opt) < 0)
        return 2;
    if (opt.print_fingerprint)
        return print_fingerprint(&opt);
    /* an unusable --ui-dir is an option error, found before anything is made */
    if (al__ui_find(opt.ui_dir, d.ui_dir, sizeof(d.ui_dir), err, sizeof(err)) < 0) {
        fprintf(stderr, "allotd: %s\n", err);
        return 2;
    }
    al__file_mode_private(); /* every file allotd makes is its user's alone, whatever the umask */
    /* Its tasks may run as its own user (it is not root): its /proc files (environment,
     * descriptors, root, memory) are then root's, out of their reach (docs/allotd.md). */
    if (geteuid() != 0)
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    const char *task_user;
    if (al__task_account_choose(opt.task_user, &task_user, err, sizeof(err)) < 0) {
        fprintf(stderr, "allotd: %s\n", err);
        return 2;
    }
    if (prepare_state_dir(opt.state_dir) < 0)
        return 1;
    https = opt.tls || opt.tls_cert;
    if (https && open_tls(&opt, &tls) < 0)
        return 1;
    d.state_dir = al__xstrdup(opt.state_dir);
    d.task_user = task_user ? al__xstrdup(task_user) : NULL;
    d.grace_s = opt.grace_s;
    d.idle_timeout_s = opt.idle_timeout_s;
    d.header_timeout_s = opt.header_timeout_s;
    d.per_ip_connections = opt.per_ip_connections;
    d.retention_s = opt.retention_s;
    d.consumption_retention_s = opt.consumption_retention_s;
    d.gpu_prices = opt.gpu_prices; /* opt lives as long as d */
    d.gpu_price_count = opt.gpu_price_count;
    d.token_ttl_s = opt.token_ttl_s;
    d.refresh_ttl_s = opt.refresh_ttl_s;
    d.login_per_minute = opt.login_per_minute;
    d.rate_per_second = opt.rate_per_second;
    d.placement = opt.placement;
    al__usage_history_init(&d.usage, opt.usage_half_life_s, opt.usage_window_s);
    d.usage_k_milli = opt.usage_k_milli;
    d.in_quota_reclaim = opt.in_quota_reclaim;
    d.reservation_min_gpus = (int32_t)opt.reservation_min_gpus;
    d.reservation_wait_s = opt.reservation_wait_s;
    d.positions = al__positions_new();
    /* ids go on from an earlier run's: the first is the start time in microseconds */
    al__events_init(&d.events, (size_t)opt.events_kept, (uint64_t)al__daemon_now() * 1000000);
    d.kept_model = al__kept_create();
    d.check_model = getenv("ALLOTD_CHECK_MODEL") && strcmp(getenv("ALLOTD_CHECK_MODEL"), "1") == 0;
    unsetenv("ALLOTD_CHECK_MODEL"); /* allotd's, not its tasks' */
    /* tests: every GPU is this busy (percent), for consumption's idle time without NVML */
    const char *busy = getenv("ALLOTD_TEST_GPU_BUSY");
    d.test_gpu_busy = busy && busy[0] ? (int)strtol(busy, NULL, 10) : -1;
    if (d.test_gpu_busy > 100)
        d.test_gpu_busy = 100;
    unsetenv("ALLOTD_TEST_GPU_BUSY");
    d.started_s = al__daemon_now();
    d.idle_sampled_s = d.started_s; /* a re-adopted run's time before it was sampled already */
    al__metrics_init(&d.metrics);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&d.wake, &attr);
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* every thread inherits it */
    int opened = open_backend(&d, &opt);
    if (opened < 0) {
        status = -opened == 2 ? 2 : 1;
        goto done;
    }
    al__daemon_clock_set(d.backend.clock); /* a simulator's virtual clock, else the wall's */
    if (open_state(&d, &opt) < 0)
        goto done;
    if (d.backend.type->drive) { /* the simulator: it runs the loop, nothing is served */
        pthread_sigmask(SIG_UNBLOCK, &set, NULL); /* nothing to keep: a signal ends it */
        status = d.backend.type->drive(&d.backend, &d) < 0 ? 1 : 0;
        al__daemon_clock_set(NULL); /* the backend's clock goes with it */
        goto done;
    }
    d.state.events = &d.events; /* changes from now on are published */
    d.events.notify = wake_followers;
    d.events.notify_arg = &d;
    if (al__http_start(&d, opt.listen, https ? &tls : NULL, &port, err, sizeof(err)) < 0) {
        fprintf(stderr, "allotd: %s\n", err);
        goto done;
    }
    write_address(&d, opt.listen, port, https ? &tls : NULL);
    if (start_sso(&d, &opt, port, https) < 0)
        goto stop_http;
    pthread_create(&signals, NULL, signal_thread, &d);
    al__loop_run(&d);
    pthread_join(signals, NULL);
    flush_usage(&d);
    status = 0;
stop_http:
    pthread_mutex_lock(&d.lock); /* no publisher is between its event and its notify */
    al__events_close(&d.events); /* followers end */
    pthread_mutex_unlock(&d.lock);
    al__http_stop(&d);
    if (status == 0)
        fprintf(stderr,
                "allotd: stopped; running tasks keep running and are re-adopted on start\n");
done:
    al_workspace_release(&d.engine_ws);
    al__kept_free(d.kept_model);
    free(d.placed);
    al__sso_stop(&d.sso);
    al__identity_stop(&d);
    al__auth_release(&d.auth);
    d.state.events = NULL;
    al__state_release(&d.state);
    al__pool_shares_free(&d);
    al__usage_release(&d);
    al__reservations_release(&d);
    al__events_release(&d.events);
    al__positions_free(d.positions);
    al__store_close(d.reader);
    al__store_close(d.store);
    al__backend_close(&d.backend);
    free(d.state_dir);
    free(d.task_user);
    al__tls_release(&tls);
    al__metrics_release(&d.metrics);
    return status;
}
