/*
 * mailroute: the report mailed to a recipient without a node, with the
 * signed envelope attached; durable rows in the store, sent through
 * mail.c on the loop, the outcome told to the sender in a receipt of ours
 * (see mailroute.h).
 * The text helpers (base64 lines, RFC 2047 words, the JST Date) are
 * mime.c's, shared with escalate.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>
#include <openssl/evp.h>

#include "kairan/directory.h"
#include "kairan/envelope.h"
#include "kairan/labels.h"
#include "kairan/log.h"
#include "kairan/mail.h"
#include "kairan/mailconf.h"
#include "kairan/message.h"
#include "kairan/mime.h"
#include "kairan/text.h"

#include "apiincident.h"
#include "config.h"
#include "deliver.h"
#include "mailroute.h"
#include "relay.h"
#include "routing.h"
#include "store.h"

/* One mail in flight: its row and what its outcome needs. */
struct mr_flight {
	struct server		*s;
	int64_t			 row;
	Message			*m;		/* the report, decoded */
	uint8_t			 digest[KAIRAN_DIGEST_LEN];
	char			 recipient[KAIRAN_ENTITY_MAX + 1];
	char			 address[320];
	int			 attempts;	/* before this one */
	struct mr_flight	*next;
};

char *
mailroute_text(const struct mailroute_mail *a)
{
	const Message *m = a->m;
	const IncidentReport *r = m->report;
	const struct dir_entity *se;
	const char *sender, *who, *title;
	int exercise = m->status == KAIRAN__V1__STATUS__EXERCISE;
	struct mime_buf body = MIME_BUF_INIT;
	char subject[1024], hex[KAIRAN_ID_HEXLEN + 1], nth[64];

	if (m->body_case != KAIRAN__V1__MESSAGE__BODY_REPORT || r == NULL)
		return NULL;
	se = a->dir != NULL ? directory_get(a->dir, m->sender) : NULL;
	sender = se != NULL ? se->name : m->sender;
	who = a->recipient != NULL ? (a->recipient->contact.name != NULL ?
	    a->recipient->contact.name : a->recipient->name) : "";
	title = r->title != NULL && *r->title != '\0' ? r->title :
	    "（件名なし）";
	message_hex(m->id.data, m->id.len, hex);
	mime_report_nth(r, nth, sizeof(nth));
	/* the title is the sender's: short (256 bytes) and checked */
	snprintf(subject, sizeof(subject), "%s【kairan】%s %s「%s」（レベル%u）",
	    exercise ? "【訓練】" : "", sender, nth, title, r->level);

	if (exercise)
		mime_printf(&body, "%s\r\n\r\n",
		    label_status_banner(KAIRAN__V1__STATUS__EXERCISE));
	if (*who != '\0') {
		mime_str(&body, who);
		mime_str(&body, " 御中\r\n\r\n");
	}
	mime_printf(&body,
	    "kairan（インシデント連絡網）の中継局 %s から、kairan のノードを\r\n"
	    "お持ちでない宛先へ、次の報告をメールでお届けします。\r\n\r\n", a->relay);
	mime_printf(&body,
	    "添付の %s.kairan は、差出人が署名した報告そのものです。\r\n"
	    "kairan-node verify %s.kairan で、差出人の署名と、内容が一字も\r\n"
	    "変わっていないことを確かめられます。\r\n\r\n", hex, hex);
	mime_str(&body,
	    "このメールは受理確認（署名）にはなりません。受け取ったことを、\r\n"
	    "差出人へ電話でお知らせください");
	if (r->contact != NULL && r->contact->phone != NULL &&
	    *r->contact->phone != '\0') {
		mime_str(&body, "（");
		mime_str(&body, r->contact->phone);
		mime_str(&body, "）");
	}
	mime_str(&body, "。\r\n\r\n");
	mime_str(&body, "――――――――――――――――――――――――――――――――\r\n\r\n");
	if (mime_form(&body, m, a->dir, a->ctx) == -1)
		body.ok = 0;
	mime_printf(&body, "\r\n報告ID: %s\r\n中継局: %s\r\n", hex, a->relay);

	return mime_report_text(&(struct mime_report){ .m = m, .env = a->env,
	    .envlen = a->envlen, .host = a->relay, .from = a->from, .to = a->to,
	    .tag = a->recipient != NULL ? a->recipient->id : "x",
	    .subject = subject, .now_ms = a->now_ms }, &body);
}

