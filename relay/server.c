/*
 * server: the relay's event loop (see server.h): start and stop, signals,
 * reload, audit checkpoints. The parts it runs:
 *
 *   listener.c  TLS, connections, the lws callbacks
 *   frames.c    RECEIVE -> frame_decode -> envelope_verify (chain, CRLs,
 *               identity rules, signature; receipts against §7) -> the batch
 *   commit.c    the batch in one transaction, when the loop is idle;
 *   walsync.c   its fsync on a thread, then Accepted
 *   routing.c   deliveries for recipients served here, REJECTED otherwise
 *   deliver.c   control frames, then deliveries in order, `window` in flight
 *
 * libwebsockets runs on our libev loop (foreign loop): lws_sul timers
 * scheduled from outside lws callbacks are not seen until lws re-arms its
 * own timer, so our timers and signals are libev watchers.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <ev.h>
#include <libwebsockets.h>

#include "kairan/directory.h"
#include "kairan/conn.h"
#include "kairan/envelope.h"
#include "kairan/frame.h"
#include "kairan/log.h"
#include "kairan/message.h"
#include "kairan/trust.h"

#include "admit.h"
#include "checkpoint.h"
#include "commit.h"
#include "config.h"
#include "deliver.h"
#include "dial.h"
#include "httpd.h"
#include "api.h"
#include "escalate.h"
#include "mailroute.h"
#include "listener.h"
#include "refcache.h"
#include "relay.h"
#include "server.h"
#include "store.h"
#include "walsync.h"

/* Signs the audit chain's length and head into the log, if it grew. */
static void
write_checkpoint(struct server *s)
{
	struct checkpoint c;
	char line[CHECKPOINT_MAX], err[256];

	memset(&c, 0, sizeof(c));
	store_audit_head(s->store, &c.rows, c.head);
	if (c.rows == s->checkpoint_rows)
		return;
	snprintf(c.relay, sizeof(c.relay), "%s", s->cfg->id);
	c.at_ms = message_now_ms();
	if (checkpoint_format(s->signer, &c, line, sizeof(line), err,
	    sizeof(err)) == -1) {
		log_warnx("audit checkpoint not written: %s", err);
		return;
	}
	log_audit("%s", line);
	s->checkpoint_rows = c.rows;
}

static void
checkpoint_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	write_checkpoint(w->data);
}

static void
reload(struct server *s)
{
	struct trust *t;
	struct directory *d;
	struct peer *p;
	struct identity who;
	STACK_OF(X509) *untrusted;
	char err[512];
	enum trust_result r;

	if ((t = trust_new(s->cfg->ca, s->cfg->crl, err, sizeof(err))) ==
	    NULL)
		log_warnx("reload: trust kept: %s", err);
	else {
		if (s->ssl_ctx != NULL)
			SSL_CTX_set1_cert_store(s->ssl_ctx, trust_store(t));
		if (s->client_ssl_ctx != NULL)
			SSL_CTX_set1_cert_store(s->client_ssl_ctx,
			    trust_store(t));
		trust_free(s->trust);
		s->trust = t;
	}
	listener_reload_cert(s);
	if ((d = directory_load(s->cfg->directory, err, sizeof(err))) == NULL)
		log_warnx("reload: directory kept: %s", err);
	else {
		directory_free(s->dir);
		s->dir = d;
	}
	/* Whoever the new CRLs revoke is dropped now, not at reconnect. */
	for (p = s->peers; p != NULL; p = p->next) {
		if (p->state == PEER_CLOSING || p->leaf == NULL)
			continue;
		if ((untrusted = sk_X509_new_null()) == NULL ||
		    !sk_X509_push(untrusted, p->issuer))
			fatal("%s", __func__);
		r = trust_verify(s->trust, p->leaf, untrusted, 0, &who, err,
		    sizeof(err));
		sk_X509_free(untrusted);
		if (r == TRUST_OK)
			continue;
		log_warnx("peer dropped entity=%s addr=%s reason=%s",
		    p->who.entity, p->addr, log_str(err));
		deliver_refuse(p, NULL, 0, r == TRUST_REVOKED ?
		    KAIRAN__V1__REFUSED__REASON__REVOKED :
		    KAIRAN__V1__REFUSED__REASON__BAD_CERTIFICATE, err, 1);
	}
	log_info("reloaded crls=%d entities=%zu peers=%u",
	    trust_ncrls(s->trust), directory_count(s->dir), s->npeers);
}

