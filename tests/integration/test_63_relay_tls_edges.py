"""Scenario 63: the edges of TLS. The relay issues session tickets only
with its kept keys, and honours them with the identity and revocation
checks of a full handshake (scenario 67 resumes them); with
session_tickets = off a client never holds one; and a bare TCP connect
that closes without a word is logged once, plainly, at debug, not as a
refused peer."""
import socket

from kairan_client import Client, Identity


def test_no_session_tickets_when_off(relays, pki):
    relay = relays(extra={"session_tickets": "off"})
    me = Identity(pki.entity("452017"))
    with Client(relay.url, pki, me) as c:
        relay.wait_log(r"peer ready entity=452017")
        # the relay's Hello came after the handshake: any ticket would too
        c.nothing(0.5)
        ssl_obj = c.ws.transport.get_extra_info("ssl_object")
        assert ssl_obj.version() == "TLSv1.3"
        assert not ssl_obj.session.has_ticket
    relay.wait_log(r"tls session tickets off")
    # and the next connection is a full handshake that works
    with Client(relay.url, pki, me):
        relay.wait_log(r"peer ready entity=452017", since_start=True)
    assert "verified chain has 0" not in relay.log()


def test_session_ticket_issued_by_default(relay, pki):
    me = Identity(pki.entity("452017"))
    with Client(relay.url, pki, me) as c:
        relay.wait_log(r"peer ready entity=452017")
        c.nothing(0.5)
        ssl_obj = c.ws.transport.get_extra_info("ssl_object")
        assert ssl_obj.session.has_ticket
    assert "verified chain has 0" not in relay.log()


def test_bare_connect_is_one_debug_line(relay, pki):
    before = relay.log()
    s = socket.create_connection(("127.0.0.1", relay.port))
    s.close()
    relay.wait_log(r"debug: connection closed before a TLS handshake "
                   r"addr=127\.0\.0\.1")
    new = relay.log()[len(before):].splitlines()
    assert not [l for l in new if ": warning: " in l], new
    assert "getpeername" not in relay.log()
    assert len([l for l in new if "before a TLS handshake" in l]) == 1
