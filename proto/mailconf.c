/*
 * mailconf: the [smtp] section of both daemons (see mailconf.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kairan/conf.h"
#include "kairan/mailconf.h"

static const char *const keys[MAILCONF_NKEYS] = {
	"url", "from", "user", "password", "password_file", "tls", "timeout",
};

void
mailconf_init(struct mailconf *mc, unsigned timeout_ms)
{
	memset(mc, 0, sizeof(*mc));
	mc->tls = MAIL_TLS_REQUIRED;
	mc->timeout_ms = timeout_ms;
}

void
mailconf_clear(struct mailconf *mc)
{
	free(mc->url);
	free(mc->from);
	free(mc->user);
	if (mc->password != NULL) {
		explicit_bzero(mc->password, strlen(mc->password));
		free(mc->password);
	}
	mc->url = mc->from = mc->user = mc->password = NULL;
}

void
mailconf_msg(const struct mailconf *mc, struct mail_msg *msg, const char *to,
    const char *text)
{
	memset(msg, 0, sizeof(*msg));
	msg->to = to;
	msg->text = text;
	msg->url = mc->url;
	msg->from = mc->from;
	msg->user = mc->user;
	msg->password = mc->password;
	msg->tls = mc->tls;
	msg->timeout_ms = (long)mc->timeout_ms;
}

static int
set_string(struct conf_ini *ini, const char *key, char **dst, const char *v)
{
	free(*dst);
	if ((*dst = strdup(v)) == NULL) {
		conf_ini_error(ini, 0, "%s: out of memory", key);
		return 0;
	}
	return 1;
}

/*
 * "smtp://host[:port][/]" or "smtps://...": the host (brackets removed)
 * into host. Returns 0, or -1 with err.
 */
static int
smtp_url(const char *v, char *host, size_t hostlen, char *err, size_t errlen)
{
	const char *h, *end, *q;
	long long port;
	size_t n, i;
	char num[8], e[128];

	if (strncmp(v, "smtp://", 7) == 0)
		h = v + 7;
	else if (strncmp(v, "smtps://", 8) == 0)
		h = v + 8;
	else {
		snprintf(err, errlen, "url: \"%s\": expected smtp://HOST[:PORT] "
		    "or smtps://HOST[:PORT]", v);
		return -1;
	}
	for (i = 0; v[i] != '\0'; i++)
		if ((unsigned char)v[i] <= ' ' || (unsigned char)v[i] >= 0x7f) {
			snprintf(err, errlen, "url: \"%s\": a space or a "
			    "character outside printable ASCII at byte %zu", v, i);
			return -1;
		}
	end = h + strcspn(h, "/?#");
	if (*end == '?' || *end == '#' || (*end == '/' && end[1] != '\0')) {
		snprintf(err, errlen, "url: \"%s\": nothing may follow the "
		    "host and port", v);
		return -1;
	}
	if (memchr(h, '@', (size_t)(end - h)) != NULL) {
		snprintf(err, errlen, "url: \"%s\": bad host (credentials go "
		    "in user and password, not in the url)", v);
		return -1;
	}
	if (*h == '[') {
		if ((q = memchr(h, ']', (size_t)(end - h))) == NULL) {
			snprintf(err, errlen, "url: \"%s\": missing ']'", v);
			return -1;
		}
		n = (size_t)(q - h - 1);
		h++;
		q++;
	} else {
		if ((q = memchr(h, ':', (size_t)(end - h))) == NULL)
			q = end;
		n = (size_t)(q - h);
	}
	if (n == 0 || n >= hostlen) {
		snprintf(err, errlen, "url: \"%s\": bad host", v);
		return -1;
	}
	memcpy(host, h, n);
	host[n] = '\0';
	if (q < end) {
		if (*q != ':' || (size_t)(end - q - 1) >= sizeof(num) ||
		    end - q - 1 == 0) {
			snprintf(err, errlen, "url: \"%s\": bad port", v);
			return -1;
		}
		memcpy(num, q + 1, (size_t)(end - q - 1));
		num[end - q - 1] = '\0';
		if (conf_int(num, 1, 65535, &port, e, sizeof(e)) == -1) {
			snprintf(err, errlen, "url: \"%s\": port: %s", v, e);
			return -1;
		}
	}
	return 0;
}

/* An address of RFC 5321's shape, LOCAL@DOMAIN, printable ASCII, no <>. */
int
mailconf_address_valid(const char *v)
{
	const char *at;
	size_t i;

	if (v == NULL || (at = strchr(v, '@')) == NULL || at == v || at[1] == '\0' || strchr(at + 1, '@') ||
	    strlen(v) > 254)
		return 0;
	for (i = 0; v[i] != '\0'; i++)
		if ((unsigned char)v[i] <= ' ' || (unsigned char)v[i] >= 0x7f ||
		    strchr("<>()[],;:\\\"", v[i]) != NULL)
			return 0;
	return 1;
}

