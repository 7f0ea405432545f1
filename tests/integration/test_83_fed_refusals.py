"""Scenario 83: what a relay refuses from other "relays", each logged with
its reason, while its links to the good peers keep carrying reports.

Dialing side (relay-45 has one more [peer r13] whose url leads, through a
fault proxy, to a fake server, faultproxy + fedharness.FakeServer):
  - the far end presents a node certificate (462179),
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
    """Connects as ident and says Hello; returns "tls" if the handshake
    failed, "closed" if the relay closed the connection (after a Refused
    or not), with the frames it sent first."""
    try:
        c = kc.Client(url, pki, ident)
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
        node_cert = pki.entity(SOO)
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
        r45.wait_log(r"link=r13 .*(role|node).*|link=r13 .*%s" % SOO)
        line = [ln for ln in r45.log().splitlines()
                if "link=r13" in ln and ("role" in ln or SOO in ln)][0]
        assert "warning" in line or "refused" in line or "down" in line, line
        assert f.link_up_count(r45, type("X", (), {"name": "r13",
                                                   "id": "relay-13"})) == 0
        good_link_works(s, mic)

        # -- dialing side: relay-13 issued by CA 45 at the far end
        fake2 = FakeServer(pki, forged).start()
        fakes.append(fake2)
        fake_proxy.set_target("127.0.0.1", fake2.port, cut_existing=True)
        wait_for(lambda: fake2.connections > 0 or fake_proxy.accepted > 1,
                 what="relay-45 dials the forged relay-13")
        r45.wait_log(r"link=r13 .*(CA|issu|45)")
        assert f.link_up_count(r45, type("X", (), {"name": "r13",
                                                   "id": "relay-13"})) == 0
        assert fake2.hellos == [], "relay-45 said Hello to a forged relay"
        good_link_works(s, mic)

        # -- accepting side: relay-13 issued by CA 45 connects to the hub
        mark = len(hub.log())
        how, _ = refused_connection(hub.url, pki, kc.Identity(forged))
        wait_for(lambda: re.search(r"peer refused .*relay-13.*|refused.*"
                                   r"relay-13", hub.log()[mark:]),
                 what="the hub logs the forged relay-13 refused")
        good_link_works(s, mic)

        # -- accepting side: a relay that is no peer of relay-46
        mark = len(r46.log())
        how, frames = refused_connection(r46.url, pki,
                                         kc.Identity(pki.entity("relay-13")))
        wait_for(lambda: re.search(r"peer refused .*entity=relay-13 .*"
                                   r"reason=", r46.log()[mark:]),
                 what="relay-46 logs relay-13 refused (not a peer)")
        assert any(fr.WhichOneof("kind") == "refused" and
                   fr.refused.reason == kc.REASON.NOT_AUTHORIZED
                   for fr in frames) or how == "tls", frames
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
        hub.wait_log(r"refused .*%s" % m.id.hex())
        assert not mic.has(m.id.hex())

        # -- a configured peer relaying broken envelopes
        with kc.Client(hub.url, pki, kc.Identity(pki.entity("relay-13"))) as c:
            bad_sig = kc.report(KOTO, [MIC])
            a = kc.submit(c, bad_sig, tamper=True)[1]
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
            for m in (bad_sig, bad_chain, swapped):
                hub.wait_log(r"refused .*id=%s .*reason=" % m.id.hex())
            # the same link still takes a good one, and it reaches mic
            good = kc.report(KOTO, [MIC])
            a = kc.submit(c, good)[1]
            assert a.WhichOneof("kind") == "accepted", a
            once(mic, good.id.hex())
        for m in (bad_sig, bad_chain, swapped):
            assert not mic.has(m.id.hex())
        good_link_works(s, mic)
    finally:
        for x in fakes:
            x.stop()
        fake_proxy.stop()
