/*
 * config: reads the relay's INI file (the shared reader of conf.h) and
 * checks every key.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kairan/conf.h"
#include "kairan/entity.h"
#include "kairan/log.h"
#include "kairan/mailconf.h"

#include "config.h"

struct parse {
	struct conf_ini	 ini;		/* first: callbacks cast back */
	struct config	*cfg;
	int		 seen[32];	/* line of each key, by index in keys[] */
	int		 section_line;
	int		 in_relay;
	int		 in_console, in_metrics;	/* lines of those sections */
	char		 cur_section;	/* 'c' [console], 'm' [metrics], 0 */
	int		 console_seen[6], metrics_seen[1];
	struct config_peer *cur_peer;	/* in a [peer NAME] section */
	int		 peer_seen[2];	/* lines of its id, url */
	char		 hub[CONFIG_PEER_NAME_MAX + 1];
	int		 hub_line;
	int		 in_esc, esc_line;	/* [escalation] */
	int		 esc_seen[8];
	int		 in_smtp;		/* [smtp]: cfg->smtp */
};

static const char *const keys[] = {
	"id", "listen", "db", "cert", "key", "ca", "crl", "directory",
	"serve", "max_frame", "window", "queue_limit", "max_connections",
	"handshake_timeout", "idle_timeout", "ping_interval", "resend_after",
	"log_level", "max_pending", "max_pending_per_addr",
	"audit_checkpoint", "hub", "session_tickets", "ticket_rotation",
};
static const char *const peer_keys[] = { "id", "url" };
static const char *const esc_keys[] = {
	"level0", "level1", "level2", "level3", "repeat", "mails", "retry",
};
#define NESC_KEYS	(sizeof(esc_keys) / sizeof(esc_keys[0]))
static const char *const console_keys[] = {
	"listen", "cert", "key", "root", "session", "geometry",
};
static const char *const metrics_keys[] = { "listen" };
#define NKEYS	(sizeof(keys) / sizeof(keys[0]))
static const char *const required[] = {
	"id", "listen", "db", "cert", "key", "ca", "directory",
};

#define parse_error(p, ...)	conf_ini_error(&(p)->ini, 0, __VA_ARGS__)

/* A link name: 1..32 of letters, digits, '-', '_'. */
static int
peer_name_valid(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > CONFIG_PEER_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return 0;
	return 1;
}

/* The end of a [peer] section: its keys are all there. */
static void
peer_end(struct parse *p)
{
	struct config_peer *c = p->cur_peer;

	if (c == NULL)
		return;
	p->cur_peer = NULL;
	if (c->id[0] == '\0')
		conf_ini_error(&p->ini, c->line, "[peer %s]: missing key \"id\"",
		    c->name);
}

