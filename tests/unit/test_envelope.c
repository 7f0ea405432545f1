/*
 * Unit tests of envelope: sealing, and verification with every rule broken
 * on purpose (tampered bytes, another key, sender not the signer, revoked,
 * expired, not yet valid, unknown root, identity rules, bounds, bad DER,
 * unparsable or invalid message), on the fixture PKI (KAIRAN_FIXTURES);
 * the verification caches (growing past their old fixed size, a new signer
 * under a known intermediate) and the chain cache seeded from a TLS
 * handshake's chain, with every rule still applied behind it.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "kairan/envelope.h"
#include "kairan/frame.h"

#ifndef KAIRAN_FIXTURES
#error KAIRAN_FIXTURES must name the directory made by tests/unit/mkpki.sh
#endif

#define REASON(x)	KAIRAN__V1__REFUSED__REASON__##x

static struct trust *trust;

static const char *
fx(const char *rel)
{
	static char buf[8][1024];
	static int n;

	n = (n + 1) % 8;
	snprintf(buf[n], sizeof(buf[n]), "%s/%s", KAIRAN_FIXTURES, rel);
	return buf[n];
}

static int
setup(void **state)
{
	char err[512];

	(void)state;
	trust = trust_new(fx("root/ca.pem"), fx("crl.pem"), err, sizeof(err));
	if (trust == NULL) {
		fprintf(stderr, "trust_new: %s\n", err);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	trust_free(trust);
	return 0;
}

static struct signer *
signer_dir(const char *dir)
{
	struct signer *s;
	char chain[256], key[256], err[512];

	snprintf(chain, sizeof(chain), "%s/chain.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	s = signer_new(fx(chain), fx(key), err, sizeof(err));
	if (s == NULL)
		fail_msg("signer_new %s: %s", dir, err);
	return s;
}

/* A valid report from sender to 450006 and mic, in static storage. */
struct tmsg {
	Message		m;
	IncidentReport	r;
	char		*recips[2];
	char		sender[40];
	uint8_t		id[16], iid[16];
};

static char S_R0[] = "450006";
static char S_R1[] = "mic";
static char S_SUMMARY[] = "ランサムウェア感染の疑い。対象サーバをネットワークから隔離した。";

static void
tmsg_init(struct tmsg *t, const char *sender)
{
	memset(t, 0, sizeof(*t));
	kairan__v1__message__init(&t->m);
	kairan__v1__incident_report__init(&t->r);
	assert_int_equal(message_id_new(t->id), 0);
	memset(t->iid, 0x22, sizeof(t->iid));
	snprintf(t->sender, sizeof(t->sender), "%s", sender);
	t->m.id.data = t->id;
	t->m.id.len = 16;
	t->m.sender = t->sender;
	/* 450006 and mic, without the sender itself */
	if (strcmp(sender, S_R0) != 0)
		t->recips[t->m.n_recipients++] = S_R0;
	if (strcmp(sender, S_R1) != 0)
		t->recips[t->m.n_recipients++] = S_R1;
	t->m.recipients = t->recips;
	t->m.created_at_ms = message_now_ms();
	t->m.status = KAIRAN__V1__STATUS__EXERCISE;
	t->m.body_case = KAIRAN__V1__MESSAGE__BODY_REPORT;
	t->m.report = &t->r;
	t->r.incident_id.data = t->iid;
	t->r.incident_id.len = 16;
	t->r.report_no = 1;
	t->r.phase = KAIRAN__V1__INCIDENT_REPORT__PHASE__INITIAL;
	t->r.category = KAIRAN__V1__INCIDENT_REPORT__CATEGORY__CYBER_ATTACK;
	t->r.level = 3;
	t->r.summary = S_SUMMARY;
}

/* Seals a fresh report of signer s as sender. */
static uint8_t *
seal(struct signer *s, const char *sender, size_t *len,
    uint8_t digest[KAIRAN_DIGEST_LEN])
{
	struct tmsg t;
	uint8_t *buf;
	char err[512];

	tmsg_init(&t, sender);
	if (envelope_seal(s, &t.m, &buf, len, digest, err, sizeof(err)) != 0)
		fail_msg("seal: %s", err);
	return buf;
}

/* Verifies buf and expects failure with reason and err containing want. */
static void
expect_refused(const uint8_t *buf, size_t len, int64_t now_ms,
    int want_reason, const char *want)
{
	struct envelope_info info;
	char err[1024] = "";
	int reason = -1;

	if (envelope_verify_bytes(trust, buf, len, KAIRAN_MAX_FRAME, now_ms,
	    &info, &reason, err, sizeof(err)) == 0) {
		envelope_info_clear(&info);
		fail_msg("envelope unexpectedly verified (want \"%s\")", want);
	}
	assert_null(info.msg);
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" does not contain \"%s\"", err, want);
	if (reason != want_reason)
		fail_msg("reason %s, want %s (%s)", frame_reason_name(reason),
		    frame_reason_name(want_reason), err);
}

static void
expect_verified(const uint8_t *buf, size_t len, struct envelope_info *info)
{
	char err[1024] = "";
	int reason = -1;

	if (envelope_verify_bytes(trust, buf, len, KAIRAN_MAX_FRAME, 0, info,
	    &reason, err, sizeof(err)) != 0)
		fail_msg("envelope refused (%s): %s",
		    frame_reason_name(reason), err);
}

