/*
 * file: opening the files a person names in a configuration (certificates,
 * keys, CRLs, the directory) with an error that person can act on.
 *
 * OpenSSL's BIO_new_file reports a missing or unreadable file as "BIO
 * routines::system lib", and a directory opens fine on Linux and fails only
 * at the first read; both leave the reader guessing. Every loader of the
 * library opens its files here first.
 */
#ifndef KAIRAN_FILE_H
#define KAIRAN_FILE_H

#include <stddef.h>
#include <stdio.h>

#include <openssl/bio.h>

/*
 * Opens path for reading ("r"), refusing a directory. Returns the stream
 * (close with fclose), or NULL with err naming the path and the system's
 * reason: "cannot open /etc/kairan/key.pem: Permission denied", "cannot
 * open /etc/kairan: Is a directory", "cannot open x.pem: No such file or
 * directory".
 */
FILE	*file_open_read(const char *path, char *err, size_t errlen);

/* The same as an OpenSSL BIO (free with BIO_free, which closes the file). */
BIO	*file_open_bio(const char *path, char *err, size_t errlen);

#endif
