/*
 * jsonfile: a person's JSON file read whole, checked as UTF-8, then
 * parsed (see jsonfile.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kairan/text.h"
#include "field.h"
#include "jsonfile.h"

/*
 * A report file: 64 attachments of 256 KiB in base64 (4/3) are ~22 MiB,
 * plus the texts; anything larger is not a report.
 */
#define JSONFILE_MAX		(32 * 1024 * 1024)

/*
 * The bytes of the file, read whole into a malloc'd buffer (NUL
 * added) of at most JSONFILE_MAX bytes. A file that cannot be opened
 * or read gives "cannot open r.json: Permission denied" (the path as
 * given, the reason from errno). 0 or -1 with err.
 */
static int
read_whole(const char *path, char **out, size_t *outlen, char *err,
    size_t errlen)
{
	struct stat st;
	char *buf = NULL, *nb;
	size_t n = 0, cap = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		field_err(err, errlen, "cannot open %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		field_err(err, errlen, "cannot read %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		field_err(err, errlen, "cannot read %s: %s", path,
		    strerror(EISDIR));
		goto fail;
	}
	for (;;) {
		if (n + 1 >= cap) {
			if (cap >= JSONFILE_MAX + 1) {
				field_err(err, errlen, "%s: larger than %d MiB",
				    path, JSONFILE_MAX / (1024 * 1024));
				goto fail;
			}
			cap = cap == 0 ? 64 * 1024 : cap * 2;
			if (cap > JSONFILE_MAX + 1)
				cap = JSONFILE_MAX + 1;
			if ((nb = realloc(buf, cap)) == NULL) {
				field_err(err, errlen, "%s: out of memory",
				    path);
				goto fail;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - 1 - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			field_err(err, errlen, "cannot read %s: %s", path,
			    strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return 0;
fail:
	free(buf);
	close(fd);
	return -1;
}

/*
 * The line (from 1) of the first byte of buf[0..len) that is not strict
 * UTF-8 (or is a NUL, which no JSON text holds), or 0 if all of it is.
 * Shift_JIS, EUC-JP and UTF-16 files all fail here, on the line of their
 * first non-ASCII character.
 */
static size_t
not_utf8_line(const char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)buf;
	size_t i = 0, k, line = 1;
	unsigned cp;

	while (i < len) {
		if (p[i] == '\0')
			return line;
		if (p[i] < 0x80) {
			if (p[i] == '\n')
				line++;
			i++;
			continue;
		}
		if ((k = text_utf8_next(p + i, len - i, &cp)) == 0)
			return line;
		i += k;
	}
	return 0;
}

/* See jsonfile.h. */
json_t *
jsonfile_load(const char *path, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root;
	char *buf = NULL, *text;
	size_t len, bad;

	if (read_whole(path, &buf, &len, err, errlen) == -1)
		return NULL;
	text = buf;
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
		text += 3;
		len -= 3;
	}
	if ((bad = not_utf8_line(text, len)) != 0) {
		field_err(err, errlen, "%s: not UTF-8 (line %zu): save it as "
		    "UTF-8", path, bad);
		free(buf);
		return NULL;
	}
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	free(buf);
	if (root == NULL)
		field_err(err, errlen, "%s:%d:%d: JSON syntax error: %s", path,
		    je.line, je.column, je.text);
	return root;
}
