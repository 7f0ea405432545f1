/*
 * cli: the verbs of `kairan-node -f node.conf VERB ...` that people use:
 * send, update, close, final, withdraw, inbox, show, ack, status, sent,
 * template. Each has --help. Writing verbs commit to the store before
 * they return and then poke the daemon (if one runs); none of them needs
 * the daemon.
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

#include <stdio.h>

#define CLI_OK		0
#define CLI_ERROR	1
#define CLI_USAGE	2
#define CLI_TIMEOUT	3
#define CLI_REJECTED	4

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
