/*
 * attachment: a report's attachments, JSON -> Attachment (read from a
 * file or decoded from base64, digested) and back as a summary (see
 * attachment.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "kairan/kairan.h"
#include "kairan/message.h"
#include "attachment.h"
#include "field.h"

#define ATTACHMENT_MAX		(256 * 1024)

typedef Kairan__V1__Attachment	Attachment;

static const char *const attachment_keys[] = {
	"name", "media_type", "path", "data_base64", NULL
};

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Standard base64 (padding optional, no whitespace) into a malloc'd buffer
 * of at most max bytes. 0, -1 if malformed, -2 if too large, -3 on ENOMEM.
 */
static int
b64_decode(const char *s, size_t len, size_t max, uint8_t **out,
    size_t *outlen)
{
	uint8_t *buf;
	uint32_t acc = 0;
	size_t i, n = 0, bits = 0;
	int v;

	while (len > 0 && s[len - 1] == '=' )
		len--;
	if (len % 4 == 1 || (len * 3) / 4 > max)
		return len % 4 == 1 ? -1 : -2;
	if ((buf = malloc(len * 3 / 4 + 1)) == NULL)
		return -3;
	for (i = 0; i < len; i++) {
		if ((v = b64val((unsigned char)s[i])) == -1) {
			free(buf);
			return -1;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (uint8_t)(acc >> bits);
		}
	}
	*out = buf;
	*outlen = n;
	return 0;
}

/*
 * Reads path (relative to base_dir unless absolute), a regular file of at
 * most ATTACHMENT_MAX bytes, into a malloc'd buffer. 0 or -1 with
 * err naming field.
 */
