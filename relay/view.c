/*
 * view: the console's read-only queries on the store (see view.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "kairan/envelope.h"
#include "kairan/log.h"
#include "kairan/message.h"

#include "view.h"

enum vstmt {
	V_REPORTS, V_RECEIPTS, V_DELIVERIES, V_ESCALATION, V_CONFIRMS,
	V_OVERDUE, V_SEEN, V_ENVELOPE,
	V_NSTMT
};

static const char *const vsql[V_NSTMT] = {
	[V_REPORTS] = "SELECT seq, envelope, accepted_at FROM message WHERE "
	    "seq > ?1 AND body IN ('report', 'advisory') ORDER BY seq",
	[V_RECEIPTS] = "SELECT r.signer, r.state, r.by, r.note, r.subject, "
	    "r.at, m.envelope FROM receipt r JOIN message m ON m.seq = "
	    "r.message_seq WHERE r.ref_id = ?1 ORDER BY r.message_seq",
	[V_DELIVERIES] = "SELECT recipient, state, detail, done_at FROM "
	    "delivery WHERE message_seq = ?1",
	[V_ESCALATION] = "SELECT recipient, step, state, attempts, code, "
	    "reply, deadline, done_at FROM escalation WHERE message_seq = ?1 "
	    "ORDER BY recipient, step",
	[V_CONFIRMS] = "SELECT recipient, operator, name, note, at FROM "
	    "confirmation WHERE message_seq = ?1 ORDER BY rowid",
	/*
	 * Ours (escalation step 0 ran), and those another relay told us of
	 * in an OVERDUE receipt (the recipients it is the home of); not
	 * ours twice: our own OVERDUE receipt is in the table too.
	 */
	[V_OVERDUE] = "SELECT e.message_seq, e.recipient, e.deadline FROM "
	    "escalation e JOIN message m ON m.seq = e.message_seq WHERE "
	    "e.step = 0 AND e.state = 1 AND NOT EXISTS (SELECT 1 FROM receipt "
	    "a WHERE a.ref_id = m.id AND a.signer = e.recipient AND a.state = "
	    "2) UNION ALL SELECT m.seq, r.subject, min(r.at) FROM receipt r "
	    "JOIN message m ON m.id = r.ref_id WHERE r.state = 5 AND NOT "
	    "EXISTS (SELECT 1 FROM receipt a WHERE a.ref_id = r.ref_id AND "
	    "a.signer = r.subject AND a.state = 2) AND NOT EXISTS (SELECT 1 "
	    "FROM escalation e WHERE e.message_seq = m.seq AND e.recipient = "
	    "r.subject AND e.step = 0) GROUP BY m.seq, r.subject ORDER BY 3 "
	    "LIMIT ?1",
	[V_SEEN] = "SELECT entity, connected_at, disconnected_at FROM "
	    "node_seen",
	[V_ENVELOPE] = "SELECT envelope FROM message WHERE seq = ?1",
};

struct view {
	sqlite3			*db;
	sqlite3_stmt		*st[V_NSTMT];
	int64_t			 last_seq;	/* indexed up to */
	struct view_report	**reports;	/* by seq */
	size_t			 nreports, capreports;
	struct view_report	**advisories;	/* by seq */
	size_t			 nadvisories, capadvisories;
	struct view_incident	**incidents;	/* by last_at, newest first */
	size_t			 nincidents, capincidents;
	struct view_incident	**hash;		/* open addressing */
	size_t			 hashsize;
};

static int
vfail(struct view *v, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(v->db));
	return -1;
}

