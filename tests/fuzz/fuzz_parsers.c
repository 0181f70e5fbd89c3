/* fuzz_parsers.c - a coverage-guided fuzz target (libFuzzer) for the parsers of what users and
 * clients send: a submit body, a project or department body, a snapshot document, a label
 * selector and the CLI's amounts; and what an OpenID provider sends allotd's OIDC module: an ID
 * token, a JWK set, a discovery document, ID token claims; and the trace files `allot sim` reads
 * (openb node and pod lists, Philly jobs and VCs, node lists, the DLRM trace). The first byte of an
 * input picks the parser (0xf0 and above: the OIDC ones; 0xe0..0xef: the traces), the rest is its
 * text. Any crash, leak or sanitizer report is a finding; refusals are the expected outcome. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <stdio.h>
#include <unistd.h>

#include "allot/model.h"
#include "allot/snapshot.h"
#include "backends/sim/trace.h"
#include "cli/selector.h"
#include "cli/units.h"
#include "daemon/oidc/jose.h"
#include "daemon/specs.h"
#include "daemon/state.h"
#include "sim/openb.h"

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

/* What an ID token is checked against (the time is fixed: 2026-11-30). */
static const struct al__idtoken_expect oidc_want = {.issuer = "https://idp.example.com",
                                                    .client_id = "allotd",
                                                    .nonce = "n0",
                                                    .username_claim = "preferred_username",
                                                    .groups_claim = "groups",
                                                    .now = 1796059331,
                                                    .leeway_s = 60};

static void oidc_claims(json_t *payload) {
    struct al__oidc_claims claims;
    char err[256];
    if (al__idtoken_check(payload, &oidc_want, &claims, err, sizeof(err)) == 0)
        al__oidc_claims_release(&claims);
}

static void oidc(const char *text, size_t len, int kind) {
    char err[256];
    if (kind == 0) { /* an ID token: split, decoded, its claims checked */
        struct al__jws jws;
        if (al__jws_parse(text, len, &jws, err, sizeof(err)) == 0) {
            oidc_claims(jws.payload);
            al__jws_release(&jws);
        }
    } else if (kind == 1) { /* the issuer's JWK set, a key looked up in it */
        struct al__jwks set;
        if (al__jwks_parse(text, len, &set, err, sizeof(err)) == 0) {
            al__jwks_find(&set, "k1", AL__JWA_RS256);
            al__jwks_find(&set, NULL, AL__JWA_ES256);
            al__jwks_release(&set);
        }
    } else if (kind == 2) { /* the issuer's discovery document, a URL */
        struct al__oidc_discovery d;
        if (al__oidc_discovery_parse(text, len, oidc_want.issuer, &d, err, sizeof(err)) == 0)
            al__oidc_discovery_release(&d);
        al__oidc_url_allowed(text);
    } else { /* ID token claims as JSON */
        json_t *doc = json_loadb(text, len, 0, NULL);
        if (json_is_object(doc))
            oidc_claims(doc);
        json_decref(doc);
    }
}

/* The trace file the readers read (they take paths): one, written again for each input and
 * removed when the fuzzer exits. */
static char trace_path[] = "/tmp/allot-fuzz-trace-XXXXXX";

static void trace_remove(void) {
    unlink(trace_path);
}

static void trace(const char *text, size_t len, int kind) {
    static int made;
    const char *path = trace_path;
    char err[512];
    if (!made) {
        int fd = mkstemp(trace_path);
        if (fd < 0)
            return;
        close(fd);
        atexit(trace_remove);
        made = 1;
    }
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    fwrite(text, 1, len, f);
    fclose(f);
    if (kind < 2) { /* the openb lists */
        struct al__openb_trace t;
        memset(&t, 0, sizeof(t));
        if (kind == 0)
            al__openb_nodes_read(&t, path, err, sizeof(err));
        else
            al__openb_pods_read(&t, path, err, sizeof(err));
        al__openb_trace_release(&t);
        return;
    }
    size_t count;
    if (kind == 2 || kind == 5) { /* Philly's jobs, the DLRM instances */
        struct al__sim_trace_job *jobs;
        int rc = kind == 2 ? al__sim_philly_jobs(path, &jobs, &count, err, sizeof(err))
                           : al__sim_dlrm_instances(path, 0, &jobs, &count, err, sizeof(err));
        if (rc == 0)
            free(jobs);
    } else if (kind == 3) {
        struct al__sim_trace_group *groups;
        if (al__sim_philly_vcs(path, &groups, &count, err, sizeof(err)) == 0)
            free(groups);
    } else {
        struct al__sim_trace_node *nodes;
        if (al__sim_node_list(path, &nodes, &count, err, sizeof(err)) == 0)
            free(nodes);
    }
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
    if (data[0] >= 0xf0) {
        oidc(text, len, data[0] & 3);
        free(text);
        return 0;
    }
    if (data[0] >= 0xe0) {
        trace(text, len, (data[0] & 0xf) % 6);
        free(text);
        return 0;
    }
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
