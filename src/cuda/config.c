/* config.c - parses liballot-cuda.so's environment variables, strictly: a malformed value is an
 * error with a message, never a guess. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIB_MAX (UINT64_MAX >> 20)

/* One decimal integer in [lo, hi], the whole of [s, end). */
static int parse_uint(const char *s, const char *end, uint64_t lo, uint64_t hi, uint64_t *out) {
    uint64_t v = 0;
    if (s == end)
        return -1;
    for (const char *p = s; p < end; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* A cap per device, "N" or "N,M,...", into bytes[] (ALLOT_GPU_MEMORY_LIMIT_MIB's form); *count
 * is how many values it had. */
static int parse_caps(const char *name, const char *v, uint64_t *bytes, int *count, char *err,
                      size_t errlen) {
    uint64_t mib[AL_CUDA_MAX_DEVICES];
    int n = 0;
    const char *s = v;
    for (;;) {
        const char *comma = strchr(s, ',');
        const char *end = comma ? comma : s + strlen(s);
        if (n == AL_CUDA_MAX_DEVICES || parse_uint(s, end, 0, MIB_MAX, &mib[n]) != 0) {
            snprintf(err, errlen,
                     "%s='%s': want MiB as one integer or a list of at "
                     "most %d comma-separated integers (one per visible device)",
                     name, v, AL_CUDA_MAX_DEVICES);
            return -1;
        }
        n++;
        if (!comma)
            break;
        s = comma + 1;
    }
    /* One value caps every device; a list caps each device it names, and the devices beyond
     * it get nothing (a shorter list than devices is the backend's mistake: fail closed). */
    for (int d = 0; d < AL_CUDA_MAX_DEVICES; d++)
        bytes[d] = n == 1 ? mib[0] << 20 : d < n ? mib[d] << 20 : 0;
    *count = n;
    return 0;
}

/* One segment name per visible device, comma-separated (checked when attached). */
static int parse_device_ledgers(struct al__cuda_config *c, const char *v, char *err,
                                size_t errlen) {
    const char *s = v;
    for (int d = 0;; d++) {
        size_t n = strcspn(s, ",");
        if (d == AL_CUDA_MAX_DEVICES || n == 0 || n >= sizeof c->device_ledger[0]) {
            snprintf(err, errlen,
                     "ALLOT_GPU_DEVICE_LEDGER='%s': want one name per visible device, "
                     "comma-separated (at most %d)",
                     v, AL_CUDA_MAX_DEVICES);
            return -1;
        }
        memcpy(c->device_ledger[d], s, n);
        c->device_ledger[d][n] = '\0';
        if (s[n] == '\0')
            return 0;
        s += n + 1;
    }
}

/* Dynamic fractions: a request at most the limit, a device ledger and a task ledger with it. */
static int parse_dynamic(struct al__cuda_config *c, const char *(*get)(const char *name), char *err,
                         size_t errlen) {
    const char *request = get("ALLOT_GPU_MEMORY_REQUEST_MIB");
    const char *devices = get("ALLOT_GPU_DEVICE_LEDGER");
    if ((!request || !*request) && (!devices || !*devices))
        return 0;
    if (!request || !*request || !c->memory_limited || (devices && *devices && !c->ledger[0])) {
        snprintf(err, errlen,
                 "ALLOT_GPU_MEMORY_REQUEST_MIB goes with ALLOT_GPU_MEMORY_LIMIT_MIB, and "
                 "ALLOT_GPU_DEVICE_LEDGER with both and ALLOT_TASK_LEDGER");
        return -1;
    }
    int n;
    if (parse_caps("ALLOT_GPU_MEMORY_REQUEST_MIB", request, c->request, &n, err, errlen) != 0 ||
        (devices && *devices && parse_device_ledgers(c, devices, err, errlen) != 0))
        return -1;
    /* checked on the devices either list names; beyond them the limit (0) is the request too */
    n = n > c->limit_count ? n : c->limit_count;
    for (int d = 0; d < AL_CUDA_MAX_DEVICES; d++)
        if (d >= n && c->request[d] > c->limit[d])
            c->request[d] = c->limit[d];
        else if (c->request[d] > c->limit[d]) {
            snprintf(err, errlen,
                     "ALLOT_GPU_MEMORY_REQUEST_MIB='%s': above ALLOT_GPU_MEMORY_LIMIT_MIB on "
                     "device %d",
                     request, d);
            return -1;
        }
    c->dynamic = 1;
    return 0;
}

static int copy_string(char *dst, size_t dstlen, const char *name, const char *v, char *err,
                       size_t errlen) {
    size_t n = strlen(v);
    if (n >= dstlen) {
        snprintf(err, errlen, "%s: longer than %zu characters", name, dstlen - 1);
        return -1;
    }
    memcpy(dst, v, n + 1);
    return 0;
}

int al__cuda_config_parse(struct al__cuda_config *c, const char *(*get)(const char *name),
                          char *err, size_t errlen) {
    const char *v;
    memset(c, 0, sizeof *c);
    for (int d = 0; d < AL_CUDA_MAX_DEVICES; d++)
        c->limit[d] = AL_CUDA_NO_LIMIT;
    c->compute_percent = 100;
    memcpy(c->library, "libcuda.so.1", sizeof "libcuda.so.1");
    err[0] = '\0';

    v = get("ALLOT_CUDA_DEBUG");
    c->debug = v && strcmp(v, "1") == 0;
    v = get("ALLOT_GPU_MEMORY_LIMIT_MIB");
    if (v && *v) {
        if (parse_caps("ALLOT_GPU_MEMORY_LIMIT_MIB", v, c->limit, &c->limit_count, err, errlen) !=
            0)
            goto fail;
        c->memory_limited = 1;
    }
    v = get("ALLOT_GPU_COMPUTE_PERCENT");
    if (v && *v) {
        uint64_t p;
        if (parse_uint(v, v + strlen(v), 1, 100, &p) != 0) {
            snprintf(err, errlen, "ALLOT_GPU_COMPUTE_PERCENT='%s': want an integer from 1 to 100",
                     v);
            goto fail;
        }
        c->compute_percent = (int)p;
    }
    v = get("ALLOT_TASK_LEDGER");
    if (v && copy_string(c->ledger, sizeof c->ledger, "ALLOT_TASK_LEDGER", v, err, errlen) != 0)
        goto fail;
    v = get("ALLOT_CUDA_LIBRARY");
    if (v && *v &&
        copy_string(c->library, sizeof c->library, "ALLOT_CUDA_LIBRARY", v, err, errlen) != 0)
        goto fail;
    if (parse_dynamic(c, get, err, errlen) != 0)
        goto fail;
    return 0;
fail:
    c->memory_limited = 1;
    c->dynamic = 0;
    for (int d = 0; d < AL_CUDA_MAX_DEVICES; d++)
        c->limit[d] = 0;
    return -1;
}