static void
test_seal_verify(void **state)
{
	struct signer *s;
	struct envelope_info info;
	Envelope *env;
	uint8_t *buf, digest[32], md[32], id[16];
	size_t len;

	(void)state;
	s = signer_dir("entities/452017");
	assert_string_equal(signer_entity(s), "452017");
	buf = seal(s, "452017", &len, digest);
	expect_verified(buf, len, &info);
	assert_string_equal(info.signer.entity, "452017");
	assert_int_equal(info.signer.role, ROLE_NODE);
	assert_string_equal(info.signer.ca, "45");
	assert_string_equal(info.msg->sender, "452017");
	assert_int_equal(info.msg->status, KAIRAN__V1__STATUS__EXERCISE);
	assert_string_equal(info.msg->report->summary, S_SUMMARY);
	assert_int_equal(info.msg->report->level, 3);
	/* digest = SHA-256 of exactly Envelope.message */
	env = kairan__v1__envelope__unpack(NULL, len, buf);
	assert_non_null(env);
	assert_int_equal(env->n_cert_chain, 2);
	SHA256(env->message.data, env->message.len, md);
	assert_memory_equal(info.digest, md, 32);
	assert_memory_equal(digest, md, 32);
	assert_int_equal(envelope_peek_id(env, id), 0);
	assert_memory_equal(id, info.msg->id.data, 16);
	kairan__v1__envelope__free_unpacked(env, NULL);
	envelope_info_clear(&info);
	assert_null(info.msg);
	envelope_info_clear(NULL);
	free(buf);
	signer_free(s);
	signer_free(NULL);
}

static void
test_all_good_signers(void **state)
{
	static const char *ids[] = { "450006", "452025", "131083", "131024",
	    "mic", "nisc", "relay-45", "relay-13" };
	struct signer *s;
	struct envelope_info info;
	uint8_t *buf;
	size_t len, i;
	char dir[64];

	(void)state;
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		snprintf(dir, sizeof(dir), "entities/%s", ids[i]);
		s = signer_dir(dir);
		buf = seal(s, ids[i], &len, NULL);
		expect_verified(buf, len, &info);
		assert_string_equal(info.signer.entity, ids[i]);
		envelope_info_clear(&info);
		free(buf);
		signer_free(s);
	}
	/* a certificate made by hand to the same profile signs as well */
	s = signer_dir("bad/handmade");
	buf = seal(s, signer_entity(s), &len, NULL);
	expect_verified(buf, len, &info);
	envelope_info_clear(&info);
	free(buf);
	signer_free(s);
}

/* Sealed, then unpacked so that a test can change it and pack it again. */
static Envelope *
sealed_env(struct signer *s, const char *sender)
{
	Envelope *env;
	uint8_t *buf;
	size_t len;

	buf = seal(s, sender, &len, NULL);
	env = kairan__v1__envelope__unpack(NULL, len, buf);
	assert_non_null(env);
	free(buf);
	return env;
}

static void
expect_env_refused(const Envelope *env, int64_t now_ms, int want_reason,
    const char *want)
{
	uint8_t *buf;
	size_t len;

	len = kairan__v1__envelope__get_packed_size(env);
	buf = malloc(len + 1);
	kairan__v1__envelope__pack(env, buf);
	expect_refused(buf, len, now_ms, want_reason, want);
	free(buf);
}

static void
test_tampered(void **state)
{
	struct signer *s;
	Envelope *env;
	uint8_t *p;

	(void)state;
	s = signer_dir("entities/452017");
	env = sealed_env(s, "452017");
	/* one byte of the summary text changes: still a valid Message */
	p = memmem(env->message.data, env->message.len, "ランサム",
	    strlen("ランサム"));
	assert_non_null(p);
	memcpy(p, "ウイルス", strlen("ウイルス"));
	expect_env_refused(env, 0, REASON(BAD_SIGNATURE),
	    "envelope.signature: does not verify");
	/* the last byte flipped */
	memcpy(p, "ランサム", strlen("ランサム"));
	env->message.data[env->message.len - 1] ^= 0x01;
	expect_env_refused(env, 0, REASON(BAD_SIGNATURE), "signature");
	env->message.data[env->message.len - 1] ^= 0x01;
	/* the signature itself altered */
	env->signature.data[env->signature.len - 1] ^= 0x01;
	expect_env_refused(env, 0, REASON(BAD_SIGNATURE), "signature");
	kairan__v1__envelope__free_unpacked(env, NULL);
	signer_free(s);
}

static void
test_another_key(void **state)
{
	struct signer *a, *b;
	Envelope *ea, *eb;
	ProtobufCBinaryData *tmp;
	size_t n;

	(void)state;
	a = signer_dir("entities/452017");
	b = signer_dir("entities/452025");
	/* message of 452017 signed by 452025's key, presenting 452017's chain */
	ea = sealed_env(a, "452017");
	eb = sealed_env(b, "452017");
	tmp = eb->cert_chain;
	n = eb->n_cert_chain;
	eb->cert_chain = ea->cert_chain;
	eb->n_cert_chain = ea->n_cert_chain;
	expect_env_refused(eb, 0, REASON(BAD_SIGNATURE),
	    "does not verify with the key of 452017");
	eb->cert_chain = tmp;
	eb->n_cert_chain = n;
	kairan__v1__envelope__free_unpacked(ea, NULL);
	kairan__v1__envelope__free_unpacked(eb, NULL);
	signer_free(a);
	signer_free(b);
}

static void
test_sender_mismatch(void **state)
{
	struct signer *s;
	uint8_t *buf;
	size_t len;

	(void)state;
	s = signer_dir("entities/452017");
	buf = seal(s, "452025", &len, NULL);
	expect_refused(buf, len, 0, REASON(SENDER_MISMATCH),
	    "message.sender: 452025 is not the signer 452017");
	free(buf);
	signer_free(s);
	/* a relay may not speak for a node either */
	s = signer_dir("entities/relay-45");
	buf = seal(s, "452017", &len, NULL);
	expect_refused(buf, len, 0, REASON(SENDER_MISMATCH), "relay-45");
	free(buf);
	signer_free(s);
}

