"""Scenario 18: one signed QUEUED receipt for the reports of one commit
(PROTOCOL.md §7.4, Hello.features QUEUED_BATCH).

A node that says QUEUED_BATCH in its Hello gets, for the reports of its
that one commit stored, one QUEUED per status naming them all (the first
in ref_id, the others in Receipt.more, each with its digest and held list)
under one signature, instead of one receipt each. A client that does not
say it gets one QUEUED per report, exactly as before. The condition is
forced: the relay of the hooks build holds its first sync, so that
everything sent meanwhile waits behind it and is committed in one
transaction once the disk is back.

Also: a batched QUEUED that comes over a connection is refused (one only
ever goes from a relay to its own node), with the field named."""
import hashlib

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

import harness
import kairan_client as kc
from kairan_client import REASON, Client, Identity, pb

QUEUED_BATCH = 1


def queued_receipts(client, n):
    """The next n QUEUED receipts that reach client, each answered
    Accepted, as is every report delivered in between; Accepted frames are
    skipped. Nothing else may come."""
    got = []
    while len(got) < n:
        f = client.recv()
        if f.WhichOneof("kind") != "envelope":
            continue
        m = pb.Message()
        m.ParseFromString(f.envelope.message)
        client.send_frame(pb.Frame(accepted=pb.Accepted(id=m.id)))
        if m.WhichOneof("body") == "report":
            continue
        assert m.receipt.state == pb.Receipt.QUEUED, m
        got.append((f.envelope, m))
    return got


def signed_by_relay(env, rid):
    """The independent check: the relay's certificate names rid and its
    key signed exactly these bytes (raises if not)."""
    leaf = x509.load_der_x509_certificate(env.cert_chain[0])
    cn = leaf.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    assert cn[0].value == rid
    leaf.public_key().verify(env.signature, env.message,
                             ec.ECDSA(hashes.SHA256()))


def test_one_signature_for_a_commits_reports(relays, pki, tmp_path):
    relay, gate = harness.held_relay(relays, tmp_path)
    a_id, b_id = Identity(pki.entity("452017")), Identity(pki.entity("450006"))
    with Client(relay.url, pki, Identity(pki.entity("452025"))) as first, \
            Client(relay.url, pki, a_id, features=QUEUED_BATCH) as a, \
            Client(relay.url, pki, b_id) as b:
        relay.wait_log(r"peer ready entity=452017")
        relay.wait_log(r"peer ready entity=450006")
        # the first commit holds one report of a third node, and its sync
        # is held: whatever comes next waits for the second commit
        first.send_envelope(first.ident.seal(kc.report("452025", ["mic"])))
        relay.wait_log(r"commit envelopes=1")
        actual = [kc.report("452017", ["mic", "450006"]) for _ in range(4)]
        drill = kc.report("452017", ["mic"], status=pb.EXERCISE)
        mine = [kc.report("450006", ["mic"]) for _ in range(3)]
        envs = {}
        for m in actual + [drill]:
            envs[m.id] = a_id.seal(m)
            a.send_envelope(envs[m.id])
        for m in mine:
            b.send_envelope(b_id.seal(m))
        harness.wait_for(lambda: relay.process.count(
            r"batched id=\S+ sender=450006 ") == 3, what="b's 3 batched")
        harness.release_when_batched(relay, gate, "452017", 5)

        # the node that takes them: one receipt per status
        got = queued_receipts(a, 2)
        by_status = {m.status: (e, m) for e, m in got}
        assert set(by_status) == {pb.ACTUAL, pb.EXERCISE}
        env, m = by_status[pb.ACTUAL]
        signed_by_relay(env, relay.id)
        r = m.receipt
        named = [r.ref_id] + [h.ref_id for h in r.more]
        assert sorted(named) == sorted(x.id for x in actual)
        assert named[0] == actual[0].id         # arrival order kept
        parts = [(r.ref_id, r.ref_digest, list(r.held))] + \
            [(h.ref_id, h.ref_digest, list(h.held)) for h in r.more]
        for ref_id, digest, held in parts:
            assert digest == hashlib.sha256(envs[ref_id].message).digest()
            # 450006 is connected here: held for both recipients
            assert sorted(held) == ["450006", "mic"]
        env, m = by_status[pb.EXERCISE]
        signed_by_relay(env, relay.id)
        assert m.receipt.ref_id == drill.id and len(m.receipt.more) == 0

        # the client that did not say QUEUED_BATCH: one receipt each
        got = queued_receipts(b, 3)
        assert sorted(m.receipt.ref_id for _, m in got) == \
            sorted(x.id for x in mine)
        assert all(len(m.receipt.more) == 0 for _, m in got)

        # the relay's own record: the batch logged per report, one
        # receipt row (and one audit row) for the four
        assert relay.process.count(r"queued id=\S+ sender=452017 held=2 "
                                   r"batch=4") == 4
        ours = {bytes(r[0]) for r in relay.query(
            "SELECT ref_id FROM receipt WHERE signer = ? AND state = 4",
            (relay.id,))}
        assert ours & {x.id for x in actual + [drill]} == \
            {actual[0].id, drill.id}
        audit = relay.query("SELECT detail FROM audit WHERE detail LIKE "
                            "'QUEUED ref=% more=3'")
        assert len(audit) == 1, audit


def test_batched_queued_over_a_connection_refused(relay, pki):
    """A relay never takes a batched QUEUED from anyone: a node may not
    write QUEUED at all, and one relay's batch goes to its own node only.
    Here a node tries: refused, with the field named, nothing recorded."""
    me = Identity(pki.entity("452017"))
    with Client(relay.url, pki, me) as c:
        msg = kc.report("452017", ["450006"])
        env, a = kc.submit(c, msg)
        assert a.WhichOneof("kind") == "accepted", a
        q = kc.receipt("450006", msg, env, pb.Receipt.QUEUED)
        q.receipt.held.append("450006")
        extra = q.receipt.more.add()
        extra.ref_id = kc.new_id()
        extra.ref_digest = hashlib.sha256(b"x").digest()
        extra.held.append("450006")
        with Client(relay.url, pki, Identity(pki.entity("450006"))) as r:
            _, ans = kc.submit(r, q)
            assert ans.WhichOneof("kind") == "refused", ans
            assert ans.refused.reason == REASON.INVALID_FIELD, ans
            assert "receipt.more" in ans.refused.detail, ans.refused.detail
    assert relay.query("SELECT count(*) FROM receipt WHERE state = 4 AND "
                       "signer = '450006'")[0][0] == 0
