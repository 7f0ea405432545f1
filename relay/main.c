/*
 * kairan-relay: the prefecture relay daemon.
 *
 *   kairan-relay [-v] -f relay.conf            run in the foreground
 *   kairan-relay -f relay.conf -n              check the configuration
 *   kairan-relay -f relay.conf audit verify [--checkpoint FILE]
 *                                              check the audit chain
 *   kairan-relay -f relay.conf operator add|del|token NAME, operator list
 *                                              the console's operators
 */
#include <sys/types.h>

#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <termios.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kairan/kairan.h"
#include "kairan/log.h"

#include "kairan/jst.h"

#include "checkpoint.h"
#include "config.h"
#include "auth.h"
#include "operator.h"
#include "server.h"
#include "store.h"

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: kairan-relay [-nv] -f relay.conf\n"
	    "       kairan-relay -f relay.conf audit verify [--checkpoint "
	    "FILE]\n"
	    "       kairan-relay -f relay.conf operator add|del|token NAME\n"
	    "       kairan-relay -f relay.conf operator list\n"
	    "       kairan-relay --help\n"
	    "  -f FILE  configuration (INI, see deploy/relay.conf.example)\n"
	    "  -n       check the configuration, certificates, directory and\n"
	    "           database, print \"configuration OK\" and exit\n"
	    "  -v       log debug lines too\n"
	    "  audit verify  check the hash chain of the audit log; names the\n"
	    "           first broken row (exit 1). With --checkpoint FILE (the\n"
	    "           relay's journal, e.g. journalctl -u kairan-relay), also\n"
	    "           that no row was cut off its end since the last signed\n"
	    "           checkpoint in FILE (exit 1)\n"
	    "  operator add NAME  a console operator; the password is read\n"
	    "           from the terminal (asked twice, not echoed) or, when\n"
	    "           stdin is not a terminal, from its first line; never\n"
	    "           from the command line\n"
	    "  operator del NAME  removes the operator and its sessions\n"
	    "  operator list      the operators and when each was added\n"
	    "  operator token NAME\n"
	    "           a new bearer token for the console's API (printed\n"
	    "           once, on stdout; it replaces the operator's old one)\n");
}

/* Who runs the command, for the audit row: "uid N (name)". */
static void
invoker(char *buf, size_t len)
{
	struct passwd *pw = getpwuid(getuid());
	const char *sudo = getenv("SUDO_USER");

	snprintf(buf, len, "uid %u (%s)%s%s", (unsigned)getuid(),
	    pw != NULL ? pw->pw_name : "?", sudo != NULL ? " via sudo from " :
	    "", sudo != NULL ? sudo : "");
}

/*
 * One line from fp into buf, without its newline (and CR). 0, or -1 if
 * there is none or it is longer than the buffer.
 */
static int
read_line(FILE *fp, char *buf, size_t len)
{
	size_t n;

	if (fgets(buf, (int)len, fp) == NULL)
		return -1;
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	else if (!feof(fp))
		return -1;	/* longer than the buffer */
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = '\0';
	return 0;
}

