"""Scenario 21: a report written while the relay is down waits in the
outbox (the command line needs neither daemon nor relay) and is delivered
once the relay is back."""
from nodeharness import REPORT_1, fed  # noqa: F401 (fixture)

LONG = 90  # the route's backoff may have grown while the relay was away


def test_sent_while_relay_down_is_delivered_when_back(fed):
    relay = fed.relay()                 # the kernel gives it a port ...
    relay.stop()                        # ... where nothing listens now
    routes = {"pref": relay}
    s = fed.node("452017", routes, wait=False)
    r = fed.node("452025", routes, wait=False)
    s.wait_log(r"route=pref (down|connect failed)")  # it tried; will retry

    inc, mid = s.send(REPORT_1, "452025,450006")
    st = s.status(mid)
    assert st["routes"][0]["accepted_at"] is None
    assert all(x["state"] == "pending" for x in st["recipients"])
    assert s.query("SELECT count(*) FROM outbox")[0][0] == 1
    assert "route=pref accepted" not in s.log()

    relay.start()
    s.wait_ready("pref", timeout=LONG)
    r.wait_ready("pref", timeout=LONG)
    s.wait_log(r"route=pref accepted id=%s" % mid)
    r.wait_inbox(mid)
    want = {"452025": "delivered", "450006": "held"}
    st = s.wait_status(mid, lambda x: x["routes"][0]["accepted_at"] and
                       {y["entity"]: y["state"] for y in x["recipients"]}
                       == want, "delivered to 452025, 450006 held")
    states = {y["entity"]: y["state"] for y in st["recipients"]}
    # 450006 has no node running: accepted by the relay, which holds it
    # (its QUEUED receipt), not delivered.
    assert states == want
    assert {y["entity"]: y["held_by"] for y in st["recipients"]} == \
        {"452025": "relay-45", "450006": "relay-45"}
    assert [x["id"] for x in r.inbox()] == [mid]
    assert r.inbox()[0]["incident"] == inc


def test_daemon_down_too(fed):
    """Written with no daemon at all: sent when the daemon starts."""
    relay = fed.relay()
    routes = {"pref": relay}
    r = fed.node("452025", routes)
    s = fed.node("452017", routes, start=False)
    _, mid = s.send(REPORT_1, "452025")
    s.start()
    s.wait_log(r"route=pref ready relay=relay-45 url=\S+ unanswered=1")
    s.wait_delivered(mid)
    r.wait_inbox(mid)
