"""Scenario 68: the relay's loop never waits on the disk, and nothing is
Accepted before its fsync. The WAL's fsync runs on walsync's thread; the
test relay (build/tests/hooks/kairan-relay, built with KAIRAN_TEST_HOOKS,
never bin/) holds every sync before its fsync for as long as the file named
by KAIRAN_TEST_SYNC_GATE exists, so the slow disk is forced, not hoped for.

While a batch's sync is held: another node's TLS handshake, Hello and a
WebSocket ping are answered, its report is verified (and batched behind the
held one); the sender hears nothing (no Accepted, no receipt) and the
recipient gets no delivery. Released: everything is Accepted and
delivered, once. Then a relay SIGKILLed while a sync is held loses nothing
it Accepted, and what was not Accepted is sent again and stored once."""
import asyncio

import harness
import kairan_client as kc
from kairan_client import Client, Identity, pb


def hello_frame(c):
    """The relay's Hello, read raw (Client.recv skips it)."""
    f = pb.Frame()
    f.ParseFromString(c._run(c.ws.recv()))
    return f


def accepted_within(c, seconds):
    """The ids Accepted in the next seconds (only to check that something
    does NOT happen, after the condition was seen in the relay's log);
    deliveries and receipts that come meanwhile are answered and skipped."""
    ids = set()
    try:
        while True:
            f = c.recv(seconds)
            if f.WhichOneof("kind") == "accepted":
                ids.add(f.accepted.id)
            elif f.WhichOneof("kind") == "envelope":
                m = pb.Message()
                m.ParseFromString(f.envelope.message)
                c.send_frame(pb.Frame(accepted=pb.Accepted(id=m.id)))
    except (asyncio.TimeoutError, TimeoutError):
        pass
    return ids


def test_loop_serves_while_a_commit_syncs(relays, tmp_path):
    relay, gate = harness.held_relay(relays, tmp_path)  # every sync held
    pki = relay.pki
    sender = Identity(pki.entity("452017"))
    with Client(relay.url, pki, sender) as a, \
            Client(relay.url, pki, Identity(pki.entity("450006"))) as b:
        relay.wait_log(r"peer ready entity=452017")
        relay.wait_log(r"peer ready entity=450006")
        m1 = kc.report("452017", ["450006"])
        a.send_envelope(sender.seal(m1))
        relay.wait_log(r"walsync held")
        relay.wait_log(r"commit envelopes=1\b")

        # the loop serves a newcomer meanwhile: handshake, Hello, ping
        other = Identity(pki.entity("452025"))
        with Client(relay.url, pki, other) as c:
            assert hello_frame(c).WhichOneof("kind") == "hello"
            relay.wait_log(r"peer ready entity=452025")
            pong = c._run(c.ws.ping())
            c._run(pong)
            m2 = kc.report("452025", ["450006"])
            c.send_envelope(other.seal(m2))
            # verified and batched behind the held one (not refused)
            harness.wait_for(lambda: relay.process.count(
                r"envelope refused") == 0 and "walsync held" in relay.log(),
                what="the second report verified")
            # nothing was told to anyone before the fsync
            assert a.nothing(1.0), "an answer came before the fsync"
            assert b.nothing(0.2), "a delivery went out before the fsync"
            assert c.nothing(0.2), "an answer came before the fsync"
            assert relay.process.count(r"accepted id=") == 0
            assert relay.process.count(r"walsync released") == 0

            gate.unlink()                   # the disk is back
            f = a.answer(m1.id)
            assert f.WhichOneof("kind") == "accepted", f
            f = c.answer(m2.id)
            assert f.WhichOneof("kind") == "accepted", f
            got = {b.expect_delivery()[1].id, b.expect_delivery()[1].id}
            assert got == {m1.id, m2.id}
    assert relay.process.count(r"walsync released") >= 1
    for m in (m1, m2):
        assert relay.query("SELECT count(*) FROM message WHERE id = ?",
                           (m.id,))[0][0] == 1


def test_sigkill_during_a_sync_loses_nothing_accepted(relays, tmp_path):
    gate = tmp_path / "gate"
    relay = harness.hooked_relay(relays, gate)
    pki = relay.pki
    me = Identity(pki.entity("452017"))
    first = [kc.report("452017", ["mic"]) for _ in range(20)]
    held = [kc.report("452017", ["mic"]) for _ in range(20)]
    with Client(relay.url, pki, me) as c:
        relay.wait_log(r"peer ready entity=452017")
        # Accepted: synced
        c.send_burst([pb.Frame(envelope=me.seal(m)).SerializeToString()
                      for m in first])
        accepted = set()
        while len(accepted) < len(first):
            f = c.recv()
            if f.WhichOneof("kind") == "accepted":
                accepted.add(f.accepted.id)
        assert accepted == {m.id for m in first}
        # then the disk stalls, and the relay is killed during the sync
        gate.touch()
        c.send_burst([pb.Frame(envelope=me.seal(m)).SerializeToString()
                      for m in held])
        relay.wait_log(r"walsync held")
        early = accepted_within(c, 0.5) & {m.id for m in held}
        assert not early, f"{len(early)} Accepted before their fsync"
        relay.kill()
    gate.unlink()

    relay.start()
    stored = {r[0] for r in relay.query(
        "SELECT id FROM message WHERE sender = '452017'")}
    assert accepted <= stored, f"{len(accepted - stored)} Accepted, lost"
    # what was not Accepted is sent again: Accepted now, stored once
    with Client(relay.url, pki, me) as c:
        relay.wait_log(r"peer ready entity=452017")
        for m in held:
            _, f = kc.submit(c, m)
            assert f.WhichOneof("kind") == "accepted", f
    for m in first + held:
        assert relay.query("SELECT count(*) FROM message WHERE id = ?",
                           (m.id,))[0][0] == 1
