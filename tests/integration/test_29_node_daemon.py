"""Scenario 29: the node's daemon: one per database (a second one exits 1
and leaves the first one's poke socket alone); `status` shows each
route's real connection; `status --wait` ends once every recipient has
answered, with exit 4 when some were rejected; a report arriving while a
command line holds the database's write lock is deferred (OVERLOADED,
the relay sends it again), never waited on for seconds; SIGHUP reloads
the node's own TLS certificate and key."""
import os
import re
import sqlite3
import subprocess
import time

import harness
from harness import BIN, wait_for
from nodeharness import REPORT_1, fed  # noqa: F401 (fixture)


def test_one_daemon_per_database(fed):
    relay = fed.relay()
    s = fed.node("452017", {"pref": relay})
    sock = str(s.db) + ".sock"
    before = os.stat(sock).st_ino
    p = subprocess.run([str(BIN / "kairan-node"), "-f", str(s.conf), "run"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 1
    assert ("another kairan-node daemon is running on %s (pid %d)"
            % (s.db, s.process.proc.pid)) in p.stderr, p.stderr
    # the first daemon's socket is the same file, and still answers pokes
    assert os.stat(sock).st_ino == before
    _, mid = s.send(REPORT_1, "450006")
    s.wait_log(r"poke n=")
    s.wait_log(r"route=pref accepted id=%s" % mid)


def conn(st):
    return st["routes"][0]["connection"]


def test_status_shows_route_connection(fed):
    relay = fed.relay()
    s = fed.node("452017", {"pref": relay})
    _, mid = s.send(REPORT_1, "450006")
    c = conn(s.status(mid))
    assert c["state"] == "connected" and c["since"].endswith("+09:00")
    s.wait_log(r"route=pref accepted id=%s" % mid)
    assert re.search(r"^route pref: accepted \S+; connected since \S+$",
                     s.run("status", mid).stdout, re.M)
    relay.stop()
    st = s.wait_status(mid, lambda x: conn(x)["state"] == "not_connected",
                       "route down in status")
    assert conn(st)["reason"], conn(st)
    assert "not connected since" in s.run("status", mid).stdout
    s.stop()
    assert conn(s.status(mid))["state"] == "no_daemon"
    assert "no daemon running" in s.run("status", mid).stdout


def test_wait_ends_when_rejected(fed):
    relay = fed.relay()      # serves 45 and mic: 131016 (千代田区) is not
    routes = {"pref": relay}
    s = fed.node("452017", routes)
    r = fed.node("452025", routes)
    _, mid = s.send(REPORT_1, "452025,131016")
    r.wait_inbox(mid)
    r.ack(mid, "都城市 情報政策課 都城 一郎")
    p = s.run("status", mid, "--wait", "60", expect=4)
    assert "rejected 1/2" in p.stdout
    assert "acknowledged 1/2" in p.stdout.splitlines()[-1]
    # `sent` counts the rejection too
    assert ("delivered 1/2, acknowledged 1/2, rejected 1/2"
            in s.run("sent").stdout)
    rep = s.sent()[0]["reports"][0]
    assert (rep["total"], rep["acknowledged"], rep["rejected"]) == (2, 1, 1)


def test_busy_database_defers_not_blocks(fed):
    relay = fed.relay()
    routes = {"pref": relay}
    s = fed.node("452017", routes)
    r = fed.node("452025", routes)
    # a command line (here: this test) holds r's write lock
    db = sqlite3.connect(r.db, isolation_level=None, timeout=0)
    db.execute("BEGIN IMMEDIATE")
    try:
        _, mid = s.send(REPORT_1, "452025")
        r.wait_log(r"envelope deferred id=%s reason=OVERLOADED" % mid)
        # the daemon's loop still runs: it answered (and logged) at once
        assert r.query("SELECT count(*) FROM inbox")[0][0] == 0
    finally:
        db.execute("ROLLBACK")
        db.close()
    # the relay sends it again; nothing was lost
    r.wait_inbox(mid)
    s.wait_delivered(mid)
    assert r.count(r"inbox stored id=%s" % mid) == 1


def serial(cert):
    out = subprocess.run(["openssl", "x509", "-in", str(cert), "-noout",
                          "-serial"], capture_output=True, text=True,
                         check=True).stdout
    return out.strip().split("=")[1].upper()


def test_sighup_reloads_own_tls_certificate(fed):
    nid = "454290"     # a node no other scenario uses: its cert is renewed
    relay = fed.relay()
    n = fed.node(nid, {"pref": relay})
    ent = fed.pki.entity(nid)
    old = serial(ent / "cert.pem")
    subprocess.run([str(harness.ROOT / "certs" / "kairan-pki"), "issue",
                    str(fed.pki.path), nid, "--role", "node", "--force"],
                   check=True, capture_output=True)
    new = serial(ent / "cert.pem")
    assert new != old
    n.hup()
    # serials are random: openssl and BN_bn2hex may each keep or drop a
    # leading zero nibble, so compare without leading zeros
    n.wait_log(r"reload: tls certificate replaced cert=\S+ serial=0*%s\b"
               % new.lstrip("0"))
    # the next connection is made with it: the relay accepts it
    relay.stop()
    relay.start()
    n.wait_log(r"route=pref ready", since_start=True)
    wait_for(lambda: n.count(r"route=pref ready") >= 2, what="reconnected")

    # a key that does not match: the old pair stays, and it says why
    key = ent / "key.pem"
    saved = key.read_bytes()
    other = fed.pki.entity("452017") / "key.pem"
    key.write_bytes(other.read_bytes())
    try:
        n.hup()
        n.wait_log(r"reload: tls certificate kept: .* does not match")
    finally:
        key.write_bytes(saved)