static void
test_bad_certificates(void **state)
{
	static const struct {
		const char	*dir;
		int		 reason;
		const char	*want;
	} bad[] = {
		{ "bad/revoked", REASON(REVOKED), "revoked" },
		{ "bad/expired", REASON(BAD_CERTIFICATE), "expired" },
		{ "bad/notyet", REASON(BAD_CERTIFICATE), "not yet valid" },
		{ "bad/unknown-root", REASON(BAD_CERTIFICATE), "cert_chain" },
		{ "bad/pref13-by-45", REASON(BAD_CERTIFICATE),
		    "of prefecture 13 but issued by CA 45" },
		{ "bad/relay-wrong-ca", REASON(BAD_CERTIFICATE),
		    "issued by CA" },
		{ "bad/national-for-code", REASON(BAD_CERTIFICATE),
		    "issued by CA national" },
		{ "bad/wrong-role", REASON(BAD_CERTIFICATE), "OU" },
		{ "bad/no-ou", REASON(BAD_CERTIFICATE), "no OU" },
		/* the role must fit the name */
		{ "bad/relay-role-code", REASON(BAD_CERTIFICATE),
		    "envelope.cert_chain: certificate 452017: role relay needs "
		    "a relay-PP name" },
		{ "bad/relay-role-national", REASON(BAD_CERTIFICATE),
		    "certificate nisc: role relay needs a relay-PP name" },
		{ "bad/node-role-relay-name", REASON(BAD_CERTIFICATE),
		    "certificate relay-45: role node needs a 6-digit code" },
		{ "bad/operator-role-code", REASON(BAD_CERTIFICATE),
		    "certificate 452017: role operator needs a name of its own" },
	};
	struct signer *s;
	uint8_t *buf;
	size_t len, i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s = signer_dir(bad[i].dir);
		buf = seal(s, signer_entity(s), &len, NULL);
		expect_refused(buf, len, 0, bad[i].reason, bad[i].want);
		free(buf);
		signer_free(s);
	}
}

/*
 * An operator's certificate is a valid certificate, but never the signer of
 * a message: refused as NOT_AUTHORIZED, at the current time (through the
 * verification cache, twice) and as of a given time.
 */
static void
test_operator_never_signs(void **state)
{
	struct signer *s;
	uint8_t *buf;
	size_t len;

	(void)state;
	s = signer_dir("entities/ops-45");
	buf = seal(s, "ops-45", &len, NULL);
	expect_refused(buf, len, 0, REASON(NOT_AUTHORIZED),
	    "envelope.cert_chain: certificate ops-45 has role operator, which "
	    "may not sign messages");
	expect_refused(buf, len, 0, REASON(NOT_AUTHORIZED), "role operator");
	expect_refused(buf, len, message_now_ms(), REASON(NOT_AUTHORIZED),
	    "role operator");
	free(buf);
	signer_free(s);
}

/*
 * A signer refuses to load a certificate whose CN is no entity id (so these
 * cannot even be sealed; trust_verify's refusal is tested in test_trust).
 */
static void
test_bad_cn_signer(void **state)
{
	char err[512];
	struct signer *s;

	(void)state;
	s = signer_new(fx("bad/bad-checkdigit/chain.pem"),
	    fx("bad/bad-checkdigit/key.pem"), err, sizeof(err));
	assert_null(s);
	assert_non_null(strstr(err, "bad check digit"));
	s = signer_new(fx("bad/two-cn/chain.pem"), fx("bad/two-cn/key.pem"),
	    err, sizeof(err));
	assert_null(s);
	assert_non_null(strstr(err, "more than one CN"));
}

/* The time of verification is a parameter: envelopes are checked "as of". */
static void
test_now(void **state)
{
	struct signer *s;
	uint8_t *buf;
	size_t len;

	(void)state;
	s = signer_dir("entities/452017");
	buf = seal(s, "452017", &len, NULL);
	expect_refused(buf, len, 946684800000LL, REASON(BAD_CERTIFICATE),
	    "not yet valid");
	expect_refused(buf, len, 4102444800000LL, REASON(BAD_CERTIFICATE),
	    "cert_chain");
	free(buf);
	signer_free(s);
}

