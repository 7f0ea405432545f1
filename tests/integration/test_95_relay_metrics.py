"""Scenario 95: Prometheus /metrics of a real relay, scraped with urllib.

The counters move with what happens: envelopes accepted (by body) and
refused (by reason), handshakes refused (by reason), connections by role,
deliveries pending and the age of the oldest, grouped-commit batch sizes
and COMMIT latency. With a dialled link to relay-13: kairan_link_up goes
1 -> 0 -> 1 as relay-13 stops and comes back, and kairan_link_queue counts
the forward held for it meanwhile. /metrics is also served on the
console's listener when [metrics] listen = console, and nowhere else.
"""
import pytest
from websockets.exceptions import InvalidMessage

import kairan_client as kc
from harness import wait_for
from kairan_client import REASON, Client, Identity

import consolehelp as ch

TAITO = "131067"        # 台東区, served by relay-13


def with_metrics(relays, **kw):
    r = relays(start=False, **kw)
    ch.with_sections(r, metrics="127.0.0.1:0")
    return r


def test_counters_move(relays, pki):
    r = with_metrics(relays).start()
    port = ch.metrics_port(r)
    m0 = ch.scrape(port)
    assert ch.metric(m0, "kairan_connections", role="node") == 0
    assert ch.metric(m0, "kairan_deliveries_pending") == 0

    me = Identity(pki.entity("452017"))
    with Client(r.url, pki, me) as c:
        for _ in range(3):
            _, a = kc.submit(c, kc.report("452017", ["mic"]))
            assert a.WhichOneof("kind") == "accepted"
        msg = kc.report("452017", ["mic"])
        c.send_envelope(me.seal(msg, tamper=True))
        assert c.answer(msg.id).refused.reason == REASON.BAD_SIGNATURE
        m1 = ch.scrape(port)
        assert ch.metric(m1, "kairan_connections", role="node") == 1
    assert ch.metric(m1, "kairan_envelopes_accepted_total",
                     body="report") == 3
    # submissions only: the relay's own QUEUED receipts are not counted
    assert ch.metric(m1, "kairan_envelopes_accepted_total",
                     body="receipt") == 0
    assert ch.metric(m1, "kairan_envelopes_refused_total",
                     reason="BAD_SIGNATURE") == 1
    # mic is offline: its three reports wait
    assert ch.metric(m1, "kairan_deliveries_pending") >= 3
    wait_for(lambda: ch.metric(ch.scrape(port),
                               "kairan_delivery_oldest_pending_seconds") > 0,
             what="the oldest pending delivery's age")
    assert ch.metric(m1, "kairan_commit_batch_size_count") >= 1
    assert ch.metric(m1, "kairan_commit_batch_size_sum") >= 3
    assert ch.metric(m1, "kairan_fsync_seconds_count") >= 1
    assert ch.metric(m1, "kairan_commit_batch_size_bucket", le="+Inf") == \
        ch.metric(m1, "kairan_commit_batch_size_count")

    # a handshake refused for its certificate is counted by reason
    with pytest.raises(InvalidMessage):
        Client(r.url, pki, Identity(pki.bad("revoked"))).close()
    wait_for(lambda: ch.metric(ch.scrape(port),
                               "kairan_handshakes_refused_total",
                               reason="certificate") == 1,
             what="the refused handshake counted")
    # the node is gone
    wait_for(lambda: ch.metric(ch.scrape(port), "kairan_connections",
                               role="node") == 0, what="no node connected")

    # mic connects and takes its reports: three fewer pending (what is
    # left are the receipts held for 452017, now offline)
    before = ch.metric(ch.scrape(port), "kairan_deliveries_pending")
    with Client(r.url, pki, Identity(pki.entity("mic"))) as c:
        for _ in range(3):
            c.expect_delivery()
        wait_for(lambda: ch.metric(ch.scrape(port),
                                   "kairan_deliveries_pending") <= before - 3,
                 what="mic's deliveries answered")

    # only /metrics on the plain listener
    status, _, _ = ch.get(f"http://127.0.0.1:{port}/")
    assert status == 404
    status, _, _ = ch.get(f"http://127.0.0.1:{port}/metrics", method="PUT")
    assert status == 405


def test_link_up_down_and_queue(relays, pki):
    r13 = relays(start=False, rid="relay-13", serve="13")
    with open(r13.conf, "a") as f:
        f.write("\n[peer m]\nid = relay-45\n")
    r13.start()
    r45 = relays(start=False, rid="relay-45", serve="45 mic")
    with open(r45.conf, "a") as f:
        f.write(f"\n[peer k]\nid = relay-13\nurl = {r13.url}\n")
    ch.with_sections(r45, metrics="127.0.0.1:0")
    r45.start()
    port = ch.metrics_port(r45)
    r45.wait_log(r"link=k hello -> ready")
    m = ch.scrape(port)
    assert ch.metric(m, "kairan_link_up", link="k") == 1
    assert ch.metric(m, "kairan_link_queue", link="k") == 0
    assert ch.metric(m, "kairan_connections", role="relay") == 1

    r13.stop()
    r45.wait_log(r"link=k ready -> backoff")
    wait_for(lambda: ch.metric(ch.scrape(port), "kairan_link_up",
                               link="k") == 0, what="link down in /metrics")
    me = Identity(pki.entity("452017"))
    with Client(r45.url, pki, me) as c:
        _, a = kc.submit(c, kc.report("452017", [TAITO]))
        assert a.WhichOneof("kind") == "accepted"
    m = ch.scrape(port)
    assert ch.metric(m, "kairan_link_queue", link="k") == 1
    assert ch.metric(m, "kairan_deliveries_pending") >= 1

    r13.start()
    wait_for(lambda: ch.metric(ch.scrape(port), "kairan_link_up",
                               link="k") == 1, what="link up again")
    wait_for(lambda: ch.metric(ch.scrape(port), "kairan_link_queue",
                               link="k") == 0, what="the forward delivered")


def test_metrics_on_the_console(relays, pki):
    r = relays(start=False)
    ch.with_sections(r, console=True, metrics="console")
    r.start()
    r.wait_log(r"console listening addr=127\.0\.0\.1:\d+ metrics=yes")
    assert "metrics listening" not in r.log()
    port = ch.console_port(r)
    ctx = ch.tls_context(r)
    m = ch.scrape(port, host="localhost", ctx=ctx, scheme="https")
    assert ch.metric(m, "kairan_connections", role="node") == 0
    status, h, _ = ch.get(f"https://localhost:{port}/metrics", ctx)
    assert status == 200 and h["x-content-type-options"] == "nosniff"


def test_metrics_config_errors(relays):
    r = relays(start=False)
    r.conf.write_text(r.conf.read_text() + "[metrics]\nlisten=console\n")
    res = r.run("-n")
    assert res.returncode == 1
    assert "[metrics] listen = console: there is no [console] section" in \
        res.stderr
    r.conf.write_text(r.conf.read_text().replace("listen=console",
                                                 "listen=nowhere"))
    res = r.run("-n")
    assert res.returncode == 1 and "[metrics] listen:" in res.stderr