struct view *
view_open(const char *path, char *err, size_t errlen)
{
	struct view *v;
	int i;

	if ((v = calloc(1, sizeof(*v))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (sqlite3_open_v2(path, &v->db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, v->db != NULL ?
		    sqlite3_errmsg(v->db) : "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(v->db, 1000);
	for (i = 0; i < V_NSTMT; i++)
		if (sqlite3_prepare_v3(v->db, vsql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &v->st[i], NULL) != SQLITE_OK) {
			vfail(v, path, err, errlen);
			goto fail;
		}
	return v;
fail:
	view_close(v);
	return NULL;
}

static void
report_free(struct view_report *r)
{
	size_t i;

	for (i = 0; i < r->nrecipients; i++)
		free(r->recipients[i]);
	free(r->recipients);
	free(r->title);
	free(r->source);
	free(r);
}

static void
incident_free(struct view_incident *in)
{
	size_t i;

	for (i = 0; i < in->nrecipients; i++)
		free(in->recipients[i]);
	free(in->recipients);
	free(in->reports);
	free(in);
}

void
view_close(struct view *v)
{
	size_t i;
	int k;

	if (v == NULL)
		return;
	for (k = 0; k < V_NSTMT; k++)
		sqlite3_finalize(v->st[k]);
	sqlite3_close(v->db);
	for (i = 0; i < v->nreports; i++)
		report_free(v->reports[i]);
	for (i = 0; i < v->nadvisories; i++)
		report_free(v->advisories[i]);
	for (i = 0; i < v->nincidents; i++)
		incident_free(v->incidents[i]);
	free(v->advisories);
	free(v->reports);
	free(v->incidents);
	free(v->hash);
	free(v);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The slot of (sender, id) in the hash: its incident or an empty one. */
static struct view_incident **
slot(struct view *v, const char *sender, const uint8_t *id)
{
	uint64_t h;
	size_t i;
	struct view_incident **e;

	memcpy(&h, id, sizeof(h));	/* random bytes: a hash already */
	for (i = (size_t)h & (v->hashsize - 1);; i = (i + 1) &
	    (v->hashsize - 1)) {
		e = &v->hash[i];
		if (*e == NULL || (memcmp((*e)->id, id, KAIRAN_ID_LEN) == 0 &&
		    strcmp((*e)->sender, sender) == 0))
			return e;
	}
}

static int
hash_grow(struct view *v)
{
	struct view_incident **old = v->hash;
	size_t i, n = v->hashsize;

	v->hashsize = n == 0 ? 256 : n * 2;
	if ((v->hash = calloc(v->hashsize, sizeof(*v->hash))) == NULL) {
		v->hash = old;
		v->hashsize = n;
		return -1;
	}
	for (i = 0; i < n; i++)
		if (old[i] != NULL)
			*slot(v, old[i]->sender, old[i]->id) = old[i];
	free(old);
	return 0;
}

static int
grow(void *pp, size_t *cap, size_t n, size_t size)
{
	void **p = pp, *q;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap == 0 ? 64 : *cap * 2;
	if ((q = realloc(*p, c * size)) == NULL)
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

/* Adds r's recipients to the incident's (sorted, unique). */
static int
merge_recipients(struct view_incident *in, const struct view_report *r)
{
	char **all;
	size_t i, j, k, n = in->nrecipients + r->nrecipients;

	if ((all = malloc((n > 0 ? n : 1) * sizeof(*all))) == NULL)
		return -1;
	for (i = j = k = 0; i < in->nrecipients || j < r->nrecipients;) {
		int c = i == in->nrecipients ? 1 : j == r->nrecipients ? -1 :
		    strcmp(in->recipients[i], r->recipients[j]);

		if (c <= 0)
			all[k++] = in->recipients[i++];
		if (c >= 0) {
			if (c > 0 && (all[k++] = strdup(r->recipients[j])) ==
			    NULL) {
				/* the array holds what it holds: still sorted */
				in->recipients = all;
				in->nrecipients = k - 1;
				return -1;
			}
			j++;
		}
	}
	free(in->recipients);
	in->recipients = all;
	in->nrecipients = k;
	return 0;
}

static int
cmp_report(const struct view_report *a, const struct view_report *b)
{
	if (a->report_no != b->report_no)
		return a->report_no < b->report_no ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Files report r (owned from here) under its incident. 0, or -1 (memory). */
static int
index_report(struct view *v, struct view_report *r, const char *sender,
    const uint8_t *incident)
{
	struct view_incident **e, *in;
	size_t i;

	if (grow(&v->reports, &v->capreports, v->nreports,
	    sizeof(*v->reports)) == -1)
		goto fail;
	if ((v->nincidents + 1) * 2 > v->hashsize && hash_grow(v) == -1)
		goto fail;
	e = slot(v, sender, incident);
	if ((in = *e) == NULL) {
		if (grow(&v->incidents, &v->capincidents, v->nincidents,
		    sizeof(*v->incidents)) == -1 ||
		    (in = calloc(1, sizeof(*in))) == NULL)
			goto fail;
		snprintf(in->sender, sizeof(in->sender), "%s", sender);
		memcpy(in->id, incident, KAIRAN_ID_LEN);
		in->first_at = r->accepted_at;
		*e = in;
		v->incidents[v->nincidents++] = in;
	}
	{
		struct view_report **q = realloc(in->reports,
		    (in->nreports + 1) * sizeof(*q));

		if (q == NULL)
			goto fail;
		in->reports = q;
	}
	if (merge_recipients(in, r) == -1)
		goto fail;
	/* in report order: a later report usually comes later */
	for (i = in->nreports; i > 0 && cmp_report(in->reports[i - 1], r) > 0;
	    i--)
		in->reports[i] = in->reports[i - 1];
	in->reports[i] = r;
	in->nreports++;
	in->last_at = r->accepted_at;
	r->incident = in;
	v->reports[v->nreports++] = r;
	return 0;
fail:
	report_free(r);
	return -1;
}

/*
 * The report or advisory of stored envelope bytes (r->advisory tells), or
 * NULL (unreadable: *bad set; else out of memory). A report's sender and
 * incident id go to sender and incident, an advisory's sender to its own.
 */
static struct view_report *
decode_report(const uint8_t *env, size_t envlen, char *sender,
    uint8_t incident[KAIRAN_ID_LEN], int *bad)
{
	Envelope *e;
	Message *m = NULL;
	struct view_report *r = NULL;
	const char *title;
	char err[256];
	size_t i;
	int adv;

	*bad = 0;
	if ((e = kairan__v1__envelope__unpack(NULL, envlen, env)) == NULL ||
	    (m = message_decode(e->message.data, e->message.len, err,
	    sizeof(err))) == NULL ||
	    !((m->body_case == KAIRAN__V1__MESSAGE__BODY_REPORT &&
	    m->report->incident_id.len == KAIRAN_ID_LEN) ||
	    m->body_case == KAIRAN__V1__MESSAGE__BODY_ADVISORY)) {
		*bad = 1;
		goto done;
	}
	adv = m->body_case == KAIRAN__V1__MESSAGE__BODY_ADVISORY;
	title = adv ? m->advisory->title : m->report->title;
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->title = strdup(title != NULL ? title : "")) == NULL ||
	    (r->recipients = calloc(m->n_recipients > 0 ? m->n_recipients : 1,
	    sizeof(*r->recipients))) == NULL)
		goto nomem;
	for (i = 0; i < m->n_recipients; i++) {
		if ((r->recipients[i] = strdup(m->recipients[i])) == NULL)
			goto nomem;
		r->nrecipients++;
	}
	qsort(r->recipients, r->nrecipients, sizeof(*r->recipients), cmp_str);
	memcpy(r->id, m->id.data, KAIRAN_ID_LEN);
	r->status = (int)m->status;
	if (adv) {
		r->advisory = 1;
		r->kind = (int)m->advisory->kind;
		r->severity = (int)m->advisory->severity;
		r->due_at = m->advisory->due_at_ms;
		if ((r->source = strdup(m->advisory->source != NULL ?
		    m->advisory->source : "")) == NULL)
			goto nomem;
		snprintf(r->sender, sizeof(r->sender), "%s", m->sender);
		goto done;
	}
	r->report_no = m->report->report_no;
	r->phase = (int)m->report->phase;
	r->level = m->report->level;
	snprintf(sender, KAIRAN_ENTITY_MAX + 1, "%s", m->sender);
	snprintf(r->sender, sizeof(r->sender), "%s", m->sender);
	memcpy(incident, m->report->incident_id.data, KAIRAN_ID_LEN);
	goto done;
nomem:
	if (r != NULL)
		report_free(r);
	r = NULL;
done:
	message_free(m);
	if (e != NULL)
		kairan__v1__envelope__free_unpacked(e, NULL);
	return r;
}

/* Files advisory r (owned from here) in the list. 0, or -1 (memory). */
static int
index_advisory(struct view *v, struct view_report *r)
{
	if (grow(&v->advisories, &v->capadvisories, v->nadvisories,
	    sizeof(*v->advisories)) == -1) {
		report_free(r);
		return -1;
	}
	v->advisories[v->nadvisories++] = r;
	return 0;
}

static int
cmp_last(const void *a, const void *b)
{
	const struct view_incident *x = *(struct view_incident *const *)a;
	const struct view_incident *y = *(struct view_incident *const *)b;

	if (x->last_at != y->last_at)
		return x->last_at > y->last_at ? -1 : 1;
	return memcmp(x->id, y->id, KAIRAN_ID_LEN);
}

int
view_refresh(struct view *v, char *err, size_t errlen)
{
	sqlite3_stmt *st = v->st[V_REPORTS];
	struct view_report *r;
	char sender[KAIRAN_ENTITY_MAX + 1];
	uint8_t incident[KAIRAN_ID_LEN];
	int rc, bad, added = 0;

	sqlite3_bind_int64(st, 1, v->last_seq);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(st, 0);

		r = decode_report(sqlite3_column_blob(st, 1),
		    (size_t)sqlite3_column_bytes(st, 1), sender, incident,
		    &bad);
		if (r == NULL && bad) {
			log_warnx("console: stored report unreadable seq=%lld",
			    (long long)seq);
			v->last_seq = seq;
			continue;
		}
		if (r == NULL)
			goto nomem;
		r->seq = seq;
		r->accepted_at = sqlite3_column_int64(st, 2);
		if (r->advisory) {
			if (index_advisory(v, r) == -1)
				goto nomem;
			v->last_seq = seq;
			continue;
		}
		if (index_report(v, r, sender, incident) == -1)
			goto nomem;
		v->last_seq = seq;
		added = 1;
	}
	sqlite3_reset(st);
	if (added)
		qsort(v->incidents, v->nincidents, sizeof(*v->incidents),
		    cmp_last);
	if (rc != SQLITE_DONE)
		return vfail(v, "reports", err, errlen);
	return 0;
nomem:
	sqlite3_reset(st);
	snprintf(err, errlen, "out of memory");
	return -1;
}

size_t
view_incidents(struct view *v, struct view_incident ***out)
{
	*out = v->incidents;
	return v->nincidents;
}

size_t
view_advisories(struct view *v, struct view_report ***out)
{
	*out = v->advisories;
	return v->nadvisories;
}

struct view_report *
view_advisory(struct view *v, const uint8_t id[KAIRAN_ID_LEN])
{
	size_t i;

	for (i = v->nadvisories; i > 0; i--)
		if (memcmp(v->advisories[i - 1]->id, id, KAIRAN_ID_LEN) == 0)
			return v->advisories[i - 1];
	return NULL;
}

struct view_incident *
view_incident(struct view *v, const uint8_t id[KAIRAN_ID_LEN])
{
	size_t i;

	for (i = 0; i < v->nincidents; i++)
		if (memcmp(v->incidents[i]->id, id, KAIRAN_ID_LEN) == 0)
			return v->incidents[i];
	return NULL;
}

struct view_report *
view_report(struct view *v, const uint8_t id[KAIRAN_ID_LEN])
{
	size_t i;

	for (i = v->nreports; i > 0; i--)
		if (memcmp(v->reports[i - 1]->id, id, KAIRAN_ID_LEN) == 0)
			return v->reports[i - 1];
	return NULL;
}

struct view_report *
view_report_seq(struct view *v, int64_t seq)
{
	size_t lo = 0, hi = v->nreports, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (v->reports[mid]->seq == seq)
			return v->reports[mid];
		if (v->reports[mid]->seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int
view_recipient_index(const struct view_report *r, const char *recipient)
{
	char *const *p;

	if (recipient == NULL || r->nrecipients == 0)
		return -1;
	p = bsearch(&recipient, r->recipients, r->nrecipients,
	    sizeof(*r->recipients), cmp_str);
	return p != NULL ? (int)(p - r->recipients) : -1;
}

static const char *
col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t != NULL ? (const char *)t : "";
}

/* *dst = a copy of src (the old one freed). 0, or -1 out of memory. */
static int
set_str(char **dst, const char *src)
{
	char *c = strdup(src);

	if (c == NULL)
		return -1;
	free(*dst);
	*dst = c;
	return 0;
}

/* What the rows say about one cell, before it is judged. */
struct evidence {
	int64_t	 held_at, mailed_at, delivered_at, overdue_at, rejected_at,
		 ack_at, done_at;
};

/* The QUEUED receipt's held list, from its stored envelope. */
static int
queued(const struct view_report *r, const uint8_t *env, size_t envlen,
    const char *signer, int64_t at, struct view_cell *cells,
    struct evidence *ev)
{
	Envelope *e;
	Message *m = NULL;
	char err[256];
	size_t i;
	int k;

	if ((e = kairan__v1__envelope__unpack(NULL, envlen, env)) == NULL)
		return 0;
	if ((m = message_decode(e->message.data, e->message.len, err,
	    sizeof(err))) != NULL &&
	    m->body_case == KAIRAN__V1__MESSAGE__BODY_RECEIPT)
		for (i = 0; i < m->receipt->n_held; i++)
			if ((k = view_recipient_index(r,
			    m->receipt->held[i])) >= 0 && ev[k].held_at == 0) {
				ev[k].held_at = at;
				snprintf(cells[k].held_by,
				    sizeof(cells[k].held_by), "%s", signer);
			}
	message_free(m);
	kairan__v1__envelope__free_unpacked(e, NULL);
	return 0;
}

static int
read_receipts(struct view *v, const struct view_report *r, const char *self,
    struct view_cell *cells, struct evidence *ev, char *err, size_t errlen)
{
	sqlite3_stmt *st = v->st[V_RECEIPTS];
	int rc, k, fail = 0;

	sqlite3_bind_blob(st, 1, r->id, KAIRAN_ID_LEN, SQLITE_STATIC);
	while (!fail && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *signer = col(st, 0), *subject = col(st, 4);
		int state = sqlite3_column_int(st, 1);
		int64_t at = sqlite3_column_int64(st, 5);

		switch (state) {
		case KAIRAN__V1__RECEIPT__STATE__DELIVERED:
			if ((k = view_recipient_index(r, signer)) >= 0 &&
			    (ev[k].delivered_at == 0 || at < ev[k].delivered_at))
				ev[k].delivered_at = at;
			break;
		case KAIRAN__V1__RECEIPT__STATE__ACKNOWLEDGED:
			if ((k = view_recipient_index(r, signer)) >= 0 &&
			    ev[k].ack_at == 0) {
				ev[k].ack_at = at;
				fail = set_str(&cells[k].by, col(st, 2));
			}
			break;
		case KAIRAN__V1__RECEIPT__STATE__DONE:
			/* relays accept a DONE only for an advisory (frames.c) */
			if (r->advisory && (k = view_recipient_index(r,
			    signer)) >= 0 && cells[k].done_at == 0) {
				ev[k].done_at = at;
				cells[k].done_at = at;
				fail = set_str(&cells[k].done_by, col(st, 2)) ==
				    -1 || set_str(&cells[k].done_note,
				    col(st, 3)) == -1;
			}
			break;
		case KAIRAN__V1__RECEIPT__STATE__REJECTED:
			if ((k = view_recipient_index(r, subject[0] != '\0' ?
			    subject : signer)) >= 0 && ev[k].rejected_at == 0) {
				ev[k].rejected_at = at;
				fail = set_str(&cells[k].detail, col(st, 3));
			}
			break;
		case KAIRAN__V1__RECEIPT__STATE__QUEUED:
			/* ours says what the delivery rows say: pending here */
			if (strcmp(signer, self) == 0)
				break;
			queued(r, sqlite3_column_blob(st, 6),
			    (size_t)sqlite3_column_bytes(st, 6), signer, at,
			    cells, ev);
			break;
		case KAIRAN__V1__RECEIPT__STATE__OVERDUE:
			if ((k = view_recipient_index(r, subject)) >= 0 &&
			    ev[k].overdue_at == 0)
				ev[k].overdue_at = at;
			break;
		case KAIRAN__V1__RECEIPT__STATE__MAILED:
			/* a mail is no 受理確認: a person confirms by phone */
			if ((k = view_recipient_index(r, subject)) >= 0 &&
			    ev[k].mailed_at == 0) {
				ev[k].mailed_at = at;
				fail = set_str(&cells[k].detail, col(st, 3));
			}
			break;
		default:
			break;
		}
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (fail) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return rc == SQLITE_DONE ? 0 : vfail(v, "receipts", err, errlen);
}

static int
read_deliveries(struct view *v, const struct view_report *r,
    struct view_cell *cells, struct evidence *ev, char *err, size_t errlen)
{
	sqlite3_stmt *st = v->st[V_DELIVERIES];
	int rc, k, fail = 0;

	sqlite3_bind_int64(st, 1, r->seq);
	while (!fail && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t at = sqlite3_column_int64(st, 3);

		/* a forward ("peer:NAME") is no recipient: k < 0 */
		if ((k = view_recipient_index(r, col(st, 0))) < 0)
			continue;
		switch (sqlite3_column_int(st, 1)) {
		case 1:	/* DELIVERY_DONE: the node took it */
			if (ev[k].delivered_at == 0 || at < ev[k].delivered_at)
				ev[k].delivered_at = at;
			break;
		case 2:	/* DELIVERY_REFUSED, for good */
			if (ev[k].rejected_at == 0) {
				ev[k].rejected_at = at;
				fail = set_str(&cells[k].detail, col(st, 2));
			}
			break;
		default:
			break;
		}
	}
	sqlite3_reset(st);
	if (fail) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return rc == SQLITE_DONE ? 0 : vfail(v, "deliveries", err, errlen);
}

/*
 * The escalation rows: the deadline, overdue when step 0 ran, and the
 * mail shown: the latest step that did something (sent, failed, tried,
 * cancelled), else the first one still waiting.
 */
static int
read_escalation(struct view *v, const struct view_report *r,
    struct view_cell *cells, struct evidence *ev, char *err, size_t errlen)
{
	sqlite3_stmt *st = v->st[V_ESCALATION];
	int rc, k, fail = 0;

	sqlite3_bind_int64(st, 1, r->seq);
	while (!fail && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct view_cell *c;
		int step = sqlite3_column_int(st, 1);
		int state = sqlite3_column_int(st, 2);
		int attempts = sqlite3_column_int(st, 3);

		if ((k = view_recipient_index(r, col(st, 0))) < 0)
			continue;
		c = &cells[k];
		c->deadline = sqlite3_column_int64(st, 6);
		if (step == 0) {
			if (state == 1 && ev[k].overdue_at == 0)
				ev[k].overdue_at = c->deadline;
			continue;
		}
		if (state == 0 && attempts == 0 && c->mail != VIEW_MAIL_NONE)
			continue;	/* one waiting is shown already */
		c->mail = (enum view_mail)state;
		c->mail_attempts = attempts;
		c->mail_code = sqlite3_column_int(st, 4);
		fail = set_str(&c->mail_reply, col(st, 5));
	}
	sqlite3_reset(st);
	if (fail) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return rc == SQLITE_DONE ? 0 : vfail(v, "escalation", err, errlen);
}

static int
read_confirms(struct view *v, const struct view_report *r,
    struct view_cell *cells, char *err, size_t errlen)
{
	sqlite3_stmt *st = v->st[V_CONFIRMS];
	int rc, k, fail = 0;

	sqlite3_bind_int64(st, 1, r->seq);
	while (!fail && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct view_cell *c;

		if ((k = view_recipient_index(r, col(st, 0))) < 0)
			continue;
		c = &cells[k];
		c->confirmed = 1;
		c->c_at = sqlite3_column_int64(st, 4);
		fail = set_str(&c->c_operator, col(st, 1)) == -1 ||
		    set_str(&c->c_name, col(st, 2)) == -1 ||
		    set_str(&c->c_note, col(st, 3)) == -1;
	}
	sqlite3_reset(st);
	if (fail) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return rc == SQLITE_DONE ? 0 : vfail(v, "confirmations", err, errlen);
}

/* The cell's state: the highest rank its evidence reaches. */
static void
judge(struct view_cell *c, const struct evidence *e)
{
	c->delivered_at = e->delivered_at;
	c->acknowledged_at = e->ack_at;
	c->overdue = e->overdue_at != 0 && e->ack_at == 0;
	if (e->done_at != 0) {
		/* 対応済 comes after 確認しました, or instead of it */
		c->state = VIEW_DONE;
		c->at = e->done_at;
		c->overdue = 0;
		if (c->delivered_at == 0)
			c->delivered_at = e->ack_at != 0 && e->ack_at <
			    e->done_at ? e->ack_at : e->done_at;
	} else if (e->ack_at != 0) {
		c->state = VIEW_ACKNOWLEDGED;
		c->at = e->ack_at;
		/* a 受理確認 means it was delivered, whatever else came */
		if (c->delivered_at == 0)
			c->delivered_at = e->ack_at;
	} else if (e->rejected_at != 0) {
		c->state = VIEW_REJECTED;
		c->at = e->rejected_at;
	} else if (e->overdue_at != 0) {
		c->state = VIEW_OVERDUE;
		c->at = e->overdue_at;
	} else if (e->delivered_at != 0) {
		c->state = VIEW_DELIVERED;
		c->at = e->delivered_at;
	} else if (e->mailed_at != 0) {
		c->state = VIEW_MAILED;
		c->at = e->mailed_at;
	} else if (e->held_at != 0) {
		c->state = VIEW_HELD;
		c->at = e->held_at;
	} else {
		c->state = VIEW_PENDING;
		c->at = 0;
	}
}

int
view_cells(struct view *v, const struct view_report *r, const char *self,
    struct view_cell *cells, char *err, size_t errlen)
{
	struct evidence *ev;
	size_t i;
	int rc = -1;

	memset(cells, 0, r->nrecipients * sizeof(*cells));
	for (i = 0; i < r->nrecipients; i++)
		cells[i].mail = VIEW_MAIL_NONE;
	if ((ev = calloc(r->nrecipients > 0 ? r->nrecipients : 1,
	    sizeof(*ev))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (read_receipts(v, r, self, cells, ev, err, errlen) == -1 ||
	    read_deliveries(v, r, cells, ev, err, errlen) == -1 ||
	    read_escalation(v, r, cells, ev, err, errlen) == -1 ||
	    read_confirms(v, r, cells, err, errlen) == -1)
		goto done;
	for (i = 0; i < r->nrecipients; i++)
		judge(&cells[i], &ev[i]);
	rc = 0;
done:
	free(ev);
	return rc;
}

void
view_cells_clear(struct view_cell *cells, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(cells[i].by);
		free(cells[i].detail);
		free(cells[i].c_operator);
		free(cells[i].c_name);
		free(cells[i].c_note);
		free(cells[i].mail_reply);
		free(cells[i].done_by);
		free(cells[i].done_note);
		memset(&cells[i], 0, sizeof(cells[i]));
	}
}

int
view_overdue(struct view *v, void (*fn)(void *, int64_t, const char *,
    int64_t), void *arg, char *err, size_t errlen)
{
	sqlite3_stmt *st = v->st[V_OVERDUE];
	int rc, n = 0;

	sqlite3_bind_int(st, 1, VIEW_OVERDUE_MAX);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		fn(arg, sqlite3_column_int64(st, 0), col(st, 1),
		    sqlite3_column_int64(st, 2));
		n++;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? n : vfail(v, "overdue", err, errlen);
}

int
view_seen(struct view *v, view_seen_fn *fn, void *arg, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = v->st[V_SEEN];
	int rc, n = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		fn(arg, col(st, 0), sqlite3_column_int64(st, 1),
		    sqlite3_column_int64(st, 2));
		n++;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? n : vfail(v, "node_seen", err, errlen);
}

int
view_envelope(struct view *v, const struct view_report *r, uint8_t **env,
    size_t *envlen, char *err, size_t errlen)
{
	sqlite3_stmt *st = v->st[V_ENVELOPE];
	int rc, n, found = 0;

	*env = NULL;
	sqlite3_bind_int64(st, 1, r->seq);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n = sqlite3_column_bytes(st, 0);
		if ((*env = malloc(n > 0 ? (size_t)n : 1)) == NULL) {
			sqlite3_reset(st);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		memcpy(*env, sqlite3_column_blob(st, 0), (size_t)n);
		*envlen = (size_t)n;
		found = 1;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return vfail(v, "envelope", err, errlen);
	return found;
}
