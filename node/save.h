/*
 * save: show --save, the attachments of reports into a folder.
 */
#ifndef KAIRAN_NODE_SAVE_H
#define KAIRAN_NODE_SAVE_H

#include "cli.h"

/*
 * show --save DIR: the attachments of the n messages v/m into the
 * existing folder dir. Every attachment is checked first (its SHA-256
 * against the report's, its name by save_name_problem); if one fails,
 * nothing is written and the error names it. CLI_OK or CLI_ERROR.
 */
int	save_attachments(struct cli *, const char *dir, Message **m, long n);

#endif
