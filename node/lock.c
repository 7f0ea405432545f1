/*
 * lock: the daemon's lock file beside the database (see lock.h).
 *
 * POSIX record locks (fcntl F_SETLK) rather than flock(2): F_GETLK tells
 * a prober the holder's pid without taking the lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lock.h"

char *
lock_path(const char *db)
{
	char *p;

	if (asprintf(&p, "%s.lock", db) == -1)
		return NULL;
	return p;
}

static void
whole_file(struct flock *fl, short type)
{
	memset(fl, 0, sizeof(*fl));
	fl->l_type = type;
	fl->l_whence = SEEK_SET;
	fl->l_start = 0;
	fl->l_len = 0;		/* to the end, whatever it becomes */
}

/* Who holds a write lock on fd's file: 1 with *pid, 0 nobody, -1. */
static int
holder(int fd, long *pid)
{
	struct flock fl;

	whole_file(&fl, F_WRLCK);
	if (fcntl(fd, F_GETLK, &fl) == -1)
		return -1;
	if (fl.l_type == F_UNLCK)
		return 0;
	*pid = (long)fl.l_pid;
	return 1;
}

int
lock_take(const char *db, int *fd, long *pid, char *err, size_t errlen)
{
	struct flock fl;
	char *path, buf[32];
	int f = -1, n;

	*fd = -1;
	*pid = 0;
	if ((path = lock_path(db)) == NULL) {
		snprintf(err, errlen, "%s.lock: out of memory", db);
		return -1;
	}
	/* 0640: the command line's group reads it to test the lock */
	if ((f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	whole_file(&fl, F_WRLCK);
	if (fcntl(f, F_SETLK, &fl) == -1) {
		if (errno != EACCES && errno != EAGAIN) {
			snprintf(err, errlen, "%s: lock: %s", path,
			    strerror(errno));
			goto fail;
		}
		if (holder(f, pid) != 1)
			*pid = 0;
		close(f);
		free(path);
		return 1;
	}
	/* For people reading the file; the lock itself is what counts. */
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(f, 0) == -1 || pwrite(f, buf, (size_t)n, 0) != n) {
		snprintf(err, errlen, "%s: write: %s", path, strerror(errno));
		goto fail;
	}
	free(path);
	*fd = f;
	return 0;
fail:
	if (f != -1)
		close(f);
	free(path);
	return -1;
}

int
lock_probe(const char *db, long *pid, char *err, size_t errlen)
{
	char *path;
	int f, rc;

	*pid = 0;
	if ((path = lock_path(db)) == NULL) {
		snprintf(err, errlen, "%s.lock: out of memory", db);
		return -1;
	}
	if ((f = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		rc = errno == ENOENT ? 0 : -1;
		if (rc == -1)
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(path);
		return rc;
	}
	if ((rc = holder(f, pid)) == -1)
		snprintf(err, errlen, "%s: lock test: %s", path,
		    strerror(errno));
	close(f);
	free(path);
	return rc;
}
