/*
 * escalate: the steps of an unacknowledged report, from the store, on a
 * libev timer; the e-mail over SMTP through mail.c, on the same loop
 * (see escalate.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <ev.h>
#include <openssl/evp.h>

#include "kairan/directory.h"
#include "kairan/envelope.h"
#include "kairan/jst.h"
#include "kairan/labels.h"
#include "kairan/log.h"
#include "kairan/mail.h"
#include "kairan/mailconf.h"
#include "kairan/message.h"
#include "kairan/mime.h"
#include "kairan/text.h"

#include "deliver.h"
#include "escalate.h"
#include "events.h"
#include "relay.h"
#include "routing.h"
#include "store.h"

static const char *
or_dash(const char *s)
{
	return s != NULL && *s != '\0' ? s : "－";
}

char *
escalate_mail_text(const struct escalate_mail *a)
{
	const Message *m = a->m;
	const IncidentReport *r = m->report;
	const char *sender = a->sender != NULL ? a->sender->name : m->sender;
	const char *who = a->recipient != NULL ?
	    (a->recipient->contact.name != NULL ? a->recipient->contact.name :
	    a->recipient->name) : "";
	const char *title = r->title != NULL && *r->title != '\0' ? r->title :
	    "（件名なし）";
	int exercise = m->status == KAIRAN__V1__STATUS__EXERCISE;
	struct mime_buf h = MIME_BUF_INIT, body = MIME_BUF_INIT;
	char subject[1024], date[64], hex[KAIRAN_ID_HEXLEN + 1];
	char sent[JST_BUFLEN], due[JST_BUFLEN], nth[64];

	message_hex(m->id.data, m->id.len, hex);
	mime_report_nth(r, nth, sizeof(nth));
	snprintf(subject, sizeof(subject), "%s【受理確認のお願い】%s %s「%s」"
	    "（レベル%u）", exercise ? "【訓練】" : "", sender, nth, title,
	    r->level);

	if (exercise)
		mime_printf(&body, "%s\r\n\r\n",
		    label_status_banner(KAIRAN__V1__STATUS__EXERCISE));
	if (*who != '\0')
		mime_printf(&body, "%s 御中\r\n\r\n", who);
	mime_printf(&body,
	    "kairan（インシデント連絡網）の中継局 %s からのお知らせです。\r\n"
	    "次の報告の受理確認が、期限までに届いていません。\r\n"
	    "kairan-node で報告を確認し、受理確認を送ってください。\r\n\r\n",
	    a->relay);
	mime_printf(&body, "区分: %s\r\n", exercise ? "訓練" : "実際");
	mime_printf(&body, "差出人: %s（%s）\r\n", sender, m->sender);
	mime_printf(&body, "件名: %s\r\n", title);
	mime_printf(&body, "報告: %s\r\n", nth);
	mime_printf(&body, "被害レベル: %u（%s）\r\n", r->level,
	    label_level(r->level));
	mime_printf(&body, "分類: %s\r\n", label_category(r->category));
	mime_printf(&body, "送信日時: %s\r\n", jst_form(m->created_at_ms, sent));
	mime_printf(&body, "受理確認の期限: %s\r\n", jst_form(a->deadline_ms,
	    due));
	mime_printf(&body, "概要:\r\n");
	{
		/* the summary's lines, CRLF-ended */
		const char *s = or_dash(r->summary), *nl;

		while ((nl = strchr(s, '\n')) != NULL) {
			mime_printf(&body, "  %.*s\r\n", (int)(nl - s), s);
			s = nl + 1;
		}
		mime_printf(&body, "  %s\r\n", s);
	}
	if (r->contact != NULL)
		mime_printf(&body, "差出人の連絡先: %s %s\r\n",
		    or_dash(r->contact->name), or_dash(r->contact->phone));
	mime_printf(&body, "\r\n報告ID: %s\r\n中継局: %s\r\n", hex, a->relay);
	mime_printf(&body, "このお知らせは %d 通目です（最大 %d 通）。"
	    "受理確認が届けば、以後は送られません。\r\n", a->k, a->n);
	if (exercise)
		mime_printf(&body, "\r\n【訓練】これは訓練です。実際のインシデント"
		    "ではありません。\r\n");

	mime_date(a->now_ms, date, sizeof(date));
	mime_printf(&h, "Date: %s\r\n", date);
	mime_printf(&h, "From: kairan %s <%s>\r\n", a->relay, a->from);
	mime_printf(&h, "To: <%s>\r\n", a->to);
	mime_printf(&h, "Message-ID: <%s.%s.%d@%s.kairan.invalid>\r\n", hex,
	    a->recipient != NULL ? a->recipient->id : "x", a->k, a->relay);
	mime_add(&h, "Subject: ", 9);
	mime_header_utf8(&h, subject);
	mime_printf(&h, "\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "X-Kairan-Report: %s\r\n"
	    "X-Kairan-Status: %s\r\n\r\n", hex,
	    message_status_name(m->status));
	if (body.ok)
		mime_base64(&h, body.p, body.len);
	free(body.p);
	if (!body.ok || !h.ok) {
		free(h.p);
		return NULL;
	}
	return h.p;
}

