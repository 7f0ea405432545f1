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
	free(cfg);
}

int
config_check_policy(const struct config *cfg, const struct directory *dir,
    char *err, size_t errlen)
{
	return policy_check(cfg->policy, dir, cfg->id, cfg->file, err, errlen);
}
