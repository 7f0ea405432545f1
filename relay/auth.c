/*
 * auth: sessions, CSRF, bearer tokens and the failed-login limiter of the
 * console (see auth.h). The SQL is the store's; the hashing is
 * operator.c's, run on pwcheck.c's thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "kairan/log.h"
#include "kairan/message.h"

#include "auth.h"
#include "config.h"
#include "operator.h"
#include "pwcheck.h"
#include "relay.h"
#include "store.h"

/* One client address's failed logins. */
struct auth_addr {
	char		 addr[64];	/* "" free */
	unsigned	 failures;
	int64_t		 blocked_until;	/* ms */
	int64_t		 last;		/* ms of the last failure */
};

struct auth {
	struct pwcheck	*pwcheck;
	char		 dummy[OPERATOR_HASH_MAX];	/* for unknown names */
	struct auth_addr addrs[AUTH_ADDRS];
};

/* A login whose password is being checked. */
struct auth_login {
	struct server		*s;
	struct pwcheck_job	*job;
	char			 name[OPERATOR_NAME_MAX + 1];
	char			 addr[64];
	int			 known;
	auth_login_done		 done;
	void			*arg;
};

static void
sha256(const uint8_t *in, size_t n, uint8_t out[32])
{
	unsigned len = 32;

	if (EVP_Digest(in, n, out, &len, EVP_sha256(), NULL) != 1)
		fatalx("auth: SHA-256 failed");
}

/* The JSON answer {"error": why} with status. 0 or -1 (oom). */
static int
reply_error(struct auth_reply *r, unsigned status, const char *why)
{
	json_t *o;

	memset(r, 0, sizeof(*r));
	r->status = status;
	if ((o = json_pack("{s:s}", "error", why)) == NULL)
		return -1;
	r->body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (r->body == NULL)
		return -1;
	r->bodylen = strlen(r->body);
	return 0;
}

/* r's body from o (which is consumed). 0 or -1. */
static int
reply_json(struct auth_reply *r, unsigned status, json_t *o)
{
	r->status = status;
	r->body = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (r->body == NULL)
		return -1;
	r->bodylen = strlen(r->body);
	return 0;
}

struct auth *
auth_new(struct server *s, char *err, size_t errlen)
{
	struct auth *a;
	uint8_t pw[24];
	char hex[2 * sizeof(pw) + 1];

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* a hash no password of anyone's matches, for unknown names */
	if (RAND_bytes(pw, sizeof(pw)) != 1) {
		snprintf(err, errlen, "auth: no random bytes");
		goto fail;
	}
	message_hex(pw, sizeof(pw), hex);
	if (operator_hash(hex, a->dummy, err, errlen) == -1)
		goto fail;
	explicit_bzero(hex, sizeof(hex));
	if ((a->pwcheck = pwcheck_new(s->loop, err, errlen)) == NULL)
		goto fail;
	return a;
fail:
	auth_free(a);
	return NULL;
}

void
auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	pwcheck_free(a->pwcheck);
	free(a);
}

/* The limiter's entry of addr, made if create (evicting the quietest). */
static struct auth_addr *
addr_entry(struct auth *a, const char *addr, int create, int64_t now)
{
	struct auth_addr *e, *free_e = NULL, *oldest = NULL;
	size_t i;

	for (i = 0; i < AUTH_ADDRS; i++) {
		e = &a->addrs[i];
		if (e->addr[0] != '\0' && now - e->last > AUTH_FORGET_S * 1000LL)
			memset(e, 0, sizeof(*e));
		if (e->addr[0] == '\0') {
			if (free_e == NULL)
				free_e = e;
			continue;
		}
		if (strcmp(e->addr, addr) == 0)
			return e;
		if (oldest == NULL || e->last < oldest->last)
			oldest = e;
	}
	if (!create)
		return NULL;
	if ((e = free_e) == NULL) {
		e = oldest;
		memset(e, 0, sizeof(*e));
	}
	snprintf(e->addr, sizeof(e->addr), "%s", addr);
	e->last = now;
	return e;
}

/* Seconds addr must still wait before its next attempt; 0 none. */
static unsigned
addr_wait(struct auth *a, const char *addr, int64_t now)
{
	struct auth_addr *e = addr_entry(a, addr, 0, now);

	if (e == NULL || e->blocked_until <= now)
		return 0;
	return (unsigned)((e->blocked_until - now + 999) / 1000);
}

