"""Scenario 67: TLS session resumption across relay restarts, still checked.

The relay keeps its session ticket keys in its state (relay.db-tickets,
mode 0600), so a node that reconnects after a restart resumes its TLS
session instead of paying a full handshake (the reconnect storm). What a
ticket resumes is checked again: a certificate revoked since the ticket
was issued is refused after the restart, and a ticket of a key whose
window is over is not accepted (a full handshake instead).

The client is Python's ssl with a session object (session_reused says
whether the server resumed it); the relay says so too, at debug level
("peer tls entity=... resumed=1"). The rotation window is forced by
ageing the key file while the relay is stopped, never by waiting."""
import base64
import os
import re
import socket
import ssl
import stat
import time

import pytest

import harness
import kairan_pb2 as pb
from nodeharness import REPORT_1, fed  # noqa: F401 (fixture)

ENTITY = "452092"      # えびの市: revoked below, used by no other scenario


def ws_frame(payload):
    """A masked binary WebSocket frame (client to server)."""
    mask = os.urandom(4)
    n = len(payload)
    head = bytes([0x82]) + (bytes([0x80 | n]) if n < 126 else
                            bytes([0x80 | 126]) + n.to_bytes(2, "big"))
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    return buf


class Conn:
    """TLS 1.3 with the entity's certificate, the WebSocket upgrade and the
    relay's Hello, blocking; session: an ssl.SSLSession to offer."""

    contexts = {}   # a session resumes only with the context it came from

    def __init__(self, relay, pki, entity, session=None):
        ctx = Conn.contexts.get((str(pki.path), entity))
        if ctx is None:
            ident = pki.entity(entity)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_3
            ctx.load_verify_locations(str(pki.ca))
            ctx.load_cert_chain(str(ident / "chain.pem"),
                                str(ident / "key.pem"))
            Conn.contexts[(str(pki.path), entity)] = ctx
        raw = socket.create_connection(("127.0.0.1", relay.port),
                                       timeout=harness.TIMEOUT)
        self.sock = ctx.wrap_socket(raw, server_hostname="127.0.0.1",
                                    session=session)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((
            "GET / HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{relay.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Protocol: kairan.v1\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise ConnectionError(f"closed after {head!r}")
            head += chunk
        assert head.startswith(b"HTTP/1.1 101"), head
        # the relay's Hello: by now the session ticket has come too
        b0, b1 = recv_exact(self.sock, 2)
        n = b1 & 0x7F
        if n == 126:
            n = int.from_bytes(recv_exact(self.sock, 2), "big")
        f = pb.Frame()
        f.ParseFromString(recv_exact(self.sock, n))
        assert f.WhichOneof("kind") == "hello", f
        self.sock.sendall(ws_frame(pb.Frame(hello=pb.Hello(
            entity=entity, version=1, software="pytest")).SerializeToString()))
        self.reused = self.sock.session_reused
        self.session = self.sock.session

    def close(self):
        self.sock.close()


def connect(relay, pki, entity, session=None):
    c = Conn(relay, pki, entity, session)
    relay.wait_log(rf"peer ready entity={entity} ")
    c.close()
    return c


def ticket_file(relay):
    return relay.dir / "relay.db-tickets"


def test_resumed_after_restart_and_still_checked(relays, pki):
    relay = relays()
    first = connect(relay, pki, "452017")
    assert not first.reused
    relay.wait_log(r"peer tls entity=452017 addr=\S+ resumed=0")
    # the keys are the relay's state: 0600, and never in its log
    st = os.stat(ticket_file(relay))
    assert stat.S_IMODE(st.st_mode) == 0o600
    secrets = [ln.split()[1:] for ln in ticket_file(relay).read_text()
               .splitlines() if ln and not ln.startswith("#")]
    assert len(secrets) == 1
    log = relay.log()
    assert not any(k in log for k in secrets[0])

    relay.stop()
    relay.start()
    again = connect(relay, pki, "452017", first.session)
    assert again.reused, "no resumption after the restart"
    relay.wait_log(r"peer tls entity=452017 addr=\S+ resumed=1")
    # its certificate was verified again with today's trust, so the
    # chain cache is seeded from it as from a full handshake
    relay.wait_log(r"peer chain seeded entity=452017 resumed=1")
    # the same keys, and the file was not rewritten
    assert ticket_file(relay).stat().st_mtime_ns == st.st_mtime_ns


def test_revoked_since_the_ticket_is_refused(relays, pki):
    relay = relays()
    first = connect(relay, pki, ENTITY)
    # a resumption before the revocation works
    assert connect(relay, pki, ENTITY, first.session).reused
    relay.stop()
    pki.revoke(ENTITY)
    relay.start()
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        c = Conn(relay, pki, ENTITY, first.session)
        try:
            c.sock.recv(1)      # TLS 1.3: the refusal comes after
        finally:
            c.close()
    relay.wait_log(rf'tls resumption refused addr=\S+ reason="resumed '
                   rf'session: chain: certificate revoked \(error 23 at '
                   rf'depth 0\)"')
    relay.wait_log(r'peer refused .*reason="certificate certificate '
                   rf'revoked".*CN={ENTITY}')
    assert not re.search(rf"peer (ready|connected) entity={ENTITY}\b",
                         relay.process.text())


def test_node_resumes_after_relay_restart(fed):
    """kairan-node keeps each route's session and offers it again: after
    the relay's restart its route comes back on a resumed session, and
    what it sends then still gets through."""
    relay = fed.relay()
    s = fed.node("452017", {"pref": relay})
    r = fed.node("452025", {"pref": relay})
    relay.wait_log(r"peer tls entity=452017 addr=\S+ resumed=0")
    relay.stop()
    relay.start()
    s.wait_ready("pref", since_start=False)
    relay.wait_log(r"peer tls entity=452017 addr=\S+ resumed=1")
    relay.wait_log(r"peer tls entity=452025 addr=\S+ resumed=1")
    _, m = s.send(REPORT_1, "452025")
    s.wait_delivered(m)
    assert [x["id"] for x in r.inbox()] == [m]


def age_keys(path, by_s):
    """Moves every key's creation time by_s seconds into the past."""
    out = []
    for ln in path.read_text().splitlines():
        if ln and not ln.startswith("#"):
            f = ln.split()
            f[0] = str(int(f[0]) - by_s)
            ln = " ".join(f)
        out.append(ln)
    path.write_text("\n".join(out) + "\n")
    os.chmod(path, 0o600)


def test_ticket_after_its_window_is_not_accepted(relays, pki):
    relay = relays(extra={"ticket_rotation": "1h"})
    first = connect(relay, pki, "452025")
    relay.stop()
    # 1.5 rotations old: the key is the previous one now, still accepted
    age_keys(ticket_file(relay), 5400)
    relay.start()
    second = connect(relay, pki, "452025", first.session)
    assert second.reused, "the previous key's tickets must still resume"
    keys = [ln for ln in ticket_file(relay).read_text().splitlines()
            if ln and not ln.startswith("#")]
    assert len(keys) == 2       # rotated at start: current and previous
    relay.stop()
    # 2.5 rotations: the first key's window is over
    age_keys(ticket_file(relay), 3600)
    relay.start()
    third = connect(relay, pki, "452025", first.session)
    assert not third.reused, "a ticket past its key's window resumed"
    relay.wait_log(r"peer tls entity=452025 addr=\S+ resumed=0")


def ws_frames_until_ping(sock):
    """Reads the relay's frames (small ones) until a ping: by then OpenSSL
    has read whatever came before it, a post-handshake ticket included."""
    while True:
        b0, b1 = recv_exact(sock, 2)
        n = b1 & 0x7F
        if n == 126:
            n = int.from_bytes(recv_exact(sock, 2), "big")
        recv_exact(sock, n)
        if b0 & 0x0F == 0x9:
            return


ROTATION = 60      # s: one rotation in the test, the next one far off
LEAD = 8           # s: from the start to that rotation, for one connection


def write_keys(path, created):
    """A key file of fresh random keys, one per creation time (newest
    first), as the relay writes it."""
    path.write_text("".join(
        f"{c} {os.urandom(16).hex()} {os.urandom(32).hex()} "
        f"{os.urandom(32).hex()}\n" for c in created))
    os.chmod(path, 0o600)


def set_key_times(path, created):
    """Sets the creation times of the file's keys (newest first)."""
    out, i = [], 0
    for ln in path.read_text().splitlines():
        if ln and not ln.startswith("#"):
            f = ln.split()
            f[0] = str(created[i])
            i += 1
            ln = " ".join(f)
        out.append(ln)
    assert i == len(created), (i, created)
    path.write_text("\n".join(out) + "\n")
    os.chmod(path, 0o600)


def test_connected_node_gets_a_ticket_of_the_new_key(relays, pki):
    """A node stays connected for days, longer than its handshake's
    ticket lives (two rotations): at each rotation the relay sends every
    connected node a new ticket, so that the storm after a crash still
    resumes. The old ticket's key is then past its window and resumes
    nothing; the new one does. The relay starts with a key due to rotate
    LEAD s later, and the next rotation is a minute after that: exactly
    one happens in the test, so the new key is the one that issued the
    new ticket, however slow the machine."""
    relay = relays(start=False, extra={"ticket_rotation": f"{ROTATION}s",
                                       "ping_interval": "1s"})
    write_keys(ticket_file(relay), [int(time.time()) - ROTATION + LEAD])
    relay.start()
    c = Conn(relay, pki, "131024")
    old = c.session
    relay.wait_log(r"tls ticket keys rotated generation=",
                   timeout=LEAD + harness.TIMEOUT)
    text = relay.process.text()
    assert text.index("peer tls entity=131024") < \
        text.index("tls ticket keys rotated"), \
        f"the connection came after the rotation: LEAD ({LEAD} s) too short"
    relay.wait_log(r"tls tickets refreshed peers=1\b")
    ws_frames_until_ping(c.sock)
    new = c.sock.session
    assert new.time > old.time or new.id != old.id, "no new ticket came"
    c.close()
    relay.stop()
    assert relay.process.count(r"tls ticket keys rotated") == 1
    # the first key past its window, the second (the new ticket's) current
    now = int(time.time())
    set_key_times(ticket_file(relay), [now - 1, now - 3 * ROTATION])
    relay.start()
    assert not connect(relay, pki, "131024", old).reused
    assert connect(relay, pki, "131024", new).reused


def test_bad_key_file_is_refused_with_its_name(relays, pki):
    """Keys anyone else may read are refused: the relay does not start,
    and says which file and why."""
    relay = relays()
    relay.stop()
    os.chmod(ticket_file(relay), 0o644)
    relay.process.start()
    harness.wait_for(lambda: not relay.process.alive(), what="relay exit")
    assert relay.process.returncode() != 0
    assert re.search(r"session_tickets: .*relay\.db-tickets: mode 0644, "
                     r"want 0600", relay.process.text()), \
        relay.process.text()[-2000:]
