/*
 * kairan-relay: the prefecture relay daemon.
 *
 *   kairan-relay [-v] -f relay.conf            run in the foreground
 *   kairan-relay -f relay.conf -n              check the configuration
 *   kairan-relay -f relay.conf audit verify [--checkpoint FILE]
 *                                              check the audit chain
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kairan/kairan.h"
#include "kairan/log.h"

#include "kairan/jst.h"

#include "checkpoint.h"
#include "config.h"
#include "server.h"
#include "store.h"

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: kairan-relay [-nv] -f relay.conf\n"
	    "       kairan-relay -f relay.conf audit verify [--checkpoint "
	    "FILE]\n"
	    "       kairan-relay --help\n"
	    "  -f FILE  configuration (INI, see deploy/relay.conf.example)\n"
	    "  -n       check the configuration, certificates, directory and\n"
	    "           database, print \"configuration OK\" and exit\n"
	    "  -v       log debug lines too\n"
	    "  audit verify  check the hash chain of the audit log; names the\n"
	    "           first broken row (exit 1). With --checkpoint FILE (the\n"
	    "           relay's journal, e.g. journalctl -u kairan-relay), also\n"
	    "           that no row was cut off its end since the last signed\n"
	    "           checkpoint in FILE (exit 1)\n");
}

/*
 * The database against a signed checkpoint: at least as many rows, and
 * the row the checkpoint ended on has the hash it signed. 0 OK, 1 not.
 */
static int
against_checkpoint(struct store *s, const struct config *cfg,
    const char *file, long long rows)
{
	struct checkpoint c;
	uint8_t hash[AUDIT_HASH_LEN];
	char err[512], t[JST_BUFLEN];
	int n;

	if (checkpoint_read(file, cfg->cert, &c, err, sizeof(err)) == -1) {
		fprintf(stderr, "kairan-relay: %s\n", err);
		return 1;
	}
	if (strcmp(c.relay, cfg->id) != 0) {
		fprintf(stderr, "kairan-relay: the checkpoint is of %s, not of "
		    "%s\n", c.relay, cfg->id);
		return 1;
	}
	jst_rfc3339(c.at_ms, t);
	if (rows < c.rows) {
		printf("audit TRUNCATED: the checkpoint of %s counts %lld rows, "
		    "the database has %lld (rows cut off its end)\n", t,
		    (long long)c.rows, rows);
		return 1;
	}
	if (c.rows > 0 && ((n = store_audit_row_hash(s, c.rows, hash, err,
	    sizeof(err))) != 1 || memcmp(hash, c.head, AUDIT_HASH_LEN) != 0)) {
		printf("audit BROKEN: row %lld is not the one the checkpoint of "
		    "%s signed\n", (long long)c.rows, t);
		return 1;
	}
	printf("audit OK against the checkpoint of %s (%lld rows then, %lld "
	    "now)\n", t, (long long)c.rows, rows);
	return 0;
}

static int
audit_verify(const struct config *cfg, const char *checkpoint)
{
	struct store *s;
	char err[512];
	int64_t bad;
	long long rows;
	int rc;

	if ((s = store_open_readonly(cfg->db, err, sizeof(err))) == NULL) {
		fprintf(stderr, "kairan-relay: %s\n", err);
		return 1;
	}
	rc = store_audit_verify(s, &bad, &rows, err, sizeof(err));
	if (rc == 0 && checkpoint != NULL) {
		printf("audit chain intact: %lld rows\n", rows);
		rc = against_checkpoint(s, cfg, checkpoint, rows);
		store_close(s);
		return rc;
	}
	store_close(s);
	switch (rc) {
	case 0:
		printf("audit OK: %lld rows, chain intact\n", rows);
		return 0;
	case 1:
		printf("audit BROKEN at row %lld: its hash does not follow "
		    "from the rows before it (altered, removed or inserted)\n",
		    (long long)bad);
		return 1;
	default:
		fprintf(stderr, "kairan-relay: audit: %s\n", err);
		return 1;
	}
}

int
main(int argc, char *argv[])
{
	struct config *cfg;
	const char *file = NULL;
	char err[1024];
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *checkpoint = NULL;
	int ch, check = 0, verbose = 0, audit = 0, rc;

	log_init("kairan-relay", 0);
	while ((ch = getopt_long(argc, argv, "+f:hnv", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			file = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (file == NULL) {
		usage(stderr);
		return 2;
	}
	if (argc >= 2 && strcmp(argv[0], "audit") == 0 &&
	    strcmp(argv[1], "verify") == 0) {
		audit = 1;
		if (argc == 4 && strcmp(argv[2], "--checkpoint") == 0)
			checkpoint = argv[3];
		else if (argc != 2) {
			usage(stderr);
			return 2;
		}
	} else if (argc != 0) {
		usage(stderr);
		return 2;
	}
	if ((cfg = config_load(file, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	log_setverbose(verbose > 0 ? verbose : cfg->log_level);
	if (audit)
		rc = audit_verify(cfg, checkpoint);
	else if (check) {
		if (server_check(cfg, err, sizeof(err)) == -1) {
			fprintf(stderr, "%s: %s\n", file, err);
			rc = 1;
		} else {
			printf("configuration OK\n");
			rc = 0;
		}
	} else
		rc = server_run(cfg);
	config_free(cfg);
	return rc;
}
