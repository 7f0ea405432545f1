/*
 * Unit tests of the mail route's mail (mailroute_text): RFC 5322 headers
 * with the subject in RFC 2047, a multipart/mixed body of two parts — the
 * text in base64 UTF-8 with the 報告様式 of form_build/form_render (CRLF
 * line ends), and the envelope bytes attached unchanged as ID.kairan —
 * and the addresses it accepts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "kairan/directory.h"
#include "kairan/deadline.h"
#include "kairan/form.h"
#include "kairan/message.h"

#include "kairan/mailconf.h"
#include "mailroute.h"

#define HEX "ab000000000000000000000000000000"

static Message m;
static IncidentReport r;

/* The base64 lines from p up to the next "--" line, decoded; malloc'd. */
static uint8_t *
part_bytes(const char *p, size_t *len)
{
	const char *end = strstr(p, "\r\n--");
	char *b64 = malloc((size_t)(end - p) + 1);
	uint8_t *out;
	size_t n = 0, k;
	int d;

	assert_non_null(end);
	assert_non_null(b64);
	for (; p < end; p++)
		if (*p != '\r' && *p != '\n')
			b64[n++] = *p;
	b64[n] = '\0';
	out = malloc(n + 1);
	assert_non_null(out);
	d = EVP_DecodeBlock(out, (unsigned char *)b64, (int)n);
	assert_true(d >= 0);
	k = (size_t)d;
	while (n > 0 && b64[n - 1] == '=') {	/* DecodeBlock keeps the pad */
		n--;
		k--;
	}
	out[k] = '\0';
	free(b64);
	*len = k;
	return out;
}

static void
report(int status)
{
	static uint8_t id[16] = { 0xab }, inc[16] = { 0xcd };
	static char *rcpt[] = { "police-45" };
	static Kairan__V1__Contact ct;

	kairan__v1__message__init(&m);
	kairan__v1__incident_report__init(&r);
	kairan__v1__contact__init(&ct);
	m.id.data = id;
	m.id.len = 16;
	m.sender = "452017";
	m.recipients = rcpt;
	m.n_recipients = 1;
	m.created_at_ms = 1764633600000;	/* 2025-12-02 09:00 JST */
	m.status = status;
	m.body_case = KAIRAN__V1__MESSAGE__BODY_REPORT;
	m.report = &r;
	r.incident_id.data = inc;
	r.incident_id.len = 16;
	r.report_no = 1;
	r.phase = KAIRAN__V1__INCIDENT_REPORT__PHASE__INITIAL;
	r.category = KAIRAN__V1__INCIDENT_REPORT__CATEGORY__CYBER_ATTACK;
	r.level = 3;
	r.title = "職員端末のマルウェア感染";
	r.summary = "標的型攻撃メールの添付ファイルを開封した。";
	ct.name = "情報政策課 日向";
	ct.phone = "0985-00-0002";
	r.contact = &ct;
}

static char *
text_ctx(const uint8_t *env, size_t envlen, const struct form_context *ctx)
{
	static struct dir_entity police;
	struct mailroute_mail a;

	memset(&police, 0, sizeof(police));
	snprintf(police.id, sizeof(police.id), "police-45");
	police.name = "宮崎県警察";
	police.contact.name = "宮崎県警察 サイバー犯罪対策課";
	memset(&a, 0, sizeof(a));
	a.relay = "relay-45";
	a.from = "kairan@relay-45.example.jp";
	a.to = "cyber@police.miyazaki.example.jp";
	a.m = &m;
	a.env = env;
	a.envlen = envlen;
	a.recipient = &police;
	a.ctx = ctx;
	a.now_ms = 1764633600000;
	return mailroute_text(&a);
}

static char *
text(const uint8_t *env, size_t envlen)
{
	return text_ctx(env, envlen, NULL);
}

