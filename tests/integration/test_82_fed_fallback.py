"""Scenario 82: the fallback route (県に連絡がつかない場合は国へ直接). 都城市
holds routes to relay-45 and to the hub. relay-45 is SIGKILLed; a report
to the ministry, the Kagoshima side and 宮崎県 still reaches the ministry
and 鹿児島県's recipients at once over the national route; 宮崎県 (whose
only route is to relay-45) gets it once relay-45 is started again. Each
recipient has it exactly once, and the sender every DELIVERED."""
from harness import wait_for
from fedharness import (KAGOSHIMA, KIRISHIMA, MIC, MIYAKONOJO, MIYAZAKI, SOO,
                        once)
from nodeharness import REPORT_1, REPORT_2

NOW = [MIC, SOO, KIRISHIMA, KAGOSHIMA]     # reachable without relay-45
LATER = [MIYAZAKI]                         # only through relay-45


def state(st, e):
    return [r for r in st["recipients"] if r["entity"] == e][0]


def test_prefecture_relay_killed_then_back(federation):
    f = federation.standard().start()
    s = f.node(MIYAKONOJO, {"pref": "r45", "national": "national"})
    nodes = {MIC: f.node(MIC, ["national"]),
             MIYAZAKI: f.node(MIYAZAKI, ["r45"])}
    for e in (SOO, KIRISHIMA, KAGOSHIMA):
        nodes[e] = f.node(e, ["r46"])
    to = ",".join(NOW + LATER)

    # all up: a 第1報 reaches everyone (the baseline)
    inc, m1 = s.send(REPORT_1, to)
    s.wait_delivered(m1)

    r45 = f["r45"]
    down = s.count(r"route=pref down reason=")
    r45.kill()
    wait_for(lambda: s.count(r"route=pref down reason=") > down,
             what="the sender sees relay-45 gone")
    inc2, m2 = s.update(inc, REPORT_2)
    s.wait_log(r"route=national accepted id=%s" % m2)
    # at once: every recipient that does not need relay-45 has it, and
    # their DELIVERED receipts are back (relay-46 sends them through the
    # hub, which hands them to the sender's node, connected there)
    for e in NOW:
        once(nodes[e], m2)
    st = s.wait_status(
        m2, lambda st: all(state(st, e)["state"] == "delivered"
                           for e in NOW), "DELIVERED without relay-45")
    # 宮崎県 cannot have it: its one relay is down (relay-45 stores it
    # nowhere; the hub holds it for relay-45)
    assert state(st, MIYAZAKI)["state"] in ("pending", "held"), st
    assert not nodes[MIYAZAKI].has(m2)
    assert st["routes"][0]["name"] == "pref" and \
        st["routes"][0]["accepted_at"] is None, st

    # relay-45 back: the rest, and still once everywhere
    f.start_relay(r45)
    st = s.wait_delivered(m2)
    assert st["delivered"] == len(NOW + LATER), st
    for e in NOW + LATER:
        once(nodes[e], m2)
        assert s.count(r"receipt stored id=\S+ ref=%s state=DELIVERED "
                       r"signer=%s" % (m2, e)) == 1, e
    # the sender's outbox reached relay-45 too once it was back
    s.wait_log(r"route=pref accepted id=%s" % m2)
    # and acknowledgements cross back over the restored federation
    nodes[MIYAZAKI].ack(m2, "宮崎県 情報政策課 日向 花子")
    nodes[MIC].ack(m2, "総務省 地域情報化企画室 霞 太郎")
    st = s.wait_acknowledged(m2, 2)
    assert state(st, MIYAZAKI)["acknowledged_by"] == "宮崎県 情報政策課 日向 花子"
