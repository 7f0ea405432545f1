/*
 * kairan-relay: the prefecture relay daemon.
 *
 *   kairan-relay [-v] -f relay.conf            run in the foreground
 *   kairan-relay -f relay.conf -n              check the configuration
 *   kairan-relay -f relay.conf audit verify    check the audit chain
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kairan/kairan.h"
#include "kairan/log.h"

#include "config.h"
#include "server.h"
#include "store.h"

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: kairan-relay [-nv] -f relay.conf\n"
	    "       kairan-relay -f relay.conf audit verify\n"
	    "       kairan-relay --help\n"
	    "  -f FILE  configuration (INI, see deploy/relay.conf.example)\n"
	    "  -n       check the configuration, certificates, directory and\n"
	    "           database, print \"configuration OK\" and exit\n"
	    "  -v       log debug lines too\n"
	    "  audit verify  check the hash chain of the audit log; names the\n"
	    "           first broken row (exit 1)\n");
}

static int
audit_verify(const struct config *cfg)
{
	struct store *s;
	char err[512];
	int64_t bad;
	long long rows;
	int rc;

	if (access(cfg->db, R_OK) == -1) {
		fprintf(stderr, "kairan-relay: %s: no database\n", cfg->db);
		return 1;
	}
	if ((s = store_open(cfg->db, err, sizeof(err))) == NULL) {
		fprintf(stderr, "kairan-relay: %s\n", err);
		return 1;
	}
	rc = store_audit_verify(s, &bad, &rows, err, sizeof(err));
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
	int ch, check = 0, verbose = 0, rc;

	log_init("kairan-relay", 0);
	while ((ch = getopt_long(argc, argv, "f:hnv", opts, NULL)) != -1) {
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
	if (argc != 0 && !(argc == 2 && strcmp(argv[0], "audit") == 0 &&
	    strcmp(argv[1], "verify") == 0)) {
		usage(stderr);
		return 2;
	}
	if ((cfg = config_load(file, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	log_setverbose(verbose > 0 ? verbose : cfg->log_level);
	if (argc == 2)
		rc = audit_verify(cfg);
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
