"""Scenario 81: no loops, no duplicates. 都城市 holds two routes, to its
prefecture relay-45 and to the hub, and sends one report to recipients
in three prefectures (宮崎県; 鹿児島県 across the direct link; 東京都 only
through the hub) and the ministry. Every inbox has it exactly once, the
sender one DELIVERED per recipient. Read from each relay's store: every
relay holds it once, took it at most once per way in, never forwards it
towards where it came from (nor logs a delivery there), and only the
hub transits: relay-13 and relay-46 forward nothing they took from a
relay. A 第2報, sent while relay-45's link to the hub is cut, the same."""

from fedharness import (KAGOSHIMA, KOTO, MIC, MIYAKONOJO, MIYAZAKI, SOO,
                        TOKYO, once)
from nodeharness import REPORT_1, REPORT_2

RECIPIENTS = [MIYAZAKI, SOO, KAGOSHIMA, KOTO, TOKYO, MIC]


def stored(relay, mid):
    """(origin, [delivery keys]) of message mid in relay's store: who it
    was first taken from (a node's id, or the peer relay's), and where its
    copies go (recipients served here, "peer:NAME" for forwards over the
    link of [peer NAME])."""
    rows = relay.query("SELECT seq, origin FROM message WHERE id = ?",
                       (bytes.fromhex(mid),))
    if not rows:
        return None, []
    assert len(rows) == 1, rows
    seq, origin = rows[0]
    keys = [k for (k,) in relay.query(
        "SELECT recipient FROM delivery WHERE message_seq = ?", (seq,))]
    return origin, keys


def forwards(relay, mid):
    """The [peer] names relay forwards mid to (its store's deliveries)."""
    return [k.split(":", 1)[1] for k in stored(relay, mid)[1]
            if k.startswith("peer:")]


def check_once_everywhere(f, nodes, s, mid):
    st = s.wait_delivered(mid)
    assert st["total"] == len(RECIPIENTS) and \
        st["delivered"] == len(RECIPIENTS), st
    assert [r["name"] for r in st["routes"]] == ["pref", "national"]
    for n in nodes.values():
        once(n, mid)
    # one DELIVERED per recipient at the sender, whichever way it came
    for e in RECIPIENTS:
        assert s.count(r"receipt stored id=\S+ ref=%s state=DELIVERED "
                       r"signer=%s" % (mid, e)) == 1, e
    ids = {name: rid for (name, rid, _) in
           [tuple(p) for p in f["r45"].peers + f["r46"].peers +
            f["r13"].peers + f["national"].peers]}
    for r in f.relays.values():
        origin, keys = stored(r, mid)
        # every relay has it, once (message.id is unique in the store);
        # it may have arrived more than once (two routes), never more
        # often than it has ways in
        assert origin is not None, (r.name, r.log()[-3000:])
        took = r.process.count(r"accepted id=%s " % mid)
        assert 1 <= took <= 1 + len(r.peers), (r.name, took)
        # never back to where it came from
        back = [n for n in forwards(r, mid) if ids[n] == origin]
        assert not back, (r.name, origin, keys)
        # each link at most once
        assert len(keys) == len(set(keys)), (r.name, keys)
        # its log says the same: no "delivered ... to=peer:NAME" towards
        # where it came from
        for (n, rid, _) in r.peers:
            if rid == origin:
                assert r.process.count(r"delivered id=%s to=peer:%s\b"
                                       % (mid, n)) == 0, (r.name, n)
    # only the hub transits: what relay-13 and relay-46 took from a peer
    # relay they forward to no one
    for name in ("r13", "r46"):
        origin, _ = stored(f[name], mid)
        if origin.startswith("relay-"):
            assert forwards(f[name], mid) == [], (name, stored(f[name], mid))
    # relay-13 got it from the hub, the only way there
    assert stored(f["r13"], mid)[0] == "relay-national"


def test_two_routes_three_prefectures_once(federation):
    f = federation.standard().start()
    s = f.node(MIYAKONOJO, {"pref": "r45", "national": "national"})
    nodes = {MIYAZAKI: f.node(MIYAZAKI, ["r45"]),
             SOO: f.node(SOO, ["r46"]),
             KAGOSHIMA: f.node(KAGOSHIMA, ["r46"]),
             KOTO: f.node(KOTO, ["r13"]),
             TOKYO: f.node(TOKYO, ["r13"]),
             MIC: f.node(MIC, ["national"])}
    inc, m1 = s.send(REPORT_1, ",".join(RECIPIENTS))
    s.wait_log(r"route=pref accepted id=%s" % m1)
    s.wait_log(r"route=national accepted id=%s" % m1)
    check_once_everywhere(f, nodes, s, m1)

    # Acknowledgements cross back once each.
    for e in (SOO, KOTO, MIC):
        nodes[e].ack(m1, f"{e} 担当")
    st = s.wait_acknowledged(m1, 3)
    assert sorted(r["entity"] for r in st["recipients"]
                  if r["state"] == "acknowledged") == sorted([SOO, KOTO, MIC])

    # 第2報 with relay-45's link to the hub cut: the two copies meet again
    # at relay-46 (from relay-45 directly, from the hub), still once.
    f.proxy("r45", "national").cut()
    inc2, m2 = s.update(inc, REPORT_2)
    check_once_everywhere(f, nodes, s, m2)
    f.proxy("r45", "national").restore()
