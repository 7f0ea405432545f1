/*
 * config: the node's INI configuration (deploy/node.conf.example).
 *
 *   [node]          id, db, cert, key, ca, crl (optional), directory,
 *                   max_frame (optional, default 1M), log_level (optional:
 *                   warning | info | debug), hello_timeout (optional,
 *                   default 15s), stall_timeout (optional, default 60s)
 *   [route NAME]    url = wss://host[:port][/path]   (one section per route,
 *                   at least one)
 *   [policy NAME]   level, category, subtype, notify: a rule of the
 *                   contact route (optional, any number; policy.h)
 *   [internal]      addressee = ROLE <ADDRESS> [LEVELS] [advisories]
 *                   (one line each, at most CONFIG_MAX_ADDRESSEES; LEVELS
 *                   "0-3", "2-3", "3" or "0,2"; default every level), retry
 *                   (optional, default 60s), attempts (optional, default
 *                   8): the municipality's own chain, mailed every report
 *                   of ours (mailout.h; node/INTERNAL-MAIL.md)
 *   [smtp]          url, from, user, password | password_file, tls,
 *                   timeout (kairan/mailconf.h): how those mails leave;
 *                   required when [internal] names an addressee
 *
 * Paths are relative to the configuration file's directory. Every error
 * reads "file:line: what is wrong".
 */
#ifndef KAIRAN_NODE_CONFIG_H
#define KAIRAN_NODE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "kairan/kairan.h"
#include "kairan/mailconf.h"

#include "policy.h"

#define CONFIG_ROUTE_NAME_MAX	64
#define CONFIG_HOST_MAX		256
#define CONFIG_PATH_MAX		256
#define CONFIG_MAX_ROUTES	16
#define CONFIG_MAX_ADDRESSEES	16
#define CONFIG_ROLE_MAX		128	/* bytes of UTF-8 */
#define CONFIG_LEVELS_ALL	0xfu	/* levels 0..3 */
#define CONFIG_INTERNAL_RETRY_MS	60000
#define CONFIG_INTERNAL_ATTEMPTS	8

/* One internal addressee: a role of the municipality's own chain. */
struct config_addressee {
	char		 role[CONFIG_ROLE_MAX];		/* e.g. "CISO" */
	char		 address[256];			/* bare LOCAL@DOMAIN */
	unsigned	 levels;	/* bit L: the reports of level L */
	int		 advisories;	/* 1: our advisories too */
	int		 line;
};

struct config_route {
	char	 name[CONFIG_ROUTE_NAME_MAX];
	char	*url;				/* as written */
	char	 host[CONFIG_HOST_MAX];		/* without [] for IPv6 */
	int	 port;
	char	 path[CONFIG_PATH_MAX];		/* "/" unless given */
	int	 line;				/* of the url key */
};

/* Line numbers of the [node] keys, for errors found after parsing. */
enum config_key {
	CK_ID, CK_DB, CK_CERT, CK_KEY, CK_CA, CK_CRL, CK_DIRECTORY,
	CK_MAX_FRAME, CK_LOG_LEVEL, CK_HELLO_TIMEOUT, CK_STALL_TIMEOUT,
	CK_NKEYS
};

struct config {
	char			*file;		/* as given */
	char			 id[KAIRAN_ENTITY_MAX + 1];
	char			*db;		/* absolute (conf_path) */
	char			*cert;		/* chain.pem: leaf + intermediate */
	char			*key;
	char			*ca;
	char			*crl;		/* NULL: no CRL checking */
	char			*directory;
	size_t			 max_frame;
	int			 log_level;	/* -1 warning, 0 info, 1 debug */
	uint32_t		 hello_timeout_ms;	/* link.h */
	uint32_t		 stall_ms;		/* link.h's watchdog */
	struct config_route	 routes[CONFIG_MAX_ROUTES];
	size_t			 nroutes;
	int			 line[CK_NKEYS];
	int			 node_line;	/* of the [node] header */
	struct policy		*policy;	/* never NULL; nrules 0: none */
	/* [internal]: who inside the municipality is mailed our reports */
	struct config_addressee	 internal[CONFIG_MAX_ADDRESSEES];
	size_t			 ninternal;
	uint64_t		 internal_retry_ms;	/* first wait; doubles */
	unsigned		 internal_attempts;	/* then failed */
	int			 internal_line;	/* of [internal]; 0: none */
	struct mailconf		 smtp;		/* [smtp]; url NULL: none */
};

/*
 * Reads and checks file. Returns a config (free with config_free) or NULL
 * with err "file:line: what is wrong". Files named in it are not opened;
 * see config_check_files.
 */
struct config	*config_load(const char *file, char *err, size_t errlen);
void		 config_free(struct config *);	/* NULL is a no-op */

/*
 * What `-n` adds for the policy: every rule's notify list expands for
 * cfg->id in dir. Returns 0 or -1 with err "file:line: notify: ...".
 */
int		 config_check_policy(const struct config *,
		    const struct directory *, char *err, size_t errlen);

/*
 * The value of an [internal] addressee key, "ROLE <ADDRESS> [LEVELS]
 * [advisories]", into a (line not set). Returns 0, or -1 with err naming
 * the part that is wrong and what was expected.
 */
int		 config_addressee_parse(const char *v,
		    struct config_addressee *a, char *err, size_t errlen);

/*
 * Parses "wss://host[:port][/path]" into r (host, port, path). Returns 0
 * or -1 with err.
 */
int		 config_parse_url(const char *url, struct config_route *r,
		    char *err, size_t errlen);

#endif
