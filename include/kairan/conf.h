/*
 * conf: helpers for the INI configurations of both daemons (parsed with
 * libinih). Each returns 0, or -1 with err saying what was expected, which
 * the caller prefixes with "file:line: key: ".
 */
#ifndef KAIRAN_CONF_H
#define KAIRAN_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* "host:port", "[v6]:port"; port 1..65535. */
int	conf_hostport(const char *v, char *host, size_t hostlen, int *port,
	    char *err, size_t errlen);
/* The same for a listening address: port 0 lets the kernel choose one. */
int	conf_listen(const char *v, char *host, size_t hostlen, int *port,
	    char *err, size_t errlen);
/*
 * "wss://host[:port][/path]" ("[v6]" for IPv6): TLS is required. The
 * host without brackets, the port (KAIRAN_DEFAULT_PORT if none) and the
 * path ("/" if none). The error quotes the url and names what is wrong.
 */
int	conf_url(const char *url, char *host, size_t hostlen, int *port,
	    char *path, size_t pathlen, char *err, size_t errlen);
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

/* "warning" -1, "info" 0, "debug" 1 (the log levels of log_setverbose). */
int	conf_log_level(const char *v, int *out, char *err, size_t errlen);

/*
 * The INI reader of both configurations: libinih, fed line by line by us
 * so that every key and every section header is known by its line number
 * (libinih does not tell its handler, and never reports a section that
 * has no keys). A UTF-8 BOM is skipped; a line longer than libinih's
 * buffer is an error instead of being split silently.
 *
 * The caller fills file, section, key and arg; conf_ini_read calls
 * section() at every header (name trimmed, e.g. "route pref") and key()
 * for every key of the current section. Callbacks report problems with
 * conf_ini_error; only the first error is kept (later ones are usually
 * its consequences), and reading goes on to the end.
 */
struct conf_ini {
	const char	*file;
	void		*arg;
	void		(*section)(struct conf_ini *, const char *name);
	void		(*key)(struct conf_ini *, const char *section,
			    const char *name, const char *value);
	/* kept by the reader */
	FILE		*fp;
	int		 line;		/* the line being read */
	int		 err_line;	/* 0: no error so far */
	char		 err[512];
};

/* An error at line (0: the current line). */
void	conf_ini_error(struct conf_ini *, int line, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/*
 * Reads ini->file. Returns 0, or -1 with err "file:line: what is wrong"
 * (the first conf_ini_error, a syntax error, or why the file could not
 * be opened). Call conf_ini_result after checks of one's own.
 */
int	conf_ini_read(struct conf_ini *, char *err, size_t errlen);
/* 0 if no error was recorded, else -1 with err "file:line: what". */
int	conf_ini_result(const struct conf_ini *, char *err, size_t errlen);
/*
 * Which of keys[0..n) name is, remembering its line in lines[] (0 = not
 * seen yet). Returns the index, or -1 after conf_ini_error for a key that
 * is unknown ("[where]: unknown key ...") or repeated.
 */
int	conf_ini_key(struct conf_ini *, const char *where,
	    const char *const *keys, size_t n, int *lines, const char *name);
/*
 * A path key: conf_path(ini->file, value) into *dst (freeing what was
 * there). Returns 0, or -1 after conf_ini_error ("key: empty path").
 */
int	conf_ini_path(struct conf_ini *, char **dst, const char *key,
	    const char *value);

#endif
