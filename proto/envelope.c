/*
 * envelope: signing and verifying messages (PROTOCOL.md §5).
 *
 * The signature is ECDSA P-256 with SHA-256 (DER) over exactly the bytes of
 * Envelope.message. Sealing serializes once and signs those bytes;
 * verification checks the cheap things first (sizes), then the chain and
 * identity rules, then the signature over the bytes as received, and only
 * then decodes the Message — it never re-serializes.
 */
#include <sys/queue.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "kairan/entity.h"
#include "kairan/envelope.h"
#include "kairan/file.h"

#define REASON(x)	KAIRAN__V1__REFUSED__REASON__##x

struct signer {
	X509			*leaf;
	EVP_PKEY		*key;
	/*
	 * key's signing context, made once: EVP_DigestSignInit per signature
	 * (a fetch, a new provider context, the key's reference) cost ~10 us
	 * of ~50 here. ECDSA over the SHA-256 of the bytes, which is what
	 * EVP_DigestSign with SHA-256 computes. One signature at a time
	 * (lock): an EVP_PKEY_CTX is not shared between threads.
	 */
	EVP_PKEY_CTX		*sctx;
	pthread_mutex_t		 lock;
	ProtobufCBinaryData	 der[KAIRAN_MAX_CHAIN];	/* cert_chain, cached */
	size_t			 nder;
	char			 entity[KAIRAN_ENTITY_MAX + 1];
};

/*
 * The verification cache (DESIGN.md §10: never verify the same bytes twice
 * in one process). A multiplexed envelope arrives once per route, and a
 * resent one again after a reconnect; the chain and the ECDSA check are
 * what cost. Successes only, keyed by SHA-256 of every signed and signing
 * byte of the Envelope and by the trust's generation (a reloaded trust, new
 * CRLs included, starts afresh), for verifications at the current time;
 * an entry lives VCACHE_TTL seconds, so a certificate that expires meanwhile
 * is taken at most that much longer.
 *
 * Two tables: vcache, keyed by the whole envelope (the same bytes again);
 * ccache, keyed by the certificate chain alone, because every message of
 * one signer carries the same chain, and checking it (two certificate
 * signatures and the CRLs' own) costs several times the message's one
 * ECDSA verification. A chain found there is not checked again; the
 * message's signature always is.
 *
 * Each table is a hash table that grows with what it holds, up to a bound
 * (a fixed table of 4,096 direct-mapped slots lost 31% of the directory's
 * 1,790 chains to collisions): beyond the bound, and for expired entries,
 * the oldest goes first. One mutex per table, held for a lookup or an
 * insert only, never across a verification.
 */
#define VCACHE_TTL		300	/* seconds */
#define VCACHE_MAX_ENVELOPES	32768
#define VCACHE_MAX_CHAINS	16384	/* the directory: 1,790 entities */
#define VCACHE_MIN_BUCKETS	1024	/* a power of two */

struct vc_entry {
	struct vc_entry		*next;		/* in its bucket */
	TAILQ_ENTRY(vc_entry)	 age;		/* oldest first */
	uint8_t			 key[SHA256_DIGEST_LENGTH];
	uint64_t		 gen;
	int64_t			 at;		/* time verified, seconds */
	struct identity		 who;
	EVP_PKEY		*pkey;		/* ccache: the leaf's key (a reference) */
	/*
	 * ccache: a verification context of pkey, made by the first
	 * verification and lent to one verification at a time (NULL while
	 * lent): EVP_DigestVerifyInit per envelope cost ~8 us of ~110 here.
	 */
	EVP_PKEY_CTX		*vctx;
};

TAILQ_HEAD(vc_ages, vc_entry);

struct vc_table {
	pthread_mutex_t		 lock;
	struct vc_entry		**bucket;
	size_t			 nbucket;	/* a power of two; 0 until used */
	size_t			 n, max;
	struct vc_ages		 ages;
	uint64_t		 hits, misses;
};

