/*
 * trust: the federation's trust anchors and revocation lists, and the one
 * place where a certificate chain is verified outside of a TLS handshake
 * (envelope signatures). A trust is immutable once built: reloading builds
 * a new one and swaps it in, so verifications in flight stay valid.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

#include "kairan/file.h"
#include "kairan/trust.h"

struct trust {
	X509_STORE		*store;
	STACK_OF(X509_CRL)	*crls;		/* for trust_cert_revoked */
	int			 ncerts;
	uint64_t		 generation;
};

/* Generations never repeat in a process, unlike addresses of freed trusts. */
static _Atomic uint64_t trust_generations;

const char *
trust_ssl_errstr(void)
{
	static _Thread_local char buf[256];
	unsigned long e = ERR_peek_last_error();

	if (e == 0)
		return "no details";
	ERR_error_string_n(e, buf, sizeof(buf));
	return buf;
}

/* 1 if the OpenSSL error queue holds only the "no more PEM blocks" error. */
static int
pem_eof(void)
{
	unsigned long e = ERR_peek_last_error();

	return ERR_GET_LIB(e) == ERR_LIB_PEM &&
	    ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
}

/*
 * Adds every certificate (crl == 0) or every CRL (crl == 1) of one PEM
 * file to t. Returns 0, or -1 with err naming the file.
 */
static int
load_pem(struct trust *t, const char *file, int crl, char *err,
    size_t errlen)
{
	const char *what = crl ? "CRL" : "certificate";
	BIO *bio;
	X509_CRL *c;
	X509 *x;
	int ok;

	if ((bio = file_open_bio(file, err, errlen)) == NULL)
		return -1;
	ERR_clear_error();
	for (;;) {
		if (crl) {
			if ((c = PEM_read_bio_X509_CRL(bio, NULL, NULL,
			    NULL)) == NULL)
				break;
			/* the stack owns c; the store keeps its own reference */
			ok = X509_STORE_add_crl(t->store, c) == 1 &&
			    sk_X509_CRL_push(t->crls, c) > 0;
			if (!ok)
				X509_CRL_free(c);
		} else {
			if ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) ==
			    NULL)
				break;
			if ((ok = X509_STORE_add_cert(t->store, x) == 1))
				t->ncerts++;
			X509_free(x);
		}
		if (!ok) {
			snprintf(err, errlen, "%s: cannot add %s: %s", file,
			    what, trust_ssl_errstr());
			goto fail;
		}
	}
	if (!pem_eof()) {
		snprintf(err, errlen, "%s: bad PEM %s: %s", file, what,
		    trust_ssl_errstr());
		goto fail;
	}
	ERR_clear_error();
	BIO_free(bio);
	return 0;
 fail:
	BIO_free(bio);
	return -1;
}

static int
has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n > m && strcmp(s + n - m, suf) == 0;
}

static int
name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int
crl_filter(const struct dirent *d)
{
	return d->d_name[0] != '.' &&
	    (has_suffix(d->d_name, ".pem") || has_suffix(d->d_name, ".crl"));
}

static int
load_crls(struct trust *t, const char *path, char *err, size_t errlen)
{
	struct dirent **names = NULL;
	struct stat st;
	char file[4096];
	int i, n = 0, rc = -1;

	if (stat(path, &st) == -1) {
		snprintf(err, errlen, "cannot open %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (load_pem(t, path, 1, err, errlen) == -1)
			return -1;
	} else {
		if ((n = scandir(path, &names, crl_filter, name_cmp)) == -1) {
			snprintf(err, errlen, "cannot open %s: %s", path,
			    strerror(errno));
			return -1;
		}
		for (i = 0; i < n; i++) {
			snprintf(file, sizeof(file), "%s/%s", path,
			    names[i]->d_name);
			if (stat(file, &st) == 0 && !S_ISREG(st.st_mode))
				continue;
			if (load_pem(t, file, 1, err, errlen) == -1)
				goto done;
		}
	}
	if (sk_X509_CRL_num(t->crls) == 0) {
		snprintf(err, errlen, "%s: no CRL found", path);
		goto done;
	}
	rc = 0;
 done:
	if (names != NULL) {
		for (i = 0; i < n; i++)
			free(names[i]);
		free(names);
	}
	return rc;
}

struct trust *
trust_new(const char *ca_file, const char *crl_path, char *err, size_t errlen)
{
	struct trust *t;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(err, errlen, "trust: out of memory");
		return NULL;
	}
	if ((t->store = X509_STORE_new()) == NULL ||
	    (t->crls = sk_X509_CRL_new_null()) == NULL) {
		snprintf(err, errlen, "trust: out of memory");
		goto fail;
	}
	if (ca_file == NULL) {
		snprintf(err, errlen, "trust: no CA file");
		goto fail;
	}
	if (load_pem(t, ca_file, 0, err, errlen) == -1)
		goto fail;
	if (t->ncerts == 0) {
		snprintf(err, errlen, "%s: no certificate", ca_file);
		goto fail;
	}
	if (crl_path != NULL) {
		if (load_crls(t, crl_path, err, errlen) == -1)
			goto fail;
		X509_STORE_set_flags(t->store, X509_V_FLAG_CRL_CHECK |
		    X509_V_FLAG_CRL_CHECK_ALL);
	}
	t->generation = ++trust_generations;
	return t;
 fail:
	trust_free(t);
	return NULL;
}

