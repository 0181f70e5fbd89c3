/* yaml_out.h - a JSON document written as YAML (-o yaml). */
#ifndef ALLOT_CLI_YAML_OUT_H
#define ALLOT_CLI_YAML_OUT_H

#include <jansson.h>
#include <stdio.h>

/* Writes doc to `out` as one YAML document ("---" first). 0, or -1 when it could not. */
int al__cli_yaml_write(const json_t *doc, FILE *out);

#endif
