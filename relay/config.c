/*
 * config: reads the relay's INI file with libinih and checks every key.
 *
 * libinih does not tell its handler the line number, so the file is fed
 * through a reader of ours that counts lines.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "kairan/conf.h"
#include "kairan/entity.h"
#include "kairan/log.h"

#include "config.h"

struct parse {
	FILE		*fp;
	struct config	*cfg;
	int		 lineno;
	int		 err_line;
	char		 err[512];
	int		 seen[32];	/* line of each key, by index in keys[] */
	int		 section_line;
};

static const char *const keys[] = {
	"id", "listen", "db", "cert", "key", "ca", "crl", "directory",
	"serve", "max_frame", "window", "queue_limit", "max_connections",
	"handshake_timeout", "idle_timeout", "ping_interval", "resend_after",
	"log_level",
};
#define NKEYS	(sizeof(keys) / sizeof(keys[0]))
static const char *const required[] = {
	"id", "listen", "db", "cert", "key", "ca", "directory",
};

static void parse_error(struct parse *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* Keeps the first error: later ones are often its consequences. */
static void
parse_error(struct parse *p, const char *fmt, ...)
{
	va_list ap;

	if (p->err_line != 0)
		return;
	p->err_line = p->lineno > 0 ? p->lineno : 1;
	va_start(ap, fmt);
	vsnprintf(p->err, sizeof(p->err), fmt, ap);
	va_end(ap);
}

static char *
reader(char *buf, int size, void *stream)
{
	struct parse *p = stream;
	char *s;

	if ((s = fgets(buf, size, p->fp)) != NULL) {
		p->lineno++;
		if (p->section_line == 0 && buf[strspn(buf, " \t")] == '[')
			p->section_line = p->lineno;
	}
	return s;
}

static int
set_path(struct parse *p, char **dst, const char *v)
{
	if (*v == '\0') {
		parse_error(p, "expected a path");
		return 0;
	}
	if ((*dst = conf_path(p->cfg->file, v)) == NULL) {
		parse_error(p, "out of memory");
		return 0;
	}
	return 1;
}

static int
set_uint(struct parse *p, unsigned *dst, const char *v, long long min,
    long long max)
{
	long long n;
	char e[256];

	if (conf_int(v, min, max, &n, e, sizeof(e)) == -1) {
		parse_error(p, "%s", e);
		return 0;
	}
	*dst = (unsigned)n;
	return 1;
}

static int
set_duration(struct parse *p, unsigned *dst, const char *v, uint64_t min_ms,
    uint64_t max_ms)
{
	uint64_t ms;
	char e[256];

	if (conf_duration_ms(v, min_ms, max_ms, &ms, e, sizeof(e)) == -1) {
		parse_error(p, "%s", e);
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
handler(void *user, const char *section, const char *name, const char *v)
{
	struct parse *p = user;
	struct config *cfg = p->cfg;
	char e[256];
	uint64_t n;
	size_t i;

	if (strcmp(section, "relay") != 0) {
		parse_error(p, "unknown section [%s] (expected [relay])",
		    section);
		return 0;
	}
	for (i = 0; i < NKEYS; i++)
		if (strcmp(name, keys[i]) == 0)
			break;
	if (i == NKEYS) {
		parse_error(p, "unknown key \"%s\"", name);
		return 0;
	}
	if (p->seen[i]) {
		parse_error(p, "%s: duplicate key (first on line %d)", name,
		    p->seen[i]);
		return 0;
	}
	p->seen[i] = p->lineno;

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
		return set_path(p, &cfg->db, v);
	else if (strcmp(name, "cert") == 0)
		return set_path(p, &cfg->cert, v);
	else if (strcmp(name, "key") == 0)
		return set_path(p, &cfg->key, v);
	else if (strcmp(name, "ca") == 0)
		return set_path(p, &cfg->ca, v);
	else if (strcmp(name, "crl") == 0)
		return set_path(p, &cfg->crl, v);
	else if (strcmp(name, "directory") == 0)
		return set_path(p, &cfg->directory, v);
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
		return set_uint(p, &cfg->window, v, 1, 4096);
	else if (strcmp(name, "queue_limit") == 0)
		return set_uint(p, &cfg->queue_limit, v, 1, 1000000);
	else if (strcmp(name, "max_connections") == 0)
		return set_uint(p, &cfg->max_connections, v, 1, 1000000);
	else if (strcmp(name, "handshake_timeout") == 0)
		return set_duration(p, &cfg->handshake_timeout_s, v, 1000,
		    600000);
	else if (strcmp(name, "idle_timeout") == 0)
		return set_duration(p, &cfg->idle_timeout_s, v, 1000,
		    86400000);
	else if (strcmp(name, "ping_interval") == 0)
		return set_duration(p, &cfg->ping_interval_s, v, 1000,
		    3600000);
	else if (strcmp(name, "resend_after") == 0)
		return set_duration(p, &cfg->resend_after_s, v, 1000,
		    3600000);
	else if (strcmp(name, "log_level") == 0) {
		if (strcmp(v, "warning") == 0)
			cfg->log_level = -1;
		else if (strcmp(v, "info") == 0)
			cfg->log_level = 0;
		else if (strcmp(v, "debug") == 0)
			cfg->log_level = 1;
		else {
			parse_error(p, "log_level: expected warning, info or "
			    "debug, got \"%s\"", v);
			return 0;
		}
	}
	return 1;
}

struct config *
config_load(const char *file, char *err, size_t errlen)
{
	struct config *cfg;
	struct parse p;
	char pref[3];
	size_t i, k;
	int rc;

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
	if ((cfg->file = strdup(file)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", file);
		goto fail;
	}
	if ((p.fp = fopen(file, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		goto fail;
	}
	p.cfg = cfg;
	rc = ini_parse_stream(reader, &p, handler, &p);
	fclose(p.fp);
	if (rc != 0 && p.err_line == 0) {
		p.lineno = rc > 0 ? rc : p.lineno;
		parse_error(&p, "syntax error (expected [relay], key = value, "
		    "or a ; comment)");
	}
	for (i = 0; p.err_line == 0 &&
	    i < sizeof(required) / sizeof(required[0]); i++) {
		for (k = 0; k < NKEYS; k++)
			if (strcmp(keys[k], required[i]) == 0)
				break;
		if (!p.seen[k]) {
			p.lineno = p.section_line;
			parse_error(&p, "[relay]: missing key \"%s\"",
			    required[i]);
		}
	}
	if (p.err_line == 0 && cfg->nserve == 0) {
		/* default: the relay's own prefecture (relay-PP) */
		if (entity_prefecture(cfg->id, pref) == -1) {
			p.lineno = p.section_line;
			parse_error(&p, "[relay]: id %s names no prefecture: "
			    "say what it serves with \"serve\"", cfg->id);
		} else {
			snprintf(cfg->serve[0], sizeof(cfg->serve[0]), "%s",
			    pref);
			cfg->nserve = 1;
		}
	}
	if (p.err_line != 0) {
		snprintf(err, errlen, "%s:%d: %s", file, p.err_line, p.err);
		goto fail;
	}
	return cfg;
fail:
	config_free(cfg);
	return NULL;
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->file);
	free(cfg->db);
	free(cfg->cert);
	free(cfg->key);
	free(cfg->ca);
	free(cfg->crl);
	free(cfg->directory);
	free(cfg);
}

int
config_serves(const struct config *cfg, const char *entity, const char *pref)
{
	size_t i;

	for (i = 0; i < cfg->nserve; i++)
		if (strcmp(cfg->serve[i], entity) == 0 ||
		    (pref != NULL && *pref != '\0' &&
		    strcmp(cfg->serve[i], pref) == 0))
			return 1;
	return 0;
}
