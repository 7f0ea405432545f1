"""Scenario 69: the chain a node proved in its TLS handshake seeds the
relay's chain cache, so that its first envelope is not checked for its
chain again; nothing else is any less strict: the envelope's signature is
still checked, an operator (refused on this port) is never seeded, and a
node revoked after it was seeded is dropped at the reload and refused at
its next handshake. And lws finds a connection by its descriptor directly,
not by scanning its table on every event."""
import kairan_client as kc
from kairan_client import REASON, Client, Identity


def test_seeded_node_first_envelope(relay, pki):
    me = Identity(pki.entity("454419"))
    with Client(relay.url, pki, me) as c:
        relay.wait_log(r"peer chain seeded entity=454419\b")
        _, a = kc.submit(c, kc.report("454419", ["mic"]))
        assert a.WhichOneof("kind") == "accepted"
        # the signature is checked all the same: the bytes altered ...
        msg = kc.report("454419", ["mic"])
        c.send_envelope(me.seal(msg, tamper=True))
        assert c.answer(msg.id).refused.reason == REASON.BAD_SIGNATURE
        # ... or signed by another key beside this chain
        other = Identity(pki.entity("452025"))
        msg = kc.report("454419", ["mic"])
        c.send_envelope(me.seal(msg, key=other.key))
        assert c.answer(msg.id).refused.reason == REASON.BAD_SIGNATURE
    stored = relay.query("SELECT count(*) FROM message WHERE sender = ?",
                         ("454419",))[0][0]
    assert stored == 1


def test_refused_peer_is_not_seeded(relay, pki):
    with Client(relay.url, pki, Identity(pki.entity("ops-45")),
                hello=False) as c:
        f = c.recv()
        assert f.refused.reason == REASON.NOT_AUTHORIZED
        assert c.closed()
    relay.wait_log(r"peer refused .*entity=ops-45 role=operator")
    assert "peer chain seeded entity=ops-45" not in relay.log()


def test_revoked_after_seed_is_dropped_and_refused(relay, pki):
    me = Identity(pki.entity("454427"))
    with Client(relay.url, pki, me) as c:
        relay.wait_log(r"peer chain seeded entity=454427\b")
        _, a = kc.submit(c, kc.report("454427", ["mic"]))
        assert a.WhichOneof("kind") == "accepted"
        pki.revoke("454427")
        relay.hup()
        relay.wait_log(r'peer dropped entity=454427 .*reason=".*revoked')
        assert c.closed()
    # the next handshake is refused before any envelope is read
    try:
        c = Client(relay.url, pki, me)
    except Exception:
        pass
    else:
        try:
            c.recv()
        except Exception:
            pass
        finally:
            c.close()
    relay.wait_log(r'peer refused .*reason="certificate certificate '
                   r'revoked".*CN=454427')
    assert relay.process.count(r"peer chain seeded entity=454427\b") == 1


def test_lws_descriptor_lookup_is_direct(relay):
    # lws's cap stays below the process limit (accept stops there, never
    # at EMFILE), and its table covers every descriptor up to the cap
    m = relay.wait_log(r"libwebsockets descriptors=(\d+) lookup=(\w+)")
    assert m.group(2) == "direct", relay.log()[-2000:]
    with open(f"/proc/{relay.process.proc.pid}/limits") as f:
        soft = next(int(line.split()[3]) for line in f
                    if line.startswith("Max open files"))
    assert int(m.group(1)) < soft
