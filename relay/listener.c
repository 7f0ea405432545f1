/*
 * listener: the relay's listening socket, TLS and connections (see
 * listener.h).
 *
 * TLS (LWS-NOTES.md): lws only asks OpenSSL for a client certificate; the
 * verification callback is ours and refuses unless OpenSSL's chain check
 * (with the CRLs of our trust) succeeded, and ESTABLISHED checks the
 * identity rules again with identity_from_ssl().
 */
#include <sys/resource.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>
#include <libwebsockets.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "kairan/conn.h"
#include "kairan/envelope.h"
#include "kairan/frame.h"
#include "kairan/identity.h"
#include "kairan/log.h"
#include "kairan/lwslog.h"
#include "kairan/trust.h"

#include "admit.h"
#include "commit.h"
#include "deliver.h"
#include "frames.h"
#include "listener.h"
#include "relay.h"

static int	server_callback(struct lws *, enum lws_callback_reasons,
		    void *, void *, size_t);

static struct lws_protocols protocols[] = {
	{ KAIRAN_PROTOCOL, server_callback, sizeof(struct peer), 65536, 0,
	    NULL, 0 },
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

static void
peer_link(struct server *s, struct peer *p)
{
	p->next = s->peers;
	if (s->peers != NULL)
		s->peers->prev = p;
	s->peers = p;
	s->npeers++;
}

static void
peer_unlink(struct server *s, struct peer *p)
{
	if (p->prev != NULL)
		p->prev->next = p->next;
	else if (s->peers == p)
		s->peers = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	p->prev = p->next = NULL;
	s->npeers--;
	commit_forget_peer(s, p);
}

static int
on_established(struct server *s, struct peer *p, struct lws *wsi)
{
	STACK_OF(X509) *chain;
	SSL *ssl;
	char err[512];
	uint8_t *buf;
	size_t len;
	int full;

	p->srv = s;
	p->wsi = wsi;
	peer_addr(s, wsi, p->addr, sizeof(p->addr));
	if ((ssl = lws_get_ssl(wsi)) == NULL ||
	    identity_from_ssl(ssl, &p->who, err, sizeof(err)) == -1) {
		log_warnx("peer refused addr=%s reason=%s", p->addr,
		    log_str(ssl == NULL ? "no TLS" : err));
		return -1;
	}
	/* full: told so (OVERLOADED, retryable) before the close */
	full = s->npeers >= s->cfg->max_connections;
	/* identity_from_ssl wants leaf, issuer and root; never rely on it */
	if ((chain = SSL_get0_verified_chain(ssl)) == NULL ||
	    sk_X509_num(chain) < 2) {
		log_warnx("peer refused addr=%s entity=%s reason=\"verified "
		    "chain without an issuer\"", p->addr, p->who.entity);
		return -1;
	}
	p->leaf = sk_X509_value(chain, 0);
	p->issuer = sk_X509_value(chain, 1);
	X509_up_ref(p->leaf);
	X509_up_ref(p->issuer);
	conn_flight_init(&p->flight, s->cfg->window);
	peer_transition(p, PEER_OPEN);
	peer_link(s, p);
	if (frame_encode_hello(s->cfg->id, SOFTWARE, LWS_PRE, &buf,
	    &len) == -1)
		fatal("%s", __func__);
	conn_ctl_push(&p->ctl, buf, len);
	if (full) {
		snprintf(err, sizeof(err), "too many connections "
		    "(max_connections %u), retry later",
		    s->cfg->max_connections);
		log_warnx("peer refused addr=%s entity=%s reason=%s", p->addr,
		    p->who.entity, log_str(err));
		deliver_refuse(p, NULL, 0, KAIRAN__V1__REFUSED__REASON__OVERLOADED,
		    err, 1);
		deliver_wake(p);
		return 0;
	}
	switch (p->who.role) {
	case ROLE_NODE:
		log_info("peer connected entity=%s role=node addr=%s",
		    p->who.entity, p->addr);
		break;
	case ROLE_RELAY:
		log_warnx("peer refused addr=%s entity=%s reason=\"role relay: "
		    "federation is not supported yet\"", p->addr,
		    p->who.entity);
		deliver_refuse(p, NULL, 0,
		    KAIRAN__V1__REFUSED__REASON__NOT_AUTHORIZED,
		    "role relay: federation is not supported yet", 1);
		break;
	case ROLE_OPERATOR:
		log_warnx("peer refused addr=%s entity=%s reason=\"role "
		    "operator: not on this port\"", p->addr, p->who.entity);
		deliver_refuse(p, NULL, 0,
		    KAIRAN__V1__REFUSED__REASON__NOT_AUTHORIZED,
		    "role operator: not on this port", 1);
		break;
	case ROLE_NONE:
	default:
		fatalx("%s: identity without role", __func__);
	}
	deliver_wake(p);
	return 0;
}

/* OpenSSL's verdict on the client's chain, with our CRLs: we decide. */
static int
on_verify(struct lws *wsi, X509_STORE_CTX *x, SSL *ssl, int preverify_ok)
{
	char subject[256] = "-", addr[64] = "-";
	X509 *cert;
	int e;

	(void)ssl;
	if (preverify_ok)
		return 0;
	e = X509_STORE_CTX_get_error(x);
	if ((cert = X509_STORE_CTX_get_current_cert(x)) != NULL)
		X509_NAME_oneline(X509_get_subject_name(cert), subject,
		    sizeof(subject));
	peer_addr(lws_context_user(lws_get_context(wsi)), wsi, addr,
	    sizeof(addr));
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
	/* TLS 1.3 "certificate required" (116): OpenSSL has no name for it */
	if ((si->ret & 0xff) == 116)
		log_warnx("peer refused addr=%s reason=\"tls alert: certificate "
		    "required (no client certificate)\"", addr);
	else
		log_warnx("peer refused addr=%s reason=\"tls alert: %s\"", addr,
		    SSL_alert_desc_string_long(si->ret));
}

static int
server_callback(struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len)
{
	struct server *s = lws_context_user(lws_get_context(wsi));
	struct lws_filter_network_conn_args *filt;
	struct peer *p = user;
	SSL_CTX *ctx;
	size_t max;

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
		return 0;
	case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS:
		ctx = user;
		s->ssl_ctx = ctx;
		SSL_CTX_set1_cert_store(ctx, trust_store(s->trust));
		SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
		/*
		 * No session tickets and no session cache: a resumed session
		 * carries no verified chain to run the identity and revocation
		 * checks on, so it could only be refused (and a client that
		 * retries would flood the log). Every connection is a full
		 * handshake, checked in full.
		 */
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
		SSL_CTX_set_num_tickets(ctx, 0);
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
		return 0;
	case LWS_CALLBACK_OPENSSL_PERFORM_CLIENT_CERT_VERIFICATION:
		return on_verify(wsi, user, in, (int)len);
	case LWS_CALLBACK_SSL_INFO:
		on_ssl_info(s, wsi, in);
		return 0;
	case LWS_CALLBACK_ESTABLISHED:
		return on_established(s, p, wsi);
	case LWS_CALLBACK_RECEIVE:
		if (p == NULL || p->state == PEER_NEW ||
		    p->state == PEER_CLOSING)
			return 0;
		if (!lws_frame_is_binary(wsi)) {
			deliver_refuse(p, NULL, 0,
			    KAIRAN__V1__REFUSED__REASON__MALFORMED,
			    "frame: text message; kairan.v1 frames are binary",
			    1);
			return 0;
		}
		/* before its Hello a peer may send nothing but a Hello */
		max = p->state == PEER_OPEN ? HELLO_FRAME_MAX :
		    s->cfg->max_frame;
		if (conn_rx_append(&p->rx, in, len, max) == -1) {
			char e[128];

			snprintf(e, sizeof(e), "frame: over limit %zu bytes%s",
			    max, p->state == PEER_OPEN ? " for a Hello" : "");
			conn_rx_reset(&p->rx);
			deliver_refuse(p, NULL, 0,
			    KAIRAN__V1__REFUSED__REASON__TOO_LARGE, e, 1);
			return 0;
		}
		if (!lws_is_final_fragment(wsi) ||
		    lws_remaining_packet_payload(wsi) > 0)
			return 0;
		frames_on_frame(p);
		conn_rx_reset(&p->rx);
		deliver_maybe_pause(p);
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (p == NULL || p->state == PEER_NEW)
			return 0;
		return deliver_writeable(p);
	case LWS_CALLBACK_CLOSED:
		if (p == NULL || p->state == PEER_NEW)
			return 0;
		log_info("peer closed entity=%s addr=%s in_flight=%u",
		    p->who.entity, p->addr, p->flight.n);
		peer_unlink(s, p);
		peer_clear(p);
		peer_transition(p, PEER_NEW);
		return 0;
	default:
		return 0;
	}
}

