/*
 * compose: builds and signs the node's own messages (see compose.h).
 * Everything is validated with message_validate before it is signed, so
 * the node never puts into its outbox what a relay would refuse for a
 * field.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kairan/envelope.h"
#include "kairan/log.h"
#include "kairan/message.h"

#include "compose.h"

int
compose_seal(struct signer *s, Message *m, uint8_t id[KAIRAN_ID_LEN],
    char sender[KAIRAN_ENTITY_MAX + 1], uint8_t **env, size_t *envlen,
    uint8_t digest[KAIRAN_DIGEST_LEN], char *err, size_t errlen)
{
	char e[512];

	*env = NULL;
	if (message_id_new(id) == -1) {
		snprintf(err, errlen, "message id: the CSPRNG failed");
		return -1;
	}
	snprintf(sender, KAIRAN_ENTITY_MAX + 1, "%s", signer_entity(s));
	m->id.data = id;
	m->id.len = KAIRAN_ID_LEN;
	m->sender = sender;
	m->created_at_ms = message_now_ms();
	if (message_validate(m, e, sizeof(e)) == -1) {
		snprintf(err, errlen, "%s", e);
		return -1;
	}
	if (envelope_seal(s, m, env, envlen, digest, e, sizeof(e)) == -1) {
		snprintf(err, errlen, "sign: %s", e);
		*env = NULL;
		return -1;
	}
	return 0;
}

int
compose_receipt(struct composed *c, struct signer *s, const char *ref_sender,
    const uint8_t ref_id[KAIRAN_ID_LEN],
    const uint8_t ref_digest[KAIRAN_DIGEST_LEN], int status, int state,
    const char *by, const char *note, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	kairan__v1__message__init(&c->msg);
	kairan__v1__receipt__init(&c->receipt);
	snprintf(c->to, sizeof(c->to), "%s", ref_sender);
	c->rcpt[0] = c->to;
	c->msg.n_recipients = 1;
	c->msg.recipients = c->rcpt;
	c->msg.status = status;
	c->msg.body_case = KAIRAN__V1__MESSAGE__BODY_RECEIPT;
	c->msg.receipt = &c->receipt;
	/* Copies: the Message's fields are not const, ours are. */
	c->receipt.ref_id.data = malloc(KAIRAN_ID_LEN);
	c->receipt.ref_digest.data = malloc(KAIRAN_DIGEST_LEN);
	c->receipt.by = strdup(by != NULL ? by : "");
	c->receipt.note = strdup(note != NULL ? note : "");
	if (c->receipt.ref_id.data == NULL ||
	    c->receipt.ref_digest.data == NULL || c->receipt.by == NULL ||
	    c->receipt.note == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	memcpy(c->receipt.ref_id.data, ref_id, KAIRAN_ID_LEN);
	c->receipt.ref_id.len = KAIRAN_ID_LEN;
	memcpy(c->receipt.ref_digest.data, ref_digest, KAIRAN_DIGEST_LEN);
	c->receipt.ref_digest.len = KAIRAN_DIGEST_LEN;
	c->receipt.state = state;
	if (compose_seal(s, &c->msg, c->id, c->sender, &c->env, &c->envlen,
	    c->digest, err, errlen) == -1)
		goto fail;
	return 0;
fail:
	compose_clear(c);
	return -1;
}

void
compose_clear(struct composed *c)
{
	if (c == NULL)
		return;
	free(c->receipt.by);
	free(c->receipt.note);
	free(c->receipt.ref_id.data);
	free(c->receipt.ref_digest.data);
	free(c->env);
	memset(c, 0, sizeof(*c));
}
