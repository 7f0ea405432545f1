"""Scenario 92: the relay's mail route for recipients without a node
(relay/mailroute.h), against a real relay-45 and a local SMTP sink.

- a report for police-45 (directory "node": false) is committed with its
  mail row in the same transaction and mailed once; the sender gets a
  MAILED receipt signed by relay-45 naming police-45; no delivery is
  queued for it, and no escalation is planned;
- a relay killed (SIGKILL) while the mail could not go (the server
  unreachable: tried again later) sends it once after its restart;
- a 451 is tried again after the retry delay, then sent; a 550 fails the
  mail for good, logged with the code, and the sender gets a REJECTED of
  relay-45 naming police-45 and the SMTP code;
- without [smtp] there is no route: a REJECTED at once, and no row.
"""
import datetime
import socket

import pytest

import harness
import kairan_client as kc
from kairan_client import Client, Identity, pb
from smtpsink import SmtpSink

import consolehelp as ch

POLICE = "police-45"
POLICE_MAIL = "cyber@police.miyazaki.example.jp"


def smtp_conf(url):
    return (f"[escalation]\nlevel3 = 1h\nretry = 1s\n"
            f"[smtp]\nurl = {url}\nfrom = kairan@relay-45.example.jp\n"
            "tls = none\ntimeout = 3s\n")


def mail_relay(relays, url, console=False):
    r = relays(start=False)
    if console:
        ch.with_sections(r, console=True)
    with open(r.conf, "a") as f:
        f.write(smtp_conf(url))
    assert r.run("-n").returncode == 0, r.run("-n").stderr
    return r.start()


def send(relay, pki, to):
    with Client(relay.url, pki, Identity(pki.entity("452017"))) as c:
        msg = kc.report("452017", to)
        env, a = kc.submit(c, msg)
        assert a.WhichOneof("kind") == "accepted", a
    return msg, env


def rows(relay, msg):
    return relay.query("SELECT r.recipient, r.address, r.state, r.code, "
                       "r.attempts FROM mailroute r JOIN message m ON m.seq = "
                       "r.message_seq WHERE m.id = ?", (msg.id,))


def receipts(relay, state):
    return relay.query("SELECT signer, subject, note FROM receipt WHERE "
                       "state = ?", (state,))


def dead_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def sink():
    s = SmtpSink().start()
    yield s
    s.stop()


def test_mailed_once_and_the_sender_told(relays, pki, sink):
    relay = mail_relay(relays, sink.url, console=True)
    msg, env = send(relay, pki, [POLICE, "450006"])
    hexid = msg.id.hex()
    harness.wait_for(lambda: rows(relay, msg)[0][2] == 1, what="mail sent")
    assert rows(relay, msg) == [(POLICE, POLICE_MAIL, 1, 250, 1)]
    assert len(sink.to(POLICE_MAIL)) == 1
    # no delivery for a node that does not exist, no chase either
    assert relay.query("SELECT count(*) FROM delivery WHERE recipient = ?",
                       (POLICE,)) == [(0,)]
    assert relay.query("SELECT recipient FROM escalation GROUP BY "
                       "recipient") == [("450006",)]
    # the QUEUED names only the recipient held for a node; the MAILED
    # names police-45, signed by relay-45, queued for the sender's node
    q = relay.query("SELECT m.envelope FROM message m JOIN receipt r ON "
                    "r.message_seq = m.seq WHERE r.state = ?",
                    (pb.Receipt.QUEUED,))
    env = pb.Envelope()
    env.ParseFromString(q[0][0])
    qm = pb.Message()
    qm.ParseFromString(env.message)
    assert list(qm.receipt.held) == ["450006"]
    (signer, subject, note), = receipts(relay, pb.Receipt.MAILED)
    assert (signer, subject) == ("relay-45", POLICE)
    assert POLICE_MAIL in note and "250" in note
    with Client(relay.url, pki, Identity(pki.entity("452017"))) as c:
        _, m = c.expect_delivery()      # the QUEUED is skipped
        assert m.receipt.state == pb.Receipt.MAILED
        assert m.sender == "relay-45" and list(m.recipients) == ["452017"]
        assert m.receipt.ref_id == msg.id and m.receipt.subject == POLICE
    assert relay.log().count(f"mailroute sent id={hexid}") == 1
    assert f"mailed notice id={hexid} recipient={POLICE}" in relay.log()
    # the console's matrix says mailed, never acknowledged
    ch.add_operator(relay, "tanaka", "correct horse battery staple")
    token = ch.issue_token(relay, "tanaka")
    status, _, body = ch.Console(relay).request(
        "GET", "/api/incidents/" + msg.report.incident_id.hex(),
        headers={"Authorization": "Bearer " + token})
    assert status == 200, body
    cells = {r["id"]: r["cells"][0] for r in body["recipients"]}
    assert cells[POLICE]["state"] == "mailed", cells[POLICE]
    assert POLICE_MAIL in cells[POLICE]["detail"]
    assert cells["450006"]["state"] == "pending"