/* The password, from the terminal without echo (twice) or from stdin. */
static int
read_password(char *pw, size_t len)
{
	struct termios old, quiet;
	char again[OPERATOR_PASSWORD_MAX + 2];
	int rc = -1;

	if (!isatty(STDIN_FILENO)) {
		if (read_line(stdin, pw, len) == -1) {
			fprintf(stderr, "kairan-relay: operator add: no password "
			    "on stdin (one line, at most %d bytes)\n",
			    OPERATOR_PASSWORD_MAX);
			return -1;
		}
		return 0;
	}
	if (tcgetattr(STDIN_FILENO, &old) == -1) {
		fprintf(stderr, "kairan-relay: terminal: %s\n", strerror(errno));
		return -1;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ECHONL;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == -1) {
		fprintf(stderr, "kairan-relay: terminal: %s\n", strerror(errno));
		return -1;
	}
	fprintf(stderr, "password: ");
	if (read_line(stdin, pw, len) == -1)
		fprintf(stderr, "kairan-relay: no password read\n");
	else {
		fprintf(stderr, "again: ");
		if (read_line(stdin, again, sizeof(again)) == -1 ||
		    strcmp(again, pw) != 0)
			fprintf(stderr, "kairan-relay: the passwords differ; "
			    "nothing changed\n");
		else
			rc = 0;
	}
	explicit_bzero(again, sizeof(again));
	(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	return rc;
}

static void
list_one(void *arg, const char *name, int64_t created_ms)
{
	char t[JST_BUFLEN];

	(void)arg;
	jst_rfc3339(created_ms, t);
	printf("%-*s  added %s\n", OPERATOR_NAME_MAX, name, t);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * operator add|del|token NAME, operator list: argv after "operator". Exit
 * status: 0 done, 1 refused or failed (said why), 2 usage.
 */
static int
operator_cmd(const struct config *cfg, int argc, char *argv[])
{
	char err[512], by[256], pw[OPERATOR_PASSWORD_MAX + 2];
	char hash[OPERATOR_HASH_MAX], token[AUTH_TOKEN_HEX + 1];
	struct store *s = NULL;
	int rc = 1, n;

	if (argc == 0) {
		usage(stderr);
		return 2;
	}
	if (argc == 1 && strcmp(argv[0], "list") == 0)
		;
	else if (argc >= 2 && strcmp(argv[0], "add") == 0 && argc > 2) {
		fprintf(stderr, "kairan-relay: operator add: a password is "
		    "never taken from the command line (other users see it in "
		    "ps and shell histories keep it): give only the NAME, and "
		    "type the password when asked or pipe it on stdin\n");
		return 2;
	} else if (argc != 2 || (strcmp(argv[0], "add") != 0 &&
	    strcmp(argv[0], "del") != 0 && strcmp(argv[0], "token") != 0)) {
		usage(stderr);
		return 2;
	}
	if (argc == 2 && !operator_name_valid(argv[1], err, sizeof(err))) {
		fprintf(stderr, "kairan-relay: %s: %s\n", err,
		    log_str(argv[1]));
		return 1;
	}
	if ((s = store_open(cfg->db, err, sizeof(err))) == NULL) {
		fprintf(stderr, "kairan-relay: %s\n", err);
		return 1;
	}
	invoker(by, sizeof(by));
	if (strcmp(argv[0], "list") == 0) {
		if ((n = store_operator_list(s, list_one, NULL, err,
		    sizeof(err))) == -1)
			fprintf(stderr, "kairan-relay: %s\n", err);
		else {
			if (n == 0)
				printf("no operators (add one with: kairan-relay "
				    "-f %s operator add NAME)\n", cfg->file);
			rc = 0;
		}
	} else if (strcmp(argv[0], "token") == 0) {
		switch (auth_token_issue(s, argv[1], by, token, err,
		    sizeof(err))) {
		case 0:
			/* the token alone on stdout, for a script to keep */
			printf("%s\n", token);
			fprintf(stderr, "kairan-relay: bearer token of operator "
			    "%s (shown once; it replaces the previous one; keep "
			    "it like a password; send it as \"Authorization: "
			    "Bearer TOKEN\")\n", argv[1]);
			log_info("operator token issued name=%s by=%s",
			    log_str(argv[1]), log_str(by));
			explicit_bzero(token, sizeof(token));
			rc = 0;
			break;
		case 1:
			fprintf(stderr, "kairan-relay: operator token: no "
			    "operator %s\n", argv[1]);
			break;
		default:
			fprintf(stderr, "kairan-relay: %s\n", err);
		}
	} else if (strcmp(argv[0], "del") == 0) {
		switch (store_operator_del(s, argv[1], by, now_ms(), err,
		    sizeof(err))) {
		case 0:
			printf("operator %s deleted\n", argv[1]);
			log_info("operator deleted name=%s by=%s",
			    log_str(argv[1]), log_str(by));
			rc = 0;
			break;
		case 1:
			fprintf(stderr, "kairan-relay: operator del: no operator "
			    "%s\n", argv[1]);
			break;
		default:
			fprintf(stderr, "kairan-relay: %s\n", err);
		}
	} else {
		if (store_operator_hash(s, argv[1], hash, sizeof(hash), err,
		    sizeof(err)) == 1) {
			fprintf(stderr, "kairan-relay: operator add: %s exists "
			    "already (del it first to change its password)\n",
			    argv[1]);
			goto done;
		}
		if (read_password(pw, sizeof(pw)) == -1)
			goto done;
		if (!operator_password_valid(pw, err, sizeof(err))) {
			fprintf(stderr, "kairan-relay: operator add: %s; "
			    "nothing changed\n", err);
			goto done;
		}
		if (operator_hash(pw, hash, err, sizeof(err)) == -1) {
			fprintf(stderr, "kairan-relay: %s\n", err);
			goto done;
		}
		switch (store_operator_add(s, argv[1], hash, by, now_ms(), err,
		    sizeof(err))) {
		case 0:
			printf("operator %s added\n", argv[1]);
			log_info("operator added name=%s by=%s",
			    log_str(argv[1]), log_str(by));
			rc = 0;
			break;
		case 1:
			fprintf(stderr, "kairan-relay: operator add: %s exists "
			    "already\n", argv[1]);
			break;
		default:
			fprintf(stderr, "kairan-relay: %s\n", err);
		}
	}
done:
	explicit_bzero(pw, sizeof(pw));
	store_close(s);
	return rc;
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
	int ch, check = 0, verbose = 0, audit = 0, oper = 0, rc;

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
	} else if (argc >= 1 && strcmp(argv[0], "operator") == 0)
		oper = 1;
	else if (argc != 0) {
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
	else if (oper)
		rc = operator_cmd(cfg, argc - 1, argv + 1);
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
