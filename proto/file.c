/*
 * file: opening named files with errors that name the path and the
 * system's reason (see include/kairan/file.h for why).
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>

#include "kairan/file.h"

FILE *
file_open_read(const char *path, char *err, size_t errlen)
{
	struct stat st;
	FILE *fp;
	int e;

	if (path == NULL || path[0] == '\0') {
		snprintf(err, errlen, "cannot open \"\": no file name given");
		return NULL;
	}
	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "cannot open %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	if (fstat(fileno(fp), &st) == -1)
		e = errno;
	else if (S_ISDIR(st.st_mode))
		e = EISDIR;
	else
		return fp;
	fclose(fp);
	snprintf(err, errlen, "cannot open %s: %s", path, strerror(e));
	return NULL;
}

BIO *
file_open_bio(const char *path, char *err, size_t errlen)
{
	FILE *fp;
	BIO *bio;

	if ((fp = file_open_read(path, err, errlen)) == NULL)
		return NULL;
	if ((bio = BIO_new_fp(fp, BIO_CLOSE)) == NULL) {
		fclose(fp);
		snprintf(err, errlen, "%s: out of memory", path);
	}
	return bio;
}
