/* tempdir.h - a scratch directory for a test group, made in setup and removed in teardown. */
#ifndef ALLOT_TESTS_TEMPDIR_H
#define ALLOT_TESTS_TEMPDIR_H

#include <stddef.h>

/* tb_tempdir_make - a new directory /tmp/PREFIX-XXXXXX, its path in dir. 0, or -1. */
int tb_tempdir_make(char *dir, size_t size, const char *prefix);

/* tb_tempdir_remove - removes dir and everything in it. 0, or -1. */
int tb_tempdir_remove(const char *dir);

#endif
