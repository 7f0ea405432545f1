/*
 * Unit tests of the directory on the real data of ../shared/data: the
 * importer's folding of wards, the counts, adjacency (Koto-ku, Miyazaki-shi,
 * Aisho-cho), group expansion, and refusals of malformed directories.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kairan/directory.h"

static char tmpdir[64];
static char dirpath[128];
static struct directory *dir;

static int
group_setup(void **state)
{
	const char *data = getenv("KAIRAN_DATA");
	char codes[1024], adj[1024], err[1024];

	(void)state;
	if (data == NULL)
		data = "../shared/data";
	snprintf(codes, sizeof(codes), "%s/codes", data);
	snprintf(adj, sizeof(adj), "%s/adjacency", data);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kairan-dir-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(dirpath, sizeof(dirpath), "%s/directory.json", tmpdir);
	if (directory_import(codes, adj, "deploy/contacts-demo.csv", dirpath,
	    err, sizeof(err)) == -1) {
		fprintf(stderr, "import: %s\n", err);
		return -1;
	}
	if ((dir = directory_load(dirpath, err, sizeof(err))) == NULL) {
		fprintf(stderr, "load: %s\n", err);
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	directory_free(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Expands list for sender and compares with the space-separated want. */
static void
expect(const char *sender, const char *list, const char *want)
{
	char **out, err[512], got[8192] = "";
	size_t i, n;

	if (directory_expand(dir, sender, list, &out, &n, err,
	    sizeof(err)) == -1)
		fail_msg("expand %s %s: %s", sender, list, err);
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(got, " ");
		strcat(got, out[i]);
	}
	directory_list_free(out, n);
	assert_string_equal(got, want);
}

static void
expect_error(const char *sender, const char *list, const char *needle)
{
	char **out, err[512];
	size_t n;

	assert_int_equal(directory_expand(dir, sender, list, &out, &n, err,
	    sizeof(err)), -1);
	assert_null(out);
	if (strstr(err, needle) == NULL)
		fail_msg("error \"%s\" does not name \"%s\"", err, needle);
}

static void
test_counts_and_kinds(void **state)
{
	size_t i, muni = 0, pref = 0, nat = 0, police = 0;
	const struct dir_entity *e;

	(void)state;
	for (i = 0; i < directory_count(dir); i++) {
		e = directory_at(dir, i);
		switch (e->kind) {
		case DIR_NATIONAL:
			nat++;
			break;
		case DIR_POLICE:
			police++;
			assert_int_equal(e->node, 0);
			break;
		default:
			assert_int_equal(e->node, 1);
			if (e->kind != DIR_PREFECTURE)
				muni++;
		}
		if (e->kind == DIR_PREFECTURE) {
			pref++;
			assert_int_equal(e->node, 1);
		}
	}
	assert_int_equal(muni, 1741);
	assert_int_equal(pref, 47);
	assert_int_equal(nat, 6);
	assert_int_equal(police, 47);
	e = directory_get(dir, "452017");
	assert_non_null(e);
	assert_string_equal(e->name, "宮崎市");
	assert_string_equal(e->kana, "みやざきし");
	assert_string_equal(e->pref, "45");
	assert_int_equal(e->kind, DIR_CITY);
	assert_string_equal(e->contact.phone, "0985-00-0002");
	assert_int_equal(directory_get(dir, "010006")->kind, DIR_PREFECTURE);
	assert_string_equal(directory_get(dir, "450006")->name, "宮崎県");
	assert_int_equal(directory_get(dir, "131083")->kind, DIR_SPECIAL_WARD);
	assert_int_equal(directory_get(dir, "254258")->kind, DIR_TOWN);
	assert_string_equal(directory_get(dir, "mic")->name, "総務省");
}

/*
 * The bodies the seeds name (000 第2条; 002 「警察及び関係機関との緊密な
 * 連携」): each prefecture's police, an entity of its prefecture; the
 * national bodies; who runs a node; their points of contact.
 */
