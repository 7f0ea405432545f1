/*
 * Unit tests of the metrics text (metrics.c): the exposition format's
 * HELP/TYPE lines, counters by label, histograms cumulative with +Inf,
 * label values escaped, and the label table's overflow into "other".
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics.h"

static char *
render(const struct metrics_gauges *g)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	assert_non_null(fp);
	assert_int_equal(metrics_render(fp, g), 0);
	assert_int_equal(fclose(fp), 0);
	return text;
}

static void
has(const char *text, const char *line)
{
	if (strstr(text, line) == NULL)
		fail_msg("missing \"%s\" in:\n%s", line, text);
}

static void
test_counters_and_gauges(void **state)
{
	struct metrics_link links[] = { { "hub", 1, 3 }, { "kagoshima", 0, 0 } };
	struct metrics_gauges g = { 4, 1, 2, 7, 12.5, 3, links, 2 };
	char *t;

	(void)state;
	metrics_reset();
	metrics_inc(METRIC_ENVELOPES_ACCEPTED, "report");
	metrics_inc(METRIC_ENVELOPES_ACCEPTED, "report");
	metrics_inc(METRIC_ENVELOPES_ACCEPTED, "receipt");
	metrics_inc(METRIC_ENVELOPES_REFUSED, "BAD_SIGNATURE");
	metrics_inc(METRIC_HANDSHAKES_REFUSED, "certificate");
	t = render(&g);
	has(t, "# TYPE kairan_connections gauge\n");
	has(t, "kairan_connections{role=\"node\"} 4\n");
	has(t, "kairan_connections{role=\"relay\"} 1\n");
	has(t, "# TYPE kairan_envelopes_accepted_total counter\n");
	has(t, "kairan_envelopes_accepted_total{body=\"report\"} 2\n");
	has(t, "kairan_envelopes_accepted_total{body=\"receipt\"} 1\n");
	has(t, "kairan_envelopes_refused_total{reason=\"BAD_SIGNATURE\"} 1\n");
	has(t, "kairan_handshakes_refused_total{reason=\"certificate\"} 1\n");
	has(t, "kairan_deliveries_pending 7\n");
	has(t, "kairan_delivery_oldest_pending_seconds 12.500\n");
	has(t, "# TYPE kairan_overdue_recipients gauge\n");
	has(t, "kairan_overdue_recipients 3\n");
	has(t, "kairan_link_up{link=\"hub\"} 1\n");
	has(t, "kairan_link_up{link=\"kagoshima\"} 0\n");
	has(t, "kairan_link_queue{link=\"hub\"} 3\n");
	/* every line is a comment or "name{labels} value" */
	free(t);
}

static void
test_histograms(void **state)
{
	struct metrics_gauges g;
	char *t;

	(void)state;
	memset(&g, 0, sizeof(g));
	metrics_reset();
	metrics_commit(1, 0.0004);
	metrics_commit(3, 0.002);
	metrics_commit(1000, 2.0);
	metrics_commit(5000, 0.002);
	t = render(&g);
	has(t, "# TYPE kairan_commit_batch_size histogram\n");
	has(t, "kairan_commit_batch_size_bucket{le=\"1\"} 1\n");
	has(t, "kairan_commit_batch_size_bucket{le=\"2\"} 1\n");
	has(t, "kairan_commit_batch_size_bucket{le=\"5\"} 2\n");
	has(t, "kairan_commit_batch_size_bucket{le=\"1000\"} 3\n");
	has(t, "kairan_commit_batch_size_bucket{le=\"+Inf\"} 4\n");
	has(t, "kairan_commit_batch_size_sum 6004.000000\n");
	has(t, "kairan_commit_batch_size_count 4\n");
	has(t, "kairan_fsync_seconds_bucket{le=\"0.0005\"} 1\n");
	has(t, "kairan_fsync_seconds_bucket{le=\"0.0025\"} 3\n");
	has(t, "kairan_fsync_seconds_bucket{le=\"1\"} 3\n");
	has(t, "kairan_fsync_seconds_bucket{le=\"+Inf\"} 4\n");
	free(t);
}

static void
test_label_escaping(void **state)
{
	struct metrics_link links[] = { { "a\"b\\c\nd", 1, 0 } };
	struct metrics_gauges g;
	char *t;

	(void)state;
	memset(&g, 0, sizeof(g));
	g.links = links;
	g.nlinks = 1;
	metrics_reset();
	metrics_inc(METRIC_ENVELOPES_REFUSED, "x\"} 999\nkairan_fake 1");
	t = render(&g);
	has(t, "kairan_link_up{link=\"a\\\"b\\\\c\\nd\"} 1\n");
	has(t, "kairan_envelopes_refused_total{reason=\"x\\\"} 999\\n"
	    "kairan_fake 1\"} 1\n");
	assert_null(strstr(t, "\nkairan_fake 1\n"));
	free(t);
}

static void
test_label_overflow(void **state)
{
	struct metrics_gauges g;
	char label[16], *t;
	int i;

	(void)state;
	memset(&g, 0, sizeof(g));
	metrics_reset();
	for (i = 0; i < METRICS_LABELS_MAX + 5; i++) {
		snprintf(label, sizeof(label), "r%d", i);
		metrics_inc(METRIC_HANDSHAKES_REFUSED, label);
	}
	metrics_inc(METRIC_HANDSHAKES_REFUSED, NULL);
	t = render(&g);
	has(t, "kairan_handshakes_refused_total{reason=\"r0\"} 1\n");
	has(t, "kairan_handshakes_refused_total{reason=\"other\"} 6\n");
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counters_and_gauges),
		cmocka_unit_test(test_histograms),
		cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_label_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
