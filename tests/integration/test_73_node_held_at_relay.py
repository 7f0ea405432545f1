"""Scenario 73: the held-at-relay stage of the sender's status (QUEUED,
PROTOCOL.md §6 Receipt).

test_queued_from_a_relay: relay-45 is played by the test (a TLS WebSocket
server holding relay-45's real certificate, speaking kairan.v1 frames), so
that every QUEUED the node gets is one the test wrote, good or bad: the
sender's status shows "held at relay-45 since T" for the recipients it
names, then delivered; a QUEUED from a node, naming someone who is not a
recipient, or with a wrong digest is refused with the field named and
changes nothing; and a QUEUED is answered with Accepted only, never with
a receipt.

test_batched_queued_from_a_relay: the node says QUEUED_BATCH and applies
every report a batched QUEUED names, each checked as the first one is; a
bad part refuses the whole receipt and changes nothing.

test_overdue_from_a_relay: the home relay's OVERDUE notice (no 受理確認
by the deadline, PROTOCOL.md §7.4) shows in status and sent until the
recipient acknowledges; one from a node is refused and changes nothing.

test_held_at_relay_then_delivered: a real relay-45 and a report to two
recipients of its prefecture, one of them offline: the sender's status
shows that one held at relay-45, then delivered once its node comes up.
"""
import asyncio
import hashlib
import queue
import re
import ssl
import threading

import pytest
import websockets

import kairan_client
import kairan_pb2 as pb
from harness import TIMEOUT, wait_for
from nodeharness import REPORT_1, Node, fed  # noqa: F401 (fixture)

REASON = pb.Refused.Reason
QUEUED = pb.Receipt.QUEUED
DELIVERED = pb.Receipt.DELIVERED


class FakeRelay:
    """A relay played by the test: it accepts one node's connection (mutual
    TLS against the test PKI), says Hello as rid, hands every frame the node
    sends to frames (a queue), and sends what the test tells it to."""

    def __init__(self, pki, rid="relay-45"):
        self.ident = kairan_client.Identity(pki.entity(rid))
        self.frames = queue.Queue()
        self.ws = None
        self.connected = threading.Event()
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.load_cert_chain(self.ident.chain_file, self.ident.key_file)
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(str(pki.ca))
        self.loop = asyncio.new_event_loop()
        started = threading.Event()

        async def handler(ws, path=None):
            self.ws = ws
            await ws.send(pb.Frame(hello=pb.Hello(
                entity=self.ident.entity, version=1,
                software="pytest-relay")).SerializeToString())
            self.connected.set()
            try:
                async for data in ws:
                    f = pb.Frame()
                    f.ParseFromString(data)
                    self.frames.put(f)
            except websockets.exceptions.ConnectionClosed:
                pass

        async def serve():
            self.server = await websockets.serve(
                handler, "127.0.0.1", 0, ssl=ctx, subprotocols=["kairan.v1"],
                max_size=None, ping_interval=None)
            self.port = self.server.sockets[0].getsockname()[1]
            started.set()

        def run():
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(serve())
            self.loop.run_forever()
        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        assert started.wait(TIMEOUT), "fake relay did not start"
        self.url = f"wss://127.0.0.1:{self.port}/"

    def send(self, frame):
        assert self.connected.wait(TIMEOUT), "no node connected"
        asyncio.run_coroutine_threadsafe(
            self.ws.send(frame.SerializeToString()),
            self.loop).result(TIMEOUT)

    def next(self, kind, skip=("hello",)):
        """The node's next frame of kind, skipping its Hello."""
        while True:
            f = self.frames.get(timeout=TIMEOUT)
            k = f.WhichOneof("kind")
            if k in skip:
                continue
            assert k == kind, f"want {kind}, got {f}"
            return f

    def answer(self, mid):
        """The node's Accepted or Refused for mid."""
        f = self.frames.get(timeout=TIMEOUT)
        while f.WhichOneof("kind") == "hello":
            f = self.frames.get(timeout=TIMEOUT)
        k = f.WhichOneof("kind")
        assert k in ("accepted", "refused"), f
        assert getattr(f, k).id == mid, f
        return f

    def close(self):
        async def down():
            self.server.close()
            await self.server.wait_closed()
        asyncio.run_coroutine_threadsafe(down(), self.loop).result(TIMEOUT)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(TIMEOUT)


