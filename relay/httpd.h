/*
 * httpd: the relay's HTTP side, on the same lws context and libev loop as
 * the nodes' listener (listener.c), as vhosts of their own:
 *
 *   "console"  HTTPS only ([console] listen, cert, key), no client
 *              certificate asked: the operators' browsers. Static files
 *              from the one folder [console] root (relay/console/ in the
 *              repository, installed by make install), and /metrics when
 *              [metrics] listen = console.
 *   "metrics"  plain HTTP ([metrics] listen, loopback by default): only
 *              /metrics, for a Prometheus on the same host.
 *
 * Every request is bounded before it is looked at (headers: the
 * context's max_http_header_data; path: WEBPATH_MAX; method: GET or POST;
 * body: HTTPD_BODY_MAX, with a Content-Length) and every response carries
 * the security headers (Content-Security-Policy without inline scripts and
 * frame-ancestors 'none', HSTS, nosniff, Referrer-Policy). Refusals are
 * logged with the client's address and the (escaped) path.
 */
#ifndef KAIRAN_RELAY_HTTPD_H
#define KAIRAN_RELAY_HTTPD_H

#define HTTPD_BODY_MAX		(16 * 1024)	/* bytes of a POST body */
#define HTTPD_FILE_MAX		(4 * 1024 * 1024)	/* a static file */
#define HTTPD_HEADER_MAX	4096	/* all headers of a request */
#define HTTPD_COOKIE_MAX	1024	/* the Cookie header; longer: none */

struct server;
struct lws;

/*
 * The security headers every response carries (and Cache-Control:
 * cache), for a response written elsewhere (events.c's stream). 0 or -1.
 */
int	httpd_security_headers(struct lws *wsi, const char *cache,
	    unsigned char **p, unsigned char *end);

/*
 * Creates the console and metrics vhosts the configuration asks for, on
 * s->context (after listener_start). 0, or -1 after logging why.
 */
int	httpd_start(struct server *);
/* What httpd_start made beside the vhosts (the login's state); after the
 * lws context is destroyed. */
void	httpd_free(struct server *);
/* The ports they listen on (the kernel's choice for 0); -1 if none. */
int	httpd_console_port(struct server *);
int	httpd_metrics_port(struct server *);
/* For -n: the console's certificate, key and folder can be used. */
int	httpd_check(const struct config *, char *err, size_t errlen);

#endif
