/*
 * sending: the verbs that write the reports of incidents of ours (send,
 * update, close, final, withdraw; their --help says what each does).
 */
#ifndef KAIRAN_NODE_SENDING_H
#define KAIRAN_NODE_SENDING_H

#include "cli.h"

int	sending_verb_send(struct cli *, int argc, char **argv);
int	sending_verb_update(struct cli *, int argc, char **argv);
int	sending_verb_close(struct cli *, int argc, char **argv);
int	sending_verb_final(struct cli *, int argc, char **argv);
int	sending_verb_withdraw(struct cli *, int argc, char **argv);
/*
 * Merges the lists a and b into *out (malloc'd, free with
 * store_strings_free): each id once, sorted (like directory_expand's),
 * without self. 0, or -1 out of memory.
 */
int	sending_merge_recipients(char **a, size_t na, char **b, size_t nb,
	    const char *self, char ***out, size_t *nout);

#endif
