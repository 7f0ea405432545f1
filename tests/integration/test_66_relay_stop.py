"""Scenario 66: SIGTERM answers what it committed. A client that pushed a
burst and read nothing has hundreds of Accepted frames queued at the relay
when it is told to stop; the relay commits, then hands out every queued
answer before it closes: each envelope stored is one the client was told
was Accepted, and the relay exits 0. The wait lasts as long as the client
keeps taking answers (a slow reader on a loaded machine gets them all), but
one that takes none cannot hold the stop: after DRAIN_S without progress the
relay closes, says what was not taken, and what the client then sends again
is answered Accepted, stored once.

The relay gathers its answers into few large writes, which the socket
takes as fast as they come, so the queue is forced as in scenario 61: the
relay of the hooks build holds its first sync until the whole burst waits
behind it; released, it answers all at once and must stop reading."""
import signal
import time

import harness
import kairan_client as kc
from kairan_client import Client, Identity, pb

N = 2000


DRAIN_S = 2.0           # relay/relay.h
CHUNK = 20              # answers read between two pauses of the slow reader


def stopped_with_answers_queued(relay, gate, pki):
    """A client whose burst the relay has stopped reading (answers queued),
    the relay told to stop: (client, envelopes, message ids)."""
    me = Identity(pki.entity("452017"))
    msgs = [kc.report("452017", ["mic"]) for _ in range(N)]
    envs = [pb.Frame(envelope=me.seal(m)).SerializeToString() for m in msgs]
    c = Client(relay.url, pki, me, rcvbuf=4096)
    relay.wait_log(r"peer ready entity=452017")
    c.send_burst(envs)
    harness.release_when_batched(relay, gate, "452017", N)
    # answers are queued at the relay: it stopped reading us
    relay.wait_log(r"peer paused entity=452017")
    relay.process.signal(signal.SIGTERM)
    relay.wait_log(r"stopping signal=TERM")
    return c, envs, {m.id for m in msgs}


def read_answers(c, pause=0.0):
    """Every Accepted id until the relay closes; with pause, a slow reader:
    CHUNK answers, then a pause, and so on."""
    accepted = set()
    n = 0
    try:
        while True:
            f = c.recv(10)
            if f.WhichOneof("kind") == "accepted":
                accepted.add(f.accepted.id)
            n += 1
            if pause and n % CHUNK == 0:
                time.sleep(pause)
    except Exception:
        pass        # the relay closed the connection
    return accepted


def stored_reports(relay):
    return [r[0] for r in relay.query(
        "SELECT id FROM message WHERE sender NOT LIKE 'relay-%'")]


def test_sigterm_answers_what_it_committed(relays, pki, tmp_path):
    relay, gate = harness.held_relay(relays, tmp_path)
    c, _, _ = stopped_with_answers_queued(relay, gate, pki)
    with c:
        accepted = read_answers(c)
    assert relay.process.proc.wait(30) == 0
    stored = {r[0] for r in relay.query(
        "SELECT id FROM message WHERE sender NOT LIKE 'relay-%'")}
    assert stored, "nothing was committed before the stop"
    assert stored <= accepted, f"{len(stored - accepted)} stored unanswered"


def test_slow_reader_gets_every_answer(relays, pki, tmp_path):
    """Pauses of DRAIN_S / 4 between chunks: the whole read lasts longer
    than DRAIN_S (asserted), yet the relay waits, since answers are taken."""
    relay, gate = harness.held_relay(relays, tmp_path)
    c, _, _ = stopped_with_answers_queued(relay, gate, pki)
    t0 = time.monotonic()
    with c:
        accepted = read_answers(c, pause=DRAIN_S / 4)
    took = time.monotonic() - t0
    assert relay.process.proc.wait(30) == 0
    assert took > DRAIN_S, f"the read took {took:.1f} s: not slow enough"
    stored = set(stored_reports(relay))
    assert stored and stored <= accepted, \
        f"{len(stored - accepted)} stored unanswered"
    assert relay.process.count(r"answers not taken") == 0


def test_reader_taking_nothing_cannot_hold_the_stop(relays, pki, tmp_path):
    relay, gate = harness.held_relay(relays, tmp_path)
    c, envs, ids = stopped_with_answers_queued(relay, gate, pki)
    with c:
        # it reads nothing; the relay goes anyway, saying what was left
        assert relay.process.proc.wait(60) == 0
    assert relay.process.count(
        r"stopping: answers not taken entity=452017 ") == 1
    before = stored_reports(relay)
    assert before
    # sent again after the restart: every one answered Accepted, none
    # stored twice, none of what was committed lost
    relay.start()
    me = Identity(pki.entity("452017"))
    with Client(relay.url, pki, me) as c:
        relay.wait_log(r"peer ready entity=452017")
        c.send_burst(envs)
        accepted = set()
        while accepted != ids:
            f = c.recv()
            if f.WhichOneof("kind") == "envelope":
                # the QUEUED receipts of what was stored before the stop
                m = pb.Message()
                m.ParseFromString(f.envelope.message)
                assert m.receipt.state == pb.Receipt.QUEUED, m
                c.send_frame(pb.Frame(accepted=pb.Accepted(id=m.id)))
                continue
            assert f.WhichOneof("kind") == "accepted", f
            accepted.add(f.accepted.id)
    after = stored_reports(relay)
    assert len(after) == len(set(after)) == N
    assert set(before) <= set(after)
