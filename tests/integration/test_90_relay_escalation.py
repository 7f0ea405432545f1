"""Scenario 90: escalation by deadline, with deadlines of seconds and a
real SMTP server (smtpsink.py). The relay serving the recipients marks a
report not acknowledged in time overdue and mails the recipient's point
of contact of the directory (deploy/contacts-demo.csv) in Japanese, once
per step; an ACKNOWLEDGED before the deadline means no mail; a relay
killed (SIGKILL) across a deadline sends the mail once after its restart;
an address the server refuses with 550 is failed, and the others are
sent; a 451 is tried again after the retry delay."""
import time

import pytest

import harness
import kairan_client as kc
from kairan_client import Client, Identity, pb
from consolehelp import metric, metrics_port, scrape
from smtpsink import SmtpSink

PREF = "csirt@pref.miyazaki.example.jp"       # 450006 宮崎県
MIYAKONOJO = "joho@city.miyakonojo.example.jp"  # 452025 都城市
NICHINAN = "joho@city.nichinan.example.jp"      # 452041 日南市


@pytest.fixture()
def sink():
    s = SmtpSink(refuse=[NICHINAN], defer={MIYAKONOJO: 0}).start()
    yield s
    s.stop()


def esc_relay(relays, sink, deadline="2s", mails=1, repeat="1h"):
    r = relays(start=False)
    with open(r.conf, "a") as f:
        f.write(f"[escalation]\nlevel3 = {deadline}\nmails = {mails}\n"
                f"repeat = {repeat}\nretry = 1s\n"
                f"[smtp]\nurl = {sink.url}\nfrom = kairan@relay-45.example.jp\n"
                "tls = none\ntimeout = 5s\n")
    assert r.run("-n").returncode == 0, r.run("-n").stderr
    return r.start()


def send(relay, pki, to, status=pb.ACTUAL):
    with Client(relay.url, pki, Identity(pki.entity("452017"))) as c:
        msg = kc.report("452017", to, status=status)
        env, a = kc.submit(c, msg)
        assert a.WhichOneof("kind") == "accepted", a
    return msg, env


def steps(relay, msg, recipient=None):
    q = ("SELECT e.recipient, e.step, e.state, e.code, e.attempts FROM "
         "escalation e JOIN message m ON m.seq = e.message_seq WHERE m.id = ?")
    args = [msg.id]
    if recipient:
        q += " AND e.recipient = ?"
        args.append(recipient)
    return relay.query(q + " ORDER BY e.recipient, e.step", args)


def all_ended(relay, msg):
    rows = steps(relay, msg)
    return rows and all(r[2] != 0 for r in rows)


def test_mail_once_with_the_essentials_in_japanese(relays, pki, sink):
    relay = esc_relay(relays, sink, mails=2, repeat="1s")
    msg, _ = send(relay, pki, ["450006"])
    hexid = msg.id.hex()
    # planned at commit: overdue, then two mails
    assert [r[1] for r in steps(relay, msg)] == [0, 1, 2]
    harness.wait_for(lambda: all_ended(relay, msg), what="steps ended")
    relay.wait_log(rf"overdue id={hexid} recipient=450006 level=3 since=\S+\+09:00")
    mails = sink.to(PREF)
    assert len(mails) == 2, [m.subject for m in mails]
    assert relay.log().count(f"mail sent id={hexid} recipient=450006") == 2
    assert relay.log().count(f"overdue id={hexid}") == 1
    m = mails[0]
    assert m.msg["Content-Type"].params["charset"].lower() == "utf-8"
    assert b"=?UTF-8?B?" in m.raw  # the subject is RFC 2047
    assert "受理確認" in m.subject and "宮崎市" in m.subject
    assert "第1報" in m.subject and "職員端末のマルウェア感染" in m.subject
    assert "訓練" not in m.subject
    b = m.body
    for needle in ("差出人: 宮崎市（452017）", "件名: 職員端末のマルウェア感染",
                   "報告: 第1報", "被害レベル: 3", "区分: 実際",
                   "標的型攻撃メールによるマルウェア感染の疑い",
                   f"報告ID: {hexid}", "中継局: relay-45", "送信日時: 20",
                   "1 通目です（最大 2 通）"):
        assert needle in b, (needle, b)
    assert "2 通目" in mails[1].body
    assert [r[2:4] for r in steps(relay, msg)] == [(1, None), (1, 250), (1, 250)]
    assert "escalation:" not in relay.log()  # no store error on the way
    # the sender was told, in one OVERDUE receipt signed by the relay
    assert relay.query("SELECT signer, state, subject FROM receipt WHERE "
                       "state = ?", (pb.Receipt.OVERDUE,)) == \
        [("relay-45", pb.Receipt.OVERDUE, "450006")]
    with Client(relay.url, pki, Identity(pki.entity("452017"))) as c:
        _, m = c.expect_delivery()
        assert m.sender == "relay-45" and m.recipients == ["452017"]
        assert m.receipt.state == pb.Receipt.OVERDUE
        assert m.receipt.ref_id == msg.id and m.receipt.subject == "450006"
        assert "受理確認の期限" in m.receipt.note


