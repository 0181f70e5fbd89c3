/* body_path.h - names the field of a JSON request body at a byte offset, so that a parse error
 * ("too big integer") can say which field it is about. */
#ifndef ALLOT_DAEMON_BODY_PATH_H
#define ALLOT_DAEMON_BODY_PATH_H

#include <stddef.h>

/*
 * al__body_path_at - writes into out the path of the value that text[0..pos) ends inside, in the
 * API's field notation ("deserved.gpu", "command[1]", "env.A"); "" at the top level. The text
 * need only be well-formed up to pos (the parser stopped there). Keys are copied as written
 * (escapes not decoded); a path longer than out, or deeper than 64 levels, is cut short. O(pos).
 */
void al__body_path_at(const char *text, size_t pos, char *out, size_t size);

#endif
