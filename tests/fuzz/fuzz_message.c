/*
 * libFuzzer harness: message_decode (unpack, wire string check, validation)
 * on arbitrary bytes. Invariant: a message that decodes re-encodes to bytes
 * that decode again (validation depends on content, not on encoding).
 *
 * With KAIRAN_FUZZ_SEED_DIR set, LLVMFuzzerInitialize writes the seed
 * messages of seeds.c there (valid ones and ones one step past a rule).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kairan/message.h"
#include "seeds.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
emit(const char *name, const Message *m, void *arg)
{
	uint8_t *buf;
	size_t len;

	if (message_encode(m, &buf, &len) != 0)
		return;
	(void)seed_write(arg, name, buf, len);
	free(buf);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *dir = getenv("KAIRAN_FUZZ_SEED_DIR");

	(void)argc;
	(void)argv;
	if (dir != NULL)
		seed_messages("452017", emit, dir);
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
