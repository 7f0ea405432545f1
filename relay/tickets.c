/*
 * tickets: the TLS session ticket keys in the relay's state (see
 * tickets.h for the policy and the file format).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "tickets.h"

struct tickets {
	char			*path;
	int64_t			 rotation;	/* seconds a key issues */
	struct ticket_key	 key[2];	/* [0] current, [1] previous */
	int			 nkeys;
	unsigned		 generation;
};

static int	ctx_index = -1;

static void
tickets_wipe(struct tickets *t)
{
	OPENSSL_cleanse(t->key, sizeof(t->key));
}

void
tickets_free(struct tickets *t)
{
	if (t == NULL)
		return;
	tickets_wipe(t);
	free(t->path);
	free(t);
}

static int
hex_decode(const char *s, uint8_t *out, size_t n)
{
	size_t i;
	unsigned v;

	if (strlen(s) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1 ||
		    strchr("0123456789abcdefABCDEF", s[2 * i]) == NULL ||
		    strchr("0123456789abcdefABCDEF", s[2 * i + 1]) == NULL)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static void
hex_put(FILE *f, const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(f, "%02x", b[i]);
}

/*
 * Parses the file's text into t->key. Returns 0, or -1 with err naming
 * the line. The text holds secrets: it is wiped by the caller.
 */
static int
parse(struct tickets *t, char *text, char *err, size_t errlen)
{
	char *line, *save = NULL, *f[5], *fs;
	long long created;
	int lineno = 0, n;
	char *end;

	t->nkeys = 0;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if (line[0] == '#' || line[strspn(line, " \t\r")] == '\0')
			continue;
		if (t->nkeys == 2) {
			snprintf(err, errlen, "%s:%d: more than two keys "
			    "(current and previous)", t->path, lineno);
			return -1;
		}
		for (n = 0, fs = line; n < 5 && (f[n] = strsep(&fs, " \t\r")) !=
		    NULL;)
			if (*f[n] != '\0')
				n++;
		errno = 0;
		if (n != 4 || (created = strtoll(f[0], &end, 10)) <= 0 ||
		    *end != '\0' || errno != 0 ||
		    hex_decode(f[1], t->key[t->nkeys].name, TICKET_NAME_LEN) ||
		    hex_decode(f[2], t->key[t->nkeys].aes, TICKET_KEY_LEN) ||
		    hex_decode(f[3], t->key[t->nkeys].hmac, TICKET_KEY_LEN)) {
			snprintf(err, errlen, "%s:%d: expected CREATED NAME AES "
			    "HMAC (Unix seconds, then 16, 32 and 32 bytes in "
			    "hex)", t->path, lineno);
			return -1;
		}
		t->key[t->nkeys++].created = created;
	}
	return 0;
}

