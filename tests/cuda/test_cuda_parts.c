/* test_cuda_parts.c - liballot-cuda.so's pure parts under the sanitizers: the environment
 * parser, the table of live allocations, the shared ledger (limits, dead processes, pid reuse),
 * the per-device segment of dynamic fractions and the launch-rate limiter. The library as a whole
 * is tested over a fake driver (cuda_tests.c). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cuda/config.h"
#include "cuda/device_ledger.h"
#include "cuda/ledger.h"
#include "cuda/rate.h"
#include "cuda/sizemap.h"

#define MIB (1ull << 20)

static const char *env_names[8], *env_values[8];

static const char *fake_get(const char *name) {
    for (int i = 0; i < 8 && env_names[i]; i++)
        if (strcmp(env_names[i], name) == 0)
            return env_values[i];
    return NULL;
}

static int parse_with(struct al__cuda_config *c, char *err, const char *n1, const char *v1,
                      const char *n2, const char *v2) {
    memset(env_names, 0, sizeof env_names);
    env_names[0] = n1, env_values[0] = v1, env_names[1] = n2, env_values[1] = v2;
    return al__cuda_config_parse(c, fake_get, err, 256);
}

static void config_reads_limits_and_shares(void **state) {
    struct al__cuda_config c;
    char err[256];
    (void)state;
    assert_int_equal(parse_with(&c, err, NULL, NULL, NULL, NULL), 0);
    assert_int_equal(c.memory_limited, 0);
    assert_true(c.limit[3] == AL_CUDA_NO_LIMIT);
    assert_int_equal(c.compute_percent, 100);
    assert_string_equal(c.library, "libcuda.so.1");

    assert_int_equal(parse_with(&c, err, "ALLOT_GPU_MEMORY_LIMIT_MIB", "2048",
                                "ALLOT_GPU_COMPUTE_PERCENT", "30"),
                     0);
    assert_int_equal(c.memory_limited, 1);
    assert_true(c.limit[0] == 2048 * MIB && c.limit[15] == 2048 * MIB);
    assert_int_equal(c.compute_percent, 30);

    /* A list caps each device it names; the devices beyond it get nothing. */
    assert_int_equal(
        parse_with(&c, err, "ALLOT_GPU_MEMORY_LIMIT_MIB", "100,0,7", "ALLOT_TASK_LEDGER", "t-1.a"),
        0);
    assert_true(c.limit[0] == 100 * MIB && c.limit[1] == 0 && c.limit[2] == 7 * MIB);
    assert_true(c.limit[3] == 0);
    assert_string_equal(c.ledger, "t-1.a");
}

static void config_refuses_malformed_values_and_fails_closed(void **state) {
    static const char *const bad_limits[] = {
        "12abc", "-1", "1,,2", ",", "1,2,", "99999999999999999999", "17592186044416", " 5"};
    struct al__cuda_config c;
    char err[256];
    (void)state;
    for (size_t i = 0; i < sizeof bad_limits / sizeof bad_limits[0]; i++) {
        assert_int_equal(
            parse_with(&c, err, "ALLOT_GPU_MEMORY_LIMIT_MIB", bad_limits[i], NULL, NULL), -1);
        assert_non_null(strstr(err, "ALLOT_GPU_MEMORY_LIMIT_MIB"));
        assert_int_equal(c.memory_limited, 1);
        assert_true(c.limit[0] == 0 && c.limit[15] == 0);
    }
    assert_int_equal(parse_with(&c, err, "ALLOT_GPU_MEMORY_LIMIT_MIB",
                                "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17", NULL, NULL),
                     -1);
    static const char *const bad_pct[] = {"0", "101", "50%", "x"};
    for (size_t i = 0; i < sizeof bad_pct / sizeof bad_pct[0]; i++) {
        assert_int_equal(parse_with(&c, err, "ALLOT_GPU_COMPUTE_PERCENT", bad_pct[i], NULL, NULL),
                         -1);
        assert_non_null(strstr(err, "ALLOT_GPU_COMPUTE_PERCENT"));
    }
    char longname[300];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(parse_with(&c, err, "ALLOT_TASK_LEDGER", longname, NULL, NULL), -1);
}

static int parse_dynamic(struct al__cuda_config *c, char *err, const char *limit,
                         const char *request, const char *devices, const char *ledger) {
    const char *names[] = {"ALLOT_GPU_MEMORY_LIMIT_MIB", "ALLOT_GPU_MEMORY_REQUEST_MIB",
                           "ALLOT_GPU_DEVICE_LEDGER", "ALLOT_TASK_LEDGER"};
    const char *values[] = {limit, request, devices, ledger};
    int n = 0;
    memset(env_names, 0, sizeof env_names);
    for (int i = 0; i < 4; i++)
        if (values[i])
            env_names[n] = names[i], env_values[n++] = values[i];
    return al__cuda_config_parse(c, fake_get, err, 256);
}

