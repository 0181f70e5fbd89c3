/* fuzz_parsers.c - a coverage-guided fuzz target (libFuzzer) for the parsers of what users and
 * clients send: a submit body, a project or department body, a snapshot document, a label
 * selector and the CLI's amounts. The first byte of an input picks the parser, the rest is its
 * text. Any crash, leak or sanitizer report is a finding; refusals are the expected outcome. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "allot/model.h"
#include "allot/snapshot.h"
#include "cli/selector.h"
#include "cli/units.h"
#include "daemon/specs.h"
#include "daemon/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A state with a department and a project, for queue bodies that name them. */
static struct al__state *queues(void) {
    static struct al__state st;
    static int ready;
    if (!ready) {
        struct al__dqueue d = {.id = 1, .name = "dept", .project = false};
        struct al__dqueue p = {.id = 2, .name = "team", .project = true, .parent = "dept"};
        for (int r = 0; r < AL_RESOURCE_COUNT; r++) {
            d.deserved[r] = p.deserved[r] = -1;
            d.limit[r] = p.limit[r] = -1;
            d.weight[r] = p.weight[r] = 1;
        }
        al__state_add_queue(&st, &d);
        al__state_add_queue(&st, &p);
        ready = 1;
    }
    return &st;
}

static void body(const char *text, size_t len, int kind) {
    json_t *doc = json_loadb(text, len, JSON_DECODE_ANY, NULL);
    char field[128], msg[256];
    if (!doc)
        return;
    if (kind == 0) {
        struct al__wspec spec;
        if (al__wspec_read(doc, &spec, field, sizeof(field), msg, sizeof(msg)) == 0) {
            json_t *back = al__workload_spec_json(&spec); /* what the API shows of it */
            json_decref(back);
            al__wspec_release(&spec);
        }
    } else {
        struct al__dqueue q;
        memset(&q, 0, sizeof(q));
        al__queue_read(queues(), doc, kind == 1, kind != 3, &q, field, sizeof(field), msg,
                       sizeof(msg));
    }
    json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    char *text = malloc(size);
    if (!text)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0'; /* the parsers below that take C strings stop at the first NUL */
    size_t len = size - 1;
    switch (data[0] % 6) {
    case 0: /* POST /api/v1/workloads */
    case 1: /* POST /api/v1/projects */
    case 2: /* PATCH /api/v1/projects/NAME */
    case 3: /* PATCH /api/v1/departments/NAME */
        body(text, len, data[0] % 6);
        break;
    case 4: { /* a snapshot file (allot replay, the conformance scenarios) */
        struct al_cluster cluster;
        struct al_snapshot_error err;
        if (al_snapshot_parse(text, len, &cluster, &err) == 0)
            al_cluster_release(&cluster);
        break;
    }
    default: { /* the CLI: -l SELECTOR and every amount an option takes */
        struct al__cli_selector sel;
        char err[256];
        if (al__cli_selector_parse(text, &sel, err, sizeof(err)) == 0) {
            json_t *obj = json_pack("{s:{s:s}}", "labels", "team", "vision");
            al__cli_selector_matches(&sel, obj);
            json_decref(obj);
        }
        for (int unit = AL__CLI_UNIT_COUNT; unit <= AL__CLI_UNIT_DURATION; unit++) {
            json_t *out = NULL;
            if (al__cli_parse_json((enum al__cli_unit)unit, "--x", text, &out, err, sizeof(err)) ==
                0)
                json_decref(out);
        }
        break;
    }
    }
    free(text);
    return 0;
}
