/* errors.c - English descriptions of the error codes in allot/errors.h. */
#include "allot/errors.h"

const char *al_strerror(int code) {
    if (code < 0)
        code = -code;
    switch (code) {
    case AL_OK:
        return "success";
    case AL_ENOMEM:
        return "out of memory";
    case AL_EINVAL:
        return "invalid argument or input";
    case AL_EIO:
        return "input/output error";
    case AL_ERANGE:
        return "value out of range";
    case AL_ENOENT:
        return "no such object";
    case AL_EEXIST:
        return "object exists already";
    default:
        return "unknown error";
    }
}