/*
 * A mail in flight: its row stays pending in the store (a restart sends
 * it again) and is not started twice; it ends in mail_done.
 */
struct esc_flight {
	struct server		*s;
	struct esc_flight	*next, **prevp;
	struct store_esc_step	 st;		/* st.env is not kept */
	char			 to[256];	/* address_valid: <= 254 */
	int			 n;		/* mails of this step */
};

static int
in_flight(const struct server *s, int64_t row)
{
	const struct esc_flight *f;

	for (f = s->esc_flights; f != NULL; f = f->next)
		if (f->st.row == row)
			return 1;
	return 0;
}

static void
flight_unlink(struct esc_flight *f)
{
	if ((*f->prevp = f->next) != NULL)
		f->next->prevp = f->prevp;
}

/* The next pass: at once, or after the store failed us. */
static void
esc_again(struct server *s, double after)
{
	if (s->stopping || s->loop == NULL)
		return;
	ev_timer_stop(s->loop, &s->esc_timer);
	ev_timer_set(&s->esc_timer, after, 0.);
	ev_timer_start(s->loop, &s->esc_timer);
}

/* Ends a step: 0, or -1 logged if the store would not. */
static int
end_step(struct server *s, const struct store_esc_step *st,
    enum esc_state state, int attempted, int code, const char *reply,
    int64_t now)
{
	char err[512];

	if (store_escalation_end(s->store, st->row, state, attempted, code,
	    reply, now, err, sizeof(err)) == -1) {
		log_warnx("escalation step not recorded row=%lld error=%s",
		    (long long)st->row, log_str(err));
		return -1;
	}
	return 0;
}

/*
 * What the server said to the mail of f: sent, retried (4xx, none) or
 * failed (5xx). Returns 0, or -1 if the outcome could not be recorded
 * (the step is still due: the caller waits before the next pass, not to
 * send it again at once).
 */
static int
mail_outcome(struct server *s, const struct esc_flight *f, int ok, long code,
    const char *why, int64_t now)
{
	const struct config *cfg = s->cfg;
	const struct store_esc_step *st = &f->st;
	const char *to = f->to;
	char hex[KAIRAN_ID_HEXLEN + 1], err[512];
	int64_t wait;
	int i;

	idhex(st->id, KAIRAN_ID_LEN, hex);
	if (ok) {
		log_info("mail sent id=%s recipient=%s to=%s step=%d/%d code=%ld "
		    "attempt=%d", hex, st->recipient, log_str(to), st->step,
		    f->n, code, st->attempts + 1);
		return end_step(s, st, ESC_DONE, 1, (int)code, why, now);
	}
	if (code >= 500 || st->attempts + 1 >= ESCALATE_ATTEMPTS) {
		log_warnx("mail failed id=%s recipient=%s to=%s step=%d code=%ld "
		    "attempt=%d error=%s", hex, st->recipient, log_str(to),
		    st->step, code, st->attempts + 1, log_str(why));
		return end_step(s, st, ESC_FAILED, 1, (int)code, why, now);
	}
	/* 4xx, or no answer: later, waiting twice as long each time */
	wait = (int64_t)cfg->esc_retry_ms;
	for (i = 0; i < st->attempts && wait < 3600000; i++)
		wait *= 2;
	log_warnx("mail deferred id=%s recipient=%s to=%s step=%d code=%ld "
	    "attempt=%d retry_ms=%lld error=%s", hex, st->recipient,
	    log_str(to), st->step, code, st->attempts + 1, (long long)wait,
	    log_str(why));
	if (store_escalation_retry(s->store, st->row, (int)code, why,
	    now + wait, err, sizeof(err)) == -1) {
		log_warnx("escalation step not recorded row=%lld error=%s",
		    (long long)st->row, log_str(err));
		return -1;
	}
	return 0;
}

