"""Scenario 61: one node cannot stall the relay for everyone. A client
pipelines 2,000 envelopes without reading a single answer (far past the
4 x window at which the relay stops reading it); meanwhile another node is
served, every one of the 2,000 is answered Accepted once the first client
reads, and the relay still stops on SIGTERM."""
import kairan_client as kc
from kairan_client import Client, Identity, pb

N = 2000


def test_pipelining_without_reading_stalls_nobody(relays, pki):
    # The relay stops reading a client at 4 x window (256) queued answers;
    # it reads about sixteen envelopes per write it makes, so a burst of
    # 2,000 crosses that line whatever the machine's speed.
    relay = relays(extra={"window": 64})
    me = Identity(pki.entity("452017"))
    msgs = [kc.report("452017", ["mic"]) for _ in range(N)]
    frames = [pb.Frame(envelope=me.seal(m)).SerializeToString()
              for m in msgs]
    with Client(relay.url, pki, me, rcvbuf=4096) as greedy:
        relay.wait_log(r"peer ready entity=452017")
        greedy.send_burst(frames)   # one write; never reading
        # another node is served while the first one reads nothing
        with Client(relay.url, pki, Identity(pki.entity("450006"))) as o:
            _, a = kc.submit(o, kc.report("450006", ["mic"]))
            assert a.WhichOneof("kind") == "accepted", a
        # now the greedy one reads: every envelope answered, accepted
        answers = {}
        while len(answers) < N:
            f = greedy.recv(10)
            if f.WhichOneof("kind") == "envelope":
                # the relay's QUEUED receipt of a report: deliveries may
                # come between the answers (whenever none is waiting to be
                # written), but never before the report's Accepted
                m = pb.Message()
                m.ParseFromString(f.envelope.message)
                assert m.receipt.state == pb.Receipt.QUEUED, m
                assert m.receipt.ref_id in answers, "QUEUED before Accepted"
                continue
            assert f.WhichOneof("kind") == "accepted", f
            answers[f.accepted.id] = True
        assert set(answers) == {m.id for m in msgs}
    # the condition was forced: the relay did stop reading it
    assert relay.process.count(r"peer paused entity=452017") > 0
    stored = relay.query("SELECT count(*) FROM message WHERE sender = "
                         "'452017'")[0][0]
    assert stored == N
    relay.stop()        # exits 0 on SIGTERM (asserted by stop)
