"""Scenario 12: what the relay refuses, each with its reason checked, and
that nothing refused is stored."""
import ssl

import pytest
from websockets.exceptions import ConnectionClosed, InvalidMessage

import harness
import kairan_client as kc
from kairan_client import REASON, Client, Identity, pb


def stored(relay):
    return relay.query("SELECT count(*) FROM message "
                       "WHERE sender NOT LIKE 'relay-%'")[0][0]


def causes(e):
    """e and the exceptions it was raised from."""
    while e is not None:
        yield e
        e = e.__cause__ or e.__context__


def refused_at_handshake(relay, pki, ident, alert, logged, **kw):
    """Connects with ident and asserts that the relay refused the TLS
    handshake itself, for the reason named: the client fails before any
    WebSocket exchange, with the TLS alert named alert (e.g.
    "CERTIFICATE_REVOKED") or with a reset (the relay closes as it sends the
    alert; a reset can overtake it); and the relay logs one more line
    matching logged, which names the reason. A connection that is served,
    or refused later or for another reason, fails the test."""
    before = relay.process.count(logged)
    with pytest.raises(InvalidMessage) as ei:
        c = Client(relay.url, pki, ident, **kw)
        c.close()
    errs = list(causes(ei.value))
    assert any((isinstance(x, ssl.SSLError) and alert in str(x)) or
               isinstance(x, ConnectionResetError) for x in errs), \
        (alert, errs)
    assert not any(isinstance(x, ssl.SSLError) and alert not in str(x)
                   for x in errs), (alert, errs)
    harness.wait_for(lambda: relay.process.count(logged) == before + 1,
                     what=f"one more {logged!r} in the relay's log")


def test_no_client_certificate(relay, pki):
    refused_at_handshake(relay, pki, Identity(pki.entity("452017")),
                         "CERTIFICATE_REQUIRED",
                         r'peer refused addr=127\.0\.0\.1 reason="tls alert: '
                         r'.*no client certificate', cert=False)


def test_unknown_ca(relay, pki):
    refused_at_handshake(relay, pki, Identity(pki.bad("unknown-root")),
                         "UNKNOWN_CA",
                         r'peer refused addr=127\.0\.0\.1 reason="certificate '
                         r'unable to get local issuer certificate"')


def test_revoked_certificate(relay, pki):
    refused_at_handshake(relay, pki, Identity(pki.bad("revoked")),
                         "CERTIFICATE_REVOKED",
                         r'peer refused .*reason="certificate certificate '
                         r'revoked".*CN=452033')


def test_expired_certificate(relay, pki):
    refused_at_handshake(relay, pki, Identity(pki.bad("expired")),
                         "CERTIFICATE_EXPIRED",
                         r'peer refused .*reason="certificate certificate has '
                         r'expired"')


def test_prefecture_rule_at_handshake(relay, pki):
    # chain verifies, but CA 45 may not vouch for a Tokyo code
    # (checked once the TLS session is up: the relay closes the
    # connection without serving a single frame)
    logged = r'peer refused addr=127\.0\.0\.1 reason=".*131083.*45'
    with pytest.raises(ConnectionClosed):
        c = Client(relay.url, pki, Identity(pki.bad("pref13-by-45")))
        try:
            c.recv()
        finally:
            c.close()
    relay.wait_log(logged)
    assert relay.process.count(logged) == 1
    assert "peer ready" not in relay.log()


def test_revoked_by_sighup_is_dropped(relay, pki, tmp_path):
    ident = Identity(pki.entity("452068"))
    with Client(relay.url, pki, ident) as c:
        relay.wait_log(r"peer ready entity=452068")
        pki.revoke("452068")
        relay.hup()
        relay.wait_log(r'peer dropped entity=452068 .*reason=".*revoked')
        assert c.closed()
    # and it cannot come back: the handshake itself is refused, as revoked
    refused_at_handshake(relay, pki, ident, "CERTIFICATE_REVOKED",
                         r'peer refused .*reason="certificate certificate '
                         r'revoked".*CN=452068')


def test_relay_not_configured_as_peer_refused(relay, pki):
    with Client(relay.url, pki, Identity(pki.entity("relay-13")),
                hello=False) as c:
        f = c.recv()
        assert f.refused.reason == REASON.NOT_AUTHORIZED
        assert "not configured as a peer" in f.refused.detail
        assert c.closed()
    relay.wait_log(r'peer refused .*entity=relay-13 role=relay '
                   r'reason="relay relay-13 is not configured as a peer')


