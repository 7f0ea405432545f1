/*
 * save: `show --save DIR`, the attachments of reports written into a
 * folder: every one checked first (its SHA-256 against the report's, its
 * name a plain one that cannot leave the folder or pass for another),
 * then each written as a new file, never over an existing one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "kairan/message.h"
#include "kairan/text.h"

#include "save.h"

/*
 * Why name cannot be a file name in the folder --save writes to, or NULL
 * if it can: it must be one plain name (no "/", no "\", not "." or "..",
 * not empty), valid UTF-8 without control characters or bidi overrides
 * (anything text.h would escape), so that it can neither leave the folder
 * nor look like another name in a listing.
 */
static const char *
save_name_problem(const char *name)
{
	char *e;
	int same;

	if (name == NULL || name[0] == '\0')
		return "the name is empty";
	if (strlen(name) > KAIRAN_MAX_SHORT)
		return "the name is longer than 256 bytes";
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return "the name is \".\" or \"..\"";
	if (strchr(name, '/') != NULL)
		return "the name holds \"/\" (a path, not a file name)";
	if (strchr(name, '\\') != NULL)
		return "the name holds \"\\\"";
	if ((e = text_escape(name, 0)) == NULL)
		return "out of memory";
	same = strcmp(e, name) == 0;
	free(e);
	if (!same)
		return "the name holds control characters, bidi overrides or "
		    "bytes that are not UTF-8";
	return NULL;
}

/* name with "-N" before its extension ("log.txt" -> "log-1.txt"). */
static void
save_suffixed(const char *name, unsigned k, char *out, size_t outlen)
{
	const char *dot = strrchr(name, '.');

	if (dot == NULL || dot == name)
		snprintf(out, outlen, "%s-%u", name, k);
	else
		snprintf(out, outlen, "%.*s-%u%s", (int)(dot - name), name, k,
		    dot);
}

/* Writes len bytes to fd. 0, or -1 with errno. */
static int
write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * Writes attachment a into the folder dfd (named dir), as a new file:
 * under its own name, or "name-N.ext" if that exists (never over an
 * existing file; O_EXCL|O_NOFOLLOW). Prints "saved DIR/NAME (N bytes,
 * sha256 ok)", with "; NAME exists, not overwritten" when it had to
 * choose another name. CLI_OK or CLI_ERROR (a partial file is removed).
 */
static int
save_one(struct cli *c, int dfd, const char *dir,
    const Kairan__V1__Attachment *a)
{
	char fname[KAIRAN_MAX_SHORT + 32];
	unsigned k;
	int fd = -1, e;

	snprintf(fname, sizeof(fname), "%s", a->name);
	for (k = 1; k <= 999; k++) {
		fd = openat(dfd, fname, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0640);
		if (fd != -1 || errno != EEXIST)
			break;
		save_suffixed(a->name, k, fname, sizeof(fname));
	}
	if (fd == -1) {
		e = errno;
		cli_err(c, "--save: cannot create %s/%s: %s", dir, fname,
		    e == EEXIST ? "999 files of this name exist" : strerror(e));
		return CLI_ERROR;
	}
	if (write_all(fd, a->data.data, a->data.len) == -1 ||
	    fsync(fd) == -1) {
		e = errno;
		close(fd);
		(void)unlinkat(dfd, fname, 0);
		cli_err(c, "--save: %s/%s: %s (removed)", dir, fname,
		    strerror(e));
		return CLI_ERROR;
	}
	if (close(fd) == -1) {
		e = errno;
		(void)unlinkat(dfd, fname, 0);
		cli_err(c, "--save: %s/%s: %s (removed)", dir, fname,
		    strerror(e));
		return CLI_ERROR;
	}
	printf("saved %s/%s (%zu bytes, sha256 ok", dir, fname, a->data.len);
	if (strcmp(fname, a->name) != 0)
		printf("; %s exists, not overwritten", a->name);
	printf(")\n");
	return CLI_OK;
}

int
save_attachments(struct cli *c, const char *dir, Message **m, long n)
{
	const Kairan__V1__Attachment *a;
	uint8_t md[KAIRAN_DIGEST_LEN];
	unsigned int mdlen;
	char want[2 * KAIRAN_DIGEST_LEN + 1], have[2 * KAIRAN_DIGEST_LEN + 1];
	const char *why;
	char *ename;
	long i;
	size_t j, total = 0;
	int dfd, rc = CLI_OK;

	for (i = 0; i < n; i++) {
		if (m[i]->body_case != KAIRAN__V1__MESSAGE__BODY_REPORT)
			continue;
		for (j = 0; j < m[i]->report->n_attachments; j++) {
			a = m[i]->report->attachments[j];
			total++;
			ename = text_escape(a->name, TEXT_QUOTE);
			if ((why = save_name_problem(a->name)) != NULL) {
				cli_err(c, "--save: attachment %zu \"%s\" of "
				    "report %u: refused, %s; nothing saved",
				    j + 1, ename != NULL ? ename : "?",
				    m[i]->report->report_no, why);
				free(ename);
				return CLI_ERROR;
			}
			mdlen = 0;
			if (EVP_Digest(a->data.data, a->data.len, md, &mdlen,
			    EVP_sha256(), NULL) != 1 ||
			    mdlen != KAIRAN_DIGEST_LEN ||
			    a->sha256.len != KAIRAN_DIGEST_LEN ||
			    memcmp(md, a->sha256.data, KAIRAN_DIGEST_LEN) != 0) {
				message_hex(md, KAIRAN_DIGEST_LEN, have);
				if (a->sha256.len == KAIRAN_DIGEST_LEN)
					message_hex(a->sha256.data,
					    KAIRAN_DIGEST_LEN, want);
				else
					snprintf(want, sizeof(want), "none");
				cli_err(c, "--save: attachment %zu \"%s\" of "
				    "report %u: SHA-256 mismatch (the report "
				    "says %s, the data is %s); nothing saved",
				    j + 1, ename != NULL ? ename : "?",
				    m[i]->report->report_no, want, have);
				free(ename);
				return CLI_ERROR;
			}
			free(ename);
		}
	}
	if (total == 0) {
		printf("no attachments\n");
		return CLI_OK;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		cli_err(c, "--save: cannot open %s: %s", dir, strerror(errno));
		return CLI_ERROR;
	}
	for (i = 0; i < n && rc == CLI_OK; i++) {
		if (m[i]->body_case != KAIRAN__V1__MESSAGE__BODY_REPORT)
			continue;
		for (j = 0; j < m[i]->report->n_attachments && rc == CLI_OK;
		    j++)
			rc = save_one(c, dfd, dir,
			    m[i]->report->attachments[j]);
	}
	close(dfd);
	return rc;
}
