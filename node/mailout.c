/*
 * mailout: the internal addressees' mails, sent by the daemon on its loop
 * (see mailout.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "kairan/envelope.h"
#include "kairan/labels.h"
#include "kairan/log.h"
#include "kairan/mail.h"
#include "kairan/mailconf.h"
#include "kairan/message.h"
#include "kairan/mime.h"

#include "deadline.h"
#include "mailout.h"
#include "store_imail.h"

/* One mail in flight: its row, and what its outcome needs. */
struct mo_flight {
	struct mailout		*mo;
	int64_t			 seq;
	char			 hex[KAIRAN_ID_HEXLEN + 1];
	char			*role, *address;
	int			 attempts;	/* before this one */
	/* set once the server answered, kept while the store refuses it */
	int			 ended;
	int			 state;
	long			 code;
	char			*reply;
	int64_t			 due_ms, at_ms;
	struct mo_flight	*next;
};

struct mailout {
	struct ev_loop		*loop;
	const struct config	*cfg;
	struct store		*store;
	struct directory *const	*dir;
	struct mail		*mail;
	ev_timer		 timer;
	struct mo_flight	*flights;
};

static void	mo_run(struct mailout *);

static const char *
entity_name(const struct directory *dir, const char *id)
{
	const struct dir_entity *e = dir != NULL ? directory_get(dir, id) :
	    NULL;

	return e != NULL ? e->name : id;
}

/* An advisory's text: its kind, title, summary and actions. */
static void
advisory_text(struct mime_buf *b, const Advisory *a)
{
	size_t i;

	mime_printf(b, "種別: %s\r\n", message_advisory_kind_label(a->kind));
	mime_printf(b, "件名: %s\r\n", a->title != NULL ? a->title : "");
	if (a->source != NULL && *a->source != '\0')
		mime_printf(b, "情報源: %s\r\n", a->source);
	mime_str(b, "概要:\r\n");
	if (a->summary != NULL)
		mime_crlf(b, a->summary, strlen(a->summary));
	mime_str(b, "\r\n");
	for (i = 0; i < a->n_actions; i++)
		mime_printf(b, "対策 %zu: %s\r\n", i + 1, a->actions[i]);
	for (i = 0; i < a->n_references; i++)
		mime_printf(b, "参照: %s\r\n", a->references[i]);
}

char *
mailout_text(const struct mailout_mail *a)
{
	const Message *m = a->m;
	const IncidentReport *r = m->report;
	const char *sender = entity_name(a->dir, m->sender), *title;
	int exercise = m->status == KAIRAN__V1__STATUS__EXERCISE;
	int report = m->body_case == KAIRAN__V1__MESSAGE__BODY_REPORT &&
	    r != NULL;
	struct mime_buf body = MIME_BUF_INIT;
	char subject[1024], hex[KAIRAN_ID_HEXLEN + 1], nth[64];
	size_t i;

	if (!report && (m->body_case != KAIRAN__V1__MESSAGE__BODY_ADVISORY ||
	    m->advisory == NULL))
		return NULL;
	message_hex(m->id.data, m->id.len, hex);
	title = report ? r->title : m->advisory->title;
	if (title == NULL || *title == '\0')
		title = "（件名なし）";
	/* the title is ours, checked and short (256 bytes) */
	if (report) {
		mime_report_nth(r, nth, sizeof(nth));
		snprintf(subject, sizeof(subject), "%s【kairan 庁内】%s %s「%s」"
		    "（レベル%u）", exercise ? "【訓練】" : "", sender, nth,
		    title, r->level);
	} else
		snprintf(subject, sizeof(subject), "%s【kairan 庁内】%s %s「%s」",
		    exercise ? "【訓練】" : "", sender,
		    message_advisory_kind_label(m->advisory->kind), title);

	if (exercise)
		mime_printf(&body, "%s\r\n\r\n",
		    label_status_banner(KAIRAN__V1__STATUS__EXERCISE));
	mime_printf(&body, "%s 様\r\n\r\n", a->role);
	mime_printf(&body,
	    "%s（kairan ノード %s）が、次の%sを送信しました。\r\n"
	    "庁内の連絡ルート（CISOまでの連絡ルート）の宛先として、写しを\r\n"
	    "お送りします。\r\n\r\n", sender, a->node, report ? "報告" :
	    "通知");
	mime_printf(&body,
	    "添付の %s.kairan は、署名された%sそのものです。\r\n"
	    "kairan-node verify %s.kairan で、署名と、内容が一字も\r\n"
	    "変わっていないことを確かめられます。\r\n\r\n", hex,
	    report ? "報告" : "通知", hex);
	mime_str(&body, "送信先:");
	for (i = 0; i < m->n_recipients; i++) {
		mime_str(&body, i == 0 ? " " : "、");
		mime_str(&body, entity_name(a->dir, m->recipients[i]));
	}
	mime_str(&body, "\r\n\r\n");
	mime_str(&body, "――――――――――――――――――――――――――――――――\r\n\r\n");
	if (report) {
		if (mime_form(&body, m, a->dir, a->ctx) == -1)
			body.ok = 0;
	} else
		advisory_text(&body, m->advisory);
	mime_printf(&body, "\r\n報告ID: %s\r\n", hex);

	return mime_report_text(&(struct mime_report){ .m = m, .env = a->env,
	    .envlen = a->envlen, .host = a->node, .tag = "internal",
	    .from = a->from, .to = a->to, .subject = subject,
	    .now_ms = a->now_ms }, &body);
}

