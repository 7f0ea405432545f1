"""Scenario 85: high availability by two relays, not by a replicated
database. relay-46 runs as two processes (r46a, r46b: the same id
relay-46, their own stores and their own keys and certificates); the hub
dials both; the Kagoshima nodes hold routes to both. A burst of reports
from 都城市 (through relay-45 and the hub) and from 志布志市 (its two
routes) to Kagoshima recipients and mic; r46a is SIGKILLed in the middle
of it (after half of the reports were written, with 曽於市's node
paused by SIGSTOP until r46a's store holds reports for it that it has not
delivered) and is not started again. Nothing is lost:
every report reaches every recipient exactly once, and every sender has
exactly one DELIVERED per recipient."""
import collections
import re
import threading

from fedharness import (KAGOSHIMA, KIRISHIMA, MIC, MIYAKONOJO, SHIBUSHI, SOO,
                        delivered_pairs, inbox_ids)
from harness import wait_for
from nodeharness import REPORT_1

N = 120
KAGOSHIMA_SIDE = [KAGOSHIMA, SOO, KIRISHIMA]


def test_ha_pair_one_killed_mid_burst(federation):
    f = federation.standard(ha=True).start()
    a, b = f["r46a"], f["r46b"]
    assert a.id == b.id == "relay-46"
    nodes = {e: f.node(e, {"a": "r46a", "b": "r46b"})
             for e in KAGOSHIMA_SIDE + [SHIBUSHI]}
    nodes[MIC] = f.node(MIC, ["national"])
    nodes[MIYAKONOJO] = f.node(MIYAKONOJO, ["r45"])
    senders = [MIYAKONOJO, SHIBUSHI]
    to = ",".join(KAGOSHIMA_SIDE + [MIC])

    sent = {s: [] for s in senders}
    half = threading.Event()
    count = [0]
    lock = threading.Lock()
    errors = []

    def burst(s):
        try:
            for _ in range(N // 2):
                _, mid = nodes[s].send(REPORT_1, to)
                sent[s].append(mid)
                with lock:
                    count[0] += 1
                    if count[0] == N // 2:
                        half.set()
        except Exception as x:
            errors.append(f"{s}: {x!r}")

    threads = [threading.Thread(target=burst, args=(s,)) for s in senders]
    for t in threads:
        t.start()
    half.wait(120)
    assert half.is_set(), errors
    # mid-burst, with 曽於市's node stopped (SIGSTOP) so that r46a's store
    # surely holds reports it has not delivered: r46a dies with them
    soo = nodes[SOO]
    soo.process.pause()
    try:
        wait_for(lambda: a.query(
            "SELECT count(*) FROM delivery WHERE recipient = ? AND state = 0",
            (SOO,))[0][0] > 0, what="r46a holds undelivered reports")
        a.kill()
    finally:
        soo.process.resume()
    for t in threads:
        t.join()
    assert not errors, errors

    want = {e: set() for e in KAGOSHIMA_SIDE + [MIC]}
    pairs = {s: set() for s in senders}
    for s, mids in sent.items():
        for mid in mids:
            for e in want:
                want[e].add(mid)
                pairs[s].add((mid, e))
    wait_for(lambda: all(pairs[s] <= delivered_pairs(nodes[s])
                         for s in senders), 120,
             "every DELIVERED with r46a dead", interval=0.5)
    for e, mids in want.items():
        ids = inbox_ids(nodes[e])
        assert sorted(ids) == sorted(mids), (e, len(set(ids) ^ mids))
        stored = collections.Counter(re.findall(
            r"inbox stored id=([0-9a-f]{32})", nodes[e].log()))
        assert set(stored) == mids and all(n == 1 for n in stored.values()), e
    for s in senders:
        got = collections.Counter(re.findall(
            r"receipt stored id=\S+ ref=([0-9a-f]{32}) state=DELIVERED "
            r"signer=(\S+)", nodes[s].log()))
        assert set(got) == pairs[s] and all(n == 1 for n in got.values()), s
        # and the sender's status counts each recipient once
        st = nodes[s].status(sent[s][-1])
        assert st["total"] == 4 and st["delivered"] == 4, st
    # the other process did the work alone at the end
    assert b.process.alive()
