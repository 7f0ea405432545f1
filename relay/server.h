/*
 * server: the relay's event loop — the TLS WebSocket listener, one peer
 * per connected node, the grouped commits, the fan-out and the deliveries.
 *
 * One thread and one libev loop, shared with libwebsockets (foreign loop),
 * so that our own timers and signal watchers run beside lws's sockets.
 */
#ifndef KAIRAN_RELAY_SERVER_H
#define KAIRAN_RELAY_SERVER_H

#include "config.h"

/*
 * Runs the relay with cfg until SIGTERM or SIGINT. Returns the process exit
 * status: 0 after a clean stop, 1 if it could not start.
 */
int	server_run(const struct config *cfg);

/*
 * `-n`: loads everything server_run would (certificates, key, trust and
 * CRLs, directory, database). Returns 0, or -1 with err.
 */
int	server_check(const struct config *cfg, char *err, size_t errlen);

#endif
