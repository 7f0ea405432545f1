/*
 * bench_floor PKI DIR: what the irreducible steps cost on this machine, one
 * core, with plain OpenSSL and the bench PKI (tests/bench/mkpki.sh): one
 * ECDSA P-256 signature and verification (of a SHA-256 digest, with a kept
 * context), one certificate chain verified against the root
 * with every CRL (leaf, intermediate, root: what a relay does for a chain
 * it has not seen), one certificate decoded from its DER (what a new
 * signer's leaf costs before anything is checked: OpenSSL 3.0 decodes its
 * key through the provider decoders), one mutually authenticated TLS 1.3
 * handshake in full and resumed from a ticket (the server's share: its CPU
 * is what a relay pays per reconnecting node; client and server run in this
 * process over memory BIOs), one fdatasync of a 4 KiB append in DIR (the file
 * system the bench's stores are on), and one row a durable queue cannot
 * do without in SQLite (the fixed store): a 16-byte id kept unique and a
 * 600-byte envelope, 64 rows a transaction, WAL with synchronous=NORMAL
 * (the batch's fdatasync is the fsync figure, counted apart).
 *
 * Each cost is the best of a few batches (a floor is the least the step
 * costs here, not its average on a busy machine). Prints one line
 * "FLOOR key=value ..." (microseconds; table.py reads it
 * to print, beside each figure short of its target, the floor that the
 * figure cannot go below on this machine and the distance to it), then
 * the same figures in words. Prints figures; asserts nothing about time.
 */
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <sqlite3.h>

#define KEEP	500	/* idle connections whose heap is measured */

static void
die(const char *what)
{
	fprintf(stderr, "bench_floor: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* This thread's CPU time, µs: the server's share of a handshake. */
static double
cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static EVP_PKEY *
read_key(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k;

	if (f == NULL)
		die(path);
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (k == NULL)
		die(path);
	return k;
}

/* Every certificate of a PEM file, in order. */
static STACK_OF(X509) *
read_certs(const char *path)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	FILE *f = fopen(path, "r");
	X509 *x;

	if (f == NULL || sk == NULL)
		die(path);
	while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL)
		sk_X509_push(sk, x);
	ERR_clear_error();
	fclose(f);
	if (sk_X509_num(sk) == 0)
		die(path);
	return sk;
}

/* The root and every CRL of the bench PKI, checked for the whole chain. */
static X509_STORE *
make_store(const char *pki)
{
	X509_STORE *st = X509_STORE_new();
	char ca[4096], crl[4096];

	snprintf(ca, sizeof(ca), "%s/root/ca.pem", pki);
	snprintf(crl, sizeof(crl), "%s/crl.pem", pki);
	if (st == NULL || X509_STORE_load_file(st, ca) != 1 ||
	    X509_STORE_load_file(st, crl) != 1)
		die("store");
	X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK |
	    X509_V_FLAG_CRL_CHECK_ALL);
	return st;
}

/*
 * The least a signature or a verification can cost: ECDSA over a SHA-256
 * digest computed once, with one EVP_PKEY_CTX kept (what a careful
 * implementation pays per envelope; kairan's envelope code keeps its
 * contexts too). The best of BATCHES batches of n, so that a busy moment
 * of the machine does not raise the floor.
 */
#define BATCHES	5

static double
sign_verify(EVP_PKEY *k, int verify, int n)
{
	unsigned char dg[32], sig[80];
	size_t sl = sizeof(sig);
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k, NULL);
	double best = 1e30, t0;
	int b, i;

	memset(dg, 'k', sizeof(dg));
	if (c == NULL || EVP_PKEY_sign_init(c) != 1 ||
	    EVP_PKEY_sign(c, sig, &sl, dg, sizeof(dg)) != 1 ||
	    (verify && EVP_PKEY_verify_init(c) != 1))
		die("sign");
	for (b = 0; b < BATCHES; b++) {
		t0 = now_us();
		for (i = 0; i < n; i++) {
			size_t l = sizeof(sig);

			if (verify ? EVP_PKEY_verify(c, sig, sl, dg,
			    sizeof(dg)) != 1 : EVP_PKEY_sign(c, sig, &l, dg,
			    sizeof(dg)) != 1)
				die(verify ? "verify" : "sign");
		}
		t0 = (now_us() - t0) / n;
		if (t0 < best)
			best = t0;
	}
	EVP_PKEY_CTX_free(c);
	return best;
}

