/* identity_start.h - allotd's subjects on start: the directory and the live sessions loaded,
 * and on a new store the first administrator made (user "admin", a generated password written
 * to DIR/admin.password for its owner only, system administrator). */
#ifndef ALLOT_DAEMON_IDENTITY_START_H
#define ALLOT_DAEMON_IDENTITY_START_H

#include <stddef.h>

#include "daemon/daemon.h"

/* al__identity_start - after al__auth_init. 0, or -1 with a message in err. */
int al__identity_start(struct allotd *d, char *err, size_t size);

/* al__identity_stop - releases what al__identity_start made (a zeroed one too). */
void al__identity_stop(struct allotd *d);

#endif