/* mail.c: the transfer of a mail ended, on the loop. */
static void
mail_done(void *arg, int ok, long code, const char *reply)
{
	struct esc_flight *f = arg;
	struct server *s = f->s;
	int r;

	flight_unlink(f);
	r = mail_outcome(s, f, ok, code, reply, message_now_ms());
	free(f);
	events_notify(s, "escalation");	/* the console shows the mail's code */
	/* a slot is free: the next pass may start the next mail */
	esc_again(s, r == -1 ? ESCALATE_STORE_RETRY : 0.);
}

/*
 * The k-th mail of a step: started (it ends in mail_done), or failed at
 * once if it has nowhere to go. Returns 0, or -1 if it could not start
 * or its outcome could not be recorded (the step is still due: the
 * caller waits before the next pass).
 */
static int
mail_step(struct server *s, const struct store_esc_step *st,
    const Message *m, int64_t now)
{
	const struct config *cfg = s->cfg;
	const struct dir_entity *e = directory_get(s->dir, st->recipient);
	const char *to = e != NULL ? e->contact.email : NULL;
	struct escalate_mail a;
	struct esc_flight *f;
	struct mail_msg msg;
	char hex[KAIRAN_ID_HEXLEN + 1], why[256];
	char *text;

	idhex(st->id, KAIRAN_ID_LEN, hex);
	if (cfg->smtp.url == NULL) {
		log_warnx("mail failed id=%s recipient=%s step=%d error=%s", hex,
		    st->recipient, st->step, log_str("no [smtp] url configured"));
		return end_step(s, st, ESC_FAILED, 0, 0,
		    "no [smtp] url configured", now);
	}
	if (to == NULL || !mailconf_address_valid(to)) {
		snprintf(why, sizeof(why), to == NULL ? "no e-mail address in "
		    "the directory" : "the directory's e-mail address is not "
		    "an address");
		log_warnx("mail failed id=%s recipient=%s step=%d to=%s error=%s",
		    hex, st->recipient, st->step, log_str(to != NULL ? to : ""),
		    log_str(why));
		return end_step(s, st, ESC_FAILED, 0, 0, why, now);
	}
	memset(&a, 0, sizeof(a));
	a.relay = cfg->id;
	a.from = cfg->smtp.from;
	a.to = to;
	a.m = m;
	a.sender = directory_get(s->dir, m->sender);
	a.recipient = e;
	a.deadline_ms = st->deadline_ms;
	a.now_ms = now;
	a.k = st->step;
	a.n = (int)cfg->esc_mails > st->step ? (int)cfg->esc_mails : st->step;
	text = escalate_mail_text(&a);
	f = calloc(1, sizeof(*f));
	mailconf_msg(&cfg->smtp, &msg, to, text);
	if (f != NULL) {
		f->s = s;
		f->st = *st;
		f->st.env = NULL;
		f->st.envlen = 0;
		snprintf(f->to, sizeof(f->to), "%s", to);
		f->n = a.n;
	}
	if (text == NULL || f == NULL ||
	    mail_send(s->mail, &msg, mail_done, f) == -1) {
		log_warnx("mail deferred id=%s recipient=%s error=%s", hex,
		    st->recipient, log_str(text == NULL || f == NULL ?
		    "out of memory" : "the mail could not be started"));
		free(text);
		free(f);
		return -1;	/* the step stays due: tried again later */
	}
	free(text);	/* mail.c has its copy */
	if ((f->next = s->esc_flights) != NULL)
		f->next->prevp = &f->next;
	f->prevp = &s->esc_flights;
	s->esc_flights = f;
	log_debug("mail started id=%s recipient=%s to=%s step=%d/%d "
	    "attempt=%d in_flight=%u", hex, st->recipient, log_str(to),
	    st->step, a.n, st->attempts + 1, mail_inflight(s->mail));
	return 0;
}

/*
 * Step 0: the recipient is overdue. The sender is told so in an OVERDUE
 * receipt signed by this relay (PROTOCOL.md §7.4), sealed and routed in
 * the same transaction that ends the step: after a crash both happened or
 * neither, and the step runs again. 0, or -1 if the store took nothing.
 */
