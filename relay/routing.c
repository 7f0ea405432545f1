/*
 * routing: where a recipient's copy of a message goes (see routing.h).
 * Today a relay delivers to the recipients it serves and answers every
 * other one with a REJECTED receipt it signs itself; federation turns
 * routing_unserved into the routing table (peer relays, the hub).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kairan/directory.h"
#include "kairan/envelope.h"
#include "kairan/log.h"
#include "kairan/message.h"

#include "relay.h"
#include "routing.h"
#include "store.h"

const char *
routing_unserved(struct server *s, const char *recipient, char *buf, size_t len)
{
	const struct dir_entity *e;

	if ((e = directory_get(s->dir, recipient)) == NULL) {
		snprintf(buf, len, "unknown recipient %s: not in the directory",
		    recipient);
		return buf;
	}
	if (!config_serves(s->cfg, e->id, e->pref)) {
		snprintf(buf, len, "recipient %s is not served by %s and no "
		    "federation route is configured", recipient, s->cfg->id);
		return buf;
	}
	return NULL;
}

int
routing_reject(struct server *s, const Message *ref,
    const uint8_t ref_digest[KAIRAN_DIGEST_LEN], const char *recipient,
    const char *why, int64_t now, char *err, size_t errlen)
{
	Message m = KAIRAN__V1__MESSAGE__INIT;
	Receipt r = KAIRAN__V1__RECEIPT__INIT;
	uint8_t id[KAIRAN_ID_LEN], digest[KAIRAN_DIGEST_LEN], *env = NULL;
	char *rcpt[1], hex[KAIRAN_ID_HEXLEN + 1], note[256];
	size_t envlen;
	int64_t seq;
	int dup, rc = -1;

	if (message_id_new(id) == -1) {
		snprintf(err, errlen, "CSPRNG failed");
		return -1;
	}
	snprintf(note, sizeof(note), "%s", why);
	rcpt[0] = ref->sender;
	m.id.data = id;
	m.id.len = sizeof(id);
	m.sender = (char *)(uintptr_t)s->cfg->id;
	m.recipients = rcpt;
	m.n_recipients = 1;
	m.created_at_ms = now;
	m.status = ref->status;
	m.body_case = KAIRAN__V1__MESSAGE__BODY_RECEIPT;
	m.receipt = &r;
	r.ref_id = ref->id;
	r.ref_digest.data = (uint8_t *)(uintptr_t)ref_digest;
	r.ref_digest.len = KAIRAN_DIGEST_LEN;
	r.state = KAIRAN__V1__RECEIPT__STATE__REJECTED;
	r.subject = (char *)(uintptr_t)recipient;
	r.note = note;
	if (envelope_seal(s->signer, &m, &env, &envlen, digest, err,
	    errlen) == -1)
		return -1;
	if (store_message_add(s->store, &m, env, envlen, digest, s->cfg->id,
	    now, &dup, &seq, err, errlen) == -1 ||
	    store_receipt_add(s->store, seq, &m, digest, now, err,
	    errlen) == -1 ||
	    store_delivery_add(s->store, seq, ref->sender, err,
	    errlen) == -1)
		goto done;
	idhex(ref->id.data, ref->id.len, hex);
	log_info("rejected id=%s recipient=%s sender=%s reason=%s", hex,
	    recipient, ref->sender, log_str(why));
	rc = 0;
done:
	free(env);
	return rc;
}
