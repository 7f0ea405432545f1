/*
 * metrics: the relay's counters, and their rendering in the Prometheus
 * text exposition format (version 0.0.4) for /metrics (httpd.c).
 *
 * The counters are the process's (one relay per process): the modules
 * call metrics_inc() where the event happens (a refused handshake in
 * listener.c and session.c, an accepted or refused envelope in commit.c
 * and frames.c) and metrics_commit() after each grouped commit. Gauges
 * (connections, pending deliveries, links) are not kept here: the caller
 * reads them at scrape time and hands them to metrics_render().
 */
#ifndef KAIRAN_RELAY_METRICS_H
#define KAIRAN_RELAY_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum metric {
	METRIC_HANDSHAKES_REFUSED,	/* by reason */
	METRIC_ENVELOPES_ACCEPTED,	/* by body: report, receipt */
	METRIC_ENVELOPES_REFUSED,	/* by reason (frame_reason_name) */
	METRIC_N
};

/* Distinct label values kept per counter; the rest count as "other". */
#define METRICS_LABELS_MAX	32
#define METRICS_LABEL_LEN	48

/* counter{label} += 1; label is copied (truncated to METRICS_LABEL_LEN). */
void	metrics_inc(enum metric, const char *label);
/* One grouped commit: its envelopes and the seconds COMMIT took (the fsync). */
void	metrics_commit(unsigned batch, double seconds);
/* Back to zero (for the tests). */
void	metrics_reset(void);

struct metrics_link {
	const char	*name;		/* the [peer NAME] */
	int		 up;
	long long	 queue;		/* pending forwards to peer:NAME */
};

/* What the caller reads at scrape time. */
struct metrics_gauges {
	long long	 conn_node, conn_relay, conn_pending;
	long long	 pending;		/* deliveries */
	double		 oldest_pending_s;	/* 0 if none */
	long long	 overdue;		/* recipients past the deadline */
	const struct metrics_link *links;
	size_t		 nlinks;
};

/*
 * Writes every metric, with HELP and TYPE lines, to fp. Label values are
 * escaped as the format asks (\\, \" and \n). 0, or -1 on a write error.
 */
int	metrics_render(FILE *fp, const struct metrics_gauges *);
/* Writes v escaped for a label value (exposed for the tests). */
void	metrics_label(FILE *fp, const char *v);

#endif
