/*
 * libFuzzer harness: message_decode (unpack, wire string check, validation)
 * on arbitrary bytes. Invariant: a message that decodes re-encodes to bytes
 * that decode again (validation depends on content, not on encoding).
 *
 * With KAIRAN_FUZZ_SEED_DIR set, LLVMFuzzerInitialize writes a valid report
 * and a valid receipt there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "kairan/message.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
write_seed(const char *dir, const char *name, const Message *m)
{
	char path[4096];
	uint8_t *buf;
	size_t len;
	FILE *fp;

	if (message_encode(m, &buf, &len) != 0)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "wb")) != NULL) {
		fwrite(buf, 1, len, fp);
		fclose(fp);
	}
	free(buf);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char sender[] = "452017", r0[] = "450006", r1[] = "mic";
	static char summary[] = "職員端末のウイルス感染", sub[] = "標的型攻撃";
	static char aname[] = "log.txt", by[] = "宮崎 花子";
	const char *dir = getenv("KAIRAN_FUZZ_SEED_DIR");
	char *recips[2] = { r0, r1 }, *subs[1] = { sub };
	uint8_t id[16], iid[16], data[4] = "abc", sha[32], dig[32];
	Message m;
	IncidentReport r;
	Receipt rc;
	Kairan__V1__Contact c;
	Kairan__V1__Attachment a, *ap[1] = { &a };

	(void)argc;
	(void)argv;
	if (dir == NULL)
		return 0;
	memset(id, 7, sizeof(id));
	memset(iid, 9, sizeof(iid));
	kairan__v1__message__init(&m);
	kairan__v1__incident_report__init(&r);
	kairan__v1__contact__init(&c);
	kairan__v1__attachment__init(&a);
	m.id.data = id;
	m.id.len = 16;
	m.sender = sender;
	m.recipients = recips;
	m.n_recipients = 2;
	m.created_at_ms = 1700000000000LL;
	m.status = KAIRAN__V1__STATUS__EXERCISE;
	m.body_case = KAIRAN__V1__MESSAGE__BODY_REPORT;
	m.report = &r;
	r.incident_id.data = iid;
	r.incident_id.len = 16;
	r.report_no = 1;
	r.phase = KAIRAN__V1__INCIDENT_REPORT__PHASE__INITIAL;
	r.category = KAIRAN__V1__INCIDENT_REPORT__CATEGORY__CYBER_ATTACK;
	r.level = 2;
	r.summary = summary;
	r.subtypes = subs;
	r.n_subtypes = 1;
	r.contact = &c;
	c.name = by;
	SHA256(data, 3, sha);
	a.name = aname;
	a.data.data = data;
	a.data.len = 3;
	a.sha256.data = sha;
	a.sha256.len = 32;
	r.attachments = ap;
	r.n_attachments = 1;
	write_seed(dir, "report", &m);

	kairan__v1__receipt__init(&rc);
	memset(dig, 5, sizeof(dig));
	m.body_case = KAIRAN__V1__MESSAGE__BODY_RECEIPT;
	m.receipt = &rc;
	m.n_recipients = 1;
	rc.ref_id.data = iid;
	rc.ref_id.len = 16;
	rc.ref_digest.data = dig;
	rc.ref_digest.len = 32;
	rc.state = KAIRAN__V1__RECEIPT__STATE__ACKNOWLEDGED;
	rc.by = by;
	write_seed(dir, "receipt", &m);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	uint8_t *buf;
	size_t len;
	Message *m, *n;

	if ((m = message_decode(data, size, err, sizeof(err))) == NULL)
		return 0;
	if (message_encode(m, &buf, &len) != 0)
		abort();
	if ((n = message_decode(buf, len, err, sizeof(err))) == NULL) {
		fprintf(stderr, "re-encoded message refused: %s\n", err);
		abort();
	}
	message_free(n);
	free(buf);
	message_free(m);
	return 0;
}
