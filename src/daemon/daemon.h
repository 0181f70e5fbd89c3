/* daemon.h - allotd's shared state (struct allotd) and its clock. What its parts offer each
 * other has a header each: persist.h (the store), specs.h (JSON forms), cycle_model.h (the
 * engine's model and decisions), tasks.h (tasks and the backend), loop.h, api.h (routes). */
#ifndef ALLOT_DAEMON_DAEMON_H
#define ALLOT_DAEMON_DAEMON_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "allot/cycle.h"
#include "backends/backend.h"
#include "daemon/audit.h"
#include "daemon/auth.h"
#include "daemon/consumption_sum.h"
#include "daemon/cycle_stats.h"
#include "daemon/directory.h"
#include "daemon/events.h"
#include "daemon/login_guard.h"
#include "daemon/metrics.h"
#include "daemon/positions.h"
#include "daemon/sso.h"
#include "daemon/state.h"
#include "daemon/store.h"
#include "daemon/usage_history.h"

struct al__http;
struct al__subject_rates;

/* A submit waiting for the group commit that makes it durable (submit.c). */
struct al__submit_ticket {
    struct al__dworkload *w; /* handed to the state once committed */
    struct al__actor by;     /* who submitted it, for its audit row */
    char *audit_after;       /* the workload as its audit row keeps it (made before the batch) */
    bool done;
    json_t *reply; /* the workload object as committed, or NULL on failure */
    char error[256];
    bool project_gone; /* the failure: its project was deleted meanwhile (not ours: a 4xx) */
};

struct allotd;
/* al__pool_shares_free - forgets the last cycle's per-pool fair shares (loop.c). */
void al__pool_shares_free(struct allotd *d);

struct allotd {
    /* Lock order: store_lock, then lock. store_lock guards the SQLite connection; lock guards
     * everything else. A transaction's COMMIT (the fsync) may run with store_lock alone, so that
     * requests keep being served and submits keep queueing for the next group commit. */
    pthread_mutex_t store_lock;
    pthread_mutex_t lock;
    pthread_cond_t wake; /* the scheduling loop waits on it */
    bool changed;        /* something a cycle should look at happened */
    bool stopping;

    char *state_dir;
    /* The dedicated Unix account tasks run as (--task-user; "nobody" by default where allotd is
     * root), NULL = allotd's own user: see task_account.h. */
    char *task_user;
    int64_t grace_s;            /* a stopping task is stopped at once after it */
    int64_t idle_timeout_s;     /* an idle connection is closed after it (a follower never is) */
    int64_t header_timeout_s;   /* a new connection's request must have arrived by then */
    int64_t per_ip_connections; /* connections one client address may hold, 0 = no limit */
    int64_t retention_s;        /* finished workloads leave memory this long after they finish */
    int64_t retire_next_s;      /* when a cycle next looks for them (a pass over every workload) */
    /* Consumption rows (consumption.h) are dropped this long after their run ended; a cycle
     * looks for them every tenth of it, at most hourly. */
    int64_t consumption_retention_s, consumption_prune_next_s;
    /* When the GPUs running tasks hold were last sampled for idle time (consumption_idle.c);
     * ALLOTD_TEST_GPU_BUSY (tests): the percent every device is busy, -1 = ask the backend. */
    int64_t idle_sampled_s;
    int test_gpu_busy;
    /* Prices per GPU-hour by GPU model (--gpu-price), for reports' cost. */
    struct al__gpu_price *gpu_prices;
    size_t gpu_price_count;
    /* state.task_changes when the cycle's passes over holding workloads last ran: with no task
     * changed since, they would change nothing (pipelined starts, stale gangs, reasons). */
    uint64_t started_at_changes, cleared_at_changes;
    int64_t started_s; /* when this allotd started */
    struct al__store *store;
    /* A read-only connection for what is read from the store only (finished workloads past
     * their retention, events): its lock is taken after `lock`, and nothing after it. */
    struct al__store *reader;
    pthread_mutex_t reader_lock;
    struct al__state state;
    struct al__backend backend; /* where tasks run; a mirror's inventory changes (mirror.c) */
    bool mirrored;              /* a mirroring backend's first sync is done */
    uint64_t cycles;
    struct al__positions *positions;    /* queue positions for answers (positions.h) */
    struct al__cycle_stats cycle_stats; /* cycles that ran the engine */
    char cycle_error[512];              /* why the last cycle could not run, "" when it ran */
    bool resync;                       /* a cycle's records failed: rewrite the state (persist.c) */
    struct al_workspace engine_ws;     /* the engine's memory, kept from cycle to cycle */
    struct al__kept_model *kept_model; /* the engine's model, kept and patched (cycle_model.h) */
    bool check_model; /* ALLOTD_CHECK_MODEL=1 (tests): each cycle checks it against a whole one */

