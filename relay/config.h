/*
 * config: the relay's INI configuration (deploy/relay.conf.example).
 *
 *   [relay]  id, listen, db, cert, key, ca, crl, directory, serve,
 *            max_frame, window, queue_limit, max_connections,
 *            handshake_timeout, idle_timeout, ping_interval, resend_after,
 *            max_pending, max_pending_per_addr, audit_checkpoint,
 *            session_tickets, ticket_rotation,
 *            log_level, hub
 *   [peer NAME]  id, url: one link to another relay of the federation
 *            (with url this relay dials it; without, it accepts it)
 *   [console] listen, cert, key, root, session: the operators' HTTPS
 *            listener and how long a login lasts (default 12h)
 *            (httpd.h); no section, no listener; geometry: the TopoJSON
 *            file of GET /api/geometry (api.h), optional
 *   [metrics] listen: Prometheus /metrics, plain HTTP on HOST:PORT
 *            (loopback by default: 127.0.0.1:9145), or "console" for the
 *            console's listener, or "off"; no section, no /metrics
 *   [escalation]  level0..level3 (the acknowledgement deadline of a report
 *            of that level, or "off"), repeat, mails, retry (escalate.h)
 *   [smtp]   url (smtp:// or smtps://), from, user, password or
 *            password_file, tls (required | try | none), timeout
 *
 * Paths are relative to the configuration file's directory. Every error
 * reads "file:line: what is wrong".
 */
#ifndef KAIRAN_RELAY_CONFIG_H
#define KAIRAN_RELAY_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "kairan/kairan.h"
#include "kairan/mailconf.h"

#define CONFIG_MAX_SERVE	64
#define CONFIG_MAX_PEERS	128	/* the hub: 47 prefectures, HA pairs */
#define CONFIG_PEER_NAME_MAX	32

/* One [peer NAME] section: a link to another relay. */
struct config_peer {
	char	 name[CONFIG_PEER_NAME_MAX + 1];
	char	 id[KAIRAN_ENTITY_MAX + 1];	/* its certificate's CN */
	char	*url;				/* NULL: it dials us */
	char	 host[256];
	int	 port;
	char	 path[256];
	int	 line;				/* of the section header */
};


#define CONFIG_LEVELS		4	/* IncidentReport.level 0..3 */
#define CONFIG_MAILS_MAX	20

struct config {
	char		*file;
	char		 id[KAIRAN_ENTITY_MAX + 1];
	char		 host[256];
	int		 port;
	char		*db;
	char		*cert;		/* chain.pem: leaf + intermediate */
	char		*key;
	char		*ca;		/* federation root */
	char		*crl;		/* file or directory; NULL: no CRLs */
	char		*directory;
	/* what this relay serves: "45" (a prefecture) or an entity id */
	char		 serve[CONFIG_MAX_SERVE][KAIRAN_ENTITY_MAX + 1];
	size_t		 nserve;
	int		 serve_national;	/* relay-national without serve */
	size_t		 max_frame;
	unsigned	 window;		/* deliveries in flight per connection */
	unsigned	 queue_limit;		/* envelopes awaiting commit */
	unsigned	 max_connections;
	unsigned	 handshake_timeout_s;
	unsigned	 idle_timeout_s;
	unsigned	 ping_interval_s;
	unsigned	 resend_after_s;	/* unanswered delivery sent again */
	unsigned	 max_pending;		/* connections in their handshakes;
						   0: auto (admit_budget) */
	unsigned	 max_pending_per_addr;	/* ... from one address */
	unsigned	 audit_checkpoint_s;	/* signed audit checkpoint interval */
	char		*tickets;		/* session ticket keys; NULL with
						   tickets_off 0: db + "-tickets" */
	int		 tickets_off;		/* session_tickets = off */
	unsigned	 ticket_rotation_s;	/* a key issues this long, then is
						   accepted as long again */
	int		 log_level;		/* -1 warning, 0 info, 1 debug */
	struct config_peer peers[CONFIG_MAX_PEERS];
	size_t		 npeers;
	int		 hub;			/* index in peers, -1: none */

	/* [console]: console 0 means no console listener */
	int		 console;
	char		 console_host[256];
	int		 console_port;
	char		*console_cert;	/* its own: browsers need the host name */
	char		*console_key;
	char		*console_root;	/* the one folder of static files */
	unsigned	 console_session_s;	/* a login's lifetime */
	char		*console_geometry;	/* TopoJSON; NULL: none */
	/* [metrics]: METRICS_PLAIN on metrics_host:port, or on the console */
	enum { METRICS_OFF, METRICS_PLAIN, METRICS_CONSOLE } metrics;
	char		 metrics_host[256];
	int		 metrics_port;
	/* [escalation]: deadline of the 受理確認 per level, 0 = not chased */
	uint64_t	 esc_deadline_ms[CONFIG_LEVELS];
	uint64_t	 esc_repeat_ms;		/* between two mails */
	unsigned	 esc_mails;		/* mails per (report, recipient) */
	uint64_t	 esc_retry_ms;		/* first wait after a 4xx */
	/* [smtp] (kairan/mailconf.h): url NULL = no mail is sent (overdue is
	 * still marked) */
	struct mailconf	 smtp;
};

#define CONFIG_METRICS_DEFAULT	"127.0.0.1:9145"
#ifndef KAIRAN_CONSOLE_DIR
#define KAIRAN_CONSOLE_DIR	"/usr/local/share/kairan/console"
#endif

/*
 * Reads and checks file. Returns a config (free with config_free) or NULL
 * with err "file:line: what is wrong". Files it names are not opened here.
 */
struct config	*config_load(const char *file, char *err, size_t errlen);
void		 config_free(struct config *);	/* NULL is a no-op */

/* The [peer] section named name, or NULL. */
const struct config_peer *config_peer(const struct config *,
		    const char *name);

/* 1 if entity (known to the directory as being of prefecture pref, "" for national) is served. */
int		 config_serves(const struct config *, const char *entity,
		    const char *pref);

#endif
