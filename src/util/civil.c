/* civil.c - calendar dates as days since the epoch (see civil.h). */
#include "util/civil.h"

/* Howard Hinnant's days_from_civil: eras of 400 years, years starting in March. */
int64_t al__days_from_civil(int64_t y, int64_t m, int64_t d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}