/* One leaf certificate decoded from DER (d2i_X509), best of BATCHES. */
static double
cert_decode(X509 *leaf, int n)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	double best = 1e30, t0;
	int b, i, len;
	X509 *x;

	if ((len = i2d_X509(leaf, &der)) <= 0)
		die("i2d_X509");
	for (b = 0; b < BATCHES; b++) {
		t0 = now_us();
		for (i = 0; i < n; i++) {
			p = der;
			if ((x = d2i_X509(NULL, &p, len)) == NULL ||
			    X509_get0_pubkey(x) == NULL)
				die("d2i_X509");
			X509_free(x);
		}
		t0 = (now_us() - t0) / n;
		if (t0 < best)
			best = t0;
	}
	OPENSSL_free(der);
	return best;
}

static double
chain_verify(X509_STORE *st, STACK_OF(X509) *chain, int n)
{
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	X509_STORE_CTX *x = X509_STORE_CTX_new();
	double t0;
	int i;

	for (i = 1; i < sk_X509_num(chain); i++)
		sk_X509_push(untrusted, sk_X509_value(chain, i));
	t0 = now_us();
	for (i = 0; i < n; i++) {
		if (X509_STORE_CTX_init(x, st, sk_X509_value(chain, 0),
		    untrusted) != 1 || X509_verify_cert(x) != 1)
			die("chain verify");
		X509_STORE_CTX_cleanup(x);
	}
	t0 = (now_us() - t0) / n;
	X509_STORE_CTX_free(x);
	sk_X509_free(untrusted);
	return t0;
}

static SSL_CTX *
tls_ctx(int server, const char *pki, const char *entity)
{
	SSL_CTX *c = SSL_CTX_new(server ? TLS_server_method() :
	    TLS_client_method());
	char path[4096];

	if (c == NULL)
		die("SSL_CTX_new");
	SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION);
	snprintf(path, sizeof(path), "%s/entities/%s/chain.pem", pki, entity);
	if (SSL_CTX_use_certificate_chain_file(c, path) != 1)
		die(path);
	snprintf(path, sizeof(path), "%s/entities/%s/key.pem", pki, entity);
	if (SSL_CTX_use_PrivateKey_file(c, path, SSL_FILETYPE_PEM) != 1)
		die(path);
	SSL_CTX_set_cert_store(c, make_store(pki));
	SSL_CTX_set_verify(c, SSL_VERIFY_PEER |
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	if (server) {
		SSL_CTX_set_session_id_context(c, (const unsigned char *)"f",
		    1);
		/* an idle connection keeps no record buffers */
		SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);
	}
	return c;
}

/*
 * One handshake over a pair of memory BIOs; returns the server's CPU µs.
 * *sess: offered by the client if set, and replaced by the new session.
 */
