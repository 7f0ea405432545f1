/*
 * daemon: `kairan-node run`. Owns the event loop (libev, shared with
 * libwebsockets as its foreign loop), the lws client context with the
 * node's TLS identity, the routes, the store, the trust (root + CRLs), the
 * signer and the directory; receives envelopes from the routes (verify,
 * store, answer, DELIVERED receipt); listens on the poke socket
 * (db + ".sock") so that the command line's new outbox rows go out at
 * once; SIGHUP reloads trust, CRLs, signer, directory and its own TLS
 * client certificate and key; SIGTERM/SIGINT stop it cleanly. One daemon
 * per database: it holds "<db>.lock" (lock.h) from start to exit, and a
 * second one exits 1 without touching the first one's socket. The
 * routes (route.h) get their store and the daemon's hooks (route_hooks:
 * what to do with an envelope a relay delivers) at route_init; they never
 * call the daemon directly.
 */
#ifndef KAIRAN_NODE_DAEMON_H
#define KAIRAN_NODE_DAEMON_H

#include <stddef.h>
#include <stdint.h>

#include <ev.h>
#include <libwebsockets.h>
#include <openssl/ssl.h>

#include "kairan/directory.h"
#include "kairan/envelope.h"
#include "kairan/trust.h"

#include "config.h"
#include "mailout.h"
#include "route.h"
#include "store.h"

#define DAEMON_SWEEP_US		(5 * LWS_US_PER_SEC)

struct daemon {
	struct config		*cfg;
	struct store		*store;
	struct trust		*trust;
	struct signer		*signer;
	struct directory	*dir;
	struct ev_loop		*loop;
	struct lws_context	*context;
	SSL_CTX			*client_ctx;	/* the vhost's, for CRL reloads */
	struct route		*routes;
	size_t			 nroutes;
	int			 stopping;
	ev_signal		 sig_term, sig_int, sig_hup;
	ev_io			 poke_io;
	int			 poke_fd;
	int			 lock_fd;	/* lock.h: one daemon per db */
	char			*poke_path;
	lws_sorted_usec_list_t	 sul_sweep;
	struct mailout		*mailout;	/* NULL: no [smtp] */
};

/* Runs until SIGTERM/SIGINT. Returns the process exit code. */
int	daemon_run(struct config *);

/*
 * A Frame{envelope} that arrived on route r (already bounded and
 * frame-decoded): verifies, stores, answers. Fills *ans and *anslen with the
 * Accepted or Refused frame to send (LWS_PRE headroom; caller frees).
 * Returns 0, or -1 if the store failed: then nothing is answered and the
 * connection should be closed so that the relay sends it again.
 */
int	daemon_envelope(struct daemon *, struct route *, const Envelope *,
	    uint8_t **ans, size_t *anslen);

/* The vhost's client SSL_CTX: install the trust's store (root + CRLs). */
void	daemon_client_ssl_ctx(struct daemon *, SSL_CTX *);

/*
 * The poke socket beside the database: "<db>.sock". The command line calls
 * daemon_poke after committing; it fails silently when no daemon listens.
 */
char	*daemon_poke_path(const char *db);
void	 daemon_poke(const char *db);

#endif
