/*
 * listener: the relay's listening socket and TLS: the lws context on our
 * libev loop, the verification of client certificates (ours, with the
 * CRLs of our trust), the identity rules at ESTABLISHED, admission of
 * connections that have not proved themselves (admit.c), TLS session
 * resumption with the keys of tickets.c (a resumed certificate is checked
 * again, against today's CRLs), the lws
 * callbacks that route each event to frames.c and deliver.c, and the
 * reload of the relay's own certificate.
 */
#ifndef KAIRAN_RELAY_LISTENER_H
#define KAIRAN_RELAY_LISTENER_H

struct server;

/*
 * Creates the lws context (the listener) on s->loop, the admission
 * control and the session ticket keys (tickets.h; their rotation timer).
 * Returns 0, or -1 after logging why.
 */
int	listener_start(struct server *);
/* After lws_context_destroy: the ticket keys and their timer. */
void	listener_free(struct server *);
/* The port it listens on (the kernel's choice for port 0). */
int	listener_port(struct server *);
/* SIGHUP: the relay's own certificate and key, both or neither (logged). */
void	listener_reload_cert(struct server *);

#endif
