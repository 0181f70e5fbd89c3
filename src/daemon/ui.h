/* ui.h - the web dashboard's static files (web/, built into build/web/): where allotd finds
 * them, and the answers to GET / and /ui/... (public: the page holds no data; each API call it
 * makes carries the signed-in user's token). */
#ifndef ALLOT_DAEMON_UI_H
#define ALLOT_DAEMON_UI_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

/* The file the dashboard's directory must hold (what / serves). */
#define AL__UI_INDEX "index.html"

/*
 * al__ui_find - the dashboard's directory: `given` (--ui-dir) when not NULL, which must hold
 * index.html; else the first of web/, ../web/ and ../share/allot/web/ next to allotd's own
 * program that holds one. Writes its real path into out (out_size bytes), "" when none was
 * given and none was found (allotd serves no dashboard). Returns 0, or -1 with the reason in
 * err when `given` is unusable.
 */
int al__ui_find(const char *given, char *out, size_t out_size, char *err, size_t size);

/* al__ui_path - whether `url` (decoded) is the dashboard's: "/", "/ui" or under "/ui/". */
bool al__ui_path(const char *url);

/*
 * al__ui_answer - answers a request for a dashboard path from `dir` (borrowed; NULL: no
 * dashboard, 404): the file with its content type, cache rules (index.html revalidated, the
 * bundle's hashed files kept a year) and the page's Content-Security-Policy; 404 for a name
 * that is not a plain file of the directory (no "..", no dot files, no symbolic link), 405 for
 * a method other than GET and HEAD. Returns what MHD_queue_response returned.
 */
enum MHD_Result al__ui_answer(const char *dir, struct MHD_Connection *conn, const char *url,
                              const char *method);

#endif
