/*
 * table: rows of text cells printed as aligned columns, by display width
 * (see table.h); text.h measures, escapes and pads.
 */
#include <string.h>

#include "kairan/log.h"
#include "kairan/text.h"

#include "table.h"

void
table_init(struct table *t, size_t ncols)
{
	if (ncols == 0 || ncols > TABLE_MAXCOLS)
		fatalx("%s: %zu columns", __func__, ncols);
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
}

void
table_measure(struct table *t, const char *const *cells)
{
	size_t k, w;

	for (k = 0; k < t->ncols; k++)
		if ((w = text_width(cells[k])) > t->width[k])
			t->width[k] = w;
}

int
table_row(FILE *fp, const struct table *t, const char *const *cells)
{
	size_t k;

	for (k = 0; k + 1 < t->ncols; k++)
		if (text_fpad(fp, cells[k], t->width[k]) == -1 ||
		    fputs("  ", fp) == EOF)
			return -1;
	if (text_fputs(cells[k], 0, fp) == -1 || fputc('\n', fp) == EOF)
		return -1;
	return 0;
}
