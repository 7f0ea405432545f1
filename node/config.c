/*
 * config: reads the node's INI file with libinih and checks every key.
 *
 * libinih does not tell its handler the line number, so the file is fed
 * through our own reader, which counts lines and notices section headers
 * (an empty [route x] section must be an error too, and the handler never
 * hears of sections without keys).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kairan/conf.h"
#include "kairan/entity.h"
#include "kairan/link.h"
#include "kairan/log.h"
#include "kairan/mailconf.h"
#include "kairan/text.h"

#include "config.h"

static const char *const config_keys[CK_NKEYS] = {
	"id", "db", "cert", "key", "ca", "crl", "directory", "max_frame",
	"log_level", "hello_timeout", "stall_timeout",
};

struct parse {
	struct conf_ini	 ini;			/* first: callbacks cast back */
	struct config	*cfg;
	int		 seen_node;
	struct config_route *cur_route;		/* NULL: not in a route */
	struct policy_rule *cur_rule;		/* NULL: not in a policy */
	int		 in_internal, in_smtp;
	int		 internal_seen[2];	/* retry, attempts */
	int		 in_node;
	int		 in_unknown;
};

#define parse_error(p, line, ...)	conf_ini_error(&(p)->ini, (line), __VA_ARGS__)

static int
route_name_valid(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' &&
		    *s != '.')
			return 0;
	return n > 0 && n < CONFIG_ROUTE_NAME_MAX;
}

/* A section header at the current line: "[node]" or "[route NAME]". */
static void
section_start(struct conf_ini *ini, const char *name)
{
	struct parse *p = (struct parse *)ini;
	struct config *cfg = p->cfg;
	const char *rn;
	size_t i;

	p->cur_route = NULL;
	p->cur_rule = NULL;
	p->in_node = 0;
	p->in_unknown = 0;
	p->in_internal = p->in_smtp = 0;
	if (strcmp(name, "internal") == 0 || strcmp(name, "smtp") == 0) {
		int *line = name[0] == 'i' ? &cfg->internal_line :
		    &cfg->smtp.line;

		if (*line != 0) {
			parse_error(p, p->ini.line, "duplicate section [%s] "
			    "(first on line %d)", name, *line);
			p->in_unknown = 1;
			return;
		}
		*line = p->ini.line;
		if (name[0] == 'i')
			p->in_internal = 1;
		else
			p->in_smtp = 1;
		return;
	}
	if (strcmp(name, "node") == 0) {
		if (p->seen_node)
			parse_error(p, p->ini.line, "duplicate section [node]");
		p->seen_node = 1;
		p->in_node = 1;
		cfg->node_line = p->ini.line;
		return;
	}
	if (strncmp(name, "route", 5) == 0 &&
	    (name[5] == ' ' || name[5] == '\t')) {
		rn = name + 5;
		while (*rn == ' ' || *rn == '\t')
			rn++;
		if (!route_name_valid(rn)) {
			parse_error(p, p->ini.line, "[route %s]: route name must "
			    "be 1-%d letters, digits, '-', '_' or '.'", rn,
			    CONFIG_ROUTE_NAME_MAX - 1);
			p->in_unknown = 1;
			return;
		}
		for (i = 0; i < cfg->nroutes; i++)
			if (strcmp(cfg->routes[i].name, rn) == 0) {
				parse_error(p, p->ini.line,
				    "duplicate section [route %s]", rn);
				p->in_unknown = 1;
				return;
			}
		if (cfg->nroutes == CONFIG_MAX_ROUTES) {
			parse_error(p, p->ini.line, "more than %d routes",
			    CONFIG_MAX_ROUTES);
			p->in_unknown = 1;
			return;
		}
		p->cur_route = &cfg->routes[cfg->nroutes++];
		snprintf(p->cur_route->name, sizeof(p->cur_route->name), "%s",
		    rn);
		p->cur_route->line = p->ini.line;
		return;
	}
	if (strncmp(name, "policy", 6) == 0 &&
	    (name[6] == ' ' || name[6] == '\t')) {
		char e[256];

		rn = name + 6;
		while (*rn == ' ' || *rn == '\t')
			rn++;
		if ((p->cur_rule = policy_rule_add(cfg->policy, rn,
		    p->ini.line, e, sizeof(e))) == NULL) {
			parse_error(p, p->ini.line, "%s", e);
			p->in_unknown = 1;
		}
		return;
	}
	if (strcmp(name, "route") == 0)
		parse_error(p, p->ini.line, "[route]: a route needs a name: "
		    "[route NAME]");
	else if (strcmp(name, "policy") == 0)
		parse_error(p, p->ini.line, "[policy]: a rule needs a name: "
		    "[policy NAME]");
	else
		parse_error(p, p->ini.line, "unknown section [%s] (expected "
		    "[node], [route NAME] or [policy NAME])", name);
	p->in_unknown = 1;
}

