"""Scenario 61: one node cannot stall the relay for everyone. A client
pipelines 2,000 envelopes without reading a single answer; the relay stops
reading it once 4 x window answers wait for it, meanwhile another node is
served, every one of the 2,000 is answered Accepted once the first client
reads (never a QUEUED receipt before its report's Accepted), and the relay
still stops on SIGTERM.

The relay gathers the answers of a batch into few large writes, so the
socket takes them as fast as they come and the queue behind it need not
grow: the condition is forced instead. The relay of the hooks build holds
its first sync (harness.hooked_relay) until all 2,000 are verified and
waiting in the batch behind it; released, that batch answers them at once,
far past the 256 at which the client must be paused."""
import harness
import kairan_client as kc
from kairan_client import Client, Identity, pb

N = 2000


def test_pipelining_without_reading_stalls_nobody(relays, pki, tmp_path):
    relay, gate = harness.held_relay(relays, tmp_path, extra={"window": 64})
    me = Identity(pki.entity("452017"))
    msgs = [kc.report("452017", ["mic"]) for _ in range(N)]
    frames = [pb.Frame(envelope=me.seal(m)).SerializeToString()
              for m in msgs]
    with Client(relay.url, pki, me, rcvbuf=4096) as greedy:
        relay.wait_log(r"peer ready entity=452017")
        greedy.send_burst(frames)   # one write; never reading
        assert relay.process.count(r"peer paused entity=452017") == 0
        harness.release_when_batched(relay, gate, "452017", N)
        # the condition is forced: the relay stops reading it
        relay.wait_log(r"peer paused entity=452017 addr=\S+ queued=\d+")
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
    stored = relay.query("SELECT count(*) FROM message WHERE sender = "
                         "'452017'")[0][0]
    assert stored == N
    relay.stop()        # exits 0 on SIGTERM (asserted by stop)