/* The form as `show --form` prints it (with ctx), with CRLF line ends. */
static char *
form_crlf_ctx(const struct form_context *ctx)
{
	char *t = NULL, *out;
	size_t len = 0, i, o = 0;
	FILE *fp = open_memstream(&t, &len);

	assert_non_null(fp);
	assert_int_equal(form_print(fp, &m, NULL, ctx), 0);
	fclose(fp);
	out = malloc(2 * len + 1);
	assert_non_null(out);
	for (i = 0; i < len; i++) {
		if (t[i] == '\n')
			out[o++] = '\r';
		out[o++] = t[i];
	}
	out[o] = '\0';
	free(t);
	return out;
}

static char *
form_crlf(void)
{
	return form_crlf_ctx(NULL);
}

static void
test_headers_and_parts(void **state)
{
	/* bytes of every value, a NUL and CR LF among them */
	static const uint8_t env[] = { 0x0a, 0x00, 0x0d, 0x0a, 0xff, 0x2d,
	    0x2d, 0x80, 0x01, 0x02, 0x03 };
	char *t, *p, *form;
	uint8_t *body, *att;
	size_t n, alen;

	(void)state;
	report(KAIRAN__V1__STATUS__ACTUAL);
	assert_non_null(t = text(env, sizeof(env)));
	assert_non_null(strstr(t, "Date: Tue, 02 Dec 2025 09:00:00 +0900\r\n"));
	assert_non_null(strstr(t, "From: kairan relay-45 "
	    "<kairan@relay-45.example.jp>\r\n"));
	assert_non_null(strstr(t, "To: <cyber@police.miyazaki.example.jp>\r\n"));
	assert_non_null(strstr(t, "Message-ID: <" HEX
	    ".police-45@relay-45.kairan.invalid>\r\n"));
	assert_non_null(strstr(t, "Subject: =?UTF-8?B?"));
	assert_non_null(strstr(t, "Content-Type: multipart/mixed; "
	    "boundary=\"kairan-" HEX "\"\r\n"));
	assert_non_null(strstr(t, "X-Kairan-Report: " HEX "\r\n"));
	/* no bare LF anywhere: every line ends in CRLF */
	for (p = t; (p = strchr(p, '\n')) != NULL; p++)
		assert_true(p > t && p[-1] == '\r');
	/* part 1: the text */
	p = strstr(t, "--kairan-" HEX "\r\nContent-Type: text/plain; "
	    "charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n");
	assert_non_null(p);
	body = part_bytes(strstr(p, "\r\n\r\n") + 4, &n);
	assert_non_null(strstr((char *)body, "宮崎県警察 サイバー犯罪対策課 御中\r\n"));
	assert_non_null(strstr((char *)body, "kairan-node verify " HEX
	    ".kairan"));
	assert_non_null(strstr((char *)body, "受理確認（署名）にはなりません"));
	assert_non_null(strstr((char *)body, "（0985-00-0002）"));
	/* the whole 報告様式, as show --form prints it */
	form = form_crlf();
	assert_non_null(strstr((char *)body, form));
	assert_non_null(strstr((char *)body,
	    "情報セキュリティインシデント事案の発生について報告（第1報）"));
	assert_null(strstr((char *)body, "【訓練】"));
	/* part 2: the envelope, byte for byte */
	p = strstr(t, "--kairan-" HEX "\r\nContent-Type: application/"
	    "octet-stream; name=\"" HEX ".kairan\"\r\nContent-Disposition: "
	    "attachment; filename=\"" HEX ".kairan\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n");
	assert_non_null(p);
	att = part_bytes(strstr(p, "\r\n\r\n") + 4, &alen);
	assert_int_equal(alen, sizeof(env));
	assert_memory_equal(att, env, sizeof(env));
	/* and the closing boundary */
	n = strlen(t);
	assert_string_equal(t + n - strlen("--kairan-" HEX "--\r\n"),
	    "--kairan-" HEX "--\r\n");
	free(form);
	free(body);
	free(att);
	free(t);
}

