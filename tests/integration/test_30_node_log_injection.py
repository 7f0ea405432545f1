"""Scenario 30: what a relay says goes into the node's log escaped: a
Hello whose entity holds a newline and a forged log line, and a Refused
whose detail does the same, each give exactly one line, with the peer's
text quoted and its control characters escaped (log_str), so a relay can
never forge an `accepted id=…` line in the node's journal.

Since the protocol refuses control characters in every string of a Frame
(PROTOCOL.md §6), the Refused with a newline is itself a bad frame (one
line, never recorded); the relay's next Refused tries quotes and
backslashes instead, which the protocol allows and log_str escapes.

The relay here is a stand-in written in Python (ssl + websockets) with
the real relay-45 certificate: it says what a real relay never would."""
import asyncio
import ssl
import threading

import websockets

import harness
from harness import wait_for
import kairan_pb2 as pb
from nodeharness import REPORT_1, Node

FORGED = "kairan-node: info: route=pref accepted id=" + "ab" * 16
# refused by the frame rules: a newline and ESC in Refused.detail
BAD_DETAIL = "summary: bad\n" + FORGED + "\x1b[2J\"end"
# allowed by them, and tries to end its log field
QUOTED_DETAIL = 'summary: bad" ' + FORGED + ' \\"end'


class FakeRelay:
    """Accepts the node's connections; the first one gets a bad Hello, the
    later ones a good Hello and a Refused for every envelope: the first
    with BAD_DETAIL, the others with QUOTED_DETAIL."""

    def __init__(self, pki):
        ident = pki.entity("relay-45")
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        self.ctx.load_cert_chain(str(ident / "chain.pem"),
                                 str(ident / "key.pem"))
        self.ctx.load_verify_locations(str(pki.ca))
        self.ctx.verify_mode = ssl.CERT_REQUIRED
        self.connections = 0
        self.envelopes = 0
        self.refused = 0
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
            pass                # the node hung up: expected after a bad Hello

    async def _serve(self, ws):
        self.connections += 1
        first = self.connections == 1
        await ws.recv()                                  # the node's Hello
        entity = "relay-45\n" + FORGED if first else "relay-45"
        await ws.send(pb.Frame(hello=pb.Hello(
            entity=entity, version=1, software="fake")).SerializeToString())
        async for data in ws:
            f = pb.Frame()
            f.ParseFromString(data)
            if f.WhichOneof("kind") != "envelope":
                continue
            m = pb.Message()
            m.ParseFromString(f.envelope.message)
            self.envelopes += 1
            if self.envelopes > 1:
                self.refused += 1
            await ws.send(pb.Frame(refused=pb.Refused(
                id=m.id, reason=pb.Refused.INVALID_FIELD,
                detail=BAD_DETAIL if self.envelopes == 1 else QUOTED_DETAIL))
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


def test_peer_strings_are_escaped(tmp_path, pki):
    relay = FakeRelay(pki)
    n = Node(tmp_path, pki, "452017", {"pref": relay.url})
    try:
        n.start(wait=False)
        n.wait_log(r"route=pref bad (hello|frame)")
        n.wait_ready("pref")                 # the second connection
        _, mid = n.send(REPORT_1, "450006")
        n.wait_log(r"route=pref refused id=%s" % mid)
        wait_for(lambda: relay.refused >= 1, what="the refusal sent")
        log = n.log()
        lines = log.splitlines()
        # no line of the node's log starts with (or is) the forged one
        assert not any(l.startswith(FORGED[:38]) for l in lines), log
        assert n.count(r"^kairan-node: info: route=pref accepted") == 0
        hello = [l for l in lines if "route=pref bad " in l and
                 "hello.entity" in l]
        assert len(hello) == 1 and "relay-45\\" in hello[0], hello
        # the Refused with control characters: one line naming the field,
        # without the peer's text; not recorded as a refusal
        bad = [l for l in lines if "route=pref bad " in l and
               "refused.detail" in l]
        assert len(bad) == 1 and "control character" in bad[0], bad
        assert all(l.startswith("kairan-node: ") for l in lines), log
        refused = [l for l in lines if "refused id=%s" % mid in l]
        assert len(refused) == 1, refused
        assert ('detail="summary: bad\\" ' + FORGED + ' \\\\\\"end"'
                in refused[0]), refused
        assert "\x1b" not in log
        # the final refusal is recorded: status shows it (not a log line)
        st = n.status(mid)
        assert st["routes"][0]["refused"] == "INVALID_FIELD"
    finally:
        if n.alive():
            n.stop()
        relay.stop()
