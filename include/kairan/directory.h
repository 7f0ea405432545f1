/*
 * directory: the federation's entities, who borders whom, and how to reach
 * each entity's point of contact (PoC). DESIGN.md §4, PROTOCOL.md §Directory.
 *
 * The directory is a JSON file in kairan's own format (read with jansson;
 * see proto/README.md for the format), built by the importer from the
 * official lists (bin/kairan-dir import). It is immutable once loaded;
 * reloading builds a new one and swaps it in.
 */
#ifndef KAIRAN_DIRECTORY_H
#define KAIRAN_DIRECTORY_H

#include <stddef.h>

#include "kairan/kairan.h"

enum dir_kind {
	DIR_PREFECTURE = 1,	/* 都道府県 */
	DIR_CITY,		/* 市 */
	DIR_DESIGNATED_CITY,	/* 政令指定都市 */
	DIR_SPECIAL_WARD,	/* 特別区 (Tokyo's 23 wards) */
	DIR_TOWN,		/* 町 */
	DIR_VILLAGE,		/* 村 */
	DIR_NATIONAL,		/* national body: mic, nisc, npa, j-lis, ipa, jpcert */
	DIR_POLICE,		/* a prefecture's police (police-PP): 都道府県警察 */
};

struct dir_contact {
	char	*name;			/* section or person; NULL if unknown */
	char	*phone;			/* office hours */
	char	*after_hours_phone;
	char	*fax;
	char	*email;
	char	*hours;			/* e.g. "平日 8:30-17:15" */
};

struct dir_entity {
	char			 id[KAIRAN_ENTITY_MAX + 1];
	enum dir_kind		 kind;
	char			 pref[3];	/* "45"; "" for national bodies */
	char			*name;		/* 宮崎市 */
	char			*kana;		/* みやざきし */
	/*
	 * 1 if the entity runs a kairan node; 0 if it is reached by mail
	 * only (its home relay mails the report to contact.email). JSON
	 * "node": false; absent means true.
	 */
	int			 node;
	struct dir_contact	 contact;
	const struct dir_entity	**neighbours;	/* sorted by id */
	size_t			 nneighbours;
};

struct directory;

/* Loads path. Returns a directory (free with directory_free) or NULL with err "path: what is wrong". */
struct directory	*directory_load(const char *path, char *err, size_t errlen);
void			 directory_free(struct directory *);	/* NULL is a no-op */

/* Borrowed entity or NULL. */
const struct dir_entity	*directory_get(const struct directory *, const char *id);
size_t			 directory_count(const struct directory *);
/* Entities sorted by id; i < directory_count(). */
const struct dir_entity	*directory_at(const struct directory *, size_t i);
const char		*directory_kind_name(enum dir_kind);

/*
 * Expands a comma-separated recipient list for sender: "@prefecture" (the
 * sender's prefecture entity, PP0006 form), "@ministry" ("mic"),
 * "@neighbours" (bordering municipalities, across prefecture lines too),
 * "@region" (every entity of the sender's prefecture, the prefecture
 * included, the sender excluded), "@prefectures" (the 47 prefectures),
 * "@all" (every local government of the country, prefectures included,
 * national bodies and police not), "@police" (the sender's prefectural
 * police, police-PP), and explicit entity ids, mixed (the national bodies
 * by their ids: mic, nisc, npa, j-lis, ipa, jpcert). "@region" holds
 * the local governments only: the police are named with "@police". Spaces
 * around items are ignored. The result is sorted, without duplicates and
 * without the sender. An unknown id or group, an empty list, or a result
 * that is empty is an error naming it.
 * Returns 0 with *out a malloc'd array of *nout malloc'd strings (free with
 * directory_list_free), or -1 with err.
 */
int	directory_expand(const struct directory *, const char *sender,
	    const char *list, char ***out, size_t *nout, char *err,
	    size_t errlen);
void	directory_list_free(char **list, size_t n);

/*
 * The importer: reads localgovjp-utf8.csv and prefjp-utf8.csv from
 * codes_dir, muni_adjacency_city_level_N03-2023.csv from adjacency_dir, and
 * optionally a contacts CSV (id,name,phone,after_hours_phone,fax,email,hours;
 * NULL for none; an optional column "node", yes or no, says whether the
 * entity runs a node); folds designated-city wards into their city,
 * applies Hamamatsu's 2024 ward reorganisation, adds each prefecture's
 * police (police-PP, kind police), the national bodies (mic, nisc, npa
 * 警察庁, j-lis, ipa, jpcert), and writes the directory JSON to out_path
 * atomically (temp file + rename). The police and the national bodies
 * but mic run no node unless the contacts CSV says "node" yes; local
 * governments and mic do unless it says no. Returns 0 or -1 with err.
 */
int	directory_import(const char *codes_dir, const char *adjacency_dir,
	    const char *contacts_csv, const char *out_path, char *err,
	    size_t errlen);

#endif