/*
 * A 標的型攻撃 第1報 with the context its caller computed: the mail's form
 * is show --form's with the proxy-log deadline line (discovered_at + 6 h);
 * without a context, no such line.
 */
static void
test_proxy_log_context(void **state)
{
	static const uint8_t env[] = { 0x0a, 0x00 };
	static char *sub[] = { "標的型攻撃" };
	struct form_context ctx;
	char note[DEADLINE_NOTE_LEN], *t, *form;
	uint8_t *body;
	size_t n;

	(void)state;
	report(KAIRAN__V1__STATUS__ACTUAL);
	r.subtypes = sub;
	r.n_subtypes = 1;
	r.discovered_at_ms = 1764633600000 - 3600000;	/* 08:00 JST */
	deadline_form_context(&m, NULL, note, sizeof(note), &ctx);
	assert_non_null(t = text_ctx(env, sizeof(env), &ctx));
	body = part_bytes(strstr(strstr(t, "Content-Type: text/plain"),
	    "\r\n\r\n") + 4, &n);
	form = form_crlf_ctx(&ctx);
	assert_non_null(strstr((char *)body, form));
	assert_non_null(strstr((char *)body, "プロキシログ確認期限: "
	    "2025年12月02日 14時00分（事案発覚後6時間以内）\r\n"));
	free(form);
	free(body);
	free(t);
	/* no context: the form lacks the line */
	assert_non_null(t = text(env, sizeof(env)));
	body = part_bytes(strstr(strstr(t, "Content-Type: text/plain"),
	    "\r\n\r\n") + 4, &n);
	assert_null(strstr((char *)body, "プロキシログ確認期限"));
	free(body);
	free(t);
}

static void
test_exercise_and_large_envelope(void **state)
{
	uint8_t *env, *att, *body;
	size_t i, alen, n;
	char *t, *p;

	(void)state;
	report(KAIRAN__V1__STATUS__EXERCISE);
	env = malloc(200000);
	assert_non_null(env);
	for (i = 0; i < 200000; i++)
		env[i] = (uint8_t)(i * 7);
	assert_non_null(t = text(env, 200000));
	p = strstr(t, "Content-Disposition: attachment");
	assert_non_null(p);
	att = part_bytes(strstr(p, "\r\n\r\n") + 4, &alen);
	assert_int_equal(alen, 200000);
	assert_memory_equal(att, env, 200000);
	/* base64 lines of at most 76 characters */
	for (p = strstr(p, "\r\n\r\n") + 4; *p != '-'; p = strchr(p, '\n') + 1)
		assert_true(strchr(p, '\r') - p <= 76);
	p = strstr(t, "text/plain");
	body = part_bytes(strstr(p, "\r\n\r\n") + 4, &n);
	assert_memory_equal(body, "【訓練】", strlen("【訓練】"));
	free(body);
	free(att);
	free(env);
	free(t);
	/* a receipt is never mailed */
	m.body_case = KAIRAN__V1__MESSAGE__BODY_RECEIPT;
	assert_null(text((const uint8_t *)"x", 1));
}

static void
test_addresses(void **state)
{
	(void)state;
	assert_true(mailconf_address_valid("cyber@police.miyazaki.example.jp"));
	assert_false(mailconf_address_valid(NULL));
	assert_false(mailconf_address_valid(""));
	assert_false(mailconf_address_valid("no-at"));
	assert_false(mailconf_address_valid("@example.jp"));
	assert_false(mailconf_address_valid("a@"));
	assert_false(mailconf_address_valid("a@b@c"));
	assert_false(mailconf_address_valid("a b@example.jp"));
	assert_false(mailconf_address_valid("a@example.jp>\r\nRCPT TO:<x@y"));
	assert_false(mailconf_address_valid("警察@example.jp"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers_and_parts),
		cmocka_unit_test(test_proxy_log_context),
		cmocka_unit_test(test_exercise_and_large_envelope),
		cmocka_unit_test(test_addresses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
