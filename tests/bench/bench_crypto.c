/*
 * bench_crypto: how fast the protocol library seals and verifies
 * envelopes (ECDSA P-256 / SHA-256, chain with CRLs, full validation) on
 * this machine, one core. Distinct messages, so the verification cache
 * never hits; then the same envelopes again, to show the cache.
 * With a bench PKI (tests/bench/mkpki.sh) as second argument, also one
 * envelope from each of its entities: the first from a signer not seen
 * yet (cold: its chain is checked, its intermediate perhaps known), then a
 * second one from each (warm: the chain is known, the signature is not).
 * Prints figures; asserts nothing about time.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kairan/envelope.h"
#include "kairan/log.h"

#ifndef KAIRAN_FIXTURES
#error KAIRAN_FIXTURES must name the directory made by tests/unit/mkpki.sh
#endif

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Seals one report from every entity of the bench PKI at pki (at most max)
 * and verifies them all, twice with fresh messages: cold signers, then
 * warm. The trust is a fresh one, so nothing of it is cached yet.
 */
static void
signers(const char *pki, int max, Message *m)
{
	struct signer **sg;
	struct trust *t;
	struct envelope_info info;
	struct dirent *d;
	DIR *dir;
	uint8_t **env, id[16];
	size_t *len;
	char path[4096], key[4096], err[512], *mic = "mic", *nisc = "nisc";
	char sender[64];
	double t0, t1;
	int n = 0, i, round, reason;

	snprintf(path, sizeof(path), "%s/entities", pki);
	if ((dir = opendir(path)) == NULL)
		fatal("%s", path);
	sg = calloc((size_t)max, sizeof(*sg));
	env = calloc((size_t)max, sizeof(*env));
	len = calloc((size_t)max, sizeof(*len));
	while (n < max && (d = readdir(dir)) != NULL) {
		if (d->d_name[0] == '.' || strncmp(d->d_name, "ops-", 4) == 0)
			continue;
		snprintf(path, sizeof(path), "%s/entities/%s/chain.pem", pki,
		    d->d_name);
		snprintf(key, sizeof(key), "%s/entities/%s/key.pem", pki,
		    d->d_name);
		if ((sg[n] = signer_new(path, key, err, sizeof(err))) == NULL)
			fatalx("%s", err);
		n++;
	}
	closedir(dir);
	snprintf(path, sizeof(path), "%s/root/ca.pem", pki);
	snprintf(key, sizeof(key), "%s/crl.pem", pki);
	if ((t = trust_new(path, key, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	for (round = 0; round < 2; round++) {
		for (i = 0; i < n; i++) {
			message_id_new(id);
			m->id.data = id;
			m->id.len = 16;
			snprintf(sender, sizeof(sender), "%s",
			    signer_entity(sg[i]));
			m->sender = sender;
			/* one recipient, never the sender itself */
			m->recipients = strcmp(m->sender, "mic") == 0 ?
			    &nisc : &mic;
			m->n_recipients = 1;
			if (envelope_seal(sg[i], m, &env[i], &len[i], NULL,
			    err, sizeof(err)) == -1)
				fatalx("seal: %s", err);
		}
		t0 = now();
		for (i = 0; i < n; i++) {
			if (envelope_verify_bytes(t, env[i], len[i], 1 << 20,
			    0, &info, &reason, err, sizeof(err)) == -1)
				fatalx("verify %s: %s", signer_entity(sg[i]),
				    err);
			envelope_info_clear(&info);
			free(env[i]);
		}
		t1 = now();
		printf("%s %5d signers  %8.0f /s  (%.1f us each; %s)\n",
		    round == 0 ? "cold   " : "warm   ", n, n / (t1 - t0),
		    (t1 - t0) / n * 1e6, round == 0 ? "first envelope of "
		    "each signer: chain checked" : "second envelope: chain "
		    "known, signature checked");
	}
	for (i = 0; i < n; i++)
		signer_free(sg[i]);
	free(sg);
	free(env);
	free(len);
	trust_free(t);
}

int
main(int argc, char *argv[])
{
	int n = argc > 1 ? atoi(argv[1]) : 5000, i, reason;
	struct signer *s;
	struct trust *t;
	struct envelope_info info;
	uint8_t **env, id[16], incident[16];
	size_t *len;
	char err[512], *rcpt[] = { "450006", "mic" };
	double t0, t1;
	Message m = KAIRAN__V1__MESSAGE__INIT;
	IncidentReport r = KAIRAN__V1__INCIDENT_REPORT__INIT;
	uint64_t hits, misses;

	log_init("bench_crypto", -1);
	s = signer_new(KAIRAN_FIXTURES "/entities/452017/chain.pem",
	    KAIRAN_FIXTURES "/entities/452017/key.pem", err, sizeof(err));
	t = trust_new(KAIRAN_FIXTURES "/root/ca.pem", KAIRAN_FIXTURES
	    "/crl.pem", err, sizeof(err));
	if (s == NULL || t == NULL)
		fatalx("fixtures: %s", err);
	env = calloc(n, sizeof(*env));
	len = calloc(n, sizeof(*len));
	message_id_new(incident);
	m.sender = "452017";
	m.recipients = rcpt;
	m.n_recipients = 2;
	m.body_case = KAIRAN__V1__MESSAGE__BODY_REPORT;
	m.report = &r;
	r.incident_id.data = incident;
	r.incident_id.len = 16;
	r.report_no = 1;
	r.phase = KAIRAN__V1__INCIDENT_REPORT__PHASE__INITIAL;
	r.category = KAIRAN__V1__INCIDENT_REPORT__CATEGORY__CYBER_ATTACK;
	r.level = 3;
	r.summary = "標的型攻撃メールによるマルウェア感染の疑い";

	t0 = now();
	for (i = 0; i < n; i++) {
		message_id_new(id);
		m.id.data = id;
		m.id.len = 16;
		m.created_at_ms = message_now_ms();
		if (envelope_seal(s, &m, &env[i], &len[i], NULL, err,
		    sizeof(err)) == -1)
			fatalx("seal: %s", err);
	}
	t1 = now();
	printf("seal    %6d envelopes  %8.0f /s  (%.1f us each)\n", n,
	    n / (t1 - t0), (t1 - t0) / n * 1e6);

	t0 = now();
	for (i = 0; i < n; i++) {
		if (envelope_verify_bytes(t, env[i], len[i], 1 << 20, 0, &info,
		    &reason, err, sizeof(err)) == -1)
			fatalx("verify: %s", err);
		envelope_info_clear(&info);
	}
	t1 = now();
	printf("verify  %6d envelopes  %8.0f /s  (%.1f us each; chain, CRLs, "
	    "signature, fields)\n", n, n / (t1 - t0), (t1 - t0) / n * 1e6);

	t0 = now();
	for (i = 0; i < n; i++) {
		if (envelope_verify_bytes(t, env[i], len[i], 1 << 20, 0, &info,
		    &reason, err, sizeof(err)) == -1)
			fatalx("verify: %s", err);
		envelope_info_clear(&info);
	}
	t1 = now();
	envelope_cache_stats(&hits, &misses);
	printf("reverify%6d envelopes  %8.0f /s  (same bytes again: cache "
	    "hits %llu, misses %llu)\n", n, n / (t1 - t0),
	    (unsigned long long)hits, (unsigned long long)misses);
	if (argc > 2)
		signers(argv[2], argc > 3 ? atoi(argv[3]) : 100000, &m);
	for (i = 0; i < n; i++)
		free(env[i]);
	free(env);
	free(len);
	signer_free(s);
	trust_free(t);
	return 0;
}
