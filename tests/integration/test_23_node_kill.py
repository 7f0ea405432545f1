"""Scenario 23: a node killed with SIGKILL and restarted loses nothing:
what its command line wrote to the outbox goes out after the restart, what
its inbox held is still there (once), and what arrived for it meanwhile is
delivered when it is back.

The two kills that matter are forced, not hoped for, with a fake relay
(Python: TLS with client certificates, WebSockets, our own frames) that
decides when it reads: on the receiving side the node is killed once its
database holds the report and before the relay has read its Accepted; on
the sending side once the relay holds the report and before the node has
an Accepted for it. Each time, after the restart, the redelivery (or the
resend) is answered and nothing is stored twice or lost."""
import asyncio
import queue
import ssl
import threading

import pytest
import websockets

import kairan_client as kc
from harness import TIMEOUT, wait_for
from kairan_client import Identity, pb
from nodeharness import REPORT_1, REPORT_2, Node, fed  # noqa: F401 (fixture)


def test_sigkill_and_restart_lose_nothing(fed):
    relay = fed.relay()
    routes = {"pref": relay}
    s = fed.node("452017", routes)
    r = fed.node("452025", routes)

    inc, m1 = s.send(REPORT_1, "452025")
    s.wait_delivered(m1)
    assert [x["id"] for x in r.inbox()] == [m1]

    # The recipient dies; a second report reaches the relay meanwhile.
    r.kill()
    _, m2 = s.update(inc, REPORT_2)
    s.wait_log(r"route=pref accepted id=%s" % m2)

    # The sender dies; its command line still writes (no daemon needed).
    s.kill()
    _, m3 = s.update(inc, REPORT_2)
    assert s.query("SELECT count(*) FROM outbox WHERE kind = 1")[0][0] == 3

    # Both come back.
    r.start()
    s.start()
    s.wait_log(r"route=pref accepted id=%s" % m3)
    s.wait_delivered(m2)
    s.wait_delivered(m3)
    r.wait_inbox(m3)
    box = r.inbox()
    assert [x["id"] for x in box] == [m3, m2, m1]
    assert [x["report_no"] for x in box] == [3, 2, 1]
    assert r.query("SELECT count(*) FROM inbox")[0][0] == 3
    # Each stored once, across the restart.
    for m in (m1, m2, m3):
        assert r.count(r"inbox stored id=%s" % m) == 1, m
    # The outbox of the sender is intact: three reports, each accepted.
    for m in (m1, m2, m3):
        st = s.status(m)
        assert st["routes"][0]["accepted_at"], (m, st)
        assert st["recipients"][0]["state"] == "delivered", (m, st)


class FakeRelay:
    """A relay-45 that speaks just enough of the protocol, in a thread of
    its own: it answers the node's Hello, and puts every frame the node
    sends into a queue that the test reads when it chooses (a frame not
    read is, for the protocol, a frame the relay never got). It answers
    nothing by itself: the test sends what it wants, when it wants."""

    def __init__(self, pki):
        self.ident = Identity(pki.entity("relay-45"))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.load_cert_chain(self.ident.chain_file, self.ident.key_file)
        ctx.load_verify_locations(str(pki.ca))
        ctx.verify_mode = ssl.CERT_REQUIRED
        self.frames = queue.Queue()
        self.ws = None          # the node's current connection
        self.connections = 0
        self.loop = asyncio.new_event_loop()
        started = threading.Event()

        async def serve():
            self.server = await websockets.serve(
                self._conn, "127.0.0.1", 0, ssl=ctx,
                subprotocols=["kairan.v1"], max_size=None,
                ping_interval=None)
            self.port = self.server.sockets[0].getsockname()[1]
            started.set()

        def run():
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(serve())
            self.loop.run_forever()
        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        assert started.wait(TIMEOUT)
        self.url = f"wss://127.0.0.1:{self.port}/"

    async def _conn(self, ws, path=None):
        f = pb.Frame()
        f.ParseFromString(await ws.recv())
        assert f.WhichOneof("kind") == "hello", f
        # current before the node can know it is connected (our Hello)
        self.connections += 1
        n = self.connections
        self.ws = ws
        await ws.send(pb.Frame(hello=pb.Hello(
            entity="relay-45", version=1,
            software="pytest-fake-relay")).SerializeToString())
        try:
            async for data in ws:
                f = pb.Frame()
                f.ParseFromString(data)
                self.frames.put((n, f))
        except websockets.exceptions.ConnectionClosed:
            pass

    def send(self, frame):
        fut = asyncio.run_coroutine_threadsafe(
            self.ws.send(frame.SerializeToString()), self.loop)
        fut.result(TIMEOUT)

    def next(self, conn=None, timeout=TIMEOUT):
        """The next frame the node sent (on connection conn, skipping
        frames of earlier connections: those were never read)."""
        while True:
            n, f = self.frames.get(timeout=timeout)
            if conn is None or n == conn:
                return f

    def drain(self):
        """Forgets every frame not read yet: the relay never got them."""
        while True:
            try:
                self.frames.get_nowait()
            except queue.Empty:
                return

    def close(self):
        async def stop():
            self.server.close()
            await self.server.wait_closed()
        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(TIMEOUT)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(TIMEOUT)