static unsigned
addr_failed(struct auth *a, const char *addr, int64_t now)
{
	struct auth_addr *e = addr_entry(a, addr, 1, now);
	unsigned over, i;
	int64_t block = AUTH_BLOCK_S;

	e->failures++;
	e->last = now;
	if (e->failures >= AUTH_FREE_FAILURES) {
		over = e->failures - AUTH_FREE_FAILURES;
		for (i = 0; i < over && block < AUTH_BLOCK_MAX_S; i++)
			block *= 2;
		if (block > AUTH_BLOCK_MAX_S)
			block = AUTH_BLOCK_MAX_S;
		e->blocked_until = now + block * 1000;
	}
	return e->failures;
}

static void
addr_succeeded(struct auth *a, const char *addr, int64_t now)
{
	struct auth_addr *e = addr_entry(a, addr, 0, now);

	if (e != NULL)
		memset(e, 0, sizeof(*e));
}

/* The session token of a Cookie header: 0 found (out filled), -1 not. */
static int
cookie_token(const char *cookie, uint8_t out[AUTH_TOKEN_LEN])
{
	static const char name[] = AUTH_COOKIE "=";
	const char *p = cookie, *v;
	size_t n;

	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, name, sizeof(name) - 1) == 0) {
			v = p + sizeof(name) - 1;
			n = strcspn(v, "; ");
			return message_hex_parse(v, n, out, AUTH_TOKEN_LEN);
		}
		p = strchr(p, ';');
	}
	return -1;
}

static int
refuse(struct auth_reply *r, const char *address, unsigned status,
    const char *why)
{
	log_warnx("console refused addr=%s status=%u reason=%s",
	    log_str(address), status, log_str(why));
	return reply_error(r, status, why) == -1 ? -1 : 1;
}

int
auth_gate(struct server *s, const char *address, const char *cookie,
    const char *authorization, const char *csrf, int changes,
    struct auth_who *who, struct auth_reply *r)
{
	uint8_t token[AUTH_TOKEN_LEN], hash[32], want[AUTH_CSRF_LEN],
	    got[AUTH_CSRF_LEN];
	char err[256];
	int rc;

	memset(who, 0, sizeof(*who));
	memset(r, 0, sizeof(*r));
	if (authorization != NULL) {
		if (strncmp(authorization, "Bearer ", 7) != 0 ||
		    message_hex_parse(authorization + 7,
		    strlen(authorization + 7), token, AUTH_TOKEN_LEN) == -1)
			return refuse(r, address, 401, "Authorization: "
			    "expected \"Bearer\" and the 64 hex digits of an "
			    "operator's token");
		sha256(token, sizeof(token), hash);
		rc = store_operator_by_token(s->store, hash, who->operator,
		    sizeof(who->operator), err, sizeof(err));
		if (rc == -1)
			goto store_failed;
		if (rc == 0)
			return refuse(r, address, 401, "unknown token");
		who->bearer = 1;
		return 0;
	}
	if (cookie == NULL || cookie_token(cookie, token) == -1)
		return refuse(r, address, 401, "login required");
	sha256(token, sizeof(token), hash);
	rc = store_session_get(s->store, hash, message_now_ms(),
	    who->operator, sizeof(who->operator), want, sizeof(want),
	    &who->expires_at, err, sizeof(err));
	if (rc == -1)
		goto store_failed;
	if (rc == 0)
		return refuse(r, address, 401, "login required (the session "
		    "has expired or is unknown here)");
	memcpy(who->session, hash, sizeof(hash));
	message_hex(want, sizeof(want), who->csrf);
	if (changes && (csrf == NULL || message_hex_parse(csrf, strlen(csrf),
	    got, sizeof(got)) == -1 ||
	    CRYPTO_memcmp(got, want, sizeof(got)) != 0))
		return refuse(r, address, 403, "X-CSRF-Token: missing or not "
		    "this session's");
	return 0;
store_failed:
	log_warnx("console: %s", err);
	(void)reply_error(r, 500, "the relay's store failed");
	return -1;
}