/* Reads the file; 1 if it does not exist, 0 if read, -1 with err. */
static int
load(struct tickets *t, char *err, size_t errlen)
{
	struct stat st;
	char *text = NULL;
	ssize_t r;
	int fd, rc = -1;

	if ((fd = open(t->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 1;
		snprintf(err, errlen, "%s: %s", t->path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", t->path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", t->path);
		goto fail;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(err, errlen, "%s: mode %04o, want 0600 (it holds "
		    "secret keys)", t->path, (unsigned)(st.st_mode & 07777));
		goto fail;
	}
	if (st.st_size > 4096) {
		snprintf(err, errlen, "%s: %lld bytes, a key file has under "
		    "400", t->path, (long long)st.st_size);
		goto fail;
	}
	if ((text = calloc(1, (size_t)st.st_size + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", t->path);
		goto fail;
	}
	if ((r = read(fd, text, (size_t)st.st_size)) != st.st_size) {
		snprintf(err, errlen, "%s: %s", t->path, r == -1 ?
		    strerror(errno) : "short read");
		goto fail;
	}
	rc = parse(t, text, err, errlen);
 fail:
	if (text != NULL) {
		OPENSSL_cleanse(text, (size_t)st.st_size);
		free(text);
	}
	close(fd);
	return rc;
}

/*
 * Writes the keys: a temporary file of mode 0600 beside it, synced, then
 * renamed over the old one and the folder synced, so that a crash leaves
 * the old keys or the new ones, never half of either.
 */
static int
save(const struct tickets *t, char *err, size_t errlen)
{
	char *tmp = NULL, *dcopy = NULL;
	FILE *f = NULL;
	int fd = -1, dfd, i;

	if (asprintf(&tmp, "%s.new", t->path) == -1) {
		tmp = NULL;
		snprintf(err, errlen, "%s: out of memory", t->path);
		return -1;
	}
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1 || fchmod(fd, 0600) == -1 ||
	    (f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	fprintf(f, "# kairan-relay TLS session ticket keys: secret (mode "
	    "0600), never logged\n# CREATED NAME AES HMAC, newest first\n");
	for (i = 0; i < t->nkeys; i++) {
		fprintf(f, "%lld ", (long long)t->key[i].created);
		hex_put(f, t->key[i].name, TICKET_NAME_LEN);
		fputc(' ', f);
		hex_put(f, t->key[i].aes, TICKET_KEY_LEN);
		fputc(' ', f);
		hex_put(f, t->key[i].hmac, TICKET_KEY_LEN);
		fputc('\n', f);
	}
	if (fflush(f) != 0 || fsync(fileno(f)) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (fclose(f) != 0) {
		f = NULL;
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	f = NULL;
	if (rename(tmp, t->path) == -1) {
		snprintf(err, errlen, "%s: %s", t->path, strerror(errno));
		goto fail;
	}
	if ((dcopy = strdup(t->path)) != NULL &&
	    (dfd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY)) != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	free(dcopy);
	free(tmp);
	return 0;
 fail:
	if (f != NULL)
		fclose(f);
	if (fd != -1)
		close(fd);
	(void)unlink(tmp);
	free(tmp);
	return -1;
}

static int
fresh(struct ticket_key *k, int64_t now)
{
	k->created = now;
	return RAND_bytes(k->name, sizeof(k->name)) == 1 &&
	    RAND_bytes(k->aes, sizeof(k->aes)) == 1 &&
	    RAND_bytes(k->hmac, sizeof(k->hmac)) == 1 ? 0 : -1;
}

/* Applies what is due at now to the keys in memory; 1 if anything changed. */
static int
rotate_keys(struct tickets *t, int64_t now, int *failed)
{
	int changed = 0;

	*failed = 0;
	/* the previous key: accepted until twice the rotation */
	if (t->nkeys == 2 && now >= t->key[1].created + 2 * t->rotation) {
		OPENSSL_cleanse(&t->key[1], sizeof(t->key[1]));
		t->nkeys = 1;
		changed = 1;
	}
	/* a key made "in the future" (the clock stepped back): rotate now */
	if (t->nkeys == 0 || now >= t->key[0].created + t->rotation ||
	    t->key[0].created > now) {
		if (t->nkeys >= 1 &&
		    now < t->key[0].created + 2 * t->rotation) {
			t->key[1] = t->key[0];
			t->nkeys = 2;
		} else
			t->nkeys = 0;
		if (fresh(&t->key[0], now) == -1) {
			*failed = 1;
			return changed;
		}
		if (t->nkeys == 0)
			t->nkeys = 1;
		t->generation++;
		changed = 1;
	}
	return changed;
}

struct tickets *
tickets_open(const char *path, unsigned rotation_s, int64_t now, char *err,
    size_t errlen)
{
	struct tickets *t;
	int rc, failed;

	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	t->rotation = rotation_s > 0 ? rotation_s : 1;
	if ((rc = load(t, err, errlen)) == -1)
		goto fail;
	if (rotate_keys(t, now, &failed) || rc == 1) {
		if (failed) {
			snprintf(err, errlen, "%s: no random bytes for a key",
			    path);
			goto fail;
		}
		if (save(t, err, errlen) == -1)
			goto fail;
	}
	t->generation = 0;
	return t;
 fail:
	tickets_free(t);
	return NULL;
}

int
tickets_rotate(struct tickets *t, int64_t now, char *err, size_t errlen)
{
	int failed;

	if (!rotate_keys(t, now, &failed)) {
		if (failed) {
			snprintf(err, errlen, "%s: no random bytes for a key",
			    t->path);
			return -1;
		}
		return 0;
	}
	if (save(t, err, errlen) == -1)
		return -1;
	return 1;
}

int64_t
tickets_next(const struct tickets *t)
{
	int64_t next = t->key[0].created + t->rotation;

	if (t->nkeys == 2 && t->key[1].created + 2 * t->rotation < next)
		next = t->key[1].created + 2 * t->rotation;
	return next;
}

unsigned
tickets_generation(const struct tickets *t)
{
	return t->generation;
}

const struct ticket_key *
tickets_current(const struct tickets *t)
{
	return t->nkeys > 0 ? &t->key[0] : NULL;
}

const struct ticket_key *
tickets_find(const struct tickets *t, const uint8_t name[TICKET_NAME_LEN],
    int64_t now, int *renew)
{
	int i;

	for (i = 0; i < t->nkeys; i++) {
		if (CRYPTO_memcmp(t->key[i].name, name, TICKET_NAME_LEN) != 0)
			continue;
		if (now >= t->key[i].created + 2 * t->rotation)
			return NULL;	/* its window is over */
		*renew = i > 0 || now >= t->key[i].created + t->rotation;
		return &t->key[i];
	}
	return NULL;
}

static int
set_hmac(EVP_MAC_CTX *hctx, const struct ticket_key *k)
{
	OSSL_PARAM params[3];

	params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY,
	    (void *)(uintptr_t)k->hmac, sizeof(k->hmac));
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)(uintptr_t)"SHA256", 0);
	params[2] = OSSL_PARAM_construct_end();
	return EVP_MAC_CTX_set_params(hctx, params) == 1 ? 0 : -1;
}

/*
 * OpenSSL's ticket key callback: enc 1, a new ticket with the current
 * key (1, or -1 on error); enc 0, the key named name: 1 to accept, 2 to
 * accept and issue a new ticket, 0 for a name we do not know or no
 * longer accept (a full handshake follows).
 */
static int
ticket_key_cb(SSL *ssl, unsigned char *name, unsigned char *iv,
    EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
	struct tickets *t = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl),
	    ctx_index);
	const struct ticket_key *k;
	int renew = 0;

	if (t == NULL)
		return enc ? -1 : 0;
	if (enc) {
		if ((k = tickets_current(t)) == NULL ||
		    RAND_bytes(iv, EVP_CIPHER_iv_length(EVP_aes_256_cbc())) !=
		    1)
			return -1;
		memcpy(name, k->name, TICKET_NAME_LEN);
		if (EVP_EncryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k->aes,
		    iv) != 1 || set_hmac(hctx, k) == -1)
			return -1;
		return 1;
	}
	if ((k = tickets_find(t, name, (int64_t)time(NULL), &renew)) == NULL)
		return 0;
	if (set_hmac(hctx, k) == -1 ||
	    EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k->aes, iv) != 1)
		return -1;
	return renew ? 2 : 1;
}

int
tickets_install(struct tickets *t, SSL_CTX *ctx)
{
	long lifetime = (long)(2 * t->rotation);

	if (ctx_index == -1 &&
	    (ctx_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL,
	    NULL)) == -1)
		return -1;
	if (SSL_CTX_set_ex_data(ctx, ctx_index, t) != 1)
		return -1;
	/* TLS 1.3 caps a ticket's lifetime at 7 days */
	if (lifetime > 7 * 86400)
		lifetime = 7 * 86400;
	SSL_CTX_set_timeout(ctx, lifetime);
	return SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_key_cb) == 1 ?
	    0 : -1;
}