@pytest.fixture()
def fake(pki):
    r = FakeRelay(pki)
    try:
        yield r
    finally:
        r.close()


@pytest.fixture()
def sender(tmp_path, pki, fake):
    n = Node(tmp_path, pki, "452017", {"pref": fake.url})
    n.start()
    try:
        yield n
    finally:
        if n.alive():
            n.stop()


def queued(writer, report_msg, report_env, held, digest=None):
    m = kairan_client.receipt(writer.entity, report_msg, report_env, QUEUED)
    m.receipt.held.extend(held)
    if digest is not None:
        m.receipt.ref_digest = digest
    return m, writer.seal(m)


def refused(fake, receipt, reason, field):
    """The fake relay sends receipt (message, envelope): the node refuses
    it for reason, naming field."""
    q, qenv = receipt
    fake.send(pb.Frame(envelope=qenv))
    a = fake.answer(q.id)
    assert a.WhichOneof("kind") == "refused", a
    assert a.refused.reason == reason, a
    assert field in a.refused.detail, a


def by_entity(st):
    return {r["entity"]: r for r in st["recipients"]}


def test_queued_from_a_relay(fake, sender, pki):
    _, mid = sender.send(REPORT_1, "450006,452025,mic")
    f = fake.next("envelope")
    env = f.envelope
    rep = pb.Message()
    rep.ParseFromString(env.message)
    assert rep.id.hex() == mid
    fake.send(pb.Frame(accepted=pb.Accepted(id=rep.id)))
    relay = fake.ident
    outbox = sender.query("SELECT count(*) FROM outbox")[0][0]

    # relay-45 holds 宮崎県 and 都城市: Accepted, and nothing signed back
    q, qenv = queued(relay, rep, env, ["450006", "452025"])
    fake.send(pb.Frame(envelope=qenv))
    a = fake.answer(q.id)
    assert a.WhichOneof("kind") == "accepted", a
    assert sender.query("SELECT count(*) FROM outbox")[0][0] == outbox
    assert sender.query("SELECT state, matched FROM receipt_in WHERE id = ?",
                        (q.id,)) == [(QUEUED, 1)]
    st = sender.status(mid)
    by = by_entity(st)
    for e in ("450006", "452025"):
        assert by[e]["state"] == "held", by[e]
        assert by[e]["held_by"] == "relay-45", by[e]
        assert by[e]["held_at"].endswith("+09:00"), by[e]
    assert by["mic"]["state"] == "pending" and by["mic"]["held_by"] is None
    assert st["held"] == 2 and st["delivered"] == 0
    text = sender.run("status", mid).stdout
    assert re.search(r"^recipient 450006 宮崎県: held at relay-45 since "
                     r"\S+\+09:00$", text, re.M), text
    assert re.search(r"^recipient mic    総務省: pending$", text, re.M), text

    # refused, each naming the field, and nothing changes
    bad = [
        (kairan_client.Identity(pki.entity("450006")), ["450006"], None,
         REASON.NOT_AUTHORIZED, "receipt.state"),
        (relay, ["453412"], None, REASON.NOT_AUTHORIZED,
         "receipt.held[0]: 453412 is not a recipient"),
        (relay, ["450006"], hashlib.sha256(b"other").digest(),
         REASON.INVALID_FIELD, "receipt.ref_digest"),
    ]
    before = sender.rows()
    for writer, held, digest, reason, field in bad:
        refused(fake, queued(writer, rep, env, held, digest), reason, field)
    assert sender.rows() == before
    assert sender.status(mid)["recipients"] == st["recipients"]

    # the recipient's DELIVERED moves 宮崎県 on; the hold stays on record
    d = kairan_client.receipt("450006", rep, env, DELIVERED)
    denv = kairan_client.Identity(pki.entity("450006")).seal(d)
    fake.send(pb.Frame(envelope=denv))
    assert fake.answer(d.id).WhichOneof("kind") == "accepted"
    by = by_entity(sender.status(mid))
    assert by["450006"]["state"] == "delivered", by["450006"]
    assert by["450006"]["held_by"] == "relay-45"
    # a later QUEUED does not move it back
    q, qenv = queued(relay, rep, env, ["450006"])
    fake.send(pb.Frame(envelope=qenv))
    assert fake.answer(q.id).WhichOneof("kind") == "accepted"
    st = sender.status(mid)
    assert by_entity(st)["450006"]["state"] == "delivered"
    assert st["held"] == 1
    # still nothing of ours for any receipt
    assert sender.query("SELECT count(*) FROM outbox")[0][0] == outbox
    sender.wait_log(r"receipt stored id=%s ref=%s state=QUEUED "
                    r"signer=relay-45" % (q.id.hex(), mid))