/* ---- sending, on the loop ---- */

static void
flight_free(struct mo_flight *f)
{
	free(f->role);
	free(f->address);
	free(f->reply);
	free(f);
}

static void
flight_unlink(struct mailout *mo, struct mo_flight *f)
{
	struct mo_flight **pp;

	for (pp = &mo->flights; *pp != NULL; pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			return;
		}
}

static unsigned
inflight(const struct mailout *mo)
{
	const struct mo_flight *f;
	unsigned n = 0;

	for (f = mo->flights; f != NULL; f = f->next)
		n++;
	return n;
}

/* 1 if row seq's mail is in flight (or ended and not yet recorded). */
static int
in_flight(const struct mailout *mo, int64_t seq)
{
	const struct mo_flight *f;

	for (f = mo->flights; f != NULL; f = f->next)
		if (f->seq == seq)
			return 1;
	return 0;
}

static void
arm(struct mailout *mo, double after)
{
	if (after < 0)
		after = 0;
	if (after > MAILOUT_MAX_SLEEP)
		after = MAILOUT_MAX_SLEEP;
	ev_timer_stop(mo->loop, &mo->timer);
	ev_timer_set(&mo->timer, after, 0.);
	ev_timer_start(mo->loop, &mo->timer);
}

/*
 * f's outcome into the store. 0: written (f is unlinked and freed), -1:
 * the store refused (logged; f stays, ended, for the next run).
 */
static int
record(struct mailout *mo, struct mo_flight *f)
{
	char err[512];

	if (store_imail_result(mo->store, f->seq, f->state, f->attempts + 1,
	    f->code, f->reply, f->due_ms, f->at_ms, err, sizeof(err)) == -1) {
		log_warnx("mailout record id=%s to=%s deferred error=%s",
		    f->hex, log_str(f->address), log_str(err));
		return -1;
	}
	flight_unlink(mo, f);
	flight_free(f);
	return 0;
}

/*
 * Row f (not started) can never be sent: failed at once, with why in the
 * log. f goes into the flights as ended, so that a store refusing the
 * result now records it at the next run (mo_run) instead of losing it.
 */
static void
fail_row(struct mailout *mo, struct mo_flight *f, int64_t now,
    const char *why)
{
	log_warnx("mailout failed id=%s to=%s error=%s", f->hex,
	    log_str(f->address), log_str(why));
	f->state = STORE_IMAIL_FAILED;
	f->code = 0;
	f->ended = 1;
	f->at_ms = f->due_ms = now;
	f->next = mo->flights;
	mo->flights = f;
	(void)record(mo, f);
}

/*
 * mail.c's callback, on the loop: taken (ok, a 2xx to the message) sent,
 * a 5xx failed, anything else (4xx, no reply, a 2xx to RCPT and then
 * nothing) again after retry (doubling), failed after the last attempt.
 */
