/* file_mode.h - allotd's files are its user's alone: the process umask is 077 from start-up,
 * whatever it was started with; tasks get back the umask the operator gave allotd. */
#ifndef ALLOT_UTIL_FILE_MODE_H
#define ALLOT_UTIL_FILE_MODE_H

#include <sys/types.h>

/* al__file_mode_private - sets the umask to 077, keeping the one before for
 * al__file_mode_task_umask (the first call's; later calls keep it). */
void al__file_mode_private(void);

/* The umask allotd was started with (its tasks' files get the modes their user expects); the
 * current umask when al__file_mode_private was never called. */
mode_t al__file_mode_task_umask(void);

#endif
