/* xz.h - a trace file compressed with xz (the Alibaba DLRM trace is stored so), read whole into
 * memory through liblzma (xz.c). */
#ifndef ALLOT_BACKENDS_SIM_XZ_H
#define ALLOT_BACKENDS_SIM_XZ_H

#include <stdbool.h>
#include <stddef.h>

/* al__sim_is_xz - whether path names an xz file (it ends in ".xz"). */
bool al__sim_is_xz(const char *path);

/* al__sim_xz_read - the decompressed content of the xz file at path into *data (allocated, the
 * caller frees it; NUL-terminated) and *len. 0, or -AL_EIO with err filled (cannot read, not
 * xz, corrupt); *data untouched on failure. */
int al__sim_xz_read(const char *path, char **data, size_t *len, char *err, size_t size);

#endif
