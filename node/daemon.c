/*
 * daemon: `kairan-node run` (see daemon.h).
 *
 * One thread, one libev loop. We create the loop and hand it to
 * libwebsockets as a foreign loop (LWS_SERVER_OPTION_LIBEV +
 * info.foreign_loops), because lws_sul timers cannot watch a file
 * descriptor and we need one: the poke socket, on which the command line
 * says "there is something new in the outbox". Signals are libev signal
 * watchers, so their callbacks run in the loop, not in signal context.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>
#include <libwebsockets.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "kairan/envelope.h"
#include "kairan/frame.h"
#include "kairan/link.h"
#include "kairan/log.h"
#include "kairan/lwslog.h"
#include "kairan/message.h"
#include "kairan/tlsresume.h"

#include "compose.h"
#include "daemon.h"
#include "lock.h"
#include "store.h"
#include "store_inbox.h"
#include "store_outbox.h"
#include "store_receipt.h"

static int	daemon_lws_callback(struct lws *, enum lws_callback_reasons,
		    void *, void *, size_t);

static const struct lws_protocols daemon_protocols[] = {
	{ KAIRAN_PROTOCOL, daemon_lws_callback, 0, 65536, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

/*
 * protocols[0]: the client SSL_CTX is the vhost's (no connection yet);
 * everything else is a route's connection, handled by its link.
 */
static int
daemon_lws_callback(struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len)
{
	struct daemon *d;

	if (reason == LWS_CALLBACK_OPENSSL_LOAD_EXTRA_CLIENT_VERIFY_CERTS) {
		d = lws_context_user(lws_get_context(wsi));
		if (d != NULL && user != NULL)
			daemon_client_ssl_ctx(d, user);
		if (user != NULL)
			(void)tlsresume_install(user);	/* routes resume */
		return 0;
	}
	return link_lws_callback(wsi, reason, user, in, len);
}

char *
daemon_poke_path(const char *db)
{
	struct sockaddr_un sun;
	char *p;

	if (asprintf(&p, "%s.sock", db) == -1)
		return NULL;
	if (strlen(p) >= sizeof(sun.sun_path)) {
		free(p);
		return NULL;
	}
	return p;
}

void
daemon_poke(const char *db)
{
	struct sockaddr_un sun;
	char *path;
	int fd, saved = errno;

	if ((path = daemon_poke_path(db)) == NULL)
		return;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	free(path);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return;
	/* No daemon, or a full socket buffer: it will see the row anyway. */
	(void)sendto(fd, "p", 1, MSG_DONTWAIT, (struct sockaddr *)&sun,
	    sizeof(sun));
	close(fd);
	errno = saved;
}

/*
 * Sends new outbox rows now. Called from lws callbacks and from our own
 * ev_io watcher: lws_callback_on_writable() arms the socket's libev write
 * watcher at once, whereas a lws_sul scheduled from outside lws would
 * only be seen when lws next re-arms its timer (up to the next sweep).
 */
static void
daemon_kick(struct daemon *d)
{
	size_t i;

	if (d->stopping || d->context == NULL)
		return;
	for (i = 0; i < d->nroutes; i++)
		route_kick(&d->routes[i], 0);
}

/*
 * The safety net: every few seconds each ready route looks again for
 * anything unanswered that is not in flight (a poke lost, an OVERLOADED).
 */
static void
daemon_sweep_cb(lws_sorted_usec_list_t *sul)
{
	struct daemon *d = lws_container_of(sul, struct daemon, sul_sweep);
	size_t i;

	if (d->stopping)
		return;
	for (i = 0; i < d->nroutes; i++)
		route_kick(&d->routes[i], 1);
	lws_sul_schedule(d->context, 0, &d->sul_sweep, daemon_sweep_cb,
	    DAEMON_SWEEP_US);
}