static int
set_path(struct parse *p, char **dst, const char *key, const char *value)
{
	return conf_ini_path(&p->ini, dst, key, value) == 0;
}

static int
node_key(struct parse *p, const char *name, const char *value)
{
	struct config *cfg = p->cfg;
	char e[256];
	uint64_t sz;
	int k;

	if ((k = conf_ini_key(&p->ini, "node", config_keys, CK_NKEYS,
	    cfg->line, name)) == -1)
		return 0;
	switch (k) {
	case CK_ID:
		if (!entity_valid(value, e, sizeof(e))) {
			parse_error(p, p->ini.line, "id: \"%s\" is not an entity "
			    "id: %s", value, e);
			return 0;
		}
		snprintf(cfg->id, sizeof(cfg->id), "%s", value);
		return 1;
	case CK_DB:
		return set_path(p, &cfg->db, name, value);
	case CK_CERT:
		return set_path(p, &cfg->cert, name, value);
	case CK_KEY:
		return set_path(p, &cfg->key, name, value);
	case CK_CA:
		return set_path(p, &cfg->ca, name, value);
	case CK_CRL:
		return set_path(p, &cfg->crl, name, value);
	case CK_DIRECTORY:
		return set_path(p, &cfg->directory, name, value);
	case CK_MAX_FRAME:
		if (conf_size(value, 4096, 64ULL * 1024 * 1024, &sz, e,
		    sizeof(e)) == -1) {
			parse_error(p, p->ini.line, "max_frame: %s", e);
			return 0;
		}
		cfg->max_frame = (size_t)sz;
		return 1;
	case CK_LOG_LEVEL:
		if (conf_log_level(value, &cfg->log_level, e,
		    sizeof(e)) == -1) {
			parse_error(p, p->ini.line, "log_level: %s", e);
			return 0;
		}
		return 1;
	case CK_HELLO_TIMEOUT:
		if (conf_duration_ms(value, 100, 300000, &sz, e,
		    sizeof(e)) == -1) {
			parse_error(p, p->ini.line, "hello_timeout: %s", e);
			return 0;
		}
		cfg->hello_timeout_ms = (uint32_t)sz;
		return 1;
	case CK_STALL_TIMEOUT:
		if (conf_duration_ms(value, 100, 3600000, &sz, e,
		    sizeof(e)) == -1) {
			parse_error(p, p->ini.line, "stall_timeout: %s", e);
			return 0;
		}
		cfg->stall_ms = (uint32_t)sz;
		return 1;
	default:
		fatalx("%s: key %d", __func__, k);
	}
}

int
config_parse_url(const char *url, struct config_route *r, char *err,
    size_t errlen)
{
	return conf_url(url, r->host, sizeof(r->host), &r->port, r->path,
	    sizeof(r->path), err, errlen);
}

static int
route_key(struct parse *p, const char *name, const char *value)
{
	struct config_route *r = p->cur_route;
	char e[512];

	if (strcmp(name, "url") != 0) {
		parse_error(p, p->ini.line, "[route %s]: unknown key \"%s\"",
		    r->name, name);
		return 0;
	}
	if (r->url != NULL) {
		parse_error(p, p->ini.line, "url: duplicate key");
		return 0;
	}
	if (config_parse_url(value, r, e, sizeof(e)) == -1) {
		parse_error(p, p->ini.line, "%s", e);
		return 0;
	}
	if ((r->url = strdup(value)) == NULL) {
		parse_error(p, p->ini.line, "out of memory");
		return 0;
	}
	r->line = p->ini.line;
	return 1;
}

static int
policy_key(struct parse *p, const char *name, const char *value)
{
	struct policy_rule *r = p->cur_rule;
	char where[16 + POLICY_NAME_MAX], e[512];
	int k;

	snprintf(where, sizeof(where), "policy %s", r->name);
	if ((k = conf_ini_key(&p->ini, where, policy_keys, PK_NKEYS,
	    r->key_line, name)) == -1)
		return 0;
	if (policy_rule_key(r, (enum policy_key)k, value, e,
	    sizeof(e)) == -1) {
		parse_error(p, p->ini.line, "%s", e);
		return 0;
	}
	return 1;
}

/* 1 if s is valid UTF-8 without control characters (C0, DEL, C1). */
static int
role_valid(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s), c;
	unsigned cp;

	while (n > 0) {
		if ((c = text_utf8_next(u, n, &cp)) == 0 || cp < 0x20 ||
		    (cp >= 0x7f && cp < 0xa0))
			return 0;
		u += c;
		n -= c;
	}
	return 1;
}

