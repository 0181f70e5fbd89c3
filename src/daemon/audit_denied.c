/* audit_denied.c - requests refused for their token (401) in the audit log, coalesced per client
 * address so that a flood of bad tokens costs one row per address and window. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "daemon/audit.h"
#include "daemon/daemon.h"

/* The address of "IP:PORT" (the port varies per connection; repeats come from one address). */
static void address_of(const char *source, char *ip, size_t size) {
    snprintf(ip, size, "%s", source);
    char *colon = strrchr(ip, ':');
    if (colon)
        *colon = '\0';
}

/* The entry of `ip`, or a free one, or the one least recently written (forgotten). Lock held. */
static struct al__denied_source *entry_of(struct allotd *d, const char *ip) {
    struct al__denied_source *oldest = &d->denied[0];
    for (size_t i = 0; i < AL__AUDIT_DENIED_SOURCES; i++) {
        struct al__denied_source *e = &d->denied[i];
        if (e->ip[0] && strcmp(e->ip, ip) == 0)
            return e;
        if (!e->ip[0] || (oldest->ip[0] && e->window_s < oldest->window_s))
            oldest = e;
    }
    memset(oldest, 0, sizeof(*oldest));
    snprintf(oldest->ip, sizeof(oldest->ip), "%s", ip);
    oldest->window_s = -1;
    return oldest;
}

void al__audit_denied(struct allotd *d, const char *source) {
    char ip[sizeof(d->denied[0].ip)];
    int64_t now = al__daemon_now(), count = 0, window_from = 0;
    address_of(source, ip, sizeof(ip));

    pthread_mutex_lock(&d->lock);
    struct al__denied_source *e = entry_of(d, ip);
    if (now >= d->denied_minute_s + AL__AUDIT_DENIED_WINDOW_S) {
        d->denied_minute_s = now;
        d->denied_rows = 0;
    }
    if ((e->window_s >= 0 && now < e->window_s + AL__AUDIT_DENIED_WINDOW_S) ||
        d->denied_rows >= AL__AUDIT_DENIED_SOURCES) {
        e->unwritten++; /* within the window (or too many rows this minute): counted, written
                         * with the address's next row */
    } else {
        d->denied_rows++;
        count = 1 + e->unwritten;
        window_from = e->window_s >= 0 ? e->window_s : now;
        e->window_s = now;
        e->unwritten = 0;
    }
    pthread_mutex_unlock(&d->lock);
    if (count == 0)
        return;

    struct al__actor by = {.subject = "unknown"};
    snprintf(by.source, sizeof(by.source), "%s", source);
    json_t *after =
        json_pack("{s:I, s:I}", "count", (json_int_t)count, "since_s", (json_int_t)window_from);
    pthread_mutex_lock(&d->store_lock);
    if (al__store_begin(d->store) < 0 ||
        al__audit_append(d->store, &by, "login", "token", NULL, NULL, "denied", NULL, after) < 0 ||
        al__store_commit(d->store) < 0)
        al__store_rollback(d->store); /* not the client's failure: it is answered 401 anyway */
    pthread_mutex_unlock(&d->store_lock);
}
