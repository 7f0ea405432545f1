"""Scenario 72: the deadlines the seeds set (node/README.md "Deadlines").

A 第1報 of a targeted attack (標的型攻撃) carries the deadline for checking
the proxy logs, six hours after discovery (003 「事案発覚後6時間以内」),
shown to the sender (status, sent) and to the recipient (show, show
--form, --json); the next report says when the logs were checked
(proxy_logs_checked_at) and both sides see 期限内 or 期限超過 against the
第1報's deadline, 未確認 when it does not say. After 収束宣言 the sender is
reminded that the final report (最終報告) is due 30 days later (001
「1か月を目途」); a 収束宣言 dated 31 days ago (its outbox time planted in
the database: the deadline is computed from the stored time whenever it
is shown) is overdue, and a 最終報告 clears it. The relay's console shows
the same proxy-log lines in the report's 報告様式 (GET
/api/reports/ID/form) as `show --form` on the recipient's node."""
import datetime
import json
import sqlite3

import consolehelp as ch
from harness import proxy_lines
from nodeharness import Node, fed  # noqa: F401 (fixture)

JST = datetime.timezone(datetime.timedelta(hours=9))
DAY_MS = 24 * 3600 * 1000


def report(tmp_path, name, **fields):
    r = {"title": "標的型攻撃メールによるマルウェア感染",
         "category": "cyber_attack", "subtypes": ["標的型攻撃", "ウイルス"],
         "level": 3, "summary": "端末1台がマルウェアに感染した。"}
    r.update(fields)
    p = tmp_path / name
    p.write_text(json.dumps(r, ensure_ascii=False), encoding="utf-8")
    return p