static void
mo_done(void *arg, int ok, long code, const char *reply)
{
	struct mo_flight *f = arg;
	struct mailout *mo = f->mo;
	const struct config *cfg = mo->cfg;
	int64_t now = message_now_ms();
	uint64_t wait;
	const char *what;
	int k;

	f->ended = 1;
	f->code = code;
	f->at_ms = now;
	f->due_ms = now;
	free(f->reply);
	f->reply = reply != NULL ? strdup(reply) : NULL;
	if (ok) {
		f->state = STORE_IMAIL_SENT;
		what = "sent";
	} else if (code >= 500 && code < 600) {
		f->state = STORE_IMAIL_FAILED;
		what = "failed";
	} else if ((unsigned)f->attempts + 1 >= cfg->internal_attempts) {
		f->state = STORE_IMAIL_FAILED;
		what = "failed";
	} else {
		f->state = STORE_IMAIL_PENDING;
		what = "retry";
		wait = cfg->internal_retry_ms;
		for (k = 0; k < f->attempts && wait < MAILOUT_MAX_RETRY_MS; k++)
			wait *= 2;
		if (wait > MAILOUT_MAX_RETRY_MS)
			wait = MAILOUT_MAX_RETRY_MS;
		f->due_ms = now + (int64_t)wait;
	}
	log_info("mailout %s id=%s role=%s to=%s attempt=%d code=%ld "
	    "state=\"pending -> %s\" reply=%s", what, f->hex, log_str(f->role),
	    log_str(f->address), f->attempts + 1, code,
	    f->state == STORE_IMAIL_SENT ? "sent" :
	    f->state == STORE_IMAIL_FAILED ? "failed" : "pending",
	    log_str(reply != NULL ? reply : ""));
	(void)record(mo, f);
	mo_run(mo);
}

/*
 * The proxy-log lines of our report m's 報告様式 at now, into ctx (note and
 * d are its storage), as `show --form` makes them (deadline.c): the
 * incident's verdict as m knows it. A store that fails leaves the verdict
 * out (logged), as show --form does; the mail still goes.
 */
static void
report_context(struct mailout *mo, const Message *m, int64_t now,
    struct deadline_proxy *d, char *note, size_t notelen,
    struct form_context *ctx)
{
	const IncidentReport *r = m->report;
	char err[512], hex[KAIRAN_ID_HEXLEN + 1];

	/* message_decode checked incident_id's length */
	if (deadline_report_proxy(mo->store, STORE_OUT, r->incident_id.data,
	    r->report_no, now, d, err, sizeof(err)) == -1) {
		message_hex(m->id.data, m->id.len, hex);
		log_warnx("mailout form id=%s proxy_verdict=none error=%s", hex,
		    log_str(err));
	}
	deadline_form_context(m, d, note, notelen, ctx);
}

/* Starts row x's mail. 0 started (or skipped, logged), -1 store trouble. */
static int
start(struct mailout *mo, const struct store_imail *x, int64_t now)
{
	const struct config *cfg = mo->cfg;
	struct mailout_mail a;
	struct mail_msg mm;
	struct mo_flight *f = NULL;
	Message *m = NULL;
	Envelope *env = NULL;
	struct form_context ctx;
	struct deadline_proxy d;
	char err[512], note[DEADLINE_NOTE_LEN], *text = NULL;
	int rc = 0;

	/*
	 * A row whose claim ran out while its mail is still in flight (a
	 * busy loop, a short retry, the clock stepping) is not started twice.
	 */
	if (in_flight(mo, x->seq))
		return 0;
	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->role = strdup(x->role)) == NULL ||
	    (f->address = strdup(x->address)) == NULL)
		goto oom;
	f->mo = mo;
	f->seq = x->seq;
	f->attempts = x->attempts;
	message_hex(x->id, KAIRAN_ID_LEN, f->hex);
	if ((env = kairan__v1__envelope__unpack(NULL, x->envlen,
	    x->env)) == NULL || (m = message_decode(env->message.data,
	    env->message.len, err, sizeof(err))) == NULL) {
		/* our own bytes: cannot happen, but must not loop */
		fail_row(mo, f, now, "the stored message does not decode");
		f = NULL;
		goto done;
	}
	memset(&a, 0, sizeof(a));
	if (m->body_case == KAIRAN__V1__MESSAGE__BODY_REPORT) {
		report_context(mo, m, now, &d, note, sizeof(note), &ctx);
		a.ctx = &ctx;
	}
	a.m = m;
	a.env = x->env;
	a.envlen = x->envlen;
	a.node = cfg->id;
	a.role = x->role;
	a.from = cfg->smtp.from;
	a.to = x->address;
	a.dir = *mo->dir;
	a.now_ms = now;
	if ((text = mailout_text(&a)) == NULL) {
		/*
		 * Not a report nor an advisory, or its form does not build:
		 * this row can never be sent, and must not hold up the rows
		 * due after it.
		 */
		fail_row(mo, f, now, "the mail's text cannot be made");
		f = NULL;
		goto done;
	}
	/*
	 * Claimed before it starts: past this attempt's timeout and one
	 * retry, so that neither this run nor a daemon restarted after a
	 * kill -9 starts it twice.
	 */
	if (store_imail_claim(mo->store, x->seq, now +
	    (int64_t)cfg->smtp.timeout_ms + (int64_t)cfg->internal_retry_ms,
	    err, sizeof(err)) == -1) {
		log_warnx("mailout deferred id=%s to=%s error=%s", f->hex,
		    log_str(f->address), log_str(err));
		rc = -1;
		goto done;
	}
	mailconf_msg(&cfg->smtp, &mm, x->address, text);
	if (mail_send(mo->mail, &mm, mo_done, f) == -1) {
		/* the claim expires and the row comes back */
		log_warnx("mailout deferred id=%s to=%s error=%s", f->hex,
		    log_str(f->address), log_str("no slot"));
		goto done;
	}
	log_debug("mailout start id=%s role=%s to=%s attempt=%d", f->hex,
	    log_str(f->role), log_str(f->address), f->attempts + 1);
	f->next = mo->flights;
	mo->flights = f;
	f = NULL;
	goto done;
