/*
 * Unit tests of relay/tickets.c: the session ticket key file is created
 * 0600 with one key, read back the same, refused when others may read it
 * or when it does not parse (naming the file and line), and rotated on
 * schedule: a new key issues after the rotation, the old one is accepted
 * for one more rotation and then not at all. Time is passed in, never
 * waited for.
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tickets.h"

#define T0	1764600000LL	/* a fixed "now" */
#define ROT	3600

static char dir[256], path[300];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/kairan-tickets.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/relay.db-tickets", dir);
	return 0;
}

static int
teardown(void **state)
{
	char p[320];

	(void)state;
	unlink(path);
	snprintf(p, sizeof(p), "%s.new", path);
	unlink(p);
	rmdir(dir);
	return 0;
}

static void
write_file(const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void
test_created_0600_and_read_back(void **state)
{
	struct tickets *t, *u;
	struct ticket_key k;
	struct stat st;
	char err[512];
	int renew = -1;

	(void)state;
	t = tickets_open(path, ROT, T0, err, sizeof(err));
	assert_non_null(t);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	k = *tickets_current(t);
	assert_int_equal(k.created, T0);
	assert_int_equal(tickets_next(t), T0 + ROT);
	/* a restart reads the same key and writes nothing */
	u = tickets_open(path, ROT, T0 + 10, err, sizeof(err));
	assert_non_null(u);
	assert_memory_equal(tickets_current(u), &k, sizeof(k));
	assert_ptr_equal(tickets_find(u, k.name, T0 + 10, &renew),
	    tickets_current(u));
	assert_int_equal(renew, 0);
	tickets_free(t);
	tickets_free(u);
}

static void
test_rotation_window(void **state)
{
	struct tickets *t, *u;
	struct ticket_key first;
	uint8_t unknown[TICKET_NAME_LEN] = { 0 };
	char err[512];
	int renew = -1;

	(void)state;
	t = tickets_open(path, ROT, T0, err, sizeof(err));
	assert_non_null(t);
	first = *tickets_current(t);
	assert_int_equal(tickets_rotate(t, T0 + ROT - 1, err, sizeof(err)), 0);
	assert_null(tickets_find(t, unknown, T0, &renew));
	/* after the rotation: a new current, the first still accepted */
	assert_int_equal(tickets_rotate(t, T0 + ROT, err, sizeof(err)), 1);
	assert_int_equal(tickets_generation(t), 1);
	assert_memory_not_equal(tickets_current(t)->name, first.name,
	    TICKET_NAME_LEN);
	assert_int_equal(tickets_current(t)->created, T0 + ROT);
	assert_non_null(tickets_find(t, first.name, T0 + ROT + 1, &renew));
	assert_int_equal(renew, 1);	/* resumed on the previous key */
	/* written: a restart sees both */
	u = tickets_open(path, ROT, T0 + ROT + 1, err, sizeof(err));
	assert_non_null(u);
	assert_non_null(tickets_find(u, first.name, T0 + ROT + 1, &renew));
	tickets_free(u);
	/* the first key's window ends at two rotations, even unrotated */
	assert_null(tickets_find(t, first.name, T0 + 2 * ROT, &renew));
	assert_int_equal(tickets_next(t), T0 + 2 * ROT);
	assert_int_equal(tickets_rotate(t, T0 + 2 * ROT, err, sizeof(err)),
	    1);
	u = tickets_open(path, ROT, T0 + 2 * ROT, err, sizeof(err));
	assert_non_null(u);
	assert_null(tickets_find(u, first.name, T0 + 2 * ROT, &renew));
	tickets_free(u);
	tickets_free(t);
}

static void
test_down_longer_than_the_window(void **state)
{
	struct tickets *t;
	struct ticket_key first;
	char err[512];
	int renew;

	(void)state;
	t = tickets_open(path, ROT, T0, err, sizeof(err));
	assert_non_null(t);
	first = *tickets_current(t);
	tickets_free(t);
	/* started again three rotations later: only a fresh key */
	t = tickets_open(path, ROT, T0 + 3 * ROT, err, sizeof(err));
	assert_non_null(t);
	assert_int_equal(tickets_current(t)->created, T0 + 3 * ROT);
	assert_null(tickets_find(t, first.name, T0 + 3 * ROT, &renew));
	assert_int_equal(tickets_next(t), T0 + 4 * ROT);
	tickets_free(t);
}

/* a key "from the future" (the clock stepped back since): replaced now */
static void
test_a_future_key_rotates_at_once(void **state)
{
	struct tickets *t;
	char err[512];

	(void)state;
	t = tickets_open(path, ROT, T0 + 5 * ROT, err, sizeof(err));
	assert_non_null(t);
	tickets_free(t);
	t = tickets_open(path, ROT, T0, err, sizeof(err));
	assert_non_null(t);
	assert_int_equal(tickets_current(t)->created, T0);
	assert_int_equal(tickets_next(t), T0 + ROT);
	tickets_free(t);
}

static void
test_bad_files_refused(void **state)
{
	char err[512];
	const char *good = "1764600000 00112233445566778899aabbccddeeff "
	    "0000000000000000000000000000000000000000000000000000000000000000 "
	    "1111111111111111111111111111111111111111111111111111111111111111\n";

	(void)state;
	write_file(good, 0644);
	assert_null(tickets_open(path, ROT, T0, err, sizeof(err)));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "mode 0644, want 0600"));
	write_file("# comment\n1764600000 0011 00 11\n", 0600);
	assert_null(tickets_open(path, ROT, T0, err, sizeof(err)));
	assert_non_null(strstr(err, "relay.db-tickets:2: expected CREATED "
	    "NAME AES HMAC"));
	write_file("x 00112233445566778899aabbccddeeff\n", 0600);
	assert_null(tickets_open(path, ROT, T0, err, sizeof(err)));
	assert_non_null(strstr(err, ":1: expected"));
	/* and nothing was changed by a refusal */
	write_file("1764600000 zz112233445566778899aabbccddeeff "
	    "0000000000000000000000000000000000000000000000000000000000000000 "
	    "1111111111111111111111111111111111111111111111111111111111111111\n",
	    0600);
	assert_null(tickets_open(path, ROT, T0, err, sizeof(err)));
	write_file(good, 0600);
	{
		struct tickets *t = tickets_open(path, ROT, T0, err,
		    sizeof(err));
		uint8_t name[TICKET_NAME_LEN] = { 0x00, 0x11, 0x22, 0x33, 0x44,
		    0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
		    0xff };
		int renew;

		assert_non_null(t);
		assert_non_null(tickets_find(t, name, T0, &renew));
		assert_int_equal(tickets_current(t)->aes[0], 0);
		assert_int_equal(tickets_current(t)->hmac[31], 0x11);
		tickets_free(t);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_created_0600_and_read_back,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation_window, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_down_longer_than_the_window,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_future_key_rotates_at_once,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_files_refused, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
