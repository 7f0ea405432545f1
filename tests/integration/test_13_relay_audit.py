"""Scenario 13: the hash-chained audit log: `audit verify` passes on a good
log and names the first row of a log altered by hand."""
import sqlite3

import kairan_client as kc
from kairan_client import Client, Identity


def test_audit_verify_good_then_altered(relay, pki):
    me = Identity(pki.entity("452017"))
    with Client(relay.url, pki, me) as c:
        for _ in range(4):
            _, a = kc.submit(c, kc.report("452017", ["mic"]))
            assert a.WhichOneof("kind") == "accepted"
    relay.stop()
    r = relay.run("audit", "verify")
    assert r.returncode == 0, r.stdout + r.stderr
    # each report: its row, the relay's QUEUED receipt and its receipt row
    assert "audit OK: 12 rows" in r.stdout
    third = relay.query("SELECT seq FROM audit WHERE entity = '452017' "
                        "ORDER BY seq LIMIT 1 OFFSET 2")[0][0]

    # someone edits the third report's row to hide who sent it
    with sqlite3.connect(relay.db) as db:
        db.execute("UPDATE audit SET entity = '450006' WHERE seq = ?",
                   (third,))
    r = relay.run("audit", "verify")
    assert r.returncode == 1
    assert "BROKEN at row %d" % third in r.stdout

    # put it back: intact again; then delete row 2 instead
    with sqlite3.connect(relay.db) as db:
        db.execute("UPDATE audit SET entity = '452017' WHERE seq = ?",
                   (third,))
    assert relay.run("audit", "verify").returncode == 0
    with sqlite3.connect(relay.db) as db:
        db.execute("DELETE FROM audit WHERE seq = 2")
    r = relay.run("audit", "verify")
    assert r.returncode == 1 and "BROKEN at row 2" in r.stdout