/* ---- planning, at commit ---- */

int
mailroute_plan(struct server *s, const Message *m, int64_t seq,
    const uint8_t digest[KAIRAN_DIGEST_LEN], const char *recipient,
    int64_t now, char *err, size_t errlen)
{
	const struct dir_entity *e = directory_get(s->dir, recipient);
	const char *to = e != NULL ? e->contact.email : NULL;
	char why[256];

	if (s->cfg->smtp.url == NULL) {
		snprintf(why, sizeof(why), "recipient %s runs no node and %s "
		    "has no [smtp] to mail it", recipient, s->cfg->id);
		return routing_reject(s, m, digest, recipient, why, now, err,
		    errlen);
	}
	if (!mailconf_address_valid(to)) {
		snprintf(why, sizeof(why), "recipient %s runs no node and the "
		    "directory has %s e-mail address for it", recipient,
		    to == NULL ? "no" : "no valid");
		return routing_reject(s, m, digest, recipient, why, now, err,
		    errlen);
	}
	if (store_mailroute_add(s->store, seq, recipient, to, now, err,
	    errlen) == -1)
		return -1;
	s->mr_added = 1;
	return 0;
}

/* ---- sending, on the loop ---- */

static void	mr_arm(struct server *, double after);

static void
flight_free(struct mr_flight *f)
{
	message_free(f->m);
	free(f);
}

/* Wakes every node and link: a receipt of ours may be for one of them. */
static void
wake_all(struct server *s)
{
	struct peer *p;

	for (p = s->peers; p != NULL; p = p->next)
		if (p->state == PEER_READY)
			deliver_wake(p);
}

/*
 * The row ended (SENT or FAILED) and the sender told (MAILED or REJECTED
 * of ours), in one transaction. 0, or -1 logged (the row stays pending).
 */
static int
end_row(struct server *s, struct mr_flight *f, enum mailroute_state st,
    long code, const char *reply, const char *note, int64_t now)
{
	char err[512];

	if (store_begin(s->store, err, sizeof(err)) == -1)
		goto fail;
	if (store_mailroute_end(s->store, f->row, st, 1, (int)code, reply, now,
	    err, sizeof(err)) == -1)
		goto fail;
	if ((st == MAILROUTE_SENT ? routing_mailed(s, f->m, f->digest,
	    f->recipient, note, now, err, sizeof(err)) :
	    routing_reject(s, f->m, f->digest, f->recipient, note, now, err,
	    sizeof(err))) == -1)
		goto fail;
	if (store_commit(s->store, err, sizeof(err)) == -1)
		goto fail;
	wake_all(s);
	return 0;
fail:
	store_rollback(s->store);
	log_warnx("mailroute row not recorded row=%lld error=%s",
	    (long long)f->row, log_str(err));
	return -1;
}

