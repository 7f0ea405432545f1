/*
 * directory: the federation's entities, adjacency and points of contact
 * (see include/kairan/directory.h; the file format is in proto/README.md).
 *
 * The directory file is JSON, read and written with jansson. The importer
 * reads the official lists, which are CSV: no CSV library among Debian's
 * well-kept C libraries fits (libcsv is unmaintained), so a small strict
 * RFC 4180 reader lives here, static (quoted fields, doubled quotes, CRLF,
 * a UTF-8 byte order mark).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "kairan/directory.h"
#include "kairan/entity.h"
#include "kairan/file.h"
#include "kairan/log.h"
#include "kairan/message.h"

#define DIR_MAX_STRING	256

struct directory {
	struct dir_entity	*ents;		/* sorted by id */
	size_t			 n;
	const struct dir_entity	**nbr;		/* all neighbour arrays, one block */
};

static const char *const kind_names[] = {
	[DIR_PREFECTURE] = "prefecture",
	[DIR_CITY] = "city",
	[DIR_DESIGNATED_CITY] = "designated-city",
	[DIR_SPECIAL_WARD] = "special-ward",
	[DIR_TOWN] = "town",
	[DIR_VILLAGE] = "village",
	[DIR_NATIONAL] = "national",
	[DIR_POLICE] = "police",
};
#define NKINDS	(sizeof(kind_names) / sizeof(kind_names[0]))

const char *
directory_kind_name(enum dir_kind k)
{
	if ((size_t)k >= NKINDS || k == 0)
		return "unknown";
	return kind_names[k];
}

static int
kind_parse(const char *s)
{
	size_t i;

	for (i = 1; i < NKINDS; i++)
		if (strcmp(s, kind_names[i]) == 0)
			return (int)i;
	return -1;
}

static int
ent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dir_entity *)a)->id,
	    ((const struct dir_entity *)b)->id);
}

static int
entp_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct dir_entity *const *)a)->id,
	    (*(const struct dir_entity *const *)b)->id);
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
contact_free(struct dir_contact *c)
{
	free(c->name);
	free(c->phone);
	free(c->after_hours_phone);
	free(c->fax);
	free(c->email);
	free(c->hours);
}

void
directory_free(struct directory *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++) {
		free(d->ents[i].name);
		free(d->ents[i].kana);
		contact_free(&d->ents[i].contact);
	}
	free(d->ents);
	free(d->nbr);
	free(d);
}

const struct dir_entity *
directory_get(const struct directory *d, const char *id)
{
	struct dir_entity key;

	if (d == NULL || id == NULL || strlen(id) >= sizeof(key.id))
		return NULL;
	snprintf(key.id, sizeof(key.id), "%s", id);
	return bsearch(&key, d->ents, d->n, sizeof(*d->ents), ent_cmp);
}

size_t
directory_count(const struct directory *d)
{
	return d != NULL ? d->n : 0;
}

const struct dir_entity *
directory_at(const struct directory *d, size_t i)
{
	return i < d->n ? &d->ents[i] : NULL;
}

/* ---- loading ---- */

/*
 * An optional string member of o as a malloc'd copy in *out (NULL if
 * absent). Returns 0, or -1 with err naming where.
 */
