/*
 * tlsresume: the sessions a client keeps to resume (see tlsresume.h).
 *
 * A few entries (a node has one per route; bounded anyway): a list,
 * searched linearly; at the bound the oldest entry goes.
 */
#include <sys/socket.h>

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <openssl/ssl.h>

#include "kairan/log.h"
#include "kairan/tlsresume.h"

#define TLSRESUME_MAX	256

struct kept {
	struct kept	*next;
	const SSL_CTX	*ctx;
	char		 key[320];	/* server name and address:port */
	SSL_SESSION	*session;
};

static struct kept	*kept;
static unsigned		 nkept;

/* "name|address:port" of ssl's server into buf; -1 if it is not known. */
static int
server_key(SSL *ssl, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[64], port[8];
	const char *name;
	int fd;

	if ((fd = SSL_get_fd(ssl)) < 0 ||
	    getpeername(fd, (struct sockaddr *)&ss, &sl) == -1 ||
	    getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), port,
	    sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		return -1;
	name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	if (snprintf(buf, len, "%s|%s:%s", name != NULL ? name : "", host,
	    port) >= (int)len)
		return -1;
	return 0;
}

static struct kept **
find(const SSL_CTX *ctx, const char *key)
{
	struct kept **k;

	for (k = &kept; *k != NULL; k = &(*k)->next)
		if ((*k)->ctx == ctx && strcmp((*k)->key, key) == 0)
			return k;
	return NULL;
}

static void
drop(struct kept **k)
{
	struct kept *e = *k;

	*k = e->next;
	SSL_SESSION_free(e->session);
	free(e);
	nkept--;
}

/*
 * OpenSSL: a new session (a ticket came) on a connection of ctx. A copy is
 * kept: the connection's own session is marked not resumable when the
 * connection ends without a TLS close (a relay killed or restarted), which
 * is exactly when it is needed.
 */
static int
new_session_cb(SSL *ssl, SSL_SESSION *nsess)
{
	struct kept **k, *e;
	SSL_SESSION *sess;
	char key[320];

	if (!SSL_SESSION_is_resumable(nsess) ||
	    server_key(ssl, key, sizeof(key)) == -1 ||
	    (sess = SSL_SESSION_dup(nsess)) == NULL)
		return 0;	/* OpenSSL frees nsess */
	if ((k = find(SSL_get_SSL_CTX(ssl), key)) != NULL) {
		SSL_SESSION_free((*k)->session);
		(*k)->session = sess;
		return 0;
	}
	if (nkept >= TLSRESUME_MAX) {
		for (k = &kept; (*k)->next != NULL; k = &(*k)->next)
			;
		drop(k);	/* the oldest: new ones go first */
	}
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		SSL_SESSION_free(sess);
		return 0;
	}
	e->ctx = SSL_get_SSL_CTX(ssl);
	snprintf(e->key, sizeof(e->key), "%s", key);
	e->session = sess;
	e->next = kept;
	kept = e;
	nkept++;
	return 0;
}

/* OpenSSL: a handshake starts; before its ClientHello, offer the session. */
static void
info_cb(const SSL *cssl, int where, int ret)
{
	SSL *ssl = (SSL *)(uintptr_t)cssl;
	struct kept **k;
	char key[320];

	(void)ret;
	if (!(where & SSL_CB_HANDSHAKE_START) || SSL_is_server(ssl) ||
	    SSL_session_reused(ssl) || server_key(ssl, key, sizeof(key)) == -1 ||
	    (k = find(SSL_get_SSL_CTX(ssl), key)) == NULL)
		return;
	if (!SSL_SESSION_is_resumable((*k)->session) ||
	    SSL_SESSION_get_time((*k)->session) +
	    SSL_SESSION_get_timeout((*k)->session) < (long)time(NULL)) {
		drop(k);
		return;
	}
	if (SSL_set_session(ssl, (*k)->session) != 1)
		log_debug("tls: session for %s not offered", log_str(key));
}

int
tlsresume_install(SSL_CTX *ctx)
{
	static int registered;

	/* the sessions go at exit (before OpenSSL's own cleanup, run later) */
	if (!registered && atexit(tlsresume_clear) == 0)
		registered = 1;
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT |
	    SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(ctx, new_session_cb);
	SSL_CTX_set_info_callback(ctx, info_cb);
	return 0;
}

void
tlsresume_forget(SSL *ssl)
{
	struct kept **k;
	char key[320];

	if (server_key(ssl, key, sizeof(key)) == 0 &&
	    (k = find(SSL_get_SSL_CTX(ssl), key)) != NULL)
		drop(k);
}

unsigned
tlsresume_count(void)
{
	return nkept;
}

void
tlsresume_clear(void)
{
	while (kept != NULL)
		drop(&kept);
}