static int
read_attachment(const char *base_dir, const char *path, const char *field,
    uint8_t **out, size_t *outlen, char *err, size_t errlen)
{
	char full[PATH_MAX];
	struct stat st;
	uint8_t *buf = NULL;
	size_t n = 0;
	ssize_t r;
	int fd = -1;

	if (path[0] == '/' || base_dir == NULL)
		snprintf(full, sizeof(full), "%s", path);
	else if ((size_t)snprintf(full, sizeof(full), "%s/%s", base_dir,
	    path) >= sizeof(full)) {
		field_err(err, errlen, "%s: path too long", field);
		return -1;
	}
	if ((fd = open(full, O_RDONLY | O_CLOEXEC)) == -1) {
		field_err(err, errlen, "%s: %s: %s", field, full,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		field_err(err, errlen, "%s: %s: not a regular file", field,
		    full);
		goto fail;
	}
	if (st.st_size > ATTACHMENT_MAX) {
		field_err(err, errlen, "%s: %s: larger than 256 KiB (%lld "
		    "bytes)", field, full, (long long)st.st_size);
		goto fail;
	}
	/* One byte more than allowed, to notice a file that grew. */
	if ((buf = malloc(ATTACHMENT_MAX + 1)) == NULL) {
		field_err(err, errlen, "%s: out of memory", field);
		goto fail;
	}
	for (;;) {
		r = read(fd, buf + n, ATTACHMENT_MAX + 1 - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			field_err(err, errlen, "%s: %s: %s", field, full,
			    strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > ATTACHMENT_MAX) {
			field_err(err, errlen, "%s: %s: larger than 256 KiB",
			    field, full);
			goto fail;
		}
	}
	close(fd);
	*out = buf;
	*outlen = n;
	return 0;
fail:
	free(buf);
	close(fd);
	return -1;
}

static int
sha256(const uint8_t *data, size_t len, uint8_t md[KAIRAN_DIGEST_LEN])
{
	unsigned int mdlen = 0;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != KAIRAN_DIGEST_LEN)
		return -1;
	return 0;
}

/* One attachment object into a (initialised). 0 or -1 with err. */
static int
parse_attachment(const json_t *o, size_t idx, const char *base_dir,
    Attachment *a, char *err, size_t errlen)
{
	char where[64], field[96], g[FIELD_GOT_LEN], *path = NULL;
	const json_t *p, *d;
	uint8_t *data = NULL;
	size_t len = 0;
	int rc;

	snprintf(where, sizeof(where), "report.attachments[%zu]", idx);
	if (!json_is_object(o)) {
		field_err(err, errlen, "%s: must be an object {name, "
		    "media_type, path | data_base64}, got %s", where,
		    field_got(o, g, sizeof(g)));
		return -1;
	}
	if (field_check_keys(o, attachment_keys, where, err, errlen) == -1)
		return -1;
	snprintf(field, sizeof(field), "%s.name", where);
	if (json_object_get(o, "name") == NULL) {
		field_err(err, errlen, "%s: missing", field);
		return -1;
	}
	if (field_string(json_object_get(o, "name"), field, KAIRAN_MAX_SHORT, 1,
	    &a->name, err, errlen) == -1)
		return -1;
	snprintf(field, sizeof(field), "%s.media_type", where);
	if (json_object_get(o, "media_type") == NULL) {
		field_err(err, errlen, "%s: missing", field);
		return -1;
	}
	if (field_string(json_object_get(o, "media_type"), field,
	    KAIRAN_MAX_SHORT, 1, &a->media_type, err, errlen) == -1)
		return -1;
	if (strchr(a->media_type, '/') == NULL) {
		field_err(err, errlen, "%s: must be a media type like "
		    "\"application/pdf\", got \"%s\"", field, a->media_type);
		return -1;
	}
	p = json_object_get(o, "path");
	d = json_object_get(o, "data_base64");
	if ((p == NULL) == (d == NULL)) {
		field_err(err, errlen, "%s: exactly one of path and "
		    "data_base64 is required", where);
		return -1;
	}
	if (p != NULL) {
		snprintf(field, sizeof(field), "%s.path", where);
		if (field_string(p, field, PATH_MAX, 1, &path, err, errlen) ==
		    -1)
			return -1;
		rc = read_attachment(base_dir, path, field, &data, &len, err,
		    errlen);
		free(path);
		if (rc == -1)
			return -1;
	} else {
		snprintf(field, sizeof(field), "%s.data_base64", where);
		if (!json_is_string(d)) {
			field_err(err, errlen, "%s: must be a base64 string, "
			    "got %s", field, field_got(d, g, sizeof(g)));
			return -1;
		}
		switch (b64_decode(json_string_value(d), json_string_length(d),
		    ATTACHMENT_MAX, &data, &len)) {
		case 0:
			break;
		case -2:
			field_err(err, errlen, "%s: larger than 256 KiB",
			    field);
			return -1;
		case -3:
			field_err(err, errlen, "%s: out of memory", field);
			return -1;
		default:
			field_err(err, errlen, "%s: not valid base64", field);
			return -1;
		}
	}
	a->data.data = data;
	a->data.len = len;
	if ((a->sha256.data = malloc(KAIRAN_DIGEST_LEN)) == NULL ||
	    sha256(data, len, a->sha256.data) == -1) {
		field_err(err, errlen, "%s: SHA-256 failed", where);
		return -1;
	}
	a->sha256.len = KAIRAN_DIGEST_LEN;
	return 0;
}

/* See attachment.h. */
int
attachment_list_from_json(const json_t *obj, const char *base_dir,
    IncidentReport *r, char *err, size_t errlen)
{
	char g[FIELD_GOT_LEN];
	json_t *v, *e;
	size_t i, n;

	if ((v = json_object_get(obj, "attachments")) == NULL ||
	    json_is_null(v))
		return 0;
	if (!json_is_array(v)) {
		field_err(err, errlen, "report.attachments: must be an array "
		    "of objects, got %s", field_got(v, g, sizeof(g)));
		return -1;
	}
	if ((n = json_array_size(v)) > KAIRAN_MAX_LIST) {
		field_err(err, errlen, "report.attachments: too many entries "
		    "(%zu, at most %d)", n, KAIRAN_MAX_LIST);
		return -1;
	}
	if (n == 0)
		return 0;
	if ((r->attachments = calloc(n, sizeof(*r->attachments))) == NULL) {
		field_err(err, errlen, "report.attachments: out of memory");
		return -1;
	}
	json_array_foreach(v, i, e) {
		if ((r->attachments[i] = malloc(sizeof(Attachment))) == NULL) {
			field_err(err, errlen, "report.attachments: out of "
			    "memory");
			return -1;
		}
		kairan__v1__attachment__init(r->attachments[i]);
		r->n_attachments = i + 1;
		if (parse_attachment(e, i, base_dir, r->attachments[i], err,
		    errlen) == -1)
			return -1;
	}
	return 0;
}

/* See attachment.h. */
json_t *
attachment_list_to_json(const IncidentReport *r)
{
	char hex[2 * KAIRAN_DIGEST_LEN + 1];
	json_t *a, *x;
	size_t i;

	a = json_array();
	for (i = 0; i < r->n_attachments; i++) {
		const Attachment *at = r->attachments[i];

		x = json_object();
		json_object_set_new(x, "name", json_string(at->name));
		json_object_set_new(x, "media_type",
		    json_string(at->media_type));
		if (at->sha256.len == KAIRAN_DIGEST_LEN) {
			message_hex(at->sha256.data, KAIRAN_DIGEST_LEN, hex);
			json_object_set_new(x, "sha256", json_string(hex));
		} else
			json_object_set_new(x, "sha256", json_null());
		json_object_set_new(x, "size",
		    json_integer((json_int_t)at->data.len));
		json_array_append_new(a, x);
	}
	return a;
}
