/*
 * escalate: the steps of an unacknowledged report, from the store, on a
 * libev timer; the e-mail over SMTP with libcurl (see escalate.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <ev.h>
#include <openssl/evp.h>

#include "kairan/directory.h"
#include "kairan/envelope.h"
#include "kairan/jst.h"
#include "kairan/labels.h"
#include "kairan/log.h"
#include "kairan/message.h"
#include "kairan/text.h"

#include "deliver.h"
#include "escalate.h"
#include "events.h"
#include "relay.h"
#include "routing.h"
#include "store.h"

/* A growing string; on out of memory, ok = 0 and the text is dropped. */
struct buf {
	char	*p;
	size_t	 len, cap;
	int	 ok;
};

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	char *q;
	size_t cap;

	if (!b->ok)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 1024;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((q = realloc(b->p, cap)) == NULL) {
			b->ok = 0;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
buf_printf(struct buf *b, const char *fmt, ...)
{
	char tmp[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(tmp)) {
		buf_add(b, tmp, (size_t)n);
		return;
	}
	{
		char *big = malloc((size_t)n + 1);

		if (big == NULL) {
			b->ok = 0;
			return;
		}
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
		buf_add(b, big, (size_t)n);
		free(big);
	}
}

/* Base64 of s[0..n) appended. */
static void
buf_base64(struct buf *b, const char *s, size_t n)
{
	unsigned char out[4 * 64 / 3 + 8];
	size_t off, k;
	int m;

	/* 57 bytes of input are one line of 76 characters */
	for (off = 0; off < n; off += k) {
		k = n - off < 57 ? n - off : 57;
		m = EVP_EncodeBlock(out, (const unsigned char *)s + off, (int)k);
		buf_add(b, (const char *)out, (size_t)m);
		buf_add(b, "\r\n", 2);
	}
}

/*
 * An RFC 2047 header value: encoded words of UTF-8 in base64, each at
 * most 39 bytes of text (64 characters as a word), cut between two
 * characters, folded onto lines of their own.
 */
static void
buf_header_utf8(struct buf *b, const char *s)
{
	unsigned char out[64];
	size_t n = strlen(s), off = 0, k, c;
	unsigned cp;
	int m, first = 1;

	while (off < n) {
		for (k = 0; off + k < n; k += c) {
			c = text_utf8_next((const unsigned char *)s + off + k,
			    n - off - k, &cp);
			if (c == 0)
				c = 1;	/* validated before; never cut a byte */
			if (k + c > 39)
				break;
		}
		m = EVP_EncodeBlock(out, (const unsigned char *)s + off, (int)k);
		buf_printf(b, "%s=?UTF-8?B?%.*s?=", first ? "" : "\r\n ", m,
		    (const char *)out);
		first = 0;
		off += k;
	}
}

/* "Wed, 02 Dec 2026 09:53:09 +0900": RFC 5322, in JST, locale-free. */
static void
mail_date(int64_t ms, char *out, size_t len)
{
	static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char *const mo[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = (time_t)(ms / 1000) + 9 * 3600;
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, len, "%s, %02d %s %04d %02d:%02d:%02d +0900",
	    wd[tm.tm_wday], tm.tm_mday, mo[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
}

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
	struct buf h = { NULL, 0, 0, 1 }, body = { NULL, 0, 0, 1 };
	char subject[1024], date[64], hex[KAIRAN_ID_HEXLEN + 1];
	char sent[JST_BUFLEN], due[JST_BUFLEN], nth[64];

	message_hex(m->id.data, m->id.len, hex);
	if (r->phase == KAIRAN__V1__INCIDENT_REPORT__PHASE__INITIAL ||
	    r->phase == KAIRAN__V1__INCIDENT_REPORT__PHASE__UPDATE)
		snprintf(nth, sizeof(nth), "第%u報", r->report_no);
	else
		snprintf(nth, sizeof(nth), "第%u報（%s）", r->report_no,
		    label_phase(r->phase));
	snprintf(subject, sizeof(subject), "%s【受理確認のお願い】%s %s「%s」"
	    "（レベル%u）", exercise ? "【訓練】" : "", sender, nth, title,
	    r->level);

	if (exercise)
		buf_printf(&body, "%s\r\n\r\n",
		    label_status_banner(KAIRAN__V1__STATUS__EXERCISE));
	if (*who != '\0')
		buf_printf(&body, "%s 御中\r\n\r\n", who);
	buf_printf(&body,
	    "kairan（インシデント連絡網）の中継局 %s からのお知らせです。\r\n"
	    "次の報告の受理確認が、期限までに届いていません。\r\n"
	    "kairan-node で報告を確認し、受理確認を送ってください。\r\n\r\n",
	    a->relay);
	buf_printf(&body, "区分: %s\r\n", exercise ? "訓練" : "実際");
	buf_printf(&body, "差出人: %s（%s）\r\n", sender, m->sender);
	buf_printf(&body, "件名: %s\r\n", title);
	buf_printf(&body, "報告: %s\r\n", nth);
	buf_printf(&body, "被害レベル: %u（%s）\r\n", r->level,
	    label_level(r->level));
	buf_printf(&body, "分類: %s\r\n", label_category(r->category));
	buf_printf(&body, "送信日時: %s\r\n", jst_form(m->created_at_ms, sent));
	buf_printf(&body, "受理確認の期限: %s\r\n", jst_form(a->deadline_ms,
	    due));
	buf_printf(&body, "概要:\r\n");
	{
		/* the summary's lines, CRLF-ended */
		const char *s = or_dash(r->summary), *nl;

		while ((nl = strchr(s, '\n')) != NULL) {
			buf_printf(&body, "  %.*s\r\n", (int)(nl - s), s);
			s = nl + 1;
		}
		buf_printf(&body, "  %s\r\n", s);
	}
	if (r->contact != NULL)
		buf_printf(&body, "差出人の連絡先: %s %s\r\n",
		    or_dash(r->contact->name), or_dash(r->contact->phone));
	buf_printf(&body, "\r\n報告ID: %s\r\n中継局: %s\r\n", hex, a->relay);
	buf_printf(&body, "このお知らせは %d 通目です（最大 %d 通）。"
	    "受理確認が届けば、以後は送られません。\r\n", a->k, a->n);
	if (exercise)
		buf_printf(&body, "\r\n【訓練】これは訓練です。実際のインシデント"
		    "ではありません。\r\n");

	mail_date(a->now_ms, date, sizeof(date));
	buf_printf(&h, "Date: %s\r\n", date);
	buf_printf(&h, "From: kairan %s <%s>\r\n", a->relay, a->from);
	buf_printf(&h, "To: <%s>\r\n", a->to);
	buf_printf(&h, "Message-ID: <%s.%s.%d@%s.kairan.invalid>\r\n", hex,
	    a->recipient != NULL ? a->recipient->id : "x", a->k, a->relay);
	buf_add(&h, "Subject: ", 9);
	buf_header_utf8(&h, subject);
	buf_printf(&h, "\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "X-Kairan-Report: %s\r\n"
	    "X-Kairan-Status: %s\r\n\r\n", hex,
	    message_status_name(m->status));
	if (body.ok)
		buf_base64(&h, body.p, body.len);
	free(body.p);
	if (!body.ok || !h.ok) {
		free(h.p);
		return NULL;
	}
	return h.p;
}

/* An address we put in RCPT TO and To: printable ASCII, one @, no <>. */
static int
address_valid(const char *v)
{
	const char *at;
	size_t i;

	if (v == NULL || (at = strchr(v, '@')) == NULL || at == v ||
	    at[1] == '\0' || strchr(at + 1, '@') != NULL || strlen(v) > 254)
		return 0;
	for (i = 0; v[i] != '\0'; i++)
		if ((unsigned char)v[i] <= ' ' || (unsigned char)v[i] >= 0x7f ||
		    strchr("<>()[],;:\\\"", v[i]) != NULL)
			return 0;
	return 1;
}

struct upload {
	const char	*p;
	size_t		 left;
};

static size_t
upload_cb(char *out, size_t size, size_t n, void *arg)
{
	struct upload *u = arg;
	size_t k = size * n < u->left ? size * n : u->left;

	memcpy(out, u->p, k);
	u->p += k;
	u->left -= k;
	return k;
}

/*
 * One SMTP transaction: text from cfg's from to `to`. Returns the last
 * SMTP reply code (0 if none came: no connection, a timeout) and fills
 * why with curl's words; *ok = 1 if the server took the mail.
 */
static long
smtp_send(const struct config *cfg, const char *to, const char *text,
    int *ok, char *why, size_t whylen)
{
	char errbuf[CURL_ERROR_SIZE], from[300], rcpt[300];
	struct curl_slist *rcpts = NULL;
	struct upload u = { text, strlen(text) };
	CURL *c;
	CURLcode rc;
	long code = 0;

	*ok = 0;
	errbuf[0] = '\0';
	snprintf(from, sizeof(from), "<%s>", cfg->smtp_from);
	snprintf(rcpt, sizeof(rcpt), "<%s>", to);
	if ((c = curl_easy_init()) == NULL ||
	    (rcpts = curl_slist_append(NULL, rcpt)) == NULL) {
		snprintf(why, whylen, "out of memory");
		curl_easy_cleanup(c);
		return 0;
	}
	curl_easy_setopt(c, CURLOPT_URL, cfg->smtp_url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)cfg->smtp_timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)cfg->smtp_timeout_ms);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, upload_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &u);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)u.left);
	curl_easy_setopt(c, CURLOPT_USE_SSL,
	    cfg->smtp_tls == CONFIG_TLS_REQUIRED ? (long)CURLUSESSL_ALL :
	    cfg->smtp_tls == CONFIG_TLS_TRY ? (long)CURLUSESSL_TRY :
	    (long)CURLUSESSL_NONE);
	if (cfg->smtp_user != NULL) {
		curl_easy_setopt(c, CURLOPT_USERNAME, cfg->smtp_user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, cfg->smtp_password);
	}
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (rc == CURLE_OK) {
		*ok = 1;
		snprintf(why, whylen, "accepted");
	} else
		snprintf(why, whylen, "%s", errbuf[0] != '\0' ? errbuf :
		    curl_easy_strerror(rc));
	curl_slist_free_all(rcpts);
	curl_easy_cleanup(c);
	return code;
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
 * The k-th mail of a step: sent, retried (4xx, none) or failed (5xx).
 * Returns 0, or -1 if the outcome could not be recorded (the step is
 * still due: the caller waits before the next pass, not to send it again
 * at once).
 */
