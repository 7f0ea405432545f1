/*
 * conf: helpers for the INI configurations of both daemons (parsed with
 * libinih). Each returns 0, or -1 with err saying what was expected, which
 * the caller prefixes with "file:line: key: ".
 */
#ifndef KAIRAN_CONF_H
#define KAIRAN_CONF_H

#include <stddef.h>
#include <stdint.h>

/* "host:port", "[v6]:port"; port 1..65535. */
int	conf_hostport(const char *v, char *host, size_t hostlen, int *port,
	    char *err, size_t errlen);
/* The same for a listening address: port 0 lets the kernel choose one. */
int	conf_listen(const char *v, char *host, size_t hostlen, int *port,
	    char *err, size_t errlen);
/* Plain count or with K/M/G (powers of 1024), within [min, max]. */
int	conf_size(const char *v, uint64_t min, uint64_t max, uint64_t *out,
	    char *err, size_t errlen);
/* Integer within [min, max]. */
int	conf_int(const char *v, long long min, long long max, long long *out,
	    char *err, size_t errlen);
/* Duration in milliseconds: "250ms", "30s", "5m", "1h", or plain seconds. */
int	conf_duration_ms(const char *v, uint64_t min_ms, uint64_t max_ms,
	    uint64_t *out, char *err, size_t errlen);
/* yes/no, true/false, on/off, 1/0. */
int	conf_bool(const char *v, int *out, char *err, size_t errlen);
/*
 * A path relative to the configuration file's directory becomes absolute
 * (so that configs can live beside their certificates). Returns malloc'd
 * string or NULL.
 */
char	*conf_path(const char *conffile, const char *v);

#endif
