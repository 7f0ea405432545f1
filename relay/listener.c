/*
 * listener: the relay's listening socket, TLS and connections (see
 * listener.h).
 *
 * TLS (LWS-NOTES.md): lws only asks OpenSSL for a client certificate; the
 * verification callback is ours and refuses unless OpenSSL's chain check
 * (with the CRLs of our trust) succeeded, and ESTABLISHED checks the
 * identity rules again with identity_from_ssl(). The chain a node proved
 * there is the one its envelopes carry: it seeds envelope_verify's chain
 * cache (seed_signer), so that a node's first envelope costs its
 * signature, not its chain again.
 *
 * Resumption (tickets.h): a ticket carries the session's leaf certificate
 * (OpenSSL's) and, in its application data, the issuing intermediate
 * (ours: OpenSSL does not keep the chain in a ticket). When a ticket comes
 * back, before the session is resumed, the leaf is verified again with
 * that intermediate against today's trust store and CRLs
 * (identity_resumed_verify); a certificate revoked since the ticket was
 * issued fails there, the ticket is ignored, and the full handshake that
 * follows refuses the certificate as always. The identity rules then run
 * at ESTABLISHED on the chain verified at resumption.
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <stdint.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ev.h>
#include <libwebsockets.h>
#include <openssl/err.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "kairan/conn.h"
#include "kairan/directory.h"
#include "kairan/envelope.h"
#include "kairan/frame.h"
#include "kairan/identity.h"
#include "kairan/log.h"
#include "kairan/lwslog.h"
#include "kairan/trust.h"

#include "admit.h"
#include "deliver.h"
#include "dial.h"
#include "listener.h"
#include "metrics.h"
#include "relay.h"
#include "session.h"
#include "tickets.h"

static int	server_callback(struct lws *, enum lws_callback_reasons,
		    void *, void *, size_t);

/*
 * lws allocates rx_buffer_size (+ LWS_PRE) for every connection and keeps
 * it for the connection's life. A Hello, an Accepted and a signed receipt
 * (its chain included) fit in 2 KB and reach session_receive in one piece
 * (handled in place, no copy); anything longer arrives in 2 KB pieces
 * that session_receive reassembles up to max_frame, as it always did for
 * what did not fit. 64 KB cost 2.8 KB more RSS per idle node (measured,
 * tests/bench/README.md "Memory per connection"). A send stays at most
 * 64 KB at once, as before (tx_packet_size; 0 would mean the rx size).
 */
#define RX_BUFFER	2048
#define TX_PACKET	65536

