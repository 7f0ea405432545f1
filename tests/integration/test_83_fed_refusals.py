"""Scenario 83: what a relay refuses from other "relays", each logged with
its reason, while its links to the good peers keep carrying reports.

Dialing side (relay-45 has one more [peer r13] whose url leads, through a
fault proxy, to a fake server, faultproxy + fedharness.FakeServer):
  - the far end presents a node certificate (462179; with 127.0.0.1 as
    a host name, so that it is its role that is refused),
  - the far end presents a relay-13 certificate issued by CA 45 (made with
    openssl directly: kairan-pki would not issue it).
Accepting side (the independent Python client, kairan_client.py):
  - a relay-13 certificate issued by CA 45 connects to the hub,
  - a valid relay-13 connects to relay-46, which has no [peer] for it,
  - a node (462179) connected to the hub relays another entity's report,
  - relay-13 itself, a configured peer of the hub (the real relay-13 is
    not started: the client plays it with its real certificate), relays
    an envelope whose signature is broken and one whose chain is (a
    131083 leaf issued by CA 45; a good leaf with CA 46 as its issuer):
    each answered Refused with the reason, nothing of them delivered; a
    good envelope on the same link is accepted and reaches mic.
After each case: 都城市 → mic across relay-45 and the hub still works.
"""
import re

import kairan_client as kc
from fedharness import KOTO, MIC, MIYAKONOJO, SOO, FakeServer, once
from faultproxy import FaultProxy
from harness import wait_for
from nodeharness import REPORT_1

pb = kc.pb


def good_link_works(s, mic, n=[0]):
    n[0] += 1
    _, mid = s.send(REPORT_1, MIC)
    s.wait_delivered(mid)
    once(mic, mid)
    return mid


def refused_connection(url, pki, ident):
    """Connects as ident and reads what the relay says (it speaks first:
    its Hello, a Refused, the close); returns "tls" if the handshake
    failed, "closed" if the relay closed the connection, with the frames
    it sent before."""
    try:
        c = kc.Client(url, pki, ident, hello=False)
    except Exception as e:          # the TLS handshake was refused
        return "tls", [repr(e)]
    frames = []
    try:
        while True:
            frames.append(c.recv())
    except Exception:
        pass
    finally:
        c.close()
    return "closed", frames