static void
test_bodies(void **state)
{
	const struct dir_entity *e;
	static const char *const nat[] = { "mic", "nisc", "npa", "j-lis",
	    "ipa", "jpcert" };
	size_t i;

	(void)state;
	e = directory_get(dir, "police-45");
	assert_non_null(e);
	assert_int_equal(e->kind, DIR_POLICE);
	assert_string_equal(e->name, "宮崎県警察");
	assert_string_equal(e->kana, "みやざきけんけいさつ");
	assert_string_equal(e->pref, "45");
	assert_int_equal(e->node, 0);
	assert_string_equal(e->contact.email,
	    "cyber@police.miyazaki.example.jp");
	assert_string_equal(directory_kind_name(e->kind), "police");
	assert_string_equal(directory_get(dir, "police-13")->name, "警視庁");
	assert_string_equal(directory_get(dir, "police-01")->name,
	    "北海道警察");
	assert_null(directory_get(dir, "police-48"));
	for (i = 0; i < sizeof(nat) / sizeof(nat[0]); i++) {
		e = directory_get(dir, nat[i]);
		assert_non_null(e);
		assert_int_equal(e->kind, DIR_NATIONAL);
		assert_string_equal(e->pref, "");
		assert_int_equal(e->node, i == 0);	/* only mic runs one */
		assert_non_null(e->contact.email);
	}
	assert_string_equal(directory_get(dir, "npa")->name, "警察庁");
	assert_string_equal(directory_get(dir, "j-lis")->name,
	    "地方公共団体情報システム機構");
	assert_int_equal(directory_get(dir, "452017")->node, 1);
}

