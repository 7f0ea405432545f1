/*
 * tlsresume: a client's TLS session resumption, for the links it dials
 * (kairan-node's routes): the session of each server it connected to is
 * kept and offered again at the next connection to the same server, so
 * that a reconnect (after a relay restart: the relay keeps its ticket
 * keys, relay/tickets.h) costs no full handshake.
 *
 * Sessions are kept in memory, per client SSL_CTX (one client identity),
 * server name and address:port, for the life of the process: a node that
 * restarts pays one full handshake per route, which is rare beside the
 * relay restarts a storm is made of. (Kept on disk, a session would be a
 * secret to protect like a key, for little.)
 *
 * A resumed session is checked again before it is used: identity_from_ssl
 * verifies the server's certificate it holds against today's trust and
 * CRLs (identity_resumed_verify).
 *
 * lws 4.1.6 creates each connection's SSL and starts SSL_connect in one
 * go; the session is set from the SSL_CTX's info callback at
 * SSL_CB_HANDSHAKE_START, before the ClientHello is written, and kept
 * from the SSL_CTX's new-session callback. The vhost must not have an
 * ssl_info_event_mask (lws would put its own callback on each SSL).
 */
#ifndef KAIRAN_TLSRESUME_H
#define KAIRAN_TLSRESUME_H

#include <openssl/ssl.h>

/* Makes ctx (a client SSL_CTX) keep and offer sessions. Returns 0 or -1. */
int		 tlsresume_install(SSL_CTX *ctx);
/* The session kept for ssl's server goes (a resumed peer was refused). */
void		 tlsresume_forget(SSL *ssl);
/* Sessions kept now (for tests). */
unsigned	 tlsresume_count(void);
/* Forgets them all (process exit, tests). */
void		 tlsresume_clear(void);

#endif
