"""Scenario 31: the client link's own guards (include/kairan/link.h), on a
node's route to a relay that misbehaves in the ways a real one can look
from outside (hung, or half-dead behind a proxy):

- a relay that never says Hello is dropped after hello_timeout, with the
  reason in the log and in `status`, and dialled again;
- a relay that sends a frame bigger than a Hello before its Hello is cut
  off at 1024 bytes (the bound of that state, not max_frame);
- the stall watchdog: a relay that takes the node's envelopes and never
  answers, until the window (32) is full, is closed after stall_timeout
  and dialled again, and every unanswered envelope is sent again on the
  new connection, where it is accepted.

The relay is a stand-in written in Python (ssl + websockets) with the
real relay-45 certificate; what each of its connections does is a list
the test gives it, so every condition is forced, none waited for."""
from fakerelay import FakeRelay
from harness import wait_for
from nodeharness import REPORT_1, Node

WINDOW = 32     # LINK_WINDOW: envelopes in flight per connection


def test_hello_timeout_and_bound(tmp_path, pki):
    relay = FakeRelay(pki, ["silent", "big", "accept"])
    n = Node(tmp_path, pki, "452017", {"pref": relay.url},
             extra={"hello_timeout": "500ms"})
    try:
        n.start(wait=False)
        n.wait_log(r"route=pref closing: "
                   r"\"no Hello from the peer within 500 ms\"")
        n.wait_log(r"route=pref down reason=\"no Hello from the peer "
                   r"within 500 ms\"")
        # the second connection: a frame over the Hello bound, refused
        # before it is parsed
        n.wait_log(r"route=pref frame over limit max_frame=1024 for a Hello")
        n.wait_log(r"route=pref down reason=\"frame over limit 1024 bytes "
                   r"for a Hello\"")
        n.wait_ready("pref")                   # the third one says Hello
        assert relay.connections == 3
        _, mid = n.send(REPORT_1, "450006")
        n.wait_log(r"route=pref accepted id=%s" % mid)
    finally:
        if n.alive():
            n.stop()
        relay.stop()


def test_stall_watchdog_redials_and_resends(tmp_path, pki):
    relay = FakeRelay(pki, ["mute", "accept"])
    n = Node(tmp_path, pki, "452017", {"pref": relay.url},
             extra={"stall_timeout": "1s"})
    try:
        n.start()
        mids = [n.send(REPORT_1, "450006")[1] for _ in range(WINDOW)]
        # the first connection took the whole window and answered nothing
        n.wait_log(r"route=pref closing: \"stalled: %d envelopes in flight "
                   r"and nothing from the peer for 1000 ms\"" % WINDOW)
        assert sorted(relay.ids[0]) == sorted(mids), relay.ids[0]
        # dialled again: every unanswered envelope sent again, accepted
        wait_for(lambda: relay.connections >= 2, what="second connection")
        for mid in mids:
            n.wait_log(r"route=pref accepted id=%s" % mid)
        assert sorted(relay.ids[1]) == sorted(mids), relay.ids[1]
        assert n.count(r"route=pref closing: \"stalled") == 1
        assert n.count(r"route=pref ready relay=") == 2
    finally:
        if n.alive():
            n.stop()
        relay.stop()
