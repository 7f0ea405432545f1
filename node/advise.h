/*
 * advise: the verb that writes an advisory of ours (注意喚起・情報提供・要請).
 */
#ifndef KAIRAN_NODE_ADVISE_H
#define KAIRAN_NODE_ADVISE_H

#include "cli.h"

int	advise_verb_advise(struct cli *, int argc, char **argv);

#endif
