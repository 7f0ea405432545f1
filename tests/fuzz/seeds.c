/*
 * seeds: the seed messages of the fuzz harnesses (see seeds.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "seeds.h"

/* One message and everything it points to. */
struct seed {
	Message			 m;
	IncidentReport		 r;
	Receipt			 rc;
	Kairan__V1__Contact	 c;
	Kairan__V1__Attachment	 a[2], *ap[2];
	Kairan__V1__Author	 au;
	Kairan__V1__Detection	 de;
	Kairan__V1__Recovery	 rv;
	Kairan__V1__ExternalChannel ch[4];
	Kairan__V1__Publication	 pu;
	Advisory		 ad;
	char			*refs[3], *acts[2];
	char			*recips[8], *subs[3], *svcs[2], *syss[2];
	char			 sender[40];
	uint8_t			 id[16], iid[16], ref[16], dig[32];
	uint8_t			 data[2][16], sha[2][32];
};

static char S_R[][12] = { "450006", "mic", "452025", "131083", "131024",
    "nisc", "452017", "relay-45" };
static char S_SUB[][32] = { "標的型攻撃", "ウイルス感染", "不正アクセス" };
static char S_SVC[][32] = { "住民票の写しの交付", "税務システム" };
static char S_SYS[][32] = { "基幹系ネットワーク", "庁内LAN" };
static char S_TITLE[] = "職員端末のウイルス感染について（第1報）";
static char S_SUMMARY[] = "職員端末がマルウェアに感染した可能性。\n"
    "\tネットワークから切り離し済み。\n2. 影響範囲は調査中。";
static char S_LOCATION[] = "本庁舎3階 情報政策課";
static char S_CAUSE[] = "メール添付ファイルの開封";
static char S_DAMAGE[] = "個人情報の漏えいは確認されていない。";
static char S_RESPONSE[] = "端末の隔離、パスワードの変更。";
static char S_PREVENTION[] = "添付ファイルの無害化。";
static char S_EXTERNAL[] = "県警サイバー犯罪対策課へ相談済み。";
static char S_OTHER[] = "訓練";
static char S_CNAME[] = "情報政策課 宮崎 太郎", S_ORG[] = "宮崎市";
static char S_PHONE[] = "0985-25-2111", S_FAX[] = "0985-27-2222";
static char S_EMAIL[] = "csirt@example.lg.jp", S_HOURS[] = "平日 8:30-17:15";
static char S_ANAME[][24] = { "対応記録.txt", "ログ.csv" };
static char S_AMT[][16] = { "text/plain", "text/csv" };
/* 報告様式1 (issue 11) */
static char S_ROLE[] = "統括情報セキュリティ責任者（CSIRT責任者）";
static char S_AUTHOR[] = "宮崎 一郎", S_FINDER[] = "宮崎県警察";
static char S_DETAIL[] = "不審な通信の通報を受けた。\n\t発信元は調査中。";
static char S_SVCOV[] = "住民票の写しの交付（窓口・コンビニ交付）";
static char S_IMPACT[] = "コンビニ交付を停止。\n窓口は継続。";
static char S_SYSOV[] = "基幹系ネットワーク上の住民記録システム";
static char S_ACT[] = "外部からの標的型攻撃メール";
static char S_SCALE[] = "端末3台の再構築";
static char S_LEAKED[] = "職員の氏名・メールアドレス";
static char S_INITIAL[] = "対応方針の検討、証拠保全、封じ込め、根絶";
static char S_MEASURES[] = "端末の再構築", S_RSTATUS[] = "作業中";
static char S_OUTLOOK[] = "11月24日に復旧見込み";
static char S_CHNOTE[][40] = { "不要（漏えいなし）", "未定", "第1報を送付",
    "県警へ相談予定" };
static char S_APPROVER[] = "CISO 副市長";
static char S_BY[] = "宮崎 花子", S_NOTE[] = "受領しました。\n対応します。";
static char S_NOTSERVED[] = "not served by this relay";
/* 注意喚起・情報提供・要請 (issue 11) */
static char S_ATITLE[] = "VPN装置の脆弱性に関する注意喚起";
static char S_ASOURCE[] = "JPCERT/CC";
static char S_ASUMMARY[] = "脆弱性を悪用する攻撃を確認。\n\t早急に対策を。";
static char S_AREF[][64] = { "CVE-2024-21887",
    "https://www.jpcert.or.jp/at/2024/at240002.html", "CVE-2024-123" };