static double
handshake(SSL_CTX *sc, SSL_CTX *cc, SSL_SESSION **sess, int *resumed,
    SSL **keep)
{
	SSL *s = SSL_new(sc), *c = SSL_new(cc);
	BIO *b1, *b2;
	double srv = 0, t;
	int sdone = 0, cdone = 0, rounds = 0, r;

	if (s == NULL || c == NULL || BIO_new_bio_pair(&b1, 0, &b2, 0) != 1)
		die("SSL_new");
	SSL_set_bio(s, b1, b1);
	SSL_set_bio(c, b2, b2);
	SSL_set_accept_state(s);
	SSL_set_connect_state(c);
	if (*sess != NULL)
		SSL_set_session(c, *sess);
	while ((!sdone || !cdone) && rounds++ < 100) {
		if (!cdone) {
			r = SSL_do_handshake(c);
			if (r == 1)
				cdone = 1;
			else if (SSL_get_error(c, r) != SSL_ERROR_WANT_READ)
				die("client handshake");
		}
		if (!sdone) {
			t = cpu_us();
			r = SSL_do_handshake(s);
			srv += cpu_us() - t;
			if (r == 1)
				sdone = 1;
			else if (SSL_get_error(s, r) != SSL_ERROR_WANT_READ)
				die("server handshake");
		}
	}
	/* TLS 1.3 tickets come after the handshake: let the client read them */
	{
		char buf[1];

		t = cpu_us();
		(void)SSL_write(s, "x", 1);
		srv += cpu_us() - t;
		(void)SSL_read(c, buf, 1);
	}
	*resumed = SSL_session_reused(c);
	if (*sess != NULL)
		SSL_SESSION_free(*sess);
	*sess = SSL_get1_session(c);
	/* a connection freed without a close makes its session unresumable */
	(void)SSL_shutdown(c);
	SSL_free(c);
	if (keep != NULL) {
		/* as a relay holds it: open, idle; the pair's buffers go */
		BIO *null = BIO_new(BIO_s_null());

		SSL_set_bio(s, null, null);
		*keep = s;
		return srv;
	}
	(void)SSL_shutdown(s);
	SSL_free(s);
	return srv;
}

static double
fsync_us(const char *dir, int n)
{
	char path[4096], block[4096];
	double t0;
	int fd, i;

	snprintf(path, sizeof(path), "%s/bench_floor.XXXXXX", dir);
	if ((fd = mkstemp(path)) == -1)
		die(path);
	memset(block, 'w', sizeof(block));
	t0 = now_us();
	for (i = 0; i < n; i++)
		if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block) ||
		    fdatasync(fd) == -1)
			die("fdatasync");
	t0 = (now_us() - t0) / n;
	close(fd);
	unlink(path);
	return t0;
}

/*
 * One row of the least a durable message queue stores in SQLite, in µs:
 * n rows in transactions of 64 into a fresh database in dir. The relay
 * stores more per message (sender, state, its delivery, an audit row);
 * this is what no SQLite store of a message can do without.
 */
