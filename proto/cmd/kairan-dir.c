/*
 * kairan-dir: builds and shows the directory.
 *
 *   kairan-dir import --codes DIR --adjacency DIR [--contacts FILE] -o OUT
 *   kairan-dir -d directory.json show ID
 *   kairan-dir -d directory.json expand SENDER LIST
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kairan/directory.h"
#include "kairan/log.h"
#include "kairan/text.h"

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: kairan-dir import --codes DIR --adjacency DIR "
	    "[--contacts FILE] -o OUT\n"
	    "       kairan-dir -d directory.json show ID\n"
	    "       kairan-dir -d directory.json expand SENDER LIST\n"
	    "  import  builds the directory from localgovjp-utf8.csv and\n"
	    "          prefjp-utf8.csv (--codes), the N03 adjacency list\n"
	    "          (--adjacency) and a contacts CSV (id,name,phone,\n"
	    "          after_hours_phone,fax,email,hours)\n"
	    "  show    an entity, its neighbours and its point of contact\n"
	    "  expand  what a recipient list (@prefecture, @ministry,\n"
	    "          @neighbours, @region, ids) means for SENDER\n");
}

/*
 * What this prints comes from files (the official lists, a contacts CSV
 * someone typed): every value goes through text.h, so that a control
 * character shows as "\x1b" instead of acting on the terminal, and the
 * columns are aligned by display width (a kanji takes two columns).
 */
#define LABEL_WIDTH	10

/* "  LABEL     value" if v is set. */
static void
line(const char *label, const char *v)
{
	if (v == NULL || *v == '\0')
		return;
	fputs("  ", stdout);
	(void)text_fpad(stdout, label, LABEL_WIDTH);
	putchar(' ');
	(void)text_fputs(v, 0, stdout);
	putchar('\n');
}

/*
 * Entities as a table: "INDENTID  NAME  KANA", names padded to the widest
 * one of the list.
 */
static void
table(const char *indent, const struct dir_entity *const *v, size_t n)
{
	size_t i, w = 0, x;

	for (i = 0; i < n; i++)
		if (v[i] != NULL && (x = text_width(v[i]->name)) > w)
			w = x;
	for (i = 0; i < n; i++) {
		if (v[i] == NULL)
			continue;
		fputs(indent, stdout);
		(void)text_fpad(stdout, v[i]->id, 6);
		fputs("  ", stdout);
		(void)text_fpad(stdout, v[i]->name, w);
		fputs("  ", stdout);
		(void)text_fputs(v[i]->kana, 0, stdout);
		putchar('\n');
	}
}

static int
show(const struct directory *d, const char *id)
{
	const struct dir_entity *e;

	if ((e = directory_get(d, id)) == NULL) {
		fputs("kairan-dir: unknown entity ", stderr);
		(void)text_fputs(id, 0, stderr);
		fputc('\n', stderr);
		return 1;
	}
	(void)text_fputs(e->id, 0, stdout);
	putchar(' ');
	(void)text_fputs(e->name, 0, stdout);
	fputs(" (", stdout);
	(void)text_fputs(e->kana, 0, stdout);
	/* node=no: its home relay mails it what it is sent */
	printf(") %s%s%s%s\n", directory_kind_name(e->kind),
	    e->pref[0] ? " prefecture=" : "", e->pref,
	    e->node ? "" : " node=no");
	line("担当", e->contact.name);
	line("電話", e->contact.phone);
	line("時間外", e->contact.after_hours_phone);
	line("FAX", e->contact.fax);
	line("e-mail", e->contact.email);
	line("受付時間", e->contact.hours);
	printf("neighbours: %zu\n", e->nneighbours);
	table("  ", e->neighbours, e->nneighbours);
	return 0;
}

/* The entities of an expanded list, as a table. */
static void
expand_print(const struct directory *d, char **list, size_t n)
{
	const struct dir_entity **v;
	size_t i;

	if ((v = calloc(n + 1, sizeof(*v))) == NULL)
		return;
	for (i = 0; i < n; i++)
		v[i] = directory_get(d, list[i]);
	table("", v, n);
	free(v);
}

/* What the options name; any of them may come before or after the verb. */
struct args {
	const char	*codes, *adj, *contacts, *out, *dfile;
};

/*
 * getopt over argv with shorts (the long options are the same for every
 * place): 0, 1 after --help (usage on stdout), -1 after an error (usage
 * on stderr).
 */
static int
parse(int argc, char **argv, const char *shorts, struct args *a)
{
	static const struct option opts[] = {
		{ "codes", required_argument, NULL, 'c' },
		{ "adjacency", required_argument, NULL, 'a' },
		{ "contacts", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	while ((ch = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			a->codes = optarg;
			break;
		case 'a':
			a->adj = optarg;
			break;
		case 'C':
			a->contacts = optarg;
			break;
		case 'o':
			a->out = optarg;
			break;
		case 'd':
			a->dfile = optarg;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -1;
		}
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct args a = { NULL, NULL, NULL, NULL, NULL };
	struct directory *d;
	char err[1024], **list;
	size_t n;
	int rc;

	log_init("kairan-dir", 0);
	if ((rc = parse(argc, argv, "+d:o:h", &a)) != 0)
		return rc == 1 ? 0 : 2;
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[0], "import") == 0) {
		/* options may follow the verb too */
		optind = 1;
		if ((rc = parse(argc, argv, "o:h", &a)) != 0)
			return rc == 1 ? 0 : 2;
		if (a.codes == NULL || a.adj == NULL || a.out == NULL ||
		    optind != argc) {
			usage(stderr);
			return 2;
		}
		if (directory_import(a.codes, a.adj, a.contacts, a.out, err,
		    sizeof(err)) == -1) {
			fprintf(stderr, "kairan-dir: %s\n", err);
			return 1;
		}
		if ((d = directory_load(a.out, err, sizeof(err))) == NULL) {
			fprintf(stderr, "kairan-dir: %s\n", err);
			return 1;
		}
		printf("%s: %zu entities\n", a.out, directory_count(d));
		directory_free(d);
		return 0;
	}
	if (a.dfile == NULL) {
		usage(stderr);
		return 2;
	}
	if ((strcmp(argv[0], "show") == 0 && argc != 2) ||
	    (strcmp(argv[0], "expand") == 0 && argc != 3) ||
	    (strcmp(argv[0], "show") != 0 && strcmp(argv[0], "expand") != 0)) {
		usage(stderr);
		return 2;
	}
	if ((d = directory_load(a.dfile, err, sizeof(err))) == NULL) {
		fprintf(stderr, "kairan-dir: %s\n", err);
		return 1;
	}
	if (strcmp(argv[0], "show") == 0)
		rc = show(d, argv[1]);
	else if (directory_expand(d, argv[1], argv[2], &list, &n, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "kairan-dir: %s\n", err);
		rc = 1;
	} else {
		expand_print(d, list, n);
		directory_list_free(list, n);
		rc = 0;
	}
	directory_free(d);
	return rc;
}
