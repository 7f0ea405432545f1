/*
 * webpath: the one check between a request's path and a file of the
 * console's folder. Pure (no I/O), so that every trick is unit-tested.
 */
#ifndef KAIRAN_RELAY_WEBPATH_H
#define KAIRAN_RELAY_WEBPATH_H

#include <stddef.h>

#define WEBPATH_MAX	1024	/* bytes of a request's path */

/*
 * uri is the request's path as libwebsockets hands it over (decoded once;
 * len bytes, which may hold a NUL). Writes into rel (relsize bytes) the
 * path relative to the folder, "index.html" for "/" and for a path that
 * ends in '/'. Refused, with why set to a static reason: not starting
 * with '/', longer than WEBPATH_MAX, a NUL or control byte, a '\\', a '%'
 * (left over from double encoding: "%252e" arrives as "%2e"), a '?' or
 * '#' left in the path, an empty segment ("//"), a "." or ".." segment,
 * or a segment starting with '.' (hidden files). Returns 0 or -1.
 */
int	webpath_check(const char *uri, size_t len, char *rel, size_t relsize,
	    const char **why);
/* The Content-Type for rel by its extension; "application/octet-stream" if unknown. */
const char *webpath_mime(const char *rel);

#endif
