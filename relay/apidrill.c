/*
 * apidrill: 訓練の結果, JSON or CSV (see apidrill.h and relay/API.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kairan/message.h"

#include "apidrill.h"
#include "apiincident.h"
#include "apireply.h"
#include "relay.h"
#include "view.h"

#define CSV_TYPE	"text/csv; charset=utf-8"

/* The report the drill is measured from: the 第1報, else the first. */
static size_t
drill_base(const struct view_incident *in)
{
	size_t i;

	for (i = 0; i < in->nreports; i++)
		if (in->reports[i]->report_no == 1)
			return i;
	return 0;
}

static void
csv_field(FILE *fp, const char *s)
{
	/* a cell Excel would run as a formula is quoted as text */
	fputc('"', fp);
	if (strchr("=+-@", s[0]) != NULL && s[0] != '\0')
		fputc('\'', fp);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

/* GET /api/drill/ID and /api/drill/ID.csv */
int
apidrill_get(struct server *s, const struct api_call *c, struct api_reply *rp,
    const char *hex, size_t len, int csv)
{
	struct view_incident *in;
	struct view_cell **cells = NULL;
	const struct view_report *base;
	json_t *root = NULL, *rcpts = NULL;
	char err[512], *text = NULL, ihex[KAIRAN_ID_HEXLEN + 1];
	size_t i, b, textlen = 0;
	FILE *fp = NULL;
	int rc;

	if ((in = apiincident_find(s, c, rp, hex, len, &rc)) == NULL)
		return rc;
	if (apiincident_cells(s, in, &cells, err, sizeof(err)) == -1) {
		apiincident_cells_free(in, cells);
		return apireply_internal(rp, c, err);
	}
	b = drill_base(in);
	base = in->reports[b];
	if (csv) {
		if ((fp = open_memstream(&text, &textlen)) == NULL)
			goto nomem;
		fputs("\xef\xbb\xbf宛先ID,宛先,配送まで(秒),受理確認まで(秒),応答\r\n",
		    fp);
	} else if ((rcpts = json_array()) == NULL || (root = json_pack("{s:o, "
	    "s:o, s:o}", "incident", apiincident_json(s, in, cells), "base",
	    apiincident_report_json(base), "recipients", rcpts)) == NULL)
		goto nomem;
	for (i = 0; i < base->nrecipients; i++) {
		const struct view_cell *cl = &cells[b][i];
		const char *id = base->recipients[i];
		double td = cl->delivered_at > 0 ? (double)(cl->delivered_at -
		    base->accepted_at) / 1e3 : -1;
		double ta = cl->acknowledged_at > 0 ?
		    (double)(cl->acknowledged_at - base->accepted_at) / 1e3 : -1;

		if (csv) {
			fprintf(fp, "%s,", id);
			csv_field(fp, apireply_name(s, id));
			if (td >= 0)
				fprintf(fp, ",%.1f", td);
			else
				fputc(',', fp);
			if (ta >= 0)
				fprintf(fp, ",%.1f", ta);
			else
				fputc(',', fp);
			fprintf(fp, ",%s\r\n", ta >= 0 ? "あり" : "なし");
			continue;
		}
		if (json_array_append_new(rcpts, json_pack("{s:s, s:s, s:o, s:o, "
		    "s:o, s:o, s:b}", "id", id, "name", apireply_name(s, id),
		    "delivered_at", apireply_time(cl->delivered_at),
		    "acknowledged_at", apireply_time(cl->acknowledged_at),
		    "to_delivery_s", td >= 0 ? json_real(td) : json_null(),
		    "to_ack_s", ta >= 0 ? json_real(ta) : json_null(),
		    "answered", ta >= 0)) == -1)
			goto nomem;
	}
	apiincident_cells_free(in, cells);
	cells = NULL;
	if (!csv)
		return apireply_json(rp, 200, root);
	if (fclose(fp) != 0) {
		free(text);
		return -1;
	}
	message_hex(in->id, KAIRAN_ID_LEN, ihex);
	snprintf(rp->disposition, sizeof(rp->disposition),
	    "attachment; filename=\"drill-%s.csv\"", ihex);
	rp->status = 200;
	rp->content_type = CSV_TYPE;
	rp->body = text;
	rp->bodylen = textlen;
	return 0;
nomem:
	apiincident_cells_free(in, cells);
	json_decref(root);
	if (fp != NULL) {
		fclose(fp);
		free(text);
	}
	return -1;
}