oom:
	log_warnx("mailout deferred id=%s error=%s", f != NULL ? f->hex : "?",
	    log_str("out of memory"));
	rc = -1;
done:
	free(text);
	message_free(m);
	if (env != NULL)
		kairan__v1__envelope__free_unpacked(env, NULL);
	if (f != NULL)
		flight_free(f);
	return rc;
}

/*
 * Records what the store refused before, starts what is due while slots
 * are free, and arms the timer at the next due row.
 */
static void
mo_run(struct mailout *mo)
{
	struct store_imail *rows = NULL;
	struct mo_flight *f, *next;
	size_t n = 0, i;
	int64_t now = message_now_ms(), due;
	char err[512];
	int r;

	for (f = mo->flights; f != NULL; f = next) {
		next = f->next;
		if (f->ended && record(mo, f) == -1) {
			arm(mo, MAILOUT_STORE_RETRY);
			return;
		}
	}
	if (inflight(mo) < MAIL_MAX_INFLIGHT) {
		if (store_imail_due(mo->store, now, MAIL_MAX_INFLIGHT -
		    inflight(mo), &rows, &n, err, sizeof(err)) == -1) {
			log_warnx("mailout store error=%s", log_str(err));
			arm(mo, MAILOUT_STORE_RETRY);
			return;
		}
		for (i = 0; i < n; i++)
			if (start(mo, &rows[i], now) == -1) {
				store_imail_free(rows, n);
				arm(mo, MAILOUT_STORE_RETRY);
				return;
			}
		store_imail_free(rows, n);
	}
	if (inflight(mo) >= MAIL_MAX_INFLIGHT) {
		/* a slot frees in mo_done, which runs us again */
		ev_timer_stop(mo->loop, &mo->timer);
		return;
	}
	if ((r = store_imail_next(mo->store, &due, err, sizeof(err))) == -1) {
		log_warnx("mailout store error=%s", log_str(err));
		arm(mo, MAILOUT_STORE_RETRY);
		return;
	}
	arm(mo, r == 1 ? (double)(due - now) / 1000. : MAILOUT_MAX_SLEEP);
}

static void
timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	mo_run(w->data);
}

struct mailout *
mailout_new(struct ev_loop *loop, const struct config *cfg,
    struct store *store, struct directory *const *dir)
{
	struct mailout *mo;

	if (cfg->smtp.url == NULL)
		return NULL;
	if ((mo = calloc(1, sizeof(*mo))) == NULL) {
		log_warnx("mailout: out of memory");
		return NULL;
	}
	mo->loop = loop;
	mo->cfg = cfg;
	mo->store = store;
	mo->dir = dir;
	if ((mo->mail = mail_new(loop, MAIL_MAX_INFLIGHT)) == NULL) {
		free(mo);
		return NULL;
	}
	ev_timer_init(&mo->timer, timer_cb, 0., 0.);
	mo->timer.data = mo;
	ev_timer_start(loop, &mo->timer);
	log_info("mailout started addressees=%zu smtp=%s", cfg->ninternal,
	    log_str(cfg->smtp.url));
	return mo;
}

void
mailout_kick(struct mailout *mo)
{
	if (mo != NULL)
		mo_run(mo);
}

void
mailout_free(struct mailout *mo)
{
	struct mo_flight *f, *next;

	if (mo == NULL)
		return;
	ev_timer_stop(mo->loop, &mo->timer);
	mail_free(mo->mail);		/* no callback after this */
	for (f = mo->flights; f != NULL; f = next) {
		next = f->next;
		if (f->ended)
			(void)record(mo, f);
		else
			flight_free(f);
	}
	free(mo);
}
