/*
 * store_receipt: a receipt that came back, checked against what it
 * refers to and applied to our recipient rows in one transaction (see
 * store_receipt.h for the rules of each state).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "kairan/message.h"

#include "store.h"
#include "store_receipt.h"
#include "store_sql.h"

/*
 * The rules of a QUEUED receipt that need no database: written by a relay
 * (PROTOCOL.md §2), naming whom it holds. Which relay holds whom is its
 * configuration's business (the home relay, §7.2, or `serve`): the
 * writer's certificate vouches for the relay the sender shows. Returns 0,
 * or -1 with *reason and err naming the field.
 */
static int
queued_check(const Receipt *rc, const struct identity *signer,
    const char *idhex, int *reason, char *err, size_t errlen)
{
	if (signer->role != ROLE_RELAY) {
		*reason = KAIRAN__V1__REFUSED__REASON__NOT_AUTHORIZED;
		snprintf(err, errlen, "receipt.state: QUEUED for message %s "
		    "signed by %s (role %s); only a relay, the one holding "
		    "the report, may write QUEUED", idhex, signer->entity,
		    identity_role_name(signer->role));
		return -1;
	}
	if (rc->n_held == 0) {
		*reason = KAIRAN__V1__REFUSED__REASON__INVALID_FIELD;
		snprintf(err, errlen, "receipt.held: empty in a QUEUED receipt "
		    "of relay %s for message %s", signer->entity, idhex);
		return -1;
	}
	return 0;
}

/*
 * Applies one report's part of a QUEUED receipt m (already through
 * queued_check) to our report ref_id, inside the caller's transaction:
 * every one of the n held recipients (field names them in errors) must be
 * a recipient of it; each gets held_by/held_ms unless it already has them
 * (the first hold is kept: an HA pair of one relay id may both say so).
 * A hold never moves a recipient backwards: it is recorded whatever the
 * recipient's state, and status_of() ranks delivered, acknowledged and
 * rejected above it. Returns 0, or -1 with *reason (0: database error).
 */