static struct lws_protocols protocols[] = {
	{ KAIRAN_PROTOCOL, server_callback, sizeof(struct peer), RX_BUFFER, 0,
	    NULL, TX_PACKET },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

/*
 * The peer's address, without the IPv4-mapped prefix of a dual-stack
 * socket: as admit saw it at accept while the connection is pending (the
 * socket may be gone already, and lws would then hand back getpeername's
 * error text as the "address"), from the socket afterwards.
 */
static void
peer_addr(struct server *s, struct lws *wsi, char *buf, size_t len)
{
	const char *known;
	char a[64];

	if (wsi != NULL && s->admit != NULL &&
	    (known = admit_addr(s->admit, wsi)) != NULL) {
		snprintf(buf, len, "%s", known);
		return;
	}
	if (wsi == NULL || lws_get_peer_simple(wsi, a, sizeof(a)) == NULL ||
	    strncmp(a, "getpeername", 11) == 0) {
		snprintf(buf, len, "-");
		return;
	}
	snprintf(buf, len, "%s", strncmp(a, "::ffff:", 7) == 0 ? a + 7 : a);
}

/*
 * On each connection's SSL: the generation of the trust whose store
 * checked its client chain, in the handshake (on_verify) or at a
 * resumption (ticket_dec_cb); NULL: none of ours, or not checked. So
 * ESTABLISHED seeds the chain cache only if that trust is still the one
 * in use (a reload in between: no seed).
 */
static int verified_idx = -1;

/* OpenSSL's verdict on the client's chain, with our CRLs: we decide. */
static int
on_verify(struct lws *wsi, X509_STORE_CTX *x, SSL *ssl, int preverify_ok)
{
	struct server *s = lws_context_user(lws_get_context(wsi));
	char subject[256] = "-", addr[64] = "-";
	X509 *cert;
	int e;

	if (preverify_ok) {
		/* called for every certificate; any failure after refuses */
		if (ssl != NULL && verified_idx >= 0)
			SSL_set_ex_data(ssl, verified_idx,
			    X509_STORE_CTX_get0_store(x) ==
			    trust_store(s->trust) ?
			    (void *)(uintptr_t)trust_generation(s->trust) :
			    NULL);
		return 0;
	}
	e = X509_STORE_CTX_get_error(x);
	if ((cert = X509_STORE_CTX_get_current_cert(x)) != NULL)
		X509_NAME_oneline(X509_get_subject_name(cert), subject,
		    sizeof(subject));
	if (ssl != NULL && verified_idx >= 0)
		SSL_set_ex_data(ssl, verified_idx, NULL);
	peer_addr(s, wsi, addr, sizeof(addr));
	metrics_inc(METRIC_HANDSHAKES_REFUSED, "certificate");
	/* the subject is the peer's: escaped like any peer string */
	log_warnx("peer refused addr=%s reason=\"certificate %s\" depth=%d "
	    "subject=%s", addr, X509_verify_cert_error_string(e),
	    X509_STORE_CTX_get_error_depth(x), log_str(subject));
	return 1;
}

static void
on_ssl_info(struct server *s, struct lws *wsi, const struct lws_ssl_info *si)
{
	char addr[64] = "-";
	SSL *ssl;

	if (!(si->where & SSL_CB_WRITE) || !(si->where & SSL_CB_ALERT))
		return;
	if ((si->ret >> 8) != SSL3_AL_FATAL)
		return;
	peer_addr(s, wsi, addr, sizeof(addr));
	/*
	 * Not one byte received: a port probe or a health check that only
	 * connects and closes, not a refused peer.
	 */
	if ((ssl = lws_get_ssl(wsi)) != NULL && SSL_get_rbio(ssl) != NULL &&
	    BIO_number_read(SSL_get_rbio(ssl)) == 0) {
		log_debug("connection closed before a TLS handshake addr=%s",
		    addr);
		return;
	}
	/*
	 * A fatal alert on a connection that was admitted (its Hello came:
	 * admit no longer holds it) ends it, but is no refusal. lws 4.1.6
	 * clients, ours included, close in a way that makes OpenSSL answer
	 * "decode error" as the socket goes.
	 */
	if (wsi == NULL || s->admit == NULL ||
	    admit_addr(s->admit, wsi) == NULL) {
		log_debug("tls alert on an admitted connection addr=%s alert=\"%s\"",
		    addr, SSL_alert_desc_string_long(si->ret));
		return;
	}
	metrics_inc(METRIC_HANDSHAKES_REFUSED, (si->ret & 0xff) == 116 ?
	    "no_client_certificate" : "tls_alert");
	/* TLS 1.3 "certificate required" (116): OpenSSL has no name for it */
	if ((si->ret & 0xff) == 116)
		log_warnx("peer refused addr=%s reason=\"tls alert: certificate "
		    "required (no client certificate)\"", addr);
	else
		log_warnx("peer refused addr=%s reason=\"tls alert: %s\"", addr,
		    SSL_alert_desc_string_long(si->ret));
}

/*
 * After session_open admitted a node: its TLS chain (leaf and what it sent
 * after it, as signer_use_for_tls sends the chain its envelopes carry),
 * checked by the handshake with our trust's store and CRLs and by
 * identity_from_ssl's rules, seeds the chain cache for that trust. A
 * resumed session's chain was checked the same way in ticket_dec_cb
 * (trust_verify_peer): its leaf and the intermediate the ticket carries,
 * which is the one the node sent at its full handshake. Only if the trust
 * in use is the one that checked it; never an operator
 * (envelope_seed_chain).
 */
static void
seed_signer(struct server *s, struct peer *p, struct lws *wsi)
{
	STACK_OF(X509) *sent = NULL, *kept;
	SSL *ssl;
	int i;

	if (p == NULL || p->state != PEER_OPEN || p->leaf == NULL ||
	    verified_idx < 0 || (ssl = lws_get_ssl(wsi)) == NULL ||
	    SSL_get_verify_result(ssl) != X509_V_OK ||
	    (uintptr_t)SSL_get_ex_data(ssl, verified_idx) !=
	    (uintptr_t)trust_generation(s->trust))
		return;
	if (SSL_session_reused(ssl)) {
		/* leaf, what it was sent with, root: the middle was sent */
		if ((kept = identity_ssl_chain(ssl)) == NULL ||
		    sk_X509_num(kept) < 3 || (sent = sk_X509_new_null()) == NULL)
			return;
		for (i = 1; i < sk_X509_num(kept) - 1; i++)
			(void)sk_X509_push(sent, sk_X509_value(kept, i));
	}
	envelope_seed_chain(s->trust, p->leaf, sent != NULL ? sent :
	    SSL_get_peer_cert_chain(ssl), &p->who);
	sk_X509_free(sent);
	log_debug("peer chain seeded entity=%s resumed=%d", p->who.entity,
	    SSL_session_reused(ssl));
}

/* admit's question: has this pending connection's peer sent anything? */
static int
admit_progress(void *arg, struct lws *wsi)
{
	SSL *ssl;

	(void)arg;
	return (ssl = lws_get_ssl(wsi)) != NULL && SSL_get_rbio(ssl) != NULL &&
	    BIO_number_read(SSL_get_rbio(ssl)) > 0;
}

/* The peer's address from the socket under ssl (no wsi at hand). */
static void
ssl_addr(SSL *ssl, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[64];
	int fd;

	if ((fd = SSL_get_fd(ssl)) < 0 ||
	    getpeername(fd, (struct sockaddr *)&ss, &sl) == -1 ||
	    getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), NULL,
	    0, NI_NUMERICHOST) != 0) {
		snprintf(buf, len, "-");
		return;
	}
	snprintf(buf, len, "%s", strncmp(host, "::ffff:", 7) == 0 ? host + 7 :
	    host);
}

