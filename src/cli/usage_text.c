/* usage_text.c - time-based fair share in words (usage_text.h). */
#include <stdio.h>

#include "cli/units.h"
#include "cli/usage_text.h"
#include "cli/util.h"

static const json_t *usage_of(const json_t *queue) {
    const json_t *u = json_object_get(json_object_get(queue, "status"), "usage");
    return json_is_object(u) ? u : NULL;
}

bool al__cli_usage_settings(const json_t *queue, char *buf, size_t size) {
    const json_t *u = usage_of(queue);
    char k[32], window[32], half[32];

    buf[0] = '\0';
    if (!u)
        return false;
    al__cli_format_gpus(al__cli_json_num(u, "k", 0), k, sizeof(k)); /* up to 3 decimals */
    al__cli_format_duration(al__cli_json_int(u, "window_s", 0), window, sizeof(window));
    int64_t h = al__cli_json_int(u, "half_life_s", 0);
    if (h > 0)
        al__cli_format_duration(h, half, sizeof(half));
    snprintf(buf, size, "k %s, window %s, half-life %s", k, window, h > 0 ? half : "none");
    return true;
}

/* The part of a fair share above the deserved quota (none where deserved is unlimited). */
static double over_quota(double fair, double deserved) {
    return deserved < 0 || fair <= deserved ? 0 : fair - deserved;
}

bool al__cli_usage_pools(const json_t *queue, char *buf, size_t size) {
    const json_t *u = usage_of(queue), *pools = u ? json_object_get(u, "pools") : NULL, *p;
    const char *name;
    buf[0] = '\0';
    if (!json_is_object(pools) || json_object_size(pools) == 0)
        return false;
    json_object_foreach((json_t *)pools, name, p) {
        al__cli_appendf(buf, size, "%s%s GPU %.2f, CPU %.2f, memory %.2f", buf[0] ? "; " : "", name,
                        al__cli_json_num(p, "gpu", 0), al__cli_json_num(p, "cpu", 0),
                        al__cli_json_num(p, "memory", 0));
    }
    return true;
}

bool al__cli_usage_effect(const json_t *queue, char *buf, size_t size) {
    const json_t *u = usage_of(queue);
    char a[32], b[32], fa[32], fb[32];

    buf[0] = '\0';
    if (!u)
        return false;
    snprintf(buf, size, "GPU %.2f, CPU %.2f, memory %.2f of the cluster",
             al__cli_json_path_num(u, "share.gpu", 0), al__cli_json_path_num(u, "share.cpu", 0),
             al__cli_json_path_num(u, "share.memory", 0));
    double fair = al__cli_json_path_num(queue, "status.fair_share.gpu", 0);
    double plain = al__cli_json_path_num(u, "fair_share_without_usage.gpu", fair);
    double deserved = al__cli_json_path_num(queue, "deserved.gpu", 0);
    if (al__cli_json_num(u, "k", 0) <= 0) {
        al__cli_appendf(buf, size, "; no effect (k 0)");
        return true;
    }
    if (fair == plain) {
        al__cli_appendf(buf, size, "; fair share unchanged");
        return true;
    }
    al__cli_format_gpus(over_quota(plain, deserved), a, sizeof(a));
    al__cli_format_gpus(over_quota(fair, deserved), b, sizeof(b));
    al__cli_format_gpus(plain, fa, sizeof(fa));
    al__cli_format_gpus(fair, fb, sizeof(fb));
    al__cli_appendf(buf, size, "; over-quota GPUs %s from %s to %s (fair share %s -> %s)",
                    fair < plain ? "lowered" : "raised", a, b, fa, fb);
    return true;
}
