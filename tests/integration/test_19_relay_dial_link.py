"""Scenario 19: a link a relay dials is a client link (kairan/link.h, the
code of the node's routes): relay-45 dials relay-13 ([peer k] with url;
the test PKI has CAs 45, 13 and national); the link goes connecting ->
hello -> ready on relay-13's Hello, carries a report from 宮崎市 to
台東区 and its DELIVERED back; when relay-13 is SIGKILLed the link backs
off and redials, and once relay-13 is back (same
port) it is ready again and what was sent meanwhile goes through; at
SIGTERM relay-45 drains the link instead of redialling (exit 0). A peer
that never says Hello (a stand-in with relay-13's certificate) is dropped
after handshake_timeout and dialled again, as an accepted one would be."""
from fakerelay import FakeRelay
from harness import wait_for
from nodeharness import REPORT_1, Node

TAITO = "131067"        # 台東区, served by relay-13
MIYAZAKI = "452017"     # 宮崎市, served by relay-45


def delivered(node, mid, who):
    return node.wait_status(
        mid, lambda s: any(r["entity"] == who and r["state"] == "delivered"
                           for r in s["recipients"]),
        what=f"{who} delivered")


def test_dialled_link_backs_off_and_comes_back(tmp_path, pki, relays):
    r13 = relays(start=False, rid="relay-13", serve="13")
    with open(r13.conf, "a") as f:
        f.write("\n[peer m]\nid = relay-45\n")        # it dials us
    r13.start()
    r45 = relays(start=False, rid="relay-45", serve="45 mic")
    with open(r45.conf, "a") as f:
        f.write(f"\n[peer k]\nid = relay-13\nurl = {r13.url}\n")
    r45.start()
    r45.wait_log(r"link=k connecting -> hello")
    r45.wait_log(r"link=k hello -> ready")
    r45.wait_log(r"link=k ready relay=relay-13 url=")

    a = Node(tmp_path, pki, MIYAZAKI, {"pref": r45})
    b = Node(tmp_path, pki, TAITO, {"pref": r13})
    try:
        a.start()
        b.start()
        _, m1 = a.send(REPORT_1, TAITO)
        wait_for(lambda: b.has(m1), what="report 1 at 台東区")
        delivered(a, m1, TAITO)

        # the peer dies: the link backs off and redials
        r13.kill()
        r45.wait_log(r"link=k ready -> backoff")
        r45.wait_log(r"link=k down reason=\S.* retry_ms=\d+")
        r45.wait_log(r"link=k backoff -> connecting")
        _, m2 = a.send(REPORT_1, TAITO)
        a.wait_log(r"route=pref accepted id=%s" % m2)  # held by relay-45

        # back on the same port: ready again, and the report goes through
        r13.start()
        wait_for(lambda: r45.process.count(
            r"link=k ready relay=relay-13 url=") >= 2, what="link ready again")
        wait_for(lambda: b.has(m2), what="report 2 at 台東区")
        delivered(a, m2, TAITO)
    finally:
        for n in (a, b):
            if n.alive():
                n.stop()
    # SIGTERM (the fixture): the link drains, no redial while stopping
    r45.stop()
    assert r45.process.count(r"link=k \S+ -> stopped") == 1, r45.log()[-3000:]


def test_dialled_peer_without_hello_is_dropped(tmp_path, pki, relays):
    fake = FakeRelay(pki, ["silent", "silent", "accept"], entity="relay-13")
    try:
        r45 = relays(start=False, rid="relay-45", serve="45 mic",
                     extra={"handshake_timeout": "1s"})
        with open(r45.conf, "a") as f:
            f.write(f"\n[peer k]\nid = relay-13\nurl = {fake.url}\n")
        r45.start()
        r45.wait_log(r"link=k closing: "
                     r"\"no Hello from the peer within 1000 ms\"")
        r45.wait_log(r"link=k down reason=\"no Hello from the peer within "
                     r"1000 ms\" retry_ms=\d+")
        # dialled again, twice more: the third connection says Hello
        r45.wait_log(r"link=k ready relay=relay-13 url=")
        assert fake.connections == 3
        assert r45.process.count(r"link=k closing: \"no Hello") == 2
    finally:
        fake.stop()