def rfc3339(ms):
    return datetime.datetime.fromtimestamp(ms // 1000, JST).isoformat()


def test_proxy_log_deadline_both_sides(fed, tmp_path):
    relay = fed.relay()
    s = fed.node("452017", {"pref": relay})
    r = fed.node("452025", {"pref": relay})
    first = report(tmp_path, "r1.json",
                   discovered_at="2026-11-22T09:00:00+09:00")
    due = "2026-11-22T15:00:00+09:00"

    inc, m1 = s.send(first, "452025")
    # the sender: status and sent, text and JSON
    st = s.status(m1)
    assert st["proxy_logs"]["due_at"] == due, st
    assert st["proxy_logs"]["state"] == "unchecked"
    assert st["proxy_logs"]["base"] == "discovered_at"
    assert st["final_report"] is None
    text = s.run("status", m1).stdout
    assert "プロキシログ確認: 未確認（期限 %s、発見日時から6時間以内）" % due \
        in text, text
    sent = s.sent()
    assert sent[0]["proxy_logs"]["due_at"] == due
    assert "  プロキシログ確認: 未確認（期限 %s" % due in s.run("sent").stdout

    # the recipient: show, show --form, --json
    r.wait_inbox(m1)
    shown = r.show(m1)
    assert shown["proxy_logs"]["due_at"] == due
    assert shown["proxy_logs"]["state"] == "unchecked"
    assert shown["report"]["proxy_logs_checked_at"] is None
    text = r.run("show", m1).stdout
    assert "プロキシログ確認期限: %s（発見日時から6時間以内、" \
        "「事案発覚後6時間以内」）" % due in text, text
    form = r.form(m1)
    assert "　　プロキシログ確認期限: 2026年11月22日 15時00分" \
        "（事案発覚後6時間以内）\n" in form, form

    # 第2報: checked exactly six hours after discovery is in time
    _, m2 = s.update(inc, report(tmp_path, "r2.json",
                     proxy_logs_checked_at="2026-11-22T15:00:00+09:00"))
    r.wait_inbox(m2)
    shown = r.show(m2)
    assert shown["report"]["proxy_logs_checked_at"] == due
    assert shown["proxy_logs"]["state"] == "met"
    assert shown["proxy_logs"]["label"] == "期限内"
    assert shown["proxy_logs"]["checked_in"] == 2
    for text in (r.run("show", m2).stdout, r.form(m2)):
        assert "プロキシログ確認: 期限内（期限 %s" % due in text, text
    assert "プロキシログ確認日時: 2026年11月22日 15時00分" in r.form(m2)
    assert "プロキシログ確認日時: %s" % due in r.run("show", m2).stdout
    assert s.status(m2)["proxy_logs"]["state"] == "met"
    # the 第1報 as shown still says what it knew: not yet checked
    assert r.show(m1)["proxy_logs"]["state"] == "unchecked"

    # another incident: one second late is 期限超過
    inc2, _ = s.send(first, "452025")
    _, m4 = s.update(inc2, report(tmp_path, "r3.json",
                     proxy_logs_checked_at="2026-11-22T15:00:01+09:00"))
    r.wait_inbox(m4)
    assert r.show(m4)["proxy_logs"]["state"] == "missed"
    assert "プロキシログ確認: 期限超過（期限 %s" % due in \
        r.run("show", m4).stdout
    assert "プロキシログ確認: 期限超過" in s.run("status", m4).stdout

    # a next report that does not say: 未確認 (and late by now)
    inc3, _ = s.send(first, "452025")
    _, m6 = s.update(inc3, report(tmp_path, "r4.json"))
    r.wait_inbox(m6)
    p = r.show(m6)["proxy_logs"]
    assert p["state"] == "unchecked" and p["late"] is True
    assert "プロキシログ確認: 未確認（期限 %s" % due in r.run("show", m6).stdout



def test_proxy_log_lines_in_the_console(fed, tmp_path):
    relay = fed.relay(start=False)
    ch.with_sections(relay, console=True)
    relay.start()
    ch.add_operator(relay, "tanaka", "correct horse battery staple")
    bearer = {"Authorization": "Bearer " + ch.issue_token(relay, "tanaka")}
    console = ch.Console(relay)
    s = fed.node("452017", {"pref": relay})
    r = fed.node("452025", {"pref": relay})
    first = report(tmp_path, "r1.json",
                   discovered_at="2026-11-22T09:00:00+09:00")
    inc, m1 = s.send(first, "452025")
    _, m2 = s.update(inc, report(tmp_path, "r2.json",
                     proxy_logs_checked_at="2026-11-22T15:00:01+09:00"))
    inc3, m3 = s.send(first, "452025")
    _, m4 = s.update(inc3, report(tmp_path, "r3.json"))
    want = {m1: "プロキシログ確認期限", m2: "期限超過", m4: "未確認"}
    for m, word in want.items():
        r.wait_inbox(m)
        node = proxy_lines(r.form(m))
        status, _, f = console.request("GET", f"/api/reports/{m}/form",
                                       headers=bearer, cookie=False)
        assert status == 200, f
        shown = [(x["label"], x["value"]) for x in f["lines"]
                 if x["label"].startswith("プロキシログ確認")]
        assert shown == node, (shown, node)
        assert any(word in label + value for label, value in shown), shown


def test_proxy_log_deadline_unknown_discovery(tmp_path, pki):
    s = Node(tmp_path, pki, "452017", {"pref": "wss://127.0.0.1:9/"})
    inc, m1 = s.send(report(tmp_path, "r1.json"), "450006")
    created = s.query("SELECT created_ms FROM outbox WHERE id = ?",
                      (bytes.fromhex(m1),))[0][0]
    p = s.status(m1)["proxy_logs"]
    assert p["base"] == "report"
    assert p["due_at"] == rfc3339(created + 6 * 3600 * 1000), p
    assert "第1報の時刻から6時間以内" in s.run("status", m1).stdout
    # not a targeted attack: no deadline at all
    inc2, m2 = s.send(report(tmp_path, "r2.json", subtypes=["DDoS"]),
                      "450006")
    assert s.status(m2)["proxy_logs"] is None
    assert "プロキシログ" not in s.run("status", m2).stdout
    assert "プロキシログ" not in s.run("show", m2).stdout


def test_final_report_due_overdue_and_sent(tmp_path, pki):
    # no daemon: the deadlines come from the store alone
    s = Node(tmp_path, pki, "452017", {"pref": "wss://127.0.0.1:9/"})
    inc, _ = s.send(report(tmp_path, "r1.json", subtypes=["DDoS"]),
                    "450006")
    assert s.status(inc)["final_report"] is None
    _, c = s.close(inc)
    closed = s.query("SELECT created_ms FROM outbox WHERE id = ?",
                     (bytes.fromhex(c),))[0][0]
    due = rfc3339(closed + 30 * DAY_MS)
    f = s.status(inc)["final_report"]
    assert f["state"] == "due" and f["due_at"] == due, f
    assert f["closed_at"] == rfc3339(closed)
    line = "最終報告: due by %s (収束宣言 %s + 30日, 「1か月を目途」)" % (
        due, rfc3339(closed))
    assert line in s.run("status", inc).stdout
    assert "  " + line in s.run("sent").stdout
    assert s.sent()[0]["final_report"]["state"] == "due"

    # the 収束宣言 dated 31 days ago: overdue since its deadline
    db = sqlite3.connect(s.db, timeout=10)
    with db:
        db.execute("UPDATE outbox SET created_ms = created_ms - ? "
                   "WHERE id = ?", (31 * DAY_MS, bytes.fromhex(c)))
    db.close()
    old_due = rfc3339(closed - DAY_MS)
    f = s.status(inc)["final_report"]
    assert f["state"] == "overdue" and f["due_at"] == old_due, f
    text = s.run("status", inc).stdout
    assert "最終報告: OVERDUE since %s" % old_due in text, text
    assert "最終報告: OVERDUE since %s" % old_due in s.run("sent").stdout
    assert s.sent()[0]["final_report"]["state"] == "overdue"

    # the final report clears it
    _, fin = s.final(inc)
    f = s.status(inc)["final_report"]
    assert f["state"] == "done" and f["final_at"] is not None, f
    assert "OVERDUE" not in s.run("status", inc).stdout
    assert "OVERDUE" not in s.run("sent").stdout
    assert "最終報告: sent " in s.run("sent").stdout
    # status of the closing report itself says the same
    assert s.status(c)["final_report"]["state"] == "done"
