/*
 * auth: who may use the console (relay/API.md, "Who may ask").
 *
 *   POST /login    name and password (JSON), checked with argon2id on the
 *                  password checker's thread (pwcheck.h); a session in
 *                  the store (only the SHA-256 of its cookie), a CSRF
 *                  token, an audit row "login"; the cookie kairan_session
 *                  (HttpOnly, Secure, SameSite=Strict, Path=/, Max-Age).
 *   the gate       of every /api/ request and of /logout: the session
 *                  cookie or an operator's bearer token; a request that
 *                  changes something with a session also needs the
 *                  header X-CSRF-Token equal to the session's.
 *   POST /logout   the session ended (audit row "logout"), the cookie
 *                  expired.
 *   GET /api/session  who is logged in, the CSRF token, the relay.
 *
 * Failed logins are limited per client address (an attacker at one
 * address cannot lock an operator at another out; a per-name lock would
 * let anyone do exactly that): AUTH_FREE_FAILURES failures are free,
 * then each further attempt from that address waits AUTH_BLOCK_S
 * seconds, doubling up to AUTH_BLOCK_MAX_S; a success ends it. Refused
 * attempts get 429 with Retry-After and are logged. The table is in
 * memory and bounded (AUTH_ADDRS, the longest-quiet address goes first):
 * a restart forgets it, which an attacker cannot cause.
 *
 * An unknown name costs the same argon2id check as a wrong password
 * (against a hash made at start), so that the answer's time does not
 * tell which names exist; both answer "wrong name or password".
 */
#ifndef KAIRAN_RELAY_AUTH_H
#define KAIRAN_RELAY_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "operator.h"

#define AUTH_COOKIE		"kairan_session"
#define AUTH_TOKEN_LEN		32	/* bytes of a session or bearer token */
#define AUTH_TOKEN_HEX		(2 * AUTH_TOKEN_LEN)
#define AUTH_CSRF_LEN		32
#define AUTH_FREE_FAILURES	5
#define AUTH_BLOCK_S		30
#define AUTH_BLOCK_MAX_S	900
#define AUTH_ADDRS		1024
#define AUTH_FORGET_S		3600	/* a quiet address starts afresh */

struct server;
struct auth_login;

/* An answer of auth's, for httpd.c to send. */
struct auth_reply {
	unsigned	 status;
	char		*body;		/* JSON, malloc'd; the caller frees */
	size_t		 bodylen;
	char		 set_cookie[192];	/* "" or a Set-Cookie value */
	unsigned	 retry_after;	/* s; 0: no Retry-After */
};

/* Who the gate let in. */
struct auth_who {
	char		 operator[OPERATOR_NAME_MAX + 1];
	int		 bearer;	/* 1: by token (no session, no CSRF) */
	uint8_t		 session[AUTH_TOKEN_LEN];	/* its token's hash */
	char		 csrf[2 * AUTH_CSRF_LEN + 1];
	int64_t		 expires_at;
};

struct auth	*auth_new(struct server *, char *err, size_t errlen);
void		 auth_free(struct auth *);	/* NULL is a no-op */

/*
 * The gate. cookie, authorization and csrf are the request's Cookie,
 * Authorization and X-CSRF-Token headers (NULL if absent); changes is 1
 * for a request that changes something. Returns 0 with who filled, 1
 * refused with r filled (401 no or unknown session or token, 403 CSRF
 * token missing or wrong; logged with address), -1 out of memory or the
 * store failed (r filled with 500 if it could be).
 */
int	auth_gate(struct server *, const char *address, const char *cookie,
	    const char *authorization, const char *csrf, int changes,
	    struct auth_who *who, struct auth_reply *r);

/* The answer to a login, on the loop, later. r is the callee's to free. */
typedef void (*auth_login_done)(void *arg, struct auth_reply *r);

/*
 * POST /login with body (len bytes). Returns 0: the check is running
 * and done(arg, r) will answer (*handle is the login: pass it
 * to auth_login_cancel if the asker goes away first); 1: answered now, r
 * filled (400 bad body, 429 too many failures, 503 the checker's queue
 * is full); -1 out of memory. The handle is valid until done runs or
 * auth_login_cancel returns (then done never runs).
 */
int	auth_login(struct server *, const char *address, const char *body,
	    size_t len, auth_login_done done, void *arg,
	    struct auth_login **handle, struct auth_reply *r);
void	auth_login_cancel(struct server *, struct auth_login *);

/* POST /logout (through the gate) and GET /api/session. 0 r filled, -1 oom. */
int	auth_logout(struct server *, const struct auth_who *,
	    const char *address, struct auth_reply *r);
int	auth_session(struct server *, const struct auth_who *,
	    struct auth_reply *r);

/*
 * A new bearer token for operator name: stored as its SHA-256 (replacing
 * the old one), written as hex into token (AUTH_TOKEN_HEX + 1 bytes).
 * 0, 1 no such operator, -1 with err.
 */
struct store;
int	auth_token_issue(struct store *, const char *name, const char *by,
	    char *token, char *err, size_t errlen);

#endif
