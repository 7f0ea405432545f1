/*
 * verify: the verb that verifies a signed envelope in a file (.kairan).
 */
#ifndef KAIRAN_NODE_VERIFY_H
#define KAIRAN_NODE_VERIFY_H

#include "cli.h"

int	verify_verb_verify(struct cli *, int argc, char **argv);

#endif