static void
test_bounds_and_der(void **state)
{
	struct signer *s;
	Envelope *env;
	ProtobufCBinaryData *chain, five[5], junk, one;
	uint8_t *trail, *orig;
	size_t n, i;

	(void)state;
	s = signer_dir("entities/452017");
	env = sealed_env(s, "452017");
	chain = env->cert_chain;
	n = env->n_cert_chain;

	env->signature.len = 0;
	expect_env_refused(env, 0, REASON(INVALID_FIELD),
	    "envelope.signature: 0 bytes");
	{
		static uint8_t sig81[81];

		orig = env->signature.data;
		env->signature.data = sig81;
		env->signature.len = 81;
	}
	expect_env_refused(env, 0, REASON(INVALID_FIELD),
	    "envelope.signature: 81 bytes");
	env->signature.data = orig;	/* protobuf-c frees its own */
	kairan__v1__envelope__free_unpacked(env, NULL);

	env = sealed_env(s, "452017");
	chain = env->cert_chain;
	n = env->n_cert_chain;
	env->n_cert_chain = 0;
	expect_env_refused(env, 0, REASON(INVALID_FIELD),
	    "envelope.cert_chain: 0 certificates");
	for (i = 0; i < 5; i++)
		five[i] = chain[i % 2];
	env->cert_chain = five;
	env->n_cert_chain = 5;
	expect_env_refused(env, 0, REASON(INVALID_FIELD),
	    "envelope.cert_chain: 5 certificates");
	/* the leaf alone does not chain */
	env->cert_chain = chain;
	env->n_cert_chain = 1;
	expect_env_refused(env, 0, REASON(BAD_CERTIFICATE), "cert_chain");
	/* not DER */
	junk.data = (uint8_t *)"\x30\x03\x02\x01";
	junk.len = 4;
	five[0] = junk;
	five[1] = chain[1];
	env->cert_chain = five;
	env->n_cert_chain = 2;
	expect_env_refused(env, 0, REASON(BAD_CERTIFICATE),
	    "envelope.cert_chain[0]: not a DER certificate");
	/* DER with trailing bytes */
	trail = malloc(chain[0].len + 1);
	memcpy(trail, chain[0].data, chain[0].len);
	trail[chain[0].len] = 0;
	one.data = trail;
	one.len = chain[0].len + 1;
	five[0] = one;
	expect_env_refused(env, 0, REASON(BAD_CERTIFICATE),
	    "envelope.cert_chain[0]: trailing bytes");
	free(trail);
	/* leaf and intermediate swapped */
	five[0] = chain[1];
	five[1] = chain[0];
	expect_env_refused(env, 0, REASON(BAD_CERTIFICATE), "cert_chain");
	env->cert_chain = chain;
	env->n_cert_chain = n;
	/* an empty message */
	env->message.len = 0;
	expect_env_refused(env, 0, REASON(INVALID_FIELD),
	    "envelope.message: empty");
	kairan__v1__envelope__free_unpacked(env, NULL);
	signer_free(s);
}

/* Builds an Envelope over arbitrary message bytes, signed with dir's key. */
static uint8_t *
sign_raw(const char *dir, const uint8_t *msg, size_t msglen, size_t *outlen)
{
	struct signer *s;
	Envelope *tmpl, env;
	EVP_PKEY *key;
	EVP_MD_CTX *ctx;
	FILE *fp;
	char rel[256];
	uint8_t sig[128], *out;
	size_t siglen = sizeof(sig);

	s = signer_dir(dir);
	tmpl = sealed_env(s, signer_entity(s));
	snprintf(rel, sizeof(rel), "%s/key.pem", dir);
	fp = fopen(fx(rel), "r");
	assert_non_null(fp);
	key = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	assert_non_null(key);
	ctx = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL,
	    key), 1);
	assert_int_equal(EVP_DigestSign(ctx, sig, &siglen, msg, msglen), 1);
	kairan__v1__envelope__init(&env);
	env.message.data = (uint8_t *)(uintptr_t)msg;
	env.message.len = msglen;
	env.signature.data = sig;
	env.signature.len = siglen;
	env.cert_chain = tmpl->cert_chain;
	env.n_cert_chain = tmpl->n_cert_chain;
	*outlen = kairan__v1__envelope__get_packed_size(&env);
	out = malloc(*outlen);
	kairan__v1__envelope__pack(&env, out);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	kairan__v1__envelope__free_unpacked(tmpl, NULL);
	signer_free(s);
	return out;
}

static void
test_signed_but_bad_message(void **state)
{
	static const uint8_t junk[] = { 0xff, 0xff, 0xff, 0xff, 0x0f };
	struct signer *s;
	struct tmsg t;
	uint8_t *buf;
	size_t len;
	char err[256];

	(void)state;
	/* correctly signed bytes that are no protobuf Message */
	buf = sign_raw("entities/452017", junk, sizeof(junk), &len);
	expect_refused(buf, len, 0, REASON(MALFORMED),
	    "not a valid protobuf Message");
	free(buf);
	/* a correctly signed Message that breaks a rule (level 4) */
	s = signer_dir("entities/452017");
	tmsg_init(&t, "452017");
	t.r.level = 4;
	assert_int_equal(envelope_seal(s, &t.m, &buf, &len, NULL, err,
	    sizeof(err)), 0);
	expect_refused(buf, len, 0, REASON(INVALID_FIELD),
	    "report.level: must be 0..3, got 4");
	free(buf);
	/* duplicate recipients */
	tmsg_init(&t, "452017");
	t.recips[1] = t.recips[0];
	assert_int_equal(envelope_seal(s, &t.m, &buf, &len, NULL, err,
	    sizeof(err)), 0);
	expect_refused(buf, len, 0, REASON(INVALID_FIELD),
	    "recipients[1]: duplicate 450006");
	free(buf);
	signer_free(s);
}

static void
test_bytes_level(void **state)
{
	struct signer *s;
	struct envelope_info info;
	uint8_t *buf, id[16];
	size_t len;
	char err[256];
	int reason;
	static const uint8_t junk[] = { 0x0a, 0xff, 0x01 };

	(void)state;
	s = signer_dir("entities/452017");
	buf = seal(s, "452017", &len, NULL);
	assert_int_equal(envelope_verify_bytes(trust, buf, len, len - 1, 0,
	    &info, &reason, err, sizeof(err)), -1);
	assert_int_equal(reason, REASON(TOO_LARGE));
	assert_int_equal(envelope_verify_bytes(trust, buf, len, len, 0, &info,
	    &reason, err, sizeof(err)), 0);
	envelope_info_clear(&info);
	/* truncated: never verifies */
	expect_refused(buf, len - 1, 0, REASON(MALFORMED), "envelope");
	expect_refused(buf, len / 2, 0, REASON(MALFORMED), "envelope");
	free(buf);
	expect_refused(junk, sizeof(junk), 0, REASON(MALFORMED),
	    "envelope: not a valid protobuf Envelope");
	/* peek on something that is no message */
	{
		Envelope e;

		kairan__v1__envelope__init(&e);
		e.message.data = (uint8_t *)(uintptr_t)junk;
		e.message.len = sizeof(junk);
		assert_int_equal(envelope_peek_id(&e, id), -1);
	}
	signer_free(s);
}