def test_refusals(federation):
    f = federation
    pki = f.pki
    hub = f.relay("relay-national")
    r45 = f.relay("relay-45")
    r46 = f.relay("relay-46")
    f.link(r45, r46)
    f.link(r46, hub)
    f.link(r45, hub)
    hub.add_peer("r13", "relay-13")          # played by the Python client
    fake_proxy = FaultProxy("r45-fake").start()
    fakes = []
    try:
        r45.add_peer("r13", "relay-13", fake_proxy.url)
        # a node certificate (OU=node, CN 462179, CA 46) that also names
        # 127.0.0.1, so that the TLS host check passes and what refuses it
        # is the role: kairan-pki gives a node no host names
        node_cert = pki.forged("node-462179-with-ip",
                               "/O=kairan/OU=node/CN=462179", "46")
        forged = pki.forged("relay13-by-45", "/O=kairan/OU=relay/CN=relay-13",
                            "45")
        fake = FakeServer(pki, node_cert).start()
        fakes.append(fake)
        fake_proxy.set_target("127.0.0.1", fake.port)
        f.start(wait=False)
        for lk in f.links:
            f.wait_link(lk)
        s = f.node(MIYAKONOJO, ["r45"])
        mic = f.node(MIC, ["national"])
        good_link_works(s, mic)

        # -- dialing side: a node certificate at the far end
        r45.wait_log(r"warning: peer refused addr=\S+ entity=%s role=node "
                     r"reason=\"link r13: [^\"]*node" % SOO)
        assert not re.search(r"role=relay link=r13 ", r45.log())
        r45.wait_log(r"link=r13 down reason=\"refused: link r13: the peer "
                     r"is %s, a node" % SOO)
        good_link_works(s, mic)

        # -- dialing side: a certificate without the url's host name (a
        # node's, as kairan-pki issues it): refused by the TLS host check,
        # and the link says so instead of lws's "connect SSL err 1"
        mark = len(r45.log())
        fake1 = FakeServer(pki, pki.entity(SOO)).start()
        fakes.append(fake1)
        fake_proxy.set_target("127.0.0.1", fake1.port, cut_existing=True)
        wait_for(lambda: re.search(
            r"warning: link=r13 peer refused url=\S+ reason=\"certificate "
            r"IP address mismatch\" depth=0 subject=\"/O=kairan/OU=node/CN="
            + SOO, r45.log()[mark:]), what="relay-45 names the host mismatch")
        wait_for(lambda: re.search(
            r"link=r13 down reason=\"peer certificate: IP address mismatch\"",
            r45.log()[mark:]), what="the link's down reason")
        assert fake1.hellos == []
        good_link_works(s, mic)

        # -- dialing side: relay-13 issued by CA 45 at the far end
        mark = len(r45.log())
        fake2 = FakeServer(pki, forged).start()
        fakes.append(fake2)
        fake_proxy.set_target("127.0.0.1", fake2.port, cut_existing=True)
        wait_for(lambda: fake2.connections > 0 or fake_proxy.accepted > 1,
                 what="relay-45 dials the forged relay-13")
        wait_for(lambda: re.search(
            r"warning: peer refused addr=\S+ link=r13 reason=\"certificate "
            r"relay-13: of prefecture 13 but issued by CA 45\"",
            r45.log()[mark:]), what="relay-45 refuses the forged relay-13")
        assert not re.search(r"role=relay link=r13 ", r45.log())
        assert fake2.hellos == [], "relay-45 said Hello to a forged relay"
        good_link_works(s, mic)

        # -- accepting side: relay-13 issued by CA 45 connects to the hub
        mark = len(hub.log())
        how, frames = refused_connection(hub.url, pki, kc.Identity(forged))
        wait_for(lambda: re.search(
            r"warning: peer refused addr=\S+ reason=\"certificate relay-13: "
            r"of prefecture 13 but issued by CA 45\"", hub.log()[mark:]),
            what="the hub logs the forged relay-13 refused")
        # nothing was delivered to it before the close
        assert how == "tls" or not any(
            fr.WhichOneof("kind") == "envelope" for fr in frames), frames
        good_link_works(s, mic)

        # -- accepting side: a relay that is no peer of relay-46
        mark = len(r46.log())
        how, frames = refused_connection(r46.url, pki,
                                         kc.Identity(pki.entity("relay-13")))
        wait_for(lambda: re.search(
            r"warning: peer refused addr=\S+ entity=relay-13 role=relay "
            r"reason=\"relay relay-13 is not configured as a peer",
            r46.log()[mark:]),
            what="relay-46 logs relay-13 refused (not a peer)")
        # TLS passes (a valid relay certificate): the relay says why
        assert how == "closed" and any(
            fr.WhichOneof("kind") == "refused" and
            fr.refused.reason == kc.REASON.NOT_AUTHORIZED and
            "not configured as a peer" in fr.refused.detail
            for fr in frames), (how, frames)
        good_link_works(s, mic)

        # -- a node relaying another entity's report
        koto = kc.Identity(pki.entity(KOTO))
        with kc.Client(hub.url, pki, kc.Identity(node_cert)) as c:
            m = kc.report(KOTO, [MIC])
            env = koto.seal(m)
            c.send_envelope(env)
            a = c.answer(m.id)
            assert a.WhichOneof("kind") == "refused", a
            assert a.refused.reason in (kc.REASON.NOT_AUTHORIZED,
                                        kc.REASON.SENDER_MISMATCH), a
        hub.wait_log(r"warning: envelope refused entity=462179 addr=\S+ "
                     r"id=%s reason=NOT_AUTHORIZED detail=\"sender: 462179 "
                     r"may only submit its own messages" % m.id.hex())
        assert not mic.has(m.id.hex())

        # -- a configured peer relaying broken envelopes
        with kc.Client(hub.url, pki, kc.Identity(pki.entity("relay-13"))) as c:
            bad_sig = kc.report(KOTO, [MIC])
            c.send_envelope(koto.seal(bad_sig, tamper=True))
            a = c.answer(bad_sig.id)
            assert a.WhichOneof("kind") == "refused", a
            assert a.refused.reason == kc.REASON.BAD_SIGNATURE, a
            # a 131083 leaf issued by CA 45 (prefecture rule)
            wrong_ca = kc.Identity(pki.forged(
                "131083-by-45", "/O=kairan/OU=node/CN=131083", "45"))
            bad_chain = kc.report(KOTO, [MIC])
            env = wrong_ca.seal(bad_chain)
            c.send_envelope(env)
            a = c.answer(bad_chain.id)
            assert a.WhichOneof("kind") == "refused", a
            assert a.refused.reason == kc.REASON.BAD_CERTIFICATE, a
            # a good leaf whose chain names the wrong intermediate
            swapped = kc.report(KOTO, [MIC])
            env = koto.seal(swapped)
            ca46 = (pki.path / "ca-46" / "ca.pem").read_bytes()
            from cryptography import x509
            from cryptography.hazmat.primitives import serialization
            der46 = x509.load_pem_x509_certificate(ca46).public_bytes(
                serialization.Encoding.DER)
            env.cert_chain[1] = der46
            c.send_envelope(env)
            a = c.answer(swapped.id)
            assert a.WhichOneof("kind") == "refused", a
            assert a.refused.reason == kc.REASON.BAD_CERTIFICATE, a
            for m, why in ((bad_sig, r"BAD_SIGNATURE detail=\"envelope"
                            r"\.signature: does not verify with the key of "
                            r"131083\""),
                           (bad_chain, r"BAD_CERTIFICATE detail=\"envelope"
                            r"\.cert_chain: certificate 131083: of "
                            r"prefecture 13 but issued by CA 45\""),
                           (swapped, r"BAD_CERTIFICATE detail=\"envelope"
                            r"\.cert_chain: chain: ")):
                hub.wait_log(r"warning: envelope refused entity=relay-13 "
                             r"addr=\S+ id=%s reason=%s" % (m.id.hex(), why))
            # the same link still takes a good one, and it reaches mic
            good = kc.report(KOTO, [MIC])
            c.send_envelope(koto.seal(good))
            a = c.answer(good.id)
            assert a.WhichOneof("kind") == "accepted", a
            once(mic, good.id.hex())
        for m in (bad_sig, bad_chain, swapped):
            assert not mic.has(m.id.hex())
        good_link_works(s, mic)
    finally:
        for x in fakes:
            x.stop()
        fake_proxy.stop()
