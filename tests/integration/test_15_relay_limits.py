"""Scenario 15: limits push back instead of dropping: a burst beyond
queue_limit gets OVERLOADED (retryable) for what was not taken, and every
envelope is answered; connections beyond max_connections are refused and
logged.

The burst is forced, not hoped for: the relay is paused (SIGSTOP) while
the whole burst is written into its socket, so that when it resumes it
reads many envelopes before its next commit, whatever the machine's load."""
import pytest

import kairan_client as kc
from kairan_client import REASON, Client, Identity, pb

# 40 envelopes of ~1.3 KB: well within what loopback TCP buffers while the
# relay reads nothing, so no write of ours can block on the paused relay.
BURST = 40


def test_full_queue_pushes_back_never_drops(relays, pki):
    relay = relays(extra={"queue_limit": 1})
    me = Identity(pki.entity("452017"))
    msgs = [kc.report("452017", ["mic"]) for _ in range(BURST)]
    frames = [pb.Frame(envelope=me.seal(m)).SerializeToString() for m in msgs]
    assert sum(map(len, frames)) < 64 * 1024
    with Client(relay.url, pki, me) as c:
        relay.wait_log(r"peer ready entity=452017")
        relay.process.pause()
        try:
            # one write: TLS packs about twelve envelopes into each 16 KB
            # record, and the relay reads a whole record in one service,
            # before any timer can commit: the batch overflows, however
            # loaded the machine is
            c.send_burst(frames)
        finally:
            relay.process.resume()
        answers = {}
        while len(answers) < len(msgs):
            f = c.recv()
            k = f.WhichOneof("kind")
            if k == "envelope":     # the relay's QUEUED receipt for one
                continue
            assert k in ("accepted", "refused"), f
            if k == "refused":
                assert f.refused.reason == REASON.OVERLOADED, f
                assert "queue full" in f.refused.detail, f
                answers[f.refused.id] = "overloaded"
            else:
                answers[f.accepted.id] = "accepted"
        assert set(answers) == {m.id for m in msgs}  # every one answered
        accepted = {i for i, a in answers.items() if a == "accepted"}
        assert accepted, answers
        assert "overloaded" in answers.values()
        # what was accepted is stored, what was pushed back is not
        stored = {r[0] for r in relay.query(
            "SELECT id FROM message WHERE sender NOT LIKE 'relay-%'")}
        assert stored == accepted
        # and a retry of everything pushed back is taken, one at a time
        for m in msgs:
            if answers[m.id] == "overloaded":
                _, a = kc.submit(c, m)
                assert a.WhichOneof("kind") == "accepted", a
    stored = {r[0] for r in relay.query(
        "SELECT id FROM message WHERE sender NOT LIKE 'relay-%'")}
    assert stored == {m.id for m in msgs}
    assert relay.query("SELECT count(*) FROM delivery "
                       "WHERE recipient = 'mic'") == [(BURST,)]
    relay.wait_log(r'envelope refused entity=452017 .*reason=OVERLOADED '
                   r'detail="relay queue full')


def test_connections_beyond_max_are_refused(relays, pki):
    relay = relays(extra={"max_connections": 1})
    with Client(relay.url, pki, Identity(pki.entity("452017"))) as first:
        relay.wait_log(r"peer ready entity=452017")
        # the second is told why (OVERLOADED: it may retry), then closed
        c = Client(relay.url, pki, Identity(pki.entity("450006")),
                   hello=False)  # refused before it could say Hello
        try:
            f = c.recv()
            assert f.WhichOneof("kind") == "refused", f
            assert f.refused.reason == REASON.OVERLOADED
            assert "too many connections" in f.refused.detail
            assert c.closed()
        finally:
            c.close()
        relay.wait_log(r'peer refused addr=127\.0\.0\.1 entity=450006 '
                       r'reason="too many connections \(max_connections 1\)')
        assert "peer ready entity=450006" not in relay.log()
        # the first is still served
        _, a = kc.submit(first, kc.report("452017", ["mic"]))
        assert a.WhichOneof("kind") == "accepted"
