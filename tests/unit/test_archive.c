/*
 * Unit tests of archive (proto/archive.c): a kept envelope verified as of
 * its signing time, on the fixture PKI (KAIRAN_FIXTURES): a fresh one
 * verifies with its certificate's validity reported; a signing time in
 * the future, missing, or outside the certificate's validity is refused
 * naming the time; a signer revoked before it signed is REVOKED (its
 * revocation came before the signing time); the CRLs are optional; a
 * changed byte fails as in envelope_verify. The later-revocation and
 * since-expired cases need certificates dated in the past: scenario 45
 * (tests/integration/test_45_node_verify_later.py) makes them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kairan/archive.h"
#include "kairan/envelope.h"

#ifndef KAIRAN_FIXTURES
#error KAIRAN_FIXTURES must name the directory made by tests/unit/mkpki.sh
#endif

#define REASON(x)	KAIRAN__V1__REFUSED__REASON__##x
#define DAY_MS		(24LL * 3600 * 1000)

static struct trust *chain_trust, *crl_trust;

static const char *
fx(const char *rel)
{
	static char buf[4][1024];
	static int n;

	n = (n + 1) % 4;
	snprintf(buf[n], sizeof(buf[n]), "%s/%s", KAIRAN_FIXTURES, rel);
	return buf[n];
}

static int
setup(void **state)
{
	char err[512];

	(void)state;
	if ((chain_trust = trust_new(fx("root/ca.pem"), NULL, err,
	    sizeof(err))) == NULL ||
	    (crl_trust = trust_new(fx("root/ca.pem"), fx("crl.pem"), err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "trust_new: %s\n", err);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	trust_free(chain_trust);
	trust_free(crl_trust);
	return 0;
}

/* A report of the entity whose chain and key are in DIR, created at. */
static uint8_t *
sealed(const char *dir, const char *sender, int64_t created, size_t *len)
{
	static char r0[] = "450006";
	static char *to[] = { r0 };
	static char title[] = "職員端末のマルウェア感染";
	char chain[256], key[256], err[512];
	struct signer *sg;
	Message m;
	IncidentReport r;
	uint8_t id[KAIRAN_ID_LEN], iid[KAIRAN_ID_LEN], *buf;

	snprintf(chain, sizeof(chain), "%s/chain.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	if ((sg = signer_new(fx(chain), fx(key), err, sizeof(err))) == NULL)
		fail_msg("signer %s: %s", dir, err);
	kairan__v1__message__init(&m);
	kairan__v1__incident_report__init(&r);
	assert_int_equal(message_id_new(id), 0);
	assert_int_equal(message_id_new(iid), 0);
	m.id.data = id;
	m.id.len = KAIRAN_ID_LEN;
	m.sender = (char *)(uintptr_t)sender;
	m.recipients = to;
	m.n_recipients = 1;
	m.created_at_ms = created;
	m.status = KAIRAN__V1__STATUS__EXERCISE;
	m.body_case = KAIRAN__V1__MESSAGE__BODY_REPORT;
	m.report = &r;
	r.incident_id.data = iid;
	r.incident_id.len = KAIRAN_ID_LEN;
	r.report_no = 1;
	r.phase = KAIRAN__V1__INCIDENT_REPORT__PHASE__INITIAL;
	r.category = KAIRAN__V1__INCIDENT_REPORT__CATEGORY__CYBER_ATTACK;
	r.level = 3;
	r.title = title;
	if (envelope_seal(sg, &m, &buf, len, NULL, err, sizeof(err)) != 0)
		fail_msg("seal: %s", err);
	signer_free(sg);
	return buf;
}

static void
refused(const uint8_t *buf, size_t len, struct trust *crls, int want,
    const char *needle)
{
	struct envelope_info info;
	struct archive_info ai;
	char err[1024];
	int reason = -1;

	assert_int_equal(archive_verify(chain_trust, crls, buf, len,
	    KAIRAN_MAX_FRAME, 0, &info, &ai, &reason, err, sizeof(err)), -1);
	assert_null(info.msg);
	if (reason != want)
		fail_msg("reason %d, want %d: %s", reason, want, err);
	if (strstr(err, needle) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, needle);
}

static void
test_fresh_verifies(void **state)
{
	struct envelope_info info;
	struct archive_info ai;
	int64_t now = message_now_ms();
	char err[1024];
	uint8_t *buf;
	size_t len;
	int reason = -1;

	(void)state;
	buf = sealed("entities/452017", "452017", now - 1000, &len);
	assert_int_equal(archive_verify(chain_trust, crl_trust, buf, len,
	    KAIRAN_MAX_FRAME, 0, &info, &ai, &reason, err, sizeof(err)), 0);
	assert_string_equal(info.signer.entity, "452017");
	assert_int_equal(ai.signed_at, now - 1000);
	assert_true(ai.not_before <= now && ai.not_after > now);
	assert_int_equal(ai.expired, 0);
	assert_int_equal(ai.revoked_at, 0);
	assert_true(ai.ncrls >= 1);	/* CA 45's and the root's */
	envelope_info_clear(&info);
	/* without CRLs: no revocation consulted */
	assert_int_equal(archive_verify(chain_trust, NULL, buf, len,
	    KAIRAN_MAX_FRAME, 0, &info, &ai, &reason, err, sizeof(err)), 0);
	assert_int_equal(ai.ncrls, 0);
	envelope_info_clear(&info);
	/* a changed byte of the message id (the Envelope's first field,
	 * the Message's first): the signature no longer verifies */
	buf[10] ^= 0x01;
	refused(buf, len, crl_trust, REASON(BAD_SIGNATURE),
	    "envelope.signature: does not verify");
	free(buf);
}

static void
test_signing_time_is_judged(void **state)
{
	int64_t now = message_now_ms();
	uint8_t *buf;
	size_t len;

	(void)state;
	/* in the future: no way round the validity */
	buf = sealed("entities/452017", "452017", now + 2 * DAY_MS, &len);
	refused(buf, len, crl_trust, REASON(INVALID_FIELD),
	    "message.created_at_ms: signed at ");
	free(buf);
	/* before the fixture's certificates existed: not yet valid then */
	buf = sealed("entities/452017", "452017", now - 7300 * DAY_MS, &len);
	refused(buf, len, crl_trust, REASON(BAD_CERTIFICATE),
	    "(as of the signing time ");
	free(buf);
	/* a message without its time: nothing to verify it at */
	buf = sealed("entities/452017", "452017", 0, &len);
	refused(buf, len, crl_trust, REASON(INVALID_FIELD), "created_at");
	free(buf);
}

static void
test_revoked_before_signing(void **state)
{
	uint8_t *buf;
	size_t len;

	(void)state;
	/* 452033 was revoked when the fixture was made, before this */
	buf = sealed("bad/revoked", "452033", message_now_ms(), &len);
	refused(buf, len, crl_trust, REASON(REVOKED),
	    "before the signing time");
	free(buf);
}

static void
test_bounds(void **state)
{
	static const uint8_t junk[] = { 0xff, 0xff, 0xff };
	struct envelope_info info;
	struct archive_info ai;
	char err[256];
	int reason = -1;

	(void)state;
	assert_int_equal(archive_verify(chain_trust, crl_trust, junk,
	    sizeof(junk), 2, 0, &info, &ai, &reason, err, sizeof(err)), -1);
	assert_int_equal(reason, REASON(TOO_LARGE));
	assert_int_equal(archive_verify(chain_trust, crl_trust, junk,
	    sizeof(junk), KAIRAN_MAX_FRAME, 0, &info, &ai, &reason, err,
	    sizeof(err)), -1);
	assert_int_equal(reason, REASON(MALFORMED));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_verifies),
		cmocka_unit_test(test_signing_time_is_judged),
		cmocka_unit_test(test_revoked_before_signing),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
