/*
 * httpd: the console's HTTPS vhost and the metrics vhost (see httpd.h).
 *
 * One response path for everything: respond() writes the status line and
 * headers (the security headers always), keeps the body, and the body
 * goes out in the next HTTP_WRITEABLE as the final write. Only HTTP/1.1
 * is offered (ALPN), so the headers lws formats are the ones sent.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libwebsockets.h>
#include <openssl/ssl.h>

#include "kairan/log.h"

#include "admit.h"
#include "api.h"
#include "auth.h"
#include "events.h"
#include "config.h"
#include "httpd.h"
#include "metrics.h"
#include "relay.h"
#include "routing.h"
#include "store.h"
#include "webpath.h"

/* the extra headers of one response */
struct extra {
	const char	*set_cookie;
	unsigned	 retry_after;	/* s; 0 none */
	const char	*disposition;
};

/* per HTTP connection (lws zeroes it) */
struct http_req {
	unsigned char	*out;		/* LWS_PRE + body, malloc'd */
	size_t		 outlen;
	size_t		 body_seen;	/* of a POST */
	int		 close;		/* after this response */
	int		 responded;
	char		 path[128];	/* for the log, escaped later */
	char		 uri[WEBPATH_MAX + 1];	/* of a POST, for its end */
	char		 addr[64];	/* the client, for logs and the limiter */
	/* a POST's body, bounded by HTTPD_BODY_MAX */
	char		*body;
	size_t		 bodylen;
	/* the headers the gate reads, copied while lws still has them */
	char		 cookie[HTTPD_COOKIE_MAX];
	char		 authz[160];
	char		 csrf[80];
	unsigned	 has_cookie:1, has_authz:1, has_csrf:1;
	struct auth_login *login;	/* a login being checked */
	struct auth_reply *later;	/* its answer, for the next writeable */
};

static const char csp[] = "default-src 'self'; script-src 'self'; "
    "style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'";

static int	http_callback(struct lws *, enum lws_callback_reasons, void *,
		    void *, size_t);