static int
overdue_step(struct server *s, const struct store_esc_step *st,
    const Message *m, const Envelope *env, const char *since, int64_t now)
{
	uint8_t digest[KAIRAN_DIGEST_LEN];
	char note[160], err[512];
	unsigned int dlen = 0;
	struct peer *p;

	snprintf(note, sizeof(note), "受理確認の期限 %s を過ぎています", since);
	if (EVP_Digest(env->message.data, env->message.len, digest, &dlen,
	    EVP_sha256(), NULL) != 1 || dlen != KAIRAN_DIGEST_LEN)
		fatalx("%s: sha256", __func__);
	if (store_begin(s->store, err, sizeof(err)) == -1 ||
	    routing_overdue(s, m, digest, st->recipient, note, now, err,
	    sizeof(err)) == -1 ||
	    store_escalation_end(s->store, st->row, ESC_DONE, 0, 0, "overdue",
	    now, err, sizeof(err)) == -1 ||
	    store_commit(s->store, err, sizeof(err)) == -1) {
		store_rollback(s->store);
		log_warnx("escalation step not recorded row=%lld error=%s",
		    (long long)st->row, log_str(err));
		return -1;
	}
	/* the notice is a delivery like any other: wake who may take it */
	for (p = s->peers; p != NULL; p = p->next)
		if (p->state == PEER_READY)
			deliver_wake(p);
	return 0;
}

/* Runs one due step: 0, or -1 if its outcome is not recorded. */
static int
run_step(struct server *s, const struct store_esc_step *st, int64_t now)
{
	Envelope *env;
	Message *m = NULL;
	char hex[KAIRAN_ID_HEXLEN + 1], since[JST_BUFLEN], err[256];
	int rc;

	idhex(st->id, KAIRAN_ID_LEN, hex);
	if ((env = kairan__v1__envelope__unpack(NULL, st->envlen,
	    st->env)) == NULL || (m = message_decode(env->message.data,
	    env->message.len, err, sizeof(err))) == NULL ||
	    m->body_case != KAIRAN__V1__MESSAGE__BODY_REPORT) {
		log_warnx("escalation failed id=%s recipient=%s error=%s", hex,
		    st->recipient, log_str("the stored report cannot be read"));
		rc = end_step(s, st, ESC_FAILED, 0, 0,
		    "stored report unreadable", now);
		goto done;
	}
	if (st->step == 0) {
		log_warnx("overdue id=%s recipient=%s level=%u since=%s "
		    "sender=%s%s", hex, st->recipient, st->level,
		    jst_rfc3339(st->deadline_ms, since), m->sender,
		    m->status == KAIRAN__V1__STATUS__EXERCISE ?
		    " status=EXERCISE" : "");
		rc = overdue_step(s, st, m, env, since, now);
	} else
		rc = mail_step(s, st, m, now);
done:
	message_free(m);
	if (env != NULL)
		kairan__v1__envelope__free_unpacked(env, NULL);
	return rc;
}

/*
 * One pass: the first pending step not in flight, due or not (the walk
 * skips the mails in flight, at most MAIL_MAX_INFLIGHT rows). Due, it
 * runs (a mail only if a slot is free: else it stays due in the store
 * and the end of a mail in flight runs the next pass); not yet, the
 * timer is armed at its due time.
 */
static void
escalate_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct server *s = w->data;
	struct store_esc_step st, prev;
	char err[512];
	int64_t now;
	double d = ESCALATE_MAX_SLEEP;
	int r;

	(void)loop;
	(void)revents;
	if (s->stopping)
		return;
	now = message_now_ms();
	r = store_escalation_due_after(s->store, INT64_MAX, NULL, &st, err,
	    sizeof(err));
	while (r == 1 && in_flight(s, st.row)) {
		prev = st;
		r = store_escalation_due_after(s->store, INT64_MAX, &prev, &st,
		    err, sizeof(err));
		free(prev.env);
	}
	if (r == -1) {
		log_warnx("escalation: %s", log_str(err));
		esc_again(s, ESCALATE_STORE_RETRY);
		return;
	}
	if (r == 1 && st.due_ms <= now && (st.step == 0 ||
	    !mail_full(s->mail))) {
		r = run_step(s, &st, now);
		events_notify(s, "escalation");
		free(st.env);
		/*
		 * One step per pass: the loop runs before the next. A step
		 * whose outcome the store did not take is still due: wait
		 * before it, or a mail would go out again and again.
		 */
		esc_again(s, r == -1 ? ESCALATE_STORE_RETRY : 0.);
		return;
	}
	if (r == 1) {
		if (st.due_ms > now)
			d = (double)(st.due_ms - now) / 1000.;
		/* else a mail waits for a slot: mail_done runs the pass */
		free(st.env);
	}
	esc_again(s, d < ESCALATE_MAX_SLEEP ? d : ESCALATE_MAX_SLEEP);
}

