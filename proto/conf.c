/*
 * conf: value parsers for the INI configurations of both daemons. Each
 * parses one value strictly (no trailing junk, no silent overflow) and says
 * what it expected; the caller adds "file:line: key: ".
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ini.h>

#include "kairan/conf.h"
#include "kairan/kairan.h"

/* Parses an unsigned decimal prefix of s; *end after it. -1 on none/overflow. */
static int
parse_u64(const char *s, uint64_t *out, const char **end)
{
	uint64_t v = 0;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = v;
	*end = p;
	return 0;
}

static int
hostport(const char *v, char *host, size_t hostlen, int *port, int minport,
    char *err, size_t errlen)
{
	const char *colon, *hs, *he;
	uint64_t p;
	const char *end;

	if (v == NULL || *v == '\0')
		goto bad;
	if (v[0] == '[') {
		hs = v + 1;
		if ((he = strchr(hs, ']')) == NULL || he[1] != ':')
			goto bad;
		colon = he + 1;
	} else {
		hs = v;
		if ((colon = strrchr(v, ':')) == NULL)
			goto bad;
		he = colon;
		if (memchr(hs, ':', (size_t)(he - hs)) != NULL) {
			snprintf(err, errlen, "expected host:port (IPv6 in "
			    "brackets: [::1]:7443), got \"%s\"", v);
			return -1;
		}
	}
	if (he == hs)
		goto bad;
	if ((size_t)(he - hs) >= hostlen) {
		snprintf(err, errlen, "host name too long");
		return -1;
	}
	if (parse_u64(colon + 1, &p, &end) == -1 || *end != '\0' ||
	    p < (uint64_t)minport || p > 65535) {
		snprintf(err, errlen, "expected a port %d..65535 after the "
		    "colon, got \"%s\"", minport, colon + 1);
		return -1;
	}
	memcpy(host, hs, (size_t)(he - hs));
	host[he - hs] = '\0';
	*port = (int)p;
	return 0;
 bad:
	snprintf(err, errlen, "expected host:port or [v6]:port, got \"%s\"",
	    v != NULL ? v : "");
	return -1;
}

int
conf_url(const char *url, char *host, size_t hostlen, int *port, char *path,
    size_t pathlen, char *err, size_t errlen)
{
	const char *h, *hend, *p, *pth, *end;
	uint64_t v;
	size_t hl;

	if (strncmp(url, "wss://", 6) != 0) {
		snprintf(err, errlen, "url: \"%s\": must begin with wss:// "
		    "(TLS is required)", url);
		return -1;
	}
	h = url + 6;
	if ((pth = strchr(h, '/')) == NULL)
		pth = h + strlen(h);
	if (*h == '[') {
		if ((hend = memchr(h, ']', (size_t)(pth - h))) == NULL) {
			snprintf(err, errlen, "url: \"%s\": missing ']'", url);
			return -1;
		}
		h++;
		p = hend + 1;
	} else {
		if ((hend = memchr(h, ':', (size_t)(pth - h))) == NULL)
			hend = pth;
		p = hend;
	}
	hl = (size_t)(hend - h);
	if (hl == 0 || hl >= hostlen) {
		snprintf(err, errlen, "url: \"%s\": bad host", url);
		return -1;
	}
	*port = KAIRAN_DEFAULT_PORT;
	if (p < pth) {
		if (*p != ':' || pth - p < 2 || pth - p > 6 ||
		    parse_u64(p + 1, &v, &end) == -1 || end != pth ||
		    v < 1 || v > 65535) {
			snprintf(err, errlen, "url: \"%s\": port must be "
			    "1..65535", url);
			return -1;
		}
		*port = (int)v;
	}
	if (*pth == '\0')
		pth = "/";
	if (strlen(pth) >= pathlen) {
		snprintf(err, errlen, "url: \"%s\": path too long", url);
		return -1;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	snprintf(path, pathlen, "%s", pth);
	return 0;
}

int
conf_hostport(const char *v, char *host, size_t hostlen, int *port,
    char *err, size_t errlen)
{
	return hostport(v, host, hostlen, port, 1, err, errlen);
}

int
conf_listen(const char *v, char *host, size_t hostlen, int *port,
    char *err, size_t errlen)
{
	return hostport(v, host, hostlen, port, 0, err, errlen);
}

int
conf_size(const char *v, uint64_t min, uint64_t max, uint64_t *out,
    char *err, size_t errlen)
{
	const char *end;
	uint64_t n, mul = 1;

	if (v == NULL || parse_u64(v, &n, &end) == -1)
		goto bad;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		mul = 1024;
		break;
	case 'm': case 'M':
		mul = 1024 * 1024;
		break;
	case 'g': case 'G':
		mul = 1024 * 1024 * 1024;
		break;
	default:
		goto bad;
	}
	if (*end != '\0') {
		end++;
		if (strcasecmp(end, "") != 0 && strcasecmp(end, "B") != 0 &&
		    strcasecmp(end, "iB") != 0)
			goto bad;
	}
	if (n > UINT64_MAX / mul)
		goto range;
	n *= mul;
	if (n < min || n > max)
		goto range;
	*out = n;
	return 0;
 range:
	snprintf(err, errlen, "size must be %llu..%llu bytes, got \"%s\"",
	    (unsigned long long)min, (unsigned long long)max, v);
	return -1;
 bad:
	snprintf(err, errlen, "expected a size (count, or with K/M/G), got "
	    "\"%s\"", v != NULL ? v : "");
	return -1;
}