/*
 * A ticket is about to be made for ssl's session: the issuing
 * intermediate goes into its application data (encrypted and
 * authenticated with the ticket), for the check at resumption.
 */
static int
ticket_gen_cb(SSL *ssl, void *arg)
{
	STACK_OF(X509) *chain;
	unsigned char *der = NULL;
	int len;

	(void)arg;
	if ((chain = identity_ssl_chain(ssl)) == NULL ||
	    sk_X509_num(chain) < 2 ||
	    (len = i2d_X509(sk_X509_value(chain, 1), &der)) <= 0)
		return 1;	/* a ticket without it never resumes */
	(void)SSL_SESSION_set1_ticket_appdata(SSL_get0_session(ssl), der,
	    (size_t)len);
	OPENSSL_free(der);
	return 1;
}

/*
 * A ticket came back and was decrypted with one of our keys (status
 * SUCCESS or SUCCESS_RENEW): the session's certificate is verified again
 * now, with the intermediate the ticket carries. Anything wrong and the
 * ticket is ignored: a full handshake, fully checked, follows.
 */
static SSL_TICKET_RETURN
ticket_dec_cb(SSL *ssl, SSL_SESSION *ss, const unsigned char *keyname,
    size_t keyname_len, SSL_TICKET_STATUS status, void *arg)
{
	struct server *s = arg;
	STACK_OF(X509) *untrusted = NULL, *chain = NULL;
	const unsigned char *p;
	struct identity who;
	X509 *issuer = NULL;
	void *data = NULL;
	size_t len = 0;
	char err[256], why[300], addr[64];
	int ok;

	(void)keyname;
	(void)keyname_len;
	if (status != SSL_TICKET_SUCCESS && status != SSL_TICKET_SUCCESS_RENEW)
		return SSL_TICKET_RETURN_IGNORE_RENEW;
	/* a cached intermediate is taken by its bytes, not decoded again */
	if (SSL_SESSION_get0_ticket_appdata(ss, &data, &len) == 1 && len > 0 &&
	    ((issuer = trust_cached_ca(s->trust, data, len)) != NULL ||
	    (p = data, issuer = d2i_X509(NULL, &p, (long)len)) != NULL) &&
	    (untrusted = sk_X509_new_null()) != NULL)
		(void)sk_X509_push(untrusted, issuer);
	/*
	 * Today's trust and CRLs, as a full handshake would check it, with
	 * the trust's known intermediates; the chain is kept for
	 * identity_from_ssl, and the trust that checked it for seed_signer.
	 */
	ok = trust_verify_peer(s->trust, SSL_SESSION_get0_peer(ss), untrusted,
	    0, &who, &chain, err, sizeof(err)) == 0;
	if (ok && identity_resumed_keep(ssl, chain) == -1) {
		snprintf(err, sizeof(err), "no ex_data slot");
		ok = 0;
	}
	if (ok && verified_idx >= 0)
		SSL_set_ex_data(ssl, verified_idx,
		    (void *)(uintptr_t)trust_generation(s->trust));
	sk_X509_free(untrusted);
	X509_free(issuer);
	if (!ok) {
		/* lws reads SSL_get_error after this: no stale entry there */
		ERR_clear_error();
		snprintf(why, sizeof(why), "resumed session: %s", err);
		ssl_addr(ssl, addr, sizeof(addr));
		metrics_inc(METRIC_HANDSHAKES_REFUSED, "resumption");
		log_warnx("tls resumption refused addr=%s reason=%s (full "
		    "handshake)", addr, log_str(why));
		return SSL_TICKET_RETURN_IGNORE_RENEW;
	}
	return status == SSL_TICKET_SUCCESS_RENEW ?
	    SSL_TICKET_RETURN_USE_RENEW : SSL_TICKET_RETURN_USE;
}

