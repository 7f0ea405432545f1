"""A TCP fault proxy for the federation scenarios: it sits on a
relay-to-relay link (the dialing relay's `url` points at it) and the test
decides, from its own thread, what the link does:

  pass        forward both ways (the default)
  cut         close every current connection (with a reset) and refuse
              every new one, until restore(): the link is down, and the
              dialing relay sees its connects fail at once
  blackhole   accept and read, forward nothing either way: TLS handshakes
              and websockets stall with their sockets open, as behind a
              dead router; restore() closes the connections that lost
              bytes (their streams cannot continue), so the relay redials
  slow        delay every chunk by N ms, in order

The proxy runs its own asyncio loop in a background thread; every method
below is called from the test thread and returns once the loop has done
it. The target (host, port) may be set or changed after start(), so a
proxy can be written into a relay's configuration before the relay it
leads to has a port. stop() closes everything and joins the thread; it is
idempotent, for finalisers.
"""
import asyncio
import socket
import struct
import threading

PASS, CUT, BLACKHOLE, SLOW = "pass", "cut", "blackhole", "slow"
CHUNK = 65536


class _Conn:
    """One client connection and its upstream; two pumps."""

    def __init__(self, proxy, reader, writer):
        self.proxy = proxy
        self.creader, self.cwriter = reader, writer
        self.ureader = self.uwriter = None
        self.tasks = []
        self.lost = False       # bytes were dropped (blackhole)
        self.closed = False

    def abort(self):
        """Closes both sides with a reset (SO_LINGER 0), as a cut cable
        followed by a peer's RST would: nothing lingers in TIME_WAIT."""
        if self.closed:
            return
        self.closed = True
        for w in (self.cwriter, self.uwriter):
            if w is None:
                continue
            sock = w.get_extra_info("socket")
            try:
                if sock is not None:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                    struct.pack("ii", 1, 0))
            except OSError:
                pass
            w.transport.abort()
        for t in self.tasks:
            t.cancel()
        self.proxy.conns.discard(self)

    async def pump(self, reader, writer, direction):
        """Reads chunks from reader and writes them to writer as the mode
        says; ends (closing both sides) at EOF or an error."""
        p = self.proxy
        try:
            while True:
                data = await reader.read(CHUNK)
                if not data:
                    break
                if p.mode == BLACKHOLE or writer is None:
                    self.lost = True
                    p.dropped[direction] += len(data)
                    continue
                if p.mode == SLOW and p.delay_ms > 0:
                    # one pump per direction: awaiting here keeps the
                    # order, and TCP pushes back on the sender meanwhile
                    await asyncio.sleep(p.delay_ms / 1000.0)
                if self.closed:
                    break
                writer.write(data)
                await writer.drain()
                p.forwarded[direction] += len(data)
        except (ConnectionError, OSError, asyncio.CancelledError):
            pass
        finally:
            self.abort()

    async def run(self):
        p = self.proxy
        target = p.target
        if p.mode == BLACKHOLE:
            # a black hole answers the SYN and then nothing: no upstream
            self.tasks = [asyncio.ensure_future(
                self.pump(self.creader, None, "up"))]
            await asyncio.gather(*self.tasks, return_exceptions=True)
            return
        if p.mode == CUT or target is None:
            p.refused += 1
            self.abort()
            return
        try:
            self.ureader, self.uwriter = await asyncio.wait_for(
                asyncio.open_connection(*target), 10)
        except (OSError, asyncio.TimeoutError):
            p.upstream_failed += 1
            self.abort()
            return
        if self.closed or p.mode == CUT:   # cut while we were connecting
            self.abort()
            return
        p.accepted += 1
        self.tasks = [
            asyncio.ensure_future(self.pump(self.creader, self.uwriter, "up")),
            asyncio.ensure_future(self.pump(self.ureader, self.cwriter, "down")),
        ]
        await asyncio.gather(*self.tasks, return_exceptions=True)


class FaultProxy:
    """proxy = FaultProxy(name).start(); proxy.url; proxy.set_target(h, p);
    proxy.cut() / blackhole() / slow(ms) / restore(); proxy.stop()."""

    def __init__(self, name="link", target=None):
        self.name = name
        self.target = target
        self.mode = PASS
        self.delay_ms = 0
        self.port = None
        self.conns = set()
        # counters, read from the test thread (ints: atomic enough)
        self.accepted = 0          # connections forwarded to the target
        self.refused = 0           # connections closed at once (cut, no target)
        self.upstream_failed = 0   # the target did not answer
        self.forwarded = {"up": 0, "down": 0}
        self.dropped = {"up": 0, "down": 0}
        self._loop = None
        self._thread = None
        self._server = None

    # -- life --

    def start(self):
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()

        def main():
            asyncio.set_event_loop(self._loop)
            ready.set()
            self._loop.run_forever()
            self._loop.close()
        self._thread = threading.Thread(target=main, daemon=True,
                                        name=f"faultproxy-{self.name}")
        self._thread.start()
        ready.wait()

        async def listen():
            self._server = await asyncio.start_server(
                self._accept, "127.0.0.1", 0)
            return self._server.sockets[0].getsockname()[1]
        self.port = self._call(listen())
        return self

    def stop(self):
        if self._thread is None:
            return

        async def shutdown():
            if self._server is not None:
                self._server.close()
            for c in list(self.conns):
                c.abort()
            if self._server is not None:
                await self._server.wait_closed()
        try:
            self._call(shutdown())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *a):
        self.stop()

    @property
    def url(self):
        return f"wss://127.0.0.1:{self.port}/"

    # -- what the test drives --

    def set_target(self, host, port=None, cut_existing=False):
        """The (host, port) new connections go to; with cut_existing, the
        current connections (to the old target) are closed."""
        if port is None:
            host, port = host
        self.target = (host, int(port))
        if cut_existing:
            self._call(self._abort_all())

    def cut(self):
        """Closes every current connection and refuses new ones."""
        self.mode = CUT
        self._call(self._abort_all())

    def blackhole(self):
        """Reads and drops everything, both ways, on current and new
        connections."""
        self.mode = BLACKHOLE

    def slow(self, ms):
        """Delays every chunk by ms milliseconds (both ways)."""
        self.delay_ms = int(ms)
        self.mode = SLOW

    def restore(self):
        """Back to pass. Connections that dropped bytes in blackhole mode
        are closed (their TLS streams are broken); the others go on."""
        was = self.mode
        self.mode = PASS
        self.delay_ms = 0
        if was == BLACKHOLE:
            async def close_lost():
                for c in list(self.conns):
                    if c.lost:
                        c.abort()
            self._call(close_lost())

    pass_ = restore

    def connections(self):
        """How many connections are open through the proxy now."""
        async def n():
            return len(self.conns)
        return self._call(n())

    # -- inside the loop --

    async def _accept(self, reader, writer):
        c = _Conn(self, reader, writer)
        self.conns.add(c)
        await c.run()

    async def _abort_all(self):
        for c in list(self.conns):
            c.abort()

    def _call(self, coro, timeout=10):
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def __repr__(self):
        return (f"FaultProxy({self.name} :{self.port} -> {self.target} "
                f"{self.mode})")