    /* Submits accepted but not yet durable, committed together by the next leader. */
    struct al__submit_ticket **batch;
    size_t batch_count, batch_cap;
    /* Submits the current leader is writing: their names are taken too. */
    struct al__submit_ticket **writing;
    size_t writing_count;

    /* Tasks this cycle placed (running, no process yet): started once the placements are
     * durable (al__tasks_start_placed). */
    struct al__placed {
        struct al__dworkload *w;
        struct al__dtask *t;
    } * placed;
    size_t placed_count, placed_cap;

    /* Who made the change a WRITES route is making (routes.c sets it for the handler, under
     * store_lock): the services' audit rows name it (audit.h). NULL otherwise. */
    const struct al__actor *audit_by;
    /* Addresses whose requests were refused for their token, for coalescing (audit_denied.c);
     * under `lock`. */
    struct al__denied_source {
        char ip[48];
        int64_t window_s;  /* when its window began (a row was written); -1 for none */
        int64_t unwritten; /* refusals counted in it and not yet written */
    } denied[AL__AUDIT_DENIED_SOURCES];
    /* Rows of refused logins written in the minute that began at denied_minute_s: at most
     * AL__AUDIT_DENIED_SOURCES a minute, whatever the number of addresses. */
    int64_t denied_minute_s, denied_rows;

    struct al__auth auth; /* has its own lock */
    /* Subjects and access rules (its own lock, a leaf); sign-ins (sessions.c). */
    struct al__directory dir;
    int64_t token_ttl_s, refresh_ttl_s; /* how long access and refresh tokens live */
    int64_t login_per_minute;           /* sign-in attempts per client address */
    int64_t rate_per_second;            /* requests per subject, 0 = no limit */
    enum al_placement placement;        /* node order of every task (--placement) */
    /* Time-based fair share (usage.h): what each queue held recently (--usage-window, 0 = not
     * kept; --usage-half-life) and how much it shifts the over-quota division (--usage-k, in
     * thousandths, 0 = not at all). Under `lock`. */
    struct al__usage_history usage;
    int64_t usage_k_milli;
    /* Reservations for large gangs (engine config, docs/engine.md): from how many GPUs a gang
     * reserves, 0 = off (--reservation-min-gpus), after how long (--reservation-wait). */
    int32_t reservation_min_gpus;
    int64_t reservation_wait_s;
    struct al__reservation_note *reservations; /* the last cycle's (reservations.h) */
    size_t reservation_count;
    int64_t usage_sampled_s; /* when the last sample ended, 0 = none yet */
    int64_t usage_flushed_s; /* when dirty buckets were last stored */
    /* What each queue held, and each pool's capacity, per pool as of the last sample
     * (usage.c): added to the history over the time until the next. */
    struct al__usage_held *usage_held;
    size_t usage_held_count;
    bool in_quota_reclaim; /* --queue-priority-in-quota-reclaim (al_config's) */
    /* Node pools (docs/engine.md): each pool's GPU fair share per queue (by state index, as the
     * state's queues were) in the last cycle that scheduled by pool; none otherwise. Under
     * `lock`; routes_pools.c reads it, loop.c replaces it, main.c frees it. */
    struct al__pool_share {
        char pool[64]; /* "" = the default pool */
        int64_t *gpu_milli;
        size_t queue_count;
    } * pool_shares;
    size_t pool_share_count;
    struct al__login_guard login_guard;
    char dummy_hash[128];            /* an Argon2id string checked for unknown users (equal work) */
    struct al__subject_rates *rates; /* per-subject request budgets (subject_rate.h) */
    struct al__sso sso;              /* single sign-on: the issuer, logins under way (sso.h) */
    struct al__http *http;
    struct al__metrics metrics; /* counters and histograms, lock-free (metrics.h) */
    /* Recent changes for the event stream (events.h; its own lock, a leaf after `lock`). */
    struct al__events events;
    char ui_dir[4096]; /* the dashboard's files (ui.h), "" when there are none */
};

/* al__daemon_now - the wall clock in seconds (every stored time uses it), or the simulator's
 * virtual clock once al__daemon_clock_set gave one. */
int64_t al__daemon_now(void);

/* al__daemon_clock_set - allotd's clock reads *now from here on (the sim backend's virtual
 * clock, which its driver advances; the pointer is kept); NULL: the wall clock again. Set
 * before any other thread runs. */
void al__daemon_clock_set(const int64_t *now);

/* al__daemon_poke - asks the scheduling loop for a cycle now. Call with the lock held. */
void al__daemon_poke(struct allotd *d);

#endif