/*
 * The node-facing SSL_CTX, as lws made it: our trust (CRLs included),
 * TLS 1.3, and tickets of our keys, or none at all.
 */
static void
server_ctx_setup(struct server *s, SSL_CTX *ctx)
{
	char sid[128];
	unsigned char sidhash[SHA256_DIGEST_LENGTH];

	s->ssl_ctx = ctx;
	SSL_CTX_set1_cert_store(ctx, trust_store(s->trust));
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	/* stateless tickets only: nothing is kept per session here */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (s->tickets == NULL || tickets_install(s->tickets, ctx) == -1 ||
	    SSL_CTX_set_session_ticket_cb(ctx, ticket_gen_cb, ticket_dec_cb,
	    s) != 1) {
		if (s->tickets != NULL)
			log_warnx("tls: session tickets off: cannot install "
			    "their keys");
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
		SSL_CTX_set_num_tickets(ctx, 0);
		return;
	}
	SSL_CTX_clear_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(ctx, 1);
	/*
	 * lws sets the session id context to its context's address, which
	 * changes at every start and would void every ticket: ours is the
	 * relay's id, hashed to fit SSL_MAX_SID_CTX_LENGTH (32 bytes) for
	 * every id length.
	 */
	snprintf(sid, sizeof(sid), "kairan.v1 %s", s->cfg->id);
	SHA256((const unsigned char *)sid, strlen(sid), sidhash);
	if (SSL_CTX_set_session_id_context(ctx, sidhash,
	    SHA256_DIGEST_LENGTH) != 1) {
		log_warnx("tls: session tickets off: cannot set the session "
		    "id context");
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
		SSL_CTX_set_num_tickets(ctx, 0);
	}
}

