/*
 * Unit tests of the console's gate (auth.c) on a real store: bearer
 * tokens (issued, replaced, unknown, malformed), session cookies (found,
 * expired, among other cookies, malformed), the CSRF token of a request
 * that changes something, and the audit rows of login and logout.
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
#include <openssl/evp.h>

#include "kairan/message.h"

#include "auth.h"
#include "config.h"
#include "operator.h"
#include "relay.h"
#include "store.h"

struct fx {
	char		 dir[64];
	char		 path[128];
	struct config	 cfg;
	struct server	 s;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256], hash[OPERATOR_HASH_MAX];

	snprintf(f->dir, sizeof(f->dir), "/tmp/kairan-relay-auth-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/relay.db", f->dir);
	assert_non_null(f->s.store = store_open(f->path, err, sizeof(err)));
	snprintf(f->cfg.id, sizeof(f->cfg.id), "relay-45");
	f->s.cfg = &f->cfg;
	assert_int_equal(operator_hash("a long enough password", hash, err,
	    sizeof(err)), 0);
	assert_int_equal(store_operator_add(f->s.store, "tanaka", hash,
	    "test", 1000, err, sizeof(err)), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	store_close(f->s.store);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static int
gate(struct fx *f, const char *cookie, const char *authz, const char *csrf,
    int changes, struct auth_who *who, unsigned *status)
{
	struct auth_reply r;
	int rc;

	rc = auth_gate(&f->s, "127.0.0.1", cookie, authz, csrf, changes, who,
	    &r);
	*status = r.status;
	free(r.body);
	return rc;
}

static void
test_bearer(void **state)
{
	struct fx *f = *state;
	char tok[AUTH_TOKEN_HEX + 1], tok2[AUTH_TOKEN_HEX + 1], hdr[128];
	char err[256];
	struct auth_who who;
	unsigned st;

	assert_int_equal(auth_token_issue(f->s.store, "tanaka", "test", tok,
	    err, sizeof(err)), 0);
	assert_int_equal(strlen(tok), AUTH_TOKEN_HEX);
	assert_int_equal(auth_token_issue(f->s.store, "nobody", "test", tok2,
	    err, sizeof(err)), 1);
	snprintf(hdr, sizeof(hdr), "Bearer %s", tok);
	assert_int_equal(gate(f, NULL, hdr, NULL, 1, &who, &st), 0);
	assert_string_equal(who.operator, "tanaka");
	assert_int_equal(who.bearer, 1);
	/* a new token replaces the old one */
	assert_int_equal(auth_token_issue(f->s.store, "tanaka", "test", tok2,
	    err, sizeof(err)), 0);
	assert_int_equal(gate(f, NULL, hdr, NULL, 0, &who, &st), 1);
	assert_int_equal(st, 401);
	snprintf(hdr, sizeof(hdr), "Bearer %s", tok2);
	assert_int_equal(gate(f, NULL, hdr, NULL, 0, &who, &st), 0);
	/* malformed: not Bearer, too short, not hex */
	assert_int_equal(gate(f, NULL, "Basic dGFuYWth", NULL, 0, &who, &st),
	    1);
	assert_int_equal(st, 401);
	assert_int_equal(gate(f, NULL, "Bearer abc", NULL, 0, &who, &st), 1);
	hdr[10] = 'z';
	assert_int_equal(gate(f, NULL, hdr, NULL, 0, &who, &st), 1);
	/* nothing at all */
	assert_int_equal(gate(f, NULL, NULL, NULL, 0, &who, &st), 1);
	assert_int_equal(st, 401);
}

static void
sha256(const uint8_t *in, size_t n, uint8_t out[32])
{
	unsigned len = 32;

	assert_int_equal(EVP_Digest(in, n, out, &len, EVP_sha256(), NULL), 1);
}

static void
test_session_and_csrf(void **state)
{
	struct fx *f = *state;
	uint8_t token[AUTH_TOKEN_LEN], hash[32], csrf[AUTH_CSRF_LEN];
	char tokhex[AUTH_TOKEN_HEX + 1], csrfhex[2 * AUTH_CSRF_LEN + 1];
	char cookie[256], err[256];
	struct auth_who who;
	int64_t now = message_now_ms();
	unsigned st;

	memset(token, 0x5a, sizeof(token));
	memset(csrf, 0xa5, sizeof(csrf));
	sha256(token, sizeof(token), hash);
	message_hex(token, sizeof(token), tokhex);
	message_hex(csrf, sizeof(csrf), csrfhex);
	assert_int_equal(store_session_add(f->s.store, hash, "tanaka", csrf,
	    sizeof(csrf), now, now + 60000, "login from 127.0.0.1", err,
	    sizeof(err)), 0);
	/* among other cookies */
	snprintf(cookie, sizeof(cookie), "theme=dark; %s=%s; x=1",
	    AUTH_COOKIE, tokhex);
	assert_int_equal(gate(f, cookie, NULL, NULL, 0, &who, &st), 0);
	assert_string_equal(who.operator, "tanaka");
	assert_int_equal(who.bearer, 0);
	assert_string_equal(who.csrf, csrfhex);
	assert_int_equal(who.expires_at, now + 60000);
	/* a change needs the CSRF token, exactly */
	assert_int_equal(gate(f, cookie, NULL, NULL, 1, &who, &st), 1);
	assert_int_equal(st, 403);
	csrfhex[0] = csrfhex[0] == 'a' ? 'b' : 'a';
	assert_int_equal(gate(f, cookie, NULL, csrfhex, 1, &who, &st), 1);
	assert_int_equal(st, 403);
	csrfhex[0] = csrfhex[0] == 'a' ? 'b' : 'a';
	assert_int_equal(gate(f, cookie, NULL, csrfhex, 1, &who, &st), 0);
	/* a cookie that is not ours, or not whole */
	assert_int_equal(gate(f, "kairan_session=abcd", NULL, NULL, 0, &who,
	    &st), 1);
	assert_int_equal(st, 401);
	/* logout ends it (audit row), and it is unknown afterwards */
	assert_int_equal(store_session_del(f->s.store, hash, "tanaka", now,
	    "logout from 127.0.0.1", err, sizeof(err)), 0);
	assert_int_equal(store_session_del(f->s.store, hash, "tanaka", now,
	    "again", err, sizeof(err)), 1);
	assert_int_equal(gate(f, cookie, NULL, NULL, 0, &who, &st), 1);
	assert_int_equal(st, 401);
	/* an expired one is refused */
	assert_int_equal(store_session_add(f->s.store, hash, "tanaka", csrf,
	    sizeof(csrf), now - 120000, now - 60000, "login", err,
	    sizeof(err)), 0);
	assert_int_equal(gate(f, cookie, NULL, NULL, 0, &who, &st), 1);
	assert_int_equal(st, 401);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bearer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_and_csrf, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