/* admit's verdict on a connection that did not prove itself in time. */
static void
admit_close(void *arg, struct lws *wsi, const char *addr, const char *why)
{
	(void)arg;
	log_debug("peer refused addr=%s reason=%s", addr, log_str(why));
	lws_set_timeout(wsi, PENDING_TIMEOUT_SSL_ACCEPT, LWS_TO_KILL_SYNC);
}

/*
 * lws sizes its tables from the fd limit: raise it, and stay below it.
 * Room for every established node and every pending handshake, so that
 * pending ones never take an established node's descriptor.
 */
static unsigned
fd_limit(const struct config *cfg)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)cfg->max_connections + cfg->max_pending + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur > 32 && want > rl.rlim_cur - 32)
		want = rl.rlim_cur - 32;
	if (want < 64)
		want = 64;
	return (unsigned)want;
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
	if (s->ssl_ctx != NULL &&
	    signer_use_for_tls(sg, s->ssl_ctx, err, sizeof(err)) == -1) {
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

	if ((s->admit = admit_new(s->loop, cfg->max_pending,
	    cfg->max_pending_per_addr, cfg->handshake_timeout_s, admit_close,
	    s)) == NULL)
		fatal("%s", __func__);
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
	info.fd_limit_per_thread = fd_limit(cfg);
	/* a header slot for every connection that may be mid-handshake */
	info.max_http_header_pool = (unsigned short)(cfg->max_pending < 65535 ?
	    cfg->max_pending : 65535);
	info.vhost_name = cfg->id;
	if ((s->context = lws_create_context(&info)) == NULL) {
		log_warnx("libwebsockets: cannot listen on %s:%d (port in use? "
		    "is libwebsockets-evlib-ev installed?)", cfg->host,
		    cfg->port);
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