static int
mail_step(struct server *s, const struct store_esc_step *st,
    const Message *m, int64_t now)
{
	const struct config *cfg = s->cfg;
	const struct dir_entity *e = directory_get(s->dir, st->recipient);
	const char *to = e != NULL ? e->contact.email : NULL;
	struct escalate_mail a;
	char hex[KAIRAN_ID_HEXLEN + 1], why[CURL_ERROR_SIZE + 64], err[512];
	char *text;
	int64_t wait;
	long code;
	int ok, i;

	idhex(st->id, KAIRAN_ID_LEN, hex);
	if (cfg->smtp_url == NULL) {
		log_warnx("mail failed id=%s recipient=%s step=%d error=%s", hex,
		    st->recipient, st->step, log_str("no [smtp] url configured"));
		return end_step(s, st, ESC_FAILED, 0, 0,
		    "no [smtp] url configured", now);
	}
	if (to == NULL || !address_valid(to)) {
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
	a.from = cfg->smtp_from;
	a.to = to;
	a.m = m;
	a.sender = directory_get(s->dir, m->sender);
	a.recipient = e;
	a.deadline_ms = st->deadline_ms;
	a.now_ms = now;
	a.k = st->step;
	a.n = (int)cfg->esc_mails > st->step ? (int)cfg->esc_mails : st->step;
	if ((text = escalate_mail_text(&a)) == NULL) {
		log_warnx("mail deferred id=%s recipient=%s error=%s", hex,
		    st->recipient, log_str("out of memory"));
		return -1;	/* the step stays due: tried again later */
	}
	code = smtp_send(cfg, to, text, &ok, why, sizeof(why));
	free(text);
	if (ok) {
		log_info("mail sent id=%s recipient=%s to=%s step=%d/%d code=%ld "
		    "attempt=%d", hex, st->recipient, log_str(to), st->step,
		    a.n, code, st->attempts + 1);
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

static void
escalate_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct server *s = w->data;
	struct store_esc_step st;
	char err[512];
	int r;

	(void)loop;
	(void)revents;
	if (s->stopping)
		return;
	r = store_escalation_due(s->store, message_now_ms(), &st, err,
	    sizeof(err));
	if (r == -1)
		log_warnx("escalation: %s", log_str(err));
	if (r == 1) {
		r = run_step(s, &st, message_now_ms());
		events_notify(s, "escalation");
		free(st.env);
		/*
		 * One step per pass: the loop runs before the next. A step
		 * whose outcome the store did not take is still due: wait
		 * before it, or a mail would go out again and again.
		 */
		ev_timer_stop(s->loop, &s->esc_timer);
		ev_timer_set(&s->esc_timer, r == -1 ? ESCALATE_STORE_RETRY : 0.,
		    0.);
		ev_timer_start(s->loop, &s->esc_timer);
		return;
	}
	if (r == -1) {
		ev_timer_stop(s->loop, &s->esc_timer);
		ev_timer_set(&s->esc_timer, ESCALATE_STORE_RETRY, 0.);
		ev_timer_start(s->loop, &s->esc_timer);
		return;
	}
	escalate_rearm(s);
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
	if ((r = store_escalation_next(s->store, &due, err, sizeof(err))) ==
	    -1)
		log_warnx("escalation: %s", log_str(err));
	else if (r == 1) {
		now = message_now_ms();
		d = due > now ? (double)(due - now) / 1000. : 0.;
		if (d > ESCALATE_MAX_SLEEP)
			d = ESCALATE_MAX_SLEEP;
	}
	ev_timer_stop(s->loop, &s->esc_timer);
	ev_timer_set(&s->esc_timer, d, 0.);
	ev_timer_start(s->loop, &s->esc_timer);
}

int
escalate_start(struct server *s)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_warnx("libcurl: cannot initialise");
		return -1;
	}
	ev_timer_init(&s->esc_timer, escalate_cb, 0., 0.);
	s->esc_timer.data = s;
	escalate_rearm(s);
	return 0;
}

void
escalate_stop(struct server *s)
{
	if (s->loop != NULL)
		ev_timer_stop(s->loop, &s->esc_timer);
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
	mails = cfg->smtp_url != NULL ? cfg->esc_mails : 0;
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
