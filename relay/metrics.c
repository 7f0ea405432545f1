/*
 * metrics: counters and the Prometheus text format (see metrics.h).
 */
#include <string.h>

#include "metrics.h"

struct counter {
	char		 label[METRICS_LABELS_MAX][METRICS_LABEL_LEN + 1];
	unsigned long long value[METRICS_LABELS_MAX];
	size_t		 n;
	unsigned long long other;	/* labels past METRICS_LABELS_MAX */
};

static const struct {
	const char *name, *label, *help;
} names[METRIC_N] = {
	[METRIC_HANDSHAKES_REFUSED] = { "kairan_handshakes_refused_total",
	    "reason", "Connections refused before they were admitted "
	    "(TLS, certificate, identity, limits)." },
	[METRIC_ENVELOPES_ACCEPTED] = { "kairan_envelopes_accepted_total",
	    "body", "Envelopes committed (Accepted), by body." },
	[METRIC_ENVELOPES_REFUSED] = { "kairan_envelopes_refused_total",
	    "reason", "Envelopes refused, by the Refused reason." },
};

/* Upper bounds of the histograms' buckets (+Inf is implicit). */
static const double batch_le[] = { 1, 2, 5, 10, 20, 50, 100, 200, 500,
    1000 };
static const double fsync_le[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01,
    0.025, 0.05, 0.1, 0.25, 0.5, 1 };
#define NBATCH	(sizeof(batch_le) / sizeof(batch_le[0]))
#define NFSYNC	(sizeof(fsync_le) / sizeof(fsync_le[0]))

struct histogram {
	unsigned long long bucket[16];	/* non-cumulative, last = +Inf */
	unsigned long long count;
	double		 sum;
};

static struct counter counters[METRIC_N];
static struct histogram batch_h, fsync_h;

void
metrics_inc(enum metric m, const char *label)
{
	struct counter *c = &counters[m];
	size_t i;

	if (label == NULL || *label == '\0')
		label = "unknown";
	for (i = 0; i < c->n; i++)
		if (strncmp(c->label[i], label, METRICS_LABEL_LEN) == 0) {
			c->value[i]++;
			return;
		}
	if (c->n == METRICS_LABELS_MAX) {
		c->other++;
		return;
	}
	snprintf(c->label[c->n], sizeof(c->label[0]), "%s", label);
	c->value[c->n++] = 1;
}

static void
observe(struct histogram *h, const double *le, size_t n, double v)
{
	size_t i;

	for (i = 0; i < n && v > le[i]; i++)
		;
	h->bucket[i]++;
	h->count++;
	h->sum += v;
}

void
metrics_commit(unsigned batch, double seconds)
{
	observe(&batch_h, batch_le, NBATCH, (double)batch);
	observe(&fsync_h, fsync_le, NFSYNC, seconds);
}

void
metrics_reset(void)
{
	memset(counters, 0, sizeof(counters));
	memset(&batch_h, 0, sizeof(batch_h));
	memset(&fsync_h, 0, sizeof(fsync_h));
}

void
metrics_label(FILE *fp, const char *v)
{
	for (; *v != '\0'; v++)
		switch (*v) {
		case '\\':
			fputs("\\\\", fp);
			break;
		case '"':
			fputs("\\\"", fp);
			break;
		case '\n':
			fputs("\\n", fp);
			break;
		default:
			fputc(*v, fp);
		}
}

static void
head(FILE *fp, const char *name, const char *type, const char *help)
{
	fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
histogram(FILE *fp, const char *name, const char *help,
    const struct histogram *h, const double *le, size_t n)
{
	unsigned long long cum = 0;
	size_t i;

	head(fp, name, "histogram", help);
	for (i = 0; i < n; i++) {
		cum += h->bucket[i];
		fprintf(fp, "%s_bucket{le=\"%g\"} %llu\n", name, le[i], cum);
	}
	fprintf(fp, "%s_bucket{le=\"+Inf\"} %llu\n", name, h->count);
	fprintf(fp, "%s_sum %.6f\n%s_count %llu\n", name, h->sum, name,
	    h->count);
}

int
metrics_render(FILE *fp, const struct metrics_gauges *g)
{
	const struct counter *c;
	size_t m, i;

	head(fp, "kairan_connections", "gauge", "Connections by role "
	    "(pending: TLS or Hello not done yet).");
	fprintf(fp, "kairan_connections{role=\"node\"} %lld\n", g->conn_node);
	fprintf(fp, "kairan_connections{role=\"relay\"} %lld\n",
	    g->conn_relay);
	fprintf(fp, "kairan_connections{role=\"pending\"} %lld\n",
	    g->conn_pending);
	for (m = 0; m < METRIC_N; m++) {
		c = &counters[m];
		head(fp, names[m].name, "counter", names[m].help);
		for (i = 0; i < c->n; i++) {
			fprintf(fp, "%s{%s=\"", names[m].name, names[m].label);
			metrics_label(fp, c->label[i]);
			fprintf(fp, "\"} %llu\n", c->value[i]);
		}
		if (c->other > 0)
			fprintf(fp, "%s{%s=\"other\"} %llu\n", names[m].name,
			    names[m].label, c->other);
	}
	head(fp, "kairan_deliveries_pending", "gauge", "Deliveries not yet "
	    "answered (to nodes and forwards to peer relays).");
	fprintf(fp, "kairan_deliveries_pending %lld\n", g->pending);
	head(fp, "kairan_delivery_oldest_pending_seconds", "gauge", "Age of "
	    "the oldest pending delivery's message (0 if none).");
	fprintf(fp, "kairan_delivery_oldest_pending_seconds %.3f\n",
	    g->oldest_pending_s);
	head(fp, "kairan_overdue_recipients", "gauge", "Recipients this "
	    "relay serves that are past a report's acknowledgement deadline "
	    "and have not acknowledged it (escalation).");
	fprintf(fp, "kairan_overdue_recipients %lld\n", g->overdue);
	histogram(fp, "kairan_commit_batch_size", "Envelopes per grouped "
	    "commit.", &batch_h, batch_le, NBATCH);
	histogram(fp, "kairan_fsync_seconds", "Seconds a grouped commit's "
	    "COMMIT took (synchronous=FULL: the fsync).", &fsync_h, fsync_le,
	    NFSYNC);
	head(fp, "kairan_link_up", "gauge", "1 if the link to the peer relay "
	    "is up (Hello exchanged), else 0.");
	for (i = 0; i < g->nlinks; i++) {
		fputs("kairan_link_up{link=\"", fp);
		metrics_label(fp, g->links[i].name);
		fprintf(fp, "\"} %d\n", g->links[i].up ? 1 : 0);
	}
	head(fp, "kairan_link_queue", "gauge", "Forwards pending to the peer "
	    "relay.");
	for (i = 0; i < g->nlinks; i++) {
		fputs("kairan_link_queue{link=\"", fp);
		metrics_label(fp, g->links[i].name);
		fprintf(fp, "\"} %lld\n", g->links[i].queue);
	}
	return ferror(fp) ? -1 : 0;
}
