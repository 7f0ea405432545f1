"""Scenario 11: an offline recipient gets what is pending when it connects,
also after the relay was killed with SIGKILL between accepting and
delivering: nothing accepted is lost; a delivery a connected node leaves
unanswered is sent again."""
import kairan_client as kc
from kairan_client import Client, Identity


def test_offline_recipient_gets_it_on_connect(relay, pki):
    sender = Identity(pki.entity("452017"))
    msgs = [kc.report("452017", ["452025"]) for _ in range(3)]
    with Client(relay.url, pki, sender) as s:
        for m in msgs:
            _, a = kc.submit(s, m)
            assert a.WhichOneof("kind") == "accepted"
    with Client(relay.url, pki, Identity(pki.entity("452025"))) as r:
        got = [r.expect_delivery()[1].id for _ in msgs]
        assert got == [m.id for m in msgs]  # in acceptance order


def test_sigkill_between_accept_and_delivery_loses_nothing(relay, pki):
    sender = Identity(pki.entity("452017"))
    msg = kc.report("452017", ["452025", "mic"])
    with Client(relay.url, pki, sender) as s:
        _, a = kc.submit(s, msg)
        assert a.WhichOneof("kind") == "accepted"
    relay.kill()
    relay.start()
    for who in ("452025", "mic"):
        with Client(relay.url, pki, Identity(pki.entity(who))) as r:
            _, m = r.expect_delivery()
            assert m.id == msg.id


def test_unanswered_delivery_is_sent_again(relays, pki):
    relay = relays(extra={"resend_after": "1s"})
    sender = Identity(pki.entity("452017"))
    msg = kc.report("452017", ["450006"])
    with Client(relay.url, pki, sender) as s:
        _, a = kc.submit(s, msg)
        assert a.WhichOneof("kind") == "accepted"
    with Client(relay.url, pki, Identity(pki.entity("450006"))) as r:
        _, m = r.expect_delivery(accept=False)  # a node that says nothing
        assert m.id == msg.id
        _, again = r.expect_delivery()          # the same, sent again
        assert again.id == msg.id
        relay.wait_log(r"deliveries unanswered entity=450006")
        relay.wait_log(r"delivered id=%s to=450006" % msg.id.hex())
