/* civil.h - calendar dates as days since the Unix epoch, with no time zone or locale (civil.c):
 * for reading the RFC 3339 times of the API and of Kubernetes objects. */
#ifndef ALLOT_UTIL_CIVIL_H
#define ALLOT_UTIL_CIVIL_H

#include <stdint.h>

/* al__days_from_civil - days since 1970-01-01 of year y, month m (1..12), day d (1..31) of the
 * proleptic Gregorian calendar; negative before 1970. */
int64_t al__days_from_civil(int64_t y, int64_t m, int64_t d);

#endif
