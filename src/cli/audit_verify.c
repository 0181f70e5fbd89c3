/* audit_verify.c - `allot audit verify`: allotd walks the audit log's hash chain; exit status 0
 * when it holds, 1 naming the first row that does not. */
#include <inttypes.h>
#include <stdio.h>

#include "cli/client.h"
#include "cli/options.h"
#include "cli/output.h"
#include "cli/util.h"

int al__cmd_audit_verify(const struct al__cli *cli, int argc, char **argv) {
    const char *none = NULL;
    json_t *doc;
    int rc = al__cli_parse_simple(cli, argc, argv, NULL, &none, NULL, 0);

    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    if (al__cli_call(cli, "GET", "/api/v1/audit/verify", NULL, &doc) < 0)
        return al__cli_failed();
    bool ok = json_is_true(json_object_get(doc, "ok"));
    if (AL__CLI_STRUCTURED(cli)) {
        rc = al__cli_print_doc(cli, doc) < 0 ? AL__EXIT_FAIL : AL__EXIT_OK;
    } else if (ok) {
        printf("audit log verified: %" PRId64 " rows, the hash chain holds\n",
               al__cli_json_int(doc, "rows", 0));
    } else {
        fprintf(stderr, "allot: audit log: %s (first bad row: %" PRId64 ")\n",
                al__cli_json_str(doc, "reason", "the hash chain is broken"),
                al__cli_json_int(doc, "first_bad_seq", 0));
    }
    json_decref(doc);
    return ok ? rc : AL__EXIT_FAIL;
}