static void
daemon_poke_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct daemon *d = w->data;
	char buf[64];
	int n = 0;

	(void)loop;
	(void)revents;
	while (recv(d->poke_fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		n++;
	log_debug("poke n=%d", n);
	daemon_kick(d);
	/* a new report of ours may have internal mails to send */
	mailout_kick(d->mailout);
}

static int
daemon_poke_listen(struct daemon *d)
{
	struct sockaddr_un sun;
	mode_t old;

	d->poke_fd = -1;
	if ((d->poke_path = daemon_poke_path(d->cfg->db)) == NULL) {
		log_warnx("poke socket: path of db too long; new outbox rows "
		    "are noticed by the %d s sweep only",
		    (int)(DAEMON_SWEEP_US / LWS_US_PER_SEC));
		return 0;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", d->poke_path);
	if ((d->poke_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1) {
		log_warn("poke socket");
		return -1;
	}
	/* A stale socket of an earlier run is ours to replace. */
	(void)unlink(d->poke_path);
	/*
	 * The command line's users are the database's group: they must be
	 * able to poke (a poke only makes the daemon look at its outbox), so
	 * the socket is the group's too, and nobody else's.
	 */
	old = umask(0007);
	if (bind(d->poke_fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		log_warn("poke socket bind path=%s", d->poke_path);
		close(d->poke_fd);
		d->poke_fd = -1;
		return -1;
	}
	umask(old);
	ev_io_init(&d->poke_io, daemon_poke_cb, d->poke_fd, EV_READ);
	d->poke_io.data = d;
	ev_io_start(d->loop, &d->poke_io);
	return 0;
}

void
daemon_client_ssl_ctx(struct daemon *d, SSL_CTX *ctx)
{
	/*
	 * lws loaded client_ssl_ca_filepath; replace it with the trust's
	 * store, which has the same root plus the CRLs and their flags, so
	 * that a revoked relay is refused during the handshake.
	 */
	d->client_ctx = ctx;
	if (d->trust != NULL)
		SSL_CTX_set1_cert_store(ctx, trust_store(d->trust));
	log_debug("client tls store installed crls=%d",
	    d->trust != NULL ? trust_ncrls(d->trust) : 0);
}

/* The last OpenSSL error as text ("" if none), and the queue cleared. */
static const char *
tls_errstr(void)
{
	static char buf[256];
	unsigned long e = ERR_peek_last_error();

	if (e == 0)
		snprintf(buf, sizeof(buf), "no certificate or key");
	else
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

/*
 * Our TLS client certificate and key, renewed on disk: both are read and
 * checked first (the key matches the certificate, whose CN is our id),
 * and only then put on the client SSL_CTX together, for the next
 * handshakes; on any failure the old pair stays and the reason is
 * logged. Open connections keep the certificate they were made with.
 */
static void
daemon_reload_tls(struct daemon *d)
{
	STACK_OF(X509) *chain = NULL;
	X509 *leaf = NULL, *x;
	EVP_PKEY *key = NULL;
	ASN1_INTEGER *sn;
	BIGNUM *bn = NULL;
	char cn[KAIRAN_ENTITY_MAX + 1], e[256], *hex = NULL;
	BIO *bio = NULL;

	if (d->client_ctx == NULL)
		return;
	ERR_clear_error();
	if ((bio = BIO_new_file(d->cfg->cert, "r")) == NULL) {
		log_warnx("reload: tls certificate kept: %s: cannot open: %s",
		    d->cfg->cert, strerror(errno));
		goto done;
	}
	if ((leaf = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL) {
		log_warnx("reload: tls certificate kept: %s: %s",
		    d->cfg->cert, tls_errstr());
		goto done;
	}
	if ((chain = sk_X509_new_null()) == NULL)
		goto oom;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		if (!sk_X509_push(chain, x)) {
			X509_free(x);
			goto oom;
		}
	ERR_clear_error();	/* the end of the file */
	BIO_free(bio);
	if ((bio = BIO_new_file(d->cfg->key, "r")) == NULL) {
		log_warnx("reload: tls certificate kept: %s: cannot open: %s",
		    d->cfg->key, strerror(errno));
		goto done;
	}
	if ((key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) == NULL) {
		log_warnx("reload: tls certificate kept: %s: %s", d->cfg->key,
		    tls_errstr());
		goto done;
	}
	if (X509_check_private_key(leaf, key) != 1) {
		ERR_clear_error();
		log_warnx("reload: tls certificate kept: %s does not match the "
		    "key %s", d->cfg->cert, d->cfg->key);
		goto done;
	}
	if (identity_name_field(X509_get_subject_name(leaf), NID_commonName,
	    cn, sizeof(cn), e, sizeof(e)) == -1 ||
	    strcmp(cn, d->cfg->id) != 0) {
		log_warnx("reload: tls certificate kept: %s is for %s, not %s",
		    d->cfg->cert, log_str(cn), d->cfg->id);
		goto done;
	}
	/* Certificate, key and chain in one call: never a mismatched pair. */
	if (SSL_CTX_use_cert_and_key(d->client_ctx, leaf, key, chain, 1) !=
	    1) {
		log_warnx("reload: tls certificate kept: %s", tls_errstr());
		goto done;
	}
	if ((sn = X509_get_serialNumber(leaf)) != NULL &&
	    (bn = ASN1_INTEGER_to_BN(sn, NULL)) != NULL)
		hex = BN_bn2hex(bn);
	log_info("reload: tls certificate replaced cert=%s serial=%s",
	    d->cfg->cert, hex != NULL ? hex : "?");
	goto done;
oom:
	log_warnx("reload: tls certificate kept: out of memory");
done:
	OPENSSL_free(hex);
	BN_free(bn);
	BIO_free(bio);
	EVP_PKEY_free(key);
	X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);
}

static void
daemon_reload(struct daemon *d)
{
	struct trust *t;
	struct directory *dir;
	struct signer *s;
	char err[512];

	if ((t = trust_new(d->cfg->ca, d->cfg->crl, err, sizeof(err))) ==
	    NULL)
		log_warnx("reload: trust kept: %s", err);
	else {
		if (d->client_ctx != NULL)
			SSL_CTX_set1_cert_store(d->client_ctx, trust_store(t));
		trust_free(d->trust);
		d->trust = t;
	}
	if ((dir = directory_load(d->cfg->directory, err, sizeof(err))) ==
	    NULL)
		log_warnx("reload: directory kept: %s", err);
	else {
		directory_free(d->dir);
		d->dir = dir;
	}
	if ((s = signer_new(d->cfg->cert, d->cfg->key, err, sizeof(err))) ==
	    NULL)
		log_warnx("reload: signer kept: %s", err);
	else if (strcmp(signer_entity(s), d->cfg->id) != 0) {
		log_warnx("reload: signer kept: certificate is for %s, not %s",
		    signer_entity(s), d->cfg->id);
		signer_free(s);
	} else {
		signer_free(d->signer);
		d->signer = s;
	}
	daemon_reload_tls(d);
	log_info("reloaded crls=%d entities=%zu", trust_ncrls(d->trust),
	    directory_count(d->dir));
}

static void
daemon_stop(struct daemon *d)
{
	size_t i;

	if (d->stopping)
		return;
	d->stopping = 1;
	for (i = 0; i < d->nroutes; i++)
		route_stop(&d->routes[i]);
	ev_signal_stop(d->loop, &d->sig_term);
	ev_signal_stop(d->loop, &d->sig_int);
	ev_signal_stop(d->loop, &d->sig_hup);
	if (d->poke_fd != -1)
		ev_io_stop(d->loop, &d->poke_io);
	lws_sul_cancel(&d->sul_sweep);
	/* the mails in flight are abandoned: their rows stay pending */
	mailout_free(d->mailout);
	d->mailout = NULL;
	/* Closes every connection; the loop ends when nothing is left. */
	if (d->context != NULL)
		lws_context_destroy(d->context);
	ev_break(d->loop, EVBREAK_ALL);
}

static void
daemon_signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon *d = w->data;

	(void)loop;
	(void)revents;
	switch (w->signum) {
	case SIGHUP:
		log_info("signal=HUP reloading");
		daemon_reload(d);
		break;
	case SIGTERM:
	case SIGINT:
		log_info("stopping signal=%s",
		    w->signum == SIGTERM ? "TERM" : "INT");
		daemon_stop(d);
		break;
	default:
		fatalx("%s: signal %d", __func__, w->signum);
	}
}

static int
refuse(const uint8_t *id, size_t idlen, int reason, const char *detail,
    uint8_t **ans, size_t *anslen)
{
	return frame_encode_refused(id, idlen, reason, detail, LWS_PRE, ans,
	    anslen);
}

/* What the DELIVERED receipt is about (store_inbox_add's seal callback). */
struct delivered_arg {
	struct daemon		*d;
	const Message		*m;
	const uint8_t		*digest;
	struct composed		*c;
};

/*
 * Signs our DELIVERED receipt for a report the store has just found new
 * (inside its transaction): a duplicate never gets a receipt signed.
 */
static int
delivered_seal(void *arg, const struct store_last *last,
    struct store_sealed *out, char *err, size_t errlen)
{
	struct delivered_arg *a = arg;

	(void)last;
	if (compose_receipt(a->c, a->d->signer, a->m->sender, a->m->id.data,
	    a->digest, a->m->status, KAIRAN__V1__RECEIPT__STATE__DELIVERED,
	    NULL, NULL, err, errlen) == -1)
		return -1;
	out->m = &a->c->msg;
	out->env = a->c->env;
	out->envlen = a->c->envlen;
	out->digest = a->c->digest;
	return 0;
}

/*
 * The store could not take the lock in STORE_DAEMON_BUSY_MS (a command
 * line is writing): answer OVERLOADED, the one retryable refusal, so that
 * the relay sends the envelope again a little later; nothing is lost and
 * the loop was never blocked for long.
 */
static int
busy(struct daemon *d, const char *hex, const uint8_t *id, uint8_t **ans,
    size_t *anslen)
{
	log_info("envelope deferred id=%s reason=OVERLOADED detail=%s", hex,
	    log_str("database busy"));
	(void)d;
	return refuse(id, KAIRAN_ID_LEN,
	    KAIRAN__V1__REFUSED__REASON__OVERLOADED,
	    "database busy: send it again", ans, anslen);
}

int
daemon_envelope(struct daemon *d, struct route *r, const Envelope *env,
    uint8_t **ans, size_t *anslen)
{
	struct envelope_info info;
	struct composed c;
	struct delivered_arg da;
	uint8_t id[KAIRAN_ID_LEN], *raw = NULL;
	char err[512], hex[KAIRAN_ID_HEXLEN + 1], inc[KAIRAN_ID_HEXLEN + 1];
	size_t idlen = 0, rawlen;
	int reason = 0, dup = 0, result = 0, rc = -1;
	const Message *m;

	memset(&info, 0, sizeof(info));
	memset(&c, 0, sizeof(c));
	*ans = NULL;
	if (envelope_peek_id(env, id) == 0)
		idlen = KAIRAN_ID_LEN;
	if (idlen)
		message_hex(id, KAIRAN_ID_LEN, hex);
	else
		snprintf(hex, sizeof(hex), "-");

	if (envelope_verify(d->trust, env, 0, &info, &reason, err,
	    sizeof(err)) == -1) {
		log_warnx("envelope refused route=%s relay=%s id=%s reason=%s "
		    "detail=%s", r->name, r->link.peer.entity, hex,
		    frame_reason_name(reason), log_str(err));
		rc = refuse(id, idlen, reason, err, ans, anslen);
		goto done;
	}
	m = info.msg;
	message_hex(m->id.data, KAIRAN_ID_LEN, hex);
	if (!message_has_recipient(m, d->cfg->id)) {
		snprintf(err, sizeof(err), "recipients: %s is not a recipient",
		    d->cfg->id);
		log_warnx("envelope refused route=%s id=%s sender=%s "
		    "reason=NOT_AUTHORIZED detail=%s", r->name, hex,
		    m->sender, log_str(err));
		rc = refuse(m->id.data, KAIRAN_ID_LEN,
		    KAIRAN__V1__REFUSED__REASON__NOT_AUTHORIZED, err, ans,
		    anslen);
		goto done;
	}
	/* Stored as the canonical Envelope; the signed bytes are unchanged. */
	rawlen = kairan__v1__envelope__get_packed_size(env);
	if ((raw = malloc(rawlen ? rawlen : 1)) == NULL) {
		log_warnx("envelope id=%s: out of memory", hex);
		goto done;
	}
	kairan__v1__envelope__pack(env, raw);

	switch (m->body_case) {
	case KAIRAN__V1__MESSAGE__BODY_REPORT:
	case KAIRAN__V1__MESSAGE__BODY_ADVISORY:
		/* an advisory is stored and receipted (DELIVERED) like a report */
		da.d = d;
		da.m = m;
		da.digest = info.digest;
		da.c = &c;
		if (store_inbox_add(d->store, m, raw, rawlen, info.digest,
		    r->name, message_now_ms(), delivered_seal, &da, &dup, err,
		    sizeof(err)) == -1) {
			if (store_busy(d->store)) {
				rc = busy(d, hex, m->id.data, ans, anslen);
				goto done;
			}
			log_warnx("inbox store id=%s: %s", hex, err);
			goto done;
		}
		if (dup)
			log_info("inbox duplicate id=%s sender=%s route=%s",
			    hex, m->sender, r->name);
		else if (m->body_case == KAIRAN__V1__MESSAGE__BODY_ADVISORY) {
			log_info("inbox stored id=%s sender=%s advisory=%s "
			    "status=%s route=%s", hex, m->sender,
			    message_advisory_kind_name(m->advisory->kind),
			    message_status_name(m->status), r->name);
			daemon_kick(d);	/* the DELIVERED receipt */
		} else {
			message_hex(m->report->incident_id.data, KAIRAN_ID_LEN,
			    inc);
			log_info("inbox stored id=%s sender=%s incident=%s "
			    "report_no=%u status=%s route=%s", hex, m->sender,
			    inc, m->report->report_no,
			    message_status_name(m->status), r->name);
			daemon_kick(d);	/* the DELIVERED receipt */
		}
		break;
	case KAIRAN__V1__MESSAGE__BODY_RECEIPT:
		message_hex(m->receipt->ref_id.data, KAIRAN_ID_LEN, inc);
		if (store_receipt_add(d->store, m, &info.signer, raw, rawlen,
		    r->name, message_now_ms(), &result, &reason, err,
		    sizeof(err)) == -1) {
			if (reason == 0 && store_busy(d->store)) {
				rc = busy(d, hex, m->id.data, ans, anslen);
				goto done;
			}
			if (reason == 0) {
				log_warnx("receipt store id=%s: %s", hex, err);
				goto done;
			}
			log_warnx("envelope refused route=%s id=%s signer=%s "
			    "reason=%s detail=%s", r->name, hex,
			    info.signer.entity, frame_reason_name(reason),
			    log_str(err));
			rc = refuse(m->id.data, KAIRAN_ID_LEN, reason, err, ans,
			    anslen);
			goto done;
		}
		log_info("receipt %s id=%s ref=%s state=%s signer=%s%s%s "
		    "route=%s",
		    result == STORE_RECEIPT_MATCHED ? "stored" :
		    result == STORE_RECEIPT_UNMATCHED ? "unmatched" :
		    "duplicate", hex, inc,
		    message_receipt_state_name(m->receipt->state),
		    info.signer.entity,
		    m->receipt->subject[0] != '\0' ? " subject=" : "",
		    m->receipt->subject[0] != '\0' ?
		    log_str(m->receipt->subject) : "", r->name);
		break;
	default:
		fatalx("%s: verified message without body", __func__);
	}
	rc = frame_encode_accepted(m->id.data, KAIRAN_ID_LEN, LWS_PRE, ans,
	    anslen);
done:
	free(raw);
	compose_clear(&c);
	envelope_info_clear(&info);
	if (rc == -1) {
		free(*ans);
		*ans = NULL;
	}
	return rc;
}

/* route_hooks: an envelope that arrived on a route. */
static int
daemon_route_envelope(void *arg, struct route *r, const Envelope *env,
    uint8_t **ans, size_t *anslen)
{
	return daemon_envelope(arg, r, env, ans, anslen);
}

static const struct route_hooks daemon_route_hooks = {
	.envelope = daemon_route_envelope,
};

int
daemon_run(struct config *cfg)
{
	struct lws_context_creation_info info;
	struct daemon d;
	void *loops[1];
	char err[512];
	size_t i;
	long pid = 0;
	int rc = 1;

	memset(&d, 0, sizeof(d));
	d.cfg = cfg;
	d.poke_fd = -1;
	d.lock_fd = -1;
	signal(SIGPIPE, SIG_IGN);

	/* Before anything that touches the database or its poke socket. */
	switch (lock_take(cfg->db, &d.lock_fd, &pid, err, sizeof(err))) {
	case 0:
		break;
	case 1:
		fprintf(stderr, "kairan-node: another kairan-node daemon is "
		    "running on %s (pid %ld)\n", cfg->db, pid);
		log_warnx("not started: another daemon is running db=%s "
		    "pid=%ld", cfg->db, pid);
		return 1;
	default:
		log_warnx("lock: %s", err);
		return 1;
	}
	if ((d.store = store_open(cfg->db, err, sizeof(err))) == NULL) {
		log_warnx("store: %s", err);
		goto done;
	}
	/* The loop must not stop for seconds behind a command line's write. */
	store_set_busy_timeout(d.store, STORE_DAEMON_BUSY_MS);
	if ((d.signer = signer_new(cfg->cert, cfg->key, err, sizeof(err))) ==
	    NULL) {
		log_warnx("cert/key: %s", err);
		goto done;
	}
	if (strcmp(signer_entity(d.signer), cfg->id) != 0) {
		log_warnx("cert: certificate is for %s, not for id %s",
		    signer_entity(d.signer), cfg->id);
		goto done;
	}
	if ((d.trust = trust_new(cfg->ca, cfg->crl, err, sizeof(err))) ==
	    NULL) {
		log_warnx("trust: %s", err);
		goto done;
	}
	if ((d.dir = directory_load(cfg->directory, err, sizeof(err))) ==
	    NULL) {
		log_warnx("directory: %s", err);
		goto done;
	}

	if ((d.loop = ev_default_loop(EVFLAG_AUTO)) == NULL) {
		log_warnx("libev: cannot create the loop");
		goto done;
	}
	lws_set_log_level(LLL_ERR | LLL_WARN | (log_getverbose() > 0 ?
	    LLL_NOTICE : 0), lwslog_line);
	memset(&info, 0, sizeof(info));
	loops[0] = d.loop;
	info.foreign_loops = loops;
	info.options = LWS_SERVER_OPTION_LIBEV |
	    LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = daemon_protocols;
	info.user = &d;
	info.pcontext = &d.context;
	info.client_ssl_cert_filepath = cfg->cert;
	info.client_ssl_private_key_filepath = cfg->key;
	info.client_ssl_ca_filepath = cfg->ca;
	info.timeout_secs = 20;
	info.connect_timeout_secs = 10;
	info.fd_limit_per_thread = 64 + 4 * (unsigned)cfg->nroutes;
	if ((d.context = lws_create_context(&info)) == NULL) {
		log_warnx("libwebsockets: cannot create the client context "
		    "(is libwebsockets-evlib-ev installed?)");
		goto done;
	}

	if ((d.routes = calloc(cfg->nroutes, sizeof(*d.routes))) == NULL) {
		log_warnx("out of memory");
		goto done;
	}
	d.nroutes = cfg->nroutes;
	for (i = 0; i < d.nroutes; i++)
		route_init(&d.routes[i], cfg, &cfg->routes[i], d.context,
		    d.store, &daemon_route_hooks, &d);
	if (daemon_poke_listen(&d) == -1)
		goto done;
	ev_signal_init(&d.sig_term, daemon_signal_cb, SIGTERM);
	ev_signal_init(&d.sig_int, daemon_signal_cb, SIGINT);
	ev_signal_init(&d.sig_hup, daemon_signal_cb, SIGHUP);
	d.sig_term.data = d.sig_int.data = d.sig_hup.data = &d;
	ev_signal_start(d.loop, &d.sig_term);
	ev_signal_start(d.loop, &d.sig_int);
	ev_signal_start(d.loop, &d.sig_hup);

	log_info("started id=%s routes=%zu db=%s version=%s", cfg->id,
	    cfg->nroutes, cfg->db, KAIRAN_VERSION);
	for (i = 0; i < d.nroutes; i++)
		route_start(&d.routes[i]);
	lws_sul_schedule(d.context, 0, &d.sul_sweep, daemon_sweep_cb,
	    DAEMON_SWEEP_US);
	/*
	 * The internal addressees' mails (mailout.h), pending ones first.
	 * Without a mailer the reports still go out: their mails wait.
	 */
	if (cfg->smtp.url != NULL &&
	    (d.mailout = mailout_new(d.loop, cfg, d.store, &d.dir)) == NULL)
		log_warnx("mailout: not started; internal mails stay pending");

	ev_run(d.loop, 0);
	rc = d.stopping ? 0 : 1;
	if (!d.stopping)
		log_warnx("event loop ended unexpectedly");
done:
	d.stopping = 1;
	mailout_free(d.mailout);
	d.mailout = NULL;
	/* no reconnect may be scheduled on a context being destroyed */
	for (i = 0; i < d.nroutes; i++)
		route_stop(&d.routes[i]);
	if (d.context != NULL)
		lws_context_destroy(d.context);
	if (d.loop != NULL) {
		/* Let lws finish closing its handles on our loop. */
		ev_run(d.loop, EVRUN_NOWAIT);
		if (d.poke_fd != -1)
			ev_io_stop(d.loop, &d.poke_io);
		ev_signal_stop(d.loop, &d.sig_term);
		ev_signal_stop(d.loop, &d.sig_int);
		ev_signal_stop(d.loop, &d.sig_hup);
	}
	for (i = 0; i < d.nroutes; i++)
		route_cleanup(&d.routes[i]);
	free(d.routes);
	if (d.poke_fd != -1) {
		close(d.poke_fd);
		(void)unlink(d.poke_path);
	}
	free(d.poke_path);
	directory_free(d.dir);
	trust_free(d.trust);
	signer_free(d.signer);
	store_close(d.store);
	/* Last: the lock covers the poke socket's unlink above. */
	if (d.lock_fd != -1)
		close(d.lock_fd);
	if (rc == 0)
		log_info("stopped");
	return rc;
}