static int
queued_apply(struct store *st, const Message *m, const uint8_t *ref_id,
    char *const *held, size_t n, const char *field,
    const struct identity *signer, const char *idhex, int *reason, char *err,
    size_t errlen)
{
	sqlite3_stmt *q = NULL, *u = NULL;
	size_t i;
	int rv = -1, r;

	if (store_sql_prepare(st, &q,
	    "SELECT 1 FROM recipient WHERE id = ? AND entity = ?", err,
	    errlen) == -1 || store_sql_prepare(st, &u, "UPDATE recipient SET "
	    "held_ms = CASE WHEN held_by IS NULL THEN ?3 ELSE held_ms END, "
	    "held_by = coalesce(held_by, ?4) WHERE id = ?1 AND entity = ?2",
	    err, errlen) == -1)
		goto fail;
	for (i = 0; i < n; i++) {
		sqlite3_reset(q);
		sqlite3_bind_blob(q, 1, ref_id, KAIRAN_ID_LEN, SQLITE_TRANSIENT);
		sqlite3_bind_text(q, 2, held[i], -1, SQLITE_TRANSIENT);
		r = sqlite3_step(q);
		if (r == SQLITE_DONE) {
			*reason = KAIRAN__V1__REFUSED__REASON__NOT_AUTHORIZED;
			snprintf(err, errlen, "%s[%zu]: %s is not a recipient "
			    "of message %s (QUEUED signed by %s)", field, i,
			    held[i], idhex, signer->entity);
			goto fail;
		} else if (r != SQLITE_ROW) {
			store_sql_err(st, err, errlen, "recipient lookup");
			goto fail;
		}
		sqlite3_reset(u);
		sqlite3_bind_blob(u, 1, ref_id, KAIRAN_ID_LEN, SQLITE_TRANSIENT);
		sqlite3_bind_text(u, 2, held[i], -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(u, 3, m->created_at_ms);
		sqlite3_bind_text(u, 4, signer->entity, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(u) != SQLITE_DONE) {
			store_sql_err(st, err, errlen, "recipient update");
			goto fail;
		}
	}
	rv = 0;
fail:
	sqlite3_finalize(q);
	sqlite3_finalize(u);
	return rv;
}

/*
 * Looks up ref_id in our outbox with the prepared statement s ("SELECT
 * kind, digest FROM outbox WHERE id = ?"): 1 with *kind if it is ours and
 * digest is exactly its digest, 0 if it is not ours, -1 with *reason and
 * err (field names the digest, idhex the message) otherwise.
 */
static int
outbox_ref(struct store *st, sqlite3_stmt *s, const ProtobufCBinaryData *ref_id,
    const ProtobufCBinaryData *digest, const char *field, const char *idhex,
    int *kind, int *reason, char *err, size_t errlen)
{
	int rv;

	sqlite3_reset(s);
	sqlite3_bind_blob(s, 1, ref_id->data, (int)ref_id->len,
	    SQLITE_TRANSIENT);
	if ((rv = sqlite3_step(s)) == SQLITE_DONE)
		return 0;
	if (rv != SQLITE_ROW) {
		store_sql_err(st, err, errlen, "outbox lookup");
		return -1;
	}
	*kind = sqlite3_column_int(s, 0);
	if (digest->len != KAIRAN_DIGEST_LEN ||
	    sqlite3_column_bytes(s, 1) != KAIRAN_DIGEST_LEN ||
	    memcmp(sqlite3_column_blob(s, 1), digest->data,
	    KAIRAN_DIGEST_LEN) != 0) {
		*reason = KAIRAN__V1__REFUSED__REASON__INVALID_FIELD;
		snprintf(err, errlen, "%s: does not match the digest of message "
		    "%s", field, idhex);
		return -1;
	}
	return 1;
}

/*
 * The further reports of a batched QUEUED receipt m (Receipt.more), inside
 * the caller's transaction, each checked as the first one is: one of ours
 * (a report or an advisory; one we do not know is passed over, as an
 * unmatched receipt is), of exactly the digest named, every held recipient
 * one of its recipients. Returns 1 if one matched, 0 if none, or -1 with
 * *reason and err naming receipt.more[i] (the whole receipt is refused).
 */
static int
queued_more(struct store *st, const Message *m, const struct identity *signer,
    int *reason, char *err, size_t errlen)
{
	const Receipt *rc = m->receipt;
	sqlite3_stmt *s = NULL;
	char idhex[KAIRAN_ID_HEXLEN + 1], field[64];
	size_t i;
	int kind, matched = 0, rv;

	if (store_sql_prepare(st, &s,
	    "SELECT kind, digest FROM outbox WHERE id = ?", err, errlen) == -1)
		return -1;
	for (i = 0; i < rc->n_more; i++) {
		const Kairan__V1__HeldRef *h = rc->more[i];

		message_hex(h->ref_id.data, h->ref_id.len, idhex);
		snprintf(field, sizeof(field), "receipt.more[%zu].ref_digest",
		    i);
		if ((rv = outbox_ref(st, s, &h->ref_id, &h->ref_digest, field,
		    idhex, &kind, reason, err, errlen)) == -1)
			goto fail;
		if (rv == 0)
			continue;
		/* only a report (1) or an advisory (3) of ours is held */
		if (kind != 1 && kind != 3)
			continue;
		snprintf(field, sizeof(field), "receipt.more[%zu].held", i);
		if (queued_apply(st, m, h->ref_id.data, h->held, h->n_held,
		    field, signer, idhex, reason, err, errlen) == -1)
			goto fail;
		matched = 1;
	}
	sqlite3_finalize(s);
	return matched;
fail:
	sqlite3_finalize(s);
	return -1;
}

int
store_receipt_add(struct store *st, const Message *m,
    const struct identity *signer, const uint8_t *env, size_t envlen,
    const char *route, int64_t now_ms, int *result, int *reason, char *err,
    size_t errlen)
{
	sqlite3_stmt *s = NULL;
	const Receipt *rc;
	char idhex[KAIRAN_ID_HEXLEN + 1];
	const char *concerned;
	int found, kind = 0, matched = 0, rv;

	*reason = 0;
	*result = 0;
	if (m->body_case != KAIRAN__V1__MESSAGE__BODY_RECEIPT ||
	    m->id.len != KAIRAN_ID_LEN ||
	    m->receipt->ref_id.len != KAIRAN_ID_LEN) {
		*reason = KAIRAN__V1__REFUSED__REASON__INVALID_FIELD;
		snprintf(err, errlen, "receipt: not a receipt");
		return -1;
	}
	rc = m->receipt;
	message_hex(rc->ref_id.data, KAIRAN_ID_LEN, idhex);
	/*
	 * REJECTED is written by a relay (about the recipient in subject) or
	 * by a node about itself (PROTOCOL.md §2), never by a node about
	 * another recipient.
	 */
	if (rc->state == KAIRAN__V1__RECEIPT__STATE__REJECTED &&
	    signer->role != ROLE_RELAY && rc->subject != NULL &&
	    rc->subject[0] != '\0' &&
	    strcmp(rc->subject, signer->entity) != 0) {
		*reason = KAIRAN__V1__REFUSED__REASON__NOT_AUTHORIZED;
		snprintf(err, errlen, "receipt: REJECTED by %s about %s for "
		    "message %s; only a relay or the recipient itself may "
		    "reject", signer->entity, rc->subject, idhex);
		return -1;
	}
	if (rc->state == KAIRAN__V1__RECEIPT__STATE__QUEUED &&
	    queued_check(rc, signer, idhex, reason, err, errlen) == -1)
		return -1;
	if ((rc->state == KAIRAN__V1__RECEIPT__STATE__OVERDUE ||
	    rc->state == KAIRAN__V1__RECEIPT__STATE__MAILED) &&
	    signer->role != ROLE_RELAY) {
		*reason = KAIRAN__V1__REFUSED__REASON__NOT_AUTHORIZED;
		snprintf(err, errlen, "receipt.state: %s for message %s "
		    "signed by %s (role %s); only a relay, the recipient's home "
		    "relay, may write %s", message_receipt_state_name(rc->state),
		    idhex, signer->entity, identity_role_name(signer->role),
		    message_receipt_state_name(rc->state));
		return -1;
	}
	/* 対応済 is the recipient's own word (PROTOCOL.md §6.3) */
	if (rc->state == KAIRAN__V1__RECEIPT__STATE__DONE &&
	    signer->role == ROLE_RELAY) {
		*reason = KAIRAN__V1__REFUSED__REASON__NOT_AUTHORIZED;
		snprintf(err, errlen, "receipt.state: DONE for message %s "
		    "signed by relay %s; only the recipient itself reports an "
		    "advisory done", idhex, signer->entity);
		return -1;
	}
	if (store_sql_begin(st, err, errlen) == -1)
		return -1;
	if (store_sql_exists(st, "SELECT 1 FROM receipt_in WHERE id = ?",
	    m->id.data, &found, err, errlen) == -1)
		goto fail;
	if (found) {
		*result = STORE_RECEIPT_DUPLICATE;
		store_sql_rollback(st);
		return 0;
	}
	if (store_sql_prepare(st, &s,
	    "SELECT kind, digest FROM outbox WHERE id = ?", err, errlen) == -1 ||
	    outbox_ref(st, s, &rc->ref_id, &rc->ref_digest, "receipt.ref_digest",
	    idhex, &kind, reason, err, errlen) == -1)
		goto fail;
	sqlite3_finalize(s);
	s = NULL;

	if (kind == 1 && rc->state == KAIRAN__V1__RECEIPT__STATE__DONE) {
		*reason = KAIRAN__V1__REFUSED__REASON__INVALID_FIELD;
		snprintf(err, errlen, "receipt.state: DONE (対応済) is only for "
		    "an advisory; message %s is an incident report", idhex);
		goto fail;
	}
	/* an advisory of ours (3) is receipted exactly like a report (1) */
	if (kind == 3)
		kind = 1;
	if (kind == 1 && rc->state == KAIRAN__V1__RECEIPT__STATE__QUEUED) {
		if (queued_apply(st, m, rc->ref_id.data, rc->held, rc->n_held,
		    "receipt.held", signer, idhex, reason, err, errlen) == -1)
			goto fail;
		matched = 1;
	} else if (kind == 1) {
		/* Whose state this receipt speaks for. */
		concerned = signer->entity;
		if ((rc->state == KAIRAN__V1__RECEIPT__STATE__REJECTED ||
		    rc->state == KAIRAN__V1__RECEIPT__STATE__OVERDUE ||
		    rc->state == KAIRAN__V1__RECEIPT__STATE__MAILED) &&
		    signer->role == ROLE_RELAY) {
			if (rc->subject == NULL || rc->subject[0] == '\0') {
				*reason =
				    KAIRAN__V1__REFUSED__REASON__INVALID_FIELD;
				snprintf(err, errlen, "receipt.subject: missing "
				    "in a %s receipt of relay %s",
				    message_receipt_state_name(rc->state),
				    signer->entity);
				goto fail;
			}
			concerned = rc->subject;
		}
		if (store_sql_prepare(st, &s,
		    "SELECT 1 FROM recipient WHERE id = ? AND entity = ?", err,
		    errlen) == -1)
			goto fail;
		sqlite3_bind_blob(s, 1, rc->ref_id.data, KAIRAN_ID_LEN,
		    SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 2, concerned, -1, SQLITE_TRANSIENT);
		rv = sqlite3_step(s);
		sqlite3_finalize(s);
		s = NULL;
		if (rv == SQLITE_DONE) {
			*reason = KAIRAN__V1__REFUSED__REASON__NOT_AUTHORIZED;
			snprintf(err, errlen, "receipt: %s is not a recipient "
			    "of message %s (signed by %s)", concerned, idhex,
			    signer->entity);
			goto fail;
		} else if (rv != SQLITE_ROW) {
			store_sql_err(st, err, errlen, "recipient lookup");
			goto fail;
		}
		switch (rc->state) {
		case KAIRAN__V1__RECEIPT__STATE__DELIVERED:
			rv = store_sql_prepare(st, &s, "UPDATE recipient SET "
			    "delivered_ms = coalesce(delivered_ms, ?3) "
			    "WHERE id = ?1 AND entity = ?2", err, errlen);
			break;
		case KAIRAN__V1__RECEIPT__STATE__ACKNOWLEDGED:
			rv = store_sql_prepare(st, &s, "UPDATE recipient SET "
			    "acknowledged_by = CASE WHEN acknowledged_ms IS NULL "
			    "THEN ?4 ELSE acknowledged_by END, "
			    "ack_note = CASE WHEN acknowledged_ms IS NULL "
			    "THEN ?5 ELSE ack_note END, "
			    "acknowledged_ms = coalesce(acknowledged_ms, ?3) "
			    "WHERE id = ?1 AND entity = ?2", err, errlen);
			break;
		case KAIRAN__V1__RECEIPT__STATE__REJECTED:
			rv = store_sql_prepare(st, &s, "UPDATE recipient SET "
			    "rejected_reason = CASE WHEN rejected_ms IS NULL "
			    "THEN ?5 ELSE rejected_reason END, "
			    "rejected_by = CASE WHEN rejected_ms IS NULL "
			    "THEN ?6 ELSE rejected_by END, "
			    "rejected_ms = coalesce(rejected_ms, ?3) "
			    "WHERE id = ?1 AND entity = ?2", err, errlen);
			break;
		case KAIRAN__V1__RECEIPT__STATE__DONE:
			/* the first 対応済 is kept, with who and the note */
			rv = store_sql_prepare(st, &s, "UPDATE recipient SET "
			    "done_by = CASE WHEN done_ms IS NULL "
			    "THEN ?4 ELSE done_by END, "
			    "done_note = CASE WHEN done_ms IS NULL "
			    "THEN ?5 ELSE done_note END, "
			    "done_ms = coalesce(done_ms, ?3) "
			    "WHERE id = ?1 AND entity = ?2", err, errlen);
			break;
		case KAIRAN__V1__RECEIPT__STATE__OVERDUE:
			/* the first notice is kept (?5, the note, unused) */
			rv = store_sql_prepare(st, &s, "UPDATE recipient SET "
			    "overdue_by = CASE WHEN overdue_ms IS NULL "
			    "THEN ?6 ELSE overdue_by END, "
			    "overdue_ms = coalesce(overdue_ms, ?3) "
			    "WHERE id = ?1 AND entity = ?2", err, errlen);
			break;
		case KAIRAN__V1__RECEIPT__STATE__MAILED:
			/* the first mail is kept: which relay, when, its note */
			rv = store_sql_prepare(st, &s, "UPDATE recipient SET "
			    "mailed_note = CASE WHEN mailed_ms IS NULL "
			    "THEN ?5 ELSE mailed_note END, "
			    "mailed_by = CASE WHEN mailed_ms IS NULL "
			    "THEN ?6 ELSE mailed_by END, "
			    "mailed_ms = coalesce(mailed_ms, ?3) "
			    "WHERE id = ?1 AND entity = ?2", err, errlen);
			break;
		default:
			*reason = KAIRAN__V1__REFUSED__REASON__INVALID_FIELD;
			snprintf(err, errlen, "receipt.state: %d unknown",
			    rc->state);
			goto fail;
		}
		if (rv == -1)
			goto fail;
		sqlite3_bind_blob(s, 1, rc->ref_id.data, KAIRAN_ID_LEN,
		    SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 2, concerned, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 3, m->created_at_ms);
		if (rc->state == KAIRAN__V1__RECEIPT__STATE__ACKNOWLEDGED ||
		    rc->state == KAIRAN__V1__RECEIPT__STATE__DONE)
			store_sql_bind_text(s, 4, rc->by);
		if (rc->state != KAIRAN__V1__RECEIPT__STATE__DELIVERED)
			sqlite3_bind_text(s, 5, rc->note != NULL ? rc->note :
			    "", -1, SQLITE_TRANSIENT);
		if (rc->state == KAIRAN__V1__RECEIPT__STATE__REJECTED ||
		    rc->state == KAIRAN__V1__RECEIPT__STATE__OVERDUE ||
		    rc->state == KAIRAN__V1__RECEIPT__STATE__MAILED)
			sqlite3_bind_text(s, 6, signer->entity, -1,
			    SQLITE_TRANSIENT);
		if (sqlite3_step(s) != SQLITE_DONE) {
			store_sql_err(st, err, errlen, "recipient update");
			goto fail;
		}
		sqlite3_finalize(s);
		s = NULL;
		matched = 1;
	}

	/* a batched QUEUED (PROTOCOL.md §7.4): the other reports it names */
	if (rc->state == KAIRAN__V1__RECEIPT__STATE__QUEUED && rc->n_more > 0) {
		if ((rv = queued_more(st, m, signer, reason, err,
		    errlen)) == -1)
			goto fail;
		matched |= rv;
	}
	if (store_sql_prepare(st, &s, "INSERT INTO receipt_in(id, ref_id, "
	    "signer, state, by, note, subject, created_ms, received_ms, route, "
	    "matched, envelope) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    err, errlen) == -1)
		goto fail;
	sqlite3_bind_blob(s, 1, m->id.data, KAIRAN_ID_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_blob(s, 2, rc->ref_id.data, KAIRAN_ID_LEN,
	    SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, signer->entity, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 4, rc->state);
	store_sql_bind_text(s, 5, rc->by);
	store_sql_bind_text(s, 6, rc->note);
	store_sql_bind_text(s, 7, rc->subject);
	sqlite3_bind_int64(s, 8, m->created_at_ms);
	sqlite3_bind_int64(s, 9, now_ms);
	store_sql_bind_text(s, 10, route);
	sqlite3_bind_int(s, 11, matched);
	sqlite3_bind_blob(s, 12, env, (int)envlen, SQLITE_TRANSIENT);
	if (sqlite3_step(s) != SQLITE_DONE) {
		store_sql_err(st, err, errlen, "receipt insert");
		goto fail;
	}
	sqlite3_finalize(s);
	s = NULL;
	if (store_sql_commit(st, err, errlen) == -1)
		goto fail;
	*result = matched ? STORE_RECEIPT_MATCHED : STORE_RECEIPT_UNMATCHED;
	return 0;
fail:
	sqlite3_finalize(s);
	store_sql_rollback(st);
	return -1;
}