/* mail.c's callback: the outcome of one transfer, on the loop. */
static void
mr_done(void *arg, int ok, long code, const char *reply)
{
	struct mr_flight *f = arg, **pp;
	struct server *s = f->s;
	char hex[KAIRAN_ID_HEXLEN + 1], note[1024], err[512];
	int64_t now = message_now_ms(), wait;
	int i, r = 0;

	for (pp = &s->mr_flights; *pp != NULL; pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	idhex(f->m->id.data, f->m->id.len, hex);
	if (ok) {
		log_info("mailroute sent id=%s recipient=%s to=%s code=%ld "
		    "attempt=%d", hex, f->recipient, log_str(f->address), code,
		    f->attempts + 1);
		snprintf(note, sizeof(note), "%s にメールで送付（SMTP %ld）",
		    f->address, code);
		r = end_row(s, f, MAILROUTE_SENT, code, reply, note, now);
	} else if (code >= 500 || f->attempts + 1 >= MAILROUTE_ATTEMPTS) {
		log_warnx("mailroute failed id=%s recipient=%s to=%s code=%ld "
		    "attempt=%d error=%s", hex, f->recipient,
		    log_str(f->address), code, f->attempts + 1, log_str(reply));
		snprintf(note, sizeof(note), "recipient %s runs no node; the "
		    "mail to %s failed: %ld %.400s", f->recipient, f->address,
		    code, reply);
		r = end_row(s, f, MAILROUTE_FAILED, code, reply, note, now);
	} else {
		/* 4xx, or no answer: later, waiting twice as long each time */
		wait = (int64_t)s->cfg->esc_retry_ms;
		for (i = 0; i < f->attempts && wait < 3600000; i++)
			wait *= 2;
		log_warnx("mailroute deferred id=%s recipient=%s to=%s code=%ld "
		    "attempt=%d retry_ms=%lld error=%s", hex, f->recipient,
		    log_str(f->address), code, f->attempts + 1,
		    (long long)wait, log_str(reply));
		if (store_mailroute_retry(s->store, f->row, (int)code, reply,
		    now + wait, err, sizeof(err)) == -1) {
			log_warnx("mailroute row not recorded row=%lld error=%s",
			    (long long)f->row, log_str(err));
			r = -1;
		}
	}
	flight_free(f);
	mr_arm(s, r == -1 ? MAILROUTE_STORE_RETRY : 0.);
}

static int
in_flight(const struct server *s, int64_t row)
{
	const struct mr_flight *f;

	for (f = s->mr_flights; f != NULL; f = f->next)
		if (f->row == row)
			return 1;
	return 0;
}

/*
 * Starts the mail of one due row. 0 started (or ended at once: unreadable,
 * no [smtp]), -1 if it could not start now (the slots are full, or the
 * store would not record it): the row stays due.
 */
static int
start_row(struct server *s, struct store_mail_row *row, int64_t now)
{
	const struct config *cfg = s->cfg;
	struct mailroute_mail a;
	struct mail_msg mm;
	struct mr_flight *f;
	struct form_context ctx;
	struct deadline_proxy d;
	Envelope *env = NULL;
	char hex[KAIRAN_ID_HEXLEN + 1], e[256], note[DEADLINE_NOTE_LEN];
	char *text = NULL;
	int rc = -1;

	idhex(row->id, KAIRAN_ID_LEN, hex);
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	f->s = s;
	f->row = row->row;
	f->attempts = row->attempts;
	memcpy(f->digest, row->digest, sizeof(f->digest));
	snprintf(f->recipient, sizeof(f->recipient), "%s", row->recipient);
	snprintf(f->address, sizeof(f->address), "%s", row->address);
	if ((env = kairan__v1__envelope__unpack(NULL, row->envlen,
	    row->env)) == NULL || (f->m = message_decode(env->message.data,
	    env->message.len, e, sizeof(e))) == NULL ||
	    f->m->body_case != KAIRAN__V1__MESSAGE__BODY_REPORT) {
		char err[512];

		log_warnx("mailroute failed id=%s recipient=%s error=%s", hex,
		    row->recipient, log_str("the stored report cannot be read"));
		if (store_mailroute_end(s->store, row->row, MAILROUTE_FAILED, 0,
		    0, "stored report unreadable", now, err, sizeof(err)) == -1)
			log_warnx("mailroute row not recorded row=%lld error=%s",
			    (long long)row->row, log_str(err));
		rc = 0;
		goto done;
	}
	if (cfg->smtp.url == NULL) {
		/* [smtp] gone at a reload: no route any more */
		log_warnx("mailroute failed id=%s recipient=%s error=%s", hex,
		    row->recipient, log_str("no [smtp] url configured"));
		rc = end_row(s, f, MAILROUTE_FAILED, 0, "no [smtp] url "
		    "configured", "recipient runs no node and the relay has no "
		    "[smtp] url any more", now) == -1 ? -1 : 0;
		goto done;
	}
	/* the proxy-log lines of the console's form (apiincident.c) */
	apiincident_proxy(s, f->m->id.data, now, &d);
	deadline_form_context(f->m, &d, note, sizeof(note), &ctx);
	memset(&a, 0, sizeof(a));
	a.ctx = &ctx;
	a.relay = cfg->id;
	a.from = cfg->smtp.from;
	a.to = row->address;
	a.m = f->m;
	a.env = row->env;
	a.envlen = row->envlen;
	a.dir = s->dir;
	a.recipient = directory_get(s->dir, row->recipient);
	a.now_ms = now;
	if ((text = mailroute_text(&a)) == NULL) {
		log_warnx("mailroute deferred id=%s recipient=%s error=%s", hex,
		    row->recipient, log_str("out of memory"));
		goto done;
	}
	mailconf_msg(&cfg->smtp, &mm, row->address, text);
	if (mail_send(s->mr_mail, &mm, mr_done, f) == -1)
		goto done;
	log_debug("mailroute start id=%s recipient=%s to=%s attempt=%d", hex,
	    row->recipient, log_str(row->address), row->attempts + 1);
	f->next = s->mr_flights;
	s->mr_flights = f;
	f = NULL;
	rc = 0;
done:
	free(text);
	if (env != NULL)
		kairan__v1__envelope__free_unpacked(env, NULL);
	if (f != NULL)
		flight_free(f);
	return rc;
}

static void
mr_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct server *s = w->data;
	struct store_mail_row row;
	char err[512];
	int64_t now = message_now_ms(), after = 0, due;
	double d = MAILROUTE_MAX_SLEEP;
	int r, stuck = 0;

	(void)loop;
	(void)revents;
	if (s->stopping)
		return;
	/*
	 * Start every due row not in flight while there is a slot; the
	 * rows left due are in flight or wait for a slot, and each ending
	 * transfer arms the timer again.
	 */
	while (!mail_full(s->mr_mail)) {
		if ((r = store_mailroute_due(s->store, now, after,
		    s->durable_seq, s->unsynced_hi, &row, err,
		    sizeof(err))) != 1) {
			if (r == -1) {
				log_warnx("mailroute: %s", log_str(err));
				mr_arm(s, MAILROUTE_STORE_RETRY);
				return;
			}
			break;
		}
		after = row.row;
		if (!in_flight(s, row.row) && start_row(s, &row, now) == -1) {
			/* full now, or it would not start: try again later */
			stuck = !mail_full(s->mr_mail);
			free(row.env);
			break;
		}
		free(row.env);
	}
	/* the next row that is not due yet */
	if ((r = store_mailroute_next(s->store, now, &due, err,
	    sizeof(err))) == -1)
		log_warnx("mailroute: %s", log_str(err));
	else if (r == 1)
		d = (double)(due - now) / 1000.;
	if (stuck && d > MAILROUTE_STORE_RETRY)
		d = MAILROUTE_STORE_RETRY;
	if (d > MAILROUTE_MAX_SLEEP)
		d = MAILROUTE_MAX_SLEEP;
	ev_timer_stop(s->loop, &s->mr_timer);
	ev_timer_set(&s->mr_timer, d, 0.);
	ev_timer_start(s->loop, &s->mr_timer);
}