static int
server_callback(struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len)
{
	struct server *s = lws_context_user(lws_get_context(wsi));
	struct lws_filter_network_conn_args *filt;
	struct peer *p = user;
	SSL_CTX *ctx;
	char addr[64];

	switch (reason) {
	case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
		filt = user;
		return admit_filter(s->admit,
		    (const struct sockaddr *)&filt->cli_addr, filt->clilen);
	case LWS_CALLBACK_WSI_CREATE:
		admit_bind(s->admit, wsi);
		return 0;
	case LWS_CALLBACK_WSI_DESTROY:
		admit_gone(s->admit, wsi);
		/* lws 4.1.6 may free a client wsi with no other word */
		return dial_callback(s, wsi, (int)reason, user, in, len);
	case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS:
		ctx = user;
		server_ctx_setup(s, ctx);
		return 0;
	case LWS_CALLBACK_OPENSSL_PERFORM_CLIENT_CERT_VERIFICATION:
		return on_verify(wsi, user, in, (int)len);
	case LWS_CALLBACK_SSL_INFO:
		on_ssl_info(s, wsi, in);
		return 0;
	case LWS_CALLBACK_ESTABLISHED:
		peer_addr(s, wsi, addr, sizeof(addr));
		if (session_open(s, p, wsi, addr, -1) == -1)
			return -1;
		seed_signer(s, p, wsi);
		if (p->state != PEER_NEW && lws_get_ssl(wsi) != NULL)
			log_debug("peer tls entity=%s addr=%s resumed=%d",
			    p->who.entity, addr,
			    SSL_session_reused(lws_get_ssl(wsi)) ? 1 : 0);
		return 0;
	case LWS_CALLBACK_RECEIVE:
		if (p == NULL)
			return 0;
		return session_receive(p, wsi, in, len);
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (p == NULL || p->state == PEER_NEW)
			return 0;
		return deliver_writeable(p);
	case LWS_CALLBACK_CLOSED:
		if (p != NULL)
			session_closed(p);
		return 0;
	case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_CLIENT_VERIFY_CERTS:
		/* the links we dial: the trust's store, CRLs included */
		s->client_ssl_ctx = user;
		SSL_CTX_set1_cert_store(user, trust_store(s->trust));
		SSL_CTX_set_min_proto_version(user, TLS1_3_VERSION);
		return 0;
	case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION:
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
	case LWS_CALLBACK_CLIENT_RECEIVE:
	case LWS_CALLBACK_CLIENT_WRITEABLE:
	case LWS_CALLBACK_CLIENT_CLOSED:
		return dial_callback(s, wsi, (int)reason, user, in, len);
	default:
		return 0;
	}
}

/* admit's verdict on a connection that did not prove itself in time. */
static void
admit_close(void *arg, struct lws *wsi, const char *addr, const char *why)
{
	(void)arg;
	metrics_inc(METRIC_HANDSHAKES_REFUSED, "admission");
	log_debug("peer refused addr=%s reason=%s", addr, log_str(why));
	lws_set_timeout(wsi, PENDING_TIMEOUT_SSL_ACCEPT, LWS_TO_KILL_SYNC);
}

/* The descriptor limit, raised to its hard limit first. */
static unsigned long
fd_rlimit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1048576 ?
	    1048576 : (unsigned long)rl.rlim_cur;
}

/*
 * lws sizes its tables from the fd limit: stay below it. Room for every
 * established node and every pending handshake, so that pending ones
 * never take an established node's descriptor.
 */
static unsigned
fd_limit(const struct config *cfg, unsigned max_pending, unsigned long lim)
{
	unsigned long want = (unsigned long)cfg->max_connections +
	    max_pending + 64;

	if (lim > 32 && want > lim - 32)
		want = lim - 32;
	if (want < 64)
		want = 64;
	return (unsigned)want;
}

