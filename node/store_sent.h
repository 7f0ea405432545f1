/*
 * store_sent: the sender's list (`sent`): our reports and advisories,
 * each with its recipients counted by state.
 */
#ifndef KAIRAN_NODE_STORE_SENT_H
#define KAIRAN_NODE_STORE_SENT_H

#include <stddef.h>

#include "store_msg.h"

struct store;

struct store_sent {
	struct store_msg msg;		/* a report or advisory of ours */
	long		 total;
	long		 delivered;	/* delivered or acknowledged (or done) */
	long		 acknowledged;	/* acknowledged or done */
	long		 rejected;	/* rejected and not delivered */
	long		 overdue;	/* past the deadline, not acknowledged */
	long		 done;		/* 対応済 (advisories) */
	long		 mailed;	/* mailed, not delivered or acknowledged */
	long		 unconfirmed;	/* of those, no phone confirmation */
	long		 imail;		/* internal mails (mailout.h) */
	long		 imail_sent, imail_failed;
};

/*
 * Our reports, incidents with the latest activity first, each incident's
 * reports newest first. Count or -1; free with store_sent_free.
 */
long	store_sent_list(struct store *, struct store_sent **out, char *err,
	    size_t errlen);
/* Our advisories, newest first, counted the same way (done: 対応済). */
long	store_sent_advisories(struct store *, struct store_sent **out,
	    char *err, size_t errlen);
void	store_sent_free(struct store_sent *, size_t n);

#endif
