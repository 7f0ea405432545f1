/*
 * store_route: what the routes did (tables outbox_route and route_state):
 * each route's answer to a message of ours, and the daemon's connection
 * state per route, for `status`.
 */
#ifndef KAIRAN_NODE_STORE_ROUTE_H
#define KAIRAN_NODE_STORE_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "kairan/kairan.h"

struct store;

/*
 * Route answers. Unknown id: nothing happens, returns 0 (it may have come
 * from another database). Accepted keeps the first time; Refused records
 * reason and detail (OVERLOADED is not final and must not be recorded).
 */
int	store_route_accepted(struct store *, const uint8_t id[KAIRAN_ID_LEN],
	    const char *route, int64_t now_ms, char *err, size_t errlen);
int	store_route_refused(struct store *, const uint8_t id[KAIRAN_ID_LEN],
	    const char *route, int reason, const char *detail, int64_t now_ms,
	    char *err, size_t errlen);

struct store_route_conn {
	int	 connected;
	int64_t	 since_ms;
	char	*reason;	/* why not connected (NULL if connected) */
	long	 pid;		/* the daemon that wrote it */
};

/* Records route's state (one short autocommit statement). 0 or -1. */
int	store_route_conn_set(struct store *, const char *route, int connected,
	    int64_t since_ms, const char *reason, long pid, char *err,
	    size_t errlen);
/* 1 found, 0 never recorded, -1. Clear with store_route_conn_clear. */
int	store_route_conn_get(struct store *, const char *route,
	    struct store_route_conn *out, char *err, size_t errlen);
void	store_route_conn_clear(struct store_route_conn *);

#endif
