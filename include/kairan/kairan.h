/*
 * kairan: protocol constants shared by the library, the relay and the node.
 */
#ifndef KAIRAN_KAIRAN_H
#define KAIRAN_KAIRAN_H

#define KAIRAN_VERSION		"0.1.0"
#define KAIRAN_PROTOCOL		"kairan.v1"	/* WebSocket subprotocol */
#define KAIRAN_PROTOCOL_VERSION	1		/* Hello.version */
/* Hello.features bits (unknown bits are ignored) */
#define KAIRAN_FEATURE_QUEUED_BATCH	0x1	/* takes Receipt.more (PROTOCOL.md §7.4) */
/* Most messages one QUEUED receipt covers: ref_id and 255 in Receipt.more. */
#define KAIRAN_MAX_QUEUED_BATCH	256
#define KAIRAN_DEFAULT_PORT	7443
#define KAIRAN_MAX_FRAME	(1024 * 1024)	/* default frame size limit */

#define KAIRAN_ID_LEN		16	/* Message.id, IncidentReport.incident_id */
#define KAIRAN_ID_HEXLEN	32
#define KAIRAN_DIGEST_LEN	32	/* SHA-256 */
#define KAIRAN_ENTITY_MAX	32	/* longest entity id, bytes */
/* The national relay (the hub): the home relay of every national body. */
#define KAIRAN_NATIONAL_RELAY	"relay-national"

/* Length limits of strings, in bytes of UTF-8 (PROTOCOL.md §Limits). */
#define KAIRAN_MAX_RECIPIENTS	4096
#define KAIRAN_MAX_SHORT	256	/* names, phone numbers, subtypes, ... */
#define KAIRAN_MAX_TEXT		65536	/* summary, damage, response, ... */
#define KAIRAN_MAX_LIST		64	/* subtypes, affected services, attachments */
#define KAIRAN_MAX_CHAIN	4	/* certificates in Envelope.cert_chain */
#define KAIRAN_MAX_CERT		8192	/* bytes of one DER certificate */
#define KAIRAN_MAX_SIGNATURE	80	/* DER ECDSA P-256 is at most 72 */

#endif
