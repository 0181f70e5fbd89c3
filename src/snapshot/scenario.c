/* scenario.c - loading a scenario: the snapshot, its expect member and the input's device labels.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "snapshot/json_util.h"
#include "snapshot/scenario.h"

int al_scenario_parse(const char *text, size_t len, struct al_scenario *scenario,
                      struct al_snapshot_error *err) {
    struct al_scenario sc;
    struct al__parse_extra extra;
    const struct al__json *expect, *root;
    struct al__json_doc doc;
    int rc;

    memset(&sc, 0, sizeof(sc));
    memset(scenario, 0, sizeof(*scenario));
    if (err)
        memset(err, 0, sizeof(*err));
    rc = al__snapshot_load_json(text, len, &doc, err);
    if (rc < 0) {
        al__json_doc_release(&doc);
        return rc;
    }
    root = doc.root;
    rc = al__snapshot_parse_root(root, &sc.cluster, &extra, err);
    if (rc == 0) {
        sc.labels = extra.labels;
        sc.label_count = extra.label_count;
        expect = al__json_get(root, "expect");
        sc.has_expect = expect != NULL;
        if (expect && (rc = al__want_object(expect, "expect", err)) == 0)
            rc = al__expect_parse(expect, &sc.cluster, &sc.expect, err);
    }
    al__json_doc_release(&doc);
    if (rc < 0) {
        al_scenario_release(&sc);
        return rc;
    }
    *scenario = sc;
    return 0;
}

/* Reads a whole file (or pipe) into a heap buffer. */
static int file_read(const char *path, char **text, size_t *len) {
    FILE *f = fopen(path, "rb");
    size_t cap = 1 << 16, n = 0;
    char *buf = NULL;

    if (!f)
        return -AL_EIO;
    for (;;) {
        char *grown = realloc(buf, cap);
        if (!grown) {
            free(buf);
            fclose(f);
            return -AL_ENOMEM;
        }
        buf = grown;
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        cap *= 2;
    }
    if (ferror(f)) {
        free(buf);
        fclose(f);
        return -AL_EIO;
    }
    fclose(f);
    *text = buf;
    *len = n;
    return 0;
}

int al_scenario_load(const char *path, struct al_scenario *scenario,
                     struct al_snapshot_error *err) {
    char *text = NULL;
    size_t len = 0;
    int rc;

    memset(scenario, 0, sizeof(*scenario));
    errno = 0;
    rc = file_read(path, &text, &len);
    if (rc < 0) {
        if (err) {
            memset(err, 0, sizeof(*err));
            snprintf(err->message, sizeof(err->message), "cannot read: %s",
                     rc == -AL_ENOMEM ? "out of memory" : strerror(errno ? errno : EIO));
        }
        return rc;
    }
    rc = al_scenario_parse(text, len, scenario, err);
    free(text);
    return rc;
}

void al_scenario_release(struct al_scenario *scenario) {
    struct al__parse_extra extra;

    if (!scenario)
        return;
    extra.labels = scenario->labels;
    extra.label_count = scenario->label_count;
    al__parse_extra_release(&extra);
    al__expect_release(&scenario->expect);
    al_cluster_release(&scenario->cluster);
    memset(scenario, 0, sizeof(*scenario));
}
