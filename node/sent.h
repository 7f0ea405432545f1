/*
 * sent: the verbs of the sender's view (sent, status, confirm).
 */
#ifndef KAIRAN_NODE_SENT_H
#define KAIRAN_NODE_SENT_H

#include "cli.h"

int	sent_verb_sent(struct cli *, int argc, char **argv);
int	sent_verb_status(struct cli *, int argc, char **argv);
int	sent_verb_confirm(struct cli *, int argc, char **argv);

#endif