void
trust_free(struct trust *t)
{
	if (t == NULL)
		return;
	X509_STORE_free(t->store);
	sk_X509_CRL_pop_free(t->crls, X509_CRL_free);
	free(t);
}

X509_STORE *
trust_store(struct trust *t)
{
	return t->store;
}

int
trust_ncrls(const struct trust *t)
{
	return sk_X509_CRL_num(t->crls);
}

uint64_t
trust_generation(const struct trust *t)
{
	return t->generation;
}

enum trust_result
trust_verify(struct trust *t, X509 *leaf, STACK_OF(X509) *untrusted,
    int64_t now, struct identity *who, char *err, size_t errlen)
{
	X509_STORE_CTX *ctx = NULL;
	STACK_OF(X509) *chain;
	enum trust_result res = TRUST_BAD_CHAIN;
	int e, depth;

	if (t == NULL || leaf == NULL) {
		snprintf(err, errlen, "chain: no trust or no certificate");
		return TRUST_BAD_CHAIN;
	}
	if ((ctx = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(ctx, t->store, leaf, untrusted) != 1) {
		snprintf(err, errlen, "chain: %s", trust_ssl_errstr());
		goto done;
	}
	if (now != 0)
		X509_STORE_CTX_set_time(ctx, 0, (time_t)now);
	if (X509_verify_cert(ctx) != 1) {
		e = X509_STORE_CTX_get_error(ctx);
		depth = X509_STORE_CTX_get_error_depth(ctx);
		switch (e) {
		case X509_V_ERR_CERT_REVOKED:
			res = TRUST_REVOKED;
			break;
		case X509_V_ERR_CERT_HAS_EXPIRED:
		case X509_V_ERR_CERT_NOT_YET_VALID:
		case X509_V_ERR_CRL_HAS_EXPIRED:
		case X509_V_ERR_CRL_NOT_YET_VALID:
			res = TRUST_EXPIRED;
			break;
		default:
			res = TRUST_BAD_CHAIN;
			break;
		}
		snprintf(err, errlen, "chain: %s (error %d at depth %d)",
		    X509_verify_cert_error_string(e), e, depth);
		goto done;
	}
	chain = X509_STORE_CTX_get0_chain(ctx);
	if (sk_X509_num(chain) != 3) {
		snprintf(err, errlen, "chain: %d certificates, want leaf, "
		    "intermediate, root", sk_X509_num(chain));
		res = TRUST_BAD_CHAIN;
		goto done;
	}
	if (identity_from_cert(sk_X509_value(chain, 0),
	    sk_X509_value(chain, 1), who, err, errlen) == -1) {
		res = TRUST_BAD_CHAIN;
		goto done;
	}
	res = TRUST_OK;
 done:
	X509_STORE_CTX_free(ctx);
	return res;
}

int
trust_cert_revoked(struct trust *t, X509 *cert)
{
	X509_REVOKED *rev;
	X509_CRL *c;
	int i;

	if (t == NULL || cert == NULL)
		return 0;
	for (i = 0; i < sk_X509_CRL_num(t->crls); i++) {
		c = sk_X509_CRL_value(t->crls, i);
		if (X509_NAME_cmp(X509_CRL_get_issuer(c),
		    X509_get_issuer_name(cert)) != 0)
			continue;
		if (X509_CRL_get0_by_cert(c, &rev, cert) == 1)
			return 1;
	}
	return 0;
}