static struct lws_protocols http_protocols[] = {
	{ "http", http_callback, sizeof(struct http_req), 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static int
add_header(struct lws *wsi, const char *name, const char *value,
    unsigned char **p, unsigned char *end)
{
	return lws_add_http_header_by_name(wsi, (const unsigned char *)name,
	    (const unsigned char *)value, (int)strlen(value), p, end);
}

int
httpd_security_headers(struct lws *wsi, const char *cache,
    unsigned char **p, unsigned char *end)
{
	return add_header(wsi, "content-security-policy:", csp, p, end) ||
	    add_header(wsi, "strict-transport-security:", "max-age=31536000",
	    p, end) ||
	    add_header(wsi, "x-content-type-options:", "nosniff", p, end) ||
	    add_header(wsi, "referrer-policy:", "no-referrer", p, end) ||
	    add_header(wsi, "x-frame-options:", "DENY", p, end) ||
	    add_header(wsi, "cache-control:", cache, p, end) ? -1 : 0;
}

/*
 * Writes the status and headers and keeps body (len bytes, copied) for
 * the next writeable. 0, or -1 (close the connection).
 */
static int
respond_ex(struct lws *wsi, struct http_req *r, unsigned status,
    const char *ctype, const void *body, size_t len, const struct extra *x)
{
	unsigned char buf[LWS_PRE + 2048], *start = buf + LWS_PRE, *p = start,
	    *end = buf + sizeof(buf) - 1;
	char num[16];
	int api = strncmp(r->path, "/api/", 5) == 0 ||
	    strcmp(r->path, "/login") == 0 || strcmp(r->path, "/logout") == 0;

	if (r->responded)
		return -1;
	r->responded = 1;
	if ((r->out = malloc(LWS_PRE + len + 1)) == NULL)
		return -1;
	memcpy(r->out + LWS_PRE, body, len);
	r->outlen = len;
	if (lws_add_http_common_headers(wsi, status, ctype, len, &p, end) ||
	    add_header(wsi, "content-security-policy:", csp, &p, end) ||
	    add_header(wsi, "strict-transport-security:",
	    "max-age=31536000", &p, end) ||
	    add_header(wsi, "x-content-type-options:", "nosniff", &p, end) ||
	    add_header(wsi, "referrer-policy:", "no-referrer", &p, end) ||
	    add_header(wsi, "x-frame-options:", "DENY", &p, end) ||
	    add_header(wsi, "cache-control:", status == 200 && !api &&
	    strncmp(ctype, "text/plain; version", 19) != 0 ? "no-cache" :
	    "no-store", &p, end) ||
	    (r->close && add_header(wsi, "connection:", "close", &p, end)))
		return -1;
	if (x != NULL) {
		if (x->set_cookie != NULL && *x->set_cookie != '\0' &&
		    add_header(wsi, "set-cookie:", x->set_cookie, &p, end))
			return -1;
		snprintf(num, sizeof(num), "%u", x->retry_after);
		if (x->retry_after > 0 &&
		    add_header(wsi, "retry-after:", num, &p, end))
			return -1;
		if (x->disposition != NULL && *x->disposition != '\0' &&
		    add_header(wsi, "content-disposition:", x->disposition, &p,
		    end))
			return -1;
	}
	if (lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	lws_callback_on_writable(wsi);
	return 0;
}

static int
respond(struct lws *wsi, struct http_req *r, unsigned status,
    const char *ctype, const void *body, size_t len)
{
	return respond_ex(wsi, r, status, ctype, body, len, NULL);
}

/* An answer of auth.c's (JSON), then freed. 0 or -1. */
static int
respond_auth(struct lws *wsi, struct http_req *r, struct auth_reply *a)
{
	struct extra x = { a->set_cookie, a->retry_after, NULL };
	int rc;

	if (a->body == NULL)
		rc = -1;
	else
		rc = respond_ex(wsi, r, a->status, "application/json; "
		    "charset=utf-8", a->body, a->bodylen, &x);
	free(a->body);
	a->body = NULL;
	return rc;
}

/* The client's address, without a dual-stack socket's IPv4 prefix. */
static void
peer_addr(struct lws *wsi, char *out, size_t len)
{
	char addr[64];

	if (lws_get_peer_simple(wsi, addr, sizeof(addr)) == NULL)
		snprintf(addr, sizeof(addr), "-");
	snprintf(out, len, "%s", strncmp(addr, "::ffff:", 7) == 0 ? addr + 7 :
	    addr);
}

/* A refusal: logged (who, what, why) and answered with a short text. */
static int
refuse(struct lws *wsi, struct http_req *r, unsigned status,
    const char *method, const char *why)
{
	char addr[64], body[256];
	int n;

	peer_addr(wsi, addr, sizeof(addr));
	log_warnx("http refused vhost=%s addr=%s method=%s path=%s status=%u "
	    "reason=%s", lws_get_vhost_name(lws_get_vhost(wsi)), addr, method,
	    log_str(r->path), status, log_str(why));
	n = snprintf(body, sizeof(body), "%u %s\n", status, why);
	return respond(wsi, r, status, "text/plain; charset=utf-8", body,
	    (size_t)n);
}

/* The gauges of /metrics, read now. */
static int
serve_metrics(struct lws *wsi, struct http_req *r, struct server *s)
{
	struct metrics_link links[CONFIG_MAX_PEERS];
	struct metrics_gauges g;
	const struct config *cfg = s->cfg;
	struct peer *p;
	char *text = NULL, key[ROUTING_KEY_MAX];
	size_t len = 0, i;
	int64_t oldest;
	FILE *fp;
	int rc;

	memset(&g, 0, sizeof(g));
	for (p = s->peers; p != NULL; p = p->next) {
		if (p->state == PEER_READY && p->link >= 0)
			g.conn_relay++;
		else if (p->state == PEER_READY)
			g.conn_node++;
		else
			g.conn_pending++;
	}
	if (s->admit != NULL)
		g.conn_pending += admit_pending(s->admit);
	if (store_pending_oldest(s->store, &g.pending, &oldest) == 0 &&
	    oldest > 0)
		g.oldest_pending_s = (double)(message_now_ms() - oldest) / 1e3;
	if ((g.overdue = store_overdue_count(s->store)) < 0)
		g.overdue = 0;
	for (i = 0; i < cfg->npeers; i++) {
		links[i].name = cfg->peers[i].name;
		links[i].up = 0;
		for (p = s->peers; p != NULL; p = p->next)
			if (p->link == (int)i && p->state == PEER_READY)
				links[i].up = 1;
		routing_link_key(&cfg->peers[i], key, sizeof(key));
		links[i].queue = store_pending_to(s->store, key);
	}
	g.links = links;
	g.nlinks = cfg->npeers;
	if ((fp = open_memstream(&text, &len)) == NULL)
		return -1;
	rc = metrics_render(fp, &g);
	if (fclose(fp) != 0 || rc == -1) {
		free(text);
		return refuse(wsi, r, 500, "GET", "metrics could not be written");
	}
	rc = respond(wsi, r, 200, "text/plain; version=0.0.4; charset=utf-8",
	    text, len);
	free(text);
	return rc;
}

/*
 * A file of the console's folder: the name judged by webpath_check, then
 * resolved (symlinks followed) and refused unless it is a regular file
 * inside the folder.
 */
static int
serve_file(struct lws *wsi, struct http_req *r, struct server *s,
    const char *uri, size_t urilen)
{
	char rel[WEBPATH_MAX + 16], full[PATH_MAX + WEBPATH_MAX + 16];
	char real[PATH_MAX], root[PATH_MAX];
	const char *why;
	struct stat sb;
	size_t n;
	char *data;
	FILE *fp;
	int rc;

	if (webpath_check(uri, urilen, rel, sizeof(rel), &why) == -1)
		return refuse(wsi, r, 400, "GET", why);
	if (realpath(s->cfg->console_root, root) == NULL)
		return refuse(wsi, r, 404, "GET", "console folder missing");
	snprintf(full, sizeof(full), "%s/%s", root, rel);
	if (realpath(full, real) == NULL)
		return refuse(wsi, r, 404, "GET", "no such file");
	n = strlen(root);
	if (strncmp(real, root, n) != 0 || real[n] != '/')
		return refuse(wsi, r, 404, "GET", "resolves outside the "
		    "console folder");
	if (stat(real, &sb) == -1 || !S_ISREG(sb.st_mode))
		return refuse(wsi, r, 404, "GET", "not a file");
	if (sb.st_size > HTTPD_FILE_MAX)
		return refuse(wsi, r, 500, "GET", "file too large");
	if ((fp = fopen(real, "rb")) == NULL)
		return refuse(wsi, r, 404, "GET", "cannot read");
	if ((data = malloc((size_t)sb.st_size + 1)) == NULL) {
		fclose(fp);
		return -1;
	}
	n = fread(data, 1, (size_t)sb.st_size, fp);
	fclose(fp);
	rc = respond(wsi, r, 200, webpath_mime(rel), data, n);
	free(data);
	return rc;
}

static const char *
method_of(struct lws *wsi)
{
	static const struct {
		enum lws_token_indexes t;
		const char *name;
	} m[] = {
		{ WSI_TOKEN_GET_URI, "GET" }, { WSI_TOKEN_POST_URI, "POST" },
		{ WSI_TOKEN_OPTIONS_URI, "OPTIONS" },
		{ WSI_TOKEN_PUT_URI, "PUT" }, { WSI_TOKEN_PATCH_URI, "PATCH" },
		{ WSI_TOKEN_DELETE_URI, "DELETE" },
		{ WSI_TOKEN_HEAD_URI, "HEAD" },
	};
	size_t i;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (lws_hdr_total_length(wsi, m[i].t) > 0)
			return m[i].name;
	return "?";
}

/* Copies the headers the gate reads, while lws still holds them. */
static void
copy_headers(struct lws *wsi, struct http_req *r)
{
	r->has_cookie = lws_hdr_copy(wsi, r->cookie, sizeof(r->cookie),
	    WSI_TOKEN_HTTP_COOKIE) > 0;
	r->has_authz = lws_hdr_copy(wsi, r->authz, sizeof(r->authz),
	    WSI_TOKEN_HTTP_AUTHORIZATION) > 0;
	r->has_csrf = lws_hdr_custom_copy(wsi, r->csrf, (int)sizeof(r->csrf),
	    "x-csrf-token:", 13) > 0;
}

/*
 * The gate of auth.c for this request. 0 let in (who filled), 1 refused
 * and answered, -1 close the connection.
 */
static int
gate(struct lws *wsi, struct http_req *r, struct server *s, int changes,
    struct auth_who *who)
{
	struct auth_reply a;
	int rc;

	rc = auth_gate(s, r->addr, r->has_cookie ? r->cookie : NULL,
	    r->has_authz ? r->authz : NULL, r->has_csrf ? r->csrf : NULL,
	    changes, who, &a);
	if (rc == 0)
		return 0;
	if (a.body == NULL)
		return -1;
	return respond_auth(wsi, r, &a) == -1 ? -1 : 1;
}

/* An endpoint of api.c, past the gate (its answer, then freed). 0 or -1. */
static int
serve_api(struct lws *wsi, struct http_req *r, struct server *s,
    const char *method, const struct auth_who *who, const char *uri,
    const char *body, size_t bodylen)
{
	struct api_call c;
	struct api_reply a;
	struct extra x = { NULL, 0, NULL };
	int rc;

	memset(&c, 0, sizeof(c));
	c.method = method;
	c.path = uri;
	c.query = "";
	c.body = (const uint8_t *)body;
	c.bodylen = bodylen;
	c.operator = who->operator;
	c.address = r->addr;
	if (api_handle(s, &c, &a) == -1)
		return -1;
	if (a.status >= 400)
		log_info("api refused addr=%s operator=%s method=%s path=%s "
		    "status=%u", r->addr, log_str(who->operator), method,
		    log_str(r->path), a.status);
	x.disposition = a.disposition;
	rc = respond_ex(wsi, r, a.status, a.content_type, a.body, a.bodylen,
	    &x);
	free(a.body);
	return rc;
}

/* A GET of the console: the API (through the gate) or a file. */
static int
console_get(struct lws *wsi, struct http_req *r, struct server *s,
    const char *uri, size_t len)
{
	static const char busy[] = "{\"error\":\"too many live feeds\"}";
	struct auth_who who;
	struct auth_reply a;
	int rc;

	if (len < 5 || memcmp(uri, "/api/", 5) != 0)
		return serve_file(wsi, r, s, uri, len);
	if ((rc = gate(wsi, r, s, 0, &who)) != 0)
		return rc == 1 ? 0 : -1;
	if (strcmp(r->path, "/api/session") == 0) {
		if (auth_session(s, &who, &a) == -1)
			return -1;
		return respond_auth(wsi, r, &a);
	}
	if (strcmp(r->path, "/api/events") == 0) {
		if ((rc = events_subscribe(s, wsi)) == 0) {
			r->responded = 1;	/* events.c writes from here */
			return 0;
		}
		if (rc == -1)
			return -1;
		return respond(wsi, r, 503, "application/json; charset=utf-8",
		    busy, sizeof(busy) - 1);
	}
	{
		char path[WEBPATH_MAX + 1];

		snprintf(path, sizeof(path), "%.*s", (int)len, uri);
		return serve_api(wsi, r, s, "GET", &who, path, NULL, 0);
	}
}

/* The answer to a login, on the loop: sent at the next writeable. */
static void
login_done(void *arg, struct auth_reply *a)
{
	struct lws *wsi = arg;
	struct http_req *r = lws_wsi_user(wsi);

	r->login = NULL;
	r->later = a;
	lws_callback_on_writable(wsi);
}

/* A POST of the console, its body read: /login, /logout, the API. */
static int
console_post(struct lws *wsi, struct http_req *r, struct server *s)
{
	struct auth_who who;
	struct auth_reply a;
	int rc;

	if (strcmp(r->uri, "/login") == 0) {
		rc = auth_login(s, r->addr, r->body != NULL ? r->body : "",
		    r->bodylen, login_done, wsi, &r->login, &a);
		if (rc == 0)
			return 0;	/* login_done answers */
		if (rc == -1)
			return -1;
		return respond_auth(wsi, r, &a);
	}
	if (strcmp(r->uri, "/logout") != 0 && strncmp(r->uri, "/api/", 5) != 0)
		return refuse(wsi, r, 404, "POST", "nothing to post to here");
	if ((rc = gate(wsi, r, s, 1, &who)) != 0)
		return rc == 1 ? 0 : -1;
	if (strcmp(r->uri, "/logout") == 0) {
		if (auth_logout(s, &who, r->addr, &a) == -1)
			return -1;
		return respond_auth(wsi, r, &a);
	}
	return serve_api(wsi, r, s, "POST", &who, r->uri, r->body, r->bodylen);
}

static int
on_request(struct lws *wsi, struct http_req *r, struct server *s,
    const char *uri, size_t len)
{
	const char *method = method_of(wsi);
	int console = lws_get_vhost(wsi) == s->console_vhost;
	char cl[32], *end;
	long long n;

	snprintf(r->path, sizeof(r->path), "%.*s", (int)(len < 120 ? len :
	    120), uri);
	peer_addr(wsi, r->addr, sizeof(r->addr));
	if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0) {
		r->close = 1;
		return refuse(wsi, r, 405, method, "method not allowed (GET "
		    "or POST)");
	}
	if (len > WEBPATH_MAX) {
		r->close = 1;
		return refuse(wsi, r, 414, method, "path too long");
	}
	copy_headers(wsi, r);
	if (strcmp(method, "POST") == 0) {
		if (lws_hdr_copy(wsi, cl, sizeof(cl),
		    WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0) {
			r->close = 1;
			return refuse(wsi, r, 411, method, "a POST needs a "
			    "Content-Length");
		}
		errno = 0;
		n = strtoll(cl, &end, 10);
		if (errno != 0 || *end != '\0' || n < 0 || n > HTTPD_BODY_MAX) {
			r->close = 1;
			return refuse(wsi, r, 413, method, "body over "
			    "16384 bytes");
		}
		if (!console)
			return n == 0 ? refuse(wsi, r, 404, method, "nothing "
			    "to post to here") : 0;
		memcpy(r->uri, uri, len);
		r->uri[len] = '\0';
		if (n > 0 && (r->body = malloc((size_t)n + 1)) == NULL)
			return -1;
		r->bodylen = 0;
		if (n == 0)
			return console_post(wsi, r, s);
		return 0;	/* HTTP_BODY, then BODY_COMPLETION */
	}
	if (len == 8 && memcmp(uri, "/metrics", 8) == 0 &&
	    (!console || s->cfg->metrics == METRICS_CONSOLE))
		return serve_metrics(wsi, r, s);
	if (!console)
		return refuse(wsi, r, 404, method, "only /metrics here");
	return console_get(wsi, r, s, uri, len);
}

/* Forgets what one request kept (for the next on a kept-alive connection). */
static void
req_reset(struct server *s, struct http_req *r)
{
	free(r->out);
	r->out = NULL;
	free(r->body);
	r->body = NULL;
	r->bodylen = r->body_seen = 0;
	if (r->login != NULL) {
		auth_login_cancel(s, r->login);
		r->login = NULL;
	}
	if (r->later != NULL) {
		free(r->later->body);
		free(r->later);
		r->later = NULL;
	}
	explicit_bzero(r->cookie, sizeof(r->cookie));
	explicit_bzero(r->authz, sizeof(r->authz));
	r->has_cookie = r->has_authz = r->has_csrf = 0;
	r->responded = 0;
}

static int
http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct server *s = lws_context_user(lws_get_context(wsi));
	struct http_req *r = user;
	struct auth_reply *a;
	int n;

	switch (reason) {
	case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS:
		/* browsers: TLS 1.2 or 1.3; no client certificate asked */
		SSL_CTX_set_min_proto_version(user, TLS1_2_VERSION);
		return 0;
	case LWS_CALLBACK_OPENSSL_PERFORM_CLIENT_CERT_VERIFICATION:
		return 0;
	case LWS_CALLBACK_HTTP:
		if (r == NULL)
			return -1;
		return on_request(wsi, r, s, in, len) == -1 ? -1 : 0;
	case LWS_CALLBACK_HTTP_BODY:
		if (r == NULL)
			return -1;
		r->body_seen += len;
		if (r->body_seen > HTTPD_BODY_MAX || (r->body != NULL &&
		    r->bodylen + len > HTTPD_BODY_MAX)) {
			r->close = 1;
			return refuse(wsi, r, 413, "POST", "body over 16384 "
			    "bytes") == -1 ? -1 : 0;
		}
		if (r->body != NULL) {
			memcpy(r->body + r->bodylen, in, len);
			r->bodylen += len;
			r->body[r->bodylen] = '\0';
		}
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (r == NULL || r->responded)
			return 0;
		if (r->body == NULL)
			return refuse(wsi, r, 404, "POST", "nothing to post to "
			    "here") == -1 ? -1 : 0;
		return console_post(wsi, r, s) == -1 ? -1 : 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (r == NULL)
			return 0;
		if ((n = events_writeable(s, wsi)) != 1)
			return n;	/* a live feed: events.c's */
		if (r->later != NULL) {
			a = r->later;
			r->later = NULL;
			n = respond_auth(wsi, r, a);
			free(a);
			return n == -1 ? -1 : 0;
		}
		if (r->out == NULL)
			return 0;
		n = lws_write(wsi, r->out + LWS_PRE, r->outlen,
		    LWS_WRITE_HTTP_FINAL);
		free(r->out);
		r->out = NULL;
		if (n < 0 || r->close)
			return -1;
		req_reset(s, r);
		return lws_http_transaction_completed(wsi) ? -1 : 0;
	case LWS_CALLBACK_CLOSED_HTTP:
		events_unsubscribe(s, wsi);
		if (r != NULL)
			req_reset(s, r);
		return 0;
	default:
		return 0;
	}
}

int
httpd_start(struct server *s)
{
	const struct config *cfg = s->cfg;
	struct lws_context_creation_info info;
	char err[256];

	if (cfg->console) {
		if ((s->auth = auth_new(s, err, sizeof(err))) == NULL) {
			log_warnx("console: %s", err);
			return -1;
		}
		memset(&info, 0, sizeof(info));
		info.options = LWS_SERVER_OPTION_LIBEV |
		    LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.port = cfg->console_port;
		info.iface = cfg->console_host;
		info.protocols = http_protocols;
		info.vhost_name = "console";
		info.ssl_cert_filepath = cfg->console_cert;
		info.ssl_private_key_filepath = cfg->console_key;
		info.alpn = "http/1.1";
		info.timeout_secs = cfg->handshake_timeout_s;
		if ((s->console_vhost = lws_create_vhost(s->context,
		    &info)) == NULL) {
			log_warnx("console: cannot listen on %s:%d (port in "
			    "use? certificate %s and key %s readable?)",
			    cfg->console_host, cfg->console_port,
			    cfg->console_cert, cfg->console_key);
			return -1;
		}
	}
	if (cfg->metrics == METRICS_PLAIN) {
		memset(&info, 0, sizeof(info));
		info.options = LWS_SERVER_OPTION_LIBEV;
		info.port = cfg->metrics_port;
		info.iface = cfg->metrics_host;
		info.protocols = http_protocols;
		info.vhost_name = "metrics";
		info.timeout_secs = cfg->handshake_timeout_s;
		if ((s->metrics_vhost = lws_create_vhost(s->context,
		    &info)) == NULL) {
			log_warnx("metrics: cannot listen on %s:%d (port in "
			    "use?)", cfg->metrics_host, cfg->metrics_port);
			return -1;
		}
	}
	return 0;
}

void
httpd_free(struct server *s)
{
	auth_free(s->auth);
	s->auth = NULL;
}

int
httpd_console_port(struct server *s)
{
	return s->console_vhost != NULL ?
	    lws_get_vhost_listen_port(s->console_vhost) : -1;
}

int
httpd_metrics_port(struct server *s)
{
	return s->metrics_vhost != NULL ?
	    lws_get_vhost_listen_port(s->metrics_vhost) : -1;
}

int
httpd_check(const struct config *cfg, char *err, size_t errlen)
{
	struct stat sb;

	if (!cfg->console)
		return 0;
	if (access(cfg->console_cert, R_OK) == -1) {
		snprintf(err, errlen, "[console] cert %s: %s", cfg->console_cert,
		    strerror(errno));
		return -1;
	}
	if (access(cfg->console_key, R_OK) == -1) {
		snprintf(err, errlen, "[console] key %s: %s", cfg->console_key,
		    strerror(errno));
		return -1;
	}
	if (stat(cfg->console_root, &sb) == -1 || !S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "[console] root %s: not a folder (the "
		    "console's files, installed by make install)",
		    cfg->console_root);
		return -1;
	}
	return 0;
}