static double
sqlite_row_us(const char *dir, int n)
{
	char path[4096], wal[4200], shm[4200];
	sqlite3 *db;
	sqlite3_stmt *st;
	uint8_t id[16], env[600];
	double t0;
	int i, fd;

	snprintf(path, sizeof(path), "%s/bench_floor_db.XXXXXX", dir);
	if ((fd = mkstemp(path)) == -1)
		die(path);
	close(fd);
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
	    "CREATE TABLE m (seq INTEGER PRIMARY KEY, id BLOB NOT NULL UNIQUE,"
	    " envelope BLOB NOT NULL)", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO m (id, envelope) VALUES (?1, ?2)",
	    -1, &st, NULL) != SQLITE_OK)
		die(sqlite3_errmsg(db));
	memset(env, 'e', sizeof(env));
	t0 = now_us();
	for (i = 0; i < n; i++) {
		if (i % 64 == 0 && sqlite3_exec(db, i == 0 ? "BEGIN" :
		    "COMMIT; BEGIN", NULL, NULL, NULL) != SQLITE_OK)
			die(sqlite3_errmsg(db));
		if (RAND_bytes(id, sizeof(id)) != 1)
			die("RAND_bytes");
		sqlite3_bind_blob(st, 1, id, sizeof(id), SQLITE_STATIC);
		sqlite3_bind_blob(st, 2, env, sizeof(env), SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			die(sqlite3_errmsg(db));
		sqlite3_reset(st);
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		die(sqlite3_errmsg(db));
	t0 = (now_us() - t0) / n;
	sqlite3_finalize(st);
	sqlite3_close(db);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	snprintf(shm, sizeof(shm), "%s-shm", path);
	unlink(wal);
	unlink(shm);
	unlink(path);
	return t0;
}

int
main(int argc, char **argv)
{
	SSL_CTX *sc, *cc;
	SSL_SESSION *sess = NULL;
	STACK_OF(X509) *chain;
	X509_STORE *st;
	EVP_PKEY *k;
	char path[4096];
	double sign, verify, chainv, decode, full, res, fs, row, t, heap;
	int b, i, n = 200, resumed, nres = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: bench_floor PKI DIR\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/entities/452017/key.pem", argv[1]);
	k = read_key(path);
	sign = sign_verify(k, 0, 400);
	verify = sign_verify(k, 1, 400);
	snprintf(path, sizeof(path), "%s/entities/452017/chain.pem", argv[1]);
	chain = read_certs(path);
	st = make_store(argv[1]);
	chainv = chain_verify(st, chain, 300);
	decode = cert_decode(sk_X509_value(chain, 0), 300);
	sc = tls_ctx(1, argv[1], "relay-national");
	cc = tls_ctx(0, argv[1], "452017");
	full = res = 1e30;
	(void)handshake(sc, cc, &sess, &resumed, NULL);
	for (b = 0; b < BATCHES; b++) {
		double f = 0, r = 0;
		int nr = 0;

		for (i = 0; i < n / BATCHES; i++) {
			SSL_SESSION *none = NULL;

			f += handshake(sc, cc, &none, &resumed, NULL);
			SSL_SESSION_free(none);
			t = handshake(sc, cc, &sess, &resumed, NULL);
			if (resumed) {
				r += t;
				nr++;
			}
		}
		if (f / (n / BATCHES) < full)
			full = f / (n / BATCHES);
		if (nr > 0 && r / nr < res)
			res = r / nr;
		nres += nr;
	}
	if (nres == 0)
		res = 0;
	fs = 1e30;
	for (b = 0; b < BATCHES; b++)
		if ((t = fsync_us(argv[2], 40)) < fs)
			fs = t;
	row = 1e30;
	for (b = 0; b < BATCHES; b++)
		if ((t = sqlite_row_us(argv[2], 2048)) < row)
			row = t;
	/*
	 * The heap an idle mTLS connection holds in OpenSSL on the server
	 * side after its handshake (the SSL, its buffers, the session with
	 * the peer's certificate): what a relay cannot hold less of per node
	 * without giving up something of TLS. The client's end is freed.
	 */
	{
		SSL *keep[KEEP];
		size_t before = mallinfo2().uordblks;

		for (i = 0; i < KEEP; i++) {
			SSL_SESSION *none = NULL;

			(void)handshake(sc, cc, &none, &resumed, &keep[i]);
			SSL_SESSION_free(none);
		}
		heap = (double)(mallinfo2().uordblks - before) / KEEP / 1024;
		for (i = 0; i < KEEP; i++)
			SSL_free(keep[i]);
	}
	printf("FLOOR ecdsa_sign_us=%.1f ecdsa_verify_us=%.1f "
	    "chain_verify_us=%.1f cert_decode_us=%.1f handshake_full_us=%.1f "
	    "handshake_resumed_us=%.1f fsync_us=%.1f sqlite_row_us=%.1f "
	    "tls_conn_kb=%.1f\n", sign, verify, chainv, decode, full, res, fs,
	    row, heap);
	printf("one core: ECDSA P-256 sign %.1f us, verify %.1f us; a chain "
	    "(leaf, intermediate, root) with every CRL %.1f us; a certificate "
	    "decoded %.1f us; mTLS 1.3 "
	    "handshake, the server's CPU: full %.0f us, resumed %.0f us (%d of "
	    "%d resumed); fdatasync of a 4 KiB append in %s: %.0f us; one "
	    "SQLite row (unique id, 600-byte envelope, 64 a transaction, "
	    "WAL, no fsync): %.1f us; an idle mTLS connection holds %.1f KB "
	    "of OpenSSL's heap on the server\n", sign, verify, chainv, decode,
	    full, res, nres, n, argv[2], fs, row, heap);
	SSL_SESSION_free(sess);
	SSL_CTX_free(sc);
	SSL_CTX_free(cc);
	X509_STORE_free(st);
	sk_X509_pop_free(chain, X509_free);
	EVP_PKEY_free(k);
	return 0;
}
