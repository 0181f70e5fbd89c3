/* snapfiles.h - test helpers for snapshot documents: files, the conformance cases, quoting. */
#ifndef ALLOT_TESTS_SNAPFILES_H
#define ALLOT_TESTS_SNAPFILES_H

#include <stddef.h>

/* Where the conformance scenarios are, relative to the repository root (tests run there). */
#define TB_CASES_DIR "../shared/conformance/cases"
/* The project's own scenarios (tests/scenarios/README.md). */
#define TB_SCENARIOS_DIR "tests/scenarios"

/* tb_read_file - the whole file, NUL-terminated, length in *len; NULL when unreadable. */
char *tb_read_file(const char *path, size_t *len);

/*
 * tb_case_files - the sorted paths of TB_CASES_DIR/\*.json; *count set. Aborts when out of
 * memory; returns NULL with *count 0 when there are none. Free with tb_case_files_free().
 */
char **tb_case_files(size_t *count);

/* tb_scenario_files - the same for TB_SCENARIOS_DIR/\*.json. */
char **tb_scenario_files(size_t *count);
void tb_case_files_free(char **paths, size_t count);

/* tb_glob_files - the sorted paths matching a glob pattern (as tb_case_files; free the same
 * way). */
char **tb_glob_files(const char *pattern, size_t *count);

/* tb_doc - a heap copy of `text` with every ' turned into ", for JSON written in C strings. */
char *tb_doc(const char *text);

#endif
