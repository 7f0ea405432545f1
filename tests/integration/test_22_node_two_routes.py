"""Scenario 22: the multiplexed contact route. A node with two routes to
two relays sends on both; a recipient reachable through both gets the
report twice and stores it once; each recipient sees it once, and the
sender sees one receipt state per recipient."""
from nodeharness import REPORT_1, fed  # noqa: F401 (fixture)


def test_two_routes_each_recipient_once(fed):
    a = fed.relay("relay-45", serve="45 mic")
    b = fed.relay("relay-45", serve="45 mic")   # a second relay of 45
    both = {"a": a, "b": b}
    s = fed.node("452017", both)
    two = fed.node("450006", both)              # reachable through a and b
    only_b = fed.node("452025", {"b": b})       # only through b
    only_a = fed.node("mic", {"a": a})          # only through a

    inc, mid = s.send(REPORT_1, "450006,452025,mic")
    st = s.wait_delivered(mid)
    assert [r["name"] for r in st["routes"]] == ["a", "b"]
    assert all(r["accepted_at"] for r in st["routes"]), st
    assert st["total"] == 3 and st["delivered"] == 3
    s.wait_log(r"route=a accepted id=%s" % mid)
    s.wait_log(r"route=b accepted id=%s" % mid)

    for n in (two, only_b, only_a):
        n.wait_inbox(mid)
        assert [x["id"] for x in n.inbox()] == [mid], n.id
        assert n.query("SELECT count(*) FROM inbox")[0][0] == 1
        assert n.count(r"inbox stored id=%s" % mid) == 1
    # 450006 got it from both relays: stored once, the second recognised.
    two.wait_log(r"inbox duplicate id=%s sender=452017" % mid)
    # One DELIVERED receipt written per recipient, whatever the routes.
    assert two.query("SELECT count(*) FROM outbox")[0][0] == 1

    # An acknowledgement from the node with two routes reaches the sender
    # once as a state, even if it arrives by both relays.
    two.ack(mid, "日向 花子")
    st = s.wait_acknowledged(mid, 1)
    assert [r["state"] for r in st["recipients"]
            if r["entity"] == "450006"] == ["acknowledged"]
    assert s.query("SELECT count(*) FROM inbox")[0][0] == 0


def test_nodes_coming_and_going_are_not_refusals(fed):
    """A node that stops closes its TLS connection in a way that makes
    OpenSSL on the relay answer with an alert now and then ("decode
    error"); on a connection that was admitted that is its end, logged at
    debug, never a "peer refused" warning for the operator."""
    a = fed.relay("relay-45", serve="45 mic")
    n = fed.node("450006", {"a": a})
    for _ in range(5):
        n.stop()
        a.wait_log(r"peer closed entity=450006 ", since_start=False)
        n.start()
    n.stop()
    assert "peer refused" not in a.log(), a.log()[-3000:]
