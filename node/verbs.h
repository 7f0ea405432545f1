/*
 * verbs: kairan-node's verbs, by name (verbs.c).
 */
#ifndef KAIRAN_NODE_VERBS_H
#define KAIRAN_NODE_VERBS_H

#include <stdio.h>

/* 1 if verb is one of ours. */
int	verbs_is_verb(const char *verb);
/*
 * Runs verb with argv[0] == verb. conffile is read only after the verb's
 * arguments are parsed (so `VERB --help` works without a configuration).
 * Returns the exit code (CLI_OK, ... of cli.h).
 */
int	verbs_run(const char *conffile, int verbose, int argc, char **argv);
/* The list of verbs, for the main usage text. */
void	verbs_usage(FILE *);

#endif