/* "@police" is the sender's prefectural police; no other group holds it. */
static void
test_police_group(void **state)
{
	char **out, err[256];
	size_t n, i;

	(void)state;
	expect("452017", "@police", "police-45");
	expect("131083", "@police", "police-13");
	/* the prefecture itself: @prefecture is the sender, dropped */
	expect("450006", "@police,@prefecture", "police-45");
	expect("452017", "@prefecture,@police,npa,nisc",
	    "450006 nisc npa police-45");
	expect("452017", "j-lis,ipa,jpcert", "ipa j-lis jpcert");
	expect_error("mic", "@police", "@police: mic belongs to no prefecture");
	/* not in @region (the local governments), nor in @all */
	assert_int_equal(directory_expand(dir, "452017", "@region", &out, &n,
	    err, sizeof(err)), 0);
	for (i = 0; i < n; i++)
		assert_string_not_equal(out[i], "police-45");
	directory_list_free(out, n);
	assert_int_equal(directory_expand(dir, "mic", "@all", &out, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 1741 + 47);
	for (i = 0; i < n; i++)
		assert_int_not_equal(strncmp(out[i], "police-", 7), 0);
	directory_list_free(out, n);
}

static void
test_wards_fold_into_their_city(void **state)
{
	(void)state;
	assert_int_equal(directory_get(dir, "011002")->kind,
	    DIR_DESIGNATED_CITY);
	assert_null(directory_get(dir, "011011"));	/* 札幌市 中央区 */
	/* Hamamatsu: the city, neither its old wards nor its 2024 wards */
	assert_int_equal(directory_get(dir, "221309")->kind,
	    DIR_DESIGNATED_CITY);
	assert_null(directory_get(dir, "221317"));	/* 中区 (before 2024) */
	assert_null(directory_get(dir, "221384"));	/* 中央区 (2024) */
	assert_null(directory_get(dir, "221406"));	/* 天竜区 (2024) */
}

static void
test_neighbours_on_real_data(void **state)
{
	(void)state;
	expect("131083", "@neighbours",
	    "131024 131032 131075 131091 131113 131237");
	expect("452017", "@neighbours",
	    "452025 452041 452050 452084 453412 453820 453838 454028");
	expect("254258", "@neighbours",
	    "252026 252131 254410 254428 254436");
}

static void
test_groups(void **state)
{
	char **out, err[256];
	size_t n, i;

	(void)state;
	expect("452017", "@prefecture", "450006");
	expect("131083", "@prefecture", "130001");
	expect("452017", "@ministry", "mic");
	expect("452017", " @prefecture , 131083 ,@ministry ",
	    "131083 450006 mic");
	/* duplicates fold, the sender drops out */
	expect("452017", "452025,@neighbours,452017,452025",
	    "452025 452041 452050 452084 453412 453820 453838 454028");
	/* the region: the prefecture and all 26 municipalities but the sender */
	assert_int_equal(directory_expand(dir, "452017", "@region", &out, &n,
	    err, sizeof(err)), 0);
	assert_int_equal(n, 26);
	for (i = 0; i < n; i++) {
		assert_memory_equal(out[i], "45", 2);
		assert_string_not_equal(out[i], "452017");
	}
	directory_list_free(out, n);
}

/* The national alerts: the 47 prefectures; all 1,788 local governments. */
static void
test_national_groups_on_real_data(void **state)
{
	char **out, err[256];
	size_t n, i;

	(void)state;
	assert_int_equal(directory_expand(dir, "mic", "@prefectures", &out,
	    &n, err, sizeof(err)), 0);
	assert_int_equal(n, 47);
	assert_string_equal(out[0], "010006");		/* 北海道 */
	assert_string_equal(out[46], "470007");		/* 沖縄県 */
	directory_list_free(out, n);
	assert_int_equal(directory_expand(dir, "mic", "@all", &out, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 1741 + 47);
	for (i = 0; i < n; i++) {
		assert_string_not_equal(out[i], "mic");
		assert_string_not_equal(out[i], "nisc");
	}
	directory_list_free(out, n);
	/* from a municipality: everyone but itself */
	assert_int_equal(directory_expand(dir, "452017", "@all,@ministry",
	    &out, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1741 + 47 - 1 + 1);
	directory_list_free(out, n);
}

static void
test_expand_errors_name_the_item(void **state)
{
	(void)state;
	expect_error("452017", "@prefecture,999999", "999999");
	expect_error("452017", "459992", "unknown entity 459992");
	expect_error("452017", "@friends", "unknown group @friends");
	expect_error("452017", "police-99", "unknown entity police-99");
	expect_error("452017", "", "empty");
	expect_error("452017", "452017", "no recipient");
	expect_error("mic", "@prefecture", "no prefecture");
	expect_error("999999", "@ministry", "999999");
}

/*
 * The contacts CSV's optional column node: yes makes a body run a node
 * (its reports are delivered, not mailed), no a local government not;
 * anything else is refused with file:line.
 */
static void
test_contacts_node_column(void **state)
{
	const char *data = getenv("KAIRAN_DATA");
	char codes[1024], adj[1024], csv[128], out[128], err[1024];
	struct directory *d;
	FILE *fp;

	(void)state;
	if (data == NULL)
		data = "../shared/data";
	snprintf(codes, sizeof(codes), "%s/codes", data);
	snprintf(adj, sizeof(adj), "%s/adjacency", data);
	snprintf(csv, sizeof(csv), "%s/contacts.csv", tmpdir);
	snprintf(out, sizeof(out), "%s/d2.json", tmpdir);
	assert_non_null(fp = fopen(csv, "w"));
	fputs("id,name,email,node\npolice-45,県警,p@example.jp,yes\n"
	    "452017,市,,no\nnpa,庁,n@example.jp,\n", fp);
	fclose(fp);
	assert_int_equal(directory_import(codes, adj, csv, out, err,
	    sizeof(err)), 0);
	assert_non_null(d = directory_load(out, err, sizeof(err)));
	assert_int_equal(directory_get(d, "police-45")->node, 1);
	assert_int_equal(directory_get(d, "police-46")->node, 0);
	assert_int_equal(directory_get(d, "452017")->node, 0);
	assert_int_equal(directory_get(d, "npa")->node, 0);
	assert_int_equal(directory_get(d, "mic")->node, 1);
	directory_free(d);
	assert_non_null(fp = fopen(csv, "w"));
	fputs("id,name,node\npolice-45,県警,maybe\n", fp);
	fclose(fp);
	assert_int_equal(directory_import(codes, adj, csv, out, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "contacts.csv:2: node: expected yes or "
	    "no, got \"maybe\""));
}

/* Writes text to a file and expects directory_load to name needle. */
static void
refused(const char *text, const char *needle)
{
	char path[128], err[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/bad.json", tmpdir);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
	assert_null(directory_load(path, err, sizeof(err)));
	if (strstr(err, needle) == NULL)
		fail_msg("error \"%s\" does not name \"%s\"", err, needle);
}

#define HEAD "{\"format\":\"kairan-directory\",\"version\":1,\"entities\":["
#define MIYAZAKI "{\"id\":\"452017\",\"kind\":\"city\",\"name\":\"宮崎市\"}"

static void
test_malformed_directories(void **state)
{
	(void)state;
	refused(HEAD "{\"id\":\"452018\",\"kind\":\"city\",\"name\":\"x\"}]}",
	    "entities[0].id");
	refused(HEAD MIYAZAKI "," MIYAZAKI "]}", "duplicate id 452017");
	refused(HEAD MIYAZAKI "],\"adjacency\":[[\"452017\",\"452025\"]]}",
	    "adjacency[0]: unknown entity 452025");
	refused(HEAD "{\"id\":\"452017\",\"kind\":\"castle\",\"name\":\"x\"}]}",
	    "entities[0].kind");
	refused(HEAD "{\"id\":\"452017\",\"kind\":\"city\",\"pref\":\"13\","
	    "\"name\":\"x\"}]}", "entities[0].pref");
	refused(HEAD "{\"id\":\"452017\",\"kind\":\"city\"}]}",
	    "entities[0].name: missing");
	refused(HEAD "{\"id\":\"452017\",\"kind\":\"city\",\"name\":\"x\","
	    "\"node\":\"no\"}]}", "entities[0].node: expected true or false");
	refused(HEAD "{\"id\":\"police-45\",\"kind\":\"national\","
	    "\"name\":\"x\"}]}", "entities[0].kind: police-45 is a "
	    "prefecture's police");
	refused(HEAD "{\"id\":\"npa\",\"kind\":\"police\",\"name\":\"x\"}]}",
	    "entities[0].kind: npa is not police-PP");
	refused(HEAD "{\"id\":\"police-45\",\"kind\":\"police\","
	    "\"pref\":\"46\",\"name\":\"x\"}]}", "entities[0].pref");
	refused(HEAD "{\"id\":\"police-99\",\"kind\":\"police\","
	    "\"name\":\"x\"}]}", "entities[0].id: \"police-99\": a police id");
	refused("{\"format\":\"kairan-directory\",\"version\":2,"
	    "\"entities\":[]}", "version");
	refused("{\"format\":", "bad.json:1:");
}

/* A file that cannot be opened: the path and the system's reason. */
static void
test_open_errors(void **state)
{
	char err[512], want[600];

	(void)state;
	assert_null(directory_load("/nonexistent/directory.json", err,
	    sizeof(err)));
	assert_string_equal(err, "cannot open /nonexistent/directory.json: No "
	    "such file or directory");
	assert_null(directory_load(tmpdir, err, sizeof(err)));
	snprintf(want, sizeof(want), "cannot open %s: Is a directory",
	    tmpdir);
	assert_string_equal(err, want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_and_kinds),
		cmocka_unit_test(test_bodies),
		cmocka_unit_test(test_police_group),
		cmocka_unit_test(test_contacts_node_column),
		cmocka_unit_test(test_wards_fold_into_their_city),
		cmocka_unit_test(test_neighbours_on_real_data),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_national_groups_on_real_data),
		cmocka_unit_test(test_expand_errors_name_the_item),
		cmocka_unit_test(test_malformed_directories),
		cmocka_unit_test(test_open_errors),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