def test_kill_while_pending_then_sent_once(relays, pki, sink):
    relay = mail_relay(relays, f"smtp://127.0.0.1:{dead_port()}")
    msg, _ = send(relay, pki, [POLICE])
    hexid = msg.id.hex()
    # the server cannot be reached: tried again later, the row pending
    relay.wait_log(rf"mailroute deferred id={hexid} recipient={POLICE} "
                   r"to=\"\S+\" code=0 attempt=1")
    relay.kill()
    assert rows(relay, msg)[0][2] == 0
    text = relay.conf.read_text()
    relay.conf.write_text(text[:text.index("[escalation]")] +
                          smtp_conf(sink.url))
    relay.start()
    harness.wait_for(lambda: rows(relay, msg)[0][2] == 1, what="mail sent")
    assert len(sink.to(POLICE_MAIL)) == 1
    assert len(receipts(relay, pb.Receipt.MAILED)) == 1


def test_451_then_sent_550_failed(relays, pki):
    s = SmtpSink(defer={POLICE_MAIL: 1}).start()
    try:
        relay = mail_relay(relays, s.url)
        msg, _ = send(relay, pki, [POLICE])
        harness.wait_for(lambda: rows(relay, msg)[0][2] == 1,
                         what="sent after the 451")
        assert rows(relay, msg)[0][3:] == (250, 2)
        assert f"mailroute deferred id={msg.id.hex()}" in relay.log()
        assert len(s.to(POLICE_MAIL)) == 1
    finally:
        s.stop()
    s = SmtpSink(refuse=[POLICE_MAIL]).start()
    try:
        relay2 = mail_relay(relays, s.url)
        msg, _ = send(relay2, pki, [POLICE])
        hexid = msg.id.hex()
        harness.wait_for(lambda: rows(relay2, msg)[0][2] == 2,
                         what="failed for good")
        assert rows(relay2, msg)[0][3] == 550
        relay2.wait_log(rf"mailroute failed id={hexid} recipient={POLICE} "
                        r"to=\"\S+\" code=550 attempt=1")
        (signer, subject, note), = receipts(relay2, pb.Receipt.REJECTED)
        assert signer == "relay-45" and subject == POLICE
        assert "runs no node" in note and "550" in note, note
        assert receipts(relay2, pb.Receipt.MAILED) == []
    finally:
        s.stop()


def test_no_smtp_no_route(relay, pki):
    msg, _ = send(relay, pki, [POLICE, "450006"])
    harness.wait_for(lambda: receipts(relay, pb.Receipt.REJECTED),
                     what="the REJECTED")
    (signer, subject, note), = receipts(relay, pb.Receipt.REJECTED)
    assert (signer, subject) == ("relay-45", POLICE)
    assert note == f"recipient {POLICE} runs no node and relay-45 has no " \
        "[smtp] to mail it"
    assert rows(relay, msg) == []



