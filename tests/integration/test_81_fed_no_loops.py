"""Scenario 81: no loops, no duplicates. 都城市 holds two routes, to its
prefecture relay-45 and to the hub, and sends one report to recipients
in three prefectures (宮崎県, 鹿児島県 on both sides of a direct link,
東京都 only through the hub) and the ministry. Each of the four relays
receives it over two paths at most, every store keeps it once, every
inbox has it exactly once, and no relay forwards it back over the link it
came on: relay-13 and the hub, fed by the others, forward nothing back
to them. A second report, sent while the node's first route is down, goes
the same way."""
import re

from fedharness import (KAGOSHIMA, KOTO, MIC, MIYAKONOJO, MIYAZAKI, SOO,
                        TOKYO, once)
from nodeharness import REPORT_1, REPORT_2

RECIPIENTS = [MIYAZAKI, SOO, KAGOSHIMA, KOTO, TOKYO, MIC]


def forwards(relay, mid):
    """(link, line) of every line of relay's log that hands message mid
    to a link: "forward... id=MID ... link=NAME" in either order."""
    out = []
    for ln in relay.mentions(mid):
        if not re.search(r"\bforward", ln):
            continue
        m = re.search(r"\blink=([A-Za-z0-9_-]+)", ln)
        if m:
            out.append((m.group(1), ln))
    return out


def arrivals(relay, mid):
    """The links message mid arrived on at relay (its "accepted id=MID"
    lines name link=NAME when it came from a peer relay; None for a
    node)."""
    out = []
    for ln in relay.mentions(mid):
        if re.search(r"\baccepted id=%s\b" % mid, ln):
            m = re.search(r"\blink=([A-Za-z0-9_-]+)", ln)
            out.append(m.group(1) if m else None)
    return out


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
    for r in f.relays.values():
        # stored once however often it arrived
        got = arrivals(r, mid)
        assert len([a for a in got]) >= 1, (r.name, r.log()[-3000:])
        assert len(got) == len(set(got)), (r.name, got)
        # never back over a link it came on
        back = [ln for (link, ln) in forwards(r, mid) if link in got]
        assert not back, (r.name, got, back)
    # relay-13 is a leaf: it forwards nothing of it to anyone
    assert forwards(f["r13"], mid) == [], forwards(f["r13"], mid)
    # every relay hands it to each link at most once
    for r in f.relays.values():
        links = [link for (link, _) in forwards(r, mid)]
        assert len(links) == len(set(links)), (r.name, links)


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
