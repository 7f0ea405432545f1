"""Scenario 76: every report of ours mailed to the municipality's own
chain (node/mailout.h, node/INTERNAL-MAIL.md), against a real relay-45
and a local SMTP sink (smtpsink.py, python3-aiosmtpd).

The 一斉同報 also goes up to the CISO (003 「当該市区町村庁内(CISOまでの
連絡ルートの整備を含む)」), and at level 2 and 3 to the CSIRT責任者 and the
危機管理課 (000 第7条):

- a level-3 report reaches CISO, CSIRT責任者 and 危機管理課; a level-1
  report only the CISO; each mail carries the 報告様式 in Japanese and
  the signed envelope as ID.kairan, which `kairan-node verify` accepts
  (and refuses once one byte is changed); `status` (text, aligned by
  display width, and --json) and `sent` show each mail's outcome;
- a 550 for one addressee fails that mail with its code, the others go;
- an SMTP server down at first, up later: the mail goes after a retry;
- the node killed (SIGKILL) while a mail is pending (451: try later)
  sends it after its restart, once;
- an advisory of ours goes only to an addressee marked "advisories";
- deploy/node.conf.example's sections pass `-n`.
"""
import json
import unicodedata

import pytest

from harness import proxy_lines, wait_for
from nodeharness import Node, fed  # noqa: F401 (fixture)
from smtpsink import SmtpSink

CISO = "ciso@city.miyazaki.example.jp"
CSIRT = "csirt@city.miyazaki.example.jp"
KIKI = "kikikanri@city.miyazaki.example.jp"


def internal_conf(url):
    return ("\n[internal]\n"
            f"addressee = CISO <{CISO}> 0-3\n"
            f"addressee = CSIRT責任者 <{CSIRT}> 2-3\n"
            f"addressee = 危機管理課 <{KIKI}> 2-3\n"
            "retry = 300ms\nattempts = 20\n"
            f"[smtp]\nurl = {url}\nfrom = kairan@city.miyazaki.example.jp\n"
            "tls = none\ntimeout = 3s\n")


def mail_node(fed, relay, url, start=True):
    n = Node(fed.workdir, fed.pki, "452017", {"pref": relay})
    fed.nodes[n.id] = n
    with open(n.conf, "a") as f:
        f.write(internal_conf(url))
    p = n.run("-n", check=False)
    assert p.returncode == 0, p.stderr
    if start:
        n.start()
    return n


def report(tmp_path, level):
    r = {"title": "不正アクセスによる情報漏えいの疑い",
         "category": "cyber_attack", "subtypes": ["不正アクセス"],
         "level": level, "summary": "職員端末から不審な通信を検知した。"}
    p = tmp_path / f"r{level}.json"
    p.write_text(json.dumps(r, ensure_ascii=False), encoding="utf-8")
    return p


def mails(node, mid):
    return {m["address"]: m for m in node.status(mid)["internal_mail"]}


def wait_settled(node, mid, n):
    """Until n internal mails of mid are no longer pending."""
    def ok():
        v = mails(node, mid)
        return len(v) == n and all(m["state"] != "pending"
                                   for m in v.values()) and v
    return wait_for(ok, what=f"{n} internal mails of {mid} settled")


def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1
               for c in s)


@pytest.fixture()
def sink():
    s = SmtpSink().start()
    yield s
    s.stop()


