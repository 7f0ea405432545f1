/*
 * kairan-node: the municipal node. `kairan-node [-v] [-f node.conf] run`
 * is the daemon; `-n` checks the configuration; the other verbs are the
 * command line people use (cli.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kairan/kairan.h"
#include "kairan/directory.h"
#include "kairan/envelope.h"
#include "kairan/log.h"
#include "kairan/trust.h"

#include "cli.h"
#include "verbs.h"
#include "config.h"
#include "daemon.h"

#define DEFAULT_CONF	"/etc/kairan/node.conf"

/*
 * What `-n` adds to config_load: loads the signer (cert + key, whose CN
 * must equal id), the trust (ca, crl) and the directory (which must know
 * id, and expand every [policy] rule's notify list for it). Returns 0 or -1 with err "file:line: key: what is wrong".
 */
static int
check_files(const struct config *cfg, char *err, size_t errlen)
{
	struct signer *s = NULL;
	struct trust *t = NULL;
	struct directory *d = NULL;
	char e[512];
	int rc = -1;

	if ((s = signer_new(cfg->cert, cfg->key, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "%s:%d: cert/key: %s", cfg->file,
		    cfg->line[CK_CERT], e);
		goto fail;
	}
	if (strcmp(signer_entity(s), cfg->id) != 0) {
		snprintf(err, errlen, "%s:%d: cert: certificate is for \"%s\", "
		    "not for id \"%s\"", cfg->file, cfg->line[CK_CERT],
		    signer_entity(s), cfg->id);
		goto fail;
	}
	if ((t = trust_new(cfg->ca, cfg->crl, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "%s:%d: %s: %s", cfg->file,
		    cfg->crl != NULL ? cfg->line[CK_CRL] : cfg->line[CK_CA],
		    cfg->crl != NULL ? "ca/crl" : "ca", e);
		goto fail;
	}
	if ((d = directory_load(cfg->directory, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "%s:%d: directory: %s", cfg->file,
		    cfg->line[CK_DIRECTORY], e);
		goto fail;
	}
	if (directory_get(d, cfg->id) == NULL) {
		snprintf(err, errlen, "%s:%d: id: \"%s\" is not in the "
		    "directory %s", cfg->file, cfg->line[CK_ID], cfg->id,
		    cfg->directory);
		goto fail;
	}
	if (config_check_policy(cfg, d, err, errlen) == -1)
		goto fail;
	rc = 0;
fail:
	signer_free(s);
	trust_free(t);
	directory_free(d);
	return rc;
}

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: kairan-node [-v] [-f node.conf] run\n"
	    "       kairan-node [-f node.conf] -n\n"
	    "       kairan-node [-f node.conf] VERB [--help] ...\n"
	    "       kairan-node --help | --version\n"
	    "  -f FILE  configuration (default %s)\n"
	    "  -n       check the configuration, certificates and directory\n"
	    "  -v       verbose (debug) logging\n"
	    "verbs:\n"
	    "  run      the daemon: hold every route, send the outbox, "
	    "receive\n", DEFAULT_CONF);
	verbs_usage(fp);
	fprintf(fp, "exit codes: 0 ok, 1 error (run: another daemon holds "
	    "the database), 2 usage,\n"
	    "  3 status --wait timed out, 4 status --wait ended with a "
	    "recipient rejected\n");
}

int
main(int argc, char *argv[])
{
	struct config *cfg;
	const char *conffile = DEFAULT_CONF;
	char err[1024];
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int ch, check = 0, verbose = 0, rc;

	log_init("kairan-node", 0);
	while ((ch = getopt_long(argc, argv, "+f:nvhV", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			conffile = optarg;
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
		case 'V':
			printf("kairan-node %s\n", KAIRAN_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;

	if (check) {
		if (argc != 0) {
			usage(stderr);
			return 2;
		}
		if ((cfg = config_load(conffile, err, sizeof(err))) == NULL ||
		    check_files(cfg, err, sizeof(err)) == -1) {
			fprintf(stderr, "%s\n", err);
			config_free(cfg);
			return 1;
		}
		config_free(cfg);
		printf("configuration OK\n");
		return 0;
	}
	if (argc == 0) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[0], "run") == 0) {
		if (argc != 1) {
			usage(stderr);
			return 2;
		}
		if ((cfg = config_load(conffile, err, sizeof(err))) == NULL) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		log_init("kairan-node", verbose > 0 ? 1 : cfg->log_level);
		rc = daemon_run(cfg);
		config_free(cfg);
		return rc;
	}
	if (!verbs_is_verb(argv[0])) {
		fprintf(stderr, "kairan-node: unknown verb \"%s\"\n", argv[0]);
		usage(stderr);
		return 2;
	}
	log_init("kairan-node", verbose > 0 ? 1 : -1);
	return verbs_run(conffile, verbose, argc, argv);
}