/* The password checker's verdict on a login, on the loop. */
static void
on_checked(void *arg, int ok)
{
	struct auth_login *l = arg;
	struct server *s = l->s;
	const struct config *cfg = s->cfg;
	struct auth_reply *r;
	uint8_t token[AUTH_TOKEN_LEN], hash[32], csrf[AUTH_CSRF_LEN];
	char tokhex[AUTH_TOKEN_HEX + 1], csrfhex[2 * AUTH_CSRF_LEN + 1];
	char err[256], detail[128];
	int64_t now = message_now_ms(), expires;
	unsigned n;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		goto done;
	if (!ok || !l->known) {
		n = addr_failed(s->auth, l->addr, now);
		log_warnx("console login failed name=%s addr=%s failures=%u%s",
		    log_str(l->name), log_str(l->addr), n,
		    n >= AUTH_FREE_FAILURES ? " (limited)" : "");
		(void)reply_error(r, 401, "wrong name or password");
		goto done;
	}
	addr_succeeded(s->auth, l->addr, now);
	expires = now + (int64_t)cfg->console_session_s * 1000;
	if (RAND_bytes(token, sizeof(token)) != 1 ||
	    RAND_bytes(csrf, sizeof(csrf)) != 1) {
		(void)reply_error(r, 500, "no random bytes");
		goto done;
	}
	sha256(token, sizeof(token), hash);
	snprintf(detail, sizeof(detail), "login from %s", l->addr);
	if (store_session_add(s->store, hash, l->name, csrf, sizeof(csrf),
	    now, expires, detail, err, sizeof(err)) == -1) {
		log_warnx("console login name=%s: %s", log_str(l->name), err);
		(void)reply_error(r, 500, "the relay's store failed");
		goto done;
	}
	message_hex(token, sizeof(token), tokhex);
	message_hex(csrf, sizeof(csrf), csrfhex);
	snprintf(r->set_cookie, sizeof(r->set_cookie), "%s=%s; Path=/; "
	    "Max-Age=%u; HttpOnly; Secure; SameSite=Strict", AUTH_COOKIE,
	    tokhex, cfg->console_session_s);
	explicit_bzero(token, sizeof(token));
	explicit_bzero(tokhex, sizeof(tokhex));
	log_info("console login operator=%s addr=%s", log_str(l->name),
	    log_str(l->addr));
	(void)reply_json(r, 200, json_pack("{s:s,s:s,s:I}", "operator",
	    l->name, "csrf", csrfhex, "expires_at", (json_int_t)expires));
done:
	l->done(l->arg, r);
	free(l);
}

/* Sets r to the error and returns 1 (answered), or -1 out of memory. */
static int
answer(struct auth_reply *r, unsigned status, const char *why)
{
	return reply_error(r, status, why) == -1 ? -1 : 1;
}

int
auth_login(struct server *s, const char *address, const char *body,
    size_t len, auth_login_done done, void *arg, struct auth_login **handle,
    struct auth_reply *r)
{
	struct auth *a = s->auth;
	struct auth_login *l = NULL;
	json_error_t jerr;
	json_t *o = NULL, *jn, *jp;
	const char *name, *pw, *key;
	char hash[OPERATOR_HASH_MAX], err[256];
	unsigned wait;
	int rc;