int
conf_int(const char *v, long long min, long long max, long long *out,
    char *err, size_t errlen)
{
	char *end;
	long long n;

	if (v == NULL || *v == '\0' || isspace((unsigned char)*v))
		goto bad;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (*end != '\0')
		goto bad;
	if (errno == ERANGE || n < min || n > max) {
		snprintf(err, errlen, "must be %lld..%lld, got \"%s\"", min,
		    max, v);
		return -1;
	}
	*out = n;
	return 0;
 bad:
	snprintf(err, errlen, "expected an integer, got \"%s\"",
	    v != NULL ? v : "");
	return -1;
}

int
conf_duration_ms(const char *v, uint64_t min_ms, uint64_t max_ms,
    uint64_t *out, char *err, size_t errlen)
{
	const char *end;
	uint64_t n, mul;

	if (v == NULL || parse_u64(v, &n, &end) == -1)
		goto bad;
	if (*end == '\0' || strcmp(end, "s") == 0)
		mul = 1000;
	else if (strcmp(end, "ms") == 0)
		mul = 1;
	else if (strcmp(end, "m") == 0)
		mul = 60 * 1000;
	else if (strcmp(end, "h") == 0)
		mul = 3600 * 1000;
	else
		goto bad;
	if (n > UINT64_MAX / mul)
		goto range;
	n *= mul;
	if (n < min_ms || n > max_ms)
		goto range;
	*out = n;
	return 0;
 range:
	snprintf(err, errlen, "duration must be %llums..%llums, got \"%s\"",
	    (unsigned long long)min_ms, (unsigned long long)max_ms, v);
	return -1;
 bad:
	snprintf(err, errlen, "expected a duration (250ms, 30s, 5m, 1h, or "
	    "seconds), got \"%s\"", v != NULL ? v : "");
	return -1;
}

int
conf_bool(const char *v, int *out, char *err, size_t errlen)
{
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; v != NULL && i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	snprintf(err, errlen, "expected yes/no, true/false, on/off or 1/0, "
	    "got \"%s\"", v != NULL ? v : "");
	return -1;
}

char *
conf_path(const char *conffile, const char *v)
{
	char cwd[PATH_MAX], *out = NULL;
	const char *slash;
	size_t dlen;

	if (v == NULL || *v == '\0')
		return NULL;
	if (v[0] == '/')
		return strdup(v);
	slash = conffile != NULL ? strrchr(conffile, '/') : NULL;
	dlen = slash != NULL ? (size_t)(slash - conffile) : 0;
	if (slash != NULL && conffile[0] == '/') {
		/* "/etc/x.conf": dir is "/etc" ("" for "/x.conf") */
		if (asprintf(&out, "%.*s/%s", (int)dlen, conffile, v) == -1)
			return NULL;
		return out;
	}
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return NULL;
	if (slash != NULL) {
		if (asprintf(&out, "%s/%.*s/%s", strcmp(cwd, "/") == 0 ? "" :
		    cwd, (int)dlen, conffile, v) == -1)
			return NULL;
	} else if (asprintf(&out, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd,
	    v) == -1)
		return NULL;
	return out;
}