/* The nodes (with a node) this relay is home to, and its peer relays. */
static unsigned
served_count(const struct server *s)
{
	const struct dir_entity *e;
	unsigned n = (unsigned)s->cfg->npeers;
	size_t i;

	for (i = 0; s->dir != NULL && i < directory_count(s->dir); i++)
		if ((e = directory_at(s->dir, i)) != NULL && e->node &&
		    config_serves(s->cfg, e->id, e->pref))
			n++;
	return n;
}

/*
 * After a rotation, every node connected to us gets a new ticket under the
 * new key. A node stays connected for days; its ticket, made at its
 * handshake, dies with the key it was made under (two rotations) and
 * with the session's lifetime, so without this a relay that had run for
 * a day would meet a reconnect storm with no ticket left to resume. The
 * ticket goes out with the next thing written to the node, at the latest
 * its ping (ping_interval). Connections we dialled are clients: nothing
 * to issue.
 */
static void
tickets_refresh(struct server *s)
{
	struct peer *p;
	SSL *ssl;
	unsigned n = 0;

	for (p = s->peers; p != NULL; p = p->next) {
		if (p->dial != NULL || p->wsi == NULL ||
		    (p->state != PEER_OPEN && p->state != PEER_READY) ||
		    (ssl = lws_get_ssl(p->wsi)) == NULL || !SSL_is_server(ssl) ||
		    SSL_version(ssl) != TLS1_3_VERSION)
			continue;
		if (SSL_new_session_ticket(ssl) == 1)
			n++;
	}
	ERR_clear_error();
	log_info("tls tickets refreshed peers=%u", n);
}

/* The rotation of the ticket keys, on schedule (tickets.h). */
static void
tickets_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct server *s = w->data;
	char err[512];
	int64_t now = (int64_t)time(NULL), next;
	unsigned gen = tickets_generation(s->tickets);
	int rc;

	(void)revents;
	if ((rc = tickets_rotate(s->tickets, now, err, sizeof(err))) == -1)
		log_warnx("tls ticket keys: rotated in memory only: %s",
		    log_str(err));
	/* a new current key, saved or not (not a previous one dropped) */
	if (tickets_generation(s->tickets) != gen) {
		log_info("tls ticket keys rotated generation=%u",
		    tickets_generation(s->tickets));
		tickets_refresh(s);
	}
	next = tickets_next(s->tickets);
	ev_timer_stop(loop, w);
	ev_timer_set(w, next > now ? (ev_tstamp)(next - now) : 1., 0.);
	ev_timer_start(loop, w);
}

static int
tickets_start(struct server *s)
{
	const struct config *cfg = s->cfg;
	char err[512];
	int64_t now = (int64_t)time(NULL);

	if (cfg->tickets_off || cfg->tickets == NULL) {
		log_info("tls session tickets off");
		return 0;
	}
	if ((s->tickets = tickets_open(cfg->tickets, cfg->ticket_rotation_s,
	    now, err, sizeof(err))) == NULL) {
		log_warnx("session_tickets: %s", log_str(err));
		return -1;
	}
	ev_timer_init(&s->tickets_timer, tickets_timer_cb, 0., 0.);
	s->tickets_timer.data = s;
	ev_timer_set(&s->tickets_timer, (ev_tstamp)(tickets_next(s->tickets) >
	    now ? tickets_next(s->tickets) - now : 1), 0.);
	ev_timer_start(s->loop, &s->tickets_timer);
	log_info("tls session tickets on rotation=%us file=%s",
	    cfg->ticket_rotation_s, log_str(cfg->tickets));
	return 0;
}

void
listener_free(struct server *s)
{
	if (s->tickets == NULL)
		return;
	ev_timer_stop(s->loop, &s->tickets_timer);
	tickets_free(s->tickets);
	s->tickets = NULL;
}

/*
 * Descriptors above lws's own cap for the relay's other files (its store,
 * logs, the event loop's own, mail): lws's table has room for them too.
 */
