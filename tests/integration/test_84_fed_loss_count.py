"""Scenario 84: the loss count. 1,000 reports from nodes of three
prefectures (都城市 45, 鹿児島県 46, 江東区 13; each with a route to its
prefecture relay and one to the hub) to recipients across the federation
(宮崎県, 曽於市, 東京都, mic and the other senders), while links are cut,
black-holed or slowed at their fault proxies and relays (the hub
included) are SIGKILLed and started again at moments drawn from a seeded
random generator. The
moments are counted in reports sent, not in seconds, so a run replays
the same sequence of faults against the same traffic on any machine
(the seed is printed; KAIRAN_FED_SEED sets it).

Afterwards, everything up again: every report is in every recipient's
inbox exactly once (one row, one "inbox stored" line), and every sender
has exactly one DELIVERED receipt per recipient of each of its reports.
"""
import collections
import os
import random
import re
import threading
import time

from fedharness import (KAGOSHIMA, KOTO, MIC, MIYAKONOJO, MIYAZAKI, SOO,
                        TOKYO, delivered_pairs, inbox_ids)
from harness import wait_for
from nodeharness import REPORT_1

REPORTS = int(os.environ.get("KAIRAN_FED_REPORTS", "1000"))
SENDERS = {MIYAKONOJO: "r45", KAGOSHIMA: "r46", KOTO: "r13"}
RECIPIENTS = {MIYAZAKI: "r45", SOO: "r46", TOKYO: "r13", MIC: "national"}
RELAYS = ["r45", "r46", "r13", "national"]
LINKS = [("r45", "r46"), ("r45", "national"), ("r46", "national"),
         ("r13", "national")]
SLOW_MS = 40                 # a slow link: every chunk 40 ms late
DRAIN = float(os.environ.get("KAIRAN_FED_DRAIN", "300"))


def plan(rng):
    """The faults: (at report k, action, target, until report j). Kills
    of every relay (the hub at least twice) and a fault on every link
    (cut, black hole or slow), some overlapping."""
    faults = []
    for r in RELAYS + ["national", rng.choice(RELAYS)]:
        k = rng.randrange(50, REPORTS - 150)
        faults.append((k, "kill", r, k + rng.randrange(20, 120)))
    for a, b in LINKS + [rng.choice(LINKS)]:
        k = rng.randrange(20, REPORTS - 150)
        mode = rng.choice(["cut", "cut", "blackhole", "slow"])
        faults.append((k, mode, (a, b), k + rng.randrange(10, 140)))
    return sorted(faults)


def test_thousand_reports_while_relays_die(federation):
    seed = int(os.environ.get("KAIRAN_FED_SEED", random.randrange(1 << 30)))
    print(f"\nscenario 84: seed {seed} (KAIRAN_FED_SEED={seed} replays it)")
    rng = random.Random(seed)
    f = federation.standard().start()
    nodes = {}
    for e, home in RECIPIENTS.items():
        nodes[e] = f.node(e, [home])
    for e, home in SENDERS.items():
        nodes[e] = f.node(e, {"pref": home, "national": "national"})
    everyone = list(RECIPIENTS) + list(SENDERS)

    # who gets what: 2 to 4 recipients in other places, mic often
    work = []
    for i in range(REPORTS):
        s = list(SENDERS)[i % len(SENDERS)]
        others = [e for e in everyone if e != s]
        to = sorted(rng.sample(others, rng.randint(2, 4)))
        work.append((s, to))
    faults = plan(rng)
    print("scenario 84: faults", faults)

    sent = {}                   # mid -> (sender, recipients)
    progress = [0]
    lock = threading.Lock()
    errors = []

    def sender(e):
        try:
            mine = [(i, to) for i, (s, to) in enumerate(work) if s == e]
            for i, to in mine:
                _, mid = nodes[e].send(REPORT_1, ",".join(to))
                with lock:
                    sent[mid] = (e, to)
                    progress[0] += 1
        except Exception as x:  # reported in the main thread
            errors.append(f"sender {e}: {x!r}")

    def chaos():
        """Fires the faults as the count of reports sent passes them."""
        pending = [(k, "start", a, t) for (k, a, t, _) in faults] + \
                  [(j, "end", a, t) for (_, a, t, j) in faults]
        pending.sort(key=lambda x: (x[0], x[1] == "start"))
        down = collections.Counter()
        try:
            for k, phase, action, target in pending:
                while progress[0] < k and not errors and \
                        any(t.is_alive() for t in threads):
                    time.sleep(0.005)
                if action == "kill":
                    r = f[target]
                    if phase == "start":
                        down[target] += 1
                        if r.process.alive():
                            r.kill()
                    else:
                        down[target] -= 1
                        if down[target] == 0 and not r.process.alive():
                            f.start_relay(r)
                else:
                    # a link's faults may overlap: the last one to end
                    # restores it, and a cut wins over a black hole
                    p = f.proxy(*target)
                    if phase == "start":
                        down[target] += 1
                        if action == "slow":
                            if p.mode == "pass":
                                p.slow(SLOW_MS)
                        elif p.mode != "cut":
                            getattr(p, action)()
                    else:
                        down[target] -= 1
                        if down[target] == 0:
                            p.restore()
        except Exception as x:
            errors.append(f"chaos: {x!r}")

    threads = [threading.Thread(target=sender, args=(e,)) for e in SENDERS]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    ch = threading.Thread(target=chaos)
    ch.start()
    for t in threads:
        t.join()
    ch.join()
    assert not errors, errors
    t_send = time.monotonic() - t0
    assert len(sent) == REPORTS

    # everything up again
    for lk in f.links:
        lk.proxy.restore()
    for r in f.relays.values():
        if not r.process.alive():
            f.start_relay(r)

    want = collections.defaultdict(set)      # recipient -> mids
    pairs = collections.defaultdict(set)     # sender -> (mid, recipient)
    for mid, (s, to) in sent.items():
        for e in to:
            want[e].add(mid)
            pairs[s].add((mid, e))

    def drained():
        return all(pairs[s] <= delivered_pairs(nodes[s]) for s in SENDERS)
    try:
        wait_for(drained, DRAIN, "every DELIVERED back at every sender",
                 interval=0.5)
    finally:
        missing = {s: len(pairs[s] - delivered_pairs(nodes[s]))
                   for s in SENDERS}
        print(f"scenario 84: sent in {t_send:.1f}s, drained after "
              f"{time.monotonic() - t0:.1f}s; missing DELIVERED {missing}")
    for e in everyone:
        ids = inbox_ids(nodes[e])
        assert len(ids) == len(set(ids)), e
        assert set(ids) == want[e], (e, len(set(ids) ^ want[e]))
        stored = collections.Counter(re.findall(
            r"inbox stored id=([0-9a-f]{32})", nodes[e].log()))
        dup = {m: n for m, n in stored.items() if n != 1}
        assert not dup, (e, dup)
        assert set(stored) == want[e], e
    for s in SENDERS:
        got = collections.Counter(re.findall(
            r"receipt stored id=\S+ ref=([0-9a-f]{32}) state=DELIVERED "
            r"signer=(\S+)", nodes[s].log()))
        assert set(got) == pairs[s], s
        assert all(n == 1 for n in got.values()), \
            (s, {k: n for k, n in got.items() if n != 1})
