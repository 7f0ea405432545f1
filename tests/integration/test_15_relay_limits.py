"""Scenario 15: limits push back instead of dropping: a burst beyond
queue_limit gets OVERLOADED (retryable) for what was not taken, and every
envelope is answered; connections beyond max_connections are refused and
logged."""
import pytest

import harness
import kairan_client as kc
from kairan_client import REASON, Client, Identity, pb


def test_full_queue_pushes_back_never_drops(tmp_path, pki):
    relay = harness.Relay(tmp_path, pki, extra={"queue_limit": 2}).start()
    me = Identity(pki.entity("452017"))
    msgs = [kc.report("452017", ["mic"]) for _ in range(200)]
    frames = [pb.Frame(envelope=me.seal(m)).SerializeToString() for m in msgs]
    with Client(relay.url, pki, me) as c:
        relay.wait_log(r"peer ready entity=452017")
        for f in frames:  # a burst: sealed beforehand, no waiting between
            c.send_raw(f)
        answers = {}
        while len(answers) < len(msgs):
            f = c.recv()
            k = f.WhichOneof("kind")
            assert k in ("accepted", "refused"), f
            if k == "refused":
                assert f.refused.reason == REASON.OVERLOADED, f
                answers[f.refused.id] = "overloaded"
            else:
                answers[f.accepted.id] = "accepted"
        assert set(answers) == {m.id for m in msgs}  # every one answered
        accepted = {i for i, a in answers.items() if a == "accepted"}
        assert "overloaded" in answers.values()
        # what was accepted is stored, what was pushed back is not
        stored = {r[0] for r in relay.query("SELECT id FROM message")}
        assert stored == accepted
        # and a retry of what was pushed back is taken
        for m in msgs:
            if answers[m.id] == "overloaded":
                _, a = kc.submit(c, m)
                assert a.WhichOneof("kind") == "accepted"
                break
    relay.stop()


def test_connections_beyond_max_are_refused(tmp_path, pki):
    relay = harness.Relay(tmp_path, pki, extra={"max_connections": 1}).start()
    with Client(relay.url, pki, Identity(pki.entity("452017"))):
        relay.wait_log(r"peer ready entity=452017")
        with pytest.raises(Exception):
            c = Client(relay.url, pki, Identity(pki.entity("450006")))
            c.recv(5)
        relay.wait_log(r'peer refused addr=127\.0\.0\.1 entity=450006 '
                       r'reason="too many connections')
    relay.stop()
