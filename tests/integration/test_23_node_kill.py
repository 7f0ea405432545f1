"""Scenario 23: a node killed with SIGKILL and restarted loses nothing:
what its command line wrote to the outbox goes out after the restart, what
its inbox held is still there (once), and what arrived for it meanwhile is
delivered when it is back."""
from nodeharness import REPORT_1, REPORT_2, fed  # noqa: F401 (fixture)


def test_sigkill_and_restart_lose_nothing(fed):
    relay = fed.relay()
    routes = {"pref": relay}
    s = fed.node("452017", routes)
    r = fed.node("452025", routes)

    inc, m1 = s.send(REPORT_1, "452025")
    s.wait_delivered(m1)
    assert [x["id"] for x in r.inbox()] == [m1]

    # The recipient dies; a second report reaches the relay meanwhile.
    r.kill()
    _, m2 = s.update(inc, REPORT_2)
    s.wait_log(r"route=pref accepted id=%s" % m2)

    # The sender dies; its command line still writes (no daemon needed).
    s.kill()
    _, m3 = s.update(inc, REPORT_2)
    assert s.query("SELECT count(*) FROM outbox WHERE kind = 1")[0][0] == 3

    # Both come back.
    r.start()
    s.start()
    s.wait_log(r"route=pref accepted id=%s" % m3)
    s.wait_delivered(m2)
    s.wait_delivered(m3)
    r.wait_inbox(m3)
    box = r.inbox()
    assert [x["id"] for x in box] == [m3, m2, m1]
    assert [x["report_no"] for x in box] == [3, 2, 1]
    assert r.query("SELECT count(*) FROM inbox")[0][0] == 3
    # Each stored once, across the restart.
    for m in (m1, m2, m3):
        assert r.count(r"inbox stored id=%s" % m) == 1, m
    # The outbox of the sender is intact: three reports, each accepted.
    for m in (m1, m2, m3):
        st = s.status(m)
        assert st["routes"][0]["accepted_at"], (m, st)
        assert st["recipients"][0]["state"] == "delivered", (m, st)


def test_sigkill_between_store_and_ack(fed):
    """Killed right after storing: the relay resends (no Accepted may have
    reached it), the node recognises the id, the inbox holds it once."""
    relay = fed.relay()
    routes = {"pref": relay}
    s = fed.node("452017", routes)
    r = fed.node("452025", routes)
    _, m1 = s.send(REPORT_1, "452025")
    r.wait_log(r"inbox stored id=%s" % m1)
    r.kill()
    r.start()
    s.wait_delivered(m1)
    assert r.query("SELECT count(*) FROM inbox")[0][0] == 1
    assert [x["id"] for x in r.inbox()] == [m1]