def test_levels_form_and_attachment(fed, sink, tmp_path):
    relay = fed.relay()
    fed.node("452025", {"pref": relay})
    s = mail_node(fed, relay, sink.url)

    _, m3 = s.send(report(tmp_path, 3), "452025")
    v = wait_settled(s, m3, 3)
    assert {a: m["state"] for a, m in v.items()} == {
        CISO: "sent", CSIRT: "sent", KIKI: "sent"}, v
    assert v[CISO]["role"] == "CISO" and v[KIKI]["role"] == "危機管理課"
    assert v[CSIRT]["code"] == 250 and v[CSIRT]["attempts"] == 1
    assert v[CSIRT]["at"] is not None and v[CSIRT]["next_at"] is None
    for a in (CISO, CSIRT, KIKI):
        assert len(sink.to(a)) == 1, a

    # the mail: 報告様式 in Japanese, the envelope attached as ID.kairan
    mail = sink.to(CSIRT)[0]
    assert "【kairan 庁内】" in mail.subject and "第1報" in mail.subject
    assert "（レベル3）" in mail.subject, mail.subject
    assert mail.mail_from == "kairan@city.miyazaki.example.jp"
    assert "CSIRT責任者 様" in mail.body
    assert "情報セキュリティインシデント事案の発生について報告（第1報）" \
        in mail.body, mail.body
    assert f"kairan-node verify {m3}.kairan" in mail.body
    [(name, ctype, data)] = mail.attachments
    assert name == f"{m3}.kairan" and ctype == "application/octet-stream"
    f = tmp_path / name
    f.write_bytes(data)
    p = s.run("verify", f)
    assert f"verified {f}" in p.stdout, p.stdout
    bad = bytearray(data)
    bad[len(bad) // 2] ^= 1
    g = tmp_path / "changed.kairan"
    g.write_bytes(bytes(bad))
    s.run("verify", g, expect=1)

    # a level-1 report: only the CISO (levels 0-3)
    _, m1 = s.send(report(tmp_path, 1), "452025")
    v1 = wait_settled(s, m1, 1)
    assert list(v1) == [CISO] and v1[CISO]["state"] == "sent"
    assert len(sink.to(CISO)) == 2
    assert len(sink.to(CSIRT)) == 1 and len(sink.to(KIKI)) == 1
    assert "（レベル1）" in sink.to(CISO)[1].subject

    # status: one line per mail, the columns aligned by display width
    text = s.run("status", m3).stdout
    lines = [ln for ln in text.splitlines() if ln.startswith("internal ")]
    assert len(lines) == 3, text
    cols = {width(ln[:ln.index(" sent ")]) for ln in lines}
    assert len(cols) == 1, lines
    assert any("CSIRT責任者" in ln and f"<{CSIRT}>" in ln and
               "(250, attempt 1)" in ln for ln in lines), lines
    assert "internal mail sent 3/3" in text.splitlines()[-1], text
    # sent: the progress line of each, and the JSON objects
    out = s.run("sent").stdout
    assert "internal mail sent 3/3" in out and \
        "internal mail sent 1/1" in out, out
    js = {r["id"]: r for inc in s.sent() for r in inc["reports"]}
    assert js[m3]["internal_mail"] == {"total": 3, "sent": 3, "failed": 0}
    assert js[m1]["internal_mail"] == {"total": 1, "sent": 1, "failed": 0}


def test_refused_addressee_fails_with_its_code(fed, tmp_path):
    sink = SmtpSink(refuse=[KIKI]).start()
    try:
        relay = fed.relay()
        fed.node("452025", {"pref": relay})
        s = mail_node(fed, relay, sink.url)
        _, mid = s.send(report(tmp_path, 2), "452025")
        v = wait_settled(s, mid, 3)
        assert v[KIKI]["state"] == "failed", v
        assert v[KIKI]["code"] == 550 and v[KIKI]["attempts"] == 1
        assert v[CISO]["state"] == "sent" and v[CSIRT]["state"] == "sent"
        assert sink.to(KIKI) == []
        text = s.run("status", mid).stdout
        [line] = [ln for ln in text.splitlines() if KIKI in ln]
        assert "failed" in line and "(550, attempt 1)" in line, line
        assert "internal mail sent 2/3 (failed 1)" in text, text
        s.wait_log(r"mailout failed id=%s role=\"危機管理課\" .*code=550"
                   % mid)
    finally:
        sink.stop()


def test_server_down_then_up(fed, tmp_path):
    sink = SmtpSink()           # its port chosen, nothing listening yet
    try:
        relay = fed.relay()
        fed.node("452025", {"pref": relay})
        s = mail_node(fed, relay, sink.url)
        _, mid = s.send(report(tmp_path, 1), "452025")
        s.wait_log(r"mailout retry id=%s .*attempt=1 code=0" % mid)
        v = mails(s, mid)
        assert v[CISO]["state"] == "pending" and v[CISO]["code"] == 0
        assert v[CISO]["next_at"] is not None
        sink.start()
        v = wait_settled(s, mid, 1)
        assert v[CISO]["state"] == "sent", v
        assert v[CISO]["attempts"] >= 2 and v[CISO]["code"] == 250
        assert len(sink.to(CISO)) == 1
    finally:
        sink.stop()


def test_killed_with_a_mail_pending_sends_it_once(fed, sink, tmp_path):
    sink.defer[CISO] = 10 ** 6          # 451 until we say otherwise
    relay = fed.relay()
    fed.node("452025", {"pref": relay})
    s = mail_node(fed, relay, sink.url)
    _, mid = s.send(report(tmp_path, 1), "452025")
    s.wait_log(r"mailout retry id=%s .*code=451" % mid)
    s.kill()
    assert mails(s, mid)[CISO]["state"] == "pending"
    with sink.lock:
        sink.defer[CISO] = 0
    s.start()
    v = wait_settled(s, mid, 1)
    assert v[CISO]["state"] == "sent" and v[CISO]["code"] == 250, v
    s.wait_log(r"mailout sent id=%s" % mid)
    # once: the row is sent, nothing is left to send it again
    assert len(sink.to(CISO)) == 1
    assert s.query("SELECT COUNT(*) FROM internal_mail WHERE state = 0")[0][0] \
        == 0


def test_advisory_only_where_asked(fed, sink, tmp_path):
    relay = fed.relay()
    fed.node("452025", {"pref": relay})
    s = mail_node(fed, relay, sink.url, start=False)
    text = s.conf.read_text().replace(f"<{KIKI}> 2-3", f"<{KIKI}> 2-3 "
                                      "advisories")
    s.conf.write_text(text)
    s.start()
    adv = {"kind": "advisory", "title": "VPN装置の脆弱性に関する注意喚起",
           "source": "JPCERT/CC", "summary": "修正版へ更新してください。",
           "actions": ["ファームウェアを修正版へ更新する"]}
    f = tmp_path / "adv.json"
    f.write_text(json.dumps(adv, ensure_ascii=False), encoding="utf-8")
    mid = s.run("advise", "--file", f, "--to", "452025").stdout.split()[1]
    v = wait_settled(s, mid, 1)
    assert list(v) == [KIKI] and v[KIKI]["state"] == "sent", v
    [mail] = sink.to(KIKI)
    assert "【kairan 庁内】" in mail.subject and "注意喚起" in mail.subject
    assert "対策 1: ファームウェアを修正版へ更新する" in mail.body, mail.body
    [(name, _, data)] = mail.attachments
    g = tmp_path / name
    g.write_bytes(data)
    s.run("verify", g)
    assert sink.to(CISO) == [] and sink.to(CSIRT) == []


def test_example_sections_pass_check(fed, tmp_path):
    """deploy/node.conf.example's [internal] and [smtp], uncommented, pass
    `-n`; a mistake in them is named by file:line."""
    from harness import ROOT
    text = (ROOT / "deploy" / "node.conf.example").read_text()
    block = text[text.index(";[internal]"):]
    lines = [ln[1:] for ln in block.splitlines()
             if ln.startswith(";[") or (ln.startswith(";") and " = " in ln
                                        and not ln.startswith("; "))]
    assert any(ln.startswith("addressee = CISO") for ln in lines), lines
    lines = [ln for ln in lines if not ln.startswith(("user", "password"))]
    n = Node(fed.workdir, fed.pki, "452017", {"pref": "wss://127.0.0.1:9"})
    fed.nodes[n.id] = n
    base = n.conf.read_text()
    n.conf.write_text(base + "\n" + "\n".join(lines) + "\n")
    p = n.run("-n", check=False)
    assert p.returncode == 0, p.stderr
    # one bad level: the line and what was expected
    bad = [ln.replace(" 2-3", " 2-4", 1) if "CSIRT" in ln else ln
           for ln in lines]
    n.conf.write_text(base + "\n" + "\n".join(bad) + "\n")
    p = n.run("-n", check=False)
    line = base.count("\n") + 1 + next(i for i, ln in enumerate(bad)
                                       if "CSIRT" in ln) + 1
    assert p.returncode != 0
    assert f"{n.conf}:{line}: addressee: \"2-4\": expected levels 0..3" \
        in p.stderr, p.stderr



def test_targeted_attack_mail_has_the_proxy_log_lines(fed, sink, tmp_path):
    """A 標的型攻撃 第1報's mail carries the プロキシログ確認期限 line and
    the next report's mail the verdict (期限内), exactly the proxy-log
    lines `kairan-node show --form` prints for that report."""
    relay = fed.relay()
    fed.node("452025", {"pref": relay})
    s = mail_node(fed, relay, sink.url)
    r = {"title": "標的型攻撃メールによるマルウェア感染",
         "category": "cyber_attack", "subtypes": ["標的型攻撃", "ウイルス"],
         "level": 1, "summary": "端末1台がマルウェアに感染した。",
         "discovered_at": "2026-11-22T09:00:00+09:00"}
    first = tmp_path / "t1.json"
    first.write_text(json.dumps(r, ensure_ascii=False), encoding="utf-8")
    inc, m1 = s.send(first, "452025")
    wait_settled(s, m1, 1)
    [mail] = sink.to(CISO)
    lines = proxy_lines(mail.body)
    assert any(label == "プロキシログ確認期限" and
               value.startswith("2026年11月22日 15時00分")
               for label, value in lines), mail.body
    assert lines == proxy_lines(s.form(m1)), (lines, s.form(m1))

    r["proxy_logs_checked_at"] = "2026-11-22T15:00:00+09:00"
    second = tmp_path / "t2.json"
    second.write_text(json.dumps(r, ensure_ascii=False), encoding="utf-8")
    _, m2 = s.update(inc, second)
    wait_settled(s, m2, 1)
    mail2 = sink.to(CISO)[1]
    lines2 = proxy_lines(mail2.body)
    assert any(label == "プロキシログ確認" and value.startswith("期限内")
               for label, value in lines2), mail2.body
    assert lines2 == proxy_lines(s.form(m2)), (lines2, s.form(m2))
