/*
 * cli: the verbs of `kairan-node -f node.conf VERB ...` that people use:
 * send, update, close, inbox, show, ack, status, template. Each has
 * --help. Writing verbs commit to the store before they return and then
 * poke the daemon (if one runs); none of them needs the daemon.
 *
 * Exit codes: 0 ok, 1 error (bad report, unknown entity, unknown id,
 * store failure: nothing written), 2 usage, 3 `status --wait` timed out.
 */
#ifndef KAIRAN_NODE_CLI_H
#define KAIRAN_NODE_CLI_H

#include <stdio.h>

#define CLI_OK		0
#define CLI_ERROR	1
#define CLI_USAGE	2
#define CLI_TIMEOUT	3

/* 1 if verb is one of ours. */
int	cli_is_verb(const char *verb);
/*
 * Runs verb with argv[0] == verb. conffile is read only after the verb's
 * arguments are parsed (so `VERB --help` works without a configuration).
 * Returns the exit code.
 */
int	cli_run(const char *conffile, int verbose, int argc, char **argv);
/* The list of verbs, for the main usage text. */
void	cli_usage_verbs(FILE *);

#endif
