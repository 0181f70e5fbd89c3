/* unix_path.h - the address of a unix socket in the state directory (a task's supervisor
 * listens there), whatever the directory's length: shared by allotd's local backend and the
 * supervisor. */
#ifndef ALLOT_BACKENDS_LOCAL_UNIX_PATH_H
#define ALLOT_BACKENDS_LOCAL_UNIX_PATH_H

#include <sys/socket.h>
#include <sys/un.h>

/*
 * al__unix_address - *sa and *len for the socket at path. A path too long for sun_path (108
 * bytes) is reached through its directory, opened (O_PATH) into *dir_fd and named as
 * /proc/self/fd/N/NAME; *dir_fd is -1 otherwise. The caller closes *dir_fd once it has bound
 * or connected. Returns 0, or -1 when the directory cannot be opened or the name is too long.
 */
int al__unix_address(const char *path, struct sockaddr_un *sa, socklen_t *len, int *dir_fd);

#endif
