"""Scenario 31: the client link's own guards (include/kairan/link.h), on a
node's route to a relay that misbehaves in the ways a real one can look
from outside (hung, or half-dead behind a proxy):

- a relay that never says Hello is dropped after hello_timeout, with the
  reason in the log and in `status`, and dialled again;
- a relay that sends a frame bigger than a Hello before its Hello is cut
  off at 1024 bytes (the bound of that state, not max_frame);
- the stall watchdog: a relay that takes the node's envelopes and never
  answers, until the window (32) is full, is closed after stall_timeout
  and dialled again, and every unanswered envelope is sent again on the
  new connection, where it is accepted.

The relay is a stand-in written in Python (ssl + websockets) with the
real relay-45 certificate; what each of its connections does is a list
the test gives it, so every condition is forced, none waited for."""
import asyncio
import ssl
import threading

import websockets

from harness import wait_for
import kairan_pb2 as pb
from nodeharness import REPORT_1, Node

WINDOW = 32     # LINK_WINDOW: envelopes in flight per connection


class FakeRelay:
    """Connection i does modes[i] (the last mode for any later one):
    "silent": reads, never says Hello;
    "big": sends a 2,000-byte frame before any Hello;
    "mute": says Hello, reads envelopes, never answers;
    "accept": says Hello and answers Accepted to every envelope."""

    def __init__(self, pki, modes):
        ident = pki.entity("relay-45")
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        self.ctx.load_cert_chain(str(ident / "chain.pem"),
                                 str(ident / "key.pem"))
        self.ctx.load_verify_locations(str(pki.ca))
        self.ctx.verify_mode = ssl.CERT_REQUIRED
        self.modes = modes
        self.connections = 0
        self.ids = []           # per connection: the envelope ids it got
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._main, daemon=True)
        self.thread.start()
        assert self.ready.wait(10)
        self.url = f"wss://127.0.0.1:{self.port}/"

    async def _handler(self, ws, path=None):
        try:
            await self._serve(ws)
        except websockets.ConnectionClosed:
            pass                # the node hung up: what these tests expect

    async def _serve(self, ws):
        mode = self.modes[min(self.connections, len(self.modes) - 1)]
        self.connections += 1
        got = []
        self.ids.append(got)
        await ws.recv()                                  # the node's Hello
        if mode == "big":
            await ws.send(b"\x00" * 2000)
        if mode in ("mute", "accept"):
            await ws.send(pb.Frame(hello=pb.Hello(
                entity="relay-45", version=1, software="fake"))
                .SerializeToString())
        async for data in ws:
            f = pb.Frame()
            f.ParseFromString(data)
            if f.WhichOneof("kind") != "envelope":
                continue
            m = pb.Message()
            m.ParseFromString(f.envelope.message)
            got.append(m.id.hex())
            if mode == "accept":
                await ws.send(pb.Frame(accepted=pb.Accepted(id=m.id))
                              .SerializeToString())

    def _main(self):
        asyncio.set_event_loop(self.loop)

        async def start():
            self.server = await websockets.serve(
                self._handler, "127.0.0.1", 0, ssl=self.ctx,
                subprotocols=["kairan.v1"], ping_interval=None)
            self.port = self.server.sockets[0].getsockname()[1]
            self.ready.set()
        self.loop.run_until_complete(start())
        self.loop.run_forever()

    def stop(self):
        async def close():
            self.server.close()
            await self.server.wait_closed()
        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def test_hello_timeout_and_bound(tmp_path, pki):
    relay = FakeRelay(pki, ["silent", "big", "accept"])
    n = Node(tmp_path, pki, "452017", {"pref": relay.url},
             extra={"hello_timeout": "500ms"})
    try:
        n.start(wait=False)
        n.wait_log(r"route=pref closing: "
                   r"\"no Hello from the peer within 500 ms\"")
        n.wait_log(r"route=pref down reason=\"no Hello from the peer "
                   r"within 500 ms\"")
        # the second connection: a frame over the Hello bound, refused
        # before it is parsed
        n.wait_log(r"route=pref frame over limit max_frame=1024 for a Hello")
        n.wait_log(r"route=pref down reason=\"frame over limit 1024 bytes "
                   r"for a Hello\"")
        n.wait_ready("pref")                   # the third one says Hello
        assert relay.connections == 3
        _, mid = n.send(REPORT_1, "450006")
        n.wait_log(r"route=pref accepted id=%s" % mid)
    finally:
        if n.alive():
            n.stop()
        relay.stop()


def test_stall_watchdog_redials_and_resends(tmp_path, pki):
    relay = FakeRelay(pki, ["mute", "accept"])
    n = Node(tmp_path, pki, "452017", {"pref": relay.url},
             extra={"stall_timeout": "1s"})
    try:
        n.start()
        mids = [n.send(REPORT_1, "450006")[1] for _ in range(WINDOW)]
        # the first connection took the whole window and answered nothing
        n.wait_log(r"route=pref closing: \"stalled: %d envelopes in flight "
                   r"and nothing from the peer for 1000 ms\"" % WINDOW)
        assert sorted(relay.ids[0]) == sorted(mids), relay.ids[0]
        # dialled again: every unanswered envelope sent again, accepted
        wait_for(lambda: relay.connections >= 2, what="second connection")
        for mid in mids:
            n.wait_log(r"route=pref accepted id=%s" % mid)
        assert sorted(relay.ids[1]) == sorted(mids), relay.ids[1]
        assert n.count(r"route=pref closing: \"stalled") == 1
        assert n.count(r"route=pref ready relay=") == 2
    finally:
        if n.alive():
            n.stop()
        relay.stop()
