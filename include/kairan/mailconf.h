/*
 * mailconf: the [smtp] section both daemons read (the relay for its
 * reminders and its mail route, the node for its internal addressees),
 * parsed and checked once:
 *
 *   [smtp]  url (smtp://HOST[:PORT] or smtps://HOST[:PORT]), from (the
 *           sender address), user with password or password_file (a file
 *           only its owner can read; optional), tls (required | try |
 *           none; default required; none only for a server on this
 *           host), timeout (one attempt, connect to the last reply)
 *
 * Errors go through conf_ini_error, so they read "file:line: what".
 */
#ifndef KAIRAN_MAILCONF_H
#define KAIRAN_MAILCONF_H

#include <stddef.h>

#include "kairan/conf.h"
#include "kairan/mail.h"

#define MAILCONF_NKEYS	7

struct mailconf {
	char		*url;		/* NULL: no [smtp], no mail */
	char		 host[256];	/* of the url, without [] */
	char		*from;
	char		*user;		/* NULL: no AUTH */
	char		*password;	/* from password or password_file */
	enum mail_tls	 tls;
	unsigned	 timeout_ms;
	int		 line;		/* of the [smtp] header; 0: none */
	int		 seen[MAILCONF_NKEYS];	/* line of each key; 0: absent */
};

/* The defaults: no mail, tls required, timeout_ms. */
void	mailconf_init(struct mailconf *, unsigned timeout_ms);
/* Frees the strings (the password wiped first); the struct stays. */
void	mailconf_clear(struct mailconf *);
/*
 * One key of [smtp] (name = value), at ini's current line. Returns 1, or
 * 0 after conf_ini_error naming the key and what was expected.
 */
int	mailconf_key(struct conf_ini *, struct mailconf *, const char *name,
	    const char *v);
/*
 * Once the file is read (nothing if there was no [smtp] or an error
 * already): the keys that go together (url and from; user with one of
 * password and password_file; tls none only on this host).
 */
void	mailconf_check(struct conf_ini *, struct mailconf *);
/*
 * msg, all of it: the transport's fields (url, from, user, password, tls,
 * timeout) from mc, the recipient to and the mail's text.
 */
void	mailconf_msg(const struct mailconf *, struct mail_msg *msg,
	    const char *to, const char *text);

/* 1 if v is an address we put in RCPT TO and To: (ASCII, one @, no <>). */
int	mailconf_address_valid(const char *v);

#endif