static char S_AACT[][64] = { "ファームウェアを更新する", "ログを確認する" };
static char S_DONE[] = "全装置を更新済み";
/* one step past a rule */
static char S_ESC[] = "\x1b[2J【訂正】本件は誤報です", S_RLO[] = "ab\xe2\x80\xae" "cd";
static char S_NL[] = "第1報\n（訂正）", S_C1[] = "x\xc2\x9b" "2J";
static char S_BADCODE[] = "452018", S_BADUTF8[] = "a\xc0\xaf";

static void
seed_init(struct seed *s, const char *sender)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	kairan__v1__message__init(&s->m);
	kairan__v1__incident_report__init(&s->r);
	kairan__v1__receipt__init(&s->rc);
	kairan__v1__contact__init(&s->c);
	memset(s->id, 7, sizeof(s->id));
	memset(s->iid, 9, sizeof(s->iid));
	snprintf(s->sender, sizeof(s->sender), "%s", sender);
	s->m.id.data = s->id;
	s->m.id.len = sizeof(s->id);
	s->m.sender = s->sender;
	s->m.recipients = s->recips;
	for (i = 0; i < 3; i++)		/* three recipients, none the sender */
		s->recips[s->m.n_recipients++] =
		    S_R[strcmp(S_R[i], sender) == 0 ? 3 : i];
	s->m.created_at_ms = 1700000000000LL;
	s->m.status = KAIRAN__V1__STATUS__EXERCISE;
	s->m.body_case = KAIRAN__V1__MESSAGE__BODY_REPORT;
	s->m.report = &s->r;
	s->r.incident_id.data = s->iid;
	s->r.incident_id.len = sizeof(s->iid);
	s->r.report_no = 1;
	s->r.phase = KAIRAN__V1__INCIDENT_REPORT__PHASE__INITIAL;
	s->r.category = KAIRAN__V1__INCIDENT_REPORT__CATEGORY__CYBER_ATTACK;
	s->r.level = 2;
	s->r.title = S_TITLE;
	s->r.summary = S_SUMMARY;
}

/* Every optional field of a report set. */
static void
seed_full(struct seed *s)
{
	size_t i;

	s->subs[0] = S_SUB[0];
	s->subs[1] = S_SUB[1];
	s->subs[2] = S_SUB[2];
	s->r.subtypes = s->subs;
	s->r.n_subtypes = 3;
	for (i = 0; i < 2; i++) {
		s->svcs[i] = S_SVC[i];
		s->syss[i] = S_SYS[i];
	}
	s->r.affected_services = s->svcs;
	s->r.n_affected_services = 2;
	s->r.affected_systems = s->syss;
	s->r.n_affected_systems = 2;
	s->r.occurred_at_ms = 1699990000000LL;
	s->r.discovered_at_ms = 1699995000000LL;
	s->r.location = S_LOCATION;
	s->r.cause = S_CAUSE;
	s->r.damage = S_DAMAGE;
	s->r.records_affected = 1200;
	s->r.is_incident = KAIRAN__V1__INCIDENT_REPORT__DETERMINATION__INCIDENT;
	s->r.response = S_RESPONSE;
	s->r.prevention = S_PREVENTION;
	s->r.external_response = S_EXTERNAL;
	s->r.other = S_OTHER;
	s->c.name = S_CNAME;
	s->c.organization = S_ORG;
	s->c.phone = S_PHONE;
	s->c.after_hours_phone = S_PHONE;
	s->c.fax = S_FAX;
	s->c.email = S_EMAIL;
	s->c.hours = S_HOURS;
	s->r.contact = &s->c;
	for (i = 0; i < 2; i++) {
		kairan__v1__attachment__init(&s->a[i]);
		memset(s->data[i], 'a' + (int)i, sizeof(s->data[i]));
		SHA256(s->data[i], sizeof(s->data[i]), s->sha[i]);
		s->a[i].name = S_ANAME[i];
		s->a[i].media_type = S_AMT[i];
		s->a[i].data.data = s->data[i];
		s->a[i].data.len = sizeof(s->data[i]);
		s->a[i].sha256.data = s->sha[i];
		s->a[i].sha256.len = sizeof(s->sha[i]);
		s->ap[i] = &s->a[i];
	}
	s->r.attachments = s->ap;
	s->r.n_attachments = 2;
}

