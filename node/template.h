/*
 * template: the verb that prints an empty report or advisory to fill in.
 */
#ifndef KAIRAN_NODE_TEMPLATE_H
#define KAIRAN_NODE_TEMPLATE_H

#include "cli.h"

int	template_verb_template(struct cli *, int argc, char **argv);

#endif