/* A relay forwards the stored bytes inside a frame, unchanged. */
static void
test_through_frame(void **state)
{
	struct signer *s;
	struct envelope_info info;
	uint8_t *buf, *fr;
	size_t len, frlen;
	char err[256];
	int reason;
	Frame *f;

	(void)state;
	s = signer_dir("entities/452017");
	buf = seal(s, "452017", &len, NULL);
	assert_int_equal(frame_encode_envelope(buf, len, 16, &fr, &frlen), 0);
	f = frame_decode(fr + 16, frlen, KAIRAN_MAX_FRAME, &reason, err,
	    sizeof(err));
	assert_non_null(f);
	assert_int_equal(f->kind_case, KAIRAN__V1__FRAME__KIND_ENVELOPE);
	if (envelope_verify(trust, f->envelope, 0, &info, &reason, err,
	    sizeof(err)) != 0)
		fail_msg("verify: %s", err);
	assert_string_equal(info.signer.entity, "452017");
	envelope_info_clear(&info);
	frame_free(f);
	free(fr);
	free(buf);
	signer_free(s);
}

/* The verification cache: same bytes, same trust, current time only. */
static void
test_cache(void **state)
{
	struct signer *s;
	struct envelope_info info;
	struct trust *nocrl;
	uint64_t h0, m0, h1, m1;
	uint8_t *buf;
	size_t len;
	char err[512];
	int reason;

	(void)state;
	s = signer_dir("entities/452017");
	buf = seal(s, "452017", &len, NULL);
	envelope_cache_stats(&h0, &m0);
	expect_verified(buf, len, &info);
	envelope_info_clear(&info);
	envelope_cache_stats(&h1, &m1);
	assert_int_equal(h1, h0);
	assert_int_equal(m1, m0 + 1);
	expect_verified(buf, len, &info);	/* the same bytes again: a hit */
	assert_string_equal(info.signer.entity, "452017");
	assert_string_equal(info.msg->sender, "452017");
	envelope_info_clear(&info);
	envelope_cache_stats(&h1, &m1);
	assert_int_equal(h1, h0 + 1);
	/* an explicit time bypasses the cache */
	assert_int_equal(envelope_verify_bytes(trust, buf, len,
	    KAIRAN_MAX_FRAME, message_now_ms(), &info, &reason, err,
	    sizeof(err)), 0);
	envelope_info_clear(&info);
	envelope_cache_stats(&h0, &m0);
	assert_int_equal(h0, h1);
	assert_int_equal(m0, m1);
	free(buf);
	signer_free(s);

	/*
	 * A revoked signer verified under a trust without CRLs is cached
	 * for that trust only: the trust with CRLs refuses the same bytes,
	 * and so does a new trust at the same address (a reload).
	 */
	s = signer_dir("bad/revoked");
	buf = seal(s, signer_entity(s), &len, NULL);
	nocrl = trust_new(fx("root/ca.pem"), NULL, err, sizeof(err));
	assert_non_null(nocrl);
	assert_int_equal(envelope_verify_bytes(nocrl, buf, len,
	    KAIRAN_MAX_FRAME, 0, &info, &reason, err, sizeof(err)), 0);
	envelope_info_clear(&info);
	assert_int_equal(envelope_verify_bytes(nocrl, buf, len,
	    KAIRAN_MAX_FRAME, 0, &info, &reason, err, sizeof(err)), 0);
	envelope_info_clear(&info);
	expect_refused(buf, len, 0, REASON(REVOKED), "revoked");
	assert_true(trust_generation(nocrl) != trust_generation(trust));
	trust_free(nocrl);
	nocrl = trust_new(fx("root/ca.pem"), NULL, err, sizeof(err));
	envelope_cache_stats(&h0, &m0);
	assert_int_equal(envelope_verify_bytes(nocrl, buf, len,
	    KAIRAN_MAX_FRAME, 0, &info, &reason, err, sizeof(err)), 0);
	envelope_info_clear(&info);
	envelope_cache_stats(&h1, &m1);
	assert_int_equal(h1, h0);		/* a miss: new generation */
	trust_free(nocrl);
	free(buf);
	signer_free(s);
}

/*
 * More envelopes than the old fixed table's 4,096 slots: every one of them
 * is a hit the second time (the direct-mapped table lost a third).
 */
static void
test_cache_grows(void **state)
{
	enum { N = 5000 };
	struct signer *s;
	struct envelope_info info;
	uint8_t **buf;
	size_t *len, i;
	uint64_t h0, m0, h1, m1;

	(void)state;
	s = signer_dir("entities/452017");
	buf = calloc(N, sizeof(*buf));
	len = calloc(N, sizeof(*len));
	assert_non_null(buf);
	assert_non_null(len);
	for (i = 0; i < N; i++)
		buf[i] = seal(s, "452017", &len[i], NULL);
	for (i = 0; i < N; i++) {
		expect_verified(buf[i], len[i], &info);
		envelope_info_clear(&info);
	}
	envelope_cache_stats(&h0, &m0);
	for (i = 0; i < N; i++) {
		expect_verified(buf[i], len[i], &info);
		envelope_info_clear(&info);
	}
	envelope_cache_stats(&h1, &m1);
	assert_int_equal(h1 - h0, N);
	assert_int_equal(m1, m0);
	for (i = 0; i < N; i++)
		free(buf[i]);
	free(buf);
	free(len);
	signer_free(s);
}

