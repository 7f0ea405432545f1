/*
 * Unit tests of relay/refcache.c on a real store: a stored message is
 * decoded once and served again with its digest; its recipients are found
 * by binary search, and only they; a message the store does not hold is
 * 0; the least recently used entry makes room, and comes back from the
 * store as it was.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kairan/envelope.h"
#include "kairan/message.h"

#include "refcache.h"
#include "store.h"

struct fx {
	char		 dir[64];
	char		 path[128];
	struct store	*s;
	struct refcache	*c;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256];

	snprintf(f->dir, sizeof(f->dir), "/tmp/kairan-refcache-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/relay.db", f->dir);
	assert_non_null(f->s = store_open(f->path, err, sizeof(err)));
	assert_non_null(f->c = refcache_new());
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[256];

	refcache_free(f->c);
	refcache_free(NULL);
	store_close(f->s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/*
 * Stores a report from 452017 to n recipients ("r0000".. in reverse
 * order, so that sorting matters) inside an Envelope as the relay keeps
 * it; its digest's first byte is tag.
 */
static void
put(struct fx *f, uint8_t id[16], size_t n, uint8_t tag)
{
	Message m = KAIRAN__V1__MESSAGE__INIT;
	IncidentReport r = KAIRAN__V1__INCIDENT_REPORT__INIT;
	Envelope e = KAIRAN__V1__ENVELOPE__INIT;
	uint8_t *mb, *eb, digest[KAIRAN_DIGEST_LEN];
	char **rcpt = calloc(n, sizeof(*rcpt)), err[256];
	int64_t seq;
	size_t i;
	int dup;

	for (i = 0; i < n; i++) {
		rcpt[i] = malloc(24);
		snprintf(rcpt[i], 24, "r%04zu", n - 1 - i);
	}
	assert_int_equal(message_id_new(id), 0);
	m.id.data = id;
	m.id.len = 16;
	m.sender = "452017";
	m.recipients = rcpt;
	m.n_recipients = n;
	m.created_at_ms = 1;
	m.body_case = KAIRAN__V1__MESSAGE__BODY_REPORT;
	m.report = &r;
	mb = malloc(kairan__v1__message__get_packed_size(&m));
	e.message.len = kairan__v1__message__pack(&m, mb);
	e.message.data = mb;
	eb = malloc(kairan__v1__envelope__get_packed_size(&e));
	memset(digest, 0, sizeof(digest));
	digest[0] = tag;
	assert_int_equal(store_begin(f->s, err, sizeof(err)), 0);
	assert_int_equal(store_message_add(f->s, &m, eb,
	    kairan__v1__envelope__pack(&e, eb), digest, "452017", 1000, &dup,
	    &seq, err, sizeof(err)), 0);
	assert_int_equal(store_commit(f->s, err, sizeof(err)), 0);
	for (i = 0; i < n; i++)
		free(rcpt[i]);
	free(rcpt);
	free(mb);
	free(eb);
}

static void
test_decoded_once_and_searched(void **state)
{
	struct fx *f = *state;
	const struct ref *a, *b;
	uint8_t id[16], none[16];
	char err[256], name[24];
	size_t i;

	put(f, id, 1788, 7);
	assert_int_equal(refcache_get(f->c, f->s, id, &a, err, sizeof(err)),
	    1);
	assert_string_equal(a->msg->sender, "452017");
	assert_int_equal(a->msg->n_recipients, 1788);
	assert_int_equal(a->digest[0], 7);
	for (i = 0; i < 1788; i++) {
		snprintf(name, sizeof(name), "r%04zu", i);
		assert_true(refcache_has_recipient(a, name));
	}
	assert_false(refcache_has_recipient(a, "r1788"));
	assert_false(refcache_has_recipient(a, "452017"));
	assert_false(refcache_has_recipient(a, ""));
	/* the same entry again, not decoded anew */
	assert_int_equal(refcache_get(f->c, f->s, id, &b, err, sizeof(err)),
	    1);
	assert_ptr_equal(a, b);
	assert_ptr_equal(a->msg, b->msg);
	assert_int_equal(message_id_new(none), 0);
	assert_int_equal(refcache_get(f->c, f->s, none, &b, err, sizeof(err)),
	    0);
}

static void
test_least_recently_used_goes(void **state)
{
	struct fx *f = *state;
	const struct ref *r;
	uint8_t ids[REFCACHE_MAX + 1][16];
	const Message *first;
	char err[256];
	size_t i;

	for (i = 0; i <= REFCACHE_MAX; i++)
		put(f, ids[i], 3, (uint8_t)i);
	for (i = 0; i < REFCACHE_MAX; i++)
		assert_int_equal(refcache_get(f->c, f->s, ids[i], &r, err,
		    sizeof(err)), 1);
	assert_int_equal(refcache_get(f->c, f->s, ids[0], &r, err,
	    sizeof(err)), 1);
	first = r->msg;
	/* a new one takes the place of ids[1], the least recently used */
	assert_int_equal(refcache_get(f->c, f->s, ids[REFCACHE_MAX], &r, err,
	    sizeof(err)), 1);
	assert_int_equal(r->digest[0], REFCACHE_MAX);
	assert_int_equal(refcache_get(f->c, f->s, ids[0], &r, err,
	    sizeof(err)), 1);
	assert_ptr_equal(r->msg, first);
	assert_int_equal(refcache_get(f->c, f->s, ids[1], &r, err,
	    sizeof(err)), 1);
	assert_int_equal(r->digest[0], 1);
	assert_true(refcache_has_recipient(r, "r0002"));
	assert_false(refcache_has_recipient(r, "r0003"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_decoded_once_and_searched,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_least_recently_used_goes,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
