"""Scenario 64: the relay checks every receipt before it records or
forwards it. Addressed to anyone but the report's sender, written by a
node that was never a recipient, with a wrong digest, about a message the
relay never saw, or a REJECTED that a node writes about someone else:
each is Refused with a reason, and none is recorded as genuine; the
genuine receipt passes and reaches the sender."""
import copy

import pytest

import kairan_client as kc
from kairan_client import REASON, Client, Identity, pb


@pytest.fixture()
def sent(relay, pki):
    """452017 sends a report to 450006 and mic; 450006 has it."""
    s = Client(relay.url, pki, Identity(pki.entity("452017")))
    r = Client(relay.url, pki, Identity(pki.entity("450006")))
    msg = kc.report("452017", ["450006", "mic"])
    env, a = kc.submit(s, msg)
    assert a.WhichOneof("kind") == "accepted"
    got, _ = r.expect_delivery()
    yield s, r, msg, got
    s.close()
    r.close()


def refused(client, rmsg, reason, needle):
    _, a = kc.submit(client, rmsg)
    assert a.WhichOneof("kind") == "refused", a
    assert a.refused.reason == reason, a
    assert needle in a.refused.detail, a.refused.detail


def receipts(relay):
    return relay.query("SELECT signer, state FROM receipt "
                       "WHERE signer NOT LIKE 'relay-%'")


def test_bad_receipts_refused_good_one_forwarded(relay, pki, sent):
    s, r, msg, env = sent
    D = pb.Receipt.DELIVERED

    # never a recipient
    with Client(relay.url, pki, Identity(pki.entity("452025"))) as x:
        refused(x, kc.receipt("452025", msg, env, pb.Receipt.ACKNOWLEDGED,
                              by="誰か"), REASON.NOT_AUTHORIZED,
                "452025 is not a recipient")
    # a wrong digest
    bad = copy.deepcopy(env)
    bad.message = env.message + b"\x00"
    refused(r, kc.receipt("450006", msg, bad, D), REASON.INVALID_FIELD,
            "ref_digest")
    # a message this relay never saw
    ghost = kc.report("452017", ["450006"])
    ghost_env = Identity(pki.entity("452017")).seal(ghost)
    refused(r, kc.receipt("450006", ghost, ghost_env, D),
            REASON.NOT_AUTHORIZED, "never passed this relay")
    # a REJECTED about someone else, written by a node
    rej = kc.receipt("450006", msg, env, pb.Receipt.REJECTED, note="x")
    rej.receipt.subject = "mic"
    refused(r, rej, REASON.NOT_AUTHORIZED, "only about itself")
    # addressed to a third party: it would leak id and digest to it
    third = kc.receipt("450006", msg, env, D)
    third.recipients[:] = ["mic"]
    refused(r, third, REASON.NOT_AUTHORIZED, "was sent by 452017")
    # QUEUED and OVERDUE are the home relay's to say, not a node's
    for state in (pb.Receipt.QUEUED, pb.Receipt.OVERDUE):
        fake = kc.receipt("450006", msg, env, state)
        fake.receipt.held.extend(["450006"] if state == pb.Receipt.QUEUED
                                 else [])
        fake.receipt.subject = "450006" if state == pb.Receipt.OVERDUE else ""
        refused(r, fake, REASON.NOT_AUTHORIZED, "is written by a home relay")
    # two addressees
    two = kc.receipt("450006", msg, env, D)
    two.recipients.append("mic")
    refused(r, two, REASON.INVALID_FIELD, "exactly one entity")
    assert receipts(relay) == []

    # the genuine one: recorded, and delivered to the sender
    good = kc.receipt("450006", msg, env, D)
    _, a = kc.submit(r, good)
    assert a.WhichOneof("kind") == "accepted", a
    assert receipts(relay) == [("450006", D)]
    _, got = s.expect_delivery()
    assert got.id == good.id and got.receipt.ref_id == msg.id


def test_a_node_may_reject_for_itself(relay, pki, sent):
    s, r, msg, env = sent
    rej = kc.receipt("450006", msg, env, pb.Receipt.REJECTED,
                     note="宛先誤り")
    rej.receipt.subject = "450006"
    _, a = kc.submit(r, rej)
    assert a.WhichOneof("kind") == "accepted", a