static void config_reads_dynamic_fractions(void **state) {
    struct al__cuda_config c;
    char err[256];
    (void)state;
    assert_int_equal(parse_dynamic(&c, err, "3072", "1024,512", "dev-g0,dev-g1", "t-1"), 0);
    assert_int_equal(c.dynamic, 1);
    assert_true(c.limit[1] == 3072 * MIB && c.request[0] == 1024 * MIB);
    assert_true(c.request[1] == 512 * MIB && c.request[2] == 0);
    assert_string_equal(c.device_ledger[1], "dev-g1");
    assert_string_equal(c.device_ledger[2], "");
    /* a list of limits (devices that differ) beside one request for every device */
    assert_int_equal(parse_dynamic(&c, err, "16384,40960", "10240", "g1,g0", "t-1"), 0);
    assert_true(c.request[1] == 10240 * MIB && c.request[2] == 0); /* beyond: capped at 0 */
    /* a request without device segments: the task stays within it */
    assert_int_equal(parse_dynamic(&c, err, "3072", "1024", NULL, NULL), 0);
    assert_int_equal(c.dynamic, 1);
    assert_string_equal(c.device_ledger[0], "");
    static const struct {
        const char *limit, *request, *devices, *ledger, *says;
    } bad[] = {
        {"1024", "2048", "d", "t", "above ALLOT_GPU_MEMORY_LIMIT_MIB on device 0"},
        {"1024,4096", "2048", "d", "t", "on device 0"},
        {NULL, "1024", "d", "t", "goes with ALLOT_GPU_MEMORY_LIMIT_MIB"},
        {"1024", NULL, "d", "t", "ALLOT_GPU_MEMORY_REQUEST_MIB goes with"},
        {"1024", "512", "d", NULL, "ALLOT_TASK_LEDGER"},
        {"1024", "512x", "d", "t", "ALLOT_GPU_MEMORY_REQUEST_MIB='512x'"},
        {"1024", "512", "a,,b", "t", "ALLOT_GPU_DEVICE_LEDGER='a,,b'"},
        {"1024", "512", "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q", "t", "at most 16"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(
            parse_dynamic(&c, err, bad[i].limit, bad[i].request, bad[i].devices, bad[i].ledger),
            -1);
        if (!strstr(err, bad[i].says))
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, bad[i].says);
        assert_int_equal(c.dynamic, 0); /* fails closed: a zero cap */
        assert_true(c.limit[0] == 0);
    }
}

/* Against a plain array: random puts and takes of three kinds, with keys that collide. */
static void sizemap_matches_a_reference(void **state) {
    enum { N = 3000 };
    static uint64_t size[N];
    struct al__sizemap m;
    struct al__sizemap_entry e, old;
    unsigned s = 12345;
    (void)state;
    al__sizemap_init(&m);
    memset(size, 0, sizeof size);
    for (int step = 0; step < 100000; step++) {
        s = s * 1103515245u + 12345u;
        int k = (int)((s >> 8) % N);
        uint64_t key = (uint64_t)(k / 3) << 21, kind = 1 + (uint64_t)(k % 3);
        if ((s >> 4) % 3) {
            assert_int_equal(al__sizemap_put(&m, key, (int)kind, (uint64_t)step + 1, k, &old), 0);
            assert_true(old.kind ? old.size == size[k] : size[k] == 0);
            size[k] = (uint64_t)step + 1;
        } else {
            int found = al__sizemap_take(&m, key, (int)kind, &e);
            assert_int_equal(found, size[k] != 0);
            if (found) {
                assert_true(e.size == size[k]);
                assert_int_equal(e.dev, k);
            }
            size[k] = 0;
        }
    }
    size_t live = 0;
    for (int k = 0; k < N; k++)
        live += size[k] != 0;
    assert_int_equal(m.count, live);
    al__sizemap_clear(&m);
    assert_int_equal(m.count, 0);
    assert_int_equal(al__sizemap_take(&m, 0, 1, &e), 0);
    al__sizemap_release(&m);
}

static void limits(uint64_t *l, uint64_t each) {
    for (int d = 0; d < AL_CUDA_MAX_DEVICES; d++)
        l[d] = each;
}