def overdue(writer, report_msg, report_env, subject):
    m = kairan_client.receipt(writer.entity, report_msg, report_env,
                              pb.Receipt.OVERDUE)
    m.receipt.subject = subject
    return m, writer.seal(m)


def test_batched_queued_from_a_relay(fake, sender, pki):
    """The node says QUEUED_BATCH in its Hello and applies every report a
    batched QUEUED names (Receipt.more, PROTOCOL.md §7.4), each checked as
    the first one is: a wrong digest or a held entity that is not a
    recipient of that report refuses the whole receipt, naming
    receipt.more[i], and changes nothing; a report the node does not know
    is passed over."""
    hello = fake.next("hello", skip=())
    assert hello.hello.features & 1, hello
    reps = []
    for _ in range(2):
        _, mid = sender.send(REPORT_1, "450006,mic")
        env = fake.next("envelope").envelope
        rep = pb.Message()
        rep.ParseFromString(env.message)
        assert rep.id.hex() == mid
        fake.send(pb.Frame(accepted=pb.Accepted(id=rep.id)))
        reps.append((rep, env))
    (r1, e1), (r2, e2) = reps
    relay = fake.ident
    ghost = kairan_client.new_id()

    def batch(held2, digest2=None):
        m = kairan_client.receipt(relay.entity, r1, e1, QUEUED)
        m.receipt.held.append("450006")
        h = m.receipt.more.add()
        h.ref_id = r2.id
        h.ref_digest = digest2 or hashlib.sha256(e2.message).digest()
        h.held.extend(held2)
        g = m.receipt.more.add()     # not one of ours: passed over
        g.ref_id = ghost
        g.ref_digest = hashlib.sha256(b"ghost").digest()
        g.held.append("450006")
        return m, relay.seal(m)

    # both Accepted frames taken (a row each) before the snapshot
    wait_for(lambda: sender.rows().get("outbox_route") == 2,
             what="both reports accepted by relay-45")
    before = sender.rows()
    for held2, digest2, reason, field in [
            (["450006"], hashlib.sha256(b"other").digest(),
             REASON.INVALID_FIELD, "receipt.more[0].ref_digest"),
            (["453412"], None, REASON.NOT_AUTHORIZED,
             "receipt.more[0].held[0]: 453412 is not a recipient")]:
        refused(fake, batch(held2, digest2), reason, field)
    assert sender.rows() == before
    # the first report's part was applied before more[0] failed: undone
    for r in (r1, r2):
        st = sender.status(r.id.hex())
        assert st["held"] == 0, st

    q, qenv = batch(["450006", "mic"])
    fake.send(pb.Frame(envelope=qenv))
    assert fake.answer(q.id).WhichOneof("kind") == "accepted"
    by1 = by_entity(sender.status(r1.id.hex()))
    assert by1["450006"]["state"] == "held", by1
    assert by1["450006"]["held_by"] == "relay-45"
    assert by1["mic"]["state"] == "pending", by1
    by2 = by_entity(sender.status(r2.id.hex()))
    for e in ("450006", "mic"):
        assert by2[e]["state"] == "held", by2[e]
        assert by2[e]["held_by"] == "relay-45", by2[e]
    assert sender.query("SELECT matched FROM receipt_in WHERE id = ?",
                        (q.id,)) == [(1,)]