/*
 * The signer's and the verifier's reused contexts: a sealed envelope's
 * signature is ECDSA P-256 with SHA-256 over the message bytes, checked here
 * with EVP_DigestVerify and the leaf's key, as any other implementation
 * would; signer_sign likewise. On a chain the cache knows (its verification
 * context lent out and given back), a signature of another key, one with a
 * bit flipped and a message changed under a good signature are refused as
 * BAD_SIGNATURE, each time, and the signer's next envelope still verifies.
 */
static void
test_signature_contexts(void **state)
{
	struct signer *s, *other;
	struct envelope_info info;
	Envelope *env, *oe;
	EVP_MD_CTX *c;
	EVP_PKEY *k;
	X509 *leaf;
	const unsigned char *p;
	uint8_t *buf, *obuf, *bad, dg[KAIRAN_DIGEST_LEN], sha[32];
	uint8_t sig[KAIRAN_MAX_SIGNATURE];
	size_t len, olen, blen, siglen;
	char err[512];
	int i;

	(void)state;
	s = signer_dir("entities/452017");
	other = signer_dir("entities/450006");
	buf = seal(s, "452017", &len, dg);
	assert_non_null(env = kairan__v1__envelope__unpack(NULL, len, buf));
	SHA256(env->message.data, env->message.len, sha);
	assert_memory_equal(dg, sha, sizeof(sha));
	p = env->cert_chain[0].data;
	assert_non_null(leaf = d2i_X509(NULL, &p,
	    (long)env->cert_chain[0].len));
	assert_non_null(k = X509_get0_pubkey(leaf));
	assert_non_null(c = EVP_MD_CTX_new());
	assert_int_equal(EVP_DigestVerifyInit(c, NULL, EVP_sha256(), NULL, k),
	    1);
	assert_int_equal(EVP_DigestVerify(c, env->signature.data,
	    env->signature.len, env->message.data, env->message.len), 1);
	assert_int_equal(signer_sign(s, (const uint8_t *)"abc", 3, sig,
	    &siglen, err, sizeof(err)), 0);
	assert_int_equal(EVP_DigestVerifyInit(c, NULL, EVP_sha256(), NULL, k),
	    1);
	assert_int_equal(EVP_DigestVerify(c, sig, siglen,
	    (const uint8_t *)"abc", 3), 1);
	EVP_MD_CTX_free(c);
	X509_free(leaf);

	expect_verified(buf, len, &info);	/* the chain is now cached */
	assert_memory_equal(info.digest, dg, sizeof(dg));
	envelope_info_clear(&info);
	obuf = seal(other, "450006", &olen, NULL);
	assert_non_null(oe = kairan__v1__envelope__unpack(NULL, olen, obuf));
	for (i = 0; i < 3; i++) {
		uint8_t *fresh;
		size_t flen;

		/* 452017's report signed by 450006's key */
		fresh = seal(s, "452017", &flen, NULL);
		kairan__v1__envelope__free_unpacked(env, NULL);
		assert_non_null(env = kairan__v1__envelope__unpack(NULL, flen,
		    fresh));
		{
			ProtobufCBinaryData keep = env->signature;

			env->signature = oe->signature;
			blen = kairan__v1__envelope__get_packed_size(env);
			assert_non_null(bad = malloc(blen));
			kairan__v1__envelope__pack(env, bad);
			expect_refused(bad, blen, 0, REASON(BAD_SIGNATURE),
			    "does not verify with the key of 452017");
			free(bad);
			env->signature = keep;
		}
		/* a flipped bit in the signature's last byte */
		env->signature.data[env->signature.len - 1] ^= 1;
		blen = kairan__v1__envelope__get_packed_size(env);
		assert_non_null(bad = malloc(blen));
		kairan__v1__envelope__pack(env, bad);
		expect_refused(bad, blen, 0, REASON(BAD_SIGNATURE),
		    "does not verify");
		free(bad);
		env->signature.data[env->signature.len - 1] ^= 1;
		/* the message changed under its signature */
		env->message.data[env->message.len - 1] ^= 1;
		blen = kairan__v1__envelope__get_packed_size(env);
		assert_non_null(bad = malloc(blen));
		kairan__v1__envelope__pack(env, bad);
		expect_refused(bad, blen, 0, REASON(BAD_SIGNATURE),
		    "does not verify");
		free(bad);
		/* and the untouched envelope still verifies */
		expect_verified(fresh, flen, &info);
		envelope_info_clear(&info);
		free(fresh);
	}
	kairan__v1__envelope__free_unpacked(env, NULL);
	kairan__v1__envelope__free_unpacked(oe, NULL);
	free(buf);
	free(obuf);
	signer_free(s);
	signer_free(other);
}

static struct trust *
fresh_trust(void)
{
	struct trust *t;
	char err[512];

	if ((t = trust_new(fx("root/ca.pem"), fx("crl.pem"), err,
	    sizeof(err))) == NULL)
		fail_msg("trust_new: %s", err);
	return t;
}

/* Verifies buf with t: 0, or the refusal's reason with err. */
static int
verify_with(struct trust *t, const uint8_t *buf, size_t len, char *err,
    size_t errlen)
{
	struct envelope_info info;
	int reason = -1;

	err[0] = '\0';
	if (envelope_verify_bytes(t, buf, len, KAIRAN_MAX_FRAME, 0, &info,
	    &reason, err, errlen) == 0) {
		envelope_info_clear(&info);
		return 0;
	}
	return reason;
}

/*
 * The first envelope of a signer under an intermediate the trust verified
 * before is checked under it (a hit of the trust's cache), and a revoked
 * signer under it is refused as REVOKED all the same.
 */
