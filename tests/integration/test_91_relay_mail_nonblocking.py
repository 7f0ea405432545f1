"""Scenario 91: the escalation's mails never make the relay wait. The
SMTP server (smtpsink.py) takes the connection and then holds its answer
to RCPT until the test releases it, with the relay's [smtp] timeout far
longer than the test's bounds: while a mail is held, a node's report is
accepted, delivered and receipted through the relay; a second recipient's
mail arrives while the first is still held (one bad server transaction
holds back no other); a relay stopped with a mail in flight stops at once,
the row stays pending, and the mail is sent after the restart (at least
once); a server that never sends its greeting costs the [smtp] timeout
of that mail only, which is then tried again."""
import socket

import pytest

import harness
import kairan_client as kc
from kairan_client import Client, Identity, pb
from smtpsink import SmtpSink

PREF = "csirt@pref.miyazaki.example.jp"       # 450006 宮崎県
MIYAKONOJO = "joho@city.miyakonojo.example.jp"  # 452025 都城市

# What the relay must answer within while a mail is held (the mail's own
# timeout is 60 s: a relay that waited for it would miss every bound).
PROMPT = 5.0


@pytest.fixture()
def sink():
    s = SmtpSink(hold=[PREF]).start()
    yield s
    s.stop()


def esc_relay(relays, url, timeout="60s"):
    r = relays(start=False)
    with open(r.conf, "a") as f:
        f.write("[escalation]\nlevel3 = 1s\nmails = 1\nretry = 1s\n"
                f"[smtp]\nurl = {url}\nfrom = kairan@relay-45.example.jp\n"
                f"tls = none\ntimeout = {timeout}\n")
    assert r.run("-n").returncode == 0, r.run("-n").stderr
    return r.start()


def send(relay, pki, sender, to, status=pb.ACTUAL, timeout=harness.TIMEOUT):
    with Client(relay.url, pki, Identity(pki.entity(sender))) as c:
        msg = kc.report(sender, to, status=status)
        env = c.ident.seal(msg)
        c.send_envelope(env)
        a = c.answer(msg.id, timeout=timeout)
        assert a.WhichOneof("kind") == "accepted", a
    return msg, env


def mail_row(relay, msg, recipient):
    """(state, code, attempts) of the report's mail step for recipient."""
    rows = relay.query(
        "SELECT e.state, e.code, e.attempts FROM escalation e JOIN message m "
        "ON m.seq = e.message_seq WHERE m.id = ? AND e.recipient = ? AND "
        "e.step = 1", (msg.id, recipient))
    assert len(rows) == 1, rows
    return rows[0]


def round_trip(relay, pki):
    """A report (TEST: not chased) from 452017 to 452025 is accepted,
    delivered and acknowledged, and the receipt reaches 452017, each step
    within PROMPT seconds."""
    with Client(relay.url, pki, Identity(pki.entity("452017"))) as a, \
            Client(relay.url, pki, Identity(pki.entity("452025"))) as b:
        rep = kc.report("452017", ["452025"], status=pb.TEST)
        env = a.ident.seal(rep)
        a.send_envelope(env)
        assert a.answer(rep.id, timeout=PROMPT).WhichOneof("kind") == \
            "accepted"
        got, m = b.expect_delivery(timeout=PROMPT)
        assert m.id == rep.id
        ack = kc.receipt("452025", m, got, pb.Receipt.ACKNOWLEDGED,
                         by="都城市 担当者")
        benv = b.ident.seal(ack)
        b.send_envelope(benv)
        assert b.answer(ack.id, timeout=PROMPT).WhichOneof("kind") == \
            "accepted"
        while True:  # the OVERDUE notice of the first report may come first
            _, r = a.expect_delivery(timeout=PROMPT)
            if r.receipt.ref_id == rep.id:
                break
        assert r.receipt.state == pb.Receipt.ACKNOWLEDGED