def test_overdue_from_a_relay(fake, sender, pki):
    _, mid = sender.send(REPORT_1, "450006,452025")
    f = fake.next("envelope")
    env = f.envelope
    rep = pb.Message()
    rep.ParseFromString(env.message)
    fake.send(pb.Frame(accepted=pb.Accepted(id=rep.id)))
    outbox = sender.query("SELECT count(*) FROM outbox")[0][0]

    # a node may not say it: refused, nothing recorded
    o, oenv = overdue(kairan_client.Identity(pki.entity("452025")), rep, env,
                      "450006")
    fake.send(pb.Frame(envelope=oenv))
    a = fake.answer(o.id)
    assert a.WhichOneof("kind") == "refused", a
    assert a.refused.reason == REASON.NOT_AUTHORIZED
    assert "receipt.state: OVERDUE" in a.refused.detail, a
    assert sender.status(mid)["overdue"] == 0

    # relay-45 says 宮崎県 is past its deadline
    o, oenv = overdue(fake.ident, rep, env, "450006")
    fake.send(pb.Frame(envelope=oenv))
    assert fake.answer(o.id).WhichOneof("kind") == "accepted"
    st = sender.status(mid)
    by = by_entity(st)
    assert st["overdue"] == 1
    assert by["450006"]["overdue_by"] == "relay-45"
    assert by["450006"]["overdue_at"].endswith("+09:00")
    assert by["452025"]["overdue_by"] is None
    text = sender.run("status", mid).stdout
    assert re.search(r"^recipient 450006 宮崎県: pending, overdue since \S+ "
                     r"\(no 受理確認 by the deadline, says relay-45\)$",
                     text, re.M), text
    sent = sender.run("sent").stdout
    assert "rejected 0/2, overdue 1" in sent, sent
    # never answered with a receipt of ours
    assert sender.query("SELECT count(*) FROM outbox")[0][0] == outbox

    # its 受理確認 comes late: no longer overdue
    k = kairan_client.receipt("450006", rep, env, pb.Receipt.ACKNOWLEDGED,
                              by="宮崎 花子")
    fake.send(pb.Frame(envelope=kairan_client.Identity(
        pki.entity("450006")).seal(k)))
    assert fake.answer(k.id).WhichOneof("kind") == "accepted"
    st = sender.status(mid)
    assert st["overdue"] == 0
    assert by_entity(st)["450006"]["state"] == "acknowledged"
    assert "overdue" not in sender.run("sent").stdout


def test_held_at_relay_then_delivered(fed):
    """A real relay-45: a report to 宮崎県 (online) and 都城市 (offline):
    the sender's status shows 都城市 held at relay-45, then delivered once
    its node comes up; the hold stays on record."""
    relay = fed.relay()
    routes = {"pref": relay}
    s = fed.node("452017", routes)
    fed.node("450006", routes)
    off = fed.node("452025", routes, start=False)
    _, mid = s.send(REPORT_1, "450006,452025")
    st = s.wait_status(mid, lambda x: by_entity(x)["452025"]["state"] ==
                       "held", "452025 held at relay-45")
    r = by_entity(st)["452025"]
    assert r["held_by"] == "relay-45" and r["held_at"].endswith("+09:00"), r
    assert r["delivered_at"] is None, r
    text = s.run("status", mid).stdout
    assert re.search(r"^recipient 452025 都城市: held at relay-45 since "
                     r"\S+\+09:00$", text, re.M), text
    # the online one is delivered (the hold, if it came first, stays noted)
    s.wait_status(mid, lambda x: by_entity(x)["450006"]["state"] ==
                  "delivered", "450006 delivered")
    assert s.status(mid)["held"] == 1

    off.start()
    st = s.wait_delivered(mid)
    r = by_entity(st)["452025"]
    assert r["state"] == "delivered" and r["held_by"] == "relay-45", r
    assert st["held"] == 0
    text = s.run("status", mid).stdout
    assert re.search(r"^recipient 452025 都城市: delivered \S+$", text,
                     re.M), text
    # the node never answers a receipt with a receipt: the sender signed
    # its report and nothing else
    assert s.query("SELECT kind FROM outbox") == [(1,)]
    assert s.query("SELECT count(*) FROM receipt_in WHERE state = ? AND "
                   "matched = 1", (QUEUED,))[0][0] >= 1
