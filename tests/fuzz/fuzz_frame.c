/*
 * libFuzzer harness: frame_decode on arbitrary bytes. Besides "no crash, no
 * leak, no UB", it checks two invariants: a frame that decodes re-encodes to
 * something that decodes again, and an Envelope frame built by
 * frame_encode_envelope (tag and length written by hand) is byte for byte
 * what protobuf-c would write.
 *
 * With KAIRAN_FUZZ_SEED_DIR set, LLVMFuzzerInitialize writes a few valid
 * frames there (tests/fuzz/run.sh uses it to seed the corpus).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kairan/envelope.h"
#include "kairan/frame.h"
#include "kairan/kairan.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
write_seed(const char *dir, const char *name, const uint8_t *buf, size_t len)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "wb")) == NULL)
		return;
	fwrite(buf, 1, len, fp);
	fclose(fp);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const uint8_t id[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
	    13, 14, 15, 16 };
	static const uint8_t env[] = { 0x0a, 0x02, 0x08, 0x01, 0x12, 0x01,
	    0x30, 0x1a, 0x01, 0x30 };
	const char *dir = getenv("KAIRAN_FUZZ_SEED_DIR");
	uint8_t *buf;
	size_t len;

	(void)argc;
	(void)argv;
	if (dir == NULL)
		return 0;
	if (frame_encode_hello("452017", "kairan-node/0.1", 0, &buf, &len) ==
	    0) {
		write_seed(dir, "hello", buf, len);
		free(buf);
	}
	if (frame_encode_accepted(id, 16, 0, &buf, &len) == 0) {
		write_seed(dir, "accepted", buf, len);
		free(buf);
	}
	if (frame_encode_refused(id, 16, 8, "report.level: must be 0..3", 0,
	    &buf, &len) == 0) {
		write_seed(dir, "refused", buf, len);
		free(buf);
	}
	if (frame_encode_envelope(env, sizeof(env), 0, &buf, &len) == 0) {
		write_seed(dir, "envelope", buf, len);
		free(buf);
	}
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
