"""Scenario 74: every body the seeds name, end to end (issue 11).

The seeds report to the police besides the prefecture and the ministry
(000_5cd2ed35d83a42f9.txt 第2条; 002_11656a251d31ffcc.txt 「警察及び関係機関
との緊密な連携」), and the police run no kairan node: the directory says
so (police-45, "node": false). 宮崎市 (452017) sends a report to
`@police,450006` through a real relay-45 with [smtp] pointing at a local
SMTP sink (smtpsink.py):

- `@police` resolves to the sender's prefectural police, police-45;
- 宮崎県 (450006, a node) gets the report delivered; police-45 gets it by
  mail, once: the 報告様式 in Japanese in the body, the signed envelope
  attached as ID.kairan (001_497a7f08171ce70d.txt 「メールは24時間受付」);
- `kairan-node verify` accepts the attachment, and refuses it with the
  reason when one byte of it is changed;
- the sender's status, sent and --json show police-45 "mailed
  (unconfirmed)" (a MAILED receipt signed by relay-45), never
  acknowledged; after `kairan-node confirm` the phone confirmation shows
  as 「電話で確認: NAME, T」, apart from the signed receipts, and the
  recipient is still not acknowledged.
"""
import re
import subprocess

import pytest

import harness
from nodeharness import PREF, REPORT_1, SENDER, fed  # noqa: F401 (fixture)
from smtpsink import SmtpSink

POLICE = "police-45"
POLICE_MAIL = "cyber@police.miyazaki.example.jp"  # deploy/contacts-demo.csv


@pytest.fixture()
def sink():
    s = SmtpSink().start()
    yield s
    s.stop()


def mail_relay(fed, sink):
    r = fed.relay(start=False)
    with open(r.conf, "a") as f:
        f.write(f"[escalation]\nretry = 1s\n"
                f"[smtp]\nurl = {sink.url}\nfrom = kairan@relay-45.example.jp\n"
                "tls = none\ntimeout = 5s\n")
    p = r.run("-n")
    assert p.returncode == 0, p.stderr
    return r.start()


def police_row(st):
    return next(r for r in st["recipients"] if r["entity"] == POLICE)


