/*
 * inbox: the verbs of what came in (inbox, ack, done).
 */
#ifndef KAIRAN_NODE_INBOX_H
#define KAIRAN_NODE_INBOX_H

#include "cli.h"

int	inbox_verb_inbox(struct cli *, int argc, char **argv);
int	inbox_verb_ack(struct cli *, int argc, char **argv);
int	inbox_verb_done(struct cli *, int argc, char **argv);

#endif