def mailed(relay, sink, msg, n):
    """The n-th mail the police sink got, once msg's mail row is sent."""
    harness.wait_for(lambda: rows(relay, msg) and
                     rows(relay, msg)[0][2] == 1, what="mail sent")
    got = sink.to(POLICE_MAIL)
    assert len(got) == n, got
    return got[n - 1]


def test_targeted_attack_mail_has_the_proxy_log_lines(relays, pki, sink):
    """The mail of a 標的型攻撃 第1報 carries the プロキシログ確認期限 line,
    the mail of the next report the verdict (期限内) computed from the
    incident's reports the relay accepted: the proxy-log lines of the
    console's form (GET /api/reports/ID/form), which scenario 72 shows are
    those of `kairan-node show --form`."""
    relay = mail_relay(relays, sink.url, console=True)
    ch.add_operator(relay, "tanaka", "correct horse battery staple")
    bearer = {"Authorization": "Bearer " + ch.issue_token(relay, "tanaka")}
    console = ch.Console(relay)
    jst = datetime.timezone(datetime.timedelta(hours=9))
    found = datetime.datetime(2026, 11, 22, 9, 0, tzinfo=jst)
    found_ms = int(found.timestamp() * 1000)
    due_ms = found_ms + 6 * 3600 * 1000

    def console_lines(msg):
        status, _, f = console.request("GET", f"/api/reports/{msg.id.hex()}"
                                       "/form", headers=bearer, cookie=False)
        assert status == 200, f
        return [(x["label"], x["value"]) for x in f["lines"]
                if x["label"].startswith("プロキシログ確認")]

    with Client(relay.url, pki, Identity(pki.entity("452017"))) as c:
        first = kc.report("452017", [POLICE])
        first.report.discovered_at_ms = found_ms
        env, a = kc.submit(c, first)
        assert a.WhichOneof("kind") == "accepted", a
        mail = mailed(relay, sink, first, 1)
        lines = harness.proxy_lines(mail.body)
        assert any(label == "プロキシログ確認期限" and
                   value.startswith("2026年11月22日 15時00分")
                   for label, value in lines), mail.body
        assert lines == console_lines(first), lines

        second = kc.report("452017", [POLICE],
                           incident_id=first.report.incident_id, report_no=2)
        second.report.discovered_at_ms = found_ms
        second.report.proxy_logs_checked_at_ms = due_ms
        env, a = kc.submit(c, second)
        assert a.WhichOneof("kind") == "accepted", a
        mail = mailed(relay, sink, second, 2)
        lines = harness.proxy_lines(mail.body)
        assert any(label == "プロキシログ確認" and value.startswith("期限内")
                   for label, value in lines), mail.body
        assert lines == console_lines(second), lines


def test_without_a_console_the_mail_has_the_deadline_not_the_verdict(
        relays, pki, sink):
    """The verdict of a later report needs the console's view of the
    incident; a relay without [console] does not load it for a mail
    (relay/README.md): its 第1報 mail still has the deadline, which needs
    nothing but the report, and the 第2報's has no verdict line."""
    relay = mail_relay(relays, sink.url)

    with Client(relay.url, pki, Identity(pki.entity("452017"))) as c:
        first = kc.report("452017", [POLICE])
        kc.submit(c, first)
        mail = mailed(relay, sink, first, 1)
        labels = [k for k, _ in harness.proxy_lines(mail.body)]
        assert labels == ["プロキシログ確認期限"], labels
        second = kc.report("452017", [POLICE],
                           incident_id=first.report.incident_id, report_no=2)
        second.report.proxy_logs_checked_at_ms = first.created_at_ms
        kc.submit(c, second)
        mail = mailed(relay, sink, second, 2)
        labels = [k for k, _ in harness.proxy_lines(mail.body)]
        assert "プロキシログ確認" not in labels, labels

