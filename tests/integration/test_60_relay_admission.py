"""Scenario 60: nobody without a certificate can keep the nodes out.
Silent TCP connections that never start (or never finish) their TLS
handshake are closed at handshake_timeout by the relay's own timers, and
they are capped apart from established nodes: with 500 of them open, a
real node still connects, and every silent one is gone by the deadline
plus a second."""
import select
import socket
import time

import pytest

from kairan_client import Client, Identity

SILENT = 500
TIMEOUT_S = 3


def open_silent(port, n, source="127.0.0.1"):
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((source, 0))
        s.connect(("127.0.0.1", port))
        s.setblocking(False)
        socks.append(s)
    return socks


def wait_all_closed(socks, deadline):
    """Returns the sockets still open at deadline (the relay closes them:
    we see EOF or a reset)."""
    open_ = set(socks)
    while open_ and time.monotonic() < deadline:
        r, _, _ = select.select(list(open_), [], [],
                                max(0.0, min(0.2, deadline - time.monotonic())))
        for s in r:
            try:
                if s.recv(4096) == b"":
                    open_.discard(s)
            except (ConnectionResetError, BrokenPipeError):
                open_.discard(s)
            except BlockingIOError:
                pass
    return open_


@pytest.mark.parametrize("max_connections", [20, 4096])
def test_silent_sockets_cannot_lock_nodes_out(relays, pki, max_connections):
    relay = relays(extra={"handshake_timeout": f"{TIMEOUT_S}s",
                          "max_connections": max_connections})
    socks = []
    try:
        socks = open_silent(relay.port, SILENT)
        t0 = time.monotonic()
        # A real node gets in while all of them are still open.
        me = Identity(pki.entity("452017"))
        with Client(relay.url, pki, me) as c:
            relay.wait_log(r"peer ready entity=452017",
                           timeout=TIMEOUT_S + 1)
            assert time.monotonic() - t0 < TIMEOUT_S + 1
            left = wait_all_closed(socks, t0 + TIMEOUT_S + 1)
            assert not left, f"{len(left)} silent sockets still open"
            # and the node's own connection was not among the casualties
            c.send_frame(__import__("kairan_pb2").Frame(
                hello=__import__("kairan_pb2").Hello(
                    entity="452017", version=1, software="again")))
            f = c.recv(TIMEOUT_S)
            assert f.WhichOneof("kind") == "refused"  # a second Hello
        relay.wait_log(r"handshakes closed timed_out=\d+ evicted=\d+")
    finally:
        for s in socks:
            s.close()


def test_many_addresses_cannot_lock_nodes_out(relays, pki):
    """The same from 50 source addresses (127.0.0.2 ...): the total cap
    holds where the per-address cap cannot."""
    relay = relays(extra={"handshake_timeout": f"{TIMEOUT_S}s",
                          "max_pending": 64})
    socks = []
    try:
        for i in range(50):
            socks += open_silent(relay.port, 10, source=f"127.0.0.{i + 2}")
        t0 = time.monotonic()
        with Client(relay.url, pki, Identity(pki.entity("450006"))):
            relay.wait_log(r"peer ready entity=450006",
                           timeout=TIMEOUT_S + 1)
        assert not wait_all_closed(socks, t0 + TIMEOUT_S + 1)
    finally:
        for s in socks:
            s.close()


def test_before_hello_only_a_hello_sized_frame(relay, pki):
    """Until its Hello a peer is bounded by what a Hello can be (1 KiB),
    not by max_frame."""
    with Client(relay.url, pki, Identity(pki.entity("452017")),
                hello=False) as c:
        c.send_raw(b"\x0a" + b"\xff" * 2000)
        f = c.recv()
        assert f.WhichOneof("kind") == "refused"
        assert "for a Hello" in f.refused.detail, f.refused.detail
        assert c.closed()
