/* failpoint.h - named points where a test can have allotd die (SIGKILL) to prove crash safety. */
#ifndef ALLOT_DAEMON_FAILPOINT_H
#define ALLOT_DAEMON_FAILPOINT_H

/*
 * al__failpoint - kills allotd with SIGKILL, as a power cut would, when `name` is in the
 * comma-separated list of the ALLOTD_FAILPOINTS environment variable; else nothing. Points:
 * "before-fork" (a cycle's placements are durable, no task started yet) and "after-fork" (a
 * supervisor was forked, its process not yet recorded).
 */
void al__failpoint(const char *name);

#endif
