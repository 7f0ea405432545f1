/*
 * libFuzzer harness: envelope_verify_bytes on arbitrary bytes, against the
 * unit-test PKI (KAIRAN_FIXTURES: the directory made by tests/unit/mkpki.sh).
 * Invariant: whatever verifies has a decoded Message whose sender is the
 * signer, and whose digest is SHA-256 of the message bytes.
 *
 * With KAIRAN_FUZZ_SEED_DIR set, LLVMFuzzerInitialize seals a report and a
 * receipt with the fixture's 452017 and writes them there, so the fuzzer
 * starts from envelopes that pass every check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kairan/envelope.h"
#include "kairan/kairan.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct trust *trust;

static void
write_seed(const char *dir, const char *name, struct signer *s,
    const Message *m)
{
	char path[4096], err[512];
	uint8_t *buf;
	size_t len;
	FILE *fp;

	if (envelope_seal(s, m, &buf, &len, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "seal: %s\n", err);
		return;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "wb")) != NULL) {
		fwrite(buf, 1, len, fp);
		fclose(fp);
	}
	free(buf);
}

static void
seeds(const char *fixtures, const char *dir)
{
	static char sender[] = "452017", r0[] = "450006", r1[] = "mic";
	static char summary[] = "庁内ネットワークへの不正アクセス", by[] = "宮崎";
	char chain[4096], key[4096], err[512], *recips[2] = { r0, r1 };
	uint8_t id[16], iid[16], dig[32];
	struct signer *s;
	Message m;
	IncidentReport r;
	Receipt rc;

	snprintf(chain, sizeof(chain), "%s/entities/452017/chain.pem",
	    fixtures);
	snprintf(key, sizeof(key), "%s/entities/452017/key.pem", fixtures);
	if ((s = signer_new(chain, key, err, sizeof(err))) == NULL) {
		fprintf(stderr, "signer: %s\n", err);
		return;
	}
	message_id_new(id);
	memset(iid, 9, sizeof(iid));
	kairan__v1__message__init(&m);
	kairan__v1__incident_report__init(&r);
	m.id.data = id;
	m.id.len = 16;
	m.sender = sender;
	m.recipients = recips;
	m.n_recipients = 2;
	m.created_at_ms = message_now_ms();
	m.body_case = KAIRAN__V1__MESSAGE__BODY_REPORT;
	m.report = &r;
	r.incident_id.data = iid;
	r.incident_id.len = 16;
	r.report_no = 1;
	r.phase = KAIRAN__V1__INCIDENT_REPORT__PHASE__INITIAL;
	r.category = KAIRAN__V1__INCIDENT_REPORT__CATEGORY__CYBER_ATTACK;
	r.level = 3;
	r.summary = summary;
	write_seed(dir, "report", s, &m);
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
	write_seed(dir, "receipt", s, &m);
	signer_free(s);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *fixtures = getenv("KAIRAN_FIXTURES");
	const char *dir = getenv("KAIRAN_FUZZ_SEED_DIR");
	char ca[4096], crl[4096], err[512];

	(void)argc;
	(void)argv;
	if (fixtures == NULL) {
		fprintf(stderr, "fuzz_envelope: set KAIRAN_FIXTURES to the "
		    "directory made by tests/unit/mkpki.sh\n");
		exit(2);
	}
	snprintf(ca, sizeof(ca), "%s/root/ca.pem", fixtures);
	snprintf(crl, sizeof(crl), "%s/crl.pem", fixtures);
	if ((trust = trust_new(ca, crl, err, sizeof(err))) == NULL) {
		fprintf(stderr, "fuzz_envelope: %s\n", err);
		exit(2);
	}
	if (dir != NULL)
		seeds(fixtures, dir);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct envelope_info info;
	char err[1024];
	int reason;

	if (envelope_verify_bytes(trust, data, size, KAIRAN_MAX_FRAME, 0,
	    &info, &reason, err, sizeof(err)) != 0) {
		if (info.msg != NULL)
			abort();
		return 0;
	}
	if (info.msg == NULL || strcmp(info.msg->sender,
	    info.signer.entity) != 0)
		abort();
	envelope_info_clear(&info);
	return 0;
}
