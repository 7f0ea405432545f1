/*
 * lock: one daemon per database. `kairan-node run` holds an exclusive
 * POSIX record lock on "<db>.lock" (beside the database, created 0640 so that the group
 * whose members use the command line can test it)
 * for as long as it runs; the kernel drops it when the process ends, even
 * on SIGKILL, so there is never a stale lock to clean up. The command
 * line only tests the lock (F_GETLK: it never takes it, so a probe can
 * never make a daemon's start fail) to say whether a daemon is running,
 * and which.
 */
#ifndef KAIRAN_NODE_LOCK_H
#define KAIRAN_NODE_LOCK_H

#include <stddef.h>

/* "<db>.lock", malloc'd; NULL if out of memory. */
char	*lock_path(const char *db);

/*
 * Takes the daemon's lock for db. Returns 0 with *fd (keep it open until
 * exit; never open the lock file again in this process: closing any
 * descriptor of it drops a POSIX lock), 1 if another process holds it
 * (its pid in *pid), or -1 with err (path and reason).
 */
int	lock_take(const char *db, int *fd, long *pid, char *err,
	    size_t errlen);

/*
 * Whether a daemon holds db's lock: 1 (its pid in *pid), 0 (none: no
 * lock file, or nobody holds it), -1 with err.
 */
int	lock_probe(const char *db, long *pid, char *err, size_t errlen);

#endif
