/*
 * bench_store: the relay store's durable writes on this machine (WAL,
 * synchronous=FULL, a real file): one commit per message against grouped
 * commits of the sizes the relay's batches take. Prints figures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kairan/log.h"
#include "kairan/message.h"

#include "store.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
run(struct store *s, int n, int group)
{
	static uint8_t env[600], digest[32];
	uint8_t id[16];
	char err[512], *rcpt[] = { "450006" };
	Message m = KAIRAN__V1__MESSAGE__INIT;
	IncidentReport r = KAIRAN__V1__INCIDENT_REPORT__INIT;
	int64_t seq;
	double t0;
	int i, dup;

	m.sender = "452017";
	m.recipients = rcpt;
	m.n_recipients = 1;
	m.body_case = KAIRAN__V1__MESSAGE__BODY_REPORT;
	m.report = &r;
	t0 = now();
	for (i = 0; i < n; i++) {
		if (i % group == 0 && store_begin(s, err, sizeof(err)) == -1)
			fatalx("%s", err);
		message_id_new(id);
		m.id.data = id;
		m.id.len = 16;
		if (store_message_add(s, &m, env, sizeof(env), digest, "452017",
		    1, &dup, &seq, err, sizeof(err)) == -1 ||
		    store_delivery_add(s, seq, "450006", NULL, err,
			    sizeof(err)) == -1)
			fatalx("%s", err);
		if ((i + 1) % group == 0 || i + 1 == n)
			if (store_commit(s, err, sizeof(err)) == -1)
				fatalx("%s", err);
	}
	printf("store   %6d messages, %4d per commit  %8.0f messages/s\n", n,
	    group, n / (now() - t0));
}

int
main(int argc, char *argv[])
{
	char dir[] = "/tmp/kairan-bench-XXXXXX", path[64], err[512];
	struct store *s;

	(void)argc;
	(void)argv;
	log_init("bench_store", -1);
	if (mkdtemp(dir) == NULL)
		fatal("mkdtemp");
	snprintf(path, sizeof(path), "%s/relay.db", dir);
	if ((s = store_open(path, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	run(s, 500, 1);
	run(s, 20000, 100);
	run(s, 20000, 1000);
	store_close(s);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	return system(path) == 0 ? 0 : 1;
}