/* Every field of 報告様式1 added in issue 11 set, on top of seed_full. */
static void
seed_form(struct seed *s)
{
	static const int state[] = {
		KAIRAN__V1__EXTERNAL_CHANNEL__STATE__NOT_NEEDED,
		KAIRAN__V1__EXTERNAL_CHANNEL__STATE__UNDECIDED,
		KAIRAN__V1__EXTERNAL_CHANNEL__STATE__DONE,
		KAIRAN__V1__EXTERNAL_CHANNEL__STATE__PLANNED,
	};
	size_t i;

	kairan__v1__author__init(&s->au);
	kairan__v1__detection__init(&s->de);
	kairan__v1__recovery__init(&s->rv);
	kairan__v1__publication__init(&s->pu);
	s->au.name = S_AUTHOR;
	s->au.role = S_ROLE;
	s->r.author = &s->au;
	s->de.method = KAIRAN__V1__DETECTION__METHOD__NOTIFIED;
	s->de.by = S_FINDER;
	s->de.detail = S_DETAIL;
	s->r.detection = &s->de;
	s->r.service_overview = S_SVCOV;
	s->r.service_impact = S_IMPACT;
	s->r.system_overview = S_SYSOV;
	s->r.suspected_act = S_ACT;
	s->r.damage_scale = S_SCALE;
	s->r.leaked_info = S_LEAKED;
	s->r.initial_response = S_INITIAL;
	s->rv.measures = S_MEASURES;
	s->rv.status = S_RSTATUS;
	s->rv.outlook = S_OUTLOOK;
	s->rv.cost_yen = 1650000;
	s->rv.cost_known = 1;
	s->r.recovery = &s->rv;
	for (i = 0; i < 4; i++) {
		kairan__v1__external_channel__init(&s->ch[i]);
		s->ch[i].state = state[i];
		s->ch[i].at_ms = i >= 2 ? 1700001000000LL : 0;
		s->ch[i].note = S_CHNOTE[i];
	}
	s->r.press_release = &s->ch[0];
	s->r.residents = &s->ch[1];
	s->r.government = &s->ch[2];
	s->r.agencies = &s->ch[3];
	s->pu.decision = KAIRAN__V1__PUBLICATION__DECISION__PUBLISH;
	s->pu.approved_by = S_APPROVER;
	s->r.publication = &s->pu;
}

static void
seed_receipt(struct seed *s, int state)
{
	memset(s->ref, 0x33, sizeof(s->ref));
	memset(s->dig, 0x44, sizeof(s->dig));
	s->m.body_case = KAIRAN__V1__MESSAGE__BODY_RECEIPT;
	s->m.receipt = &s->rc;
	s->m.n_recipients = 1;
	s->rc.ref_id.data = s->ref;
	s->rc.ref_id.len = sizeof(s->ref);
	s->rc.ref_digest.data = s->dig;
	s->rc.ref_digest.len = sizeof(s->dig);
	s->rc.state = state;
}

static void	seed_advisories(const char *, seed_fn, void *);