/* "2-3", "0,2", "3": a set of damage levels 0..3 into *mask. */
static int
levels_parse(const char *v, unsigned *mask)
{
	unsigned m = 0, a, b;

	for (;;) {
		if (*v < '0' || *v > '3')
			return -1;
		a = b = (unsigned)(*v++ - '0');
		if (*v == '-') {
			v++;
			if (*v < '0' || *v > '3' || (unsigned)(*v - '0') < a)
				return -1;
			b = (unsigned)(*v++ - '0');
		}
		for (; a <= b; a++)
			m |= 1u << a;
		if (*v == '\0')
			break;
		if (*v++ != ',')
			return -1;
	}
	*mask = m;
	return 0;
}

int
config_addressee_parse(const char *v, struct config_addressee *a, char *err,
    size_t errlen)
{
	const char *lt, *gt, *s, *e;
	char word[32];
	size_t n;

	memset(a, 0, sizeof(*a));
	a->levels = CONFIG_LEVELS_ALL;
	if ((lt = strchr(v, '<')) == NULL || (gt = strchr(lt, '>')) == NULL) {
		snprintf(err, errlen, "addressee: expected \"ROLE <ADDRESS> "
		    "[LEVELS] [advisories]\" (e.g. \"CISO <ciso@city.example."
		    "lg.jp> 0-3\"), got \"%s\"", v);
		return -1;
	}
	for (e = lt; e > v && (e[-1] == ' ' || e[-1] == '\t'); e--)
		;
	n = (size_t)(e - v);
	if (n == 0 || n >= sizeof(a->role)) {
		snprintf(err, errlen, "addressee: the role before <%.*s> must "
		    "be 1-%zu bytes (e.g. CISO, CSIRT責任者, 危機管理課)",
		    (int)(gt - lt - 1), lt + 1, sizeof(a->role) - 1);
		return -1;
	}
	memcpy(a->role, v, n);
	a->role[n] = '\0';
	if (!role_valid(a->role)) {
		snprintf(err, errlen, "addressee: the role must be printable "
		    "UTF-8 text (no control characters)");
		return -1;
	}
	n = (size_t)(gt - lt - 1);
	if (n >= sizeof(a->address)) {
		snprintf(err, errlen, "addressee: address too long (%zu bytes)",
		    n);
		return -1;
	}
	memcpy(a->address, lt + 1, n);
	a->address[n] = '\0';
	if (!mailconf_address_valid(a->address)) {
		snprintf(err, errlen, "addressee: <%s>: expected an address "
		    "LOCAL@DOMAIN (printable ASCII, no spaces)", a->address);
		return -1;
	}
	for (s = gt + 1;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		n = strcspn(s, " \t");
		if (n >= sizeof(word)) {
			snprintf(err, errlen, "addressee: \"%.*s\": expected "
			    "levels (0-3, 2-3, 3, 0,2) or \"advisories\"",
			    (int)n, s);
			return -1;
		}
		memcpy(word, s, n);
		word[n] = '\0';
		s += n;
		if (strcmp(word, "advisories") == 0)
			a->advisories = 1;
		else if (levels_parse(word, &a->levels) == -1) {
			snprintf(err, errlen, "addressee: \"%s\": expected "
			    "levels 0..3 (0-3, 2-3, 3, 0,2) or \"advisories\"",
			    word);
			return -1;
		}
	}
	return 0;
}

static int
internal_key(struct parse *p, const char *name, const char *value)
{
	static const char *const keys[] = { "retry", "attempts" };
	struct config *cfg = p->cfg;
	struct config_addressee a;
	char e[512];
	long long n;
	size_t i;
	int k;

	if (strcmp(name, "addressee") == 0) {
		if (config_addressee_parse(value, &a, e, sizeof(e)) == -1) {
			parse_error(p, p->ini.line, "%s", e);
			return 0;
		}
		for (i = 0; i < cfg->ninternal; i++)
			if (strcasecmp(cfg->internal[i].address,
			    a.address) == 0) {
				parse_error(p, p->ini.line, "addressee: <%s> "
				    "is named already (line %d)", a.address,
				    cfg->internal[i].line);
				return 0;
			}
		if (cfg->ninternal == CONFIG_MAX_ADDRESSEES) {
			parse_error(p, p->ini.line, "addressee: more than %d",
			    CONFIG_MAX_ADDRESSEES);
			return 0;
		}
		a.line = p->ini.line;
		cfg->internal[cfg->ninternal++] = a;
		return 1;
	}
	if ((k = conf_ini_key(&p->ini, "internal", keys, 2, p->internal_seen,
	    name)) == -1)
		return 0;
	if (k == 0) {
		if (conf_duration_ms(value, 100, 86400000,
		    &cfg->internal_retry_ms, e, sizeof(e)) == -1) {
			parse_error(p, p->ini.line, "retry: %s", e);
			return 0;
		}
		return 1;
	}
	if (conf_int(value, 1, 100, &n, e, sizeof(e)) == -1) {
		parse_error(p, p->ini.line, "attempts: %s", e);
		return 0;
	}
	cfg->internal_attempts = (unsigned)n;
	return 1;
}