int
conf_log_level(const char *v, int *out, char *err, size_t errlen)
{
	if (strcmp(v, "warning") == 0)
		*out = -1;
	else if (strcmp(v, "info") == 0)
		*out = 0;
	else if (strcmp(v, "debug") == 0)
		*out = 1;
	else {
		snprintf(err, errlen, "expected warning, info or debug, got "
		    "\"%s\"", v);
		return -1;
	}
	return 0;
}

/* ---- the INI reader ---- */

void
conf_ini_error(struct conf_ini *ini, int line, const char *fmt, ...)
{
	va_list ap;

	if (ini->err_line != 0)
		return;
	ini->err_line = line > 0 ? line : ini->line > 0 ? ini->line : 1;
	va_start(ap, fmt);
	vsnprintf(ini->err, sizeof(ini->err), fmt, ap);
	va_end(ap);
}

/* A header line "[ name ]": calls section() with the trimmed name. */
static void
header(struct conf_ini *ini, const char *s)
{
	char name[256];
	const char *e;
	size_t len;

	if ((e = strchr(++s, ']')) == NULL)
		return;		/* libinih reports the syntax error */
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	len = (size_t)(e - s);
	if (len >= sizeof(name)) {
		conf_ini_error(ini, 0, "section name too long");
		return;
	}
	memcpy(name, s, len);
	name[len] = '\0';
	ini->section(ini, name);
}

/* fgets for libinih that counts lines and spots section headers. */
static char *
reader(char *str, int num, void *stream)
{
	struct conf_ini *ini = stream;
	size_t len;
	char *s;

	if (fgets(str, num, ini->fp) == NULL)
		return NULL;
	ini->line++;
	len = strlen(str);
	if (len > 0 && str[len - 1] != '\n' && !feof(ini->fp)) {
		conf_ini_error(ini, 0, "line too long (at most %d bytes)",
		    num - 2);
		while (len > 0 && str[len - 1] != '\n' &&
		    fgets(str, num, ini->fp) != NULL)
			len = strlen(str);
		str[0] = '\0';
		return str;
	}
	s = str;
	if (ini->line == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
		memmove(s, s + 3, strlen(s + 3) + 1);
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '[')
		header(ini, s);
	return str;
}

static int
handler(void *user, const char *section, const char *name, const char *v)
{
	struct conf_ini *ini = user;

	ini->key(ini, section, name, v);
	return 1;	/* keep reading: only the first error is reported */
}

int
conf_ini_result(const struct conf_ini *ini, char *err, size_t errlen)
{
	if (ini->err_line == 0)
		return 0;
	snprintf(err, errlen, "%s:%d: %s", ini->file, ini->err_line, ini->err);
	return -1;
}

int
conf_ini_read(struct conf_ini *ini, char *err, size_t errlen)
{
	int rc;

	ini->line = 0;
	ini->err_line = 0;
	if ((ini->fp = fopen(ini->file, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", ini->file, strerror(errno));
		return -1;
	}
	rc = ini_parse_stream(reader, ini, handler, ini);
	fclose(ini->fp);
	ini->fp = NULL;
	if (rc != 0)
		conf_ini_error(ini, rc > 0 ? rc : ini->line, "syntax error "
		    "(expected [section], key = value, or a ; comment)");
	return conf_ini_result(ini, err, errlen);
}

int
conf_ini_path(struct conf_ini *ini, char **dst, const char *key,
    const char *value)
{
	if (*value == '\0') {
		conf_ini_error(ini, 0, "%s: empty path", key);
		return -1;
	}
	free(*dst);
	if ((*dst = conf_path(ini->file, value)) == NULL) {
		conf_ini_error(ini, 0, "%s: cannot resolve path \"%s\"", key,
		    value);
		return -1;
	}
	return 0;
}

int
conf_ini_key(struct conf_ini *ini, const char *where, const char *const *keys,
    size_t n, int *lines, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(name, keys[i]) == 0)
			break;
	if (i == n) {
		conf_ini_error(ini, 0, "[%s]: unknown key \"%s\"", where, name);
		return -1;
	}
	if (lines[i] != 0) {
		conf_ini_error(ini, 0, "%s: duplicate key (first on line %d)",
		    name, lines[i]);
		return -1;
	}
	lines[i] = ini->line;
	return (int)i;
}