static void
test_new_signer_known_intermediate(void **state)
{
	struct signer *a, *b, *r;
	struct trust *t;
	uint8_t *buf;
	size_t len, n;
	uint64_t h, m;
	char err[1024];

	(void)state;
	t = fresh_trust();
	a = signer_dir("entities/452017");
	b = signer_dir("entities/452025");
	r = signer_dir("bad/revoked");
	buf = seal(a, "452017", &len, NULL);
	assert_int_equal(verify_with(t, buf, len, err, sizeof(err)), 0);
	free(buf);
	trust_cache_stats(t, &h, &m, &n);
	assert_int_equal(h, 0);
	assert_int_equal(n, 1);
	buf = seal(b, "452025", &len, NULL);
	assert_int_equal(verify_with(t, buf, len, err, sizeof(err)), 0);
	free(buf);
	trust_cache_stats(t, &h, &m, &n);
	assert_int_equal(h, 1);
	buf = seal(r, signer_entity(r), &len, NULL);
	assert_int_equal(verify_with(t, buf, len, err, sizeof(err)),
	    REASON(REVOKED));
	assert_non_null(strstr(err, "certificate revoked"));
	/* and again: a refusal is never cached */
	assert_int_equal(verify_with(t, buf, len, err, sizeof(err)),
	    REASON(REVOKED));
	free(buf);
	signer_free(a);
	signer_free(b);
	signer_free(r);
	trust_free(t);
}

/*
 * What a relay does at ESTABLISHED: the chain the node presented (leaf,
 * then what it sent after it), checked by the handshake with t's store.
 */
static void
seed_dir(struct trust *t, const char *dir, int with_leaf_copy)
{
	STACK_OF(X509) *sent = sk_X509_new_null();
	struct identity who;
	X509 *leaf = NULL, *x;
	char path[256], err[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/chain.pem", dir);
	assert_non_null(fp = fopen(fx(path), "r"));
	while ((x = PEM_read_X509(fp, NULL, NULL, NULL)) != NULL) {
		if (leaf == NULL) {
			leaf = x;
			if (!with_leaf_copy)
				continue;
			X509_up_ref(x);
		}
		sk_X509_push(sent, x);
	}
	fclose(fp);
	/* the identity as the handshake's check made it (no purpose here) */
	{
		STACK_OF(X509) *rest = sk_X509_dup(sent);

		if (with_leaf_copy)
			(void)sk_X509_shift(rest);
		memset(&who, 0, sizeof(who));
		if (trust_verify(t, leaf, rest, 0, &who, err, sizeof(err)) !=
		    TRUST_OK)
			fail_msg("%s: %s", dir, err);
		sk_X509_free(rest);
	}
	envelope_seed_chain(t, leaf, sent, &who);
	X509_free(leaf);
	sk_X509_pop_free(sent, X509_free);
}

/*
 * A chain seeded from the TLS handshake: the signer's first envelope is a
 * hit of the chain cache. The signature, the sender and the role are
 * checked all the same; another trust (a reload) does not see the seed.
 */
static void
test_seed_chain(void **state)
{
	struct signer *s, *ops;
	struct trust *t, *other;
	Envelope *env;
	uint8_t *buf;
	size_t len, n;
	uint64_t h0, m0, h1, m1, th, tm;
	char err[1024];

	(void)state;
	t = fresh_trust();
	other = fresh_trust();
	s = signer_dir("entities/452025");
	seed_dir(t, "entities/452025", 0);
	/* what the seed's own check cost the trust, and no more after */
	trust_cache_stats(t, &th, &tm, &n);
	envelope_chain_cache_stats(&h0, &m0, &n);
	buf = seal(s, "452025", &len, NULL);
	assert_int_equal(verify_with(t, buf, len, err, sizeof(err)), 0);
	envelope_chain_cache_stats(&h1, &m1, &n);
	assert_int_equal(h1, h0 + 1);
	assert_int_equal(m1, m0);
	{
		uint64_t th1, tm1;

		trust_cache_stats(t, &th1, &tm1, &n);
		assert_int_equal(th1, th);	/* no chain check at all */
		assert_int_equal(tm1, tm);
	}
	/* another trust: a miss, verified in full */
	assert_int_equal(verify_with(other, buf, len, err, sizeof(err)), 0);
	envelope_chain_cache_stats(&h0, &m0, &n);
	assert_int_equal(h0, h1);
	assert_int_equal(m0, m1 + 1);
	free(buf);

	/* the signature is still checked: altered, refused */
	env = sealed_env(s, "452025");
	env->signature.data[env->signature.len - 1] ^= 0x01;
	len = kairan__v1__envelope__get_packed_size(env);
	assert_non_null(buf = malloc(len));
	kairan__v1__envelope__pack(env, buf);
	assert_int_equal(verify_with(t, buf, len, err, sizeof(err)),
	    REASON(BAD_SIGNATURE));
	free(buf);
	kairan__v1__envelope__free_unpacked(env, NULL);
	/* and the sender: 452025's chain cannot speak for 452017 */
	buf = seal(s, "452017", &len, NULL);
	assert_int_equal(verify_with(t, buf, len, err, sizeof(err)),
	    REASON(SENDER_MISMATCH));
	free(buf);

	/* a stack that starts with the leaf is the same chain */
	signer_free(s);
	s = signer_dir("entities/131024");
	seed_dir(t, "entities/131024", 1);
	envelope_chain_cache_stats(&h0, &m0, &n);
	buf = seal(s, "131024", &len, NULL);
	assert_int_equal(verify_with(t, buf, len, err, sizeof(err)), 0);
	envelope_chain_cache_stats(&h1, &m1, &n);
	assert_int_equal(h1, h0 + 1);
	free(buf);

	/* an operator is never seeded: still NOT_AUTHORIZED, from the chain */
	ops = signer_dir("entities/ops-45");
	seed_dir(t, "entities/ops-45", 0);
	buf = seal(ops, "ops-45", &len, NULL);
	envelope_chain_cache_stats(&h0, &m0, &n);
	assert_int_equal(verify_with(t, buf, len, err, sizeof(err)),
	    REASON(NOT_AUTHORIZED));
	envelope_chain_cache_stats(&h1, &m1, &n);
	assert_int_equal(h1, h0);
	free(buf);
	signer_free(ops);
	signer_free(s);
	trust_free(other);
	trust_free(t);
}

struct vworker {
	struct trust	*t;
	uint8_t		*buf[64];
	size_t		 len[64];
	int		 bad;
};

static void *
vworker_run(void *arg)
{
	struct vworker *w = arg;
	char err[1024];
	int i, round;

	for (round = 0; round < 3; round++)
		for (i = 0; i < 64; i++)
			if (verify_with(w->t, w->buf[i], w->len[i], err,
			    sizeof(err)) != 0)
				w->bad++;
	return NULL;
}

/*
 * Four threads verifying on one trust, the caches (envelopes, chains,
 * intermediates) filling and growing under them (TSan: clean).
 */
static void
test_cache_threads(void **state)
{
	static const char *who[] = { "452017", "452025", "131083", "mic" };
	struct signer *s[4];
	struct vworker w[4];
	pthread_t th[4];
	struct trust *t;
	size_t i, k;

	(void)state;
	t = fresh_trust();
	for (k = 0; k < 4; k++) {
		char dir[64];

		snprintf(dir, sizeof(dir), "entities/%s", who[k]);
		s[k] = signer_dir(dir);
	}
	for (i = 0; i < 4; i++) {
		w[i].t = t;
		w[i].bad = 0;
		for (k = 0; k < 64; k++)
			w[i].buf[k] = seal(s[k % 4], who[k % 4], &w[i].len[k],
			    NULL);
	}
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, vworker_run,
		    &w[i]), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(w[i].bad, 0);
		for (k = 0; k < 64; k++)
			free(w[i].buf[k]);
	}
	for (k = 0; k < 4; k++)
		signer_free(s[k]);
	trust_free(t);
}

