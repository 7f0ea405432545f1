"""Scenario 66: SIGTERM answers what it committed. A client that pushed a
burst and read nothing has hundreds of Accepted frames queued at the relay
when it is told to stop; the relay commits, then hands out every queued
answer before it closes: each envelope stored is one the client was told
was Accepted, and the relay exits 0."""
import signal

import kairan_client as kc
from kairan_client import Client, Identity, pb

N = 2000


def test_sigterm_answers_what_it_committed(relays, pki):
    relay = relays()
    me = Identity(pki.entity("452017"))
    msgs = [kc.report("452017", ["mic"]) for _ in range(N)]
    with Client(relay.url, pki, me, rcvbuf=4096) as c:
        relay.wait_log(r"peer ready entity=452017")
        c.send_burst([pb.Frame(envelope=me.seal(m)).SerializeToString()
                      for m in msgs])
        # answers are queued at the relay: it stopped reading us
        relay.wait_log(r"peer paused entity=452017")
        relay.process.signal(signal.SIGTERM)
        relay.wait_log(r"stopping signal=TERM")
        accepted = set()
        try:
            while True:
                f = c.recv(10)
                if f.WhichOneof("kind") == "accepted":
                    accepted.add(f.accepted.id)
        except Exception:
            pass        # the relay closed the connection
    assert relay.process.proc.wait(30) == 0
    stored = {r[0] for r in relay.query(
        "SELECT id FROM message WHERE sender NOT LIKE 'relay-%'")}
    assert stored, "nothing was committed before the stop"
    assert stored <= accepted, f"{len(stored - accepted)} stored unanswered"
