/* ui.c - serves the web dashboard's static files (built from web/ into build/web/) at / and
 * /ui/..., with their content types, cache rules and a self-only Content-Security-Policy. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/ui.h"

#define UI_PREFIX "/ui/"
/* Names the bundle uses: [A-Za-z0-9._-] in segments of at most NAME_MAX, few of them. */
#define UI_MAX_PATH 256

/* The page loads only what allotd serves: no inline script or style element, no other origin
 * (no CDN, no web font), and no framing. uPlot and preact set styles through the DOM, which
 * style-src does not govern. */
static const char CSP[] = "default-src 'self'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
                          "object-src 'none'; base-uri 'none'; form-action 'self'; "
                          "frame-ancestors 'none'";

static const struct {
    const char *ext, *type;
} TYPES[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
    {".woff2", "font/woff2"},
};

static bool has_index(const char *dir) {
    char path[PATH_MAX];
    struct stat st;
    return snprintf(path, sizeof(path), "%s/" AL__UI_INDEX, dir) < (int)sizeof(path) &&
           stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int al__ui_find(const char *given, char *out, size_t out_size, char *err, size_t size) {
    static const char *const beside[] = {"web", "../web", "../share/allot/web"};
    char self[PATH_MAX], path[PATH_MAX], real[PATH_MAX];

    out[0] = '\0';
    if (given) {
        if (!realpath(given, real) || !has_index(real) || strlen(real) >= out_size) {
            snprintf(err, size, "--ui-dir %s: no %s there (build the dashboard with make)", given,
                     AL__UI_INDEX);
            return -1;
        }
        snprintf(out, out_size, "%s", real);
        return 0;
    }
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        return 0;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    for (size_t i = 0; i < sizeof(beside) / sizeof(beside[0]); i++) {
        if (snprintf(path, sizeof(path), "%s/%s", self, beside[i]) < (int)sizeof(path) &&
            realpath(path, real) && has_index(real) && strlen(real) < out_size) {
            snprintf(out, out_size, "%s", real);
            return 0;
        }
    }
    return 0;
}

bool al__ui_path(const char *url) {
    return strcmp(url, "/") == 0 || strcmp(url, "/ui") == 0 ||
           strncmp(url, UI_PREFIX, sizeof(UI_PREFIX) - 1) == 0;
}

/* Whether `rel` ("app-X.js", "assets/a.svg") names a file the bundle may hold: segments of
 * [A-Za-z0-9._-] that do not start with a dot (no "..", no hidden file), no empty segment. */
static bool safe_name(const char *rel) {
    size_t seg = 0, len = strlen(rel);
    if (len == 0 || len >= UI_MAX_PATH)
        return false;
    for (const char *p = rel; *p; p++) {
        char c = *p;
        if (c == '/') {
            if (seg == 0)
                return false;
            seg = 0;
            continue;
        }
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.';
        if (!ok || (seg == 0 && c == '.'))
            return false;
        seg++;
    }
    return seg > 0;
}

static const char *type_of(const char *name) {
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof(TYPES) / sizeof(TYPES[0]); i++)
        if (strcmp(dot, TYPES[i].ext) == 0)
            return TYPES[i].type;
    return "application/octet-stream";
}

/* The headers every dashboard answer carries. */
static void add_common(struct MHD_Response *resp) {
    MHD_add_response_header(resp, "Content-Security-Policy", CSP);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
}

static enum MHD_Result text_answer(struct MHD_Connection *conn, unsigned status, const char *text) {
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    add_common(resp);
    enum MHD_Result ok = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ok;
}

/* The bundle's files other than index.html carry a hash of their content in their name
 * (web/build.mjs): they never change, and are kept. index.html names them: always checked. */
static const char *cache_of(const char *rel) {
    return strcmp(rel, AL__UI_INDEX) == 0 ? "no-cache" : "public, max-age=31536000, immutable";
}

enum MHD_Result al__ui_answer(const char *dir, struct MHD_Connection *conn, const char *url,
                              const char *method) {
    char path[PATH_MAX];
    struct stat st;

    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return text_answer(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "the dashboard answers GET\n");
    if (!dir)
        return text_answer(conn, MHD_HTTP_NOT_FOUND,
                           "this allotd serves no dashboard: build it (make), or give allotd "
                           "--ui-dir DIR\n");
    const char *rel = strcmp(url, "/") == 0 || strcmp(url, "/ui") == 0 || strcmp(url, "/ui/") == 0
                          ? AL__UI_INDEX
                          : url + sizeof(UI_PREFIX) - 1;
    if (!safe_name(rel) || snprintf(path, sizeof(path), "%s/%s", dir, rel) >= (int)sizeof(path))
        return text_answer(conn, MHD_HTTP_NOT_FOUND, "no such file\n");
    /* O_NOFOLLOW: a link in the directory would reach outside it */
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return text_answer(conn, MHD_HTTP_NOT_FOUND, "no such file\n");
    }
    struct MHD_Response *resp = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
    if (!resp) {
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type_of(rel));
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cache_of(rel));
    add_common(resp);
    enum MHD_Result ok = MHD_queue_response(conn, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return ok;
}
