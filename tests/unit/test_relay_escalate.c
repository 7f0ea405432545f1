/*
 * Unit tests of the escalation mail (escalate_mail_text): RFC 5322
 * headers, the subject as RFC 2047 words that are each at most 75
 * characters and never cut a UTF-8 character, a base64 UTF-8 body with the
 * report's essentials, and 訓練 for an exercise.
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
#include "kairan/message.h"

#include "escalate.h"

/* Decodes base64 s[0..n) (no line breaks) into out; its length. */
static size_t
unb64(const char *s, size_t n, char *out)
{
	int k = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)s,
	    (int)n);
	size_t len;

	assert_true(k >= 0);
	len = (size_t)k;
	while (n > 0 && s[n - 1] == '=') {	/* DecodeBlock keeps the pad */
		n--;
		len--;
	}
	out[len] = '\0';
	return len;
}

static char *
mail(int status, char *title)
{
	static uint8_t id[16] = { 0xab };
	static char *rcpt[] = { "450006" };
	static Message m;
	static IncidentReport r;
	static struct dir_entity sender, recipient;
	struct escalate_mail a;

	kairan__v1__message__init(&m);
	kairan__v1__incident_report__init(&r);
	m.id.data = id;
	m.id.len = 16;
	m.sender = "452017";
	m.recipients = rcpt;
	m.n_recipients = 1;
	m.created_at_ms = 1764633600000;	/* 2025-12-02 09:00 JST */
	m.status = status;
	m.body_case = KAIRAN__V1__MESSAGE__BODY_REPORT;
	m.report = &r;
	r.report_no = 2;
	r.phase = KAIRAN__V1__INCIDENT_REPORT__PHASE__UPDATE;
	r.category = KAIRAN__V1__INCIDENT_REPORT__CATEGORY__CYBER_ATTACK;
	r.level = 2;
	r.title = title;
	r.summary = "一行目\n二行目";
	snprintf(sender.id, sizeof(sender.id), "452017");
	sender.name = "宮崎市";
	snprintf(recipient.id, sizeof(recipient.id), "450006");
	recipient.name = "宮崎県";
	recipient.contact.name = "情報政策課 CSIRT";
	memset(&a, 0, sizeof(a));
	a.relay = "relay-45";
	a.from = "kairan@relay-45.example.jp";
	a.to = "csirt@pref.miyazaki.example.jp";
	a.m = &m;
	a.sender = &sender;
	a.recipient = &recipient;
	a.deadline_ms = m.created_at_ms + 3600000;
	a.now_ms = a.deadline_ms;
	a.k = 1;
	a.n = 3;
	return escalate_mail_text(&a);
}

/* The decoded subject; checks the shape of every encoded word. */
static void
subject(const char *text, char *out, size_t len)
{
	const char *p = strstr(text, "\r\nSubject: "), *end, *w, *q;
	size_t o = 0;

	assert_non_null(p);
	p += 11;
	end = strstr(p, "\r\nMIME-Version:");
	assert_non_null(end);
	for (w = p; w < end; ) {
		assert_memory_equal(w, "=?UTF-8?B?", 10);
		q = strstr(w + 10, "?=");
		assert_non_null(q);
		assert_true(q + 2 - w <= 75);
		o += unb64(w + 10, (size_t)(q - w - 10), out + o);
		/* each word is whole characters: valid UTF-8 on its own */
		assert_true(o < len);
		w = q + 2;
		if (w < end) {
			assert_memory_equal(w, "\r\n ", 3);	/* folded */
			w += 3;
		}
	}
	out[o] = '\0';
	assert_true(message_utf8_valid(out, o));
}

static void
body(const char *text, char *out)
{
	const char *p = strstr(text, "\r\n\r\n");
	size_t o = 0, n;

	assert_non_null(p);
	for (p += 4; *p != '\0'; p += n + 2) {
		n = strcspn(p, "\r");
		assert_true(n <= 76);
		o += unb64(p, n, out + o);
	}
	out[o] = '\0';
}

static void
test_headers_and_body(void **state)
{
	static char title[] =
	    "職員端末のマルウェア感染と外部への不審な通信（長い件名の折り返し）";
	char *t, s[1024], b[8192];

	(void)state;
	assert_non_null(t = mail(KAIRAN__V1__STATUS__ACTUAL, title));
	assert_non_null(strstr(t, "Content-Type: text/plain; charset=UTF-8\r\n"));
	assert_non_null(strstr(t, "Content-Transfer-Encoding: base64\r\n"));
	assert_non_null(strstr(t, "To: <csirt@pref.miyazaki.example.jp>\r\n"));
	assert_non_null(strstr(t, "Date: Tue, 02 Dec 2025 10:00:00 +0900\r\n"));
	subject(t, s, sizeof(s));
	assert_string_equal(s, "【受理確認のお願い】宮崎市 第2報「職員端末の"
	    "マルウェア感染と外部への不審な通信（長い件名の折り返し）」"
	    "（レベル2）");
	body(t, b);
	assert_non_null(strstr(b, "情報政策課 CSIRT 御中"));
	assert_non_null(strstr(b, "差出人: 宮崎市（452017）\r\n"));
	assert_non_null(strstr(b, "報告: 第2報\r\n"));
	assert_non_null(strstr(b, "区分: 実際\r\n"));
	assert_non_null(strstr(b, "送信日時: 2025年12月02日 09時00分\r\n"));
	assert_non_null(strstr(b, "受理確認の期限: 2025年12月02日 10時00分"));
	assert_non_null(strstr(b, "  一行目\r\n  二行目\r\n"));	/* CRLF */
	assert_non_null(strstr(b, "中継局: relay-45"));
	assert_null(strstr(b, "訓練"));
	free(t);
}

static void
test_exercise_marked(void **state)
{
	static char empty[] = "";
	char *t, s[1024], b[8192];

	(void)state;
	assert_non_null(t = mail(KAIRAN__V1__STATUS__EXERCISE, empty));
	subject(t, s, sizeof(s));
	assert_memory_equal(s, "【訓練】", strlen("【訓練】"));
	assert_non_null(strstr(s, "（件名なし）"));
	body(t, b);
	assert_memory_equal(b, "【訓練】", strlen("【訓練】"));	/* first */
	assert_non_null(strstr(b, "区分: 訓練"));
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers_and_body),
		cmocka_unit_test(test_exercise_marked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