void
seed_messages(const char *sender, seed_fn fn, void *arg)
{
	static const char *phase[] = { NULL, "initial", "update", "closed",
	    "final" };
	static const char *category[] = { NULL, "outage", "attack", "theft",
	    "other" };
	static const char *status[] = { NULL, "actual", "exercise", "test" };
	struct seed s;
	char name[64];
	int i;

	seed_init(&s, sender);
	fn("report-minimal", &s.m, arg);
	seed_full(&s);
	fn("report-full", &s.m, arg);
	seed_form(&s);
	fn("report-form-full", &s.m, arg);
	for (i = 1; i <= 4; i++) {
		seed_init(&s, sender);
		s.r.phase = i;
		s.r.report_no = (uint32_t)i;
		snprintf(name, sizeof(name), "report-phase-%s", phase[i]);
		fn(name, &s.m, arg);
		s.r.category = i;
		s.r.phase = KAIRAN__V1__INCIDENT_REPORT__PHASE__INITIAL;
		s.r.report_no = 1;
		snprintf(name, sizeof(name), "report-category-%s", category[i]);
		fn(name, &s.m, arg);
		s.r.level = (uint32_t)(i - 1);
		snprintf(name, sizeof(name), "report-level-%d", i - 1);
		fn(name, &s.m, arg);
	}
	for (i = 1; i <= 3; i++) {
		seed_init(&s, sender);
		s.m.status = i;
		snprintf(name, sizeof(name), "report-status-%s", status[i]);
		fn(name, &s.m, arg);
	}
	seed_init(&s, sender);
	s.m.n_recipients = 0;
	for (i = 0; i < 8; i++)
		if (strcmp(S_R[i], sender) != 0)
			s.recips[s.m.n_recipients++] = S_R[i];
	fn("report-many-recipients", &s.m, arg);

	seed_init(&s, sender);
	seed_receipt(&s, KAIRAN__V1__RECEIPT__STATE__DELIVERED);
	fn("receipt-delivered", &s.m, arg);
	seed_receipt(&s, KAIRAN__V1__RECEIPT__STATE__ACKNOWLEDGED);
	s.rc.by = S_BY;
	s.rc.note = S_NOTE;
	fn("receipt-acknowledged", &s.m, arg);
	seed_init(&s, sender);
	seed_receipt(&s, KAIRAN__V1__RECEIPT__STATE__REJECTED);
	s.rc.note = S_NOTSERVED;
	s.rc.subject = S_R[1];
	fn("receipt-rejected-subject", &s.m, arg);
	s.rc.subject = s.sender;
	fn("receipt-rejected-self", &s.m, arg);
	seed_init(&s, sender);
	seed_receipt(&s, KAIRAN__V1__RECEIPT__STATE__QUEUED);
	s.rc.held = s.recips;
	s.rc.n_held = 2;
	fn("receipt-queued", &s.m, arg);
	{
		/* a batched QUEUED (Receipt.more): two further reports */
		Kairan__V1__HeldRef h[2], *hp[2];
		uint8_t ids[2][16];
		size_t i;

		for (i = 0; i < 2; i++) {
			kairan__v1__held_ref__init(&h[i]);
			memset(ids[i], 0x70 + (int)i, sizeof(ids[i]));
			h[i].ref_id.data = ids[i];
			h[i].ref_id.len = sizeof(ids[i]);
			h[i].ref_digest.data = s.dig;
			h[i].ref_digest.len = sizeof(s.dig);
			h[i].held = s.recips;
			h[i].n_held = i + 1;
			hp[i] = &h[i];
		}
		s.rc.more = hp;
		s.rc.n_more = 2;
		fn("receipt-queued-batch", &s.m, arg);
		memcpy(ids[1], ids[0], sizeof(ids[1]));
		fn("bad-receipt-queued-batch-twice", &s.m, arg);
		s.rc.more = NULL;
		s.rc.n_more = 0;
	}

	/* one step past a rule: refused, but next to what is accepted */
	seed_init(&s, sender);
	s.r.title = S_ESC;
	fn("bad-title-escape", &s.m, arg);
	s.r.title = S_NL;
	fn("bad-title-newline", &s.m, arg);
	s.r.title = S_TITLE;
	s.r.summary = S_RLO;
	fn("bad-summary-bidi", &s.m, arg);
	s.r.summary = S_C1;
	fn("bad-summary-c1", &s.m, arg);
	s.r.summary = S_BADUTF8;
	fn("bad-summary-utf8", &s.m, arg);
	seed_init(&s, sender);
	s.recips[1] = S_BADCODE;
	fn("bad-recipient-checkdigit", &s.m, arg);
	s.recips[1] = s.recips[0];
	fn("bad-recipient-duplicate", &s.m, arg);
	seed_init(&s, sender);
	s.r.level = 4;
	fn("bad-level", &s.m, arg);
	seed_init(&s, sender);
	s.r.report_no = 0;
	fn("bad-report-no", &s.m, arg);
	seed_init(&s, sender);
	seed_full(&s);
	s.sha[1][0] ^= 1;
	fn("bad-attachment-sha", &s.m, arg);
	seed_init(&s, sender);
	seed_full(&s);
	seed_form(&s);
	s.ch[1].state = 4;
	fn("bad-channel-state", &s.m, arg);
	s.ch[1].state = KAIRAN__V1__EXTERNAL_CHANNEL__STATE__UNDECIDED;
	s.rv.cost_known = 0;
	fn("bad-cost-without-known", &s.m, arg);
	s.rv.cost_known = 1;
	s.au.role = S_NL;
	fn("bad-author-role-newline", &s.m, arg);
	s.au.role = S_ROLE;
	s.r.leaked_info = S_RLO;
	fn("bad-leaked-info-bidi", &s.m, arg);
	seed_init(&s, sender);
	s.m.body_case = KAIRAN__V1__MESSAGE__BODY__NOT_SET;
	fn("bad-no-body", &s.m, arg);
	seed_init(&s, sender);
	seed_receipt(&s, KAIRAN__V1__RECEIPT__STATE__ACKNOWLEDGED);
	fn("bad-receipt-no-by", &s.m, arg);
	seed_advisories(sender, fn, arg);
}