static void
peer_start(struct parse *p, const char *name)
{
	struct config *cfg = p->cfg;
	struct config_peer *c;
	size_t i;

	if (!peer_name_valid(name)) {
		parse_error(p, "[peer %s]: a link name is 1..%d letters, "
		    "digits, '-' or '_'", name, CONFIG_PEER_NAME_MAX);
		return;
	}
	for (i = 0; i < cfg->npeers; i++)
		if (strcmp(cfg->peers[i].name, name) == 0) {
			parse_error(p, "duplicate section [peer %s] (first on "
			    "line %d)", name, cfg->peers[i].line);
			return;
		}
	if (cfg->npeers == CONFIG_MAX_PEERS) {
		parse_error(p, "[peer %s]: more than %d peers", name,
		    CONFIG_MAX_PEERS);
		return;
	}
	c = &cfg->peers[cfg->npeers++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->line = p->ini.line;
	p->cur_peer = c;
	memset(p->peer_seen, 0, sizeof(p->peer_seen));
}

static void
peer_key(struct parse *p, const char *name, const char *v)
{
	struct config_peer *c = p->cur_peer;
	char where[64], e[256];
	int k;

	snprintf(where, sizeof(where), "peer %s", c->name);
	if ((k = conf_ini_key(&p->ini, where, peer_keys, 2, p->peer_seen,
	    name)) == -1)
		return;
	if (k == 0) {
		if (!entity_valid(v, e, sizeof(e)))
			parse_error(p, "id: %s", e);
		else if (strncmp(v, "relay-", 6) != 0)
			parse_error(p, "id: %s is not a relay (a peer is "
			    "relay-PP or relay-national)", v);
		else if (strcmp(v, p->cfg->id) == 0)
			parse_error(p, "id: %s is this relay itself", v);
		else
			snprintf(c->id, sizeof(c->id), "%s", v);
		return;
	}
	if (conf_url(v, c->host, sizeof(c->host), &c->port, c->path,
	    sizeof(c->path), e, sizeof(e)) == -1) {
		parse_error(p, "%s", e);
		return;
	}
	if ((c->url = strdup(v)) == NULL)
		parse_error(p, "url: out of memory");
}

/* [escalation] and [smtp]: once each. 1 if this is its first header. */
static int
section_once(struct parse *p, const char *name, int *line)
{
	if (*line != 0) {
		parse_error(p, "duplicate section [%s] (first on line %d)",
		    name, *line);
		return 0;
	}
	*line = p->ini.line;
	return 1;
}

static void
section_start(struct conf_ini *ini, const char *name)
{
	struct parse *p = (struct parse *)ini;

	peer_end(p);
	p->in_relay = strcmp(name, "relay") == 0;
	p->in_esc = p->in_smtp = 0;
	if (strcmp(name, "console") == 0 || strcmp(name, "metrics") == 0) {
		int *line = name[0] == 'c' ? &p->in_console : &p->in_metrics;

		if (*line != 0)
			parse_error(p, "duplicate section [%s] (first on line "
			    "%d)", name, *line);
		else
			*line = ini->line;
		p->cur_section = name[0];
		return;
	}
	p->cur_section = 0;
	if (strncmp(name, "peer", 4) == 0 && (name[4] == ' ' ||
	    name[4] == '\t' || name[4] == '\0')) {
		name += 4;
		while (*name == ' ' || *name == '\t')
			name++;
		peer_start(p, name);
	} else if (strcmp(name, "escalation") == 0)
		p->in_esc = section_once(p, name, &p->esc_line);
	else if (strcmp(name, "smtp") == 0)
		p->in_smtp = section_once(p, name, &p->cfg->smtp.line);
	else if (!p->in_relay)
		parse_error(p, "unknown section [%s] (expected [relay], "
		    "[peer NAME], [console], [metrics], [escalation] or [smtp])",
		    name);
	else if (p->section_line != 0)
		parse_error(p, "duplicate section [relay] (first on line %d)",
		    p->section_line);
	else
		p->section_line = ini->line;
}

static int
set_path(struct parse *p, char **dst, const char *key, const char *v)
{
	return conf_ini_path(&p->ini, dst, key, v) == 0;
}

static int
set_uint(struct parse *p, const char *key, unsigned *dst, const char *v,
    long long min, long long max)
{
	long long n;
	char e[256];

	if (conf_int(v, min, max, &n, e, sizeof(e)) == -1) {
		parse_error(p, "%s: %s", key, e);
		return 0;
	}
	*dst = (unsigned)n;
	return 1;
}

static int
set_duration(struct parse *p, const char *key, unsigned *dst, const char *v,
    uint64_t min_ms, uint64_t max_ms)
{
	uint64_t ms;
	char e[256];

	if (conf_duration_ms(v, min_ms, max_ms, &ms, e, sizeof(e)) == -1) {
		parse_error(p, "%s: %s", key, e);
		return 0;
	}
	*dst = (unsigned)((ms + 999) / 1000);
	return 1;
}

/* "45 mic 46": prefecture codes and entity ids, spaces or commas. */
static int
set_serve(struct parse *p, const char *v)
{
	struct config *cfg = p->cfg;
	char buf[1024], *s, *tok, e[256];

	if (strlen(v) >= sizeof(buf)) {
		parse_error(p, "serve: too long");
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", v);
	cfg->nserve = 0;
	for (s = buf; (tok = strsep(&s, " ,\t")) != NULL; ) {
		if (*tok == '\0')
			continue;
		if (!entity_pref_valid(tok) && !entity_valid(tok, e, sizeof(e))) {
			parse_error(p, "serve: \"%s\": expected a prefecture "
			    "code 01..47 or an entity id", tok);
			return 0;
		}
		if (cfg->nserve == CONFIG_MAX_SERVE) {
			parse_error(p, "serve: more than %d items",
			    CONFIG_MAX_SERVE);
			return 0;
		}
		snprintf(cfg->serve[cfg->nserve++], sizeof(cfg->serve[0]),
		    "%s", tok);
	}
	if (cfg->nserve == 0) {
		parse_error(p, "serve: expected prefecture codes or entity ids");
		return 0;
	}
	return 1;
}

static int
relay_key(struct parse *p, const char *name, const char *v)
{
	struct config *cfg = p->cfg;
	char e[256];
	uint64_t n;

	if (conf_ini_key(&p->ini, "relay", keys, NKEYS, p->seen, name) == -1)
		return 0;

	if (strcmp(name, "id") == 0) {
		if (!entity_valid(v, e, sizeof(e))) {
			parse_error(p, "id: %s", e);
			return 0;
		}
		snprintf(cfg->id, sizeof(cfg->id), "%s", v);
	} else if (strcmp(name, "listen") == 0) {
		if (conf_listen(v, cfg->host, sizeof(cfg->host), &cfg->port,
		    e, sizeof(e)) == -1) {
			parse_error(p, "listen: %s", e);
			return 0;
		}
	} else if (strcmp(name, "db") == 0)
		return set_path(p, &cfg->db, name, v);
	else if (strcmp(name, "cert") == 0)
		return set_path(p, &cfg->cert, name, v);
	else if (strcmp(name, "key") == 0)
		return set_path(p, &cfg->key, name, v);
	else if (strcmp(name, "ca") == 0)
		return set_path(p, &cfg->ca, name, v);
	else if (strcmp(name, "crl") == 0)
		return set_path(p, &cfg->crl, name, v);
	else if (strcmp(name, "directory") == 0)
		return set_path(p, &cfg->directory, name, v);
	else if (strcmp(name, "serve") == 0)
		return set_serve(p, v);
	else if (strcmp(name, "max_frame") == 0) {
		if (conf_size(v, 4096, 64 * 1024 * 1024, &n, e,
		    sizeof(e)) == -1) {
			parse_error(p, "max_frame: %s", e);
			return 0;
		}
		cfg->max_frame = (size_t)n;
	} else if (strcmp(name, "window") == 0)
		return set_uint(p, name, &cfg->window, v, 1, 4096);
	else if (strcmp(name, "queue_limit") == 0)
		return set_uint(p, name, &cfg->queue_limit, v, 1, 1000000);
	else if (strcmp(name, "max_connections") == 0)
		return set_uint(p, name, &cfg->max_connections, v, 1, 1000000);
	else if (strcmp(name, "handshake_timeout") == 0)
		return set_duration(p, name, &cfg->handshake_timeout_s, v, 1000,
		    600000);
	/*
	 * libwebsockets keeps ping and hang-up delays in 16 bits of seconds:
	 * 18 h of idle plus 10 min of ping stay below 65,535 s.
	 */
	else if (strcmp(name, "idle_timeout") == 0)
		return set_duration(p, name, &cfg->idle_timeout_s, v, 1000,
		    18 * 3600000);
	else if (strcmp(name, "ping_interval") == 0)
		return set_duration(p, name, &cfg->ping_interval_s, v, 1000,
		    600000);
	else if (strcmp(name, "max_pending") == 0) {
		/* auto (0): sized from the nodes served (admit_budget) */
		if (strcmp(v, "auto") == 0) {
			cfg->max_pending = 0;
			return 1;
		}
		return set_uint(p, name, &cfg->max_pending, v, 1, 65535);
	} else if (strcmp(name, "session_tickets") == 0) {
		/* the ticket key file (tickets.h), or off: no resumption */
		free(cfg->tickets);
		cfg->tickets = NULL;
		cfg->tickets_off = strcmp(v, "off") == 0;
		return cfg->tickets_off ? 1 : set_path(p, &cfg->tickets, name,
		    v);
	} else if (strcmp(name, "ticket_rotation") == 0)
		return set_duration(p, name, &cfg->ticket_rotation_s, v, 1000,
		    7 * 86400000ULL);
	else if (strcmp(name, "max_pending_per_addr") == 0)
		return set_uint(p, name, &cfg->max_pending_per_addr, v, 1, 65535);
	else if (strcmp(name, "audit_checkpoint") == 0)
		return set_duration(p, name, &cfg->audit_checkpoint_s, v, 1000,
		    86400000);
	else if (strcmp(name, "resend_after") == 0)
		return set_duration(p, name, &cfg->resend_after_s, v, 1000,
		    3600000);
	else if (strcmp(name, "hub") == 0) {
		if (!peer_name_valid(v)) {
			parse_error(p, "hub: expected the name of a [peer] "
			    "section, got \"%s\"", v);
			return 0;
		}
		snprintf(p->hub, sizeof(p->hub), "%s", v);
		p->hub_line = p->ini.line;
	} else if (strcmp(name, "log_level") == 0) {
		if (conf_log_level(v, &cfg->log_level, e, sizeof(e)) == -1) {
			parse_error(p, "log_level: %s", e);
			return 0;
		}
	}
	return 1;
}

/* [console] listen, cert, key, root, session, geometry */
static void
console_key(struct parse *p, const char *name, const char *v)
{
	struct config *cfg = p->cfg;
	char e[256];
	int k;

	if ((k = conf_ini_key(&p->ini, "console", console_keys, 6,
	    p->console_seen, name)) == -1)
		return;
	if (k == 0) {
		if (conf_listen(v, cfg->console_host,
		    sizeof(cfg->console_host), &cfg->console_port, e,
		    sizeof(e)) == -1)
			parse_error(p, "[console] listen: %s", e);
	} else if (k == 1)
		(void)set_path(p, &cfg->console_cert, name, v);
	else if (k == 2)
		(void)set_path(p, &cfg->console_key, name, v);
	else if (k == 3)
		(void)set_path(p, &cfg->console_root, name, v);
	else if (k == 4)
		(void)set_duration(p, "[console] session",
		    &cfg->console_session_s, v, 60000, 7ULL * 86400000);
	else
		(void)set_path(p, &cfg->console_geometry, name, v);
}

/* [metrics] listen = HOST:PORT | console | off */
static void
metrics_key(struct parse *p, const char *name, const char *v)
{
	struct config *cfg = p->cfg;
	char e[256];

	if (conf_ini_key(&p->ini, "metrics", metrics_keys, 1, p->metrics_seen,
	    name) == -1)
		return;
	if (strcmp(v, "console") == 0)
		cfg->metrics = METRICS_CONSOLE;
	else if (strcmp(v, "off") == 0)
		cfg->metrics = METRICS_OFF;
	else if (conf_listen(v, cfg->metrics_host, sizeof(cfg->metrics_host),
	    &cfg->metrics_port, e, sizeof(e)) == -1)
		parse_error(p, "[metrics] listen: %s (or \"console\", "
		    "\"off\")", e);
	else
		cfg->metrics = METRICS_PLAIN;
}

/* level0..3: a duration, or "off" (reports of that level are not chased). */
static int
set_deadline(struct parse *p, const char *key, uint64_t *dst, const char *v)
{
	char e[256];

	if (strcmp(v, "off") == 0) {
		*dst = 0;
		return 1;
	}
	if (conf_duration_ms(v, 1000, 30ULL * 86400000, dst, e,
	    sizeof(e)) == -1) {
		parse_error(p, "%s: %s, or \"off\"", key, e);
		return 0;
	}
	return 1;
}

static int
esc_key(struct parse *p, const char *name, const char *v)
{
	struct config *cfg = p->cfg;
	char e[256];
	int k;

	if ((k = conf_ini_key(&p->ini, "escalation", esc_keys, NESC_KEYS,
	    p->esc_seen, name)) == -1)
		return 0;
	if (k < CONFIG_LEVELS)
		return set_deadline(p, name, &cfg->esc_deadline_ms[k], v);
	if (strcmp(name, "repeat") == 0) {
		if (conf_duration_ms(v, 1000, 7ULL * 86400000,
		    &cfg->esc_repeat_ms, e, sizeof(e)) == -1) {
			parse_error(p, "repeat: %s", e);
			return 0;
		}
	} else if (strcmp(name, "mails") == 0)
		return set_uint(p, name, &cfg->esc_mails, v, 0,
		    CONFIG_MAILS_MAX);
	else if (strcmp(name, "retry") == 0) {
		if (conf_duration_ms(v, 100, 86400000, &cfg->esc_retry_ms, e,
		    sizeof(e)) == -1) {
			parse_error(p, "retry: %s", e);
			return 0;
		}
	}
	return 1;
}

static void
key(struct conf_ini *ini, const char *section, const char *name,
    const char *v)
{
	struct parse *p = (struct parse *)ini;

	(void)section;	/* tracked by section_start */
	if (p->cur_section == 'c')
		console_key(p, name, v);
	else if (p->cur_section == 'm')
		metrics_key(p, name, v);
	else if (p->in_relay)
		(void)relay_key(p, name, v);
	else if (p->in_esc)
		(void)esc_key(p, name, v);
	else if (p->in_smtp)
		(void)mailconf_key(&p->ini, &p->cfg->smtp, name, v);
	else if (p->cur_peer != NULL)
		peer_key(p, name, v);
	else if (p->section_line == 0 && ini->err_line == 0)
		parse_error(p, "%s: key outside a section (expected [relay] "
		    "first)", name);
}

/*
 * Across the [peer] sections: `hub` names one; an id that several name
 * (an HA pair) is dialled by each of them, and at most one section
 * without url waits for a given id (an incoming connection must map to
 * exactly one link).
 */
static void
check_peers(struct parse *p)
{
	struct config *cfg = p->cfg;
	size_t i, j;

	for (i = 0; i < cfg->npeers; i++)
		for (j = 0; j < i; j++)
			if (strcmp(cfg->peers[i].id, cfg->peers[j].id) == 0 &&
			    cfg->peers[i].id[0] != '\0' &&
			    (cfg->peers[i].url == NULL ||
			    cfg->peers[j].url == NULL))
				conf_ini_error(&p->ini, cfg->peers[i].line,
				    "[peer %s]: id %s is also [peer %s] (line "
				    "%d); two links to one id (an HA pair) are "
				    "both dialled: give each a url",
				    cfg->peers[i].name, cfg->peers[i].id,
				    cfg->peers[j].name, cfg->peers[j].line);
	if (p->hub[0] == '\0')
		return;
	for (i = 0; i < cfg->npeers; i++)
		if (strcmp(cfg->peers[i].name, p->hub) == 0)
			cfg->hub = (int)i;
	if (cfg->hub == -1)
		conf_ini_error(&p->ini, p->hub_line, "hub: no [peer %s] section",
		    p->hub);
}

struct config *
config_load(const char *file, char *err, size_t errlen)
{
	struct config *cfg;
	struct parse p;
	char pref[3];
	size_t i, k;

	memset(&p, 0, sizeof(p));
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", file);
		return NULL;
	}
	cfg->max_frame = KAIRAN_MAX_FRAME;
	cfg->window = 64;
	cfg->queue_limit = 10000;
	cfg->max_connections = 4096;
	cfg->handshake_timeout_s = 10;
	cfg->idle_timeout_s = 120;
	cfg->ping_interval_s = 30;
	cfg->resend_after_s = 30;
	cfg->max_pending = 0;		/* auto */
	cfg->max_pending_per_addr = 32;
	cfg->ticket_rotation_s = 12 * 3600;
	cfg->audit_checkpoint_s = 300;
	cfg->console_session_s = 12 * 3600;
	/* the defaults and their reasons: deploy/relay.conf.example */
	cfg->esc_deadline_ms[0] = 24ULL * 3600000;
	cfg->esc_deadline_ms[1] = 4ULL * 3600000;
	cfg->esc_deadline_ms[2] = 3600000;
	cfg->esc_deadline_ms[3] = 30ULL * 60000;
	cfg->esc_repeat_ms = 3600000;
	cfg->esc_mails = 3;
	cfg->esc_retry_ms = 60000;
	mailconf_init(&cfg->smtp, 10000);
	cfg->metrics = METRICS_OFF;
	if (conf_listen(CONFIG_METRICS_DEFAULT, cfg->metrics_host,
	    sizeof(cfg->metrics_host), &cfg->metrics_port, err, errlen) == -1)
		goto fail;
	if ((cfg->file = strdup(file)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", file);
		goto fail;
	}
	p.cfg = cfg;
	p.ini.file = file;
	p.ini.section = section_start;
	p.ini.key = key;
	cfg->hub = -1;
	if (conf_ini_read(&p.ini, err, errlen) == -1)
		goto fail;
	peer_end(&p);
	check_peers(&p);
	mailconf_check(&p.ini, &cfg->smtp);
	if (p.section_line == 0)
		conf_ini_error(&p.ini, p.ini.line, "missing section [relay]");
	for (i = 0; p.ini.err_line == 0 &&
	    i < sizeof(required) / sizeof(required[0]); i++) {
		for (k = 0; k < NKEYS; k++)
			if (strcmp(keys[k], required[i]) == 0)
				break;
		if (!p.seen[k])
			conf_ini_error(&p.ini, p.section_line,
			    "[relay]: missing key \"%s\"", required[i]);
	}
	if (p.ini.err_line == 0 && cfg->nserve == 0) {
		/*
		 * default: the relay's own prefecture (relay-PP); the national
		 * relay is the home of the national bodies
		 */
		if (strcmp(cfg->id, KAIRAN_NATIONAL_RELAY) == 0)
			cfg->serve_national = 1;
		else if (entity_prefecture(cfg->id, pref) == -1)
			conf_ini_error(&p.ini, p.section_line, "[relay]: id %s "
			    "names no prefecture: say what it serves with "
			    "\"serve\"", cfg->id);
		else {
			snprintf(cfg->serve[0], sizeof(cfg->serve[0]), "%s",
			    pref);
			cfg->nserve = 1;
		}
	}
	/* the ticket keys live beside the store, with the relay's state */
	if (p.ini.err_line == 0 && !cfg->tickets_off && cfg->tickets == NULL &&
	    cfg->db != NULL && asprintf(&cfg->tickets, "%s-tickets",
	    cfg->db) == -1) {
		cfg->tickets = NULL;
		conf_ini_error(&p.ini, p.section_line, "out of memory");
	}
	cfg->console = p.in_console != 0;
	if (p.in_console != 0 && p.ini.err_line == 0) {
		if (!p.console_seen[0] || !p.console_seen[1] ||
		    !p.console_seen[2])
			conf_ini_error(&p.ini, p.in_console, "[console]: needs "
			    "listen, cert and key (its own certificate, with "
			    "the host name browsers use)");
		else if (!p.console_seen[3] && (cfg->console_root =
		    strdup(KAIRAN_CONSOLE_DIR)) == NULL)
			conf_ini_error(&p.ini, p.in_console, "out of memory");
	}
	/* [metrics] without listen: loopback, the default port */
	if (p.in_metrics != 0 && !p.metrics_seen[0])
		cfg->metrics = METRICS_PLAIN;
	if (p.ini.err_line == 0 && cfg->metrics == METRICS_CONSOLE &&
	    !cfg->console)
		conf_ini_error(&p.ini, p.in_metrics, "[metrics] listen = "
		    "console: there is no [console] section");
	if (conf_ini_result(&p.ini, err, errlen) == -1)
		goto fail;
	return cfg;
fail:
	config_free(cfg);
	return NULL;
}

void
config_free(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	free(cfg->file);
	free(cfg->db);
	free(cfg->tickets);
	free(cfg->cert);
	free(cfg->key);
	free(cfg->ca);
	free(cfg->crl);
	free(cfg->directory);
	free(cfg->console_cert);
	free(cfg->console_key);
	free(cfg->console_root);
	free(cfg->console_geometry);
	for (i = 0; i < cfg->npeers; i++)
		free(cfg->peers[i].url);
	mailconf_clear(&cfg->smtp);
	free(cfg);
}

const struct config_peer *
config_peer(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->npeers; i++)
		if (strcmp(cfg->peers[i].name, name) == 0)
			return &cfg->peers[i];
	return NULL;
}

int
config_serves(const struct config *cfg, const char *entity, const char *pref)
{
	size_t i;

	if (cfg->serve_national && pref != NULL && *pref == '\0')
		return 1;
	for (i = 0; i < cfg->nserve; i++)
		if (strcmp(cfg->serve[i], entity) == 0 ||
		    (pref != NULL && *pref != '\0' &&
		    strcmp(cfg->serve[i], pref) == 0))
			return 1;
	return 0;
}
