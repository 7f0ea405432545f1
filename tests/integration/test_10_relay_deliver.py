"""Scenario 10: a valid report is accepted only once stored, delivered to a
connected recipient, and the recipient's Accepted completes the delivery;
the same id twice is stored and delivered once; receipts flow back."""
import hashlib
import os

import kairan_client as kc
from kairan_client import Client, Identity, pb, submit


def test_report_accepted_stored_delivered(relay, pki):
    sender = Identity(pki.entity("452017"))
    rcpt = Identity(pki.entity("450006"))
    with Client(relay.url, pki, rcpt) as r, Client(relay.url, pki, sender) as s:
        relay.wait_log(r"peer ready entity=450006")
        msg = kc.report("452017", ["450006"])
        env, ans = submit(s, msg)
        assert ans.WhichOneof("kind") == "accepted", ans
        # Accepted means stored: the row is there, byte for byte
        rows = relay.query("SELECT sender, envelope FROM message WHERE id = ?",
                           (msg.id,))
        assert rows and rows[0][0] == "452017"
        assert rows[0][1] == env.SerializeToString()
        got, m = r.expect_delivery()
        assert got.message == env.message and got.signature == env.signature
        assert m.report.summary == msg.report.summary  # Japanese intact
        relay.wait_log(r"delivered id=%s to=450006" % msg.id.hex())
        assert relay.query("SELECT state FROM delivery WHERE recipient = "
                           "'450006'") == [(1,)]
    # a delivery that is done is not sent again on reconnect: the first
    # thing delivered is a report accepted after it (deliveries go out in
    # acceptance order, so a resend would come first)
    with Client(relay.url, pki, rcpt) as r, Client(relay.url, pki, sender) as s:
        marker = kc.report("452017", ["450006"])
        assert submit(s, marker)[1].WhichOneof("kind") == "accepted"
        _, m = r.expect_delivery()
        assert m.id == marker.id


def test_same_id_twice_stored_and_delivered_once(relay, pki):
    sender = Identity(pki.entity("452017"))
    rcpt = Identity(pki.entity("450006"))
    msg = kc.report("452017", ["450006"])
    with Client(relay.url, pki, sender) as s:
        env = sender.seal(msg)
        s.send_envelope(env)
        assert s.answer(msg.id).WhichOneof("kind") == "accepted"
        s.send_envelope(env)
        assert s.answer(msg.id).WhichOneof("kind") == "accepted"
    assert relay.query("SELECT count(*) FROM message WHERE id = ?",
                       (msg.id,)) == [(1,)]
    assert relay.query("SELECT count(*) FROM delivery "
                       "WHERE recipient = '450006'") == [(1,)]
    with Client(relay.url, pki, rcpt) as r, Client(relay.url, pki, sender) as s:
        _, m = r.expect_delivery()
        assert m.id == msg.id
        # delivered once: what comes next is a later report, not it again
        marker = kc.report("452017", ["450006"])
        assert submit(s, marker)[1].WhichOneof("kind") == "accepted"
        _, m = r.expect_delivery()
        assert m.id == marker.id


def test_receipts_flow_back_to_sender(relay, pki):
    sender = Identity(pki.entity("452017"))
    rcpt = Identity(pki.entity("mic"))
    with Client(relay.url, pki, rcpt) as r, Client(relay.url, pki, sender) as s:
        relay.wait_log(r"peer ready entity=mic")
        msg = kc.report("452017", ["mic"])
        env, ans = submit(s, msg)
        assert ans.WhichOneof("kind") == "accepted"
        got, m = r.expect_delivery()
        for state, by in ((pb.Receipt.DELIVERED, ""),
                          (pb.Receipt.ACKNOWLEDGED, "総務 太郎")):
            rc = kc.receipt("mic", m, got, state, by=by)
            _, a = submit(r, rc)
            assert a.WhichOneof("kind") == "accepted", a
            back, bm = s.expect_delivery()
            assert bm.sender == "mic" and bm.receipt.ref_id == msg.id
            assert bm.receipt.state == state and bm.receipt.by == by
    # the relay recorded both receipts, and audited everything
    assert relay.query("SELECT signer, state, by FROM receipt ORDER BY at") == \
        [("relay-45", pb.Receipt.QUEUED, ""), ("mic", 1, ""),
         ("mic", 2, "総務 太郎")]
    # audit: every accepted message (report, the relay's QUEUED and the
    # 2 receipts), every receipt
    assert relay.query("SELECT event, entity FROM audit ORDER BY seq") == [
        ("accepted", "452017"), ("accepted", "relay-45"),
        ("receipt", "relay-45"), ("accepted", "mic"), ("receipt", "mic"),
        ("accepted", "mic"), ("receipt", "mic")]


def test_gathered_writes_keep_bytes_and_order(relay, pki):
    """The relay gathers what it writes to a peer (its answers, then its
    deliveries) into one write of up to 32 KB, and writes a frame too big
    for that alone: a 100 KB attachment between small reports. The sender
    gets every Accepted, the recipient, connecting afterwards (everything
    is waiting in the store), every envelope byte for byte, in acceptance
    order."""
    sender = Identity(pki.entity("452017"))
    rcpt = Identity(pki.entity("450006"))
    msgs = [kc.report("452017", ["450006"]) for _ in range(21)]
    data = os.urandom(100 * 1024)
    a = msgs[10].report.attachments.add()
    a.name, a.media_type = "proxy.log", "application/octet-stream"
    a.data, a.sha256 = data, hashlib.sha256(data).digest()
    envs = [sender.seal(m) for m in msgs]
    with Client(relay.url, pki, sender) as s:
        for e in envs:
            s.send_envelope(e)
        for m in msgs:
            assert s.answer(m.id).WhichOneof("kind") == "accepted"
    with Client(relay.url, pki, rcpt) as r:
        got = [r.expect_delivery() for _ in msgs]
    assert [m.id for _, m in got] == [m.id for m in msgs]
    for (g, _), e in zip(got, envs):
        assert g.message == e.message and g.signature == e.signature
    assert got[10][1].report.attachments[0].data == data
