/*
 * libFuzzer harness: frame_decode on arbitrary bytes. Besides "no crash, no
 * leak, no UB", it checks two invariants: a frame that decodes re-encodes to
 * something that decodes again, and an Envelope frame built by
 * frame_encode_envelope (tag and length written by hand) is byte for byte
 * what protobuf-c would write.
 *
 * With KAIRAN_FUZZ_SEED_DIR set, LLVMFuzzerInitialize writes seed frames
 * there: Hellos, Accepted, a Refused of every reason, and an Envelope frame
 * around every seed message of seeds.c (tests/fuzz/run.sh seeds).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kairan/envelope.h"
#include "kairan/frame.h"
#include "kairan/kairan.h"
#include "seeds.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Writes the frame in buf (no headroom) and frees it. */
static void
put(const char *dir, const char *name, int rc, uint8_t *buf, size_t len)
{
	if (rc != 0)
		return;
	(void)seed_write(dir, name, buf, len);
	free(buf);
}

/*
 * A seed message inside an Envelope frame. The signature and certificate
 * are filler: frame_decode checks only their bounds (the envelope harness
 * has the real ones).
 */
static void
emit(const char *name, const Message *m, void *arg)
{
	static uint8_t sig[70], cert[64];
	Envelope env = KAIRAN__V1__ENVELOPE__INIT;
	ProtobufCBinaryData chain[1];
	uint8_t *msg, *e, *buf;
	size_t msglen, elen, len;
	char fname[80];

	if (message_encode(m, &msg, &msglen) != 0)
		return;
	memset(sig, 0x30, sizeof(sig));
	memset(cert, 0x30, sizeof(cert));
	env.message.data = msg;
	env.message.len = msglen;
	env.signature.data = sig;
	env.signature.len = sizeof(sig);
	chain[0].data = cert;
	chain[0].len = sizeof(cert);
	env.cert_chain = chain;
	env.n_cert_chain = 1;
	elen = kairan__v1__envelope__get_packed_size(&env);
	if ((e = malloc(elen)) != NULL) {
		kairan__v1__envelope__pack(&env, e);
		snprintf(fname, sizeof(fname), "envelope-%s", name);
		put(arg, fname, frame_encode_envelope(e, elen, 0, &buf, &len),
		    buf, len);
		free(e);
	}
	free(msg);
}

static void
seeds(const char *dir)
{
	static const uint8_t id[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
	    13, 14, 15, 16 };
	static const struct {
		const char	*name, *entity, *software;
	} hellos[] = {
		{ "hello-node", "452017", "kairan-node/0.1" },
		{ "hello-relay", "relay-45", "kairan-relay/0.1 (宮崎県)" },
		{ "hello-national", "mic", "" },
		{ "hello-bad-checkdigit", "452018", "kairan-node/0.1" },
		{ "hello-bad-software-newline", "452017",
		    "kairan-node/0.1\naccepted id=00" },
		{ "hello-bad-software-escape", "452017", "\x1b]0;x\x07" },
	};
	uint8_t *buf;
	size_t len, i;
	int r;
	char name[64];

	for (i = 0; i < sizeof(hellos) / sizeof(hellos[0]); i++)
		put(dir, hellos[i].name, frame_encode_hello(hellos[i].entity,
		    hellos[i].software, i == 0 ? KAIRAN_FEATURE_QUEUED_BATCH :
		    0, 0, &buf, &len), buf, len);
	put(dir, "accepted", frame_encode_accepted(id, 16, 0, &buf, &len),
	    buf, len);
	put(dir, "bad-accepted-short", frame_encode_accepted(id, 15, 0, &buf,
	    &len), buf, len);
	for (r = 1; r <= 10; r++) {
		snprintf(name, sizeof(name), "refused-%s",
		    frame_reason_name(r));
		put(dir, name, frame_encode_refused(r == 1 ? NULL : id, 16, r,
		    "report.level: must be 0..3, got 7", 0, &buf, &len), buf,
		    len);
	}
	seed_messages("452017", emit, (void *)(uintptr_t)dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("KAIRAN_FUZZ_SEED_DIR");

	(void)argc;
	(void)argv;
	if (dir != NULL)
		seeds(dir);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	uint8_t *a, *b, *e;
	size_t alen, blen, elen;
	int reason;
	Frame *f, *g;

	f = frame_decode(data, size, KAIRAN_MAX_FRAME, &reason, err,
	    sizeof(err));
	if (f == NULL)
		return 0;
	if (frame_encode(f, 0, &a, &alen) != 0)
		abort();
	g = frame_decode(a, alen, KAIRAN_MAX_FRAME, &reason, err, sizeof(err));
	if (g == NULL) {
		fprintf(stderr, "re-encoded frame refused: %s\n", err);
		abort();
	}
	if (f->kind_case == KAIRAN__V1__FRAME__KIND_ENVELOPE) {
		/* only the envelope: unknown Frame fields are not forwarded */
		Frame only;
		uint8_t *c;
		size_t clen;

		kairan__v1__frame__init(&only);
		only.kind_case = KAIRAN__V1__FRAME__KIND_ENVELOPE;
		only.envelope = f->envelope;
		if (frame_encode(&only, 0, &c, &clen) != 0)
			abort();
		elen = kairan__v1__envelope__get_packed_size(f->envelope);
		if ((e = malloc(elen + 1)) == NULL)
			abort();
		kairan__v1__envelope__pack(f->envelope, e);
		if (frame_encode_envelope(e, elen, 0, &b, &blen) != 0)
			abort();
		if (blen != clen || memcmp(c, b, clen) != 0)
			abort();
		free(c);
		free(b);
		free(e);
	}
	frame_free(g);
	free(a);
	frame_free(f);
	return 0;
}