@pytest.fixture()
def fake(pki):
    f = FakeRelay(pki)
    try:
        yield f
    finally:
        f.close()


@pytest.fixture()
def node(tmp_path, pki, fake):
    n = Node(tmp_path, pki, "452025", {"pref": fake.url})
    try:
        yield n
    finally:
        n.kill()


def envelope_ids(frames):
    out = []
    for f in frames:
        if f.WhichOneof("kind") == "envelope":
            m = pb.Message()
            m.ParseFromString(f.envelope.message)
            out.append(m)
    return out


def test_sigkill_between_store_and_accepted(node, fake, pki):
    """The node stored the report and is killed before the relay has read
    its Accepted: the relay delivers it again after the restart, the node
    answers Accepted, and the inbox holds it once, with one DELIVERED
    receipt."""
    sender = Identity(pki.entity("452017"))
    msg = kc.report("452017", ["452025"])
    env = sender.seal(msg)
    node.start()
    fake.send(pb.Frame(envelope=env))
    wait_for(lambda: node.query("SELECT count(*) FROM inbox WHERE id = ?",
                                (msg.id,))[0][0] == 1,
             what="the report in the node's inbox")
    node.kill()             # whatever it answered, the relay read none of it
    fake.drain()
    assert node.query("SELECT count(*) FROM inbox")[0][0] == 1

    node.start()
    node.wait_log(r"route=pref ready")
    fake.send(pb.Frame(envelope=env))       # the relay delivers it again
    conn = fake.connections
    receipts = set()
    while True:
        f = fake.next(conn)
        k = f.WhichOneof("kind")
        if k == "accepted":
            assert f.accepted.id == msg.id, f
            break
        assert k == "envelope", f           # only its DELIVERED receipt
        (m,) = envelope_ids([f])
        assert m.receipt.ref_id == msg.id
        receipts.add(m.id)
        fake.send(pb.Frame(accepted=pb.Accepted(id=m.id)))
    node.wait_log(r"inbox duplicate id=%s sender=452017" % msg.id.hex())
    assert node.count(r"inbox stored id=%s" % msg.id.hex()) == 1
    assert node.query("SELECT count(*) FROM inbox")[0][0] == 1
    assert [x["id"] for x in node.inbox()] == [msg.id.hex()]
    # one DELIVERED receipt was ever written, whatever was sent twice
    assert node.query("SELECT count(*) FROM outbox WHERE kind = 2")[0][0] == 1
    rid = node.query("SELECT id FROM outbox WHERE kind = 2")[0][0]
    assert receipts <= {rid}


def test_sigkill_between_relay_store_and_accepted(node, fake):
    """The relay holds the node's report, and the node is killed before an
    Accepted reached it: after the restart it sends the same envelope again
    (same id, same signed bytes), and takes the Accepted for it."""
    node.start()
    inc, mid = node.send(REPORT_1, "452017")
    f = fake.next()
    (m,) = envelope_ids([f])
    assert m.id.hex() == mid
    first = f.envelope.message
    # the relay has it; no Accepted has been sent
    node.kill()
    assert node.query("SELECT count(*) FROM outbox_route WHERE "
                      "accepted_ms IS NOT NULL")[0][0] == 0
    assert node.status(mid)["routes"][0]["accepted_at"] is None

    node.start()
    conn = fake.connections
    f = fake.next(conn)
    (again,) = envelope_ids([f])
    assert again.id.hex() == mid and f.envelope.message == first
    fake.send(pb.Frame(accepted=pb.Accepted(id=again.id)))
    node.wait_log(r"route=pref accepted id=%s" % mid)
    st = node.status(mid)
    assert st["routes"][0]["accepted_at"], st
    assert node.query("SELECT count(*) FROM outbox")[0][0] == 1