/* The first line of a file only its owner can read. */
static int
read_secret(struct conf_ini *ini, const char *key, const char *v, char **dst)
{
	char *path, buf[1024];
	struct stat sb;
	FILE *fp;
	size_t n;
	int ok = 0;

	if ((path = conf_path(ini->file, v)) == NULL) {
		conf_ini_error(ini, 0, "%s: out of memory", key);
		return 0;
	}
	if ((fp = fopen(path, "r")) == NULL)
		conf_ini_error(ini, 0, "%s: %s: %s", key, path, strerror(errno));
	else if (fstat(fileno(fp), &sb) == -1 || (sb.st_mode & 077) != 0)
		conf_ini_error(ini, 0, "%s: %s can be read by others than its owner "
		    "(chmod 600 it)", key, path);
	else if (fgets(buf, sizeof(buf), fp) == NULL ||
	    (n = strcspn(buf, "\r\n")) == 0)
		conf_ini_error(ini, 0, "%s: %s: empty (expected the password on its "
		    "first line)", key, path);
	else {
		buf[n] = '\0';
		free(*dst);
		if ((*dst = strdup(buf)) == NULL)
			conf_ini_error(ini, 0, "%s: out of memory", key);
		else
			ok = 1;
	}
	explicit_bzero(buf, sizeof(buf));
	if (fp != NULL)
		fclose(fp);
	free(path);
	return ok;
}

int
mailconf_key(struct conf_ini *ini, struct mailconf *mc, const char *name,
    const char *v)
{
	char host[256], e[512];
	uint64_t ms;

	if (conf_ini_key(ini, "smtp", keys, MAILCONF_NKEYS, mc->seen, name) == -1)
		return 0;
	if (strcmp(name, "url") == 0) {
		if (smtp_url(v, host, sizeof(host), e, sizeof(e)) == -1) {
			conf_ini_error(ini, 0, "%s", e);
			return 0;
		}
		snprintf(mc->host, sizeof(mc->host), "%s", host);
		return set_string(ini, name, &mc->url, v);
	}
	if (strcmp(name, "from") == 0) {
		if (!mailconf_address_valid(v)) {
			conf_ini_error(ini, 0, "from: expected an address LOCAL@DOMAIN "
			    "(printable ASCII, no spaces or <>), got \"%s\"", v);
			return 0;
		}
		return set_string(ini, name, &mc->from, v);
	}
	if (strcmp(name, "user") == 0)
		return set_string(ini, name, &mc->user, v);
	if (strcmp(name, "password") == 0)
		return set_string(ini, name, &mc->password, v);
	if (strcmp(name, "password_file") == 0)
		return read_secret(ini, name, v, &mc->password);
	if (strcmp(name, "tls") == 0) {
		if (strcmp(v, "required") == 0)
			mc->tls = MAIL_TLS_REQUIRED;
		else if (strcmp(v, "try") == 0)
			mc->tls = MAIL_TLS_TRY;
		else if (strcmp(v, "none") == 0)
			mc->tls = MAIL_TLS_NONE;
		else {
			conf_ini_error(ini, 0, "tls: expected required, try or none, "
			    "got \"%s\"", v);
			return 0;
		}
		return 1;
	}
	/* timeout */
	if (conf_duration_ms(v, 100, 120000, &ms, e, sizeof(e)) == -1) {
		conf_ini_error(ini, 0, "timeout: %s", e);
		return 0;
	}
	mc->timeout_ms = (unsigned)ms;
	return 1;
}

/* The keys of [smtp] that go together, once the file is read. */
void
mailconf_check(struct conf_ini *ini, struct mailconf *mc)
{
	int *seen = mc->seen;

	if (mc->line == 0 || ini->err_line != 0)
		return;
	if (!seen[0])
		conf_ini_error(ini, mc->line, "[smtp]: missing key \"url\"");
	else if (!seen[1])
		conf_ini_error(ini, mc->line, "[smtp]: missing key "
		    "\"from\" (the sender address of the mails)");
	else if (seen[3] && seen[4])
		conf_ini_error(ini, seen[4], "password_file: password is "
		    "set too (line %d): give one of them", seen[3]);
	else if ((seen[3] || seen[4]) && !seen[2])
		conf_ini_error(ini, seen[3] ? seen[3] : seen[4],
		    "password: there is no user to log in as");
	else if (seen[2] && !seen[3] && !seen[4])
		conf_ini_error(ini, seen[2], "user: give password or "
		    "password_file too");
	/*
	 * Mail in clear text crosses no network: only to a server on this
	 * host (a local MTA that relays it on with TLS).
	 */
	else if (mc->tls == MAIL_TLS_NONE &&
	    strncmp(mc->url, "smtps://", 8) != 0 &&
	    strcmp(mc->host, "localhost") != 0 &&
	    strncmp(mc->host, "127.", 4) != 0 &&
	    strcmp(mc->host, "::1") != 0)
		conf_ini_error(ini, seen[5], "tls: none is for a server on "
		    "this host only (localhost, 127.0.0.0/8, ::1), not %s",
		    mc->host);
}
