/* fields.c - fields of Kubernetes objects (see fields.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "allot/errors.h"
#include "backends/kubernetes/fields.h"
#include "backends/kubernetes/quantity.h"
#include "util/civil.h"

int al__kube_text(json_t *parent, const char *key, char *out, size_t out_size, const char *what,
                  const char *field, char *err, size_t size) {
    json_t *v = json_object_get(parent, key);
    out[0] = '\0';
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v)) {
        snprintf(err, size, "%s: %s: must be text", what, field);
        return -AL_EINVAL;
    }
    if (json_string_length(v) >= out_size ||
        strlen(json_string_value(v)) != json_string_length(v)) {
        snprintf(err, size, "%s: %s: longer than %zu characters, or holds a NUL", what, field,
                 out_size - 1);
        return -AL_EINVAL;
    }
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

int al__kube_amount(json_t *map, const char *key, int scale, int64_t *out, const char *what,
                    const char *field, char *err, size_t size) {
    json_t *v = json_object_get(map, key);
    char text[64], why[160];
    *out = 0;
    if (!v || json_is_null(v))
        return 0;
    if (json_is_integer(v))
        snprintf(text, sizeof(text), "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(text, sizeof(text), "%.17g", json_real_value(v));
    else if (json_is_string(v) && json_string_length(v) < sizeof(text))
        snprintf(text, sizeof(text), "%s", json_string_value(v));
    else {
        snprintf(err, size, "%s: %s[%s]: not a quantity", what, field, key);
        return -AL_EINVAL;
    }
    int rc = al__kube_quantity(text, scale, out, why, sizeof(why));
    if (rc == -AL_ERANGE)
        snprintf(err, size, "%s: %s[%s]: %s is too large", what, field, key, text);
    else if (rc < 0)
        snprintf(err, size, "%s: %s[%s]: %s", what, field, key, why);
    else if (*out < 0) {
        snprintf(err, size, "%s: %s[%s]: %s is negative", what, field, key, text);
        rc = -AL_EINVAL;
    }
    return rc < 0 ? -AL_EINVAL : 0;
}

int al__kube_duration(const char *text, int64_t *seconds, const char *what, const char *field,
                      char *err, size_t size) {
    static const struct {
        const char *unit;
        int64_t nanos;
    } units[] = {{"ns", 1},         {"us", 1000},         {"\xc2\xb5s", 1000},   {"ms", 1000000},
                 {"s", 1000000000}, {"m", 60000000000LL}, {"h", 3600000000000LL}};
    const char *p = text;
    double total = 0; /* nanoseconds; a double keeps fractions ("1.5h") exact enough */
    if (strcmp(text, "0") == 0) {
        *seconds = 0;
        return 0;
    }
    while (*p) {
        char *end;
        if (!((*p >= '0' && *p <= '9') || *p == '.'))
            goto bad;
        double v = strtod(p, &end);
        if (end == p)
            goto bad;
        p = end;
        size_t u, n = sizeof(units) / sizeof(units[0]);
        for (u = 0; u < n; u++) { /* the longest unit that matches: "ms" before "m" */
            size_t len = strlen(units[u].unit);
            if (strncmp(p, units[u].unit, len) == 0 && !(len == 1 && p[0] == 'm' && p[1] == 's'))
                break;
        }
        if (u == n)
            goto bad;
        total += v * (double)units[u].nanos;
        p += strlen(units[u].unit);
    }
    if (p == text || total > 9.2e18)
        goto bad;
    *seconds = (int64_t)((total + 999999999.0) / 1e9);
    return 0;
bad:
    snprintf(err, size, "%s: %s: \"%s\" is not a duration (like 90s, 10m, 1h30m)", what, field,
             text);
    return -AL_EINVAL;
}

int al__kube_identity(json_t *o, const char *kind, bool spec_needed, char *ns, size_t ns_size,
                      char *name, size_t name_size, char *what, size_t what_size, char *err,
                      size_t size) {
    json_t *meta = json_object_get(o, "metadata"), *spec = json_object_get(o, "spec");
    int rc;
    if (!json_is_object(meta) || (spec_needed && !json_is_object(spec))) {
        snprintf(err, size, "%s: not an object with metadata%s", kind,
                 spec_needed ? " and spec" : "");
        return -AL_EINVAL;
    }
    if ((ns && (rc = al__kube_text(meta, "namespace", ns, ns_size, kind, "metadata.namespace", err,
                                   size)) < 0) ||
        (rc = al__kube_text(meta, "name", name, name_size, kind, "metadata.name", err, size)) < 0)
        return rc;
    if (ns && (!name[0] || !ns[0])) {
        snprintf(err, size, "%s: metadata.name and metadata.namespace: both needed", kind);
        return -AL_EINVAL;
    }
    if (!name[0]) {
        snprintf(err, size, "%s: metadata.name: missing", kind);
        return -AL_EINVAL;
    }
    if (ns)
        snprintf(what, what_size, "%s %s/%s", kind, ns, name);
    else
        snprintf(what, what_size, "%s %s", kind, name);
    return 0;
}

int64_t al__kube_time(json_t *parent, const char *key, int64_t fallback) {
    const char *t = json_string_value(json_object_get(parent, key));
    int y, mo, d, h, mi, s;
    if (!t || sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) != 6)
        return fallback;
    return al__days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

void al__kube_time_format(int64_t unix_s, char *out, size_t size) {
    time_t t = (time_t)unix_s;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

uint32_t al__kube_hash(const char *s) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

struct timespec al__kube_deadline(int64_t ms) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += (time_t)(ms / 1000);
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}
