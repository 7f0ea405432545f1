/*
 * table: rows of text cells printed as aligned columns (the inbox's two
 * tables). Columns are separated by two spaces; every column but the last
 * is padded to its widest cell by display width (a kanji takes two
 * columns, text.h); every cell is escaped on one line, so that no cell
 * can move the cursor or fake a line. The last column is not padded (no
 * trailing spaces).
 *
 *	struct table t;
 *	table_init(&t, 3);
 *	for each row: table_measure(&t, cells);	(cells: 3 strings)
 *	for each row: table_row(stdout, &t, cells);
 */
#ifndef KAIRAN_NODE_TABLE_H
#define KAIRAN_NODE_TABLE_H

#include <stddef.h>
#include <stdio.h>

#define TABLE_MAXCOLS	12

struct table {
	size_t	ncols;
	size_t	width[TABLE_MAXCOLS];	/* display columns, escaped */
};

/* A table of ncols columns (1..TABLE_MAXCOLS), every width 0. */
void	table_init(struct table *, size_t ncols);
/* Widens the columns of t to fit cells (t->ncols strings, none NULL). */
void	table_measure(struct table *, const char *const *cells);
/*
 * Writes one row (t->ncols strings, none NULL) and a newline to fp, every
 * column but the last padded to the width table_measure found. 0, or -1
 * on a write error.
 */
int	table_row(FILE *, const struct table *, const char *const *cells);

#endif