/* s becomes an advisory (注意喚起) with every field set. */
static void
seed_advisory(struct seed *s)
{
	kairan__v1__advisory__init(&s->ad);
	s->m.body_case = KAIRAN__V1__MESSAGE__BODY_ADVISORY;
	s->m.advisory = &s->ad;
	s->ad.kind = KAIRAN__V1__ADVISORY__KIND__ADVISORY;
	s->ad.title = S_ATITLE;
	s->ad.source = S_ASOURCE;
	s->ad.summary = S_ASUMMARY;
	s->refs[0] = S_AREF[0];
	s->refs[1] = S_AREF[1];
	s->ad.references = s->refs;
	s->ad.n_references = 2;
	s->acts[0] = S_AACT[0];
	s->acts[1] = S_AACT[1];
	s->ad.actions = s->acts;
	s->ad.n_actions = 2;
	s->ad.severity = KAIRAN__V1__ADVISORY__SEVERITY__HIGH;
	s->c.name = S_CNAME;
	s->c.phone = S_PHONE;
	s->ad.contact = &s->c;
}

/* The advisories: every kind, DONE, and one step past each rule. */
static void
seed_advisories(const char *sender, seed_fn fn, void *arg)
{
	struct seed s;

	seed_init(&s, sender);
	seed_advisory(&s);
	fn("advisory-full", &s.m, arg);
	s.ad.kind = KAIRAN__V1__ADVISORY__KIND__INFORMATION;
	s.ad.n_references = 0;
	s.ad.n_actions = 0;
	s.ad.contact = NULL;
	s.ad.severity = 0;
	fn("advisory-information-minimal", &s.m, arg);
	seed_init(&s, sender);
	seed_advisory(&s);
	s.ad.kind = KAIRAN__V1__ADVISORY__KIND__REQUEST;
	s.ad.due_at_ms = 1700100000000LL;
	fn("advisory-request", &s.m, arg);
	s.ad.due_at_ms = 0;
	fn("bad-advisory-request-no-due", &s.m, arg);
	seed_init(&s, sender);
	seed_advisory(&s);
	s.refs[1] = S_AREF[2];
	fn("bad-advisory-cve", &s.m, arg);
	s.refs[1] = S_NL;
	fn("bad-advisory-reference", &s.m, arg);
	s.refs[1] = S_AREF[1];
	s.ad.title = S_ESC;
	fn("bad-advisory-title-escape", &s.m, arg);
	s.ad.title = S_ATITLE;
	s.ad.kind = 4;
	fn("bad-advisory-kind", &s.m, arg);
	seed_init(&s, sender);
	seed_receipt(&s, KAIRAN__V1__RECEIPT__STATE__DONE);
	s.rc.by = S_BY;
	s.rc.note = S_DONE;
	fn("receipt-done", &s.m, arg);
	s.rc.note = NULL;
	fn("bad-receipt-done-no-note", &s.m, arg);
}

int
seed_write(const char *dir, const char *name, const uint8_t *buf, size_t len)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "wb")) == NULL) {
		fprintf(stderr, "seed: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fwrite(buf, 1, len, fp) != len) {
		fclose(fp);
		fprintf(stderr, "seed: %s: cannot write\n", path);
		return -1;
	}
	if (fclose(fp) != 0) {
		fprintf(stderr, "seed: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}