def test_police_get_the_report_by_mail(fed, sink, tmp_path):  # noqa: F811
    relay = mail_relay(fed, sink)
    pref = fed.node(PREF, {"pref": relay})
    s = fed.node(SENDER, {"pref": relay})
    inc, mid = s.send(REPORT_1, "@police," + PREF)

    # @police is the sender's prefectural police
    st = s.json("status", mid)
    assert sorted(r["entity"] for r in st["recipients"]) == [PREF, POLICE]

    # the prefecture's node gets it; the police, which run none, by mail
    pref.wait_inbox(mid)
    harness.wait_for(lambda: sink.to(POLICE_MAIL), what="the police's mail")
    s.wait_status(mid, lambda st: police_row(st)["state"] == "mailed",
                  what="police-45 mailed")
    assert relay.query("SELECT count(*) FROM delivery WHERE recipient = ?",
                       (POLICE,)) == [(0,)]
    assert relay.query("SELECT state, code FROM mailroute") == [(1, 250)]
    assert relay.log().count(f"mailroute sent id={mid} recipient={POLICE} "
                             f"to=\"{POLICE_MAIL}\" code=250") == 1
    mails = sink.to(POLICE_MAIL)
    assert len(mails) == 1
    m = mails[0]
    assert "宮崎市" in m.subject and "第1報" in m.subject
    assert "標的型攻撃メールによるマルウェア感染" in m.subject
    # the body: a few lines of how, then the 報告様式 in Japanese
    for needle in ("宮崎県警察 サイバー犯罪対策課（デモ） 御中",
                   "中継局 relay-45", f"kairan-node verify {mid}.kairan",
                   "受理確認（署名）にはなりません",
                   "情報セキュリティインシデント事案の発生について報告（第1報）",
                   "宮崎県警察（police-45）", "記", "以上",
                   "標的型攻撃メールによるマルウェア感染"):
        assert needle in m.body, (needle, m.body)
    # the same form as the sender's show --form, but for what only the
    # sender's node knows (the proxy-log deadline of the incident)
    body = m.body.replace("\r\n", "\n")
    for ln in s.form(mid).splitlines():
        if "プロキシログ" not in ln:
            assert ln in body, (ln, body)
    # the signed envelope attached, unchanged
    assert len(m.attachments) == 1
    name, ctype, data = m.attachments[0]
    assert name == f"{mid}.kairan" and ctype == "application/octet-stream"
    stored = s.query("SELECT envelope FROM outbox WHERE id = ?",
                     (bytes.fromhex(mid),))[0][0]
    assert data == stored

    # anyone can check it later: verify accepts it ...
    f = tmp_path / name
    f.write_bytes(data)
    p = s.run("verify", f)
    assert p.stdout.startswith(f"verified {f}\n"), p.stdout
    assert "  signer:  452017 宮崎市 (certificate of role node, issued by " \
        "CA 45)\n" in p.stdout
    assert f"  id:      {mid}\n" in p.stdout
    assert "  title:   標的型攻撃メールによるマルウェア感染\n" in p.stdout
    # ... and refuses it when one byte is changed, wherever it is
    for at in (len(data) // 3, len(data) - 10):
        bad = bytearray(data)
        bad[at] ^= 0x01
        g = tmp_path / f"bad-{at}.kairan"
        g.write_bytes(bytes(bad))
        p = s.run("verify", g, expect=1)
        assert p.stdout == ""
        assert re.search(rf"^kairan-node: verify: {re.escape(str(g))}: NOT "
                         r"verified: [A-Z_]+: .+", p.stderr, re.M), p.stderr

    # the sender sees it mailed, unconfirmed, never acknowledged
    st = s.json("status", mid)
    row = police_row(st)
    assert row["mailed_by"] == "relay-45"
    assert POLICE_MAIL in row["mailed_note"] and "250" in row["mailed_note"]
    assert row["acknowledged_at"] is None and row["phone_confirmations"] == []
    assert st["mailed"] == 1 and st["unconfirmed"] == 1
    assert st["acknowledged"] == 0
    text = s.run("status", mid).stdout
    line = next(x for x in text.splitlines() if POLICE in x)
    assert "mailed (unconfirmed) " in line and "by relay-45" in line, line
    assert "acknowledged" not in line
    assert ", mailed 1/2 (unconfirmed 1)" in text.splitlines()[-1]
    sent = s.run("sent").stdout
    assert "mailed 1 (unconfirmed 1)" in sent, sent
    sj = s.json("sent")
    assert sj[0]["reports"][0]["mailed"] == 1
    assert sj[0]["reports"][0]["unconfirmed"] == 1

    # a person confirmed by phone: recorded at the node, shown apart
    p = s.run("confirm", mid[:8], POLICE, "--by", "県警 サイバー犯罪対策課 田中",
              "--note", "電話で受領を確認（10:42）")
    assert p.stdout == f"confirmed {mid} {POLICE} by phone\n", p.stdout
    text = s.run("status", mid).stdout
    line = next(x for x in text.splitlines() if POLICE in x)
    assert "mailed 20" in line and "(unconfirmed)" not in line, line
    assert re.search(r"; 電話で確認（このノードで記録）: 県警 サイバー犯罪対策課 "
                     r"田中, \d{4}-\d\d-\d\dT[\d:]+\+09:00 \"電話で受領を確認（10:42）\" "
                     r"\(recorded at this node, 452017; not a signed 受理確認\)",
                     line), line
    assert "acknowledged 20" not in line
    st = s.json("status", mid)
    row = police_row(st)
    assert row["state"] == "mailed" and row["acknowledged_at"] is None
    assert [(c["by"], c["note"], c["recorded_at"], c["recorded_by"])
            for c in row["phone_confirmations"]] == \
        [("県警 サイバー犯罪対策課 田中", "電話で受領を確認（10:42）", "node",
          "452017")]
    assert st["acknowledged"] == 0 and st["unconfirmed"] == 0
    assert s.json("sent")[0]["reports"][0]["unconfirmed"] == 0
    # nothing was signed or sent for it
    assert s.query("SELECT count(*) FROM outbox WHERE kind = 2") == [(0,)]
    # still exactly one mail
    assert len(sink.to(POLICE_MAIL)) == 1


def test_directory_shows_who_runs_no_node():
    def show(eid):
        return subprocess.run([harness.BIN / "kairan-dir", "-d",
                               harness.DIRECTORY, "show", eid],
                              capture_output=True, text=True, check=True
                              ).stdout.splitlines()[0]
    assert show(POLICE) == "police-45 宮崎県警察 (みやざきけんけいさつ) police " \
        "prefecture=45 node=no"
    assert show("npa") == "npa 警察庁 (けいさつちょう) national node=no"
    assert show("mic") == "mic 総務省 (そうむしょう) national"
    assert show(SENDER) == "452017 宮崎市 (みやざきし) city prefecture=45"


def test_confirm_refusals(fed, sink):  # noqa: F811
    relay = mail_relay(fed, sink)
    s = fed.node(SENDER, {"pref": relay})
    inc, mid = s.send(REPORT_1, "@police")
    p = s.run("confirm", mid, "452025", "--by", "x", expect=1)
    assert f"452025 is not a recipient of report {mid}" in p.stderr
    p = s.run("confirm", mid, "police-99", "--by", "x", expect=2)
    assert "RECIPIENT: \"police-99\": a police id is police-PP" in p.stderr
    p = s.run("confirm", mid, POLICE, "--by", "a\x1b[2Jb", expect=2)
    assert "--by: control character U+001B at byte 1" in p.stderr
    p = s.run("confirm", mid, POLICE, expect=2)
    assert "--by is required" in p.stderr
    assert s.query("SELECT count(*) FROM phone_confirm") == [(0,)]
    # an incident id means its latest report, as for status
    p = s.run("confirm", inc, POLICE, "--by", "田中")
    assert p.stdout == f"confirmed {mid} {POLICE} by phone\n"