def test_sender_different_from_certificate(relay, pki):
    me = Identity(pki.entity("452017"))
    other = Identity(pki.entity("450006"))
    with Client(relay.url, pki, me) as c:
        # signed correctly by 450006, submitted over 452017's connection
        msg = kc.report("450006", ["mic"])
        c.send_envelope(other.seal(msg))
        f = c.answer(msg.id)
        assert f.refused.reason == REASON.NOT_AUTHORIZED
        assert "452017" in f.refused.detail
        # claims to be 450006 but signed by 452017
        msg = kc.report("450006", ["mic"])
        c.send_envelope(me.seal(msg))
        f = c.answer(msg.id)
        assert f.refused.reason == REASON.SENDER_MISMATCH
    assert stored(relay) == 0


def test_tampered_signature(relay, pki):
    me = Identity(pki.entity("452017"))
    with Client(relay.url, pki, me) as c:
        msg = kc.report("452017", ["mic"])
        c.send_envelope(me.seal(msg, tamper=True))
        f = c.answer(msg.id)
        assert f.refused.reason == REASON.BAD_SIGNATURE
        # signed by another key than the certificate's
        msg = kc.report("452017", ["mic"])
        c.send_envelope(me.seal(msg, key=Identity(pki.entity("450006")).key))
        f = c.answer(msg.id)
        assert f.refused.reason == REASON.BAD_SIGNATURE
        # still connected and still served after refusals
        _, a = kc.submit(c, kc.report("452017", ["mic"]))
        assert a.WhichOneof("kind") == "accepted"
    assert stored(relay) == 1
    relay.wait_log(r"envelope refused entity=452017 .*reason=BAD_SIGNATURE")


def test_oversized_frame(relay, pki):
    with Client(relay.url, pki, Identity(pki.entity("452017"))) as c:
        c.send_raw(b"\x12" + b"\x00" * (1024 * 1024 + 1))
        f = c.recv()
        assert f.refused.reason == REASON.TOO_LARGE
        assert c.closed()
    relay.wait_log(r"reason=TOO_LARGE")


def test_frame_bounds_whole_and_in_pieces(relay, pki):
    """lws hands the relay a message of up to 2 KB whole (handled in place)
    and a longer one in pieces (reassembled): the bounds and the outcome
    are the same either way."""
    # before its Hello a peer may send 1 KB: 1,500 bytes, one piece
    with Client(relay.url, pki, Identity(pki.entity("452017")),
                hello=False) as c:
        c.send_raw(b"\x12" + b"\x00" * 1500)
        f = c.recv()
        assert f.refused.reason == REASON.TOO_LARGE
        assert "for a Hello" in f.refused.detail
        assert c.closed()
    me = Identity(pki.entity("452017"))
    with Client(relay.url, pki, me) as c:
        # ~1.5 KB (one piece), ~30 KB (15 pieces), ~1.5 KB again
        for summary in ("短い要約", "長い要約" * 2500, "短い要約"):
            msg = kc.report("452017", ["mic"], summary=summary)
            c.send_envelope(me.seal(msg))
            assert c.answer(msg.id).WhichOneof("kind") == "accepted"
    assert stored(relay) == 3


def test_garbage_frame(relay, pki):
    with Client(relay.url, pki, Identity(pki.entity("452017"))) as c:
        c.send_raw(b"\xff\xfe garbage \x00\x01")
        f = c.recv()
        assert f.refused.reason == REASON.MALFORMED
        assert c.closed()
    assert stored(relay) == 0


def test_invalid_field_named(relay, pki):
    me = Identity(pki.entity("452017"))
    with Client(relay.url, pki, me) as c:
        msg = kc.report("452017", ["mic"])
        msg.report.level = 7
        c.send_envelope(me.seal(msg))
        f = c.answer(msg.id)
        assert f.refused.reason == REASON.INVALID_FIELD
        assert "report.level" in f.refused.detail
    assert stored(relay) == 0


def test_unknown_recipient_gets_rejected_receipt(relay, pki):
    me = Identity(pki.entity("452017"))
    with Client(relay.url, pki, me) as c:
        # 459992: a valid code (check digit) that no municipality has;
        # 131083: known, but Tokyo is not served by relay-45
        msg = kc.report("452017", ["459992", "131083", "mic"])
        env, a = kc.submit(c, msg)
        assert a.WhichOneof("kind") == "accepted"
        got = {}
        for _ in range(2):
            renv, m = c.expect_delivery()
            assert m.sender == "relay-45"
            assert renv.cert_chain  # signed by the relay, verifiable
            assert m.receipt.state == pb.Receipt.REJECTED
            assert m.receipt.ref_id == msg.id
            got[m.receipt.subject] = m.receipt.note
        assert "not in the directory" in got["459992"]
        assert "not served" in got["131083"]
    assert relay.query("SELECT recipient FROM delivery d JOIN message m ON "
                       "m.seq = d.message_seq WHERE m.id = ?",
                       (msg.id,)) == [("mic",)]