static void ledger_enforces_the_limit_per_device(void **state) {
    struct al__ledger l;
    uint64_t lim[AL_CUDA_MAX_DEVICES];
    char err[256];
    (void)state;
    limits(lim, 100 * MIB);
    lim[1] = 10 * MIB;
    assert_int_equal(al__ledger_attach(&l, NULL, lim, err, sizeof err), 0);
    assert_int_equal(al__ledger_charge(&l, 0, 60 * MIB), 0);
    assert_int_equal(al__ledger_charge(&l, 0, 41 * MIB), -1);
    assert_int_equal(al__ledger_charge(&l, 0, 40 * MIB), 0);
    assert_int_equal(al__ledger_charge(&l, 0, 1), -1);
    assert_int_equal(al__ledger_charge(&l, 1, 11 * MIB), -1);
    assert_int_equal(al__ledger_charge(&l, 1, 10 * MIB), 0);
    assert_true(al__ledger_used(&l, 0) == 100 * MIB);
    assert_true(al__ledger_own(&l, 1) == 10 * MIB);
    al__ledger_credit(&l, 0, 60 * MIB);
    al__ledger_credit(&l, 1, 20 * MIB); /* more than held: stops at zero */
    assert_true(al__ledger_used(&l, 0) == 40 * MIB);
    assert_true(al__ledger_used(&l, 1) == 0);
    al__ledger_force(&l, 2, 1000 * MIB);
    assert_true(al__ledger_used(&l, 2) == 1000 * MIB);
    al__ledger_detach(&l);
}