	memset(r, 0, sizeof(*r));
	*handle = NULL;
	if ((wait = addr_wait(a, address, message_now_ms())) > 0) {
		log_warnx("console login refused addr=%s reason=\"too many "
		    "failed logins\" retry_after=%u", log_str(address), wait);
		rc = answer(r, 429, "too many failed logins from this "
		    "address; try again later");
		r->retry_after = wait;
		return rc;
	}
	if ((o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL || !json_is_object(o)) {
		rc = answer(r, 400, "body: expected a JSON object "
		    "{\"name\": \"…\", \"password\": \"…\"}");
		goto out;
	}
	json_object_foreach(o, key, jn)
		if (strcmp(key, "name") != 0 && strcmp(key, "password") != 0) {
			rc = answer(r, 400, "body: unknown key (expected name "
			    "and password only)");
			goto out;
		}
	jn = json_object_get(o, "name");
	jp = json_object_get(o, "password");
	if (!json_is_string(jn) || !json_is_string(jp)) {
		rc = answer(r, 400, "body: name and password: expected two "
		    "strings");
		goto out;
	}
	name = json_string_value(jn);
	pw = json_string_value(jp);
	/* a malformed name is a wrong one: the check still costs its time */
	if (!operator_name_valid(name, err, sizeof(err)))
		name = "-";
	if (strlen(pw) > OPERATOR_PASSWORD_MAX)
		pw = "";
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		rc = -1;
		goto out;
	}
	l->s = s;
	l->done = done;
	l->arg = arg;
	snprintf(l->name, sizeof(l->name), "%s", name);
	snprintf(l->addr, sizeof(l->addr), "%s", address);
	l->known = strcmp(name, "-") != 0 && store_operator_hash(s->store,
	    name, hash, sizeof(hash), err, sizeof(err)) == 1;
	l->job = pwcheck_submit(a->pwcheck, l->known ? hash : a->dummy, pw,
	    on_checked, l);
	explicit_bzero(hash, sizeof(hash));
	if (l->job == NULL) {
		free(l);
		log_warnx("console login refused addr=%s reason=\"password "
		    "checker busy\"", log_str(address));
		rc = answer(r, 503, "busy; try again in a moment");
		r->retry_after = 1;
		goto out;
	}
	*handle = l;
	rc = 0;
out:
	if (o != NULL) {
		/* the password's bytes do not outlive the request */
		if ((jp = json_object_get(o, "password")) != NULL &&
		    json_is_string(jp))
			explicit_bzero((void *)(uintptr_t)json_string_value(jp),
			    json_string_length(jp));
		json_decref(o);
	}
	return rc;
}

void
auth_login_cancel(struct server *s, struct auth_login *l)
{
	if (l == NULL)
		return;
	pwcheck_cancel(s->auth->pwcheck, l->job);
	free(l);
}

int
auth_logout(struct server *s, const struct auth_who *who,
    const char *address, struct auth_reply *r)
{
	char err[256], detail[128];

	memset(r, 0, sizeof(*r));
	if (!who->bearer) {
		snprintf(detail, sizeof(detail), "logout from %s", address);
		if (store_session_del(s->store, who->session, who->operator,
		    message_now_ms(), detail, err, sizeof(err)) == -1) {
			log_warnx("console logout operator=%s: %s",
			    log_str(who->operator), err);
			return reply_error(r, 500, "the relay's store failed");
		}
		log_info("console logout operator=%s addr=%s",
		    log_str(who->operator), log_str(address));
	}
	snprintf(r->set_cookie, sizeof(r->set_cookie), "%s=; Path=/; "
	    "Max-Age=0; HttpOnly; Secure; SameSite=Strict", AUTH_COOKIE);
	return reply_json(r, 200, json_object());
}

int
auth_session(struct server *s, const struct auth_who *who,
    struct auth_reply *r)
{
	const struct config *cfg = s->cfg;
	json_t *o, *serves;
	size_t i;

	memset(r, 0, sizeof(*r));
	if ((serves = json_array()) == NULL)
		return -1;
	if (cfg->serve_national)
		json_array_append_new(serves, json_string("national"));
	for (i = 0; i < cfg->nserve; i++)
		json_array_append_new(serves, json_string(cfg->serve[i]));
	o = json_pack("{s:s,s:s?,s:o,s:b,s:{s:s,s:o}}",
	    "operator", who->operator,
	    "csrf", who->bearer ? NULL : who->csrf,
	    "expires_at", who->bearer ? json_null() :
	    json_integer(who->expires_at),
	    "bearer", who->bearer,
	    "relay", "id", cfg->id, "serves", serves);
	return reply_json(r, 200, o);
}

int
auth_token_issue(struct store *st, const char *name, const char *by,
    char *token, char *err, size_t errlen)
{
	uint8_t t[AUTH_TOKEN_LEN], hash[32];
	int rc;

	if (RAND_bytes(t, sizeof(t)) != 1) {
		snprintf(err, errlen, "no random bytes");
		return -1;
	}
	sha256(t, sizeof(t), hash);
	if ((rc = store_operator_token(st, name, hash, by, message_now_ms(),
	    err, errlen)) == 0)
		message_hex(t, sizeof(t), token);
	explicit_bzero(t, sizeof(t));
	return rc;
}