static void
dial_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	dial_watch(w->data);
}

/* The end of a stop: every connection closed, the loop told to end. */
static void
finish_stop(struct server *s)
{
	ev_timer_stop(s->loop, &s->drain_timer);
	if (s->context != NULL) {
		lws_context_destroy(s->context);
		s->context = NULL;
	}
	ev_break(s->loop, EVBREAK_ALL);
}

/*
 * Waits for the peers to take their last answers and go. A peer reading
 * slowly but steadily on a loaded machine gets them all: the wait ends
 * DRAIN_S after the last answer anyone took, or DRAIN_MAX_S after the
 * stop (below systemd's 90 s), whichever comes first, so that a peer that
 * reads nothing, or a byte at a time, cannot hold the stop.
 */
static void
drain_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct server *s = w->data;
	struct peer *p;
	size_t queued = 0, unread = 0;
	ev_tstamp now = ev_now(loop);

	(void)revents;
	for (p = s->peers; p != NULL; p = p->next) {
		queued += p->ctl.n;
		unread += deliver_unread(p);
	}
	/* a frame left the queue, or the peer read from its socket */
	if (queued < s->drain_queued || unread < s->drain_unread)
		s->drain_until = now + DRAIN_S;
	s->drain_queued = queued;
	s->drain_unread = unread;
	if (s->peers != NULL && now < s->drain_until && now < s->drain_end) {
		for (p = s->peers; p != NULL; p = p->next)
			if (p->ctl.n == 0 && deliver_flushed(p))
				deliver_wake(p);	/* deliver_writeable closes it */
		return;
	}
	for (p = s->peers; p != NULL; p = p->next)
		if (p->ctl.n > 0 || deliver_unread(p) > 0)
			log_warnx("stopping: answers not taken entity=%s addr=%s "
			    "queued=%zu unread=%zu (it will send those again)",
			    p->who.entity, p->addr, p->ctl.n,
			    deliver_unread(p));
	finish_stop(s);
}

/*
 * SIGTERM: what was verified is committed, and answered: the relay stops
 * reading, commits its batch, then lets every peer take the Accepted
 * frames queued for it before the connections close (drain_cb: as long as
 * answers are taken, DRAIN_MAX_S at most).
 * What a peer does not take it sends again (and is answered Accepted
 * again: everything is idempotent by id).
 */
static void
stop(struct server *s)
{
	struct peer *p;

	if (s->stopping)
		return;
	s->stopping = 1;
	commit_flush(s);
	write_checkpoint(s);
	ev_timer_stop(s->loop, &s->checkpoint_timer);
	ev_timer_stop(s->loop, &s->commit_timer);
	ev_timer_stop(s->loop, &s->retry_timer);
	ev_timer_stop(s->loop, &s->resend_timer);
	ev_timer_stop(s->loop, &s->dial_timer);
	escalate_stop(s);
	api_stop(s);
	mailroute_stop(s);
	dial_stop_all(s);
	ev_check_stop(s->loop, &s->pause_check);
	ev_signal_stop(s->loop, &s->sig_term);
	ev_signal_stop(s->loop, &s->sig_int);
	ev_signal_stop(s->loop, &s->sig_hup);
	/*
	 * Each closes once its last answer has left (deliver_writeable,
	 * close_peer). Meanwhile it is read again, and what it sends is
	 * ignored (RECEIVE, closing), so that no unread input turns the close
	 * into a reset that could destroy answers on their way.
	 */
	for (p = s->peers; p != NULL; p = p->next) {
		if (p->state == PEER_OPEN || p->state == PEER_READY)
			peer_transition(p, PEER_CLOSING);
		if (p->rx_paused) {
			p->rx_paused = 0;
			lws_rx_flow_control(p->wsi, 1);
		}
		deliver_wake(p);
	}
	s->drain_until = ev_now(s->loop) + DRAIN_S;
	s->drain_end = ev_now(s->loop) + DRAIN_MAX_S;
	s->drain_queued = s->drain_unread = SIZE_MAX;
	ev_timer_start(s->loop, &s->drain_timer);
}