static struct vc_table vcache = { PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0,
    VCACHE_MAX_ENVELOPES, TAILQ_HEAD_INITIALIZER(vcache.ages), 0, 0 };
static struct vc_table ccache = { PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0,
    VCACHE_MAX_CHAINS, TAILQ_HEAD_INITIALIZER(ccache.ages), 0, 0 };

static void
vcache_len(EVP_MD_CTX *c, size_t n)
{
	uint8_t b[8];
	int i;

	for (i = 0; i < 8; i++)
		b[i] = (uint8_t)(n >> (8 * i));
	EVP_DigestUpdate(c, b, sizeof(b));
}

static void
vcache_add(EVP_MD_CTX *c, const void *p, size_t n)
{
	vcache_len(c, n);
	if (n > 0)
		EVP_DigestUpdate(c, p, n);
}

/*
 * The key: every field with its length, so that no two envelopes collide;
 * without msg (NULL), the key of the chain alone. Returns 0, or -1 (no
 * memory: then the cache is not used).
 */
static int
vcache_key(const ProtobufCBinaryData *msg, const ProtobufCBinaryData *sig,
    const ProtobufCBinaryData *chain, size_t nchain,
    uint8_t key[SHA256_DIGEST_LENGTH])
{
	EVP_MD_CTX *c;
	unsigned int len = 0;
	size_t i;
	int rc = -1;

	if ((c = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1)
		goto done;
	if (msg != NULL) {
		vcache_add(c, msg->data, msg->len);
		vcache_add(c, sig->data, sig->len);
	}
	vcache_len(c, nchain);
	for (i = 0; i < nchain; i++)
		vcache_add(c, chain[i].data, chain[i].len);
	if (EVP_DigestFinal_ex(c, key, &len) == 1 &&
	    len == SHA256_DIGEST_LENGTH)
		rc = 0;
 done:
	EVP_MD_CTX_free(c);
	return rc;
}

static size_t
vc_hash(const struct vc_table *tb, const uint8_t key[SHA256_DIGEST_LENGTH])
{
	uint64_t h;

	memcpy(&h, key, sizeof(h));	/* already a digest */
	return (size_t)h & (tb->nbucket - 1);
}

/* The entry of key, or NULL. tb->lock held. */
static struct vc_entry *
vc_find(struct vc_table *tb, const uint8_t key[SHA256_DIGEST_LENGTH])
{
	struct vc_entry *e;

	if (tb->nbucket == 0)
		return NULL;
	for (e = tb->bucket[vc_hash(tb, key)]; e != NULL; e = e->next)
		if (memcmp(e->key, key, SHA256_DIGEST_LENGTH) == 0)
			return e;
	return NULL;
}

/* Unlinks and frees e. tb->lock held. */
static void
vc_drop(struct vc_table *tb, struct vc_entry *e)
{
	struct vc_entry **pp = &tb->bucket[vc_hash(tb, e->key)];

	while (*pp != e)
		pp = &(*pp)->next;
	*pp = e->next;
	TAILQ_REMOVE(&tb->ages, e, age);
	EVP_PKEY_CTX_free(e->vctx);
	EVP_PKEY_free(e->pkey);
	free(e);
	tb->n--;
}

/*
 * Doubles the buckets once there are as many entries (never beyond the
 * bound); without memory it keeps the table it has. tb->lock held.
 */
static void
vc_grow(struct vc_table *tb)
{
	struct vc_entry **nb, *e;
	size_t size = tb->nbucket == 0 ? VCACHE_MIN_BUCKETS : tb->nbucket * 2;

	if (tb->nbucket != 0 && (tb->n < tb->nbucket || tb->nbucket >= tb->max))
		return;
	if ((nb = calloc(size, sizeof(*nb))) == NULL)
		return;
	free(tb->bucket);
	tb->bucket = nb;
	tb->nbucket = size;
	TAILQ_FOREACH(e, &tb->ages, age) {
		e->next = nb[vc_hash(tb, e->key)];
		nb[vc_hash(tb, e->key)] = e;
	}
}

/*
 * On a hit fills who and, for ccache, *pkey with a new reference to the
 * leaf's key (the caller frees it) and *vctx with the entry's verification
 * context if it is not lent (else NULL): the caller owns it and gives it
 * back with vcache_lend_back. Returns 1 on a hit, 0 otherwise.
 */
static int
vcache_get(struct vc_table *tb, const uint8_t key[SHA256_DIGEST_LENGTH],
    uint64_t gen, int64_t now, struct identity *who, EVP_PKEY **pkey,
    EVP_PKEY_CTX **vctx)
{
	struct vc_entry *e;
	int hit = 0;

	pthread_mutex_lock(&tb->lock);
	if ((e = vc_find(tb, key)) != NULL && e->gen == gen &&
	    now - e->at < VCACHE_TTL && now >= e->at) {
		*who = e->who;
		hit = 1;
		if (pkey != NULL) {
			if (e->pkey == NULL || EVP_PKEY_up_ref(e->pkey) != 1)
				hit = 0;
			else {
				*pkey = e->pkey;
				*vctx = e->vctx;
				e->vctx = NULL;
			}
		}
	}
	if (hit)
		tb->hits++;
	else
		tb->misses++;
	pthread_mutex_unlock(&tb->lock);
	return hit;
}

static void
vcache_put(struct vc_table *tb, const uint8_t key[SHA256_DIGEST_LENGTH],
    uint64_t gen, int64_t now, const struct identity *who, EVP_PKEY *pkey)
{
	struct vc_entry *e, *old;

	if (pkey != NULL && EVP_PKEY_up_ref(pkey) != 1)
		return;
	pthread_mutex_lock(&tb->lock);
	if ((e = vc_find(tb, key)) != NULL)
		TAILQ_REMOVE(&tb->ages, e, age);
	else {
		/* the oldest first: expired ones, then beyond the bound */
		while ((old = TAILQ_FIRST(&tb->ages)) != NULL &&
		    (tb->n >= tb->max || now - old->at >= VCACHE_TTL ||
		    now < old->at))
			vc_drop(tb, old);
		vc_grow(tb);
		if (tb->nbucket == 0 || (e = calloc(1, sizeof(*e))) == NULL) {
			pthread_mutex_unlock(&tb->lock);
			EVP_PKEY_free(pkey);
			return;
		}
		memcpy(e->key, key, sizeof(e->key));
		e->next = tb->bucket[vc_hash(tb, key)];
		tb->bucket[vc_hash(tb, key)] = e;
		tb->n++;
	}
	if (e->pkey != pkey) {
		EVP_PKEY_CTX_free(e->vctx);
		e->vctx = NULL;
	}
	EVP_PKEY_free(e->pkey);
	e->pkey = pkey;
	e->gen = gen;
	e->at = now;
	e->who = *who;
	TAILQ_INSERT_TAIL(&tb->ages, e, age);
	pthread_mutex_unlock(&tb->lock);
}

/*
 * Gives vctx (a verification context of pkey that just verified a good
 * signature) back to the entry of key, if it is still there with that key
 * and holds none; otherwise frees it.
 */
static void
vcache_lend_back(struct vc_table *tb, const uint8_t key[SHA256_DIGEST_LENGTH],
    EVP_PKEY *pkey, EVP_PKEY_CTX *vctx)
{
	struct vc_entry *e;

	pthread_mutex_lock(&tb->lock);
	if ((e = vc_find(tb, key)) != NULL && e->pkey == pkey &&
	    e->vctx == NULL) {
		e->vctx = vctx;
		vctx = NULL;
	}
	pthread_mutex_unlock(&tb->lock);
	EVP_PKEY_CTX_free(vctx);
}

void
envelope_cache_stats(uint64_t *hits, uint64_t *misses)
{
	pthread_mutex_lock(&vcache.lock);
	*hits = vcache.hits;
	*misses = vcache.misses;
	pthread_mutex_unlock(&vcache.lock);
}

void
envelope_chain_cache_stats(uint64_t *hits, uint64_t *misses, size_t *chains)
{
	pthread_mutex_lock(&ccache.lock);
	*hits = ccache.hits;
	*misses = ccache.misses;
	*chains = ccache.n;
	pthread_mutex_unlock(&ccache.lock);
}

void
envelope_seed_chain(struct trust *t, X509 *leaf, STACK_OF(X509) *sent,
    const struct identity *who)
{
	ProtobufCBinaryData der[KAIRAN_MAX_CHAIN];
	uint8_t key[SHA256_DIGEST_LENGTH];
	unsigned char *p;
	size_t n = 0, i;
	X509 *x;
	int k, len;

	memset(der, 0, sizeof(der));
	/* envelope_verify refuses operators after their chain: never a hit */
	if (t == NULL || leaf == NULL || who == NULL ||
	    who->role == ROLE_OPERATOR)
		return;
	for (k = -1; k < sk_X509_num(sent); k++) {
		x = k < 0 ? leaf : sk_X509_value(sent, k);
		/* a client's stack may or may not start with its leaf */
		if (k == 0 && X509_cmp(x, leaf) == 0)
			continue;
		if (n == KAIRAN_MAX_CHAIN || (len = i2d_X509(x, NULL)) <= 0 ||
		    len > KAIRAN_MAX_CERT ||
		    (der[n].data = malloc((size_t)len)) == NULL)
			goto done;
		p = der[n].data;
		der[n++].len = (size_t)i2d_X509(x, &p);
	}
	if (vcache_key(NULL, NULL, der, n, key) == 0)
		vcache_put(&ccache, key, trust_generation(t),
		    (int64_t)time(NULL), who, X509_get0_pubkey(leaf));
 done:
	for (i = 0; i < n; i++)
		free(der[i].data);
	ERR_clear_error();
}

static int
key_is_p256(EVP_PKEY *k)
{
	char group[64];
	size_t glen = 0;

	if (!EVP_PKEY_is_a(k, "EC") ||
	    EVP_PKEY_get_group_name(k, group, sizeof(group), &glen) != 1)
		return 0;
	return OBJ_sn2nid(group) == NID_X9_62_prime256v1;
}

struct signer *
signer_new(const char *chain_file, const char *key_file, char *err,
    size_t errlen)
{
	struct signer *s;
	BIO *bio = NULL;
	X509 *x;
	unsigned char *p;
	char ferr[128];
	int n;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "signer: out of memory");
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	if ((bio = file_open_bio(chain_file, err, errlen)) == NULL)
		goto fail;
	ERR_clear_error();
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (s->nder == KAIRAN_MAX_CHAIN) {
			X509_free(x);
			snprintf(err, errlen, "%s: more than %d certificates",
			    chain_file, KAIRAN_MAX_CHAIN);
			goto fail;
		}
		n = i2d_X509(x, NULL);
		if (n <= 0 || n > KAIRAN_MAX_CERT ||
		    (s->der[s->nder].data = malloc((size_t)n)) == NULL) {
			X509_free(x);
			snprintf(err, errlen, "%s: certificate %zu: cannot "
			    "encode or larger than %d bytes", chain_file,
			    s->nder, KAIRAN_MAX_CERT);
			goto fail;
		}
		p = s->der[s->nder].data;
		s->der[s->nder].len = (size_t)i2d_X509(x, &p);
		s->nder++;
		if (s->leaf == NULL)
			s->leaf = x;
		else
			X509_free(x);
	}
	ERR_clear_error();
	BIO_free(bio);
	bio = NULL;
	if (s->leaf == NULL) {
		snprintf(err, errlen, "%s: no certificate", chain_file);
		goto fail;
	}
	if (identity_name_field(X509_get_subject_name(s->leaf),
	    NID_commonName, s->entity, sizeof(s->entity), ferr,
	    sizeof(ferr)) == -1) {
		snprintf(err, errlen, "%s: %s", chain_file, ferr);
		goto fail;
	}
	if (!entity_valid(s->entity, ferr, sizeof(ferr))) {
		snprintf(err, errlen, "%s: CN: %s", chain_file, ferr);
		goto fail;
	}
	if ((bio = file_open_bio(key_file, err, errlen)) == NULL)
		goto fail;
	if ((s->key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) ==
	    NULL) {
		snprintf(err, errlen, "%s: not a PEM private key: %s", key_file,
		    trust_ssl_errstr());
		goto fail;
	}
	if (!key_is_p256(s->key)) {
		snprintf(err, errlen, "%s: key is not ECDSA P-256", key_file);
		goto fail;
	}
	if (X509_check_private_key(s->leaf, s->key) != 1) {
		snprintf(err, errlen, "%s: key does not match the certificate "
		    "of %s in %s", key_file, s->entity, chain_file);
		goto fail;
	}
	if ((s->sctx = EVP_PKEY_CTX_new_from_pkey(NULL, s->key, NULL)) ==
	    NULL || EVP_PKEY_sign_init(s->sctx) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(s->sctx, EVP_sha256()) != 1) {
		snprintf(err, errlen, "%s: cannot sign with the key: %s",
		    key_file, trust_ssl_errstr());
		goto fail;
	}
	BIO_free(bio);
	ERR_clear_error();
	return s;
 fail:
	BIO_free(bio);
	signer_free(s);
	ERR_clear_error();
	return NULL;
}

