/* errors.h - the one list of error codes returned by every fallible allot function. */
#ifndef ALLOT_ERRORS_H
#define ALLOT_ERRORS_H

/*
 * Fallible functions return 0 on success or one of these codes, negated
 * (for example `return -AL_ENOMEM;`). Out-parameters are left untouched on
 * failure unless the function's comment says otherwise.
 */
enum al_error {
    AL_OK = 0,
    AL_ENOMEM = 1, /* an allocation failed */
    AL_EINVAL = 2, /* an argument or an input document is invalid */
    AL_EIO = 3,    /* reading or writing a file failed */
    AL_ERANGE = 4, /* a number is outside the range the model supports */
    AL_ENOENT = 5, /* a named object does not exist */
    AL_EEXIST = 6, /* a named object exists already */
};

/*
 * al_strerror - a short English description of an error code.
 * Accepts the code negated or not; returns a static string, never NULL.
 */
const char *al_strerror(int code);

#endif
