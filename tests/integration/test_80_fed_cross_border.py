"""Scenario 80: reports across prefecture borders, over the federation of
fedharness.Federation.standard() (relay-45 ⇄ relay-46 directly, both and
relay-13 through the hub relay-national).

- 都城市 (452025, relay-45) to @neighbours: its six neighbours in 宮崎県
  and 曽於市, 霧島市, 志布志市 in 鹿児島県 over the direct link (the hub
  never sees the report); each stores it once, and every DELIVERED and
  ACKNOWLEDGED comes back to the sender;
- the direct link cut at its fault proxy: the next report still reaches
  the Kagoshima side, through the hub;
- the ministry (mic, home relay-national) from each of the three
  prefectures, acknowledged back;
- the held-at-relay receipt: a recipient whose node is down is shown
  `held` by relay-46 (a QUEUED receipt signed by its home relay) until it
  comes up, then delivered.
"""
from fedharness import (BORDER, KAGOSHIMA, KIRISHIMA, KOTO, MIC, MIYAKONOJO,
                        SOO, link_down_count, once)
from harness import wait_for
from nodeharness import REPORT_1, REPORT_2

# kairan-dir expand 452025 @neighbours
NEIGHBOURS_45 = ["452017", "452041", "452050", "452076", "453412", "453617"]


def test_neighbours_direct_then_through_hub(federation):
    f = federation.standard().start()
    s = f.node(MIYAKONOJO, ["r45"])
    nodes = {e: f.node(e, ["r45"]) for e in NEIGHBOURS_45}
    nodes.update({e: f.node(e, ["r46"]) for e in BORDER})
    direct = f.proxy("r45", "r46")

    inc, m1 = s.send(REPORT_1, "@neighbours")
    st = s.wait_delivered(m1)
    assert st["total"] == 9 and st["delivered"] == 9, st
    assert sorted(r["entity"] for r in st["recipients"]) == \
        sorted(NEIGHBOURS_45 + BORDER)
    for n in nodes.values():
        once(n, m1)
    # relay-46 got it from relay-45 over the direct link, not through the
    # hub, which never saw the report
    assert direct.forwarded["up"] > 0
    assert f["r46"].mentions(m1), f["r46"].log()[-3000:]
    assert f["national"].mentions(m1) == [], f["national"].mentions(m1)
    for e in BORDER:
        assert s.count(r"receipt stored id=\S+ ref=%s state=DELIVERED "
                       r"signer=%s" % (m1, e)) == 1, e
    # acknowledgements from both sides of the border come back
    for e in BORDER + ["452041"]:
        nodes[e].ack(m1, f"{e} 情報政策課 担当")
    st = s.wait_acknowledged(m1, 4)
    acked = {r["entity"]: r for r in st["recipients"]
             if r["state"] == "acknowledged"}
    assert sorted(acked) == sorted(BORDER + ["452041"]), st
    assert acked[SOO]["acknowledged_by"] == f"{SOO} 情報政策課 担当"

    # The direct link cut: relay-45 sees it go, and routes through the hub.
    down = link_down_count(f["r45"], f["r46"])
    direct.cut()
    carried = dict(direct.forwarded)
    wait_for(lambda: link_down_count(f["r45"], f["r46"]) > down,
             what="relay-45 logs the direct link down")
    inc2, m2 = s.update(inc, REPORT_2)
    st = s.wait_delivered(m2)
    assert st["delivered"] == 9, st
    for n in nodes.values():
        once(n, m2)
    assert f["national"].mentions(m2), "the hub did not carry the report"
    assert direct.forwarded == carried   # not a byte over the cut link
    for e in BORDER:
        assert s.count(r"receipt stored id=\S+ ref=%s state=DELIVERED "
                       r"signer=%s" % (m2, e)) == 1, e
    nodes[KIRISHIMA].ack(m2, "霧島市 情報政策課 霧島 一郎")
    st = s.wait_acknowledged(m2, 1)
    assert [r["entity"] for r in st["recipients"]
            if r["state"] == "acknowledged"] == [KIRISHIMA], st


def test_ministry_from_every_prefecture(federation):
    f = federation.standard().start()
    mic = f.node(MIC, ["national"])
    senders = {"r45": f.node(MIYAKONOJO, ["r45"]),
               "r46": f.node(KAGOSHIMA, ["r46"]),
               "r13": f.node(KOTO, ["r13"])}
    sent = {}
    for home, s in senders.items():
        _, mid = s.send(REPORT_1, "@ministry")
        sent[mid] = s
    for mid, s in sent.items():
        st = s.wait_delivered(mid)
        assert [r["entity"] for r in st["recipients"]] == [MIC], st
        once(mic, mid)
        # each crossed its prefecture relay and the hub
        assert f["national"].mentions(mid)
    for mid, s in sent.items():
        mic.ack(mid, "総務省 地域情報化企画室 霞 太郎")
    for mid, s in sent.items():
        st = s.wait_acknowledged(mid, 1)
        assert st["recipients"][0]["acknowledged_by"] == \
            "総務省 地域情報化企画室 霞 太郎"
        assert s.count(r"receipt stored id=\S+ ref=%s state=ACKNOWLEDGED "
                       r"signer=mic" % mid) == 1


def test_held_at_home_relay_then_delivered(federation):
    f = federation.standard().start()
    s = f.node(MIYAKONOJO, ["r45"])
    soo = f.node(SOO, ["r46"], start=False)       # its node is down
    _, mid = s.send(REPORT_1, SOO)
    # relay-46, 曽於市's home relay, stored it for 曽於市 and said so
    st = s.wait_status(
        mid, lambda st: st["recipients"][0]["state"] == "held",
        "held at relay-46")
    r = st["recipients"][0]
    assert r["held_by"] == "relay-46" and r["held_at"].endswith("+09:00"), r
    assert r["delivered_at"] is None
    s.wait_log(r"receipt stored id=\S+ ref=%s state=QUEUED signer=relay-46"
               % mid)
    assert "held at relay-46 since" in s.run("status", mid).stdout
    # the node comes up: delivered, and the held stage is remembered
    soo.start()
    st = s.wait_delivered(mid)
    r = st["recipients"][0]
    assert r["state"] == "delivered" and r["delivered_at"], r
    once(soo, mid)
    assert s.count(r"receipt stored id=\S+ ref=%s state=QUEUED" % mid) == 1


def test_forwarded_first_then_delivered_intact(federation):
    """relay-45 keeps the frames of the last messages it delivered
    (relay/deliver.c), and lws masks a client's frames in place: the copy
    it forwards first, over the link it dialled to relay-46, must leave
    the kept frame as stored for its own node that comes up afterwards,
    which verifies the report and stores it once."""
    f = federation.standard().start()
    s = f.node(MIYAKONOJO, ["r45"])
    across = f.node(SOO, ["r46"])
    late = f.node("452017", ["r45"], start=False)
    direct = f.proxy("r45", "r46")
    _, m1 = s.send(REPORT_1, f"{SOO},452017")
    once(across, m1)
    assert direct.forwarded["up"] > 0      # over the link relay-45 dialled
    late.start()
    once(late, m1)
    st = s.wait_delivered(m1)
    assert st["total"] == 2 and st["delivered"] == 2, st
    assert late.count(r"refused|verification failed|bad signature") == 0, \
        late.log()[-3000:]