#define FD_HEADROOM	128

/*
 * lws 4.1.6 finds a connection by its descriptor directly, as an index
 * into a table, only when fd_limit_per_thread covers the whole process
 * limit it reads (sysconf(_SC_OPEN_MAX)) when the context is made; below
 * that, wsi_from_fd scans the table on every event (15-18% of the relay's
 * CPU with 1,800 nodes). Both matter: the cap below the process limit
 * (accept stops at lws's cap, never at EMFILE, which 4.1.6 busy-loops on,
 * LWS-NOTES.md) and the direct lookup. So the soft limit is lowered to the
 * cap (plus FD_HEADROOM) while the context is made, and restored at once:
 * the table covers every descriptor up to the cap, the process keeps its
 * limit above it. A socket whose descriptor lands beyond the table (only
 * with more than FD_HEADROOM other files open) is refused by lws alone.
 */
static struct lws_context *
create_context(struct lws_context_creation_info *info)
{
	struct lws_context *ctx;
	struct rlimit saved, rl;
	rlim_t n = (rlim_t)info->fd_limit_per_thread + FD_HEADROOM;
	int lowered = 0;

	if (getrlimit(RLIMIT_NOFILE, &saved) == 0 && saved.rlim_cur > 32 &&
	    n <= saved.rlim_cur - 32) {
		rl = saved;
		rl.rlim_cur = n;
		if (setrlimit(RLIMIT_NOFILE, &rl) == 0) {
			info->fd_limit_per_thread = (unsigned)n;
			lowered = 1;
		}
	}
	ctx = lws_create_context(info);
	if (lowered && setrlimit(RLIMIT_NOFILE, &saved) == -1)
		fatal("%s: setrlimit", __func__);
	if (ctx != NULL)
		log_debug("libwebsockets descriptors=%u lookup=%s",
		    info->fd_limit_per_thread, lowered ? "direct" : "scan");
	return ctx;
}

/*
 * The relay's own certificate and key (renewed by its CA): both loaded and
 * checked first (key matches, CN is our id), then swapped in for new
 * handshakes and for the receipts we sign, at once. Anything wrong, and
 * the old pair stays in use.
 */
void
listener_reload_cert(struct server *s)
{
	struct signer *sg;
	char err[512];

	if ((sg = signer_new(s->cfg->cert, s->cfg->key, err, sizeof(err))) ==
	    NULL) {
		log_warnx("reload: certificate and key kept: %s", log_str(err));
		return;
	}
	if (strcmp(signer_entity(sg), s->cfg->id) != 0) {
		log_warnx("reload: certificate and key kept: %s is for %s, not "
		    "%s", s->cfg->cert, signer_entity(sg), s->cfg->id);
		signer_free(sg);
		return;
	}
	if ((s->ssl_ctx != NULL &&
	    signer_use_for_tls(sg, s->ssl_ctx, err, sizeof(err)) == -1) ||
	    (s->client_ssl_ctx != NULL &&
	    signer_use_for_tls(sg, s->client_ssl_ctx, err, sizeof(err)) == -1)) {
		log_warnx("reload: certificate and key kept: %s", log_str(err));
		signer_free(sg);
		return;
	}
	signer_free(s->signer);
	s->signer = sg;
}


/*
 * The listener: lws on our libev loop (a foreign loop), TLS 1.3 with
 * client certificates required; our timers do what lws's would not do
 * promptly on a foreign loop (admit.c).
 */