/* A process that dies holding bytes gives them back at the next allocation that needs them. */
static void ledger_reclaims_a_dead_process(void **state) {
    char name[64], err[256];
    struct al__ledger l;
    uint64_t lim[AL_CUDA_MAX_DEVICES];
    (void)state;
    snprintf(name, sizeof name, "unit-%d", (int)getpid());
    limits(lim, 64 * MIB);
    assert_int_equal(al__ledger_attach(&l, name, lim, err, sizeof err), 0);
    pid_t pid = fork();
    if (pid == 0) {
        struct al__ledger c;
        char e[256];
        if (al__ledger_attach(&c, name, lim, e, sizeof e) != 0 ||
            al__ledger_charge(&c, 0, 50 * MIB) != 0)
            _exit(1);
        _exit(0); /* holding 50 MiB */
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_true(al__ledger_used(&l, 0) == 50 * MIB);
    assert_int_equal(al__ledger_charge(&l, 0, 40 * MIB), 0);
    assert_true(al__ledger_used(&l, 0) == 40 * MIB);
    assert_int_equal(al__ledger_reap(&l), 0);
    /* A name that cannot be a segment's is refused with the variable named. */
    al__ledger_detach(&l);
    assert_int_equal(al__ledger_unlink(name), 0);
    assert_int_equal(al__ledger_attach(&l, "bad name", lim, err, sizeof err), -1);
    assert_non_null(strstr(err, "ALLOT_TASK_LEDGER"));
}

/* Processes killed while they may hold the ledger's lock (they reap in a loop, which holds it
 * most of the time): the next one to lock gets it back (robust mutex) and the ledger works. */
static void ledger_survives_a_holder_killed_in_the_lock(void **state) {
    char name[64], err[256];
    struct al__ledger l;
    uint64_t lim[AL_CUDA_MAX_DEVICES];
    (void)state;
    snprintf(name, sizeof name, "unit-lock-%d", (int)getpid());
    limits(lim, 64 * MIB);
    assert_int_equal(al__ledger_attach(&l, name, lim, err, sizeof err), 0);
    for (int round = 0; round < 5; round++) {
        pid_t pid = fork();
        if (pid == 0) {
            struct al__ledger c;
            char e[256];
            if (al__ledger_attach(&c, name, lim, e, sizeof e) != 0 ||
                al__ledger_charge(&c, 0, MIB) != 0)
                _exit(1);
            for (;;)
                al__ledger_reap(&c);
        }
        nanosleep(&(struct timespec){0, 20000000}, NULL);
        kill(pid, SIGKILL);
        assert_int_equal(waitpid(pid, NULL, 0), pid);
        assert_int_equal(al__ledger_charge(&l, 0, 64 * MIB), 0); /* reclaims the child's MiB */
        al__ledger_credit(&l, 0, 64 * MIB);
        assert_true(al__ledger_used(&l, 0) == 0);
    }
    al__ledger_detach(&l);
    assert_int_equal(al__ledger_unlink(name), 0);
}

/* Two tasks on one 4 GiB device, requests 1 GiB: one grows into what the other's claim leaves,
 * never into it; a task whose ledger is gone is neither read nor in the way. */
static void device_ledger_keeps_what_others_claim(void **state) {
    struct al__device_ledger a, b;
    struct al__ledger la, lb;
    struct al__device_claim claims[4];
    uint64_t lim[AL_CUDA_MAX_DEVICES];
    char dev[64], ta[64], tb[64], err[256];
    size_t n;
    (void)state;
    snprintf(dev, sizeof dev, "parts-%d", (int)getpid());
    snprintf(ta, sizeof ta, "parts-%d-a", (int)getpid());
    snprintf(tb, sizeof tb, "parts-%d-b", (int)getpid());
    limits(lim, 3072 * MIB);
    assert_int_equal(al__ledger_attach(&la, ta, lim, err, sizeof err), 0);
    assert_int_equal(al__ledger_attach(&lb, tb, lim, err, sizeof err), 0);
    assert_int_equal(al__device_ledger_attach(&a, dev, ta, 1024 * MIB, err, sizeof err), 0);
    assert_int_equal(al__device_ledger_attach(&b, dev, tb, 1024 * MIB, err, sizeof err), 0);
    a.total = b.total = 4096 * MIB;
    assert_true(al__device_ledger_others(&a) == 1024 * MIB);
    assert_int_equal(al__device_ledger_settle(&a, 3072 * MIB, 1), 0);
    assert_int_equal(al__device_ledger_settle(&b, 1024 * MIB, 1), 0); /* its request holds */
    assert_int_equal(al__device_ledger_settle(&b, 1025 * MIB, 1), -1);
    assert_int_equal(al__device_ledger_read(dev, claims, 4, &n, err, sizeof err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(claims[0].task, ta);
    assert_true(claims[0].claim == 3072 * MIB && claims[0].request == 1024 * MIB);
    al__device_ledger_settle(&a, 0, 0); /* a frees all: its claim is its request again */
    assert_int_equal(al__device_ledger_settle(&b, 3072 * MIB, 1), 0);
    assert_int_equal(al__device_ledger_settle(&a, 1025 * MIB, 1), -1);
    /* a's task ends (its supervisor removes its ledger): b may grow into all of it */
    al__ledger_detach(&la);
    assert_int_equal(al__ledger_unlink(ta), 0);
    assert_int_equal(al__device_ledger_read(dev, claims, 4, &n, err, sizeof err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(al__device_ledger_settle(&b, 4096 * MIB, 1), 0);
    /* a missing segment (none there), a bad name, a task without a name */
    assert_int_equal(al__device_ledger_read("parts-none", claims, 4, &n, err, sizeof err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(al__device_ledger_read("a/b", claims, 4, &n, err, sizeof err), -1);
    assert_int_equal(al__device_ledger_attach(&a, dev, "", 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "ALLOT_TASK_LEDGER"));
    al__ledger_detach(&lb);
    assert_int_equal(al__ledger_unlink(tb), 0);
    assert_int_equal(al__device_ledger_unlink(dev), 0);
}

static void rate_follows_utilisation(void **state) {
    struct al__rate r;
    (void)state;
    al__rate_init(&r, 50, 1000, 0);
    int free_now = 0;
    while (al__rate_take(&r, 0) == 0)
        free_now++;
    assert_int_equal(free_now, 50); /* the burst: 50 ms worth */
    assert_true(al__rate_take(&r, 0) > 0);
    /* A simulated device: kernels of 100 us, utilisation = rate x 100 us. */
    for (int i = 0; i < 200; i++)
        al__rate_sample(&r, (int)(r.rate * 100e-6 * 100 > 100 ? 100 : r.rate * 100e-6 * 100));
    double util = r.rate * 100e-6 * 100;
    assert_true(util > 40 && util < 60);
    al__rate_sample(&r, 100);
    assert_true(r.rate * 100e-6 * 100 <= 50);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(config_reads_limits_and_shares),
        cmocka_unit_test(config_refuses_malformed_values_and_fails_closed),
        cmocka_unit_test(sizemap_matches_a_reference),
        cmocka_unit_test(ledger_enforces_the_limit_per_device),
        cmocka_unit_test(ledger_reclaims_a_dead_process),
        cmocka_unit_test(ledger_survives_a_holder_killed_in_the_lock),
        cmocka_unit_test(config_reads_dynamic_fractions),
        cmocka_unit_test(device_ledger_keeps_what_others_claim),
        cmocka_unit_test(rate_follows_utilisation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