static void
mr_arm(struct server *s, double after)
{
	if (s->stopping || s->loop == NULL || s->mr_mail == NULL)
		return;
	ev_timer_stop(s->loop, &s->mr_timer);
	ev_timer_set(&s->mr_timer, after, 0.);
	ev_timer_start(s->loop, &s->mr_timer);
}

void
mailroute_rearm(struct server *s)
{
	if (!s->mr_added)
		return;
	s->mr_added = 0;
	mr_arm(s, 0.);
}

int
mailroute_start(struct server *s)
{
	if ((s->mr_mail = mail_new(s->loop, MAIL_MAX_INFLIGHT)) == NULL)
		return -1;
	ev_timer_init(&s->mr_timer, mr_cb, 0., 0.);
	s->mr_timer.data = s;
	mr_arm(s, 0.);
	return 0;
}

void
mailroute_stop(struct server *s)
{
	struct mr_flight *f;
	char hex[KAIRAN_ID_HEXLEN + 1];

	if (s->loop != NULL)
		ev_timer_stop(s->loop, &s->mr_timer);
	/* abandoned: their callbacks never come; the rows stay pending */
	mail_free(s->mr_mail);
	s->mr_mail = NULL;
	while ((f = s->mr_flights) != NULL) {
		s->mr_flights = f->next;
		idhex(f->m->id.data, f->m->id.len, hex);
		log_info("mailroute abandoned id=%s recipient=%s "
		    "reason=stopping", hex, f->recipient);
		flight_free(f);
	}
}
