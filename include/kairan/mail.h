/*
 * mail: SMTP transactions through libcurl's multi interface, driven by
 * the daemon's libev loop (the relay's, the node's), so that no mail ever
 * makes the loop wait.
 *
 * curl tells us which sockets it waits on (CURLMOPT_SOCKETFUNCTION: one
 * ev_io each) and when it next needs the clock (CURLMOPT_TIMERFUNCTION:
 * one ev_timer); we hand each event back to curl_multi_socket_action and
 * collect the transfers that ended. Nothing here blocks and no thread is
 * ours (curl's own resolver may use one for a host name; an address
 * needs none).
 *
 * At most max transfers are in flight; mail_send refuses more (-1,
 * mail_full() true), so that what cannot go yet stays where it came from
 * (a row due in the caller's store) instead of in a queue here.
 * Each mail is its own connection and its own transaction (the
 * connection is not kept for another mail: one server's trouble stays
 * with its own mail), bounded by its timeout from connect to the
 * server's last reply; the connection is then shut, without QUIT.
 *
 * The one wait left is libcurl's (7.88, curl/curl#8555): after the
 * message's final ".", curl waits for the server's reply in blocking
 * mode, for at most the mail's timeout. Every other step (connect,
 * greeting, TLS, EHLO, AUTH, MAIL, RCPT, DATA, the message) is driven by
 * the loop; see mail.c.
 */
#ifndef KAIRAN_MAIL_H
#define KAIRAN_MAIL_H

struct ev_loop;
struct mail;

#define MAIL_MAX_INFLIGHT	4	/* each user's bound (escalate.c, mailout.c) */

enum mail_tls {
	MAIL_TLS_REQUIRED,	/* smtps://, or STARTTLS, or no mail */
	MAIL_TLS_TRY,		/* STARTTLS if the server offers it */
	MAIL_TLS_NONE,		/* plain */
};

/* One mail; every string is copied by mail_send. */
struct mail_msg {
	const char	*url;		/* smtp://host:port, smtps://… */
	const char	*from;		/* the envelope sender, a bare address */
	const char	*to;		/* the one recipient, a bare address */
	const char	*text;		/* the RFC 5322 message, CRLF line ends */
	const char	*user;		/* NULL: no AUTH */
	const char	*password;
	enum mail_tls	 tls;
	long		 timeout_ms;	/* connect to the last reply */
};

/*
 * When a transfer ends, on the loop: ok = 1 if the server took the mail;
 * code is the server's last SMTP reply code (0 if none came: no
 * connection, a timeout); reply is curl's text ("accepted" when ok),
 * valid during the call only. The callback may call mail_send (the slot
 * is free again) but not mail_free.
 */
typedef void	mail_cb(void *arg, int ok, long code, const char *reply);

/* NULL (logged) if libcurl will not. max: transfers in flight, >= 1. */
struct mail	*mail_new(struct ev_loop *, unsigned max);
/*
 * Abandons the transfers in flight (their callbacks are not called: the
 * caller still holds what they were for), stops the watchers and frees
 * everything. NULL: nothing.
 */
void		 mail_free(struct mail *);
/*
 * Starts one mail. 0: cb(arg, …) will be called exactly once, on the
 * loop, later (never from inside mail_send), unless mail_free comes
 * first. -1 if max are in flight (mail_full) or on out of memory: cb is
 * never called.
 */
int		 mail_send(struct mail *, const struct mail_msg *, mail_cb *cb,
		    void *arg);
unsigned	 mail_inflight(const struct mail *);
int		 mail_full(const struct mail *);

#endif