static int
get_str(const json_t *o, const char *key, int required, char **out,
    const char *where, char *err, size_t errlen)
{
	const json_t *v = json_object_get(o, key);
	const char *s;

	*out = NULL;
	if (v == NULL || json_is_null(v)) {
		if (!required)
			return 0;
		snprintf(err, errlen, "%s.%s: missing", where, key);
		return -1;
	}
	if (!json_is_string(v)) {
		snprintf(err, errlen, "%s.%s: expected a string", where, key);
		return -1;
	}
	s = json_string_value(v);
	if (json_string_length(v) > DIR_MAX_STRING ||
	    strlen(s) != json_string_length(v)) {
		snprintf(err, errlen, "%s.%s: longer than %d bytes or holds a "
		    "NUL", where, key, DIR_MAX_STRING);
		return -1;
	}
	if (required && *s == '\0') {
		snprintf(err, errlen, "%s.%s: empty", where, key);
		return -1;
	}
	if ((*out = strdup(s)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static int
load_entity(const json_t *o, struct dir_entity *e, const char *where,
    char *err, size_t errlen)
{
	const json_t *c;
	char *id = NULL, *kind = NULL, *pref = NULL, e2[256], pp[3];
	int k, rc = -1;

	if (!json_is_object(o)) {
		snprintf(err, errlen, "%s: expected an object", where);
		return -1;
	}
	if (get_str(o, "id", 1, &id, where, err, errlen) == -1 ||
	    get_str(o, "kind", 1, &kind, where, err, errlen) == -1 ||
	    get_str(o, "pref", 0, &pref, where, err, errlen) == -1 ||
	    get_str(o, "name", 1, &e->name, where, err, errlen) == -1 ||
	    get_str(o, "kana", 0, &e->kana, where, err, errlen) == -1)
		goto done;
	if (!entity_valid(id, e2, sizeof(e2))) {
		snprintf(err, errlen, "%s.id: %s", where, e2);
		goto done;
	}
	snprintf(e->id, sizeof(e->id), "%s", id);
	if ((k = kind_parse(kind)) == -1) {
		snprintf(err, errlen, "%s.kind: \"%s\" is not one of "
		    "prefecture, city, designated-city, special-ward, town, "
		    "village, national, police", where, kind);
		goto done;
	}
	e->kind = (enum dir_kind)k;
	/* the prefecture is the code's, never a field to trust on its own */
	if (entity_prefecture(id, pp) == 0) {
		if (pref != NULL && strcmp(pref, pp) != 0) {
			snprintf(err, errlen, "%s.pref: \"%s\", but %s belongs "
			    "to prefecture %s", where, pref, id, pp);
			goto done;
		}
		snprintf(e->pref, sizeof(e->pref), "%s", pp);
	} else if (pref != NULL && *pref != '\0') {
		snprintf(err, errlen, "%s.pref: %s belongs to no prefecture",
		    where, id);
		goto done;
	}
	e->node = 1;
	if ((c = json_object_get(o, "node")) != NULL) {
		if (!json_is_boolean(c)) {
			snprintf(err, errlen, "%s.node: expected true or false",
			    where);
			goto done;
		}
		e->node = json_is_true(c);
	}
	/* the kind and the id say the same: police-PP is the police */
	if ((e->kind == DIR_POLICE) != entity_is_police(id)) {
		snprintf(err, errlen, "%s.kind: %s is %s", where, id,
		    entity_is_police(id) ? "a prefecture's police (kind "
		    "police)" : "not police-PP, so not of kind police");
		goto done;
	}
	if (e->kana == NULL && (e->kana = strdup("")) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	if ((c = json_object_get(o, "contact")) != NULL && !json_is_null(c)) {
		char w[128];

		snprintf(w, sizeof(w), "%s.contact", where);
		if (!json_is_object(c)) {
			snprintf(err, errlen, "%s: expected an object", w);
			goto done;
		}
		if (get_str(c, "name", 0, &e->contact.name, w, err,
		    errlen) == -1 ||
		    get_str(c, "phone", 0, &e->contact.phone, w, err,
		    errlen) == -1 ||
		    get_str(c, "after_hours_phone", 0,
		    &e->contact.after_hours_phone, w, err, errlen) == -1 ||
		    get_str(c, "fax", 0, &e->contact.fax, w, err,
		    errlen) == -1 ||
		    get_str(c, "email", 0, &e->contact.email, w, err,
		    errlen) == -1 ||
		    get_str(c, "hours", 0, &e->contact.hours, w, err,
		    errlen) == -1)
			goto done;
	}
	rc = 0;
done:
	free(id);
	free(kind);
	free(pref);
	return rc;
}

/* Builds every entity's sorted neighbour array from the adjacency pairs. */
static int
load_adjacency(struct directory *d, const json_t *adj, char *err,
    size_t errlen)
{
	const struct dir_entity *a, *b, **p;
	size_t i, j, k, total = 0, *fill = NULL;
	const json_t *pair;
	int rc = -1;

	if (adj == NULL)
		return 0;
	if (!json_is_array(adj)) {
		snprintf(err, errlen, "adjacency: expected an array");
		return -1;
	}
	/* pass 1: check and count */
	json_array_foreach(adj, i, pair) {
		const char *sa, *sb;

		if (!json_is_array(pair) || json_array_size(pair) != 2 ||
		    !json_is_string(json_array_get(pair, 0)) ||
		    !json_is_string(json_array_get(pair, 1))) {
			snprintf(err, errlen, "adjacency[%zu]: expected "
			    "[\"id\", \"id\"]", i);
			return -1;
		}
		sa = json_string_value(json_array_get(pair, 0));
		sb = json_string_value(json_array_get(pair, 1));
		if ((a = directory_get(d, sa)) == NULL ||
		    (b = directory_get(d, sb)) == NULL) {
			snprintf(err, errlen, "adjacency[%zu]: unknown entity "
			    "%s", i, directory_get(d, sa) == NULL ? sa : sb);
			return -1;
		}
		if (a == b) {
			snprintf(err, errlen, "adjacency[%zu]: %s borders "
			    "itself", i, sa);
			return -1;
		}
		((struct dir_entity *)(uintptr_t)a)->nneighbours++;
		((struct dir_entity *)(uintptr_t)b)->nneighbours++;
		total += 2;
	}
	if ((d->nbr = calloc(total ? total : 1, sizeof(*d->nbr))) == NULL ||
	    (fill = calloc(d->n ? d->n : 1, sizeof(*fill))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	for (i = 0, k = 0; i < d->n; i++) {
		d->ents[i].neighbours = d->nbr + k;
		k += d->ents[i].nneighbours;
	}
	/* pass 2: fill */
	json_array_foreach(adj, i, pair) {
		a = directory_get(d, json_string_value(json_array_get(pair, 0)));
		b = directory_get(d, json_string_value(json_array_get(pair, 1)));
		p = (const struct dir_entity **)(uintptr_t)a->neighbours;
		p[fill[a - d->ents]++] = b;
		p = (const struct dir_entity **)(uintptr_t)b->neighbours;
		p[fill[b - d->ents]++] = a;
	}
	/* sort, and fold pairs listed twice */
	for (i = 0; i < d->n; i++) {
		struct dir_entity *e = &d->ents[i];

		p = (const struct dir_entity **)(uintptr_t)e->neighbours;
		qsort(p, e->nneighbours, sizeof(*p), entp_cmp);
		for (j = 0, k = 0; j < e->nneighbours; j++)
			if (k == 0 || p[k - 1] != p[j])
				p[k++] = p[j];
		e->nneighbours = k;
	}
	rc = 0;
done:
	free(fill);
	return rc;
}

struct directory *
directory_load(const char *path, char *err, size_t errlen)
{
	struct directory *d = NULL;
	json_t *root = NULL, *ents, *v;
	json_error_t je;
	char where[64], e[512];
	size_t i;
	FILE *fp;

	/* opened here: jansson's own error for a missing file names no reason */
	if ((fp = file_open_read(path, err, errlen)) == NULL)
		return NULL;
	root = json_loadf(fp, JSON_REJECT_DUPLICATES, &je);
	fclose(fp);
	if (root == NULL) {
		snprintf(err, errlen, "%s:%d:%d: %s", path, je.line, je.column,
		    je.text);
		return NULL;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		snprintf(e, sizeof(e), "out of memory");
		goto fail;
	}
	if (!json_is_object(root) ||
	    !json_is_string(v = json_object_get(root, "format")) ||
	    strcmp(json_string_value(v), "kairan-directory") != 0) {
		snprintf(e, sizeof(e), "format: expected \"kairan-directory\"");
		goto fail;
	}
	if (!json_is_integer(v = json_object_get(root, "version")) ||
	    json_integer_value(v) != 1) {
		snprintf(e, sizeof(e), "version: expected 1");
		goto fail;
	}
	if (!json_is_array(ents = json_object_get(root, "entities")) ||
	    json_array_size(ents) == 0) {
		snprintf(e, sizeof(e), "entities: expected a non-empty array");
		goto fail;
	}
	d->n = json_array_size(ents);
	if ((d->ents = calloc(d->n, sizeof(*d->ents))) == NULL) {
		snprintf(e, sizeof(e), "out of memory");
		goto fail;
	}
	json_array_foreach(ents, i, v) {
		snprintf(where, sizeof(where), "entities[%zu]", i);
		if (load_entity(v, &d->ents[i], where, e, sizeof(e)) == -1)
			goto fail;
	}
	qsort(d->ents, d->n, sizeof(*d->ents), ent_cmp);
	for (i = 1; i < d->n; i++)
		if (strcmp(d->ents[i - 1].id, d->ents[i].id) == 0) {
			snprintf(e, sizeof(e), "entities: duplicate id %s",
			    d->ents[i].id);
			goto fail;
		}
	if (load_adjacency(d, json_object_get(root, "adjacency"), e,
	    sizeof(e)) == -1)
		goto fail;
	json_decref(root);
	return d;
fail:
	snprintf(err, errlen, "%s: %s", path, e);
	json_decref(root);
	directory_free(d);
	return NULL;
}

/* ---- group expansion ---- */

struct strset {
	char	**v;
	size_t	  n, cap;
};

static int
set_add(struct strset *s, const char *id)
{
	char **nv;

	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		if ((nv = realloc(s->v, s->cap * sizeof(*nv))) == NULL)
			return -1;
		s->v = nv;
	}
	if ((s->v[s->n] = strdup(id)) == NULL)
		return -1;
	s->n++;
	return 0;
}

void
directory_list_free(char **list, size_t n)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

/* The prefecture entity PP000C of pref PP into out[7]. */
static void
prefecture_id(const char *pp, char out[7])
{
	char five[6];

	snprintf(five, sizeof(five), "%.2s000", pp);
	snprintf(out, 7, "%s%d", five, entity_checkdigit(five));
}

int
directory_expand(const struct directory *d, const char *sender,
    const char *list, char ***out, size_t *nout, char *err, size_t errlen)
{
	const struct dir_entity *se, *e;
	struct strset s = { NULL, 0, 0 };
	char *buf = NULL, *p, *tok, pid[7];
	size_t i, k;
	int nitems = 0;

	*out = NULL;
	*nout = 0;
	if ((se = directory_get(d, sender)) == NULL) {
		snprintf(err, errlen, "sender %s is not in the directory",
		    sender);
		return -1;
	}
	if ((buf = strdup(list != NULL ? list : "")) == NULL)
		goto oom;
	for (p = buf; (tok = strsep(&p, ",")) != NULL; ) {
		char *end;

		tok += strspn(tok, " \t");
		end = tok + strlen(tok);
		while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (*tok == '\0')
			continue;
		nitems++;
		if (strcmp(tok, "@prefecture") == 0) {
			if (se->pref[0] == '\0') {
				snprintf(err, errlen, "@prefecture: %s belongs "
				    "to no prefecture", sender);
				goto fail;
			}
			prefecture_id(se->pref, pid);
			if (directory_get(d, pid) == NULL) {
				snprintf(err, errlen, "@prefecture: %s is not "
				    "in the directory", pid);
				goto fail;
			}
			if (set_add(&s, pid) == -1)
				goto oom;
		} else if (strcmp(tok, "@ministry") == 0) {
			if (directory_get(d, "mic") == NULL) {
				snprintf(err, errlen, "@ministry: mic is not in "
				    "the directory");
				goto fail;
			}
			if (set_add(&s, "mic") == -1)
				goto oom;
		} else if (strcmp(tok, "@neighbours") == 0 ||
		    strcmp(tok, "@neighbors") == 0) {
			if (se->nneighbours == 0) {
				snprintf(err, errlen, "@neighbours: %s borders "
				    "no municipality in the directory", sender);
				goto fail;
			}
			for (i = 0; i < se->nneighbours; i++)
				if (set_add(&s, se->neighbours[i]->id) == -1)
					goto oom;
		} else if (strcmp(tok, "@region") == 0) {
			if (se->pref[0] == '\0') {
				snprintf(err, errlen, "@region: %s belongs to "
				    "no prefecture", sender);
				goto fail;
			}
			/* the local governments: the police is @police */
			for (i = 0; i < d->n; i++)
				if (strcmp(d->ents[i].pref, se->pref) == 0 &&
				    d->ents[i].kind != DIR_POLICE &&
				    set_add(&s, d->ents[i].id) == -1)
					goto oom;
		} else if (strcmp(tok, "@police") == 0) {
			/*
			 * The sender's prefectural police (000 第2条; 002
			 * 「警察及び関係機関との緊密な連携」, 3.7.3 ③(ア)
			 * 「警察に連絡」).
			 */
			char pol[ENTITY_POLICE_LEN + 1];

			if (se->pref[0] == '\0') {
				snprintf(err, errlen, "@police: %s belongs to no "
				    "prefecture (name the police by id: npa, "
				    "police-PP)", sender);
				goto fail;
			}
			entity_police_id(se->pref, pol);
			if (directory_get(d, pol) == NULL) {
				snprintf(err, errlen, "@police: %s is not in the "
				    "directory", pol);
				goto fail;
			}
			if (set_add(&s, pol) == -1)
				goto oom;
		} else if (strcmp(tok, "@all") == 0 ||
		    strcmp(tok, "@prefectures") == 0) {
			/*
			 * The national alerts: every local government of the
			 * country (the prefectures included), or the 47
			 * prefectures; never the national bodies nor the
			 * police.
			 */
			for (i = 0; i < d->n; i++)
				if (d->ents[i].kind != DIR_NATIONAL &&
				    d->ents[i].kind != DIR_POLICE &&
				    (tok[1] == 'a' ||
				    d->ents[i].kind == DIR_PREFECTURE) &&
				    set_add(&s, d->ents[i].id) == -1)
					goto oom;
		} else if (*tok == '@') {
			snprintf(err, errlen, "unknown group %s (expected "
			    "@prefecture, @ministry, @neighbours, @region, "
			    "@police, @prefectures or @all)", tok);
			goto fail;
		} else {
			if ((e = directory_get(d, tok)) == NULL) {
				snprintf(err, errlen, "unknown entity %s", tok);
				goto fail;
			}
			if (set_add(&s, e->id) == -1)
				goto oom;
		}
	}
	if (nitems == 0) {
		snprintf(err, errlen, "empty recipient list");
		goto fail;
	}
	/* sorted, without duplicates and without the sender */
	qsort(s.v, s.n, sizeof(*s.v), str_cmp);
	for (i = 0, k = 0; i < s.n; i++) {
		if ((k > 0 && strcmp(s.v[k - 1], s.v[i]) == 0) ||
		    strcmp(s.v[i], sender) == 0) {
			free(s.v[i]);
			continue;
		}
		s.v[k++] = s.v[i];
	}
	s.n = k;
	if (s.n == 0) {
		snprintf(err, errlen, "no recipient left once the sender is "
		    "removed");
		goto fail;
	}
	free(buf);
	*out = s.v;
	*nout = s.n;
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	free(buf);
	directory_list_free(s.v, s.n);
	return -1;
}

/* ---- the importer ---- */

struct csv {
	char	***rows;	/* rows[i][j], NULL-terminated per row */
	size_t	  *nf;
	size_t	   n;
};

static void
csv_free(struct csv *c)
{
	size_t i, j;

	for (i = 0; i < c->n; i++) {
		for (j = 0; j < c->nf[i]; j++)
			free(c->rows[i][j]);
		free(c->rows[i]);
	}
	free(c->rows);
	free(c->nf);
	memset(c, 0, sizeof(*c));
}

/*
 * Reads a whole CSV file (RFC 4180: fields separated by commas, optionally
 * in double quotes with "" for a quote; records end with LF or CRLF; an
 * initial UTF-8 BOM is skipped). Returns 0 or -1 with err "path:line: ...".
 */
static int
csv_read(const char *path, struct csv *c, char *err, size_t errlen)
{
	FILE *fp;
	char *data = NULL, *p, *end, *field = NULL;
	char **row = NULL;
	size_t len = 0, cap = 0, flen, fcap = 0, nf = 0, rcap = 0, line = 1;
	size_t ccap = 0;
	int quoted, ch, rc = -1;

	memset(c, 0, sizeof(*c));
	if ((fp = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((ch = fgetc(fp)) != EOF) {
		if (len + 1 >= cap) {
			char *nd;

			cap = cap ? 2 * cap : 65536;
			if ((nd = realloc(data, cap)) == NULL)
				goto oom;
			data = nd;
		}
		data[len++] = (char)ch;
	}
	fclose(fp);
	fp = NULL;
	if (data == NULL) {
		snprintf(err, errlen, "%s: empty", path);
		return -1;
	}
	data[len] = '\0';
	p = data;
	end = data + len;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (p < end) {
		/* one field */
		flen = 0;
		quoted = 0;
		if (*p == '"') {
			quoted = 1;
			p++;
		}
		for (;;) {
			if (p >= end) {
				if (quoted) {
					snprintf(err, errlen, "%s:%zu: "
					    "unterminated quoted field", path,
					    line);
					goto fail;
				}
				break;
			}
			if (quoted && *p == '"') {
				if (p + 1 < end && p[1] == '"') {
					p++;
				} else {
					p++;
					quoted = 0;
					if (p < end && *p != ',' && *p != '\n' &&
					    *p != '\r') {
						snprintf(err, errlen, "%s:%zu: "
						    "text after a closing "
						    "quote", path, line);
						goto fail;
					}
					continue;
				}
			} else if (!quoted && (*p == ',' || *p == '\n' ||
			    *p == '\r'))
				break;
			else if (!quoted && *p == '"') {
				snprintf(err, errlen, "%s:%zu: quote inside an "
				    "unquoted field", path, line);
				goto fail;
			}
			if (*p == '\n')
				line++;
			if (flen + 1 >= fcap) {
				char *nf2;

				fcap = fcap ? 2 * fcap : 256;
				if ((nf2 = realloc(field, fcap)) == NULL)
					goto oom;
				field = nf2;
			}
			field[flen++] = *p++;
		}
		if (nf + 1 >= rcap) {
			char **nr;

			rcap = rcap ? 2 * rcap : 16;
			if ((nr = realloc(row, rcap * sizeof(*row))) == NULL)
				goto oom;
			row = nr;
		}
		if ((row[nf] = strndup(field != NULL ? field : "", flen)) ==
		    NULL)
			goto oom;
		nf++;
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		/* end of record */
		if (p < end && *p == '\r')
			p++;
		if (p < end && *p == '\n')
			p++;
		line++;
		if (c->n == ccap) {
			char ***nrows;
			size_t *nnf;

			ccap = ccap ? 2 * ccap : 1024;
			if ((nrows = realloc(c->rows, ccap *
			    sizeof(*c->rows))) == NULL)
				goto oom;
			c->rows = nrows;
			if ((nnf = realloc(c->nf, ccap * sizeof(*c->nf))) ==
			    NULL)
				goto oom;
			c->nf = nnf;
		}
		row[nf] = NULL;
		c->rows[c->n] = row;
		c->nf[c->n] = nf;
		c->n++;
		row = NULL;
		rcap = nf = 0;
	}
	rc = 0;
	goto done;
oom:
	snprintf(err, errlen, "%s: out of memory", path);
fail:
	if (row != NULL) {
		while (nf > 0)
			free(row[--nf]);
		free(row);
	}
	csv_free(c);
done:
	if (fp != NULL)
		fclose(fp);
	free(field);
	free(data);
	return rc;
}

/* Index of column name in the header row, or -1. */
static int
csv_col(const struct csv *c, const char *name)
{
	size_t j;

	if (c->n == 0)
		return -1;
	for (j = 0; j < c->nf[0]; j++)
		if (strcmp(c->rows[0][j], name) == 0)
			return (int)j;
	return -1;
}

static const char *
field(const struct csv *c, size_t i, int col)
{
	return col >= 0 && (size_t)col < c->nf[i] ? c->rows[i][col] : "";
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static json_t *
entity_json(const char *id, const char *kind, const char *name,
    const char *kana)
{
	char pp[3] = "";

	(void)entity_prefecture(id, pp);
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", id, "kind", kind,
	    "pref", pp, "name", name, "kana", kana);
}

/*
 * The police of the prefecture whose code is code (PP000C) and whose name
 * and kana are given: police-PP, 宮崎県警察 (みやざきけんけいさつ); Tokyo's
 * is 警視庁 (けいしちょう). The seeds report to it (000 第2条; 002
 * 「警察及び関係機関との緊密な連携」); it runs no node by default: its
 * home relay mails it the report (the contacts CSV may say otherwise).
 */
static int
add_police(const char *code, const char *pref, const char *kana,
    json_t *ents, json_t *byid)
{
	char id[ENTITY_POLICE_LEN + 1], name[300], k[300];
	json_t *o;

	entity_police_id(code, id);
	if (strncmp(code, "13", 2) == 0) {
		snprintf(name, sizeof(name), "警視庁");
		snprintf(k, sizeof(k), "けいしちょう");
	} else {
		snprintf(name, sizeof(name), "%s警察", pref);
		snprintf(k, sizeof(k), "%sけいさつ", kana);
	}
	if ((o = entity_json(id, "police", name, k)) == NULL)
		return -1;
	json_object_set_new(o, "node", json_false());
	json_array_append_new(ents, o);
	json_object_set(byid, id, o);
	return 0;
}

/*
 * The national bodies the seeds name (000 第2条; 002 3.7.3, 「警察及び関係
 * 機関との緊密な連携」), under the national CA and relay-national. Only mic
 * runs a node by default; the others are mailed (node false).
 */
static const struct {
	const char	*id, *name, *kana;
	int		 node;
} national_bodies[] = {
	{ "mic", "総務省", "そうむしょう", 1 },
	{ "nisc", "内閣サイバーセキュリティセンター",
	    "ないかくさいばーせきゅりてぃせんたー", 0 },
	{ "npa", "警察庁", "けいさつちょう", 0 },
	{ "j-lis", "地方公共団体情報システム機構",
	    "ちほうこうきょうだんたいじょうほうしすてむきこう", 0 },
	{ "ipa", "独立行政法人情報処理推進機構",
	    "じょうほうしょりすいしんきこう", 0 },
	{ "jpcert", "JPCERTコーディネーションセンター",
	    "じぇいぴーさーとこーでぃねーしょんせんたー", 0 },
};

/* Hamamatsu's wards since 2024-01-01: folded into 221309 like all wards. */
static const char *const hamamatsu_2024_wards[] = {
	"221384", "221392", "221406",
};

static int
import_codes(const char *codes_dir, json_t *ents, json_t *byid, char *err,
    size_t errlen)
{
	struct csv pref, city;
	char path[4096], code[8], e[256];
	const char *lg, *name;
	size_t i, k;
	int cpref, cname, ckana, clg, rc = -1;
	json_t *o, *city_o;

	memset(&pref, 0, sizeof(pref));
	memset(&city, 0, sizeof(city));
	snprintf(path, sizeof(path), "%s/prefjp-utf8.csv", codes_dir);
	if (csv_read(path, &pref, err, errlen) == -1)
		return -1;
	cname = csv_col(&pref, "pref");
	ckana = csv_col(&pref, "prefkana");
	clg = csv_col(&pref, "lgcode");
	if (cname < 0 || ckana < 0 || clg < 0) {
		snprintf(err, errlen, "%s: expected columns pref, prefkana, "
		    "lgcode", path);
		goto done;
	}
	for (i = 1; i < pref.n; i++) {
		/* the leading zero was lost: 10006 is 010006 */
		snprintf(code, sizeof(code), "%06ld",
		    strtol(field(&pref, i, clg), NULL, 10));
		if (!entity_is_code(code)) {
			snprintf(err, errlen, "%s:%zu: lgcode %s: not a "
			    "prefecture code", path, i + 1, code);
			goto done;
		}
		o = entity_json(code, "prefecture", field(&pref, i, cname),
		    field(&pref, i, ckana));
		json_array_append_new(ents, o);
		json_object_set(byid, code, o);
		if (add_police(code, field(&pref, i, cname),
		    field(&pref, i, ckana), ents, byid) == -1) {
			snprintf(err, errlen, "out of memory");
			goto done;
		}
	}

	snprintf(path, sizeof(path), "%s/localgovjp-utf8.csv", codes_dir);
	if (csv_read(path, &city, err, errlen) == -1)
		goto done;
	cpref = csv_col(&city, "pref");
	cname = csv_col(&city, "city");
	ckana = csv_col(&city, "citykana");
	clg = csv_col(&city, "lgcode");
	if (cpref < 0 || cname < 0 || ckana < 0 || clg < 0) {
		snprintf(err, errlen, "%s: expected columns pref, city, "
		    "citykana, lgcode", path);
		goto done;
	}
	/* municipalities first; wards ("市 区") afterwards mark their city */
	for (i = 1; i < city.n; i++) {
		const char *kind;

		name = field(&city, i, cname);
		lg = field(&city, i, clg);
		if (strchr(name, ' ') != NULL)
			continue;
		if (!entity_valid(lg, e, sizeof(e)) || !entity_is_code(lg)) {
			snprintf(err, errlen, "%s:%zu: lgcode \"%s\": %s", path,
			    i + 1, lg, e);
			goto done;
		}
		for (k = 0; k < sizeof(hamamatsu_2024_wards) /
		    sizeof(hamamatsu_2024_wards[0]); k++)
			if (strcmp(lg, hamamatsu_2024_wards[k]) == 0)
				break;
		if (k < sizeof(hamamatsu_2024_wards) /
		    sizeof(hamamatsu_2024_wards[0]))
			continue;
		if (strncmp(lg, "13", 2) == 0 && ends_with(name, "区"))
			kind = "special-ward";
		else if (ends_with(name, "市"))
			kind = "city";
		else if (ends_with(name, "町"))
			kind = "town";
		else if (ends_with(name, "村"))
			kind = "village";
		else {
			snprintf(err, errlen, "%s:%zu: %s: cannot tell city, "
			    "town or village from the name", path, i + 1, name);
			goto done;
		}
		if (json_object_get(byid, lg) != NULL) {
			snprintf(err, errlen, "%s:%zu: duplicate lgcode %s",
			    path, i + 1, lg);
			goto done;
		}
		o = entity_json(lg, kind, name, field(&city, i, ckana));
		json_array_append_new(ents, o);
		json_object_set(byid, lg, o);
	}
	for (i = 1; i < city.n; i++) {
		char cityname[256];
		const char *sp;
		size_t j;

		name = field(&city, i, cname);
		if ((sp = strchr(name, ' ')) == NULL)
			continue;
		snprintf(cityname, sizeof(cityname), "%.*s", (int)(sp - name),
		    name);
		city_o = NULL;
		for (j = 1; j < city.n && city_o == NULL; j++)
			if (strcmp(field(&city, j, cname), cityname) == 0 &&
			    strcmp(field(&city, j, cpref),
			    field(&city, i, cpref)) == 0)
				city_o = json_object_get(byid,
				    field(&city, j, clg));
		if (city_o == NULL) {
			snprintf(err, errlen, "%s:%zu: ward %s of no city in "
			    "the list", path, i + 1, name);
			goto done;
		}
		json_object_set_new(city_o, "kind",
		    json_string("designated-city"));
	}
	rc = 0;
done:
	csv_free(&pref);
	csv_free(&city);
	return rc;
}

static int
import_adjacency(const char *adj_dir, json_t *byid, json_t *adj, char *err,
    size_t errlen)
{
	struct csv c;
	char path[4096];
	const char *a, *b;
	size_t i, unknown = 0;
	int ca, cb;

	snprintf(path, sizeof(path), "%s/muni_adjacency_city_level_N03-2023.csv",
	    adj_dir);
	if (csv_read(path, &c, err, errlen) == -1)
		return -1;
	ca = csv_col(&c, "code_a");
	cb = csv_col(&c, "code_b");
	if (ca < 0 || cb < 0) {
		snprintf(err, errlen, "%s: expected columns code_a, code_b",
		    path);
		csv_free(&c);
		return -1;
	}
	for (i = 1; i < c.n; i++) {
		a = field(&c, i, ca);
		b = field(&c, i, cb);
		if (json_object_get(byid, a) == NULL ||
		    json_object_get(byid, b) == NULL || strcmp(a, b) == 0) {
			unknown++;
			log_debug("adjacency %s:%zu: skipped %s-%s", path, i + 1,
			    a, b);
			continue;
		}
		json_array_append_new(adj, json_pack("[s, s]", a, b));
	}
	if (unknown > 0)
		log_warnx("adjacency: %zu pairs name codes not in the list "
		    "(skipped) file=%s", unknown, path);
	csv_free(&c);
	return 0;
}

static int
import_contacts(const char *file, json_t *byid, char *err, size_t errlen)
{
	static const char *const cols[] = {
		"name", "phone", "after_hours_phone", "fax", "email", "hours",
	};
	struct csv c;
	json_t *o, *ct;
	size_t i, k;
	int cid, col, cnode;

	if (csv_read(file, &c, err, errlen) == -1)
		return -1;
	cnode = csv_col(&c, "node");
	if ((cid = csv_col(&c, "id")) < 0) {
		snprintf(err, errlen, "%s: expected a header with id, name, "
		    "phone, after_hours_phone, fax, email, hours (and "
		    "optionally node)", file);
		csv_free(&c);
		return -1;
	}
	for (i = 1; i < c.n; i++) {
		if ((o = json_object_get(byid, field(&c, i, cid))) == NULL) {
			snprintf(err, errlen, "%s:%zu: unknown entity %s", file,
			    i + 1, field(&c, i, cid));
			csv_free(&c);
			return -1;
		}
		if (cnode >= 0 && *field(&c, i, cnode) != '\0') {
			const char *v = field(&c, i, cnode);

			if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0) {
				snprintf(err, errlen, "%s:%zu: node: expected yes "
				    "or no, got \"%.40s\"", file, i + 1, v);
				csv_free(&c);
				return -1;
			}
			if (strcmp(v, "yes") == 0)
				json_object_del(o, "node");
			else
				json_object_set_new(o, "node", json_false());
		}
		ct = json_object();
		for (k = 0; k < sizeof(cols) / sizeof(cols[0]); k++)
			if ((col = csv_col(&c, cols[k])) >= 0 &&
			    *field(&c, i, col) != '\0')
				json_object_set_new(ct, cols[k],
				    json_string(field(&c, i, col)));
		json_object_set_new(o, "contact", ct);
	}
	csv_free(&c);
	return 0;
}

int
directory_import(const char *codes_dir, const char *adjacency_dir,
    const char *contacts_csv, const char *out_path, char *err, size_t errlen)
{
	json_t *root, *ents, *byid, *adj, *o;
	char tmp[4096], when[32];
	struct directory *check;
	time_t t = time(NULL);
	struct tm tm;
	size_t i;
	int rc = -1;

	ents = json_array();
	adj = json_array();
	byid = json_object();
	if (import_codes(codes_dir, ents, byid, err, errlen) == -1)
		goto done;
	for (i = 0; i < sizeof(national_bodies) / sizeof(national_bodies[0]);
	    i++) {
		o = entity_json(national_bodies[i].id, "national",
		    national_bodies[i].name, national_bodies[i].kana);
		if (!national_bodies[i].node)
			json_object_set_new(o, "node", json_false());
		json_array_append_new(ents, o);
		json_object_set(byid, national_bodies[i].id, o);
	}
	if (import_adjacency(adjacency_dir, byid, adj, err, errlen) == -1)
		goto done;
	if (contacts_csv != NULL &&
	    import_contacts(contacts_csv, byid, err, errlen) == -1)
		goto done;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	root = json_pack("{s:s, s:i, s:s, s:[s, s], s:o, s:o}",
	    "format", "kairan-directory", "version", 1, "generated_at", when,
	    "sources",
	    "全国地方公共団体コード: code4fukui/localgovjp (CC0)",
	    "国土数値情報（行政区域データ）（国土交通省）を加工して作成",
	    "entities", json_incref(ents), "adjacency", json_incref(adj));
	if (root == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", out_path, (long)getpid());
	if (json_dump_file(root, tmp, JSON_INDENT(1) | JSON_PRESERVE_ORDER) ==
	    -1) {
		snprintf(err, errlen, "%s: cannot write", tmp);
		json_decref(root);
		unlink(tmp);
		goto done;
	}
	json_decref(root);
	/* what we wrote must load: never rename a broken directory in place */
	if ((check = directory_load(tmp, err, errlen)) == NULL) {
		unlink(tmp);
		goto done;
	}
	directory_free(check);
	if (rename(tmp, out_path) == -1) {
		snprintf(err, errlen, "%s: %s", out_path, strerror(errno));
		unlink(tmp);
		goto done;
	}
	rc = 0;
done:
	json_decref(ents);
	json_decref(adj);
	json_decref(byid);
	return rc;
}
