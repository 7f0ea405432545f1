"""The fault proxy of the federation scenarios (faultproxy.py), checked on
its own with plain TCP echo servers: pass forwards both ways, the target
can be set after start and changed, cut resets the open connections and
refuses new ones until restore, blackhole reads and forwards nothing,
slow delays every chunk by at least N ms and keeps the order."""
import socket
import threading
import time

import pytest

from faultproxy import FaultProxy
from harness import wait_for


class Echo:
    """A threaded TCP echo server that prefixes what it echoes and counts
    the bytes it received."""

    def __init__(self, prefix=b""):
        self.prefix = prefix
        self.received = 0
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.t = threading.Thread(target=self._serve, daemon=True)
        self.t.start()

    def _serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            threading.Thread(target=self._echo, args=(c,), daemon=True).start()

    def _echo(self, c):
        try:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                self.received += len(d)
                c.sendall(self.prefix + d)
        except OSError:
            pass
        finally:
            c.close()

    def close(self):
        self.sock.close()
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass


@pytest.fixture()
def echo():
    made = []

    def make(prefix=b""):
        e = Echo(prefix)
        made.append(e)
        return e
    yield make
    for e in made:
        e.close()


@pytest.fixture()
def proxy():
    p = FaultProxy("unit").start()
    yield p
    p.stop()


def connect(p):
    s = socket.create_connection(("127.0.0.1", p.port), timeout=10)
    return s


def refused(p):
    """True if a new connection through p is closed at once: the reset
    may already be there when connect() looks (it then fails), or come
    with the first read."""
    try:
        s = connect(p)
    except ConnectionResetError:
        return True
    try:
        return closed_by_peer(s)
    finally:
        s.close()


def recv_exactly(s, n):
    out = b""
    while len(out) < n:
        d = s.recv(n - len(out))
        if not d:
            break
        out += d
    return out


def closed_by_peer(s):
    """True once the proxy closed s (EOF or reset)."""
    try:
        return s.recv(1) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True


def test_pass_and_target_after_start(proxy, echo):
    # no target yet: the connection is closed at once
    assert refused(proxy)
    wait_for(lambda: proxy.refused == 1, what="one refused")
    a = echo(b"a:")
    proxy.set_target("127.0.0.1", a.port)
    with connect(proxy) as s:
        s.sendall(b"hello")
        assert recv_exactly(s, 7) == b"a:hello"
        big = bytes(range(256)) * 1024          # 256 KiB, several chunks
        s.sendall(big)
        got = b""
        while len(got) < len(big):
            got += s.recv(65536).replace(b"a:", b"")
        assert got == big
    assert proxy.accepted == 1
    # a new target is used by new connections
    b = echo(b"b:")
    proxy.set_target(("127.0.0.1", b.port))
    with connect(proxy) as s:
        s.sendall(b"x")
        assert recv_exactly(s, 3) == b"b:x"


def test_cut_and_restore(proxy, echo):
    e = echo()
    proxy.set_target("127.0.0.1", e.port)
    s = connect(proxy)
    s.sendall(b"ping")
    assert recv_exactly(s, 4) == b"ping"
    wait_for(lambda: proxy.connections() == 1, what="one connection")
    proxy.cut()
    assert closed_by_peer(s)          # the open connection is gone
    s.close()
    assert proxy.connections() == 0
    # new connections are refused while cut
    for _ in range(3):
        assert refused(proxy)
    wait_for(lambda: proxy.refused == 3, what="three refused")
    before = e.received
    proxy.restore()
    with connect(proxy) as s:
        s.sendall(b"again")
        assert recv_exactly(s, 5) == b"again"
    assert e.received == before + 5


def test_blackhole(proxy, echo):
    e = echo()
    proxy.set_target("127.0.0.1", e.port)
    old = connect(proxy)
    old.sendall(b"1")
    assert recv_exactly(old, 1) == b"1"
    proxy.blackhole()
    old.sendall(b"lost")
    new = connect(proxy)
    new.sendall(b"also lost")
    # the proxy read all of it, and the echo server got none of it
    wait_for(lambda: proxy.dropped["up"] == 4 + 9, what="bytes dropped")
    assert e.received == 1
    # both connections stay open (a stall, not a close)
    old.settimeout(0.2)
    with pytest.raises(socket.timeout):
        old.recv(1)
    assert proxy.connections() == 2
    # restore closes the connections that lost bytes; new ones pass
    proxy.restore()
    old.settimeout(10)
    new.settimeout(10)
    assert closed_by_peer(old) and closed_by_peer(new)
    old.close()
    new.close()
    with connect(proxy) as s:
        s.sendall(b"back")
        assert recv_exactly(s, 4) == b"back"


def test_slow_keeps_order(proxy, echo):
    e = echo()
    proxy.set_target("127.0.0.1", e.port)
    with connect(proxy) as s:
        proxy.slow(150)
        t0 = time.monotonic()
        s.sendall(b"abc")
        assert recv_exactly(s, 3) == b"abc"
        # one chunk each way, each delayed 150 ms: a lower bound only
        assert time.monotonic() - t0 >= 0.3
        for i in range(20):
            s.sendall(b"%02d" % i)
        got = recv_exactly(s, 40)
        assert got == b"".join(b"%02d" % i for i in range(20))
        proxy.restore()
        s.sendall(b"z")
        assert recv_exactly(s, 1) == b"z"


def test_stop_is_idempotent(echo):
    e = echo()
    p = FaultProxy("stop", ("127.0.0.1", e.port)).start()
    s = connect(p)
    s.sendall(b"q")
    assert recv_exactly(s, 1) == b"q"
    p.stop()
    assert closed_by_peer(s)
    s.close()
    p.stop()
