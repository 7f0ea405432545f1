/*
 * cli: the verbs of `kairan-node -f node.conf VERB ...` that people use:
 * send, update, close, final, withdraw, advise, sent, inbox, show, ack,
 * done, status, confirm, verify, template. Each has --help. Writing verbs
 * commit to the store before they return and then poke the daemon (if
 * one runs); none of them needs the daemon.
 *
 * cli.c holds the dispatch (the table of verbs) and what every verb uses
 * (the second half of this header): the option parser, the ids, opening
 * the configuration, store and directory, the error line. The verbs
 * themselves live by topic: sending.c (send, update, close, final,
 * withdraw), advise.c, template.c, inbox.c (inbox, ack, done), show.c
 * (show; save.c for --save), sent.c (sent, status, confirm), verify.c.
 *
 * Exit codes: 0 ok, 1 error (bad report, unknown entity, unknown id,
 * an ambiguous id prefix, a step the incident's phase does not allow,
 * store failure: nothing written), 2 usage, 3 `status --wait` timed out,
 * 4 `status --wait` ended with every recipient answered but some
 * rejected. A writing verb with no daemon running still exits 0: what it
 * wrote waits in the outbox (it says so on stderr).
 */
#ifndef KAIRAN_NODE_CLI_H
#define KAIRAN_NODE_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kairan/kairan.h"
#include "kairan/message.h"

#define CLI_OK		0
#define CLI_ERROR	1
#define CLI_USAGE	2
#define CLI_TIMEOUT	3
#define CLI_REJECTED	4

/* ---- for the verbs' modules ---- */

struct config;
struct directory;
struct signer;
struct store;
struct store_msg;

/*
 * One run of one verb: what cli_open loaded (each NULL until then; verbs_run
 * frees them with cli_close after the verb returned, whatever it loaded).
 */
struct cli {
	const char		*conffile;
	const char		*verb;
	struct config		*cfg;
	struct store		*store;
	struct signer		*signer;
	struct directory	*dir;
};

/*
 * A verb's function: argv[0] is the verb. Returns the exit code (CLI_*).
 */
typedef int	cli_verb_fn(struct cli *, int argc, char **argv);

/*
 * One option of a verb: --name (and -shortopt if not 0). A required_argument
 * option stores its argument in *arg; a flag sets *flag to 1. required: the
 * verb cannot run without it (an empty argument counts as missing).
 */
struct cli_opt {
	const char	 *name;
	int		  shortopt;
	const char	**arg;
	int		 *flag;
	int		  required;
};

/* "kairan-node: VERB: " and the message, one line on stderr. */
void	cli_err(const struct cli *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/*
 * Loads what a verb needs: the configuration, the store, the directory,
 * and the signer if need_signer (its certificate must be for our id).
 * 0, or -1 (said on stderr; what was loaded is freed by cli_close).
 */
int	cli_open(struct cli *, int need_signer);
/* Frees what cli_open loaded and clears it; on a zeroed cli, nothing. */
void	cli_close(struct cli *);
/*
 * The option parsing of every verb (argv[0] is the verb): the options of
 * the table opts (ended by a NULL name) plus --help/-h, then exactly npos
 * positional arguments (posname names them in the error, "one INCIDENT is
 * required"). Returns 1 if the verb goes on (argv[optind] is its first
 * positional argument), or 0 with *rc set: CLI_OK after --help (usage on
 * stdout), CLI_USAGE after an error (message and usage on stderr).
 */
int	cli_args(struct cli *, int argc, char **argv,
	    const struct cli_opt *opts, int npos, const char *posname,
	    void (*usage)(FILE *), int *rc);
/*
 * Whether s can name an id: 32 hex digits, or a prefix of at least 6 of
 * them. Checked before the configuration is read, like every usage error.
 * 0, or -1 (said on stderr with the verb's usage; the exit code is
 * CLI_USAGE).
 */
int	cli_id_syntax(const struct cli *, const char *s, void (*usage)(FILE *));
/*
 * The id an argument names (cli_id_syntax passed, cli_open done): 32 hex
 * digits as they are, or the one id of the kinds in `what` (STORE_ID_*)
 * in the store that starts with the prefix. Returns 0 with id, or
 * CLI_ERROR: no such id, or an ambiguous prefix (the candidates are
 * listed on stderr, each with what it is).
 */
int	cli_resolve_id(const struct cli *, const char *s, unsigned what,
	    uint8_t id[KAIRAN_ID_LEN]);
/*
 * After a writing verb committed: pokes the daemon, or says on stderr
 * that there is none to send what was just queued (exit stays 0: the
 * outbox keeps it, and it goes out when the daemon starts).
 */
void	cli_queued(const struct cli *);
/* The directory's name of id, or "" (no directory, unknown id, no name). */
const char *cli_entity_name(const struct directory *, const char *id);
/*
 * The Message inside a stored Envelope, for showing it (inbox, show,
 * sent): only unpacked, with the lengths the display relies on checked
 * (ids, the body) and no string cut short by a NUL, not validated field
 * by field as message_decode does. The envelope was verified when it was
 * stored; rules that came later (no control characters, PROTOCOL.md) must
 * not make an old row unreadable, so what such a row holds is shown
 * escaped instead (text.h). Free with message_free; NULL with err.
 */
Message	*cli_shown_message(const struct store_msg *, char *err, size_t errlen);

#endif