void
escalate_rearm(struct server *s)
{
	char err[512];
	int64_t due, now;
	double d = ESCALATE_MAX_SLEEP;
	int r;

	if (s->stopping || s->loop == NULL)
		return;
	if (s->esc_flights != NULL) {
		/* the earliest may be in flight: the pass walks past it */
		esc_again(s, 0.);
		return;
	}
	if ((r = store_escalation_next(s->store, &due, err, sizeof(err))) ==
	    -1)
		log_warnx("escalation: %s", log_str(err));
	else if (r == 1) {
		now = message_now_ms();
		d = due > now ? (double)(due - now) / 1000. : 0.;
		if (d > ESCALATE_MAX_SLEEP)
			d = ESCALATE_MAX_SLEEP;
	}
	esc_again(s, d);
}

int
escalate_start(struct server *s)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_warnx("libcurl: cannot initialise");
		return -1;
	}
	if ((s->mail = mail_new(s->loop, MAIL_MAX_INFLIGHT)) == NULL)
		return -1;
	ev_timer_init(&s->esc_timer, escalate_cb, 0., 0.);
	s->esc_timer.data = s;
	escalate_rearm(s);
	return 0;
}

/*
 * The mails in flight are abandoned: their rows stay pending, and the
 * first pass after the restart sends them again (at least once: a server
 * may have taken one whose 250 we did not wait for). Twice is harmless.
 */
void
escalate_stop(struct server *s)
{
	struct esc_flight *f;
	char hex[KAIRAN_ID_HEXLEN + 1];

	if (s->loop != NULL)
		ev_timer_stop(s->loop, &s->esc_timer);
	mail_free(s->mail);	/* no callback runs */
	s->mail = NULL;
	while ((f = s->esc_flights) != NULL) {
		idhex(f->st.id, KAIRAN_ID_LEN, hex);
		log_info("mail abandoned id=%s recipient=%s to=%s step=%d "
		    "reason=stopping", hex, f->st.recipient, log_str(f->to),
		    f->st.step);
		flight_unlink(f);
		free(f);
	}
}

int
escalate_plan(struct server *s, const Message *m, int64_t seq,
    const char *recipient, int64_t now, char *err, size_t errlen)
{
	const struct config *cfg = s->cfg;
	const IncidentReport *r = m->report;
	int64_t deadline;
	unsigned k, mails;

	if (r == NULL || m->status == KAIRAN__V1__STATUS__TEST ||
	    r->phase == KAIRAN__V1__INCIDENT_REPORT__PHASE__WITHDRAWN ||
	    r->level >= CONFIG_LEVELS || cfg->esc_deadline_ms[r->level] == 0)
		return 0;
	deadline = now + (int64_t)cfg->esc_deadline_ms[r->level];
	mails = cfg->smtp.url != NULL ? cfg->esc_mails : 0;
	for (k = 0; k <= mails; k++)
		if (store_escalation_add(s->store, seq, recipient, (int)k,
		    m->sender, r->incident_id.data, r->incident_id.len,
		    r->level, deadline, deadline + (int64_t)(k > 0 ? k - 1 : 0) *
		    (int64_t)cfg->esc_repeat_ms, err, errlen) == -1)
			return -1;
	return 0;
}

int
escalate_cancel(struct server *s, const Message *m, int64_t now, char *err,
    size_t errlen)
{
	const Receipt *rc = m->receipt;
	const IncidentReport *r = m->report;
	char hex[KAIRAN_ID_HEXLEN + 1];
	int n;

	if (rc != NULL && rc->state ==
	    KAIRAN__V1__RECEIPT__STATE__ACKNOWLEDGED &&
	    rc->ref_id.len == KAIRAN_ID_LEN) {
		if ((n = store_escalation_ack(s->store, rc->ref_id.data,
		    m->sender, now, err, errlen)) == -1)
			return -1;
		if (n > 0) {
			idhex(rc->ref_id.data, rc->ref_id.len, hex);
			log_info("escalation cancelled id=%s recipient=%s "
			    "steps=%d reason=acknowledged", hex, m->sender, n);
		}
	} else if (r != NULL &&
	    r->phase == KAIRAN__V1__INCIDENT_REPORT__PHASE__WITHDRAWN) {
		if ((n = store_escalation_withdraw(s->store, m->sender,
		    r->incident_id.data, r->incident_id.len, now, err,
		    errlen)) == -1)
			return -1;
		if (n > 0)
			log_info("escalation cancelled sender=%s steps=%d "
			    "reason=withdrawn", m->sender, n);
	}
	return 0;
}