int
signer_use_for_tls(const struct signer *s, SSL_CTX *ctx, char *err,
    size_t errlen)
{
	STACK_OF(X509) *chain;
	const unsigned char *p;
	X509 *x;
	size_t i;
	int rc = -1;

	if ((chain = sk_X509_new_null()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 1; i < s->nder; i++) {
		p = s->der[i].data;
		if ((x = d2i_X509(NULL, &p, (long)s->der[i].len)) == NULL ||
		    !sk_X509_push(chain, x)) {
			X509_free(x);
			snprintf(err, errlen, "certificate %zu: cannot decode",
			    i);
			goto done;
		}
	}
	if (SSL_CTX_use_cert_and_key(ctx, s->leaf, s->key, chain, 1) != 1) {
		snprintf(err, errlen, "TLS identity not replaced: %s",
		    trust_ssl_errstr());
		goto done;
	}
	rc = 0;
 done:
	sk_X509_pop_free(chain, X509_free);
	ERR_clear_error();
	return rc;
}

void
signer_free(struct signer *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nder; i++)
		free(s->der[i].data);
	X509_free(s->leaf);
	EVP_PKEY_CTX_free(s->sctx);
	EVP_PKEY_free(s->key);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

const char *
signer_entity(const struct signer *s)
{
	return s->entity;
}

/*
 * ECDSA P-256 over SHA-256(buf) with s's key into sig (room for sigmax
 * bytes, DER), *siglen its length; the digest into dg. Returns 0, or -1
 * (an OpenSSL error left queued for the caller's message).
 */
static int
sign_digest(struct signer *s, const uint8_t *buf, size_t len, uint8_t *sig,
    size_t sigmax, size_t *siglen, uint8_t dg[SHA256_DIGEST_LENGTH])
{
	int ok;

	if (SHA256(buf, len, dg) == NULL)
		return -1;
	*siglen = sigmax;
	pthread_mutex_lock(&s->lock);
	ok = EVP_PKEY_sign(s->sctx, sig, siglen, dg, SHA256_DIGEST_LENGTH);
	pthread_mutex_unlock(&s->lock);
	return ok == 1 ? 0 : -1;
}

int
signer_sign(struct signer *s, const uint8_t *buf, size_t len,
    uint8_t sig[KAIRAN_MAX_SIGNATURE], size_t *siglen, char *err,
    size_t errlen)
{
	uint8_t tmp[KAIRAN_MAX_SIGNATURE + 64], dg[SHA256_DIGEST_LENGTH];
	size_t n;

	if (sign_digest(s, buf, len, tmp, sizeof(tmp), &n, dg) == -1 ||
	    n > KAIRAN_MAX_SIGNATURE) {
		snprintf(err, errlen, "signing failed: %s", trust_ssl_errstr());
		ERR_clear_error();
		return -1;
	}
	memcpy(sig, tmp, n);
	*siglen = n;
	return 0;
}

int
envelope_seal(struct signer *s, const Message *m, uint8_t **out,
    size_t *outlen, uint8_t digest[KAIRAN_DIGEST_LEN], char *err,
    size_t errlen)
{
	Envelope env = KAIRAN__V1__ENVELOPE__INIT;
	uint8_t *msg = NULL, *buf = NULL, sig[KAIRAN_MAX_SIGNATURE + 64];
	uint8_t dg[SHA256_DIGEST_LENGTH];
	size_t msglen = 0, siglen, n;
	int rc = -1;

	if (message_encode(m, &msg, &msglen) == -1) {
		snprintf(err, errlen, "seal: cannot serialize the message");
		goto done;
	}
	if (sign_digest(s, msg, msglen, sig, sizeof(sig), &siglen,
	    dg) == -1) {
		snprintf(err, errlen, "seal: signing failed: %s",
		    trust_ssl_errstr());
		goto done;
	}
	env.message.data = msg;
	env.message.len = msglen;
	env.signature.data = sig;
	env.signature.len = siglen;
	env.n_cert_chain = s->nder;
	env.cert_chain = s->der;
	n = kairan__v1__envelope__get_packed_size(&env);
	if ((buf = malloc(n)) == NULL ||
	    kairan__v1__envelope__pack(&env, buf) != n) {
		snprintf(err, errlen, "seal: out of memory");
		free(buf);
		goto done;
	}
	/* the digest of what was signed is the message's (KAIRAN_DIGEST_LEN) */
	if (digest != NULL)
		memcpy(digest, dg, KAIRAN_DIGEST_LEN);
	*out = buf;
	*outlen = n;
	rc = 0;
 done:
	free(msg);
	ERR_clear_error();
	return rc;
}

int
envelope_bounds(const Envelope *env, char *err, size_t errlen)
{
	size_t i;

	if (env == NULL) {
		snprintf(err, errlen, "envelope: missing");
		return -1;
	}
	if (env->message.len == 0) {
		snprintf(err, errlen, "envelope.message: empty");
		return -1;
	}
	if (env->signature.len == 0 ||
	    env->signature.len > KAIRAN_MAX_SIGNATURE) {
		snprintf(err, errlen, "envelope.signature: %zu bytes, want "
		    "1..%d", env->signature.len, KAIRAN_MAX_SIGNATURE);
		return -1;
	}
	if (env->n_cert_chain == 0 || env->n_cert_chain > KAIRAN_MAX_CHAIN) {
		snprintf(err, errlen, "envelope.cert_chain: %zu certificates, "
		    "want 1..%d", env->n_cert_chain, KAIRAN_MAX_CHAIN);
		return -1;
	}
	for (i = 0; i < env->n_cert_chain; i++) {
		if (env->cert_chain[i].len == 0 ||
		    env->cert_chain[i].len > KAIRAN_MAX_CERT) {
			snprintf(err, errlen, "envelope.cert_chain[%zu]: %zu "
			    "bytes, want 1..%d", i, env->cert_chain[i].len,
			    KAIRAN_MAX_CERT);
			return -1;
		}
	}
	return 0;
}

static void
set_reason(int *reason, int r)
{
	if (reason != NULL)
		*reason = r;
}

int
envelope_verify(struct trust *t, const Envelope *env, int64_t now_ms,
    struct envelope_info *info, int *reason, char *err, size_t errlen)
{
	X509 *certs[KAIRAN_MAX_CHAIN] = { NULL };
	STACK_OF(X509) *untrusted = NULL;
	EVP_PKEY_CTX *vctx = NULL;
	struct identity who;
	Message *m = NULL;
	const unsigned char *p;
	uint8_t key[SHA256_DIGEST_LENGTH], ckey[SHA256_DIGEST_LENGTH];
	char terr[512];
	size_t i, ncerts = 0;
	int64_t now_s = 0;
	EVP_PKEY *pkey = NULL;
	int rc = -1, r, cached = 0, chain_known = 0, signed_ok = 0;

	memset(info, 0, sizeof(*info));
	set_reason(reason, REASON(INVALID_FIELD));
	if (envelope_bounds(env, err, errlen) == -1)
		goto done;

	if (now_ms == 0 && t != NULL && vcache_key(&env->message,
	    &env->signature, env->cert_chain, env->n_cert_chain, key) == 0 &&
	    vcache_key(NULL, NULL, env->cert_chain, env->n_cert_chain,
	    ckey) == 0) {
		cached = 1;
		now_s = (int64_t)time(NULL);
		if (vcache_get(&vcache, key, trust_generation(t), now_s, &who,
		    NULL, NULL))
			goto message;
		chain_known = vcache_get(&ccache, ckey, trust_generation(t),
		    now_s, &who, &pkey, &vctx);
	}
	if (chain_known)
		goto signature;

	set_reason(reason, REASON(BAD_CERTIFICATE));
	for (i = 0; i < env->n_cert_chain; i++) {
		/* an intermediate the trust knows by its bytes: not decoded again */
		if (i == 1 && (certs[i] = trust_cached_ca(t,
		    env->cert_chain[i].data, env->cert_chain[i].len)) != NULL) {
			ncerts = i + 1;
			continue;
		}
		p = env->cert_chain[i].data;
		certs[i] = d2i_X509(NULL, &p, (long)env->cert_chain[i].len);
		ncerts = i + 1;
		if (certs[i] == NULL) {
			snprintf(err, errlen, "envelope.cert_chain[%zu]: not a "
			    "DER certificate", i);
			goto done;
		}
		if (p != env->cert_chain[i].data + env->cert_chain[i].len) {
			snprintf(err, errlen, "envelope.cert_chain[%zu]: "
			    "trailing bytes after the certificate", i);
			goto done;
		}
	}
	if ((untrusted = sk_X509_new_null()) == NULL) {
		snprintf(err, errlen, "envelope: out of memory");
		goto done;
	}
	for (i = 1; i < ncerts; i++)
		if (sk_X509_push(untrusted, certs[i]) <= 0) {
			snprintf(err, errlen, "envelope: out of memory");
			goto done;
		}
	switch (trust_verify(t, certs[0], untrusted,
	    now_ms != 0 ? now_ms / 1000 : 0, &who, terr, sizeof(terr))) {
	case TRUST_OK:
		break;
	case TRUST_REVOKED:
		set_reason(reason, REASON(REVOKED));
		snprintf(err, errlen, "envelope.cert_chain: %s", terr);
		goto done;
	case TRUST_EXPIRED:
	case TRUST_BAD_CHAIN:
	default:
		snprintf(err, errlen, "envelope.cert_chain: %s", terr);
		goto done;
	}

	/*
	 * An operator's certificate is for people at a console, never for
	 * writing in the federation: no message is signed by one.
	 */
	if (who.role == ROLE_OPERATOR) {
		set_reason(reason, REASON(NOT_AUTHORIZED));
		snprintf(err, errlen, "envelope.cert_chain: certificate %s has "
		    "role operator, which may not sign messages", who.entity);
		goto done;
	}
	if ((pkey = X509_get0_pubkey(certs[0])) == NULL ||
	    EVP_PKEY_up_ref(pkey) != 1) {
		pkey = NULL;
		snprintf(err, errlen, "envelope.cert_chain[0]: no public key");
		goto done;
	}

 signature:
	/*
	 * ECDSA over SHA-256(message), as EVP_DigestVerify with SHA-256 does
	 * it (the same provider check, strict DER included); the digest is
	 * the one info->digest reports.
	 */
	set_reason(reason, REASON(BAD_SIGNATURE));
	if (SHA256(env->message.data, env->message.len, info->digest) ==
	    NULL || (vctx == NULL &&
	    ((vctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL ||
	    EVP_PKEY_verify_init(vctx) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(vctx, EVP_sha256()) != 1))) {
		snprintf(err, errlen, "envelope.signature: cannot verify: %s",
		    trust_ssl_errstr());
		goto done;
	}
	if (EVP_PKEY_verify(vctx, env->signature.data, env->signature.len,
	    info->digest, SHA256_DIGEST_LENGTH) != 1) {
		snprintf(err, errlen, "envelope.signature: does not verify "
		    "with the key of %s", who.entity);
		goto done;
	}
	if (cached) {
		vcache_put(&vcache, key, trust_generation(t), now_s, &who,
		    NULL);
		if (!chain_known)
			vcache_put(&ccache, ckey, trust_generation(t), now_s,
			    &who, pkey);
		vcache_lend_back(&ccache, ckey, pkey, vctx);
		vctx = NULL;
	}
	signed_ok = 1;

 message:
	if ((m = message_decode_reason(env->message.data, env->message.len,
	    &r, terr, sizeof(terr))) == NULL) {
		set_reason(reason, r);
		snprintf(err, errlen, "message: %s", terr);
		goto done;
	}
	if (strcmp(m->sender, who.entity) != 0) {
		set_reason(reason, REASON(SENDER_MISMATCH));
		snprintf(err, errlen, "message.sender: %s is not the signer %s",
		    m->sender, who.entity);
		goto done;
	}
	/* a vcache hit skipped the signature, and its digest */
	if (!signed_ok)
		SHA256(env->message.data, env->message.len, info->digest);
	info->msg = m;
	info->signer = who;
	m = NULL;
	set_reason(reason, REASON(REASON_UNSPECIFIED));
	rc = 0;
 done:
	if (rc == -1)
		memset(info, 0, sizeof(*info));
	message_free(m);
	EVP_PKEY_CTX_free(vctx);
	EVP_PKEY_free(pkey);
	sk_X509_free(untrusted);
	for (i = 0; i < ncerts; i++)
		X509_free(certs[i]);
	ERR_clear_error();
	return rc;
}

int
envelope_verify_bytes(struct trust *t, const uint8_t *buf, size_t len,
    size_t max, int64_t now_ms, struct envelope_info *info, int *reason,
    char *err, size_t errlen)
{
	Envelope *env;
	int rc;

	memset(info, 0, sizeof(*info));
	if (len > max) {
		set_reason(reason, REASON(TOO_LARGE));
		snprintf(err, errlen, "envelope: %zu bytes over limit %zu", len,
		    max);
		return -1;
	}
	if ((buf == NULL && len > 0) ||
	    (env = kairan__v1__envelope__unpack(NULL, len, buf)) == NULL) {
		set_reason(reason, REASON(MALFORMED));
		snprintf(err, errlen, "envelope: not a valid protobuf "
		    "Envelope");
		return -1;
	}
	rc = envelope_verify(t, env, now_ms, info, reason, err, errlen);
	kairan__v1__envelope__free_unpacked(env, NULL);
	return rc;
}

void
envelope_info_clear(struct envelope_info *info)
{
	if (info == NULL)
		return;
	message_free(info->msg);
	memset(info, 0, sizeof(*info));
}

int
envelope_peek_id(const Envelope *env, uint8_t id[KAIRAN_ID_LEN])
{
	const uint8_t *p, *end, *data;
	uint64_t field;
	size_t n;
	int found = 0;

	if (env == NULL || env->message.data == NULL)
		return -1;
	/*
	 * Scan the top level of the Message for field 1 (id) without
	 * unpacking it; protobuf semantics: the last occurrence wins.
	 */
	p = env->message.data;
	end = p + env->message.len;
	while (p < end) {
		if (message_wire_next(&p, end, &field, &data, &n) == -1)
			return -1;
		if (field == 1 && data != NULL) {
			if (n != KAIRAN_ID_LEN)
				return -1;
			memcpy(id, data, KAIRAN_ID_LEN);
			found = 1;
		}
	}
	return found ? 0 : -1;
}
