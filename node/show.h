/*
 * show: the verb that shows one message or incident, and what inbox shows
 * of the same messages.
 */
#ifndef KAIRAN_NODE_SHOW_H
#define KAIRAN_NODE_SHOW_H

#include <jansson.h>

#include "cli.h"

int	show_verb_show(struct cli *, int argc, char **argv);
/*
 * incident.h's banner ("*** 取消 (withdrawn) T: REASON ***") on stdout
 * before anything else is printed about a withdrawn incident (inbox, show,
 * show --form); nothing if sm is not a report of a withdrawn incident.
 */
void	show_withdrawal_banner(const struct cli *, const struct store_msg *sm);
/*
 * Stored message sm (m: cli_shown_message's) as JSON (node/README.md).
 * New reference.
 */
json_t	*show_msg_json(const struct cli *, const struct store_msg *sm,
	    const Message *m);

#endif
