/* failpoint.h - named points where a test can have allotd die (SIGKILL) to prove crash safety. */
#ifndef ALLOT_DAEMON_FAILPOINT_H
#define ALLOT_DAEMON_FAILPOINT_H

/*
 * al__failpoint - kills allotd with SIGKILL, as a power cut would, when `name` is in the
 * comma-separated list of the ALLOTD_FAILPOINTS environment variable; else nothing. Points:
 * "before-fork" (a cycle's placements are durable, no task started yet), "after-fork" (a
 * supervisor was forked, its process not yet recorded) and "audit-appended" (a change's audit
 * row is written, its transaction not yet committed).
 */
void al__failpoint(const char *name);

/*
 * al__failpoint_pause - sleeps 1.5 s when `name` is listed in ALLOTD_FAILPOINTS, so that a test
 * can act inside a window that is otherwise too short to hit: "between-steps" (a cycle ran the
 * engine and has not yet carried out its decisions; no lock held).
 */
void al__failpoint_pause(const char *name);

#endif