def test_a_held_mail_does_not_stop_the_relay(relays, pki, sink):
    relay = esc_relay(relays, sink.url)
    msg, _ = send(relay, pki, "452017", ["450006"])
    harness.wait_for(lambda: sink.held(PREF), what="the mail held at RCPT")
    round_trip(relay, pki)
    # the mail was held all along: its row is pending, nothing was sent
    assert sink.held(PREF)
    assert mail_row(relay, msg, "450006") == (0, None, 0)
    assert sink.to(PREF) == []
    sink.release()
    harness.wait_for(lambda: mail_row(relay, msg, "450006")[0] != 0,
                     what="the mail ended")
    assert mail_row(relay, msg, "450006") == (1, 250, 1)
    assert len(sink.to(PREF)) == 1
    relay.wait_log(rf"mail sent id={msg.id.hex()} recipient=450006 "
                   rf"to=\"{PREF}\" step=1/1 code=250 attempt=1")


def test_one_held_transaction_holds_back_no_other(relays, pki, sink):
    relay = esc_relay(relays, sink.url)
    # 450006's rows come first (same deadline, lower rowid): its mail is
    # started first, and held
    msg, _ = send(relay, pki, "452017", ["450006", "452025"])
    harness.wait_for(lambda: mail_row(relay, msg, "452025")[0] != 0,
                     what="452025's mail ended")
    assert mail_row(relay, msg, "452025") == (1, 250, 1)
    assert len(sink.to(MIYAKONOJO)) == 1
    assert sink.held(PREF), "450006's mail should still be held"
    assert mail_row(relay, msg, "450006") == (0, None, 0)
    log = relay.log()
    # the held one was started before the other was sent
    assert log.index(f"mail started id={msg.id.hex()} recipient=450006") < \
        log.index(f"mail sent id={msg.id.hex()} recipient=452025")
    sink.release()
    harness.wait_for(lambda: mail_row(relay, msg, "450006")[0] != 0,
                     what="450006's mail ended")
    assert mail_row(relay, msg, "450006") == (1, 250, 1)
    assert len(sink.to(PREF)) == 1 and len(sink.to(MIYAKONOJO)) == 1


def test_stop_abandons_the_mail_in_flight_sent_after_restart(relays, pki,
                                                             sink):
    relay = esc_relay(relays, sink.url)
    msg, _ = send(relay, pki, "452017", ["450006"])
    harness.wait_for(lambda: sink.held(PREF), what="the mail held at RCPT")
    # SIGTERM: the relay does not wait for the held mail (60 s) to stop
    assert relay.process.stop(timeout=PROMPT) == 0
    assert f"mail abandoned id={msg.id.hex()} recipient=450006 " \
        f"to=\"{PREF}\" step=1 reason=stopping" in relay.log()
    assert mail_row(relay, msg, "450006") == (0, None, 0)  # still pending
    assert sink.to(PREF) == []
    sink.release()
    relay.start()
    harness.wait_for(lambda: mail_row(relay, msg, "450006")[0] != 0,
                     what="the mail ended after the restart")
    assert mail_row(relay, msg, "450006") == (1, 250, 1)
    assert len(sink.to(PREF)) == 1


def test_a_server_that_never_greets_times_out_and_is_retried(relays, pki):
    # a socket that listens and never says a word: the kernel completes
    # the relay's connection, the SMTP greeting never comes
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen(8)
        srv.settimeout(harness.TIMEOUT)
        relay = esc_relay(relays, f"smtp://127.0.0.1:{srv.getsockname()[1]}",
                          timeout="8s")
        msg, _ = send(relay, pki, "452017", ["450006"])
        conn, _ = srv.accept()  # the relay's connection came
        with conn:
            round_trip(relay, pki)
            assert mail_row(relay, msg, "450006") == (0, None, 0)
            # [smtp] timeout: no reply, tried again after retry
            relay.wait_log(rf"mail deferred id={msg.id.hex()} "
                           rf"recipient=450006 to=\"{PREF}\" step=1 code=0 "
                           rf"attempt=1 retry_ms=1000")
            # the attempt is counted, the row pending (logged, then stored)
            harness.wait_for(
                lambda: mail_row(relay, msg, "450006") == (0, None, 1),
                what="the attempt counted, the row still pending")
