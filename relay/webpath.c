/*
 * webpath: request path -> file of the console's folder (see webpath.h).
 * Only the name is judged here; httpd.c then resolves the file with
 * realpath and refuses one that lands outside the folder (a symlink).
 */
#include <string.h>

#include "webpath.h"

int
webpath_check(const char *uri, size_t len, char *rel, size_t relsize,
    const char **why)
{
	size_t i, seg = 1, out;

	if (len == 0 || uri[0] != '/') {
		*why = "path does not start with /";
		return -1;
	}
	if (len > WEBPATH_MAX) {
		*why = "path too long";
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)uri[i];

		if (c < 0x20 || c == 0x7f) {
			*why = "NUL or control byte in path";
			return -1;
		}
		if (c == '\\' || c == '%' || c == '?' || c == '#') {
			*why = c == '%' ? "percent sign in decoded path" :
			    "backslash, ? or # in path";
			return -1;
		}
		if (c != '/')
			continue;
		/* the segment that ends here: uri[seg, i) */
		if (i > 0 && i == seg) {
			*why = "empty path segment";
			return -1;
		}
		seg = i + 1;
		if (i + 1 < len && uri[i + 1] == '.') {
			*why = "path segment starting with a dot";
			return -1;
		}
	}
	out = len - 1;
	if (out == 0 || uri[len - 1] == '/') {
		if (out + sizeof("index.html") > relsize) {
			*why = "path too long";
			return -1;
		}
		memcpy(rel, uri + 1, out);
		memcpy(rel + out, "index.html", sizeof("index.html"));
		return 0;
	}
	if (out + 1 > relsize) {
		*why = "path too long";
		return -1;
	}
	memcpy(rel, uri + 1, out);
	rel[out] = '\0';
	return 0;
}

const char *
webpath_mime(const char *rel)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".json", "application/json" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".ico", "image/x-icon" },
		{ ".txt", "text/plain; charset=utf-8" },
	};
	size_t n = strlen(rel), i, k;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		k = strlen(types[i].ext);
		if (n > k && strcmp(rel + n - k, types[i].ext) == 0)
			return types[i].type;
	}
	return "application/octet-stream";
}
