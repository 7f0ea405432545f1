/*
 * libFuzzer harness: envelope_verify_bytes on arbitrary bytes, against the
 * unit-test PKI (KAIRAN_FIXTURES: the directory made by tests/unit/mkpki.sh).
 * Invariant: whatever verifies has a decoded Message whose sender is the
 * signer, and whose digest is SHA-256 of the message bytes.
 *
 * With KAIRAN_FUZZ_SEED_DIR set, LLVMFuzzerInitialize seals the seed
 * messages of seeds.c with the fixture's 452017 (and one each with other
 * fixture signers) and writes them there, so the fuzzer starts from
 * envelopes that pass every check. The fixture PKI is made afresh by each
 * build, so tests/fuzz/run.sh writes these seeds at every run; the
 * committed corpus (tests/fuzz/corpus/envelope) was sealed under another
 * root and serves as structure to mutate, not as envelopes that verify.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kairan/envelope.h"
#include "kairan/kairan.h"
#include "seeds.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct trust *trust;

struct sealer {
	struct signer	*s;
	const char	*dir;
	const char	*prefix;
};

static void
emit(const char *name, const Message *m, void *arg)
{
	struct sealer *k = arg;
	char fname[128], err[512];
	uint8_t *buf;
	size_t len;

	if (envelope_seal(k->s, m, &buf, &len, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "seal: %s\n", err);
		return;
	}
	snprintf(fname, sizeof(fname), "%s%s", k->prefix, name);
	(void)seed_write(k->dir, fname, buf, len);
	free(buf);
}

/* Only the first seed message ("report-minimal"), for the other signers. */
static void
emit_first(const char *name, const Message *m, void *arg)
{
	if (strcmp(name, "report-minimal") == 0)
		emit(name, m, arg);
}

/*
 * Seals the seed messages with fixture signers: all of them with 452017
 * (they verify, so the fuzzer starts past the signature), and one each with
 * signers that must be refused or treated apart: a relay, an operator
 * (never a signer), a relay role on a code, a revoked and an expired
 * certificate.
 */
static void
seeds(const char *fixtures, const char *dir)
{
	static const struct {
		const char	*path, *prefix;
		int		 all;
	} signers[] = {
		{ "entities/452017", "", 1 },
		{ "entities/relay-45", "relay-", 0 },
		{ "entities/ops-45", "operator-", 0 },
		{ "bad/relay-role-code", "relay-role-code-", 0 },
		{ "bad/revoked", "revoked-", 0 },
		{ "bad/expired", "expired-", 0 },
	};
	char chain[4096], key[4096], err[512];
	struct sealer k;
	size_t i;

	for (i = 0; i < sizeof(signers) / sizeof(signers[0]); i++) {
		snprintf(chain, sizeof(chain), "%s/%s/chain.pem", fixtures,
		    signers[i].path);
		snprintf(key, sizeof(key), "%s/%s/key.pem", fixtures,
		    signers[i].path);
		if ((k.s = signer_new(chain, key, err, sizeof(err))) == NULL) {
			fprintf(stderr, "signer: %s\n", err);
			continue;
		}
		k.dir = dir;
		k.prefix = signers[i].prefix;
		seed_messages(signer_entity(k.s), signers[i].all ? emit :
		    emit_first, &k);
		signer_free(k.s);
	}
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