static void
test_signer_errors(void **state)
{
	char err[512], path[] = "/tmp/kairan-test-rsa-XXXXXX";
	struct signer *s;
	EVP_PKEY *rsa;
	FILE *fp;
	int fd;

	(void)state;
	s = signer_new(fx("entities/452017/chain.pem"),
	    fx("entities/452025/key.pem"), err, sizeof(err));
	assert_null(s);
	assert_non_null(strstr(err, "does not match"));
	s = signer_new("/nonexistent/chain.pem",
	    fx("entities/452017/key.pem"), err, sizeof(err));
	assert_null(s);
	assert_non_null(strstr(err, "/nonexistent/chain.pem"));
	s = signer_new(fx("entities/452017/chain.pem"), "/nonexistent/key.pem",
	    err, sizeof(err));
	assert_null(s);
	/* a key file that holds a certificate */
	s = signer_new(fx("entities/452017/chain.pem"),
	    fx("entities/452017/cert.pem"), err, sizeof(err));
	assert_null(s);
	/* not P-256 */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	rsa = EVP_RSA_gen(2048);
	assert_non_null(rsa);
	PEM_write_PrivateKey(fp, rsa, NULL, NULL, 0, NULL, NULL);
	fclose(fp);
	EVP_PKEY_free(rsa);
	s = signer_new(fx("entities/452017/chain.pem"), path, err,
	    sizeof(err));
	assert_null(s);
	assert_non_null(strstr(err, "not ECDSA P-256"));
	unlink(path);
}

/*
 * A file that cannot be opened is named with the system's reason, not
 * "BIO routines::system lib" (tests run as root, who reads any mode: a
 * missing file and a directory stand in for an unreadable one).
 */
static void
test_signer_open_errors(void **state)
{
	char err[512], dir[] = "/tmp/kairan-test-signer-XXXXXX", want[600];

	(void)state;
	assert_null(signer_new("/nonexistent/chain.pem",
	    fx("entities/452017/key.pem"), err, sizeof(err)));
	assert_string_equal(err, "cannot open /nonexistent/chain.pem: No such "
	    "file or directory");
	assert_null(signer_new(fx("entities/452017/chain.pem"),
	    "/nonexistent/key.pem", err, sizeof(err)));
	assert_string_equal(err, "cannot open /nonexistent/key.pem: No such "
	    "file or directory");
	assert_non_null(mkdtemp(dir));
	assert_null(signer_new(dir, fx("entities/452017/key.pem"), err,
	    sizeof(err)));
	snprintf(want, sizeof(want), "cannot open %s: Is a directory", dir);
	assert_string_equal(err, want);
	assert_null(signer_new(fx("entities/452017/chain.pem"), dir, err,
	    sizeof(err)));
	assert_string_equal(err, want);
	assert_null(strstr(err, "BIO"));
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seal_verify),
		cmocka_unit_test(test_all_good_signers),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_another_key),
		cmocka_unit_test(test_sender_mismatch),
		cmocka_unit_test(test_bad_certificates),
		cmocka_unit_test(test_operator_never_signs),
		cmocka_unit_test(test_bad_cn_signer),
		cmocka_unit_test(test_now),
		cmocka_unit_test(test_bounds_and_der),
		cmocka_unit_test(test_signed_but_bad_message),
		cmocka_unit_test(test_bytes_level),
		cmocka_unit_test(test_through_frame),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_cache_grows),
		cmocka_unit_test(test_signature_contexts),
		cmocka_unit_test(test_new_signer_known_intermediate),
		cmocka_unit_test(test_seed_chain),
		cmocka_unit_test(test_cache_threads),
		cmocka_unit_test(test_signer_errors),
		cmocka_unit_test(test_signer_open_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