static void
key(struct conf_ini *ini, const char *section, const char *name,
    const char *value)
{
	struct parse *p = (struct parse *)ini;

	(void)section;	/* tracked by section_start */
	if (p->in_unknown)
		return;		/* already reported */
	if (p->in_node)
		(void)node_key(p, name, value);
	else if (p->cur_route != NULL)
		(void)route_key(p, name, value);
	else if (p->cur_rule != NULL)
		(void)policy_key(p, name, value);
	else if (p->in_internal)
		(void)internal_key(p, name, value);
	else if (p->in_smtp)
		(void)mailconf_key(&p->ini, &p->cfg->smtp, name, value);
	else
		parse_error(p, p->ini.line, "%s: key outside a section", name);
}

struct config *
config_load(const char *file, char *err, size_t errlen)
{
	struct config *cfg;
	struct parse p;
	size_t i;
	static const enum config_key required[] = {
		CK_ID, CK_DB, CK_CERT, CK_KEY, CK_CA, CK_DIRECTORY
	};

	memset(&p, 0, sizeof(p));
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", file);
		return NULL;
	}
	cfg->max_frame = KAIRAN_MAX_FRAME;
	cfg->hello_timeout_ms = LINK_HELLO_TIMEOUT_MS;
	cfg->stall_ms = LINK_STALL_MS;
	cfg->internal_retry_ms = CONFIG_INTERNAL_RETRY_MS;
	cfg->internal_attempts = CONFIG_INTERNAL_ATTEMPTS;
	mailconf_init(&cfg->smtp, 30000);
	if ((cfg->file = strdup(file)) == NULL ||
	    (cfg->policy = policy_new()) == NULL) {
		snprintf(err, errlen, "%s: out of memory", file);
		goto fail;
	}
	p.cfg = cfg;
	p.ini.file = file;
	p.ini.section = section_start;
	p.ini.key = key;
	if (conf_ini_read(&p.ini, err, errlen) == -1)
		goto fail;
	{
		if (!p.seen_node)
			parse_error(&p, p.ini.line, "missing section [node]");
		for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
			if (p.seen_node && cfg->line[required[i]] == 0)
				parse_error(&p, cfg->node_line, "[node]: "
				    "missing key \"%s\"",
				    config_keys[required[i]]);
		if (cfg->nroutes == 0)
			parse_error(&p, p.ini.line, "no [route NAME] section: "
			    "at least one route is needed");
		for (i = 0; i < cfg->nroutes; i++)
			if (cfg->routes[i].url == NULL)
				parse_error(&p, cfg->routes[i].line,
				    "[route %s]: missing key \"url\"",
				    cfg->routes[i].name);
		for (i = 0; i < cfg->policy->nrules; i++) {
			char e[256];

			if (policy_rule_finish(&cfg->policy->rules[i], e,
			    sizeof(e)) == -1)
				parse_error(&p, cfg->policy->rules[i].line,
				    "%s", e);
		}
		mailconf_check(&p.ini, &cfg->smtp);
		/*
		 * libcurl 7.88 waits for the reply to the message's final "."
		 * in blocking mode (curl#8555), for at most the timeout: on a
		 * node that holds the loop, and the relay links' stall watch
		 * must not fire meanwhile.
		 */
		if (cfg->smtp.line != 0 && cfg->smtp.timeout_ms > cfg->stall_ms / 2)
			parse_error(&p, cfg->smtp.line, "[smtp] timeout: %ums "
			    "is too long on a node: at most half of [node] "
			    "stall_timeout (%ums), since a slow mail server "
			    "can hold the node's loop that long",
			    cfg->smtp.timeout_ms, cfg->stall_ms);
		/* an addressee nobody can mail is a mistake, not a silence */
		if (cfg->ninternal > 0 && cfg->smtp.line == 0)
			parse_error(&p, cfg->internal_line, "[internal]: "
			    "addressees need an [smtp] section (url, from) to "
			    "be mailed");
	}
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
	for (i = 0; i < cfg->nroutes; i++)
		free(cfg->routes[i].url);
	free(cfg->file);
	free(cfg->db);
	free(cfg->cert);
	free(cfg->key);
	free(cfg->ca);
	free(cfg->crl);
	free(cfg->directory);
	policy_free(cfg->policy);
	mailconf_clear(&cfg->smtp);
	free(cfg);
}

int
config_check_policy(const struct config *cfg, const struct directory *dir,
    char *err, size_t errlen)
{
	return policy_check(cfg->policy, dir, cfg->id, cfg->file, err, errlen);
}