def test_acknowledged_before_the_deadline_means_no_mail(relays, pki, sink):
    relay = esc_relay(relays, sink, deadline="4s")
    msg, env = send(relay, pki, ["450006", "452025"])
    with Client(relay.url, pki, Identity(pki.entity("450006"))) as r:
        ack = kc.receipt("450006", msg, env, pb.Receipt.ACKNOWLEDGED,
                         by="県 担当者")
        _, a = kc.submit(r, ack)
        assert a.WhichOneof("kind") == "accepted", a
    # cancelled with the receipt's commit, before the deadline
    assert [r[2] for r in steps(relay, msg, "450006")] == [3, 3]
    # 452025, same deadline, did not acknowledge: its mail shows the
    # relay's pass at the deadline has run
    harness.wait_for(lambda: sink.to(MIYAKONOJO), what="452025's mail")
    harness.wait_for(lambda: all_ended(relay, msg), what="steps ended")
    assert sink.to(PREF) == []
    assert [r[2] for r in steps(relay, msg, "450006")] == [3, 3]
    assert f"overdue id={msg.id.hex()} recipient=450006" not in relay.log()
    relay.wait_log(rf"escalation cancelled id={msg.id.hex()} recipient=450006")


def test_killed_across_the_deadline_sends_once_after_restart(relays, pki, sink):
    relay = esc_relay(relays, sink, deadline="2s")
    msg, _ = send(relay, pki, ["450006"])
    relay.kill()  # SIGKILL before the deadline
    due = max(r[0] for r in relay.query("SELECT due_at FROM escalation"))
    harness.wait_for(lambda: time.time() * 1000 > due + 200,
                     what="the deadline passed while the relay was down")
    assert sink.to(PREF) == []
    relay.start()
    harness.wait_for(lambda: all_ended(relay, msg), what="steps ended")
    assert len(sink.to(PREF)) == 1
    # and not again at the next start
    relay.stop()
    relay.start()
    relay.wait_log(r"listening addr=")
    with Client(relay.url, pki, Identity(pki.entity("452017"))):
        pass  # one loop pass at least
    assert len(sink.to(PREF)) == 1
    assert relay.log().count(f"mail sent id={msg.id.hex()}") == 1
    assert relay.log().count(f"overdue id={msg.id.hex()}") == 1


def test_5xx_address_failed_others_sent(relays, pki, sink):
    relay = esc_relay(relays, sink)
    msg, _ = send(relay, pki, ["452041", "450006", "452025"],
                  status=pb.EXERCISE)
    harness.wait_for(lambda: all_ended(relay, msg), what="steps ended")
    assert len(sink.to(PREF)) == 1 and len(sink.to(MIYAKONOJO)) == 1
    assert sink.to(NICHINAN) == []
    rows = {(r[0], r[1]): r[2:] for r in steps(relay, msg)}
    assert rows[("452041", 1)] == (2, 550, 1)   # failed, with its code
    assert rows[("450006", 1)] == (1, 250, 1)
    assert rows[("452025", 1)] == (1, 250, 1)
    relay.wait_log(rf"mail failed id={msg.id.hex()} recipient=452041 "
                   rf"to=\"{NICHINAN}\" step=1 code=550")
    m = sink.to(PREF)[0]
    assert m.subject.startswith("【訓練】")
    assert "区分: 訓練" in m.body and "これは訓練です" in m.body


def test_4xx_retried_with_backoff(relays, pki, sink):
    sink.defer[MIYAKONOJO] = 2   # 451, 451, then taken
    relay = esc_relay(relays, sink)
    msg, _ = send(relay, pki, ["452025"])
    harness.wait_for(lambda: all_ended(relay, msg), what="steps ended")
    assert len(sink.to(MIYAKONOJO)) == 1
    log = relay.log()
    hexid = msg.id.hex()
    assert log.count(f"mail deferred id={hexid} recipient=452025") == 2
    # retry = 1s, doubling: 1000 ms after the first 451, 2000 after the second
    assert "code=451 attempt=1 retry_ms=1000" in log
    assert "code=451 attempt=2 retry_ms=2000" in log
    assert "step=1/1 code=250 attempt=3" in log
    assert [r[1:] for r in steps(relay, msg)] == [(0, 1, None, 0),
                                                  (1, 1, 250, 3)]


def test_without_smtp_only_overdue_and_test_reports_not_chased(relays, pki):
    r = relays(start=False)
    with open(r.conf, "a") as f:
        f.write("[escalation]\nlevel3 = 1s\n[metrics]\nlisten = 127.0.0.1:0\n")
    relay = r.start()
    port = metrics_port(relay)
    assert metric(scrape(port), "kairan_overdue_recipients") == 0
    msg, _ = send(relay, pki, ["450006"])
    test, _ = send(relay, pki, ["450006"], status=pb.TEST)
    assert steps(relay, test) == []          # a technical test: never
    assert [s[1] for s in steps(relay, msg)] == [0]  # no [smtp]: no mails
    harness.wait_for(lambda: all_ended(relay, msg), what="overdue")
    relay.wait_log(rf"overdue id={msg.id.hex()} recipient=450006 level=3")
    assert "mail " not in relay.log()
    # /metrics counts it until its 受理確認 comes
    assert metric(scrape(port), "kairan_overdue_recipients") == 1
    with Client(relay.url, pki, Identity(pki.entity("450006"))) as c:
        got, m = c.expect_delivery()
        ack = kc.receipt("450006", m, got, pb.Receipt.ACKNOWLEDGED,
                         by="宮崎 花子")
        assert kc.submit(c, ack)[1].WhichOneof("kind") == "accepted"
    assert metric(scrape(port), "kairan_overdue_recipients") == 0