int
listener_start(struct server *s)
{
	const struct config *cfg = s->cfg;
	struct lws_context_creation_info info;
	static lws_retry_bo_t idle;
	void *loops[1];
	unsigned long lim = fd_rlimit();
	unsigned served = served_count(s);

	if (verified_idx < 0 && (verified_idx = SSL_get_ex_new_index(0,
	    "kairan verified trust", NULL, NULL, NULL)) < 0)
		fatalx("%s: SSL_get_ex_new_index", __func__);
	s->max_pending = admit_budget(cfg->max_pending, served,
	    cfg->max_connections, lim);
	if ((s->admit = admit_new(s->loop, s->max_pending,
	    cfg->max_pending_per_addr, cfg->handshake_timeout_s, admit_close,
	    s)) == NULL)
		fatal("%s", __func__);
	admit_set_progress(s->admit, admit_progress, ADMIT_SILENT_GRACE);
	log_info("admission max_pending=%u%s served=%u max_pending_per_addr=%u "
	    "fd_limit=%lu", s->max_pending, cfg->max_pending == 0 ? " (auto)" :
	    "", served, cfg->max_pending_per_addr, lim);
	if (tickets_start(s) == -1)
		return -1;
	lws_set_log_level(LLL_ERR | LLL_WARN | (log_getverbose() > 1 ?
	    LLL_NOTICE | LLL_INFO : 0), lwslog_line);
	memset(&idle, 0, sizeof(idle));
	idle.secs_since_valid_ping = (uint16_t)cfg->ping_interval_s;
	idle.secs_since_valid_hangup = (uint16_t)(cfg->ping_interval_s +
	    cfg->idle_timeout_s);
	memset(&info, 0, sizeof(info));
	loops[0] = s->loop;
	info.foreign_loops = loops;
	info.options = LWS_SERVER_OPTION_LIBEV |
	    LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
	    LWS_SERVER_OPTION_REQUIRE_VALID_OPENSSL_CLIENT_CERT |
	    LWS_SERVER_OPTION_VALIDATE_UTF8;
	info.port = cfg->port;
	info.iface = cfg->host;
	info.protocols = protocols;
	info.user = s;
	info.ssl_cert_filepath = cfg->cert;
	info.ssl_private_key_filepath = cfg->key;
	info.ssl_ca_filepath = cfg->ca;
	info.ssl_info_event_mask = SSL_CB_ALERT;
	info.timeout_secs = cfg->handshake_timeout_s;
	info.retry_and_idle_policy = &idle;
	info.fd_limit_per_thread = fd_limit(cfg, s->max_pending, lim);
	/* a header slot for every connection that may be mid-handshake */
	info.max_http_header_pool = (unsigned short)(s->max_pending < 65535 ?
	    s->max_pending : 65535);
	info.vhost_name = cfg->id;
	if ((s->context = create_context(&info)) == NULL) {
		log_warnx("libwebsockets: cannot listen on %s:%d (port in use? "
		    "is libwebsockets-evlib-ev installed?)", cfg->host,
		    cfg->port);
		return -1;
	}
	/*
	 * The links we dial live on a vhost of their own, which presents the
	 * same certificate (LWS-NOTES.md 4) but has no TLS info callback:
	 * lws 4.1.6 keeps its tls client record, not the context, in a
	 * client SSL_CTX's ex_data, and lws_ssl_info_callback reads that as
	 * the context and crashes in wsi_from_fd on the first client
	 * handshake of a vhost with ssl_info_event_mask set.
	 */
	memset(&info, 0, sizeof(info));
	info.options = LWS_SERVER_OPTION_LIBEV |
	    LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
	    LWS_SERVER_OPTION_VALIDATE_UTF8;
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.vhost_name = "links";
	info.client_ssl_cert_filepath = cfg->cert;
	info.client_ssl_private_key_filepath = cfg->key;
	info.client_ssl_ca_filepath = cfg->ca;
	info.timeout_secs = cfg->handshake_timeout_s;
	info.retry_and_idle_policy = &idle;
	if (cfg->npeers > 0 &&
	    (s->links_vhost = lws_create_vhost(s->context, &info)) == NULL) {
		log_warnx("libwebsockets: cannot create the vhost of the links");
		return -1;
	}
	return 0;
}

int
listener_port(struct server *s)
{
	return lws_get_vhost_listen_port(lws_get_vhost_by_name(s->context,
	    s->cfg->id));
}
