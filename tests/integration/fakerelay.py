"""A stand-in for a relay, in Python (ssl + websockets), with a real relay
certificate of the test PKI: what each of its connections does is a list
the test gives it, so that a scenario forces the misbehaviour it tests
(scenarios 19 and 31)."""
import asyncio
import ssl
import threading

import websockets

import kairan_pb2 as pb


class FakeRelay:
    """Connection i does modes[i] (the last mode for any later one):
    "silent": reads, never says Hello;
    "big": sends a 2,000-byte frame before any Hello;
    "mute": says Hello, reads envelopes, never answers;
    "accept": says Hello and answers Accepted to every envelope."""

    def __init__(self, pki, modes, entity="relay-45"):
        ident = pki.entity(entity)
        self.entity = entity
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
                entity=self.entity, version=1, software="fake"))
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