static void
signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct server *s = w->data;

	(void)loop;
	(void)revents;
	switch (w->signum) {
	case SIGHUP:
		log_info("signal=HUP reloading");
		reload(s);
		break;
	case SIGTERM:
	case SIGINT:
		log_info("stopping signal=%s", w->signum == SIGTERM ? "TERM" :
		    "INT");
		stop(s);
		break;
	default:
		fatalx("%s: signal %d", __func__, w->signum);
	}
}

/*
 * Loads what the relay runs on. With check (`-n`) the database is only
 * looked at, never created or migrated.
 */
static int
load(struct server *s, const struct config *cfg, int check, char *err,
    size_t errlen)
{
	char e[512];

	if ((s->signer = signer_new(cfg->cert, cfg->key, e, sizeof(e))) ==
	    NULL) {
		snprintf(err, errlen, "cert/key: %s", e);
		return -1;
	}
	if (strcmp(signer_entity(s->signer), cfg->id) != 0) {
		snprintf(err, errlen, "cert: %s is a certificate for %s, not "
		    "for id %s", cfg->cert, signer_entity(s->signer), cfg->id);
		return -1;
	}
	if ((s->trust = trust_new(cfg->ca, cfg->crl, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "trust: %s", e);
		return -1;
	}
	if ((s->dir = directory_load(cfg->directory, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "directory: %s", e);
		return -1;
	}
	if (httpd_check(cfg, err, errlen) == -1 ||
	    api_check(cfg, err, errlen) == -1)
		return -1;
	if (check) {
		if (store_check(cfg->db, e, sizeof(e)) == -1) {
			snprintf(err, errlen, "db: %s", e);
			return -1;
		}
	} else if ((s->store = store_open(cfg->db, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "db: %s", e);
		return -1;
	} else if ((s->refs = refcache_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static void
unload(struct server *s)
{
	refcache_free(s->refs);
	deliver_frames_free(s);
	store_close(s->store);
	directory_free(s->dir);
	trust_free(s->trust);
	signer_free(s->signer);
}

int
server_check(const struct config *cfg, char *err, size_t errlen)
{
	struct server s;
	int rc;

	memset(&s, 0, sizeof(s));
	rc = load(&s, cfg, 1, err, errlen);
	unload(&s);
	return rc;
}

static void
log_prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	log_flush();
}

int
server_run(const struct config *cfg)
{
	struct server s;
	char err[512];
	long long pending;
	int rc = 1;

	memset(&s, 0, sizeof(s));
	s.cfg = cfg;
	s.batch_tail = &s.batch;
	signal(SIGPIPE, SIG_IGN);
	if (load(&s, cfg, 0, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		goto done;
	}
	if ((s.loop = ev_default_loop(EVFLAG_AUTO)) == NULL) {
		log_warnx("libev: cannot create the loop");
		goto done;
	}
	ev_timer_init(&s.drain_timer, drain_cb, 0., DRAIN_POLL_S);
	s.drain_timer.data = &s;
	ev_check_init(&s.pause_check, deliver_pause_cb);
	s.pause_check.data = &s;
	ev_prepare_init(&s.commit_prepare, commit_prepare_cb);
	s.commit_prepare.data = &s;
	ev_timer_init(&s.commit_timer, commit_timer_cb, RETRY_DELAY, 0.);
	s.commit_timer.data = &s;
	/* the WAL's fsync and checkpoints on their thread, off the loop */
	if (store_checkpoint_elsewhere(s.store, err, sizeof(err)) == -1 ||
	    (s.walsync = walsync_new(s.loop, cfg->db, commit_synced_cb, &s,
	    err, sizeof(err))) == NULL) {
		log_warnx("db: %s", err);
		goto done;
	}
	ev_timer_init(&s.retry_timer, deliver_retry_cb, RETRY_DELAY, 0.);
	s.retry_timer.data = &s;
	ev_timer_init(&s.resend_timer, deliver_resend_cb, cfg->resend_after_s / 3.,
	    cfg->resend_after_s / 3.);
	s.resend_timer.data = &s;
	ev_timer_start(s.loop, &s.resend_timer);
	/* a checkpoint certifies new rows only, never the state found at start */
	{
		uint8_t head[AUDIT_HASH_LEN];

		store_audit_head(s.store, &s.checkpoint_rows, head);
	}
	ev_timer_init(&s.checkpoint_timer, checkpoint_cb,
	    cfg->audit_checkpoint_s, cfg->audit_checkpoint_s);
	s.checkpoint_timer.data = &s;
	ev_timer_start(s.loop, &s.checkpoint_timer);

	/* no node is connected yet: direct copies of before are not needed */
	{
		int n;

		if ((n = store_direct_all(s.store, message_now_ms(), err,
		    sizeof(err))) == -1) {
			log_warnx("db: %s", err);
			goto done;
		}
		if (n > 0)
			log_info("direct deliveries dropped count=%d", n);
	}
	if (escalate_start(&s) == -1 || api_start(&s) == -1 ||
	    mailroute_start(&s) == -1)
		goto done;
	if (listener_start(&s) == -1 || httpd_start(&s) == -1)
		goto done;
	dial_start_all(&s);
	ev_timer_init(&s.dial_timer, dial_timer_cb, 1., 1.);
	s.dial_timer.data = &s;
	ev_timer_start(s.loop, &s.dial_timer);
	ev_signal_init(&s.sig_term, signal_cb, SIGTERM);
	ev_signal_init(&s.sig_int, signal_cb, SIGINT);
	ev_signal_init(&s.sig_hup, signal_cb, SIGHUP);
	s.sig_term.data = s.sig_int.data = s.sig_hup.data = &s;
	ev_signal_start(s.loop, &s.sig_term);
	ev_signal_start(s.loop, &s.sig_int);
	ev_signal_start(s.loop, &s.sig_hup);

	pending = store_pending_count(s.store);
	log_notice("started id=%s serve=%zu%s peers=%zu hub=%s crls=%d entities=%zu pending=%lld "
	    "version=%s", cfg->id, cfg->nserve, cfg->serve_national ?
	    "+national" : "", cfg->npeers, cfg->hub >= 0 ?
	    cfg->peers[cfg->hub].name : "-", trust_ncrls(s.trust),
	    directory_count(s.dir), pending, KAIRAN_VERSION);
	/* the real port: "listen = 127.0.0.1:0" lets the kernel choose */
	log_notice("listening addr=%s:%d", cfg->host, listener_port(&s));
	if (s.console_vhost != NULL)
		log_notice("console listening addr=%s:%d metrics=%s",
		    cfg->console_host, httpd_console_port(&s),
		    cfg->metrics == METRICS_CONSOLE ? "yes" : "no");
	if (s.metrics_vhost != NULL)
		log_notice("metrics listening addr=%s:%d", cfg->metrics_host,
		    httpd_metrics_port(&s));
	/*
	 * Info and debug lines of the loop are written once per iteration,
	 * by the last prepare watcher before it waits (EV_MINPRI: after the
	 * commit's, whose lines are then written too): one write(2) instead
	 * of one per line, 2-3 lines an envelope (log.h).
	 */
	ev_prepare_init(&s.log_prepare, log_prepare_cb);
	ev_set_priority(&s.log_prepare, EV_MINPRI);
	ev_prepare_start(s.loop, &s.log_prepare);
	log_buffer_start();
	ev_run(s.loop, 0);
	rc = s.stopping ? 0 : 1;
	if (!s.stopping)
		log_warnx("event loop ended unexpectedly");
done:
	s.stopping = 1;
	if (s.loop != NULL)
		ev_timer_stop(s.loop, &s.drain_timer);
	if (s.context != NULL)
		lws_context_destroy(s.context);
	if (s.loop != NULL)
		ev_run(s.loop, EVRUN_NOWAIT);
	log_buffer_stop();
	/* again (each is a no-op twice): a start that failed half-way */
	escalate_stop(&s);
	mailroute_stop(&s);
	admit_free(s.admit);
	listener_free(&s);
	session_free_issuers(&s);
	httpd_free(&s);
	dial_free_all(&s);
	walsync_free(s.walsync);
	commit_clear(&s);
	peer_index_free(&s.pindex);
	api_free(&s);
	unload(&s);
	curl_global_cleanup();
	if (rc == 0)
		log_notice("stopped");
	return rc;
}
