/* xz.c - an xz-compressed trace read whole into memory (liblzma's stream decoder). */
#include <errno.h>
#include <lzma.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "backends/sim/xz.h"
#include "util/xalloc.h"

bool al__sim_is_xz(const char *path) {
    size_t n = strlen(path);
    return n > 3 && strcmp(path + n - 3, ".xz") == 0;
}

int al__sim_xz_read(const char *path, char **data, size_t *len, char *err, size_t size) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, size, "%s: cannot open: %s", path, strerror(errno));
        return -AL_EIO;
    }
    lzma_stream z = LZMA_STREAM_INIT;
    if (lzma_stream_decoder(&z, UINT64_MAX, 0) != LZMA_OK) {
        fclose(f);
        snprintf(err, size, "%s: cannot start the xz decoder", path);
        return -AL_EIO;
    }
    uint8_t in[65536];
    char *out = NULL;
    size_t cap = 0, used = 0;
    lzma_ret rc = LZMA_OK;
    lzma_action action = LZMA_RUN;
    while (rc == LZMA_OK) {
        if (z.avail_in == 0 && action == LZMA_RUN) {
            z.next_in = in;
            z.avail_in = fread(in, 1, sizeof(in), f);
            if (feof(f) || ferror(f))
                action = LZMA_FINISH;
        }
        al__xgrow(&out, &cap, used + 65536 + 1, 1);
        z.next_out = (uint8_t *)out + used;
        z.avail_out = cap - used - 1;
        rc = lzma_code(&z, action);
        used = cap - 1 - z.avail_out;
    }
    bool failed = ferror(f) != 0;
    fclose(f);
    lzma_end(&z);
    if (rc != LZMA_STREAM_END || failed) {
        free(out);
        snprintf(err, size, "%s: %s", path,
                 failed                    ? "cannot read it"
                 : rc == LZMA_FORMAT_ERROR ? "not an xz file"
                                           : "corrupt or truncated xz data");
        return -AL_EIO;
    }
    out[used] = '\0';
    *data = out;
    *len = used;
    return 0;
}
